"""The training recipe: data, targets, and a ``--quick`` run that produces a loadable model."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

from streamfreq.models import train
from streamfreq.windowing import PREPROCESS_VERSION


def _need(module: str):
    """Skip when ``module`` is missing, except under CI (where it must be installed)."""
    if os.environ.get("CI"):
        return __import__(module)
    return pytest.importorskip(module)


def test_batches_are_seeded_and_labelled():
    cfg = train.TrainConfig()
    x1, y1 = train.make_batch(np.random.default_rng(7), 512, cfg)
    x2, y2 = train.make_batch(np.random.default_rng(7), 512, cfg)
    np.testing.assert_array_equal(x1, x2)
    assert x1.shape == (512, train.LENGTH, 1) and x1.dtype == np.float32
    kind = np.argmax(y1["cls"], axis=1)
    # class shares near the configured ones
    assert abs(np.mean(kind == 1) - cfg.p_no_tone) < 0.06
    assert abs(np.mean(kind == 2) - cfg.p_out_of_range) < 0.06
    # frequency targets are distributions for tones, zero for no-tone windows
    sums = y1["bins"].sum(axis=1)
    np.testing.assert_allclose(sums[kind == 1], 0.0)
    np.testing.assert_allclose(sums[kind == 0], 1.0, rtol=1e-5)
    assert np.all(y1["pos"][kind == 1, 1] == 0) and np.all(y1["pos"][kind == 0, 1] == 1)


def test_tone_labels_follow_the_range():
    frames, cycles, kind = train.make_windows(np.random.default_rng(1), 2000, train.TrainConfig())
    tones = kind != 1
    inside = (cycles >= train.RANGE_LOW) & (cycles <= train.RANGE_HIGH)
    assert np.all(inside[kind == 0]) and not np.any(inside[kind == 2])
    assert np.all(np.isnan(cycles[~tones]))


def test_target_mean_is_the_true_bin_position():
    cfg = train.TrainConfig()
    cycles = np.array([3.0, 10.0, 44.4, 100.0])
    y = train.targets(cycles, np.zeros(4, dtype=int), cfg)
    mean = (y["bins"] * np.arange(train.N_BINS)).sum(axis=1)
    np.testing.assert_allclose(mean, y["pos"][:, 0], atol=1e-3)
    offsets = y["off"][:, : train.N_BINS]  # the exact offset of the truth from every bin
    probs = np.concatenate([y["bins"], np.tile([1.0, 0.0, 0.0], (4, 1)), offsets], axis=1)
    decoded, cls = train.decode(probs, "offset")
    assert np.max(np.abs(1200 * np.log2(decoded / cycles))) < 1e-6
    np.testing.assert_array_equal(cls, np.tile([1.0, 0.0, 0.0], (4, 1)))
    decoded, _ = train.decode(probs, "average")
    assert np.max(np.abs(1200 * np.log2(decoded / cycles))) < 0.5


@pytest.mark.train
@pytest.mark.slow
def test_quick_training_produces_a_loadable_model(tmp_path):
    _need("tensorflow")
    _need("ai_edge_litert")
    from streamfreq.estimators.lstm import LSTMEstimator
    from streamfreq.signals import tone

    assert train.main(["--quick", "--out", str(tmp_path), "--seed", "3"]) == 0
    meta = json.loads((tmp_path / "lstm.json").read_text())
    assert meta["preprocess_version"] == PREPROCESS_VERSION
    assert meta["length"] == train.LENGTH
    assert meta["range_cycles"] == [train.RANGE_LOW, train.RANGE_HIGH]
    assert (tmp_path / "lstm.keras").is_file()
    est = LSTMEstimator(tmp_path)
    assert sorted(est._interpreters) == [1, 64]  # the batch-64 export really has batch 64
    assert len(meta["calibration"]["log2_cycles"]) == len(meta["calibration"]["correction_log2"]) > 0
    frames = tone(2048, np.array([5.0, 20.0, 80.0]), 0.0, 0.5).astype(np.float32)
    out = est.estimate_many(frames, 48000.0)
    assert len(out) == 3
    assert all(e.status in ("ok", "no_tone", "out_of_range") for e in out)
    assert all(math.isnan(e.hz) or e.hz > 0 for e in out)
