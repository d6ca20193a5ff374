"""The LSTM model contract: input features, views, bins, targets, decoding and calibration, defined once.

Both the estimator (:class:`streamfreq.estimators.lstm.LSTMEstimator`) and the
training recipe (``streamfreq.models.train``) build a :class:`Contract` (from
the model's metadata, or from the training configuration) and call its
methods, so what the network was trained on and how its outputs are read can
never drift apart. Pure numpy; nothing here imports an ML runtime.

* **Input** (:meth:`Contract.inputs`): each full-resolution window of N samples
  is resampled to :attr:`Contract.length` samples over the same time span
  (:func:`streamfreq.windowing.preprocess`: anti-aliased, mean removed, unit
  RMS), so a tone keeps its number of cycles per window. The shipped design
  reads it along log frequency, :data:`GRID_PER_BIN` points per output bin:
  the normalised autocorrelation at the period of each frequency (``"lacf"``)
  and the log power spectrum (``"lspec"``), both by FFT. There a harmonic
  sound makes the same pattern at every f0, shifted (peaks at f0 and its
  subharmonics in one, at f0 and its harmonics in the other). The first
  design read the waveform itself along time (``"wave"``, with ``"acf"``).
* **Views** (:meth:`Contract.views_of`): copies of the input that keep the
  frequency (the waveform negated and time-reversed, negated, reversed; the
  log-frequency channels do not change under them).
* **Outputs**: ``concat(bin softmax, class softmax, per-bin offsets)``; bins are
  log-spaced in cycles per window, offsets are in bins, classes are
  :data:`CLASSES`.
* **Decoding** (:meth:`Contract.decode`): the centre of the most likely bin plus
  its offset, less the measured bias at that estimate; a raw confidence score
  (tone probability times the probability mass next to the winning bin) mapped
  through the measured reliability table to the probability of being within
  50 cents.

Example
-------
>>> import numpy as np
>>> from streamfreq.estimators.lstm_contract import Contract
>>> from streamfreq.signals import tone
>>> c = Contract(length=256, channels=("lacf", "lspec"))
>>> c.inputs(tone(2048, np.array([10.0, 40.0]))).shape  # 4 points per bin
(2, 720, 2)
>>> y = c.targets(np.array([10.0]), np.array([0]))
>>> probs = np.concatenate([y["bins"], [[1.0, 0.0, 0.0]], y["off"][:, : c.n_bins]], axis=1)
>>> cycles, cls, score = c.decode(probs)
>>> round(float(cycles[0]), 6), cls.argmax(axis=1).tolist()
(10.0, [0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import NamedTuple

import numpy as np

from streamfreq.windowing import PREPROCESS_VERSION, preprocess

#: The network's classes, in the order of its class outputs.
CLASSES = ("tone", "no_tone", "out_of_range")
#: Input channels along time: the waveform, and its autocorrelation at lags 0..L-1.
TIME_CHANNELS = ("wave", "acf")
#: Input channels along log frequency, :data:`GRID_PER_BIN` points per bin: the autocorrelation at the
#: period of each frequency ("lacf") and the log power spectrum ("lspec").
FREQ_CHANNELS = ("lacf", "lspec")
CHANNELS = TIME_CHANNELS + FREQ_CHANNELS
#: Points of the log-frequency input grid per output bin.
GRID_PER_BIN = 4
#: Floor of the log power spectrum channel, in decades below its peak.
SPECTRUM_FLOOR = 6.0
#: The autocorrelation channel reads lags from the autocorrelation interpolated this many times.
LAG_UPSAMPLE = 4
#: The spectrum channel reads the spectrum zero-padded this many times.
SPECTRUM_PAD = 8
#: Decoders of the bin outputs.
DECODERS = ("offset", "average", "blend")
#: Bins either side of the most likely one whose probability counts towards the confidence score.
SCORE_HALF_WIDTH = 2
#: Tolerance (cents) behind the calibrated confidence: P(|error| < 50 cents).
TOLERANCE_CENTS = 50.0
#: Bins from a bin's centre within which its offset is trained, fitted and read (clipped there when decoding).
OFFSET_REACH = 1.5


def autocorrelation(x: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of each row of ``x`` (batch, L) at lags 0..L-1 (biased, by FFT).

    Lag 0 is 1 for any window with energy; an all-zero window gives all zeros.

    Example
    -------
    >>> import numpy as np
    >>> r = autocorrelation(np.cos(2 * np.pi * 4 * np.arange(64) / 64)[None, :])
    >>> round(float(r[0, 0]), 6), round(float(r[0, 16]), 2), round(float(r[0, 8]), 2)
    (1.0, 0.75, -0.88)
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[-1]
    spectrum = np.fft.rfft(x, 2 * n, axis=-1)
    r = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, 2 * n, axis=-1)[..., :n]
    zero = r[..., :1]
    return np.where(zero > 1e-12, r / np.where(zero > 1e-12, zero, 1.0), 0.0)


class _Reads(NamedTuple):
    """Linear reads of an array's last axis at fractional positions, worked out once.

    ``points`` are the sorted indices whose values the reads need. Given the array's values at
    ``points``, read ``i`` is ``values[neighbours[i]] * weights[i] + values[neighbours[m + i]] * weights[m + i]``
    for ``m`` reads: its lower and upper neighbour, weighted 1 - fraction and fraction.
    """

    points: np.ndarray
    neighbours: np.ndarray
    weights: np.ndarray


def _reads(where: np.ndarray, size: int) -> _Reads:
    """Reads of an array of ``size`` points at fractional positions ``where`` (1-D), linearly, clipped to its ends.

    Example
    -------
    >>> r = _reads(np.array([0.5, 2.0, 9.0]), 4)
    >>> r.points.tolist(), _lerp(np.array([0.0, 10.0, 20.0, 30.0])[r.points], r).tolist()
    ([0, 1, 2, 3], [5.0, 20.0, 30.0])
    """
    where = np.clip(np.asarray(where, dtype=np.float64).ravel(), 0, size - 1)
    i = np.minimum(np.floor(where).astype(np.int64), size - 2)
    points, neighbours = np.unique(np.concatenate([i, i + 1]), return_inverse=True)
    frac = where - i
    return _Reads(points, neighbours, np.concatenate([1.0 - frac, frac]))


def _lerp(values: np.ndarray, reads: _Reads) -> np.ndarray:
    """The reads of ``values`` (..., len(reads.points)): the array's values at ``reads.points``, last axis."""
    weighted = values.take(reads.neighbours, axis=-1) * reads.weights
    half = reads.weights.size // 2
    return weighted[..., :half] + weighted[..., half:]


