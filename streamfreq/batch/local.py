"""The local batch engine: a process pool over this machine's cores.

Each worker process builds its estimators once (the pool's initializer), runs
numpy's BLAS on one thread (threadpoolctl; the LSTM's LiteRT interpreter runs
on one thread already), ignores Ctrl-C (the driver handles it), and analyses
one file per task. Workers start from a fork server (spawn where there is
none): forking a process that runs threads is unsafe.

At most :data:`IN_FLIGHT_PER_WORKER` files per worker are submitted at a time,
so memory does not grow with the corpus. A worker that dies (killed, out of
memory, a crash in a native library) breaks the pool: the pool is rebuilt,
and the files it held are run again one at a time, so a file that kills its
worker every time is found and reported as an ``error`` after
:data:`ATTEMPTS` tries, while the others finish.

Example
-------
>>> import os, tempfile, soundfile
>>> from streamfreq.signals import tone
>>> from streamfreq.batch.job import Job, Settings
>>> path = os.path.join(tempfile.mkdtemp(), "a.wav")
>>> soundfile.write(path, 0.5 * tone(8000, 100.0), 8000)
>>> [r.row["status"] for r in run_local([Job.of(path)], Settings(estimators=("zc",)), workers=1)]
['done']
"""

from __future__ import annotations

import collections
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from streamfreq.batch.job import Analyser, FileResult, Job, Settings, one_line, prepare_worker
from streamfreq.errors import StreamfreqError

#: Files submitted per worker at a time (one running, one queued).
IN_FLIGHT_PER_WORKER = 2
#: Times a file is tried when its worker dies under it.
ATTEMPTS = 3
#: Seconds between a worker's checks that its driver is still running.
DRIVER_CHECK_SECONDS = 1.0
#: Fresh pools in a row that may die before finishing a single file before the batch gives up.
FUTILE_POOLS = 6

#: Modules the fork server imports once, so that each worker starts with them loaded.
PRELOAD = ["streamfreq.batch.job", "streamfreq.engine", "streamfreq.sources.file", "soundfile", "threadpoolctl"]

_analyser: Analyser | None = None


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _start_worker(settings: Settings, driver: int) -> None:
    """Pool initializer: one BLAS thread, no Ctrl-C, the estimators built once, and an end with the driver."""
    global _analyser
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_follow, args=(driver,), name="streamfreq-follow-driver", daemon=True).start()
    prepare_worker()
    _analyser = Analyser(settings)


def _follow(driver: int) -> None:
    """End this worker when the driver is gone (killed with SIGKILL, say).

    A pool worker holds both ends of its result pipe, so without a driver it
    would block forever on sending its result, holding its memory.
    """
    while True:
        time.sleep(DRIVER_CHECK_SECONDS)
        try:
            os.kill(driver, 0)
        except (ProcessLookupError, PermissionError):  # gone (or its pid now another user's process)
            os._exit(1)


def _analyse(job: Job) -> FileResult:
    assert _analyser is not None, "the worker was not initialised"
    return _analyser(job)


def run_local(jobs: Sequence[Job], settings: Settings, workers: int) -> Iterator[FileResult]:
    """Analyse ``jobs`` on ``workers`` processes; yield each file's result as it finishes (in any order).

    Raises
    ------
    StreamfreqError
        The worker processes keep dying before finishing any file (e.g. they cannot start).
    """
    waiting = collections.deque(jobs)
    suspects: collections.deque[Job] = collections.deque()  # were running when a worker died: run alone
    attempts: collections.Counter[str] = collections.Counter()
    running: dict[Future, Job] = {}
    pool: ProcessPoolExecutor | None = None
    futile = 0  # pools in a row that broke before finishing a file
    finished_in_pool = 0
    try:
        while waiting or suspects or running:
            if pool is None:
                pool = _new_pool(settings, workers)
                finished_in_pool = 0
            broken = False
            try:  # a job leaves its queue only once the pool took it
                if suspects:
                    if not running:
                        _submit(pool, running, suspects)
                else:
                    while waiting and len(running) < IN_FLIGHT_PER_WORKER * workers:
                        _submit(pool, running, waiting)
            except BrokenProcessPool:  # a worker died since the last wait
                broken = True
            finished, _ = wait(running, return_when=FIRST_COMPLETED) if running and not broken else (set(), set())
            for future in finished:
                job = running.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    running[future] = job  # lost with the others below
                    continue
                except Exception as error:  # the result could not come back (e.g. not picklable)
                    result = FileResult.failed(job, one_line(error))
                finished_in_pool += 1
                yield result
            if broken:
                futile = 0 if finished_in_pool else futile + 1
                if futile >= FUTILE_POOLS:
                    raise StreamfreqError(f"the worker processes died {futile} times in a row without finishing a file")
                lost = list(running.values())
                running.clear()
                _stop(pool)
                pool = None
                for job in lost:
                    attempts[job.path] += 1
                    if attempts[job.path] >= ATTEMPTS:
                        reason = f"the worker analysing it died {ATTEMPTS} times (crashed or was killed)"
                        yield FileResult.failed(job, reason)
                    else:
                        suspects.append(job)
    finally:
        if pool is not None:
            if running:
                _stop(pool)
            else:
                pool.shutdown(wait=True)


def _submit(pool: ProcessPoolExecutor, running: dict[Future, Job], queue: collections.deque[Job]) -> None:
    """Hand the first job of ``queue`` to the pool; it leaves the queue only if the pool took it."""
    future = pool.submit(_analyse, queue[0])
    running[future] = queue.popleft()


def _new_pool(settings: Settings, workers: int) -> ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(settings, os.getpid()))


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now (a file being analysed is abandoned)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14 (it shuts the pool down too)
    if terminate is not None:
        terminate()
        return
    workers = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() forgets them: read them first
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()
