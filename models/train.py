"""Training recipe for the streamfreq LSTM f0 estimator.

Windows are generated on the fly by :mod:`streamfreq.models.data` (the pitch
benchmark's harmonic-tone and voice generators plus decays, reverberation,
coloured noise, level changes and negatives) and turned into network input by
the model contract (:class:`streamfreq.estimators.lstm_contract.Contract`),
the same object the estimator reads its model through: bins, targets, views,
decoding and calibration are defined there once.

The network (:func:`build_model`) is a strided convolutional front end that
shortens the input to :attr:`TrainConfig.lstm_steps` steps, an LSTM that
reads them, and three heads: a softmax over log-spaced f0 bins (Gaussian
targets, plus an L1 loss on the distribution's mean), a per-bin offset
(in bins, trained near the truth) and a softmax over the classes tone in range
/ no tone / out of range.

Run ``python -m streamfreq.models.train --out DIR`` (or ``streamfreq-train``);
``--quick`` proves the recipe end to end in about a minute.

Example
-------
>>> from streamfreq.models.train import TrainConfig, make_batch
>>> import numpy as np
>>> cfg = TrainConfig()
>>> x, y = make_batch(np.random.default_rng(0), 8, cfg)
>>> x.shape, y["cls"].shape, y["bins"].shape
((8, 720, 2), (8, 3), (8, 180))
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

from streamfreq.estimators.lstm_contract import CLASSES, OFFSET_REACH, Contract, fit_bias, fit_reliability
from streamfreq.models.data import DataConfig, make_windows
from streamfreq.signals import noise_sigma, tone

METADATA_FORMAT = 2
EXPORT_FILE = "lstm_b1.tflite"  #: the exported LiteRT model (batch 1)


@dataclass
class TrainConfig:
    """Everything that defines a training run (recorded in the metadata)."""

    seed: int = 0
    epochs: int = 40
    steps_per_epoch: int = 150
    batch_size: int = 64
    learning_rate: float = 3e-4
    warmup: float = 0.03  #: share of the steps spent warming the learning rate up from a tenth
    length: int = 512  #: samples per window after resampling
    channels: tuple[str, ...] = ("lacf", "lspec")
    range_cycles: tuple[float, float] = (2.1, 88.0)
    bins: tuple[float, float, int] = (1.0, 176.1683, 180)  #: first and last bin centre (cycles per window), count
    data: dict = field(default_factory=dict)  #: overrides of DataConfig fields
    label_sigma_bins: float = 1.0
    lstm_steps: int = 32  #: time input: the conv front end halves the input down to this many steps
    conv_filters: tuple[int, ...] = (32, 48, 64, 64, 64)  #: time input: filters of the stride-2 convs
    conv_kernels: tuple[int, ...] = (9, 5, 5, 5, 5)
    bins_per_step: int = 4  #: frequency input: output bins per LSTM step
    dilations: tuple[int, ...] = (3, 8, 24)  #: frequency input: dilated convs over the bins (24 bins an octave)
    freq_filters: tuple[int, ...] = (32, 48, 64)  #: frequency input: filters of the three front convs (the last: width)
    lstm_units: int = 64
    norm_epsilon: float = 1e-2
    dense_units: int = 128
    #: frequency input: hidden layers of the offset head; with any, it reads each step's features and the input
    #: at that step and its two neighbours (a nonlinear head, fitted by :func:`refit_offset_head`)
    offset_hidden: tuple[int, ...] = ()
    pos_weight: float = 0.1
    offset_weight: float = 1.0
    stop_after: int | None = None  #: stop after this many epochs (the schedule still spans ``epochs``)
    reuse: int = 2  #: epochs that train on the same generated windows before new ones are made (CPU time)
    views: int = 1  #: views per window the estimator averages by default (recorded in the contract)
    min_confidence: float = 0.5  #: recorded for the estimator: below this calibrated confidence, no number
    init: str | None = None  #: start from this .keras model's weights (its layers of the same name and shape)
    calibrate: bool = True  #: fit the bias and reliability tables after training
    calibration_count: int = 12000  #: windows the calibration is fitted on
    extra: dict = field(default_factory=dict)

    def contract(self) -> Contract:
        """The model contract this configuration trains for (no calibration yet)."""
        return Contract(
            length=self.length,
            channels=tuple(self.channels),
            range_cycles=tuple(self.range_cycles),
            bin_low=float(self.bins[0]),
            bin_high=float(self.bins[1]),
            n_bins=int(self.bins[2]),
            views=self.views,
        )

    def data_config(self) -> DataConfig:
        """The generator's configuration: the trained range, the input's band, and any overrides."""
        base = {"range_cycles": tuple(self.range_cycles), "band_cycles": 0.47 * self.length}
        return DataConfig(**{**base, **self.data})


def make_batch(rng: np.random.Generator, batch: int, cfg: TrainConfig) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A batch of network inputs ``(batch, length, channels)`` and its targets."""
    frames, cycles, kind = make_windows(rng, batch, cfg.data_config())
    contract = cfg.contract()
    return contract.inputs(frames), contract.targets(cycles, kind, cfg.label_sigma_bins)


