"""Sums of a window at chosen frequencies, in O(N) each, and the Dirichlet kernel that relates them.

The building blocks of the fft estimator's fits (:mod:`streamfreq.estimators.harmonic_fit`,
:mod:`streamfreq.estimators.partial_fit`): ``sum_m y[m] m**p exp(i w m)`` over
centred time ``m`` (:class:`WeightedDTFT`), the centred Dirichlet kernel
``D(theta) = sum_m cos(theta m)`` with two derivatives (:func:`dirichlet`),
the spreads ``sum m**2`` and ``sum m**4``, and the time warp that turns an
exponential glide into a steady pitch (:func:`warp`).

Example
-------
>>> import numpy as np
>>> from streamfreq.estimators.sums import WeightedDTFT, dirichlet
>>> y = np.cos(0.3 * (np.arange(64) - 31.5))[None, :]
>>> sums = WeightedDTFT(y).at(np.array([[0.3]]))
>>> round(float(sums[0, 0, 0].real), 6) == round(float(32 + dirichlet(np.array([0.6]), 64)[0, 0] / 2), 6)
True
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np


@functools.lru_cache(maxsize=8)
def at_zero(n: int) -> np.ndarray:
    """``D(0), D'(0), D''(0)`` = ``N, 0, -sum m**2`` (3, 1)."""
    return np.array([[n], [0.0], [-square_spread(n)]])


def square_spread(n: int) -> float:
    """``sum m**2`` over the centred times ``m`` of a window of ``n``."""
    return n * (n * n - 1.0) / 12.0


@functools.lru_cache(maxsize=8)
def quartic_spread(n: int) -> float:
    """``sum m**4 - (sum m**2)**2 / N`` over the centred times ``m`` of a window of ``n``."""
    m = np.arange(n) - (n - 1) / 2.0
    return float(np.sum(m**4) - np.sum(m**2) ** 2 / n)


def warp(y: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Resample each window on the time axis that makes an exponential glide of ``rate`` a steady pitch.

    Sample ``tau`` (centred) of the result is the input at ``t = log(1 + rate tau) / rate``:
    a pitch ``f(t) = f(0) exp(rate t)`` becomes ``f(0)`` throughout, so the
    fitted fundamental is the pitch at the window centre. Linear
    interpolation (its slow amplitude ripple leaves frequencies unbiased);
    samples that would come from outside the window are zero.
    """
    count, n = y.shape
    # t = log(1 + x) / rate with x = rate tau, to x**4: tau - rate tau**2 / 2 + rate**2 tau**3 / 3 - rate**3 tau**4 / 4
    # (|x| stays below ~0.1 for glides up to several octaves per second), from cached powers of tau; elementwise,
    # not as a matrix product, whose rounding would depend on the batch
    powers = _warp_powers(n)
    t = np.multiply.outer(-rate / 2.0, powers[1])
    t += np.multiply.outer(rate * rate / 3.0, powers[2])
    t -= np.multiply.outer(rate**3 / 4.0, powers[3])
    t += powers[0]
    inside = (t >= 0) & (t <= n - 1)
    k = np.floor(t)
    np.clip(k, 0, n - 2, out=k)
    t -= k  # the fraction between samples k and k + 1
    flat = k.astype(np.int64)
    flat += (n * np.arange(count))[:, None]
    samples = y.ravel()
    before = np.take(samples, flat)
    flat += 1
    after = np.take(samples, flat)
    after -= before
    after *= t
    after += before
    return np.where(inside, after, 0.0)


@functools.lru_cache(maxsize=8)
def _warp_powers(n: int) -> np.ndarray:
    """``tau, tau**2, tau**3, tau**4`` over the centred times of a window of ``n``, and ``(n - 1) / 2`` added to
    the first: (4, n)."""
    tau = np.arange(n) - (n - 1) / 2.0
    powers = tau ** np.arange(1, 5)[:, None]
    powers[0] += (n - 1) / 2.0
    return powers


class WeightedDTFT:
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
    """The fold of :class:`WeightedDTFT` for one window length."""

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


def dirichlet(theta: np.ndarray, n: int) -> np.ndarray:
    """``D(theta) = sum_m cos(theta m)`` over centred m, with its first two derivatives, stacked (3, ...)."""
    out = np.empty((3, *theta.shape))
    half = theta / 2
    whole = n * half
    u, u1 = np.sin(whole), (n / 2) * np.cos(whole)
    v = np.sin(half)
    v[np.abs(v) < 1e-12] = 1e-12
    v1 = 0.5 * np.cos(half)
    d0 = np.divide(u, v, out=out[0])
    d1 = np.divide(u1 - d0 * v1, v, out=out[1])
    np.divide(-((n / 2) ** 2) * u - 2 * d1 * v1 + 0.25 * d0 * v, v, out=out[2])
    return out
