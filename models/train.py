"""Training recipe for the streamfreq LSTM frequency estimator.

Windows are generated on the fly with the project's own signal generators
(:func:`streamfreq.signals.tone`, :func:`streamfreq.signals.noise_sigma`) and
turned into network input by the one shared :func:`streamfreq.windowing.preprocess`.

The network (see :func:`build_model`) is a strided convolutional front end
that shortens the 256-sample input to 32 steps, an LSTM that reads those steps,
and two heads:

* ``bins``: a softmax over log-spaced frequency bins covering
  :data:`BIN_LOW`..:data:`BIN_HIGH` cycles per window, trained on
  Gaussian-blurred targets plus an L1 loss on the distribution's mean
  (so its local weighted average is a calibrated sub-bin estimate);
* ``cls``: a softmax over three classes, tone in range / no tone / tone out of range.

The trained (advertised) range is :data:`RANGE_LOW`..:data:`RANGE_HIGH`
cycles per window; tones are drawn from a wider span and labelled out of
range beyond it, and a share of windows carries no tone at all (white noise,
silence, DC).

Run ``python -m streamfreq.models.train --out DIR`` (or ``streamfreq-train``);
``--quick`` proves the recipe end to end in under two minutes.

Example
-------
>>> from streamfreq.models.train import TrainConfig, make_batch
>>> import numpy as np
>>> x, y = make_batch(np.random.default_rng(0), 8, TrainConfig())
>>> x.shape, y["cls"].shape, y["bins"].shape
((8, 256, 1), (8, 3), (8, 160))
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from streamfreq.signals import noise_sigma, tone
from streamfreq.windowing import PREPROCESS_VERSION, preprocess

LENGTH = 256  #: network input length (samples after resampling)
RANGE_LOW = 3.0  #: lowest advertised frequency, cycles per window
RANGE_HIGH = 100.0  #: highest advertised frequency, cycles per window
BIN_LOW = 1.5  #: centre of the first frequency bin, cycles per window
BIN_HIGH = 160.0  #: centre of the last frequency bin, cycles per window
N_BINS = 160  #: number of log-spaced bins (about 50.5 cents apart)
CLASSES = ("tone", "no_tone", "out_of_range")
METADATA_FORMAT = 1
EXPORT_BATCHES = (1, 64)  #: fixed batch sizes of the exported LiteRT models


def bin_centres() -> np.ndarray:
    """Log2 of the bin centres (cycles per window), shape ``(N_BINS,)``."""
    return np.linspace(math.log2(BIN_LOW), math.log2(BIN_HIGH), N_BINS)


@dataclass
class TrainConfig:
    """Everything that defines a training run (recorded in the metadata)."""

    seed: int = 0
    epochs: int = 40
    steps_per_epoch: int = 200
    batch_size: int = 256
    learning_rate: float = 5e-4
    warmup: float = 0.05  #: share of the steps spent warming the learning rate up from a tenth
    window: int = 2048  #: length of the generated full-resolution windows
    snr_db: tuple[float, float] = (-10.0, 40.0)
    tone_span: tuple[float, float] = (0.3, 140.0)  #: cycles per window for all generated tones
    p_no_tone: float = 0.15
    p_out_of_range: float = 0.15
    p_harmonics: float = 0.2
    label_sigma_bins: float = 1.0
    conv_filters: tuple[int, ...] = (32, 48, 64)
    conv_kernels: tuple[int, ...] = (9, 5, 5)
    conv_strides: tuple[int, ...] = (2, 2, 2)
    conv_activation: str = "tanh"
    lstm_units: int = 96
    bidirectional: bool = False
    norm: str = "layer"  #: normalisation of the conv features before the LSTM: "layer", "batch" or "none"
    norm_epsilon: float = 1e-2  #: silent windows give constant features; a larger epsilon keeps them tame
    raw_skip: bool = False  #: feed the LSTM the average-pooled input beside the conv features
    readout: str = "both"  #: "last" LSTM output, the "mean" of its outputs over time, "both", or "dual"
    dense_units: int = 128
    pos_weight: float = 0.1
    offset_weight: float = 1.0
    decode: str = "offset"  #: "offset" (top bin + its offset), "average" (local weighted average) or "blend"
    views: int = 2  #: views per window the estimator averages by default (recorded in the metadata)
    init: str | None = None  #: start from this .keras model's weights (a fine-tuning stage)
    calibrate: bool = True  #: fit the bias calibration after training (see fit_calibration)
    calibration_count: int = 30000  #: tones the calibration is fitted on
    extra: dict = field(default_factory=dict)


def _log_uniform(rng: np.random.Generator, low: float, high: float, size: int) -> np.ndarray:
    return np.exp(rng.uniform(math.log(low), math.log(high), size))


def make_windows(rng: np.random.Generator, batch: int, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full-resolution training windows.

    Returns ``(frames (batch, window) float32, cycles (batch,), kind (batch,))``
    where ``kind`` is 0 for a tone in range, 1 for no tone, 2 for a tone out of
    range, and ``cycles`` is nan for no-tone windows.
    """
    n = cfg.window
    u = rng.uniform(size=batch)
    kind = np.zeros(batch, dtype=np.int64)
    kind[u < cfg.p_no_tone] = 1
    kind[(u >= cfg.p_no_tone) & (u < cfg.p_no_tone + cfg.p_out_of_range)] = 2

    cycles = _log_uniform(rng, RANGE_LOW, RANGE_HIGH, batch)
    oor = kind == 2
    low_side = rng.uniform(size=batch) < 0.5
    cycles[oor & low_side] = _log_uniform(rng, cfg.tone_span[0], RANGE_LOW, int(np.sum(oor & low_side)))
    cycles[oor & ~low_side] = _log_uniform(rng, RANGE_HIGH, cfg.tone_span[1], int(np.sum(oor & ~low_side)))
    amplitude = _log_uniform(rng, 1e-3, 1.0, batch)
    phase = rng.uniform(0, 2 * np.pi, batch)
    snr = rng.uniform(cfg.snr_db[0], cfg.snr_db[1], batch)
    sigma = np.array([noise_sigma(a, s) for a, s in zip(amplitude, snr, strict=True)])
    frames = tone(n, cycles, phase, amplitude)
    harm = (rng.uniform(size=batch) < cfg.p_harmonics) & (kind != 1)
    for h in (2, 3):
        gain = 10.0 ** (rng.uniform(-40, -15, batch) / 20.0)
        idx = np.flatnonzero(harm)
        if idx.size:
            frames[idx] += tone(n, h * cycles[idx], rng.uniform(0, 2 * np.pi, idx.size), gain[idx] * amplitude[idx])
    frames += sigma[:, None] * rng.standard_normal((batch, n))
    frames += (rng.uniform(-1, 1, batch) * amplitude * (rng.uniform(size=batch) < 0.5))[:, None]

    # no-tone windows: white noise of any level, silence, DC, DC + noise
    idx = np.flatnonzero(kind == 1)
    if idx.size:
        what = rng.integers(0, 4, idx.size)
        level = _log_uniform(rng, 1e-4, 1.0, idx.size)
        noise = level[:, None] * rng.standard_normal((idx.size, n))
        dc = rng.uniform(-1, 1, idx.size)[:, None]
        frames[idx] = np.where(
            (what == 0)[:, None],
            noise,
            np.where((what == 1)[:, None], 0.0, np.where((what == 2)[:, None], dc, dc + 0.1 * noise)),
        )
    cycles[kind == 1] = np.nan
    return frames.astype(np.float32), cycles, kind


