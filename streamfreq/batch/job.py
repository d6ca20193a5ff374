"""One file's work in a batch, the same in a local worker process and in a Ray actor.

An :class:`Analyser` is built once per worker (it builds the estimators, the
LSTM's LiteRT interpreter included) and then called on one :class:`Job` after
another. Each call reads the file in blocks, runs
:func:`streamfreq.analysis.analyze_blocks` on it, and returns a
:class:`FileResult`: the file's ``files.csv`` row, its readouts encoded as a
Parquet file (bytes), and its picture when plots are asked for. A file that
cannot be read, or whose analysis fails in any way, becomes an ``error`` row
with a one-line reason; the worker goes on with the next file.

Example
-------
>>> import os, tempfile, soundfile
>>> from streamfreq.signals import tone
>>> path = os.path.join(tempfile.mkdtemp(), "a.wav")
>>> soundfile.write(path, 0.5 * tone(16000, 220.0), 16000)
>>> result = Analyser(Settings(estimators=("fft",)))(Job.of(path))
>>> result.row["status"], result.row["windows"], result.row["fft_median_hz"], result.row["fft_voiced"]
('done', 59, 220.0, 1.0)
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

from streamfreq.allocator import keep_freed_memory
from streamfreq.analysis import analyze_blocks
from streamfreq.defaults import QUIET_DB, window_for
from streamfreq.errors import SourceError, StreamfreqError, missing_extra
from streamfreq.track import Track

#: Rows per Parquet row group (a file's readouts are buffered up to this many, not whole).
ROW_GROUP = 65536
#: Decimals kept in the per-file figures of files.csv.
DIGITS = 6
#: Samplerates whose default window goes into the fingerprint (a changed window rule changes their numbers).
FINGERPRINT_RATES = (8000.0, 16000.0, 22050.0, 44100.0, 48000.0, 96000.0)


@dataclass(frozen=True)
class Settings:
    """What a batch analyses with; every file of one output folder uses the same settings."""

    estimators: tuple[str, ...]
    window: int | None = None
    hop: int | None = None
    fmin: float | None = None
    quiet_db: float | None = QUIET_DB
    follow_notes: bool = True
    channel: int | None = None
    model_path: str | None = None
    plots: bool = False

    def analysis(self) -> dict[str, object]:
        """The settings that decide the numbers (plots do not): what an output folder's manifest records."""
        settings = asdict(self)
        settings.pop("plots")
        settings["estimators"] = list(self.estimators)
        return settings


@dataclass(frozen=True)
class Job:
    """A file to analyse, with the size and modification time it had when the batch looked at it."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str) -> Job:
        """The job for ``path`` as it is now (raises OSError when it cannot be looked at)."""
        status = os.stat(path)
        return cls(path, status.st_size, status.st_mtime_ns)


@dataclass
class FileResult:
    """What a worker sends back for one file."""

    job: Job
    row: dict[str, object]
    parquet: bytes | None = None
    png: bytes | None = None

    @property
    def done(self) -> bool:
        return self.row["status"] == "done"

    @classmethod
    def failed(cls, job: Job, reason: str) -> FileResult:
        """An ``error`` result that no worker made (e.g. the file vanished before it was dispatched)."""
        return cls(job, {"status": "error", "error": reason})


def prepare_worker() -> None:
    """Set up this worker process: numpy's BLAS (and OpenMP) on one thread, so N workers use N cores, and
    freed memory kept for the next batch (:func:`~streamfreq.allocator.keep_freed_memory`).

    The LSTM's LiteRT interpreter runs on one thread already (its default in streamfreq).
    """
    from threadpoolctl import threadpool_limits  # a core dependency, imported only where it is needed

    threadpool_limits(limits=1)
    keep_freed_memory()


class Analyser:
    """Analyses files one after another with estimators built once.

    Parameters
    ----------
    settings
        The batch settings (estimator names, window, hop, fmin, quiet gate, channel, model, plots).
    """

    def __init__(self, settings: Settings) -> None:
        from streamfreq.estimators import build_estimators

        self.settings = settings
        self.estimators = build_estimators(list(settings.estimators), settings.model_path, settings.fmin)

    def __call__(self, job: Job) -> FileResult:
        """Analyse one file; never raises for a bad file (the result says ``error`` and why)."""
        began = time.perf_counter()
        row: dict[str, object] = {"worker": f"{socket.gethostname()}:{os.getpid()}"}
        try:
            parquet, png, figures = self._analyse(job.path)
            row.update(status="done", error="", **figures)
        except Exception as error:  # any failure of one file must leave the other files alone
            parquet = png = None
            row.update(status="error", error=one_line(error))
        row["wall_s"] = round(time.perf_counter() - began, 4)
        return FileResult(job, row, parquet, png)

    def _analyse(self, path: str) -> tuple[bytes, bytes | None, dict[str, object]]:
        from streamfreq.sources.file import FileSource

        settings = self.settings
        with FileSource(path, channel=settings.channel) as source:
            if source.warnings:  # a truncated file (its header promises more than it holds): not analysed
                raise SourceError(source.warnings[0].rsplit("; ", 1)[0])
            encoder = PartEncoder(path)
            summary = Summary(list(settings.estimators))
            blocks: Iterator[np.ndarray] = source.blocks()
            spectrogram = chunks = None
            if settings.plots:
                from streamfreq.plot import Spectrogram

                spectrogram = Spectrogram(source.samplerate, source.frames)
                blocks = spectrogram.tap(blocks)
                chunks = []
            tracks = analyze_blocks(
                blocks,
                source.samplerate,
                estimators=self.estimators,
                window=settings.window,
                hop=settings.hop,
                fmin=settings.fmin,
                quiet_db=settings.quiet_db,
                follow_notes=settings.follow_notes,
            )
            for track in tracks:
                encoder.add(track)
                summary.add(track)
                if chunks is not None:
                    chunks.append(track)
            if source.warnings:
                raise SourceError(source.warnings[-1])
            figures: dict[str, object] = {
                "seconds": round(source.frames / source.samplerate, DIGITS),
                "samplerate": source.samplerate,
                "channels": source.channels,
                **summary.figures(),
            }
        png = None
        if spectrogram is not None and chunks is not None:
            from streamfreq.plot import render_png

            png = render_png(Track.concat(chunks), spectrogram, title=os.path.basename(path))
        return encoder.finish(), png, figures


class Summary:
    """Per-file figures for files.csv: windows, and per estimator the median f0 and the voiced share."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.windows = 0
        self.voiced: dict[str, list[np.ndarray]] = {name: [] for name in names}

    def add(self, track: Track) -> None:
        self.windows += len(track)
        for name in self.names:
            self.voiced[name].append(track.f0[name][track.status[name] == "ok"])

    def figures(self) -> dict[str, object]:
        figures: dict[str, object] = {"windows": self.windows}
        for name in self.names:
            voiced = np.concatenate(self.voiced[name])
            median = round(float(np.median(voiced)), DIGITS) if len(voiced) else None
            figures[f"{name}_median_hz"] = median
            figures[f"{name}_voiced"] = round(len(voiced) / self.windows, DIGITS) if self.windows else None
        return figures


