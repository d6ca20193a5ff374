"""Reaching below the floor (streamfreq.reach): a note too low for the window, read again in twice the window.

Every signal is seeded or exact. A stiff-string or harmonic E1 has no noise, so ``fft`` reads it within a few
cents; the reached numbers must equal those of the longer window read on its own, to the last bit.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile

from streamfreq.defaults import REACH_FMIN, lowest_f0
from streamfreq.engine import Engine
from streamfreq.estimators import build_estimator
from streamfreq.estimators.base import NO_TONE, OK, OUT_OF_RANGE, Estimate, HasFloor
from streamfreq.reach import at_window_centre, reach_fmin
from streamfreq.signals import harmonic_tone, sweep_schedule
from tests.conftest import cents, require_tool

RATE = 44100.0
E1 = 41.2034  # a bass's open E string, below the 43.07 Hz floor of the default 2048 samples at 44.1 kHz
PARTIALS = [1.0, 0.8, 0.6, 0.45, 0.3, 0.2]


def bass_e1(seconds: float = 1.0, rate: float = RATE) -> np.ndarray:
    """A plucked-bass-like E1: six partials, a little stiffness, a slow decay (float32)."""
    return harmonic_tone(int(seconds * rate), rate, E1, PARTIALS, inharmonicity=1e-4, decay_s=3.0, seed=3).astype(
        np.float32
    )


def test_a_note_below_the_default_floor_is_read_in_twice_the_window():
    engine = Engine(RATE, estimators=["fft"])
    assert engine.window == 2048 and engine.fmin == lowest_f0(2048, RATE) > E1
    assert engine.reach_fmin == REACH_FMIN == reach_fmin(2048, RATE)
    estimates = [r.estimates["fft"] for r in engine.push(bass_e1())]
    first, rest = estimates[:4], estimates[4:]
    assert [e.status for e in first] == [OUT_OF_RANGE] * 4  # nothing before the stream's start to reach into
    assert all(e.status == OK for e in rest) and len(rest) > 70
    assert np.max(np.abs(cents([e.hz for e in rest], E1))) < 5.0  # stiffness and decay: a few cents at most


def test_a_low_note_without_a_number_whose_waveform_repeats_below_the_floor_is_read_again():
    """A stiff string's C#1 (34.6 Hz, B = 3e-4) with a weak fundamental and 24 partials, in a little noise: in 2048
    samples at 44.1 kHz `fft` gives no number in every window (two periods, the partials unresolved and
    stretched), but the waveform repeats at a period below the floor (``reach.CANDIDATE_REPEATS``): read again,
    75 of its 126 windows get the note and none another number."""
    amplitudes = 1.0 / np.arange(1, 25) ** 0.7
    amplitudes[:2] = 0.1, 0.3
    note = harmonic_tone(int(1.5 * RATE), RATE, 34.6, amplitudes, inharmonicity=3e-4, decay_s=1.5, seed=4)
    note += np.random.default_rng(2).normal(0.0, 1e-3, len(note))
    note = note.astype(np.float32)
    told = Engine(RATE, estimators=["fft"], fmin=lowest_f0(2048, RATE)).push(note)
    assert {r.estimates["fft"].status for r in told} == {NO_TONE}
    numbers = np.array([r.estimates["fft"].hz for r in Engine(RATE, estimators=["fft"]).push(note)])
    numbered = numbers[np.isfinite(numbers)]
    assert len(numbered) >= 60 and np.all(np.abs(cents(numbered, 34.6)) < 50.0)


def stiff_low_note(hz: float, amplitudes: np.ndarray, seed: int, seconds: float = 1.5) -> np.ndarray:
    """A piano-like low note: stiff partials (B = 4e-4), a 2 s decay, noise 60 dB under it (float32)."""
    note = harmonic_tone(int(seconds * RATE), RATE, hz, amplitudes, inharmonicity=4e-4, decay_s=2.0, seed=seed)
    return (note + np.random.default_rng(seed).normal(0.0, 1e-3, len(note))).astype(np.float32)


#: A C1's partials as a piano's lowest strings sound: the 3rd the strongest, the 1st and 2nd weak.
THIRD_STRONGEST = np.array([0.2, 0.4, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.3, 0.2])


@pytest.mark.parametrize("block", [100_000, 700])
def test_a_low_note_is_held_where_the_window_reads_a_partial(block):
    """A stiff C1 (32.7 Hz) whose 3rd partial is its strongest: the default window holds 1.5 periods, and reads the
    stretched 3rd partial (3.1-3.2 times the note) in 7 of its 122 windows between windows reached at the note.
    A window right after one read below the floor is read again in twice the window too (``reach.HOLD_REPEATS``):
    every window reads the note."""
    estimates = [
        r.estimates["fft"] for r in Engine(RATE, estimators=["fft"]).push(stiff_low_note(32.7, THIRD_STRONGEST, 8))
    ]
    assert all(e.ok for e in estimates[4:])
    assert np.abs(cents([e.hz for e in estimates[4:]], 32.7)).max() < 50.0


def test_a_low_note_is_held_through_its_decay():
    """A stiff E1 (41.2 Hz, partials falling as 1 / sqrt(l)): 22 of the decay's 122 windows got no number (the
    longer window repeats at the note at 0.5..0.7, under ``reach.REACH_REPEATS``); held from the window before,
    every window reads the note."""
    note = stiff_low_note(41.2, 1.0 / np.sqrt(np.arange(1, 31)), 7)
    estimates = [r.estimates["fft"] for r in Engine(RATE, estimators=["fft"]).push(note)]
    assert all(e.ok for e in estimates[4:])
    assert np.abs(cents([e.hz for e in estimates[4:]], 41.2)).max() < 50.0


def test_a_held_note_lets_go_where_the_next_note_sounds_alone_in_the_longer_window():
    """A C1 and then a G2, its 3rd partial's pitch (the G2 repeats at the C1's period too): once twice the window
    holds the G2 alone, every window reads the G2."""
    c1 = stiff_low_note(32.7, THIRD_STRONGEST, 8, seconds=1.0)
    g2 = harmonic_tone(int(RATE), RATE, 98.1, [1.0, 0.6, 0.4, 0.3], seed=9).astype(np.float32)
    engine = Engine(RATE, estimators=["fft"])
    readouts = engine.push(np.concatenate([c1, 0.5 * g2]))
    after = [r.estimates["fft"] for r in readouts if r.start >= len(c1) + engine.window]
    assert len(after) > 70 and all(e.ok for e in after)
    assert np.abs(cents([e.hz for e in after], 98.1)).max() < 50.0


class StrongestPeak(HasFloor):
    """A stand-in for an estimator that reads a low note's strongest partial: the strongest peak of the window's
    spectrum, ``out_of_range`` below the floor."""

    name = "peak"

    def __init__(self) -> None:
        self.fmin = None

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        n = frames.shape[1]
        padded = 8 * n
        power = np.abs(np.fft.rfft(frames * np.hanning(n), padded, axis=1)) ** 2
        peaks = np.argmax(power[:, 1:], axis=1) + 1
        hz = peaks * samplerate / padded
        floor = self.lowest_hz(n, samplerate)
        return [Estimate(h, 0.9, OK) if h >= floor else Estimate.nothing(OUT_OF_RANGE) for h in hz.tolist()]


def c1_fading_to_its_third(seconds: float, first_floor: float, first_s: float, second_fades: bool) -> np.ndarray:
    """A C1 (float32) whose fundamental falls from 1 towards ``first_floor`` with time constant ``first_s`` (its 2nd
    partial, 0.15, with it where ``second_fades``) while its 3rd sounds on at 0.3."""
    t = np.arange(int(seconds * RATE)) / RATE
    first = first_floor + (1.0 - first_floor) * np.exp(-t / first_s)
    second = 0.15 * (first if second_fades else 1.0)
    note = sum(a * np.cos(2 * np.pi * k * 32.7 * t + k) for k, a in ((1, first), (2, second), (3, 0.3)))
    return note.astype(np.float32)


def fading_c1(seconds: float) -> np.ndarray:
    """A C1 whose fundamental falls from its strongest partial to a third of its 3rd in 0.4 s (float32)."""
    return c1_fading_to_its_third(seconds, 0.1, 0.15, second_fades=False)


def test_a_held_note_whose_longer_window_reads_a_partial_of_it_is_read_at_its_period():
    """A C1 whose fundamental falls from the strongest partial to a third of its 3rd in 0.4 s: an estimator that
    reads the strongest partial reads the note in twice the window at first (reached below the floor), then the
    3rd partial, in the default window and in twice it. The waveform still repeats at the note's period, far
    better than at the 3rd partial's (``reach.HOLD_MARGIN``): a longer window that reads a whole multiple of the
    held note holds the note, read at the window's period near it, and every window after the first reached one
    reads the note."""
    readouts = Engine(RATE, estimators=[StrongestPeak()]).push(fading_c1(1.5))
    estimates = [r.estimates["peak"] for r in readouts]
    first = next(i for i, e in enumerate(estimates) if e.ok and e.hz < 43.0)
    assert first < 10 and all(e.ok for e in estimates[first:])
    assert np.abs(cents([e.hz for e in estimates[first:]], 32.7)).max() < 50.0  # the peak's own bias: 21 cents


class Forgetful(StrongestPeak):
    """:class:`StrongestPeak`, whose copy told ``fmin`` gives no number where its window's last 512 samples hold a
    marked sample (above 5)."""

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        out = super().estimate_many(frames, samplerate)
        if self.fmin is None:
            return out
        marked = np.abs(frames[:, -512:]).max(axis=1) > 5.0
        return [Estimate.nothing(NO_TONE) if m else e for m, e in zip(marked.tolist(), out, strict=True)]


@pytest.mark.parametrize("block", [100_000, 700, 300])
def test_a_held_note_is_held_over_a_window_that_holds_nothing_of_it(block):
    """The fading C1, one sample marked at 0.8 s: the one longer window that ends on it gives no number, and that
    window keeps what it said (the 3rd partial); the window after it is held from the one before, and every other
    window after the first reached one reads the note, however the stream arrives (a block of 300 samples makes
    batches of one window or none)."""
    note = fading_c1(1.5)
    note[int(0.8 * RATE)] = 10.0
    engine = Engine(RATE, estimators=[Forgetful()])
    estimates = [r.estimates["peak"] for i in range(0, len(note), block) for r in engine.push(note[i : i + block])]
    first = next(i for i, e in enumerate(estimates) if e.ok and e.hz < 43.0)
    off = np.abs(cents([e.hz for e in estimates[first:]], 32.7)) >= 50.0
    assert first < 10 and all(e.ok for e in estimates[first:]) and off.sum() == 1


def test_a_held_note_lets_go_where_its_partial_sounds_alone():
    """A C1 whose 1st and 2nd partials die away completely, leaving a tone at its 3rd partial's pitch: once the
    waveform repeats as well at the tone's own period as at the C1's (``reach.HOLD_MARGIN``), the longer window's
    reading of the tone, a whole multiple of the held C1, lets go of the C1, and the tone is read."""
    note = c1_fading_to_its_third(1.5, 0.0, 0.1, second_fades=True)
    estimates = [r.estimates["peak"] for r in Engine(RATE, estimators=[StrongestPeak()]).push(note)]
    assert any(e.ok and e.hz < 43.0 for e in estimates[:10])  # reached at the C1 first
    last = estimates[-40:]
    assert all(e.ok for e in last) and np.abs(cents([e.hz for e in last], 3 * 32.7)).max() < 50.0


def test_a_floor_the_caller_chose_is_not_reached_below():
    """Told ``fmin`` (here the default window's own floor), the engine says out_of_range below it, as asked."""
    told = Engine(RATE, estimators=["fft"], fmin=lowest_f0(2048, RATE))
    assert told.window == 2048 and told.reach_fmin == told.fmin
    assert {r.estimates["fft"].status for r in told.push(bass_e1())} == {OUT_OF_RANGE}


def test_below_the_reach_a_note_stays_out_of_range():
    """A 24 Hz note (below REACH_FMIN) is not reached for: out_of_range or no_tone, never a number."""
    low = harmonic_tone(int(RATE), RATE, 24.0, PARTIALS, seed=4).astype(np.float32)
    statuses = {r.estimates["fft"].status for r in Engine(RATE, estimators=["fft"]).push(low)}
    assert statuses <= {OUT_OF_RANGE, NO_TONE} and OUT_OF_RANGE in statuses


@pytest.mark.parametrize(("hop", "block"), [(512, 100_000), (512, 777), (700, 3000), (2048, 1500)])
def test_reached_numbers_are_the_longer_window_read_on_its_own(hop, block):
    """However the stream arrives and whatever the hop, a reached window is the 2N samples ending where it ends,
    read by the estimator built for the reach and moved along the glide they show to the window's centre, N/2
    later (``reach.at_window_centre``): the same number to the last bit. The note is steady: where it is moved at
    all, by under a cent."""
    samples = bass_e1(1.5)
    engine = Engine(RATE, hop=hop, estimators=["fft"])
    readouts = [r for i in range(0, len(samples), block) for r in engine.push(samples[i : i + block])]
    n = engine.window
    reached = [r for r in readouts if r.estimates["fft"].ok and r.estimates["fft"].hz < engine.fmin]
    assert len(reached) >= len(readouts) - n // hop - 1 > 10
    longer = np.stack([samples[r.start - n : r.start + n] for r in reached])
    alone = np.array([e.hz for e in build_estimator("fft", fmin=engine.reach_fmin).estimate_many(longer, RATE)])
    read = np.array([r.estimates["fft"].hz for r in reached])
    assert read.tolist() == at_window_centre(longer, alone, RATE).tolist()
    assert np.max(np.abs(cents(read, alone))) < 1.0


@pytest.mark.parametrize(
    ("kind", "start_hz", "octaves_per_s", "partials"),
    [("log", 30.0, 1.0, [1.0]), ("linear", 46.0, -1.0, [1.0, 0.6, 0.4, 0.3, 0.2])],
)
def test_a_sweep_reached_below_the_floor_is_read_at_the_window_centre(kind, start_hz, octaves_per_s, partials):
    """A sine sweeping up from 30 Hz at 1 octave per second, and a tone of five partials sweeping down from 46 Hz
    as fast at its low end, 20 dB over white noise, at 48 kHz (the floor 46.9 Hz): a longer window's centre lies
    N/2 = 21 ms before its window's, where the pitch was up to 25.6 cents away. Moved along the glide the longer
    window shows, every window reached below the floor reads within 10 cents of the pitch at its own centre (the
    sweeps' target; the median within 3)."""
    rate, seconds = 48000.0, 0.6
    schedule = sweep_schedule(kind, start_hz, octaves_per_s, seconds)
    tone = harmonic_tone(int(seconds * rate), rate, schedule, partials)
    tone += np.random.default_rng(5).normal(0.0, np.sqrt(np.mean(tone**2) / 100), len(tone))
    engine = Engine(rate, estimators=["fft"])
    readouts = engine.push(tone.astype(np.float32))
    truth = schedule.frequency(np.array([r.start + engine.window / 2 for r in readouts]) / rate)
    hz = np.array([r.estimates["fft"].hz for r in readouts])
    reached = np.flatnonzero(np.isfinite(hz) & (truth < engine.fmin))
    assert len(reached) >= 40
    off = np.abs(cents(hz[reached], truth[reached]))
    assert off.max() < 10.0 and np.median(off) < 3.0


def test_windows_after_a_gap_in_the_stream_are_not_reached_into_it():
    """Windows that hold non-finite samples are skipped; the windows right after them have no clean window before
    them and keep out_of_range, later ones are read again."""
    samples = bass_e1(1.5)
    samples[30000:30010] = np.nan
    engine = Engine(RATE, estimators=["fft"])
    readouts = engine.push(samples)
    assert engine.stats.skipped_windows > 0
    after = [r for r in readouts if r.start > 30010]
    statuses = [r.estimates["fft"].status for r in after]
    assert statuses[:4] == [OUT_OF_RANGE] * 4 and statuses[4:].count(OK) == len(statuses) - 4


def test_the_lstm_reaches_too():
    if not os.environ.get("CI"):  # CI installs the runtime: a missing one fails there
        pytest.importorskip("ai_edge_litert")
    estimates = [r.estimates["lstm"] for r in Engine(RATE, estimators=["lstm"]).push(bass_e1())][4:]
    hz = np.array([e.hz for e in estimates if e.ok])
    assert len(hz) >= 0.9 * len(estimates) and np.all(np.abs(cents(hz, E1)) < 50.0)


def test_at_16_khz_the_raised_floor_is_not_reached_below():
    """At 16 kHz the default window's floor is raised to 40 Hz (rumble in voice recordings), not reached below."""
    engine = Engine(16000.0, estimators=["fft"])
    assert engine.reach_fmin == engine.fmin == 40.0 and engine.reached == []


def test_plucked_notes_below_the_floor_are_read(tmp_path):
    """sox's plucked D1, E1 and F1 (36.7, 41.2 and 43.65 Hz at 44.1 kHz: below the default window's 43.1 Hz floor,
    or within :data:`~streamfreq.estimators.slow_tone.EDGE_RATIO` above it) said ``out_of_range`` (or
    ``no_tone``) in almost every window at the default settings; reached for, ``fft`` reads them right in 250 to 254
    of their 255 windows (F1's windows without a number repeat at a period below the floor: read again too), and
    never wrong."""
    sox = require_tool("sox")
    for note, hz, least_right in (("D1", 36.7, 245), ("E1", 41.2, 245), ("F1", 43.65, 245)):
        path = tmp_path / f"{note}.wav"
        subprocess.run([sox, "-n", "-r", "44100", str(path), "synth", "3", "pluck", note, "vol", "0.8"], check=True)
        samples, _ = soundfile.read(path, dtype="float32")
        numbers = np.array([r.estimates["fft"].hz for r in Engine(RATE, estimators=["fft"]).push(samples)])
        numbered = numbers[np.isfinite(numbers)]
        assert np.all(np.abs(cents(numbered, hz)) < 50.0) and len(numbered) >= least_right, note


@pytest.mark.parametrize("effects", [0, 64])
def test_a_rendered_double_bass_note_below_the_floor_is_read(effects):
    """MuseScore General's double bass at E1 (41.2 Hz at 44.1 kHz), which every estimator called out_of_range in
    its sustain at the default window: reached for, `fft` reads 57 of its 61 sustain windows right (59 with reverb
    and chorus) and the LSTM all of them."""
    require_tool("fluidsynth")
    from streamfreq.estimators.lstm import lstm_available
    from streamfreq.material import Note, render_notes

    note = render_notes([Note("contrabass", 43, 28)], hold=1.0, release=0.3, effects=effects)[0]
    names = ["fft", "lstm"] if lstm_available() else ["fft"]
    start, stop = (int(s * note.samplerate) for s in note.sustain)
    readouts = [r for r in Engine(note.samplerate, estimators=names).push(note.samples) if start <= r.start]
    readouts = [r for r in readouts if r.start + r.window <= stop]
    assert len(readouts) > 50
    for name in names:
        hz = np.array([r.estimates[name].hz for r in readouts])
        assert np.mean(np.abs(cents(hz, note.note.hz)) < 50.0) >= 0.9, name


def test_reaching_a_gliding_note_imports_nothing_slow():
    """Reading a gliding note below the floor (its glide fitted at a lowered rate) loads no scipy.signal: importing
    it takes about half a second, which the live path would spend at the first window reached, dropping windows."""
    code = (
        "import sys, numpy as np\n"
        "from streamfreq import analyze\n"
        "from streamfreq.signals import harmonic_tone, sweep_schedule\n"
        "sweep = harmonic_tone(48000, 48000.0, sweep_schedule('log', 30.0, 1.0, 1.0), [1.0, 0.5])\n"
        "track = analyze(sweep.astype(np.float32), 48000.0, estimators=['fft'])\n"
        "assert np.isfinite(track.f0['fft'][4:20]).all()\n"
        "print('scipy.signal' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
