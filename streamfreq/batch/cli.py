"""``streamfreq batch PATH... --out DIR``: analyse whole corpora, resumably, on all cores or on Ray.

Exit codes: 0 every input done; 1 some inputs failed (one line with the count;
the reasons are in DIR/files.csv), or a run-time error; 2 bad arguments or an
output folder made with other settings; 130 interrupted (Ctrl-C or SIGTERM): what was
finished is stored, and the same command completes the batch.

Example
-------
>>> import os, tempfile, soundfile
>>> from streamfreq.signals import tone
>>> folder = tempfile.mkdtemp()
>>> soundfile.write(os.path.join(folder, "a.wav"), 0.5 * tone(8000, 100.0), 8000)
>>> main([folder, "--out", os.path.join(folder, "out"), "--estimators", "zc", "--workers", "1", "--quiet"])
0
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Sequence

from streamfreq.argparsing import ArgumentParser, report_error
from streamfreq.batch.job import FileResult, Settings
from streamfreq.batch.run import ENGINES, BatchReport, run_batch
from streamfreq.errors import StreamfreqError, missing_extra
from streamfreq.options import add_analysis_options, add_channel_option, estimator_names

PROG = "streamfreq batch"


def build_parser() -> ArgumentParser:
    """The argument parser of ``streamfreq batch``."""
    parser = ArgumentParser(
        prog=PROG,
        description="Analyse many audio files: one row per window in DIR/readouts.parquet, "
        "one row per file in DIR/files.csv. Rerun the same command to resume.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, folders (recursive), globs or @list.txt")
    parser.add_argument(
        "-o", "--out", required=True, metavar="DIR", help="output folder (created; resumed when it exists)"
    )
    add_analysis_options(parser)
    add_channel_option(parser)
    parser.add_argument("--engine", choices=ENGINES, default="local", help="local process pool or Ray (default local)")
    parser.add_argument("--workers", type=int, metavar="N", help="processes or actors (default: one per core)")
    parser.add_argument("--address", metavar="ADDR", help="Ray cluster to join (default: RAY_ADDRESS, else local)")
    parser.add_argument("--plots", action="store_true", help="also draw DIR/plots/<file>.png for every file")
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary line")
    return parser


def settings_from(args) -> Settings:
    """The batch settings the arguments ask for (every available estimator when none are named, in the order of
    :data:`~streamfreq.estimators.ESTIMATOR_NAMES` however they are listed: ``zc,fft`` is ``fft,zc``)."""
    from streamfreq.estimators import ESTIMATOR_NAMES, available_estimators

    names = estimator_names(args)
    if names is None:
        names = available_estimators()
    rank = {name: i for i, name in enumerate(ESTIMATOR_NAMES)}
    return Settings(
        estimators=tuple(sorted(names, key=lambda name: rank.get(name, len(rank)))),  # unknown names: refused later
        window=args.window,
        hop=args.hop,
        fmin=args.fmin,
        quiet_db=args.quiet_db,
        follow_notes=args.follow_notes,
        channel=args.channel,
        model_path=None if args.model is None else os.path.abspath(args.model),
        plots=args.plots,
    )


class Progress:
    """A tqdm bar on stderr: files, hours of audio, × real time and ETA (only when stderr is a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = None
        self.audio_seconds = 0.0
        self.began = time.perf_counter()

    def start(self, total: int) -> None:
        if not self.enabled or total == 0:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            raise missing_extra("tqdm", "batch") from None
        self.began = time.perf_counter()
        self.bar = tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True, smoothing=0.05)

    def update(self, result: FileResult) -> None:
        if self.bar is None:
            return
        if result.done:
            self.audio_seconds += float(result.row.get("seconds") or 0.0)
        speed = self.audio_seconds / max(time.perf_counter() - self.began, 1e-9)
        self.bar.set_postfix_str(f"{self.audio_seconds / 3600:.2f} h audio, {speed:.0f}× real time", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def summary(report: BatchReport, out: str) -> str:
    """The closing line for people.

    Example
    -------
    >>> summary(BatchReport(inputs=3, skipped=1, done=2, audio_seconds=7200, wall_seconds=36), "out")
    'streamfreq batch: 3 inputs: 2 analysed, 1 already done, 0 failed; 2.00 h of audio in 36.0 s (200× real time)'
    """
    speed = report.audio_seconds / report.wall_seconds if report.wall_seconds > 0 else 0.0
    return (
        f"{PROG}: {report.inputs} inputs: {report.done} analysed, {report.skipped} already done, "
        f"{report.failed} failed; {report.audio_seconds / 3600:.2f} h of audio in {report.wall_seconds:.1f} s "
        f"({speed:.0f}× real time)"
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``streamfreq batch`` (also reached as ``streamfreq batch ...``); returns the exit code."""
    parser = build_parser()
    args = parser.parse_intermixed_args(list(sys.argv[1:] if argv is None else argv))  # PATHs anywhere
    progress = Progress(enabled=not args.quiet and sys.stderr is not None and sys.stderr.isatty())
    previous = None
    if threading.current_thread() is threading.main_thread():  # SIGTERM ends the run as Ctrl-C does
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        report = run_batch(
            args.paths,
            args.out,
            settings_from(args),
            engine=args.engine,
            workers=args.workers,
            address=args.address,
            on_start=progress.start,
            on_result=progress.update,
        )
    except (StreamfreqError, ImportError) as error:
        return report_error(PROG, error)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; finished files are stored, run the same command to go on", file=sys.stderr)
        return 130
    finally:
        progress.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if not args.quiet:
        print(summary(report, args.out), file=sys.stderr)
    if report.failed:
        where = os.path.join(args.out, "files.csv")
        print(f"{PROG}: {report.failed} of {report.inputs} files failed; the reasons are in {where}", file=sys.stderr)
        return 1
    return 0
