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
estimator can line up as a harmonic series, but their waveform does not repeat at its period. A *dim* window,
:data:`~streamfreq.defaults.DIM_DB` (25 dB) or more under it, keeps a number only where broadband noise above
:data:`~streamfreq.defaults.DIM_NOISE_HZ` holds at most :data:`~streamfreq.defaults.DIM_NOISE_SHARE` of its
energy (:func:`high_noise_share`): a room's tail or a hum that has sunk to within 17 dB of the breath or the hiss
beside it is no note a listener follows, while a quiet note, a decay and a bright instrument's upper partials
stand clear of such noise.

It looks back only, so a live readout is never delayed. A stream's first loud sound is never gated (nothing
louder came before it), and neither is a steady sound of any level. Praat's pitch tracker has the same kind of
rule (its silence threshold, 0.03 of the whole recording's peak, i.e. 30 dB, looking forwards too).

Example
-------
>>> import numpy as np
>>> gate = QuietGate(samplerate=48000.0, hop=512)
>>> levels = np.array([1.0, 0.02, 0.001])[:, None] * np.ones((3, 2048))  # 0, -34 and -60 dB
>>> marks = gate.marks(levels)
>>> marks.quiet.tolist(), marks.faint.tolist(), marks.softer.tolist(), marks.dim.tolist()
([False, False, True], [False, True, False], [False, True, False], [False, True, False])
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
    dim: np.ndarray
    """Not quiet; :data:`~streamfreq.defaults.DIM_DB` or more under the recent loudest: only numbers whose window
    stands clear of broadband noise (:func:`high_noise_share`) count."""


class QuietGate:
    """Marks the windows of one stream that lie ``below_db`` under the loudest of the last ``hold`` seconds
    (quiet), those a little above that (faint), and those :data:`~streamfreq.defaults.SOFTER_DB` and
    :data:`~streamfreq.defaults.DIM_DB` or more under it (softer, dim).

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
        self.dim_ratio = 10.0 ** (-min(defaults.DIM_DB, float(below_db)) / 20.0)
        self.windows = max(1, round(hold * float(samplerate) / hop))  # windows remembered, this one included
        self._recent = np.zeros(self.windows - 1)  # the last windows' RMS, oldest first

    def marks(self, frames: np.ndarray) -> Marks:
        """Which of the stream's next windows ``frames`` (batch, N), in order, are quiet, which are faint but not
        quiet (near the quiet level, or below :data:`~streamfreq.defaults.NEAR_SILENCE_DBFS`), and which are
        softer and dim but not quiet."""
        frames = np.asarray(frames)
        rms = np.sqrt(np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / max(frames.shape[1], 1))
        history = np.concatenate([self._recent, rms])
        loudest = np.lib.stride_tricks.sliding_window_view(history, self.windows).max(axis=1)
        self._recent = history[len(history) - (self.windows - 1) :]
        quiet = rms < self.ratio * loudest
        faint = ~quiet & ((rms < self.faint_ratio * loudest) | (rms < self.near_silence))
        softer, dim = (~quiet & (rms < ratio * loudest) for ratio in (self.softer_ratio, self.dim_ratio))
        return Marks(quiet, faint, softer, dim)


def high_noise_share(frames: np.ndarray, hz: np.ndarray, samplerate: float) -> np.ndarray:
    """The share of each window's energy that is broadband noise above :data:`~streamfreq.defaults.DIM_NOISE_HZ`,
    for the number ``hz`` given for it (one per window of ``frames``, batch x N).

    The window's power spectrum (Hann window, zero-padded to twice its length) above that frequency is split into
    the bins near a multiple of ``hz`` (within a quarter of ``hz``, or one bin of the window's own spectrum where
    that is wider: where the number's partials lie) and the bins between them. Noise spread evenly over the
    spectrum puts power between the partials in proportion to the share of the spectrum that lies there (a half
    where the partials stand four bins or more apart), so that power over that share, at most all of the power above
    that frequency, is the noise's: a bright instrument's upper partials count as sound, breath, hiss and a
    consonant's noise as noise. Where the window does not resolve the partials (a number under two bins of its
    spectrum: nothing lies between them), all of the power above that frequency counts as noise. 0 where the
    samplerate holds nothing above that frequency, or the window is silent.

    Example
    -------
    >>> t = np.arange(2048) / 48000.0
    >>> bright = sum(np.cos(2 * np.pi * 440.0 * k * t) / k for k in range(1, 30))  # partials up to 12.8 kHz
    >>> hiss = np.random.default_rng(0).standard_normal(2048) / np.sqrt(2)  # white noise as loud as a tone
    >>> tone = np.cos(2 * np.pi * 440.0 * t)  # half the energy hiss, 19/24 of that above 5 kHz: about 0.4
    >>> high_noise_share(np.stack([bright, tone + hiss]), np.full(2, 440.0), 48000.0).round(1)
    array([0. , 0.4])
    """
    frames = np.asarray(frames, dtype=np.float64)
    count, n = frames.shape
    power = np.abs(np.fft.rfft(frames * np.hanning(n), 2 * n)) ** 2
    bin_hz = np.arange(power.shape[1]) * (float(samplerate) / (2 * n))
    high = bin_hz > defaults.DIM_NOISE_HZ
    hz = np.asarray(hz, dtype=np.float64)[:, None]
    near = np.maximum(0.25, float(samplerate) / n / hz)  # in multiples of hz either side of each multiple
    multiple = bin_hz[high] / hz
    between = np.abs(multiple - np.rint(multiple)) > near
    above = power[:, high]
    spread = 1.0 - 2.0 * near[:, 0]  # the share of the spectrum between the partials
    everything = above.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        between_power = np.where(between, above, 0.0).sum(axis=1) / spread
    noise = np.where(spread > 0, np.minimum(everything, between_power), everything)
    total = power.sum(axis=1)
    return np.divide(noise, total, out=np.zeros(count), where=total > 0)
