"""The recorded-notes benchmark's own arithmetic: note names, the scored part of a note, clips tracked one by one."""

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

_BENCHMARKS = Path(__file__).parent.parent / "benchmarks"
sys.path.insert(0, str(_BENCHMARKS))
_SPEC = importlib.util.spec_from_file_location("samples_benchmark", _BENCHMARKS / "samples.py")
samples = sys.modules.setdefault("samples_benchmark", importlib.util.module_from_spec(_SPEC))
_SPEC.loader.exec_module(samples)
pitch = sys.modules["pitch"]  # the pitch benchmark as samples.py imports it


@pytest.mark.parametrize(
    ("name", "hz"),
    [("A4.mp3", 440.0), ("C4.mp3", 261.6256), ("As2.mp3", 116.5409), ("F2 v2.mp3", 87.3071), ("C1.mp3", 32.7032)],
)
def test_a_file_name_gives_its_equal_tempered_note(name, hz):
    assert samples.note_hz(name) == pytest.approx(hz, abs=1e-4)


def test_a_file_named_after_no_note_is_an_error():
    with pytest.raises(ValueError, match="names no note"):
        samples.note_hz("README.md")


def test_a_file_that_sounds_another_note_is_scored_at_what_it_sounds():
    assert samples.sounding_hz(Path("cache/trumpet/C3.mp3")) == pytest.approx(samples.note_hz("C4"))
    assert samples.sounding_hz(Path("cache/cello/C3.mp3")) == pytest.approx(samples.note_hz("C3"))


def test_the_scored_part_starts_after_the_onset_and_stops_30_db_down_the_decay():
    rate, tau = 8000.0, 0.2  # the envelope falls 30 dB in 30 / (20 log10 e) tau = 0.69 s
    t = np.arange(int(2.0 * rate)) / rate
    onset = 0.2
    note = np.where(t >= onset, np.exp(-(t - onset) / tau) * np.sin(2 * np.pi * 200.0 * t), 0.0)
    start, stop = samples.scored_span(note.astype(np.float32), rate)
    hop = samples.ENVELOPE_S
    assert start / rate == pytest.approx(onset + samples.ATTACK_S, abs=hop)
    decay = samples.DECAY_DB / (20.0 * math.log10(math.e)) * tau
    assert stop / rate == pytest.approx(onset + decay, abs=2 * hop)


def test_a_note_that_never_decays_is_scored_to_its_end():
    rate = 8000.0
    note = np.sin(2 * np.pi * 200.0 * np.arange(int(rate)) / rate).astype(np.float32)
    start, stop = samples.scored_span(note, rate)
    assert start == int(samples.ATTACK_S * rate) and stop == len(note)


def test_a_frame_on_a_clip_s_last_sample_is_left_to_the_next_clip():
    rate, clip = 1000.0, 500
    material = pitch.Material(
        "x", "two clips", np.zeros(2 * clip, np.float32), rate, np.full(2 * clip, 100.0), np.zeros(2 * clip, np.int32),
        clips=np.array([[0, clip], [clip, 2 * clip]]),
    )  # fmt: skip

    def every_tenth_of_a_second_to_the_end(samples_: np.ndarray, samplerate: float, _: float):
        times = np.arange(0.0, len(samples_) / samplerate + 1e-9, 0.1)  # 0.0 .. 0.5: the last on the clip's end
        return times, np.full(len(times), 100.0)

    run = pitch.run_tracker(pitch.Tracker("edge", every_tenth_of_a_second_to_the_end), material)
    assert np.all(np.diff(run.times) > 0)
    assert run.times.tolist() == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
