"""Large side-by-side readouts: one card per estimator (Hz, note and cents, confidence, status) and the truth.

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

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from streamfreq.estimators.base import Estimate
from streamfreq.gui.plots import LABELS, colour
from streamfreq.notes import note_name

STATUS_WORDS = {"ok": "ok", "no_tone": "no tone", "out_of_range": "out of range", "error": "error"}
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
        self.hz_label.setStyleSheet("color: #eceff1; font-size: 22pt; font-weight: bold;")
        self.hz_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.note_label = QLabel("")
        self.note_label.setStyleSheet("color: #b0bec5; font-size: 11pt;")
        self.status_label = QLabel("")
        self.status_label.setStyleSheet("color: #90a4ae; font-size: 10pt;")
        self.confidence = QProgressBar()
        self.confidence.setRange(0, 100)
        self.confidence.setTextVisible(False)
        self.confidence.setFixedHeight(6)
        self.confidence.setStyleSheet(
            f"QProgressBar {{ background: #2c323b; border: none; border-radius: 3px; }}"
            f" QProgressBar::chunk {{ background: {tint}; border-radius: 3px; }}"
        )
        self.confidence.setVisible(name != "truth")
        self.confidence_label = QLabel("")
        self.confidence_label.setStyleSheet("color: #90a4ae; font-size: 9pt;")
        self.confidence_label.setVisible(name != "truth")
        top = QHBoxLayout()
        top.addWidget(self.title_label)
        top.addStretch(1)
        top.addWidget(self.status_label)
        bar = QHBoxLayout()
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
        self.confidence_label.setToolTip("confidence")
        self.status_label.setStyleSheet(
            f"color: {'#81c784' if estimate.ok else '#ffb74d' if estimate.status != 'error' else '#ef5350'};"
            " font-size: 10pt;"
        )
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
    """The row of cards: FFT, zero crossing, LSTM (when available) and the truth."""

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.cards: dict[str, ReadoutCard] = {}
        for name in [*names, "truth"]:
            card = ReadoutCard(name)
            self.cards[name] = card
            layout.addWidget(card, 1)
