"""The learned estimator: a trained conv + LSTM network run by the LiteRT interpreter.

Each window is resampled to the network's trained input length by the shared
:func:`streamfreq.windowing.preprocess` (anti-aliased, so a tone keeps its
number of cycles per window), the network returns a distribution over
log-spaced frequency bins, a per-bin offset and three class probabilities
(tone in range / no tone / out of range). The frequency in cycles per window
is the centre of the most likely bin plus its offset, less the network's
measured bias at that estimate (the model's calibration table), averaged in
log frequency over the model's views of the window (the window and its
negated, time-reversed copy by default). It maps back to Hz as
``cycles / (N / samplerate)``. The Hz is the network's own estimate.

A window is ``"out_of_range"`` when the network says so, when its estimate
falls outside the trained range, when most of the window's energy lies
above the band the resampling keeps (the network cannot see such a tone), or
when the network sees no tone but a quarter or more of the window's energy
lies within 3 cycles per window (a tone too slow for the trained range).

The ML runtime (``ai_edge_litert``) is imported only when an
:class:`LSTMEstimator` is built; importing this module is cheap.

Example
-------
>>> from streamfreq.estimators.lstm import LSTMEstimator
>>> from streamfreq.signals import tone
>>> est = LSTMEstimator().estimate_many(tone(2048, [18.775]), 48000.0)[0]  # 440 Hz; needs the lstm extra
>>> est.status, abs(est.hz - 440.0) < 5.0
('ok', True)
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import math
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from streamfreq.errors import ModelError, ParameterError, missing_extra
from streamfreq.estimators.base import NO_TONE, OK, OUT_OF_RANGE, Estimate, estimates_from_arrays
from streamfreq.windowing import PREPROCESS_VERSION, preprocess, resample_to_length

#: In-band energy share, as a fraction of what white noise keeps, below which a
#: window's energy is taken to lie above the network's band (out of range).
BAND_GUARD = 0.6
#: Share of a window's energy within 3 cycles per window above which a window the network
#: calls "no tone" is "out of range" instead: a tone too slow for the trained range (white
#: noise puts about 6/N of its energy there).
LOW_BAND_SHARE = 0.25


def lstm_available() -> bool:
    """True when the LiteRT runtime (``ai-edge-litert``) is installed; imports nothing.

    Example
    -------
    >>> isinstance(lstm_available(), bool)
    True
    """
    try:
        return importlib.util.find_spec("ai_edge_litert") is not None
    except (ImportError, ValueError):
        return False


def default_model_path() -> Path:
    """The shipped model's metadata file (``streamfreq/models/lstm.json``)."""
    from streamfreq.models import DEFAULT_MODEL

    return DEFAULT_MODEL


def _resolve_metadata(path: Path) -> Path:
    """Metadata file for a path given as a ``.json``, a folder, or a ``.tflite`` file."""
    if path.is_dir():
        return path / "lstm.json"
    if path.suffix == ".tflite":
        same_stem = path.with_suffix(".json")
        return same_stem if same_stem.exists() else path.with_name("lstm.json")
    return path


_FIX = "reinstall streamfreq, or retrain with `streamfreq-train --out DIR` and pass --model DIR"


