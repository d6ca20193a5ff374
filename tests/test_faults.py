"""Faults: a failing estimator or source, signals mid-run, a reader that goes away, and overload.

Nothing here waits on a wall-clock threshold for correctness: counts are
exact (every window is either read, skipped and counted, or lost with the
source), and the one latency bound under overload follows from the
engine's rule (``max_latency`` plus the measured cost of a window) with a
generous allowance for a busy machine.
"""

from __future__ import annotations

import csv
import io
import json
import math
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import soundfile

import streamfreq.cli
import streamfreq.engine
from streamfreq.cli import main
from streamfreq.engine import Engine
from streamfreq.errors import SourceError
from streamfreq.estimators.base import ERROR, Estimate
from streamfreq.estimators.fft import FFTEstimator
from streamfreq.estimators.zero_crossing import ZeroCrossingEstimator
from streamfreq.output import CsvWriter, JsonlWriter
from streamfreq.sources.synth import SynthSource

RATE = 8000.0
WINDOW, HOP = 256, 128


def windows_in(samples: int, window: int = WINDOW, hop: int = HOP) -> int:
    return 0 if samples < window else (samples - window) // hop + 1


class FlakyEstimator:
    """Behaves like ``inner`` except on the batches listed in ``fail_on`` (0-based), where it raises."""

    def __init__(self, inner, fail_on: set[int]) -> None:
        self.inner, self.name, self.fail_on, self.calls = inner, inner.name, fail_on, 0

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        call, self.calls = self.calls, self.calls + 1
        if call in self.fail_on:
            raise FloatingPointError(f"model blew up on batch {call}")
        return self.inner.estimate_many(frames, samplerate)


class SlowEstimator:
    """Behaves like ``inner`` but sleeps ``seconds_per_window`` per window: slower than real time on purpose."""

    def __init__(self, inner, seconds_per_window: float) -> None:
        self.inner, self.name, self.seconds_per_window = inner, inner.name, seconds_per_window

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        time.sleep(self.seconds_per_window * len(frames))
        return self.inner.estimate_many(frames, samplerate)


class FailingSynth(SynthSource):
    """A synthetic tone whose stream breaks after ``good_blocks`` blocks, like an unplugged device or a bad disk."""

    def __init__(self, good_blocks: int, **kwargs) -> None:
        super().__init__(1000.0, RATE, snr_db=30.0, block=1000, **kwargs)
        self.good_blocks = good_blocks

    def blocks(self):
        for index, block in enumerate(super().blocks()):
            if index == self.good_blocks:
                raise SourceError("the stream broke: device unplugged")
            yield block


# -- a failing estimator ---------------------------------------------------------------------------


class TrippedByLoudWindows:
    """Behaves like ``inner`` except on a batch holding a window louder than ``limit``, where it raises (a
    numerical corner that one window's content reaches)."""

    def __init__(self, inner, limit: float) -> None:
        self.inner, self.name, self.limit, self.calls = inner, inner.name, limit, 0

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        self.calls += 1
        if np.abs(frames).max(initial=0.0) > self.limit:
            raise FloatingPointError("model blew up on a loud window")
        return self.inner.estimate_many(frames, samplerate)


def test_a_window_that_trips_an_estimator_costs_that_window_alone():
    """A click in one stretch of a file trips an estimator on the windows holding it: those say ``error``, every
    other window of the same batch (the whole signal at once here) keeps its number, and the other estimator
    does not notice."""
    tone = np.sin(2 * np.pi * 1000.0 * np.arange(40000) / RATE)
    tone[20000] = 5.0
    tripped = TrippedByLoudWindows(ZeroCrossingEstimator(), limit=2.0)
    engine = Engine(RATE, WINDOW, HOP, [FFTEstimator(), tripped])
    readouts = engine.push(tone)
    assert len(readouts) == windows_in(40000)
    holding = [r.start <= 20000 < r.start + WINDOW for r in readouts]
    assert sum(holding) == WINDOW // HOP
    for readout, clicked in zip(readouts, holding, strict=True):
        assert readout.estimates["fft"].ok and (readout.estimates["zc"].status == ERROR) == clicked
        assert clicked or abs(readout.hz("zc") - 1000.0) < 0.5
    assert engine.stats.estimator_errors == {"zc": 1}  # one failed batch, however far it was narrowed
    assert engine.stats.last_errors["zc"] == "FloatingPointError: model blew up on a loud window"


