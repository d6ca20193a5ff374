"""Batch throughput and memory: ``streamfreq batch`` on a synthetic corpus, each engine with 1 and 2 workers.

Writes a corpus of ``--files`` WAV files of ``--seconds`` each (default 200 x 36 s = 2 hours, 44.1 kHz,
16-bit; notes, silences and noise, seeded) into a temporary folder, then runs
``python -m streamfreq batch CORPUS --out OUT --estimators fft,zc --engine E --workers W --quiet``
in a subprocess for each engine and worker count, and prints:

- wall time (from the command's start to its exit, start-up included), x real time and files per second;
- x real time per CPU-second (audio seconds over the CPU time the command and every process under it
  used, read from /proc with the memory; what a process used in its last half second is missed): the
  per-core rate, which other jobs on the machine disturb far less than the wall time;
- peak memory, sampled every 0.5 s from /proc: the driver's RSS, the largest worker's RSS, and the
  sum of PSS over every process of the run (PSS splits shared pages, so the sum does not count
  numpy's or Ray's shared memory twice);
- the 1-minute load average when the run started (other jobs on the machine);
- Ray's throughput as a share of the local pool's with the same workers.

A last row runs the local engine on the first quarter of the corpus, to show that memory does not grow
with the corpus. ``--kill N`` then checks faults: N one-second files, one worker (an actor on Ray) killed
with SIGKILL halfway, and every file must end up done, exactly once.

    python benchmarks/batch.py [--files 200] [--seconds 36] [--engines local,ray] [--kill 1000]

Linux only (/proc).
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import soundfile

from streamfreq import defaults
from streamfreq.signals import Steps, ToneGenerator

SAMPLERATE = 44100
ESTIMATORS = "fft,zc"


def write_corpus(folder: Path, files: int, seconds: float, samplerate: int = SAMPLERATE) -> float:
    """Seeded files of notes (log-uniform 60..2000 Hz, 0.2..2 s each), silences and noise; return total seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    total = 0.0
    for index in range(files):
        rng = np.random.default_rng(index)
        steps, at = [], 0.0
        while at < seconds:
            steps.append((at, float(np.exp(rng.uniform(np.log(60.0), np.log(2000.0))))))
            at += float(rng.uniform(0.2, 2.0))
        n = round(seconds * samplerate)
        y = ToneGenerator(Steps(steps), samplerate, snr_db=float(rng.uniform(0, 30)), seed=index).next_block(n)
        for _ in range(3):  # silences
            start = int(rng.integers(0, n - samplerate // 2))
            y[start : start + int(rng.integers(samplerate // 10, samplerate // 2))] = 0.0
        soundfile.write(folder / f"f{index:04d}.wav", np.clip(y, -1, 1), samplerate, subtype="PCM_16")
        total += n / samplerate
    return total


def descendants(root: int) -> list[int]:
    """``root`` and every process under it (from /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process in kB; zeros when it is gone."""
    values = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss"):
                    values[key] = int(rest.split()[0])
    except (OSError, ValueError):
        return 0, 0
    return values.get("Rss", 0), values.get("Pss", 0)


class MemoryWatch(threading.Thread):
    """Samples the memory of a process tree every 0.5 s (finding its processes every 2 s); keeps the peaks."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.stop = threading.Event()
        self.driver_rss = self.worker_rss = self.total_pss = 0
        self.cpu_ticks: dict[int, int] = {}  # last user + system time seen per process

    def run(self) -> None:
        pids: list[int] = []
        samples = 0
        while not self.stop.wait(0.5):
            if samples % 4 == 0:  # scanning /proc is the costly part
                pids = descendants(self.root)
            samples += 1
            total = 0
            for pid in pids:
                ticks = cpu_ticks(pid)
                if ticks:
                    self.cpu_ticks[pid] = ticks
                rss, pss = memory_kb(pid)
                total += pss
                if pid == self.root:
                    self.driver_rss = max(self.driver_rss, rss)
                elif _is_worker(pid):
                    self.worker_rss = max(self.worker_rss, rss)
            self.total_pss = max(self.total_pss, total)


def cpu_ticks(pid: int) -> int:
    """User + system CPU time of a process so far, in clock ticks (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def _is_worker(pid: int) -> bool:
    """A Ray Data actor, or a local pool worker (a child of the fork server)."""
    return b"MapWorker" in _command(pid) or b"forkserver" in _command(_parent(pid))


def _command(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def run_batch(corpus: Path, out: Path, engine: str, workers: int) -> dict[str, float]:
    """One ``streamfreq batch`` run in a subprocess: wall, CPU and memory."""
    command = [sys.executable, "-m", "streamfreq", "batch", str(corpus), "--out", str(out)]
    command += ["--estimators", ESTIMATORS, "--engine", engine, "--workers", str(workers), "--quiet"]
    load = os.getloadavg()[0]
    began = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    watch = MemoryWatch(process.pid)
    watch.start()
    _, err = process.communicate()
    wall = time.perf_counter() - began
    watch.stop.set()
    watch.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {err.strip()[-500:]}")
    cpu = sum(watch.cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")
    return {
        "wall": wall,
        "cpu": cpu,
        "load": load,
        "driver": watch.driver_rss / 1024,
        "worker": watch.worker_rss / 1024,
        "total": watch.total_pss / 1024,
    }


def check_faults(root: Path, files: int, engine: str) -> str:
    """Kill one worker halfway through ``files`` one-second files; every file must be done exactly once."""
    corpus = root / f"kill-{engine}"
    if not corpus.exists():
        write_corpus(corpus, files, 1.0, 16000)
    out = root / f"kill-out-{engine}"
    command = [sys.executable, "-m", "streamfreq", "batch", str(corpus), "--out", str(out)]
    command += ["--estimators", ESTIMATORS, "--engine", engine, "--workers", "2", "--quiet"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    killed = None
    while process.poll() is None and killed is None:
        parts = out / "readouts.parquet"
        if parts.is_dir() and len(os.listdir(parts)) >= files // 2:
            workers = [pid for pid in descendants(process.pid) if pid != process.pid and _is_worker(pid)]
            if workers:
                killed = workers[0]
                os.kill(killed, signal.SIGKILL)
        time.sleep(0.02)
    _, err = process.communicate()
    with open(out / "files.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    table = pq.read_table(out / "readouts.parquet", columns=["path", "start"])
    pairs = set(zip(table.column("path").to_pylist(), table.column("start").to_pylist(), strict=True))
    window = defaults.window_for(16000.0)  # the default window at that rate (1024 samples: 64 ms)
    windows = 1 + (16000 - window) // defaults.hop_for_window(window)
    done = sum(row["status"] == "done" for row in rows)
    once = len(pairs) == table.num_rows == files * windows and len({row["path"] for row in rows}) == len(rows)
    verdict = "every file done exactly once" if done == files and once else "FAILED"
    return (
        f"{engine}: {files} files, killed worker pid {killed} halfway: exit {process.returncode}, "
        f"{done}/{files} done, {table.num_rows} rows (expected {files * windows}), no duplicate: {once} -> {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=36.0)
    parser.add_argument("--engines", default="local,ray")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--kill", type=int, default=1000, metavar="N", help="fault check with N files (0: skip)")
    args = parser.parse_args()
    engines = args.engines.split(",")
    with tempfile.TemporaryDirectory(prefix="streamfreq-batch-") as folder:
        root = Path(folder)
        corpus = root / "corpus"
        began = time.perf_counter()
        audio = write_corpus(corpus, args.files, args.seconds)
        print(
            f"corpus: {args.files} files, {audio / 3600:.2f} h of audio at {SAMPLERATE} Hz "
            f"(written in {time.perf_counter() - began:.0f} s); estimators {ESTIMATORS}; {os.cpu_count()} cores"
        )
        print()
        print(
            "| engine | workers | wall s | × real time | files/s | × real time per CPU-s "
            "| driver RSS MB | worker RSS MB | all processes PSS MB | load avg |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        results = {}
        runs = [(engine, int(w)) for engine in engines for w in args.workers.split(",")]
        for index, (engine, workers) in enumerate(runs):
            result = run_batch(corpus, root / f"out{index}", engine, workers)
            results[engine, workers] = result
            print(
                f"| {engine} | {workers} | {result['wall']:.1f} | {audio / result['wall']:.0f} | "
                f"{args.files / result['wall']:.2f} | {audio / result['cpu']:.0f} | {result['driver']:.0f} | "
                f"{result['worker']:.0f} | {result['total']:.0f} | {result['load']:.1f} |",
                flush=True,
            )
        quarter = root / "quarter"
        quarter.mkdir()
        for path in sorted(corpus.iterdir())[: args.files // 4]:
            (quarter / path.name).symlink_to(path)
        result = run_batch(quarter, root / "out-quarter", "local", 2)
        print(
            f"| local, first {args.files // 4} files | 2 | {result['wall']:.1f} | {audio / 4 / result['wall']:.0f} | "
            f"{args.files / 4 / result['wall']:.2f} | {audio / 4 / result['cpu']:.0f} | {result['driver']:.0f} | "
            f"{result['worker']:.0f} | {result['total']:.0f} | {result['load']:.1f} |"
        )
        print()
        for workers in sorted({w for _, w in results}):
            if ("local", workers) in results and ("ray", workers) in results:
                share = results["local", workers]["wall"] / results["ray", workers]["wall"]
                print(f"Ray's throughput with {workers} worker(s): {share:.0%} of the local pool's")
        if ("local", 1) in results and ("local", 2) in results:
            print(
                f"local pool, 1 -> 2 workers: {results['local', 1]['wall'] / results['local', 2]['wall']:.2f}× faster"
            )
        if args.kill:
            print()
            for engine in engines:
                print(check_faults(root, args.kill, engine), flush=True)


if __name__ == "__main__":
    main()
