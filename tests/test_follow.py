"""Following a note through windows an estimator could not read (streamfreq.follow), alone and in the engine."""

import math

import numpy as np
import pytest
from conftest import cents, push_in_pieces, voice_in_pink_noise

from streamfreq.engine import Engine
from streamfreq.estimators.base import NO_TONE, OK, Estimate
from streamfreq.follow import (
    DRIFT_CENTS,
    FOLLOW_FALSE,
    FOLLOWED_CONFIDENCE,
    NOISY_DB,
    NoteFollower,
    fine_power,
    partial_near,
)
from streamfreq.quiet import Marks

FS = 48000.0
N = 2048


def ok_estimate(hz):
    return Estimate(hz, 0.9, OK)


def test_noise_alone_rarely_holds_a_partial_near_a_given_number():
    # the band judged at FOLLOW_FALSE by the order statistics of white noise's periodogram (its bins exponential,
    # the band's independent bins counted with one for its edges): about that share of noise windows pass
    rng = np.random.default_rng(1)
    priors = np.exp(rng.uniform(math.log(60.0), math.log(2000.0), 1500))
    found = [math.isfinite(partial_near(fine_power(rng.standard_normal(N)), hz, FS, N)) for hz in priors]
    assert np.mean(found) <= 2 * FOLLOW_FALSE


@pytest.mark.parametrize("snr_db", [-10.0, 0.0, 20.0])
def test_a_partial_near_the_number_is_read_within_a_few_times_the_bound(snr_db):
    # a pure tone above 200 Hz (lower, the window's lowest bins leave no floor below it), its number given 40 cents
    # off either way; a Hann window's interpolated peak measures about twice the Cramer-Rao bound's standard
    # deviation at every SNR (the window spends part of the samples)
    rng = np.random.default_rng(2)
    sigma = math.sqrt(0.5 * 10 ** (-snr_db / 10))  # a unit sine's per-sample SNR
    crlb = math.sqrt(12 * sigma**2 / ((2 * math.pi) ** 2 * N * (N * N - 1))) * FS
    t = np.arange(N) / FS
    errors = []
    for _ in range(200):
        f = math.exp(rng.uniform(math.log(200.0), math.log(2000.0)))
        x = np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) + sigma * rng.standard_normal(N)
        errors.append(partial_near(fine_power(x), f * 2 ** (rng.uniform(-40, 40) / 1200), FS, N) - f)
    errors = np.array(errors)
    assert np.isfinite(errors).all()
    assert np.sqrt(np.mean(errors**2)) <= 3.0 * crlb


def test_a_number_an_octave_low_is_not_carried_onto_the_notes_fundamental():
    # the note's partials at 620 and 930 Hz; a number at 310 Hz (an octave low) has no partial of its own there
    t = np.arange(N) / FS
    rng = np.random.default_rng(3)
    x = np.sin(2 * np.pi * 620.0 * t) + np.sin(2 * np.pi * 930.0 * t + 1) + 0.5 * rng.standard_normal(N)
    assert math.isnan(partial_near(fine_power(x), 310.0, FS, N))
    assert partial_near(fine_power(x), 615.0, FS, N) == pytest.approx(620.0, abs=1.0)  # 3.5 standard deviations


def test_a_slope_of_steep_noise_is_no_partial():
    # brown noise: in every band the highest bin is the band's lowest; following it would walk down the spectrum
    rng = np.random.default_rng(4)
    walks = [np.cumsum(rng.standard_normal(N)) for _ in range(200)]
    found = [math.isfinite(partial_near(fine_power(walk), 60.0, FS, N)) for walk in walks]
    assert np.mean(found) <= 2 * FOLLOW_FALSE


def noisy_follower(rms=1.0):
    """A note follower that has heard 2 s of noise of ``rms``: a stream where the noise is loud."""
    follower = NoteFollower(FS, 512, {"fft"}, fmin=40.0)
    count = follower.windows
    noise = rms * np.random.default_rng(8).standard_normal((count, N))
    follower.follow(np.arange(-count, 0) * 512, noise, {"fft": [Estimate.nothing(NO_TONE)] * count})
    return follower