def test_an_estimator_that_fails_on_everything_costs_two_more_runs_per_batch():
    broken = TrippedByLoudWindows(ZeroCrossingEstimator(), limit=0.0)
    engine = Engine(RATE, WINDOW, HOP, [FFTEstimator(), broken])
    readouts = engine.push(np.sin(2 * np.pi * 1000.0 * np.arange(40000) / RATE))
    assert all(r.estimates["zc"] == Estimate.nothing(ERROR) and r.estimates["fft"].ok for r in readouts)
    assert broken.calls == 3 * engine.stats.estimator_errors["zc"]


class NumbersNotEstimates:
    """An embedding program's estimator that returns bare numbers (and fails with a two-line message)."""

    name = "mine"

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list:
        return [440.0] * len(frames)


def test_an_estimator_returning_numbers_is_an_error_of_its_own_beside_named_ones():
    """Names and objects mix in one list; results that are not Estimates mark that estimator's readouts ``error``
    (one line in last_errors) and take nothing from the others, the Track included."""
    from streamfreq import analyze

    tone = np.sin(2 * np.pi * 1000.0 * np.arange(8000) / RATE)
    engine = Engine(RATE, WINDOW, HOP, ["fft", NumbersNotEstimates()])
    readouts = engine.push(tone)
    assert engine.names == ["fft", "mine"]
    assert all(abs(r.hz("fft") - 1000.0) < 1e-3 and r.estimates["mine"] == Estimate.nothing(ERROR) for r in readouts)
    assert engine.stats.last_errors["mine"] == "TypeError: returned a float, not an Estimate"
    track = analyze(tone, RATE, estimators=["fft", NumbersNotEstimates()], window=WINDOW, hop=HOP)
    assert np.all(np.isnan(track.f0["mine"])) and np.allclose(track.f0["fft"], 1000.0)


def _patch_estimators(monkeypatch, wrap) -> None:
    real = streamfreq.engine.build_estimators
    monkeypatch.setattr(
        streamfreq.engine, "build_estimators", lambda names, path, fmin=None: [wrap(e) for e in real(names, path, fmin)]
    )


def test_cli_reports_a_failing_estimator_once_and_keeps_the_others(monkeypatch, capsys):
    _patch_estimators(monkeypatch, lambda e: FlakyEstimator(e, set(range(2, 100, 2))) if e.name == "zc" else e)
    argv = ["--freq", "1000", "--samplerate", "8000", "--window", "256", "--hop", "128", "--duration", "20"]
    assert main([*argv, "--no-realtime", "--estimators", "fft,zc", "--format", "jsonl"]) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert len(rows) == windows_in(160000)
    assert all(row["status"]["fft"] == "ok" and abs(row["fft"] - 1000.0) < 1e-3 for row in rows)
    failed = [row for row in rows if row["status"]["zc"] == "error"]
    assert failed and all(row["zc"] is None for row in failed)
    assert all(abs(row["zc"] - 1000.0) < 0.5 for row in rows if row["status"]["zc"] == "ok")
    (line,) = captured.err.splitlines()  # reported once, however many batches failed
    assert line.startswith("streamfreq: warning: estimator zc failed on ")
    assert "FloatingPointError: model blew up on batch" in line


# -- a failing source ------------------------------------------------------------------------------