def make_dataset(rng: np.random.Generator, count: int, cfg: TrainConfig, chunk: int = 1024):
    """``count`` examples generated in chunks (to bound memory)."""
    xs, ys = [], []
    for start in range(0, count, chunk):
        x, y = make_batch(rng, min(chunk, count - start), cfg)
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs), {k: np.concatenate([y[k] for y in ys]) for k in ys[0]}


# ---------------------------------------------------------------- model


def conv_stack(cfg: TrainConfig) -> list[tuple[int, int]]:
    """``(filters, kernel)`` of the stride-2 convolutions that take the input down to ``lstm_steps`` steps."""
    count = int(round(math.log2(cfg.length / cfg.lstm_steps)))
    if count < 1 or cfg.lstm_steps * 2**count != cfg.length or count > len(cfg.conv_filters):
        raise ValueError(
            f"length {cfg.length} is not lstm_steps {cfg.lstm_steps} times a power of two we have convs for"
        )
    return list(zip(cfg.conv_filters[:count], cfg.conv_kernels[:count], strict=True))


def build_model(cfg: TrainConfig, export_batch: int | None = None):
    """The Keras training model: input ``contract.input_shape``; outputs ``bins``, ``pos``, ``off``, ``cls``.

    Frequency input (the default): convolutions along log frequency bring the input to one step per
    bin, dilated convolutions add context an octave and more away (harmonics, subharmonics), and a
    bidirectional LSTM reads the bins ``bins_per_step`` at a time; each LSTM step, with the fine
    features of its bins, gives those bins' logits and offsets; the classes come from the LSTM's
    outputs pooled over the steps. Time input (the first model's design, kept for the ablations):
    strided convolutions along the resampled waveform to ``lstm_steps`` steps, then the LSTM.

    ``export_batch`` builds the same network with ``tf_keras`` (Keras 2) at that fixed batch size, for
    export only: its LSTM layers, not unrolled, convert to LiteRT's fused sequence-LSTM op (one op
    instead of a dozen per step), while Keras 3 exports them as per-step ops. Training uses Keras 3,
    unrolled as before.
    """
    if export_batch is None:
        import keras
    else:
        import tf_keras as keras
    layers = keras.layers
    unroll = export_batch is None

    contract = cfg.contract()
    nb = contract.n_bins
    inp = keras.Input(contract.input_shape, batch_size=export_batch, name="window")
    if contract.along_time:
        x = inp
        for i, (filters, kernel) in enumerate(conv_stack(cfg)):
            x = layers.Conv1D(filters, kernel, strides=2, padding="same", activation="tanh", name=f"conv{i}")(x)
        x = layers.LayerNormalization(epsilon=cfg.norm_epsilon, name="norm")(x)
        seq, last, _ = layers.LSTM(
            cfg.lstm_units, unroll=unroll, return_sequences=True, return_state=True, name="lstm"
        )(x)
        x = layers.Concatenate(name="readout")([layers.GlobalAveragePooling1D(name="mean")(seq), last])
        x = layers.Dense(cfg.dense_units, activation="relu", name="dense")(x)
        bins = layers.Dense(nb, activation="softmax", name="bins")(x)
        cls = layers.Dense(len(CLASSES), activation="softmax", name="cls")(x)
        off = layers.Dense(nb, name="off")(x)  # offset of the f0 from each bin centre, in bins
    else:
        f0, f1, width = cfg.freq_filters
        x = layers.Conv1D(f0, 7, padding="same", activation="relu", name="conv0")(inp)
        x = layers.Conv1D(f1, 5, strides=2, padding="same", activation="relu", name="conv1")(x)
        x = layers.Conv1D(width, 5, strides=2, padding="same", activation="relu", name="conv2")(x)  # one step per bin
        for d in cfg.dilations:
            x = layers.Add(name=f"res{d}")(
                [x, layers.Conv1D(width, 3, dilation_rate=d, padding="same", activation="relu", name=f"dil{d}")(x)]
            )
        x = layers.LayerNormalization(epsilon=cfg.norm_epsilon, name="norm_bins")(x)  # keeps the residuals bounded
        steps = nb // cfg.bins_per_step
        fine = layers.Reshape((steps, cfg.bins_per_step * width), name="fine")(x)
        y = layers.Dense(cfg.lstm_units, activation="relu", name="squeeze")(fine)
        y = layers.LayerNormalization(epsilon=cfg.norm_epsilon, name="norm")(y)
        seq = layers.Bidirectional(layers.LSTM(cfg.lstm_units, unroll=unroll, return_sequences=True), name="lstm")(y)
        head = layers.LayerNormalization(epsilon=cfg.norm_epsilon, name="norm_head")(
            layers.Concatenate(name="head")([seq, fine])
        )
        h = layers.Dense(cfg.dense_units, activation="relu", name="dense")(head)
        logits = layers.Reshape((nb,), name="logits")(layers.Dense(cfg.bins_per_step, name="bin_logits")(h))
        bins = layers.Softmax(name="bins")(logits)
        if cfg.offset_hidden:
            h = layers.Concatenate(name="offset_in")([h, *_input_by_step(layers, inp, steps)])
            for i, units in enumerate(cfg.offset_hidden):
                h = layers.Dense(units, activation="relu", name=f"offset_hidden{i}")(h)
        off = layers.Reshape((nb,), name="off")(layers.Dense(cfg.bins_per_step, name="bin_offsets")(h))
        pooled = layers.Concatenate(name="pooled")(
            [layers.GlobalAveragePooling1D(name="mean")(seq), layers.GlobalMaxPooling1D(name="max")(seq)]
        )
        c = layers.Dense(cfg.dense_units, activation="relu", name="cls_dense")(pooled)
        cls = layers.Dense(len(CLASSES), activation="softmax", name="cls")(c)
    pos_layer = layers.Dense(1, use_bias=False, trainable=False, name="pos")  # mean bin of the distribution
    pos = pos_layer(bins)
    pos_layer.set_weights([np.arange(nb, dtype=np.float32)[:, None]])
    return keras.Model(inp, {"bins": bins, "pos": pos, "off": off, "cls": cls}, name="streamfreq_lstm")


