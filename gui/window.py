"""The main window: controls on the left; readouts, history, waveform and spectrum on the right; a status bar.

A :class:`~PyQt6.QtCore.QTimer` redraws from the runner's shared state at
``fps`` frames per second; the GUI thread never waits on the engine.

Example
-------
>>> import os; os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # doctest: +ELLIPSIS
'...'
>>> from PyQt6.QtWidgets import QApplication
>>> app = QApplication.instance() or QApplication([])
>>> window = MainWindow(estimators=["fft", "zc"])
>>> window.start()
>>> window.wait_for(lambda: window.latest_hz("fft") is not None, 5.0)
True
>>> round(window.latest_hz("fft"))
440
>>> window.close()
True
"""

from __future__ import annotations

import collections
import dataclasses
import math
import time
from collections.abc import Callable

from PyQt6.QtCore import QElapsedTimer, Qt, QTimer
from PyQt6.QtGui import QCloseEvent
from PyQt6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from streamfreq.gui.controls import ControlPanel
from streamfreq.gui.engine_thread import HISTORY_SECONDS, EngineRunner, RepeatingSweep, Snapshot
from streamfreq.gui.history import Trail
from streamfreq.gui.plots import HistoryPlot, SpectrumPlot, WaveformPlot
from streamfreq.gui.readouts import ReadoutPanel
from streamfreq.readout import Readout
from streamfreq.signals import Constant

#: Redraws per second the timer asks for.
DEFAULT_FPS = 50
#: Readout card refreshes per second.
CARDS_HZ = 12
#: Status bar refreshes per second (text changes relayout; no need for more).
STATUS_HZ = 4


def usable_estimators() -> list[str]:
    """Every estimator that can run here; ``["fft", "zc"]`` when the registry cannot tell."""
    try:
        from streamfreq.estimators import available_estimators

        return list(available_estimators())
    except Exception:  # the LSTM module may be missing or broken: the classical estimators still work
        return ["fft", "zc"]


