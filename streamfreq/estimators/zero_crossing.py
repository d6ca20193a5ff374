"""Zero-crossing estimator: a straight-line fit through interpolated crossing times.

Each window is mean-removed and smoothed by a moving average about a third
of a period long (the length is chosen from a first crossing count), which
keeps a sine a sine while averaging noise away. Crossing times are
interpolated linearly between samples; rising and falling crossings are fitted
together by ``t = t0_direction + k * period`` (one intercept per direction, so
a DC offset that makes half-periods unequal does no harm). The fit's own
standard error and the scatter of crossings around it decide whether the
result can be trusted. Periods under 4 samples (above a quarter of the
samplerate) are reported as ``"out_of_range"``.

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
from streamfreq.estimators.base import NO_TONE, OK, OUT_OF_RANGE, Estimate, centred_unit_peak, estimates_from_arrays

#: Smoothing length as a fraction of the period (maximises the SNR gain of a moving average).
SMOOTHING_FRACTION = 0.3
#: Shortest period measured: at fewer samples per period, linear interpolation of crossings is biased.
MIN_PERIOD_SAMPLES = 4.0


class ZeroCrossingEstimator:
    """Frequency from the regularity of zero crossings.

    Parameters
    ----------
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

    def __init__(self, max_relative_error: float = 1e-3, max_jitter: float = 0.1, min_crossings: int = 5) -> None:
        check_range("max_relative_error", max_relative_error, 1e-9, 1.0)
        check_range("max_jitter", max_jitter, 1e-6, 1.0)
        check_range("min_crossings", min_crossings, 4, 1_000_000)
        self.max_relative_error = float(max_relative_error)
        self.max_jitter = float(max_jitter)
        self.min_crossings = int(min_crossings)

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        """Estimate the frequency in each row of ``frames`` (batch, N) sampled at ``samplerate``."""
        if len(frames) == 0:
            return []
        y, peak = centred_unit_peak(frames)
        count, n = y.shape
        cumulative = np.zeros((count, n + 1))
        np.cumsum(y, axis=1, out=cumulative[:, 1:])

        length = np.full(count, 3)
        for _ in range(2):  # count crossings, pick the smoothing length from the period, again
            crossings = _count_crossings(cumulative, length)
            period = 2.0 * n / np.maximum(crossings, 1)
            length = np.clip(np.rint(SMOOTHING_FRACTION * period), 1, n // 4).astype(np.int64)
        period, rel_error, jitter, crossings = _fit(count, *_crossings(cumulative, length))

        trusted = (
            (crossings >= self.min_crossings)
            & (rel_error <= self.max_relative_error)
            & (jitter <= self.max_jitter)
            & (peak > 0)
        )
        status = np.where(trusted, OK, NO_TONE).astype(object)
        status[trusted & (period < MIN_PERIOD_SAMPLES)] = OUT_OF_RANGE
        confidence = np.clip(1.0 - rel_error / self.max_relative_error, 0.0, 1.0)
        return estimates_from_arrays(samplerate / period, confidence, status)


def _sign_changes(cumulative: np.ndarray, length: np.ndarray):
    """Per distinct smoothing length: ``(rows, part, changes)``, ``changes[r, j]`` marking a crossing.

    The moving average over samples ``j .. j+L-1`` is ``(c[j+L] - c[j]) / L``
    for the cumulative sum ``c``, so its sign is a comparison: no division,
    no smoothed copy.
    """
    for value in np.unique(length).tolist():
        rows = np.flatnonzero(length == value)
        part = cumulative if len(rows) == len(length) else cumulative[rows]
        positive = part[:, value:] >= part[:, :-value]
        yield value, rows, part, positive, positive[:, 1:] != positive[:, :-1]


def _count_crossings(cumulative: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Number of zero crossings of each window smoothed by ``length[i]`` samples."""
    counts = np.zeros(len(length), dtype=np.int64)
    for _, rows, _, _, changes in _sign_changes(cumulative, length):
        counts[rows] = np.count_nonzero(changes, axis=1)
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
    count: int, window_index: np.ndarray, times: np.ndarray, rising: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fit ``t = t0[direction] + k * period`` to each window's crossings.

    Returns ``(period_samples, relative_standard_error, jitter, crossing_count)`` per window,
    ``jitter`` being the RMS residual of the crossing times as a fraction of the period.
    """
    direction = rising.astype(np.int64)
    group = 2 * window_index + direction  # within a group, crossings are in time order
    groups = 2 * count
    per_group = np.bincount(group, minlength=groups)
    first = np.concatenate(([0], np.cumsum(per_group)[:-1]))
    order = np.argsort(group, kind="stable")
    rank = np.empty(len(group), dtype=np.float64)
    rank[order] = np.arange(len(group)) - np.repeat(first, per_group)

    def group_sum(values: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=values, minlength=groups)

    n_g = per_group.astype(np.float64)
    safe_n = np.maximum(n_g, 1.0)
    mean_k = group_sum(rank) / safe_n
    mean_t = group_sum(times) / safe_n
    dk = rank - mean_k[group]
    dt = times - mean_t[group]
    sxx = group_sum(dk * dk).reshape(count, 2).sum(axis=1)
    sxy = group_sum(dk * dt).reshape(count, 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        period = sxy / sxx
        residual = dt - period[window_index] * dk
        sse = np.bincount(window_index, weights=residual * residual, minlength=count)
        total = per_group.reshape(count, 2).sum(axis=1)
        dof = total - 3  # two intercepts and a slope
        standard_error = np.sqrt(sse / np.maximum(dof, 1) / sxx)
        enough = (dof > 0) & (per_group.reshape(count, 2).min(axis=1) >= 2)
        rel_error = np.where(enough, standard_error / np.abs(period), np.inf)
        jitter = np.where(enough, np.sqrt(sse / np.maximum(total, 1)) / np.abs(period), np.inf)
    return period, rel_error, jitter, total
