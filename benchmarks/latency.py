"""Live-input latency through a real PortAudio stream (the virtual microphone).

Two measurements, printed as tables:

1. **Tone change → readout.** A tone alternating between 440 and 880 Hz is
   played into the virtual microphone in real time (paced 10 ms chunks into
   ``pacat --latency-msec=20``). For each change, three clocks are read:
   when the changed sample was handed to ``pacat`` ("played"), when it reached
   streamfreq's audio callback ("captured": found by matching the capture
   sample-exactly against what was played), and when the first readout that
   shows the new tone came out of :meth:`Engine.run` ("shown"). "Shows" means
   the FFT estimate is within 0.5 Hz of the new tone; the table also gives
   the earlier "nearer the new tone than the old" moment.
2. **latency_ms** (window complete → readout written, as ``--format jsonl``
   reports it) for each available estimator alone and all together, with a
   steady tone playing, plus the engine's counters: ring overruns, windows
   dropped, input overflows, and the CPU this process used (% of one core;
   it includes the thread that feeds ``pacat``). The last row repeats all
   estimators with another process spinning on one core the whole time
   (a laptop with a browser open).
3. **CPU of the command line**: ``streamfreq --source synth`` (real time,
   every estimator, table output) for ``--seconds``, measured with
   ``getrusage`` on the child: start-up included, as ``/usr/bin/time`` counts it.

Needs the virtual microphone (``scripts/virtual-mic.sh start``; this script
starts it) and ``pacat``. Run::

    .venv/bin/python benchmarks/latency.py              # 60 s per estimator set
    .venv/bin/python benchmarks/latency.py --seconds 10 --changes 6
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RATE = 48000
CHUNK = RATE // 100  # 10 ms pacing chunks
LSB = 1.0 / 32768.0


def start_virtual_mic() -> None:
    """Start the PulseAudio null sink (idempotent) and share its XDG_RUNTIME_DIR with this process."""
    os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/xdg-{os.getuid()}")
    result = subprocess.run(["bash", str(ROOT / "scripts" / "virtual-mic.sh"), "start"], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"latency.py: cannot start the virtual microphone: {result.stderr.strip()}")


def segments_tone(freqs: list[float], lengths: list[int], amplitude: float = 0.5) -> np.ndarray:
    """Phase-continuous int16 tone: ``freqs[i]`` for ``lengths[i]`` samples."""
    hz = np.concatenate([np.full(n, f) for f, n in zip(freqs, lengths, strict=True)])
    phase = 2 * np.pi * np.concatenate([[0.0], np.cumsum(hz[:-1])]) / RATE
    return np.round(amplitude * 32767 * np.sin(phase)).astype("<i2")


class PacedPlayer:
    """Feed int16 samples to pacat in real time (10 ms chunks), noting when each chunk was handed over."""

    def __init__(self, samples: np.ndarray, latency_ms: int = 20) -> None:
        self.samples = samples
        self.handed = np.full((len(samples) + CHUNK - 1) // CHUNK, np.nan)
        self.proc = subprocess.Popen(
            [
                "pacat",
                "--raw",
                f"--rate={RATE}",
                "--channels=1",
                "--format=s16le",
                "--device=vsink",
                f"--latency-msec={latency_ms}",
            ],
            stdin=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        began = time.monotonic()
        try:
            for k in range(len(self.handed)):
                delay = began + k * CHUNK / RATE - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                self.handed[k] = time.monotonic()
                self.proc.stdin.write(self.samples[k * CHUNK : (k + 1) * CHUNK].tobytes())
                self.proc.stdin.flush()
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    def handed_at(self, sample: int) -> float:
        """When played sample ``sample`` was handed to pacat (its chunk's time plus its place in the chunk)."""
        return float(self.handed[sample // CHUNK]) + (sample % CHUNK) / RATE

    def stop(self) -> None:
        self.thread.join(timeout=5)
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=10)


class Capture:
    """Wraps a MicSource: keeps every sample and when each callback block arrived (preallocated)."""

    def __init__(self, source, seconds: float) -> None:
        self.source = source
        self.samplerate = source.samplerate
        self.realtime = True
        self.samples = np.zeros(round(seconds * source.samplerate), dtype=np.float32)
        self.block_end = np.zeros(1 << 16, dtype=np.int64)
        self.block_time = np.zeros(1 << 16, dtype=np.float64)
        self.blocks = 0
        self.count = 0

    @property
    def overflows(self) -> int:
        return self.source.overflows

    def feed(self, write, stop) -> None:
        def tee(block: np.ndarray) -> None:
            n = min(len(block), len(self.samples) - self.count)
            self.samples[self.count : self.count + n] = block[:n]
            self.count += n
            if self.blocks < len(self.block_end):
                self.block_end[self.blocks] = self.count
                self.block_time[self.blocks] = time.monotonic()
                self.blocks += 1
            write(block)

        self.source.feed(tee, stop)

    def arrival_of(self, sample: int) -> float:
        """When the callback delivering capture sample ``sample`` ran."""
        ends = self.block_end[: self.blocks]
        return float(self.block_time[int(np.searchsorted(ends, sample, side="right"))])

    def close(self) -> None:
        self.source.close()


def locate(captured: np.ndarray, played: np.ndarray, anchor: int, near: int, half: int = 1024) -> int | None:
    """Capture index of played sample ``anchor``, searched within ±0.5 s of ``near``; None if not exact."""
    ref = played[anchor - half : anchor + half] / 32768.0
    lo = max(0, near - RATE // 2 - half)
    hi = min(len(captured), near + RATE // 2 + half)
    window = captured[lo:hi].astype(np.float64)
    if len(window) < len(ref):
        return None
    view = np.lib.stride_tricks.sliding_window_view(window, len(ref))
    residual = np.max(np.abs(view - ref), axis=1)
    best = int(np.argmin(residual))
    return lo + best + half if residual[best] <= LSB else None


def align(captured: np.ndarray, played: np.ndarray, anchor: int, half: int = 2048) -> int | None:
    """Capture index of played sample ``anchor`` by a least-squares FFT match over the whole capture."""
    ref = played[anchor - half : anchor + half] / 32768.0
    signal = captured.astype(np.float64)
    if len(signal) < len(ref):
        return None
    size = 1 << (len(signal) + len(ref)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(signal, size) * np.conj(np.fft.rfft(ref, size)), size)
    corr = corr[: len(signal) - len(ref) + 1]
    power = np.concatenate([[0.0], np.cumsum(signal**2)])
    best = int(np.argmin(power[len(ref) :] - power[: -len(ref)] - 2 * corr))
    exact = np.max(np.abs(signal[best : best + len(ref)] - ref)) <= LSB
    return best + half if exact else None


def tone_change_latency(changes: int, window: int, hop: int, estimators: list[str], seed: int) -> None:
    from streamfreq.engine import Engine
    from streamfreq.sources.mic import MicSource

    rng = np.random.default_rng(seed)
    lengths = [round(RATE * 1.0)] + [round(RATE * rng.uniform(0.6, 0.9)) for _ in range(changes)]
    freqs = [440.0 if i % 2 == 0 else 880.0 for i in range(len(lengths))]
    played = segments_tone(freqs, lengths)
    change_at = np.cumsum(lengths)[:-1]
    seconds = len(played) / RATE + 3.0
    source = Capture(MicSource(device="pulse", samplerate=RATE, latency="high"), seconds)
    engine = Engine(RATE, window, hop, estimators)
    received: list[tuple[float, object]] = []
    player = None
    try:
        for readout in engine.run(source, duration=seconds):
            received.append((time.monotonic(), readout))
            if player is None:
                player = PacedPlayer(played)
    finally:
        if player is not None:
            player.stop()
    captured = source.samples[: source.count]
    first = align(captured, played, int(change_at[0]))
    rows = []
    offset = None if first is None else first - int(change_at[0])
    for i, change in enumerate(change_at.tolist()):
        new, old = freqs[i + 1], freqs[i]
        where = None if offset is None else locate(captured, played, change, near=offset + change)
        if where is None:
            rows.append((i, old, new, math.nan, math.nan, math.nan, math.nan, math.nan))
            continue
        offset = where - change
        nearer = within = None
        for at, readout in received:
            hz = readout.hz("fft")
            if readout.start + window <= where or hz is None:
                continue
            if nearer is None and abs(hz - new) < abs(hz - old):
                nearer = (at, readout)
            if abs(hz - new) < 0.5:
                within = (at, readout)
                break
        played_at = player.handed_at(change)
        captured_at = source.arrival_of(where)
        if within is None:
            rows.append((i, old, new, math.nan, math.nan, math.nan, math.nan, math.nan))
            continue
        rows.append(
            (
                i,
                old,
                new,
                1000 * (within[0] - played_at),
                1000 * (within[0] - captured_at),
                1000 * (captured_at - played_at),
                1000 * (nearer[0] - captured_at),
                1000 * (within[1].start + window - where) / RATE,
            )
        )
    print(f"\n## Tone change -> first readout showing it (window {window}, hop {hop}, {RATE} Hz, {estimators})\n")
    print(
        "| change | from -> to | played->shown ms | captured->shown ms | played->captured ms "
        "| captured->nearer ms | audio after change in window ms |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    for i, old, new, a, b, c, d, e in rows:
        print(f"| {i} | {old:g} -> {new:g} | {a:.1f} | {b:.1f} | {c:.1f} | {d:.1f} | {e:.1f} |")
    values = np.array([r[3:] for r in rows], dtype=float)
    ok = values[np.isfinite(values[:, 0])]
    if len(ok):
        med = np.median(ok, axis=0)
        print(f"| median | | {med[0]:.1f} | {med[1]:.1f} | {med[2]:.1f} | {med[3]:.1f} | {med[4]:.1f} |")
    print(
        f"\nchanges located sample-exactly and shown: {len(ok)} of {len(rows)}; "
        f"overflows {source.overflows}, dropped windows {engine.stats.dropped_windows}, "
        f"ring overruns {engine.stats.overrun_samples}"
    )


@contextlib.contextmanager
def one_core_busy():
    """Another process spinning on one core while the block runs."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.terminate()
        spinner.wait(timeout=10)


def latency_distribution(seconds: float, window: int, hop: int, sets: list[list[str]], model: str | None) -> None:
    import io

    from streamfreq.engine import Engine
    from streamfreq.output import JsonlWriter
    from streamfreq.sources.mic import MicSource

    rows = [(names, False) for names in sets] + [(sets[-1], True)]
    played = segments_tone([440.0], [round((seconds * len(rows) + 30) * RATE)])
    player = PacedPlayer(played, latency_ms=50)
    print(f"\n## latency_ms (window complete -> readout written), {seconds:g} s each, window {window}, hop {hop}\n")
    print(
        "| estimators | load | readouts | median ms | p99 ms | max ms | ring overruns | dropped windows "
        "| input overflows | fft Hz median | CPU % of one core | estimator ms per window |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    try:
        for names, busy in rows:
            source = MicSource(device="pulse", samplerate=RATE, latency="high")
            engine = Engine(RATE, window, hop, names, model_path=model)
            writer = JsonlWriter(io.StringIO(), engine.names, live=True)
            latencies, fft = [], []
            last = None
            with one_core_busy() if busy else contextlib.nullcontext():
                load = os.getloadavg()[0]
                cpu, began = time.process_time(), time.monotonic()
                for readout in engine.run(source, duration=seconds):
                    writer.write(readout)
                    latencies.append(1000 * (time.monotonic() - readout.arrival))
                    if "fft" in names and readout.hz("fft") is not None:
                        fft.append(readout.hz("fft"))
                    last = readout
                    writer.stream.seek(0)
                    writer.stream.truncate()
                cpu = 100 * (time.process_time() - cpu) / (time.monotonic() - began)
            lat = np.array(latencies)
            what = f"one core busy (load {load:.1f})" if busy else f"load {load:.1f}"
            print(
                f"| {','.join(names)} | {what} | {len(lat)} | {np.median(lat):.2f} | {np.percentile(lat, 99):.2f} "
                f"| {lat.max():.2f} | {last.overrun_samples} | {last.dropped_windows} | {last.input_overflows} "
                f"| {np.median(fft) if fft else math.nan:.2f} | {cpu:.0f} "
                f"| {', '.join(f'{n} {engine.stats.ms_per_window(n):.2f}' for n in engine.names)} |",
                flush=True,
            )
    finally:
        player.proc.terminate()
        player.stop()


def cli_cpu(seconds: float) -> None:
    """CPU of ``streamfreq --source synth --duration SECONDS`` (real time, every estimator, table output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "streamfreq", "--source", "synth", "--duration", str(seconds)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"\n## CPU of `streamfreq --source synth --duration {seconds:g}` (all estimators, load {load:.1f})\n")
    print("| CPU s | wall s | % of one core over the audio |")
    print("|---:|---:|---:|")
    print(f"| {cpu:.2f} | {wall:.2f} | {100 * cpu / seconds:.0f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each latency_ms run (default 60)")
    parser.add_argument("--changes", type=int, default=10, help="tone changes to time (default 10)")
    parser.add_argument("--window", type=int, default=2048)
    parser.add_argument("--hop", type=int, default=512)
    parser.add_argument("--model", help="LSTM model path (default: the shipped one)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the tone-change timing")
    parser.add_argument("--skip-changes", action="store_true", help="only measure latency_ms (and the CLI's CPU)")
    args = parser.parse_args(argv)
    start_virtual_mic()

    from streamfreq.errors import StreamfreqError
    from streamfreq.estimators import available_estimators, build_estimator

    usable = []
    for name in available_estimators():
        try:
            build_estimator(name, args.model if name == "lstm" else None)
            usable.append(name)
        except (StreamfreqError, ImportError) as error:
            print(f"note: estimator {name} left out: {error}")
    load = os.getloadavg()
    print(f"# streamfreq live latency, {os.cpu_count()} CPUs, load average {load[0]:.2f} at start")
    if not args.skip_changes:
        tone_change_latency(args.changes, args.window, args.hop, usable, args.seed)
    sets = [[name] for name in usable] + ([usable] if len(usable) > 1 else [])
    latency_distribution(args.seconds, args.window, args.hop, sets, args.model)
    cli_cpu(min(args.seconds, 10.0))
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
