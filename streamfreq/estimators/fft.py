"""FFT estimator: maximum-likelihood fundamental (f0) of a harmonic sound, to the Cramér-Rao bound.

The fundamental is chosen from one zero-padded FFT by a harmonic salience
with a per-window model order and a prior against octave and sub-octave
errors (:mod:`streamfreq.estimators.harmonic`), checked against the
waveform's autocorrelation, and its partials located. It is then refined
by Newton steps on the exact likelihood of the harmonic model (harmonics
``1..L`` of one fundamental, amplitudes and DC fitted jointly, time centred
in the window; :func:`_harmonic_fit`): every harmonic's leakage into the
others is in the model, so the estimate stays on the bound at any SNR and
however close the partials. With one harmonic (a pure tone) this is the
real-tone ML estimator, exact on a noiseless tone. Score tests on the same
fit find a pitch that moves within the window (the window is then resampled
on a warped time axis and refitted, so the estimate is the pitch at the
window centre) and a stiff string's stretched partials (then refined one by
one and fitted as ``l f0 (1 + B l**2 / 2)``, :func:`_partial_fit`).

Detection is the generalised likelihood ratio ``J / sigma**2`` of the
fitted partials over the residual noise, with a partial standing clear of
its local noise floor and sound at the window centre; anything else is
``no_tone``. A fundamental below ``fmin`` is ``"out_of_range"``.

Two unrelated tones read as the one the harmonic model explains best
(usually the louder); tones in a simple ratio read as their common
fundamental.

Example
-------
>>> from streamfreq.estimators.fft import FFTEstimator
>>> from streamfreq.signals import harmonic_tone, tone
>>> est = FFTEstimator().estimate_many(tone(2048, [10.3, 0.0]), 2048.0)
>>> round(est[0].hz, 9), est[1].status
(10.3, 'no_tone')
>>> missing = harmonic_tone(2048, 48000.0, 220.0, [0.0, 1.0, 0.8, 0.6], seed=1)  # no fundamental
>>> round(FFTEstimator().estimate_many(missing[None], 48000.0)[0].hz, 2)
220.0
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from streamfreq.defaults import lowest_f0
from streamfreq.errors import check_range
from streamfreq.estimators.base import NO_TONE, OK, OUT_OF_RANGE, Estimate, centred_unit_peak, estimates_from_arrays
from streamfreq.estimators.harmonic import (
    PARTIAL_HARMONICS,
    PERIOD_CUTOFF_HZ,
    Partials,
    find_partials,
    periodicity,
    prefer_period,
    salience,
)

#: SNR at which confidence is 0.5: confidence = snr / (snr + SNR_HALF_CONFIDENCE).
SNR_HALF_CONFIDENCE = 10 ** (-10 / 10)
#: Partials refined per window (the ones carrying most information about f0).
REFINED_PARTIALS = 6
#: A found partial this far (log power) above its floor counts against reading its fundamental higher.
CLEAR_LOG_SNR = math.log(30.0)
#: The strongest partial must stand this far (log power, 13 dB) above its local noise floor: coloured noise,
#: breath and hiss, whose peaks stand only as far as chance lifts them, say no_tone.
DETECT_LOG_SNR = math.log(20.0)
#: A window whose middle eighth has less than this share (-25 dB) of the power of its loudest quarter starts or
#: stops sounding before its centre: no_tone (its centre is silent, or holds only breath or reverberation).
CENTRE_LEVEL = 10 ** (-25 / 10)
#: Passes that clear each partial's sums of the others' fitted sinusoids.
JACOBI_PASSES = 2
#: Energy a partial must explain, in noise variances, to enter the f0 fit (noise alone explains about 2, and
#: the largest of the ~400 places searched per window about 12).
PARTIAL_GLRT = 40.0
#: Partials off the harmonic series are refined one by one (for a stiff string's fit) only where the score of a
#: stretch is this many standard deviations above none: vibrato, decay and jitter put them off it too.
STRETCH_SCORE = 3.0
#: A stiff-string stretch is fitted when this many standard deviations from zero...
STIFF_SIGNIFICANCE = 5.0
#: ...and it moves the highest partial by at least this fraction (1.7 cents): smaller is not a string.
STRETCH_MIN = 1e-3
#: Harmonics fitted beyond the highest found (weak ones the peak search missed would leak into the fit
#: unmodelled); none for a lone partial, which is fitted as a pure tone.
HARMONICS_BEYOND = 2
#: A further Newton step is taken where the last one's own error could exceed this share of the standard deviation.
NEWTON_TOLERANCE = 0.1
#: Residual energy below this share of the window's is rounding (float32 input; the joint fit's Gram matrices
#: lose a few more digits), not noise: the noise floor of the tests after the harmonic fit.
ROUNDING = 1e-10
#: Salience at which the harmonic part of the confidence saturates.
SCORE_FULL = 5.0
#: A glide that spreads the top partial over more than this many bins within the window is dechirped.
CHIRP_BINS = 1.0
#: A larger relative pitch change within the window is no glide the warp can straighten (nor one a linearised
#: score measures): the window is fitted as it is.
GLIDE_MAX = 0.25
#: A glide counts when its score test exceeds this many standard deviations.
CHIRP_SIGNIFICANCE = 5.0


class FFTEstimator:
    """Harmonic maximum-likelihood fundamental estimator (see the module docstring).

    Parameters
    ----------
    fmin
        Lowest fundamental to report, in Hz; None for the lowest the window
        allows (:func:`streamfreq.defaults.lowest_f0`, 2 periods per window).
        A fundamental found below it is ``"out_of_range"``, as is one within
        ``min_cycles`` cycles per window of Nyquist.
    threshold
        Detection threshold on ``J / sigma**2`` (see module docstring); the
        default keeps false alarms on white noise below 1e-6 per window at
        N=2048 while tones at -5 dB per-sample SNR score about 650.
    newton_steps
        Most Newton steps on the harmonic likelihood (and per partial where the partials are refined one by one):
        1 reaches the bound from the interpolated Hann peaks; the second is taken where the first was large
        enough to leave an error that matters (noisy starts, noiseless input to the last bit).
    min_cycles
        Margin below Nyquist, in cycles per window, above which a tone is ``"out_of_range"``.

    Example
    -------
    >>> import numpy as np
    >>> from streamfreq.estimators.base import estimate_one
    >>> estimate_one(FFTEstimator(), np.zeros(2048), 48000.0).status
    'no_tone'
    """

    name = "fft"

    def __init__(
        self, fmin: float | None = None, threshold: float = 40.0, newton_steps: int = 2, min_cycles: float = 2.0
    ) -> None:
        if fmin is not None:
            check_range("fmin", fmin, 1e-3, 1e6)
        check_range("min_cycles", min_cycles, 1.0, 1e6)
        check_range("newton_steps", newton_steps, 0, 20)
        self.fmin = None if fmin is None else float(fmin)
        self.min_cycles = float(min_cycles)
        self.threshold = float(threshold)
        self.newton_steps = int(newton_steps)

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        """Estimate the fundamental in each row of ``frames`` (batch, N) sampled at ``samplerate``.

        Each stage goes on with the windows that can still have a tone: the
        others say ``no_tone`` whatever the later stages would find.
        """
        if len(frames) == 0:
            return []
        y, peak = centred_unit_peak(frames)
        count, n = y.shape
        f0_hz, confidence = np.full(count, np.nan), np.zeros(count)
        status = np.full(count, NO_TONE, dtype=object)
        rows, y = _narrow(np.arange(count), y, _sounding_at_centre(y) & (peak > 0))
        if len(rows):
            coarse = salience(y, 0.5 / n, 0.5 - self.min_cycles / n)
            clear = coarse.clearest > DETECT_LOG_SNR  # some peak clear of its local floor
            if not clear.all():
                rows, y, coarse = *_narrow(rows, y, clear), coarse.rows(clear)
        if len(rows):
            cutoff = min(0.5, PERIOD_CUTOFF_HZ / samplerate)
            f0 = prefer_period(periodicity(coarse.spectrum.power, n, cutoff), coarse.f0, 1.0 / n, 1.0 / cutoff)
            partials = find_partials(coarse, f0, PARTIAL_HARMONICS, n)
            standing = np.max(partials.log_snr, axis=1) > DETECT_LOG_SNR  # a partial clear of its local floor
            score = coarse.score
            if not standing.all():
                rows, y, partials, score = *_narrow(rows, y, standing), partials.rows(standing), score[standing]
        if len(rows):
            f0_hz[rows], confidence[rows], status[rows] = self._fit(y, partials, score, samplerate)
        return estimates_from_arrays(f0_hz, confidence, status)

    def _fit(
        self, y: np.ndarray, partials: Partials, score: np.ndarray, samplerate: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Dechirp, refine and fit the windows ``y`` whose partials stand clear: ``(f0 Hz, confidence, status)``."""
        count, n = y.shape
        start, order = _harmonic_start(partials, n)
        fit = _harmonic_fit_by_order(y, start, order, self.newton_steps)
        total = np.einsum("ij,ij->i", y, y)
        dof = np.maximum(n - 2 * order - 2, 1)
        noise_var = np.maximum(total - fit.energy.sum(axis=1), ROUNDING * total + 1e-300) / dof
        rate = _glide_rate(fit, noise_var, n)
        if rate.any():  # dechirp: the pitch at the window centre, steady over the whole window, and refit
            moving = np.flatnonzero(rate)
            y[moving] = centred_unit_peak(_warp(y[moving], rate[moving]))[0]
            refit = _harmonic_fit_by_order(y[moving], fit.omega0[moving], order[moving], self.newton_steps)
            fit.set_rows(moving, refit)
            total[moving] = np.einsum("ij,ij->i", y[moving], y[moving])
            unexplained = total[moving] - fit.energy[moving].sum(axis=1)
            noise_var[moving] = np.maximum(unexplained, ROUNDING * total[moving] + 1e-300) / dof[moving]
        valid = _significant(fit.energy, fit.present, noise_var)
        divisor = _divisor(np.arange(1, valid.shape[1] + 1) * valid, valid, partials)
        if (divisor > 1).any():  # only every d-th harmonic is there: the fundamental d times higher, fitted alone
            rows = np.flatnonzero(divisor > 1)
            order[rows] //= divisor[rows]
            start = fit.omega0[rows] * divisor[rows]
            fit.set_rows(rows, _harmonic_fit_by_order(y[rows], start, order[rows], self.newton_steps))
            dof[rows] = np.maximum(n - 2 * order[rows] - 2, 1)
            unexplained = total[rows] - fit.energy[rows].sum(axis=1)
            noise_var[rows] = np.maximum(unexplained, ROUNDING * total[rows] + 1e-300) / dof[rows]
            valid = _significant(fit.energy, fit.present, noise_var)
        energy_sum = (fit.energy * valid).sum(axis=1)
        omega0 = fit.omega0
        partial_count = valid.sum(axis=1)
        stiff = _stiff_candidates(fit, valid, noise_var, partial_count)
        rows = np.flatnonzero(stiff) if stiff.any() else ()
        if len(rows):  # judged again at the fundamental found (the tests read the point before the last step)
            refit = _harmonic_fit_by_order(y[rows], fit.omega0[rows], order[rows], 0)
            refit.omega0[:] = fit.omega0[rows]
            fit.set_rows(rows, refit)
            rows = rows[_stiff_candidates(fit, valid, noise_var, partial_count)[rows]]
        if len(rows):  # each partial on its own, and a stiff string where that fits
            omega0[rows], energy_sum[rows], noise_var[rows] = _partial_fit(
                y[rows], partials.rows(rows), self.newton_steps
            )
        glrt = energy_sum / noise_var
        snr = (energy_sum / n) / noise_var  # per-sample power of the fitted partials over the noise

        lowest = lowest_f0(n, samplerate) if self.fmin is None else self.fmin
        f0_hz = omega0 * samplerate / (2.0 * np.pi)
        status = np.full(count, OK, dtype=object)
        status[(f0_hz < lowest * (1.0 - 1e-9)) | (omega0 * n / (2.0 * np.pi) > n / 2 - self.min_cycles)] = OUT_OF_RANGE
        status[~(glrt > self.threshold) | ~np.isfinite(omega0)] = NO_TONE
        confidence = snr / (snr + SNR_HALF_CONFIDENCE) * np.minimum(np.maximum(score / SCORE_FULL, 0.0), 1.0)
        return f0_hz, np.where(np.isnan(confidence), 0.0, confidence), status


