"""Joint harmonic NLS: the maximum-likelihood fundamental of harmonics ``1..L`` with DC, by Newton steps in O(N L).

The likelihood of the harmonic model is evaluated exactly from the window's
sums at ``l w0`` (:class:`~streamfreq.estimators.sums.WeightedDTFT`) and
Gram matrices built from the Dirichlet kernel at multiples of ``w0``
(:func:`harmonic_fit`). Score tests on the same fit say whether the pitch
glides within the window (:func:`glide_rate`) and whether the partials are
stretched like a stiff string's.

Example
-------
>>> import numpy as np
>>> from streamfreq.estimators.base import centred_unit_peak
>>> from streamfreq.estimators.harmonic_fit import harmonic_fit
>>> m = np.arange(2048) - 1023.5
>>> y, _ = centred_unit_peak((np.cos(0.05 * m) + 0.5 * np.cos(0.1 * m + 1.0))[None, :])  # windows mean-free
>>> fit = harmonic_fit(y, np.array([0.0501]), 2, 2)  # from 0.2% off, 2 harmonics, 2 Newton steps at most
>>> bool(abs(fit.omega0[0] - 0.05) < 1e-9)
True
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from streamfreq.estimators.base import centred_unit_peak
from streamfreq.estimators.harmonic import CLEAR_LOG_SNR, PARTIAL_HARMONICS, Partials
from streamfreq.estimators.partial_fit import INHARMONIC_PARTIALS
from streamfreq.estimators.sums import WeightedDTFT, at_zero, dirichlet, quartic_spread, square_spread, warp

#: Harmonics fitted beyond the highest found (weak ones the peak search missed would leak into the fit
#: unmodelled); none for a lone partial, which is fitted as a pure tone.
HARMONICS_BEYOND = 2
#: Columns of a batch's fit: the most harmonics a window's model can have (the highest searched and the beyond).
FIT_WIDTH = PARTIAL_HARMONICS + HARMONICS_BEYOND


def harmonics_to_fit(f0: np.ndarray, n: int) -> np.ndarray:
    """How many harmonics of ``f0`` (cycles per sample) a window of ``n`` samples is fitted with at most: those a bin
    clear of Nyquist, and fewer unknowns than samples (two a harmonic, and DC: only windows of a few dozen samples
    come near that). Float, nan where ``f0`` is nan.

    Example
    -------
    >>> harmonics_to_fit(np.array([0.01, 0.3]), 2048).tolist(), harmonics_to_fit(np.array([0.01]), 16).tolist()
    ([49.0, 1.0], [6.0])
    """
    return np.minimum(np.floor((0.5 - 1.0 / n) / f0), (n - 3) // 2)


#: A further Newton step is taken where the last one's own error could exceed this share of the standard deviation.
NEWTON_TOLERANCE = 0.1


#: A glide that spreads the top partial over more than this many bins within the window is dechirped.
CHIRP_BINS = 1.0


#: A larger relative pitch change within the window is no glide the warp can straighten (nor one a linearised
#: score measures): the window is fitted as it is.
GLIDE_MAX = 0.25


#: A glide counts when its score test exceeds this many standard deviations.
CHIRP_SIGNIFICANCE = 5.0


#: Periods of the fundamental each quarter of a window must hold for the window to be read in quarters.
SEGMENT_PERIODS = 4.0


#: Newton steps of each part's fit (each at most half a bin of its top harmonic).
SEGMENT_STEPS = 3


#: Harmonics in each part's fit: the parts give the fundamental's trend, which the lowest harmonics carry.
SEGMENT_HARMONICS = 3


#: The parts' log pitches lie on one glide when none is further from their line than this share of its rise from
#: the first part to the last (a change of note, one pitch and then another, leaves a quarter of it).
SEGMENT_STRAIGHT = 0.1


#: Each part's fit starts from whichever of this many pitches has harmonics holding the most power in the part,
#: spread either way as far as a glide of :data:`GLIDE_MAX` takes the part's centre from the window's: a steep
#: glide moves the outer parts' partials a bin or more from the whole window's smeared peak, out of reach of
#: the Newton steps.
SEGMENT_STARTS = 9


def harmonic_start(partials: Partials, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Starting fundamental (rad/sample) and model order of the harmonic fit.

    The fundamental is the weighted least-squares fit of ``l f0`` to the found
    partials' peak frequencies (weights their energies; only the partials at least
    :data:`CLEAR_LOG_SNR` above their floor where there are such, as noise peaks
    found near high harmonics would weigh heavily); the order is the highest
    found harmonic and :data:`HARMONICS_BEYOND` more, at most :func:`harmonics_to_fit`.
    """
    frequency = partials.frequency
    found = frequency > 0  # not nan
    numbers = np.arange(1.0, found.shape[1] + 1)
    clear = partials.log_snr > CLEAR_LOG_SNR  # -inf where not found
    weight = partials.energy * np.where(clear.any(axis=1, keepdims=True), clear, found)  # energy 0 where not found
    highest = (found * numbers).max(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):  # no partial found: f0 nan, order 1
        # row sums, not matrix-vector products: BLAS would round a window differently in different batches
        f0 = (weight * np.fmax(frequency, 0.0) * numbers).sum(axis=1) / (weight * numbers**2).sum(axis=1)
        order = np.minimum(np.where(highest > 1, highest + HARMONICS_BEYOND, 1), harmonics_to_fit(f0, n))
    return 2.0 * np.pi * f0, np.maximum(np.nan_to_num(order, nan=1.0), 1).astype(np.int64)


