"""The control panel: source (synth, microphone, file), analysis settings, estimator toggles, start/stop.

The panel only describes what the user wants: it is set from the parsed
command-line options (:meth:`ControlPanel.configure`) and gives them back
with its own values in place (:meth:`ControlPanel.settings`), which the same
source factory and engine options as the command line's then read. It emits
signals; the window acts on them.

Example
-------
>>> import os; os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # doctest: +ELLIPSIS
'...'
>>> from PyQt6.QtWidgets import QApplication
>>> from streamfreq.gui.app import parse_args
>>> app = QApplication.instance() or QApplication([])
>>> panel = ControlPanel(["fft", "zc"])
>>> panel.configure(parse_args(["--fmin", "30"]))
>>> panel.freq.setValue(880.0)
>>> settings = panel.settings(parse_args(["--fmin", "30"]))
>>> settings.source, settings.freq, settings.window, settings.hop, settings.fmin, panel.enabled()
('synth', 880.0, None, None, 30.0, ['fft', 'zc'])
"""

from __future__ import annotations

import argparse
import copy

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from streamfreq import defaults
from streamfreq.gui import TONE_RANGE
from streamfreq.gui.plots import LABELS, colour
from streamfreq.options import chosen_source

SOURCES = (("synth", "Synthetic tone"), ("mic", "Microphone"), ("file", "Audio file"))
#: Window and hop choices besides "auto" (the engine's rule: streamfreq.defaults).
WINDOWS = tuple(defaults.WINDOW * 2**k for k in range(-2, 3))
HOPS = tuple(defaults.HOP * 2**k for k in range(-2, 3))


def _spin(low: float, high: float, value: float, suffix: str, decimals: int = 1) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setValue(value)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)  # act on Enter/focus-out, not on every keystroke
    return box


def list_input_devices() -> list[tuple[str, int | str | None]]:
    """``(label, device)`` pairs for the microphone picker; the default input first.

    Uses :func:`streamfreq.sources.mic.list_devices`; when that is missing or
    fails, only the default entry is returned (opening it then shows why).
    """
    items: list[tuple[str, int | str | None]] = [("Default input", None)]
    try:
        from streamfreq.sources.mic import list_devices

        devices = list_devices()
    except Exception:  # no sounddevice / PortAudio / mic module: the default entry still reports the reason
        return items
    for device in devices:
        get = device.get if isinstance(device, dict) else lambda key, d=device: getattr(d, key, None)
        index, name = get("index"), get("name")
        if index is None and name is None:
            continue
        label = f"{index}: {name}" if index is not None else str(name)
        if get("hostapi"):
            label += f" ({get('hostapi')})"
        if get("is_default"):
            label += " — default"
        items.append((label, index if index is not None else name))
    return items