def follower_run(levels, results_in, starts=None, marks=None, follower=None):
    """A noisy stream's follower over windows of a 440 Hz tone (its RMS ``levels``) in faint noise."""
    rng = np.random.default_rng(6)
    t = np.arange(N) / FS
    frames = np.stack(
        [
            level * math.sqrt(2) * np.sin(2 * np.pi * 440.0 * t) + 0.05 * level * rng.standard_normal(N)
            for level in levels
        ]
    )
    starts = np.arange(len(levels)) * 512 if starts is None else np.asarray(starts)
    results = {"fft": list(results_in)}
    (follower or noisy_follower()).follow(starts, frames, results, marks)
    return results["fft"]


def test_the_windows_after_a_read_one_are_followed_at_their_partial():
    out = follower_run([1.0] * 4, [ok_estimate(441.0)] + [Estimate.nothing(NO_TONE)] * 3)
    assert [e.status for e in out] == [OK] * 4
    assert [e.confidence for e in out[1:]] == [FOLLOWED_CONFIDENCE] * 3
    assert np.abs(cents([e.hz for e in out[1:]], 440.0)).max() < 1.0


def test_a_softer_window_a_gap_in_the_stream_or_the_gate_stops_following():
    nothing = Estimate.nothing(NO_TONE)
    # 3 dB under the last window read: where a note stops, what is left is softer
    softer = follower_run([1.0, 1.0, 10 ** (-3 / 20)], [ok_estimate(440.0), nothing, nothing])
    assert [e.status for e in softer] == [OK, OK, NO_TONE]
    # a window skipped (the live path fell behind): the next is not the last one's neighbour
    skipped = follower_run([1.0, 1.0], [ok_estimate(440.0), nothing], starts=[0, 1024])
    assert [e.status for e in skipped] == [OK, NO_TONE]
    # quiet or faint by the gate
    quiet = Marks(np.array([False, True, False]), np.array([False, False, True]), *np.zeros((2, 3), dtype=bool))
    gated = follower_run([1.0] * 3, [ok_estimate(440.0), nothing, nothing], marks=quiet)
    assert [e.status for e in gated] == [OK, NO_TONE, NO_TONE]
    # out of range and errors stay as they are
    kept = follower_run([1.0] * 3, [ok_estimate(440.0), Estimate.nothing("out_of_range"), Estimate.nothing("error")])
    assert [e.status for e in kept] == [OK, "out_of_range", "error"]


def test_a_stream_that_falls_far_quieter_or_has_just_started_is_not_followed():
    # a window an estimator could not read has no loud noise to blame where the stream's quietest window of the
    # last 2 s lies NOISY_DB or more under it: a clean recording's note ends and breaths
    nothing = Estimate.nothing(NO_TONE)
    quiet = noisy_follower(rms=10 ** (-(NOISY_DB + 1) / 20))
    assert [e.status for e in follower_run([1.0] * 3, [ok_estimate(440.0), nothing, nothing], follower=quiet)] == [
        OK,
        NO_TONE,
        NO_TONE,
    ]
    loud = noisy_follower(rms=10 ** (-(NOISY_DB - 1) / 20))
    assert [e.status for e in follower_run([1.0] * 3, [ok_estimate(440.0), nothing, nothing], follower=loud)] == [
        OK
    ] * 3
    # before the stream's start counts as silence: the first 2 s are read window by window
    fresh = NoteFollower(FS, 512, {"fft"}, fmin=40.0)
    assert [e.status for e in follower_run([1.0] * 3, [ok_estimate(440.0), nothing, nothing], follower=fresh)] == [
        OK,
        NO_TONE,
        NO_TONE,
    ]


