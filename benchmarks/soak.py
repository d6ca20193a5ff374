"""Soak: one hour of synthetic audio with frequency steps through ``Engine.run`` at full speed.

All available estimators run (fft, zc, and lstm when its runtime and model
load). Every ten minutes of audio a row gives the wall time, speed, windows
so far and the process RSS. At the end the run is checked:

- no window lost: readouts == (samples - window) // hop + 1, none dropped or skipped;
- timestamps exact: readout k has ``start == k * hop`` and ``time == (start + window/2) / samplerate``;
- every fft readout within ``--tolerance`` Hz of the truth (windows straddling a step are left out);
- RSS growth from the first checkpoint to the end within 10 MB.

Run: ``python benchmarks/soak.py [--minutes 60]``. Exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

from streamfreq.engine import Engine
from streamfreq.errors import ModelError
from streamfreq.estimators import available_estimators, build_estimator
from streamfreq.signals import Steps
from streamfreq.sources.synth import SynthSource


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux ``/proc``)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def step_schedule(seconds: float, every: float, seed: int) -> Steps:
    """Log-uniform frequencies 100..4000 Hz, a new one every ``every`` seconds."""
    rng = np.random.default_rng(seed)
    count = math.ceil(seconds / every) + 1
    hz = np.exp(rng.uniform(math.log(100.0), math.log(4000.0), count))
    return Steps([(i * every, float(f)) for i, f in enumerate(hz)])


class ErrorStats:
    """Error statistics of one estimator against the truth, in a buffer allocated up front.

    Preallocating keeps the benchmark's own bookkeeping out of the RSS growth it measures.
    """

    def __init__(self, capacity: int) -> None:
        self.ok = self.n = 0
        self.errors = np.zeros(capacity, dtype=np.float32)  # |error| of each ok readout
        self.errors.fill(0.0)  # touch the pages now

    def add(self, hz: float | None, truth: float) -> None:
        self.n += 1
        if hz is not None:
            self.errors[self.ok] = abs(hz - truth)
            self.ok += 1

    def row(self, name: str) -> str:
        errors = self.errors[: self.ok].astype(np.float64)
        rmse, median, worst = (
            (math.sqrt(np.mean(errors**2)), float(np.median(errors)), float(errors.max()))
            if self.ok
            else (math.nan,) * 3
        )
        share = 100.0 * self.ok / max(self.n, 1)
        return f"{name:>5} {self.n:9d} {share:7.2f} {median:12.4f} {rmse:11.4f} {worst:12.4f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="minutes of audio (default 60)")
    parser.add_argument("--every", type=float, default=10.0, help="minutes of audio per RSS row")
    parser.add_argument("--samplerate", type=float, default=48000.0)
    parser.add_argument("--window", type=int, default=2048)
    parser.add_argument("--hop", type=int, default=512)
    parser.add_argument("--snr", type=float, default=20.0, help="per-sample SNR in dB")
    parser.add_argument("--step-seconds", type=float, default=7.3, help="seconds between frequency steps")
    parser.add_argument("--tolerance", type=float, default=0.5, help="largest fft error allowed, Hz")
    parser.add_argument("--model", metavar="PATH", help="LSTM model to use instead of the shipped one")
    args = parser.parse_args(argv)

    rate, window, hop = args.samplerate, args.window, args.hop
    seconds = args.minutes * 60.0
    schedule = step_schedule(seconds, args.step_seconds, seed=7)
    source = SynthSource(schedule=schedule, samplerate=rate, snr_db=args.snr, duration=seconds, realtime=False, seed=7)
    estimators, notes = [], []
    for name in available_estimators():
        try:
            estimators.append(build_estimator(name, args.model))
        except (ModelError, ImportError) as error:
            notes.append(f"{name} left out: {error}")
    engine = Engine(rate, window, hop, estimators)
    boundaries = np.array([round(t * rate) for t, _ in schedule.steps[1:]], dtype=np.int64)
    total_samples = round(seconds * rate)
    expected = (total_samples - window) // hop + 1

    print(
        f"soak: {args.minutes:g} min at {rate:g} Hz, window {window}, hop {hop}, SNR {args.snr:g} dB, "
        f"a new frequency every {args.step_seconds:g} s; estimators {', '.join(engine.names)}"
    )
    for note in notes:
        print(f"  note: {note}")
    print(f"{'audio min':>9} {'wall s':>7} {'x real':>7} {'windows':>9} {'RSS MB':>7} {'growth MB':>9}")
    stats = {name: ErrorStats(expected) for name in engine.names}
    bad_time = bad_fft = straddling = count = 0
    worst_fft: tuple[float, int] = (0.0, -1)
    began = time.monotonic()
    checkpoint_samples = round(args.every * 60.0 * rate)
    next_checkpoint = checkpoint_samples
    first_rss = None
    print(f"{0:9.1f} {0:7.1f} {'':>7} {0:9d} {rss_mb():7.1f} {'':>9}")

    def checkpoint(audio_samples: int) -> None:
        nonlocal first_rss
        wall = time.monotonic() - began
        rss = rss_mb()
        first_rss = rss if first_rss is None else first_rss
        print(
            f"{audio_samples / rate / 60:9.1f} {wall:7.1f} {audio_samples / rate / wall:7.0f} {count:9d} "
            f"{rss:7.1f} {rss - first_rss:9.1f}",
            flush=True,
        )

    for readout in engine.run(source):
        start = readout.start
        if start != count * hop or readout.time != (start + window / 2) / rate:
            bad_time += 1
        count += 1
        first_after = np.searchsorted(boundaries, start, side="right")
        if first_after < len(boundaries) and boundaries[first_after] < start + window:
            straddling += 1
        else:
            truth = readout.truth
            for name in engine.names:
                stats[name].add(readout.hz(name), truth)
            fft = readout.hz("fft")
            error = math.inf if fft is None else abs(fft - truth)
            if error > args.tolerance:
                bad_fft += 1
            if error > worst_fft[0]:
                worst_fft = (error, start)
        if start + window >= next_checkpoint:
            checkpoint(next_checkpoint)
            next_checkpoint += checkpoint_samples
    if (next_checkpoint - checkpoint_samples) < total_samples:
        checkpoint(total_samples)
    wall = time.monotonic() - began
    growth = rss_mb() - (first_rss or rss_mb())

    print()
    print(f"{'':>5} {'windows':>9} {'ok %':>7} {'median |e| Hz':>12} {'RMSE Hz':>11} {'max |e| Hz':>12}")
    for name in engine.names:
        print(stats[name].row(name))
    print(f"(errors against the truth; {straddling} windows straddling a frequency step left out)")
    if engine.stats.estimator_seconds:
        cost = ", ".join(f"{n} {engine.stats.ms_per_window(n):.3f}" for n in engine.names)
        print(f"ms per window: {cost}; {seconds / wall:.0f}x real time overall, {wall:.1f} s wall")

    checks = [
        (f"no window lost: {count} readouts of {expected} windows", count == expected),
        (
            f"nothing dropped or skipped: dropped {engine.stats.dropped_windows}, skipped "
            f"{engine.stats.skipped_windows}, estimator errors {engine.stats.estimator_errors}",
            engine.stats.dropped_windows == 0
            and engine.stats.skipped_windows == 0
            and not engine.stats.estimator_errors,
        ),
        (f"timestamps exact: {bad_time} readouts off", bad_time == 0),
        (
            f"fft within {args.tolerance:g} Hz of the truth: {bad_fft} readouts off "
            f"(worst {worst_fft[0]:.4f} Hz at sample {worst_fft[1]})",
            bad_fft == 0,
        ),
        (f"RSS growth after the first checkpoint {growth:.1f} MB <= 10 MB", growth <= 10.0),
    ]
    print()
    for text, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
