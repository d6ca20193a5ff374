"""``streamfreq-gui``: argument parsing and the application entry point.

Automation flags make the app scriptable: ``--quit-after SECONDS`` quits by
itself and prints one summary line, ``--screenshot PATH`` saves a PNG of the
main window just before quitting.

Example
-------
Headless, from a shell::

    QT_QPA_PLATFORM=offscreen streamfreq-gui --source synth --freq 440 --quit-after 5 --screenshot shot.png
    frames=247 fps=49.6 readouts=461 dropped=0 last_fft=440.00 last_zc=440.01 last_lstm=null
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading
from collections.abc import Sequence

from streamfreq import __version__
from streamfreq.allocator import keep_freed_memory
from streamfreq.argparsing import ArgumentParser
from streamfreq.errors import ParameterError, check_range
from streamfreq.estimators import ESTIMATOR_NAMES
from streamfreq.gui import TONE_RANGE
from streamfreq.options import add_analysis_options, add_source_options, chosen_source, estimator_names
from streamfreq.sources import synth_rate, synth_schedule

#: The sources the app offers (standard input is for the command line).
SOURCES = ("synth", "mic", "file")
#: Options of ``streamfreq`` the app has no use for (ignored when it is opened with ``streamfreq --gui``).
CLI_ONLY = {"--duration": True, "--format": True, "--list-devices": False, "--pcm": True, "--channels": True}


def build_parser() -> argparse.ArgumentParser:
    """The ``streamfreq-gui`` argument parser: the command line's source and analysis options, and the app's own."""
    parser = ArgumentParser(
        prog="streamfreq-gui",
        description="Live frequency estimation on screen: tuner, history, waveform, spectrum, readouts.",
    )
    parser.add_argument("--version", action="version", version=f"streamfreq {__version__}")
    add_source_options(parser, SOURCES)
    add_analysis_options(parser)
    group = parser.add_argument_group("app")
    group.add_argument("--fps", type=int, default=50, help="redraws per second to aim for (default 50)")
    group.add_argument("--no-start", action="store_true", help="open without starting the source")
    group.add_argument("--quit-after", type=float, metavar="SECONDS", help="quit after SECONDS; print a summary line")
    group.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window just before quitting")
    group.add_argument("--gui", action="store_true", help=argparse.SUPPRESS)  # from `streamfreq --gui`
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; a file plays in real time, a sweep goes back and forth.

    Options only the command line has (``--format``, ``--duration`` ...) are
    ignored, with a note, when the app is opened with ``streamfreq --gui``.
    """
    parser = build_parser()
    argv = list(argv or [])
    if "--gui" in argv:
        kept, ignored, skip = [], [], False
        for item in argv:
            if skip:
                ignored.append(item)
                skip = False
            elif item.split("=")[0] in CLI_ONLY:
                ignored.append(item)
                skip = CLI_ONLY[item.split("=")[0]] and "=" not in item
            else:
                kept.append(item)
        if ignored:
            print(f"streamfreq-gui: ignoring {' '.join(ignored)}", file=sys.stderr)
        argv = kept
    args = parser.parse_args(argv)
    if args.quit_after is not None and not (0 < args.quit_after < 1e6):
        parser.error(f"--quit-after must be in 0..1000000 seconds (got {args.quit_after})")
    if not 1 <= args.fps <= 1000:
        parser.error(f"--fps must be in 1..1000 (got {args.fps})")
    names = estimator_names(args)
    if names is not None and (not names or any(name not in ESTIMATOR_NAMES for name in names)):
        parser.error(f"--estimators must be among {', '.join(ESTIMATOR_NAMES)} (got {args.estimators!r})")
    args.realtime = True
    args.sweep_repeat = True
    try:
        if chosen_source(args) not in SOURCES:
            raise ParameterError("the app reads no standard input: give --input an audio file's path")
        check_range("freq", args.freq, TONE_RANGE[0], min(TONE_RANGE[1], synth_rate(args) / 2))  # the app's boxes
        synth_schedule(args)
        if args.sweep:
            for end in args.sweep.split(":")[:2]:
                check_range("sweep F0 and F1", float(end), *TONE_RANGE)
    except ParameterError as error:
        parser.error(str(error))
    return args


