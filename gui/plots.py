"""The three plots: waveform of the current window, its spectrum, and the frequency history.

Each plot creates its items once (lean :class:`~streamfreq.gui.curve.Curve` items
fed with view coordinates) and only updates what changed, so a redraw costs
little more than the painting itself.

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
>>> round(10 ** plot.markers["fft"].getData()[0][0])
440
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QGraphicsItem

from streamfreq.gui.curve import Curve, thin
from streamfreq.gui.grid import Grid
from streamfreq.notes import joined, note_name

#: One colour per trace, readable on the dark plot background.
COLOURS = {"fft": "#4fc3f7", "zc": "#ffb74d", "lstm": "#e57373", "truth": "#e0e0e0"}
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
    item.setMenuEnabled(False)
    item.hideButtons()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setTextPen("#b0bec5")
        axis.setPen("#546e7a")
        axis.enableAutoSIPrefix(False)
        axis.setStyle(tickLength=0)  # the grid marks the ticks
        # The axes change rarely: cache them as pixmaps, so a resize or a range change redraws the tick labels once.
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    Grid(item, alpha=0.15)  # not the axes' own grid: that is a view-sized pixmap blended again every frame


class WaveformPlot(pg.PlotWidget):
    """The samples of the newest analysed window, in milliseconds."""

    def __init__(self) -> None:
        super().__init__()
        _style(self, "Waveform (current window)", "time", "amplitude")
        self.getPlotItem().getAxis("bottom").setLabel("time (ms)")
        self.curve = Curve(pg.mkPen("#80cbc4", width=PEN)).attach(self.getViewBox())
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
        self.curve = Curve(pg.mkPen("#90a4ae", width=1.0)).attach(self.getViewBox())
        self.markers: dict[str, Curve] = {}  # vertical lines at log10(Hz), from the floor to 0 dB
        for name in ("fft", "zc", "lstm"):
            style = Qt.PenStyle.SolidLine if name == "fft" else Qt.PenStyle.DashLine
            line = Curve(pg.mkPen(colour(name), width=1.6, style=style)).attach(self.getViewBox())
            line.setVisible(False)
            line.setZValue(10 + (name == "fft"))  # the FFT's marker on top
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
            self._log_freqs = np.log10(np.fft.rfftfreq(n, 1.0 / samplerate)[1:])  # the axis is logarithmic
            self.setXRange(max(math.log10(20.0), self._log_freqs[0]), math.log10(samplerate / 2), padding=0)
        magnitude = np.abs(np.fft.rfft(samples * self._taper))[1:] * self._scale
        db = 20.0 * np.log10(np.maximum(magnitude, 10 ** (DB_FLOOR / 20)))
        self.curve.setData(self._log_freqs, db)

    def mark(self, estimates: dict[str, float | None], label: bool = True) -> None:
        """Move the marker of each estimator to its frequency (hidden when None or not given).

        ``label`` also rewrites the FFT figure in the corner (the window does it at the readout cards' pace).
        A marker that would move by less than a quarter pixel stays put (no repaint for nothing).
        """
        still = 0.25 * self.getViewBox().viewPixelSize()[0]
        for name, line in self.markers.items():
            hz = estimates.get(name)
            if hz is not None and hz > 0 and math.isfinite(hz):
                x, _ = line.getData()
                at = math.log10(hz)  # the axis is logarithmic
                if not len(x) or not abs(x[0] - at) < still:  # (moves when the view has no size yet)
                    line.setData(np.array([at, at]), np.array([DB_FLOOR, 0.0]))
                line.setVisible(True)
            else:
                line.setVisible(False)
        if not label:
            return
        fft = estimates.get("fft")
        self.label.setText(f"fft f0 {fft:.2f} Hz" if fft is not None and math.isfinite(fft) else "")


class NoteAxis(pg.AxisItem):
    """A frequency axis in log scale labelled with note names (``A4 440``): octaves, or semitones when zoomed in.

    Values are ``log10(Hz)``, as pyqtgraph's log mode plots them.
    """

    #: Label spacings in semitones, the finest that leaves at most :data:`MAX_LABELS` labels is used.
    STEPS = (1, 2, 3, 6, 12, 24)
    MAX_LABELS = 9
    _step = 1

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, list[float]]]:  # noqa: N802, N803
        low, high = sorted((minVal, maxVal))
        if not (math.isfinite(low) and math.isfinite(high)):
            return []
        first, last = _midi(10**low), _midi(10**high)
        step = next((s for s in self.STEPS if (last - first) / s <= self.MAX_LABELS), self.STEPS[-1])
        self._step = step
        major = [m for m in range(math.ceil(first), math.floor(last) + 1) if m % step == 0]
        minor = [m for m in range(math.ceil(first), math.floor(last) + 1) if m % step and (last - first) <= 24]
        return [(step, [math.log10(_hz(m)) for m in major]), (1, [math.log10(_hz(m)) for m in minor])]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        if spacing != self._step:  # the semitone ticks between labelled notes
            return ["" for _ in values]
        return [_note_label(10**value) for value in values]


def _midi(hz: float) -> float:
    return 69.0 + 12.0 * math.log2(hz / 440.0)


def _hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69.0) / 12.0)


def _note_label(hz: float) -> str:
    name, _ = note_name(hz)
    return f"{name} {hz:.0f}" if hz >= 100 else f"{name} {hz:.1f}"


#: Pens of the history traces. Where the traces agree they lie on top of each other, so each is
#: narrower than the one below it and all stay visible as nested stripes (widest at the bottom).
TRACE_PENS = {
    "fft": {"width": 5.0},
    "lstm": {"width": 3.0},
    "zc": {"width": 1.0},
    "truth": {"width": 1.0, "style": Qt.PenStyle.DashLine},
}
TRACE_Z = {"fft": 1, "lstm": 2, "zc": 3, "truth": 4}
#: Least half-height of the history view in semitones (±1 and room for the neighbouring labels),
#: and how fast the view follows (share of the way per frame).
MIN_HALF_SPAN = 1.5
FOLLOW = 0.3
#: Points of a history trace that stay within this many pixels of height are drawn as one segment.
THIN_PIXELS = 0.25


class HistoryPlot(pg.PlotWidget):
    """The last seconds of every estimator's frequency (gaps where it has none) and the truth.

    The frequency axis is logarithmic with note names, so it never goes
    below 0 Hz and a semitone is the same height everywhere. It shows at
    least one semitone either side of the notes being played (robust to a
    stray octave error) and glides to new notes instead of jumping.
    """

    def __init__(self, seconds: float = 10.0, names: tuple[str, ...] | list[str] = ("fft", "zc", "lstm")) -> None:
        super().__init__(axisItems={"left": NoteAxis("left")})
        _style(self, f"Frequency history (last {seconds:g} s)", "time", "note")
        item = self.getPlotItem()
        item.getAxis("bottom").setLabel("time relative to now (s)")
        item.getAxis("left").setLabel("note (Hz)")
        self.setLogMode(x=False, y=True)  # for the axis: the curves are given log10(Hz)
        self.legend = item.addLegend(colCount=4, labelTextColor="#cfd8dc")
        self.legend.setParentItem(item)  # in the title row, right-aligned: it never hides a trace
        self.legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-8, -4))
        self.seconds = seconds
        self.setXRange(-seconds, 0.0, padding=0.01)
        self.setYRange(math.log10(110.0), math.log10(880.0), padding=0)  # A2..A5 until there are notes to show
        self.setMouseEnabled(x=False, y=False)
        self.curves: dict[str, Curve] = {}
        for name in [*names, "truth"]:
            pen = pg.mkPen(colour(name), **TRACE_PENS.get(name, {"width": 1.0}))
            self.curves[name] = Curve(pen).attach(self.getViewBox())
            self.curves[name].setZValue(TRACE_Z.get(name, 0))
        self.in_legend: list[str] = []
        self.view = (math.nan, math.nan)  # shown range, log10(Hz)
        self.goal = (math.nan, math.nan)  # where the view is gliding to

    def update_traces(self, times: np.ndarray, traces: dict[str, np.ndarray], hop_seconds: float) -> None:
        """Show ``traces`` (Hz, nan for gaps) against ``times`` (seconds, 0 = now); absent names are cleared.

        A line is broken where a value is missing, where windows were
        skipped, or at a jump of more than a few semitones (:func:`streamfreq.notes.joined`).
        """
        shown = []
        step = THIN_PIXELS * self.getViewBox().viewPixelSize()[1]
        logs = []
        for name, curve in self.curves.items():
            values = traces.get(name)
            finite = np.empty(0, bool) if values is None else np.isfinite(values) & (values > 0)
            if not finite.any():
                if len(curve.getData()[0]):
                    curve.setData(np.empty(0), np.empty(0))
                continue
            log = np.log10(np.where(finite, values, 1.0))  # the axis is logarithmic
            log[~finite] = math.nan
            connect = joined(times, np.where(finite, values, math.nan), hop_seconds)
            keep = thin(log, connect, step) if 0 < step < math.inf else slice(None)
            curve.setData(times[keep], log[keep], connect=connect[keep])
            shown.append(name)
            logs.append(log[finite])
        self._legend(shown)
        self._aim(np.concatenate(logs) if logs else np.empty(0))
        self._glide()

    def _legend(self, shown: list[str]) -> None:
        """One legend entry per trace with data (so no entry stands for an empty trace)."""
        if shown == self.in_legend:
            return
        self.legend.clear()
        for name in shown:
            self.legend.addItem(self.curves[name], LABELS.get(name, name))
        self.in_legend = shown

    def _aim(self, logs: np.ndarray) -> None:
        """Set the goal of the view from the notes in the traces (``logs``: log10 Hz).

        The notes' 2nd..98th percentile, at least ±MIN_HALF_SPAN semitones. A
        range change re-renders the axis and grid, so the goal only moves when
        the notes leave it or take up less than a third of it, and then with
        half their span as headroom either side (a sweep moves it now and then,
        not every frame).
        """
        if len(logs) == 0:
            return
        low, high = np.percentile(logs, [2.0, 98.0])
        semitone = math.log10(2.0) / 12.0
        centre, half = (low + high) / 2, max((high - low) / 2 + 0.5 * semitone, MIN_HALF_SPAN * semitone)
        need = (centre - half, centre + half)
        goal_low, goal_high = self.goal
        if not (goal_low <= need[0] and need[1] <= goal_high and goal_high - goal_low <= 3 * (need[1] - need[0])):
            headroom = 0.5 * (need[1] - need[0])
            self.goal = (need[0] - headroom, need[1] + headroom)

    def _glide(self) -> None:
        """Move the view a FOLLOW share of the way to the goal; stop within a tenth of a semitone of it."""
        if not math.isfinite(self.goal[0]):
            return
        semitone = math.log10(2.0) / 12.0
        have_low, have_high = self.view
        if not math.isfinite(have_low):
            new = self.goal
        else:
            new = (have_low + FOLLOW * (self.goal[0] - have_low), have_high + FOLLOW * (self.goal[1] - have_high))
            if max(abs(self.goal[0] - have_low), abs(self.goal[1] - have_high)) < 0.1 * semitone:
                return
        self.view = new
        self.setYRange(*new, padding=0)
