"""A plot's grid as thin translucent lines under the curves, redrawn only when the ticks move.

pyqtgraph draws a grid from its axes: each axis grows to cover the whole
view, so its cached picture is a view-sized translucent pixmap that Qt
blends again on every frame in which a curve moves (two per plot, three
plots, fifty frames a second). :class:`Grid` draws the same lines (at the
axes' tick values, with pyqtgraph's grid opacity per tick level) as a few
1 px lines inside the view instead.

Example
-------
>>> import os; os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # doctest: +ELLIPSIS
'...'
>>> import pyqtgraph as pg
>>> from PyQt6.QtWidgets import QApplication
>>> app = QApplication.instance() or QApplication([])
>>> plot = pg.PlotWidget()
>>> plot.resize(400, 300)
>>> plot.setRange(xRange=(0, 10), yRange=(0, 1), padding=0)
>>> grid = Grid(plot.getPlotItem(), alpha=0.15)
>>> plot.show(); app.processEvents()
>>> sorted(x1 for axis, opacity, x1, y1, x2, y2 in grid.lines() if axis == "bottom" and opacity == grid.grid)
[0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtGui import QColor, QPainter, QPainterPath, QPen

#: The axes whose ticks the grid follows, and whether their lines are vertical.
AXES = {"bottom": True, "left": False}


class Grid(pg.GraphicsObject):
    """Grid lines at the ticks of a plot's left and bottom axes, below everything else in its view.

    Parameters
    ----------
    plot
        The plot; its view range and size decide the ticks, as they do the axes'.
    alpha
        Opacity of the major lines (0..1), as ``PlotItem.showGrid(alpha=...)``.
    """

    def __init__(self, plot: pg.PlotItem, alpha: float) -> None:
        super().__init__()
        self.plot = plot
        self.grid = int(min(max(alpha, 0.0), 1.0) * 255)  # what pyqtgraph keeps as AxisItem.grid
        self._paths: list[tuple[QPen, QPainterPath]] | None = None
        self._bounds = QRectF()
        view = plot.getViewBox()
        view.addItem(self, ignoreBounds=True)
        self.setZValue(-1000)
        view.sigRangeChanged.connect(self._stale)
        view.sigResized.connect(self._stale)
        self._stale()

    def _stale(self, *_: object) -> None:
        """The ticks may have moved: cover the view again and rebuild the lines when next painted."""
        self.prepareGeometryChange()
        self._bounds = self.plot.getViewBox().viewRect()
        self._paths = None
        self.update()

    def lines(self) -> list[tuple[str, int, float, float, float, float]]:
        """``(axis, opacity 0..255, x1, y1, x2, y2)`` of every line, in view coordinates."""
        view = self.plot.getViewBox()
        (x_low, x_high), (y_low, y_high) = view.viewRange()
        out = []
        for name, vertical in AXES.items():
            axis = self.plot.getAxis(name)
            low, high = (x_low, x_high) if vertical else (y_low, y_high)
            pixels = view.width() if vertical else view.height()
            if axis._tickLevels is None:  # as AxisItem.generateDrawSpecs picks its ticks
                levels = axis.tickValues(low, high, pixels)
            else:
                levels = [(None, [value for value, _ in level]) for level in axis._tickLevels]
            for i, (_, ticks) in enumerate(levels):
                # pyqtgraph's grid opacity for tick level i (AxisItem.generateDrawSpecs)
                opacity = int(255 / (i + 1) * self.grid / 255 * np.clip(0.05 * pixels / (len(ticks) + 1), 0.0, 1.0))
                for value in ticks:
                    if low <= value <= high:
                        ends = (value, y_low, value, y_high) if vertical else (x_low, value, x_high, value)
                        out.append((name, opacity, *ends))
        return out

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return self._bounds

    def paint(self, painter: QPainter, *args: object) -> None:
        if self._paths is None:
            paths: dict[tuple[str, int], QPainterPath] = {}
            for name, opacity, x1, y1, x2, y2 in self.lines():
                path = paths.setdefault((name, opacity), QPainterPath())
                path.moveTo(x1, y1)
                path.lineTo(x2, y2)
            self._paths = []
            for (name, opacity), path in paths.items():
                colour = QColor(self.plot.getAxis(name).tickPen().color())  # the axis' colour, as pyqtgraph's grid
                colour.setAlpha(opacity)
                self._paths.append((pg.mkPen(colour, width=1.0), path))
        for pen, path in self._paths:
            painter.setPen(pen)
            painter.drawPath(path)
