"""The quiet gate: windows far below the stream's recent loudest say no_tone, for every estimator."""

import numpy as np
import pytest
from scipy import signal

from streamfreq.defaults import (
    DIM_DB,
    DIM_NOISE_HZ,
    DIM_NOISE_SHARE,
    FAINT_CONFIDENCE,
    FAINT_MARGIN_DB,
    NEAR_SILENCE_DBFS,
    QUIET_DB,
    QUIET_HOLD,
    SOFTER_DB,
    SOFTER_REPEATS,
    window_for,
)
from streamfreq.engine import Engine
from streamfreq.errors import ParameterError
from streamfreq.estimators.base import NO_TONE, OK, whole_repeats
from streamfreq.quiet import QuietGate, high_noise_share
from streamfreq.sources.base import PullSource

FS, WINDOW, HOP = 48000, 2048, 512


def loud_then_faint(
    faint_db: float,
    loud_s: float = 0.5,
    faint_s: float = 3.5,
    seed: int = 3,
    noise: float = 5e-6,
    noise_top_hz: float | None = None,
) -> np.ndarray:
    """A 330 Hz tone at amplitude 0.5, then the same tone ``faint_db`` dB quieter, with white noise of standard
    deviation ``noise`` throughout (by default 100 dB below the loud part, so that the faint part is a clear
    tone to every estimator), low-passed at ``noise_top_hz`` where that is given (8th-order Butterworth, the
    standard deviation that of the noise before the filter)."""
    rng = np.random.default_rng(seed)
    t = np.arange(round((loud_s + faint_s) * FS)) / FS
    level = np.where(t < loud_s, 0.5, 0.5 * 10 ** (-faint_db / 20))
    hiss = noise * rng.standard_normal(len(t))
    if noise_top_hz is not None:
        hiss = signal.sosfilt(signal.butter(8, noise_top_hz, fs=FS, output="sos"), hiss)
    return (level * np.cos(2 * np.pi * 330.0 * t) + hiss).astype(np.float32)


def statuses(readouts, name: str) -> np.ndarray:
    return np.array([r.estimates[name].status for r in readouts])


def window_rms(signal: np.ndarray) -> np.ndarray:
    starts = np.arange(0, len(signal) - WINDOW + 1, HOP)
    return np.array([np.sqrt(np.mean(signal[s : s + WINDOW].astype(np.float64) ** 2)) for s in starts])


def test_a_window_quiet_or_faint_against_any_of_the_last_hold_seconds_is_marked_and_batches_do_not_matter():
    # a tone 50 dB down, then (in steps over 2 s) 35 dB down: quiet, faint, then the loudest of the last 2 s
    signal = np.concatenate([loud_then_faint(50.0, faint_s=2.5), loud_then_faint(35.0, faint_s=2.5)])
    rms = window_rms(signal)
    held = round(QUIET_HOLD * FS / HOP)
    loudest = np.array([rms[max(0, i - held + 1) : i + 1].max() for i in range(len(rms))])
    quiet = rms < 10 ** (-QUIET_DB / 20) * loudest
    faint = ~quiet & (
        (rms < 10 ** (-(QUIET_DB - FAINT_MARGIN_DB) / 20) * loudest) | (rms < 10 ** (NEAR_SILENCE_DBFS / 20))
    )
    softer = ~quiet & (rms < 10 ** (-SOFTER_DB / 20) * loudest)
    dim = ~quiet & (rms < 10 ** (-DIM_DB / 20) * loudest)
    starts = np.arange(len(rms)) * HOP
    frames = np.stack([signal[s : s + WINDOW] for s in starts])
    whole = QuietGate(FS, HOP).marks(frames)
    gate = QuietGate(FS, HOP)
    pieces = [gate.marks(frames[i : i + 7]) for i in range(0, len(frames), 7)]
    for got in (whole, tuple(np.concatenate(part) for part in zip(*pieces, strict=True))):
        np.testing.assert_array_equal(got[0], quiet)
        np.testing.assert_array_equal(got[1], faint)
        np.testing.assert_array_equal(got[2], softer)
        np.testing.assert_array_equal(got[3], dim)
    assert quiet.any() and faint.any() and not (quiet | faint).all() and (softer & ~faint).any()
    assert (dim & ~faint).any() and (softer & ~dim).any()


