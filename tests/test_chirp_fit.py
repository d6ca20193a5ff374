"""The chirp fit measures a glide in a window of a few periods whatever phase its partials start at, and none in a
steady tone."""

import numpy as np

from streamfreq.estimators.chirp_fit import chirp_rate
from streamfreq.signals import LinearSweep, harmonic_tone

RATE = 48000.0
N = 4096  # 2.6 periods of the 30..32 Hz below


def test_a_linear_chirp_of_a_few_periods_is_measured_whatever_its_phases():
    """Three partials gliding from 30 to 32 Hz over 4096 samples, twenty draws of their starting phases, no noise:
    the model itself (the pitch ``f0 (1 + rate m)``), so the fit finds its rate to the Gauss-Newton steps'
    convergence (two steps: within 1e-3 of it); a score step with a long window's information reads 0.49..1.18 of it."""
    truth = (2.0 / (N / RATE)) / 31.0 / RATE  # relative change per sample about the centre's 31 Hz
    rates = [
        chirp_rate(
            harmonic_tone(N, RATE, LinearSweep(30.0, 32.0, N / RATE), [1.0, 0.5, 0.3], seed=seed)[None],
            np.array([31.0 / RATE]),
            np.array([3]),
        )[0]
        for seed in range(20)
    ]
    assert np.max(np.abs(np.array(rates) / truth - 1.0)) < 1e-3


def test_a_steady_tone_in_noise_has_no_glide():
    """A steady tone at 20 dB: a fitted rate stands 5 standard errors clear of none by chance in about one window
    in 1.7 million, so none of 30 is moved (and each keeps its number to the last bit)."""
    rng = np.random.default_rng(7)
    windows = np.stack([harmonic_tone(N, RATE, 35.0, [1.0, 0.6, 0.4], seed=seed) for seed in range(30)])
    windows += rng.normal(0.0, np.sqrt(np.mean(windows**2) / 100), windows.shape)
    assert chirp_rate(windows, np.full(30, 35.0 / RATE), np.full(30, 3)).tolist() == [0.0] * 30


def test_a_window_without_a_finite_pitch_gets_no_glide():
    glide = harmonic_tone(N, RATE, LinearSweep(30.0, 32.0, N / RATE), [1.0])[None]
    windows = np.concatenate([glide, glide, glide])
    rates = chirp_rate(windows, np.array([np.nan, 31.0 / RATE, 0.0]), np.array([1, 1, 1]))
    assert rates[0] == rates[2] == 0.0 and rates[1] > 0.0