def test_a_followed_number_stays_near_the_last_one_read():
    # a tone that steps up 60 cents a window: each window is within reach of the one before it, but the walk stops
    # where it leaves DRIFT_CENTS of the number the estimator read itself
    nothing = Estimate.nothing(NO_TONE)
    t = np.arange(N) / FS
    rng = np.random.default_rng(7)
    pitches = 440.0 * 2 ** (np.arange(6) * 60 / 1200)
    frames = np.stack([np.sin(2 * np.pi * f * t) + 0.01 * rng.standard_normal(N) for f in pitches])
    results = {"fft": [ok_estimate(440.0)] + [nothing] * 5}
    noisy_follower().follow(np.arange(6) * 512, frames, results)
    reach = int(DRIFT_CENTS // 60)
    assert [e.status for e in results["fft"]] == [OK] * (reach + 1) + [NO_TONE] * (5 - reach)
    followed = np.array([e.hz for e in results["fft"][1 : reach + 1]])
    assert np.abs(cents(followed, pitches[1 : reach + 1])).max() < 1.0


def test_the_engine_follows_a_voice_through_loud_noise_and_not_into_its_gaps():
    signal, f0 = voice_in_pink_noise()
    alone = Engine(FS, estimators=["fft", "zc"], follow_notes=False).push(signal)
    followed = Engine(FS, estimators=["fft", "zc"]).push(signal)
    sung = f0[[r.start + r.window // 2 for r in alone]]
    voiced = sung > 0

    def numbers(readouts):
        return np.array([r.hz("fft") or 0.0 for r in readouts])

    added = (numbers(alone) == 0) & (numbers(followed) > 0)
    right = np.abs(cents(np.where(added, numbers(followed), 1.0), np.where(voiced, sung, 1.0))) < 50
    assert np.sum(added & voiced & right) >= 0.03 * voiced.sum()  # 22 windows, 5.9% of the voiced ones
    assert np.sum(added & voiced & ~right) <= 0.1 * np.sum(added & voiced)
    assert np.sum(added & ~voiced) <= 1  # the gaps hold breath, softer than the voice in the noise: none
    assert all(r.estimates["fft"].confidence == FOLLOWED_CONFIDENCE for r in np.array(followed)[added])
    # zc gives a number only where its crossings can be trusted: it is not followed
    assert [r.estimates["zc"] for r in followed] == [r.estimates["zc"] for r in alone]


def test_block_sizes_do_not_change_the_followed_readouts():
    signal = voice_in_pink_noise()[0]
    whole = Engine(FS, estimators=["fft"]).push(signal)
    pieces = push_in_pieces(Engine(FS, estimators=["fft"]), signal, 20000)
    assert [(r.start, r.estimates) for r in pieces] == [(r.start, r.estimates) for r in whole]
    assert any(r.estimates["fft"].confidence == FOLLOWED_CONFIDENCE for r in whole)


def test_no_follow_reaches_the_engine_from_the_command_line_the_batch_and_the_plot(tmp_path, monkeypatch):
    """``--no-follow`` reads every window on its own, in ``streamfreq``, ``streamfreq batch`` and ``streamfreq
    plot`` alike, as ``analyze_file(follow_notes=False)`` does; without it each reads as the default does."""
    import csv
    import io

    import pyarrow.parquet as pq
    import soundfile
    from conftest import run_cli

    import streamfreq.plot as plot
    from streamfreq import analyze_file
    from streamfreq.batch.cli import main as batch_main
    from streamfreq.batch.store import PARTS

    path = tmp_path / "voice_in_noise.wav"
    soundfile.write(path, voice_in_pink_noise()[0], int(FS), subtype="FLOAT")
    expected = {
        follow: analyze_file(path, estimators=["fft"], follow_notes=follow).f0["fft"] for follow in (True, False)
    }
    assert np.sum(np.isnan(expected[False]) & ~np.isnan(expected[True])) >= 5  # the default follows some windows
    drawn = {}
    real = plot.plot_file
    monkeypatch.setattr(plot, "plot_file", lambda *a, **k: drawn.setdefault(k["follow_notes"], real(*a, **k)))
    for follow, option in ((True, []), (False, ["--no-follow"])):
        result = run_cli("--input", str(path), "--format", "csv", "--estimators", "fft", *option)
        assert result.returncode == 0, result.stderr.decode()
        rows = csv.DictReader(io.StringIO(result.stdout.decode()))
        np.testing.assert_allclose([float(r["fft"] or "nan") for r in rows], expected[follow], rtol=0, atol=1e-5)
        out = tmp_path / f"batch{len(option)}"
        assert batch_main([str(path), "--out", str(out), "--estimators", "fft", "--quiet", *option]) == 0
        np.testing.assert_array_equal(pq.read_table(out / PARTS).column("fft").to_numpy(), expected[follow])
        picture = str(tmp_path / f"{len(option)}.png")
        assert plot.main([str(path), "-o", picture, "--estimators", "fft", *option]) == 0
        np.testing.assert_array_equal(drawn[follow].f0["fft"], expected[follow])
