"""Cramér-Rao lower bounds for the frequency of a real sinusoid, and the fundamental of a harmonic tone, in white noise.

Single tone: for N samples of ``A cos(w n + phi)`` plus white Gaussian noise of
variance ``sigma**2``, with per-sample SNR ``s = A**2 / (2 sigma**2)``, no
unbiased estimator of ``w`` (rad/sample) has variance below
``12 / (s N (N**2 - 1))`` (Rife & Boorstyn 1974). In Hz that is
``sqrt(12 / (s N (N**2-1))) * fs / (2 pi)`` (:func:`crlb_hz`).

Harmonic tone: for ``x(n) = sum_l A_l cos(l w0 n + phi_l) + e(n)``, l = 1..L,
the same derivation gives ``var(w0) >= 24 sigma**2 / (N (N**2 - 1) sum_l l**2 A_l**2)``,
about ``24 sigma**2 / (N**3 sum_l l**2 A_l**2)`` (:func:`harmonic_crlb_hz`).
With one harmonic it is the single-tone bound.

Example
-------
>>> round(crlb_hz(snr_db=0.0, n=2048, samplerate=48000.0), 5)
0.28553
>>> round(harmonic_crlb_hz([1.0], sigma=0.5 ** 0.5, n=2048, samplerate=48000.0), 5)
0.28553
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def crlb_hz(snr_db: float, n: int, samplerate: float) -> float:
    """Standard deviation bound (Hz) on a frequency estimate from ``n`` samples at per-sample SNR ``snr_db``."""
    sigma = math.sqrt(0.5 / 10.0 ** (snr_db / 10.0))  # a unit tone at that SNR
    return harmonic_crlb_hz((1.0,), sigma, n, samplerate)


def harmonic_crlb_hz(amplitudes: Sequence[float] | np.ndarray, sigma: float, n: int, samplerate: float) -> float:
    """Standard deviation bound (Hz) on the fundamental of harmonics of ``amplitudes`` in white noise ``sigma``.

    ``amplitudes[l-1]`` is the peak amplitude ``A_l`` of harmonic ``l`` (0 for
    a missing one; leave out harmonics above Nyquist).

    Derivation and assumptions: real harmonics with unknown amplitudes and
    phases, white Gaussian noise of known variance ``sigma**2``, ``n``
    samples. The derivative of the model with respect to ``w0`` is
    ``-sum_l l n A_l sin(l w0 n + phi_l)``. With the time origin at the window
    centre the phases decouple from ``w0`` (equivalently, the Schur complement
    removes the mean of ``n``), and the cross terms between harmonics and the
    ``sin**2`` ripples average out when every harmonic is many bins away
    from the others, from 0 and from Nyquist (the asymptotic, large-``n``
    regime). The Fisher information is then
    ``J = sum_l l**2 A_l**2 / (2 sigma**2) * sum_n (n - mean n)**2
    = sum_l l**2 A_l**2 N (N**2 - 1) / (24 sigma**2)``, so
    ``var(w0) >= 24 sigma**2 / (N (N**2 - 1) sum_l l**2 A_l**2)`` (rad/sample),
    i.e. ``24 sigma**2 / (N**3 sum_l l**2 A_l**2)`` to first order. The bound
    is for the exactly harmonic model; inharmonic partials or a moving pitch
    are outside it.

    Example
    -------
    >>> one = harmonic_crlb_hz([1.0], 0.1, 2048, 48000.0)
    >>> two = harmonic_crlb_hz([1.0, 1.0], 0.1, 2048, 48000.0)
    >>> round(one / two, 6) == round(5 ** 0.5, 6)
    True
    """
    amps = np.asarray(amplitudes, dtype=np.float64).reshape(-1)
    order = np.arange(1, len(amps) + 1, dtype=np.float64)
    weight = float(np.sum(order**2 * amps**2))
    variance = 24.0 * float(sigma) ** 2 / (n * (n * n - 1.0) * weight)
    return math.sqrt(variance) * samplerate / (2.0 * math.pi)
