"""Plot for the model card: LSTM error vs SNR and vs frequency, beside the FFT estimator and the CRLB.

Writes ``models/accuracy.png`` (or ``--out``) from the figures of
``benchmarks/lstm_accuracy.py`` (run here, or read from its ``--json`` output).

Run: ``python benchmarks/model_card.py [--json results.json] [--out models/accuracy.png]``
(needs matplotlib, part of the ``train`` extra).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import lstm_accuracy  # noqa: E402
from lstm_accuracy import SAMPLERATE, WINDOW, accuracy, crlb_hz  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def plot(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    colours = {"lstm": "tab:red", "fft": "tab:blue"}
    for name, rows in results["snr"].items():
        snrs = sorted(rows, key=float)
        rmse = [rows[s]["rmse_over_crlb"] * crlb_hz(float(s)) for s in snrs]
        med = [rows[s]["median_cents"] for s in snrs]
        ax1.semilogy([float(s) for s in snrs], rmse, "o-", color=colours.get(name), label=f"{name} RMSE (Hz)")
        ax1.semilogy(
            [float(s) for s in snrs],
            np.array(med) * 1e-2,
            "s--",
            color=colours.get(name),
            alpha=0.6,
            label=f"{name} median |error| (cents / 100)",
        )
    grid = np.linspace(-10, 40, 51)
    ax1.semilogy(grid, [crlb_hz(s) for s in grid], "k:", label="CRLB (Hz)")
    ax1.set_xlabel("per-sample SNR (dB)")
    ax1.set_ylabel("error")
    ax1.set_title(f"Error vs SNR (window {WINDOW} @ {SAMPLERATE / 1000:g} kHz, the trained range)")
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend(fontsize=7)

    for name, d in results["by_freq"].items():
        truth, hz = np.array(d["truth"]), np.array(d["hz"], dtype=float)
        cents = np.abs(1200 * np.log2(hz / truth))
        ax2.loglog(truth, np.maximum(cents, 1e-3), ".", ms=2.5, color=colours.get(name), alpha=0.5, label=name)
    f = np.geomspace(45, 2200, 100)
    ax2.loglog(f, 1200 / math.log(2) * crlb_hz(10.0) / f, "k:", label="CRLB (1 sigma)")
    ax2.axhline(3.0, color="grey", lw=0.8, ls="--", label="target median 3 cents")
    ax2.set_xlabel("frequency (Hz)")
    ax2.set_ylabel("|error| (cents)")
    ax2.set_title("Error vs frequency at 10 dB SNR")
    ax2.grid(True, which="both", alpha=0.3)
    ax2.legend(fontsize=7, markerscale=4)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", default=None, help="figures written by lstm_accuracy.py --json")
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "accuracy.png")
    args = parser.parse_args(argv)
    if args.json:
        results = json.loads(Path(args.json).read_text())
    else:
        from streamfreq.estimators.fft import FFTEstimator
        from streamfreq.estimators.lstm import LSTMEstimator

        lstm = LSTMEstimator(args.model)
        lstm_accuracy.RANGE = lstm.range_cycles
        results = accuracy({"lstm": lstm, "fft": FFTEstimator()})
    plot(results, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
