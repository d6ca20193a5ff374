"""The pitched test material: exact f0, determinism per seed, and the harmonic Cramér-Rao bound."""

import numpy as np
import pytest

from streamfreq.bounds import crlb_hz, harmonic_crlb_hz
from streamfreq.errors import ParameterError
from streamfreq.signals import (
    LinearSweep,
    LogSweep,
    centre_f0,
    cycles,
    harmonic_noise_sigma,
    harmonic_tone,
    noise_sigma,
    sweep_schedule,
    voice,
    voice_contour,
)

FS = 8000.0


def spectrum(x: np.ndarray) -> np.ndarray:
    """Peak amplitude per 1 Hz bin of a one-second signal at FS."""
    return np.abs(np.fft.rfft(x)) * 2.0 / len(x)


def test_harmonic_tone_puts_each_amplitude_at_its_harmonic_and_nothing_at_a_missing_fundamental():
    amplitudes = [0.0, 1.0, 0.5, 0.3, 0.2]
    x = harmonic_tone(int(FS), FS, 123.0, amplitudes, seed=5)
    magnitude = spectrum(x)
    for order, amplitude in enumerate(amplitudes, start=1):
        assert magnitude[123 * order] == pytest.approx(amplitude, abs=1e-9)
    others = np.delete(magnitude, [123 * k for k in range(1, 6)])
    assert others.max() < 1e-9


def test_stiff_string_partials_sit_at_l_f0_sqrt_1_plus_b_l2():
    f0, b = 110.0, 4e-4
    x = harmonic_tone(int(FS), FS, f0, np.ones(12), inharmonicity=b, decay_s=5.0, seed=1)
    magnitude = spectrum(x)
    for order in range(1, 13):
        expected = order * f0 * np.sqrt(1 + b * order**2)
        lo = int(expected) - 3
        assert lo + np.argmax(magnitude[lo : lo + 7]) == pytest.approx(expected, abs=1.0)


def test_partials_at_or_above_nyquist_are_left_out():
    x = harmonic_tone(int(FS), FS, 3000.0, [1.0, 1.0, 1.0], seed=0)  # 6 and 9 kHz are above 4 kHz
    assert np.mean(x**2) == pytest.approx(0.5, rel=1e-9)


def test_decay_is_exponential_with_the_given_time_constant():
    x = harmonic_tone(int(FS), FS, 100.0, [1.0], decay_s=0.25, phases=[0.0])
    assert x[int(FS / 2)] == pytest.approx(np.exp(-2.0), rel=1e-9)  # 50 whole cycles: cos = 1


def test_a_linear_glide_has_the_exact_quadratic_phase():
    n = int(FS)
    x = harmonic_tone(n, FS, LinearSweep(200.0, 600.0, 1.0), [1.0], phases=[0.3])
    t = np.arange(n) / FS
    assert np.abs(x - np.cos(2 * np.pi * (200 * t + 200 * t**2) + 0.3)).max() < 1e-9


def test_generators_are_deterministic_per_seed():
    one = harmonic_tone(1000, FS, 220.0, np.ones(5), seed=7)
    assert np.array_equal(one, harmonic_tone(1000, FS, 220.0, np.ones(5), seed=7))
    assert not np.allclose(one, harmonic_tone(1000, FS, 220.0, np.ones(5), seed=8))
    a, b = voice(0.5, 16000.0, seed=3), voice(0.5, 16000.0, seed=3)
    assert np.array_equal(a.samples, b.samples) and np.array_equal(a.f0, b.f0, equal_nan=True)
    assert not np.array_equal(a.samples, voice(0.5, 16000.0, seed=4).samples)


def test_voice_f0_track_integrates_to_one_cycle_between_pulses_and_matches_the_waveform():
    fs = 48000.0
    n = int(fs)
    signal = voice(1.0, fs, seed=4, contour=np.full(n, 200.0), vowels="", jitter=0.02, shimmer=0.0, breath_db=None)
    phase = cycles(signal.f0, fs)
    pulses = signal.pulses[(signal.pulses > 100) & (signal.pulses < n - 100)]
    per_period = np.diff(np.interp(pulses, np.arange(n), phase))
    assert np.abs(per_period - 1.0).max() < 1e-3  # trapezoid sum over a piecewise track
    # the flow derivative's negative peak (glottal closure) follows every pulse at a fixed lag
    lag = np.array([int(p) - 40 + np.argmin(signal.samples[int(p) - 40 : int(p) + 40]) - p for p in pulses])
    assert lag.std() < 1.0
    assert np.diff(pulses).std() > 3.0  # while 2 % jitter moves the periods (240 samples) by ~5 samples


def test_voice_contour_is_the_pitch_the_jittered_periods_scatter_about():
    fs = 48000.0
    n = int(2 * fs)
    signal = voice(2.0, fs, seed=4, contour=np.full(n, 200.0), vowels="", jitter=0.02, shimmer=0.0, breath_db=None)
    assert np.array_equal(signal.contour, np.full(n, 200.0))
    # each period's own f0 scatters 2 % about it (the pulses move, their mean rate does not): ~399 periods
    spread = np.std(signal.f0 / signal.contour - 1.0)
    assert 0.016 < spread < 0.024
    inner = signal.pulses[(signal.pulses > 1000) & (signal.pulses < n - 1000)]
    rate = (len(inner) - 1) * fs / (inner[-1] - inner[0])  # pulses per second over ~380 periods
    assert abs(1200 * np.log2(rate / 200.0)) < 1.0  # one pulse moved by 2 % of a period: ~0.1 cent here
    still = voice(0.5, fs, seed=4, jitter=0.0)
    assert np.array_equal(still.f0, still.contour, equal_nan=True)


