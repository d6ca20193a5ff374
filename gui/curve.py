"""A lean curve item for the live plots: arrays in, one path or set of segments painted, no per-frame bounds work.

pyqtgraph's ``PlotDataItem`` re-derives bounds, log mapping, downsampling
and clipping in Python on every ``setData`` and every ``boundingRect`` query
Qt makes while painting; at 50 redraws a second over six curves that was a
large share of the GUI thread. A :class:`Curve` takes coordinates already in
view units (log10 Hz where the axis is logarithmic), and its bounding
rectangle is the visible range of the view it is drawn in (the view clips
its items to that range anyway), updated only when the range changes.

Example
-------
>>> import os; os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # doctest: +ELLIPSIS
'...'
>>> import numpy as np
>>> import pyqtgraph as pg
>>> from PyQt6.QtWidgets import QApplication
>>> app = QApplication.instance() or QApplication([])
>>> plot = pg.PlotWidget()
>>> plot.setRange(xRange=(0, 10), yRange=(-1, 1), padding=0)
>>> curve = Curve(pg.mkPen("w", width=3)).attach(plot.getViewBox())
>>> curve.setData(np.arange(5.0), np.zeros(5))
>>> [len(a) for a in curve.getData()], curve.boundingRect().width() == plot.getViewBox().viewRect().width()
([5, 5], True)
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QPainter, QPainterPath, QPen
from pyqtgraph.graphicsItems.PlotCurveItem import arrayToLineSegments


def thin(y: np.ndarray, connect: np.ndarray, step: float) -> np.ndarray:
    """Which points of a polyline to draw: the inner points of each run that stays within one ``step`` band go.

    A run is a stretch of connected points whose ``y`` fall in the same band
    ``[k * step, (k + 1) * step)``; the straight line between its ends passes
    within ``step`` of every point left out, so with ``step`` a fraction of a
    pixel the drawing does not change, but a steady note costs a few segments
    instead of one per readout. ``connect[i]``: the segment from point i to
    i + 1 is drawn; the drawn points' own ``connect`` is ``connect[keep]``.

    Example
    -------
    >>> y = np.array([1.0, 1.01, 1.02, 1.03, 2.0, 2.0, np.nan, 2.0])
    >>> thin(y, np.array([True] * 5 + [False, False, False]), 0.1).nonzero()[0].tolist()
    [0, 3, 4, 5, 6, 7]
    """
    band = np.floor(y / step)
    same = (band[1:] == band[:-1]) & connect[:-1]  # segment i -> i + 1 is drawn and stays in its band
    keep = np.ones(len(y), bool)
    keep[1:-1] = ~(same[:-1] & same[1:])
    return keep


class Curve(pg.GraphicsObject):
    """A polyline in a pyqtgraph view, broken where ``connect`` says.

    A solid pen wider than 1 px is drawn segment by segment (Qt strokes a
    long wide polyline ten times slower, joining every corner); thinner or
    dashed pens draw one path.

    Parameters
    ----------
    pen
        The pen (cosmetic: its width is in pixels). ``opts["pen"]`` is what
        pyqtgraph's legend sample draws.
    """

    def __init__(self, pen: QPen) -> None:
        super().__init__()
        self.opts = {"pen": pen}
        self._wide = pen.widthF() > 1.0 and pen.style() == Qt.PenStyle.SolidLine
        self._x = self._y = np.empty(0)
        self._path = QPainterPath()
        self._segments = None
        self._bounds = QRectF()

    def attach(self, view: pg.ViewBox) -> Curve:
        """Add the curve to ``view`` (left out of its auto-range) and cover the visible range; returns self."""
        view.addItem(self, ignoreBounds=True)
        view.sigRangeChanged.connect(self._cover)
        self._cover(view)
        return self

    def _cover(self, view: pg.ViewBox, *_: object) -> None:
        self.prepareGeometryChange()
        self._bounds = view.viewRect()

    def setData(self, x: np.ndarray, y: np.ndarray, connect: str | np.ndarray = "all") -> None:  # noqa: N802 (Qt's style)
        """Show the points ``(x, y)`` in view coordinates; ``connect``: ``"all"``, ``"finite"`` or a bool per point."""
        self._x, self._y = x, y
        if self._wide:
            self._segments = arrayToLineSegments(x, y, connect, False, self._segments)
        else:
            self._path = pg.arrayToQPath(x, y, connect=connect, finiteCheck=False)
        self.update()

    def getData(self) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802 (pyqtgraph's name)
        """The points last given to :meth:`setData`."""
        return self._x, self._y

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return self._bounds

    def paint(self, painter: QPainter, *args: object) -> None:
        if len(self._x) < 2:
            return
        painter.setPen(self.opts["pen"])
        if self._wide:
            painter.drawLines(*self._segments.drawargs())
        else:
            painter.drawPath(self._path)