class PartEncoder:
    """A file's readouts as one Parquet file in memory: ``path``, then the Track's columns.

    f0 is null where there is no number. Rows are buffered up to
    :data:`ROW_GROUP` at a time, so a long file never sits in memory as a table.
    """

    def __init__(self, path: str) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise missing_extra("pyarrow", "batch") from None
        self._pa, self._pq = pa, pq
        self.path = path
        self.sink = pa.BufferOutputStream()
        self.writer = None
        self.pending: list = []
        self.rows = 0

    def add(self, track: Track) -> None:
        table = track.to_arrow().replace_schema_metadata(None)
        paths = self._pa.array([self.path], type=self._pa.string()).take(np.zeros(len(table), dtype=np.int64))
        self.pending.append(table.add_column(0, "path", paths))
        self.rows += len(table)
        if self.rows >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        table = self._pa.concat_tables(self.pending)
        if self.writer is None:
            self.writer = self._pq.ParquetWriter(self.sink, table.schema, compression="zstd")
        self.writer.write_table(table, row_group_size=ROW_GROUP)
        self.pending, self.rows = [], 0

    def finish(self) -> bytes:
        """The Parquet file's bytes (an empty table when the file held no whole window)."""
        if self.pending or self.writer is None:
            self._flush()
        self.writer.close()
        return self.sink.getvalue().to_pybytes()


def fingerprint(settings: Settings) -> str:
    """A digest of what the estimators say about a fixed test signal under ``settings``.

    Two runs give the same digest when the settings, the estimator code, the
    model and the default window at common samplerates give the same numbers,
    so an output folder can tell whether results made earlier still match.
    Building the estimators here also checks every setting (raising
    :class:`~streamfreq.errors.ParameterError`) before any worker starts.
    """
    from threadpoolctl import threadpool_limits

    from streamfreq.signals import LogSweep, ToneGenerator

    samplerate = 48000.0
    rng = np.random.default_rng(11)
    signal = ToneGenerator(LogSweep(80.0, 2000.0, 0.5), samplerate).next_block(24000)
    signal = signal + 0.01 * rng.standard_normal(len(signal))
    with threadpool_limits(limits=1):
        analyser = Analyser(settings)
        track = Track.concat(
            analyze_blocks(
                [signal],
                samplerate,
                estimators=analyser.estimators,
                window=settings.window,
                hop=settings.hop,
                fmin=settings.fmin,
                quiet_db=settings.quiet_db,
                follow_notes=settings.follow_notes,
            )
        )
    digest = hashlib.sha256()
    if settings.window is None:  # the window each samplerate gets
        digest.update(repr([window_for(rate, settings.fmin) for rate in FINGERPRINT_RATES]).encode())
    for values in track.columns().values():
        digest.update(np.round(values, 4).tobytes() if values.dtype.kind == "f" else values.tobytes())
    return digest.hexdigest()[:16]


def one_line(error: BaseException) -> str:
    """An exception as one line: streamfreq's own messages as they are, others prefixed with their type.

    Example
    -------
    >>> one_line(SourceError("cannot open 'x.wav': no such file")), one_line(ValueError("bad\\nthing"))
    ("cannot open 'x.wav': no such file", 'ValueError: bad thing')
    """
    text = " ".join(str(error).split())
    if isinstance(error, StreamfreqError):
        return text or type(error).__name__
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
