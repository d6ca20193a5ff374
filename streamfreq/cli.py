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
from streamfreq.errors import OutputError, ParameterError, StreamfreqError
from streamfreq.output import FORMATS, make_writer
from streamfreq.sources.stdin import PCM_FORMATS

SOURCES = ("synth", "mic", "file", "stdin")
#: Subcommands with parsers of their own: ``streamfreq batch ...``, ``streamfreq plot ...`` (module of each).
SUBCOMMANDS = {"batch": "streamfreq.batch.cli", "plot": "streamfreq.plot"}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (shared with ``streamfreq-gui`` for the options they have in common)."""
    parser = argparse.ArgumentParser(
        prog="streamfreq",
        description="Estimate the frequency of a tone, live, with an LSTM beside FFT and zero-crossing estimators.",
    )
    parser.add_argument("--version", action="version", version=f"streamfreq {__version__}")
    parser.add_argument("--source", choices=SOURCES, default="synth", help="where the audio comes from")
    parser.add_argument("--input", metavar="PATH", help="audio file for --source file")
    parser.add_argument("--freq", type=float, default=440.0, metavar="HZ", help="synth frequency (default 440)")
    parser.add_argument("--sweep", metavar="F0:F1:SECONDS", help="synth: sweep from F0 to F1 Hz over SECONDS")
    parser.add_argument("--sweep-scale", choices=("linear", "log"), default="log", help="synth sweep spacing")
    parser.add_argument("--steps", metavar="HZ,HZ,...", help="synth: step through these frequencies")
    parser.add_argument("--step-seconds", type=float, default=1.0, metavar="S", help="synth: seconds per step")
    parser.add_argument("--amplitude", type=float, default=0.5, help="synth peak amplitude (default 0.5)")
    parser.add_argument("--snr", type=float, metavar="DB", help="synth: add white noise at this per-sample SNR")
    parser.add_argument("--seed", type=int, default=0, help="synth noise seed")
    parser.add_argument("--samplerate", type=float, metavar="HZ", help="synth/stdin rate; mic rate to request")
    parser.add_argument("--pcm", choices=tuple(PCM_FORMATS), default="s16le", help="stdin sample format")
    parser.add_argument("--channels", type=int, default=1, help="stdin: interleaved channels")
    parser.add_argument("--channel", type=int, metavar="N", help="analyse channel N (0-based); default: mix down")
    parser.add_argument("--window", type=int, default=2048, metavar="N", help="window length in samples")
    parser.add_argument("--hop", type=int, default=512, metavar="N", help="samples between windows")
    parser.add_argument("--estimators", metavar="LIST", help="comma-separated: fft,zc,lstm (default: all available)")
    parser.add_argument("--model", metavar="PATH", help="LSTM model file instead of the shipped one")
    parser.add_argument("--duration", type=float, metavar="S", help="stop after S seconds of audio")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")
    parser.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pace synth/file input by the clock (default: synth yes, file/stdin no)",
    )
    parser.add_argument("--device", metavar="ID", help="microphone: index or part of the name")
    parser.add_argument("--list-devices", action="store_true", help="list audio input devices and exit")
    parser.add_argument("--gui", action="store_true", help="open the desktop app instead (streamfreq-gui)")
    return parser


def make_source(args: argparse.Namespace):
    """Open the source the arguments describe."""
    if args.source == "synth":
        from streamfreq.sources.synth import SynthSource

        return SynthSource(
            args.freq,
            args.samplerate or 48000.0,
            schedule=synth_schedule(args),
            amplitude=args.amplitude,
            snr_db=args.snr,
            realtime=True if args.realtime is None else args.realtime,
            seed=args.seed,
        )
    if args.source == "file":
        if not args.input:
            raise ParameterError("--input PATH is required with --source file")
        from streamfreq.sources.file import FileSource

        return FileSource(args.input, channel=args.channel, realtime=bool(args.realtime))
    if args.source == "stdin":
        if args.samplerate is None:
            raise ParameterError("--samplerate HZ is required with --source stdin (raw PCM has no header)")
        from streamfreq.sources.stdin import StdinSource

        return StdinSource(samplerate=args.samplerate, pcm=args.pcm, channels=args.channels, channel=args.channel)
    from streamfreq.sources.mic import MicSource

    return MicSource(device=args.device, samplerate=args.samplerate, channel=args.channel)


def synth_schedule(args: argparse.Namespace):
    """The synth's frequency schedule from --sweep/--steps (None: constant --freq)."""
    from streamfreq.signals import LinearSweep, LogSweep, Steps

    if args.sweep and args.steps:
        raise ParameterError("use either --sweep or --steps, not both")
    if args.sweep:
        try:
            start, stop, seconds = (float(part) for part in args.sweep.split(":"))
        except ValueError:
            raise ParameterError(f"sweep must look like F0:F1:SECONDS, e.g. 100:2000:5 (got {args.sweep!r})") from None
        if not (start > 0 and stop > 0 and seconds > 0):
            raise ParameterError(f"sweep needs positive F0, F1 and SECONDS (got {args.sweep!r})")
        return (LogSweep if args.sweep_scale == "log" else LinearSweep)(start, stop, seconds)
    if args.steps:
        try:
            values = [float(part) for part in args.steps.split(",")]
        except ValueError:
            raise ParameterError(f"steps must be comma-separated Hz, e.g. 440,880 (got {args.steps!r})") from None
        return Steps([(i * args.step_seconds, hz) for i, hz in enumerate(values)])
    return None


def run(args: argparse.Namespace) -> int:
    """Analyse the chosen source and write readouts to stdout; return the exit code.

    Every readout is written whole: a Ctrl-C or SIGTERM that arrives while a
    line is being written takes effect right after it (see :class:`_Signals`).
    Warnings (a truncated file, a failing estimator) go to stderr, once each,
    also when the run ends with an error.
    """
    from streamfreq.engine import Engine

    names = None if args.estimators is None else [n.strip() for n in args.estimators.split(",") if n.strip()]
    if sys.stdout is None:
        raise OutputError("standard output is closed; there is nowhere to write the readouts")
    source = make_source(args)
    engine = None
    warnings: list[str] = getattr(source, "warnings", [])
    shown = len(warnings)
    try:
        for warning in warnings[:shown]:
            _warn(warning)
        engine = Engine(source.samplerate, args.window, args.hop, names, model_path=args.model)
        writer = make_writer(args.format, sys.stdout, engine.names, live=source.realtime)
        readouts = engine.run(source, duration=args.duration)
        try:
            for readout in readouts:
                _SIGNALS.defer()
                writer.write(readout)
                _SIGNALS.resume()
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
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in SUBCOMMANDS:
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
    except ParameterError as error:
        parser.print_usage(sys.stderr)
        print(f"streamfreq: error: {error}", file=sys.stderr)
        return 2
    except (StreamfreqError, ImportError) as error:
        if isinstance(error, OutputError):
            _discard_stdout()  # what is still buffered cannot be written either
        print(f"streamfreq: error: {error}", file=sys.stderr)
        return 1
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
