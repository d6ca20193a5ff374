"""The fundamental from partials refined one by one: for stiff strings, whose partials leave the harmonic series.

Each of the :data:`REFINED_PARTIALS` strongest partials is refined by Newton
steps on its own real-tone likelihood, cleared of its neighbours' leakage,
and ``l f0 (1 + B l**2 / 2)`` is fitted to them (:func:`partial_fit`). Also
the tests both fits share: which partials are significant, and the common
divisor of the harmonic numbers that are there.

Example
-------
>>> import numpy as np
>>> from streamfreq.estimators.harmonic import Partials
>>> from streamfreq.estimators.partial_fit import common_divisor
>>> none = np.full((1, 8), -np.inf)
>>> none_found = Partials(np.full((1, 8), np.nan), none, none, np.zeros((1, 8)))
>>> int(common_divisor(np.array([[2, 4, 6]]), np.ones((1, 3), dtype=bool), none_found, np.ones((1, 3)))[0])
2
"""

from __future__ import annotations

import functools

import numpy as np

from streamfreq.estimators.harmonic import CLEAR_LOG_SNR, Partials
from streamfreq.estimators.sums import WeightedDTFT, dirichlet

#: Partials refined per window (the ones carrying most information about f0).
REFINED_PARTIALS = 6


#: Passes that clear each partial's sums of the others' fitted sinusoids.
JACOBI_PASSES = 2


#: Energy a partial must explain, in noise variances, to enter the f0 fit (noise alone explains about 2, and
#: the largest of the ~400 places searched per window about 12).
PARTIAL_GLRT = 40.0


#: A partial with less than this share (-25 dB) of the harmonic energy does not count when the fundamental is
#: read in lowest terms: a trace between the partials of a voice (jitter, vibrato smear, breath) cannot make it
#: an octave lower.
MINOR_SHARE = 10 ** (-25 / 10)
#: A partial holding this share of the harmonic energy (all the others together 20 dB below it) is read alone: a
#: nearly pure tone whose attack or breath adds faint peaks near its subharmonics' harmonics is not one of them.
LONE_SHARE = 0.99


#: The fewest significant partials a window needs before its misfit can show them off the harmonic series
#: (:func:`inharmonic`).
INHARMONIC_PARTIALS = 3


#: A stiff-string stretch is fitted when this many standard deviations from zero...
STIFF_SIGNIFICANCE = 5.0


#: ...and it moves the highest partial by at least this fraction (1.7 cents): smaller is not a string.
STRETCH_MIN = 1e-3


def partial_fit(
    y: np.ndarray, partials: Partials, steps: int, odd_there: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fundamental from the partials refined one by one: ``(omega0, explained energy, noise variance)``.

    For windows whose partials are off the harmonic series (:func:`inharmonic`): the
    :data:`REFINED_PARTIALS` strongest refined by :func:`_newton`, and :func:`_stiff_string`
    fitted to them (the harmonic series where the stretch is not real). ``odd_there``: as for
    :func:`common_divisor`.
    """
    count, n = y.shape
    harmonic, start, valid, keep = _strongest_partials(partials)
    omega, energy = _newton_by_count(y, start, valid, steps)
    total = np.einsum("ij,ij->i", y, y)
    explained = np.sum(np.where(valid, energy, 0.0), axis=1)
    noise_var = np.maximum(total - explained, 1e-30 * total + 1e-300) / np.maximum(n - 3 * valid.sum(1), 1)
    valid = significant(energy, valid, noise_var)
    divisor = common_divisor(np.where(valid, harmonic, 0), valid, partials, np.where(valid, energy, 0.0), odd_there)
    harmonic = harmonic / divisor[:, None]
    energy_sum = np.sum(np.where(valid, energy, 0.0), axis=1)
    others = np.sum(partials.energy, axis=1) - np.sum(partials.energy[np.arange(count)[:, None], keep], axis=1)
    unexplained = total - energy_sum - np.maximum(others, 0.0)  # less the partials found but not refined
    dof = n - 3 * np.maximum(valid.sum(axis=1), np.isfinite(partials.frequency).sum(axis=1))
    noise_var = np.maximum(unexplained, 1e-30 * total + 1e-300) / np.maximum(dof, 1)
    return _stiff_string(harmonic, omega, energy, valid, noise_var, n), energy_sum, noise_var


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


def significant(energy: np.ndarray, valid: np.ndarray, noise_var: np.ndarray) -> np.ndarray:
    """Partials whose explained energy stands :data:`PARTIAL_GLRT` noise variances clear (the strongest always)."""
    strongest = energy == np.where(valid, energy, -1.0).max(axis=1, keepdims=True)
    return valid & ((energy > PARTIAL_GLRT * noise_var[:, None]) | strongest)


def common_divisor(
    numbers: np.ndarray, valid: np.ndarray, partials: Partials, energy: np.ndarray, odd_there: np.ndarray | None = None
) -> np.ndarray:
    """Greatest common divisor of the harmonic numbers of the partials that are really there (1 if none).

    When only every ``d``-th harmonic of the chosen fundamental is there, the
    data support the fundamental ``d`` times higher: the simpler model (the
    prior against sub-octaves, applied to the partials that survived). The
    partials that count are ``numbers`` (0 for none), those refined that passed :func:`significant`
    with their explained ``energy`` (0 for none), and any other found at least :data:`CLEAR_LOG_SNR` above its
    floor and its band's own level (``Partials.level_snr``: noise whose band edges fall faster than the floor may
    rise has its floor lowered under its level, and its chance peaks would stand as partials of a lower
    fundamental); of each kind only those holding :data:`MINOR_SHARE` or more of their kind's energy, or the
    strongest alone where it holds :data:`LONE_SHARE` of it. Windows marked in ``odd_there`` hold odd harmonics
    that are the sound's own though none counts alone (:func:`~streamfreq.estimators.octave.odd_partials_stand`):
    their divisor is never 2.
    """
    numbers = np.where(_counting(energy), numbers, 0)
    clear = partials.level_snr > CLEAR_LOG_SNR  # the band's own level lies at or above its floor
    found = np.isfinite(partials.frequency) & clear & _counting(partials.energy)
    numbers = np.concatenate((numbers, np.where(found, np.arange(1, found.shape[1] + 1), 0)), axis=1).astype(np.int64)
    divisor = np.gcd.reduce(numbers, axis=1)  # 0 where no number at all
    divisor = np.where(valid.any(axis=1) & (divisor > 0), divisor, 1)
    return divisor if odd_there is None else np.where(odd_there & (divisor == 2), 1, divisor)


def _counting(energy: np.ndarray) -> np.ndarray:
    """The entries of each row of ``energy`` that count for :func:`common_divisor`: those holding
    :data:`MINOR_SHARE` or more of the row's energy, or the strongest alone where it holds :data:`LONE_SHARE`."""
    total = energy.sum(axis=1, keepdims=True)
    strongest = energy.max(axis=1, keepdims=True, initial=0.0)
    return energy >= np.where(strongest >= LONE_SHARE * total, strongest, MINOR_SHARE * total)


