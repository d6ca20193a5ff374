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

SOURCES = ("synth", "mic", "file")


def build_parser() -> argparse.ArgumentParser:
    """The ``streamfreq-gui`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="streamfreq-gui",
        description="Live frequency estimation on screen: waveform, spectrum, history and side-by-side readouts.",
    )
    parser.add_argument("--version", action="version", version=f"streamfreq {__version__}")
    parser.add_argument("--source", choices=SOURCES, default="synth", help="where the audio comes from")
    parser.add_argument("--freq", type=float, default=440.0, metavar="HZ", help="synth frequency (default 440)")
    parser.add_argument("--sweep", metavar="F0:F1:SECONDS", help="synth: sweep F0 -> F1 -> F0 Hz, SECONDS each way")
    parser.add_argument("--snr", type=float, metavar="DB", help="synth: add white noise at this per-sample SNR")
    parser.add_argument("--device", metavar="ID", help="microphone: index or part of the name")
    parser.add_argument("--input", metavar="PATH", help="audio file for --source file (played in real time)")
    parser.add_argument("--window", type=int, default=2048, metavar="N", help="window length in samples")
    parser.add_argument("--hop", type=int, default=512, metavar="N", help="samples between windows")
    parser.add_argument("--estimators", metavar="LIST", help="comma-separated: fft,zc,lstm (default: all available)")
    parser.add_argument("--fps", type=int, default=50, help="redraws per second to aim for (default 50)")
    parser.add_argument("--no-start", action="store_true", help="open without starting the source")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS", help="quit after SECONDS; print a summary line")
    parser.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window just before quitting")
    parser.add_argument("--gui", action="store_true", help=argparse.SUPPRESS)  # from `streamfreq --gui`
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; options only the command-line tool knows (via ``streamfreq --gui``) are ignored."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    stray = [item for item in unknown if not item.startswith("-")]
    if stray and not args.gui:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if unknown:
        print(f"streamfreq-gui: ignoring {' '.join(unknown)}", file=sys.stderr)
    if args.sweep:
        try:
            low, high, seconds = (float(part) for part in args.sweep.split(":"))
        except ValueError:
            parser.error(f"--sweep must look like F0:F1:SECONDS, e.g. 110:1760:4 (got {args.sweep!r})")
        if not (20 <= low <= 20000 and 20 <= high <= 20000 and 0.5 <= seconds <= 600):
            parser.error(f"--sweep needs F0, F1 in 20..20000 Hz and SECONDS in 0.5..600 (got {args.sweep!r})")
        args.sweep = (low, high, seconds)
    if args.quit_after is not None and not (0 < args.quit_after < 1e6):
        parser.error(f"--quit-after must be in 0..1000000 seconds (got {args.quit_after})")
    if args.fps < 1 or args.fps > 1000:
        parser.error(f"--fps must be in 1..1000 (got {args.fps})")
    return args


def summary_line(window: object) -> str:
    """``frames=N fps=F readouts=R dropped=D last_fft=HZ last_zc=HZ last_lstm=HZ`` (``null`` where none)."""
    from streamfreq.gui.window import MainWindow

    assert isinstance(window, MainWindow)
    snap = window.runner.state.snapshot()
    dropped = snap.stats.dropped_windows if snap.stats is not None else 0

    def last(name: str) -> str:
        hz = window.latest_hz(name)
        return "null" if hz is None or not math.isfinite(hz) else f"{hz:.2f}"

    return (
        f"frames={window.frames} fps={window.fps():.1f} readouts={snap.readout_count} dropped={dropped}"
        f" last_fft={last('fft')} last_zc={last('zc')} last_lstm={last('lstm')}"
    )


#: Qt messages that say nothing to a user (the offscreen platform cannot resize to size hints).
_NOISE = ("This plugin does not support propagateSizeHints()",)


def quiet_qt_messages(kind: object, context: object, message: str | None) -> None:
    """Qt's message handler: drop known noise, pass everything else to stderr as Qt would."""
    if message and not message.startswith(_NOISE):
        print(message, file=sys.stderr)


def configure(window: object, args: argparse.Namespace) -> None:
    """Set the controls from the command line."""
    controls = window.controls  # type: ignore[attr-defined]
    controls.set_source(args.source)
    controls.freq.setValue(args.freq)
    if args.sweep:
        low, high, seconds = args.sweep
        controls.sweep_low.setValue(low)
        controls.sweep_high.setValue(high)
        controls.sweep_seconds.setValue(seconds)
        controls.sweep.setChecked(True)
    if args.snr is not None:
        controls.noise.setChecked(True)
        controls.snr.setValue(args.snr)
    if args.device is not None:
        controls.set_device(int(args.device) if args.device.isdigit() else args.device)
    if args.input:
        controls.path.setText(args.input)
    for box, value in ((controls.window, args.window), (controls.hop, args.hop)):
        index = box.findData(value)
        if index < 0:
            box.addItem(f"{value} samples", value)
            index = box.count() - 1
        box.setCurrentIndex(index)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app; returns the exit code.

    Parameters
    ----------
    argv
        Arguments without the program name (default: ``sys.argv[1:]``).
    """
    args = parse_args(sys.argv[1:] if argv is None else list(argv))
    try:
        from PyQt6.QtCore import QTimer, qInstallMessageHandler
        from PyQt6.QtWidgets import QApplication
    except ImportError:
        print('streamfreq-gui: PyQt6 is not installed; install it with: pip install "streamfreq[gui]"', file=sys.stderr)
        return 1
    import pyqtgraph as pg

    from streamfreq.gui.theme import apply_theme
    from streamfreq.gui.window import MainWindow, usable_estimators

    qInstallMessageHandler(quiet_qt_messages)
    pg.setConfigOptions(antialias=False)  # antialiased lines cost ~5 ms each per frame in software rendering
    app = QApplication.instance() or QApplication(["streamfreq-gui"])
    apply_theme(app)
    names = usable_estimators()
    if args.estimators:
        names = [name.strip() for name in args.estimators.split(",") if name.strip()]
        unknown = [name for name in names if name not in ("fft", "zc", "lstm")]
        if unknown or not names:
            print(f"streamfreq-gui: estimators must be among fft, zc, lstm (got {args.estimators})", file=sys.stderr)
            return 2
    window = MainWindow(estimators=names, fps=args.fps)
    configure(window, args)
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
