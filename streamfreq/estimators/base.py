"""The estimator contract: :class:`Estimate` and the :class:`Estimator` protocol.

An estimator takes full-resolution windows and their samplerate and returns
one :class:`Estimate` per window. Estimators work on batches
(``estimate_many``) so file analysis can be vectorised; ``estimate`` is the
single-window convenience.

Example
-------
>>> from streamfreq.estimators.base import Estimate, NO_TONE
>>> Estimate.nothing(NO_TONE)
Estimate(hz=nan, confidence=0.0, status='no_tone')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

OK = "ok"
NO_TONE = "no_tone"
OUT_OF_RANGE = "out_of_range"
ERROR = "error"
STATUSES = (OK, NO_TONE, OUT_OF_RANGE, ERROR)


@dataclass(frozen=True)
class Estimate:
    """One estimator's reading of one window.

    Attributes
    ----------
    hz
        The frequency in Hz, or ``nan`` when there is no estimate (never 0 for "nothing").
    confidence
        In [0, 1]; 0 whenever ``hz`` is nan.
    status
        ``"ok"``; ``"no_tone"`` (silence or noise only, or the estimator cannot
        trust what it sees); ``"out_of_range"`` (a tone the estimator cannot
        measure: outside the LSTM's trained range, or below the window's
        resolution); ``"error"`` (the estimator failed on this window; the
        engine reports the exception once).
    """

    hz: float
    confidence: float
    status: str

    @classmethod
    def nothing(cls, status: str) -> Estimate:
        """An estimate with no number, for a status other than ``"ok"``."""
        return cls(math.nan, 0.0, status)

    @property
    def ok(self) -> bool:
        """True when the estimate carries a frequency."""
        return self.status == OK


@runtime_checkable
class Estimator(Protocol):
    """What the engine needs from an estimator.

    ``name`` is the key of its estimates in a readout (``"fft"``, ``"zc"``,
    ``"lstm"``). ``estimate_many`` receives windows of shape ``(batch, N)``
    (float32, finite) and must not modify them.
    """

    name: str

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        """Return one Estimate per row of ``frames``."""
        ...


def estimate_one(estimator: Estimator, window: np.ndarray, samplerate: float) -> Estimate:
    """Run ``estimator`` on a single 1-D window.

    Example
    -------
    >>> from streamfreq.estimators.fft import FFTEstimator
    >>> from streamfreq.signals import tone
    >>> round(estimate_one(FFTEstimator(), tone(2048, 18.775), 48000.0).hz, 3)
    440.039
    """
    return estimator.estimate_many(np.asarray(window, dtype=np.float32)[None, :], samplerate)[0]


def centred_unit_peak(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float64 copy of windows ``(batch, N)`` with each mean removed and scaled to unit peak.

    Returns ``(windows, peak)``; all-zero windows stay zero (``peak`` 0). The
    scaling makes estimators indifferent to tiny or huge inputs.

    Example
    -------
    >>> y, peak = centred_unit_peak(np.array([[1.0, 3.0], [2.0, 2.0]]))
    >>> y.tolist(), peak.tolist()
    ([[-1.0, 1.0], [0.0, 0.0]], [1.0, 0.0])
    """
    y = np.array(frames, dtype=np.float64, ndmin=2)
    y -= y.mean(axis=1, keepdims=True)
    peak = np.maximum(y.max(axis=1), -y.min(axis=1)) + 0.0  # max |y| without a copy (+ 0.0: never -0.0)
    y /= np.where(peak > 0, peak, 1.0)[:, None]
    return y, peak


#: A window whose middle eighth has less than this share (-25 dB) of the power of its loudest quarter starts or
#: stops sounding before its centre: no_tone (its centre is silent, or holds only breath or reverberation).
CENTRE_LEVEL = 10 ** (-25 / 10)


