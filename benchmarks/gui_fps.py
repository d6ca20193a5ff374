"""How smooth is streamfreq-gui? Redraw rate and GUI event-loop stalls, headless.

Runs the main window offscreen (``QT_QPA_PLATFORM=offscreen`` unless a
platform is set) on a live synth for a few seconds per scenario and prints a
table. Each scenario runs twice on the same window, in the app's own event loop:

- a probed pass: a 1 ms probe timer runs beside the window;
  ``tick p50/p99/max``: gaps between redraw ticks in ms (the timer asks for 20 ms);
  ``stall p99/max``: how late the probe fires, in ms: any work that blocks the
  event loop (painting, Python in the GUI thread, a lock held by the engine)
  shows up here;
- a plain pass, as the app runs (the probe itself costs the GUI thread about
  0.3 ms a frame): ``fps``: redraws per second; ``gui cpu/frame``: CPU time of
  the GUI thread per redraw (Python and painting); ``cpu``: CPU time of the
  whole app (GUI, engine and source threads) per second, in % of one core;
- ``dropped``: windows the engine skipped; ``latency``: sample arrival to the newest readout drawn, ms.

Targets, at default settings (real-time synth, every estimator): fps >= 45, stall p99 <= 50 ms, cpu <= 50%;
resizing the window four times a second: stall p99 <= 50 ms. A noisy sweep draws longer paths.

Example
-------
::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_fps.py --seconds 5
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PyQt6.QtCore import QEventLoop, Qt, QTimer, qInstallMessageHandler  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from streamfreq.gui.app import configure_process, parse_args, quiet_qt_messages  # noqa: E402
from streamfreq.gui.theme import apply_theme  # noqa: E402
from streamfreq.gui.window import MainWindow  # noqa: E402

DEFAULT = "default 440 Hz"
RESIZING = "default + resizing"
SCENARIOS = {
    DEFAULT: {},
    "sweep + 10 dB noise": {"sweep": True, "snr": 10.0},
    RESIZING: {"resize": True},
}


def run_loop(seconds: float) -> float:
    """Run the event loop (as ``app.exec()`` does) for ``seconds``; return the seconds it ran."""
    loop = QEventLoop()
    QTimer.singleShot(round(1000 * seconds), loop.quit)
    began = time.perf_counter()
    loop.exec()
    return time.perf_counter() - began


def measure(
    app: QApplication, seconds: float, fps: int, sweep: bool = False, snr: float | None = None, resize: bool = False
):
    """Run one scenario (a probed pass, then a plain one); return its row of figures."""
    argv = ["--fps", str(fps)] + (["--sweep", "110:1760:4"] if sweep else []) + (["--snr", str(snr)] if snr else [])
    window = MainWindow(parse_args(argv))
    window.resize(1280, 800)
    window.show()
    window.start()
    window.wait_for(lambda: window.latest_readout() is not None, 5.0)
    probe_times: list[float] = []
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(1)
    probe.timeout.connect(lambda: probe_times.append(time.perf_counter()))
    sizes = [(1280, 800), (1000, 700)]
    flips = iter(range(1 << 30))
    resizer = QTimer()
    resizer.setInterval(250)
    resizer.timeout.connect(lambda: window.resize(*sizes[next(flips) % 2]))
    if resize:
        resizer.start()
    first_tick = len(window.tick_times)
    probe.start()
    run_loop(seconds)
    probe.stop()
    ticks = np.diff(np.array(list(window.tick_times)[first_tick:])) * 1000
    lateness = np.diff(np.array(probe_times)) * 1000 - 1.0
    first_frame = window.frames
    cpu_began = time.thread_time()  # CPU time of the GUI thread only
    process_began = time.process_time()  # and of every thread
    elapsed = run_loop(seconds)
    gui_cpu = time.thread_time() - cpu_began
    process_cpu = 100 * (time.process_time() - process_began) / elapsed
    resizer.stop()
    frames = window.frames - first_frame
    cpu_per_frame = 1000 * gui_cpu / max(frames, 1)
    dropped = window.stats.dropped_windows if window.stats else 0
    latency = 1000 * (time.monotonic() - window.last.arrival) if window.last else float("nan")
    window.shutdown()
    window.close()
    window.deleteLater()
    app.processEvents()
    return (
        frames / elapsed,
        np.percentile(ticks, 50),
        np.percentile(ticks, 99),
        ticks.max(),
        np.percentile(lateness, 99),
        lateness.max(),
        dropped,
        latency,
        cpu_per_frame,
        process_cpu,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per pass, two a scenario (default 5)")
    parser.add_argument("--fps", type=int, default=50, help="redraw rate the window asks for (default 50)")
    parser.add_argument("--only", choices=tuple(SCENARIOS), help="run one scenario")
    args = parser.parse_args(argv)
    qInstallMessageHandler(quiet_qt_messages)
    configure_process()  # as the app does
    app = QApplication.instance() or QApplication(["gui_fps"])
    apply_theme(app)
    print(f"platform={app.platformName()} cpus={os.cpu_count()} load={os.getloadavg()[0]:.2f} seconds={args.seconds:g}")
    header = (
        f"{'scenario':<22} {'fps':>6} {'tick p50':>9} {'tick p99':>9} {'tick max':>9}"
        f" {'stall p99':>10} {'stall max':>10} {'dropped':>8} {'latency':>8} {'gui cpu/frame':>14} {'cpu':>6}"
    )
    print(header)
    print("-" * len(header))
    verdict = None
    for name, options in SCENARIOS.items():
        if args.only and name != args.only:
            continue
        fps, t50, t99, tmax, s99, smax, dropped, latency, cpu, total = measure(app, args.seconds, args.fps, **options)
        if name == DEFAULT:
            verdict = fps >= 45 and s99 <= 50 and total <= 50
        if name == RESIZING:
            verdict = bool(verdict is not False and s99 <= 50)
        print(
            f"{name:<22} {fps:>6.1f} {t50:>7.1f}ms {t99:>7.1f}ms {tmax:>7.1f}ms"
            f" {s99:>8.1f}ms {smax:>8.1f}ms {dropped:>8d} {latency:>6.0f}ms {cpu:>12.1f}ms {total:>5.0f}%"
        )
    if verdict is not None:
        print(
            "targets (default: fps >= 45, stall p99 <= 50 ms, cpu <= 50%; resizing: stall p99 <= 50 ms): "
            f"{'met' if verdict else 'NOT met'}; load at end {os.getloadavg()[0]:.2f}"
        )
    return 0 if verdict in (None, True) else 1


if __name__ == "__main__":
    sys.exit(main())
