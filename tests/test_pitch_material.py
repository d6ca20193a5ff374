"""The pitch benchmark's scoring on hand-made tracks, and the rendered instrument notes."""

import argparse
import importlib.util
import multiprocessing
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import require_tool

from streamfreq.errors import ParameterError, SourceError
from streamfreq.material import (
    INSTRUMENTS,
    PATCH_SET,
    SOUNDFONT,
    VIBRATO_WHEEL,
    Note,
    _variable_length,
    midi_file,
    midi_hz,
    note_set,
    patch_programs,
    render_notes,
)

_SPEC = importlib.util.spec_from_file_location("pitch_benchmark", Path(__file__).parent.parent / "benchmarks/pitch.py")
pitch = sys.modules.setdefault("pitch_benchmark", importlib.util.module_from_spec(_SPEC))
_SPEC.loader.exec_module(pitch)

TIMES = np.arange(100) * 0.01
VOICED = np.where((TIMES >= 0.2) & (TIMES < 0.8), 220.0, 0.0)  # 60 voiced frames, 40 unvoiced


def cents(hz: np.ndarray, c: float) -> np.ndarray:
    return hz * 2.0 ** (c / 1200.0)


def test_a_perfect_track_scores_perfectly():
    m = pitch.score(TIMES, VOICED, TIMES, VOICED)
    assert (m["raw_pitch"], m["raw_chroma"], m["voicing_recall"], m["voicing_false_alarm"], m["overall"]) == (
        1.0, 1.0, 1.0, 0.0, 1.0,
    )  # fmt: skip
    assert m["median_cents"] == 0.0 and m["gross_error"] == 0.0 and m["frames"] == 60


def test_octave_errors_count_against_raw_pitch_but_not_raw_chroma():
    estimate = VOICED.copy()
    estimate[20:50] *= 2.0  # half the voiced frames an octave up
    m = pitch.score(TIMES, VOICED, TIMES, estimate)
    assert m["raw_pitch"] == pytest.approx(0.5) and m["raw_chroma"] == pytest.approx(1.0)
    assert m["gross_error"] == pytest.approx(0.5) and m["overall"] == pytest.approx(0.7)  # 30 right + 40 unvoiced


def test_the_tolerance_is_strictly_below_50_cents_and_the_median_is_over_correct_frames():
    estimate = VOICED.copy()
    estimate[20:50] = cents(VOICED[20:50], 49.9)
    estimate[50:80] = cents(VOICED[50:80], -50.1)
    m = pitch.score(TIMES, VOICED, TIMES, estimate)
    assert m["raw_pitch"] == pytest.approx(0.5)
    assert m["median_cents"] == pytest.approx(49.9, abs=1e-6)
    assert m["gross_error"] == pytest.approx(0.5)


def test_false_alarms_missed_frames_and_unscored_frames():
    estimate = VOICED.copy()
    estimate[:10] = 300.0  # numbers on 10 of 40 unvoiced frames
    estimate[20:35] = np.nan  # no number on 15 of 60 voiced frames
    reference = VOICED.copy()
    reference[90:] = np.nan  # not scored
    m = pitch.score(TIMES, reference, TIMES, estimate)
    assert m["voicing_false_alarm"] == pytest.approx(10 / 30)
    assert m["voicing_recall"] == pytest.approx(45 / 60) and m["raw_pitch"] == pytest.approx(45 / 60)
    assert m["overall"] == pytest.approx((45 + 20) / 90)


def test_an_estimate_on_another_time_grid_is_resampled_onto_the_reference():
    est_times = np.arange(200) * 0.005  # twice as dense
    estimate = np.interp(est_times, TIMES, np.where(VOICED > 0, 220.0, 0.0))
    estimate = np.where(estimate == 220.0, 220.0, 0.0)
    m = pitch.score(TIMES, VOICED, est_times, estimate)
    assert m["raw_pitch"] == 1.0 and m["voicing_false_alarm"] == 0.0


def test_cents_off_is_absolute_and_nan_without_a_number():
    assert pitch.cents_off(np.array([440.0, 0.0, 220.0]), np.array([220.0, 220.0, 440.0])).tolist()[0] == 1200.0
    assert np.isnan(pitch.cents_off(np.array([0.0]), np.array([220.0]))[0])


def test_the_note_set_spans_the_instruments_and_30_hz_to_2_khz():
    notes = note_set()
    assert len(notes) >= 150 and len({n.program for n in notes}) >= 12
    assert all(30.0 <= n.hz <= 2000.0 for n in notes)
    ranges = {i.name: (i.low, i.high) for i in INSTRUMENTS}
    assert all(ranges[n.instrument][0] <= n.midi <= ranges[n.instrument][1] for n in notes)


