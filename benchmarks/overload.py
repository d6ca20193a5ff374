"""Overload: estimators slowed below real time on a live source. Prints a table.

A wrapper estimator sleeps ``--slowdown`` times the audio duration of a hop
per window, so the engine can keep up with only ``1/slowdown`` of the
windows of a real-time synthetic tone. The engine must skip windows (and
count them), keep latency bounded (``max_latency`` plus one batch) and keep
memory flat (every queue is bounded).

Each row covers ``--every`` seconds of wall time: windows analysed and
dropped so far, the latency from a window's last sample reaching the engine
to its readout reaching this consumer (median, p99, max in that interval),
the share of readouts whose FFT estimate is right (the slowdown must not
cost correctness), and the process RSS.

Run: ``python benchmarks/overload.py [--seconds 30] [--slowdown 2]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from streamfreq.engine import Engine
from streamfreq.estimators.base import Estimate
from streamfreq.estimators.fft import FFTEstimator
from streamfreq.estimators.zero_crossing import ZeroCrossingEstimator
from streamfreq.sources.synth import SynthSource


class SlowEstimator:
    """Wraps an estimator and sleeps ``seconds_per_window`` per window (a stand-in for a heavy model)."""

    def __init__(self, inner, seconds_per_window: float) -> None:
        self.inner = inner
        self.name = inner.name
        self.seconds_per_window = seconds_per_window

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        time.sleep(self.seconds_per_window * len(frames))
        return self.inner.estimate_many(frames, samplerate)


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux ``/proc``)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="wall-clock length of the run")
    parser.add_argument("--every", type=float, default=5.0, help="seconds per table row")
    parser.add_argument("--slowdown", type=float, default=2.0, help="estimator cost per window / hop duration")
    parser.add_argument("--samplerate", type=float, default=48000.0)
    parser.add_argument("--window", type=int, default=2048)
    parser.add_argument("--hop", type=int, default=512)
    parser.add_argument("--max-latency", type=float, default=0.25)
    args = parser.parse_args(argv)

    hop_seconds = args.hop / args.samplerate
    slow = SlowEstimator(FFTEstimator(), args.slowdown * hop_seconds)
    engine = Engine(args.samplerate, args.window, args.hop, [slow, ZeroCrossingEstimator()])
    source = SynthSource(440.0, args.samplerate, snr_db=30.0, realtime=True, seed=1)
    print(
        f"slowdown {args.slowdown:g}x real time ({1e3 * slow.seconds_per_window:.1f} ms per window, "
        f"hop {1e3 * hop_seconds:.1f} ms), max_latency {args.max_latency:g} s, {args.seconds:g} s wall"
    )
    print(
        f"{'wall s':>6} {'readouts':>8} {'dropped':>8} {'kept %':>6} {'lat med ms':>10} {'lat p99 ms':>10} "
        f"{'lat max ms':>10} {'fft ok %':>8} {'RSS MB':>7}"
    )
    began = time.monotonic()
    next_row = began + args.every
    latencies: list[float] = []
    correct = total = readouts = 0
    all_latencies: list[float] = []
    for readout in engine.run(source, max_latency=args.max_latency):
        now = time.monotonic()
        latencies.append(now - readout.arrival)
        readouts += 1
        estimate = readout.estimates["fft"]
        total += 1
        correct += estimate.ok and abs(estimate.hz - 440.0) < 1.0
        if now >= next_row:
            lat = np.array(latencies) * 1e3
            all_latencies += latencies
            dropped = engine.stats.dropped_windows
            kept = 100.0 * readouts / max(readouts + dropped, 1)
            print(
                f"{now - began:6.1f} {readouts:8d} {dropped:8d} {kept:6.1f} {np.median(lat):10.1f} "
                f"{np.percentile(lat, 99):10.1f} {lat.max():10.1f} {100.0 * correct / max(total, 1):8.1f} "
                f"{rss_mb():7.1f}"
            )
            latencies, correct, total = [], 0, 0
            next_row += args.every
        if now - began >= args.seconds:
            engine.stop()
    bound = args.max_latency + slow.seconds_per_window  # the engine's rule: max_latency plus one window's cost
    lat = np.array(all_latencies) * 1e3
    print(
        f"total: {readouts} readouts, {engine.stats.dropped_windows} windows dropped "
        f"({100.0 * readouts / max(readouts + engine.stats.dropped_windows, 1):.1f}% kept, at most "
        f"{min(100.0, 100.0 / args.slowdown):.1f}% possible), {engine.stats.dropped_readouts} readouts dropped; "
        "latency median "
        f"{np.median(lat):.1f} ms, p99 {np.percentile(lat, 99):.1f} ms, max {lat.max():.1f} ms "
        f"(max_latency + one window's cost = {1e3 * bound:.0f} ms, + up to a hop of granularity)"
    )


if __name__ == "__main__":
    main()
