"""Coloured noise or a slow tone (``streamfreq.estimators.slow_tone``)."""

from __future__ import annotations

import math

import numpy as np
from conftest import low_voice

from streamfreq.estimators.slow_tone import coloured_below, repeats_slower
from streamfreq.signals import harmonic_tone, noise_sigma, tone

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


def test_a_number_at_three_or_four_times_a_note_below_the_range_is_told_from_a_low_voice_read_right(monkeypatch):
    # a rich note of 1.5..1.95 cycles per window (below a range starting at 2), its fundamental weak, read at its
    # 3rd or 4th partial: it repeats near 1 at its own period and far worse at the number's, or twice that
    from streamfreq.estimators import slow_tone
    from streamfreq.signals import centre_f0, harmonic_tone, voice

    rate = 48000.0
    rng = np.random.default_rng(5)
    notes, periods = [], []
    for i in range(200):
        f0 = rng.uniform(1.5, 1.95) * rate / N
        amplitudes = rng.uniform(0.1, 1.0, 12) * np.arange(1, 13) ** -rng.uniform(0.0, 1.0)
        amplitudes[0] *= rng.uniform(0.0, 0.3)
        notes.append(harmonic_tone(N, rate, f0, amplitudes, seed=i) + rng.normal(0.0, 0.01, N))
        periods.append(rate / (f0 * (3 + i % 2)))
    assert np.mean(slow_tone.multiple_of_slower(np.array(notes), np.array(periods), 2.0)) >= 0.95
    assert not np.any(slow_tone.multiple_of_slower(np.array(notes[:3]), np.array([np.nan, 0.0, np.inf]), 2.0))
    # low voices (80..130 Hz, vibrato of +-60 cents, jitter) read right: where three or four of their periods overlap
    # the window by less than a third, they repeat far better there than at one period; that overlap does not count
    t = np.arange(int(6 * rate)) / rate
    windows, numbers = [], []
    for seed in range(6):
        contour = (80.0 + 10.0 * seed) * 2.0 ** (0.05 * np.sin(2.0 * np.pi * 5.5 * t))
        samples = voice(6.0, rate, seed=seed, contour=contour)[0]
        starts = np.arange(0, len(samples) - N, 512)
        windows.append(np.stack([samples[s : s + N] for s in starts]))
        numbers.append(centre_f0(contour, starts, N))
    windows, periods = np.concatenate(windows), rate / np.concatenate(numbers)
    assert not np.any(slow_tone.multiple_of_slower(windows, periods, 2.0))
    monkeypatch.setattr(slow_tone, "MULTIPLE_OVERLAP", 0.125)
    assert np.any(slow_tone.multiple_of_slower(windows, periods, 2.0))


def test_a_low_voice_does_not_repeat_slower_than_its_period():
    """A voice at 86..120 Hz repeats at three or four of its periods (1.5..1.8 k samples at 48 kHz, past the range's
    longest period) over the window's last few hundred samples better than at one period over the whole window:
    read at a fraction of that lag over the same span, within its jitter, it repeats there as well, and no window
    repeats slower. Read at exactly half the lag over the whole window, 74, 44 and 18 of the 90 windows did. A rich
    tone below the range (1.2..1.6 cycles a window: no whole fraction of its period repeats) still does."""
    for f0 in (86.0, 100.0, 120.0):
        for high_pass_hz in (None, 300.0):
            windows, _ = low_voice(f0, seed=0, high_pass_hz=high_pass_hz)
            assert repeats_slower(windows.astype(np.float64), 2.1).sum() <= 1, (f0, high_pass_hz)
    partials = 1.0 / np.arange(1, 31)
    slow = np.stack([harmonic_tone(N, 48000.0, f, partials, seed=s) for s, f in enumerate((30.0, 35.0, 41.2, 46.0))])
    assert np.all(repeats_slower(slow, 2.1))