def _lag_reads(n: int, cycles: np.ndarray, upsample: int) -> _Reads:
    """Reads of the autocorrelation of ``n`` samples, upsampled ``upsample`` times, at the periods of ``cycles``."""
    lags = np.minimum(upsample * n / np.asarray(cycles, dtype=np.float64), n * upsample)  # at most the window
    return _reads(lags, n * upsample + 2)


def _read_autocorrelation(x: np.ndarray, reads: _Reads, upsample: int) -> np.ndarray:
    """Normalised autocorrelation (lag 0 = 1) of each row of ``x`` (batch, L) in lag steps of 1/``upsample``, read
    at ``reads`` (of lags 0..L+1 in those steps); all-zero rows read zero.

    Only the points the reads need are normalised: each is the same division as on the whole autocorrelation.
    """
    n = x.shape[-1]
    spectrum = np.fft.rfft(x, 2 * n, axis=-1)
    r = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, 2 * n * upsample, axis=-1)
    zero = r[..., :1]
    sound = zero > 1e-12
    return _lerp(np.where(sound, r.take(reads.points, axis=-1) / np.where(sound, zero, 1.0), 0.0), reads)


def log_lag_autocorrelation(x: np.ndarray, cycles: np.ndarray, upsample: int = LAG_UPSAMPLE) -> np.ndarray:
    """Normalised autocorrelation of each row of ``x`` (batch, L) at the periods of ``cycles`` per window.

    The value at index i is the autocorrelation at lag ``L / cycles[i]``: on a log-spaced grid a
    periodic window peaks at its own f0 and at its subharmonics, a fixed pattern whatever the f0.
    Lags between samples are read from the autocorrelation band-limited-interpolated ``upsample``
    times, then linearly.

    Example
    -------
    >>> import numpy as np
    >>> x = np.cos(2 * np.pi * 8 * np.arange(256) / 256)[None, :]
    >>> r = log_lag_autocorrelation(x, 2.0 ** np.arange(8))  # 1, 2, 4, ..., 128 cycles
    >>> [round(float(v), 2) for v in r[0, 3:6]]  # at 8 cycles (lag 32) a peak, at 16 (lag 16) a trough
    [0.88, -0.94, -0.02]
    """
    x = np.asarray(x, dtype=np.float64)
    return _read_autocorrelation(x, _lag_reads(x.shape[-1], cycles, upsample), upsample)


