"""Zero-crossing estimator: the fundamental (f0) from the period of the repeating crossing pattern.

Each window is mean-removed and smoothed by a moving average about a third
of the apparent period long, three times over (the length is chosen from
the crossing count, and each pass lowers the apparent period of a harmonic
sound towards its fundamental); a sine stays a sine while noise averages
away. Crossing times are interpolated linearly between samples. A periodic
waveform crosses zero the same ``k`` times every period, so the spans
``t[i + k] - t[i]`` are all one period: the smallest ``k`` whose spans
repeat (:func:`_pattern`; a span may grow or shrink steadily, as a gliding
pitch's does) gives the period, and a gently curved line through all
crossings, one intercept per crossing of the pattern (so DC offsets and
uneven waveforms do no harm) and a shared curvature (so a pitch that glides
or bends in vibrato within the window does no harm), measures it at the
middle of the window. The fit's standard error, the
scatter of the crossings and the pattern's own checks (a shorter pattern
that nearly repeats too, a longer one that repeats far better) decide
whether it can be trusted; anything else is ``"no_tone"``, so zc gives a
number only where it is sure of the period and never an octave error on
purpose. Two unrelated tones make no repeating pattern: ``"no_tone"``
unless one dominates. Periods under 4 samples (above a quarter of the
samplerate) and fundamentals below ``fmin`` are ``"out_of_range"``.

Example
-------
>>> from streamfreq.estimators.zero_crossing import ZeroCrossingEstimator
>>> from streamfreq.estimators.base import estimate_one
>>> from streamfreq.signals import tone
>>> round(estimate_one(ZeroCrossingEstimator(), tone(2048, 18.775), 48000.0).hz, 2)
440.04
"""

from __future__ import annotations

import numpy as np

from streamfreq.errors import check_range
from streamfreq.estimators.base import (
    NO_TONE,
    OK,
    OUT_OF_RANGE,
    Estimate,
    HasFloor,
    centred_unit_peak,
    estimates_from_arrays,
)

#: Smoothing length as a fraction of the period (maximises the SNR gain of a moving average).
SMOOTHING_FRACTION = 0.3
#: Shortest period measured: at fewer samples per period, linear interpolation of crossings is biased.
MIN_PERIOD_SAMPLES = 4.0
#: Rounds of "count crossings, smooth over a third of the period they suggest"; each pass lowers the apparent
#: period of a harmonic sound towards its fundamental.
SMOOTHING_PASSES = 3
#: Most crossings per period looked for in the repeating pattern.
MAX_PATTERN = 24
#: Fewest spans, beyond the k of the pattern itself, whose scatter is compared (fewer say too little).
MIN_SPANS = 4
#: A pattern of k crossings counts as repeating when its span scatter is within this factor of the best...
PATTERN_TIE = 1.6
#: ...(plus this many samples, for noise).
PATTERN_SLACK = 0.05
#: A pattern dividing the chosen one with scatter within this factor of the best makes the window ambiguous.
PATTERN_AMBIGUOUS = 8.0
#: The chosen pattern's spans must scatter less than this fraction of their length for a number at all (and a
#: pattern dividing it that does so too makes the window ambiguous).
PATTERN_TRUSTED = 0.03
#: A longer pattern that repeats far better than the chosen one says the chosen one follows a partial, not the period,
#: only where the chosen one's spans scatter by more than this fraction of their length. A clean tone's crossings,
#: interpolated between samples, scatter by 0.05-0.6% of the period (the most at 5 samples a period, 10 kHz at
#: 48 kHz), and a whole number of its periods that spans
#: a whole number of samples scatters by nothing (7 periods of 7 kHz are 48 samples at 48 kHz); a pattern that
#: follows a partial scatters by several percent.
PATTERN_LOOSE = 0.01
#: A window whose waveform correlates at half the measured period within this of its correlation at the period
#: repeats nearly as well every half period: it could be read an octave either way (normalised correlation).
HALF_PERIOD_MARGIN = 0.05
#: A window whose waveform correlates at twice the measured period better than at the period by more than this
#: repeats at the longer period: the crossings follow a partial of a sound whose fundamental is weak or gone.
DOUBLE_PERIOD_MARGIN = 0.02