class HarmonicFit(NamedTuple):
    """What :func:`harmonic_fit` returns, one row per window, one column per harmonic (``present`` marks those
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
    (Lagrange-multiplier) statistic against the harmonic series. Left 0 in a model of fewer than
    :data:`~streamfreq.estimators.partial_fit.INHARMONIC_PARTIALS` harmonics: no fewer partials are judged off
    the series."""
    chirp: np.ndarray
    """:func:`_harmonic_chirp` of each harmonic (2, batch, L), where asked for (else 0)."""
    stretch: np.ndarray
    """The score of a stiff string's stretch (partial ``l`` moved by ``B l**3``), over its standard deviation times
    the noise's: divided by the noise's standard deviation, a z-score (positive for a stretch upwards); 0 where
    :attr:`misfit` is."""

    @classmethod
    def zeros(cls, count: int, width: int) -> HarmonicFit:
        """``count`` windows of ``width`` harmonics, all zero (none present)."""
        columns = np.zeros((5, count, width))
        return cls(np.zeros(count), np.zeros((count, width), dtype=bool), *columns[:3], columns[3:], np.zeros(count))

    def rows(self, index: np.ndarray) -> HarmonicFit:
        """The windows ``index``."""
        return HarmonicFit(*(field[index] for field in self[:5]), self.chirp[:, index], self.stretch[index])

    def set_rows(self, rows: np.ndarray, other: HarmonicFit) -> None:
        """Overwrite windows ``rows`` with ``other`` (same number of harmonics or fewer)."""
        width = other.present.shape[1]
        self.omega0[rows] = other.omega0
        self.stretch[rows] = other.stretch
        for mine, theirs in zip(self[1:5], other[1:5], strict=True):
            if width < mine.shape[1]:
                mine[rows] = 0
            mine[rows, :width] = theirs
        if width < self.chirp.shape[2]:
            self.chirp[:, rows] = 0.0
        self.chirp[:, rows, :width] = other.chirp


def harmonic_fit_by_order(
    y: np.ndarray, omega0: np.ndarray, order: np.ndarray, steps: int, *, chirp: bool = False
) -> HarmonicFit:
    """:func:`harmonic_fit` on the windows grouped by model order (each window's result its own alone).

    The columns are padded to :data:`FIT_WIDTH` harmonics whatever orders the batch holds: sums along a row
    then round the same way in any batch.
    """
    width = max(FIT_WIDTH, int(order.max(initial=1)))
    groups = sorted(set(order.tolist()))
    if len(groups) == 1:
        return harmonic_fit(y, omega0, groups[0], steps, chirp=chirp, width=width)
    out = HarmonicFit.zeros(len(y), width)
    for group in groups:
        rows = np.flatnonzero(order == group)
        out.set_rows(rows, harmonic_fit(y[rows], omega0[rows], group, steps, chirp=chirp, width=width))
    return out