def sounding_at_centre(y: np.ndarray) -> np.ndarray:
    """Windows ``y`` (batch, N) whose middle eighth is at most :data:`CENTRE_LEVEL` below their loudest quarter.

    Every estimator reports the f0 at the window's centre. A note that starts or stops within a window
    leaves one side of it quiet; its centre sounds only if the note has begun and not ended there.

    Example
    -------
    >>> onset = np.r_[np.zeros(1200), np.ones(848)] * np.cos(np.arange(2048))
    >>> sounding_at_centre(np.stack([onset, onset[::-1], np.cos(np.arange(2048))])).tolist()
    [False, False, True]
    """
    count, n = y.shape
    quarter, eighth = n // 4, n // 16
    loudest = np.einsum("ijk,ijk->ij", *(y[:, : 4 * quarter].reshape(count, 4, quarter),) * 2).max(axis=1) / quarter
    middle = y[:, n // 2 - eighth : n // 2 + eighth]
    return np.einsum("ij,ij->i", middle, middle) >= CENTRE_LEVEL * (2 * eighth) * loudest


#: A window whose waveform repeats at its period as a whole at least this well (broadband normalised autocorrelation:
#: the periodic sound holds most of its energy)...
WHOLE_REPEATS = 0.6
#: ...but whose middle (an eighth of it, or a period where that is longer) correlates below this with the stretch one
#: period before or after it holds the sound away from its centre: a voice that stops, or starts, in breath or noise
#: before the centre. Steady voices, notes and tones read 0.6..1 there (the synthetic voices' lowest 0.1%), and in
#: noise about s / (1 + s) with s the per-sample SNR, where the whole reads as low.
CENTRE_REPEATS = 0.3


def repeating_at_centre(frames: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Windows ``frames`` (batch, N) whose centre repeats at ``period`` (samples, one per window), or whose whole
    does not repeat there clearly (see :data:`WHOLE_REPEATS`, :data:`CENTRE_REPEATS`).

    :func:`sounding_at_centre` finds a centre that is quiet; this one a centre that sounds, but not with the
    periodic sound the rest of the window holds (breath after a sung phrase ends). The window's middle eighth,
    or its middle period where that is longer, is correlated (each stretch less its mean) with the stretch a
    whole number of samples nearest one period before it and after it, and the better of the two counts, so a
    sound that starts or stops just beyond the centre passes. Periods longer than a third of the window (the
    stretches would leave it) pass untested.

    Example
    -------
    >>> t = np.arange(2048)
    >>> voice = np.sin(2 * np.pi * t / 100) + 0.5 * np.sin(4 * np.pi * t / 100)
    >>> breath = np.random.default_rng(0).standard_normal(2048) * 0.3
    >>> stops = np.where(t < 900, voice, breath)  # a phrase that ends before the centre
    >>> repeating_at_centre(np.stack([voice, stops, breath]), np.full(3, 100.0)).tolist()
    [True, False, True]
    """
    frames = np.asarray(frames)
    count, n = frames.shape
    if not count:
        return np.ones(0, dtype=bool)
    lag = np.rint(np.asarray(period, dtype=np.float64)).astype(np.int64)
    tested = (lag >= 1) & (3 * lag <= n)
    lag = np.where(tested, lag, 1)
    length = np.maximum(n // 8, lag)
    inside = (np.arange(length.max()) < length[:, None])[:, None, :]
    # the stretches one period before the centre, at it and after it, each less its mean (zero past its length)
    where = (n // 2 - length // 2 + lag * np.array([[-1], [0], [1]])).T[:, :, None] + np.arange(length.max())
    stretches = frames[np.arange(count)[:, None, None], np.minimum(where, n - 1)].astype(np.float64)  # any scale
    stretches *= inside
    stretches -= inside * (stretches.sum(axis=2, keepdims=True) / length[:, None, None])
    energy = np.einsum("ikl,ikl->ik", stretches, stretches)
    norms = np.sqrt(energy[:, ::2] * energy[:, 1:2])
    at_centre = np.einsum("ikl,il->ik", stretches[:, ::2], stretches[:, 1]) / np.where(norms > 0, norms, np.inf)
    repeating = ~tested | (at_centre.max(axis=1) >= CENTRE_REPEATS)
    for row in np.flatnonzero(~repeating):  # few: the whole window's correlation at the period
        y = frames[row].astype(np.float64)
        shift = int(lag[row])
        early, late = y[:-shift] - y[:-shift].mean(), y[shift:] - y[shift:].mean()
        repeating[row] = early @ late < WHOLE_REPEATS * math.sqrt((early @ early) * (late @ late))
    return repeating


def estimates_from_arrays(hz: np.ndarray, confidence: np.ndarray, status: np.ndarray) -> list[Estimate]:
    """Build Estimates from parallel arrays, forcing nan/0 where the status is not ``"ok"``."""
    out = []
    for h, c, s in zip(hz.tolist(), confidence.tolist(), status.tolist(), strict=True):
        out.append(Estimate(h, min(1.0, max(0.0, c)), OK) if s == OK else Estimate.nothing(s))
    return out
