"""The ``streamfreq`` command: live frequency readouts from a synth, microphone, file or pipe.

Exit codes: 0 success (also after Ctrl-C or SIGTERM, once output is flushed),
1 run-time error (one line on stderr), 2 bad arguments.

Example
-------
>>> main(["--source", "synth", "--freq", "440", "--duration", "0.1", "--no-realtime",
...       "--estimators", "fft", "--format", "csv"])  # doctest: +ELLIPSIS
time,start,fft,truth,fft_status,fft_confidence
0.021333,0,440.0,440.0,ok,1.0
...
0
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from streamfreq import __version__
from streamfreq.allocator import keep_freed_memory
from streamfreq.argparsing import ArgumentParser, report_error
from streamfreq.errors import OutputError, StreamfreqError
from streamfreq.options import add_analysis_options, add_source_options, engine_settings
from streamfreq.output import FORMATS, make_writer
from streamfreq.sources import make_source
from streamfreq.windowing import no_whole_window

#: Subcommands with parsers of their own: ``streamfreq batch ...``, ``streamfreq plot ...`` (module of each).
SUBCOMMANDS = {"batch": "streamfreq.batch.cli", "plot": "streamfreq.plot"}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (its source and analysis options are shared with ``streamfreq-gui``)."""
    parser = ArgumentParser(
        prog="streamfreq",
        description=(
            "Estimate the pitch (the fundamental frequency) of a voice, an instrument or a tone, live, with an LSTM "
            "beside FFT and zero-crossing estimators."
        ),
        epilog="Corpora and pictures: `streamfreq batch PATH... --out DIR` and `streamfreq plot INPUT -o out.png` "
        "(each has its own --help).",
    )
    parser.add_argument("--version", action="version", version=f"streamfreq {__version__}")
    add_source_options(parser)
    add_analysis_options(parser)
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds of audio")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    parser.add_argument("--list-devices", action="store_true", help="list audio input devices and exit")
    parser.add_argument("--gui", action="store_true", help="open the desktop app instead (streamfreq-gui)")
    return parser


def run(args: argparse.Namespace) -> int:
    """Analyse the chosen source and write readouts to stdout; return the exit code.

    Every readout is written whole: a Ctrl-C or SIGTERM that arrives while a
    line is being written takes effect right after it (see :class:`_Signals`).
    Warnings (a truncated file, a failing estimator) go to stderr, once each,
    also when the run ends with an error.
    """
    from streamfreq.engine import Engine

    if sys.stdout is None:
        raise OutputError("standard output is closed; there is nowhere to write the readouts")
    source = make_source(args)
    engine = None
    warnings: list[str] = getattr(source, "warnings", [])
    shown = len(warnings)
    try:
        for warning in warnings[:shown]:
            _warn(warning)
        engine = Engine(source.samplerate, **engine_settings(args))  # type: ignore[arg-type]
        writer = make_writer(args.format, sys.stdout, engine.names, live=source.realtime)
        readouts = engine.run(source, duration=args.duration)
        try:
            for readout in readouts:
                _SIGNALS.defer()
                writer.write(readout)
                _SIGNALS.resume()
            if not (engine.stats.windows or engine.stats.skipped_windows or engine.stats.dropped_windows):
                warnings.append(no_whole_window(engine.window, engine.samplerate))
        except KeyboardInterrupt:
            pass  # Ctrl-C or SIGTERM: flush below, exit 0
        finally:
            _SIGNALS.defer()  # a second Ctrl-C must not cut the shutdown short; a third does
            readouts.close()  # stops and joins the live threads
            writer.finish()
            _SIGNALS.resume()
    finally:
        source.close()
        if engine is not None:
            if engine.stats.skipped_windows:
                _warn(f"{engine.stats.skipped_windows} window(s) held NaN or infinite samples and were skipped")
            for name, error in engine.stats.last_errors.items():
                count = engine.stats.estimator_errors[name]
                _warn(f"estimator {name} failed on {count} batch(es); its readouts say 'error': {error}")
        for warning in warnings[shown:]:  # found while reading (e.g. an incomplete last frame)
            _warn(warning)
    return 0


def _warn(text: str) -> None:
    print(f"streamfreq: warning: {text}", file=sys.stderr)


class _Signals:
    """SIGINT/SIGTERM raise KeyboardInterrupt, but never in the middle of writing a line.

    Between :meth:`defer` and :meth:`resume` a signal is noted and raised by
    :meth:`resume`, so JSONL/CSV output always ends with a whole line. A
    second signal while deferred raises at once (a reader that stopped
    reading cannot hold us forever). Two attribute writes per line: cheap
    enough for the per-readout loop.
    """

    def __init__(self) -> None:
        self.deferring = False
        self.pending = False

    def handler(self, signum: int, frame: object) -> None:
        """The SIGINT/SIGTERM handler (main thread)."""
        if self.deferring and not self.pending:
            self.pending = True
            return
        self.pending = self.deferring = False
        raise KeyboardInterrupt

    def defer(self) -> None:
        """Hold signals until :meth:`resume`."""
        self.deferring = True

    def resume(self) -> None:
        """Stop holding; raise KeyboardInterrupt if a signal came meanwhile."""
        self.deferring = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt


_SIGNALS = _Signals()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``streamfreq``; returns the exit code."""
    keep_freed_memory()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in SUBCOMMANDS:  # before the live options are parsed
        import importlib

        return importlib.import_module(SUBCOMMANDS[arguments[0]]).main(arguments[1:])
    if "--gui" in arguments:  # the app has options of its own (--quit-after, --screenshot): it parses them all
        from streamfreq.gui.app import main as gui_main

        return gui_main(arguments)
    parser = build_parser()
    args = parser.parse_args(arguments)
    previous = {}
    _SIGNALS.deferring = _SIGNALS.pending = False
    if _main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, _SIGNALS.handler)
    try:
        if args.list_devices:
            from streamfreq.sources.mic import format_devices

            print(format_devices())
            return 0
        return run(args)
    except (StreamfreqError, ImportError) as error:
        if isinstance(error, OutputError):
            _discard_stdout()  # what is still buffered cannot be written either
        return report_error(parser.prog, error)
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:
        _discard_stdout()  # the reader went away (e.g. `| head`): nothing left to flush to
        return 0
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so the flush at exit neither fails nor complains."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # no real file behind sys.stdout (tests, embedding)
        pass


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


if __name__ == "__main__":
    sys.exit(main())
