"""The allocator setting: freed batch temporaries are reused, not faulted in again (glibc)."""

from __future__ import annotations

import subprocess
import sys

#: Three 4 MB blocks held at once and freed, 100 times: a batch's frames and spectra.
PROGRAM = """
import resource, sys
import numpy as np
if sys.argv[1] == "kept":
    from streamfreq.allocator import keep_freed_memory
    assert keep_freed_memory()
def batch():
    held = [np.ones(1 << 19) for _ in range(3)]
for _ in range(3):  # glibc's dynamic thresholds settle
    batch()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(100):
    batch()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_kept_memory_is_reused_without_faulting_its_pages_in_again():
    """With glibc's defaults the blocks go back to the system after each batch, and nearly every page of one
    block (1024 pages) is faulted in again each time (about 1000 a batch here); kept, they are reused."""
    default, kept = page_faults("default"), page_faults("kept")
    assert default >= 100 * 512
    assert kept <= 0.05 * default
