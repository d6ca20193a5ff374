"""analyze / analyze_file -> Track: the streaming engine's numbers, window for window, as columns."""

import sys
import tracemalloc

import numpy as np
import pytest
import soundfile
from conftest import push_in_pieces

from streamfreq import Track, analyze, analyze_file
from streamfreq.engine import Engine
from streamfreq.errors import ParameterError, SourceError
from streamfreq.estimators import available_estimators
from streamfreq.signals import Constant, Steps, ToneGenerator

FS = 48000


def signal(seconds: float, seed: int = 0) -> np.ndarray:
    """Steps between tones, a silent stretch and noise: windows of every status."""
    rng = np.random.default_rng(seed)
    tones = ToneGenerator(Steps([(0, 220.0), (0.3, 1234.5), (0.6, 80.0)]), FS, snr_db=15, seed=seed)
    y = tones.next_block(round(seconds * FS)).astype(np.float32)
    y[round(0.45 * FS) : round(0.55 * FS)] = 0.0  # silence
    y[round(0.75 * FS) : round(0.85 * FS)] = 0.3 * rng.standard_normal(round(0.1 * FS))  # noise only
    return y


def engine_columns(y: np.ndarray, names, window=None, hop=None, seed=1):
    """Push ``y`` through Engine.push in random blocks; the readouts as columns."""
    readouts = push_in_pieces(Engine(FS, window, hop, names), y, 20000, seed)
    columns = {"start": [r.start for r in readouts], "time": [r.time for r in readouts]}
    for name in names:
        columns[name] = [r.estimates[name].hz if r.estimates[name].ok else np.nan for r in readouts]
        columns[f"{name}_status"] = [r.estimates[name].status for r in readouts]
        columns[f"{name}_confidence"] = [r.estimates[name].confidence for r in readouts]
    return columns


def assert_same(track: Track, columns: dict) -> None:
    flat = track.columns()
    assert list(flat) == ["time", "start", *(k for k in columns if k not in ("time", "start"))]
    for key, expected in columns.items():
        got = flat[key]
        if got.dtype.kind == "f":
            np.testing.assert_array_equal(got, np.asarray(expected, dtype=np.float64))  # NaN == NaN here
        else:
            assert got.tolist() == list(expected), key


@pytest.mark.parametrize(("window", "hop"), [(None, None), (1024, 300)])
def test_analyze_gives_the_engines_numbers_window_for_window(window, hop):
    y = signal(1.0)
    names = available_estimators()  # the LSTM too when its runtime is installed
    track = analyze(y, FS, estimators=names, window=window, hop=hop)
    columns = engine_columns(y, names, window, hop)
    assert_same(track, columns)
    assert len(track) == 1 + (len(y) - (window or 2048)) // (hop or 512)
    statuses = set(track.status["fft"].tolist())
    assert {"ok", "no_tone"} <= statuses  # the signal exercises more than one status


def test_analyze_file_reads_the_same_samples_in_blocks(tmp_path):
    y = signal(1.0, seed=4)
    path = tmp_path / "s.wav"
    soundfile.write(path, y, FS, subtype="FLOAT")  # float32 on disk: the decoded samples are y exactly
    assert_same(analyze_file(path, estimators=["fft", "zc"]), engine_columns(y, ["fft", "zc"]))


def test_stereo_file_channel_and_mixdown(tmp_path):
    t = np.arange(FS) / FS
    left, right = 0.4 * np.sin(2 * np.pi * 300 * t), 0.4 * np.sin(2 * np.pi * 750 * t)
    stereo = np.stack([left, right], axis=1).astype(np.float32)
    path = tmp_path / "stereo.wav"
    soundfile.write(path, stereo, FS, subtype="FLOAT")
    right_only = analyze_file(path, estimators=["fft"], channel=1)
    assert np.nanmedian(right_only.f0["fft"]) == pytest.approx(750.0, abs=0.01)
    assert_same(right_only, engine_columns(stereo[:, 1], ["fft"]))
    mixed = analyze_file(path, estimators=["fft"])
    assert_same(mixed, engine_columns(stereo.mean(axis=1, dtype=np.float64).astype(np.float32), ["fft"]))
    assert_same(analyze(stereo, FS, estimators=["fft"], channel=1), engine_columns(stereo[:, 1], ["fft"]))