def _input_by_step(layers, inp, steps: int) -> list:
    """The network input cut into ``steps`` steps (each its bins' input points, every channel), and the same
    shifted by one step up and down (zeros past the ends): ``[previous, own, next]``, each (steps, points)."""
    own = layers.Reshape((steps, -1), name="input_steps")(inp)
    previous = layers.Cropping1D((0, 1), name="input_previous")(layers.ZeroPadding1D((1, 0))(own))
    following = layers.Cropping1D((1, 0), name="input_next")(layers.ZeroPadding1D((0, 1))(own))
    return [previous, own, following]


def init_from(model, source) -> list[str]:
    """Copy into ``model`` the weights of every layer of ``source`` with the same name and weight shapes.

    The whole model when the two share the architecture (a fine-tuning stage); otherwise the parts they
    share, e.g. the convolutional front end under a new LSTM. Returns the names of the layers copied.
    """
    theirs = {layer.name: layer for layer in source.layers}
    copied = []
    for layer in model.layers:
        other = theirs.get(layer.name)
        mine = layer.get_weights()
        if other is None or not mine:
            continue
        weights = other.get_weights()
        if [w.shape for w in weights] == [w.shape for w in mine]:
            layer.set_weights(weights)
            copied.append(layer.name)
    return copied


def _pos_loss(y_true, y_pred):
    import keras

    return y_true[:, 1] * keras.ops.abs(y_pred[:, 0] - y_true[:, 0])


def _offset_loss(y_true, y_pred):
    import keras

    nb = y_pred.shape[-1]
    target, mask = y_true[:, :nb], y_true[:, nb:]
    return keras.ops.sum(mask * keras.ops.abs(y_pred - target), axis=-1) / keras.ops.maximum(
        keras.ops.sum(mask, axis=-1), 1.0
    )


def inference_model(model, keras_module=None):
    """One-output model for export: ``concat(bins softmax, cls softmax, offsets)`` (the contract's layout).

    ``keras_module`` is the Keras package ``model`` was built with (Keras 3 when None).
    """
    if keras_module is None:
        import keras as keras_module

    out = keras_module.layers.Concatenate(name="probs")(
        [model.get_layer("bins").output, model.get_layer("cls").output, model.get_layer("off").output]
    )
    return keras_module.Model(model.input, out, name="streamfreq_lstm_infer")