def test_a_faint_window_keeps_only_its_sure_numbers():
    """A tone 35 dB below a loud one, in noise: each estimator's number stays where its confidence is at least
    FAINT_CONFIDENCE and says no_tone where it is less; before the loud note is 2 s back. (The noise lies below
    DIM_NOISE_HZ: the dim windows' rule has nothing to say of it.)"""
    names = ["fft", "zc"]
    # the faint tone at about 3 dB SNR in the band of the noise
    sound = loud_then_faint(35.0, faint_s=1.0, noise=0.5 * 10 ** (-35 / 20) / 2 * 2.5, noise_top_hz=0.8 * DIM_NOISE_HZ)
    gated = Engine(FS, WINDOW, HOP, names).push(sound)
    alone = Engine(FS, WINDOW, HOP, names, quiet_db=None).push(sound)
    faint = np.array([r.start >= 0.5 * FS for r in alone])  # whole windows of the faint tone, all within 2 s
    for name in names:
        before = [r.estimates[name] for r in alone]
        sure = np.array([e.status == OK and e.confidence >= FAINT_CONFIDENCE for e in before])
        unsure = np.array([e.status == OK and e.confidence < FAINT_CONFIDENCE for e in before])
        after = statuses(gated, name)
        assert (after[faint & sure] == OK).all() and (after[faint & unsure] == NO_TONE).all(), name
        np.testing.assert_array_equal(after[~faint], statuses(alone, name)[~faint])
    fft = [r.estimates["fft"] for r in alone]
    assert 0 < sum(e.status == OK and e.confidence < FAINT_CONFIDENCE for e in fft) < sum(faint)  # both kinds


def test_a_window_near_silence_keeps_only_its_sure_numbers_before_anything_louder():
    """A stream that starts near silence (a 330 Hz tone in white noise at 3 dB SNR, -65 dBFS RMS, nothing louder
    before it: a room's hiss before the first note) keeps each estimator's numbers of confidence FAINT_CONFIDENCE
    and more, and says no_tone for the rest; the same sound 20 dB louder keeps them all."""
    names = ["fft", "zc"]
    rng = np.random.default_rng(5)
    t = np.arange(FS) / FS
    rms = 10 ** (-65 / 20)
    amplitude = rms * np.sqrt(2 / (1 + 10 ** (-3 / 10)))  # tone and noise together at that RMS
    sound = amplitude * np.cos(2 * np.pi * 330.0 * t) + amplitude / np.sqrt(2) / 10 ** (3 / 20) * rng.standard_normal(
        FS
    )
    for gain, near in ((1.0, True), (10.0, False)):
        signal = (gain * sound).astype(np.float32)
        assert (window_rms(signal) < 10 ** (NEAR_SILENCE_DBFS / 20)).all() == near
        gated = Engine(FS, WINDOW, HOP, names).push(signal)
        alone = Engine(FS, WINDOW, HOP, names, quiet_db=None).push(signal)
        for name in names:
            before = [r.estimates[name] for r in alone]
            unsure = np.array([e.status == OK and e.confidence < FAINT_CONFIDENCE for e in before])
            after = statuses(gated, name)
            expected = np.where(unsure & near, NO_TONE, statuses(alone, name))
            np.testing.assert_array_equal(after, expected, err_msg=name)
        assert any(e.status == OK and e.confidence < FAINT_CONFIDENCE for e in (r.estimates["fft"] for r in alone))