def harmonic_fit(
    y: np.ndarray, omega0: np.ndarray, order: int, steps: int, *, chirp: bool = False, width: int = FIT_WIDTH
) -> HarmonicFit:
    """Newton steps (``steps`` at most) on the exact harmonic likelihood of harmonics ``1..order`` with DC, in
    O(N order) per step; the tests after the fit read the point before the last step (the chirp's only where
    ``chirp``). The result has ``max(width, order)`` columns.

    A step after the first is taken only where the one before could have left an error (about its square, in
    bins of the top harmonic) above :data:`NEWTON_TOLERANCE` of the estimate's standard deviation: from the
    interpolated peaks one step is mostly enough, from a noisy start not.

    With centred time the cosine and sine columns are orthogonal, so the
    likelihood is ``J(w0) = b_c^T G_c^-1 b_c + b_s^T G_s^-1 b_s``: ``b`` the
    cosine and sine sums of the window at ``l w0`` (:class:`WeightedDTFT`)
    and ``G`` their Gram matrices, every entry one of ``D(j w0)`` for
    ``j = 0..2 order`` (``D`` the Dirichlet kernel; the cosine block less its
    part along the constant). With ``a = G^-1 b`` and ``c = b' - G' a``:
    ``J' = 2 b'^T a - a^T G' a`` and ``J'' = 2 b''^T a - a^T G'' a + 2 c^T G^-1 c``.
    All harmonics leak into each other through ``G`` however close they are:
    the joint fit is the maximum-likelihood fundamental of the harmonic model.
    """
    count, n = y.shape
    plan = _harmonic_plan(order)
    moments = WeightedDTFT(y).at(omega0[:, None] * plan.numbers)  # (3, batch, L)
    gram, raw = _harmonic_gram(omega0, plan, n)
    # b, b', b'': (3, batch, 2, L), cosine then sine
    b = (moments * plan.moment_scale).view(np.float64).reshape(3, count, order, 2).swapaxes(2, 3)
    inverse = np.linalg.inv(gram[0]) if order > 1 else 1.0 / gram[0]  # (LAPACK's 1x1 inverse is the reciprocal)
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
                return harmonic_fit(y, omega0, order, steps - 1, chirp=chirp, width=width)
    fit = HarmonicFit.zeros(count, max(width, order))
    fit.omega0[:] = omega0
    fit.present[:, :order] = True
    np.multiply(omega0[:, None], plan.numbers, out=fit.omega[:, :order])
    fit.energy[:, :order] = energy
    done = slice(None)
    if again is not None and again.any():  # the next step's fit replaces these windows: no tests here
        done, again = np.flatnonzero(~again), np.flatnonzero(again)
        fit.set_rows(again, harmonic_fit(y[again], omega0[again], order, steps - 1, chirp=chirp, width=width))
    stiff = order >= INHARMONIC_PARTIALS
    if stiff or chirp:
        a, raw = a[done, ..., 0], raw[:, done]
        amplitude2 = (a * a).sum(axis=1)
        if stiff:
            fit.misfit[done, :order], fit.stretch[done] = _stiff_scores(a, amplitude2, b[1][done], raw, plan, n)
        if chirp:
            fit.chirp[:, done, :order] = _harmonic_chirp(moments[2][done], a, amplitude2, raw, n)
    return fit