def configure_process() -> None:
    """Process-wide settings the app runs with: no antialiasing, numpy's BLAS on one thread.

    The live session shortens the GIL switch interval itself. BLAS stays on one
    thread for the app's whole life: the GUI thread's numpy work between the
    engine's windows would otherwise wake OpenBLAS workers that spin (measured
    with ``benchmarks/gui_fps.py``: 163% of a core with them, 83% without).
    """
    import pyqtgraph as pg
    from threadpoolctl import threadpool_limits

    pg.setConfigOptions(antialias=False)  # antialiased lines cost ~5 ms each per frame in software rendering
    threadpool_limits(limits=1, user_api="blas")


def summary_line(window: object) -> str:
    """``frames=N fps=F readouts=R dropped=D last_fft=HZ last_zc=HZ last_lstm=HZ`` (``null`` where none)."""
    from streamfreq.gui.window import MainWindow

    assert isinstance(window, MainWindow)
    stats = window.stats
    dropped = stats.dropped_windows if stats is not None else 0

    def last(name: str) -> str:
        hz = window.latest_hz(name)
        return "null" if hz is None or not math.isfinite(hz) else f"{hz:.2f}"

    return (
        f"frames={window.frames} fps={window.fps():.1f} readouts={window.readout_count} dropped={dropped}"
        f" last_fft={last('fft')} last_zc={last('zc')} last_lstm={last('lstm')}"
    )


#: Qt messages that say nothing to a user (the offscreen platform cannot resize to size hints).
_NOISE = ("This plugin does not support propagateSizeHints()",)


def quiet_qt_messages(kind: object, context: object, message: str | None) -> None:
    """Qt's message handler: drop known noise, pass everything else to stderr as Qt would."""
    if message and not message.startswith(_NOISE):
        print(message, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app; returns the exit code.

    Parameters
    ----------
    argv
        Arguments without the program name (default: ``sys.argv[1:]``).
    """
    args = parse_args(sys.argv[1:] if argv is None else list(argv))
    keep_freed_memory()
    try:
        from PyQt6.QtCore import QTimer, qInstallMessageHandler
        from PyQt6.QtWidgets import QApplication
    except ImportError:
        print('streamfreq-gui: PyQt6 is not installed; install it with: pip install "streamfreq[gui]"', file=sys.stderr)
        return 1
    from streamfreq.gui.theme import apply_theme
    from streamfreq.gui.window import MainWindow

    qInstallMessageHandler(quiet_qt_messages)
    configure_process()
    app = QApplication.instance() or QApplication(["streamfreq-gui"])
    apply_theme(app)
    window = MainWindow(args)
    window.show()
    if not args.no_start:
        window.start()
    outcome = {"code": 0}

    def finish() -> None:
        if args.screenshot and not window.grab().save(args.screenshot, "PNG"):
            print(f"streamfreq-gui: cannot write {args.screenshot!r}", file=sys.stderr)
            outcome["code"] = 1
        line = summary_line(window)
        window.shutdown()
        print(line, flush=True)
        if window.last_error is not None and not window.readout_count:  # a scripted run that analysed nothing fails
            print(f"streamfreq-gui: error: {window.last_error}", file=sys.stderr)
            outcome["code"] = 1
        app.quit()

    if args.quit_after is not None:
        QTimer.singleShot(round(args.quit_after * 1000), finish)
    # Ctrl-C / SIGTERM quit cleanly (the redraw timer runs Python often enough for the handler to fire).
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, lambda *_: app.quit())
    try:
        app.exec()
    finally:
        window.shutdown()
        for number, handler in previous.items():
            signal.signal(number, handler)
    return outcome["code"]


if __name__ == "__main__":
    sys.exit(main())