def _read_log_power(x: np.ndarray, reads: _Reads, pad: int, taper: np.ndarray) -> np.ndarray:
    """Log power spectrum of each row of ``x`` times ``taper``, zero-padded ``pad`` times, scaled to 0..1 (1 at the
    row's peak), read at ``reads`` (of its ``pad * L // 2 + 1`` points); all-zero rows read zero.

    Only the points the reads need are scaled: each is the same arithmetic as on the whole spectrum.
    """
    spectrum = np.fft.rfft(x * taper, pad * x.shape[-1], axis=-1)
    power = spectrum.real**2 + spectrum.imag**2
    peak = power.max(axis=-1, keepdims=True)
    relative = power.take(reads.points, axis=-1) / np.where(peak > 0, peak, 1.0)
    scaled = np.log10(np.maximum(relative, 10.0**-SPECTRUM_FLOOR))
    return _lerp(np.where(peak > 1e-20, 1.0 + scaled / SPECTRUM_FLOOR, 0.0), reads)


def log_spectrum(x: np.ndarray, cycles: np.ndarray, pad: int = SPECTRUM_PAD) -> np.ndarray:
    """Log power spectrum of each Hann-windowed row of ``x`` at ``cycles`` per window, scaled to 0..1.

    1 is the row's spectral peak and 0 lies :data:`SPECTRUM_FLOOR` decades below it; the spectrum is
    zero-padded ``pad`` times and read between its points linearly. All-zero rows give zeros.

    Example
    -------
    >>> import numpy as np
    >>> x = np.cos(2 * np.pi * 10 * np.arange(256) / 256)[None, :]
    >>> [round(float(v), 2) for v in log_spectrum(x, np.array([10.0, 40.0]))[0]]
    [1.0, 0.0]
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[-1]
    reads = _reads(np.asarray(cycles, dtype=np.float64) * pad, pad * n // 2 + 1)
    return _read_log_power(x, reads, pad, np.hanning(n))


def _table(pairs) -> tuple[tuple[float, ...], tuple[float, ...]]:
    grid, values = pairs if pairs else ((), ())
    return tuple(float(v) for v in grid), tuple(float(v) for v in values)


@dataclass(frozen=True)
class Contract:
    """Everything that ties a trained network to its input and its outputs.

    Parameters
    ----------
    length
        Samples per window after resampling (the network's input length).
    channels
        Input channels: along time (``("wave",)`` or ``("wave", "acf")``: ``length`` steps), or along log
        frequency (a subset of :data:`FREQ_CHANNELS`: :data:`GRID_PER_BIN` points per bin).
    range_cycles
        The trained (advertised) range of the fundamental, cycles per window.
    bin_low, bin_high, n_bins
        Centres of the first and last log-spaced frequency bins (cycles per window) and their number.
    decoder
        ``"offset"`` (top bin + its offset), ``"average"`` (weighted average of the bins near the top)
        or ``"blend"`` (their mean in log frequency).
    views
        Views per window the estimator reads by default (1, 2 or 4).
    bias
        ``(log2 cycles grid, log2 correction)``: the network's measured bias, added to each view's estimate.
    reliability
        ``(raw score grid, P(within 50 cents))``: the measured reliability of the raw confidence score.
    """

    length: int = 512
    channels: tuple[str, ...] = ("lacf", "lspec")
    range_cycles: tuple[float, float] = (2.1, 88.0)
    bin_low: float = 1.0
    bin_high: float = 176.1683  # 2 ** (179 / 24): bins 50 cents apart
    n_bins: int = 180
    decoder: str = "offset"
    views: int = 1
    bias: tuple[tuple[float, ...], tuple[float, ...]] = field(default=((), ()))
    reliability: tuple[tuple[float, ...], tuple[float, ...]] = field(default=((), ()))

    def __post_init__(self) -> None:
        if not (self.length >= 16 and 0 < self.range_cycles[0] < self.range_cycles[1]):
            raise ValueError("length or range out of bounds")
        if not (self.n_bins >= 2 and 0 < self.bin_low < self.bin_high):
            raise ValueError("bins out of bounds")
        time_ok = self.channels[:1] == ("wave",) and set(self.channels) <= set(TIME_CHANNELS)
        if not (time_ok or (self.channels and set(self.channels) <= set(FREQ_CHANNELS))):
            raise ValueError(f"channels must be 'wave' (and 'acf'), or among {FREQ_CHANNELS}")
        if self.decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {DECODERS}")
        if self.views not in (1, 2, 4):
            raise ValueError("views must be 1, 2 or 4")
        for name in ("bias", "reliability"):
            grid, values = getattr(self, name)
            if len(grid) != len(values):
                raise ValueError(f"{name} arrays differ in length")

    # ------------------------------------------------------------ metadata

    @property
    def n_outputs(self) -> int:
        """Width of the network's output row: bins, classes, offsets."""
        return 2 * self.n_bins + len(CLASSES)

    def to_metadata(self) -> dict:
        """The contract as the JSON-able ``contract`` section of a model's metadata."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["channels"] = list(self.channels)
        out["range_cycles"] = list(self.range_cycles)
        out["bias"] = {"log2_cycles": list(self.bias[0]), "correction_log2": list(self.bias[1])}
        out["reliability"] = {"score": list(self.reliability[0]), "p_within_50c": list(self.reliability[1])}
        out["preprocess_version"] = PREPROCESS_VERSION
        return out

    @classmethod
    def from_metadata(cls, meta: dict) -> Contract:
        """The contract of a model from its metadata (``lstm.json``), new (``contract``) or first format.

        Raises ``KeyError``, ``ValueError`` or ``TypeError`` when the metadata is corrupt.
        """
        if "contract" in meta:
            c = dict(meta["contract"])
            c.pop("preprocess_version", None)
            bias, rel = c.pop("bias", {}) or {}, c.pop("reliability", {}) or {}
            return cls(
                **{k: (tuple(v) if isinstance(v, list) else v) for k, v in c.items()},
                bias=_table((bias.get("log2_cycles", ()), bias.get("correction_log2", ()))),
                reliability=_table((rel.get("score", ()), rel.get("p_within_50c", ()))),
            )
        bins, calibration = meta["bins"], meta.get("calibration") or {}  # format 1: waveform only
        return cls(
            length=int(meta["length"]),
            channels=("wave",),
            range_cycles=(float(meta["range_cycles"][0]), float(meta["range_cycles"][1])),
            bin_low=float(bins["low_cycles"]),
            bin_high=float(bins["high_cycles"]),
            n_bins=int(bins["count"]),
            decoder=str(meta.get("decode", "average")),
            views=int(meta.get("views", 1)),
            bias=_table((calibration.get("log2_cycles", ()), calibration.get("correction_log2", ()))),
        )

    def replace(self, **changes) -> Contract:
        """A copy with some fields changed (e.g. a new calibration)."""
        return replace(self, **changes)

    # ------------------------------------------------------------ input

    @property
    def along_time(self) -> bool:
        """True when the input runs along time (waveform channels), False along log frequency."""
        return self.channels[0] == "wave"

    @property
    def input_shape(self) -> tuple[int, int]:
        """Shape of one window's network input: ``(steps, channels)``."""
        steps = self.length if self.along_time else GRID_PER_BIN * self.n_bins
        return steps, len(self.channels)

    def grid(self) -> np.ndarray:
        """Cycles per window of the log-frequency input points: :data:`GRID_PER_BIN` around each bin centre."""
        offsets = (np.arange(GRID_PER_BIN) - (GRID_PER_BIN - 1) / 2) / GRID_PER_BIN
        return 2.0 ** (self.centres()[:, None] + self.bin_step * offsets[None, :]).reshape(-1)

    @cached_property
    def _read_plans(self) -> dict[str, _Reads]:
        """Where each log-frequency channel reads its values: the reads of :func:`log_lag_autocorrelation` and
        :func:`log_spectrum` at :meth:`grid`, worked out once per contract instead of once per window."""
        grid = self.grid()
        return {
            "lacf": _lag_reads(self.length, grid, LAG_UPSAMPLE),
            "lspec": _reads(grid * SPECTRUM_PAD, SPECTRUM_PAD * self.length // 2 + 1),
        }

    @cached_property
    def _taper(self) -> np.ndarray:
        """The spectrum channel's Hann taper, ``length`` points."""
        return np.hanning(self.length)

    def inputs(self, frames: np.ndarray) -> np.ndarray:
        """Network input ``(batch, *input_shape)`` float32 for full-resolution windows ``(batch, N)``."""
        x = preprocess(frames, self.length)
        if self.along_time:
            wave = x[..., 0]
            parts = [wave] + ([autocorrelation(wave)] if "acf" in self.channels else [])
            return np.stack(parts, axis=-1).astype(np.float32)
        wave = x[..., 0].astype(np.float64)
        plans = self._read_plans
        out = np.empty(x.shape[:1] + self.input_shape, dtype=np.float32)
        for k, name in enumerate(self.channels):
            if name == "lacf":
                out[..., k] = _read_autocorrelation(wave, plans["lacf"], LAG_UPSAMPLE)
            else:
                out[..., k] = _read_log_power(wave, plans["lspec"], SPECTRUM_PAD, self._taper)
        return out

    def lag_autocorrelation_at(self, x: np.ndarray, cycles: np.ndarray) -> np.ndarray:
        """The ``"lacf"`` channel of network input ``x`` (batch, ...) read at ``cycles`` per window.

        ``cycles`` holds one value per row, shape ``(batch,)``, or several, ``(batch, k)``; the result
        has its shape. Linear between the grid's points along log frequency; nan where ``cycles``
        lies off the grid or the contract has no such channel.

        Example
        -------
        >>> import numpy as np
        >>> from streamfreq.signals import tone
        >>> c = Contract()
        >>> x = c.inputs(tone(2048, np.array([10.0])))
        >>> c.lag_autocorrelation_at(x, np.array([[10.0, 20.0]])).round(2).tolist()  # at f0, an octave above
        [[0.9, -0.95]]
        """
        cycles = np.asarray(cycles, dtype=np.float64)
        if self.along_time or "lacf" not in self.channels:
            return np.full(cycles.shape, np.nan)
        grid = self._tables["log2_grid"]
        with np.errstate(invalid="ignore", divide="ignore"):
            where = (np.log2(cycles) - grid[0]) / (grid[1] - grid[0])
        outside = ~((where >= 0) & (where <= grid.size - 1))  # True for nan
        where = np.where(outside, 0.0, where)
        i = np.minimum(where.astype(np.int64), grid.size - 2)
        frac = where - i
        # flat indices of the lower neighbours in x (batch, steps, channels), then one gather for each neighbour
        batch, steps, channels = x.shape
        rows = np.arange(0, batch * steps, steps).reshape((-1,) + (1,) * (cycles.ndim - 1))
        i = (i + rows) * channels
        lacf = x.reshape(-1)[self.channels.index("lacf") :]
        values = lacf.take(i) * (1.0 - frac) + lacf.take(i + channels) * frac
        values[outside] = np.nan
        return values

    def views_of(self, x: np.ndarray, views: int | None = None) -> np.ndarray:
        """``views`` frequency-preserving copies of input ``x``, stacked along the batch: ``(views * batch, ...)``.

        The waveform channel is taken as is, negated and time-reversed, negated, and
        time-reversed; the autocorrelation does not change under any of them.
        """
        count = self.views if views is None else int(views)
        if not self.along_time:  # the autocorrelation and the power spectrum do not change under any view
            return np.ascontiguousarray(x if count == 1 else np.concatenate([x] * count), dtype=np.float32)
        wave, rest = x[..., :1], x[..., 1:]
        out = []
        for sign, reverse in ((1, False), (-1, True), (-1, False), (1, True))[:count]:
            w = sign * (wave[:, ::-1] if reverse else wave)
            out.append(np.concatenate([w, rest], axis=-1) if rest.shape[-1] else w)
        return np.ascontiguousarray(np.concatenate(out), dtype=np.float32)

    # ------------------------------------------------------------ bins and targets

    def centres(self) -> np.ndarray:
        """Log2 of the bin centres (cycles per window), shape ``(n_bins,)``."""
        return np.linspace(math.log2(self.bin_low), math.log2(self.bin_high), self.n_bins)

    @property
    def bin_step(self) -> float:
        """Spacing of the bins in log2 (octaves)."""
        return (math.log2(self.bin_high) - math.log2(self.bin_low)) / (self.n_bins - 1)

    def targets(self, cycles: np.ndarray, kind: np.ndarray, sigma_bins: float = 1.0) -> dict[str, np.ndarray]:
        """Training targets of a batch from the true ``cycles`` (nan for no tone) and ``kind`` (class index).

        ``bins``: a Gaussian over the bins (``sigma_bins`` wide) for any fundamental the bins can hold,
        zero otherwise; ``pos``: the true position in bins and whether it counts; ``off``: the offset of
        the truth from every bin, then a mask of the bins within 1.5 of it; ``cls``: one-hot classes.
        """
        centres, step = self.centres(), self.bin_step
        cycles = np.asarray(cycles, dtype=np.float64)
        has = np.isfinite(cycles) & (cycles >= self.bin_low * 1.3) & (cycles <= self.bin_high / 1.2)
        logc = np.log2(np.where(has, cycles, 1.0))
        bins = np.exp(-0.5 * ((centres[None, :] - logc[:, None]) / (step * sigma_bins)) ** 2)
        bins /= bins.sum(axis=1, keepdims=True)
        bins[~has] = 0.0
        position = (logc - centres[0]) / step
        off = position[:, None] - np.arange(self.n_bins)[None, :]
        mask = (np.abs(off) <= OFFSET_REACH) & has[:, None]
        return {
            "bins": bins.astype(np.float32),
            "pos": np.stack([position, has.astype(np.float64)], axis=1).astype(np.float32),
            "off": np.concatenate([off, mask], axis=1).astype(np.float32),
            "cls": np.eye(len(CLASSES), dtype=np.float32)[np.asarray(kind)],
        }

    # ------------------------------------------------------------ decoding

    @cached_property
    def _tables(self) -> dict[str, np.ndarray]:
        """The bin centres and the calibration tables as arrays, made once per contract."""
        return {
            "centres": self.centres(),
            "bin_step": np.float64(self.bin_step),
            "log2_grid": np.log2(self.grid()),
            "bias_grid": np.asarray(self.bias[0], dtype=np.float64),
            "bias": np.asarray(self.bias[1], dtype=np.float64),
            "score_grid": np.asarray(self.reliability[0], dtype=np.float64),
            "p_within": np.asarray(self.reliability[1], dtype=np.float64),
            # by top bin: where the prefix sums of its score's bins end and start (bins top +- SCORE_HALF_WIDTH)
            "score_edges": np.clip(
                np.arange(self.n_bins)[:, None] + [SCORE_HALF_WIDTH + 1, -SCORE_HALF_WIDTH], 0, self.n_bins
            ),
        }

    def _read_offset(self, probs: np.ndarray, top: np.ndarray) -> np.ndarray:
        """log2 cycles read from the offsets (each within :data:`OFFSET_REACH` bins): the top bin's centre plus its
        offset, or, where that lands past the top bin's edge (nearer another bin's centre), that bin's centre plus
        its own offset, which was fitted where the truth lies nearer it."""
        nb, nc = self.n_bins, len(CLASSES)
        centres, step = self._tables["centres"], self._tables["bin_step"]
        rows = np.arange(top.size)

        def offset_of(bins: np.ndarray) -> np.ndarray:  # read two values a row, not the whole offset block
            return np.clip(probs[rows, nb + nc + bins], -OFFSET_REACH, OFFSET_REACH)

        first = centres[top] + step * offset_of(top)
        landed = np.clip(np.rint((first - centres[0]) / step).astype(np.int64), 0, nb - 1)
        return np.where(landed == top, first, centres[landed] + step * offset_of(landed))

    def decode_raw(self, probs: np.ndarray, decoder: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(log2 cycles before the bias correction, class probabilities, raw score)`` per output row."""
        probs = np.asarray(probs, dtype=np.float64)
        nb, nc = self.n_bins, len(CLASSES)
        bins, cls = probs[:, :nb], probs[:, nb : nb + nc]
        centres = self._tables["centres"]
        top = bins.argmax(axis=1)
        rows = np.arange(top.size)
        method = decoder or self.decoder
        has_offsets = probs.shape[1] > nb + nc  # a first-format model has none
        offset = self._read_offset(probs, top) if has_offsets else 0.0
        if method == "offset":
            logc = offset
        else:  # the probability-weighted mean of the bins within 4 of the top
            idx = top[:, None] + np.arange(-4, 5)[None, :]
            inside = (idx >= 0) & (idx < nb)
            idx = np.clip(idx, 0, nb - 1)
            w = np.where(inside, np.take_along_axis(bins, idx, axis=1), 0.0)
            average = (w * centres[idx]).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-12)
            logc = average if method == "average" else 0.5 * (offset + average)
        cumulative = np.zeros((top.size, nb + 1))
        bins.cumsum(axis=1, out=cumulative[:, 1:])
        # the mass of the bins within SCORE_HALF_WIDTH of the top: two prefix sums, read in one gather
        upper, lower = cumulative.take(self._tables["score_edges"][top] + (nb + 1) * rows[:, None]).T
        score = cls[:, 0] * (upper - lower)
        return np.asarray(logc, dtype=np.float64), cls, score

    def decode(self, probs: np.ndarray, views: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(cycles per window, class probabilities, calibrated confidence)`` from raw network outputs.

        ``probs`` holds ``views`` stacked blocks of the same windows (as made by :meth:`views_of`):
        each view's estimate has the measured bias at that estimate removed, then the views are
        averaged (log frequency, class probabilities, raw scores) and the score becomes a confidence
        through the reliability table (the raw score itself when the contract has none).
        """
        logc, cls, score = self.decode_raw(probs)
        tables = self._tables
        if tables["bias_grid"].size:
            logc = logc + np.interp(logc, tables["bias_grid"], tables["bias"])
        if views > 1:
            count = logc.size // views
            logc = logc.reshape(views, count).mean(axis=0)
            cls = cls.reshape(views, count, len(CLASSES)).mean(axis=0)
            score = score.reshape(views, count).mean(axis=0)
        return 2.0**logc, cls, self.confidence(score)

    def confidence(self, score: np.ndarray) -> np.ndarray:
        """Calibrated confidence for raw scores (the reliability table, interpolated; monotone)."""
        tables = self._tables
        if not tables["score_grid"].size:
            return np.clip(score, 0.0, 1.0)
        return np.interp(score, tables["score_grid"], tables["p_within"])


def fit_bias(est_log2: np.ndarray, true_log2: np.ndarray, span: tuple[float, float], points: int = 200) -> tuple:
    """The bias table: the median of ``true - estimate`` (log2) in ``points`` bins of the estimate over ``span``.

    Bins with fewer than 10 estimates get no correction.
    """
    edges = np.linspace(math.log2(span[0]), math.log2(span[1]), points + 1)
    which = np.clip(np.digitize(est_log2, edges) - 1, 0, points - 1)
    error = true_log2 - est_log2
    corr = [float(np.median(error[which == i])) if np.sum(which == i) >= 10 else 0.0 for i in range(points)]
    centres = 0.5 * (edges[1:] + edges[:-1])
    return tuple(np.round(centres, 6).tolist()), tuple(np.round(corr, 7).tolist())


def fit_reliability(score: np.ndarray, correct: np.ndarray, points: int = 50) -> tuple:
    """The reliability table: P(correct) against the raw score, made monotone (isotonic, pool adjacent violators).

    ``points`` quantile bins of the score; each bin's rate of ``correct``; then the
    non-decreasing fit of those rates weighted by bin size.

    Example
    -------
    >>> import numpy as np
    >>> s = np.linspace(0, 1, 1000)
    >>> grid, p = fit_reliability(s, s > 0.5, points=4)
    >>> [round(v, 2) for v in p]
    [0.0, 0.0, 1.0, 1.0]
    """
    order = np.argsort(score)
    score, correct = np.asarray(score)[order], np.asarray(correct, dtype=np.float64)[order]
    groups = np.array_split(np.arange(score.size), points)
    x = [float(score[g].mean()) for g in groups if g.size]
    y = [float(correct[g].mean()) for g in groups if g.size]
    w = [float(g.size) for g in groups if g.size]
    # pool adjacent violators
    blocks: list[list[float]] = []  # [value, weight, count]
    for value, weight in zip(y, w, strict=True):
        blocks.append([value, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, c2 = blocks.pop()
            v1, w1, c1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    fitted = [b[0] for b in blocks for _ in range(b[2])]
    return tuple(np.round(x, 6).tolist()), tuple(np.round(fitted, 6).tolist())


__all__ = [
    "CLASSES",
    "CHANNELS",
    "Contract",
    "autocorrelation",
    "fit_bias",
    "fit_reliability",
    "log_lag_autocorrelation",
    "log_spectrum",
]
