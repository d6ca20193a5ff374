"""Bad input, one case per row: the library raises a specific exception, the CLI prints one line and exits 1 or 2.

Library rows assert the exception type and a message that names the problem.
CLI rows run :func:`streamfreq.cli.main` in-process and check the exit code,
that stderr holds exactly one ``streamfreq: error:`` line (argparse's usage
lines may precede it) and never a traceback. A few rows go through a real
subprocess too, to check the console entry point and the exit status.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest
import soundfile

from streamfreq import analyze
from streamfreq.cli import main
from streamfreq.engine import Engine
from streamfreq.errors import DeviceError, ModelError, ParameterError, SourceError, StreamfreqError
from streamfreq.estimators import build_estimators
from streamfreq.estimators.lstm import lstm_available
from streamfreq.sources.file import FileSource
from streamfreq.sources.stdin import StdinSource
from streamfreq.sources.synth import SynthSource
from streamfreq.track import Track

RATE = 48000


def _tone(seconds: float, rate: int = RATE, channels: int = 1) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    x = (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    return np.repeat(x[:, None], channels, axis=1) if channels > 1 else x


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """A zoo of good and bad files, written once."""
    d = tmp_path_factory.mktemp("bad")
    paths = {name: str(d / name) for name in ("ok.wav", "stereo.wav", "ok.flac", "ok.ogg")}
    soundfile.write(paths["ok.wav"], _tone(1.0), RATE, subtype="PCM_16")
    soundfile.write(paths["stereo.wav"], _tone(0.5, channels=2), RATE)
    soundfile.write(paths["ok.flac"], _tone(2.0), RATE)
    soundfile.write(paths["ok.ogg"], _tone(2.0), RATE)
    wav = (d / "ok.wav").read_bytes()
    flac = (d / "ok.flac").read_bytes()
    ogg = (d / "ok.ogg").read_bytes()
    codec = bytearray(wav)
    codec[20:22] = struct.pack("<H", 0x1234)  # a WAVE format tag nobody knows
    blobs = {
        "empty.wav": b"",
        "header_only.wav": wav[:30],
        "text.wav": b"this is not audio at all\n" * 40,
        "song.mid": b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60MTrk\x00\x00\x00\x04\x00\xff\x2f\x00",
        "codec.wav": bytes(codec),
        "trunc.wav": wav[: len(wav) // 2],
        "trunc.flac": flac[: len(flac) // 2],
        "stub.flac": flac[:1000],  # cut inside the first audio frame: the decoder cannot even seek
        "trunc.ogg": ogg[: len(ogg) // 2],
    }
    for name, blob in blobs.items():
        (d / name).write_bytes(blob)
        paths[name] = str(d / name)
    paths["low_rate.wav"] = str(d / "low_rate.wav")
    soundfile.write(paths["low_rate.wav"], _tone(1.0, rate=500), 500)
    paths["dir"] = str(d)
    paths["missing.wav"] = str(d / "missing.wav")
    model = d / "corrupt_model"
    model.mkdir()
    (model / "lstm.json").write_text("{not json")
    paths["corrupt_model"] = str(model)
    (d / "garbage.tflite").write_bytes(b"\x00garbage" * 100)
    (d / "garbage.json").write_text(
        '{"length": 256, "range_cycles": [2, 100], "bins": {"count": 64, "low_cycles": 2, "high_cycles": 100},'
        ' "preprocess_version": 1, "tflite": {"1": "garbage.tflite"}}'
    )
    paths["garbage.tflite"] = str(d / "garbage.tflite")
    return paths


# -- library ------------------------------------------------------------------------------------


def _track(rate: int) -> Track:
    """A second of silence analysed at ``rate`` (fft)."""
    return analyze(np.zeros(rate, np.float32), rate, estimators=["fft"])


def _fft(rate: float = RATE) -> Engine:
    return Engine(rate, estimators=["fft"])


LIBRARY_ROWS = [
    # (id, what to call, exception type, message pattern)
    ("missing file", lambda f: FileSource(f["missing.wav"]), SourceError, r"missing\.wav.*no such file"),
    ("empty file", lambda f: FileSource(f["empty.wav"]), SourceError, r"empty\.wav.*empty"),
    ("directory", lambda f: FileSource(f["dir"]), SourceError, r"is a directory"),
    ("a URL", lambda f: FileSource("https://example.com/a.wav"), SourceError, r"https://example\.com/a\.wav.* a URL"),
    ("non-audio file", lambda f: FileSource(f["text.wav"]), SourceError, r"text\.wav.*as audio"),
    ("unsupported: MIDI", lambda f: FileSource(f["song.mid"]), SourceError, r"song\.mid.*as audio"),
    ("unsupported: WAV codec", lambda f: FileSource(f["codec.wav"]), SourceError, r"codec\.wav.*as audio"),
    ("WAV header without data", lambda f: FileSource(f["header_only.wav"]), SourceError, r"header_only\.wav"),
    ("truncated OGG", lambda f: FileSource(f["trunc.ogg"]), SourceError, r"trunc\.ogg.*no readable audio"),
    ("file samplerate", lambda f: FileSource(f["low_rate.wav"]), SourceError, r"500 Hz.*1000\.\.768000"),
    ("file channel", lambda f: FileSource(f["stereo.wav"], channel=5), ParameterError, r"channel.*0\.\.1.*got 5"),
    ("window 0", lambda f: Engine(RATE, 0, 1), ParameterError, r"^window must be in 16\.\.\d+ \(got 0\)$"),
    ("window too small", lambda f: Engine(RATE, 8, 4), ParameterError, r"^window must be in 16\.\..*\(got 8\)$"),
    ("hop 0", lambda f: Engine(RATE, 2048, 0), ParameterError, r"^hop must be in 1\.\.2048 \(got 0\)$"),
    ("hop > window", lambda f: Engine(RATE, 2048, 4096), ParameterError, r"^hop must be in 1\.\.2048 \(got 4096\)$"),
    ("samplerate low", lambda f: Engine(100), ParameterError, r"^samplerate must be in 1000\.\.768000 \(got 100\)$"),
    ("samplerate nan", lambda f: Engine(float("nan")), ParameterError, r"^samplerate must be .*\(got nan\)$"),
    ("samplerate a string", lambda f: analyze(np.zeros(16000), "16000"), ParameterError,
     r"^samplerate must be in 1000\.\.768000 \(got '16000'\)$"),
    ("samplerate None", lambda f: Engine(None), ParameterError, r"^samplerate must be in 1000\.\.768000 \(got None\)$"),
    ("fmin at Nyquist", lambda f: Engine(8000, fmin=4000), ParameterError, r"^fmin must lie between 0 and half .*4000"),
    ("freq > Nyquist", lambda f: SynthSource(30000.0, RATE), ParameterError, r"^freq must be in 0\.\.24000"),
    ("freq < 0", lambda f: SynthSource(-1.0, RATE), ParameterError, r"^freq must be in 0\.\.24000 \(got -1"),
    ("amplitude", lambda f: SynthSource(440.0, RATE, amplitude=1e300), ParameterError, r"^amplitude must be in"),
    ("unknown estimator", lambda f: build_estimators(["fft", "yin"]), ParameterError, r"one of fft, zc, lstm.*'yin'"),
    ("no estimator", lambda f: build_estimators([]), ParameterError, r"at least one"),
    ("repeated estimator", lambda f: build_estimators(["fft", "fft"]), ParameterError, r"must not repeat"),
    ("a path to analyze", lambda f: analyze("/no/such.wav", RATE), ParameterError, r"for a file use analyze_file"),
    ("(channels, frames)", lambda f: analyze(np.zeros((2, 16000)), RATE), ParameterError, r"; pass samples\.T"),
    ("concat of two analyses", lambda f: Track.concat([_track(16000), _track(48000)]), ParameterError,
     r"joins parts of one analysis"),
    ("concat of nothing", lambda f: Track.concat([]), ParameterError, r"at least one part"),
    ("estimators as a string", lambda f: Engine(RATE, estimators="fft"), ParameterError, r"list of names.*\['fft'\]"),
    ("not an estimator", lambda f: Engine(RATE, estimators=["fft", 42]), ParameterError, r"needs a name and estimate"),
    ("bad PCM format", lambda f: StdinSource(samplerate=RATE, pcm="s24le"), ParameterError, r"pcm must be.*s24le"),
    ("PCM channels", lambda f: StdinSource(samplerate=RATE, channels=0), ParameterError, r"^channels must be in 1\."),
    ("PCM samplerate", lambda f: StdinSource(samplerate=10), ParameterError, r"^samplerate must be in 1000"),
    ("complex samples", lambda f: _fft().push(np.zeros(8, complex)), ParameterError, r"integer or float"),
    ("3-D block", lambda f: _fft().push(np.zeros((2, 2, 2))), ParameterError, r"shape \(frames,\)"),
    ("negative duration", lambda f: list(_fft().run(SynthSource(realtime=False), duration=-1)), ParameterError,
     r"^duration must be in 0\.\..*\(got -1\)$"),
    ("samplerate mismatch", lambda f: list(_fft(8000).run(SynthSource(realtime=False))), ParameterError,
     r"samplerate must match"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "pattern"), [r[1:] for r in LIBRARY_ROWS], ids=[r[0] for r in LIBRARY_ROWS])
def test_library_raises_a_specific_error_naming_the_problem(files, call, error, pattern):
    with pytest.raises(error, match=pattern) as info:
        call(files)
    assert isinstance(info.value, StreamfreqError)


def test_errors_subclass_the_fitting_builtins():
    assert issubclass(ParameterError, ValueError)
    assert issubclass(SourceError, OSError) and issubclass(DeviceError, OSError)


def test_missing_model_is_a_model_error(tmp_path):
    if not lstm_available():
        with pytest.raises(ImportError, match=r'pip install "streamfreq\[lstm\]"'):
            build_estimators(["lstm"], tmp_path / "missing")
        return
    with pytest.raises(ModelError, match=r"not found: .*missing"):
        build_estimators(["lstm"], tmp_path / "missing")


@pytest.mark.parametrize("which", ["corrupt_model", "garbage.tflite"])
def test_corrupt_model_is_a_model_error(files, which):
    if not lstm_available():
        with pytest.raises(ImportError, match=r'pip install "streamfreq\[lstm\]"'):
            build_estimators(["lstm"], files[which])
        return
    with pytest.raises(ModelError, match=r"corrupt"):
        build_estimators(["lstm"], files[which])


def test_unknown_device_is_a_device_error():
    pytest.importorskip("sounddevice")  # the audio extra; without it the mic is an ImportError with the fix
    from streamfreq.sources.mic import MicSource

    # With a sound server the name matches nothing; without one (CI) there is no input device at all.
    with pytest.raises(DeviceError, match=r"no-such-device-xyz|no audio input device"):
        MicSource(device="no-such-device-xyz")


def test_truncated_wav_is_read_up_to_where_it_ends_with_a_warning(files):
    source = FileSource(files["trunc.wav"])
    frames = sum(len(block) for block in source.blocks())
    assert frames == source.frames < RATE  # everything that is there, nothing invented
    assert frames > RATE // 2 - 100
    (warning,) = source.warnings
    assert re.search(r"trunc\.wav.*truncated.*promises 48000 frames.*holds \d+", warning)


def test_truncated_flac_yields_every_readable_frame_then_fails(files):
    reference = soundfile.SoundFile(files["trunc.flac"])
    readable = 0
    with pytest.raises(soundfile.LibsndfileError):  # what libsndfile alone can decode, 4096 frames at a time
        while len(block := reference.read(4096)):
            readable += len(block)
    source = FileSource(files["trunc.flac"])
    got = []
    with pytest.raises(SourceError, match=rf"trunc\.flac.*corrupt or truncated after {readable} frames"):
        for block in source.blocks():
            got.append(block)
    samples = np.concatenate(got)
    assert len(samples) == readable > RATE // 2
    np.testing.assert_allclose(samples, _tone(2.0)[:readable], atol=1e-4)  # the salvaged audio is right


def test_a_flac_cut_inside_its_first_frame_fails_as_truncated_not_with_a_decoder_error(files):
    """The salvage step reopens the file and seeks to the last good frame; where even that fails (libsndfile's
    ``psf_fseek``), the file is reported as truncated after the frames read, as any other damage is."""
    with pytest.raises(SourceError, match=r"stub\.flac.*corrupt or truncated after 0 frames"):
        list(FileSource(files["stub.flac"]).blocks())


# -- command line -------------------------------------------------------------------------------

NO_RUN = ["--no-realtime", "--duration", "0.2"]
FFT = ["--estimators", "fft"]

CLI_ROWS = [
    # (id, argv (with {file} placeholders), exit code, pattern of the error line)
    ("unknown source", ["--source", "nope"], 2, r"invalid choice: 'nope'"),
    ("window 0", ["--window", "0", *NO_RUN], 2, r"window must be in 16\.\.\d+ \(got 0\)"),
    ("window not a number", ["--window", "big"], 2, r"--window: invalid int value: 'big'"),
    ("hop 0", ["--hop", "0", *NO_RUN], 2, r"hop must be in 1\.\.2048 \(got 0\)"),
    ("hop > window", ["--window", "1024", "--hop", "2048", *NO_RUN], 2, r"hop must be in 1\.\.1024 \(got 2048\)"),
    ("samplerate", ["--samplerate", "100", *NO_RUN], 2, r"samplerate must be in 1000\.\.768000 \(got 100"),
    ("freq > Nyquist", ["--samplerate", "8000", "--freq", "5000", *NO_RUN], 2, r"freq must be in 0\.\.4000"),
    ("unknown estimator", ["--estimators", "fft,yin", *NO_RUN], 2, r"estimator must be one of .*'yin'"),
    ("duration", ["--duration", "-1", "--no-realtime", *FFT], 2, r"duration must be in 0\.\..*\(got -1"),
    ("bad PCM format", ["--source", "stdin", "--samplerate", "8000", "--pcm", "s24le"], 2, r"invalid choice: 's24le'"),
    ("file needs a path", ["--source", "file"], 2, r"--input PATH is required"),
    ("file channel", ["--source", "file", "--input", "{stereo.wav}", "--channel", "2"], 2, r"channel.*0\.\.1.*got 2"),
    ("missing file", ["--source", "file", "--input", "{missing.wav}"], 1, r"missing\.wav.*no such file"),
    ("empty file", ["--source", "file", "--input", "{empty.wav}"], 1, r"empty\.wav.*empty"),
    ("directory", ["--source", "file", "--input", "{dir}"], 1, r"is a directory"),
    ("a URL", ["--input", "s3://bucket/a.flac"], 1, r"'s3://bucket/a\.flac' is a URL.*download it first"),
    ("non-audio file", ["--source", "file", "--input", "{text.wav}"], 1, r"text\.wav.*as audio"),
    ("unsupported file", ["--source", "file", "--input", "{song.mid}"], 1, r"song\.mid.*as audio"),
    ("unsupported codec", ["--source", "file", "--input", "{codec.wav}"], 1, r"codec\.wav.*as audio"),
    ("file samplerate", ["--source", "file", "--input", "{low_rate.wav}"], 1, r"500 Hz"),
    ("truncated OGG", ["--source", "file", "--input", "{trunc.ogg}"], 1, r"trunc\.ogg.*no readable audio"),
]  # fmt: skip


def _fill(argv: list[str], files: dict[str, str]) -> list[str]:
    return [files[a[1:-1]] if a.startswith("{") else a for a in argv]


def assert_one_error_line(stderr: str, pattern: str) -> None:
    """stderr is exactly one error line matching ``pattern`` (no usage block)."""
    assert "Traceback" not in stderr
    (line,) = stderr.rstrip("\n").splitlines()
    assert line.startswith("streamfreq: error:"), stderr
    assert re.search(pattern, line), line


@pytest.mark.parametrize(("argv", "code", "pattern"), [r[1:] for r in CLI_ROWS], ids=[r[0] for r in CLI_ROWS])
def test_cli_prints_one_line_and_exits_1_or_2(files, capsys, argv, code, pattern):
    try:
        result = main(_fill(argv, files))
    except SystemExit as exit_:  # argparse
        result = exit_.code
    captured = capsys.readouterr()
    assert result == code
    assert_one_error_line(captured.err, pattern)
    assert captured.out == ""


def test_cli_missing_model_is_one_line_exit_1(files, capsys):
    assert main(["--estimators", "lstm", "--model", "/missing/path", *NO_RUN]) == 1
    pattern = r"/missing/path" if lstm_available() else r'pip install "streamfreq\[lstm\]"'
    assert_one_error_line(capsys.readouterr().err, pattern)


@pytest.mark.parametrize("which", ["corrupt_model", "garbage.tflite"])
def test_cli_corrupt_model_is_one_line_exit_1(files, capsys, which):
    assert main(["--estimators", "fft,lstm", "--model", files[which], *NO_RUN]) == 1
    pattern = r"corrupt" if lstm_available() else r'pip install "streamfreq\[lstm\]"'
    assert_one_error_line(capsys.readouterr().err, pattern)


def test_cli_unknown_device_is_one_line(capsys):
    result = main(["--source", "mic", "--device", "no-such-device-xyz", "--duration", "0.2", "--format", "jsonl"])
    captured = capsys.readouterr()
    assert result in (1, 2)
    # Either the device is not there, or there is no sound system at all (CI), or no sounddevice.
    assert_one_error_line(captured.err, r"no-such-device-xyz|no audio input device|sounddevice|PortAudio")


def test_cli_truncated_wav_analyses_what_is_there_and_warns(files, capsys):
    assert main(["--source", "file", "--input", files["trunc.wav"], "--estimators", "fft", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    (warning,) = captured.err.splitlines()
    assert re.match(r"streamfreq: warning: .*trunc\.wav' is truncated", warning)
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    frames = FileSource(files["trunc.wav"]).frames
    assert len(rows) == (frames - 2048) // 512 + 1
    assert all(abs(float(row["fft"]) - 440.0) < 0.01 for row in rows)


def test_cli_counts_the_windows_skipped_for_nan_samples_in_one_warning(tmp_path, capsys):
    path = str(tmp_path / "nan.wav")
    samples = _tone(0.5)
    samples[10000] = np.nan  # in the windows starting at 8192..9728 (window 2048, hop 512): 4 of them
    soundfile.write(path, samples, RATE, subtype="FLOAT")
    assert main(["--input", path, "--estimators", "fft", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "streamfreq: warning: 4 window(s) held NaN or infinite samples and were skipped\n"
    assert len(list(csv.DictReader(io.StringIO(captured.out)))) == (RATE // 2 - 2048) // 512 + 1 - 4


def test_cli_input_shorter_than_a_window_says_so_and_exits_0(tmp_path, capsys):
    path = str(tmp_path / "short.wav")
    soundfile.write(path, _tone(0.02), RATE)  # 960 samples: under one 2048-sample window
    assert main(["--source", "file", "--input", path, "--estimators", "fft", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    (warning,) = captured.err.splitlines()
    assert re.match(r"streamfreq: warning: no whole window in the input \(2048 samples .*shorter --window", warning)
    assert main(["--source", "file", "--input", path, "--estimators", "fft", "--window", "512", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and len(list(csv.DictReader(io.StringIO(captured.out)))) == (960 - 512) // 128 + 1


def test_cli_truncated_flac_writes_everything_before_the_damage_then_exits_1(files, capsys):
    argv = ["--source", "file", "--input", files["trunc.flac"], "--estimators", "fft", "--format", "jsonl"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    match = re.search(r"after (\d+) frames", captured.err)
    assert_one_error_line(captured.err, r"trunc\.flac.*corrupt or truncated after \d+ frames")
    lines = captured.out.splitlines()
    assert len(lines) == (int(match.group(1)) - 2048) // 512 + 1 > 0
    assert all(line.endswith("}") for line in lines)


@pytest.mark.parametrize(
    ("argv", "code", "pattern"),
    [
        (["--hop", "0"], 2, r"hop must be in 1\.\.2048 \(got 0\)"),
        (["--source", "file", "--input", "/no/such/file.wav"], 1, r"/no/such/file\.wav.*no such file"),
        (["--source", "bogus"], 2, r"invalid choice"),
    ],
    ids=["parameter", "runtime", "argparse"],
)
def test_cli_subprocess_exit_status_and_no_traceback(argv, code, pattern):
    done = subprocess.run(
        [sys.executable, "-m", "streamfreq", *argv, "--no-realtime", "--duration", "0.1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == code
    assert_one_error_line(done.stderr, pattern)
    assert done.stdout == ""


def _shell(command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)


STREAMFREQ = f"'{sys.executable}' -m streamfreq --estimators fft --format jsonl"


@pytest.mark.parametrize(
    ("command", "pattern"),
    [
        (f"{STREAMFREQ} --no-realtime --duration 1 > /dev/full", r"cannot write the readouts: No space left"),
        (f"{STREAMFREQ} --no-realtime --duration 1 >&-", r"standard output is closed"),
        (f"{STREAMFREQ} --source stdin --samplerate 8000 <&-", r"standard input is closed"),
        (f'script -qec "{STREAMFREQ} --source stdin --samplerate 8000" /dev/null', r"standard input is a terminal"),
    ],
    ids=["disk full", "stdout closed", "stdin closed", "stdin is a terminal"],
)
def test_cli_unusable_standard_streams_are_one_line_exit_1(command, pattern):
    if command.startswith("script") and shutil.which("script") is None:
        pytest.skip("needs script(1) to give the command a terminal")
    if "/dev/full" in command and not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    done = _shell(command)
    output = done.stderr + (done.stdout if command.startswith("script") else "")  # script merges the streams
    assert done.returncode == 1, output
    assert_one_error_line(output.replace("\r", ""), pattern)