def _predict(model, x: np.ndarray) -> np.ndarray:
    out = model.predict(x, batch_size=1024, verbose=0)
    return np.concatenate([out["bins"], out["cls"], out["off"]], axis=1)


# ---------------------------------------------------------------- evaluation


def _sines(rng: np.random.Generator, count: int, snr_db: float, span: tuple[float, float], n: int = 2048):
    cycles = np.exp(rng.uniform(math.log(span[0]), math.log(span[1]), count))
    frames = tone(n, cycles, rng.uniform(0, 2 * np.pi, count), 0.5)
    frames += noise_sigma(0.5, snr_db) * rng.standard_normal(frames.shape)
    return frames.astype(np.float32), cycles


def validation_set(cfg: TrainConfig, seed: int = 12345, count: int = 2048) -> dict:
    """Fixed seeded windows: generated material (all kinds) and sines at 0, 10 and 30 dB over the range."""
    rng = np.random.default_rng(seed)
    frames, cycles, kind = make_windows(rng, count, cfg.data_config())
    sets = {"mix": (frames, cycles, kind)}
    for snr in (0, 10, 30):
        f, c = _sines(rng, 512, snr, cfg.range_cycles)
        sets[f"sine{snr}"] = (f, c, np.zeros(c.size, dtype=int))
    return sets


def evaluate(predict, contract: Contract, sets: dict) -> dict[str, dict[str, float]]:
    """Per set: median |error| (cents) and share > 50 cents off among in-range windows called tone; class accuracy."""
    out = {}
    for name, (frames, cycles, kind) in sets.items():
        est, cls, _ = contract.decode(predict(contract.inputs(frames)))
        called = np.argmax(cls, axis=1)
        tone_ok = (kind == 0) & (called == 0)
        cents = np.abs(1200 * np.log2(est[tone_ok] / cycles[tone_ok]))
        out[name] = {
            "median_cents": float(np.median(cents)) if cents.size else math.nan,
            "gross": float(np.mean(cents > 50)) if cents.size else math.nan,
            "class_accuracy": float(np.mean(called == kind)),
            "found": float(np.mean(called[kind == 0] == 0)),
        }
    return out


def score(ev: dict) -> float:
    """One number to keep the best epoch by (lower is better): medians plus a heavy price on gross errors."""
    return (
        ev["mix"]["median_cents"]
        + ev["sine10"]["median_cents"]
        + ev["sine30"]["median_cents"]
        + 500 * ev["mix"]["gross"]
        + 100 * (1 - ev["mix"]["class_accuracy"])
    )


# ---------------------------------------------------------------- calibration