def peak_bytes_analysing(path) -> tuple[int, Track]:
    tracemalloc.start()
    try:
        track = analyze_file(path, estimators=["zc"])
        return tracemalloc.get_traced_memory()[1], track
    finally:
        tracemalloc.stop()


def test_analyze_file_memory_does_not_grow_with_the_file(tmp_path):
    peaks = {}
    # one steady tone, so that every batch holds the same work (an estimator's temporaries follow what a batch
    # holds: a sweep's high end has more crossings), in files of several blocks (defaults.BLOCK)
    for seconds in (30, 90):
        path = tmp_path / f"{seconds}.wav"
        soundfile.write(path, ToneGenerator(Constant(440.0), FS, snr_db=30, seed=1).next_block(seconds * FS), FS)
        analyze_file(path, estimators=["zc"])  # warm up (imports, caches)
        peaks[seconds], track = peak_bytes_analysing(path)
        assert len(track) == 1 + (seconds * FS - 2048) // 512
    # Holding the decoded file would add 60 s x 48 kHz x 4 bytes = 11.5 MB; the Track itself grows by
    # 60 s / 512 samples x ~100 bytes a row, twice while its parts are joined: about 1.1 MB.
    assert peaks[90] - peaks[30] < 2e6, peaks


def test_track_converts_to_arrow_and_pandas_with_nulls_where_there_is_no_number():
    y = signal(1.0)
    track = analyze(y, FS, estimators=["fft", "zc"])
    table = track.to_arrow()
    assert table.column_names == list(track.columns())
    nulls = table.column("fft").null_count
    assert nulls == int(np.count_nonzero(track.status["fft"] != "ok")) > 0
    assert table.schema.metadata[b"window"] == b"2048"
    frame = track.to_pandas()
    assert list(frame.columns) == table.column_names and len(frame) == len(track)
    np.testing.assert_array_equal(frame["fft"].to_numpy(), track.f0["fft"])
    assert frame.attrs["samplerate"] == FS


def test_missing_pyarrow_or_pandas_names_the_extra(monkeypatch):
    track = analyze(signal(1.0), FS, estimators=["zc"])
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r'pyarrow is not installed; .*pip install "streamfreq\[batch\]"'):
        track.to_arrow()
    with pytest.raises(ImportError, match=r'pandas is not installed.*"streamfreq\[batch\]"'):
        track.to_pandas()


def test_shorter_than_a_window_gives_an_empty_track_with_the_columns():
    track = analyze(np.zeros(100, dtype=np.float32), FS, estimators=["fft", "zc"])
    assert len(track) == 0 and track.names == ["fft", "zc"] and track.window == 2048
    assert track.to_arrow().num_rows == 0


def test_concat_of_parts_equals_the_whole():
    y = signal(1.0)
    whole = analyze(y, FS, estimators=["zc"])
    half = len(y) // 2
    from streamfreq.analysis import analyze_blocks

    parts = list(analyze_blocks([y[:half], y[half:]], FS, estimators=["zc"]))
    assert len(parts) == 2
    assert_same(Track.concat(parts), {k: v.tolist() for k, v in whole.columns().items()})


def test_bad_input_raises_specific_errors(tmp_path):
    with pytest.raises(ParameterError, match=r"samples must have shape"):
        analyze(np.zeros((2, 2, 2)), FS)
    with pytest.raises(ParameterError, match=r"hop must be in 1\.\.2048 \(got 0\)"):
        analyze(np.zeros(4096), FS, hop=0)
    with pytest.raises(ParameterError, match=r"channel must be in 0\.\.1 \(got 2\)"):
        analyze(np.zeros((4096, 2)), FS, channel=2)
    with pytest.raises(SourceError, match=r"no such file"):
        analyze_file(tmp_path / "missing.wav")
    (tmp_path / "bad.wav").write_bytes(b"RIFF not really a wave file")
    with pytest.raises(SourceError, match=r"cannot read .* as audio"):
        analyze_file(tmp_path / "bad.wav")


def test_truncated_file_is_analysed_up_to_its_end_with_a_warning(tmp_path):
    path = tmp_path / "t.wav"
    soundfile.write(path, signal(1.0), FS, subtype="PCM_16")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.warns(UserWarning, match=r"is truncated"):
        track = analyze_file(path, estimators=["zc"])
    assert len(track) == 1 + ((len(data) // 2 - 44) // 2 - 2048) // 512
