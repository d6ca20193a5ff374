"""The streamfreq command end to end, in subprocesses, as other programs would call it."""

import csv
import io
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import soundfile
from conftest import require_tool, run_cli


def jsonl(result) -> list[dict]:
    assert result.returncode == 0, result.stderr.decode()
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def test_synth_jsonl_reads_440():
    rows = jsonl(
        run_cli(
            "--source",
            "synth",
            "--freq",
            "440",
            "--duration",
            "2",
            "--no-realtime",
            "--format",
            "jsonl",
            "--estimators",
            "fft,zc",
        )
    )
    assert len(rows) == 1 + (96000 - 2048) // 512
    for row in rows:
        assert abs(row["fft"] - 440) <= 0.01 and abs(row["zc"] - 440) <= 0.5
        assert row["status"] == {"fft": "ok", "zc": "ok"} and row["truth"] == 440.0
        assert 0 <= row["confidence"]["fft"] <= 1
    assert rows[0]["time"] == pytest.approx(1024 / 48000, abs=1e-6)


def test_live_synth_reports_latency_and_counters():
    rows = jsonl(run_cli("--source", "synth", "--duration", "0.5", "--format", "jsonl", "--estimators", "fft"))
    assert rows and all(row["latency_ms"] >= 0 for row in rows)
    assert all(row["dropped"] == 0 and row["overruns"] == 0 for row in rows)


def test_sox_pipe_reads_1000_hz():
    sox = require_tool("sox")
    pcm = subprocess.run(
        [
            sox,
            "-n",
            "-r",
            "48000",
            "-b",
            "16",
            "-c",
            "1",
            "-e",
            "signed",
            "-t",
            "raw",
            "-",
            "synth",
            "5",
            "sine",
            "1000",
        ],
        capture_output=True,
        check=True,
    ).stdout
    rows = jsonl(
        run_cli(
            "--source",
            "stdin",
            "--samplerate",
            "48000",
            "--pcm",
            "s16le",
            "--format",
            "jsonl",
            "--estimators",
            "fft,zc",
            input=pcm,
        )
    )
    assert len(rows) == 1 + (5 * 48000 - 2048) // 512
    assert all(abs(row["fft"] - 1000) < 0.01 and abs(row["zc"] - 1000) < 0.5 for row in rows)
    assert "truth" not in rows[0] and "latency_ms" not in rows[0]


def test_input_alone_reads_the_file(tmp_path):
    """``streamfreq --input a.wav`` reads the file (``--source file`` is implied), not the synth's 440 Hz."""
    path = tmp_path / "a.wav"
    soundfile.write(path, 0.3 * np.sin(2 * np.pi * 261.63 * np.arange(44100) / 44100), 44100)
    result = run_cli("--input", str(path), "--format", "csv", "--estimators", "fft")
    assert result.returncode == 0, result.stderr.decode()
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode())))
    assert len(rows) == 1 + (44100 - 2048) // 512
    assert all(abs(float(r["fft"]) - 261.63) < 0.01 for r in rows)


def test_file_csv_has_a_row_per_window(tmp_path):
    t = np.arange(44100) / 44100
    path = tmp_path / "a.flac"
    soundfile.write(path, 0.3 * np.sin(2 * np.pi * 261.63 * t), 44100)
    result = run_cli("--source", "file", "--input", str(path), "--format", "csv", "--estimators", "fft,zc")
    assert result.returncode == 0, result.stderr.decode()
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode())))
    assert len(rows) == 1 + (44100 - 2048) // 512
    assert {"time", "start", "fft", "zc", "fft_status", "zc_confidence"} <= set(rows[0])
    assert all(abs(float(r["fft"]) - 261.63) < 0.01 for r in rows)


def test_table_is_for_people():
    result = run_cli("--source", "synth", "--freq", "261.63", "--duration", "1", "--no-realtime", "--estimators", "fft")
    lines = result.stdout.decode().splitlines()
    assert result.returncode == 0
    assert lines[0].split()[:2] == ["time", "fft"] and "truth" in lines[0]
    assert 2 < len(lines) <= 6  # throttled to about four lines per second of audio
    assert "261.63 Hz C4" in lines[1]