class ZeroCrossingEstimator(HasFloor):
    """Fundamental frequency from the period of the repeating zero-crossing pattern.

    Parameters
    ----------
    fmin
        Lowest fundamental to report, in Hz; None for the lowest the window
        allows (:func:`streamfreq.defaults.lowest_f0`, 2 periods per window).
        A period longer than that is ``"out_of_range"``.
    max_relative_error
        Largest standard error of the period, relative to it, that is still
        reported as ``"ok"``; above it the window is ``"no_tone"``. The default
        (0.1 %) keeps reported numbers well inside 1 % of the truth.
    max_jitter
        Largest RMS deviation of crossing times from the fitted line, as a
        fraction of the period. Noise-only windows score above 1; a tone at
        10 dB per-sample SNR about 0.01-0.04.
    min_crossings
        Fewest crossings (both directions together) a fit needs.

    Example
    -------
    >>> import numpy as np
    >>> from streamfreq.estimators.base import estimate_one
    >>> estimate_one(ZeroCrossingEstimator(), np.zeros(2048), 48000.0).status
    'no_tone'
    """

    name = "zc"

    def __init__(
        self,
        fmin: float | None = None,
        max_relative_error: float = 1e-3,
        max_jitter: float = 0.1,
        min_crossings: int = 5,
    ) -> None:
        if fmin is not None:
            check_range("fmin", fmin, 1e-3, 1e6)
        check_range("max_relative_error", max_relative_error, 1e-9, 1.0)
        check_range("max_jitter", max_jitter, 1e-6, 1.0)
        check_range("min_crossings", min_crossings, 4, 1_000_000)
        self.fmin = None if fmin is None else float(fmin)
        self.max_relative_error = float(max_relative_error)
        self.max_jitter = float(max_jitter)
        self.min_crossings = int(min_crossings)

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        """Estimate the fundamental in each row of ``frames`` (batch, N) sampled at ``samplerate``."""
        if len(frames) == 0:
            return []
        y, peak = centred_unit_peak(frames)
        count, n = y.shape
        cumulative = np.empty((count, n + 1))
        cumulative[:, 0] = 0.0
        np.cumsum(y, axis=1, out=cumulative[:, 1:])

        length = np.full(count, 3)
        for _ in range(SMOOTHING_PASSES):  # count crossings, pick the smoothing length from the period, again
            crossings = _count_crossings(cumulative, length)
            period = 2.0 * n / np.maximum(crossings, 1)
            length = np.minimum(np.maximum(np.rint(SMOOTHING_FRACTION * period), 1), n // 4).astype(np.int64)
        window_index, times, _ = _crossings(cumulative, length)
        per_period, ambiguous = _pattern(count, window_index, times)
        period, rel_error, jitter, crossings = _fit(count, window_index, times, per_period)

        trusted = (
            (crossings >= self.min_crossings)
            & (rel_error <= self.max_relative_error)
            & (jitter <= self.max_jitter)
            & ~ambiguous
            & (peak > 0)
        )
        trusted &= ~_period_in_doubt(y, np.where(trusted, period, 0.0))  # (0: not checked)
        status = np.where(trusted, OK, NO_TONE).astype(object)
        lowest = self.lowest_hz(n, samplerate)
        with np.errstate(divide="ignore", invalid="ignore"):
            hz = samplerate / period
        apparent = 2.0 * n / np.maximum(crossings, 1)  # the crossing rate's period, whatever the pattern
        status[trusted & ((period < MIN_PERIOD_SAMPLES) | (apparent < MIN_PERIOD_SAMPLES))] = OUT_OF_RANGE
        status[trusted & (hz < lowest * (1.0 - 1e-9))] = OUT_OF_RANGE
        confidence = np.minimum(np.maximum(1.0 - rel_error / self.max_relative_error, 0.0), 1.0)
        return estimates_from_arrays(hz, confidence, status)


def _period_in_doubt(y: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Windows ``y`` (batch, N; mean removed) whose waveform says ``period`` (samples) may not be the period:
    its normalised correlation at half the period is within :data:`HALF_PERIOD_MARGIN` of that at the period,
    or (where twice the period spans at most half the window) its correlation at twice the period exceeds
    that at the period by more than :data:`DOUBLE_PERIOD_MARGIN`. Periods that round below 2 samples (0 for a
    window not to check) are not checked.

    The crossing pattern misses such a half where the crossings per period alternate (a voice whose
    alternate periods differ: 8 crossings in one, 10 in the next, so only the pair repeats), and would
    read the sound an octave low. A steady tone correlates at half its period far lower (-1 for a sine).
    A sound whose fundamental is weak or gone (a voice through a high-pass filter) crosses zero as its
    second partial does and repeats better at its true period, twice the pattern's.

    Example
    -------
    >>> import numpy as np
    >>> m = np.arange(2048)
    >>> sine, pair = np.cos(2 * np.pi * m / 200), np.cos(2 * np.pi * m / 100)  # periods 200 and 100
    >>> no_fundamental = np.cos(2 * np.pi * m / 100) + 0.3 * np.cos(2 * np.pi * m / 200 * 3)  # partials 2 and 3
    >>> _period_in_doubt(np.array([sine, pair, no_fundamental]), np.array([200.0, 200.0, 100.0])).tolist()
    [False, True, True]
    """
    out = np.zeros(len(y), dtype=bool)
    n = y.shape[1]
    lags = np.rint(period).astype(np.int64)
    rows = np.flatnonzero((lags >= 2) & (lags < n - 2))
    rows = rows[np.argsort(lags[rows], kind="stable")]
    # windows that share a period are checked together: a few numpy calls per period, not per window (a loop
    # over windows held the GIL long enough to slow the estimators running beside zc)
    for group in np.split(rows, np.flatnonzero(np.diff(lags[rows])) + 1) if len(rows) else ():
        whole = int(lags[group[0]])
        block = y if len(group) == len(y) else y[group]  # (one period for every window: them all, in order)
        own = _correlation_at_lag(block, whole)
        doubt = _correlation_at_lag(block, whole // 2) > own - HALF_PERIOD_MARGIN
        if 2 * whole <= n // 2:
            doubt |= _correlation_at_lag(block, 2 * whole) > own + DOUBLE_PERIOD_MARGIN
        out[group] = doubt
    return out


def _correlation_at_lag(y: np.ndarray, lag: int) -> np.ndarray:
    """The normalised correlation of each window ``y`` (batch, N) with itself ``lag`` samples on: of its first and
    its last ``N - lag`` samples (each row its own dot product, whatever the batch).

    Example
    -------
    >>> import numpy as np
    >>> y = np.cos(2 * np.pi * np.arange(1000) / 100)[None]
    >>> [round(float(v), 3) for v in (_correlation_at_lag(y, 50)[0], _correlation_at_lag(y, 100)[0])]
    [-1.0, 1.0]
    """
    head, tail = y[:, None, :-lag], y[:, lag:, None]
    return (head @ tail)[:, 0, 0] / np.sqrt(np.maximum((head @ head.mT)[:, 0, 0] * (tail.mT @ tail)[:, 0, 0], 1e-300))


#: Crossings per pattern tried: 2, 4, ... :data:`MAX_PATTERN`.
_PATTERN_LENGTHS = np.arange(2, MAX_PATTERN + 1, 2)


def _pattern(count: int, window_index: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crossings per period of each window's repeating pattern, and whether a shorter pattern nearly repeats.

    For ``k = 2, 4, ...`` crossings, the spans ``t[i + k] - t[i]`` of a
    periodic waveform are all one period (or, where the pitch glides, lie on
    a straight line against ``i``); their scatter about that line (in
    samples: the crossing-time noise, whatever ``k``) measures how well the
    pattern repeats every ``k`` crossings. The period is the
    smallest ``k`` whose scatter is within :data:`PATTERN_TIE` times the
    best's (a multiple of the period repeats no better, so no sub-octave).
    A window where a pattern that divides the chosen one (a half, a third)
    repeats nearly as well (within :data:`PATTERN_AMBIGUOUS` times the best,
    or within :data:`PATTERN_TRUSTED` of its own span: a sound that nearly
    repeats twice per period, such as two slightly detuned voices, or a
    square wave whose sampling repeats exactly only every few periods) could be
    read an octave or a twelfth either way and is flagged, as is one where
    a multiple of the chosen pattern repeats far better while the chosen one's
    spans scatter by more than :data:`PATTERN_LOOSE` of their length (the chosen
    one then follows an upper partial) or the chosen pattern's spans scatter by more
    than :data:`PATTERN_TRUSTED` of their length, so it says ``no_tone``
    rather than risk an octave error.
    """
    ks = _PATTERN_LENGTHS
    cell, first, span = _spans(window_index, times)
    cells = count * len(ks)
    spans = np.bincount(cell, minlength=cells).reshape(count, len(ks))

    def cell_mean(values: np.ndarray) -> np.ndarray:
        return np.bincount(cell, weights=values, minlength=cells).reshape(count, len(ks)) / spans

    with np.errstate(divide="ignore", invalid="ignore"):
        mean = cell_mean(span)
        deviation = span - mean.ravel()[cell]
        # a cell's spans start at its window's crossings 0, 1, ... spans - 1: their mean and variance in closed form
        spread = (spans * spans - 1.0) / 12.0
        covariance = cell_mean(first * deviation)
        trend = np.where(spread > 0, covariance * covariance / spread, 0.0)  # the variance a straight line explains
        variance = np.maximum(cell_mean(deviation * deviation) - trend, 0.0)
        scatter = np.where((spans >= MIN_SPANS + ks) & (mean > 0), np.sqrt(variance), np.inf)
    spans_mean = np.where(spans > 0, mean, np.inf)
    best = scatter.min(axis=1)
    chosen = np.argmax(scatter <= PATTERN_TIE * best[:, None] + PATTERN_SLACK, axis=1)
    divides = (ks[chosen][:, None] % ks == 0) & (ks < ks[chosen][:, None])  # shorter patterns it is made of
    near = (scatter <= PATTERN_AMBIGUOUS * best[:, None] + PATTERN_SLACK) | (scatter < PATTERN_TRUSTED * spans_mean)
    ambiguous = (divides & near).any(axis=1)
    # a longer pattern made of the chosen one repeating far better: the chosen one is a partial's, not the period
    rows = np.arange(count)
    own = scatter[rows, chosen]
    multiples = (ks % ks[chosen][:, None] == 0) & (ks > ks[chosen][:, None])
    loose = own > PATTERN_LOOSE * spans_mean[rows, chosen]
    ambiguous |= (multiples & (scatter * PATTERN_AMBIGUOUS < own[:, None])).any(axis=1) & loose
    ambiguous |= own > PATTERN_TRUSTED * spans_mean[rows, chosen]  # the chosen pattern itself hardly repeats
    return np.where(np.isfinite(best), ks[chosen], 2), ambiguous | ~np.isfinite(best)


def _spans(window_index: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every crossing ``i`` against crossing ``i + k`` of the same window, for each ``k`` of :data:`_PATTERN_LENGTHS`:
    the cell ``window * len(ks) + column of k``, ``i`` counted within its window (0, 1, ...) and the span
    ``t[i + k] - t[i]`` of each, ``k`` by ``k`` and in time order within each."""
    ks = _PATTERN_LENGTHS
    first = np.arange(len(times))
    later = first + ks[:, None]  # (k, crossing)
    pair = later < len(times)
    later = np.minimum(later, len(times) - 1)
    pair &= window_index[later] == window_index
    cell = (window_index * len(ks) + np.arange(len(ks))[:, None])[pair]
    counts = np.bincount(window_index)
    within = first - np.concatenate(([0], np.cumsum(counts)[:-1]))[window_index]
    return cell, np.broadcast_to(within.astype(np.float64), later.shape)[pair], (times[later] - times)[pair]


def _sign_changes(cumulative: np.ndarray, length: np.ndarray):
    """Per distinct smoothing length: ``(rows, part, changes)``, ``changes[r, j]`` marking a crossing.

    The moving average over samples ``j .. j+L-1`` is ``(c[j+L] - c[j]) / L``
    for the cumulative sum ``c``, so its sign is a comparison: no division,
    no smoothed copy.
    """
    for value in sorted(set(length.tolist())):
        rows = np.flatnonzero(length == value)
        part = cumulative if len(rows) == len(length) else cumulative[rows]
        positive = part[:, value:] >= part[:, :-value]
        yield value, rows, part, positive, positive[:, 1:] != positive[:, :-1]


def _count_crossings(cumulative: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Number of zero crossings of each window smoothed by ``length[i]`` samples."""
    counts = np.zeros(len(length), dtype=np.int64)
    for _, rows, _, _, changes in _sign_changes(cumulative, length):
        counts[rows] = changes.sum(axis=1)
    return counts


def _crossings(cumulative: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zero crossings of each window smoothed by a moving average of ``length[i]`` samples.

    Returns ``(window_index, time, rising)`` per crossing, time in samples
    (linearly interpolated, centre-corrected), each window's crossings in
    time order. Smoothed values are computed only beside the crossings.
    """
    found = []
    for value, rows, part, positive, changes in _sign_changes(cumulative, length):
        w, j = np.divmod(np.flatnonzero(changes), changes.shape[1])
        flat = part.ravel()
        at = w * part.shape[1] + j
        before = flat[at + value] - flat[at]
        after = flat[at + 1 + value] - flat[at + 1]
        times = j + before / (before - after) + (value - 1) / 2.0
        found.append((rows[w], times, positive.ravel()[w * positive.shape[1] + j + 1]))
    window_index, times, rising = (np.concatenate(parts) for parts in zip(*found, strict=True))
    return window_index, times, rising


def _fit(
    count: int, window_index: np.ndarray, times: np.ndarray, per_period: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit ``t = t0[phase] + period * j + curve * j**2`` to each window's crossings, ``phase`` = crossing index
    mod ``per_period`` and ``j`` its period count, centred within each phase.

    Each of the ``k = per_period[w]`` crossings of a period has its own
    intercept (so a DC offset or a waveform's uneven crossings do no harm);
    all share the period and the curvature (a pitch gliding within the
    window: its period changes by ``2 * curve`` a period). The period is the
    slope at the middle of the crossings, i.e. of the window. Returns
    ``(period_samples, relative_standard_error, jitter, crossing_count)`` per
    window, ``jitter`` being the RMS residual of the crossing times as a
    fraction of the period.
    """
    counts = np.bincount(window_index, minlength=count)
    first_of_window = np.concatenate(([0], np.cumsum(counts)[:-1]))
    local = np.arange(len(times)) - first_of_window[window_index]
    k = per_period[window_index]
    width = int(per_period.max(initial=2))
    group = width * window_index + local % k  # within a group, crossings are in time order
    rank = (local // k).astype(np.float64)
    groups = width * count
    per_group = np.maximum(np.bincount(group, minlength=groups), 1.0)

    def centred(values: np.ndarray) -> np.ndarray:
        """``values`` less their mean in each phase group (the intercepts fitted away)."""
        return values - (np.bincount(group, weights=values, minlength=groups) / per_group)[group]

    def window_sum(values: np.ndarray) -> np.ndarray:
        return np.bincount(window_index, weights=values, minlength=count)

    dk = centred(rank)
    dq = centred(dk * dk)
    dt = centred(times)
    sxx, sxq, sqq = window_sum(dk * dk), window_sum(dk * dq), window_sum(dq * dq)
    sxy, sqy = window_sum(dk * dt), window_sum(dq * dt)
    with np.errstate(divide="ignore", invalid="ignore"):
        determinant = sxx * sqq - sxq * sxq
        period = (sqq * sxy - sxq * sqy) / determinant
        curve = (sxx * sqy - sxq * sxy) / determinant
        residual = dt - period[window_index] * dk - curve[window_index] * dq
        sse = window_sum(residual * residual)
        dof = counts - per_period - 2  # an intercept per phase, a slope and a curvature
        standard_error = np.sqrt(sse / np.maximum(dof, 1) * sqq / determinant)
        enough = (dof > 0) & (counts >= 2 * per_period) & (determinant > 0)
        rel_error = np.where(enough, standard_error / np.abs(period), np.inf)
        jitter = np.where(enough, np.sqrt(sse / np.maximum(counts, 1)) / np.abs(period), np.inf)
    return period, rel_error, jitter, counts