def test_midi_file_bytes():
    assert _variable_length(0) == b"\x00" and _variable_length(0x80) == b"\x81\x00"
    data = midi_file([Note("flute", 73, 72)], hold=0.5, release=0.2)
    assert data[:4] == b"MThd" and data[14:18] == b"MTrk"
    assert int.from_bytes(data[18:22], "big") == len(data) - 22
    assert b"\xc0\x49" in data and b"\x90\x48\x60" in data and data.endswith(b"\xff\x2f\x00")


def test_midi_file_sends_each_note_to_the_effects_at_the_level_asked():
    dry, wet = (midi_file([Note("flute", 73, 72)], hold=0.5, release=0.2, effects=e) for e in (0, 64))
    assert b"\xb0\x5b\x00" in dry and b"\xb0\x5d\x00" in dry  # reverb and chorus sends 0
    assert b"\xb0\x5b\x40" in wet and b"\xb0\x5d\x40" in wet and len(wet) == len(dry)
    with pytest.raises(ParameterError, match="effects"):
        midi_file([Note("flute", 73, 72)], hold=0.5, release=0.2, effects=128)


def test_midi_file_turns_the_modulation_wheel_only_when_asked():
    plain = midi_file([Note("flute", 73, 72)], hold=0.5, release=0.2)
    assert b"\xb0\x01" not in plain  # the files of notes without vibrato are as they were (and so their cache)
    wheel = midi_file([Note("flute", 73, 72)], hold=0.5, release=0.2, modulation=VIBRATO_WHEEL)
    assert b"\x00\xb0\x01" + bytes([VIBRATO_WHEEL]) in wheel and len(wheel) == len(plain) + 4
    with pytest.raises(ParameterError, match="modulation"):
        midi_file([Note("flute", 73, 72)], hold=0.5, release=0.2, modulation=128)


def test_a_note_played_with_the_modulation_wheel_swings_its_pitch(tmp_path):
    """The soundfont's vibrato moves a trumpet's G4 by tens of cents while the plain note holds its pitch."""
    require_tool("fluidsynth")
    from streamfreq import Engine

    notes = [Note("trumpet", 56, 67)]
    spans = []
    for modulation in (0, VIBRATO_WHEEL):
        note = render_notes(notes, hold=1.2, release=0.2, cache_dir=tmp_path, modulation=modulation)[0]
        readouts = Engine(note.samplerate, estimators=["fft"]).push(note.samples)
        start, stop = note.sustain
        hz = np.array([r.hz("fft") for r in readouts if start <= r.time <= stop])
        assert np.isfinite(hz.astype(float)).all()
        cents_off = 1200.0 * np.log2(hz / note.note.hz)
        assert np.abs(cents_off).max() < 50.0  # still the note: scored within 50 cents
        spans.append(np.ptp(cents_off))
    assert spans[0] < 10.0 and spans[1] > 30.0


def test_notes_through_reverb_and_chorus_keep_sounding_after_the_note_off(tmp_path):
    """The reverb carries a note past its note-off: the release gap, silent when dry, holds its tail."""
    require_tool("fluidsynth")
    notes = [Note("flute", 73, 79)]
    dry, wet = (render_notes(notes, hold=0.6, release=0.6, cache_dir=tmp_path, effects=e)[0] for e in (0, 64))
    gap = slice(int(1.0 * dry.samplerate), None)  # 0.4 s after the note-off: the flute's own release is over
    assert np.sqrt(np.mean(wet.samples[gap] ** 2)) > 10 * np.sqrt(np.mean(dry.samples[gap] ** 2)) + 1e-6


@pytest.mark.parametrize(
    ("soundfont", "packages"),
    [(SOUNDFONT, "fluidsynth musescore-general-soundfont"), (PATCH_SET, "timidity freepats")],
)
def test_a_missing_synthesizer_names_the_packages(monkeypatch, soundfont, packages):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SourceError, match=f"apt-get install {packages}"):
        render_notes([Note("flute", 73, 72)], soundfont=soundfont)


def test_a_missing_patch_set_names_the_packages(tmp_path):
    require_tool("timidity")
    missing = tmp_path / "nowhere.cfg"
    with pytest.raises(SourceError, match=r"nowhere\.cfg not found; install it with: apt-get install timidity"):
        render_notes([Note("flute", 73, 72)], soundfont=str(missing), cache_dir=tmp_path)