@pytest.mark.parametrize("writer_class", [JsonlWriter, CsvWriter])
def test_a_failing_source_ends_the_run_after_everything_before_it_was_written(writer_class):
    out = io.StringIO()
    engine = Engine(RATE, WINDOW, HOP, ["fft", "zc"])
    writer = writer_class(out, engine.names, live=False)
    with pytest.raises(SourceError, match="device unplugged"):
        for readout in engine.run(FailingSynth(7, realtime=False)):
            writer.write(readout)
    writer.finish()
    lines = out.getvalue().splitlines()
    rows = [json.loads(line) for line in lines] if writer_class is JsonlWriter else list(csv.DictReader(lines))
    assert len(rows) == windows_in(7000)  # every window of the 7 good blocks
    assert [int(row["start"]) for row in rows] == [k * HOP for k in range(len(rows))]


@pytest.mark.parametrize("realtime", [False, True], ids=["batch", "live"])
def test_cli_a_failing_source_is_one_line_exit_1_after_all_output(monkeypatch, capsys, realtime):
    monkeypatch.setattr(streamfreq.cli, "make_source", lambda args: FailingSynth(12, realtime=realtime))
    argv = ["--window", "256", "--hop", "128", "--estimators", "fft,zc", "--format", "jsonl"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.err == "streamfreq: error: the stream broke: device unplugged\n"
    rows = [json.loads(line) for line in captured.out.splitlines()]
    dropped = rows[-1]["dropped"] if realtime else 0  # live: skipped windows are counted, never silent
    assert len(rows) + dropped == windows_in(12000)
    assert rows[-1]["start"] == (windows_in(12000) - 1) * HOP  # the last window before the break is there
    assert all(abs(row["fft"] - 1000.0) < 0.5 for row in rows)


# -- signals: whole lines, exit 0 ------------------------------------------------------------------


class Watched:
    """A streamfreq subprocess whose stdout lines we read as they come, killed if a test hangs."""

    def __init__(self, *args: str, stdin=subprocess.DEVNULL) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamfreq", *args],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.watchdog = threading.Timer(90.0, self.proc.kill)
        self.watchdog.start()
        self.lines: list[bytes] = []

    def read_lines(self, count: int) -> None:
        while len(self.lines) < count:
            line = self.proc.stdout.readline()
            assert line, f"streamfreq ended early: {self.proc.stderr.read().decode()}"
            self.lines.append(line)

    def finish(self) -> tuple[int, list[bytes], str]:
        rest = self.proc.stdout.read()  # not communicate(): it would skip what readline() has buffered
        err = self.proc.stderr.read()
        self.proc.wait(timeout=60)
        self.watchdog.cancel()
        return self.proc.returncode, self.lines + rest.splitlines(keepends=True), err.decode()


def assert_whole_lines(lines: list[bytes], fmt: str) -> int:
    """Every line is complete (newline-terminated) and parses; returns the number of readouts."""
    assert lines and all(line.endswith(b"\n") for line in lines)
    text = b"".join(lines).decode()
    if fmt == "jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
        assert all(None not in row and None not in row.values() for row in rows)  # no short or long rows
    assert all(math.isfinite(float(row["time"])) for row in rows)
    return len(rows)


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("faults") / "long.wav"
    t = np.arange(int(120 * RATE)) / RATE
    soundfile.write(path, (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32), int(RATE), subtype="PCM_16")
    return str(path)


SIGNALS = [(signal.SIGINT, "jsonl"), (signal.SIGTERM, "csv"), (signal.SIGTERM, "jsonl")]
SIGNAL_IDS = ["SIGINT-jsonl", "SIGTERM-csv", "SIGTERM-jsonl"]
COMMON = ["--estimators", "fft,zc", "--window", "256", "--hop", "64"]


@pytest.mark.parametrize(("signum", "fmt"), SIGNALS, ids=SIGNAL_IDS)
def test_signal_during_realtime_file_analysis_flushes_whole_lines(long_wav, signum, fmt):
    run = Watched("--source", "file", "--input", long_wav, "--realtime", "--format", fmt, *COMMON)
    run.read_lines(20)
    run.proc.send_signal(signum)
    code, lines, err = run.finish()
    assert code == 0 and err == ""
    assert 19 <= assert_whole_lines(lines, fmt) < windows_in(int(120 * RATE), hop=64)


@pytest.mark.parametrize(("signum", "fmt"), SIGNALS, ids=SIGNAL_IDS)
def test_signal_during_live_synth_flushes_whole_lines(signum, fmt):
    run = Watched("--source", "synth", "--samplerate", "8000", "--format", fmt, *COMMON)  # endless, real time
    run.read_lines(20)
    run.proc.send_signal(signum)
    code, lines, err = run.finish()
    assert code == 0 and err == ""
    assert assert_whole_lines(lines, fmt) >= 19


@pytest.mark.parametrize(("signum", "fmt"), SIGNALS, ids=SIGNAL_IDS)
def test_signal_while_reading_a_pipe_kept_open_flushes_whole_lines(signum, fmt):
    run = Watched("--source", "stdin", "--samplerate", "8000", "--format", fmt, *COMMON, stdin=subprocess.PIPE)
    pcm = (16000 * np.sin(2 * np.pi * 440.0 * np.arange(20000) / RATE)).astype("<i2").tobytes()
    run.proc.stdin.write(pcm)
    run.proc.stdin.flush()  # and keep the pipe open: streamfreq now waits in a blocking read
    run.read_lines(windows_in(20000, hop=64) + (fmt == "csv"))
    run.proc.send_signal(signum)
    code, lines, err = run.finish()
    run.proc.stdin.close()
    assert code == 0 and err == ""
    assert assert_whole_lines(lines, fmt) == windows_in(20000, hop=64)


def test_signal_during_fast_file_analysis_leaves_whole_lines(long_wav):
    # As fast as it goes: the signal lands wherever it lands, mid-write included; the output stays whole lines.
    run = Watched("--source", "file", "--input", long_wav, "--format", "jsonl", "--estimators", "fft", "--hop", "64")
    run.read_lines(500)
    run.proc.send_signal(signal.SIGTERM)
    code, lines, err = run.finish()
    assert code == 0 and err == ""
    assert assert_whole_lines(lines, "jsonl") >= 500


def test_a_reader_that_goes_away_ends_the_run_quietly():
    # `streamfreq ... | head -1`: the pipe closes under us; exit 0, no traceback, no noise.
    run = Watched("--source", "synth", "--no-realtime", "--duration", "60", "--format", "jsonl", "--estimators", "fft")
    run.read_lines(1)
    run.proc.stdout.close()
    err = run.proc.stderr.read().decode()
    assert run.proc.wait(timeout=60) == 0
    run.watchdog.cancel()
    assert err == ""


# -- overload --------------------------------------------------------------------------------------


def test_estimators_slower_than_real_time_drop_windows_but_keep_latency_bounded_and_readouts_right():
    hop_seconds = HOP / RATE
    cost = 2.0 * hop_seconds  # half real-time speed
    max_latency = 0.2
    seconds = 3.0
    engine = Engine(RATE, WINDOW, HOP, [SlowEstimator(FFTEstimator(), cost), ZeroCrossingEstimator()])
    source = SynthSource(1000.0, RATE, snr_db=30.0, duration=seconds, realtime=True, seed=3)
    began = time.monotonic()
    readouts, latencies = [], []
    for readout in engine.run(source, max_latency=max_latency):
        latencies.append(time.monotonic() - readout.arrival)
        readouts.append(readout)
    wall = time.monotonic() - began
    total = windows_in(round(seconds * RATE))
    # Every window is accounted for: read or dropped (counted), nothing else.
    assert len(readouts) + engine.stats.dropped_windows == total
    # The estimator needs `cost` seconds per window, so it cannot have read more than wall / cost of them.
    assert len(readouts) <= wall / cost + 1
    assert engine.stats.dropped_windows >= total - (wall / cost + 1) > 0
    # The windows that were read are read right, with exact sample-count timestamps.
    assert all(abs(r.hz("fft") - 1000.0) < 0.5 for r in readouts)
    assert all(r.start % HOP == 0 and r.time == (r.start + WINDOW / 2) / RATE for r in readouts)
    assert [r.start for r in readouts] == sorted({r.start for r in readouts})
    # Latency stays bounded: the engine sizes batches so the oldest window finishes within max_latency
    # (given the measured cost); allow a few windows' cost and scheduling slack on a busy machine.
    assert np.median(latencies) <= max_latency + cost
    assert max(latencies) <= max_latency + 4 * cost + 0.5


def test_a_slow_consumer_loses_the_oldest_readouts_counted_and_memory_stays_bounded():
    engine = Engine(RATE, WINDOW, 32, ["fft"])
    session = engine.start(SynthSource(1000.0, RATE, duration=2.0, realtime=True), queue_size=8)
    received = []
    while session.running:
        received += session.drain()
        time.sleep(0.05)  # 12 hops of 4 ms between polls: the bounded queue of 8 must drop
    received += session.drain()
    session.stop()
    assert session.error is None
    assert engine.stats.dropped_readouts > 0
    assert len(received) + engine.stats.dropped_readouts == engine.stats.windows
    assert engine.stats.windows + engine.stats.dropped_windows == windows_in(16000, hop=32)
    starts = [r.start for r in received]
    assert starts == sorted(set(starts))  # in order, no duplicates


def test_a_slow_iterator_consumer_makes_the_engine_skip_windows_counted():
    """Engine.run estimates in the consumer's thread: a consumer slower than real time costs windows, counted."""
    engine = Engine(RATE, WINDOW, 32, ["fft"])
    received = []
    for readout in engine.run(SynthSource(1000.0, RATE, duration=2.0, realtime=True), max_latency=0.1):
        received.append(readout)
        time.sleep(0.01)  # slower than the 4 ms hop
    assert engine.stats.dropped_windows > 0
    assert len(received) + engine.stats.dropped_windows == windows_in(16000, hop=32)
    assert all(abs(r.hz("fft") - 1000.0) < 0.5 for r in received)
    starts = [r.start for r in received]
    assert starts == sorted(set(starts)) and all(s % 32 == 0 for s in starts)


class GlitchySynth(SynthSource):
    """A real-time tone with a burst of NaN/inf from upstream every ``every`` blocks."""

    def __init__(self, every: int, **kwargs) -> None:
        super().__init__(1000.0, RATE, block=400, **kwargs)
        self.every = every

    def blocks(self):
        for index, block in enumerate(super().blocks()):
            if index % self.every == self.every - 1:
                block = block.copy()
                block[100:103] = (np.nan, np.inf, -np.inf)
            yield block


def test_a_live_stream_with_nan_bursts_keeps_going_and_counts_them():
    engine = Engine(RATE, WINDOW, HOP, ["fft", "zc"])
    # A generous latency budget: a busy machine may delay the worker, but no window may be skipped ahead here.
    readouts = list(engine.run(GlitchySynth(5, duration=2.0, realtime=True), max_latency=5.0, ring_seconds=10.0))
    total, samples = windows_in(16000), 16000
    bursts = [k * 2000 + 1700 for k in range(samples // 2000)]  # blocks 4, 9, ... of 400 samples, at 100
    touched = {s for s in range(0, samples - WINDOW + 1, HOP) if any(s <= b + 2 and b < s + WINDOW for b in bursts)}
    assert engine.stats.nonfinite_samples == 3 * len(bursts)
    assert engine.stats.skipped_windows == len(touched)
    assert len(readouts) + engine.stats.dropped_windows + engine.stats.skipped_windows == total
    assert engine.stats.dropped_windows == 0
    assert {r.start for r in readouts}.isdisjoint(touched)
    assert all(abs(r.hz("fft") - 1000.0) < 1e-3 for r in readouts)
