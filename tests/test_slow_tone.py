"""Coloured noise or a slow tone (``streamfreq.estimators.slow_tone``)."""

from __future__ import annotations

import math

import numpy as np

from streamfreq.estimators.slow_tone import coloured_below
from streamfreq.signals import noise_sigma, tone

N = 2048


def _coloured(rng: np.random.Generator, count: int, exponent: float) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (the DC bin left out)."""
    spectrum = rng.standard_normal((count, N // 2 + 1)) + 1j * rng.standard_normal((count, N // 2 + 1))
    f = np.arange(N // 2 + 1, dtype=np.float64)
    f[0] = np.inf
    return np.fft.irfft(spectrum * f ** (-exponent / 2.0), N, axis=1)


def test_steep_coloured_noise_is_told_from_slow_tones_in_white_noise():
    # what the best slow sinusoid leaves: coloured noise as steep as before (power per bin at 3..8 cycles about
    # (20/5)**exponent times that at 32..256: 1/f**2 ~ 150, far over 10), or white noise (1) behind a tone
    rng = np.random.default_rng(3)
    assert np.all(coloured_below(_coloured(rng, 200, 2.0), 2.1))
    assert np.all(coloured_below(_coloured(rng, 200, 2.5), 2.1))
    assert not np.any(coloured_below(rng.standard_normal((200, N)), 2.1))
    cycles = np.exp(rng.uniform(math.log(0.3), math.log(2.0), 200))
    for snr_db in (-5.0, 0.0, 10.0, 30.0):
        slow = tone(N, cycles, rng.uniform(0, 2 * math.pi, 200))
        slow = slow + noise_sigma(1.0, snr_db) * rng.standard_normal(slow.shape)
        assert not np.any(coloured_below(slow, 2.1)), snr_db


def test_a_slow_tone_explaining_nearly_all_the_window_is_a_tone_whatever_is_left():
    # a noiseless sine between the sought frequencies leaves only its fit's error, itself slow and smooth (so
    # "coloured"): the fit explains 99.8% or more of it, over the 99% that makes it a tone
    cycles = np.arange(0.3, 2.0, 0.013)
    slow = tone(N, cycles, np.linspace(0, 6, cycles.size))
    assert not np.any(coloured_below(slow, 2.1))
    assert not np.any(coloured_below(np.zeros((3, N)), 2.1))  # silence: no energy, no noise


def test_a_rich_tone_below_the_range_that_repeats_in_the_window_is_no_rumble():
    # its partials, left behind by the slow sinusoid, look like coloured noise; but the window holds more than a
    # period and an eighth of it (1.2..2 cycles), and the waveform repeats there at 0.95 or more
    from streamfreq.estimators.slow_tone import rumble
    from streamfreq.signals import harmonic_tone

    rng = np.random.default_rng(8)
    cycles = np.exp(rng.uniform(math.log(1.2), math.log(2.0), 40))
    rich = np.stack([harmonic_tone(N, float(N), c, rng.uniform(0.2, 1.0, 20), seed=i) for i, c in enumerate(cycles)])
    assert np.all(coloured_below(rich, 2.1))
    assert not np.any(rumble(rich, 2.1))
    assert np.mean(rumble(_coloured(rng, 200, 2.0), 2.1)) >= 0.95
