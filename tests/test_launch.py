"""The programs' entry points settle the process before numpy loads (streamfreq.launch)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# In a fresh interpreter: settle as the programs do, load numpy, report OpenBLAS's pool and the variable.
PROBE = """
from streamfreq.launch import settle_process
settle_process()
import os
import numpy
from threadpoolctl import threadpool_info
pools = [p["num_threads"] for p in threadpool_info() if p["internal_api"] == "openblas"]
print(os.environ.get("OPENBLAS_NUM_THREADS"), pools)
"""


def _probe(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_programs_start_openblas_with_no_worker_pool():
    pytest.importorskip("threadpoolctl")
    value, pools = _probe().split(" ", 1)
    assert value == "1"
    assert pools in ("[1]", "[]")  # one thread where numpy's BLAS is OpenBLAS


def test_a_setting_the_user_made_is_kept():
    pytest.importorskip("threadpoolctl")
    assert _probe(OPENBLAS_NUM_THREADS="2").startswith("2 ")


def test_the_command_line_runs_through_the_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "streamfreq", "--source", "synth", "--duration", "0.05", "--estimators", "fft"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "440.00 Hz" in done.stdout
