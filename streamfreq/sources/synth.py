"""Synthetic tones: constant, swept or stepped, with optional noise, paced in real time or not.

Example
-------
>>> from streamfreq.sources.synth import SynthSource
>>> source = SynthSource(freq=440.0, samplerate=8000, duration=0.5, realtime=False)
>>> sum(len(b) for b in source.blocks()), source.truth_at(100)
(4000, 440.0)
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator

import numpy as np

from streamfreq import defaults
from streamfreq.errors import check_range
from streamfreq.signals import Constant, Schedule, ToneGenerator
from streamfreq.sources.base import PullSource


class BackAndForth:
    """A sweep played forwards, backwards, and again, forever: period ``2 * seconds``, starting at ``t0``.

    ``sweep`` is a schedule defined over ``0..seconds`` (a ``LinearSweep`` or
    ``LogSweep``); ``t0`` (absolute seconds) lets it start in the middle of a stream.

    Example
    -------
    >>> import numpy as np
    >>> from streamfreq.signals import LogSweep
    >>> BackAndForth(LogSweep(100.0, 400.0, 2.0), 2.0, t0=1.0).frequency(np.array([1.0, 2.0, 3.0, 5.0])).tolist()
    [100.0, 200.0, 400.0, 100.0]
    """

    def __init__(self, sweep: Schedule, seconds: float, t0: float = 0.0) -> None:
        check_range("seconds", seconds, 1e-3, 1e7)
        self.sweep, self.seconds, self.t0 = sweep, float(seconds), float(t0)

    def frequency(self, t: np.ndarray) -> np.ndarray:
        phase = np.mod((np.asarray(t, dtype=np.float64) - self.t0) / self.seconds, 2.0)
        return self.sweep.frequency(self.seconds * np.where(phase > 1.0, 2.0 - phase, phase))


class SynthSource(PullSource):
    """A synthetic tone that knows its own true frequency.

    Parameters
    ----------
    freq
        Constant frequency in Hz, ignored when ``schedule`` is given.
    samplerate
        Samples per second.
    schedule
        Frequency over time (:mod:`streamfreq.signals`: ``Constant``,
        ``LinearSweep``, ``LogSweep``, ``Steps``).
    amplitude
        Peak amplitude (0 for noise only).
    snr_db
        Per-sample SNR ``A**2/(2 sigma**2)`` of added white noise in dB; None for none.
    duration
        Seconds of audio to produce; None for endless.
    realtime
        Pace blocks by the wall clock (as a live input would) or produce them as fast as possible.
    block
        Samples per block (default: 10 ms in real time, :data:`~streamfreq.defaults.BLOCK` otherwise).
    seed
        Noise seed.
    """

    read_ahead = True  # (a block never waits for audio to arrive)

    def __init__(
        self,
        freq: float = 440.0,
        samplerate: float = 48000.0,
        *,
        schedule: Schedule | None = None,
        amplitude: float = 0.5,
        snr_db: float | None = None,
        duration: float | None = None,
        realtime: bool = True,
        block: int | None = None,
        seed: int | None = 0,
    ) -> None:
        check_range("samplerate", samplerate, 1000, 768000)
        if schedule is None:
            check_range("freq", freq, 0.0, samplerate / 2)
            schedule = Constant(float(freq))
        check_range("amplitude", amplitude, 0.0, 1e30)  # larger would overflow float32 samples
        if duration is not None:
            check_range("duration", duration, 0.0, 1e7)
        if block is not None:
            check_range("block", block, 1, 1 << 24)
        if seed is not None:
            check_range("seed", seed, 0, 2**32 - 1)  # numpy's generators take no negative seed
        self.samplerate = float(samplerate)
        self.realtime = bool(realtime)
        self.duration = duration
        self.block = int(block or (round(self.samplerate / 100) if realtime else defaults.BLOCK))
        self.generator = ToneGenerator(schedule, self.samplerate, amplitude=amplitude, snr_db=snr_db, seed=seed)
        self._closed = False

    def truth_at(self, sample_index: float) -> float:
        """True frequency in Hz at an absolute sample index."""
        return float(self.generator.frequency_at(np.array([sample_index]))[0])

    def set_schedule(self, schedule: Schedule) -> None:
        """Change the frequency from now on (phase-continuous); times in the schedule stay absolute."""
        self.generator.schedule = schedule

    def blocks(self) -> Iterator[np.ndarray]:
        total = math.inf if self.duration is None else round(self.duration * self.samplerate)
        started = time.monotonic()
        while not self._closed and self.generator.position < total:
            n = int(min(self.block, total - self.generator.position))
            if self.realtime:
                due = started + (self.generator.position + n) / self.samplerate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield self.generator.next_block(n)

    def close(self) -> None:
        self._closed = True
