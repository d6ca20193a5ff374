"""Which runtime runs the LSTM: LiteRT interpreter vs Keras ``predict``, a direct call and ``tf.function``.

Prints the cold import time of each runtime (in a fresh process) and the median
cost of the network on one window (batch 1) and per window in a batch of 64,
for the shipped model (or ``--model``). The network only: preprocessing and
decoding are the same for every runtime.

Run: ``python benchmarks/lstm_runtime.py [--model DIR] [--repeats 200]`` (needs TensorFlow for the Keras rows).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def cold_import(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def median_ms(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    from streamfreq.estimators.lstm import LSTMEstimator

    est = LSTMEstimator(args.model)
    rng = np.random.default_rng(0)
    x1 = est.contract.inputs(rng.standard_normal((1, 2048)))
    x64 = est.contract.inputs(rng.standard_normal((64, 2048)))
    rows = [
        (
            "LiteRT interpreter (ai-edge-litert), 1 thread",
            cold_import("ai_edge_litert.interpreter"),
            median_ms(lambda: est.network(x1), args.repeats),
            median_ms(lambda: est.network(x64), max(10, args.repeats // 10)) / 64,
        ),
    ]
    try:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras
        import tensorflow as tf

        from streamfreq.models.train import inference_model
    except ImportError:
        print("(TensorFlow not installed: Keras rows skipped)")
    else:
        tf_import = cold_import("tensorflow")
        path = Path(est.model_path).with_name(est.metadata.get("keras", "lstm.keras"))
        model = inference_model(keras.models.load_model(path, compile=False))
        fn = tf.function(model, reduce_retracing=True)
        few = max(10, args.repeats // 10)
        rows += [
            (
                "Keras model.predict",
                tf_import,
                median_ms(lambda: model.predict(x1, verbose=0), few),
                median_ms(lambda: model.predict(x64, verbose=0), few) / 64,
            ),
            (
                "Keras direct call (eager)",
                tf_import,
                median_ms(lambda: model(x1), few),
                median_ms(lambda: model(x64), few) / 64,
            ),
            ("tf.function", tf_import, median_ms(lambda: fn(x1), args.repeats), median_ms(lambda: fn(x64), few) / 64),
        ]
    print("| runtime | cold import s | one window ms | per window in a batch of 64, ms |\n|---|---|---|---|")
    for name, imp, one, batched in rows:
        print(f"| {name} | {imp:.2f} | {one:.3f} | {batched:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
