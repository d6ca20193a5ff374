"""How fast a window's pitch moves: a harmonic chirp fitted by Gauss-Newton steps on the samples themselves.

:func:`~streamfreq.estimators.harmonic_fit.glide_rate` measures a glide by one score step from none, with the
Fisher information of a long window, which holds where a window spans many periods. A window of two or three
periods (a note reached below the floor, :mod:`streamfreq.reach`) breaks that: each partial's cosine and sine, and
their images at negative frequencies, no longer stand apart, and the step reads 0.49..1.18 of a sweep's rate (three
partials gliding from 30 to 32 Hz over 4096 samples at 48 kHz), as the phases the partials start at fall.
:func:`chirp_rate` fits the model as it is, every column evaluated on the window's samples: the pitch
``f0 (1 + rate m)`` at centred sample ``m``, ``order`` harmonics of it and DC, by Gauss-Newton steps in every
parameter at once (from the amplitudes that best fit a steady pitch). It costs ``O(N L**2)`` per window, for the
few windows it is asked about.

Example
-------
>>> import numpy as np
>>> from streamfreq.signals import LogSweep, harmonic_tone
>>> seconds = 4096 / 48000.0
>>> sweep = harmonic_tone(4096, 48000.0, LogSweep(35.0, 35.0 * 2**seconds, seconds), [1.0, 0.5])  # 1 octave/s
>>> rate = chirp_rate(sweep[None], np.array([36.0 / 48000.0]), np.array([2]))
>>> round(float(rate[0] * 48000.0 / np.log(2)), 2)  # in octaves per second
1.0
"""

from __future__ import annotations

import numpy as np

from streamfreq.estimators.harmonic_fit import CHIRP_SIGNIFICANCE, GLIDE_MAX
from streamfreq.windowing import resample_to_length

#: Gauss-Newton steps from a steady pitch: three partials sweeping up from 30 Hz at two octaves a second, over 4096
#: samples at 48 kHz (a sixth of an octave), have their rate within 7% after one step and 0.9% after two, no
#: closer after more (the rest is the exponential sweep against the model's linear one).
CHIRP_STEPS = 2
#: Windows fitted at once: their design matrices (2 L + 3 columns of N samples each) stay a few MB.
CHIRP_CHUNK = 8


#: Each window is fitted at a rate lowered by the largest power of two up to this
#: (:func:`~streamfreq.windowing.resample_to_length`, anti-aliased; scipy.signal's resamplers would cost the live
#: path half a second to import at the first note below the floor) that keeps its top fitted harmonic under
#: :data:`DECIMATED_TOP` of the lower rate: a note below the floor, 8 harmonics of up to 54 Hz, is fitted in 476
#: samples at 6 kHz instead of 4096 at 48 kHz, 4x faster. Its glide comes out about as precise (a sine sweeping from
#: 30 Hz at 1 octave/s, 20 dB: the shift to the window's centre 0.64 cents off, median, against 0.69 at the full
#: rate), and partials above the fit weigh more against it (a glide of 24 partials at 20 dB: 24% of the windows with
#: 8 harmonics fitted show none, 0% at the full rate; a steady stiff note of 24 partials with 4 fitted: none of its
#: windows glides, 12% at the full rate).
DECIMATION_MAX = 8
#: ... the top harmonic at most this share of the lowered rate (half its Nyquist frequency, clear of the filter).
DECIMATED_TOP = 0.25
#: Samples at each end of a lowered window left out of the fit: the anti-alias filter's half-length there (16 taps
#: a side at 0.9 of the lowered Nyquist frequency), whose output near the ends reads the zeros past them.
DECIMATED_EDGE = 18


