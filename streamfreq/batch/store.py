"""The output folder of ``streamfreq batch``: written atomically, resumable, one writer at a time.

Layout of ``DIR``::

    manifest.json          the analysis settings and a fingerprint of the estimators' numbers
    files.csv              one row per input file (rewritten atomically, sorted by path)
    readouts.parquet/      one Parquet part per done file: part-<hash of its path>.parquet
    plots/                 one PNG per done file (with --plots)

``pyarrow.parquet.read_table("DIR/readouts.parquet")`` reads the parts as one
table. Every file is first written under a temporary name starting with a
dot (which pyarrow's dataset reader skips) and then renamed over its final
name, so a part is either whole or absent, and a file analysed again replaces
its part instead of adding rows. On opening, the store removes temporary
files and parts that no ``done`` row of files.csv refers to (left by a crash
between writing a part and recording it), so rows are never duplicated.

A file is done, and skipped by a rerun, when files.csv says ``done`` for its
path with the same size and modification time and its part exists. Files in
``error`` are tried again. A folder made with other settings (or by
estimators that now give other numbers) is refused with a message.

Example
-------
>>> import tempfile
>>> from streamfreq.batch.job import Settings
>>> store = OutputStore(tempfile.mkdtemp(), Settings(estimators=("fft",)), fingerprint="abc")
>>> sorted(p.name for p in store.folder.iterdir())
['.lock', 'files.csv', 'manifest.json', 'readouts.parquet']
>>> store.close()
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from streamfreq.batch.job import FileResult, Job, Settings
from streamfreq.errors import OutputError, ParameterError

PARTS = "readouts.parquet"
FILES = "files.csv"
MANIFEST = "manifest.json"
PLOTS = "plots"
LOCK = ".lock"
#: files.csv is rewritten at most this often while a batch runs (and always at its end).
FLUSH_SECONDS = 1.0
#: Version of the output layout.
LAYOUT = 1


def csv_columns(names: list[str]) -> list[str]:
    """The columns of files.csv for these estimators.

    Example
    -------
    >>> csv_columns(["fft"])[:8]
    ['path', 'status', 'error', 'seconds', 'samplerate', 'channels', 'windows', 'fft_median_hz']
    """
    per_estimator = [f"{name}_{what}" for name in names for what in ("median_hz", "voiced")]
    return [
        *("path", "status", "error", "seconds", "samplerate", "channels", "windows"),
        *per_estimator,
        *("wall_s", "worker", "plot", "size", "mtime_ns"),
    ]


def part_name(path: str) -> str:
    """The Parquet part of an input path: ``part-<16 hex digits of its SHA-1>.parquet``."""
    return f"part-{hashlib.sha1(path.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}.parquet"


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to a dot-named temporary file beside ``target``, flush it to disk, rename it over ``target``."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot write {str(target)!r}: {error.strerror or error}") from None


class OutputStore:
    """An output folder opened for one batch run (see the module docstring).

    Parameters
    ----------
    folder
        ``DIR``; created when missing. An existing folder must be empty or a batch output.
    settings
        The run's settings; must match the folder's manifest when there is one.
    fingerprint
        :func:`streamfreq.batch.job.fingerprint` of the settings.

    Raises
    ------
    ParameterError
        ``folder`` is a file, a non-empty folder that is not a batch output, or
        a batch output made with other settings.
    OutputError
        The folder cannot be created or written, or another batch is writing it.
    """

    def __init__(self, folder: str | os.PathLike[str], settings: Settings, fingerprint: str) -> None:
        self.folder = Path(folder).expanduser().absolute()
        self.settings = settings
        self.columns = csv_columns(list(settings.estimators))
        self._lock = None
        self._prepare()
        self._check_manifest({"layout": LAYOUT, "settings": settings.analysis(), "fingerprint": fingerprint})
        self.rows: dict[str, dict[str, str]] = self._load_rows()
        self._clean()
        self._dirty = False
        self._flushed = time.monotonic()
        self.flush()

    # -- opening ---------------------------------------------------------------------------------------

    def _prepare(self) -> None:
        where = repr(str(self.folder))
        if self.folder.exists() and not self.folder.is_dir():
            raise ParameterError(f"--out {where} exists and is not a folder")
        if self.folder.is_dir() and not (self.folder / MANIFEST).exists():
            ours = {PARTS, PLOTS, LOCK, FILES}
            strangers = sorted(p.name for p in self.folder.iterdir() if p.name not in ours)
            if strangers or any((self.folder / PARTS).glob("*")):
                raise ParameterError(
                    f"--out {where} is not empty and holds no streamfreq batch output "
                    f"(found {strangers[0] if strangers else PARTS}); choose a new or empty folder"
                )
        try:
            (self.folder / PARTS).mkdir(parents=True, exist_ok=True)
            if self.settings.plots:
                (self.folder / PLOTS).mkdir(exist_ok=True)
            self._lock = open(self.folder / LOCK, "a+b")  # noqa: SIM115  (held open until close())
        except OSError as error:
            raise OutputError(f"cannot create the output folder {where}: {error.strerror or error}") from None
        try:
            import fcntl
        except ImportError:  # not a POSIX system: no lock
            return
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            self._lock.close()
            self._lock = None
            busy = f"{where} is being written by another streamfreq batch; wait for it or use another --out"
            raise OutputError(busy) from error

    def _check_manifest(self, manifest: dict[str, object]) -> None:
        path = self.folder / MANIFEST
        where = repr(str(self.folder))
        if not path.exists():
            write_atomic(path, (json.dumps(manifest, indent=2) + "\n").encode())
            return
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            self.close()
            raise OutputError(f"cannot read {str(path)!r}: {error}") from None
        if found != manifest:
            self.close()
            raise ParameterError(f"--out {where} holds results made {_difference(found, manifest)}; use another --out")

    def _load_rows(self) -> dict[str, dict[str, str]]:
        path = self.folder / FILES
        if not path.exists():
            return {}
        try:
            with open(path, newline="", encoding="utf-8") as handle:
                return {row["path"]: row for row in csv.DictReader(handle)}
        except (OSError, ValueError, KeyError) as error:
            self.close()
            raise OutputError(f"cannot read {str(path)!r}: {error}") from None

    def _clean(self) -> None:
        """Remove temporary files, and parts and plots that no done row refers to."""
        done = [row for row in self.rows.values() if row.get("status") == "done"]
        keep = {part_name(row["path"]) for row in done} | {Path(row.get("plot") or "").name for row in done}
        for folder in (self.folder, self.folder / PARTS, self.folder / PLOTS):
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                stale = entry.name.startswith(".") and entry.name.endswith(".tmp")
                orphan = folder != self.folder and entry.name not in keep
                if entry.is_file() and (stale or orphan):
                    entry.unlink()

    # -- running ---------------------------------------------------------------------------------------

    def is_done(self, job: Job) -> bool:
        """True when ``job``'s file was analysed with these settings as it is now (and its plot exists if asked)."""
        row = self.rows.get(job.path)
        if row is None or row.get("status") != "done":
            return False
        if row.get("size") != str(job.size) or row.get("mtime_ns") != str(job.mtime_ns):
            return False
        if not (self.folder / PARTS / part_name(job.path)).is_file():
            return False
        return not self.settings.plots or bool(row.get("plot")) and (self.folder / row["plot"]).is_file()

    def record(self, result: FileResult) -> None:
        """Store one file's result: its part and plot (atomically), then its row (files.csv, periodically)."""
        job = result.job
        part = self.folder / PARTS / part_name(job.path)
        with _signals_held():  # a Ctrl-C or SIGTERM here would leave a part with no row: it waits for the row
            plot = self._write_outputs(result, part)
            row = {key: "" if value is None else str(value) for key, value in result.row.items()}
            row.update(path=job.path, plot=plot, size=str(job.size), mtime_ns=str(job.mtime_ns))
            self.rows[job.path] = row
            self._dirty = True
        if time.monotonic() - self._flushed >= FLUSH_SECONDS:
            self.flush()

    def _write_outputs(self, result: FileResult, part: Path) -> str:
        """Write (or, for a failed file, remove) the file's part and plot; return the plot's relative path or ""."""
        job = result.job
        plot = ""
        if result.done:
            if result.parquet is None:
                raise ValueError(f"a done result carries its readouts (none for {job.path!r})")
            write_atomic(part, result.parquet)
            if result.png is not None:
                plot = f"{PLOTS}/{Path(job.path).stem}-{part_name(job.path)[5:13]}.png"
                write_atomic(self.folder / plot, result.png)
        else:
            part.unlink(missing_ok=True)
        return plot

    def flush(self) -> None:
        """Rewrite files.csv (atomically) with every row so far, sorted by path."""
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=self.columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for path in sorted(self.rows):
            writer.writerow(self.rows[path])
        write_atomic(self.folder / FILES, text.getvalue().encode("utf-8"))
        self._dirty = False
        self._flushed = time.monotonic()

    def close(self) -> None:
        """Write what is pending and release the folder."""
        if self._lock is None:
            return
        try:
            if getattr(self, "_dirty", False):
                self.flush()
        finally:
            self._lock.close()
            self._lock = None


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the block (main thread only); deliver one that came once it ends.

    Example
    -------
    >>> with _signals_held():
    ...     pass
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    try:
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, lambda number, frame: caught.append(number))
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if caught:
            signal.raise_signal(caught[0])


def _difference(found: dict, wanted: dict) -> str:
    """How the manifest ``found`` differs from ``wanted``, in words."""
    old, new = found.get("settings") or {}, wanted["settings"]
    unknown = [key for key in new if key not in old]
    if old and unknown:
        return f"by an older streamfreq batch, which had no {', '.join(unknown)} setting"
    changed = [key for key in new if old.get(key) != new[key]]
    if changed:
        parts = ", ".join(f"{key} {_show(old.get(key))} (now {_show(new[key])})" for key in changed)
        return f"with other settings: {parts}"
    if found.get("layout") != wanted["layout"]:
        return "by another version of streamfreq batch"
    return "by estimators that gave other numbers (streamfreq or its model changed)"


def _show(value: object) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "default" if value is None else str(value)