def test_silence_is_no_tone_not_zero_hz():
    rows = jsonl(
        run_cli(
            "--source",
            "synth",
            "--amplitude",
            "0",
            "--duration",
            "0.2",
            "--no-realtime",
            "--format",
            "jsonl",
            "--estimators",
            "fft,zc",
        )
    )
    assert all(row["fft"] is None and row["status"]["fft"] == "no_tone" for row in rows)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--hop", "0"], 2, r"hop must be in 1\.\.2048 \(got 0\)"),
        (["--window", "8"], 2, r"window must be in 16\.\.1048576 \(got 8\)"),
        (["--estimators", "fft,yin"], 2, r"estimator must be one of fft, zc, lstm \(got 'yin'\)"),
        (["--freq", "30000"], 2, r"freq must be in 0\.\.24000 \(got 30000\.0\)"),
        (["--source", "file", "--input", "/no/such.wav"], 1, r"cannot open '/no/such.wav': no such file"),
        (["--source", "stdin"], 2, r"samplerate is required for raw PCM on standard input, e\.g\. --samplerate"),
        (["--source", "nope"], 2, r"invalid choice: 'nope'"),
        (["--window", "big"], 2, r"argument --window: invalid int value: 'big'"),
        (["--fmin", "20", "--window", "2048"], 2, r"window must hold 2 periods of fmin 20 Hz"),
        (["--seed", "-1"], 2, r"seed must be in 0\.\.4294967295 \(got -1\)"),
        (["--steps", "440,99999"], 2, r"steps must be in 0\.\.24000 \(got 99999\.0\)"),
        (["--steps=-440,880"], 2, r"steps must be in 0\.\.24000 \(got -440\.0\)"),
        (["--steps", "440,880", "--step-seconds", "0"], 2, r"step-seconds must be in 0\.001\.\.10000000 \(got 0\.0\)"),
        (["--sweep", "100:1e9:1"], 2, r"sweep F1 must be in 0\.\.24000"),
        (["--sweep", "100:2000:inf"], 2, r"sweep SECONDS must be in 0\.001\.\.10000000 \(got inf\)"),
        (["--samplerate", "0"], 2, r"samplerate must be in 1000\.\.768000 \(got 0\.0\)"),
        (["--amplitude", "-1"], 2, r"amplitude must be in 0\.\.1e\+30 \(got -1\.0\)"),
        (["--source", "synth", "--input", "a.wav"], 2, r"--input is read with --source file only"),
        (["--source", "file", "--input", "-"], 2, r"--input is read with --source stdin only"),
    ],
)
def test_errors_are_one_line_with_the_right_exit_code(args, code, message):
    raw_pcm = np.zeros(100, dtype="<i2").tobytes()  # for --source stdin: raw PCM without a samplerate
    result = run_cli(*args, "--duration", "0.1", "--no-realtime", input=raw_pcm)
    stderr = result.stderr.decode()
    assert result.returncode == code
    assert "Traceback" not in stderr
    (line,) = stderr.splitlines()  # one line: no usage block
    assert line.startswith("streamfreq: error: ")
    assert re.search(message, line)
    if code == 2:
        assert line.endswith(" (try --help)")


@pytest.mark.parametrize(
    ("suffix", "subtype"), [(".wav", "PCM_16"), (".flac", "PCM_16"), (".ogg", "VORBIS"), (".mp3", "MPEG_LAYER_III")]
)
@pytest.mark.parametrize("piped", [False, True], ids=["redirected", "piped"])
def test_stdin_decodes_wav_flac_ogg_and_mp3_with_the_rate_from_the_header(tmp_path, suffix, subtype, piped):
    """``streamfreq --source stdin < tone.wav`` (and ``cat tone.flac | streamfreq --input -``): no --samplerate, no
    raw-PCM garbage. The MP3 has no ID3 tag: it is known by its first frame header."""
    rate = 44100
    path = tmp_path / f"tone{suffix}"
    soundfile.write(path, 0.5 * np.sin(2 * np.pi * 440.0 * np.arange(rate) / rate), rate, subtype=subtype)
    source = ["--input", "-"] if piped else ["--source", "stdin"]
    command = [sys.executable, "-m", "streamfreq", *source, "--format", "jsonl", "--estimators", "fft"]
    with open(path, "rb") as stdin:
        if piped:
            result = subprocess.run(command, input=stdin.read(), capture_output=True, timeout=120)
        else:
            result = subprocess.run(command, stdin=stdin, capture_output=True, timeout=120)
    rows = jsonl(result)
    assert len(rows) == 1 + (soundfile.info(path).frames - 2048) // 512  # an MP3 decodes to whole frames: longer
    assert rows[0]["time"] == pytest.approx(1024 / rate, abs=1e-6)  # the header's 44.1 kHz, not a guess
    tolerance = 0.01 if subtype == "PCM_16" else 0.5  # Vorbis and MP3 are lossy
    assert all(abs(row["fft"] - 440.0) < tolerance for row in rows)


def test_fmin_picks_a_window_long_enough():
    rows = jsonl(
        run_cli(
            "--fmin",
            "30",
            "--freq",
            "35",
            "--duration",
            "1",
            "--no-realtime",
            "--format",
            "jsonl",
            "--estimators",
            "fft",
        )
    )
    assert rows[0]["time"] == pytest.approx(2048 / 48000, abs=1e-6)  # window 4096, centred at 2048
    assert rows[1]["start"] - rows[0]["start"] == 1024  # hop a quarter of it
    assert all(abs(row["fft"] - 35.0) < 0.01 for row in rows)


def test_default_run_with_the_lstm_keeps_stderr_empty():
    """The LiteRT runtime logs an INFO line when it builds its interpreter; it must not reach our stderr."""
    if not os.environ.get("CI"):  # CI installs the lstm extra: there a missing runtime must fail
        pytest.importorskip("ai_edge_litert")
    result = run_cli("--source", "synth", "--duration", "0.1", "--no-realtime", "--format", "jsonl")
    assert result.returncode == 0
    assert result.stderr.decode() == ""
    assert json.loads(result.stdout.decode().splitlines()[0])["status"]["lstm"] == "ok"
