"""Accuracy of the estimators against the Cramér-Rao bound on seeded tones in white noise.

Prints, per SNR and frequency band, the RMSE over the CRLB, the median error
in cents and the share of windows each estimator reports a number for. Tones
have random phase and amplitude; window 2048 at 48 kHz unless told otherwise.

    python benchmarks/accuracy.py [--trials 500] [--window 2048] [--estimators fft,zc,lstm]
"""

from __future__ import annotations

import argparse

import numpy as np

from streamfreq.bounds import crlb_hz
from streamfreq.estimators import available_estimators, build_estimators
from streamfreq.signals import noise_sigma, tone

SNRS_DB = (-10, -5, 0, 10, 20, 30, 40)
SAMPLERATE = 48000.0


def bands(window: int) -> list[tuple[str, float, float]]:
    """Frequency bands in cycles per window: each estimator's natural ranges and the whole FFT range."""
    return [
        ("5-50 cyc", 5.0, 50.0),
        ("50-100 cyc", 50.0, 100.0),
        ("100-N/4", 100.0, window / 4 - 5),
        ("N/4-N/2", window / 4 + 5, window / 2 - 5),
    ]


def measure(estimator, window: int, low: float, high: float, snr_db: float, trials: int, seed: int):
    rng = np.random.default_rng(seed)
    cycles = rng.uniform(low, high, trials)
    amplitude = rng.uniform(0.05, 1.0, trials)
    frames = tone(window, cycles, rng.uniform(0, 2 * np.pi, trials), amplitude)
    frames += rng.normal(size=frames.shape) * np.array([noise_sigma(a, snr_db) for a in amplitude])[:, None]
    truth = cycles * SAMPLERATE / window
    estimates = estimator.estimate_many(frames.astype(np.float32), SAMPLERATE)
    hz = np.array([e.hz if e.ok else np.nan for e in estimates])
    ok = ~np.isnan(hz)
    if not ok.any():
        return np.nan, np.nan, 0.0
    rmse = np.sqrt(np.mean((hz[ok] - truth[ok]) ** 2)) / crlb_hz(snr_db, window, SAMPLERATE)
    cents = np.median(np.abs(1200 * np.log2(hz[ok] / truth[ok])))
    return rmse, cents, ok.mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--window", type=int, default=2048)
    parser.add_argument("--estimators", default=",".join(available_estimators()))
    args = parser.parse_args()
    estimators = build_estimators(args.estimators.split(","))
    print(f"window {args.window} at {SAMPLERATE:g} Hz, {args.trials} seeded tones per cell, white noise;")
    print("cells: RMSE / CRLB | median |error| in cents | share of windows with a number (ok)\n")
    header = f"| {'band':<11} | {'SNR dB':>6} | " + " | ".join(f"{e.name:^24}" for e in estimators) + " |"
    print(header)
    print("|" + "|".join("-" * (len(part)) for part in header.split("|")[1:-1]) + "|")
    for b, (label, low, high) in enumerate(bands(args.window)):
        for snr in SNRS_DB:
            cells = []
            for estimator in estimators:
                rmse, cents, found = measure(
                    estimator, args.window, low, high, snr, args.trials, seed=1000 * b + snr + 100
                )
                cells.append(f"{rmse:8.2f} {cents:7.3f}c {100 * found:5.1f}%")
            print(f"| {label:<11} | {snr:>6} | " + " | ".join(f"{c:^24}" for c in cells) + " |")
    noise = np.random.default_rng(9).normal(size=(2000, args.window)).astype(np.float32)
    print(
        "\nnoise-only windows flagged no_tone: "
        + ", ".join(
            f"{e.name} {100 * np.mean([x.status == 'no_tone' for x in e.estimate_many(noise, SAMPLERATE)]):.1f}%"
            for e in estimators
        )
    )


if __name__ == "__main__":
    main()