def test_a_patch_set_has_the_programs_of_its_bank_0_and_of_the_files_it_sources(tmp_path):
    extra = tmp_path / "extra.cfg"
    extra.write_text("bank 0\n 40\tTone_000/040_Violin.pat amp=100\n")
    config = tmp_path / "set.cfg"
    config.write_text(
        "dir /usr/share/midi/somewhere\n# a comment\ndrumset 0\n 35\tDrum_000/035_Kick.pat\n\n"
        "bank 0\n 0\tTone_000/000_Piano.pat pan=center\n 73\tTone_000/073_Flute.pat # the flute\n"
        f"bank 1\n 5\tTone_001/005_Other.pat\nsource {extra}\n"
    )
    assert patch_programs(str(config)) == {0, 40, 73}


def test_a_note_the_patch_set_has_no_patch_for_is_a_clear_error(tmp_path):
    """timidity would play it from its default configuration's samples, not the patch set's."""
    require_tool("timidity")
    assert 41 not in patch_programs()  # freepats has no viola
    with pytest.raises(SourceError, match=r"freepats\.cfg has no patch for General-MIDI program\(s\) \[41\]"):
        render_notes([Note("flute", 73, 72), Note("viola", 41, 60)], soundfont=PATCH_SET, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_no_soundfont_is_a_clear_error(tmp_path):
    """fluidsynth itself skips such a file and plays its default font, exit status 0."""
    require_tool("fluidsynth")
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"not a soundfont")
    with pytest.raises(SourceError, match=r"junk\.sf2 is not a SoundFont \(\.sf2 or \.sf3 file\)"):
        render_notes([Note("flute", 73, 72)], soundfont=str(junk), cache_dir=tmp_path / "cache")


def test_the_benchmark_refuses_a_soundfont_it_cannot_use_before_it_runs(tmp_path, capsys):
    require_tool("fluidsynth")
    junk = tmp_path / "junk.sf3"
    junk.write_bytes(b"RIFF\0\0\0\0WAVE")  # a RIFF file, but a WAV's
    with pytest.raises(SystemExit) as stopped:
        pitch.main(["--material", "s,c", "--estimators", "zc", "--no-peers", "--soundfont", str(junk)])
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""  # nothing ran
    assert err.splitlines()[-1].endswith(f"junk.sf3 is not a SoundFont (.sf2 or .sf3 file); give one, e.g. {SOUNDFONT}")


def test_a_failed_rendering_leaves_nothing_in_the_cache(tmp_path, monkeypatch):
    require_tool("fluidsynth")
    failing = subprocess.CompletedProcess([], 1, "", "fluidsynth: error: out of memory")
    monkeypatch.setattr(subprocess, "run", lambda *args, **kwargs: failing)
    with pytest.raises(SourceError, match=r"fluidsynth failed \(1\): fluidsynth: error: out of memory"):
        render_notes([Note("flute", 73, 72)], cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("soundfont", "player"), [(SOUNDFONT, "fluidsynth"), (PATCH_SET, "timidity")])
def test_rendered_notes_sound_at_their_nominal_pitch(tmp_path, soundfont, player):
    require_tool(player)
    notes = [Note("cello", 42, 36), Note("flute", 73, 79), Note("acoustic grand piano", 0, 57)]
    rendered = render_notes(notes, hold=1.0, release=0.3, cache_dir=tmp_path, soundfont=soundfont)
    assert len(list(tmp_path.glob("*.wav"))) == 1
    for note in rendered:
        rate = note.samplerate
        assert len(note.samples) == round(1.3 * rate)
        start, stop = (int(t * rate) for t in note.sustain)
        sustain = note.samples[start:stop].astype(np.float64)
        assert np.sqrt(np.mean(sustain**2)) > 1e-3
        size = 8 * len(sustain)
        spectrum = np.abs(np.fft.rfft(sustain * np.hanning(len(sustain)), size))
        f0 = midi_hz(note.note.midi)

        def band(hz, spectrum=spectrum, size=size, rate=rate):  # strongest bin within 30 cents of hz
            return spectrum[int(hz * 0.983 * size / rate) : int(hz * 1.018 * size / rate) + 2].max()

        harmonics = max(band(k * f0) for k in range(1, 11))
        between = max(band((k + 0.5) * f0) for k in range(10))  # a sub-octave would put energy here
        odd = max(band(k * f0) for k in (1, 3, 5))  # a note sounding an octave up would have none
        assert harmonics > 0.5 * spectrum.max()  # the strongest partial is a harmonic of the nominal f0
        assert between < 0.1 * harmonics and odd > 0.1 * harmonics
    again = render_notes(notes, hold=1.0, release=0.3, cache_dir=tmp_path, soundfont=soundfont)  # from the cache
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(rendered, again, strict=True))