def calibrate(
    predict, contract: Contract, cfg: TrainConfig, seed: int = 99, count: int = 6000, keep: tuple[str, ...] = ()
) -> Contract:
    """Fit the contract's bias and reliability tables on generated windows of a seed of their own.

    Bias: the median of ``log2(true / estimate)`` against the estimate, over each
    view of in-range pitched windows (generated material and sines at 20 dB).
    Reliability: the rate of estimates within 50 cents against the raw
    confidence score (isotonic), over every generated window the network calls a
    tone, with the contract's default views; a window without an in-range f0
    counts as wrong. The sines stay out of the reliability fit: they are easier
    than the generated mix, and with them a confidence of 0.9 held only 95% of
    the time on held-out generated windows (without them, 99%). Never fitted on a
    benchmark's test material. ``keep`` names the contract's tables (``"bias"``, ``"reliability"``) that are
    kept as they are.
    """
    rng = np.random.default_rng(seed)
    dcfg = cfg.data_config()
    frames, cycles, kind = make_windows(rng, count, dcfg)
    sines, sine_cycles = _sines(rng, count // 3, 20.0, cfg.range_cycles)
    x = contract.inputs(np.concatenate([frames, sines]))
    truth = np.concatenate([cycles, sine_cycles])
    in_range = np.concatenate([kind, np.zeros(sine_cycles.size, dtype=int)]) == 0
    if "bias" not in keep:
        logc, cls, _ = contract.decode_raw(predict(contract.views_of(x, 4)))  # each of the four views counts once
        good = np.tile(in_range, 4) & (np.argmax(cls, axis=1) == 0)
        bias = fit_bias(logc[good], np.tile(np.log2(truth), 4)[good], contract.range_cycles)
        contract = contract.replace(bias=bias)
    if "reliability" in keep:
        return contract
    contract = contract.replace(reliability=((), ()))
    est, cls, raw = contract.decode(predict(contract.views_of(x[:count])), contract.views)
    called = np.argmax(cls, axis=1) == 0
    with np.errstate(invalid="ignore"):
        correct = in_range[:count] & (np.abs(1200 * np.log2(est / cycles)) < 50)
    return contract.replace(reliability=fit_reliability(raw[called], correct[called]))


def reliability_table(confidence: np.ndarray, correct: np.ndarray, edges=(0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.01)):
    """Rows ``(low, high, windows, share within 50 cents)`` of confidence bins."""
    rows = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        m = (confidence >= low) & (confidence < high)
        rows.append((low, min(high, 1.0), int(m.sum()), float(np.mean(correct[m])) if m.any() else math.nan))
    return rows


#: Seed of the windows the offset head is refitted on (:func:`refit_offset_head`): none of training's,
#: calibration's (99), validation's (12345) or ``benchmarks/lstm_accuracy.py``'s (2024..2028 by default).
OFFSET_REFIT_SEED = 7001
#: SNRs (dB) of the pure tones among them.
OFFSET_REFIT_SNRS = (0.0, 10.0, 20.0, 40.0)
#: Cycles per window of the extra pure tones at the range's bottom, where a few cycles make the offset hardest.
OFFSET_REFIT_FEW_CYCLES = (2.1, 4.0)
#: Passes of the head's fit over its rows.
OFFSET_REFIT_EPOCHS = 60


def refit_offset_head(model, contract: Contract, cfg: TrainConfig, count: int = 24000, log=print):
    """Fit the offset head of ``model`` where the decoding reads it, every other weight kept; return
    ``(model, record of the fit)``.

    Training fits every bin's offset within :data:`~streamfreq.estimators.lstm_contract.OFFSET_REACH` bins of the
    truth (``_offset_loss``), but an estimate reads only the top bin's, or the one beside it where the top bin's
    offset lands (:meth:`Contract.decode_raw`). Here the head (layers ``offset_hidden*`` and ``bin_offsets``: from
    the features of an LSTM step, and with :attr:`TrainConfig.offset_hidden`, that step's input and its
    neighbours') is fitted on those rows: for each window the network calls a tone in range, the head's input at
    the step of its top bin and of the bins either side, and the truth's offset from each bin's centre, where it is
    within ``OFFSET_REACH``; least absolute deviations (Adam, seeded), on inputs standardised and folded back into
    the first layer.
    The network is rebuilt with the head ``cfg.offset_hidden`` asks for (:func:`build_model`, every other
    layer copied), so a linear head can be replaced by one with hidden layers. ``count`` generated windows
    (:func:`~streamfreq.models.data.make_windows`, seed :data:`OFFSET_REFIT_SEED`), a sixth as many pure tones
    over the range at each of :data:`OFFSET_REFIT_SNRS` and a twelfth as many in the band
    :data:`OFFSET_REFIT_FEW_CYCLES`. The bins, the classes and so the confidence do not change; the bias table
    must be fitted again after it.
    """
    import keras

    started = time.monotonic()
    if contract.along_time:
        raise ValueError("refit_offset_head: a waveform model has no per-bin offset head")
    head = [f"offset_hidden{i}" for i in range(len(cfg.offset_hidden))] + ["bin_offsets"]
    old_offsets = keras.Model(model.input, model.get_layer("off").output)  # the head as it was, for the record
    rebuilt = build_model(cfg)  # the head ``cfg`` asks for; every other layer copied
    init_from(rebuilt, model)
    model = rebuilt
    rng = np.random.default_rng(OFFSET_REFIT_SEED)
    frames, cycles, kind = make_windows(rng, count, cfg.data_config())
    spans = [cfg.range_cycles] * len(OFFSET_REFIT_SNRS) + [OFFSET_REFIT_FEW_CYCLES] * len(OFFSET_REFIT_SNRS)
    sizes = [count // 6] * len(OFFSET_REFIT_SNRS) + [count // 12] * len(OFFSET_REFIT_SNRS)
    tones = [_sines(rng, size, snr, span) for size, snr, span in zip(sizes, OFFSET_REFIT_SNRS * 2, spans, strict=True)]
    frames = np.concatenate([frames] + [t[0] for t in tones])
    truth = np.concatenate([cycles] + [t[1] for t in tones])
    in_range = np.concatenate([kind == 0] + [np.ones(t[1].size, dtype=bool) for t in tones])
    source = "offset_in" if cfg.offset_hidden else "dense"
    features = keras.Model(model.input, [model.get_layer(name).output for name in (source, "bins", "cls")])
    inputs = np.concatenate([contract.inputs(part) for part in np.array_split(frames, 16)])
    head_in, bins, cls = features.predict(inputs, batch_size=512, verbose=0)
    top = bins.argmax(axis=1)
    per_step = cfg.bins_per_step
    with np.errstate(invalid="ignore", divide="ignore"):
        target = (np.log2(truth) - contract.centres()[top]) / contract.bin_step  # nan without a pitch
    use = in_range & (cls.argmax(axis=1) == 0) & (np.abs(target) <= OFFSET_REACH)
    picked = np.arange(use.sum()), top[use]
    before = np.abs(old_offsets.predict(inputs[use], batch_size=512, verbose=0)[picked] - target[use])
    # the top bin's row and its neighbours' where the truth lies within reach of their centres too: the network's
    # top bin is now and then the farther of two, or one more away, and the head must read as far as that
    windows, bin_of = [], []
    for shift in (0, -1, 1):
        chosen = np.flatnonzero(use & (np.abs(target - shift) <= OFFSET_REACH) & (top + shift >= 0))
        chosen = chosen[top[chosen] + shift < contract.n_bins]
        windows.append(chosen)
        bin_of.append(top[chosen] + shift)
    windows, bin_of = np.concatenate(windows), np.concatenate(bin_of)
    rows = head_in[windows, bin_of // per_step].astype(np.float64)
    column = bin_of % per_step
    wanted = np.zeros((column.size, 2 * per_step), dtype=np.float32)  # _offset_loss's layout: targets, then mask
    wanted[np.arange(column.size), column] = (np.log2(truth[windows]) - contract.centres()[bin_of]) / contract.bin_step
    wanted[np.arange(column.size), per_step + column] = 1.0
    mean, scale = rows.mean(axis=0), rows.std(axis=0) + 1e-6
    keras.utils.set_random_seed(OFFSET_REFIT_SEED)
    fit = keras.Sequential(
        [keras.Input((rows.shape[1],))]
        + [keras.layers.Dense(units, activation="relu") for units in cfg.offset_hidden]
        + [keras.layers.Dense(per_step)]
    )
    fit.compile(keras.optimizers.Adam(1e-3), loss=_offset_loss)
    fit.fit(
        ((rows - mean) / scale).astype(np.float32),
        wanted,
        epochs=OFFSET_REFIT_EPOCHS,
        batch_size=256,
        verbose=0,
        callbacks=[keras.callbacks.ReduceLROnPlateau("loss", patience=5)],
    )
    weights = [layer.get_weights() for layer in fit.layers]
    first, bias = weights[0]
    weights[0] = [first / scale[:, None], bias - (mean / scale) @ first]  # the standardisation, folded in
    for name, values in zip(head, weights, strict=True):
        model.get_layer(name).set_weights([v.astype(np.float32) for v in values])
    refitted = np.abs(_predict(model, inputs[use])[:, -contract.n_bins :][picked] - target[use])
    top_column = top[use] % per_step
    record = {
        "seed": OFFSET_REFIT_SEED,
        "windows": int(truth.size),
        "hidden": list(cfg.offset_hidden),
        "rows_per_column": [int(np.sum(column == c)) for c in range(per_step)],
        "mean_abs_bins_before": [round(float(before[top_column == c].mean()), 4) for c in range(per_step)],
        "mean_abs_bins_after": [round(float(refitted[top_column == c].mean()), 4) for c in range(per_step)],
        "seconds": round(time.monotonic() - started, 1),
    }
    log(
        f"offset head refitted on {use.sum()} windows ({column.size} rows): mean |error| at the top bin "
        f"{record['mean_abs_bins_before']} -> {record['mean_abs_bins_after']} bins"
    )
    return model, record


# ---------------------------------------------------------------- export


def save_weights_only_model(model, path: Path) -> None:
    """Save ``model`` as ``.keras`` without its optimizer state."""
    import keras

    bare = keras.Model.from_config(model.get_config())
    bare.set_weights(model.get_weights())
    bare.save(path)


def export_litert(model, cfg: TrainConfig, out_dir: Path) -> None:
    """Write :data:`EXPORT_FILE`, the LiteRT model at batch 1.

    The file is converted from the same network rebuilt with ``tf_keras`` (:func:`build_model`), holding
    ``model``'s weights, so that its LSTMs become LiteRT's fused sequence-LSTM ops: 0.60 ms a window against
    0.96 ms for Keras 3's per-step export of the shipped network. The estimator runs every window through
    it, also in file analysis (a batch-64 model of the fused ops took 0.65 ms a window, the per-step export
    0.48), so that a window's result never depends on its batch.
    """
    import tensorflow as tf
    import tf_keras

    rebuilt = build_model(cfg, export_batch=1)
    weighted = {layer.name for layer in rebuilt.layers if layer.weights}
    copied = init_from(rebuilt, model)
    if set(copied) != weighted:
        raise ValueError(f"export: layers {sorted(weighted - set(copied))} did not match the trained model")
    converter = tf.lite.TFLiteConverter.from_keras_model(inference_model(rebuilt, tf_keras))
    (out_dir / EXPORT_FILE).write_bytes(converter.convert())


def write_metadata(out_dir: Path, contract: Contract, cfg: TrainConfig, extra: dict) -> dict:
    """Write ``lstm.json``: the contract, the files, the training record."""
    import keras
    import tf_keras

    path = out_dir / "lstm.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    meta = {
        "format": METADATA_FORMAT,
        "name": "streamfreq-lstm",
        "contract": contract.to_metadata(),
        "min_confidence": cfg.min_confidence,
        "classes": list(CLASSES),
        "output": "concat(bins softmax, class softmax, per-bin offsets in bins)",
        "tflite": {"1": EXPORT_FILE},
        "keras": "lstm.keras",
        "training": old.get("training", {}),
        "metrics": old.get("metrics", {}),
        "versions": {"keras": keras.__version__, "tf_keras": tf_keras.__version__},
    }
    for key, value in extra.items():
        meta[key] = value if not isinstance(value, dict) else {**meta.get(key, {}), **value}
    path.write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def finish_model_dir(
    model_dir: Path,
    cfg: TrainConfig | None = None,
    log=print,
    keep: tuple[str, ...] = (),
    overrides: dict | None = None,
    refit_offsets: bool = False,
) -> dict:
    """Export the LiteRT files of ``model_dir/lstm.keras`` and fit its calibration; rewrite ``lstm.json``.

    ``cfg`` defaults to the configuration recorded in ``lstm.json``, with ``overrides`` applied; ``keep``
    names the recorded tables (``"bias"``, ``"reliability"``) kept as they are; ``refit_offsets`` first
    refits the offset head (:func:`refit_offset_head`) and saves the weights (the bias is then refitted too).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    path = model_dir / "lstm.json"
    meta = json.loads(path.read_text()) if path.exists() else {}
    if cfg is None:
        cfg = _config_from({**meta.get("training", {}).get("config", {}), **(overrides or {})})
    model = keras.models.load_model(model_dir / "lstm.keras", compile=False)
    contract = cfg.contract()
    extra = {"training": {"config": asdict(cfg)}}  # with the overrides: the export rebuilds the network from it
    if refit_offsets:
        model, record = refit_offset_head(model, contract, cfg, log=log)
        extra["training"]["offset_refit"] = record
        save_weights_only_model(model, model_dir / "lstm.keras")
        keep = tuple(name for name in keep if name != "bias")
    recorded = Contract.from_metadata(meta) if keep else None
    contract = contract.replace(**{name: getattr(recorded, name) for name in keep})
    export_litert(model, cfg, model_dir)
    start = time.monotonic()
    if cfg.calibrate:
        contract = calibrate(lambda a: _predict(model, a), contract, cfg, count=cfg.calibration_count, keep=keep)
    done = f"calibrated in {time.monotonic() - start:.0f} s" if cfg.calibrate else "not calibrated"
    log(f"exported {EXPORT_FILE}; {done}")
    return write_metadata(model_dir, contract, cfg, extra)


def _config_from(values: dict) -> TrainConfig:
    cfg = TrainConfig()
    for key, value in values.items():
        if key in TrainConfig.__dataclass_fields__:
            setattr(cfg, key, tuple(value) if isinstance(value, list) else value)
    return cfg


# ---------------------------------------------------------------- main


def train(cfg: TrainConfig, out_dir: Path, log=print) -> dict:
    """Train, keep the best evaluated weights (saved as they come), export, calibrate; return the metadata."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    out_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = build_model(cfg)
    if cfg.init:
        copied = init_from(model, keras.models.load_model(cfg.init, compile=False))
        log(f"init: {len(copied)} layers from {cfg.init}: {' '.join(copied)}")
    total = cfg.epochs * cfg.steps_per_epoch
    warmup = int(cfg.warmup * total)
    schedule = keras.optimizers.schedules.CosineDecay(
        cfg.learning_rate / 10, total - warmup, alpha=0.02, warmup_target=cfg.learning_rate, warmup_steps=warmup
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
    contract = cfg.contract()
    sets = validation_set(cfg)
    start = time.monotonic()
    best = (math.inf, 0, None)
    every = max(1, cfg.epochs // 20)
    record = {"config": asdict(cfg)}
    last = cfg.epochs if cfg.stop_after is None else min(cfg.epochs, cfg.stop_after)
    for epoch in range(last):
        if epoch % max(1, cfg.reuse) == 0:
            x, y = make_dataset(rng, cfg.steps_per_epoch * cfg.batch_size, cfg)
        hist = model.fit(x, y, batch_size=cfg.batch_size, epochs=1, verbose=0, shuffle=False)
        if epoch % every == 0 or epoch == last - 1:
            ev = evaluate(lambda a: _predict(model, a), contract, sets)
            s = score(ev)
            if s <= best[0]:  # saved at once, so a run stopped early still leaves its best model
                best = (s, epoch + 1, ev)
                save_weights_only_model(model, out_dir / "lstm.keras")
                record.update(seconds=round(time.monotonic() - start, 1), kept_epoch=epoch + 1)
                write_metadata(out_dir, contract, cfg, {"training": record, "metrics": {"validation": ev}})
            summary = " ".join(
                f"{k}:{v['median_cents']:.1f}c/{100 * v['gross']:.1f}%/{100 * v['class_accuracy']:.0f}%"
                for k, v in ev.items()
            )
            losses = " ".join(f"{k}={v[-1]:.3f}" for k, v in hist.history.items() if k.endswith("loss"))
            log(f"epoch {epoch + 1}/{cfg.epochs} {losses} t={time.monotonic() - start:.0f}s score={s:.1f} {summary}")
    record.update(
        total_seconds=round(time.monotonic() - start, 1), examples=last * cfg.steps_per_epoch * cfg.batch_size
    )
    write_metadata(out_dir, contract, cfg, {"training": record})
    log(f"kept epoch {best[1]} (score {best[0]:.1f})")
    return finish_model_dir(out_dir, cfg, log)


QUICK = {"epochs": 3, "steps_per_epoch": 10, "batch_size": 64, "calibration_count": 1024}


def main(argv: list[str] | None = None) -> int:
    """Command line: ``streamfreq-train [--quick] [--out DIR] [--seed N] [--epochs N] [--steps N] [--set K=V]``.

    Example
    -------
    ``streamfreq-train --quick --out /tmp/m`` writes ``lstm.keras``,
    ``lstm_b1.tflite`` and ``lstm.json`` to ``/tmp/m``.
    """
    parser = argparse.ArgumentParser(prog="streamfreq-train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent, help="output folder")
    parser.add_argument("--quick", action="store_true", help="a tiny run (about a minute) that proves the recipe")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None, help="steps per epoch")
    parser.add_argument("--init", default=None, help="start from the weights of this .keras model")
    parser.add_argument(
        "--finish-only",
        type=Path,
        default=None,
        metavar="DIR",
        help="only export and calibrate the model in DIR (e.g. the best epoch of a run that was stopped); "
        "--set overrides its recorded configuration",
    )
    parser.add_argument("--keep-bias", action="store_true", help="with --finish-only: keep the recorded bias table")
    parser.add_argument(
        "--keep-reliability", action="store_true", help="with --finish-only: keep the recorded reliability table"
    )
    parser.add_argument(
        "--refit-offsets",
        action="store_true",
        help="with --finish-only: first refit the offset head where the decoding reads it (then bias and reliability)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="override a TrainConfig field, e.g. --set lstm_units=128",
    )
    args = parser.parse_args(argv)
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in TrainConfig.__dataclass_fields__:
            parser.error(f"--set: unknown field {key!r}")
        overrides[key] = json.loads(value)
    if args.finish_only is not None:
        log = lambda m: print(m, flush=True)  # noqa: E731
        finish_model_dir(
            args.finish_only,
            log=log,
            keep=tuple(
                name for name, wanted in (("bias", args.keep_bias), ("reliability", args.keep_reliability)) if wanted
            ),
            overrides=overrides,
            refit_offsets=args.refit_offsets,
        )
        return 0
    cfg = TrainConfig(seed=args.seed, **(QUICK if args.quick else {}))
    for key, value in overrides.items():
        setattr(cfg, key, tuple(value) if isinstance(value, list) else value)
    if args.epochs is not None:
        cfg.epochs = args.epochs
    if args.steps is not None:
        cfg.steps_per_epoch = args.steps
    if args.init is not None:
        cfg.init = str(args.init)
    meta = train(cfg, args.out, log=lambda s: print(s, flush=True))
    print(json.dumps(meta["metrics"], indent=1))
    print(f"wrote {args.out} in {meta['training']['total_seconds']:.0f} s of training")
    return 0


if __name__ == "__main__":
    sys.exit(main())