def chirp_rate(y: np.ndarray, f0: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The relative pitch change per sample of each window ``y`` (batch, N) read at ``f0`` (cycles per sample)
    with ``order`` harmonics: the fitted rate where it stands :data:`~.harmonic_fit.CHIRP_SIGNIFICANCE` standard
    errors clear of none and moves the pitch less than :data:`~.harmonic_fit.GLIDE_MAX` within the window, 0
    elsewhere (a steady note keeps its number to the last bit, and so does a window without a finite ``f0``).
    Each window is fitted at a rate lowered by up to :data:`DECIMATION_MAX`, less its ends.

    Example
    -------
    >>> steady = np.cos(2 * np.pi * 0.001 * np.arange(4096))[None]
    >>> chirp_rate(steady, np.array([0.001]), np.array([1])).tolist()
    [0.0]
    """
    y = np.asarray(y, dtype=np.float64)
    f0 = np.asarray(f0, dtype=np.float64)
    order = np.asarray(order)
    usable = np.isfinite(f0) & (f0 > 0)
    factor = np.clip(DECIMATED_TOP / np.maximum(order * np.where(usable, f0, 1.0), 1e-12), 1, DECIMATION_MAX)
    factor = (2 ** np.floor(np.log2(factor))).astype(np.int64)
    out = np.zeros(len(y))
    for down in np.unique(factor[usable]).tolist():
        rows = np.flatnonzero(usable & (factor == down))
        lowered = y[rows]
        if down > 1:
            lowered = resample_to_length(lowered, lowered.shape[1] // down)[:, DECIMATED_EDGE:-DECIMATED_EDGE]
        for first in range(0, len(rows), CHIRP_CHUNK):
            chunk = rows[first : first + CHIRP_CHUNK]
            part = np.asarray(lowered[first : first + CHIRP_CHUNK], dtype=np.float64)
            out[chunk] = _fitted_rate(part - part.mean(axis=1, keepdims=True), f0[chunk] * down, order[chunk]) / down
    return out


def _fitted_rate(y: np.ndarray, f0: np.ndarray, order: np.ndarray) -> np.ndarray:
    """:func:`chirp_rate` of one chunk of windows: Gauss-Newton in every parameter at once, from the amplitudes
    that best fit a steady pitch."""
    count, n = y.shape
    m = np.arange(n) - (n - 1) / 2.0
    half_square = m * m / 2.0
    top = int(order.max())
    harmonics = np.arange(1, top + 1, dtype=np.float64)
    absent = harmonics[None, :] > order[:, None]  # (count, L): columns of harmonics a window is not fitted with
    omega = 2.0 * np.pi * f0
    rate = np.zeros(count)
    design = np.empty((count, 2 * top + 3, n))
    design[:, 2 * top] = 1.0
    amplitudes = None
    for _ in range(CHIRP_STEPS + 1):
        time = m + rate[:, None] * half_square  # the phase of harmonic l is l omega time
        turn = np.exp(1j * omega[:, None] * time)
        power = turn.copy()
        for k in range(top):  # cos and sin of l omega time, as powers of the fundamental's turn
            design[:, k], design[:, top + k] = power.real, power.imag
            if k + 1 < top:
                power *= turn
        design[:, :top][absent] = 0.0
        design[:, top : 2 * top][absent] = 0.0
        if amplitudes is None:  # the first pass: the amplitudes at a steady pitch
            amplitudes = _least_squares(design[:, :-2], y)[0]
            continue
        a, b = amplitudes[:, :top] * harmonics, amplitudes[:, top : 2 * top] * harmonics
        slope = np.matmul(b[:, None, :], design[:, :top])[:, 0]  # d model / d phase, summed over the harmonics
        slope -= np.matmul(a[:, None, :], design[:, top : 2 * top])[:, 0]
        design[:, -2] = slope * time  # d model / d omega
        design[:, -1] = slope * omega[:, None] * half_square  # d model / d rate
        residual = y - np.matmul(amplitudes[:, None, :], design[:, :-2])[:, 0]
        step, inverse = _least_squares(design, residual)
        amplitudes = amplitudes + step[:, :-2]
        omega = omega + step[:, -2]
        rate = rate + step[:, -1]
    noise_var = np.einsum("cn,cn->c", residual, residual) / max(n - design.shape[1], 1)
    with np.errstate(invalid="ignore"):
        significant = rate * rate > CHIRP_SIGNIFICANCE**2 * noise_var * inverse[:, -1, -1]
    keep = significant & np.isfinite(rate) & (np.abs(rate) * n < GLIDE_MAX)
    return np.where(keep, rate, 0.0)


def _least_squares(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per window, the coefficients of ``design`` (count, K, N) that best fit ``y`` (count, N), and the inverse of
    the design's Gram matrix (unit-noise covariance of the coefficients); a column that is all zero (a harmonic
    the window is not fitted with) gets 0."""
    gram = np.stack([window @ window.T for window in design])  # (numpy's stacked matmul of a transpose: 3x slower)
    diagonal = np.einsum("ckk->ck", gram).copy()
    gram += np.eye(gram.shape[1]) * np.where(diagonal > 0, 1e-12 * diagonal, 1.0)[:, :, None]
    inverse = np.linalg.inv(gram)
    return np.matmul(inverse, np.matmul(design, y[:, :, None]))[:, :, 0], inverse