def targets(cycles: np.ndarray, kind: np.ndarray, cfg: TrainConfig) -> dict[str, np.ndarray]:
    """Training targets for the two heads (and the mean-position loss)."""
    centres = bin_centres()
    step = centres[1] - centres[0]
    has_freq = np.isfinite(cycles) & (cycles >= BIN_LOW * 1.3) & (cycles <= BIN_HIGH / 1.2)
    logc = np.log2(np.where(has_freq, cycles, 1.0))
    dist = (centres[None, :] - logc[:, None]) / (step * cfg.label_sigma_bins)
    bins = np.exp(-0.5 * dist**2)
    bins /= bins.sum(axis=1, keepdims=True)
    bins[~has_freq] = 0.0  # zero target -> zero cross-entropy
    position = (logc - centres[0]) / step  # in bins
    pos = np.stack([position, has_freq.astype(np.float64)], axis=1)
    off = position[:, None] - np.arange(N_BINS)[None, :]  # offset of the truth from each bin
    mask = (np.abs(off) <= 1.5) & has_freq[:, None]  # trained only near the truth
    cls = np.eye(3)[kind]
    return {
        "bins": bins.astype(np.float32),
        "pos": pos.astype(np.float32),
        "off": np.concatenate([off, mask], axis=1).astype(np.float32),
        "cls": cls.astype(np.float32),
    }


