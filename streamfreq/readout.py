"""What the engine emits for each window: :class:`Readout`, and the running :class:`EngineStats`.

Example
-------
>>> from streamfreq.readout import Readout
>>> from streamfreq.estimators.base import Estimate
>>> r = Readout(start=0, window=2048, samplerate=48000.0, estimates={"fft": Estimate(440.0, 0.9, "ok")})
>>> round(r.time, 6), r.hz("fft"), r.hz("zc")
(0.021333, 440.0, None)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from streamfreq.estimators.base import Estimate


@dataclass(frozen=True)
class Readout:
    """The estimates of every estimator on one window.

    Attributes
    ----------
    start
        Absolute index of the window's first sample, counted from the stream start.
    window
        Window length in samples.
    samplerate
        Samples per second.
    estimates
        One :class:`~streamfreq.estimators.base.Estimate` per estimator, keyed by its name.
    truth
        The true frequency at the window centre in Hz (synthetic sources), else nan.
    arrival
        ``time.monotonic()`` when the window's last sample reached the engine (nan if unknown).
    dropped_windows
        Windows skipped so far because the estimators fell behind real time.
    overrun_samples
        Samples lost so far in the ring buffer (reader too slow).
    input_overflows
        Overflows the audio input reported so far (samples lost before the engine saw them).
    """

    start: int
    window: int
    samplerate: float
    estimates: dict[str, Estimate]
    truth: float = math.nan
    arrival: float = math.nan
    dropped_windows: int = 0
    overrun_samples: int = 0
    input_overflows: int = 0

    @property
    def time(self) -> float:
        """Window centre in seconds from the stream start: ``(start + window/2) / samplerate``."""
        return (self.start + self.window / 2) / self.samplerate

    def hz(self, name: str) -> float | None:
        """The frequency estimator ``name`` reported, or None (no tone, out of range, not run)."""
        estimate = self.estimates.get(name)
        return estimate.hz if estimate is not None and estimate.ok else None


@dataclass
class EngineStats:
    """Counters an engine keeps while it runs (read them any time; the engine updates them).

    Attributes
    ----------
    windows
        Windows estimated.
    dropped_windows
        Windows skipped because the estimators fell behind real time (live).
    dropped_readouts
        Readouts a threaded live session's consumer did not drain in time (the oldest go first).
    overrun_samples
        Samples lost in the ring buffer before they were read (live).
    input_overflows
        Overflows the audio input reported (samples lost before the engine saw them).
    nonfinite_samples, skipped_windows
        NaN or infinite samples received, and the windows skipped because they held some.
    estimator_errors, last_errors
        Failed batches per estimator (each counted once, however far its failure was narrowed to the windows that
        fail), and the last exception of each.
    estimator_seconds
        Time spent in each estimator.
    """

    windows: int = 0
    dropped_windows: int = 0
    dropped_readouts: int = 0
    overrun_samples: int = 0
    input_overflows: int = 0
    nonfinite_samples: int = 0
    skipped_windows: int = 0
    estimator_errors: dict[str, int] = field(default_factory=dict)
    estimator_seconds: dict[str, float] = field(default_factory=dict)
    last_errors: dict[str, str] = field(default_factory=dict)

    def ms_per_window(self, name: str) -> float:
        """Mean time the estimator ``name`` took per window, in milliseconds."""
        return 1000.0 * self.estimator_seconds.get(name, 0.0) / max(self.windows, 1)