def _stiff_scores(
    a: np.ndarray, amplitude2: np.ndarray, slope_moments: np.ndarray, raw: np.ndarray, plan: _HarmonicPlan, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """:attr:`HarmonicFit.misfit` and :attr:`HarmonicFit.stretch` of the fitted amplitudes ``a`` (batch, 2, L)
    (``amplitude2`` their squares summed), from ``b'`` (``slope_moments``) and the kernels ``raw`` of
    :func:`_harmonic_gram`."""
    order = len(plan.numbers)
    # row l of dG/dw_l (the slope of the Gram matrices in harmonic l's own frequency) (batch, 2, L, L)
    kernel_slope = raw[1][:, plan.pairs]
    own_slope = 0.5 * (plan.sign * kernel_slope[:, :1] + _BLOCK_SIGNS * kernel_slope[:, 1:])
    own_slope[:, 0] -= raw[1][:, 1 : order + 1, None] * raw[0][:, None, 1 : order + 1] / n
    # slope in each harmonic's own frequency: 2 a_l (b'_l / l - (H a)_l), H = dG/dw_l (row l)
    slope = 2.0 * (a * (slope_moments / plan.numbers - _times(own_slope, a))).sum(axis=1)
    information = (0.5 * square_spread(n)) * amplitude2  # times the noise variance
    # a stretch l**3, less what a change of w0 (l) takes up
    spread = np.maximum((information * plan.numbers**2).sum(axis=1), 1e-300)  # row sums: the same in any batch
    along = (information * plan.numbers**4).sum(axis=1) / spread
    pattern = plan.numbers**3 - along[:, None] * plan.numbers
    stretch = (slope * pattern).sum(axis=1) / np.sqrt(np.maximum(4.0 * (information * pattern**2).sum(axis=1), 1e-300))
    # less the part a step of w0 itself would take up (the fundamental is fitted, only the rest is misfit)
    along = (slope * plan.numbers).sum(axis=1) / spread
    slope -= information * plan.numbers * along[:, None]
    return slope * slope / np.maximum(4.0 * information, 1e-300), stretch


class _HarmonicPlan(NamedTuple):
    """Index tables of :func:`harmonic_fit` for one model order L."""

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


def _harmonic_gram(omega0: np.ndarray, plan: _HarmonicPlan, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gram matrices of the harmonic model and their first two ``w0``-derivatives (3, batch, 2, L, L), and the
    Dirichlet kernels ``D, D', D''`` at ``j w0`` (3, batch, 2L+1) that the tests after the fit read."""
    order = len(plan.numbers)
    raw = dirichlet(omega0[:, None] * plan.multiples, n)
    raw[:, :, 0] = at_zero(n)
    table = raw * plan.powers[:, None, :]
    pair = (0.5 * table)[:, :, plan.pairs]  # (3, batch, 2, L, L): halves at |l - k| and at l + k
    gram = np.empty(pair.shape)
    np.add(pair[:, :, 0], pair[:, :, 1], out=gram[:, :, 0])  # cosines
    np.subtract(pair[:, :, 0], pair[:, :, 1], out=gram[:, :, 1])  # sines
    d = table[:, :, 1 : order + 1]  # D(l w0) and its derivatives: the cosines' sums, along the constant
    outer = d[:, :, :, None] * d[0][:, None, :]
    along = outer[1:] + outer[1:].swapaxes(-1, -2)
    along[1] += 2.0 * d[1][:, :, None] * d[1][:, None, :]
    gram[0, :, 0] -= outer[0] / n
    gram[1:, :, 0] -= along / n
    return gram, raw


def _harmonic_chirp(second: np.ndarray, a: np.ndarray, amplitude2: np.ndarray, raw: np.ndarray, n: int) -> np.ndarray:
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
    pairs = raw[2][:, _harmonic_plan(order).pairs]  # (batch, 2, L, L): D'' at |l - k| and at l + k
    cosine, sine = a[:, 0], a[:, 1]
    own = raw[:, :, 1 : order + 1]
    constant = (cosine * own[0]).sum(axis=1) / n  # minus the fitted constant
    residual = second + 0.5 * _times(pairs[:, 0] + pairs[:, 1], cosine) - constant[:, None] * own[2]
    residual -= 0.5j * _times(pairs[:, 1] - pairs[:, 0], sine)
    out = np.empty((2, *amplitude2.shape))
    np.multiply(0.5, sine * residual.real - cosine * residual.imag, out=out[0])
    np.multiply(quartic_spread(n) / 8, amplitude2, out=out[1])
    return out


def glide_rate(fit: HarmonicFit, noise_var: np.ndarray, n: int, smallest: float = CHIRP_BINS) -> np.ndarray:
    """Relative pitch change per sample of each window, 0 where the pitch does not move.

    All partials glide at one relative rate (``c_l = rate w_l``): the score test
    of that rate (:func:`_harmonic_chirp` of each harmonic, combined) and one
    Gauss-Newton step from none, ``rate = sum score_l w_l / sum info_l w_l**2``.
    A glide counts when it is :data:`CHIRP_SIGNIFICANCE` standard deviations clear
    of none and moves the top harmonic over more than ``smallest`` bins (:data:`CHIRP_BINS`), but
    less than :data:`GLIDE_MAX` (relative) within the window.
    """
    score = (fit.chirp[0] * fit.omega).sum(axis=1)
    information = (fit.chirp[1] * fit.omega * fit.omega).sum(axis=1)
    rate = score / np.maximum(information, 1e-300)
    top = fit.omega.max(axis=1)
    significant = score * score > CHIRP_SIGNIFICANCE**2 * noise_var * information
    size = np.abs(rate)
    moving = significant & (size * n * n * top / (2 * np.pi) > smallest) & (size * n < GLIDE_MAX)
    return np.where(moving, rate, 0.0)


#: Harmonics fitted by :func:`dechirped` to find how a window's pitch moves, at most: enough that the top one's
#: glide crosses :data:`CHIRP_BINS` where a low voice's vibrato moves it (with 8, the LSTM read 9 of the 34 windows
#: of a 65 Hz bass's vibrato that ``octave.half_below_floor`` took; with 20, 31).
DECHIRP_HARMONICS = 20


def dechirped(y: np.ndarray, omega0: np.ndarray, steps: int = 2) -> np.ndarray:
    """Windows ``y`` (batch, N; mean removed) read at ``omega0`` (rad/sample), resampled where their pitch moves on
    the time axis that makes it steady (:func:`~streamfreq.estimators.sums.warp`, at :func:`glide_rate` of a chirp
    fit of up to :data:`DECHIRP_HARMONICS` harmonics), each with a unit peak; the others as they are. What ``fft``
    reads once it has fitted a window, for a number that comes without a fit (the LSTM's).

    Example
    -------
    >>> from streamfreq.signals import LogSweep, harmonic_tone
    >>> glide = harmonic_tone(2048, 44100.0, LogSweep(60.0, 80.0, 2048 / 44100.0), [1.0, 0.6, 0.4])[None]
    >>> steady = dechirped(glide - glide.mean(), np.array([2 * np.pi * np.sqrt(60.0 * 80.0) / 44100.0]))
    >>> bool(np.abs(steady - glide / np.abs(glide).max()).max() > 0.1)  # resampled: it glided a fifth
    True
    """
    n = y.shape[1]
    order = np.clip(np.nan_to_num(harmonics_to_fit(omega0 / (2.0 * np.pi), n)), 1, DECHIRP_HARMONICS).astype(np.int64)
    fit = harmonic_fit_by_order(y, omega0, order, steps, chirp=True)
    total = np.einsum("ij,ij->i", y, y)
    noise_var = np.maximum(total - fit.energy.sum(axis=1), 1e-10 * total + 1e-300) / np.maximum(n - 2 * order - 2, 1)
    rate = glide_rate(fit, noise_var, n)
    out = np.array(y, dtype=np.float64)
    moving = np.flatnonzero(rate)
    if len(moving):
        out[moving] = centred_unit_peak(warp(out[moving], rate[moving]))[0]
    return out


def glide_from_segments(
    y: np.ndarray, omega0: np.ndarray, order: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Relative pitch change per sample of each window, its pitch at the centre (rad/sample) and the share of its
    energy that the parts' fits leave unexplained, from the fundamental fitted on each of a few equal parts of it
    (from ``omega0``, at most :data:`SEGMENT_HARMONICS` harmonics of ``order``): the slope and the mean of their
    log against time (least squares).

    The score step of :func:`glide_rate` linearises the likelihood about no glide: where a glide turns the top
    partial's phase by more than about a radian against a steady tone at the centre pitch (``|rate| w (N/2)**2
    / 2`` at the window's ends), it measures too small a glide or none. Each of ``K`` parts holds ``1 / K**2`` of
    that turn: a window is read in quarters where each holds :data:`SEGMENT_PERIODS` periods of ``omega0``, else
    in halves. The glide is nan where the quarters' pitches do not lie on one line (:data:`SEGMENT_STRAIGHT`).

    Example
    -------
    >>> n, rate = 1024, 2.0 * np.log(2.0) / 16000.0  # 2 octaves per second at 16 kHz
    >>> m = np.arange(n) - (n - 1) / 2.0
    >>> y = np.cos(0.5 * np.expm1(rate * m) / rate)[None, :]  # 0.5 rad/sample at the centre
    >>> glide, centre, left = glide_from_segments(y, np.array([0.49]), np.array([1]))
    >>> bool(abs(glide[0] / rate - 1) < 0.05), bool(abs(centre[0] / 0.5 - 1) < 0.002), bool(left[0] < 0.1)
    (True, True, True)
    """
    count, n = y.shape
    rate, centre, left = np.zeros(count), omega0.copy(), np.ones(count)
    quarters = omega0 * n / 4 >= 2 * np.pi * SEGMENT_PERIODS
    for parts, rows in ((4, np.flatnonzero(quarters)), (2, np.flatnonzero(~quarters))):
        if not len(rows):
            continue
        size = n // parts
        cap = np.minimum(order[rows], SEGMENT_HARMONICS)
        span = GLIDE_MAX * (parts - 1) / (2 * parts)  # the parts' centres lie this far (relative) from the window's
        grid = 1.0 + np.linspace(-span, span, SEGMENT_STARTS)
        # the harmonics of each start (rows, starts, harmonics), those beyond the row's order at 0 (the sum's DC)
        numbers = np.arange(1, SEGMENT_HARMONICS + 1) * (np.arange(1, SEGMENT_HARMONICS + 1) <= cap[:, None])
        starts = omega0[rows, None] * grid
        frequencies = starts[:, :, None] * numbers[:, None, :]
        # every part of every window is a row of its own (window after window): one batch
        pieces = y[rows, : parts * size].reshape(len(rows) * parts, size)
        sums = WeightedDTFT(pieces).at(np.repeat(frequencies.reshape(len(rows), -1), parts, axis=0))[0]
        power = (
            np.abs(sums.reshape(-1, *frequencies.shape[1:])) ** 2 * np.repeat(numbers > 0, parts, axis=0)[:, None]
        ).sum(axis=2)
        start = np.repeat(starts, parts, axis=0)[np.arange(len(pieces)), power.argmax(axis=1)]
        fit = harmonic_fit_by_order(pieces, start, np.repeat(cap, parts), SEGMENT_STEPS)
        logs = np.log(fit.omega0.reshape(len(rows), parts).clip(1e-12))
        explained = fit.energy.sum(axis=1).reshape(len(rows), parts).sum(axis=1)
        left[rows] = 1.0 - explained / np.maximum(np.einsum("ij,ij->i", y[rows], y[rows]), 1e-300)
        times = (np.arange(parts) - (parts - 1) / 2.0) * size
        mean = logs.mean(axis=1)
        slope = ((logs - mean[:, None]) * times).sum(axis=1) / (times * times).sum()
        off_line = np.abs(logs - mean[:, None] - slope[:, None] * times).max(axis=1)
        rate[rows] = np.where(off_line <= SEGMENT_STRAIGHT * np.abs(slope) * (times[-1] - times[0]), slope, np.nan)
        centre[rows] = np.exp(mean)
    return rate, centre, left


def _times(matrices: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Each matrix (..., L, L) times its vector (..., L), as row sums: a window's result the same in any batch
    (a matrix product of strided operands takes paths whose rounding depends on the batch)."""
    return (matrices * vectors[..., None, :]).sum(axis=-1)