def make_batch(rng: np.random.Generator, batch: int, cfg: TrainConfig) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A batch of network inputs ``(batch, LENGTH, 1)`` and its targets."""
    frames, cycles, kind = make_windows(rng, batch, cfg)
    return preprocess(frames, LENGTH), targets(cycles, kind, cfg)


def make_dataset(rng: np.random.Generator, count: int, cfg: TrainConfig, chunk: int = 2048):
    """``count`` examples generated in chunks (to bound memory)."""
    xs, ys = [], []
    for start in range(0, count, chunk):
        x, y = make_batch(rng, min(chunk, count - start), cfg)
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), {k: np.concatenate([y[k] for y in ys]) for k in ys[0]}


# ---------------------------------------------------------------- model


def _single_lstm(layers, inp, x, cfg: TrainConfig):
    if cfg.norm == "layer":  # per step, across channels: keeps the LSTM out of saturation
        x = layers.LayerNormalization(epsilon=cfg.norm_epsilon, name="norm")(x)
    elif cfg.norm == "batch":
        x = layers.BatchNormalization(name="norm")(x)
    if cfg.raw_skip:  # the input itself, averaged to the LSTM's step rate (slow tones, un-normalised)
        pool = int(np.prod(cfg.conv_strides))
        x = layers.Concatenate(name="with_raw")([x, layers.AveragePooling1D(pool, name="raw")(inp)])
    seq = cfg.readout != "last"
    lstm = layers.LSTM(cfg.lstm_units, unroll=True, return_sequences=seq, name="lstm")
    if cfg.readout == "both":  # the mean of the outputs over time beside the last output
        seq_out, last, _ = layers.LSTM(
            cfg.lstm_units, unroll=True, return_sequences=True, return_state=True, name="lstm"
        )(x)
        x = layers.Concatenate(name="readout")([layers.GlobalAveragePooling1D(name="mean")(seq_out), last])
    else:
        x = layers.Bidirectional(lstm, name="bilstm")(x) if cfg.bidirectional else lstm(x)
    if cfg.readout == "mean":  # average of the LSTM outputs over time
        x = layers.GlobalAveragePooling1D(name="mean")(x)
    return x


def _dual_lstm(layers, inp, x, cfg: TrainConfig):
    """Two LSTMs on the same conv features.

    One reads the raw features and is read out at its last step (it tracks
    slow tones over the whole window); the other reads them layer-normalised
    per step and is read out as its mean over time (the normalisation keeps it
    out of the saturation that fast tones drive the first one into).
    """
    last = layers.LSTM(cfg.lstm_units, unroll=True, name="lstm_last")(x)
    normed = layers.LayerNormalization(epsilon=cfg.norm_epsilon, name="norm")(x)
    seq = layers.LSTM(cfg.lstm_units, unroll=True, return_sequences=True, name="lstm_mean")(normed)
    return layers.Concatenate(name="readout")([last, layers.GlobalAveragePooling1D(name="mean")(seq)])


def build_model(cfg: TrainConfig):
    """The Keras training model: input ``(LENGTH, 1)``; outputs ``bins``, ``pos``, ``cls``."""
    import keras
    from keras import layers

    inp = keras.Input((LENGTH, 1), name="window")
    x = inp
    for i, (filters, kernel, stride) in enumerate(
        zip(cfg.conv_filters, cfg.conv_kernels, cfg.conv_strides, strict=True)
    ):
        x = layers.Conv1D(
            filters, kernel, strides=stride, padding="same", activation=cfg.conv_activation, name=f"conv{i}"
        )(x)
    x = (_dual_lstm if cfg.readout == "dual" else _single_lstm)(layers, inp, x, cfg)
    x = layers.Dense(cfg.dense_units, activation="relu", name="dense")(x)
    bins = layers.Dense(N_BINS, activation="softmax", name="bins")(x)
    cls = layers.Dense(3, activation="softmax", name="cls")(x)
    off = layers.Dense(N_BINS, name="off")(x)  # offset of the frequency from each bin centre, in bins
    # mean bin index of the distribution: a fixed (non-trainable) dot product with 0..N_BINS-1
    pos_layer = layers.Dense(1, use_bias=False, trainable=False, name="pos")
    pos = pos_layer(bins)
    pos_layer.set_weights([np.arange(N_BINS, dtype=np.float32)[:, None]])
    return keras.Model(inp, {"bins": bins, "pos": pos, "off": off, "cls": cls}, name="streamfreq_lstm")


def _pos_loss(y_true, y_pred):
    import keras

    return y_true[:, 1] * keras.ops.abs(y_pred[:, 0] - y_true[:, 0])


def _offset_loss(y_true, y_pred):
    import keras

    target, mask = y_true[:, :N_BINS], y_true[:, N_BINS:]
    return keras.ops.sum(mask * keras.ops.abs(y_pred - target), axis=-1) / keras.ops.maximum(
        keras.ops.sum(mask, axis=-1), 1.0
    )


def inference_model(model):
    """One-output model for export: ``concat(bins softmax, cls softmax, offsets)``, ``(batch, 2 N_BINS + 3)``."""
    import keras

    out = keras.layers.Concatenate(name="probs")(
        [model.get_layer("bins").output, model.get_layer("cls").output, model.get_layer("off").output]
    )
    return keras.Model(model.input, out, name="streamfreq_lstm_infer")


def decode(probs: np.ndarray, method: str = "offset", half_width: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Turn ``(batch, 2 N_BINS + 3)`` network outputs into ``(cycles per window, class probabilities)``.

    ``method="offset"``: centre of the most likely bin plus that bin's
    predicted offset; ``"average"``: weighted average of the bin centres (log2)
    within ``half_width`` bins of the most likely bin; ``"blend"``: the mean of
    the two in log frequency. :class:`LSTMEstimator` decodes the same way
    (``streamfreq.estimators.lstm``).
    """
    probs = np.asarray(probs, dtype=np.float64)
    bins, cls = probs[:, :N_BINS], probs[:, N_BINS : N_BINS + 3]
    centres = bin_centres()
    step = centres[1] - centres[0]
    top = np.argmax(bins, axis=1)
    idx = top[:, None] + np.arange(-half_width, half_width + 1)[None, :]
    valid = (idx >= 0) & (idx < N_BINS)
    idx = np.clip(idx, 0, N_BINS - 1)
    w = np.where(valid, np.take_along_axis(bins, idx, axis=1), 0.0)
    average = (w * centres[idx]).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-12)
    if method == "average":
        return 2.0**average, cls
    offset = centres[top] + step * probs[np.arange(len(top)), N_BINS + 3 + top]
    return 2.0 ** (offset if method == "offset" else 0.5 * (offset + average)), cls


