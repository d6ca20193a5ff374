"""The Cramér-Rao lower bound for the frequency of a real sinusoid in white Gaussian noise.

For N samples of ``A cos(w n + phi)`` plus noise of variance ``sigma**2``,
with per-sample SNR ``s = A**2 / (2 sigma**2)``, no unbiased estimator of
``w`` (rad/sample) has variance below ``12 / (s N (N**2 - 1))``
(Rife & Boorstyn 1974). In Hz that is ``sqrt(12 / (s N (N**2-1))) * fs / (2 pi)``.

Example
-------
>>> round(crlb_hz(snr_db=0.0, n=2048, samplerate=48000.0), 5)
0.28553
"""

from __future__ import annotations

import math


def crlb_hz(snr_db: float, n: int, samplerate: float) -> float:
    """Standard deviation bound (Hz) on a frequency estimate from ``n`` samples at per-sample SNR ``snr_db``."""
    snr = 10.0 ** (snr_db / 10.0)
    return math.sqrt(12.0 / (snr * n * (n * n - 1.0))) * samplerate / (2.0 * math.pi)