class ControlPanel(QWidget):
    """Source, analysis and estimator controls.

    Signals
    -------
    start_requested, stop_requested
        The Start / Stop buttons.
    restart_needed
        A setting changed that only a new run can apply (window, hop, source, noise).
    tone_changed
        The synth frequency or sweep changed (applied live).
    estimator_toggled(name, on)
        An estimator checkbox changed (applied live).
    """

    start_requested = pyqtSignal()
    stop_requested = pyqtSignal()
    restart_needed = pyqtSignal()
    tone_changed = pyqtSignal()
    estimator_toggled = pyqtSignal(str, bool)

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(290)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._source_group())
        layout.addWidget(self._analysis_group(names))
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.start_button.clicked.connect(self.start_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        layout.addLayout(buttons)
        layout.addStretch(1)

    # -- building ---------------------------------------------------------------------------------

    def _source_group(self) -> QGroupBox:
        group = QGroupBox("Source")
        layout = QVBoxLayout(group)
        self.source = QComboBox()
        for key, label in SOURCES:
            self.source.addItem(label, key)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._synth_page())
        self.pages.addWidget(self._mic_page())
        self.pages.addWidget(self._file_page())
        self.source.currentIndexChanged.connect(self._show_page)
        self.source.currentIndexChanged.connect(lambda _: self.restart_needed.emit())
        layout.addWidget(self.source)
        layout.addWidget(self.pages)
        self._show_page(0)
        return group

    def _show_page(self, index: int) -> None:
        """Show one source's page; the others take no room (no empty rows above a short page)."""
        for number in range(self.pages.count()):
            policy = QSizePolicy.Policy.Preferred if number == index else QSizePolicy.Policy.Ignored
            self.pages.widget(number).setSizePolicy(policy, policy)
        self.pages.setCurrentIndex(index)
        self.pages.adjustSize()

    def _synth_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 4, 0, 0)
        self.freq = _spin(*TONE_RANGE, 440.0, " Hz", 2)
        self.freq.valueChanged.connect(lambda _: self.tone_changed.emit())
        form.addRow("Frequency", self.freq)
        self.sweep = QCheckBox("Sweep up and down")
        self.sweep.toggled.connect(lambda _: self.tone_changed.emit())
        form.addRow(self.sweep)
        self.sweep_low = _spin(*TONE_RANGE, 110.0, " Hz")
        self.sweep_high = _spin(*TONE_RANGE, 1760.0, " Hz")
        self.sweep_seconds = _spin(0.5, 600.0, 4.0, " s")
        for box in (self.sweep_low, self.sweep_high, self.sweep_seconds):
            box.valueChanged.connect(lambda _: self.tone_changed.emit() if self.sweep.isChecked() else None)
        form.addRow("from", self.sweep_low)
        form.addRow("to", self.sweep_high)
        form.addRow("in", self.sweep_seconds)
        self.noise = QCheckBox("Add white noise")
        self.snr = _spin(-30.0, 100.0, 20.0, " dB SNR")
        self.noise.toggled.connect(lambda _: self.restart_needed.emit())
        self.snr.valueChanged.connect(lambda _: self.restart_needed.emit() if self.noise.isChecked() else None)
        form.addRow(self.noise)
        form.addRow("level", self.snr)
        return page

    def _mic_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 4, 0, 0)
        self.device = QComboBox()
        self.device.setEditable(True)  # an index or part of a name may be typed
        self.refresh_button = QPushButton("Refresh devices")
        self.refresh_button.clicked.connect(self.refresh_devices)
        form.addRow("Device", self.device)
        form.addRow(self.refresh_button)
        self.refresh_devices()
        return page

    def _file_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        self.path = QLineEdit()
        self.path.setPlaceholderText("WAV, FLAC, OGG ... (played in real time)")
        self.open_button = QPushButton("Open file…")
        self.open_button.clicked.connect(self.choose_file)
        layout.addWidget(self.path)
        layout.addWidget(self.open_button)
        layout.addStretch(1)
        return page

    def _analysis_group(self, names: list[str]) -> QGroupBox:
        group = QGroupBox("Analysis")
        form = QFormLayout(group)
        self.window = QComboBox()
        self.hop = QComboBox()
        automatic = ("auto", "auto")
        self.window.setToolTip(
            f"auto: {defaults.WINDOW} samples at {defaults.SAMPLERATE / 1000:g} kHz, the same time at other rates, "
            "or longer when --fmin asks for lower notes"
        )
        self.hop.setToolTip("auto: a quarter of the window")
        for box, values, auto in ((self.window, WINDOWS, automatic[0]), (self.hop, HOPS, automatic[1])):
            box.addItem(auto, None)
            for value in values:
                box.addItem(f"{value} samples", value)
            box.currentIndexChanged.connect(lambda _: self.restart_needed.emit())
        form.addRow("Window", self.window)
        form.addRow("Hop", self.hop)
        self.toggles: dict[str, QCheckBox] = {}
        for name in names:
            box = QCheckBox(LABELS.get(name, name))
            box.setChecked(True)
            box.setStyleSheet(f"QCheckBox {{ color: {colour(name)}; }}")
            box.toggled.connect(lambda on, name=name: self.estimator_toggled.emit(name, on))
            self.toggles[name] = box
            form.addRow(box)
        return group

    # -- actions -------------------------------------------------------------------------------

    def refresh_devices(self) -> None:
        """Re-list the audio inputs."""
        self.device.clear()
        for label, device in list_input_devices():
            self.device.addItem(label, device)

    def choose_file(self) -> None:
        """Ask for an audio file, then ask for a (re)start."""
        path, _ = QFileDialog.getOpenFileName(
            self, "Open audio file", "", "Audio (*.wav *.flac *.ogg *.aiff *.aif *.mp3);;All files (*)"
        )
        if path:
            self.path.setText(path)
            self.set_source("file")
            self.start_requested.emit()

    def set_source(self, key: str) -> None:
        """Select the source ``"synth"``, ``"mic"`` or ``"file"``."""
        self.source.setCurrentIndex([k for k, _ in SOURCES].index(key))

    def set_device(self, device: int | str | None) -> None:
        """Select (or type in) a microphone device."""
        if device is None:
            self.device.setCurrentIndex(0)
            return
        index = self.device.findData(device)
        if index < 0:
            self.device.setEditText(str(device))
        else:
            self.device.setCurrentIndex(index)

    def device_choice(self) -> int | str | None:
        """The picked device: its index, a typed index or name part, or None for the default."""
        text = self.device.currentText().strip()
        index = self.device.findText(text)
        if index >= 0:
            return self.device.itemData(index)
        if not text:
            return None
        return int(text) if text.isdigit() else text

    def sweep_spec(self) -> str | None:
        """``"F0:F1:SECONDS"`` when sweeping (back and forth), else None."""
        if not self.sweep.isChecked():
            return None
        return f"{self.sweep_low.value():g}:{self.sweep_high.value():g}:{self.sweep_seconds.value():g}"

    def enabled(self) -> list[str]:
        """The estimators switched on."""
        return [name for name, box in self.toggles.items() if box.isChecked()]

    def configure(self, args: argparse.Namespace) -> None:
        """Set the controls from parsed options (``streamfreq-gui``'s command line)."""
        self.set_source(chosen_source(args))
        self.freq.setValue(args.freq)
        if args.sweep:
            low, high, seconds = (float(part) for part in args.sweep.split(":"))
            self.sweep_low.setValue(low)
            self.sweep_high.setValue(high)
            self.sweep_seconds.setValue(seconds)
            self.sweep.setChecked(True)
        if args.snr is not None:
            self.noise.setChecked(True)
            self.snr.setValue(args.snr)
        if args.device is not None:
            self.set_device(int(args.device) if args.device.isdigit() else args.device)
        if args.input:
            self.path.setText(args.input)
        for box, value in ((self.window, args.window), (self.hop, args.hop)):
            index = box.findData(value)
            if index < 0:
                box.addItem(f"{value} samples", value)
                index = box.count() - 1
            box.setCurrentIndex(index)

    def settings(self, base: argparse.Namespace) -> argparse.Namespace:
        """``base`` (the parsed options) with the values of the controls in place."""
        args = copy.copy(base)
        args.source = self.source.currentData()
        args.freq = self.freq.value()
        args.sweep = self.sweep_spec()
        args.snr = self.snr.value() if self.noise.isChecked() else None
        args.device = self.device_choice()
        args.input = (self.path.text().strip() or None) if args.source == "file" else None  # a file's path only
        args.window = self.window.currentData()
        args.hop = self.hop.currentData()
        return args
