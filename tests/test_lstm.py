"""The LSTM estimator: runtime, accuracy on seeded tones and harmonic sounds, statuses, and model errors.

Accuracy tolerances are loose multiples of the issue's targets (sines: median 3 cents at >= 10 dB,
10 cents at 0 dB; a number within 50 cents for harmonic sounds; >= 99 % flagged), on small seeded sets.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from streamfreq.errors import ModelError
from streamfreq.estimators.base import NO_TONE, OK, OUT_OF_RANGE
from streamfreq.estimators.lstm import lstm_available
from streamfreq.signals import harmonic_noise_sigma, harmonic_tone, noise_sigma, tone
from tests.conftest import bass_with_vibrato, bright_tone, cents, low_horn, low_voice, rippled_noise

N, FS = 2048, 48000.0


def _need(module: str):
    """Skip when ``module`` is missing, except under CI (where it must be installed)."""
    if os.environ.get("CI"):
        return __import__(module)
    return pytest.importorskip(module)


@pytest.fixture(scope="module")
def estimator():
    _need("ai_edge_litert")
    from streamfreq.estimators.lstm import LSTMEstimator

    return LSTMEstimator()


def _tones(seed: int, count: int, snr_db: float, low: float, high: float, n: int = N):
    rng = np.random.default_rng(seed)
    cycles = np.exp(rng.uniform(math.log(low), math.log(high), count))
    frames = tone(n, cycles, rng.uniform(0, 2 * np.pi, count), 0.3)
    frames += noise_sigma(0.3, snr_db) * rng.standard_normal(frames.shape)
    return frames.astype(np.float32), cycles


def _run(estimator, frames, samplerate=FS):
    est = estimator.estimate_many(frames, samplerate)
    return np.array([e.hz for e in est]), np.array([e.status for e in est]), est


def test_import_does_not_load_ml_runtime():
    code = (
        "import sys, streamfreq, streamfreq.estimators.lstm as m, streamfreq.models; "
        "m.lstm_available(); "
        "bad = [k for k in ('tensorflow', 'keras', 'ai_edge_litert') if k in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_lstm_available_is_bool():
    assert isinstance(lstm_available(), bool)


@pytest.mark.parametrize(("snr_db", "target_cents"), [(20.0, 3.0), (10.0, 3.0), (0.0, 10.0)])
def test_accuracy_on_seeded_tones(estimator, snr_db, target_cents):
    frames, cycles = _tones(1, 200, snr_db, 2.2, 85.0)
    hz, status, _ = _run(estimator, frames)
    assert np.mean(status == OK) >= 0.95
    ok = status == OK
    cents = np.abs(1200 * np.log2(hz[ok] / (cycles[ok] * FS / N)))
    assert np.median(cents) <= 3 * target_cents


def test_reports_hz_for_any_window_and_samplerate(estimator):
    # 440 Hz in a 4096-sample window at 44.1 kHz (40.9 cycles) and a 1024-sample window at 16 kHz (28.2)
    for n, fs in ((4096, 44100.0), (1024, 16000.0)):
        frames = tone(n, 440.0 * n / fs, 0.3).astype(np.float32)[None, :]
        hz, status, est = _run(estimator, frames, fs)
        assert status[0] == OK
        assert abs(1200 * math.log2(hz[0] / 440.0)) < 15
        assert 0.0 <= est[0].confidence <= 1.0


@pytest.mark.parametrize(
    ("f0", "amplitudes", "decay_s", "min_found", "max_median"),
    [
        (110.0, 1.0 / np.arange(1, 31), None, 0.9, 15.0),  # a sawtooth-like tone
        (220.0, 1.0 / np.arange(1, 16) ** 1.5, 0.4, 0.9, 15.0),  # a plucked note: it decays
        # missing fundamental: the network gives a number to 26 of the 45 windows, the rest are read at fft's coarse
        # note where the waveform repeats at it (``LSTMEstimator._coarse_note``)
        (98.0, np.r_[0.0, np.ones(10)], None, 0.9, 20.0),
        # a bass with a weak fundamental: the network reads none of it, every window is read at the coarse note, at
        # the waveform's period; the stretched partials (k f0 sqrt(1 + B k**2)) repeat at the period of
        # f0 (1 + B/2 sum k**4 / sum k**2) over k = 2..21, 23.8 cents above f0
        (55.0, np.r_[0.1, np.ones(20)], 1.0, 0.9, 30.0),
        (880.0, np.ones(4), None, 0.9, 15.0),
    ],
)
def test_harmonic_tones_give_their_fundamental(estimator, f0, amplitudes, decay_s, min_found, max_median):
    rng = np.random.default_rng(int(f0))
    x = harmonic_tone(
        int(FS), FS, f0, amplitudes, inharmonicity=1e-4, decay_s=decay_s, phases=rng.uniform(0, 6.3, len(amplitudes))
    )
    x += 0.01 * rng.standard_normal(x.size)  # 40 dB or so below the tone
    frames = np.lib.stride_tricks.sliding_window_view(x, N)[::1024]
    hz, status, est = _run(estimator, frames.astype(np.float32))
    assert np.mean(status == OK) >= min_found
    cents = np.abs(1200 * np.log2(hz[status == OK] / f0))
    assert np.all(cents < 50), cents  # never a number at an octave, a fifth or a harmonic
    if cents.size:
        assert np.median(cents) < max_median


@pytest.mark.parametrize("seed", range(4))
def test_a_30_hz_tone_is_out_of_range_although_its_harmonics_are_in_range(estimator, seed):
    rng = np.random.default_rng(30 + seed)
    partials = 1.0 / np.arange(1, 21)  # a sawtooth-like spectrum: partials 30..600 Hz, 19 of 20 in range
    x = harmonic_tone(N * 8, FS, 30.0, partials, phases=rng.uniform(0, 6.3, 20))
    frames = np.lib.stride_tricks.sliding_window_view(x, N)[::1024].astype(np.float32)
    _, status, _ = _run(estimator, frames)
    assert np.mean(status == OUT_OF_RANGE) >= 0.9, status
    assert not np.any(status == OK)


def test_a_30_hz_tone_with_flat_partials_gets_no_number(estimator):
    # with 20 equal partials the network says "no tone" rather than "out of range": no number either way
    x = harmonic_tone(N * 8, FS, 30.0, np.ones(20), phases=np.random.default_rng(3).uniform(0, 6.3, 20))
    frames = np.lib.stride_tricks.sliding_window_view(x, N)[::1024].astype(np.float32)
    _, status, _ = _run(estimator, frames)
    assert not np.any(status == OK)


def test_a_rich_tone_at_the_bottom_of_the_range_gets_no_number_far_off(estimator):
    """A sawtooth's spectrum at 2.05..2.12 cycles per window (48.0..49.7 Hz at 2048 / 48 kHz), at 30 dB: the network
    read it at about 2.2 cycles, 70..95 cents high, in every window before this revision. The waveform repeats
    there at a period away from that number, so the window is out of range; no number is 50 cents off. Sines at
    2.2..2.4 cycles, 10 dB, whose noisy periods the check leaves alone (they repeat at under 0.9), keep theirs."""
    rng = np.random.default_rng(21)
    amplitudes = 1.0 / np.arange(1, 101)
    cycles = rng.uniform(2.05, 2.12, 60)
    x = np.stack([harmonic_tone(N, FS, c * FS / N, amplitudes, seed=int(rng.integers(1 << 30))) for c in cycles])
    x += 0.03 * np.sqrt(np.sum(amplitudes**2) / 2) * rng.standard_normal(x.shape)
    hz, status, _ = _run(estimator, x.astype(np.float32))
    ok = status == OK
    assert np.all(np.abs(1200 * np.log2(hz[ok] / (cycles[ok] * FS / N))) < 50)
    frames, sine_cycles = _tones(22, 60, 10.0, 2.2, 2.4)
    hz, status, _ = _run(estimator, frames)
    assert np.all(status == OK)
    assert np.all(np.abs(1200 * np.log2(hz / (sine_cycles * FS / N))) < 50)


@pytest.mark.parametrize("hz", [30.0, 35.0, 40.0, 45.0])
def test_a_rich_tone_below_the_range_whose_partials_are_in_it_is_out_of_range(estimator, hz):
    """A tone of 1.28..1.92 cycles per window (30..45 Hz at 2048 / 48 kHz) with 20 partials of random levels holds
    little of its energy below the trained range, and the network calls it no tone; its waveform repeats at its
    period, longer than the range's longest, so it is out of range (every one of these windows said no_tone
    before this revision)."""
    rng = np.random.default_rng(4)
    amplitudes = rng.uniform(0.2, 1.0, 20)
    x = np.stack([harmonic_tone(N, FS, hz, amplitudes, seed=s) + rng.normal(0.0, 0.01, N) for s in range(20)])
    _, status, _ = _run(estimator, x.astype(np.float32))
    assert np.all(status == OUT_OF_RANGE)


def test_no_tone_on_coloured_noise_and_breath(estimator):
    from streamfreq.models.data import negative_window

    rng = np.random.default_rng(11)
    frames = np.stack([negative_window(rng, N) for _ in range(200)]).astype(np.float32)
    _, status, _ = _run(estimator, frames)
    assert np.mean(status != OK) >= 0.98


def test_rumble_is_no_tone_while_slow_tones_and_notes_below_the_range_are_out_of_range(estimator):
    """Brown noise (a random walk: rumble, wind, a handled microphone) holds most of its energy below the range,
    where the network and the energy guard called 97 of these 100 windows out of range (2 no tone): they are no
    tone where the slow sinusoid that best fits each leaves coloured noise (92 now; in the other 7 the network
    reads a pitch at 1.5..1.9 cycles per window, below the range, which counts as a reading). A sine below the
    range in white noise, fitted by it to what the noise leaves, and a stiff string's rich E1 (41.2 Hz at 44.1 kHz,
    1.91 cycles: its partials look like coloured noise to that test, but the network reads the pitch below the
    range) stay out of range."""
    rng = np.random.default_rng(21)
    rumble = np.cumsum(rng.standard_normal((100, N)), axis=1) * np.exp(rng.uniform(-9.0, 0.0, (100, 1))) / 50.0
    _, status, _ = _run(estimator, rumble.astype(np.float32))
    assert np.mean(status == NO_TONE) >= 0.9
    cycles = np.exp(rng.uniform(math.log(0.3), math.log(2.0), 50))
    slow = tone(N, cycles, rng.uniform(0, 2 * math.pi, 50)) + noise_sigma(1.0, 10.0) * rng.standard_normal((50, N))
    assert np.all(_run(estimator, slow.astype(np.float32))[1] == OUT_OF_RANGE)
    partials = 1.0 / np.arange(1, 31)
    e1 = np.stack([harmonic_tone(N, 44100.0, 41.2, partials, inharmonicity=4e-4, seed=s) for s in range(10)])
    e1 = e1.astype(np.float32)
    assert np.all(_run(estimator, e1, 44100.0)[1] == OUT_OF_RANGE)


def test_a_low_voice_whose_pitch_moves_across_the_window_is_not_out_of_range(estimator):
    """A bass singing 65 Hz (3 periods in the default window at 44.1 kHz, within the range) with a vibrato of up to
    100 cents: read as it is, a window where the pitch moves 60-105 cents repeats better at twice its period than at
    it, as a note below the range read at its octave does, and 12 of these 674 windows said out_of_range. Each lag
    now counts as well as the better of the window as recorded and dechirped (``harmonic_fit.dechirped``) repeats
    at it."""
    windows, f0, moving = bass_with_vibrato(N)
    assert moving.sum() >= 20
    hz, status, _ = _run(estimator, windows, 44100.0)
    assert not np.any(status == OUT_OF_RANGE)
    within = np.abs(cents(np.nan_to_num(hz[moving], nan=1.0), f0[moving])) < 50
    assert within.mean() >= 0.95


def test_confidence_is_calibrated_on_generated_material(estimator):
    # held-out generated windows (a seed the calibration never saw): in each confidence band with enough
    # numbered windows, the share within 50 cents is at least the band's mean confidence, less three
    # binomial standard errors and 2 points
    from streamfreq.models.data import DataConfig, make_windows

    frames, cycles, kind = make_windows(np.random.default_rng(2026), 1500, DataConfig())
    hz, status, est = _run(estimator, frames)
    conf = np.array([e.confidence for e in est])
    with np.errstate(invalid="ignore"):
        right = np.abs(1200 * np.log2(hz / (cycles * FS / N))) < 50
    ok = status == OK
    assert np.all(conf[~ok] == 0)
    checked = 0
    for low, high in ((0.0, estimator.min_confidence), (estimator.min_confidence, 0.9), (0.9, 0.95), (0.95, 1.01)):
        band = ok & (conf >= low) & (conf < high)
        if band.sum() < 100:
            continue
        p = conf[band].mean()
        assert right[band].mean() >= p - 3 * math.sqrt(p * (1 - p) / band.sum()) - 0.02
        checked += 1
    assert checked >= 2
    # the bar: a confidence of 0.9 or more means 99% within 50 cents (less three standard errors)
    sure = ok & (conf >= 0.9)
    assert sure.sum() >= 100
    assert right[sure].mean() >= 0.99 - 3 * math.sqrt(0.99 * 0.01 / sure.sum())


def test_a_low_voice_through_a_telephone_band_is_read_where_the_network_doubts_it(estimator):
    """A voice at 86 and 92 Hz high-passed at 300 Hz (its fundamental 43 dB down, its 2nd 19 dB): the network
    reads most windows with a confidence under ``min_confidence`` and many right. Such a number is kept where the
    window repeats at its period and ``fft``'s coarse stage reads the same note (``UNSURE_REPEATS``,
    ``UNSURE_COARSE_CENTS``), and such a voice no longer repeats slower than the range
    (``slow_tone.repeats_slower``), so it is not out of range. Before both, 29..73 of the 90 windows of each got a
    number and 8..45 said out of range; now 74 or more do and 4 or fewer. 97% of the numbers lie within 50 cents, as
    before (2 of 86 off on one of them, 2 of 73 before)."""
    for f0 in (86.0, 92.0):
        for seed in (0, 1):
            windows, sung = low_voice(f0, seed, high_pass_hz=300.0)
            hz, status, est = _run(estimator, windows)
            conf = np.array([e.confidence for e in est])
            ok = status == OK
            assert ok.sum() >= 70 and (status == OUT_OF_RANGE).sum() <= 5, (f0, seed)
            assert (ok & (conf < estimator.min_confidence)).sum() >= 10, (f0, seed)  # read with doubt, confirmed
            assert (np.abs(cents(hz[ok], sung[ok])) < 50).mean() >= 0.97, (f0, seed)


def test_no_tone_windows(estimator):
    rng = np.random.default_rng(3)
    noise = rng.standard_normal((60, N)) * np.exp(rng.uniform(-9, 0, 60))[:, None]
    frames = np.concatenate([noise, np.zeros((10, N)), np.full((10, N), 0.25)]).astype(np.float32)
    hz, status, est = _run(estimator, frames)
    assert np.mean(status == NO_TONE) >= 0.95
    assert all(math.isnan(e.hz) and e.confidence == 0.0 for e in est if not e.ok)


def test_hiss_above_the_band_is_no_tone_but_a_tone_there_is_out_of_range(estimator):
    # blue noise (power rising as f) and noise high-passed above the kept band (5.4 kHz at 2048 / 48 kHz):
    # most of their energy lies above the band, but no DFT bin holds a peak there, so they are no tone
    from streamfreq.models.data import _coloured_noise

    rng = np.random.default_rng(21)
    blue = _coloured_noise(rng, 20, N, np.full(20, -1.0))
    spectrum = np.fft.rfft(rng.standard_normal((20, N)), axis=1)
    spectrum[:, :300] = 0.0
    hiss = np.fft.irfft(spectrum, N, axis=1)
    _, status, _ = _run(estimator, np.concatenate([blue, hiss]).astype(np.float32))
    assert np.all(status == NO_TONE), status
    # a tone at 360..900 cycles per window (8.4..21 kHz) over faint white noise: out of range
    high, _ = _tones(9, 20, 20.0, 1.02 * estimator.range_for(N)[1], 900.0)
    _, status, _ = _run(estimator, high)
    assert np.all(status == OUT_OF_RANGE), status


def test_a_number_an_octave_above_the_period_is_halved_or_withheld(estimator, monkeypatch):
    # a missing-fundamental tone (partials 2..8 of 10 cycles per window): were the network to answer 20 (its lowest
    # partial), the window's autocorrelation, near 1 at twice that period and 0.14 at it, halves the number; the
    # right answer (10) and a pure tone's own frequency keep theirs. The same tone in noise 10 dB over it repeats
    # at twice the period only at 0.3 (0.005 at the answer's), too unclearly to halve the number, but the half's
    # odd partials (3, 5, 7) stand out in the full-resolution spectrum, as fft reads them: halved. A pure tone of
    # 20 cycles in noise (seed 6) repeats a little better at twice its period (0.355 against 0.283): no odd
    # partials of the half, so the number is withheld.
    x = harmonic_tone(N, FS, 10.0 * FS / N, np.r_[0.0, np.ones(7)], phases=np.zeros(8))
    noisy = x + 6.0 * np.random.default_rng(0).standard_normal(N)
    pure_noisy = tone(N, [20.0])[0] + 2.0 * np.random.default_rng(6).standard_normal(N)
    frames = np.stack([x, x, tone(N, 20.0), noisy, pure_noisy]).astype(np.float32)
    answers = np.array([20.0, 10.0, 20.0, 20.0, 20.0])
    sure = (answers, np.tile([1.0, 0.0, 0.0], (5, 1)), np.full(5, 0.99))
    monkeypatch.setattr(estimator, "_infer_inputs", lambda x: sure)
    hz, status, _ = _run(estimator, frames)
    assert status.tolist() == [OK, OK, OK, OK, NO_TONE]
    assert np.allclose(hz[:4], np.array([10.0, 10.0, 20.0, 10.0]) * FS / N, rtol=1e-3)


def test_a_number_an_octave_below_the_period_is_doubled(estimator):
    """FluidR3's steel guitar at 622 Hz, told ``fmin`` 30 (4096 samples at 44.1 kHz): its partials at 622 and 1244 Hz,
    -4 dB, and faint ones at 311 Hz and its odd multiples (-33..-39 dB). The network read it at 311 Hz in 25 of 33
    sustain windows; on these partials, in all 60 windows at each of 560..700 Hz before this revision. The window
    repeats better at half that number's period than at it, and holds next to nothing (under -25 dB) at the number's
    odd harmonics: the number is doubled, as fft and pyin read it. MuseScore General's bassoon at 208 Hz repeats better
    at half its period too (its 1st, 3rd and 5th 22-28 dB under its 2nd), but those partials are there: its windows
    keep their number (the autocorrelation alone doubled 38 of the rendered note's 65, all 60 of these)."""
    from streamfreq.estimators.lstm import LSTMEstimator

    fs, n = 44100.0, 4096
    levels = np.full(8, -120.0)
    levels[[0, 1, 2, 3, 5, 7]] = [-33.0, 0.0, -39.0, -4.0, -35.0, -21.0]
    amplitudes = 10.0 ** (levels / 20.0)
    rng = np.random.default_rng(62)
    bounded = LSTMEstimator(fmin=30.0)
    for f0 in (560.0, 622.3, 700.0):
        x = np.stack([harmonic_tone(n, fs, f0 / 2, amplitudes, seed=int(rng.integers(1 << 30))) for _ in range(60)])
        x += 10 ** (-30 / 20) * np.sqrt(np.sum(amplitudes**2) / 2) * rng.standard_normal(x.shape)
        hz, status, _ = _run(bounded, x.astype(np.float32), fs)
        assert np.all(status == OK)
        assert np.all(np.abs(1200 * np.log2(hz / f0)) < 50)
    bassoon = 10.0 ** (np.array([-26.5, 0.0, -21.9, -10.8, -28.3, -27.7, -35.6, -40.9]) / 20.0)
    x = np.stack([harmonic_tone(N, FS, 207.65, bassoon, seed=int(rng.integers(1 << 30))) for _ in range(60)])
    x += 10 ** (-30 / 20) * np.sqrt(np.sum(bassoon**2) / 2) * rng.standard_normal(x.shape)
    hz, status, _ = _run(estimator, x.astype(np.float32))
    assert np.all(np.abs(1200 * np.log2(hz[status == OK] / 207.65)) < 50)


def test_a_tone_above_the_range_read_at_its_half_is_read_from_the_window_centre(estimator):
    """A tone above the trained range (88 cycles per window: 1895 Hz at 2048 / 44.1 kHz) with a faint sine
    -40..-30 dB near its half (within 80 cents): the network reads that half, in range, in a quarter of these
    windows (a tonejs flute's C7, 2093 Hz, with a coder's artefact near 1 kHz: 26 of its 153 windows). The window
    repeats better at half that number's period, and holds next to nothing at the number's odd harmonics, so the
    number's double is the fundamental; it lies above the range, so the window is read from its centre, as other
    tones above the range are. Left at the half: windows where the two lags repeat within ``DOUBLE_MARGIN``
    (0.01) of each other, 18 of these 200 (49 before the double was allowed above the range)."""
    fs = 44100.0
    rng = np.random.default_rng(8)
    f0 = np.exp(rng.uniform(math.log(1900.0), math.log(2600.0), 200))
    t = np.arange(N) / fs
    frames = []
    for i, f in enumerate(f0):
        x = harmonic_tone(N, fs, f, [1.0, 0.1, 0.03], seed=i)
        power = np.mean(x**2)
        near_half = f / 2 * 2 ** (rng.uniform(-80.0, 80.0) / 1200)
        x += np.sqrt(2 * power * 10 ** (rng.uniform(-40.0, -30.0) / 10)) * np.cos(2 * np.pi * near_half * t + i)
        frames.append(x + rng.normal(0.0, np.sqrt(power * 1e-4), N))  # 40 dB under the tone
    hz, status, _ = _run(estimator, np.array(frames, dtype=np.float32), fs)
    cents = 1200 * np.log2(hz[status == OK] / f0[status == OK])
    assert np.mean(status == OK) >= 0.95
    assert np.sum(np.abs(cents + 1200) < 100) <= 0.12 * len(f0)  # the half
    assert np.all((np.abs(cents) < 50) | (np.abs(cents + 1200) < 100))


def test_a_number_a_twelfth_below_the_period_is_tripled(estimator, monkeypatch):
    # a harmonic tone of 15 cycles per window (partials 1..6): were the network to answer 5 (a subharmonic), the
    # window repeats at a third of that period (0.93, biased) better than at it (0.77), so the number is tripled;
    # the right answer keeps its number, as do a tone of 6 cycles with partials 1..8 and a pure tone of 6 cycles
    # answered 6 (their autocorrelation at a third of the period: -0.14 and -0.5)
    high = harmonic_tone(N, FS, 15.0 * FS / N, np.ones(6), seed=3)
    low = harmonic_tone(N, FS, 6.0 * FS / N, np.ones(8), seed=4)
    frames = np.stack([high, high, low, tone(N, 6.0)]).astype(np.float32)
    answers = np.array([5.0, 15.0, 6.0, 6.0])
    sure = (answers, np.tile([1.0, 0.0, 0.0], (4, 1)), np.full(4, 0.99))
    monkeypatch.setattr(estimator, "_infer_inputs", lambda x: sure)
    hz, status, _ = _run(estimator, frames)
    assert status.tolist() == [OK] * 4
    assert np.allclose(hz, np.array([15.0, 15.0, 6.0, 6.0]) * FS / N)


def test_a_number_an_octave_above_a_low_fundamental_with_weak_odd_harmonics_is_halved(monkeypatch):
    # 52 Hz with odd harmonics holding 12% of the energy, most of it in the 7th: were the network to answer
    # 104 Hz (the series of the even ones), the check fft makes halves it; the right answer stays, as does 104 Hz
    # on a tone at 104 Hz with the same even partials; told fmin 60 Hz, the halved number is out of range
    _need("ai_edge_litert")
    from streamfreq.estimators.lstm import LSTMEstimator

    odd_weak = [0.05, 1.0, 0.1, 0.5, 0.0, 0.2, 0.4]
    low = harmonic_tone(N, FS, 52.0, odd_weak, seed=1)
    octave_up = harmonic_tone(N, FS, 104.0, odd_weak[1::2], seed=1)
    frames = np.stack([low, low, octave_up]).astype(np.float32)
    answers = np.array([104.0, 52.0, 104.0]) * N / FS
    cases = ((None, [OK, OK, OK], [52.0, 52.0, 104.0]), (60.0, [OUT_OF_RANGE, OUT_OF_RANGE, OK], [104.0]))
    for fmin, statuses, numbers in cases:
        estimator = LSTMEstimator(fmin=fmin)
        sure = (answers.copy(), np.tile([1.0, 0.0, 0.0], (3, 1)), np.full(3, 0.99))
        monkeypatch.setattr(estimator, "_infer_inputs", lambda x, sure=sure: sure)
        hz, status, _ = _run(estimator, frames)
        assert status.tolist() == statuses
        assert np.allclose(hz[status == OK], numbers)


def test_a_rendered_double_bass_low_note_is_read_at_its_fundamental_not_its_octave(estimator):
    """MuseScore General's double bass at 51.9 Hz (MIDI 32), whose odd harmonics are weak: the network alone read
    its octave in 55 of 61 sustain windows; with the octave check every window reads the fundamental."""
    hz, windows, note_hz = _sustain_numbers(estimator, "contrabass", 43, 32)
    assert len(hz) == windows > 50
    assert np.max(np.abs(1200 * np.log2(hz / note_hz))) < 50.0


def _sustain_numbers(estimator, instrument: str, program: int, midi: int) -> tuple[np.ndarray, int, float]:
    """The LSTM's numbers over the sustain of a MuseScore General note (rendered by fluidsynth), the engine's
    windows that lie wholly in it, and the note's frequency."""
    from conftest import require_tool

    from streamfreq.engine import Engine
    from streamfreq.material import Note, render_notes

    require_tool("fluidsynth")
    note = render_notes([Note(instrument, program, midi)], hold=1.0, release=0.3)[0]
    start, stop = (int(s * note.samplerate) for s in note.sustain)
    engine = Engine(note.samplerate, estimators=[estimator])
    readouts = [r for r in engine.push(note.samples) if start <= r.start and r.start + r.window <= stop]
    hz = np.array([r.estimates["lstm"].hz for r in readouts if r.estimates["lstm"].ok])
    return hz, len(readouts), note.note.hz


def test_a_rendered_steel_guitar_decay_is_read_at_its_fundamental_not_its_octave(estimator):
    """MuseScore General's steel guitar E2 (82.4 Hz, MIDI 40) in its decay, its odd partials 2-3% of the energy: the
    network read its octave in about a third of the sustain's windows (22 of the pitch benchmark's 75 frames), with
    confidence 0.5-0.85, too little odd energy for the fits at the half; ``fft``'s coarse stage reads the note there
    and the window repeats clearly better at twice the number's period (``octave.half_by_coarse``), so every window
    reads the fundamental."""
    hz, windows, note_hz = _sustain_numbers(estimator, "steel guitar", 25, 40)
    assert len(hz) >= windows - 2 > 40
    assert np.max(np.abs(1200 * np.log2(hz / note_hz))) < 50.0


def test_a_low_horn_note_is_never_read_at_an_upper_partial(estimator):
    """Low French horn notes as tonejs' recorded horn plays them (A1, B1, C♯2; the fundamental 65 dB and the 2nd
    partial 34 dB under the loudest, the 4th..6th loudest): the network reads most windows at the 5th partial, or
    50-100 cents off it, confidence 0.5-0.8 (tonejs' horn A1 and C2 at their 4th and 6th). Where ``fft``'s coarse stage
    reads the note and the window repeats clearly better at its period, such a number is divided by its partial's
    number, or withheld where it lies too far off it (``octave.partial_by_coarse``): every number is the note's (the
    shipped code before the check read A1 in one window at 5.3 times the note)."""
    rate = 44100.0
    read = 0
    for f0 in (55.0, 61.7, 69.3):
        estimates = estimator.estimate_many(low_horn(f0, 24, seed=7).astype(np.float32), rate)
        hz = np.array([e.hz for e in estimates if e.ok])
        assert len(hz) == 0 or np.max(np.abs(cents(hz, f0))) < 50.0
        read += len(hz)
    assert read >= 12  # of 72 windows; the network gives most of them a confidence under 0.5


def test_a_low_horn_note_read_below_the_range_or_doubted_at_a_partial_is_read_at_the_note(estimator):
    """Low horn notes of 65..82 Hz (3.0..3.8 cycles per window at 2048 / 44.1 kHz): the network reads many windows an
    octave below the range (1.5..1.9 cycles), or at the 5th partial, often with a confidence under ``min_confidence``
    and 50..70 cents off it. An octave below is doubled where the window repeats at half the number's period as well
    as at it and ``fft``'s coarse stage reads the double (``LSTMEstimator._octave_below_range``); a doubted number on
    a partial is divided where the coarse stage reads the note there (``LSTMEstimator._confirmed``); a number so
    moved is read at the window's period near it (``_period_near``). The shipped code before read 116 of these 240
    windows right, called 62 out of range, and gave 8 numbers 60..67 cents off (the network's, over 5)."""
    rate = 44100.0
    errors, out_of_range = [], 0
    for f0 in (65.4, 73.4, 77.8, 82.4):
        estimates = estimator.estimate_many(low_horn(f0, 60, seed=5).astype(np.float32), rate)
        errors += [cents(e.hz, f0) for e in estimates if e.ok]
        out_of_range += sum(e.status == OUT_OF_RANGE for e in estimates)
    assert np.all(np.abs(errors) < 50.0)
    assert len(errors) >= 160
    assert out_of_range <= 36
    assert np.median(np.abs(errors)) < 10.0


def test_a_tone_the_network_reads_no_number_of_is_read_at_the_coarse_note(estimator):
    """Tones of 80..160 Hz without their fundamental, 15..20 partials within 6 dB of each other (a low buzzy voice or
    brass through a small loudspeaker), 20 dB over white noise: the network calls half of them "no tone" with doubt
    (probability under 0.7), or pins its number at its lowest bins. Such a window is read at the note ``fft``'s
    coarse stage reads where the whole window repeats at its period at 0.8 or more and not better at twice it
    (``LSTMEstimator._coarse_note``): the shipped code before gave 44 of these 100 windows a number."""
    rng = np.random.default_rng(3)
    frames, f0s = [], []
    for seed in range(100):
        f0 = float(np.exp(rng.uniform(np.log(80.0), np.log(160.0))))
        levels = 10 ** (rng.uniform(-6.0, 0.0, int(rng.integers(15, 21))) / 20)
        levels[0] = 0.0
        x = harmonic_tone(N, FS, f0, levels, seed=seed)
        frames.append(x + noise_sigma(float(np.std(x)) * math.sqrt(2.0), 20.0) * rng.standard_normal(N))
        f0s.append(f0)
    hz, status, _ = _run(estimator, np.array(frames, dtype=np.float32))
    errors = cents(hz[status == OK], np.array(f0s)[status == OK])
    assert np.all(np.abs(errors) < 50.0)
    assert np.sum(status == OK) >= 90


def _added_by_fft_opinion(estimator, frames, monkeypatch):
    """``(hz, added)``: the estimator's numbers for ``frames`` and which windows get one only through rule 10d
    (``LSTMEstimator._fft_agrees`` switched off for the comparison)."""
    from streamfreq.estimators.lstm import LSTMEstimator

    hz, status, _ = _run(estimator, frames)
    with monkeypatch.context() as patch:
        patch.setattr(LSTMEstimator, "_fft_agrees", lambda self, f, samplerate, cycles: np.zeros(len(f), dtype=bool))
        _, before, _ = _run(estimator, frames)
    return hz, (status == OK) & (before != OK)


def test_a_tone_in_loud_noise_the_network_doubts_is_read_where_fft_reads_it(estimator, monkeypatch):
    """Harmonic tones of 50..150 Hz (1..20 partials, a quarter without their fundamental) 5 dB below white noise,
    as the pitch benchmark's material n: the network doubts many (a tone with a confidence under
    ``min_confidence``, or "no tone" with a probability under 0.7) and the whole window repeats at 0.2..0.35, too
    little for rule 10b's second opinion. Such a number is kept where ``fft`` reads the same note
    (``LSTMEstimator._fft_agrees``): every window it gives a number is right, and it numbers a tenth or more of
    them."""
    rng = np.random.default_rng(7)
    frames, f0s = [], []
    for seed in range(100):
        f0 = float(np.exp(rng.uniform(np.log(50.0), np.log(150.0))))
        order = np.arange(1, int(rng.integers(1, 21)) + 1)
        levels = rng.uniform(0.1, 1.0, len(order)) * order ** -rng.uniform(0.0, 1.5)
        if len(order) >= 3 and rng.random() < 0.25:
            levels[0] = 0.0
        x = harmonic_tone(N, FS, f0, levels, seed=seed)
        frames.append(x + harmonic_noise_sigma(levels, -5.0) * rng.standard_normal(N))
        f0s.append(f0)
    frames, f0s = np.array(frames, dtype=np.float32), np.array(f0s)
    hz, added = _added_by_fft_opinion(estimator, frames, monkeypatch)
    assert np.all(np.abs(cents(hz[added], f0s[added])) < 50.0)
    assert np.sum(added) >= 10


def test_a_voice_over_rumble_the_network_calls_out_of_range_is_read_where_fft_reads_it(estimator, monkeypatch):
    """The synthetic voice (seed 12, 90..700 Hz) over brown rumble 10 dB below its voiced level, as the recording
    conditions benchmark makes it: the rumble puts energy below the range, and in its softer syllables the
    network calls the window out of range with doubt and doubts its number too. Such a number is kept where
    ``fft`` reads the same note (``LSTMEstimator._fft_agrees``): 30 or more windows the network calls out of range
    get a number, each within 50 cents of the pitch sung at the window centre where the centre is voiced."""
    from scipy import signal

    from streamfreq.signals import voice

    sung = voice(12.0, FS, seed=12, f0_range=(90.0, 700.0))
    x, pitch = sung.samples.astype(np.float64), np.nan_to_num(sung.contour, nan=0.0)
    walk = np.cumsum(np.random.default_rng(12).standard_normal(len(x)))
    walk = signal.sosfiltfilt(signal.butter(2, 10.0, "high", fs=FS, output="sos"), walk)
    heard = x + walk * np.sqrt(np.mean(x[pitch > 0] ** 2)) * 10 ** (-10.0 / 20.0) / np.std(walk)
    starts = np.arange(0, len(x) - N, 512)
    frames = np.stack([heard[s : s + N] for s in starts]).astype(np.float32)
    centre = pitch[starts + N // 2]
    hz, added = _added_by_fft_opinion(estimator, frames, monkeypatch)
    _, classes, _ = estimator._infer_inputs(estimator.contract.inputs(frames))
    assert np.sum(added & (classes.argmax(axis=1) == 2)) >= 30
    voiced = added & (centre > 0)
    assert np.all(np.abs(cents(hz[voiced], centre[voiced])) < 50.0)
    assert np.sum(added & (centre == 0)) <= 2


def test_out_of_range_tones_get_no_number(estimator):
    bottom, top = estimator.range_for(N)
    low, low_cycles = _tones(4, 60, 20.0, 0.3, 0.95 * bottom)
    high, high_cycles = _tones(5, 60, 20.0, 1.05 * top, 1000.0)
    frames = np.concatenate([low, high])
    cycles = np.concatenate([low_cycles, high_cycles])
    hz, status, _ = _run(estimator, frames)
    assert np.mean(status != OK) >= 0.95
    # above the range the network names them; below it a window the network calls "no tone" whose
    # energy sits below the range is out of range too
    assert np.mean(status[60:] == OUT_OF_RANGE) >= 0.95
    assert np.mean(status[:60] == OUT_OF_RANGE) >= 0.95
    numbered = status == OK
    # none given a wrong number (a number, if any, must be within a semitone of the truth)
    assert np.all(np.abs(1200 * np.log2(hz[numbered] / (cycles[numbered] * FS / N))) < 100)


@pytest.mark.parametrize("n", [2048, 1024])
def test_tones_above_the_trained_top_are_read_from_the_window_centre(estimator, n):
    """A tone above 88 cycles per window (a whistle at 2..8 kHz at 2048 / 48 kHz) is read from the window's
    centre half or quarter, where it has fewer cycles: numbers within 50 cents, none from the whole window's
    network reading (which says out_of_range there)."""
    top = estimator.range_cycles[1]
    low, high = estimator.range_for(n)
    assert high == pytest.approx(estimator.range_cycles[1] * n / 512)
    frames, cycles = _tones(12, 80, 20.0, 1.05 * top, 0.95 * high, n)
    hz, status, _ = _run(estimator, frames)
    assert np.mean(status == OK) >= 0.95
    cents = 1200 * np.abs(np.log2(hz[status == OK] / (cycles[status == OK] * FS / n)))
    assert np.all(cents < 50), np.sort(cents)[-5:]


def test_batches_match_single_windows(estimator):
    frames, _ = _tones(6, 70, 10.0, 2.2, 85.0)
    batched, _, _ = _run(estimator, frames)
    single = np.array([_run(estimator, f[None, :])[0][0] for f in frames[:5]])
    np.testing.assert_allclose(batched[:5], single, rtol=1e-5, equal_nan=True)


def test_a_split_batch_gives_the_numbers_of_single_rows():
    # a big batch runs half on a second interpreter, on another thread: every row still starts from zeroed
    # state in a batch-1 model, so its outputs are the very same floats as when it runs alone
    _need("ai_edge_litert")
    from streamfreq.estimators.lstm import SPLIT_ROWS, LSTMEstimator

    estimator = LSTMEstimator()
    frames, _ = _tones(7, SPLIT_ROWS + 3, 10.0, 1.5, 120.0)
    x = estimator.contract.inputs(frames)
    alone = np.concatenate([estimator.network(row[None]) for row in x])
    assert estimator._second is None  # single rows run on the caller's interpreter only
    together = estimator.network(x)
    assert estimator._second is not None  # the batch was split
    np.testing.assert_array_equal(together, alone)


def test_shipped_runtime_model_has_batch_1_and_fused_lstms(estimator):
    interpreter = estimator._interpreter
    assert tuple(interpreter.get_input_details()[0]["shape"]) == (1, *estimator.contract.input_shape)
    ops = [op["op_name"] for op in interpreter._get_ops_details()]
    assert ops.count("UNIDIRECTIONAL_SEQUENCE_LSTM") == 2  # the bidirectional LSTM as two fused ops, not per step


def test_empty_batch(estimator):
    assert estimator.estimate_many(np.zeros((0, N), np.float32), FS) == []


def test_non_finite_input_does_not_raise(estimator):
    frames = np.full((2, N), np.nan, np.float32)
    frames[1, ::2] = np.inf
    _, status, _ = _run(estimator, frames)
    assert set(status) <= {NO_TONE, OUT_OF_RANGE, OK}


# ---------------------------------------------------------------- model errors


@pytest.fixture
def model_copy(tmp_path):
    _need("ai_edge_litert")
    from streamfreq.models import DEFAULT_MODEL

    meta = json.loads(DEFAULT_MODEL.read_text())
    shutil.copy(DEFAULT_MODEL, tmp_path / "lstm.json")
    for name in meta["tflite"].values():
        shutil.copy(DEFAULT_MODEL.with_name(name), tmp_path / name)
    return tmp_path


def test_missing_model_names_the_path(tmp_path):
    _need("ai_edge_litert")
    from streamfreq.estimators.lstm import LSTMEstimator

    missing = tmp_path / "nowhere" / "lstm.json"
    with pytest.raises(ModelError, match="not found.*nowhere.*streamfreq-train"):
        LSTMEstimator(missing)


def test_corrupt_metadata(model_copy):
    from streamfreq.estimators.lstm import LSTMEstimator

    (model_copy / "lstm.json").write_text("{not json")
    with pytest.raises(ModelError, match="metadata .*lstm.json is corrupt"):
        LSTMEstimator(model_copy)
    (model_copy / "lstm.json").write_text(json.dumps({"length": 256}))
    with pytest.raises(ModelError, match="corrupt"):
        LSTMEstimator(model_copy / "lstm.json")


def test_corrupt_calibration(model_copy):
    from streamfreq.estimators.lstm import LSTMEstimator

    meta = json.loads((model_copy / "lstm.json").read_text())
    meta["contract"]["bias"] = {"log2_cycles": [1.0, 2.0], "correction_log2": [0.0]}
    (model_copy / "lstm.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="bias arrays differ"):
        LSTMEstimator(model_copy)


def test_calibration_only_shifts_the_estimate(model_copy):
    from streamfreq.estimators.lstm import LSTMEstimator

    frames, _ = _tones(10, 20, 20.0, 5.0, 50.0)
    calibrated = LSTMEstimator(model_copy, views=1)
    meta = json.loads((model_copy / "lstm.json").read_text())
    meta["contract"]["bias"] = {}
    meta["contract"]["reliability"] = {}
    (model_copy / "lstm.json").write_text(json.dumps(meta))
    raw = LSTMEstimator(model_copy, views=1)
    c_cal, cls_cal, conf_cal = calibrated.infer(frames)
    c_raw, cls_raw, score = raw.infer(frames)
    np.testing.assert_array_equal(cls_cal, cls_raw)
    shift = np.log2(c_cal) - np.log2(c_raw)
    np.testing.assert_allclose(shift, np.interp(np.log2(c_raw), *calibrated.contract.bias), atol=1e-9)
    np.testing.assert_allclose(conf_cal, np.interp(score, *calibrated.contract.reliability), atol=1e-9)


def test_wrong_preprocess_version(model_copy):
    from streamfreq.estimators.lstm import LSTMEstimator

    meta = json.loads((model_copy / "lstm.json").read_text())
    meta["contract"]["preprocess_version"] = -1
    (model_copy / "lstm.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="preprocessing version -1"):
        LSTMEstimator(model_copy)


def test_corrupt_model_file(model_copy):
    from streamfreq.estimators.lstm import LSTMEstimator

    meta = json.loads((model_copy / "lstm.json").read_text())
    victim = model_copy / meta["tflite"]["1"]
    victim.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(ModelError, match=f"{victim.name} is corrupt"):
        LSTMEstimator(model_copy)
    victim.unlink()
    with pytest.raises(ModelError, match=f"not found: .*{victim.name}"):
        LSTMEstimator(model_copy)


def test_explicit_tflite_file(model_copy):
    from streamfreq.estimators.lstm import LSTMEstimator

    meta = json.loads((model_copy / "lstm.json").read_text())
    est = LSTMEstimator(model_copy / meta["tflite"]["1"])
    frames, _ = _tones(7, 3, 20.0, 5.0, 50.0)
    assert len(est.estimate_many(frames, FS)) == 3


def test_missing_runtime_says_which_extra(monkeypatch):
    from streamfreq.estimators.lstm import LSTMEstimator

    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    with pytest.raises(ImportError, match=r"streamfreq\[lstm\]"):
        LSTMEstimator()


# ---------------------------------------------------------------- parity with Keras


@pytest.mark.train
@pytest.mark.slow
def test_runtime_matches_keras(estimator):
    _need("tensorflow")
    import keras

    from streamfreq.models import DEFAULT_MODEL
    from streamfreq.models.train import inference_model

    model = keras.models.load_model(DEFAULT_MODEL.with_name("lstm.keras"), compile=False)
    frames, _ = _tones(8, 70, 10.0, 2.2, 85.0)
    frames[0] = 0.0
    x = estimator.contract.inputs(frames)
    expected = np.asarray(inference_model(model)(x))
    got = estimator.network(x)
    # the fused LSTM ops keep state between calls: each row, after any other, must start afresh
    assert np.array_equal(estimator.network(x[:1]), got[:1])
    # probabilities within 2e-3; offsets (in bins of 50 cents) within 5e-3 bins = 0.25 cents.
    # (LiteRT's float kernels round differently from TensorFlow's through the LSTM's steps.)
    split = estimator.n_bins + 3
    np.testing.assert_allclose(got[:, :split], expected[:, :split], atol=2e-3)
    np.testing.assert_allclose(got[:, split:], expected[:, split:], atol=5e-3)
    assert np.array_equal(np.argmax(got[:, : split - 3], 1), np.argmax(expected[:, : split - 3], 1))
    cycles_rt, _, _ = estimator.contract.decode(got)
    cycles_k, _, _ = estimator.contract.decode(expected)
    assert np.max(np.abs(1200 * np.log2(cycles_rt / cycles_k))) < 0.5


def test_views_must_be_1_2_or_4():
    _need("ai_edge_litert")
    from streamfreq.errors import ParameterError
    from streamfreq.estimators.lstm import LSTMEstimator

    with pytest.raises(ParameterError, match=r"views must be 1, 2 or 4 \(got 3\)"):
        LSTMEstimator(views=3)


def test_more_views_do_not_hurt_accuracy():
    _need("ai_edge_litert")
    from streamfreq.estimators.lstm import LSTMEstimator

    frames, cycles = _tones(9, 200, 20.0, 2.2, 85.0)
    medians = {}
    for views in (1, 4):
        hz, status, _ = _run(LSTMEstimator(views=views), frames)
        ok = status == OK
        medians[views] = np.median(np.abs(1200 * np.log2(hz[ok] / (cycles[ok] * FS / N))))
    assert medians[4] <= medians[1] * 1.1


def test_fmin_above_the_trained_range_makes_lower_fundamentals_out_of_range(estimator):
    """``Engine(fmin=...)`` and ``--fmin`` bound every estimator: a 60 Hz hum (inside the LSTM's range) is
    out_of_range with fmin 70, while a 220 Hz tone is still read; without fmin the hum is read. (A 50 Hz hum, at
    2.13 cycles per window, the network reads 50 cents high: out of range since the check of the range's bottom.)"""
    from streamfreq.engine import Engine
    from streamfreq.estimators.lstm import LSTMEstimator

    hum = harmonic_tone(N, FS, 60.0, [1.0, 0.0, 0.5, 0.0, 0.25])[None].astype(np.float32)
    voice = harmonic_tone(N, FS, 220.0, [1.0, 0.6, 0.4], seed=3)[None].astype(np.float32)
    bounded = LSTMEstimator(fmin=70.0)
    assert _run(estimator, hum)[1].tolist() == [OK]
    assert _run(bounded, hum)[1].tolist() == [OUT_OF_RANGE]
    hz, status, _ = _run(bounded, voice)
    assert status.tolist() == [OK] and abs(1200 * math.log2(hz[0] / 220.0)) < 50
    engine = Engine(FS, estimators=["lstm"], fmin=70.0)
    assert engine.estimators[0].fmin == 70.0


@pytest.mark.parametrize("f0", [110.0, 210.0, 520.0, 950.0])
def test_a_bright_tone_in_range_is_read_not_called_out_of_range(f0):
    """Partials rising 6 dB an octave up to Nyquist at 16 kHz hold most of their energy above the band the
    network's input keeps (3.6 kHz), and the energy there has peaks: a tone above the range, by the band guard
    alone, which called all four of these tones out of range, or the network, which hears the 110 Hz tone's
    partials rise through its band, no tone. Where ``fft`` reads a note in range from all the partials, the
    network's number stands if it agrees, and ``fft``'s if the network reads no tone."""
    _need("ai_edge_litert")
    from streamfreq.engine import Engine

    readouts = Engine(16000.0, estimators=["lstm"]).push(bright_tone(f0).astype(np.float32))
    read = np.array([r.hz("lstm") or np.nan for r in readouts])
    assert np.all(np.abs(cents(read, f0)) < 50)


def test_rippled_noise_the_network_doubts_is_read_at_the_coarse_note():
    """Iterated rippled noise at 89.9 Hz (a delay of 178 samples at 16 kHz) sounds to the network like noise: it
    calls 22..29% of the windows "no tone" with a probability of 0.70..0.79. Its waveform repeats at the delay at
    0.89, far better than noise does, so a "no tone" under 0.8 is read at the note ``fft``'s coarse stage reads
    where the window repeats at that period at 0.8 or more (rule 10c). Before (a "no tone" under 0.7), 71..78% of
    the windows got a number."""
    _need("ai_edge_litert")
    from streamfreq.engine import Engine

    readouts = Engine(16000.0, estimators=["lstm"]).push(rippled_noise(178, seed=5).astype(np.float32))
    read = np.array([r.hz("lstm") or np.nan for r in readouts])
    numbered = np.isfinite(read)
    assert numbered.mean() >= 0.95 and np.all(np.abs(cents(read[numbered], 16000.0 / 178)) < 50)


@pytest.mark.parametrize("f0", [90.0, 160.0])
def test_a_residue_pitch_is_read_at_its_fundamental(f0):
    """A tone of partials 10..17 alone, alike (16 kHz): no partial lies near the fundamental, yet the whole waveform
    repeats at its period at 0.99. The network reads the 90 Hz one at 1229 Hz (the middle of its partials, with
    confidence 0.51..0.63) and calls the 160 Hz one no tone (0.70..0.71): divided by the partial's number (14) where
    ``fft``'s coarse stage reads the note and the window repeats clearly better at its period (rule 11, now up to
    the 17th partial), and read at the coarse note (rule 10c, "no tone" under 0.8)."""
    _need("ai_edge_litert")
    from streamfreq.engine import Engine

    amplitudes = (np.arange(1, 18) >= 10).astype(float)
    x = harmonic_tone(32000, 16000.0, f0, amplitudes, phases=np.full(17, -0.5 * np.pi))
    readouts = Engine(16000.0, estimators=["lstm"]).push((0.1 * x / np.std(x)).astype(np.float32))
    read = np.array([r.hz("lstm") or np.nan for r in readouts])
    numbered = np.isfinite(read)
    assert numbered.mean() >= 0.9 and np.all(np.abs(cents(read[numbered], f0)) < 50)
