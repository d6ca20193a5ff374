"""The learned estimator: a trained conv + LSTM network run by the LiteRT interpreter.

Every estimator reports the fundamental (f0). Everything that ties the network
to its input and outputs lives in the model contract
(:class:`streamfreq.estimators.lstm_contract.Contract`, read from the model's
metadata): each window is resampled to the network's input length (so a tone
keeps its number of cycles per window) with its autocorrelation beside it, the
network returns a distribution over log-spaced f0 bins, a per-bin offset and
three class probabilities (tone in range / no tone / out of range), and the
contract decodes them into cycles per window (the top bin plus its offset,
less the measured bias) and a calibrated confidence: the measured probability
that the number is within 50 cents. It maps back to Hz as
``cycles / (N / samplerate)``. The Hz is the network's own estimate (or half of it: below; a number a check
moves to its double below the range or to its quotient on a partial is read at the window's period there).

A window gets a number (``"ok"``) when the network calls it a tone in range
with a calibrated confidence of at least the model's ``min_confidence``, or
with less where a second opinion confirms the number: the whole window
repeats at its period and ``fft``'s coarse stage reads the same note (a low
voice through a telephone's band, a French horn's low notes; the number keeps
the network's own, lower confidence), or the number lies on an upper partial of
the note the coarse stage reads and is divided there (as below); otherwise it
is ``"no_tone"``. A window the network reads no number of (``"no tone"`` with
doubt, or a number pinned at its lowest bins or below the range) gets the note
the coarse stage reads, in range, where the whole window repeats at its period
and not better at twice it (a French horn's A1, a tone without its
fundamental), at the window's period there. A number the network doubts (a tone
under ``min_confidence``, or "no tone" with doubt, or "out of range" with
doubt and a number in doubt too) that is still without one is kept where
``fft`` reads the same note (a tone in loud noise, whose window repeats too
little for the second opinion above; a voice over rumble). It is
``"out_of_range"`` when the network says so, when the estimate falls outside
the trained range, when most of the
window's energy lies above the band the resampling keeps, or when the network
sees no tone but a quarter or more of the window's energy lies below the
trained range, or its waveform repeats clearly at a period longer than the
range's longest (a fundamental too slow for it, its partials in range or
not). Energy above the kept band counts only when it has a spectral peak (a
tone), so hiss stays ``no_tone``; out of range below by the energy there or the
network's class is ``no_tone`` where the window is steep coloured noise (rumble,
wind: :func:`~streamfreq.estimators.slow_tone.coloured_below`) and the network
reads no pitch below the range (its estimate is pinned to its lowest bins).
A window out of range above (a tone's peak above the range, an estimate above
it, or the network's class "out of range" with its estimate in the upper half
of the range; and not a quarter of its energy below the range) is read
again from its centre half, which holds half the cycles, and so on while the
half is at least the network's input length: the range reaches 88 cycles of
512 samples (8.25 kHz at 48 kHz; :meth:`LSTMEstimator.range_for`), so a
whistle or a violin's top notes get numbers.
A number whose window correlates clearly better at twice its period (an
octave too high: a missing fundamental) is halved where the window repeats
well there, and withheld (``no_tone``) elsewhere; one whose window repeats
well and better at a third of its period (a subharmonic, a twelfth too low)
is tripled. A number below the range whose double lies in it is doubled where
the window repeats at half its period as well as at it and ``fft``'s coarse
stage reads the double (a French horn's low notes, read an octave low). A
window whose centre is silent, or sounds without repeating at
the period where the rest of the window does, gets no number (a note that
starts or stops within the window before its centre: the f0 is the
centre's, as for every estimator). A low number whose window holds a
fundamental half as high, with odd harmonics too weak for the network (a
double bass's lowest notes), is halved by the check ``fft`` makes
(:mod:`~streamfreq.estimators.octave`). A number on an upper partial of the
note (the 2nd up to the 17th: a French horn's low notes, their 4th..6th
partials the loudest; a residue pitch, partials 10..17 alone), where
``fft``'s coarse stage reads the note and the window repeats clearly better
at the note's period than at the number's, is divided by that partial's
number, or withheld where it lies too far off it.

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
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from streamfreq.errors import ModelError, ParameterError, check_range, missing_extra
from streamfreq.estimators import octave
from streamfreq.estimators.base import (
    CENTRE_LEVEL,
    NO_TONE,
    OK,
    OUT_OF_RANGE,
    WHOLE_OVERLAP,
    Estimate,
    HasFloor,
    centre_level,
    centred_unit_peak,
    estimates_from_arrays,
    period_near,
    repeating_at_centre,
    whole_repeats,
)
from streamfreq.estimators.fft import FFTEstimator
from streamfreq.estimators.harmonic import coarse_fundamental, padded_power, spectrum
from streamfreq.estimators.harmonic_fit import dechirped
from streamfreq.estimators.lstm_contract import Contract
from streamfreq.estimators.partial_fit import MINOR_SHARE
from streamfreq.estimators.slow_tone import (
    EDGE_RATIO,
    SLOW_REPEATS,
    SLOWER_HALF_MARGIN,
    coloured_below,
    off_the_bottom,
    repeats_slower,
)
from streamfreq.windowing import PREPROCESS_VERSION, resample_to_length

#: In-band energy share, as a fraction of what white noise keeps, below which a
#: window's energy is taken to lie above the network's band (out of range).
BAND_GUARD = 0.6
#: Share of the energy above the kept band that its strongest DFT bin must hold for that energy to be taken
#: as a tone (out of range) rather than noise (no tone): a tone puts 40% or more into one bin, white noise
#: about 1% at a 2048 window.
PEAK_SHARE = 0.05
#: Share of a window's energy its strongest DFT bin holds, at least, for a peak above the trained range to be
#: read as a tone there (read again from the window's centre): a tone between two bins puts 40% of its energy
#: in the nearer one, 20% at a per-sample SNR of 0 dB; noise puts a few percent in its loudest bin.
TONE_SHARE = 0.2
#: A window whose autocorrelation at twice the estimate's period exceeds that at its period by more than this
#: gets no number: the estimate is likely an octave above the fundamental (a missing or weak fundamental). On
#: 6000 generated windows (seed 777) with the first f0 model it took the number from 21 windows, all wrong
#: (20 an octave high), and from no right one; a margin of 0 also took 15 right ones.
OCTAVE_MARGIN = 0.05
#: ...and is halved instead where the window repeats at twice the period at least this well and better than at the
#: estimate's own by :data:`HALF_MARGIN`: a tone without its fundamental, read at its second partial, repeats near 1
#: at the fundamental's period and about as much as its odd and even partials differ at the estimate's. On the pitch
#: benchmark's harmonic tones (a) the LSTM read 92.0% of frames right with these withheld and 93.8% halved (gross
#: errors 2.2 % both); a pure tone at -5 dB whose double period correlates a little better is still withheld.
HALF_REPEATS = 0.5
HALF_MARGIN = 0.1
#: A number whose window repeats at a third of its period at least :data:`HALF_REPEATS` and better than at the period
#: by more than this is a twelfth too low (the network read a subharmonic of a tone without its lower partials) and
#: is tripled. A window periodic at its number repeats at a third of it only where its partials off the multiples of
#: 3 are weak: on the pitch benchmark's harmonic tones (a) this tripled the 12 numbers read a third of the f0 and no
#: right one, on its notes (c), loud-noise tones (n), voices (b, v) and sines (s) none. A margin of 0.05 also tripled
#: 2 right numbers of 2000 generated windows (``lstm_accuracy.py``: a 3rd partial 10 dB over the 2nd, a vibrato;
#: the autocorrelation of the network's input is biased towards short lags, by 0.07 and 0.06 there).
THIRD_MARGIN = 0.1
#: A number whose window repeats at half its period better than at the period by more than this is an octave too
#: low and is doubled: a period repeats at least as well as any multiple of it, so the waveform's period is at most
#: half (FluidR3's steel guitar at 622 Hz, partials 1 and 2 and nothing at odd multiples of 311 Hz, read 311 Hz in 25
#: of its 33 sustain windows told ``fmin`` 30: 0.97-0.98 there against 0.94-0.96 at the number). Where the double
#: lies above the trained range the window is out of range above, and is read from its centre (:meth:`_zoom`): a
#: tonejs flute's C7 (2093 Hz, above the range's 1895 Hz at 2048 / 44.1 kHz), its half read in 26 of 153 windows
#: before, in 7 after.
DOUBLE_MARGIN = 0.01
#: Share of a window's energy below the trained range above which a window the network calls "no tone" is "out of
#: range" instead: a fundamental too slow for the trained range. So is one whose waveform repeats at a period longer
#: than the range's longest (:func:`~streamfreq.estimators.slow_tone.repeats_slower` at
#: :data:`~streamfreq.estimators.slow_tone.SLOW_REPEATS`): a rich tone whose fundamental lies below the range while
#: its partials lie in it, which the energy below the range does not show.
LOW_BAND_SHARE = 0.25
#: A network estimate within this many octaves of its lowest bin is pinned there, not a reading of a pitch below the
#: range: coloured noise reads 1.12 cycles per window (the lowest bin is 1 cycle), a double bass's or a piano's E1
#: (1.91 cycles) 1.92..2.02.
PINNED_OCTAVES = 0.25
#: A number is looked at as a partial of the note (:func:`~streamfreq.estimators.octave.partial_by_coarse`, which
#: asks ``fft``'s coarse stage) only where its network input's autocorrelation, less its bias towards short lags
#: (divided by one less the lag's share of the window), reads at least this much more at a longer lag (below) than at
#: its period: a period repeats at least as well as its multiples, so only such a window can repeat clearly better
#: at the note's period. The coarse stage costs about a tenth of the network's time per window; of the LSTM's numbers
#: of the recorded notes (``benchmarks/samples.py``, hop 512) 24% are looked at, and 226 of the 227 windows the check
#: changes where every number is looked at are changed.
PARTIAL_LOOK = 0.0
#: ...read at lags that leave the window's two parts overlapping by :data:`~streamfreq.estimators.base.WHOLE_OVERLAP`
#: at least, from a whole tone under twice the period to a whole tone over 17 times it, in steps of 10 cents, after
#: the period itself: a number up to 100 cents off its partial misses the multiple's own peak.
_PARTIAL_LOOK_MULTIPLES = np.concatenate(
    ([1.0], 2.0 ** (np.arange(1000.0, 1200.0 * math.log2(octave.PARTIAL_MAX) + 201.0, 10.0) / 1200))
)
#: Calibrated confidence below which a window gets no number, unless the model's metadata says otherwise.
MIN_CONFIDENCE = 0.5
#: A number in range the network calls a tone with a confidence under the model's ``min_confidence`` is kept where
#: the whole window repeats at its period at least :data:`UNSURE_REPEATS` and ``fft``'s coarse stage reads the same
#: note within :data:`UNSURE_COARSE_CENTS`: a second opinion, from the full-resolution spectrum. The numbers it kept
#: on espeak-ng's voices where pyin and SwiftF0 both say unvoiced (breath, fricatives, a voice's first windows) lie
#: at 0.24..0.39; those of the recorded French horn's low notes and of a voice high-passed at 300 Hz (130 and 20
#: right, 3 and 1 wrong) at 0.5 or more, and a voice in pink noise 10 dB below it keeps 2 of the 22 right (and 1
#: wrong) that 0.3 would.
UNSURE_REPEATS = 0.5
#: ... and how near the number the second opinion must read (cents): the coarse stage's note here, ``fft``'s
#: number where the network's doubted number is still without one (:meth:`LSTMEstimator._fft_agrees`).
UNSURE_COARSE_CENTS = 50.0
#: A number the network calls a tone below the trained range, whose double lies in it, is doubled where the whole
#: window repeats at half its period at least :data:`UNSURE_REPEATS`, no more than this under its repetition at the
#: number's own period (a period repeats at least as well as its multiples; a tone truly below the range with
#: partials of both parities repeats far worse at half its period), and ``fft``'s coarse stage reads the double
#: within :data:`UNSURE_COARSE_CENTS`. The recorded French horn's D♯2 (77.8 Hz, 3.6 cycles per window at 2048 /
#: 44.1 kHz), read at 1.85 cycles in 88 of its 158 scored windows, repeats at 0.4..0.5 at half the number's period
#: and at -0.06 at the number's.
BELOW_RANGE_MARGIN = 0.05
#: A window the network reads no number of, neither "no tone" with a probability of :data:`UNREAD_NO_TONE` or more
#: nor a number in range (it pins one at its lowest bins or reads one below the range), is read at the note
#: ``fft``'s coarse stage reads where that lies in range and the whole window repeats at its period at least
#: :data:`UNREAD_REPEATS`, not better at twice it by more than :data:`BELOW_RANGE_MARGIN`. The recorded French
#: horn's A1 (55 Hz), which the network calls "no tone" with doubt or pins at 23 Hz, and harmonic tones without
#: their fundamental; noise, breath and a room's tail repeat far less, or the network reads them itself. The network
#: hears iterated rippled noise as noise and a tone of partials 10..17 alone as no tone, at 0.70..0.79: asked under
#: 0.7 (before), 5.5% of the rippled noise's frames and those tones at 160 and 250 Hz got no number; under 0.8, 0.5%
#: and none, and no other benchmark of the README moved but one cell (the recorded notes, ``--fmin 30``, 98.2 → 98.3%).
UNREAD_NO_TONE = 0.8
UNREAD_REPEATS = 0.8

#: The statuses by the small integer codes :meth:`LSTMEstimator.estimate_many` sets them with.
_STATUS_NAMES = np.array([OK, NO_TONE, OUT_OF_RANGE], dtype=object)
_OK, _NO_TONE, _OUT_OF_RANGE = 0, 1, 2
#: Where the octave checks read the autocorrelation: at twice the estimate's period, at its own, at half of it and at
#: a third of it.
_HALF_OWN_DOUBLE_THIRD = np.array([0.5, 1.0, 2.0, 3.0])


#: Fewest network rows for a batch to be split over two interpreters on two threads. Smaller batches (the live
#: path) run on the caller's thread alone: less CPU, no thread hand-over. Each row costs about 0.65 ms.
SPLIT_ROWS = 16


class _Rows:
    """A batch-1 LiteRT interpreter that runs network rows one by one, each from zeroed LSTM state.

    One caller at a time (a lock): the interpreter's tensors are its state.
    """

    def __init__(self, interpreter) -> None:
        self.interpreter = interpreter
        (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
        self.input, self.output = int(inp["index"]), int(out["index"])
        self.lock = threading.Lock()

    def run(self, x: np.ndarray, out: np.ndarray) -> None:
        """Write the outputs of rows ``x`` (rows, *input shape; float32, C-contiguous) into ``out`` (rows, outputs)."""
        interp = self.interpreter
        with self.lock:
            for row in range(len(x)):
                interp.reset_all_variables()
                interp.set_tensor(self.input, x[row : row + 1])
                interp.invoke()
                out[row] = interp.get_tensor(self.output)[0]


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


class LSTMEstimator(HasFloor):
    """The fundamental from a trained LSTM network (LiteRT runtime).

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
        estimate averages them. ``None`` takes the model's recommended number.
        Each view costs one network pass.
    fmin
        Lowest fundamental to report, in Hz, where it lies above the trained
        range's lowest: an estimate below it is ``"out_of_range"``, as for
        ``fft`` and ``zc`` (a voice recording's mains hum, say). None: the
        trained range alone.

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
    #: The engine follows its notes through windows it gives no number (:mod:`streamfreq.follow`).
    follows_notes = True

    def __init__(
        self,
        model_path: str | Path | None = None,
        num_threads: int = 1,
        views: int | None = None,
        fmin: float | None = None,
    ) -> None:
        if fmin is not None:
            check_range("fmin", fmin, 1e-3, 1e6)
        self.fmin = None if fmin is None else float(fmin)
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise missing_extra("ai-edge-litert", "lstm") from None
        given = Path(model_path) if model_path is not None else default_model_path()
        meta_path = _resolve_metadata(given)
        self.metadata = meta = self._read_metadata(meta_path)
        self.model_path = meta_path
        self.contract = contract = Contract.from_metadata(meta)
        self.length = contract.length
        self.range_cycles = contract.range_cycles
        self.n_bins = contract.n_bins
        self.n_outputs = contract.n_outputs
        self.min_confidence = float(meta.get("min_confidence", MIN_CONFIDENCE))
        self.views = int(contract.views if views is None else views)
        if self.views not in (1, 2, 4):
            raise ParameterError(f"views must be 1, 2 or 4 (got {self.views!r})")
        path = given if given.suffix == ".tflite" else meta_path.parent / meta["tflite"]["1"]
        self._open_interpreter = functools.partial(self._load, Interpreter, path, num_threads)
        self._interpreter = self._open_interpreter()
        self._rows = _Rows(self._interpreter)
        self._second: tuple[_Rows, ThreadPoolExecutor] | None = None  # made for the first batch of SPLIT_ROWS
        self._second_lock = threading.Lock()

    # ------------------------------------------------------------ loading

    @staticmethod
    def _read_metadata(path: Path) -> dict:
        if not path.is_file():
            raise ModelError(f"LSTM model metadata not found: {path} ({_FIX})")
        try:
            meta = json.loads(path.read_text())
            Contract.from_metadata(meta)
            version = int(meta["contract"]["preprocess_version"] if "contract" in meta else meta["preprocess_version"])
            if "1" not in dict(meta["tflite"]):
                raise ValueError("no batch-1 LiteRT file named")
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
        shape = self.contract.input_shape
        if tuple(inp["shape"]) != (1, *shape) or tuple(out["shape"]) != (1, self.n_outputs):
            raise ModelError(
                f"LSTM model file {path} has input {tuple(inp['shape'])} and output {tuple(out['shape'])}, "
                f"but its metadata says input (1, {shape[0]}, {shape[1]}) and output (1, {self.n_outputs}); {_FIX}"
            )
        return interp

    def range_for(self, n: int) -> tuple[float, float]:
        """The f0 range, in cycles per window, the estimator reads in windows of ``n`` samples.

        From the trained range's bottom in the whole window to its top in the shortest centre part
        :meth:`estimate_many` reads (halving while the half is at least the network's input length).

        Example
        -------
        >>> if lstm_available():
        ...     low, high = LSTMEstimator().range_for(2048)
        ...     print(round(low * 48000 / 2048), round(high * 48000 / 2048))  # Hz at 48 kHz
        ... else:
        ...     print("49 8250")
        49 8250
        """
        low, high = self.range_cycles
        shortest = int(n)
        while shortest // 2 >= self.length:
            shortest //= 2
        return low, high * n / shortest

    def lowest_hz(self, n: int, samplerate: float) -> float:
        """The lowest f0 (Hz) read in windows of ``n`` at ``samplerate``: the trained range's bottom, or ``fmin``
        where that is higher."""
        return max(self.range_cycles[0] * float(samplerate) / int(n), self.fmin or 0.0)

    def _own_state(self) -> LSTMEstimator:
        """A copy from :meth:`reaching` runs on an interpreter of its own (the engine may run both at once)."""
        self._interpreter = self._open_interpreter()
        self._rows = _Rows(self._interpreter)
        self._second, self._second_lock = None, threading.Lock()
        return self

    # ------------------------------------------------------------ inference

    def network(self, x: np.ndarray) -> np.ndarray:
        """Raw network outputs ``(batch, n_outputs)`` for network input ``(batch, *contract.input_shape)``.

        The columns are the bin probabilities, the three class probabilities
        (tone in range, no tone, out of range) and each bin's predicted offset
        in bins (the contract's layout).

        Rows go through the batch-1 model one by one, so a window's outputs
        never depend on its batch. Its LSTMs are LiteRT's fused sequence-LSTM
        ops, which keep their state in variable tensors across calls: every
        call starts from zeroed state. A batch of :data:`SPLIT_ROWS` rows or
        more is split in two halves, run side by side by two interpreters of
        the same model (LiteRT's invoke releases the GIL); the outputs are the
        same numbers either way.
        """
        x = np.ascontiguousarray(x, dtype=np.float32)
        out = np.empty((x.shape[0], self.n_outputs), dtype=np.float32)
        if len(x) < SPLIT_ROWS:
            self._rows.run(x, out)
            return out
        second, thread = self._second_interpreter()
        half = (len(x) + 1) // 2
        done = thread.submit(second.run, x[half:], out[half:])
        self._rows.run(x[:half], out[:half])
        done.result()
        return out

    def _second_interpreter(self) -> tuple[_Rows, ThreadPoolExecutor]:
        """A second interpreter of the same model and the thread that runs it, made on first use."""
        with self._second_lock:
            if self._second is None:
                self._second = (
                    _Rows(self._open_interpreter()),
                    ThreadPoolExecutor(1, thread_name_prefix="streamfreq-lstm"),
                )
            return self._second

    def infer(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(cycles per window, class probabilities, calibrated confidence)`` for windows ``(batch, N)``.

        The network reads :attr:`views` views of each window in one batch; the
        contract decodes and averages them.
        """
        return self._infer_inputs(self.contract.inputs(frames))

    def _infer_inputs(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.contract.decode(self.network(self.contract.views_of(x, self.views)), self.views)

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        """Estimate the fundamental in each row of ``frames`` (batch, N) sampled at ``samplerate``.

        Example
        -------
        >>> import numpy as np
        >>> from streamfreq.signals import tone
        >>> if lstm_available():
        ...     est = LSTMEstimator().estimate_many(tone(2048, [3000.0]), 48000.0)[0]
        ...     print(est.status, est.hz)
        ... else:
        ...     print("out_of_range nan")
        out_of_range nan
        """
        frames = np.array(frames, dtype=np.float32, ndmin=2)
        if len(frames) == 0:
            return []
        if not np.isfinite(frames).all():
            np.nan_to_num(frames, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        cycles, confidence, status = self._estimate_arrays(frames, samplerate)
        return estimates_from_arrays(cycles * (float(samplerate) / frames.shape[1]), confidence, _STATUS_NAMES[status])

    def _estimate_arrays(self, frames: np.ndarray, samplerate: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(cycles per window, confidence, status codes)`` for finite float32 windows ``(batch, N)``.

        A window whose f0 lies above the trained range is read again from its centre half (:meth:`_zoom`).
        """
        count, n = frames.shape
        x = self.contract.inputs(frames)
        above_band, bright, below_band, level, peak_above = self._frame_checks(frames)  # code still warm
        cycles, cls, confidence = self._infer_inputs(x)
        low, high = self.range_cycles
        kind = cls.argmax(axis=1)
        # an octave too high: the window correlates better at twice the period than at the estimate's own
        halved, own, doubled, thirded = self.contract.lag_autocorrelation_at(
            x, cycles[:, None] * _HALF_OWN_DOUBLE_THIRD
        ).T
        with np.errstate(invalid="ignore"):
            octave_high = (cycles >= 2 * low) & (halved > own + OCTAVE_MARGIN)
            third_low = (cycles >= low) & ~octave_high & (thirded >= HALF_REPEATS) & (thirded > own + THIRD_MARGIN)
            # an octave too low: doubled, and where the double lies above the range, out of range above and read
            # from the window's centre (a flute's C7 read at its half)
            octave_low = (cycles >= low) & ~octave_high & ~third_low
            octave_low &= doubled > own + DOUBLE_MARGIN
        status = np.full(count, _OK, dtype=np.int8)  # indices into _STATUS_NAMES
        with np.errstate(invalid="ignore"):  # nan where off the grid: not halved
            half = octave_high & (halved >= HALF_REPEATS) & (halved > own + HALF_MARGIN)
        cycles[half] *= 0.5
        cycles[third_low] *= 3.0
        if octave_low.any():
            cycles[self._octave_low(frames, samplerate, cycles, octave_low)] *= 2.0
        under = np.flatnonzero((kind == 0) & (cycles >= low / 2) & (cycles < low))
        if len(under):  # read an octave below the range
            doubled = self._octave_below_range(frames[under], samplerate, cycles[under])
            cycles[under] = np.where(np.isnan(doubled), cycles[under], doubled)
        status[(confidence < self.min_confidence) | (octave_high & ~half)] = _NO_TONE
        withheld = np.flatnonzero(octave_high & ~half & (confidence >= self.min_confidence))
        if len(withheld):  # an octave high, but unclearly by the waveform: the spectrum may say so clearly
            halves = withheld[self._half_by_spectrum(frames[withheld], samplerate, cycles[withheld])]
            cycles[halves] *= 0.5
            status[halves] = _OK
        if self.fmin is not None:
            low = max(low, self.fmin * n / float(samplerate))
        status[(kind == 2) | (cycles < low) | (cycles > high)] = _OUT_OF_RANGE
        status[kind == 1] = _NO_TONE
        rows = np.flatnonzero(bright & (level >= CENTRE_LEVEL) & ((status == _OK) | (kind == 1)))
        if len(rows):  # a note in range whose upper partials, above the band, hold most of its energy (a spectrum
            # rising with frequency), where fft reads a note in range from all of them: no tone above the range, and
            # where the network, which hears only the band, reads no tone, fft's number
            read = self._fft_cycles(frames[rows], samplerate)
            with np.errstate(invalid="ignore"):  # nan: no number
                agrees = np.abs(1200.0 * np.log2(read / cycles[rows])) < UNSURE_COARSE_CENTS
                unread = (status[rows] != _OK) & (read >= low) & (read <= high)  # the network reads no tone
            cycles[rows[unread]] = read[unread]
            status[rows[unread]] = _OK
            above_band[rows[agrees | unread]] = False
        status[above_band] = _OUT_OF_RANGE
        # a tone in range by the network's class, read with doubt, not an octave high, its energy in the range
        doubtful = (confidence < self.min_confidence) & (kind == 0) & ~octave_high & ~below_band
        doubtful &= (cycles >= low) & (cycles <= high)
        by_energy = (status == _NO_TONE) & below_band
        status[by_energy] = _OUT_OF_RANGE
        # out of range below the trained range by the energy there or the network's class: rumble (steep coloured
        # noise), unless a slow tone explains it
        bottom, top = self.range_cycles
        low_side = ((kind == 2) & ((cycles < math.sqrt(bottom * top)) | below_band)) | (cycles < bottom) | by_energy
        read_below = (cycles >= self.contract.bin_low * 2.0**PINNED_OCTAVES) & (cycles < bottom)
        rumble = np.flatnonzero((status == _OUT_OF_RANGE) & low_side & ~above_band & ~read_below)
        if len(rumble):
            rumble = rumble[coloured_below(frames[rumble], bottom)]
            status[rumble], below_band[rumble] = _NO_TONE, False
        doubt = np.flatnonzero((status == _NO_TONE) & (level >= CENTRE_LEVEL))
        if len(doubt):  # a fundamental below the range whose partials are in it: the waveform repeats that slowly
            slow = doubt[self._repeats_below(frames[doubt], self.range_cycles[0])]
            status[slow], below_band[slow] = _OUT_OF_RANGE, True
        status[level < CENTRE_LEVEL] = _NO_TONE  # silent, or a silent centre
        unsure = np.flatnonzero(doubtful & (status == _NO_TONE) & (level >= CENTRE_LEVEL))
        if len(unsure):  # kept where a second opinion confirms it
            unsure_cycles = cycles[unsure]
            confirmed = self._confirmed(frames[unsure], samplerate, unsure_cycles)
            cycles[unsure] = unsure_cycles
            status[unsure[confirmed]] = _OK
            status[unsure[confirmed & (unsure_cycles < low)]] = _OUT_OF_RANGE
        # the network reads no number: "no tone" with doubt, or a number pinned at its lowest bins or below the range
        unread = (status != _OK) & (level >= CENTRE_LEVEL) & ~above_band & ~below_band
        unread &= ((kind == 1) & (cls[:, 1] < UNREAD_NO_TONE)) | ((kind == 0) & (cycles < low))
        rows = np.flatnonzero(unread)
        if len(rows):  # read at the note fft's coarse stage reads, where the waveform repeats at it
            note = self._coarse_note(frames[rows], samplerate, low, high)
            kept = ~np.isnan(note)
            cycles[rows[kept]], status[rows[kept]] = note[kept], _OK
        # a number the network doubts, still without one: kept where fft reads the same note (a tone in loud noise;
        # over rumble, whose energy below the range the network takes for a note below it, class and number both
        # in doubt)
        doubts_both = (confidence < self.min_confidence) & ~octave_high & (cls.max(axis=1) < UNREAD_NO_TONE)
        doubted = (status != _OK) & (level >= CENTRE_LEVEL) & ~above_band & ~below_band
        doubted &= ((kind == 1) & (cls[:, 1] < UNREAD_NO_TONE)) | doubtful | (doubts_both & (kind == 2))
        rows = np.flatnonzero(doubted & (cycles >= low) & (cycles <= high))
        if len(rows):
            status[rows[self._fft_agrees(frames[rows], samplerate, cycles[rows])]] = _OK
        # out of range above: a tone's peak above the range, the estimate above it, or the network's class with
        # its estimate in the upper half of the range
        high_side = peak_above | (cycles > high) | ((kind == 2) & (cycles > math.sqrt(low * high)))
        high_side &= ~below_band
        self._half_fundamental(frames, samplerate, cycles, status, low)
        self._partial_by_coarse(frames, x, samplerate, cycles, status, low)
        below = np.flatnonzero((status == _OK) & (cycles < 2.0 * low))  # its half too low for the range: out of it
        if len(below):
            y = centred_unit_peak(frames[below])[0]
            steady = dechirped(y, 2.0 * np.pi * cycles[below] / n)  # a low voice's vibrato
            half = octave.half_below_floor(y, cycles[below] / n, low / n, steady)
            status[below[half]] = _OUT_OF_RANGE
        edge = np.flatnonzero((status == _OK) & (cycles < EDGE_RATIO * low))  # a tone below the range read above it
        if len(edge):
            status[edge[off_the_bottom(frames[edge], cycles[edge], low)]] = _OUT_OF_RANGE
        too_high = np.flatnonzero((status == _OUT_OF_RANGE) & high_side)
        if len(too_high) and n // 2 >= self.length:
            self._zoom(frames, too_high, samplerate, cycles, confidence, status)
        period = np.where(status == _OK, n / cycles, np.nan)  # a sound that stops off the centre, in breath or noise
        status[~repeating_at_centre(frames, period, level)] = _NO_TONE
        return cycles, confidence, status

    @staticmethod
    def _confirmed(frames: np.ndarray, samplerate: float, cycles: np.ndarray) -> np.ndarray:
        """Which windows ``frames``, read at ``cycles`` per window, a second opinion confirms: the window repeats at
        that period at least :data:`UNSURE_REPEATS` (:func:`~streamfreq.estimators.base.whole_repeats`) and ``fft``'s
        coarse stage (:func:`~streamfreq.estimators.harmonic.coarse_fundamental`) reads within
        :data:`UNSURE_COARSE_CENTS`; or the number lies on a partial of the note the coarse stage reads
        (:func:`~streamfreq.estimators.octave.partial_by_coarse`), and is divided by that partial's number there
        (read at the window's period near the quotient, :func:`~streamfreq.estimators.base.period_near`). Updates
        ``cycles``."""
        n = frames.shape[1]
        y = centred_unit_peak(frames)[0]
        with np.errstate(invalid="ignore"):  # nan: a period too long to check
            rows = np.flatnonzero(whole_repeats(y, n / cycles) >= UNSURE_REPEATS)
        confirmed = np.zeros(len(frames), dtype=bool)
        if len(rows):
            note = coarse_fundamental(spectrum(y[rows]), n, samplerate).f0 * n
            confirmed[rows] = np.abs(1200.0 * np.log2(cycles[rows] / note)) < UNSURE_COARSE_CENTS
        rest = np.flatnonzero(~confirmed)
        if len(rest):
            divisor, withheld = octave.partial_by_coarse(y[rest], 2.0 * np.pi * cycles[rest] / n, samplerate)
            moved = (divisor > 1) & ~withheld
            divided = rest[moved]
            cycles[divided] = period_near(y[divided], cycles[divided] / divisor[moved])
            confirmed[divided] = True
        return confirmed

    @staticmethod
    def _half_fundamental(
        frames: np.ndarray, samplerate: float, cycles: np.ndarray, status: np.ndarray, low: float
    ) -> None:
        """Halve the numbers (``cycles`` per window, ``"ok"`` in ``status``) of the windows ``frames`` whose
        fundamental is half of them (:mod:`~streamfreq.estimators.octave`, as ``fft`` does); those below ``low``
        cycles become ``out_of_range``. Updates ``cycles`` and ``status``."""
        n = frames.shape[1]
        check = np.flatnonzero((status == _OK) & octave.checked(2.0 * np.pi * cycles / n, n))
        if not len(check):
            return
        half = check[LSTMEstimator._half_by_spectrum(frames[check], samplerate, cycles[check])]
        cycles[half] *= 0.5
        status[half[cycles[half] < low]] = _OUT_OF_RANGE

    def _partial_by_coarse(
        self, frames: np.ndarray, x: np.ndarray, samplerate: float, cycles: np.ndarray, status: np.ndarray, low: float
    ) -> None:
        """Divide the numbers (``cycles`` per window, ``"ok"`` in ``status``) of the windows ``frames`` (network input
        ``x``) read at a partial of the note by that partial's number (read at the window's period near the quotient,
        :func:`~streamfreq.estimators.base.period_near`), or withhold them (``"no_tone"``), where
        ``fft``'s coarse stage reads the note there and the window repeats clearly better at its period
        (:func:`~streamfreq.estimators.octave.partial_by_coarse`); numbers divided below ``low`` cycles become
        ``out_of_range``. Only windows whose network input repeats as well at a multiple of the number's period are
        looked at (:data:`PARTIAL_LOOK`). Updates ``cycles`` and ``status``."""
        n = frames.shape[1]
        rows = np.flatnonzero((status == _OK) & (cycles >= 2.0 * low))
        if not len(rows):
            return
        # the number's period, and every lag from a whole tone under twice it to a whole tone over PARTIAL_MAX times
        # it (the number may lie off its partial), in windows
        lags = _PARTIAL_LOOK_MULTIPLES[None, :] / cycles[rows, None]
        with np.errstate(invalid="ignore", divide="ignore"):  # the biased autocorrelation, less its bias
            unbiased = self.contract.lag_autocorrelation_at(x[rows], 1.0 / lags) / (1.0 - lags)
            unbiased[lags >= 1.0 - WHOLE_OVERLAP] = np.nan
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-nan rows: no multiple in the window
            rows = rows[np.nanmax(unbiased[:, 1:], axis=1) >= unbiased[:, 0] + PARTIAL_LOOK]
        if not len(rows):
            return
        y = centred_unit_peak(frames[rows])[0]
        divisor, withheld = octave.partial_by_coarse(y, 2.0 * np.pi * cycles[rows] / n, samplerate)
        divided = divisor > 1
        cycles[rows[divided]] = period_near(y[divided], cycles[rows[divided]] / divisor[divided])
        status[rows[withheld]] = _NO_TONE
        status[rows[cycles[rows] < low]] = _OUT_OF_RANGE

    @staticmethod
    def _half_by_spectrum(frames: np.ndarray, samplerate: float, cycles: np.ndarray) -> np.ndarray:
        """Which windows ``frames``, read at ``cycles`` per window, have their fundamental at half of it by ``fft``'s
        tests on the full-resolution window: where the spectrum cannot resolve the half's partials, by the fits at
        the half (:func:`~streamfreq.estimators.octave.half_fundamental`) or by ``fft``'s coarse stage reading the
        half where the window repeats clearly better at twice the number's period
        (:func:`~streamfreq.estimators.octave.half_by_coarse`: a harmonium's low notes, a steel string's decay);
        else by the half's odd partials (:func:`~streamfreq.estimators.octave.fraction_by_partials`)."""
        n = frames.shape[1]
        y = centred_unit_peak(frames)[0]
        omega0 = 2.0 * np.pi * cycles / n
        half = np.zeros(len(frames), dtype=bool)
        checked = np.flatnonzero(octave.checked(omega0, n))
        if len(checked):
            power = padded_power(y[checked])
            excess = octave.double_excess(y[checked], omega0[checked], power, samplerate)
            by_fits = np.zeros(len(checked), dtype=bool)
            by_fits[octave.half_fundamental(y[checked], omega0[checked], power, samplerate, excess=excess)] = True
            rest = np.flatnonzero(~by_fits)
            by_fits[rest] = octave.half_by_coarse(y[checked[rest]], omega0[checked[rest]], excess[rest], samplerate)
            half[checked[by_fits]] = True
        resolved = np.flatnonzero(octave.resolved(omega0, n))
        if len(resolved):
            half[resolved[octave.fraction_by_partials(spectrum(y[resolved]), omega0[resolved], n, 2)]] = True
        return half

    @staticmethod
    def _octave_low(frames: np.ndarray, samplerate: float, cycles: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """The windows of ``frames`` among ``candidates`` (whose waveform repeats better at half the number's period)
        where the spectrum holds next to nothing at the number's odd harmonics 1, 3, 5, ... (under
        :data:`~streamfreq.estimators.partial_fit.MINOR_SHARE`, -25 dB, of its power below 3 kHz within a bin of
        them: no partial that counts for ``fft`` either): the number is an octave below the fundamental. A tone
        whose odd partials are weak (MuseScore General's bassoon at 208 Hz, its 1st, 3rd and 5th 22-28 dB under
        its 2nd: 0.9% of the power) also repeats better at half its period in the network's input, whose
        autocorrelation leans towards short lags, but its odd partials are there; FluidR3's steel guitar at 622
        Hz holds 0.1% at odd multiples of 311 Hz."""
        rows = np.flatnonzero(candidates)
        n = frames.shape[1]
        f0 = 2.0 * cycles[rows] / n  # the doubled number, cycles/sample
        band = octave.period_band(f0, samplerate)
        power = padded_power(centred_unit_peak(frames[rows])[0])
        return rows[octave.odd_power_share(power, n, f0, band, first=1) < MINOR_SHARE]

    @staticmethod
    def _octave_below_range(frames: np.ndarray, samplerate: float, cycles: np.ndarray) -> np.ndarray:
        """The f0 (cycles per window; nan where not) of the windows ``frames``, read below the trained range at
        ``cycles`` per window whose double lies in it, that are an octave too low: the whole window repeats at half
        the number's period at least :data:`UNSURE_REPEATS`, as well as at the number's own (within
        :data:`BELOW_RANGE_MARGIN`), and ``fft``'s coarse stage reads the double within
        :data:`UNSURE_COARSE_CENTS`. The f0 is the window's period near half the number's
        (:func:`~streamfreq.estimators.base.period_near`)."""
        n = frames.shape[1]
        y = centred_unit_peak(frames)[0]
        with np.errstate(invalid="ignore"):  # nan: a period too long to check
            own, half = whole_repeats(y, n / cycles), whole_repeats(y, n / (2.0 * cycles))
            rows = np.flatnonzero((half >= UNSURE_REPEATS) & ~(half < own - BELOW_RANGE_MARGIN))
        doubled = np.full(len(frames), np.nan)
        if len(rows):
            note = coarse_fundamental(spectrum(y[rows]), n, samplerate).f0 * n
            rows = rows[np.abs(1200.0 * np.log2(2.0 * cycles[rows] / note)) < UNSURE_COARSE_CENTS]
        if len(rows):
            doubled[rows] = period_near(y[rows], 2.0 * cycles[rows])
        return doubled

    @staticmethod
    def _coarse_note(frames: np.ndarray, samplerate: float, low: float, high: float) -> np.ndarray:
        """The f0 (cycles per window; nan where none) of the windows ``frames`` the network reads no number of, by
        ``fft``'s coarse stage (:func:`~streamfreq.estimators.harmonic.coarse_fundamental`): its note, where it
        lies within ``low..high`` cycles per window and the whole window repeats at the note's period at least
        :data:`UNREAD_REPEATS` and not better at twice it by more than :data:`BELOW_RANGE_MARGIN` (a period repeats
        at least as well as its multiples); read at the window's period near it
        (:func:`~streamfreq.estimators.base.period_near`)."""
        n = frames.shape[1]
        y = centred_unit_peak(frames)[0]
        note = coarse_fundamental(spectrum(y), n, samplerate).f0 * n
        with np.errstate(invalid="ignore", divide="ignore"):  # nan: a period too long to check
            own, double = whole_repeats(y, n / note), whole_repeats(y, 2.0 * n / note)
            rows = np.flatnonzero(
                (note >= low) & (note <= high) & (own >= UNREAD_REPEATS) & ~(double > own + BELOW_RANGE_MARGIN)
            )
        read = np.full(len(frames), np.nan)
        if len(rows):
            read[rows] = period_near(y[rows], note[rows])
        return read

    def _fft_agrees(self, frames: np.ndarray, samplerate: float, cycles: np.ndarray) -> np.ndarray:
        """Which windows ``frames``, read at ``cycles`` per window, :class:`~streamfreq.estimators.fft.FFTEstimator`
        (told the same ``fmin``) reads ``ok`` within :data:`UNSURE_COARSE_CENTS` of that: its tests of a tone (a
        partial standing clear of its local noise floor, a waveform that repeats at the fundamental over its
        partials' band) hold in noise where the network doubts a tone and the whole window repeats too little for
        :meth:`_confirmed` (0.2..0.35 at -5..0 dB)."""
        read = self._fft_cycles(frames, samplerate)
        with np.errstate(invalid="ignore"):  # nan: no number
            return np.abs(1200.0 * np.log2(read / cycles)) < UNSURE_COARSE_CENTS

    def _fft_cycles(self, frames: np.ndarray, samplerate: float) -> np.ndarray:
        """The number :class:`~streamfreq.estimators.fft.FFTEstimator` (told the same ``fmin``) reads in each window
        ``frames``, in cycles per window (nan where it gives none)."""
        estimates = FFTEstimator(fmin=self.fmin).estimate_many(frames, samplerate)
        hz = np.array([e.hz if e.status == OK else np.nan for e in estimates], dtype=np.float64)
        return hz * frames.shape[1] / samplerate

    def _repeats_below(self, frames: np.ndarray, low: float) -> np.ndarray:
        """Which windows ``frames`` repeat clearly at a period longer than ``low`` cycles per window allows, and
        not at a whole fraction of it (:func:`~streamfreq.estimators.slow_tone.repeats_slower` at
        :data:`~streamfreq.estimators.slow_tone.SLOW_REPEATS`).

        The windows are read first resampled to the network's input length (a quarter of the work), at a
        threshold :data:`~streamfreq.estimators.slow_tone.SLOWER_HALF_MARGIN` lower; only those that pass are
        read again at full rate, where bursts of noise, which low-passing makes alike, do not pass."""
        near = repeats_slower(resample_to_length(frames, self.length), low, SLOW_REPEATS - SLOWER_HALF_MARGIN)
        rows = np.flatnonzero(near)
        near[rows] = repeats_slower(frames[rows], low, SLOW_REPEATS)
        return near

    def _zoom(
        self,
        frames: np.ndarray,
        rows: np.ndarray,
        samplerate: float,
        cycles: np.ndarray,
        confidence: np.ndarray,
        status: np.ndarray,
    ) -> None:
        """Read windows ``frames[rows]``, out of range above, from their centre half; take the numbers it gives.

        The half has the same centre and half the cycles, so an f0 up to twice the trained range's top is
        in range there (and so on while the half is at least the network's input length: at 2048 / 48 kHz
        up to 88 cycles of 512 samples, 8.25 kHz). A half that gives no number leaves the window
        ``out_of_range``. Updates ``cycles``, ``confidence`` and ``status`` (cycles of the whole window).
        """
        n = frames.shape[1]
        half = n // 2
        start = (n - half) // 2
        got_cycles, got_confidence, got_status = self._estimate_arrays(frames[rows, start : start + half], samplerate)
        read = got_status == _OK
        cycles[rows[read]] = got_cycles[read] * (n / half)
        confidence[rows[read]] = got_confidence[read]
        status[rows[read]] = _OK

    def _frame_checks(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What the windows ``(batch, N)`` alone say: ``(above the band, bright, below the range, centre level, peak
        above the range)`` per window.

        From each window's DFT power (mean removed). Bright: the window has energy, and the share of it the
        resampling keeps (below 0.9 of its Nyquist) is under :data:`BAND_GUARD` of what white noise keeps.
        Above the band: bright, and the energy above has a spectral peak (a tone, not hiss). Below the range: more than
        :data:`LOW_BAND_SHARE` of the energy lies below the trained range. Centre level: the power of the middle
        eighth over the loudest quarter's (:func:`~streamfreq.estimators.base.centre_level`; 0 for a silent
        window): a note that starts or stops within the window before its centre leaves it low.
        Peak above the range: the strongest DFT bin lies above the trained range and holds at least
        :data:`TONE_SHARE` of the energy (a tone, not the loudest bin of a noise).
        """
        n = frames.shape[1]
        wide = frames.astype(np.float64)  # squares of float32 samples as large as 3e38 overflow float32
        power = np.abs(np.fft.rfft(wide, axis=1)) ** 2
        power[:, 0] = 0.0
        total = np.add.reduce(power, axis=1)  # the sums of .sum(axis=1), without its Python layer
        keep = 0.9 * min(n, self.length) / 2
        white = min(1.0, keep / (n / 2))
        kept, above = power[:, : int(keep) + 1], power[:, int(keep) + 1 :]
        bright = (np.add.reduce(kept, axis=1) < BAND_GUARD * white * total) & (total > 0)
        above_band = bright & (
            np.maximum.reduce(above, axis=1, initial=0.0) > PEAK_SHARE * np.add.reduce(above, axis=1)
        )
        low_band = power[:, 1 : max(2, math.ceil(self.range_cycles[0]))]
        below_band = np.add.reduce(low_band, axis=1) > LOW_BAND_SHARE * total
        centred = wide - wide.mean(axis=1, keepdims=True)  # a DC offset does not make a silent centre sound
        peak_above = (power.argmax(axis=1) > self.range_cycles[1]) & (power.max(axis=1) >= TONE_SHARE * total)
        return above_band, bright, below_band, centre_level(centred), peak_above

    def __repr__(self) -> str:
        return f"LSTMEstimator({str(self.model_path)!r})"


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
