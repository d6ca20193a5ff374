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

import copy
import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from streamfreq.defaults import lowest_f0

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
    (float32, finite) and must not modify them. An estimator whose class sets ``follows_notes`` true has the
    engine follow its notes through the windows it gives no number (:mod:`streamfreq.follow`); one that is a
    :class:`HasFloor` has the windows it calls ``out_of_range`` below its floor read again in a longer window
    (:mod:`streamfreq.reach`).
    """

    name: str

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        """Return one Estimate per row of ``frames``."""
        ...


class HasFloor:
    """An estimator with a floor: the lowest f0 it reads is its ``fmin``, or (None) the window's own.

    Example
    -------
    >>> from streamfreq.estimators.fft import FFTEstimator
    >>> fft = FFTEstimator()
    >>> round(fft.lowest_hz(2048, 44100.0), 2), fft.reaching(30.0).lowest_hz(4096, 44100.0)
    (43.07, 30.0)
    >>> fft.reaching(30.0) is fft.reaching(30.0)
    True
    """

    fmin: float | None

    def lowest_hz(self, n: int, samplerate: float) -> float:
        """The lowest f0 (Hz) read in windows of ``n`` at ``samplerate``: ``fmin``, else the window's own floor."""
        return lowest_f0(n, samplerate) if self.fmin is None else self.fmin

    def reaching(self, fmin: float) -> HasFloor:
        """This estimator told ``fmin``: a copy of it, made on the first call and kept, that the engine reads the
        windows below the floor with again (:mod:`streamfreq.reach`)."""
        kept = self.__dict__.setdefault("_reaching", {})
        if fmin not in kept:
            twin = copy.copy(self)
            twin.fmin, twin._reaching = float(fmin), {}
            kept[fmin] = twin._own_state()
        return kept[fmin]

    def _own_state(self) -> HasFloor:
        """A copy from :meth:`reaching`, given whatever state it must not share (a model's interpreter)."""
        return self


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