class LSTMEstimator:
    """Frequency from a trained LSTM network (LiteRT runtime).

    Parameters
    ----------
    model_path
        The model's metadata file (``lstm.json``), the folder holding it, or a
        ``.tflite`` file with its metadata beside it. ``None`` uses the model
        shipped with streamfreq.
    num_threads
        Interpreter threads.
    views
        How many frequency-preserving views of each window the network reads
        (1, 2 or 4: the window, negated and reversed, negated, reversed); the
        estimate averages them. ``None`` takes the model's recommended number
        (``views`` in its metadata). Each view costs one network pass.

    Raises
    ------
    ImportError
        ``ai-edge-litert`` is not installed (``pip install "streamfreq[lstm]"``).
    ModelError
        The model or its metadata is missing, corrupt or made for another
        preprocessing version; the message names the path.

    Example
    -------
    >>> import numpy as np
    >>> from streamfreq.estimators.lstm import LSTMEstimator, lstm_available
    >>> if lstm_available():
    ...     print(LSTMEstimator().estimate_many(np.zeros((1, 2048), np.float32), 48000.0)[0].status)
    ... else:
    ...     print("no_tone")
    no_tone
    """

    name = "lstm"

    def __init__(self, model_path: str | Path | None = None, num_threads: int = 1, views: int | None = None) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise missing_extra("ai-edge-litert", "lstm") from None
        given = Path(model_path) if model_path is not None else default_model_path()
        meta_path = _resolve_metadata(given)
        self.metadata = meta = self._read_metadata(meta_path)
        self.model_path = meta_path
        self.length = int(meta["length"])
        self.range_cycles = (float(meta["range_cycles"][0]), float(meta["range_cycles"][1]))
        bins = meta["bins"]
        self.n_bins = int(bins["count"])
        self.decode_method = str(meta.get("decode", "average"))
        self.n_outputs = self.n_bins + 3 + (self.n_bins if self.decode_method != "average" else 0)
        calibration = meta.get("calibration") or {}
        self._calibration = (
            np.asarray(calibration.get("log2_cycles", []), dtype=np.float64),
            np.asarray(calibration.get("correction_log2", []), dtype=np.float64),
        )
        self.views = int(meta.get("views", 1) if views is None else views)
        if self.views not in (1, 2, 4):
            raise ParameterError(f"views must be 1, 2 or 4 (got {self.views!r})")
        self._centres = np.linspace(math.log2(bins["low_cycles"]), math.log2(bins["high_cycles"]), self.n_bins)
        files = {int(b): meta_path.parent / name for b, name in meta["tflite"].items()}
        if given.suffix == ".tflite":  # an explicit .tflite file: use it alone
            files = {b: p for b, p in files.items() if p.resolve() == given.resolve()} or {0: given}
        self._interpreters: dict[int, object] = {}
        for _, path in sorted(files.items()):
            interp = self._load(Interpreter, path, num_threads)
            batch = int(interp.get_input_details()[0]["shape"][0])
            self._interpreters[batch] = interp
        self._lock = threading.Lock()

    # ------------------------------------------------------------ loading

    @staticmethod
    def _read_metadata(path: Path) -> dict:
        if not path.is_file():
            raise ModelError(f"LSTM model metadata not found: {path} ({_FIX})")
        try:
            meta = json.loads(path.read_text())
            length = int(meta["length"])
            low, high = (float(v) for v in meta["range_cycles"])
            bins = meta["bins"]
            count, blow, bhigh = int(bins["count"]), float(bins["low_cycles"]), float(bins["high_cycles"])
            version = int(meta["preprocess_version"])
            tflite = dict(meta["tflite"])
            if not (length >= 16 and 0 < low < high and count >= 2 and 0 < blow < bhigh and tflite):
                raise ValueError("values out of range")
            calibration = meta.get("calibration") or {}
            if len(calibration.get("log2_cycles", [])) != len(calibration.get("correction_log2", [])):
                raise ValueError("calibration arrays differ in length")
            if meta.get("decode", "average") not in ("average", "offset", "blend"):
                raise ValueError("values out of range")
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as error:
            raise ModelError(f"LSTM model metadata {path} is corrupt ({error!s}); {_FIX}") from None
        if version != PREPROCESS_VERSION:
            raise ModelError(
                f"LSTM model {path} was trained with preprocessing version {version}, but this streamfreq "
                f"uses version {PREPROCESS_VERSION}; retrain it with `streamfreq-train --out DIR`"
            )
        return meta

    def _load(self, interpreter_cls, path: Path, num_threads: int):
        if not path.is_file():
            raise ModelError(f"LSTM model file not found: {path} ({_FIX})")
        try:
            interp = interpreter_cls(model_path=str(path), num_threads=num_threads)
            with _native_stderr_silenced():  # LiteRT logs "INFO: Created ... XNNPACK delegate" here
                interp.allocate_tensors()
            (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"LSTM model file {path} is corrupt or not a LiteRT model ({error!s}); {_FIX}") from None
        batch = int(inp["shape"][0])
        if tuple(inp["shape"][1:]) != (self.length, 1) or tuple(out["shape"]) != (batch, self.n_outputs):
            raise ModelError(
                f"LSTM model file {path} has input {tuple(inp['shape'])} and output {tuple(out['shape'])}, "
                f"but its metadata says input (batch, {self.length}, 1) and output (batch, {self.n_outputs}); "
                f"{_FIX}"
            )
        return interp

    # ------------------------------------------------------------ inference

    def network(self, x: np.ndarray) -> np.ndarray:
        """Raw network outputs ``(batch, n_outputs)`` for preprocessed input ``(batch, length, 1)``.

        The columns are the bin probabilities, the three class probabilities
        (tone in range, no tone, out of range) and, for ``decode="offset"``
        models, each bin's predicted offset in bins.

        Batches go through the largest fixed-batch interpreter (the last chunk
        zero-padded); single windows through the batch-1 interpreter.
        """
        x = np.ascontiguousarray(x, dtype=np.float32)
        count = x.shape[0]
        out = np.empty((count, self.n_outputs), dtype=np.float32)
        sizes = sorted(self._interpreters)
        with self._lock:
            start = 0
            while start < count:
                left = count - start
                fitting = [b for b in sizes if b <= left]
                batch = fitting[-1] if fitting and (fitting[-1] > 1 or len(sizes) == 1) else sizes[-1]
                if batch > left and 1 in self._interpreters and left <= 4:
                    batch = 1
                interp = self._interpreters[batch]
                chunk = x[start : start + batch]
                if chunk.shape[0] < batch:
                    chunk = np.concatenate([chunk, np.zeros((batch - chunk.shape[0],) + x.shape[1:], np.float32)])
                interp.set_tensor(interp.get_input_details()[0]["index"], chunk)
                interp.invoke()
                result = interp.get_tensor(interp.get_output_details()[0]["index"])
                take = min(batch, left)
                out[start : start + take] = result[:take]
                start += take
        return out

    def decode(self, probs: np.ndarray, half_width: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """``(cycles per window, class probabilities)`` from raw network outputs.

        ``"average"``: the weighted average of the bin centres (log2) within
        ``half_width`` bins of the most likely one; ``"offset"``: the centre of
        the most likely bin plus that bin's predicted offset; ``"blend"``: the
        mean of the two in log frequency (their errors are partly independent).
        A model whose metadata carries a ``calibration`` table then has its
        measured bias at that estimate removed (see
        ``streamfreq.models.train.fit_calibration``).
        """
        probs = np.asarray(probs, dtype=np.float64)
        bins, cls = probs[:, : self.n_bins], probs[:, self.n_bins : self.n_bins + 3]
        top = np.argmax(bins, axis=1)
        idx = top[:, None] + np.arange(-half_width, half_width + 1)[None, :]
        valid = (idx >= 0) & (idx < self.n_bins)
        idx = np.clip(idx, 0, self.n_bins - 1)
        w = np.where(valid, np.take_along_axis(bins, idx, axis=1), 0.0)
        average = (w * self._centres[idx]).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-12)
        if self.decode_method == "average":
            logc = average
        else:
            step = self._centres[1] - self._centres[0]
            offset = self._centres[top] + step * probs[np.arange(len(top)), self.n_bins + 3 + top]
            logc = offset if self.decode_method == "offset" else 0.5 * (offset + average)
        grid, correction = self._calibration
        if grid.size:  # the network's measured bias at this estimate (metadata "calibration")
            logc = logc + np.interp(logc, grid, correction)
        return 2.0**logc, cls

    def infer(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(cycles per window, class probabilities)`` for windows ``(batch, N)``, over :attr:`views` views.

        The views are the window and copies that keep its frequency: negated
        and time-reversed, negated, time-reversed. The network reads them all
        (in one batch); the estimate is the mean of their log frequencies, the
        class probabilities their mean.
        """
        x = preprocess(frames, self.length)
        views = [x, -x[:, ::-1], -x, x[:, ::-1]][: self.views]
        count = x.shape[0]
        cycles, cls = self.decode(self.network(np.concatenate(views)))
        logc = np.log2(cycles).reshape(len(views), count).mean(axis=0)
        return 2.0**logc, cls.reshape(len(views), count, 3).mean(axis=0)

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        """Estimate the frequency in each row of ``frames`` (batch, N) sampled at ``samplerate``.

        Example
        -------
        >>> import numpy as np
        >>> from streamfreq.signals import tone
        >>> if lstm_available():
        ...     est = LSTMEstimator().estimate_many(tone(2048, [1000.0]), 48000.0)[0]
        ...     print(est.status, est.hz)
        ... else:
        ...     print("out_of_range nan")
        out_of_range nan
        """
        frames = np.array(frames, dtype=np.float32, ndmin=2)
        count, n = frames.shape
        if count == 0:
            return []
        np.nan_to_num(frames, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        cycles, cls = self.infer(frames)
        hz = cycles * (float(samplerate) / n)

        # share of the (mean-removed) energy the resampling keeps, against what white noise keeps
        centred = frames.astype(np.float64) - frames.mean(axis=1, keepdims=True, dtype=np.float64)
        total = np.mean(centred**2, axis=1)
        kept = np.mean(resample_to_length(centred.astype(np.float32), self.length).astype(np.float64) ** 2, axis=1)
        white = 0.9 * min(1.0, self.length / n)
        above_band = kept < BAND_GUARD * white * total

        kind = np.argmax(cls, axis=1)
        low, high = self.range_cycles
        status = np.full(count, OK, dtype=object)
        status[(kind == 2) | (cycles < low) | (cycles > high)] = OUT_OF_RANGE
        status[kind == 1] = NO_TONE
        status[above_band & (total > 0)] = OUT_OF_RANGE
        below_band = _low_band_energy(centred) > LOW_BAND_SHARE * total
        status[(status == NO_TONE) & below_band] = OUT_OF_RANGE
        status[~(total > 0)] = NO_TONE
        return estimates_from_arrays(hz, cls[:, 0], status)

    def __repr__(self) -> str:
        return f"LSTMEstimator({str(self.model_path)!r})"


@functools.lru_cache(maxsize=8)
def _low_band_basis(n: int) -> np.ndarray:
    """Cosines and sines of 1, 2 and 3 cycles per window of ``n`` samples, shape (6, n)."""
    phase = 2.0 * np.pi * np.arange(n) / n
    return np.concatenate([np.cos(np.outer([1, 2, 3], phase)), np.sin(np.outer([1, 2, 3], phase))])


def _low_band_energy(centred: np.ndarray) -> np.ndarray:
    """Mean-square energy of each (mean-removed) window within 1..3 cycles per window (DFT bins 1-3)."""
    n = centred.shape[1]
    projections = centred @ _low_band_basis(n).T
    return 2.0 * np.sum(projections**2, axis=1) / (n * n)


__all__ = ["LSTMEstimator", "lstm_available", "default_model_path", "NO_TONE", "OK", "OUT_OF_RANGE"]


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for a moment, so native libraries cannot log to it.

    Our errors go to stderr as one line each; LiteRT's C++ INFO logging would
    add a second one (setting TF_CPP_MIN_LOG_LEVEL does not reach it).
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
