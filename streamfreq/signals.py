"""Test-signal generators shared by :class:`~streamfreq.sources.SynthSource`, the tests and training.

Frequencies follow a *schedule* (constant, linear or logarithmic sweep, steps),
and a :class:`ToneGenerator` turns a schedule into phase-continuous blocks of
samples, optionally with white noise at a given per-sample SNR
``A**2 / (2 * sigma**2)``.

Example
-------
>>> import numpy as np
>>> from streamfreq.signals import Constant, ToneGenerator
>>> gen = ToneGenerator(Constant(440.0), samplerate=48000, snr_db=20, seed=1)
>>> block = gen.next_block(1024)
>>> block.dtype, block.shape
(dtype('float32'), (1024,))
>>> float(gen.frequency_at(np.array([0]))[0])
440.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from streamfreq.errors import ParameterError, check_range


class Schedule(Protocol):
    """Instantaneous frequency (Hz) as a function of time (s)."""

    def frequency(self, t: np.ndarray) -> np.ndarray:
        """Return the frequency in Hz at each time in ``t`` (seconds from the start)."""
        ...


@dataclass(frozen=True)
class Constant:
    """A fixed frequency in Hz."""

    hz: float

    def frequency(self, t: np.ndarray) -> np.ndarray:
        return np.full(np.shape(t), float(self.hz))


@dataclass(frozen=True)
class LinearSweep:
    """Frequency moving linearly from ``start_hz`` to ``stop_hz`` over ``duration`` seconds, then holding."""

    start_hz: float
    stop_hz: float
    duration: float

    def frequency(self, t: np.ndarray) -> np.ndarray:
        progress = np.clip(np.asarray(t, dtype=np.float64) / self.duration, 0.0, 1.0)
        return self.start_hz + (self.stop_hz - self.start_hz) * progress


@dataclass(frozen=True)
class LogSweep:
    """Frequency moving geometrically from ``start_hz`` to ``stop_hz`` over ``duration`` seconds, then holding."""

    start_hz: float
    stop_hz: float
    duration: float

    def frequency(self, t: np.ndarray) -> np.ndarray:
        progress = np.clip(np.asarray(t, dtype=np.float64) / self.duration, 0.0, 1.0)
        return self.start_hz * (self.stop_hz / self.start_hz) ** progress


@dataclass(frozen=True)
class Steps:
    """Piecewise-constant frequency: ``steps`` is a sequence of ``(start_time_s, hz)``, sorted by time."""

    steps: Sequence[tuple[float, float]]

    def frequency(self, t: np.ndarray) -> np.ndarray:
        times = np.array([s[0] for s in self.steps], dtype=np.float64)
        values = np.array([s[1] for s in self.steps], dtype=np.float64)
        index = np.searchsorted(times, np.asarray(t, dtype=np.float64), side="right") - 1
        return values[np.clip(index, 0, len(values) - 1)]


def noise_sigma(amplitude: float, snr_db: float) -> float:
    """Standard deviation of white noise giving a per-sample SNR of ``snr_db`` for a tone of ``amplitude``.

    The per-sample SNR of a real tone is ``amplitude**2 / (2 * sigma**2)``.
    """
    return float(amplitude) / math.sqrt(2.0 * 10.0 ** (snr_db / 10.0))


def tone(
    n_samples: int,
    cycles: np.ndarray | float,
    phase: np.ndarray | float = 0.0,
    amplitude: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Vectorised tones of ``cycles`` cycles per ``n_samples`` samples.

    ``cycles``, ``phase`` and ``amplitude`` broadcast together; the result has
    their broadcast shape plus a trailing axis of ``n_samples`` (float64).
    Sample ``k`` is ``amplitude * cos(2*pi*cycles*k/n_samples + phase)``.

    Example
    -------
    >>> tone(4, 1.0).round(6).tolist()
    [1.0, 0.0, -1.0, -0.0]
    """
    cycles = np.asarray(cycles, dtype=np.float64)[..., None]
    phase = np.asarray(phase, dtype=np.float64)[..., None]
    amplitude = np.asarray(amplitude, dtype=np.float64)[..., None]
    k = np.arange(n_samples, dtype=np.float64)
    return amplitude * np.cos(2.0 * np.pi * cycles * k / n_samples + phase)


class ToneGenerator:
    """Phase-continuous tone following a frequency schedule, with optional white noise.

    Parameters
    ----------
    schedule
        The frequency over time (e.g. ``Constant(440)``).
    samplerate
        Samples per second.
    amplitude
        Peak amplitude of the tone (0 gives noise only or silence).
    phase
        Initial phase in radians.
    snr_db
        Per-sample SNR ``A**2 / (2 sigma**2)`` in dB; ``None`` for no noise.
        With ``amplitude=0`` the noise has unit standard deviation scaled by
        ``noise_level`` instead.
    noise_level
        Noise standard deviation used when ``amplitude`` is 0 and ``snr_db`` is set.
    seed
        Seed of the noise generator.
    """

    def __init__(
        self,
        schedule: Schedule,
        samplerate: float,
        amplitude: float = 0.5,
        phase: float = 0.0,
        snr_db: float | None = None,
        noise_level: float = 0.1,
        seed: int | None = 0,
    ) -> None:
        check_range("samplerate", samplerate, 1, 1_000_000)
        if not math.isfinite(amplitude) or amplitude < 0:
            raise ParameterError(f"amplitude must be a finite number >= 0 (got {amplitude!r})")
        if snr_db is not None:
            check_range("snr", snr_db, -60, 200)
        self.schedule = schedule
        self.samplerate = float(samplerate)
        self.amplitude = float(amplitude)
        self._phase = float(phase)
        self._position = 0
        self._rng = np.random.default_rng(seed)
        if snr_db is None:
            self._sigma = 0.0
        elif amplitude > 0:
            self._sigma = noise_sigma(amplitude, snr_db)
        else:
            self._sigma = float(noise_level)

    @property
    def position(self) -> int:
        """Number of samples generated so far."""
        return self._position

    def frequency_at(self, sample_index: np.ndarray) -> np.ndarray:
        """True instantaneous frequency (Hz) at the given absolute sample indices."""
        return self.schedule.frequency(np.asarray(sample_index, dtype=np.float64) / self.samplerate)

    def next_block(self, n_samples: int) -> np.ndarray:
        """Return the next ``n_samples`` samples as float32, continuing phase and noise."""
        index = np.arange(self._position, self._position + n_samples, dtype=np.float64)
        increments = (2.0 * np.pi / self.samplerate) * self.frequency_at(index)
        phases = self._phase + np.concatenate(([0.0], np.cumsum(increments[:-1])))
        block = self.amplitude * np.cos(phases)
        if self._sigma > 0:
            block += self._rng.normal(0.0, self._sigma, n_samples)
        if n_samples:
            self._phase = float((phases[-1] + increments[-1]) % (2.0 * np.pi))
        self._position += n_samples
        return block.astype(np.float32)
