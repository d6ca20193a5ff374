"""Ablation of the LSTM's offset head: which head reads the offset of the f0 from its top bin best.

Each variant starts from the shipped network, gets an offset head of its shape
(``TrainConfig.offset_hidden``: no hidden layer is one linear map from each LSTM
step's features; with hidden layers the head also reads the step's input and its
neighbours'), fitted by :func:`streamfreq.models.train.refit_offset_head` on the
same seeded windows; every other weight stays as shipped, so the bins, the
classes and the confidence are the same in every row. Each row prints the median
|error| in cents of the decoded estimate (top bin + offset, before the bias table)
on held-out seeded material: the training generator's mix and pure tones by band
of cycles per window, at 10 and 20 dB; windows the network calls a tone in range.

    python benchmarks/offset_head.py [--count 12000] [--hidden "" 128 64,32 128,64 256,128]

Needs ``pip install "streamfreq[train]"`` (TensorFlow). About a minute per variant per
6000 windows of ``--count`` on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

BANDS = ((2.1, 4.0), (4.0, 8.0), (8.0, 16.0), (16.0, 32.0), (32.0, 88.0))


def held_out(cfg, seed: int = 4242, per_set: int = 1500) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``{name: (frames, cycles, pitched in range)}``: the generator's mix and pure tones by band and SNR."""
    from streamfreq.models import train
    from streamfreq.models.data import make_windows

    rng = np.random.default_rng(seed)
    frames, cycles, kind = make_windows(rng, 4 * per_set, cfg.data_config())
    sets = {"mix": (frames, cycles, kind == 0)}
    for snr in (10.0, 20.0):
        for band in BANDS:
            tones, tone_cycles = train._sines(rng, per_set // 3, snr, band)
            sets[f"{band[0]:g}-{band[1]:g} @{snr:g} dB"] = (tones, tone_cycles, np.ones(tone_cycles.size, dtype=bool))
    return sets


def median_cents(model, contract, frames: np.ndarray, cycles: np.ndarray, pitched: np.ndarray) -> float:
    from streamfreq.models import train

    logc, cls, _ = contract.decode_raw(train._predict(model, contract.inputs(frames)))
    called = pitched & (cls.argmax(axis=1) == 0)
    return float(np.median(np.abs(1200 * (logc[called] - np.log2(cycles[called])))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=12000, help="generated windows each head is fitted on")
    parser.add_argument(
        "--hidden", nargs="+", default=["", "128", "64,32", "128,64", "256,128"], help='hidden sizes ("" = linear)'
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from streamfreq.models import train

    folder = Path(train.__file__).parent
    recorded = json.loads((folder / "lstm.json").read_text())["training"]["config"]
    sets = None
    print(f"python benchmarks/offset_head.py --count {args.count}")
    print("median |error| in cents, top bin + offset before the bias table, windows called a tone in range\n")
    header = None
    for hidden in args.hidden:
        cfg = train._config_from({**recorded, "offset_hidden": [int(k) for k in hidden.split(",") if k]})
        contract = cfg.contract()
        sets = sets or held_out(cfg)
        model = keras.models.load_model(folder / "lstm.keras", compile=False)
        model, _ = train.refit_offset_head(model, contract, cfg, count=args.count, log=lambda message: None)
        if header is None:
            header = ["offset head", "weights", *sets]
            print("| " + " | ".join(header) + " |")
            print("|" + "---|" * len(header))
        head = [model.get_layer(f"offset_hidden{i}") for i in range(len(cfg.offset_hidden))]
        weights = sum(w.size for layer in [*head, model.get_layer("bin_offsets")] for w in layer.get_weights())
        name = f"hidden {hidden}, reads the input" if hidden else "linear"
        cells = [f"{median_cents(model, contract, *data):.2f}" for data in sets.values()]
        print(f"| {name} | {weights} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