# ---------------------------------------------------------------- evaluation


def validation_set(seed: int = 12345, per_snr: int = 512, snrs=(-10, 0, 10, 20, 40), window: int = 2048):
    """Fixed seeded in-range tones: ``(x, cycles, snr)``."""
    rng = np.random.default_rng(seed)
    xs, cs, ss = [], [], []
    for snr in snrs:
        c = _log_uniform(rng, RANGE_LOW, RANGE_HIGH, per_snr)
        frames = tone(window, c, rng.uniform(0, 2 * np.pi, per_snr), 0.5)
        frames += noise_sigma(0.5, snr) * rng.standard_normal(frames.shape)
        xs.append(preprocess(frames.astype(np.float32), LENGTH))
        cs.append(c)
        ss.append(np.full(per_snr, snr))
    return np.concatenate(xs), np.concatenate(cs), np.concatenate(ss)


def evaluate(predict, x: np.ndarray, cycles: np.ndarray, snr: np.ndarray) -> dict[str, dict[str, float]]:
    """Median |error| in cents (both decoders) and the share classified as tone, per SNR."""
    probs = predict(x)
    out = {}
    for method in ("offset", "average", "blend"):
        est, cls = decode(probs, method)
        cents = np.abs(1200 * np.log2(est / cycles))
        for s in np.unique(snr):
            m = snr == s
            row = out.setdefault(f"{s:g}", {"found": float(np.mean(np.argmax(cls[m], axis=1) == 0))})
            row[f"median_cents_{method}"] = float(np.median(cents[m]))
            row[f"p90_cents_{method}"] = float(np.percentile(cents[m], 90))
    return out


