"""The readouts: a tuner (note, cents needle, steady or not) and one card per estimator and the truth.

Example
-------
>>> import os; os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # doctest: +ELLIPSIS
'...'
>>> from PyQt6.QtWidgets import QApplication
>>> from streamfreq.estimators.base import Estimate
>>> app = QApplication.instance() or QApplication([])
>>> card = ReadoutCard("fft")
>>> card.show_estimate(Estimate(440.0, 0.98, "ok"))
>>> card.hz, card.note_label.text(), card.status_label.text()
(440.0, 'A4  +0.0 cents', 'ok')
>>> card.show_estimate(Estimate(float("nan"), 0.0, "no_tone"))
>>> card.hz, card.hz_label.text(), card.status_label.text()
(None, '—', 'no tone')
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPen
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from streamfreq.estimators.base import Estimate
from streamfreq.gui.plots import LABELS, colour
from streamfreq.notes import note_name
from streamfreq.readout import Readout

#: A pitch is steady when it moved by at most this many cents over the last STEADY_SECONDS.
STEADY_CENTS = 10.0
STEADY_SECONDS = 0.3
#: Within this many cents of the note the needle turns green ("in tune").
IN_TUNE_CENTS = 5.0

STATUS_WORDS = {"ok": "ok", "no_tone": "no tone", "out_of_range": "out of range", "error": "error"}
STATUS_FONT = " font-size: 10pt;"
DASH = "—"


def format_hz(hz: float | None) -> str:
    """``440.00 Hz``; a dash when there is no number.

    Example
    -------
    >>> format_hz(440.0), format_hz(12345.678), format_hz(None)
    ('440.00 Hz', '12345.7 Hz', '—')
    """
    if hz is None or not math.isfinite(hz):
        return DASH
    return f"{hz:.2f} Hz" if hz < 10000 else f"{hz:.1f} Hz"


def format_note(hz: float | None) -> str:
    """``A4  +3.2 cents``; empty when there is no number."""
    if hz is None or not (math.isfinite(hz) and hz > 0):
        return ""
    name, cents = note_name(hz)
    return f"{name}  {cents + 0.0:+.1f} cents"  # + 0.0: no "-0.0"


class ReadoutCard(QFrame):
    """One estimator's latest estimate in large type."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        tint = colour(name)
        self.setObjectName("card")
        self.setStyleSheet(
            f"QFrame#card {{ background: #1e2229; border: 1px solid #2c323b; border-top: 3px solid {tint};"
            " border-radius: 4px; }"
            " QLabel { background: transparent; border: none; }"
        )
        self.title_label = QLabel(LABELS.get(name, name))
        self.title_label.setStyleSheet(f"color: {tint}; font-weight: bold; font-size: 11pt;")
        self.hz: float | None = None  # the figure on show
        self.hz_label = QLabel(DASH)
        self.hz_label.setTextFormat(Qt.TextFormat.RichText)
        self.hz_label.setStyleSheet("color: #eceff1; font-size: 19pt; font-weight: bold;")
        self.hz_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.note_label = QLabel("")
        self.note_label.setStyleSheet("color: #b0bec5; font-size: 11pt;")
        self.status_label = QLabel("")
        self.status_label.setStyleSheet("color: #90a4ae;" + STATUS_FONT)
        self.confidence = QProgressBar()
        self.confidence.setRange(0, 100)
        self.confidence.setTextVisible(False)
        self.confidence.setFixedHeight(6)
        self.confidence.setMinimumWidth(24)  # its own hint (95 px) cut the status word in a narrow card
        self.confidence.setStyleSheet(
            f"QProgressBar {{ background: #2c323b; border: none; border-radius: 3px; }}"
            f" QProgressBar::chunk {{ background: {tint}; border-radius: 3px; }}"
        )
        self.confidence.setVisible(name != "truth")
        self.confidence_label = QLabel("")
        self.confidence_label.setToolTip("confidence")
        self.confidence_label.setStyleSheet("color: #90a4ae; font-size: 9pt;")
        self.confidence_label.setVisible(name != "truth")
        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addStretch(1)
        bar = QHBoxLayout()
        bar.addWidget(self.status_label)
        bar.addWidget(self.confidence, 1)
        bar.addWidget(self.confidence_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.hz_label)
        layout.addWidget(self.note_label)
        layout.addLayout(bar)
        self.setMinimumWidth(150)
        self._shown: tuple[object, ...] = ()

    def show_estimate(self, estimate: Estimate | None) -> None:
        """Show ``estimate`` (None: nothing yet)."""
        if estimate is None:
            key: tuple[object, ...] = (None,)
        else:
            key = (round(estimate.hz, 2) if estimate.ok else None, round(estimate.confidence, 2), estimate.status)
        if key == self._shown:  # setText relayouts: skip it when nothing changed
            return
        self._shown = key
        if estimate is None:
            self._set_hz(None)
            self.note_label.setText("")
            self.status_label.setText("waiting")
            self.confidence.setValue(0)
            self.confidence_label.setText("")
            return
        hz = estimate.hz if estimate.ok else None
        self._set_hz(hz)
        self.note_label.setText(format_note(hz))
        word = STATUS_WORDS.get(estimate.status, estimate.status)
        self.status_label.setText(word)
        self.confidence_label.setText(f"{estimate.confidence:.2f}")
        style = f"color: {'#81c784' if estimate.ok else '#ffb74d' if estimate.status != 'error' else '#ef5350'};"
        if self.status_label.styleSheet() != style + STATUS_FONT:  # a style sheet change re-polishes: only on a change
            self.status_label.setStyleSheet(style + STATUS_FONT)
        self.confidence.setValue(round(100 * estimate.confidence))

    def show_truth(self, hz: float | None) -> None:
        """Show a known true frequency (synth input) or a dash."""
        key = (round(hz, 2) if hz is not None and math.isfinite(hz) else None,)
        if key == self._shown:
            return
        self._shown = key
        self._set_hz(hz)
        self.note_label.setText(format_note(hz))
        self.status_label.setText("synthetic" if key[0] is not None else "unknown")

    def _set_hz(self, hz: float | None) -> None:
        """The big figure, with a small unit so it fits narrow cards."""
        self.hz = hz if hz is not None and math.isfinite(hz) else None
        text = format_hz(self.hz)
        if self.hz is not None:
            number = text.removesuffix(" Hz")
            text = f"{number}<span style='font-size: 12pt; font-weight: normal; color: #90a4ae;'>&nbsp;Hz</span>"
        self.hz_label.setText(text)


