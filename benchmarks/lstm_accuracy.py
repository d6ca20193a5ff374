"""Accuracy of the LSTM estimator beside the FFT estimator and the Cramér-Rao bound.

Seeded tones in white noise at window 2048 and 48 kHz, frequencies log-uniform
over the LSTM's trained range (read from the model's contract; 2.1..88 cycles
per window, about 49 Hz..2.06 kHz, for the shipped model). Prints, per SNR:
median |error| in cents, RMSE/CRLB and the share of tones found (status ok),
for lstm and fft; the median by band; tones above the trained top, which the
LSTM reads from the window's centre half or quarter (up to 88 cycles of 512
samples, 8.25 kHz); no-tone and out-of-range rates (pure tones below and above
what the LSTM reads, harmonic tones below the range whose harmonics lie inside
it); and the
reliability of the LSTM's confidence on held-out generated material
(``streamfreq.models.data``, a seed the training never used).

Run: ``python benchmarks/lstm_accuracy.py [--model PATH] [--per-snr 1000] [--json OUT]``

The CRLB of a real tone ``A cos(w n + phi)`` in white noise of variance
``sigma**2`` with unknown amplitude and phase, per-sample SNR
``eta = A**2 / (2 sigma**2)``, N samples: ``var(f) >= 12 / ((2 pi)**2 eta N (N**2 - 1))``
in cycles per sample (Kay, 1993), the same at every frequency away from 0 and Nyquist.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

from streamfreq.estimators.base import NO_TONE, OK, OUT_OF_RANGE
from streamfreq.signals import harmonic_tone, noise_sigma, tone

WINDOW = 2048
SAMPLERATE = 48000.0
SNRS = (-10, -5, 0, 5, 10, 20, 30, 40)
RANGE = (2.1, 88.0)  #: cycles per window; replaced by the model's own range in main()
TOP = 352.0  #: the top of what the LSTM reads (from the window's centre part); replaced in main()
INNER_EDGES = (4.0, 8.0, 16.0, 32.0)  #: band edges inside the range (cycles per window)


def band_edges() -> tuple[float, ...]:
    """Edges of the bands the medians are read in: the range's ends and :data:`INNER_EDGES`."""
    return (RANGE[0], *INNER_EDGES, RANGE[1])


def crlb_hz(snr_db: float, n: int = WINDOW, samplerate: float = SAMPLERATE) -> float:
    """Standard deviation bound (Hz) for a real tone at per-sample SNR ``snr_db`` over ``n`` samples.

    Example
    -------
    >>> round(crlb_hz(10.0), 4)
    0.0903
    """
    eta = 10.0 ** (snr_db / 10.0)
    var = 12.0 / ((2 * math.pi) ** 2 * eta * n * (n * n - 1))
    return math.sqrt(var) * samplerate