def centre_level(y: np.ndarray) -> np.ndarray:
    """The power of the middle eighth of each window ``y`` (batch, N; mean removed) over that of its loudest
    quarter (0 where the window is silent).

    Every estimator reports the f0 at the window's centre. A note that starts or stops within a window
    leaves one side of it quiet; its centre sounds only if the note has begun and not ended there: below
    :data:`CENTRE_LEVEL` it does not (``no_tone``), and below :data:`QUIET_CENTRE` it is checked by
    :func:`repeating_at_centre`.

    Example
    -------
    >>> t = np.arange(2048)
    >>> centre_level(np.stack([np.cos(t), np.cos(t) * (t < 1024), np.zeros(2048)])).round(2).tolist()
    [1.0, 0.5, 0.0]
    """
    count, n = y.shape
    quarter, eighth = n // 4, n // 16
    loudest = np.einsum("ijk,ijk->ij", *(y[:, : 4 * quarter].reshape(count, 4, quarter),) * 2).max(axis=1) / quarter
    middle = y[:, n // 2 - eighth : n // 2 + eighth]
    return np.einsum("ij,ij->i", middle, middle) / (2 * eighth) / np.where(loudest > 0, loudest, np.inf)


#: A window whose waveform repeats at its period as a whole at least this well (broadband normalised autocorrelation:
#: the periodic sound holds most of its energy)...
WHOLE_REPEATS = 0.6
#: ...but whose middle (an eighth of it, or a period where that is longer) correlates below this with the stretch one
#: period before or after it holds the sound away from its centre: a voice that stops, or starts, in breath or noise
#: before the centre. Steady voices, notes and tones read 0.6..1 there (the synthetic voices' lowest 0.1%), and in
#: noise about s / (1 + s) with s the per-sample SNR, where the whole reads as low.
CENTRE_REPEATS = 0.3
#: Only windows whose middle eighth is at least this far (6 dB) below their loudest quarter are checked so: breath
#: after a phrase is quieter than the phrase (the synthetic voices' windows that the check took: 14..29 dB below),
#: and a window sounding evenly through its centre costs nothing.
QUIET_CENTRE = 10 ** (-6 / 10)


def repeating_at_centre(frames: np.ndarray, period: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Windows ``frames`` (batch, N) whose centre repeats at ``period`` (samples, one per window; nan for a window
    without a number, which passes), or whose whole does not repeat there clearly (see :data:`WHOLE_REPEATS`,
    :data:`CENTRE_REPEATS`); ``level`` is their :func:`centre_level`.

    :data:`CENTRE_LEVEL` finds a centre that is silent; this one a centre that sounds, but not with the
    periodic sound the rest of the window holds (breath after a sung phrase ends). The window's middle eighth,
    or its middle period where that is longer, is correlated (each stretch less its mean) with the stretch a
    whole number of samples nearest one period before it and after it, and the better of the two counts, so a
    sound that starts or stops just beyond the centre passes. Windows whose centre is within 6 dB of their
    loudest quarter (:data:`QUIET_CENTRE`) and periods longer than a third of the window (the stretches would
    leave it) pass untested.

    Example
    -------
    >>> t = np.arange(2048)
    >>> voice = np.sin(2 * np.pi * t / 100) + 0.5 * np.sin(4 * np.pi * t / 100)
    >>> breath = np.random.default_rng(0).standard_normal(2048) * 0.3
    >>> stops = np.where(t < 900, voice, breath)  # a phrase that ends before the centre
    >>> frames = np.stack([voice, stops, breath])
    >>> repeating_at_centre(frames, np.full(3, 100.0), centre_level(frames)).tolist()
    [True, False, True]
    """
    frames = np.asarray(frames)
    count, n = frames.shape
    repeating = np.ones(count, dtype=bool)
    quiet = np.asarray(level) < QUIET_CENTRE
    if not quiet.any():  # (most windows: nothing to test, and a live window's cost is mostly numpy's calls)
        return repeating
    periods = np.nan_to_num(np.asarray(period, dtype=np.float64), nan=0.0, posinf=0.0)
    lags = np.rint(periods).astype(np.int64)
    checked = (lags >= 1) & (3 * lags <= n) & quiet
    for row in np.flatnonzero(checked):  # a loop: a few small products per window
        y, lag, exact = frames[row].astype(np.float64), int(lags[row]), float(periods[row])
        length = max(n // 8, lag)
        start = n // 2 - length // 2
        # the stretches one period before the centre, at it and after it, at the whole lag nearest the period and
        # at the period itself (moved by its fraction of a sample); their products, each less its mean
        whole, fraction = math.floor(exact), exact - math.floor(exact)
        later, earlier = _moved(np.stack([y, y]), np.array([fraction, -fraction]))
        at_centre = -1.0
        for before, after in ((y[start - lag :], y[start + lag :]), (earlier[start - whole :], later[start + whole :])):
            stretches = np.stack([before[:length], y[start : start + length], after[:length]])
            sums = stretches.sum(axis=1)
            products = stretches @ stretches.T - np.outer(sums, sums) / length
            at_centre = max(at_centre, _correlation(products, 0, 1), _correlation(products, 2, 1))
        if at_centre < CENTRE_REPEATS:
            repeating[row] = whole_repeats(y[None], np.array([exact]))[0] < WHOLE_REPEATS
    return repeating


def _moved(y: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Windows ``y`` (batch, N) read ``shift`` samples later (one per window, a fraction of a sample either way):
    band-limited, by a phase shift of the spectrum of each window followed by its mirror image (which joins it
    without a jump, where zero padding would ring through the window from a sample cut at its edge), so the last
    sample (or the first, for a shift back) draws on the mirror image."""
    n = y.shape[1]
    spectrum = np.fft.rfft(np.concatenate([y, y[:, ::-1]], axis=1), axis=1)
    spectrum *= np.exp(2j * np.pi * np.fft.rfftfreq(2 * n)[None, :] * np.asarray(shift, dtype=np.float64)[:, None])
    return np.fft.irfft(spectrum, 2 * n, axis=1)[:, :n]


#: :func:`whole_repeats` reads a lag only where the window's two parts overlap by at least this share of it.
WHOLE_OVERLAP = 0.125
#: ... and the period itself, between whole samples, only where the nearest whole lag can cost more than this.
FRACTION_GAIN = 0.01


def whole_repeats(frames: np.ndarray, period: np.ndarray) -> np.ndarray:
    """How well each whole window ``frames`` (batch, N) repeats at its ``period`` (samples, one per window): the
    normalised correlation of its first and its last ``N - lag`` samples, each less its mean, at the best of the
    three whole-number lags nearest the period and the period itself (the window moved by the period's fraction
    of a sample, band-limited: a sound whose partials reach near Nyquist, as a bright low note's do at 16 kHz,
    repeats at no whole number of samples).

    Near 1 for a steady periodic sound, ``s / (1 + s)`` for one in white noise at per-sample SNR ``s``, and low
    for a window whose partials are not one periodic sound (breath, a decay's noise). nan where the period is
    nan, under 2 samples, or so long that the two parts overlap by less than :data:`WHOLE_OVERLAP` of the window.

    Example
    -------
    >>> t = np.arange(2048)
    >>> tone = np.sin(2 * np.pi * t / 100.3)
    >>> noise = np.random.default_rng(1).standard_normal(2048) / np.sqrt(2)  # as loud as the tone: 0 dB
    >>> whole_repeats(np.stack([tone, tone + noise, noise]), np.full(3, 100.3)).round(2).tolist()
    [1.0, 0.5, 0.02]
    """
    frames = np.asarray(frames)
    count, n = frames.shape
    out = np.full(count, np.nan)
    lags = np.rint(np.nan_to_num(np.asarray(period, dtype=np.float64), nan=0.0, posinf=0.0)).astype(np.int64)
    rows = np.flatnonzero((lags >= 2) & (lags <= n - math.ceil(WHOLE_OVERLAP * n) - 1))
    if not len(rows):
        return out
    y = frames[rows].astype(np.float64)
    # running sums of the samples and their squares: each part's mean and energy at any lag
    sums, squares = np.zeros((len(rows), n + 1)), np.zeros((len(rows), n + 1))
    np.cumsum(y, axis=1, out=sums[:, 1:])
    np.cumsum(y * y, axis=1, out=squares[:, 1:])
    at = np.arange(len(rows))
    best = np.full(len(rows), -1.0)
    for lag in (lags[rows] - 1, lags[rows], lags[rows] + 1):
        length = n - lag  # the first part is y[:length], the second y[lag:]
        products = np.array([np.dot(row[:-shift], row[shift:]) for row, shift in zip(y, lag.tolist(), strict=True)])
        first, second = sums[at, length], sums[:, n] - sums[at, lag]
        covariance = products - first * second / length
        variances = (squares[at, length] - first**2 / length) * (squares[:, n] - squares[at, lag] - second**2 / length)
        with np.errstate(invalid="ignore", divide="ignore"):
            best = np.maximum(best, np.where(variances > 0, covariance / np.sqrt(variances), 0.0))
    # the period itself, where the whole lags may miss it: a lag off by d samples turns a partial at w rad/sample
    # by w d, and the window's mean square step over its variance (about the power-weighted mean of w**2)
    # bounds what that costs, d**2 / 2 of it
    exact = np.asarray(period, dtype=np.float64)[rows]
    steps = np.einsum("ij,ij->i", *(np.diff(y, axis=1),) * 2) / np.maximum(squares[:, n] - sums[:, n] ** 2 / n, 1e-300)
    off = np.flatnonzero(steps * (exact - np.rint(exact)) ** 2 / 2 > FRACTION_GAIN)
    if len(off):
        best[off] = np.maximum(best[off], _fractional_repeats(y[off], exact[off]))
    out[rows] = best
    return out


def _fractional_repeats(y: np.ndarray, period: np.ndarray) -> np.ndarray:
    """:func:`whole_repeats` of windows ``y`` (batch, N, float64) at the period itself: the correlation, each part
    less its mean, of the first ``N - 1 - lag`` samples (``lag`` the period's whole samples) with the window moved
    by the period (its fraction of a sample by :func:`_moved`) from there. The last sample is left out: moved, it
    draws on the mirror image."""
    count, n = y.shape
    lag = np.floor(period).astype(np.int64)
    moved = _moved(y, period - lag)
    out = np.zeros(count)
    for row, shift in enumerate(lag.tolist()):  # a loop: parts of different lengths
        first, second = y[row, : n - 1 - shift], moved[row, shift : n - 1]
        first, second = first - first.mean(), second - second.mean()
        norm = math.sqrt(float(np.dot(first, first)) * float(np.dot(second, second)))
        out[row] = float(np.dot(first, second)) / norm if norm > 0 else 0.0
    return out


def _correlation(products: np.ndarray, i: int, j: int) -> float:
    """Normalised correlation of stretches ``i`` and ``j`` from their mean-removed products (0 where one is silent)."""
    norm = math.sqrt(products[i, i] * products[j, j])
    return float(products[i, j] / norm) if norm > 0 else 0.0


def lag_correlation(y: np.ndarray) -> np.ndarray:
    """The normalised correlation of each window ``y`` (batch, N; mean removed) with itself at lags ``0..N-1``: of
    its first and its last ``N - lag`` samples (1 at lag 0; 0 where either part is silent).

    Example
    -------
    >>> import numpy as np
    >>> y = np.cos(2 * np.pi * np.arange(1000) / 100)[None]
    >>> [round(float(v), 3) for v in lag_correlation(y)[0, [0, 50, 100, 500]]]
    [1.0, -1.0, 1.0, 1.0]
    """
    n = y.shape[1]
    spectrum = np.fft.rfft(y, 2 * n, axis=1)
    products = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, 2 * n, axis=1)[:, :n]
    energy = np.zeros((len(y), n + 1))
    np.cumsum(y * y, axis=1, out=energy[:, 1:])
    lags = np.arange(n)
    head, tail = energy[:, n - lags], energy[:, n:] - energy[:, lags]
    return products / np.sqrt(np.maximum(head * tail, 1e-300))


def best_lag(correlation: np.ndarray, shortest: np.ndarray, longest: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lag, correlation there)`` per window: the lag from ``shortest`` to ``longest`` (whole samples, per window)
    where the window's :func:`lag_correlation` ``correlation`` (batch, N) is highest, parabolically interpolated
    (a fraction of a sample), and the correlation at the whole lag.

    Example
    -------
    >>> import numpy as np
    >>> y = np.cos(2 * np.pi * np.arange(2048) / 100.3)[None]
    >>> lag, at = best_lag(lag_correlation(y), np.array([90]), np.array([110]))
    >>> round(float(lag[0]), 1), round(float(at[0]), 3)
    (100.3, 1.0)
    """
    n = correlation.shape[1]
    lags = np.arange(n)
    inside = (lags >= shortest[:, None]) & (lags <= longest[:, None])
    best = np.clip(np.where(inside, correlation, -np.inf).argmax(axis=1), 1, n - 2)
    left, mid, right = (np.take_along_axis(correlation, (best + k)[:, None], axis=1)[:, 0] for k in (-1, 0, 1))
    curvature = left - 2.0 * mid + right
    shift = np.where(curvature < 0, 0.5 * (left - right) / np.where(curvature < 0, curvature, -1.0), 0.0)
    return best + np.clip(shift, -0.5, 0.5), mid


#: :func:`period_near` looks for the best period within this ratio of a number: the LSTM's number moved to its
#: double below the range reads the recorded French horn's D♯2 35..45 cents off (past the bins its offset head was
#: fitted on), 1..3 by the period; ``fft``'s fit of rippled noise lands 3..5% off its delay.
NEAR_LAG = 1.06


def period_near(y: np.ndarray, cycles: np.ndarray) -> np.ndarray:
    """The f0 (cycles per window) of windows ``y`` (centred, unit peak) at their best period within
    :data:`NEAR_LAG` of ``cycles`` per window (:func:`best_lag`), or ``cycles`` where the best lag lies at an end of
    that span (no peak there): a number read from noisy partials, or moved by a check to another place (the LSTM's
    double below its range, its quotient on a partial), is as far off in cents as the partials or the network were,
    tens of cents, where the waveform's period is not.

    Example
    -------
    >>> import numpy as np
    >>> y = np.cos(2 * np.pi * np.arange(2048) * 20.48 / 2048)[None]
    >>> round(float(period_near(y, np.array([20.0]))[0]), 2)
    20.48
    """
    n = y.shape[1]
    period = n / cycles
    shortest = np.floor(period / NEAR_LAG).astype(np.int64)
    longest = np.minimum(np.ceil(period * NEAR_LAG), n - 2).astype(np.int64)
    lag = best_lag(lag_correlation(y), shortest, longest)[0]
    return np.where((lag > shortest + 0.5) & (lag < longest - 0.5), n / lag, cycles)


def estimates_from_arrays(hz: np.ndarray, confidence: np.ndarray, status: np.ndarray) -> list[Estimate]:
    """Build Estimates from parallel arrays, forcing nan/0 where the status is not ``"ok"``."""
    out = []
    for h, c, s in zip(hz.tolist(), confidence.tolist(), status.tolist(), strict=True):
        out.append(Estimate(h, min(1.0, max(0.0, c)), OK) if s == OK else Estimate.nothing(s))
    return out
