"""Windower framing across awkward block sizes; resampling and the shared preprocessing."""

import numpy as np
import pytest

from streamfreq.errors import ParameterError
from streamfreq.signals import tone
from streamfreq.windowing import Windower, preprocess, resample_to_length


def one_shot(signal: np.ndarray, window: int, hop: int) -> np.ndarray:
    count = 1 + (len(signal) - window) // hop
    return np.stack([signal[k * hop : k * hop + window] for k in range(count)])


@pytest.mark.parametrize(("window", "hop"), [(64, 16), (100, 37), (128, 128), (50, 1), (256, 200)])
@pytest.mark.parametrize("seed", [0, 1])
def test_any_block_sizes_give_the_one_shot_windows(window, hop, seed):
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=3000).astype(np.float32)
    windower = Windower(window, hop)
    starts, frames, position = [], [], 0
    while position < len(signal):
        size = int(rng.integers(1, 3 * window))
        s, f = windower.push(signal[position : position + size])
        starts += s.tolist()
        frames += list(f)
        position += size
    expected = one_shot(signal, window, hop)
    assert starts == [k * hop for k in range(len(expected))]
    np.testing.assert_array_equal(np.array(frames), expected)


def test_frames_stay_valid_after_later_pushes():
    windower = Windower(16, 8)
    _, first = windower.push(np.arange(24, dtype=np.float32))
    windower.push(np.full(100, -1.0, dtype=np.float32))
    np.testing.assert_array_equal(first[0], np.arange(16))


def test_skip_to_moves_the_grid():
    windower = Windower(16, 4)
    windower.push(np.zeros(10, dtype=np.float32))
    windower.skip_to(40)
    starts, _ = windower.push(np.zeros(60, dtype=np.float32))
    assert starts.tolist() == [40, 44, 48, 52]


@pytest.mark.parametrize(
    ("window", "hop", "message"),
    [
        (8, 4, r"window must be in 16\.\.1048576 \(got 8\)"),
        (64, 0, r"hop must be in 1\.\.64 \(got 0\)"),
        (64, 65, r"hop must be in 1\.\.64 \(got 65\)"),
    ],
)
def test_bad_window_or_hop_names_the_range(window, hop, message):
    with pytest.raises(ParameterError, match=message):
        Windower(window, hop)


@pytest.mark.parametrize("cycles", [3.0, 17.5, 60.0, 100.0])
def test_resampling_keeps_cycles_per_window(cycles):
    out = resample_to_length(tone(2048, cycles, 0.4), 256)
    spectrum = np.abs(np.fft.rfft(out * np.hanning(256), 256 * 16))
    assert np.argmax(spectrum) / 16 == pytest.approx(cycles, abs=0.1)


def test_resampling_removes_what_would_alias():
    out = resample_to_length(tone(2048, 200.0), 256)  # above the new Nyquist (128 cycles)
    assert np.sqrt(np.mean(out[16:-16] ** 2)) < 1e-3


def test_preprocess_normalises_and_keeps_silence_silent():
    batch = np.stack([3.0 * tone(2048, 10.0) + 5.0, np.zeros(2048)])
    x = preprocess(batch, 256)
    assert x.shape == (2, 256, 1) and x.dtype == np.float32
    assert np.sqrt(np.mean(x[0] ** 2)) == pytest.approx(1.0, rel=1e-4)
    assert abs(float(x[0].mean())) < 1e-5
    assert not np.any(x[1])


def test_resampling_a_window_does_not_depend_on_its_batch():
    """Whole-multiple and other length ratios: each window resamples the same alone as in a batch, to the bit."""
    rng = np.random.default_rng(5)
    for n_in, length in ((2048, 512), (1500, 512)):
        frames = rng.standard_normal((37, n_in)).astype(np.float32)
        together = resample_to_length(frames, length)
        alone = np.array([resample_to_length(frame[None], length)[0] for frame in frames])
        assert np.array_equal(together, alone), (n_in, length)
