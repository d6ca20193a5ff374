"""Tones in noise of many colours and bands: read right, read wrong, and noise alone read as a tone.

Seeded windows of 2048 samples at 48 kHz: sines and harmonic tones (15 partials, amplitudes random over
0.1..1 divided by the harmonic number, every partial below Nyquist) with f0 log-uniform over 80..2000 Hz, in
noise of each kind at a signal-to-noise ratio of 0, 5 and 10 dB (signal power over noise power, whole band).
The noise is white, pink (-3 dB per octave), brown (-6), violet (+6), or white noise through a Butterworth
filter: band-passed (order 2 per edge) at 1..8 kHz, 2..5 kHz, 300..3400 Hz (a telephone band) and 500..1500 Hz,
high-passed at 4 kHz (hiss) or low-passed at 1 kHz (order 4: rumble, traffic, a fan). Band-limited noise is
what breath, a fan or a recording chain puts under a whistle or a voice; its band edges fall faster than
coloured noise does. Cells: % of windows read within 50 cents / % read 50 cents or more off; then the % of
windows of each noise alone that get a number.

Run: ``python benchmarks/noise_colours.py [--estimators fft,zc,lstm] [--count 200] [--seed 11]``
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import scipy.signal

from streamfreq.estimators import available_estimators, build_estimators
from streamfreq.estimators.base import OK

WINDOW = 2048
SAMPLERATE = 48000.0
SNRS = (0.0, 5.0, 10.0)
#: Butterworth filters of white noise: (type, edges in Hz, order).
FILTERED = {
    "band 1..8 kHz": ("bandpass", (1000.0, 8000.0), 2),
    "band 2..5 kHz": ("bandpass", (2000.0, 5000.0), 2),
    "telephone 300..3400 Hz": ("bandpass", (300.0, 3400.0), 2),
    "band 500..1500 Hz": ("bandpass", (500.0, 1500.0), 2),
    "hiss above 4 kHz": ("highpass", 4000.0, 4),
    "rumble below 1 kHz": ("lowpass", 1000.0, 4),
}
#: Spectral slopes (power per octave, as a power of the frequency) of coloured noise.
COLOURED = {"white": 0.0, "pink": -1.0, "brown": -2.0, "violet": 2.0}


def noise(kind: str, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` windows of noise of ``kind`` (unit-free; each window scaled later)."""
    white = rng.normal(size=(count, 2 * WINDOW))
    if kind in COLOURED:
        spectrum = np.fft.rfft(white, axis=1)
        bins = np.maximum(np.arange(spectrum.shape[1]), 1)
        return np.fft.irfft(spectrum * bins ** (COLOURED[kind] / 2.0), axis=1)[:, :WINDOW]
    btype, edges, order = FILTERED[kind]
    sos = scipy.signal.butter(order, edges, btype, fs=SAMPLERATE, output="sos")
    return scipy.signal.sosfilt(sos, white, axis=1)[:, WINDOW:]  # settled over the first window


def tones(signal: str, f0: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Windows of sines (``"sine"``) or harmonic tones (``"harmonic"``) at ``f0`` Hz, random phases."""
    t = np.arange(WINDOW) / SAMPLERATE
    phase = rng.uniform(0.0, 2.0 * np.pi, (len(f0), 1))
    if signal == "sine":
        return np.sin(2.0 * np.pi * f0[:, None] * t + phase)
    out = np.zeros((len(f0), WINDOW))
    for number in range(1, 16):
        amplitude = rng.uniform(0.1, 1.0, (len(f0), 1)) / number
        below = number * f0[:, None] < SAMPLERATE / 2 - 500.0
        out += np.where(below, amplitude * np.sin(2.0 * np.pi * number * f0[:, None] * t + number * phase), 0.0)
    return out


def scores(estimator, frames: np.ndarray, f0: np.ndarray) -> tuple[float, float]:
    """% of ``frames`` read within 50 cents of ``f0``, and % read 50 cents or more off."""
    hz = np.array([e.hz if e.status == OK else np.nan for e in estimator.estimate_many(frames, SAMPLERATE)])
    read = np.isfinite(hz)
    right = read & (np.abs(1200.0 * np.log2(np.where(read, hz, 1.0) / f0)) < 50.0)
    return 100.0 * right.mean(), 100.0 * (read & ~right).mean()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimators", default=",".join(available_estimators()))
    parser.add_argument("--count", type=int, default=200, help="windows per cell (default 200)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    estimators = build_estimators([name for name in args.estimators.split(",") if name])
    rng = np.random.default_rng(args.seed)
    print("python benchmarks/noise_colours.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print(f"{args.count} windows of {WINDOW} samples at {SAMPLERATE:g} Hz per cell; right % / wrong %\n")
    names = [e.name for e in estimators]
    header = ["noise", "SNR dB", "signal", *names]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    alone = {}
    for kind in [*COLOURED, *FILTERED]:
        frames = noise(kind, args.count, rng).astype(np.float32)
        alone[kind] = [
            100.0 * np.mean([e.status == OK for e in est.estimate_many(frames, SAMPLERATE)]) for est in estimators
        ]
        for snr_db in SNRS:
            for signal in ("sine", "harmonic"):
                f0 = np.exp(rng.uniform(np.log(80.0), np.log(2000.0), args.count))
                clean = tones(signal, f0, rng)
                background = noise(kind, args.count, rng)
                ratio = np.mean(clean**2, axis=1, keepdims=True) / np.mean(background**2, axis=1, keepdims=True)
                frames = (clean + background * np.sqrt(ratio) * 10.0 ** (-snr_db / 20.0)).astype(np.float32)
                cells = [f"{right:.1f} / {wrong:.1f}" for right, wrong in (scores(e, frames, f0) for e in estimators)]
                print(f"| {kind} | {snr_db:g} | {signal} | " + " | ".join(cells) + " |")
    print("\n% of windows of noise alone that get a number:\n")
    print("| noise | " + " | ".join(names) + " |")
    print("|" + "---|" * (len(names) + 1))
    for kind, shares in alone.items():
        print(f"| {kind} | " + " | ".join(f"{v:.1f}" for v in shares) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
