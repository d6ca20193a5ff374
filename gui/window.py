"""The main window: controls on the left; tuner and readouts, history, waveform and spectrum on the right.

A :class:`~PyQt6.QtCore.QTimer` redraws ``fps`` times a second from the
engine's live session: it drains the new readouts (never waiting) and reads
the newest window's samples from the engine's ring. The app keeps no audio
and runs no estimator itself.

Example
-------
>>> import os; os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # doctest: +ELLIPSIS
'...'
>>> from PyQt6.QtWidgets import QApplication
>>> from streamfreq.gui.app import parse_args
>>> app = QApplication.instance() or QApplication([])
>>> window = MainWindow(parse_args(["--estimators", "fft,zc"]))
>>> window.start()
>>> window.wait_for(lambda: window.latest_hz("fft") is not None, 5.0)
True
>>> round(window.latest_hz("fft"))
440
>>> window.close()
True
"""

from __future__ import annotations

import argparse
import collections
import math
import time
from collections.abc import Callable

import numpy as np
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

from streamfreq.errors import StreamfreqError
from streamfreq.estimators import ESTIMATOR_NAMES, available_estimators
from streamfreq.gui.controls import ControlPanel
from streamfreq.gui.history import Trail
from streamfreq.gui.live import Runner, describe_error
from streamfreq.gui.plots import HistoryPlot, SpectrumPlot, WaveformPlot
from streamfreq.gui.readouts import ReadoutPanel, pitch, steady
from streamfreq.options import estimator_names
from streamfreq.readout import EngineStats, Readout
from streamfreq.windowing import no_whole_window

#: Seconds of history on screen.
HISTORY_SECONDS = 10.0
#: Readout card refreshes per second.
CARDS_HZ = 12
#: Status bar refreshes per second (text changes relayout; no need for more).
STATUS_HZ = 4