class ReadoutPanel(QWidget):
    """The row: the tuner, then the cards of FFT, zero crossing, LSTM (when available) and the truth."""

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.tuner = Tuner()
        self.tuner.setFixedWidth(250)
        layout.addWidget(self.tuner)
        self.cards: dict[str, ReadoutCard] = {}
        for name in [*names, "truth"]:
            card = ReadoutCard(name)
            self.cards[name] = card
            layout.addWidget(card, 1)


def pitch(readout: Readout, names: Sequence[str]) -> float | None:
    """The tuner's pitch: the median of the estimators in ``names`` that have a number (None if none has).

    The median of three outvotes one estimator's octave error.

    Example
    -------
    >>> r = Readout(0, 2048, 48000.0, {"fft": Estimate(440.0, 1, "ok"), "zc": Estimate(880.0, 1, "ok"),
    ...                                "lstm": Estimate(441.0, 1, "ok")})
    >>> pitch(r, ["fft", "zc", "lstm"]), pitch(r, ["fft", "zc"]) is not None, pitch(r, [])
    (441.0, True, None)
    """
    values = [hz for name in names if (hz := readout.hz(name)) is not None]
    return float(statistics.median(values)) if values else None  # of three numbers: no numpy call needed


def steady(times: np.ndarray, hz: np.ndarray) -> bool | None:
    """Whether a pitch track held still: spread of at most STEADY_CENTS over its last STEADY_SECONDS.

    None when the last STEADY_SECONDS hold no pitch at all (nan).

    Example
    -------
    >>> t = np.arange(0.0, 1.0, 0.01)
    >>> steady(t, np.full(100, 440.0)), steady(t, 440.0 * 2 ** (t / 12)), steady(t, np.full(100, np.nan))
    (True, False, None)
    """
    recent = hz[times >= times[-1] - STEADY_SECONDS] if len(times) else hz
    recent = recent[np.isfinite(recent)]
    if len(recent) == 0:
        return None
    return bool(1200.0 * math.log2(recent.max() / recent.min()) <= STEADY_CENTS)


