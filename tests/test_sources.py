"""Synth, file and stdin sources: samples, formats, channels, pacing flags and truth."""

import io

import numpy as np
import pytest
import soundfile

from streamfreq.signals import LinearSweep, LogSweep, Steps, noise_sigma
from streamfreq.sources.file import FileSource
from streamfreq.sources.stdin import StdinSource
from streamfreq.sources.synth import SynthSource


def collect(source) -> np.ndarray:
    return np.concatenate(list(source.blocks()))


def test_synth_tone_is_phase_continuous_across_blocks():
    blocks = collect(SynthSource(1000.0, 48000, amplitude=1.0, duration=0.1, realtime=False, block=77))
    n = np.arange(4800)
    np.testing.assert_allclose(blocks, np.cos(2 * np.pi * 1000 * n / 48000), atol=2e-6)


def test_synth_frequency_steps_keep_the_phase_continuous():
    source = SynthSource(
        samplerate=8000, schedule=Steps([(0.0, 300.0), (0.05, 500.0)]), amplitude=1.0, duration=0.1, realtime=False
    )
    x = collect(source).astype(np.float64)
    assert np.max(np.abs(np.diff(x))) <= 2 * np.pi * 500 / 8000 + 1e-5  # no jump at the step
    assert source.truth_at(399) == 300.0 and source.truth_at(400) == 500.0


@pytest.mark.parametrize("schedule", [LinearSweep(100.0, 1100.0, 1.0), LogSweep(100.0, 1100.0, 1.0)])
def test_sweeps_report_their_instantaneous_frequency(schedule):
    source = SynthSource(samplerate=8000, schedule=schedule, duration=1.0, realtime=False)
    assert source.truth_at(0) == pytest.approx(100.0)
    assert source.truth_at(8000) == pytest.approx(1100.0)
    middle = 600.0 if isinstance(schedule, LinearSweep) else np.sqrt(100.0 * 1100.0)
    assert source.truth_at(4000) == pytest.approx(middle)


def test_synth_noise_has_the_requested_snr_and_is_seeded():
    def make(seed):
        return SynthSource(440.0, 48000, amplitude=0.5, snr_db=10.0, duration=1.0, realtime=False, seed=seed)

    a, b, c = collect(make(1)), collect(make(1)), collect(make(2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    clean = collect(SynthSource(440.0, 48000, amplitude=0.5, duration=1.0, realtime=False))
    assert np.std(a - clean) == pytest.approx(noise_sigma(0.5, 10.0), rel=0.01)


@pytest.mark.parametrize(
    ("suffix", "subtype"),
    [(".wav", "PCM_16"), (".wav", "FLOAT"), (".flac", "PCM_24"), (".ogg", "VORBIS"), (".mp3", "MPEG_LAYER_III")],
)
def test_file_formats_read_as_float_mono(tmp_path, suffix, subtype):
    """Read in blocks of 1000 frames. libsndfile garbles every MP3 read after the first (the code before
    decoding MP3 whole read 82% of this tone's samples up to 0.45 off)."""
    t = np.arange(24000) / 24000
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.25 * np.sin(2 * np.pi * 440 * t)], axis=1)
    path = tmp_path / f"tone{suffix}"
    soundfile.write(path, stereo, 24000, subtype=subtype)
    with FileSource(path, block=1000) as source:
        mixed = collect(source)
    assert source.samplerate == 24000 and source.channels == 2
    assert mixed.dtype == np.float32 and len(mixed) == 24000
    tolerance = 0.05 if subtype in ("VORBIS", "MPEG_LAYER_III") else 1e-3
    np.testing.assert_allclose(mixed[1000:-1000], 0.375 * np.sin(2 * np.pi * 440 * t[1000:-1000]), atol=tolerance)
    with FileSource(path, channel=1) as source:
        right = collect(source)
    np.testing.assert_allclose(right[1000:-1000], stereo[1000:-1000, 1], atol=tolerance)