class MainWindow(QMainWindow):
    """The streamfreq desktop app.

    Parameters
    ----------
    estimators
        Estimators offered (default: every available one).
    fps
        Redraw rate.
    """

    def __init__(self, estimators: list[str] | None = None, fps: int = DEFAULT_FPS) -> None:
        super().__init__()
        self.setWindowTitle("streamfreq")
        self.names = list(estimators) if estimators is not None else usable_estimators()
        self.runner = EngineRunner()
        self.controls = ControlPanel(self.names)
        self.readouts = ReadoutPanel(self.names)
        self.history = HistoryPlot(HISTORY_SECONDS, self.names)
        self.waveform = WaveformPlot()
        self.spectrum = SpectrumPlot()
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #ef9a9a; padding: 2px 4px;")
        self.error_label.setVisible(False)
        self.message_box: QMessageBox | None = None
        self.last_error: str | None = None
        self.unavailable: set[str] = set()
        self._build_layout()
        self._build_status_bar()
        self._connect()

        self.frames = 0
        self.tick_times: collections.deque[float] = collections.deque(maxlen=100_000)
        self._clock = QElapsedTimer()
        self._seen_error = 0
        self._seen_run = -1
        self._seen_count = -1
        self._last_status = 0.0
        self.trail = Trail(["fft", "zc", "lstm"], HISTORY_SECONDS)
        self._last_cards = 0.0
        self._checked_names = False
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(max(1, round(1000 / fps)))
        self.timer.timeout.connect(self.redraw)
        self.timer.start()
        self.resize(1280, 800)
        self.setMinimumSize(1000, 620)

    # -- layout --------------------------------------------------------------------------------

    def _build_layout(self) -> None:
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.readouts)
        column.addWidget(self.error_label)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.waveform)
        bottom.addWidget(self.spectrum)
        plots = QSplitter(Qt.Orientation.Vertical)
        for splitter in (bottom, plots):
            splitter.setHandleWidth(6)
            splitter.setStyleSheet("QSplitter::handle { background: transparent; }")
        plots.addWidget(self.history)
        plots.addWidget(bottom)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 2)
        column.addWidget(plots, 1)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(8, 8, 8, 4)
        row.addWidget(self.controls)
        row.addWidget(right, 1)
        self.setCentralWidget(central)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_labels: dict[str, QLabel] = {}
        for key in ("state", "rate", "losses", "cost", "latency", "fps"):
            label = QLabel("")
            label.setContentsMargins(6, 0, 6, 0)
            self.status_labels[key] = label
            bar.addPermanentWidget(label, 1 if key in ("losses", "cost") else 0)

    def _connect(self) -> None:
        self.controls.start_requested.connect(self.start)
        self.controls.stop_requested.connect(self.stop)
        self.controls.restart_needed.connect(self._restart_if_running)
        self.controls.tone_changed.connect(self.apply_tone)
        self.controls.estimator_toggled.connect(self.runner.set_enabled)

    # -- actions -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start (or restart) the run the controls describe."""
        self.clear_error()
        self.trail.clear()
        config = self.controls.config()
        if self.unavailable:  # e.g. the LSTM without its model: say so once, then run without it
            config = dataclasses.replace(
                config, estimators=tuple(n for n in config.estimators if n not in self.unavailable)
            )
        self.runner.start(config)

    def stop(self) -> None:
        """Stop the run; the last readouts stay on screen."""
        self.runner.stop()

    def _restart_if_running(self) -> None:
        if self.runner.running:
            self.start()

    def apply_tone(self) -> None:
        """Send the synth frequency or sweep to the running synth (phase-continuous, no restart)."""
        sweep = self.controls.sweep_spec()
        if sweep is None:
            schedule: object = Constant(self.controls.freq.value())
        else:
            schedule = RepeatingSweep(*sweep, t0=self.runner.stream_seconds())
        self.runner.set_schedule(schedule)

    def show_error(self, text: str) -> None:
        """Show ``text`` in a non-modal message box and above the plots; the app stays usable."""
        self.last_error = text
        self.error_label.setText(text)
        self.error_label.setVisible(True)
        self.statusBar().showMessage(text, 10_000)
        if self.message_box is None:
            self.message_box = QMessageBox(QMessageBox.Icon.Warning, "streamfreq", "", parent=self)
            self.message_box.setWindowModality(Qt.WindowModality.NonModal)
        self.message_box.setText(text)
        self.message_box.show()

    def clear_error(self) -> None:
        """Hide the error line (the message box is closed by the user)."""
        self.error_label.setVisible(False)

    def wait_for(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Run the event loop until ``condition()`` holds or ``timeout`` seconds pass (for scripts)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return False
            QApplication.processEvents()
            time.sleep(0.005)
        return True

    # -- readings for scripts and tests --------------------------------------------------------

    def latest_readout(self) -> Readout | None:
        """The newest readout of the current run."""
        readouts = self.runner.state.readouts
        with self.runner.state.lock:
            return readouts[-1] if readouts else None

    def latest_hz(self, name: str) -> float | None:
        """The newest frequency ``name`` reported (None: none, or switched off)."""
        readout = self.latest_readout()
        box = self.controls.toggles.get(name)
        if readout is None or (box is not None and not box.isChecked()):
            return None
        return readout.hz(name)

    def fps(self) -> float:
        """Redraws per second since the window was first drawn."""
        seconds = self._clock.elapsed() / 1000 if self._clock.isValid() else 0.0
        return (self.frames - 1) / seconds if self.frames > 1 and seconds > 0 else 0.0

    # -- drawing -------------------------------------------------------------------------------

    def redraw(self) -> None:
        """One frame: read the shared state, update every plot and readout."""
        now = time.perf_counter()
        if not self._clock.isValid():
            self._clock.start()
        self.tick_times.append(now)
        snap = self.runner.state.snapshot()
        if snap.error_serial != self._seen_error:
            self._seen_error = snap.error_serial
            if snap.error:
                self.show_error(snap.error)
        if snap.run_serial != self._seen_run:
            self._seen_run = snap.run_serial
            self.trail.clear()
            self._checked_names = False
        if snap.names and not self._checked_names:
            self._checked_names = True
            self._mark_unavailable(snap)
        if snap.readout_count != self._seen_count:
            self._seen_count = snap.readout_count
            if snap.readouts:
                self._draw_readouts(snap)
        if now - self._last_status >= 1 / STATUS_HZ:
            self._last_status = now
            self._draw_status(snap)
        self.frames += 1

    def _mark_unavailable(self, snap: Snapshot) -> None:
        """Grey out the estimators a run asked for but could not build (the error was shown)."""
        config = self.runner.config
        asked = config.estimators if config is not None else ()
        for name in asked:
            if name not in snap.names:
                self.unavailable.add(name)
        for name, box in self.controls.toggles.items():
            if name in self.unavailable:
                box.blockSignals(True)
                box.setChecked(False)
                box.blockSignals(False)
                box.setEnabled(False)
                box.setText(f"{box.text().split(' (')[0]} (not available)")
                self.history.hide_trace(name)
                box.setToolTip(f"{name} is not available here: {self.last_error or 'it failed to load'}")

    def _enabled(self) -> list[str]:
        return [name for name, box in self.controls.toggles.items() if box.isChecked()]

    def _draw_readouts(self, snap: Snapshot) -> None:
        last = snap.readouts[-1]
        enabled = [name for name in self._enabled() if name in last.estimates]
        now = time.perf_counter()
        numbers = now - self._last_cards >= 1 / CARDS_HZ  # figures changing 50 times a second cannot be read
        if numbers:
            self._last_cards = now
            self._draw_cards(snap, last, enabled)
        self.trail.add(snap.readouts)
        times = self.trail.times - last.time
        traces = {name: self.trail.column(name) for name in [*enabled, "truth"]}
        self.history.update_traces(times, traces)
        ring = self.runner.state.ring
        if ring is not None and snap.run_serial == self.runner.state.run_serial:
            samples = ring.read(last.start, last.window)
            if samples is None:
                samples = ring.latest(last.window)
            self.waveform.update_window(samples, last.samplerate)
            self.spectrum.update_window(samples, last.samplerate)
        self.spectrum.mark({name: last.hz(name) for name in enabled}, label=numbers)

    def _draw_cards(self, snap: Snapshot, last: Readout, enabled: list[str]) -> None:
        for name, card in self.readouts.cards.items():
            if name == "truth":
                card.show_truth(last.truth if math.isfinite(last.truth) else None)
            else:
                card.setEnabled(name in enabled)
                card.show_estimate(last.estimates.get(name) if name in enabled else None)
                if name not in enabled:
                    card.status_label.setText("off" if name in snap.names or name in last.estimates else "n/a")

    def _draw_status(self, snap: Snapshot) -> None:
        labels = self.status_labels
        last = snap.readouts[-1] if snap.readouts else None
        if snap.running:
            labels["state"].setText("● running" if last is not None else "● starting…")
            labels["state"].setStyleSheet("color: #81c784;")
        else:
            labels["state"].setText("■ stopped")
            labels["state"].setStyleSheet("color: #90a4ae;")
        labels["rate"].setText(f"{snap.samplerate:g} Hz" if math.isfinite(snap.samplerate) else "— Hz")
        stats = snap.stats
        if last is not None and stats is not None:
            labels["losses"].setText(
                f"overflows {last.input_overflows} · overruns {last.overrun_samples} · dropped {stats.dropped_windows}"
            )
            labels["losses"].setToolTip(
                f"input overflows: {last.input_overflows} (audio lost before streamfreq saw it)\n"
                f"ring overruns: {last.overrun_samples} samples (the engine read too late)\n"
                f"dropped windows: {stats.dropped_windows} (skipped to keep latency bounded)\n"
                f"dropped readouts: {stats.dropped_readouts} (the display fell behind)"
            )
            costs = " · ".join(f"{name} {stats.ms_per_window(name):.2f}" for name in snap.names)
            labels["cost"].setText(f"ms/window {costs}")
        if last is not None and math.isfinite(snap.latency) and snap.running:
            age = 1000 * (time.monotonic() - last.arrival)  # the newest readout's age as it is drawn
            labels["latency"].setText(f"latency {1000 * snap.latency:.0f} ms, {age:.0f} ms to screen")
        else:
            labels["latency"].setText("")
        labels["fps"].setText(f"{self.fps():.0f} fps")

    # -- shutdown ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop the timer and the run, and wait briefly for the audio to be released."""
        self.timer.stop()
        self.runner.stop()
        self.runner.join(3.0)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.shutdown()
        super().closeEvent(event)
