"""How smooth is streamfreq-gui? Redraw rate and GUI event-loop stalls, headless.

Runs the main window offscreen (``QT_QPA_PLATFORM=offscreen`` unless a
platform is set) on a live synth for a few seconds per scenario and prints a
table:

- ``fps``: redraws per second (timer ticks that updated the plots);
- ``tick p50/p99/max``: gaps between redraw ticks in ms (the timer asks for 20 ms);
- ``stall p99/max``: how late a 1 ms probe timer fires, in ms: any work that
  blocks the event loop (painting, Python in the GUI thread, a lock held by the
  engine) shows up here;
- ``dropped``: windows the engine skipped; ``latency``: sample arrival to readout, ms;
- ``gui cpu/frame``: CPU time of the GUI thread per redraw (includes painting and the probe);
  unlike the timings above it does not depend on how loaded the machine is.

Targets, at default settings: fps >= 30 and stall p99 <= 50 ms. The other rows are stress cases
(a noisy sweep draws longer paths; resizing the window four times a second re-renders every axis).

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
import pyqtgraph as pg  # noqa: E402
from PyQt6.QtCore import Qt, QTimer, qInstallMessageHandler  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from streamfreq.gui.app import quiet_qt_messages  # noqa: E402
from streamfreq.gui.theme import apply_theme  # noqa: E402
from streamfreq.gui.window import MainWindow  # noqa: E402

DEFAULT = "default 440 Hz"
SCENARIOS = {
    DEFAULT: {},
    "sweep + 10 dB noise": {"sweep": True, "snr": 10.0},
    "default + resizing": {"resize": True},
}


def measure(
    app: QApplication, seconds: float, fps: int, sweep: bool = False, snr: float | None = None, resize: bool = False
):
    """Run one scenario; return its row of figures."""
    window = MainWindow(fps=fps)
    window.resize(1280, 800)
    window.show()
    controls = window.controls
    if sweep:
        controls.sweep.setChecked(True)
    if snr is not None:
        controls.noise.setChecked(True)
        controls.snr.setValue(snr)
    window.start()
    window.wait_for(lambda: window.latest_readout() is not None, 5.0)
    probe_times: list[float] = []
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(1)
    probe.timeout.connect(lambda: probe_times.append(time.perf_counter()))
    sizes = [(1280, 800), (1000, 700)]
    resizer = QTimer()
    resizer.setInterval(250)
    resizer.timeout.connect(lambda: window.resize(*sizes[len(probe_times) % 2]))
    first_frame = window.frames
    first_tick = len(window.tick_times)
    began = time.perf_counter()
    cpu_began = time.thread_time()  # CPU time of the GUI thread only
    probe.start()
    if resize:
        resizer.start()
    window.wait_for(lambda: time.perf_counter() - began >= seconds, seconds + 5)
    elapsed = time.perf_counter() - began
    gui_cpu = time.thread_time() - cpu_began
    probe.stop()
    resizer.stop()
    frames = window.frames - first_frame
    cpu_per_frame = 1000 * gui_cpu / max(frames, 1)
    ticks = np.diff(np.array(list(window.tick_times)[first_tick:])) * 1000
    lateness = np.diff(np.array(probe_times)) * 1000 - 1.0
    snap = window.runner.state.snapshot()
    dropped = snap.stats.dropped_windows if snap.stats else 0
    latency = snap.latency * 1000
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
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per scenario (default 5)")
    parser.add_argument("--fps", type=int, default=50, help="redraw rate the window asks for (default 50)")
    parser.add_argument("--only", choices=tuple(SCENARIOS), help="run one scenario")
    args = parser.parse_args(argv)
    qInstallMessageHandler(quiet_qt_messages)
    pg.setConfigOptions(antialias=False)  # as the app does
    app = QApplication.instance() or QApplication(["gui_fps"])
    apply_theme(app)
    print(f"platform={app.platformName()} cpus={os.cpu_count()} load={os.getloadavg()[0]:.2f} seconds={args.seconds:g}")
    header = (
        f"{'scenario':<22} {'fps':>6} {'tick p50':>9} {'tick p99':>9} {'tick max':>9}"
        f" {'stall p99':>10} {'stall max':>10} {'dropped':>8} {'latency':>8} {'gui cpu/frame':>14}"
    )
    print(header)
    print("-" * len(header))
    verdict = None
    for name, options in SCENARIOS.items():
        if args.only and name != args.only:
            continue
        fps, t50, t99, tmax, s99, smax, dropped, latency, cpu = measure(app, args.seconds, args.fps, **options)
        if name == DEFAULT:
            verdict = fps >= 30 and s99 <= 50
        print(
            f"{name:<22} {fps:>6.1f} {t50:>7.1f}ms {t99:>7.1f}ms {tmax:>7.1f}ms"
            f" {s99:>8.1f}ms {smax:>8.1f}ms {dropped:>8d} {latency:>6.0f}ms {cpu:>12.1f}ms"
        )
    if verdict is not None:
        print(f"targets at default settings (fps >= 30, stall p99 <= 50 ms): {'met' if verdict else 'NOT met'}")
    return 0 if verdict in (None, True) else 1


if __name__ == "__main__":
    sys.exit(main())
