"""The quiet gate: a window far below the stream's recent loudest holds nothing to report.

Between a singer's phrases, after a note, a microphone still hears the room's reverberant tail of the last note,
breath, and the hum of the equipment: periodic sounds that each estimator, looking at one window, reads as
tones. A listener hears them as silence, because something much louder played a moment ago, and the published
trackers, scored against annotated recordings, call them unvoiced. The gate compares each window's level (its
RMS) with the loudest window of the last :data:`~streamfreq.defaults.QUIET_HOLD` seconds of the same stream;
a window more than ``below_db`` under it says ``no_tone`` for every estimator. A *faint* window, within
:data:`~streamfreq.defaults.FAINT_MARGIN_DB` above that level (30..40 dB under at the default 40), keeps only
the estimates whose confidence is at least :data:`~streamfreq.defaults.FAINT_CONFIDENCE`: the ends of notes,
a hummed consonant's murmur and breath through the singer's resonances are read with doubt, a clear quiet
note is read. A window below :data:`~streamfreq.defaults.NEAR_SILENCE_DBFS` is faint too, whatever came before
it: near silence (a room's hiss before the first note) is read with the same doubt. A *softer* window,
:data:`~streamfreq.defaults.SOFTER_DB` (6 dB) or more under the recent loudest, keeps a number only where the
whole window repeats at its period (:func:`~streamfreq.estimators.base.whole_repeats` at least
:data:`~streamfreq.defaults.SOFTER_REPEATS`): after a sung phrase, breath and a creak hold partials that an
estimator can line up as a harmonic series, but their waveform does not repeat at its period.

It looks back only, so a live readout is never delayed. A stream's first loud sound is never gated (nothing
louder came before it), and neither is a steady sound of any level. Praat's pitch tracker has the same kind of
rule (its silence threshold, 0.03 of the whole recording's peak, i.e. 30 dB, looking forwards too).

Example
-------
>>> import numpy as np
>>> gate = QuietGate(samplerate=48000.0, hop=512)
>>> levels = np.array([1.0, 0.02, 0.001])[:, None] * np.ones((3, 2048))  # 0, -34 and -60 dB
>>> marks = gate.marks(levels)
>>> marks.quiet.tolist(), marks.faint.tolist(), marks.softer.tolist()
([False, False, True], [False, True, False], [False, True, False])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from streamfreq import defaults
from streamfreq.errors import check_range


class Marks(NamedTuple):
    """What :meth:`QuietGate.marks` finds in each window (bool arrays, one value per window)."""

    quiet: np.ndarray
    """Every estimate says ``no_tone``."""
    faint: np.ndarray
    """Not quiet; near the quiet level or near silence: only numbers of confidence at least
    :data:`~streamfreq.defaults.FAINT_CONFIDENCE` count."""
    softer: np.ndarray
    """Not quiet; :data:`~streamfreq.defaults.SOFTER_DB` or more under the recent loudest: only numbers whose
    period the window repeats at count."""


class QuietGate:
    """Marks the windows of one stream that lie ``below_db`` under the loudest of the last ``hold`` seconds
    (quiet), those a little above that (faint), and those :data:`~streamfreq.defaults.SOFTER_DB` or more under it
    (softer).

    Parameters
    ----------
    samplerate, hop
        The stream's samples per second and the samples between its windows' starts.
    below_db
        How far under the recent loudest window a window is quiet, in dB.
    hold
        Seconds the loudest window is remembered.

    Raises
    ------
    ParameterError
        ``below_db`` is not in 1..200 dB or ``hold`` not in 0..3600 s.
    """

    def __init__(
        self, samplerate: float, hop: int, below_db: float = defaults.QUIET_DB, hold: float = defaults.QUIET_HOLD
    ) -> None:
        check_range("quiet_db", below_db, 1.0, 200.0)
        check_range("quiet hold", hold, 0.0, 3600.0)
        self.ratio = 10.0 ** (-float(below_db) / 20.0)
        faint_db = max(float(below_db) - defaults.FAINT_MARGIN_DB, float(below_db) / 2.0)
        self.faint_ratio = 10.0 ** (-faint_db / 20.0)
        self.near_silence = 10.0 ** (defaults.NEAR_SILENCE_DBFS / 20.0)
        self.softer_ratio = 10.0 ** (-min(defaults.SOFTER_DB, float(below_db)) / 20.0)
        self.windows = max(1, round(hold * float(samplerate) / hop))  # windows remembered, this one included
        self._recent = np.zeros(self.windows - 1)  # the last windows' RMS, oldest first

    def marks(self, frames: np.ndarray) -> Marks:
        """Which of the stream's next windows ``frames`` (batch, N), in order, are quiet, which are faint but not
        quiet (near the quiet level, or below :data:`~streamfreq.defaults.NEAR_SILENCE_DBFS`), and which are
        softer but not quiet."""
        frames = np.asarray(frames)
        rms = np.sqrt(np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / max(frames.shape[1], 1))
        history = np.concatenate([self._recent, rms])
        loudest = np.lib.stride_tricks.sliding_window_view(history, self.windows).max(axis=1)
        self._recent = history[len(history) - (self.windows - 1) :]
        quiet = rms < self.ratio * loudest
        faint = ~quiet & ((rms < self.faint_ratio * loudest) | (rms < self.near_silence))
        return Marks(quiet, faint, ~quiet & (rms < self.softer_ratio * loudest))