def tones_in_noise(
    rng: np.random.Generator, count: int, snr_db: float, low: float, high: float, n: int = WINDOW
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` windows with one tone (cycles log-uniform in low..high, random phase and amplitude)."""
    cycles = np.exp(rng.uniform(math.log(low), math.log(high), count))
    amplitude = np.exp(rng.uniform(math.log(0.01), math.log(1.0), count))
    frames = tone(n, cycles, rng.uniform(0, 2 * math.pi, count), amplitude)
    sigma = np.array([noise_sigma(a, snr_db) for a in amplitude])
    frames += sigma[:, None] * rng.standard_normal(frames.shape)
    return frames.astype(np.float32), cycles * SAMPLERATE / n


def no_tone_windows(rng: np.random.Generator, count: int, n: int = WINDOW) -> np.ndarray:
    """White noise of levels 1e-4..1 (half), silence, DC, DC + noise (a sixth each)."""
    frames = np.zeros((count, n))
    kind = np.arange(count) % 6
    level = np.exp(rng.uniform(math.log(1e-4), 0.0, count))[:, None]
    noise = level * rng.standard_normal((count, n))
    dc = rng.uniform(-1, 1, count)[:, None]
    frames[kind < 3] = noise[kind < 3]
    frames[kind == 4] = np.broadcast_to(dc, (count, n))[kind == 4]
    frames[kind == 5] = (dc + 0.1 * noise)[kind == 5]
    return frames.astype(np.float32)


def run_estimator(estimator, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    est = estimator.estimate_many(frames, SAMPLERATE)
    return np.array([e.hz for e in est]), np.array([e.status for e in est])


#: The lowest fundamental of a musical note counted apart among the harmonic tones below the range: A0, the piano's
#: lowest key (Hz). Below it a window of 2048 at 48 kHz holds under 1.2 periods, and one window cannot tell such a
#: tone from rumble or a click train.
LOWEST_NOTE_HZ = 27.5


def harmonic_below_range(
    rng: np.random.Generator, count: int, high_cycles: float, n: int = WINDOW
) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic tones with f0 of 0.5..``high_cycles`` cycles per window and 10..30 partials (mostly in range):
    ``(frames, f0 in cycles per window)``."""
    frames, cycles = [], []
    for _ in range(count):
        c0 = math.exp(rng.uniform(math.log(0.5), math.log(high_cycles)))
        partials = int(rng.integers(10, 31))
        amps = rng.uniform(0.2, 1.0, partials) * (rng.uniform() < 0.5 or np.r_[0.05, np.ones(partials - 1)])
        x = harmonic_tone(n, SAMPLERATE, c0 * SAMPLERATE / n, amps, phases=rng.uniform(0, 2 * math.pi, partials))
        frames.append(x + noise_sigma(float(np.sqrt(2 * np.mean(x**2))), 30.0) * rng.standard_normal(n))
        cycles.append(c0)
    return np.asarray(frames, dtype=np.float32), np.asarray(cycles)


def accuracy(estimators: dict, per_snr: int = 1000, seed: int = 2024) -> dict:
    """All the figures, as a dict ``{section: {estimator: {...}}}``."""
    results: dict = {
        "snr": {},
        "bands": {},
        "centre_read": {},
        "no_tone": {},
        "out_of_range": {},
        "by_freq": {},
        "reliability": {},
    }
    rng = np.random.default_rng(seed)
    sets = {snr: tones_in_noise(rng, per_snr, snr, *RANGE) for snr in SNRS}
    edges = np.array(band_edges()) * SAMPLERATE / WINDOW
    for name, estimator in estimators.items():
        rows, bands = {}, {}
        for snr, (frames, truth) in sets.items():
            hz, status = run_estimator(estimator, frames)
            ok = status == OK
            cents = np.abs(1200 * np.log2(np.where(ok, hz, np.nan) / truth))
            err_hz = np.where(ok, hz - truth, np.nan)
            rows[snr] = {
                "median_cents": float(np.nanmedian(cents)) if ok.any() else math.nan,
                "p90_cents": float(np.nanpercentile(cents, 90)) if ok.any() else math.nan,
                "rmse_over_crlb": float(np.sqrt(np.nanmean(err_hz**2)) / crlb_hz(snr)) if ok.any() else math.nan,
                "found": float(ok.mean()),
            }
            which = np.digitize(truth, edges) - 1
            bands[snr] = [
                float(np.nanmedian(cents[(which == b) & ok])) if np.any((which == b) & ok) else math.nan
                for b in range(len(edges) - 1)
            ]
        results["snr"][name] = rows
        results["bands"][name] = bands
    # above the trained top, up to the top of what the LSTM reads from the window's centre half or quarter
    rng = np.random.default_rng(seed + 4)
    above = {snr: tones_in_noise(rng, per_snr // 4, snr, RANGE[1] * 1.05, TOP * 0.95) for snr in (0, 10, 20, 40)}
    for name, estimator in estimators.items():
        rows = {}
        for snr, (frames, truth) in above.items():
            hz, status = run_estimator(estimator, frames)
            ok = status == OK
            cents = np.abs(1200 * np.log2(np.where(ok, hz, np.nan) / truth))
            rows[snr] = {
                "found": float(ok.mean()),
                "median_cents": float(np.nanmedian(cents)) if ok.any() else math.nan,
                "wrong": float(np.mean(cents[ok] > 50)) if ok.any() else math.nan,
            }
        results["centre_read"][name] = rows
    # error against frequency at 10 dB (the plot)
    frames, truth = sets[10]
    for name, estimator in estimators.items():
        hz, status = run_estimator(estimator, frames)
        results["by_freq"][name] = {"truth": truth.tolist(), "hz": hz.tolist()}
    # no-tone windows: white noise, silence, DC; and the training generator's negatives (a held-out seed)
    from streamfreq.models.data import negative_window

    rng = np.random.default_rng(seed + 1)
    noise = np.concatenate(
        [no_tone_windows(rng, per_snr // 2), np.stack([negative_window(rng, WINDOW) for _ in range(per_snr // 2)])]
    ).astype(np.float32)
    for name, estimator in estimators.items():
        _, status = run_estimator(estimator, noise)
        results["no_tone"][name] = {
            "flagged": float(np.mean(status == NO_TONE)),
            "no_number": float(np.mean(status != OK)),
        }
    # out of range: pure tones below 0.95 x and above 1.05 x the range, SNR 0..40 dB; harmonic tones below it
    rng = np.random.default_rng(seed + 2)
    parts = []
    for snr in (0, 10, 20, 40):
        parts.append(tones_in_noise(rng, per_snr // 8, snr, 0.3, RANGE[0] * 0.95))
        parts.append(tones_in_noise(rng, per_snr // 8, snr, TOP * 1.05, 1000.0))
    below, below_cycles = harmonic_below_range(rng, per_snr // 2, RANGE[0] * 0.95)
    groups = {
        "pure": (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])),
        "harmonic_below": (below, None),
        # of them, the fundamentals of musical notes: the piano's lowest, A0, and up
        "harmonic_below_from_A0": (below[below_cycles * SAMPLERATE / WINDOW >= LOWEST_NOTE_HZ], None),
    }
    for name, estimator in estimators.items():
        for group, (frames, truth) in groups.items():
            hz, status = run_estimator(estimator, frames)
            numbered = status == OK
            row = {"flagged": float(np.mean(status == OUT_OF_RANGE)), "no_number": float(np.mean(~numbered))}
            if truth is not None:
                wrong = numbered & (np.abs(1200 * np.log2(np.where(numbered, hz, 1.0) / truth)) > 50)
                row["numbered_wrong"] = float(np.mean(wrong))
            results["out_of_range"].setdefault(name, {})[group] = row
    # reliability of the LSTM's confidence on held-out generated material
    if "lstm" in estimators:
        from streamfreq.models.data import DataConfig, make_windows

        frames, cycles, _ = make_windows(np.random.default_rng(seed + 3), 4 * per_snr, DataConfig(range_cycles=RANGE))
        est = estimators["lstm"].estimate_many(frames, SAMPLERATE)
        conf = np.array([e.confidence for e in est])
        hz = np.array([e.hz for e in est])
        ok = np.array([e.status == OK for e in est])
        with np.errstate(invalid="ignore"):
            right = np.abs(1200 * np.log2(hz / (cycles * SAMPLERATE / WINDOW))) < 50
        rows = []
        for low, high in ((0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 0.99), (0.99, 1.01)):
            m = ok & (conf >= low) & (conf < high)
            rows.append([low, min(high, 1.0), int(m.sum()), float(np.mean(right[m])) if m.any() else math.nan])
        sure = ok & (conf >= 0.9)
        results["reliability"] = {
            "rows": rows,
            "numbered": float(ok.mean()),
            "pitched_numbered": float(np.mean(ok[np.isfinite(cycles)])),
            "sure_within_50c": float(np.mean(right[sure])) if sure.any() else math.nan,
        }
    return results


def speed(estimator, n: int = WINDOW, repeats: int = 300, batch: int = 256) -> dict:
    """Median seconds per single window, and per window in batches of ``batch``."""
    rng = np.random.default_rng(0)
    one = tones_in_noise(rng, 1, 20, *RANGE)[0]
    many = tones_in_noise(rng, batch, 20, *RANGE)[0]
    estimator.estimate_many(one, SAMPLERATE)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        estimator.estimate_many(one, SAMPLERATE)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(5):
        estimator.estimate_many(many, SAMPLERATE)
    per_batch = (time.perf_counter() - t0) / (5 * batch)
    return {"single_ms": 1e3 * float(np.median(times)), "batched_ms": 1e3 * per_batch}


def print_tables(results: dict, out=sys.stdout) -> None:
    names = list(results["snr"])
    hz = [round(c * SAMPLERATE / WINDOW) for c in RANGE]
    print(
        f"Tones in white noise, window 2048 @ 48 kHz, {RANGE[0]}..{RANGE[1]} cycles/window ({hz[0]}..{hz[1]} Hz)",
        file=out,
    )
    head = "| SNR dB | CRLB Hz |" + "".join(f" {n} median cents | {n} RMSE/CRLB | {n} found |" for n in names)
    print(head, file=out)
    print("|" + "---|" * (2 + 3 * len(names)), file=out)
    for snr in results["snr"][names[0]]:
        row = f"| {snr} | {crlb_hz(float(snr)):.4f} |"
        for n in names:
            r = results["snr"][n][snr]
            row += f" {r['median_cents']:.2f} | {r['rmse_over_crlb']:.1f} | {100 * r['found']:.1f}% |"
        print(row, file=out)
    print("\nMedian |error| in cents by band (cycles per window)", file=out)
    heads = [f"{a:g}-{b:g}" for a, b in zip(band_edges()[:-1], band_edges()[1:], strict=True)]
    print("| estimator | SNR dB | " + " | ".join(heads) + " |\n|---|---|" + "---|" * len(heads), file=out)
    for n in names:
        for snr in (0, 10, 20, 40):
            cells = " | ".join(f"{v:.2f}" for v in results["bands"][n][snr])
            print(f"| {n} | {snr} | {cells} |", file=out)
    print("\nNo-tone windows (white noise, silence, DC, DC + noise; half the training generator's negatives)", file=out)
    print("| estimator | flagged no_tone | given no number |\n|---|---|---|", file=out)
    for n, r in results["no_tone"].items():
        print(f"| {n} | {100 * r['flagged']:.1f}% | {100 * r['no_number']:.1f}% |", file=out)
    top = [round(c * SAMPLERATE / WINDOW) for c in (RANGE[1] * 1.05, TOP * 0.95)]
    print(
        f"\nAbove the trained top: tones at {RANGE[1] * 1.05:.1f}..{TOP * 0.95:.1f} cycles/window ({top[0]}..{top[1]} "
        "Hz), which the LSTM reads from the window's centre half or quarter",
        file=out,
    )
    print("| estimator | SNR dB | numbered | median cents | numbered > 50 cents off |\n|---|---|---|---|---|", file=out)
    for n, rows in results["centre_read"].items():
        for snr, r in rows.items():
            print(
                f"| {n} | {snr} | {100 * r['found']:.1f}% | {r['median_cents']:.2f} | {100 * r['wrong']:.1f}% |",
                file=out,
            )
    low, high = RANGE[0] * 0.95, TOP * 1.05
    print(
        f"\nOut-of-range tones: pure (0.3..{low:.2f} and {high:.1f}..1000 cycles/window, SNR 0..40 dB); "
        f"harmonic with f0 0.5..{low:.2f} cycles/window and 10..30 partials (30 dB), and those of them from "
        f"{LOWEST_NOTE_HZ:g} Hz (A0)",
        file=out,
    )
    print("| estimator | tones | flagged out_of_range | given no number | numbered > 50 cents off |", file=out)
    print("|---|---|---|---|---|", file=out)
    for n, groups in results["out_of_range"].items():
        for group, r in groups.items():
            wrong = f"{100 * r['numbered_wrong']:.1f}%" if "numbered_wrong" in r else "-"
            print(f"| {n} | {group} | {100 * r['flagged']:.1f}% | {100 * r['no_number']:.1f}% | {wrong} |", file=out)
    rel = results.get("reliability")
    if rel:
        print("\nLSTM confidence reliability on held-out generated material (streamfreq.models.data)", file=out)
        print("| confidence | numbered windows | within 50 cents |\n|---|---|---|", file=out)
        for low, high, count, share in rel["rows"]:
            print(f"| {low:.2f}..{high:.2f} | {count} | {100 * share:.1f}% |", file=out)
        print(
            f"numbered: {100 * rel['numbered']:.1f}% of all windows, {100 * rel['pitched_numbered']:.1f}% of pitched "
            f"ones; confidence >= 0.9: {100 * rel['sure_within_50c']:.2f}% within 50 cents",
            file=out,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="LSTM model (lstm.json, its folder, or a .tflite)")
    parser.add_argument("--views", type=int, default=None, help="LSTM views per window (default: the model's)")
    parser.add_argument("--per-snr", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    parser.add_argument(
        "--update-metadata",
        action="store_true",
        help="record the LSTM's figures under metrics.benchmark in the model's lstm.json",
    )
    args = parser.parse_args(argv)
    from streamfreq.estimators.fft import FFTEstimator
    from streamfreq.estimators.lstm import LSTMEstimator

    global RANGE, TOP
    lstm = LSTMEstimator(args.model, views=args.views)
    RANGE = lstm.range_cycles
    TOP = lstm.range_for(WINDOW)[1]
    estimators = {"lstm": lstm, "fft": FFTEstimator()}
    results = accuracy(estimators, args.per_snr, args.seed)
    print_tables(results)
    print("\nSpeed (window 2048; median of single windows, and per window in batches of 256)")
    print("| estimator | single window ms | batched ms/window |\n|---|---|---|")
    results["speed"] = {}
    for n, e in estimators.items():
        s = speed(e)
        results["speed"][n] = s
        print(f"| {n} | {s['single_ms']:.3f} | {s['batched_ms']:.3f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f)
    if args.update_metadata:
        path = estimators["lstm"].model_path
        meta = json.loads(path.read_text())
        meta.setdefault("metrics", {})["benchmark"] = {
            "test_set": f"seeded tones, window {WINDOW} @ {SAMPLERATE:g} Hz, {RANGE[0]}..{RANGE[1]} cycles/window "
            "log-uniform, "
            f"{args.per_snr} per SNR, seed {args.seed} (benchmarks/lstm_accuracy.py)",
            "per_snr": {str(k): v for k, v in results["snr"]["lstm"].items()},
            "no_tone": results["no_tone"]["lstm"],
            "out_of_range": results["out_of_range"]["lstm"],
            "reliability": results["reliability"],
            "speed_ms": results["speed"]["lstm"],
        }
        path.write_text(json.dumps(meta, indent=2) + "\n")
        print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