def _render_flute(cache_dir: str) -> bytes:
    return render_notes([Note("flute", 73, 79)], hold=0.6, release=0.3, cache_dir=cache_dir)[0].samples.tobytes()


def test_two_processes_rendering_the_same_notes_at_once_both_get_them(tmp_path):
    """Two benchmarks started together render the same notes into one cache: each renders to files of its own
    (one shared partial file made one of them fail when the other moved it into place)."""
    require_tool("fluidsynth")
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        first, second = pool.map(_render_flute, [str(tmp_path)] * 2)
    assert first == second and len(first) > 0
    assert [p.suffix for p in tmp_path.iterdir()] == [".wav"]  # one rendering kept, nothing left behind


def test_tone_material_knows_its_f0_noise_and_bound_and_leaves_the_joins_unscored():
    material = pitch.tones_material(3, seed=5, harmonic=True, clip_s=0.2)
    clip, margin = int(0.2 * 48000), int(pitch.MARGIN_S * 48000)
    assert len(material.samples) == 3 * clip and np.all(np.diff(material.segment) >= 0)
    assert material.clips.tolist() == [[0, clip], [clip, 2 * clip], [2 * clip, 3 * clip]]
    for index in range(3):
        f0 = material.f0[index * clip : (index + 1) * clip]
        assert np.isnan(f0[:margin]).all() and np.isnan(f0[-margin:]).all()
        assert 50.0 <= f0[margin] <= 2000.0 and np.all(f0[margin:-margin] == f0[margin])
    assert np.all(material.info["crlb_hz"] > 0) and np.all(np.abs(material.info["snr_db"] - 17.5) <= 22.5)
    times = np.array([-1.0, (clip + margin + 100.5) / 48000, 0.001])
    f0, segment = material.at(times)
    assert np.isnan(f0[0]) and segment[0] == -1
    assert f0[1] == material.f0[clip + margin + 100] and segment[1] == 1
    assert np.isnan(f0[2]) and segment[2] == 0  # inside the first clip's unscored margin


def test_loud_noise_material_draws_its_snr_from_its_own_range():
    material = pitch.build_material("n", quick=True, seed=0)
    assert material.key == "n" and "-5..0 dB" in material.title
    snr = material.info["snr_db"]
    assert len(snr) == 30 and np.all((snr >= -5.0) & (snr < 0.0))
    assert material.info["missing"].any()  # some tones without their fundamental, as in material a


def test_notes_material_from_a_patch_set_plays_only_its_instruments():
    require_tool("timidity")
    material = pitch.build_material("c", quick=True, seed=0, soundfont=PATCH_SET)
    programs = {INSTRUMENTS[i].program for i in material.info["instrument"]}
    assert programs and programs <= patch_programs() and "freepats.cfg via timidity" in material.title
    assert len(programs) == len([i for i in INSTRUMENTS if i.program in patch_programs()][::4])


def test_vibrato_material_plays_only_instruments_played_with_vibrato():
    require_tool("fluidsynth")
    from streamfreq.material import VIBRATO_INSTRUMENTS

    material = pitch.build_material("o", quick=True, seed=0)
    played = {INSTRUMENTS[i].name for i in material.info["instrument"]}
    assert material.key == "o" and "modulation wheel" in material.title
    assert played and played <= set(VIBRATO_INSTRUMENTS)
    assert set(VIBRATO_INSTRUMENTS) <= {i.name for i in INSTRUMENTS}  # every name is one of the instruments


def test_the_room_option_reads_rt60_and_wet_and_rejects_anything_else():
    assert pitch.parse_room("0.3,0.2") == (0.3, 0.2)
    for bad in ("0.3", "0.3,1.5", "a,b", "0,0.2"):
        with pytest.raises(argparse.ArgumentTypeError, match="RT60"):
            pitch.parse_room(bad)


def test_a_drier_room_leaves_the_voice_closer_to_the_dry_one():
    dry = pitch.voice_material(1.0, 4)
    rooms = [pitch.room_voice_material(1.0, 4, rt60, wet) for rt60, wet in ((0.3, 0.2), pitch.ROOM)]
    # the wet share of the energy is what differs from the dry voice (up to the level the reverb adds)
    residual = [np.linalg.norm(r.samples - dry.samples) / np.linalg.norm(r.samples) for r in rooms]
    assert residual[0] < residual[1]
    assert all(np.array_equal(r.f0, dry.f0) for r in rooms)