def test_a_tone_40_db_and_more_below_the_last_seconds_says_no_tone_then_is_read_again():
    """After a loud note, a 50 dB quieter one says no_tone for every estimator until the loud note is
    QUIET_HOLD seconds back; a 30 dB quieter one, and any with the gate off, is read throughout."""
    names = ["fft", "zc"]
    for faint_db, quiet_db, gated in ((50.0, QUIET_DB, True), (30.0, QUIET_DB, False), (50.0, None, False)):
        signal = loud_then_faint(faint_db)
        readouts = Engine(FS, WINDOW, HOP, names, quiet_db=quiet_db).push(signal)
        start = np.array([r.start for r in readouts])
        faint = start >= 0.5 * FS  # whole windows of the faint tone
        held = round(QUIET_HOLD * FS / HOP)  # windows the gate remembers, this one included
        forgotten = start >= 0.5 * FS + (held - 1) * HOP  # ... once none of them was loud
        for name in names:
            status = statuses(readouts, name)
            assert (status[start + WINDOW <= 0.5 * FS] == OK).all(), (name, faint_db)
            assert (status[forgotten] == OK).all(), (name, faint_db)
            within = status[faint & ~forgotten]
            assert (within == NO_TONE).all() if gated else (within == OK).all(), (name, faint_db, quiet_db)


def test_a_softer_window_keeps_only_the_numbers_whose_period_it_repeats_at():
    """After a loud tone, the same tone 20 dB down at -8 dB SNR (the window, noise and all, 11 dB under the loud
    one; it repeats at its period at about s / (1 + s) = 0.14, below SOFTER_REPEATS), then at +6 dB (0.8): fft's
    numbers of the first say no_tone, those of the second stay; with nothing louder before it, the noisy tone keeps
    every number (a steady sound is never gated)."""
    rng = np.random.default_rng(11)
    t = np.arange(round(1.7 * FS)) / FS
    soft = 0.5 * 10 ** (-20 / 20)
    level = np.where(t < 0.5, 0.5, soft)
    snr_db = np.where(t < 1.1, -8.0, 6.0)
    noise = np.where(t < 0.5, 0.0, soft / np.sqrt(2) / 10 ** (snr_db / 20)) * rng.standard_normal(len(t))
    signal = (level * np.cos(2 * np.pi * 330.0 * t) + noise).astype(np.float32)
    gated = Engine(FS, WINDOW, HOP, ["fft"]).push(signal)
    alone = Engine(FS, WINDOW, HOP, ["fft"], quiet_db=None).push(signal)
    start = np.array([r.start for r in alone])
    frames = np.stack([signal[s : s + WINDOW] for s in start])
    repeats = whole_repeats(frames, FS / np.array([r.estimates["fft"].hz for r in alone]))
    after, before = statuses(gated, "fft"), statuses(alone, "fft")
    softer = start >= 0.5 * FS  # whole windows of the soft tone, under the loud one of the last 2 s
    noisy = softer & (start + WINDOW <= 1.1 * FS)
    clear = start >= 1.1 * FS
    assert (before[softer] == OK).all()  # fft reads the noisy tone, where the gate is off
    np.testing.assert_array_equal(after[softer], np.where(repeats[softer] < SOFTER_REPEATS, NO_TONE, OK))
    np.testing.assert_array_equal(after[~softer], before[~softer])
    assert (after[noisy] == NO_TONE).mean() > 0.9 and (after[clear] == OK).all()
    steady = signal[int(0.5 * FS) :]
    assert (statuses(Engine(FS, WINDOW, HOP, ["fft"]).push(steady), "fft") == OK).all()


def harmonic_note(seconds: float, f0: float, partials: int, level: float) -> np.ndarray:
    """Partials ``1..partials`` of ``f0`` at amplitudes ``1/k`` (those below Nyquist), scaled to peak ``level``."""
    t = np.arange(round(seconds * FS)) / FS
    note = sum(np.cos(2 * np.pi * k * f0 * t + k) / k for k in range(1, partials + 1) if k * f0 < FS / 2)
    return level * note / np.abs(note).max()


def breath(samples: int, rms: float, seed: int) -> np.ndarray:
    """Breath-like noise: white noise differenced (rising 6 dB an octave, most of it above 5 kHz) at ``rms``."""
    noise = np.diff(np.random.default_rng(seed).standard_normal(samples + 1))
    return rms * noise / np.sqrt(np.mean(noise**2))


