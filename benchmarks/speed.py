"""Speed: per-window cost of each estimator, engine overhead, file-analysis throughput, start-up.

Every figure is a median over repeats. "x rfft" divides a cost by the median
time of one ``scipy.fft.rfft`` of the same window measured in the same
process, so runs on different machines compare.

    python benchmarks/speed.py [--seconds 600] [--hour]

``--hour`` also analyses a one-hour WAV (written to a temporary folder) and
reports the peak RSS of that process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.fft
import soundfile

from streamfreq import defaults
from streamfreq.engine import Engine
from streamfreq.estimators import available_estimators, build_estimators
from streamfreq.signals import Steps, ToneGenerator

SAMPLERATE = 48000
WINDOW, HOP = 2048, 512
BATCH = defaults.BATCH  # the engine's batch


def median_seconds(function, repeats: int = 15) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return float(np.median(times))


def write_test_file(path: Path, seconds: float) -> None:
    generator = ToneGenerator(
        Steps([(0, 220.0), (seconds / 3, 440.0), (2 * seconds / 3, 1500.0)]), SAMPLERATE, snr_db=20, seed=1
    )
    with soundfile.SoundFile(path, "w", SAMPLERATE, 1, "PCM_16") as f:
        remaining = round(seconds * SAMPLERATE)
        while remaining:
            n = min(remaining, 1 << 20)
            f.write(generator.next_block(n))
            remaining -= n


def per_window_table(names: list[str]) -> None:
    rng = np.random.default_rng(0)
    noise = 0.1 * rng.normal(size=(BATCH, WINDOW))
    frames = (np.cos(2 * np.pi * 0.0213 * np.arange(WINDOW)) + noise).astype(np.float32)
    reference = median_seconds(lambda: scipy.fft.rfft(frames[0]), 200)
    print(f"reference: one rfft of {WINDOW} samples = {1e6 * reference:.1f} us\n")
    print(f"| estimator | one window (ms) | x rfft | per window in batches of {BATCH} (ms) | x rfft |")
    print("|---|---|---|---|---|")
    for estimator in build_estimators(names):
        estimator.estimate_many(frames[:1], SAMPLERATE)  # warm-up (model load, caches)
        single = median_seconds(lambda e=estimator: e.estimate_many(frames[:1], SAMPLERATE), 50)
        batch = median_seconds(lambda e=estimator: e.estimate_many(frames, SAMPLERATE), 7) / len(frames)
        print(
            f"| {estimator.name} | {1e3 * single:.3f} | {single / reference:.0f} | {1e3 * batch:.3f} "
            f"| {batch / reference:.0f} |"
        )

    class Null:
        name = "null"

        def estimate_many(self, frames, samplerate):
            return [None] * len(frames)

    engine = Engine(SAMPLERATE, WINDOW, HOP, [Null()])
    block = frames.ravel()[: 100 * HOP]
    overhead = median_seconds(lambda: engine.push(block), 7) / (len(block) // HOP)
    print(f"| engine overhead (no-op estimator) | {1e3 * overhead:.4f} per window | {overhead / reference:.1f} | | |")


#: One file analysis in a fresh process: argv path, estimators, "kept" or "default" (the allocator); prints the
#: windows, the wall seconds and the peak RSS in MB.
ANALYSE = (
    "import resource, sys, time\n"
    "import numpy as np\n"
    "from streamfreq.allocator import keep_freed_memory\n"
    "from streamfreq.engine import Engine\nfrom streamfreq.sources.file import FileSource\n"
    "if sys.argv[3] == 'kept': keep_freed_memory()\n"
    f"engine = Engine({SAMPLERATE}, {WINDOW}, {HOP}, sys.argv[2].split(','))\n"
    f"engine.estimators[0].estimate_many(np.zeros((1, {WINDOW}), np.float32), {SAMPLERATE})  # load first\n"
    "t = time.perf_counter(); n = sum(1 for _ in engine.run(FileSource(sys.argv[1])))\n"
    "print(n, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
)


def analyse(path: Path, combo: list[str], allocator: str) -> tuple[int, float, float]:
    """Windows, wall seconds and peak RSS (MB) of one analysis of ``path`` in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", ANALYSE, str(path), ",".join(combo), allocator],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return int(out[0]), float(out[1]), float(out[2])


def throughput_table(names: list[str], seconds: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "test.wav"
        write_test_file(path, seconds)
        print(f"\nfile analysis of {seconds:g} s of 48 kHz 16-bit audio, window {WINDOW}, hop {HOP}, a fresh process")
        print("each; freed memory kept as the command line keeps it (streamfreq.allocator), and glibc's defaults:\n")
        print("| estimators | wall time (s) | x real time | x real time, glibc's defaults |")
        print("|---|---|---|---|")
        combos = [["fft"], ["zc"], ["fft", "zc"]] + ([names] if "lstm" in names else [])
        for combo in combos:
            (windows, kept, _), (_, default, _) = (analyse(path, combo, mode) for mode in ("kept", "default"))
            assert windows == 1 + (round(seconds * SAMPLERATE) - WINDOW) // HOP
            print(f"| {'+'.join(combo)} | {kept:.2f} | {seconds / kept:.0f} | {seconds / default:.0f} |")


def startup_table(names: list[str]) -> None:
    print("\nstart-up, cold process (median of 5):\n")
    print("| command | to first output line (s) |")
    print("|---|---|")
    synth = [
        sys.executable,
        "-m",
        "streamfreq",
        "--source",
        "synth",
        "--no-realtime",
        "--format",
        "jsonl",
        "--duration",
        "0.1",
    ]
    commands = {
        "python -c 'import streamfreq'": [sys.executable, "-c", "import streamfreq"],
        "streamfreq --source synth --no-realtime --format jsonl --estimators fft,zc": [
            *synth,
            "--estimators",
            "fft,zc",
        ],
    }
    if "lstm" in names:
        commands["streamfreq --source synth --no-realtime --format jsonl (fft,zc,lstm)"] = synth
    for label, command in commands.items():
        times = []
        for _ in range(5):
            began = time.perf_counter()
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            process.stdout.readline()
            times.append(time.perf_counter() - began)
            process.communicate()
        print(f"| `{label}` | {np.median(times):.2f} |")


def hour_table(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hour.wav"
        write_test_file(path, 3600.0)
        print("\none-hour file (3600 s, 172.8 M samples; freed memory kept as the command line keeps it):\n")
        print("| estimators | windows | wall time (s) | x real time | peak RSS (MB) |")
        print("|---|---|---|---|---|")
        for combo in [["fft", "zc"]] + ([names] if "lstm" in names else []):
            windows, wall, rss = analyse(path, combo, "kept")
            print(f"| {'+'.join(combo)} | {windows} | {wall:.1f} | {3600 / wall:.0f} | {rss:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="length of the throughput test file")
    parser.add_argument("--hour", action="store_true", help="also analyse a one-hour file and report peak RSS")
    parser.add_argument("--estimators", default=",".join(available_estimators()), help="comma-separated names")
    args = parser.parse_args()
    names = args.estimators.split(",")
    per_window_table(names)
    throughput_table(names, args.seconds)
    startup_table(names)
    if args.hour:
        hour_table(names)


if __name__ == "__main__":
    main()
