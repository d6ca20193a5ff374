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

import numpy as np

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


#: A drawn pitch trace (the app's history, ``streamfreq plot``) does not join consecutive readouts more than this
#: many semitones apart: a new note, or a stray reading of one window, is not a glide. A glide of 2 octaves per
#: second moves a quarter of a semitone between readouts 10.7 ms apart, a wide vibrato half of one.
JUMP_SEMITONES = 3.0


def joined(times: np.ndarray, hz: np.ndarray, hop_seconds: float) -> np.ndarray:
    """Which consecutive readouts a drawn pitch trace joins: ``out[i]`` joins readout ``i`` to ``i + 1``.

    Joined where both have a number (``hz`` positive; nan or 0 where there is none), they are no more than
    one and a half hops apart (no windows skipped between them) and no more than :data:`JUMP_SEMITONES`
    apart in pitch. The last readout joins nothing.

    Example
    -------
    >>> hz = np.array([220.0, 222.0, 51.0, 221.0, np.nan, 220.0, 277.0])  # a stray 51 Hz, a gap, a major third
    >>> joined(np.arange(7) * 0.01, hz, 0.01).tolist()
    [True, False, False, False, False, False, False]
    """
    hz = np.asarray(hz, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        semitones = 12.0 * np.log2(hz[1:] / hz[:-1])  # nan where either has no number
    close = np.abs(semitones) <= JUMP_SEMITONES  # False for nan
    return np.append(close & (np.diff(np.asarray(times, dtype=np.float64)) <= 1.5 * hop_seconds), False)