def _partial_fit(y: np.ndarray, partials: Partials, steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fundamental from the partials refined one by one: ``(omega0, explained energy, noise variance)``.

    For windows whose partials are off the harmonic series (:func:`_inharmonic`): the
    :data:`REFINED_PARTIALS` strongest refined by :func:`_newton`, and :func:`_stiff_string`
    fitted to them (the harmonic series where the stretch is not real).
    """
    count, n = y.shape
    harmonic, start, valid, keep = _strongest_partials(partials)
    omega, energy = _newton_by_count(y, start, valid, steps)
    total = np.einsum("ij,ij->i", y, y)
    explained = np.sum(np.where(valid, energy, 0.0), axis=1)
    noise_var = np.maximum(total - explained, 1e-30 * total + 1e-300) / np.maximum(n - 3 * valid.sum(1), 1)
    valid = _significant(energy, valid, noise_var)
    harmonic = harmonic / _divisor(np.where(valid, harmonic, 0), valid, partials)[:, None]
    energy_sum = np.sum(np.where(valid, energy, 0.0), axis=1)
    others = np.sum(partials.energy, axis=1) - np.sum(partials.energy[np.arange(count)[:, None], keep], axis=1)
    unexplained = total - energy_sum - np.maximum(others, 0.0)  # less the partials found but not refined
    dof = n - 3 * np.maximum(valid.sum(axis=1), np.isfinite(partials.frequency).sum(axis=1))
    noise_var = np.maximum(unexplained, 1e-30 * total + 1e-300) / np.maximum(dof, 1)
    return _stiff_string(harmonic, omega, energy, valid, noise_var, n), energy_sum, noise_var


def _sounding_at_centre(y: np.ndarray) -> np.ndarray:
    """Windows ``y`` (batch, N) whose middle eighth is at most :data:`CENTRE_LEVEL` below their loudest quarter.

    A note that starts or stops within a window leaves one side of it quiet; its
    centre, where the pitch is read, sounds only if the note has begun and not ended there.
    """
    count, n = y.shape
    quarter, eighth = n // 4, n // 16
    loudest = np.einsum("ijk,ijk->ij", *(y[:, : 4 * quarter].reshape(count, 4, quarter),) * 2).max(axis=1) / quarter
    middle = y[:, n // 2 - eighth : n // 2 + eighth]
    return np.einsum("ij,ij->i", middle, middle) >= CENTRE_LEVEL * (2 * eighth) * loudest


def _narrow(rows: np.ndarray, y: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` and windows ``y`` where ``keep`` (no copy when all are kept)."""
    return (rows, y) if keep.all() else (rows[keep], y[keep])


def _strongest_partials(partials: Partials) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The :data:`REFINED_PARTIALS` strongest found partials.

    The strongest, not the most informative (``l**2`` times the energy):
    the partials left out then leak least into the refined ones, whose
    neighbours' leakage is cleared (:func:`_without_others`).

    Returns ``(harmonic_number, omega, valid, column)``, each (batch, R);
    omega in rad/sample, a harmless placeholder where ``valid`` is False;
    ``column`` indexes the partials given.
    """
    information = np.where(np.isfinite(partials.frequency), partials.energy, -1.0)
    keep = np.argsort(-information, axis=1)[:, :REFINED_PARTIALS]
    rows = np.arange(len(keep))[:, None]
    valid = information[rows, keep] > 0
    frequency = partials.frequency[rows, keep]
    placeholder = np.max(np.where(valid, frequency, 0.25), axis=1, keepdims=True)  # at least 0.25
    frequency = np.where(valid, frequency, placeholder)
    return (keep + 1).astype(np.float64), 2.0 * np.pi * frequency, valid, keep


def _significant(energy: np.ndarray, valid: np.ndarray, noise_var: np.ndarray) -> np.ndarray:
    """Partials whose explained energy stands :data:`PARTIAL_GLRT` noise variances clear (the strongest always)."""
    strongest = energy == np.max(np.where(valid, energy, -1.0), axis=1, keepdims=True)
    return valid & ((energy > PARTIAL_GLRT * noise_var[:, None]) | strongest)


def _divisor(numbers: np.ndarray, valid: np.ndarray, partials: Partials) -> np.ndarray:
    """Greatest common divisor of the harmonic numbers of the partials that are really there (1 if none).

    When only every ``d``-th harmonic of the chosen fundamental is there, the
    data support the fundamental ``d`` times higher: the simpler model (the
    prior against sub-octaves, applied to the partials that survived). The
    partials that count are ``numbers`` (0 for none), those refined that passed :func:`_significant`,
    and any other found at least :data:`CLEAR_LOG_SNR` above its floor.
    """
    found = np.isfinite(partials.frequency) & (partials.log_snr > CLEAR_LOG_SNR)
    numbers = np.concatenate((numbers, np.where(found, np.arange(1, found.shape[1] + 1), 0)), axis=1).astype(np.int64)
    divisor = np.gcd.reduce(numbers, axis=1)  # 0 where no number at all
    return np.where(valid.any(axis=1) & (divisor > 0), divisor, 1)


def _stiff_candidates(fit: _HarmonicFit, valid: np.ndarray, noise_var: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Windows whose partials may be a stiff string's: off the harmonic series (:func:`_inharmonic`) and stretched
    upwards at least :data:`STRETCH_SCORE` standard deviations (the score test of the stretch alone)."""
    width = fit.misfit.shape[1]
    misfit = (fit.misfit * valid[:, :width]).sum(axis=1) / noise_var
    return _inharmonic(misfit, count) & (fit.stretch > STRETCH_SCORE * np.sqrt(noise_var))


def _inharmonic(misfit: np.ndarray, partials: np.ndarray) -> np.ndarray:
    """Windows whose ``partials`` significant partials are off the harmonic series: a chi-square ``misfit``
    (``partials - 1`` degrees of freedom when they are on it) beyond its mean plus 4 standard deviations and 4."""
    return (partials >= 3) & (misfit > partials + 4.0 * np.sqrt(2.0 * partials) + 4.0)


def _harmonic_start(partials: Partials, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Starting fundamental (rad/sample) and model order of the harmonic fit.

    The fundamental is the weighted least-squares fit of ``l f0`` to the found
    partials' peak frequencies (weights their energies; only the partials at least
    :data:`CLEAR_LOG_SNR` above their floor where there are such, as noise peaks
    found near high harmonics would weigh heavily); the order is the highest
    found harmonic and :data:`HARMONICS_BEYOND` more, at most the last whole harmonic a bin below Nyquist.
    """
    frequency = partials.frequency
    found = frequency > 0  # not nan
    numbers = np.arange(1.0, found.shape[1] + 1)
    clear = partials.log_snr > CLEAR_LOG_SNR  # -inf where not found
    weight = partials.energy * np.where(clear.any(axis=1, keepdims=True), clear, found)  # energy 0 where not found
    f0 = (weight * np.fmax(frequency, 0.0)) @ numbers / (weight @ numbers**2)
    highest = (found * numbers).max(axis=1)
    order = np.minimum(np.where(highest > 1, highest + HARMONICS_BEYOND, 1), np.floor((0.5 - 1.0 / n) / f0))
    return 2.0 * np.pi * f0, np.maximum(order, 1).astype(np.int64)


class _HarmonicFit(NamedTuple):
    """What :func:`_harmonic_fit` returns, one row per window, one column per harmonic (``present`` marks those
    fitted)."""

    omega0: np.ndarray
    """Fundamental (rad/sample)."""
    present: np.ndarray
    """Harmonics in the model."""
    omega: np.ndarray
    """Their frequencies, ``l * omega0``."""
    energy: np.ndarray
    """Energy each explains (its share of ``b^T G^-1 b``)."""
    misfit: np.ndarray
    """``g_l**2 / (2 A_l**2 sum m**2)`` for the slope ``g_l`` of the likelihood in harmonic ``l``'s own frequency
    (less the common part a change of ``w0`` explains): divided by the noise variance and summed, the score
    (Lagrange-multiplier) statistic against the harmonic series."""
    chirp: np.ndarray
    """:func:`_harmonic_chirp` of each harmonic (2, batch, L)."""
    stretch: np.ndarray
    """The score of a stiff string's stretch (partial ``l`` moved by ``B l**3``), over its standard deviation times
    the noise's: divided by the noise's standard deviation, a z-score (positive for a stretch upwards)."""

    def set_rows(self, rows: np.ndarray, other: _HarmonicFit) -> None:
        """Overwrite windows ``rows`` with ``other`` (same number of harmonics or fewer)."""
        width = other.present.shape[1]
        self.omega0[rows] = other.omega0
        self.stretch[rows] = other.stretch
        for mine, theirs in zip(self[1:5], other[1:5], strict=True):
            mine[rows] = 0
            mine[rows, :width] = theirs
        self.chirp[:, rows] = 0.0
        self.chirp[:, rows, :width] = other.chirp


def _harmonic_fit_by_order(y: np.ndarray, omega0: np.ndarray, order: np.ndarray, steps: int) -> _HarmonicFit:
    """:func:`_harmonic_fit` on the windows grouped by model order (each window's result its own alone)."""
    groups = sorted(set(order.tolist()))
    if len(groups) == 1:
        return _harmonic_fit(y, omega0, groups[0], steps)
    width = groups[-1]
    count = len(y)
    out = _HarmonicFit(
        np.zeros(count),
        np.zeros((count, width), dtype=bool),
        *np.zeros((3, count, width)),
        np.zeros((2, count, width)),
        np.zeros(count),
    )
    for group in groups:
        rows = np.flatnonzero(order == group)
        out.set_rows(rows, _harmonic_fit(y[rows], omega0[rows], group, steps))
    return out


def _harmonic_fit(y: np.ndarray, omega0: np.ndarray, order: int, steps: int) -> _HarmonicFit:
    """Newton steps (``steps`` at most) on the exact harmonic likelihood of harmonics ``1..order`` with DC, in
    O(N order) per step; the tests after the fit read the point before the last step.

    A step after the first is taken only where the one before could have left an error (about its square, in
    bins of the top harmonic) above :data:`NEWTON_TOLERANCE` of the estimate's standard deviation: from the
    interpolated peaks one step is mostly enough, from a noisy start not.

    With centred time the cosine and sine columns are orthogonal, so the
    likelihood is ``J(w0) = b_c^T G_c^-1 b_c + b_s^T G_s^-1 b_s``: ``b`` the
    cosine and sine sums of the window at ``l w0`` (:class:`_WeightedDTFT`)
    and ``G`` their Gram matrices, every entry one of ``D(j w0)`` for
    ``j = 0..2 order`` (``D`` the Dirichlet kernel; the cosine block less its
    part along the constant). With ``a = G^-1 b`` and ``c = b' - G' a``:
    ``J' = 2 b'^T a - a^T G' a`` and ``J'' = 2 b''^T a - a^T G'' a + 2 c^T G^-1 c``.
    All harmonics leak into each other through ``G`` however close they are:
    the joint fit is the maximum-likelihood fundamental of the harmonic model.
    """
    count, n = y.shape
    plan = _harmonic_plan(order)
    moments = _WeightedDTFT(y).at(omega0[:, None] * plan.numbers)  # (3, batch, L)
    gram, table = _harmonic_gram(omega0, plan, n)
    # b, b', b'': (3, batch, 2, L), cosine then sine
    b = (moments * plan.moment_scale).view(np.float64).reshape(3, count, order, 2).swapaxes(2, 3)
    inverse = np.linalg.inv(gram[0])
    a = inverse @ b[0][..., None]  # (batch, 2, L, 1)
    energy = (b[0] * a[..., 0]).sum(axis=1)  # each harmonic's
    again = None
    if steps:
        along = gram[1:] @ a  # G' a, G'' a
        c = b[1][..., None] - along[0]
        slope, curvature = ((2.0 * b[1:, ..., None] - along) * a).reshape(2, count, -1).sum(axis=2)
        curvature += 2.0 * (c * (inverse @ c)).reshape(count, -1).sum(axis=1)
        limit = np.pi / (n * order)  # a step moves the top harmonic at most half a bin
        # Newton's step, at most the limit (and that, uphill, where the likelihood is not concave)
        step = slope / np.maximum(np.maximum(-curvature, np.abs(slope) / limit), 1e-300)
        omega0 = omega0 + step
        if steps > 1:  # another step where this one's own error, about its square, is not negligible
            total = np.einsum("ij,ij->i", y, y)
            explained = energy.sum(axis=1) + step * (slope + 0.5 * curvature * step)  # J after the step
            noise_var = np.maximum(total - explained, 1e-30 * total + 1e-300) / max(n - 2 * order - 2, 1)
            bins = order * n / (2.0 * np.pi)  # rad/sample to bins of the top harmonic
            deviation = bins * np.sqrt(2.0 * noise_var / np.maximum(-curvature, 1e-300))
            again = (bins * step) ** 2 > NEWTON_TOLERANCE * deviation
            if again.all():
                return _harmonic_fit(y, omega0, order, steps - 1)
    a = a[..., 0]
    amplitude2 = (a * a).sum(axis=1)
    # slope in each harmonic's own frequency: 2 a_l (b'_l / l - (H a)_l), H = dG/dw_l (row l)
    slope = 2.0 * (a * (b[1] / plan.numbers - (table.own_slope @ a[..., None])[..., 0])).sum(axis=1)
    information = (0.5 * _square_spread(n)) * amplitude2  # times the noise variance
    # a stretch l**3, less what a change of w0 (l) takes up
    along = (information @ plan.numbers**4) / np.maximum(information @ plan.numbers**2, 1e-300)
    pattern = plan.numbers**3 - along[:, None] * plan.numbers
    stretch = (slope * pattern).sum(axis=1) / np.sqrt(np.maximum(4.0 * (information * pattern**2).sum(axis=1), 1e-300))
    # less the part a step of w0 itself would take up (the fundamental is fitted, only the rest is misfit)
    along = (slope @ plan.numbers) / np.maximum(information @ plan.numbers**2, 1e-300)
    slope -= information * plan.numbers * along[:, None]
    misfit = slope * slope / np.maximum(4.0 * information, 1e-300)
    fit = _HarmonicFit(
        omega0,
        np.ones((count, order), dtype=bool),
        omega0[:, None] * plan.numbers,
        energy,
        misfit,
        _harmonic_chirp(moments[2], a, amplitude2, table, n),
        stretch,
    )
    if again is not None and again.any():
        again = np.flatnonzero(again)
        fit.set_rows(again, _harmonic_fit(y[again], omega0[again], order, steps - 1))
    return fit


class _HarmonicPlan(NamedTuple):
    """Index tables of :func:`_harmonic_fit` for one model order L."""

    numbers: np.ndarray
    """Harmonic numbers 1..L."""
    moment_scale: np.ndarray
    """``1, i l, -l**2`` (3, 1, L): the moments at ``l w0`` to ``b, b', b''`` (real part cosine, imaginary sine)."""
    multiples: np.ndarray
    """``j = 0..2L``, the multiples of ``w0`` whose Dirichlet kernel the Gram matrices need."""
    powers: np.ndarray
    """``j**p`` (3, 2L+1): the ``w0``-derivatives of ``D(j w0)`` are ``j**p D^(p)(j w0)``."""
    pairs: np.ndarray
    """``|l - k|`` and ``l + k`` (2, L, L)."""
    sign: np.ndarray
    """``sign(l - k)`` (L, L): ``D'`` is odd."""


#: The cosine Gram block adds, the sine block subtracts the kernel at ``l + k``.
_BLOCK_SIGNS = np.array([1.0, -1.0])[:, None, None]


@functools.lru_cache(maxsize=64)
def _harmonic_plan(order: int) -> _HarmonicPlan:
    """:class:`_HarmonicPlan` for ``order`` harmonics."""
    numbers = np.arange(1, order + 1, dtype=np.float64)
    multiples = np.arange(2 * order + 1, dtype=np.float64)
    difference = numbers[:, None] - numbers[None, :]
    return _HarmonicPlan(
        numbers=numbers,
        moment_scale=np.array([np.ones(order), 1j * numbers, -(numbers**2)])[:, None, :],
        multiples=multiples,
        powers=multiples ** np.arange(3)[:, None],
        pairs=np.array([np.abs(difference), numbers[:, None] + numbers[None, :]]).astype(np.int64),
        sign=np.sign(difference),
    )


class _Kernels(NamedTuple):
    """The Dirichlet kernels of :func:`_harmonic_gram` that the tests after the fit read."""

    raw: np.ndarray
    """``D, D', D''`` at ``j w0`` (3, batch, 2L+1)."""
    own_slope: np.ndarray
    """Row ``l`` of ``dG/dw_l`` (the slope of the Gram matrices in harmonic ``l``'s own frequency) (batch, 2, L, L)."""


def _harmonic_gram(omega0: np.ndarray, plan: _HarmonicPlan, n: int) -> tuple[np.ndarray, _Kernels]:
    """Gram matrices of the harmonic model and their first two ``w0``-derivatives (3, batch, 2, L, L)."""
    order = len(plan.numbers)
    raw = _dirichlet(omega0[:, None] * plan.multiples, n)
    raw[:, :, 0] = _at_zero(n)
    table = raw * plan.powers[:, None, :]
    pair = table[:, :, plan.pairs]  # (3, batch, 2, L, L): at |l - k| and at l + k
    gram = 0.5 * (pair[:, :, :1] + _BLOCK_SIGNS * pair[:, :, 1:])
    d = table[:, :, 1 : order + 1]  # D(l w0) and its derivatives: the cosines' sums, along the constant
    outer = d[:, :, :, None] * d[0][:, None, :]
    along = outer[1:] + outer[1:].swapaxes(-1, -2)
    along[1] += 2.0 * d[1][:, :, None] * d[1][:, None, :]
    gram[0, :, 0] -= outer[0] / n
    gram[1:, :, 0] -= along / n
    slope = raw[1][:, plan.pairs]  # (batch, 2, L, L)
    own_slope = 0.5 * (plan.sign * slope[:, :1] + _BLOCK_SIGNS * slope[:, 1:])
    own_slope[:, 0] -= raw[1][:, 1 : order + 1, None] * d[0][:, None, :] / n
    return gram, _Kernels(raw, own_slope)


@functools.lru_cache(maxsize=8)
def _at_zero(n: int) -> np.ndarray:
    """``D(0), D'(0), D''(0)`` = ``N, 0, -sum m**2`` (3, 1)."""
    return np.array([[n], [0.0], [-_square_spread(n)]])


def _square_spread(n: int) -> float:
    """``sum m**2`` over the centred times ``m`` of a window of ``n``."""
    return n * (n * n - 1.0) / 12.0


def _harmonic_chirp(second: np.ndarray, a: np.ndarray, amplitude2: np.ndarray, kernels: _Kernels, n: int) -> np.ndarray:
    """Score and Fisher information (per unit noise variance) of a chirp ``c`` at ``c = 0`` for each harmonic
    of the joint fit: (2, batch, L).

    Harmonic ``l``, ``a cos(w m + c m**2 / 2) + b sin(w m + c m**2 / 2)`` (centred ``m``), has the score
    ``sum m**2 / 2 (-a sin + b cos) r`` on the residual ``r``, that is ``(b C2 - a S2) / 2`` from the residual's
    second moments ``C2 + i S2``; the information is ``(a**2 + b**2) / 8 (sum m**4 - (sum m**2)**2 / N)``.
    ``second`` holds ``sum m**2 y e^{i l w0 m}`` (batch, L), ``a`` the fitted cosine and sine amplitudes
    (batch, 2, L), ``amplitude2`` their squares summed. The fit's own second moments at ``l w0`` are
    ``-(D''(|l-k| w0) + D''((l+k) w0)) / 2`` per unit cosine ``k``, ``i (D''((l+k) w0) - D''(|l-k| w0)) / 2``
    per unit sine, and ``-D''(l w0)`` per unit constant.
    """
    order = a.shape[2]
    pairs = kernels.raw[2][:, _harmonic_plan(order).pairs]  # (batch, 2, L, L): D'' at |l - k| and at l + k
    cosine, sine = a[:, 0], a[:, 1]
    own = kernels.raw[:, :, 1 : order + 1]
    constant = (cosine * own[0]).sum(axis=1) / n  # minus the fitted constant
    residual = second + 0.5 * ((pairs[:, 0] + pairs[:, 1]) @ cosine[..., None])[..., 0] - constant[:, None] * own[2]
    residual -= 0.5j * ((pairs[:, 1] - pairs[:, 0]) @ sine[..., None])[..., 0]
    out = np.empty((2, *amplitude2.shape))
    np.multiply(0.5, sine * residual.real - cosine * residual.imag, out=out[0])
    np.multiply(_quartic_spread(n) / 8, amplitude2, out=out[1])
    return out


def _newton_by_count(y: np.ndarray, omega: np.ndarray, valid: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_newton` on the windows grouped by how many partials they have (found ones come first).

    A pure tone then costs one partial, not :data:`REFINED_PARTIALS`, and each
    window's result depends on that window alone (not on the batch it came in).
    """
    counts = np.maximum(valid.sum(axis=1), 1)
    groups = set(counts.tolist())
    omega = omega.copy()
    energy = np.zeros(omega.shape)
    for count in groups:
        rows = np.flatnonzero(counts == count)
        omega[rows, :count], energy[rows, :count] = _newton(y[rows], omega[rows, :count], valid[rows, :count], steps)
    return omega, energy


def _newton(y: np.ndarray, omega: np.ndarray, valid: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Newton steps on each partial's real-tone likelihood; returns refined omegas and explained energies.

    Each partial's sums are first cleared of the other valid partials'
    leakage (their least-squares sinusoids, in closed form through the
    Dirichlet kernel), so neighbouring partials do not bias each other.
    """
    count, k = omega.shape
    n = y.shape[1]
    sums = _WeightedDTFT(y)
    clear = k > 1 and bool((valid.sum(axis=1) > 1).any())
    for _ in range(max(steps, 1)):
        theta = [omega, 2 * omega]
        if clear:
            theta += [(omega[:, :, None] + omega[:, None, :]).reshape(count, k * k)]
            theta += [(omega[:, :, None] - omega[:, None, :]).reshape(count, k * k)]
        kernel = _dirichlet(np.concatenate(theta, axis=1), n)  # (3, batch, ...): D, D', D''
        own, double = kernel[:, :, :k], kernel[:, :, k : 2 * k]
        moments = sums.at(omega)
        if clear:
            pairs = kernel[:, :, 2 * k :].reshape(3, count, 2, k, k)
            moments = _without_others(moments, valid, n, own, double, pairs[:, :, 0], pairs[:, :, 1])
        energy, slope, curvature = _likelihood(moments, own, double, n)
        if steps == 0:
            return omega, np.maximum(energy, 0.0)
        step = np.where(curvature < 0, -slope / np.where(curvature < 0, curvature, -1.0), 0.0)
        step = np.clip(step, -np.pi / n, np.pi / n)
        omega = omega + step
        energy = energy + slope * step + 0.5 * curvature * step * step  # J at the new omega, to 2nd order
    return omega, np.maximum(energy, 0.0)


@functools.lru_cache(maxsize=8)
def _quartic_spread(n: int) -> float:
    """``sum m**4 - (sum m**2)**2 / N`` over the centred times ``m`` of a window of ``n``."""
    m = np.arange(n) - (n - 1) / 2.0
    return float(np.sum(m**4) - np.sum(m**2) ** 2 / n)


def _glide_rate(fit: _HarmonicFit, noise_var: np.ndarray, n: int) -> np.ndarray:
    """Relative pitch change per sample of each window, 0 where the pitch does not move.

    All partials glide at one relative rate (``c_l = rate w_l``): the score test
    of that rate (:func:`_harmonic_chirp` of each harmonic, combined) and one
    Gauss-Newton step from none, ``rate = sum score_l w_l / sum info_l w_l**2``.
    A glide counts when it is :data:`CHIRP_SIGNIFICANCE` standard deviations clear
    of none and moves the top harmonic over more than :data:`CHIRP_BINS` bins, but
    less than :data:`GLIDE_MAX` (relative) within the window.
    """
    score = (fit.chirp[0] * fit.omega).sum(axis=1)
    information = (fit.chirp[1] * fit.omega * fit.omega).sum(axis=1)
    rate = score / np.maximum(information, 1e-300)
    top = fit.omega.max(axis=1)
    significant = score * score > CHIRP_SIGNIFICANCE**2 * noise_var * information
    moving = significant & (np.abs(rate) * n * n * top / (2 * np.pi) > CHIRP_BINS) & (np.abs(rate) * n < GLIDE_MAX)
    return np.where(moving, rate, 0.0)


#: The kernel sums ``F_p`` of a partial's moments p = 0, 1, 2 are ``D, -i D', -D''`` (``D`` the Dirichlet kernel).
_MOMENT_SIGNS = np.array([1.0, -1.0j, -1.0])[:, None, None, None]


def _without_others(
    moments: np.ndarray,
    valid: np.ndarray,
    n: int,
    own: np.ndarray,
    double: np.ndarray,
    plus: np.ndarray,
    minus: np.ndarray,
) -> np.ndarray:
    """The sums of each partial less the other valid partials' fitted sinusoids (:data:`JACOBI_PASSES` passes).

    A partial ``alpha (cos(w_k m) - mean) + beta sin(w_k m)`` adds to
    ``sum m**p y e^{iwm}`` the kernel sums ``F_p(w +- w_k)`` with
    ``F_0 = D``, ``F_1 = -i D'``, ``F_2 = -D''`` (``D`` the centred Dirichlet kernel).
    ``own``, ``double``, ``plus`` and ``minus`` are :func:`_dirichlet` at ``w_l``, ``2 w_l``,
    ``w_l + w_k`` and ``w_l - w_k``.
    """
    mean = own[0][:, None, :] / n  # mean of cos(w_k m) over the window
    others = valid[:, None, :] & _off_diagonal(valid.shape[1])  # [l, k]: k leaks into l
    # what a unit cosine / sine at w_k adds to partial l's sums, for p = 0, 1, 2: (3, batch, l, k)
    cosine = np.where(others, _MOMENT_SIGNS * (0.5 * (plus + minus) - mean * own[..., None]), 0.0)
    sine = np.where(others, (_MOMENT_SIGNS / 2j) * (plus - minus), 0.0)
    cos_energy = n / 2 + double[0] / 2  # least-squares amplitudes of a real tone with DC from its plain sum
    cos_norm = np.maximum(cos_energy - own[0] * own[0] / n, 1e-12)
    sin_norm = np.maximum(n - cos_energy, 1e-12)
    cleaned = moments
    for _ in range(JACOBI_PASSES):
        alpha, beta = cleaned[0].real / cos_norm, cleaned[0].imag / sin_norm
        cleaned = moments - (cosine @ alpha[..., None] + sine @ beta[..., None])[..., 0]
    return cleaned


def _stiff_string(
    harmonic: np.ndarray, omega: np.ndarray, energy: np.ndarray, valid: np.ndarray, noise_var: np.ndarray, n: int
) -> np.ndarray:
    """The fundamental of refined partials: of a stiff string, ``omega_l = l w0 (1 + B l**2 / 2)``, where that
    stretch is real, else of the harmonic series ``l w0``.

    Weighted least squares (``J_l l**2`` weights reach the CRLB) of ``a l + b l**3`` or of ``w0 l``. The stretch
    is real where
    the partials are off the harmonic series by more than their noise explains (a chi-square test), ``b > 0``
    takes up :data:`STIFF_SIGNIFICANCE` squared times more of that misfit than is left per degree of freedom
    (or than the noise, where less is left: a voice's scattered partials are no string), and it moves the
    top partial by at least :data:`STRETCH_MIN`. ``noise_var`` is the per-sample noise variance.
    """
    weight = np.where(valid, energy, 0.0) * (n * n - 1.0) / (12.0 * noise_var[:, None])  # inverse variances
    count = valid.sum(axis=1)
    s2, s4, s6 = (np.sum(weight * harmonic**p, axis=1) for p in (2, 4, 6))
    r1, r3 = np.sum(weight * harmonic * omega, axis=1), np.sum(weight * harmonic**3 * omega, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        harmonic_chi2 = np.sum(weight * (omega - (r1 / s2)[:, None] * harmonic) ** 2 * valid, axis=1)
        det = s2 * s6 - s4 * s4
        a = (r1 * s6 - r3 * s4) / det
        b = (r3 * s2 - r1 * s4) / det
        stiff_chi2 = np.sum(weight * (omega - a[:, None] * harmonic - b[:, None] * harmonic**3) ** 2 * valid, axis=1)
        left = np.maximum(stiff_chi2 / np.maximum(count - 2, 1), 1.0)
        top = np.max(np.where(valid, harmonic, 0.0), axis=1)
        real = (
            _inharmonic(harmonic_chi2, count)
            & (b > 0)
            & ((harmonic_chi2 - stiff_chi2) > STIFF_SIGNIFICANCE**2 * left)
            & (b * top**3 > STRETCH_MIN * a * top)
            & np.isfinite(a)
        )
    return np.where(real, a, r1 / s2)


def _warp(y: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Resample each window on the time axis that makes an exponential glide of ``rate`` a steady pitch.

    Sample ``tau`` (centred) of the result is the input at ``t = log(1 + rate tau) / rate``:
    a pitch ``f(t) = f(0) exp(rate t)`` becomes ``f(0)`` throughout, so the
    fitted fundamental is the pitch at the window centre. Linear
    interpolation (its slow amplitude ripple leaves frequencies unbiased);
    samples that would come from outside the window are zero.
    """
    count, n = y.shape
    tau = (np.arange(n) - (n - 1) / 2.0)[None, :]
    x = rate[:, None] * tau  # |x| stays below ~0.1 for glides up to several octaves per second
    t = tau * (1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))) + (n - 1) / 2.0  # log(1 + x) / rate, to x**4
    inside = (t >= 0) & (t <= n - 1)
    k = np.clip(np.floor(t), 0, n - 2)
    u = t - k
    flat = (k + (n * np.arange(count))[:, None]).astype(np.int64)
    samples = y.ravel()
    before, after = np.take(samples, flat), np.take(samples, flat + 1)
    return np.where(inside, before + u * (after - before), 0.0)


class _WeightedDTFT:
    """``sum_m y[m] m**p exp(i w m)`` for p = 0, 1, 2 at a few frequencies per window, in O(N) each.

    Time ``m`` is centred (``m = k - (N-1)/2``). The window is folded into a
    ``(rows, cols)`` grid with ``m = R[r] + c``, so that
    ``m**p exp(i w m) = exp(i w R[r]) * sum_q binom(p, q) R[r]**(p-q) * c**q exp(i w c)``:
    one small matrix product per window between the grid and ``c**q cos, sin(w c)``
    (q = 0, 1, 2), instead of N sines and cosines per frequency.
    """

    def __init__(self, y: np.ndarray) -> None:
        count, n = y.shape
        self.plan = _grid_plan(n)
        cells = self.plan.rows * self.plan.cols
        if cells != n:
            y = np.concatenate((y, np.zeros((count, cells - n))), axis=1)
        self.grid = y.reshape(count, self.plan.rows, self.plan.cols)

    def at(self, omega: np.ndarray) -> np.ndarray:
        """Return the three sums at ``omega`` (batch, K) as a complex array of shape (3, batch, K)."""
        count, k = omega.shape
        plan = self.plan
        phasors = np.exp(omega[:, None, :] * plan.times)  # the two levels of both: (batch, T, K)
        col, row = (
            (phasors[:, coarse, None, :] * phasors[:, None, fine, :]).reshape(count, -1, k)[:, :size]
            for fine, coarse, size in plan.levels
        )
        # c**q e^{iwc} (batch, cols, q, K), read as cos, sin pairs (batch, cols, 6K)
        col = col[:, :, None, :] * plan.powers
        # (batch, rows, q, K): sum_c c**q y e^{iwc}, the cosine and sine products read as one complex number
        inner = (self.grid @ col.reshape(count, plan.cols, 3 * k).view(np.float64)).view(np.complex128)
        weighted = inner.reshape(count, plan.rows, 3, k) * row[:, :, None, :]
        return (plan.binomial @ weighted.reshape(count, 3 * plan.rows, k)).transpose(1, 0, 2)


class _GridPlan(NamedTuple):
    """The fold of :class:`_WeightedDTFT` for one window length."""

    cols: int
    rows: int
    powers: np.ndarray
    """``c**q`` (cols, 3, 1)."""
    times: np.ndarray
    """``i t`` (T, 1) for the phasors of the columns ``c`` and of the row offsets ``R``, each over two levels
    (``t = t0 + step * (a * inner + b)``): about ``2 sqrt(T)`` complex exponentials instead of T."""
    levels: tuple
    """``(fine, coarse, count)`` slices of :attr:`times` and the number of times, for the columns and the rows."""
    binomial: np.ndarray
    """``binom(p, q) R[r]**(p-q)`` (p, rows * q)."""


@functools.lru_cache(maxsize=8)
def _grid_plan(n: int) -> _GridPlan:
    """:class:`_GridPlan` for windows of ``n``."""
    cols = _grid_columns(n)
    rows = -(-n // cols)
    offsets = -(n - 1) / 2.0 + cols * np.arange(rows)
    one, zero = np.ones(rows), np.zeros(rows)
    binomial = np.array([[one, zero, zero], [offsets, one, zero], [offsets**2, 2 * offsets, one]])  # (p, q, r)
    times, levels = [], []
    for start, step, count in ((0.0, 1.0, cols), (offsets[0], cols, rows)):
        inner = max(1, math.isqrt(count))
        outer = -(-count // inner)
        first = sum(len(part) for part in times)
        times += [step * np.arange(inner), start + step * inner * np.arange(outer)]
        levels.append((slice(first, first + inner), slice(first + inner, first + inner + outer), count))
    return _GridPlan(
        cols=cols,
        rows=rows,
        powers=(np.arange(cols)[:, None] ** np.arange(3))[:, :, None],
        times=1j * np.concatenate(times)[:, None],
        levels=tuple(levels),
        binomial=binomial.transpose(0, 2, 1).reshape(3, 3 * rows),
    )


def _grid_columns(n: int) -> int:
    """A divisor of ``n`` near its square root (no padding), else ``ceil(sqrt(n))``."""
    root = math.isqrt(n)
    for cols in range(root, min(2 * root, n) + 1):
        if n % cols == 0 and cols >= root:
            return cols
    return root + 1


@functools.lru_cache(maxsize=8)
def _off_diagonal(k: int) -> np.ndarray:
    """``(k, k)`` boolean, True off the diagonal."""
    return ~np.eye(k, dtype=bool)


def _dirichlet(theta: np.ndarray, n: int) -> np.ndarray:
    """``D(theta) = sum_m cos(theta m)`` over centred m, with its first two derivatives, stacked (3, ...)."""
    out = np.empty((3, *theta.shape))
    half = theta / 2
    u, u1 = np.sin(n * half), (n / 2) * np.cos(n * half)
    v = np.sin(half)
    v[np.abs(v) < 1e-12] = 1e-12
    v1 = 0.5 * np.cos(half)
    d0 = np.divide(u, v, out=out[0])
    d1 = np.divide(u1 - d0 * v1, v, out=out[1])
    np.divide(-((n / 2) ** 2) * u - 2 * d1 * v1 + 0.25 * d0 * v, v, out=out[2])
    return out


#: ``d**p/dw**p`` of ``D(2w) / 2`` is ``2**(p-1) D^(p)(2w)``; of ``D(w)**2`` (times 1/N) it starts ``D D', 2 D D'``.
_ENERGY_SCALE = np.array([0.5, 1.0, 2.0])[:, None, None]
_ALONG_SCALE = np.array([1.0, 2.0, 2.0])[:, None, None]


def _likelihood(sums: np.ndarray, own: np.ndarray, double: np.ndarray, n: int):
    """Concentrated log-likelihood ``J(w)`` of the real tone with DC (energy the fit explains), with its slope and
    curvature.

    With centred time, sin is orthogonal to cos and to the constant, so
    ``J = C**2 / A~ + S**2 / B`` where ``C, S`` are the cosine and sine sums
    of the mean-removed window, ``B = sum sin**2``, and ``A~`` is ``sum cos**2``
    less its part along the constant. ``own`` and ``double`` are :func:`_dirichlet` at ``omega`` and ``2 omega``.
    """
    # C + iS and its derivatives: e0, i e1, -e2 (viewed as real pairs: [..., 0] cosine, [..., 1] sine)
    p, p1, p2 = (part[..., None].view(np.float64) for part in (sums[0], 1j * sums[1], -sums[2]))
    # sum cos**2 = N/2 + D(2w)/2 less its part along the constant, D(w)**2 / N, and sum sin**2 = N/2 - D(2w)/2,
    # with their first and second derivatives: (3, batch, K, 2)
    dw0, dw1 = own[0], own[1]
    shared = _ENERGY_SCALE * double
    shared[0] += n / 2
    along = (own * (dw0 * _ALONG_SCALE)) / n
    along[2] += (2.0 / n) * dw1 * dw1
    q, q1, q2 = np.stack((shared - along, -shared), axis=-1)
    q[..., 1] += n
    q = np.maximum(q, 1e-12)
    ratio = p / q  # f = p**2 / q with its first and second derivatives, summed over cosine and sine
    slope_q = q1 / q
    f = p * ratio
    f1 = ratio * (2 * p1 - p * slope_q)
    f2 = (2 * (p1 * p1 + p * p2) - 4 * p1 * ratio * q1 - ratio * p * q2) / q + 2 * f * slope_q * slope_q
    return f.sum(axis=-1), f1.sum(axis=-1), f2.sum(axis=-1)
