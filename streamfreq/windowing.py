"""Framing a stream into fixed windows, and the one preprocessing shared by training and inference.

:class:`Windower` cuts a stream that arrives in blocks of any size into
windows of ``window`` samples every ``hop`` samples, with absolute start
offsets, giving exactly the windows one-shot framing of the whole signal gives.

:func:`preprocess` is the single function that turns full-resolution windows
into network input. The training recipe and the LSTM estimator both call it,
so the two can never drift apart (its behaviour is versioned by
:data:`PREPROCESS_VERSION`, which the model metadata records).

Example
-------
>>> import numpy as np
>>> from streamfreq.windowing import Windower
>>> w = Windower(window=16, hop=4)
>>> starts, frames = w.push(np.arange(25, dtype=np.float32))
>>> starts.tolist(), frames[:, 0].tolist()
([0, 4, 8], [0.0, 4.0, 8.0])
>>> w.push(np.zeros(3, dtype=np.float32))[0].tolist()
[12]
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from streamfreq.errors import ParameterError, check_range

MAX_WINDOW = 1 << 20
PREPROCESS_VERSION = 1


class Windower:
    """Turn blocks of samples into overlapping windows with absolute start offsets.

    Parameters
    ----------
    window
        Window length N in samples (>= 16).
    hop
        Distance between window starts in samples (1..window).
    """

    def __init__(self, window: int, hop: int) -> None:
        check_range("window", window, 16, MAX_WINDOW)
        check_range("hop", hop, 1, window)
        self.window = int(window)
        self.hop = int(hop)
        self._pending = np.zeros(0, dtype=np.float32)
        self._pending_start = 0  # absolute index of _pending[0]
        self._next_start = 0  # absolute start of the next window to emit

    @property
    def next_start(self) -> int:
        """Absolute sample index where the next window will start."""
        return self._next_start

    def push(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Add a block; return ``(starts, frames)`` for every window it completes.

        ``frames`` has shape ``(len(starts), window)`` and is a read-only view
        that stays valid after later pushes.
        """
        block = np.asarray(block, dtype=np.float32)
        if block.ndim != 1:
            raise ParameterError(f"block must be 1-D mono samples (got shape {block.shape})")
        data = np.concatenate((self._pending, block)) if self._pending.size else block
        offset = self._next_start - self._pending_start  # where the next window starts in data
        available = data.size - offset
        count = 0 if available < self.window else 1 + (available - self.window) // self.hop
        if count:
            span = data[offset : offset + (count - 1) * self.hop + self.window]
            frames = np.lib.stride_tricks.sliding_window_view(span, self.window)[:: self.hop]
        else:
            frames = np.zeros((0, self.window), dtype=np.float32)
        starts = self._next_start + self.hop * np.arange(count, dtype=np.int64)
        self._next_start += count * self.hop
        keep_from = self._next_start - (self._pending_start)
        keep_from = min(keep_from, data.size)
        self._pending = data[keep_from:].copy()
        self._pending_start += keep_from
        return starts, frames

    def skip_to(self, start: int) -> None:
        """Drop pending samples before ``start`` and make it the next window's start."""
        if start < self._next_start:
            raise ParameterError(f"start must be >= {self._next_start} (got {start})")
        drop = min(start - self._pending_start, self._pending.size)
        self._pending = self._pending[drop:].copy()
        self._pending_start += drop
        self._next_start = start


@lru_cache(maxsize=16)
def _resampling_matrix(n_in: int, n_out: int, taps_per_side: int = 16) -> np.ndarray:
    """Windowed-sinc matrix mapping ``n_in`` samples to ``n_out`` samples over the same time span.

    Each output sample is a Kaiser-windowed sinc of the inputs around its
    position, low-pass at ``0.9 * min(1, n_out/n_in)`` of the input Nyquist
    (anti-aliased). Windows are finite, so taps beyond the edges are simply
    absent: no wrap-around as with FFT resampling. Built once per shape.
    (scipy.signal.resample_poly does the same, but importing scipy.signal
    costs ~2 s of start-up here, which the live path cannot afford.)
    """
    return _sinc_taps(n_in, n_out, np.arange(n_out), taps_per_side)


def _sinc_taps(n_in: int, n_out: int, outputs: np.ndarray, taps_per_side: int = 16) -> np.ndarray:
    """The columns ``outputs`` of :func:`_resampling_matrix` (each element computed as there), ``(n_in, len)``."""
    ratio = n_out / n_in
    cutoff = 0.9 * min(1.0, ratio)  # fraction of the input Nyquist
    half_width = taps_per_side / cutoff  # in input samples
    positions = (outputs + 0.5) / ratio - 0.5  # centre-aligned output positions
    offsets = np.arange(n_in)[None, :] - positions[:, None]
    taper = np.kaiser(129, 8.0)
    taper_at = np.interp(offsets / half_width, np.linspace(-1, 1, 129), taper, left=0.0, right=0.0)
    matrix = cutoff * np.sinc(cutoff * offsets) * taper_at
    return matrix.T.astype(np.float32)  # (n_in, len(outputs)): frames @ matrix