def test_a_dim_window_keeps_its_number_only_beside_little_broadband_noise():
    """After a loud note, its tail 26 dB down: alone, and with breath 12 dB under the tail (far over
    DIM_NOISE_SHARE of the window above DIM_NOISE_HZ), every estimator's numbers of the breathy tail say no_tone;
    the clean tail keeps them, as does a bright note as dim (partials up to 14 kHz, no noise): a dim window loses
    exactly the numbers high_noise_share finds beside too much noise."""
    names = ["fft", "zc"]
    loud = harmonic_note(0.5, 220.0, 8, 0.5)
    tail = harmonic_note(1.0, 220.0, 8, 0.5 * 10 ** (-26 / 20))
    tail_rms = np.sqrt(np.mean(tail**2))
    bright = harmonic_note(1.0, 440.0, 32, 0.5 * 10 ** (-26 / 20))
    for after_loud, noisy in ((tail + breath(len(tail), tail_rms * 10 ** (-12 / 20), 7), True), (tail, False),
                              (bright, False)):  # fmt: skip
        sound = np.concatenate([loud, after_loud]).astype(np.float32)
        gated = Engine(FS, WINDOW, HOP, names).push(sound)
        alone = Engine(FS, WINDOW, HOP, names, quiet_db=None).push(sound)
        start = np.array([r.start for r in alone])
        dim = start >= len(loud)  # whole windows after the loud note, all within 2 s of it
        frames = np.stack([sound[s : s + WINDOW] for s in start])
        for name in names:
            before, after = statuses(alone, name), statuses(gated, name)
            assert (before[dim] == OK).mean() > 0.9, name  # every estimator reads the tail where the gate is off
            hz = np.array([r.estimates[name].hz for r in alone])
            read = dim & (before == OK)
            share = high_noise_share(frames[read], hz[read], FS)
            np.testing.assert_array_equal(after[read], np.where(share > DIM_NOISE_SHARE, NO_TONE, OK), err_msg=name)
            np.testing.assert_array_equal(after[~dim], before[~dim], err_msg=name)
            assert (after[read] == NO_TONE).all() if noisy else (after[read] == OK).all(), (name, noisy)


@pytest.mark.parametrize("samplerate", [16000.0, 48000.0, 96000.0])
def test_high_noise_share_is_the_share_of_white_noise_above_the_band_and_none_of_partials(samplerate):
    """White noise alone: the share of its energy above DIM_NOISE_HZ, 1 - 2 DIM_NOISE_HZ / samplerate (a
    spectrum's estimate from 2048 samples); a harmonic tone with partials up to Nyquist: next
    to none (its partials lie at the multiples of the number); silence, and a samplerate with nothing above
    DIM_NOISE_HZ: 0; a number whose partials a window too short does not resolve: all the power above it."""
    rng = np.random.default_rng(int(samplerate))
    n = window_for(samplerate)  # the engine's window at that rate: 43..64 ms
    noise = rng.standard_normal((20, n))
    f0 = np.exp(rng.uniform(np.log(80.0), np.log(1000.0), 20))
    t = np.arange(n) / samplerate
    tones = np.stack(
        [sum(np.cos(2 * np.pi * k * f * t + k) / k for k in range(1, int(0.5 * samplerate / f))) for f in f0]
    )
    share = high_noise_share(noise, f0, samplerate)
    expected = 1.0 - 2.0 * DIM_NOISE_HZ / samplerate
    # a window's estimate sums the power of ~500 independent frequencies between the multiples: a standard
    # deviation of about 0.04
    assert abs(np.median(share) - expected) < 0.03 and np.all(np.abs(share - expected) < 0.15)
    # the partials' own leakage: for a low f0 the Hann window's main lobe (2 bins either way) outreaches the quarter
    # of f0 about each multiple, a few tenths of a percent at 80 Hz
    assert np.all(high_noise_share(tones, f0, samplerate) < DIM_NOISE_SHARE / 4)
    assert high_noise_share(np.zeros((1, n)), np.array([440.0]), samplerate).tolist() == [0.0]
    assert high_noise_share(noise[:2], f0[:2], DIM_NOISE_HZ).tolist() == [0.0, 0.0]
    # 50 Hz in a window of 2048 at 96 kHz: a bin of 47 Hz, no spectrum between the partials: all of it is noise
    coarse = rng.standard_normal((1, 2048))
    power = np.abs(np.fft.rfft(coarse[0] * np.hanning(2048), 4096)) ** 2
    above = power[np.arange(len(power)) * 96000.0 / 4096 > DIM_NOISE_HZ].sum() / power.sum()
    assert high_noise_share(coarse, np.array([50.0]), 96000.0)[0] == pytest.approx(above, rel=1e-9)