class MainWindow(QMainWindow):
    """The streamfreq desktop app.

    Parameters
    ----------
    args
        The parsed options (:func:`streamfreq.gui.app.parse_args`): the
        controls start from them, and what they do not show (amplitude, steps,
        channel, fmin, model ...) is used as given.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__()
        self.setWindowTitle("streamfreq")
        self.args = args
        asked = estimator_names(args) or [n for n in ESTIMATOR_NAMES if n in available_estimators()]
        self.runner = Runner(asked, args.model)
        self.names = list(asked)
        self.controls = ControlPanel(self.names)
        self.controls.configure(args)
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
        self._build_layout()
        self._build_status_bar()
        self._connect()

        self.frames = 0
        self.readout_count = 0
        self.last: Readout | None = None
        self.stats: EngineStats | None = None
        self.tick_times: collections.deque[float] = collections.deque(maxlen=100_000)
        self._clock = QElapsedTimer()
        self._last_status = 0.0
        self._last_cards = 0.0
        self._reported: object = None  # the session whose end was reported
        self.trail = Trail(self.names, HISTORY_SECONDS)
        self.pitches: collections.deque[tuple[float, float]] = collections.deque(maxlen=256)  # (time, tuner Hz)
        self._mark_unavailable()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(max(1, round(1000 / args.fps)))
        self.timer.timeout.connect(self.redraw)
        self.timer.start()
        self.resize(1280, 800)
        self.setMinimumSize(1200, 620)  # the readouts row needs about 880 px beside the 290 px of controls

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
        """Start (or restart) the run the controls describe; a failure is shown, the app stays usable.

        The last run's readouts, traces, window and figures are cleared first, so that nothing on screen
        belongs to another run (a failed start leaves the screen empty, with the message).
        """
        self.clear_error()
        self.trail.clear()
        self.pitches.clear()
        self.last = None
        self.stats = None
        self._clear_display()
        try:
            session = self.runner.start(self.controls.settings(self.args))
        except (StreamfreqError, ImportError, OSError) as error:
            self.show_error(describe_error(error))
            return
        self.stats = session.stats

    def stop(self) -> None:
        """Stop the run; the last readouts stay on screen."""
        self.runner.stop()

    def _restart_if_running(self) -> None:
        if self.runner.session is None or not self.runner.session.running:
            return
        if self.controls.source.currentData() == "file" and not self.controls.path.text().strip():
            self.stop()  # "Audio file" chosen while running: wait for the file to be opened
            return
        self.start()

    def apply_tone(self) -> None:
        """Send the synth frequency or sweep to the running synth (phase-continuous, no restart); a tone the synth
        cannot make (above half its samplerate) is shown as an error and the synth keeps its tone."""
        try:
            self.runner.set_tone(self.controls.settings(self.args))
        except StreamfreqError as error:
            self.show_error(describe_error(error))

    def show_error(self, text: str) -> None:
        """Show ``text`` in a non-modal message box and above the plots (the status bar's permanent figures leave
        no room for it there); the app stays usable."""
        self.last_error = text
        self.error_label.setText(text)
        self.error_label.setVisible(True)
        if self.message_box is None:
            self.message_box = QMessageBox(QMessageBox.Icon.Warning, "streamfreq", "", parent=self)
            self.message_box.setWindowModality(Qt.WindowModality.NonModal)
        self.message_box.setText(text)
        self.message_box.show()

    def clear_error(self) -> None:
        """Hide the error line (the message box is closed by the user)."""
        self.error_label.setVisible(False)

    def _clear_display(self) -> None:
        """Empty the cards, the tuner, the traces, the window's waveform and spectrum, and the run's figures."""
        for name, card in self.readouts.cards.items():
            if name == "truth":
                card.show_truth(None)
            else:
                card.show_estimate(None)
        self.readouts.tuner.show_pitch(None, None)
        self.history.update_traces(np.empty(0), {}, 1.0)
        self.waveform.curve.setData(np.empty(0), np.empty(0))
        self.spectrum.curve.setData(np.empty(0), np.empty(0))
        self.spectrum.mark({})
        for name in ("losses", "cost", "latency"):
            self.status_labels[name].setText("")

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

    @property
    def running(self) -> bool:
        """True while a run is analysing."""
        return self.runner.session is not None and self.runner.session.running

    def latest_readout(self) -> Readout | None:
        """The newest readout of the current run that the window has drawn."""
        return self.last

    def latest_hz(self, name: str) -> float | None:
        """The newest frequency ``name`` reported (None: none, or switched off)."""
        return None if self.last is None else self.last.hz(name)

    def fps(self) -> float:
        """Redraws per second since the window was first drawn."""
        seconds = self._clock.elapsed() / 1000 if self._clock.isValid() else 0.0
        return (self.frames - 1) / seconds if self.frames > 1 and seconds > 0 else 0.0

    # -- drawing -------------------------------------------------------------------------------

    def redraw(self) -> None:
        """One frame: drain the session's new readouts, update the plots, readouts and status."""
        now = time.perf_counter()
        if not self._clock.isValid():
            self._clock.start()
        self.tick_times.append(now)
        session = self.runner.session
        if session is not None:
            fresh = session.drain()
            if fresh:
                self.readout_count += len(fresh)
                self.last = fresh[-1]
                self._draw_readouts(fresh, session)
            if not session.running and self._reported is not session:
                self._reported = session
                if session.error is not None:
                    self.show_error(describe_error(session.error))
                elif getattr(session.source, "frames", math.inf) < session.engine.window:  # type: ignore[attr-defined]
                    engine = session.engine  # type: ignore[attr-defined]
                    self.show_error(no_whole_window(engine.window, engine.samplerate))  # a file shorter than a window
        if now - self._last_status >= 1 / STATUS_HZ:
            self._last_status = now
            self._draw_status()
        self.frames += 1

    def _mark_unavailable(self) -> None:
        """Grey out the estimators that cannot run here, and say why once."""
        for name, why in self.runner.unavailable.items():
            box = self.controls.toggles[name]
            box.setChecked(False)
            box.setEnabled(False)
            box.setText(f"{box.text()} (not available)")
            box.setToolTip(f"{name} is not available here: {why}")
        if self.runner.unavailable:
            self.show_error("; ".join(self.runner.unavailable.values()))

    def _enabled(self) -> list[str]:
        return [name for name in self.controls.enabled() if name in self.runner.names]

    def _draw_readouts(self, fresh: list[Readout], session: object) -> None:
        last = fresh[-1]
        enabled = self._enabled()
        self.trail.add(fresh)
        self.pitches.extend((r.time, pitch(r, enabled) or math.nan) for r in fresh)
        times = self.trail.times - last.time
        traces = {name: self.trail.column(name) for name in [*enabled, "truth"]}
        hop_seconds = session.engine.hop / last.samplerate  # type: ignore[attr-defined]
        self.history.update_traces(times, traces, hop_seconds)
        samples = session.window_samples(last.start)  # type: ignore[attr-defined]
        if samples is not None:
            self.waveform.update_window(samples, last.samplerate)
            self.spectrum.update_window(samples, last.samplerate)
        now = time.perf_counter()
        numbers = now - self._last_cards >= 1 / CARDS_HZ  # figures changing 50 times a second cannot be read
        if numbers:
            self._last_cards = now
            self._draw_cards(last, enabled)
        self.spectrum.mark({name: last.hz(name) for name in enabled}, label=numbers)

    def _draw_cards(self, last: Readout, enabled: list[str]) -> None:
        track = np.array(self.pitches)
        beyond = any(e is not None and e.status == "out_of_range" for e in map(last.estimates.get, enabled))
        self.readouts.tuner.show_pitch(pitch(last, enabled), steady(track[:, 0], track[:, 1]), beyond)
        for name, card in self.readouts.cards.items():
            if name == "truth":
                card.show_truth(last.truth if math.isfinite(last.truth) else None)
                continue
            card.setEnabled(name in enabled)
            if name in enabled:
                card.show_estimate(last.estimates.get(name))
            else:
                card.show_estimate(None)
                card.status_label.setText("off" if name in self.runner.names else "n/a")

    def _draw_status(self) -> None:
        labels = self.status_labels
        session, last, stats = self.runner.session, self.last, self.stats
        if session is not None and session.running:
            state, style = ("● running" if last is not None else "● starting…"), "color: #81c784;"
        else:
            state, style = "■ stopped", "color: #90a4ae;"
        if labels["state"].text() != state:  # a style sheet change re-polishes the label: only on a change
            labels["state"].setText(state)
            labels["state"].setStyleSheet(style)
        labels["rate"].setText(f"{last.samplerate:g} Hz · window {last.window}" if last is not None else "— Hz")
        if stats is not None:
            labels["losses"].setText(
                f"overflows {stats.input_overflows} · overruns {stats.overrun_samples} · "
                f"dropped {stats.dropped_windows}"
            )
            labels["losses"].setToolTip(
                f"input overflows: {stats.input_overflows} (audio lost before streamfreq saw it)\n"
                f"ring overruns: {stats.overrun_samples} samples (the engine read too late)\n"
                f"dropped windows: {stats.dropped_windows} (skipped to keep latency bounded)\n"
                f"dropped readouts: {stats.dropped_readouts} (the display fell behind)"
            )
            costs = " · ".join(f"{name} {stats.ms_per_window(name):.2f}" for name in self.runner.names)
            labels["cost"].setText(f"ms/window {costs}")
        if last is not None and session is not None and session.running:
            age = 1000 * (time.monotonic() - last.arrival)  # the newest readout's age as it is drawn
            labels["latency"].setText(f"latency {age:.0f} ms to screen")
        else:
            labels["latency"].setText("")
        labels["fps"].setText(f"{self.fps():.0f} fps")

    # -- shutdown ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop the timer and the run (the audio device is released before this returns)."""
        self.timer.stop()
        self.runner.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.shutdown()
        super().closeEvent(event)