@lru_cache(maxsize=16)
def _decimation_filter(n_in: int, n_out: int) -> tuple[np.ndarray, int]:
    """``(taps, pad)``: when ``n_in`` is a whole multiple of ``n_out``, every row of :func:`_resampling_matrix`
    holds the same taps, shifted by the ratio; output j is ``taps @ padded[j * ratio : j * ratio + taps.size]``
    of the input zero-padded by ``pad`` on both sides (taps beyond the edges are absent, as in the matrix).
    """
    ratio = n_in // n_out
    column = _sinc_taps(n_in, n_out, np.array([n_out // 2]))[:, 0]  # one output's taps over the whole input
    nonzero = np.flatnonzero(column)
    first, last = int(nonzero[0]), int(nonzero[-1])
    start = (n_out // 2) * ratio  # where output n_out // 2 starts reading the unpadded input, less pad
    pad = start - first
    return np.ascontiguousarray(column[first : last + 1]), pad


def resample_to_length(frames: np.ndarray, length: int) -> np.ndarray:
    """Resample windows ``(..., N)`` to ``(..., length)`` over the same time span, anti-aliased.

    A tone of ``c`` cycles per window keeps ``c`` cycles per window. Content
    above ``0.9 * min(N, length) / 2`` cycles per window is removed.

    Example
    -------
    >>> import numpy as np
    >>> from streamfreq.signals import tone
    >>> resample_to_length(tone(2048, 10.0), 256).shape
    (256,)
    """
    frames = np.asarray(frames, dtype=np.float32)
    n_in, length = frames.shape[-1], int(length)
    if n_in == length:
        return frames
    if n_in % length:  # one row at a time (a stacked product): one product for the batch would round by batch
        return (frames[..., None, :] @ _resampling_matrix(n_in, length))[..., 0, :]
    # the same product, reading only the taps that are not zero, summed by einsum over a strided view (matmul
    # would copy the overlapping view first): at 2048 -> 512 samples 0.018 ms for one window against 0.048 ms
    # by matmul and 0.17 ms by the whole matrix; each output is its own sum, so a window's result never depends
    # on the batch it came in
    taps, pad = _decimation_filter(n_in, length)
    rows = frames.reshape(-1, n_in)
    padded = np.zeros((rows.shape[0], n_in + 2 * pad + taps.size), dtype=np.float32)
    padded[:, pad : pad + n_in] = rows
    step = padded.strides[1]
    strides = (padded.strides[0], step * (n_in // length), step)
    view = np.ndarray((rows.shape[0], length, taps.size), np.float32, padded, strides=strides)  # as_strided, faster
    return np.einsum("ijk,k->ij", view, taps).reshape(frames.shape[:-1] + (length,))


def preprocess(frames: np.ndarray, length: int) -> np.ndarray:
    """The network input for windows ``(batch, N)``: shape ``(batch, length, 1)``, float32.

    Steps: resample to ``length`` (anti-aliased), remove the mean, scale to
    unit RMS. Windows with no energy stay all-zero. This is the only
    preprocessing; training and inference both call it.

    Example
    -------
    >>> import numpy as np
    >>> from streamfreq.signals import tone
    >>> x = preprocess(tone(2048, np.array([5.0, 50.0])), 256)
    >>> x.shape, bool(np.allclose(np.sqrt((x ** 2).mean(axis=1)), 1.0, atol=1e-3))
    ((2, 256, 1), True)
    """
    frames = np.atleast_2d(np.asarray(frames))
    if frames.dtype != np.float32:
        frames = frames.astype(np.float64)
    # float32 windows are divided in float32, with no float64 copy: for float32 operands the float64 quotient rounded
    # to float32 is the same number (rounding the exact quotient to 53 bits, then to 24, rounds it to 24 bits)
    scale = np.maximum.reduce(np.abs(frames), axis=-1, keepdims=True)
    scale[~((scale > 0) & (scale < np.inf))] = 1.0  # none, nan or inf: leave the window as it is
    resampled = resample_to_length((frames / scale).astype(np.float32, copy=False), length).astype(np.float64)
    resampled -= _row_mean(resampled)
    rms = np.sqrt(_row_mean(resampled**2))
    rms[rms < 1e-12] = 1.0
    return (resampled / rms).astype(np.float32)[..., None]


def _row_mean(x: np.ndarray) -> np.ndarray:
    """The mean of each row of ``x``, keeping the axis: ``np.mean``'s own arithmetic (a sum, then a division by the
    count) without its Python layer.

    Example
    -------
    >>> x = np.array([[0.1, 0.2, 0.7], [1.0, 2.0, 4.0]])
    >>> bool(np.array_equal(_row_mean(x), x.mean(axis=-1, keepdims=True)))
    True
    """
    return np.add.reduce(x, axis=-1, keepdims=True) / x.shape[-1]


def no_whole_window(window: int, samplerate: float) -> str:
    """The warning for an input that ends before one whole window (no readouts), as the CLI and ``plot`` give it.

    Example
    -------
    >>> no_whole_window(2048, 48000.0)
    'no whole window in the input (2048 samples = 42.7 ms at 48000 Hz): no readouts; try a shorter --window'
    """
    return (
        f"no whole window in the input ({window} samples = {1000 * window / samplerate:.1f} ms at {samplerate:g} Hz): "
        "no readouts; try a shorter --window"
    )