@pytest.mark.parametrize("snr_db", [-8.0, 0.0, 6.0, 30.0])
def test_a_window_in_white_noise_repeats_at_its_period_as_its_snr_says(snr_db):
    """whole_repeats of a tone in white noise at per-sample SNR s is s / (1 + s) (a sample correlation over ~2000
    samples: standard deviation about 0.02; the best of three lags adds a little), for any phase and period."""
    rng = np.random.default_rng(int(snr_db) + 50)
    s = 10 ** (snr_db / 10)
    periods = FS / np.exp(rng.uniform(np.log(60.0), np.log(2000.0), 40))
    t = np.arange(WINDOW)
    tones = np.sqrt(2) * np.cos(2 * np.pi * t / periods[:, None] + rng.uniform(0, 2 * np.pi, (40, 1)))
    frames = tones + rng.standard_normal((40, WINDOW)) / np.sqrt(s)
    got = whole_repeats(frames, periods)
    assert abs(np.median(got) - s / (1 + s)) < 0.05 and np.all(np.abs(got - s / (1 + s)) < 0.12)


def test_whole_repeats_says_nan_where_it_cannot_read_the_period():
    frames = np.random.default_rng(0).standard_normal((4, WINDOW))
    got = whole_repeats(frames, np.array([np.nan, 1.0, 0.9 * WINDOW, 100.0]))
    assert np.isnan(got[:3]).all() and np.isfinite(got[3])


class Blocks(PullSource):
    """An array as a source, in blocks of 1000 samples."""

    def __init__(self, signal: np.ndarray) -> None:
        self.samplerate, self.signal = float(FS), signal

    def blocks(self):
        yield from (self.signal[i : i + 1000] for i in range(0, len(self.signal), 1000))


def test_a_run_over_a_source_gates_its_stream_as_push_does():
    signal = loud_then_faint(50.0)
    pushed = Engine(FS, WINDOW, HOP, ["fft"]).push(signal)
    run = list(Engine(FS, WINDOW, HOP, ["fft"]).run(Blocks(signal)))
    assert [r.start for r in run] == [r.start for r in pushed]
    np.testing.assert_array_equal(statuses(run, "fft"), statuses(pushed, "fft"))
    assert (statuses(run, "fft") == NO_TONE).any()


def test_a_quiet_recording_is_not_gated():
    """The gate is relative: a steady tone at -80 dBFS is read in every window."""
    signal = loud_then_faint(0.0) * np.float32(1e-4)
    assert all(r.estimates["fft"].status == OK for r in Engine(FS, WINDOW, HOP, ["fft"]).push(signal))


@pytest.mark.parametrize(
    ("quiet_db", "faint_from_db"), [(QUIET_DB, QUIET_DB - FAINT_MARGIN_DB), (12.0, 6.0), (1.0, 0.5)]
)
def test_the_faint_band_spans_the_margin_above_the_quiet_level_or_half_of_it(quiet_db, faint_from_db):
    """Faint from quiet_db - FAINT_MARGIN_DB (or quiet_db / 2, where that is less far down) to quiet_db: a gate of
    a few dB never makes the recent loudest window, or one barely under it, faint."""
    levels = 10 ** (-np.array([0.0, 0.9 * faint_from_db, 1.1 * faint_from_db, 0.99 * quiet_db, 1.01 * quiet_db]) / 20)
    quiet, faint = QuietGate(FS, HOP, quiet_db).marks(levels[:, None] * np.ones((len(levels), WINDOW)))[:2]
    assert quiet.tolist() == [False, False, False, False, True]
    assert faint.tolist() == [False, False, True, True, False]


@pytest.mark.parametrize("bad", [0.0, -3.0, 500.0, float("nan")])
def test_quiet_db_out_of_range_is_a_parameter_error(bad):
    with pytest.raises(ParameterError, match="quiet_db must be in 1..200"):
        Engine(FS, estimators=["fft"], quiet_db=bad)