def test_voice_without_jitter_is_harmonic_at_its_f0():
    fs = 16000.0
    signal = voice(1.0, fs, seed=1, contour=np.full(int(fs), 250.0), jitter=0.0, shimmer=0.0, vowels="a")
    magnitude = np.abs(np.fft.rfft(signal.samples[4000:12000]))  # 2 Hz bins, away from the ramps
    harmonics = magnitude[125::125][:24].sum()
    assert harmonics / magnitude.sum() > 0.9
    assert np.allclose(signal.f0, 250.0)


def test_voice_has_gaps_vibrato_and_stays_in_range():
    contour, note = voice_contour(20.0, 8000.0, seed=11, f0_range=(100.0, 400.0), vibrato_cents=(30.0, 100.0))
    voiced = ~np.isnan(contour)
    assert 0.05 < 1 - voiced.mean() < 0.5
    assert np.all(note[~voiced] == -1)
    cents = 1200 * np.log2(contour[voiced] / 100.0)
    assert cents.min() >= -100 - 1e-9 and cents.max() <= 2400 + 100 + 1e-9
    signal = voice(2.0, 16000.0, seed=11)
    assert np.all(np.isnan(signal.f0) | (signal.f0 > 80))
    gap = np.isnan(signal.f0)
    assert gap.any() and np.abs(signal.samples[gap]).max() < 0.02  # breath 40 dB below the voice's RMS


def test_centre_f0_reads_a_sweep_at_the_window_centre():
    schedule = sweep_schedule("log", 100.0, 2.0, 1.0)
    assert isinstance(schedule, LogSweep) and schedule.stop_hz == pytest.approx(400.0)
    track = schedule.frequency(np.arange(int(FS)) / FS)
    starts = np.array([0, 1000, 5000])
    expected = schedule.frequency((starts + 1023.5) / FS)
    assert centre_f0(track, starts, 2048) == pytest.approx(expected, rel=1e-6)
    assert np.isnan(centre_f0(track, np.array([7000]), 2048)[0])


def test_a_linear_sweep_moves_at_most_the_given_octaves_per_second():
    for rate in (2.0, -2.0):
        schedule = sweep_schedule("linear", 440.0, rate, 1.5)
        f = schedule.frequency(np.linspace(0.0, 1.5, 1001))
        hz_per_s = (schedule.stop_hz - schedule.start_hz) / 1.5
        octaves_per_s = np.abs(hz_per_s) / (f * np.log(2.0))  # d log2(f) / dt
        assert octaves_per_s.max() == pytest.approx(2.0, rel=1e-12) and octaves_per_s.min() < 1.0


def test_harmonic_crlb_matches_the_exact_fisher_information():
    n, fs, sigma = 2048, 48000.0, 0.3
    amplitudes, phases, w0 = np.array([0.2, 1.0, 0.5, 0.7]), np.array([0.1, 2.0, -1.0, 0.5]), 2 * np.pi * 40.3 / n
    k = np.arange(n)
    order = np.arange(1, 5)
    argument = np.outer(k, order) * w0 + phases
    d_w0 = -(np.sin(argument) * amplitudes * order * k[:, None]).sum(axis=1)
    nuisance = np.hstack([np.cos(argument), np.sin(argument)])  # amplitudes and phases, linearised
    residual = d_w0 - nuisance @ np.linalg.lstsq(nuisance, d_w0, rcond=None)[0]
    exact = np.sqrt(sigma**2 / (residual @ residual)) * fs / (2 * np.pi)
    # the bound is asymptotic: cross terms of order 1 / (2 pi cycles per window) = 0.4 % here
    assert harmonic_crlb_hz(amplitudes, sigma, n, fs) == pytest.approx(exact, rel=0.004)


def test_one_harmonic_bound_and_noise_are_the_single_tone_ones():
    assert harmonic_crlb_hz([0.5], noise_sigma(0.5, 10.0), 2048, 48000.0) == pytest.approx(crlb_hz(10.0, 2048, 48000.0))
    assert harmonic_noise_sigma([0.5], 10.0) == pytest.approx(noise_sigma(0.5, 10.0))


@pytest.mark.parametrize(
    "call",
    [
        lambda: harmonic_tone(100, FS, 100.0, []),
        lambda: harmonic_tone(100, FS, np.ones(5), [1.0]),
        lambda: harmonic_tone(100, FS, 100.0, [1.0], inharmonicity=-1.0),
        lambda: voice(0.1, FS, vowels="ax"),
        lambda: sweep_schedule("cubic", 100.0, 1.0, 1.0),
    ],
)
def test_bad_parameters_raise_parameter_error(call):
    with pytest.raises(ParameterError):
        call()
