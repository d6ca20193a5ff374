"""One batch run: inputs -> jobs not yet done -> an engine -> the output folder.

Example
-------
>>> import os, tempfile, soundfile
>>> from streamfreq.signals import tone
>>> folder = tempfile.mkdtemp()
>>> soundfile.write(os.path.join(folder, "a.wav"), 0.5 * tone(8000, 100.0), 8000)
>>> settings = Settings(estimators=("zc",))
>>> report = run_batch([folder], os.path.join(folder, "out"), settings, workers=1)
>>> report.done, report.failed, report.skipped
(1, 0, 0)
>>> run_batch([folder], os.path.join(folder, "out"), settings, workers=1).skipped  # a rerun skips it
1
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from streamfreq.batch.inputs import expand_inputs
from streamfreq.batch.job import FileResult, Job, Settings, fingerprint, one_line
from streamfreq.batch.store import OutputStore
from streamfreq.errors import ParameterError, SourceError, check_range

ENGINES = ("local", "ray")


@dataclass
class BatchReport:
    """What a run did."""

    inputs: int = 0
    skipped: int = 0
    done: int = 0
    failed: int = 0
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0


def run_batch(
    paths: Sequence[str],
    out: str | os.PathLike[str],
    settings: Settings,
    *,
    engine: str = "local",
    workers: int | None = None,
    address: str | None = None,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> BatchReport:
    """Analyse every input not already done in ``out`` with ``settings``.

    The local engine starts worker processes: a script that calls this must do
    so under ``if __name__ == "__main__":``, as any code starting processes.

    Parameters
    ----------
    paths
        Files, folders, globs or ``@list.txt`` files (:func:`~streamfreq.batch.inputs.expand_inputs`).
    out
        The output folder (:class:`~streamfreq.batch.store.OutputStore`).
    engine
        ``"local"`` (a process pool) or ``"ray"``.
    workers
        Worker processes or actors; None for one per core (local) or per cluster CPU (ray).
    address
        Ray cluster to join (``engine="ray"`` only).
    on_start
        Called with the number of files to analyse, before the first one.
    on_result
        Called with each file's result once it is stored.

    Raises
    ------
    ParameterError
        Bad settings, inputs or output folder (see :class:`OutputStore`).
    OutputError
        The output folder cannot be written.
    StreamfreqError
        The engine failed as a whole; what was stored stays, and a rerun completes the batch.
    """
    from streamfreq.batch.local import default_workers, run_local
    from streamfreq.batch.ray_engine import run_ray

    if engine not in ENGINES:
        raise ParameterError(f"engine must be one of {', '.join(ENGINES)} (got {engine!r})")
    if workers is not None:
        check_range("workers", workers, 1, 4096)
    if address is not None and engine != "ray":
        raise ParameterError("--address joins a Ray cluster; it needs --engine ray")
    began = time.perf_counter()
    files = expand_inputs(paths)
    store = OutputStore(out, settings, fingerprint(settings))
    report = BatchReport(inputs=len(files))
    try:
        todo: list[Job] = []
        for path in files:
            try:
                job = Job.of(path)
            except OSError as error:
                reason = f"cannot open {path!r}: {error.strerror or error}"
                _store(store, report, FileResult.failed(Job(path, 0, 0), one_line(SourceError(reason))), on_result)
                continue
            if store.is_done(job):
                report.skipped += 1
            else:
                todo.append(job)
        if on_start is not None:
            on_start(len(todo))
        if todo:
            if engine == "local":
                results = run_local(todo, settings, workers or min(default_workers(), len(todo)))
            else:
                results = run_ray(todo, settings, workers, address)
            with contextlib.closing(results):  # an interruption stops the workers at once
                for result in results:
                    _store(store, report, result, on_result)
    finally:
        report.wall_seconds = time.perf_counter() - began
        store.close()
    return report


def _store(
    store: OutputStore, report: BatchReport, result: FileResult, on_result: Callable[[FileResult], None] | None
) -> None:
    store.record(result)
    if result.done:
        report.done += 1
        report.audio_seconds += float(result.row.get("seconds") or 0.0)
    else:
        report.failed += 1
    if on_result is not None:
        on_result(result)
