"""The programs' entry points (``streamfreq``, ``streamfreq-gui``): settle the process before numpy loads, then run.

OpenBLAS, numpy's BLAS, starts a pool of worker threads when numpy loads, and
each spins for about 0.1 s of CPU waiting for work before it sleeps. The
engine runs every BLAS call on one thread anyway
(:data:`streamfreq.process.one_blas_thread`), so the programs tell OpenBLAS,
before numpy loads, to start no pool: ``OPENBLAS_NUM_THREADS=1``, unless the
environment already says otherwise. A short live run of the command line
takes 0.15-0.16 s of CPU instead of 0.27-0.30 s. Library users' processes are left as
they are: importing streamfreq changes no setting.

Example
-------
>>> import os
>>> import numpy  # as in any program that uses the library: numpy loads first
>>> from streamfreq.launch import settle_process
>>> before = dict(os.environ)
>>> settle_process()  # too late: nothing is set
>>> dict(os.environ) == before
True
"""

from __future__ import annotations

import os
import sys

#: What OpenBLAS is told before numpy loads in the programs.
BLAS_SETTINGS = {"OPENBLAS_NUM_THREADS": "1"}


def settle_process() -> None:
    """Apply :data:`BLAS_SETTINGS` where the environment does not set them, if numpy has not loaded yet."""
    if "numpy" not in sys.modules:
        for name, value in BLAS_SETTINGS.items():
            os.environ.setdefault(name, value)


def cli() -> int:
    """The ``streamfreq`` command."""
    settle_process()
    from streamfreq.cli import main

    return main()


def gui() -> int:
    """The ``streamfreq-gui`` command."""
    settle_process()
    from streamfreq.gui.app import main

    return main()