# ---------------------------------------------------------------- export


def save_weights_only_model(model, path: Path) -> None:
    """Save ``model`` as ``.keras`` without its optimizer state (a third of the size)."""
    import keras

    bare = keras.Model.from_config(model.get_config())
    bare.set_weights(model.get_weights())
    bare.save(path)


def export_litert(infer, out_dir: Path) -> dict[str, str]:
    """Write ``lstm_b{B}.tflite`` for each of :data:`EXPORT_BATCHES`; return ``{str(B): file name}``.

    LiteRT needs a fixed input shape, given here as the export's input
    signature (a model built on a fixed-batch ``keras.Input`` still exported
    with batch 1).
    """
    import keras

    tflite = {}
    for b in EXPORT_BATCHES:
        path = out_dir / f"lstm_b{b}.tflite"
        spec = keras.InputSpec(shape=(b, LENGTH, 1), dtype="float32")
        infer.export(str(path), format="litert", input_signature=[spec], verbose=False)
        tflite[str(b)] = path.name
    return tflite


def reexport_model_dir(model_dir: Path, log=print) -> None:
    """Rewrite the LiteRT files of the model in ``model_dir`` from its ``lstm.keras``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    model = keras.models.load_model(model_dir / "lstm.keras", compile=False)
    tflite = export_litert(inference_model(model), model_dir)
    path = model_dir / "lstm.json"
    meta = json.loads(path.read_text())
    meta["tflite"] = tflite
    path.write_text(json.dumps(meta, indent=2) + "\n")
    log(f"exported {', '.join(tflite.values())} to {model_dir}")


def export(model, out_dir: Path, cfg: TrainConfig, metrics: dict, seconds: float) -> dict:
    """Write ``lstm.keras``, ``lstm_b{B}.tflite`` for each export batch, and ``lstm.json``."""
    import keras

    out_dir.mkdir(parents=True, exist_ok=True)
    save_weights_only_model(model, out_dir / "lstm.keras")
    infer = inference_model(model)
    tflite = export_litert(infer, out_dir)
    meta = {
        "format": METADATA_FORMAT,
        "name": "streamfreq-lstm",
        "preprocess_version": PREPROCESS_VERSION,
        "length": LENGTH,
        "range_cycles": [RANGE_LOW, RANGE_HIGH],
        "bins": {"count": N_BINS, "low_cycles": BIN_LOW, "high_cycles": BIN_HIGH, "spacing": "log2"},
        "classes": list(CLASSES),
        "output": "concat(bins softmax, class softmax, per-bin offsets in bins)",
        "outputs": 2 * N_BINS + 3,
        "decode": cfg.decode,
        "views": cfg.views,
        "tflite": tflite,
        "keras": "lstm.keras",
        "training": {
            "config": asdict(cfg),
            "seconds": round(seconds, 1),
            "examples": cfg.epochs * cfg.steps_per_epoch * cfg.batch_size,
            "data": (
                "generated on the fly: tones log-uniform over the trained range (out-of-range tones "
                f"{cfg.tone_span[0]}..{RANGE_LOW} and {RANGE_HIGH}..{cfg.tone_span[1]} cycles per window), "
                "random phase, amplitude 1e-3..1, DC offset, per-sample SNR "
                f"{cfg.snr_db[0]:g}..{cfg.snr_db[1]:g} dB, {cfg.p_harmonics:.0%} with harmonics 2 and 3 at "
                f"-40..-15 dB; {cfg.p_no_tone:.0%} no-tone windows (white noise, silence, DC, DC + noise); "
                f"windows of {cfg.window} samples through streamfreq.windowing.preprocess"
            ),
        },
        "metrics": metrics,
        "versions": {"keras": keras.__version__},
    }
    (out_dir / "lstm.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


# ---------------------------------------------------------------- main


def train(cfg: TrainConfig, out_dir: Path, log=print) -> dict:
    """Train, evaluate and export one model; return its metadata."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    keras.utils.set_random_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = build_model(cfg)
    if cfg.init:
        model.set_weights(keras.models.load_model(cfg.init, compile=False).get_weights())
    total_steps = cfg.epochs * cfg.steps_per_epoch
    warmup = int(cfg.warmup * total_steps)
    schedule = keras.optimizers.schedules.CosineDecay(
        cfg.learning_rate / 10,
        total_steps - warmup,
        alpha=0.02,
        warmup_target=cfg.learning_rate,
        warmup_steps=warmup,
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule, clipnorm=1.0),
        loss={
            "bins": "categorical_crossentropy",
            "pos": _pos_loss,
            "off": _offset_loss,
            "cls": "categorical_crossentropy",
        },
        loss_weights={"bins": 1.0, "pos": cfg.pos_weight, "off": cfg.offset_weight, "cls": 1.0},
    )
    xv, cv, sv = validation_set()
    start = time.monotonic()
    best = (math.inf, None, 0)  # (validation score, weights, epoch): a guard against a late divergence
    for epoch in range(cfg.epochs):
        x, y = make_dataset(rng, cfg.steps_per_epoch * cfg.batch_size, cfg)
        hist = model.fit(x, y, batch_size=cfg.batch_size, epochs=1, verbose=0, shuffle=False)
        if epoch % max(1, cfg.epochs // 20) == 0 or epoch == cfg.epochs - 1:
            ev = evaluate(lambda a: _predict(model, a), xv, cv, sv)
            score = float(np.mean([v["median_cents_offset"] for k, v in ev.items() if float(k) >= 0]))
            if score <= best[0]:
                best = (score, model.get_weights(), epoch + 1)
            summary = " ".join(
                f"{k}dB:{v['median_cents_offset']:.1f}/{v['median_cents_average']:.1f}c/{v['found']:.2f}"
                for k, v in ev.items()
            )
            losses = " ".join(f"{k}={v[-1]:.3f}" for k, v in hist.history.items())
            log(f"epoch {epoch + 1}/{cfg.epochs} {losses} t={time.monotonic() - start:.0f}s {summary}")
    seconds = time.monotonic() - start
    if best[1] is not None and best[2] != cfg.epochs:
        log(f"restoring the weights of epoch {best[2]} (best validation)")
        model.set_weights(best[1])
    metrics = {"validation": evaluate(lambda a: _predict(model, a), xv, cv, sv), "kept_epoch": best[2]}
    meta = export(model, out_dir, cfg, metrics, seconds)
    if cfg.calibrate:
        meta["calibration"] = calibrate_model_dir(out_dir, log, cfg.calibration_count)
    return meta


def _predict(model, x: np.ndarray) -> np.ndarray:
    out = model.predict(x, batch_size=1024, verbose=0)
    return np.concatenate([out["bins"], out["cls"], out["off"]], axis=1)


QUICK = {"epochs": 4, "steps_per_epoch": 20, "batch_size": 128, "calibration_count": 2048}

CALIBRATION_SPAN = (RANGE_LOW, RANGE_HIGH)  #: cycles per window of the tones the calibration is fitted on


def fit_calibration(
    predict,
    seed: int = 99,
    count: int = 30000,
    snr_db: tuple[float, float] = (10.0, 40.0),
    points: int = 400,
    chunk: int = 2048,
) -> dict:
    """Fit the bias correction of the decoded estimate as a function of that estimate.

    The network's per-frequency bias (its offsets wiggle from bin to bin) is
    measured on ``count`` generated tones (log-uniform over
    :data:`CALIBRATION_SPAN` cycles, random phase and amplitude, per-sample
    SNR uniform in ``snr_db``, a seed of its own, never the test sets), read
    through all four views (each view's estimate counts once): the median of
    ``log2(true) - log2(estimate)`` in ``points`` bins of ``log2(estimate)``.
    :class:`~streamfreq.estimators.lstm.LSTMEstimator` adds it, interpolated,
    to each view's estimate. ``predict`` maps ``(batch, LENGTH, 1)`` inputs to
    raw network outputs.
    """
    rng = np.random.default_rng(seed)
    est_log, true_log = [], []
    for start in range(0, count, chunk):
        n = min(chunk, count - start)
        cycles = _log_uniform(rng, *CALIBRATION_SPAN, n)
        amplitude = _log_uniform(rng, 1e-2, 1.0, n)
        snr = rng.uniform(*snr_db, n)
        frames = tone(2048, cycles, rng.uniform(0, 2 * np.pi, n), amplitude)
        frames += (amplitude / np.sqrt(2.0 * 10.0 ** (snr / 10.0)))[:, None] * rng.standard_normal(frames.shape)
        x = preprocess(frames.astype(np.float32), LENGTH)
        for view in (x, -x[:, ::-1], -x, x[:, ::-1]):
            est, _ = decode(predict(np.ascontiguousarray(view)), "offset")
            est_log.append(np.log2(est))
            true_log.append(np.log2(cycles))
    est_log, true_log = np.concatenate(est_log), np.concatenate(true_log)
    edges = np.linspace(math.log2(CALIBRATION_SPAN[0]), math.log2(CALIBRATION_SPAN[1]), points + 1)
    which = np.clip(np.digitize(est_log, edges) - 1, 0, points - 1)
    error = true_log - est_log
    correction = np.array(
        [float(np.median(error[which == i])) if np.sum(which == i) >= 10 else 0.0 for i in range(points)]
    )
    return {
        "log2_cycles": np.round(0.5 * (edges[1:] + edges[:-1]), 6).tolist(),
        "correction_log2": np.round(correction, 7).tolist(),
        "fitted_on": f"{count} tones x 4 views, {CALIBRATION_SPAN[0]}..{CALIBRATION_SPAN[1]} cycles log-uniform, "
        f"SNR {snr_db[0]:g}..{snr_db[1]:g} dB, seed {seed} (streamfreq.models.train.fit_calibration)",
    }


def calibrate_model_dir(model_dir: Path, log=print, count: int = 30000) -> dict:
    """Fit the calibration of the model in ``model_dir`` from its ``lstm.keras`` and record it in ``lstm.json``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    model = keras.models.load_model(model_dir / "lstm.keras", compile=False)
    calibration = fit_calibration(lambda a: _predict(model, a), count=count)
    path = model_dir / "lstm.json"
    meta = json.loads(path.read_text())
    meta["calibration"] = calibration
    path.write_text(json.dumps(meta, indent=2) + "\n")
    worst = 1200 * np.max(np.abs(calibration["correction_log2"]))
    log(f"calibrated {path} (largest correction {worst:.1f} cents)")
    return calibration


def main(argv: list[str] | None = None) -> int:
    """Command line: ``streamfreq-train [--quick] [--out DIR] [--seed N] [--epochs N] [--steps N]``.

    Example
    -------
    ``streamfreq-train --quick --out /tmp/m`` writes ``lstm.keras``,
    ``lstm_b1.tflite``, ``lstm_b64.tflite`` and ``lstm.json`` to ``/tmp/m``.
    """
    parser = argparse.ArgumentParser(prog="streamfreq-train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent, help="output folder")
    parser.add_argument("--quick", action="store_true", help="a tiny run (< 2 min) that proves the recipe")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None, help="steps per epoch")
    parser.add_argument("--init", default=None, help="start from the weights of this .keras model")
    parser.add_argument(
        "--calibrate-only",
        type=Path,
        default=None,
        metavar="DIR",
        help="only (re)fit the bias calibration of the model in DIR",
    )
    parser.add_argument(
        "--export-only",
        type=Path,
        default=None,
        metavar="DIR",
        help="only rewrite the LiteRT files of the model in DIR from its lstm.keras",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="override a TrainConfig field, e.g. --set lstm_units=128",
    )
    args = parser.parse_args(argv)
    if args.export_only is not None:
        reexport_model_dir(args.export_only, log=lambda m: print(m, flush=True))
        return 0
    if args.calibrate_only is not None:
        calibrate_model_dir(args.calibrate_only, log=lambda m: print(m, flush=True))
        return 0
    cfg = TrainConfig(seed=args.seed, **(QUICK if args.quick else {}))
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in TrainConfig.__dataclass_fields__:
            parser.error(f"--set: unknown field {key!r}")
        setattr(cfg, key, json.loads(value))
    if args.epochs is not None:
        cfg.epochs = args.epochs
    if args.steps is not None:
        cfg.steps_per_epoch = args.steps
    if args.init is not None:
        cfg.init = str(args.init)
    meta = train(cfg, args.out, log=lambda s: print(s, flush=True))
    print(json.dumps(meta["metrics"], indent=1))
    print(f"wrote {args.out} in {meta['training']['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
