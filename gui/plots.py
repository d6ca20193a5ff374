"""The three plots: waveform of the current window, its spectrum, and the frequency history.

Each plot creates its items once and only calls ``setData``/``setValue`` when
updated, so a redraw costs little more than the painting itself.

Example
-------
>>> import os; os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # doctest: +ELLIPSIS
'...'
>>> import numpy as np
>>> from PyQt6.QtWidgets import QApplication
>>> app = QApplication.instance() or QApplication([])
>>> plot = SpectrumPlot()
>>> plot.update_window(np.cos(2 * np.pi * 440 * np.arange(2048) / 48000).astype(np.float32), 48000.0)
>>> plot.mark({"fft": 440.0})
>>> round(10 ** plot.markers["fft"].value())
440
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGraphicsItem

#: One colour per trace, readable on the dark plot background.
COLOURS = {"fft": "#4fc3f7", "zc": "#ffb74d", "lstm": "#e57373", "truth": "#e0e0e0"}
Z_ORDER = {"zc": 1, "lstm": 2, "fft": 3, "truth": 4}
LABELS = {"fft": "FFT", "zc": "Zero crossing", "lstm": "LSTM", "truth": "Truth"}
BACKGROUND = "#15181d"
DB_FLOOR = -120.0
#: Line width: 1 px lines take the raster engine's fast path (wider ones are stroked: several times slower).
PEN = 1.0
SPECTRUM_TICKS = [(20, "20"), (50, "50"), (100, "100"), (200, "200"), (500, "500"), (1000, "1k"), (2000, "2k")]
SPECTRUM_TICKS += [(5000, "5k"), (10000, "10k"), (20000, "20k"), (50000, "50k")]


def colour(name: str) -> str:
    """The colour of estimator ``name`` (grey for unknown names)."""
    return COLOURS.get(name, "#9e9e9e")


def _style(plot: pg.PlotWidget, title: str, x_label: str, y_label: str) -> None:
    plot.setBackground(BACKGROUND)
    item = plot.getPlotItem()
    item.getViewBox().disableAutoRange()  # every plot sets its own ranges, only when they must change
    item.setTitle(title, color="#cfd8dc", size="10pt")
    item.setLabel("bottom", x_label, color="#b0bec5")
    item.setLabel("left", y_label, color="#b0bec5")
    item.showGrid(x=True, y=True, alpha=0.15)
    item.setMenuEnabled(False)
    item.hideButtons()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setTextPen("#b0bec5")
        axis.setPen("#546e7a")
        axis.enableAutoSIPrefix(False)
        # The axes (and their grid lines) change rarely but overlap every curve: cache them as pixmaps
        # so a new curve costs a blit instead of redrawing every tick label each frame.
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


class WaveformPlot(pg.PlotWidget):
    """The samples of the newest analysed window, in milliseconds."""

    def __init__(self) -> None:
        super().__init__()
        _style(self, "Waveform (current window)", "time", "amplitude")
        self.getPlotItem().getAxis("bottom").setLabel("time (ms)")
        self.curve = self.plot(pen=pg.mkPen("#80cbc4", width=PEN), skipFiniteCheck=True)
        self.curve.setDownsampling(auto=True, method="peak")
        self.setMouseEnabled(x=False, y=False)
        self._span = 0
        self._peak = 1.0
        self.setYRange(-1.0, 1.0, padding=0)

    def update_window(self, samples: np.ndarray, samplerate: float) -> None:
        """Show ``samples`` (one window) taken at ``samplerate``."""
        n = len(samples)
        if n != self._span:
            self._span = n
            self._t = np.arange(n) * (1000.0 / samplerate)
            self.setXRange(0.0, self._t[-1] if n else 1.0, padding=0)
        self.curve.setData(self._t, samples)
        peak = float(np.max(np.abs(samples))) if n else 0.0
        target = max(0.05, min(1.0, peak * 1.15))
        if not math.isclose(target, self._peak, rel_tol=0.2):  # rescale only on real changes: no jitter
            self._peak = target
            self.setYRange(-target, target, padding=0)


class SpectrumPlot(pg.PlotWidget):
    """Log magnitude (dBFS, Hann window) on a log frequency axis, estimates marked by vertical lines."""

    def __init__(self) -> None:
        super().__init__()
        _style(self, "Spectrum (current window)", "frequency", "magnitude (dBFS)")
        self.getPlotItem().getAxis("bottom").setLabel("frequency (Hz)")
        self.setLogMode(x=True, y=False)
        self.setYRange(DB_FLOOR, 0.0, padding=0)
        ticks = [(math.log10(f), label) for f, label in SPECTRUM_TICKS]
        self.getPlotItem().getAxis("bottom").setTicks([ticks, []])
        self.setMouseEnabled(x=False, y=False)
        self.curve = self.plot(pen=pg.mkPen("#90a4ae", width=1.0), skipFiniteCheck=True)
        self.curve.setDownsampling(auto=True, method="peak")
        self.markers: dict[str, pg.InfiniteLine] = {}
        for name in ("fft", "zc", "lstm"):
            style = Qt.PenStyle.SolidLine if name == "fft" else Qt.PenStyle.DashLine
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(colour(name), width=1.6, style=style))
            line.setVisible(False)
            line.setZValue(10 + Z_ORDER.get(name, 0))  # the FFT's marker on top, as in the history
            self.addItem(line)
            self.markers[name] = line
        self.label = pg.TextItem(color=colour("fft"), anchor=(0, 0), fill=pg.mkBrush(21, 24, 29, 210))
        self.label.setParentItem(self.getPlotItem().getViewBox())
        self.label.setPos(6, 2)
        self._key: tuple[int, float] = (0, 0.0)

    def update_window(self, samples: np.ndarray, samplerate: float) -> None:
        """Compute and show the spectrum of ``samples``."""
        n = len(samples)
        if n < 4:
            return
        if self._key != (n, samplerate):
            self._key = (n, samplerate)
            self._taper = np.hanning(n).astype(np.float32)
            self._scale = 2.0 / float(self._taper.sum())
            self._freqs = np.fft.rfftfreq(n, 1.0 / samplerate)[1:]
            self.setXRange(math.log10(max(20.0, self._freqs[0])), math.log10(samplerate / 2), padding=0)
        magnitude = np.abs(np.fft.rfft(samples * self._taper))[1:] * self._scale
        db = 20.0 * np.log10(np.maximum(magnitude, 10 ** (DB_FLOOR / 20)))
        self.curve.setData(self._freqs, db)

    def mark(self, estimates: dict[str, float | None], label: bool = True) -> None:
        """Move the marker of each estimator to its frequency (hidden when None or not given).

        ``label`` also rewrites the FFT figure in the corner (the window does it at the readout cards' pace).
        """
        for name, line in self.markers.items():
            hz = estimates.get(name)
            if hz is not None and hz > 0 and math.isfinite(hz):
                line.setValue(math.log10(hz))  # the axis is logarithmic
                line.setVisible(True)
            else:
                line.setVisible(False)
        if not label:
            return
        fft = estimates.get("fft")
        self.label.setText(f"FFT peak {fft:.2f} Hz" if fft is not None and math.isfinite(fft) else "")


class HistoryPlot(pg.PlotWidget):
    """The last seconds of every estimator's frequency (gaps where it has none) and the truth."""

    def __init__(self, seconds: float = 10.0, names: tuple[str, ...] | list[str] = ("fft", "zc", "lstm")) -> None:
        super().__init__()
        _style(self, f"Frequency history (last {seconds:g} s)", "time", "frequency")
        item = self.getPlotItem()
        item.getAxis("bottom").setLabel("time relative to now (s)")
        item.getAxis("left").setLabel("frequency (Hz)")
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        self.legend = item.addLegend(
            offset=(10, 4), colCount=4, labelTextColor="#cfd8dc", brush=pg.mkBrush(21, 24, 29, 200)
        )
        self.seconds = seconds
        self.setXRange(-seconds, 0.0, padding=0.01)
        self.setMouseEnabled(x=False, y=True)
        self.curves: dict[str, pg.PlotDataItem] = {}
        for name in names:
            pen = pg.mkPen(colour(name), width=2.0)  # the main view: worth the stroking cost (~1 ms a frame)
            self.curves[name] = self.plot(pen=pen, name=LABELS[name], connect="finite")
            self.curves[name].setZValue(Z_ORDER.get(name, 0))  # where traces agree, the FFT's is seen
        truth_pen = pg.mkPen(colour("truth"), width=PEN, style=Qt.PenStyle.DashLine)
        self.curves["truth"] = self.plot(pen=truth_pen, name=LABELS["truth"], connect="finite")
        self.curves["truth"].setZValue(Z_ORDER["truth"])  # dashed, on top
        self._range = (math.nan, math.nan)

    def hide_trace(self, name: str) -> None:
        """Remove ``name`` from the plot and its legend (an estimator that cannot run here)."""
        curve = self.curves.get(name)
        if curve is not None:
            curve.setVisible(False)
            self.legend.removeItem(curve)

    def update_traces(self, times: np.ndarray, traces: dict[str, np.ndarray]) -> None:
        """Show ``traces`` (Hz, nan for gaps) against ``times`` (seconds, 0 = now); absent names are hidden."""
        finite = []
        for name, curve in self.curves.items():
            values = traces.get(name)
            if values is None or len(values) == 0 or not np.isfinite(values).any():
                curve.setData([], [])
                curve.setVisible(values is not None and name != "truth")
                continue
            curve.setVisible(True)
            curve.setData(times, values, connect="finite")
            finite.append(values[np.isfinite(values)])
        self._follow(np.concatenate(finite) if finite else np.empty(0))

    def _follow(self, values: np.ndarray) -> None:
        """Fit the y range to the data with headroom, changing it only when the data leave it or shrink a lot.

        Every range change re-renders the axis (several ms), so a sweep must not move it each frame.
        """
        if len(values) == 0:
            return
        low, high = float(values.min()), float(values.max())
        span = max(high - low, 0.02 * high, 5.0)
        have_low, have_high = self._range
        inside = math.isfinite(have_low) and have_low <= low and high <= have_high
        if inside and (have_high - have_low) <= 4 * span:
            return
        margin = 0.15 * span
        new_low, new_high = low - margin, high + margin
        if math.isfinite(have_low) and inside is False and (have_high - have_low) <= 4 * span:
            # growing (a sweep, a jump): leave room for more of the same so the axis settles
            if high > have_high:
                new_high = high + 0.5 * span
            if low < have_low:
                new_low = low - 0.5 * span
            new_low, new_high = min(new_low, have_low), max(new_high, have_high)
        self._range = (new_low, new_high)
        self.setYRange(new_low, new_high, padding=0)