class Tuner(QWidget):
    """A tuner: the nearest note in large type, a needle over -50..+50 cents, and steady/unsteady."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(250, 120)
        self.hz: float | None = None
        self.note = ""
        self.cents = 0.0
        self.steady: bool | None = None
        self.out_of_range = False

    def show_pitch(self, hz: float | None, steady: bool | None, out_of_range: bool = False) -> None:
        """Show ``hz`` (None: no pitch; ``out_of_range``: an estimator says the pitch lies outside what it reads) and
        whether it is steady; repaints only on a visible change."""
        note, cents = note_name(hz) if hz is not None else ("", 0.0)
        out_of_range = hz is None and out_of_range
        if (note, round(cents), steady, out_of_range) == (
            self.note,
            round(self.cents),
            self.steady,
            self.out_of_range,
        ) and (hz is None) == (self.hz is None):
            return
        self.hz, self.note, self.cents, self.steady, self.out_of_range = hz, note, cents, steady, out_of_range
        self.update()

    def status(self) -> str:
        """``"steady"``, ``"unsteady"``, ``"no tone"`` or, with no pitch where an estimator says the pitch lies
        outside what it reads (a bass note below the window's lowest f0: a longer window reads it), ``"out of
        range"``."""
        if self.hz is None or self.steady is None:
            return "out of range" if self.out_of_range else "no tone"
        return "steady" if self.steady else "unsteady"

    def paintEvent(self, event: object) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width(), self.height()
        painter.fillRect(self.rect(), QColor("#1e2229"))
        in_tune = self.hz is not None and abs(self.cents) <= IN_TUNE_CENTS
        accent = QColor("#81c784" if in_tune else "#ffb74d")
        painter.setPen(QColor("#eceff1" if self.hz is not None else "#546e7a"))
        painter.setFont(QFont(self.font().family(), 26, QFont.Weight.Bold))
        painter.drawText(
            QRectF(10, 4, 110, 50), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.note or "—"
        )
        painter.setFont(QFont(self.font().family(), 10))
        painter.setPen(QColor("#b0bec5"))
        right_column = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        if self.hz is not None:
            painter.drawText(QRectF(110, 4, w - 120, 17), right_column, f"{round(self.cents):+d} cents")  # no "-0"
            painter.drawText(QRectF(110, 21, w - 120, 17), right_column, f"{self.hz:.2f} Hz")
        word = self.status()
        painter.setPen(QColor({"steady": "#81c784", "unsteady": "#ffb74d"}.get(word, "#78909c")))
        painter.drawText(QRectF(110, 38, w - 120, 17), right_column, word)
        left, right, base = 16.0, w - 16.0, h - 18.0
        painter.setPen(QPen(QColor("#546e7a"), 1))
        for cents in range(-50, 51, 10):
            x = left + (cents + 50) / 100 * (right - left)
            tall = 12 if cents % 50 == 0 else 6
            painter.drawLine(QPointF(x, base), QPointF(x, base - tall))
        painter.drawLine(QPointF(left, base), QPointF(right, base))
        painter.setPen(QColor("#78909c"))
        for cents, text in ((-50, "-50"), (0, "0"), (50, "+50")):
            x = left + (cents + 50) / 100 * (right - left)
            painter.drawText(QRectF(x - 20, base + 1, 40, 16), Qt.AlignmentFlag.AlignHCenter, text)
        if self.hz is not None:
            x = left + (max(-50.0, min(50.0, self.cents)) + 50) / 100 * (right - left)
            painter.setPen(QPen(accent, 4))
            painter.drawLine(QPointF(x, base + 2), QPointF(x, 58))
        painter.end()