def inharmonic(misfit: np.ndarray, partials: np.ndarray) -> np.ndarray:
    """Windows whose ``partials`` significant partials are off the harmonic series: a chi-square ``misfit``
    (``partials - 1`` degrees of freedom when they are on it) beyond its mean plus 4 standard deviations and 4."""
    return (partials >= INHARMONIC_PARTIALS) & (misfit > partials + 4.0 * np.sqrt(2.0 * partials) + 4.0)


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
    sums = WeightedDTFT(y)
    clear = k > 1 and bool((valid.sum(axis=1) > 1).any())
    for _ in range(max(steps, 1)):
        theta = [omega, 2 * omega]
        if clear:
            theta += [(omega[:, :, None] + omega[:, None, :]).reshape(count, k * k)]
            theta += [(omega[:, :, None] - omega[:, None, :]).reshape(count, k * k)]
        kernel = dirichlet(np.concatenate(theta, axis=1), n)  # (3, batch, ...): D, D', D''
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
    ``own``, ``double``, ``plus`` and ``minus`` are :func:`dirichlet` at ``w_l``, ``2 w_l``,
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
            inharmonic(harmonic_chi2, count)
            & (b > 0)
            & ((harmonic_chi2 - stiff_chi2) > STIFF_SIGNIFICANCE**2 * left)
            & (b * top**3 > STRETCH_MIN * a * top)
            & np.isfinite(a)
        )
    return np.where(real, a, r1 / s2)


@functools.lru_cache(maxsize=8)
def _off_diagonal(k: int) -> np.ndarray:
    """``(k, k)`` boolean, True off the diagonal."""
    return ~np.eye(k, dtype=bool)


#: ``d**p/dw**p`` of ``D(2w) / 2`` is ``2**(p-1) D^(p)(2w)``; of ``D(w)**2`` (times 1/N) it starts ``D D', 2 D D'``.
_ENERGY_SCALE = np.array([0.5, 1.0, 2.0])[:, None, None]


_ALONG_SCALE = np.array([1.0, 2.0, 2.0])[:, None, None]


def _likelihood(sums: np.ndarray, own: np.ndarray, double: np.ndarray, n: int):
    """Concentrated log-likelihood ``J(w)`` of the real tone with DC (energy the fit explains), with its slope and
    curvature.

    With centred time, sin is orthogonal to cos and to the constant, so
    ``J = C**2 / A~ + S**2 / B`` where ``C, S`` are the cosine and sine sums
    of the mean-removed window, ``B = sum sin**2``, and ``A~`` is ``sum cos**2``
    less its part along the constant. ``own`` and ``double`` are :func:`dirichlet` at ``omega`` and ``2 omega``.
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
