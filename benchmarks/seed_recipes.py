"""The journey, measured: the three seed recipes (SEED-RECIPES.md) retrained, beside streamfreq's LSTM.

Each recipe is retrained on its own data and scored there (its own metric:
MAE or RMSE in its own frequency unit ``f``), then scored on streamfreq's test
set: seeded tones of 3..100 cycles per window at window 2048 and 48 kHz in
white noise at several SNRs, resampled to the recipe's input length by
:func:`streamfreq.windowing.resample_to_length` (which keeps cycles per window)
and scaled to unit amplitude, the recipe's convention.

Frequency units: every recipe uses ``x = sin(f * t)`` with
``t = linspace(0, 2 pi, N)`` (endpoint included), so the phase step is
``2 pi f / (N - 1)`` per sample and a window of N samples holds
``c = f * N / (N - 1)`` cycles. Conversions here use that explicitly.

Run: ``python benchmarks/seed_recipes.py [--epochs-scale 1.0] [--seed 0] [--model PATH]``
(needs TensorFlow; the full version takes about 15 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from lstm_accuracy import RANGE, SAMPLERATE, WINDOW, crlb_hz, tones_in_noise  # noqa: E402

from streamfreq.windowing import resample_to_length  # noqa: E402

TEST_SNRS = (0, 10, 20, 40)


def sine(n: int, f: np.ndarray, offset: np.ndarray | float = 0.0) -> np.ndarray:
    """``sin(f * t)`` with ``t = linspace(offset, 2 pi + offset, n)``; shape ``(len(f), n)``."""
    t = np.linspace(0.0, 2 * np.pi, n)[None, :] + np.asarray(offset, dtype=np.float64).reshape(-1, 1)
    return np.sin(np.asarray(f, dtype=np.float64)[:, None] * t)


def f_to_cycles(f, n):
    return np.asarray(f) * n / (n - 1)


def cycles_to_f(c, n):
    return np.asarray(c) * (n - 1) / n


def _dense(hidden, last_activation, flat_len):
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((flat_len,)), *hidden, layers.Dense(1, activation=last_activation)])


def recipes(max_freqs=(10, 20, 30)):
    """``[(name, n, builder, data_fn, loss, epochs, batch)]`` for R1a, R1b, R2 (per max_freq), R3a, R3b."""
    from keras import layers

    out = []

    def r1_data(rng):
        f = np.arange(1, 101, dtype=np.float64)
        return sine(2000, f), f, None

    out.append(("R1a Dense(100)", 2000, lambda: _dense([layers.Dense(100)], "relu", 2000), r1_data, "mae", 100, 32))

    def r1b():
        import keras

        return keras.Sequential([keras.Input((2000, 1)), layers.LSTM(100), layers.Dense(1, activation="relu")])

    out.append(("R1b LSTM(100)", 2000, r1b, r1_data, "mae", 100, 32))

    for mf in max_freqs:

        def r2_data(rng, mf=mf):
            f = np.repeat(np.arange(1, mf, dtype=np.float64), 10)
            return sine(100, f, rng.uniform(0, 1, f.size)), f, None

        def r2():
            import keras

            return keras.Sequential(
                [
                    keras.Input((100, 1)),
                    layers.LSTM(100),
                    layers.Dense(100, activation="relu"),
                    layers.Dropout(0.1),
                    layers.Dense(1, activation="relu"),
                ]
            )

        out.append((f"R2 LSTM(100) max_freq {mf}", 100, r2, r2_data, "mse", 200, 32))

    def r3_data(rng):
        f = rng.permutation(np.linspace(1, 50, 2500))
        return sine(100, f), f, 2000

    def r3a():
        import keras

        return keras.Sequential(
            [
                keras.Input((100, 1)),
                layers.LSTM(10),
                layers.Dense(100, activation="relu"),
                layers.Dense(1),
            ]
        )

    out.append(("R3a LSTM(10)", 100, r3a, r3_data, "mse", 100, 64))
    out.append(
        (
            "R3b Dense(100,100)",
            100,
            lambda: _dense([layers.Dense(100), layers.Dense(100)], None, 100),
            r3_data,
            "mse",
            100,
            64,
        )
    )
    return out


def our_test_set(per_snr: int, seed: int):
    rng = np.random.default_rng(seed)
    return {snr: tones_in_noise(rng, per_snr, snr, *RANGE) for snr in TEST_SNRS}


def to_recipe_input(frames: np.ndarray, n: int) -> np.ndarray:
    """Resample 2048-sample windows to ``n`` samples (same cycles per window), unit amplitude."""
    x = resample_to_length(frames, n).astype(np.float64)
    x -= x.mean(axis=1, keepdims=True)
    rms = np.sqrt(np.mean(x**2, axis=1, keepdims=True))
    return x / np.where(rms > 0, rms, 1.0) / math.sqrt(2.0)


def score(hz: np.ndarray, truth: np.ndarray, snr: float) -> tuple[float, float, float]:
    """``(median cents, RMSE/CRLB, share numbered)``.

    A nan or <= 0 output is a miss: infinitely many cents off in the median,
    left out of the RMSE (which is over the numbered outputs).
    """
    valid = np.isfinite(hz) & (hz > 0)
    cents = np.abs(1200 * np.log2(np.where(valid, hz, 1.0) / truth))
    cents[~valid] = np.inf
    rmse = float(np.sqrt(np.mean((hz[valid] - truth[valid]) ** 2))) if valid.any() else math.nan
    return float(np.median(cents)), rmse / crlb_hz(snr), float(valid.mean())


def run(epochs_scale: float, seed: int, per_snr: int, model: str | None, log=print) -> list[dict]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    tests = our_test_set(per_snr, seed + 100)
    rows = []
    for name, n, build, data, loss, epochs, batch in recipes():
        keras.utils.set_random_seed(seed)
        rng = np.random.default_rng(seed)
        x, f, n_train = data(rng)
        flat = "Dense" in name.split()[1]
        shape = (lambda a: a) if flat else (lambda a: a[..., None])
        x_train, f_train = (x, f) if n_train is None else (x[:n_train], f[:n_train])
        model_k = build()
        model_k.compile(optimizer="adam", loss=loss)
        e = max(1, round(epochs * epochs_scale))
        t0 = time.monotonic()
        model_k.fit(shape(x_train), f_train, epochs=e, batch_size=batch, verbose=0)
        seconds = time.monotonic() - t0
        pred_train = model_k.predict(shape(x_train), verbose=0, batch_size=256)[:, 0]
        own = {"train MAE": float(np.mean(np.abs(pred_train - f_train))), "stuck at 0": float(np.mean(pred_train <= 0))}
        if n_train is not None:
            pred_test = model_k.predict(shape(x[n_train:]), verbose=0, batch_size=256)[:, 0]
            own["test RMSE"] = float(np.sqrt(np.mean((pred_test - f[n_train:]) ** 2)))
        ours = {}
        for snr, (frames, truth_hz) in tests.items():
            pred = model_k.predict(shape(to_recipe_input(frames, n)), verbose=0, batch_size=256)[:, 0]
            hz = f_to_cycles(pred, n) * SAMPLERATE / WINDOW
            ours[snr] = score(hz, truth_hz, snr)
        row = {"name": name, "epochs": e, "seconds": seconds, "own": own, "ours": ours}
        log(f"{name}: {e} epochs in {seconds:.0f} s, {own}")
        rows.append(row)
    # streamfreq's LSTM on the same test set
    from streamfreq.estimators.lstm import LSTMEstimator

    est = LSTMEstimator(model)
    ours = {}
    for snr, (frames, truth_hz) in tests.items():
        e_ = est.estimate_many(frames, SAMPLERATE)
        ours[snr] = score(np.array([x.hz for x in e_]), truth_hz, snr)
    rows.append({"name": "streamfreq LSTM", "epochs": None, "seconds": None, "own": {}, "ours": ours})
    return rows


def print_table(rows: list[dict], epochs_scale: float, out=sys.stdout) -> None:
    print(
        f"Seed recipes retrained (epochs x {epochs_scale:g}), scored on their own data and on streamfreq's "
        "test set (3..100 cycles/window, window 2048 @ 48 kHz; median |error| cents / RMSE/CRLB over the "
        "numbered outputs; a zero, negative or withheld output is a miss, infinitely off in the median)",
        file=out,
    )
    head = "| model | epochs | train s | own data |" + "".join(f" {s} dB |" for s in TEST_SNRS)
    print(head + "\n|" + "---|" * (4 + len(TEST_SNRS)), file=out)
    for r in rows:
        own = ", ".join(f"{k} {v:.3g}" if "stuck" not in k else f"{k} {100 * v:.0f}%" for k, v in r["own"].items())
        cells = "".join(
            f" {_c(m)} / {q:.3g}{'' if s_ == 1 else f' ({100 * (1 - s_):.0f}% miss)'} |"
            for m, q, s_ in (r["ours"][s] for s in TEST_SNRS)
        )
        ep = "" if r["epochs"] is None else str(r["epochs"])
        sec = "" if r["seconds"] is None else f"{r['seconds']:.0f}"
        print(f"| {r['name']} | {ep} | {sec} | {own or '-'} |{cells}", file=out)


def _c(m: float) -> str:
    return "inf" if not math.isfinite(m) else f"{m:.3g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs-scale", type=float, default=1.0, help="multiply every recipe's epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-snr", type=int, default=500)
    parser.add_argument("--model", default=None, help="streamfreq LSTM model to compare (default: shipped)")
    args = parser.parse_args(argv)
    rows = run(args.epochs_scale, args.seed, args.per_snr, args.model, log=lambda s: print(s, flush=True))
    print_table(rows, args.epochs_scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