def test_an_mp3_on_standard_input_decodes_as_one_read_does():
    """Blocks of 4800 frames through a pipe: libsndfile garbles every MP3 read after the first, so the stream is
    decoded in one read and cut into blocks (before, the blocks strayed up to 0.59 from the decoded samples)."""
    from streamfreq.sources.stdin import open_stdin

    t = np.arange(96000) / 48000
    coded = io.BytesIO()
    soundfile.write(coded, 0.5 * np.sin(2 * np.pi * 440 * t) * np.sin(2 * np.pi * 3 * t), 48000, format="MP3")
    whole = soundfile.read(io.BytesIO(coded.getvalue()), dtype="float32")[0]
    with open_stdin(io.BytesIO(coded.getvalue())) as source:
        source.block = 4800
        sizes, mixed = [], []
        for block in source.blocks():
            sizes.append(len(block))
            mixed.append(block)
    assert max(sizes) == 4800
    np.testing.assert_array_equal(np.concatenate(mixed), whole)


def test_raw_pcm_options_on_an_encoded_stream_are_named_as_ignored():
    """A WAV piped in with --samplerate and --pcm: the stream's own header wins, and the source says so once."""
    from streamfreq.sources.stdin import open_stdin

    coded = io.BytesIO()
    soundfile.write(coded, np.zeros(4800), 44100, format="WAV")
    with open_stdin(io.BytesIO(coded.getvalue()), samplerate=8000, pcm="u8") as source:
        assert source.samplerate == 44100
        assert source.warnings == [
            "the WAV stream brings its own samplerate (44100 Hz) and layout; --samplerate, --pcm describe raw PCM "
            "only and are ignored"
        ]
    with open_stdin(io.BytesIO(coded.getvalue())) as source:
        assert source.warnings == []


def test_an_mp3_too_long_to_decode_whole_is_refused_with_what_to_do(tmp_path, monkeypatch):
    from streamfreq.errors import SourceError
    from streamfreq.sources import file

    path = tmp_path / "long.mp3"
    soundfile.write(path, np.zeros(48000), 48000, format="MP3")
    monkeypatch.setattr(file, "MP3_MAX_SAMPLES", 24000)
    with pytest.raises(SourceError, match="convert it to FLAC or WAV first"):
        FileSource(path)


def test_file_is_read_in_blocks_not_whole(tmp_path):
    path = tmp_path / "long.wav"
    soundfile.write(path, np.zeros(100_000, dtype=np.int16), 8000)
    with FileSource(path, block=4096) as source:
        sizes = [len(b) for b in source.blocks()]
    assert max(sizes) == 4096 and sum(sizes) == 100_000


@pytest.mark.parametrize(
    ("pcm", "dtype", "scale"), [("s16le", "<i2", 32768), ("s32le", "<i4", 2**31), ("f32le", "<f4", 1)]
)
def test_stdin_decodes_raw_pcm_and_downmixes(pcm, dtype, scale):
    rng = np.random.default_rng(4)
    values = rng.uniform(-0.9, 0.9, (999, 2))
    raw = (values * scale).astype(dtype)
    source = StdinSource(io.BytesIO(raw.tobytes()), samplerate=16000, pcm=pcm, channels=2, block=100)
    expected = raw.astype(np.float64).mean(axis=1) / scale
    np.testing.assert_allclose(collect(source), expected, rtol=1e-6, atol=1e-6)


def test_stdin_keeps_partial_frames_for_the_next_read():
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = data

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            chunk, self.data = self.data[:3], self.data[3:]  # 3 bytes: never whole int16 stereo frames
            return chunk

    samples = np.arange(-50, 50, dtype="<i2")
    source = StdinSource(Trickle(samples.tobytes()), samplerate=8000, pcm="s16le", channels=1)
    np.testing.assert_array_equal(collect(source), samples / 32768.0)
