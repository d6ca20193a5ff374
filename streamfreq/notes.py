"""Musical note names for frequencies (equal temperament, A4 = 440 Hz).

Example
-------
>>> note_name(440.0)
('A4', 0.0)
>>> note_name(445.0)
('A4', 19.6)
"""

from __future__ import annotations

import math

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def note_name(hz: float, a4: float = 440.0) -> tuple[str, float]:
    """Nearest note name with octave and the offset from it in cents (rounded to 0.1)."""
    if not (hz > 0 and math.isfinite(hz)):
        raise ValueError(f"hz must be a positive finite frequency (got {hz!r})")
    midi = 69.0 + 12.0 * math.log2(hz / a4)
    nearest = round(midi)
    cents = round(100.0 * (midi - nearest), 1) + 0.0  # + 0.0 turns a rounded -0.0 into 0.0
    return f"{NOTE_NAMES[nearest % 12]}{nearest // 12 - 1}", cents


def cents_between(hz: float, reference: float) -> float:
    """Signed distance from ``reference`` to ``hz`` in cents."""
    return 1200.0 * math.log2(hz / reference)
