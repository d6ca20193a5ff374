"""The engine: samples in, one :class:`~streamfreq.readout.Readout` per window out.

Two ways to drive it:

- :meth:`Engine.push` (synchronous, deterministic): an embedding program hands
  over blocks of samples and gets back the readouts of every window they
  complete. Block boundaries never change the result.
- :meth:`Engine.run` (live): a source thread writes into a lock-free ring
  buffer; a worker thread windows and estimates; readouts reach the caller
  through a bounded queue that drops the oldest (and counts it). If the
  estimators fall behind real time the worker skips ahead and counts the
  skipped windows, so latency stays bounded. Sources that are not real time
  (files, pipes) are read as fast as the estimators go, losing nothing.

Example
-------
>>> import numpy as np
>>> from streamfreq.engine import Engine
>>> from streamfreq.signals import Constant, ToneGenerator
>>> engine = Engine(samplerate=48000, estimators=["fft", "zc"])
>>> tone = ToneGenerator(Constant(440.0), 48000).next_block(4096)
>>> readouts = engine.push(tone[:1000]) + engine.push(tone[1000:])
>>> [round(r.hz("fft"), 3) for r in readouts]
[440.0, 440.0, 440.0, 440.0, 440.0]
"""

from __future__ import annotations

import collections
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from streamfreq import defaults
from streamfreq.errors import ParameterError, check_range
from streamfreq.estimators import build_estimators
from streamfreq.estimators.base import ERROR, Estimate, Estimator
from streamfreq.readout import EngineStats, Readout
from streamfreq.ring import RingBuffer
from streamfreq.sources.base import Source, to_mono_float32
from streamfreq.windowing import Windower

#: Windows handed to the estimators at once when a big block completes many.
BATCH = 128


class Engine:
    """Windows a stream and runs every estimator on each window.

    Parameters
    ----------
    samplerate
        Samples per second of the stream.
    window
        Window length N in samples; None picks it from ``fmin`` (the default,
        2048, unless ``fmin`` needs longer: :func:`streamfreq.defaults.window_for_fmin`).
    hop
        Samples between window starts (1..window); None is a quarter of the window.
    estimators
        Estimator names (``"fft"``, ``"zc"``, ``"lstm"``) or objects; None for every available one.
    model_path
        LSTM model to load instead of the shipped one.
    truth
        Optional ``truth(sample_index) -> Hz`` giving the true frequency (synthetic input).
    fmin
        Lowest fundamental to measure, in Hz; None for the lowest the window
        allows (:func:`streamfreq.defaults.lowest_f0`, 46.9 Hz at 2048 samples and 48 kHz).
    """

    def __init__(
        self,
        samplerate: float,
        window: int | None = None,
        hop: int | None = None,
        estimators: Sequence[str | Estimator] | None = None,
        *,
        model_path: str | os.PathLike[str] | None = None,
        truth: Callable[[float], float] | None = None,
        fmin: float | None = None,
    ) -> None:
        check_range("samplerate", samplerate, 1000, 768000)
        self.samplerate = float(samplerate)
        if window is None:
            window = defaults.WINDOW if fmin is None else defaults.window_for_fmin(fmin, self.samplerate)
        if hop is None:
            hop = defaults.hop_for_window(window)
        self.windower = Windower(window, hop)
        if fmin is None:
            fmin = defaults.lowest_f0(self.windower.window, self.samplerate)
        elif fmin < defaults.lowest_f0(self.windower.window, self.samplerate):
            raise ParameterError(
                f"window must hold {defaults.MIN_PERIODS:g} periods of fmin {fmin:g} Hz, i.e. at least "
                f"{math.ceil(defaults.MIN_PERIODS * self.samplerate / fmin)} samples (got {self.windower.window}); "
                "leave the window out to have it chosen"
            )
        self.fmin = float(fmin)
        self.window, self.hop = self.windower.window, self.windower.hop
        if estimators is None or all(isinstance(e, str) for e in estimators):
            self.estimators = build_estimators(None if estimators is None else list(estimators), model_path, fmin)
        else:
            self.estimators = list(estimators)  # type: ignore[arg-type]
        self.names = [e.name for e in self.estimators]
        self.truth = truth
        self.stats = EngineStats()
        self.input_overflows = 0  # set by live sources that can report them
        self._ring: RingBuffer | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._stop = threading.Event()

    # -- synchronous ---------------------------------------------------------------------------

    def push(self, block: np.ndarray) -> list[Readout]:
        """Add samples; return the readouts of the windows they complete.

        ``block`` may be 1-D mono or ``(frames, channels)`` (mixed down), float
        or integer (scaled to [-1, 1]). Non-finite samples are counted, and the
        windows that contain them are skipped (counted in ``stats.skipped_windows``).
        """
        mono = to_mono_float32(block)
        arrival = time.monotonic()
        bad = np.count_nonzero(~np.isfinite(mono))
        if bad:
            self.stats.nonfinite_samples += int(bad)
        starts, frames = self.windower.push(mono)
        return self._estimate(starts, frames, arrival)

    def _estimate(self, starts: np.ndarray, frames: np.ndarray, arrival: float | np.ndarray) -> list[Readout]:
        """Run every estimator on ``frames`` and assemble readouts (skipping non-finite windows)."""
        readouts: list[Readout] = []
        live = isinstance(arrival, np.ndarray)
        for offset in range(0, len(starts), BATCH):  # batch by batch: no temporary bigger than one batch
            chunk = frames[offset : offset + BATCH]
            chunk_starts = starts[offset : offset + BATCH]
            chunk_arrival = arrival[offset : offset + BATCH] if live else arrival
            finite = np.isfinite(chunk).all(axis=1)
            if not finite.all():
                self.stats.skipped_windows += int(np.count_nonzero(~finite))
                chunk, chunk_starts = chunk[finite], chunk_starts[finite]
                chunk_arrival = chunk_arrival[finite] if live else arrival
                if len(chunk) == 0:
                    continue
            results = self._run_estimators(chunk)
            self.stats.windows += len(chunk)
            for i, start in enumerate(chunk_starts.tolist()):
                centre = start + self.window / 2
                readouts.append(
                    Readout(
                        start=start,
                        window=self.window,
                        samplerate=self.samplerate,
                        estimates={name: values[i] for name, values in results.items()},
                        truth=self.truth(centre) if self.truth else math.nan,
                        arrival=float(chunk_arrival[i]) if live else chunk_arrival,
                        dropped_windows=self.stats.dropped_windows,
                        overrun_samples=self._ring.overrun_samples if self._ring else 0,
                        input_overflows=self.input_overflows,
                    )
                )
        return readouts

    def _run_estimators(self, frames: np.ndarray) -> dict[str, list[Estimate]]:
        """Every estimator on the same batch, side by side: all but the first on pool threads.

        The estimators spend their time in numpy, scipy and the LiteRT
        interpreter, which release the GIL, so on two cores fft+zc run about
        twice as fast side by side as one after the other.
        """
        first, *others = self.estimators
        if others and self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=len(others), thread_name_prefix="streamfreq-estimator")
        futures = {e.name: self._pool.submit(self._run_estimator, e, frames) for e in others} if others else {}
        mine = self._run_estimator(first, frames)
        return {name: mine if name == first.name else futures[name].result() for name in self.names}

    def _run_estimator(self, estimator: Estimator, frames: np.ndarray) -> list[Estimate]:
        """One estimator on a batch; a failure marks its estimates ``"error"`` and is recorded."""
        began = time.perf_counter()
        try:
            results = estimator.estimate_many(frames, self.samplerate)
            if len(results) != len(frames):
                raise RuntimeError(f"returned {len(results)} estimates for {len(frames)} windows")
        except Exception as error:  # one estimator must not take the others down
            name = estimator.name
            self.stats.estimator_errors[name] = self.stats.estimator_errors.get(name, 0) + 1
            self.stats.last_errors[name] = f"{type(error).__name__}: {error}"
            results = [Estimate.nothing(ERROR)] * len(frames)
        elapsed = time.perf_counter() - began
        self.stats.estimator_seconds[estimator.name] = self.stats.estimator_seconds.get(estimator.name, 0.0) + elapsed
        return results

    # -- live ----------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask a running :meth:`run` to finish (from any thread)."""
        self._stop.set()

    def run(
        self,
        source: Source,
        *,
        duration: float | None = None,
        queue_size: int = 256,
        max_latency: float = 0.25,
        ring_seconds: float = 2.0,
    ) -> Iterator[Readout]:
        """Analyse ``source``, yielding readouts as they are made.

        Parameters
        ----------
        source
            Any :class:`~streamfreq.sources.base.Source`. Real-time sources run
            on their own thread through the ring buffer; others are read as
            fast as the estimators go, in this thread, losing nothing.
        duration
            Stop after this many seconds of audio (sample-counted).
        queue_size
            Readouts held for a slow consumer before the oldest are dropped (live only).
        max_latency
            Largest backlog, in seconds of audio, before the worker skips to
            the newest window (live only). Skipped windows are counted.
        ring_seconds
            Ring buffer length (live only).

        Raises
        ------
        StreamfreqError
            What the source or the worker raised, after every readout made
            before it was yielded.
        """
        if float(source.samplerate) != self.samplerate:
            raise ParameterError(
                f"samplerate must match the source's {source.samplerate:g} Hz (got {self.samplerate:g})"
            )
        if duration is not None:
            check_range("duration", duration, 0.0, 1e9)
        limit = math.inf if duration is None else round(duration * self.samplerate)
        if self.truth is None and hasattr(source, "truth_at"):
            self.truth = source.truth_at
        self._stop.clear()
        if getattr(source, "realtime", False):
            yield from self._run_live(source, limit, queue_size, max_latency, ring_seconds)
        else:
            yield from self._run_batch(source, limit)

    def _run_batch(self, source: Source, limit: float) -> Iterator[Readout]:
        fed = 0
        for block in source.blocks():  # type: ignore[attr-defined]
            if self._stop.is_set() or fed >= limit:
                return
            block = block[: int(min(len(block), limit - fed))]
            fed += len(block)
            yield from self.push(block)

    def _run_live(
        self, source: Source, limit: float, queue_size: int, max_latency: float, ring_seconds: float
    ) -> Iterator[Readout]:
        check_range("queue_size", queue_size, 1, 1 << 20)
        check_range("max_latency", max_latency, 0.0, 3600.0)
        capacity = max(2 * self.window, round(ring_seconds * self.samplerate))
        self._ring = RingBuffer(capacity)
        session = _LiveSession(self, source, self._ring, limit, queue_size, max_latency)
        yield from session.readouts()


class _LiveSession:
    """The threads of one live run: source -> ring -> worker -> bounded readout queue -> consumer."""

    def __init__(
        self, engine: Engine, source: Source, ring: RingBuffer, limit: float, queue_size: int, max_latency: float
    ) -> None:
        self.engine = engine
        self.source = source
        self.ring = ring
        self.limit = limit
        self.queue_size = queue_size
        self.max_lag = max(engine.hop, round(max_latency * engine.samplerate))
        self.data_ready = threading.Event()
        self.source_done = threading.Event()
        self.queue: collections.deque[Readout] = collections.deque()
        self.queue_changed = threading.Condition()
        self.failures: list[BaseException] = []

    def write(self, block: np.ndarray) -> None:
        """The source's sink (runs in the audio thread): copy into the ring, wake the worker."""
        self.ring.write(block)
        self.data_ready.set()

    def readouts(self) -> Iterator[Readout]:
        """Start the threads and yield readouts until the source ends, ``stop()`` or an error."""
        feeder = threading.Thread(target=self._feed, name="streamfreq-source", daemon=True)
        worker = threading.Thread(target=self._work, name="streamfreq-worker", daemon=True)
        feeder.start()
        worker.start()
        try:
            while True:
                with self.queue_changed:
                    while not self.queue and worker.is_alive():
                        self.queue_changed.wait(0.1)
                    batch = list(self.queue)
                    self.queue.clear()
                yield from batch
                if not batch and not worker.is_alive():
                    break
        finally:
            self.engine._stop.set()
            worker.join()
            feeder.join(timeout=2.0)
            self.source.close()
        if self.failures:
            raise self.failures[0]

    def _feed(self) -> None:
        try:
            self.source.feed(self.write, self.engine._stop)
        except BaseException as error:  # handed to the consumer once the worker has drained the ring
            self.failures.append(error)
        finally:
            self.source_done.set()
            self.data_ready.set()

    def _work(self) -> None:
        try:
            self._analyse()
        except BaseException as error:
            self.failures.insert(0, error)
        finally:
            with self.queue_changed:
                self.queue_changed.notify()

    def _analyse(self) -> None:
        """Wait for whole windows in the ring, estimate them, queue the readouts.

        Latency control: when the backlog exceeds ``max_latency`` of audio the
        worker skips to the newest whole window and counts the skipped ones in
        ``stats.dropped_windows``. ``cost`` tracks the seconds the estimators
        take per window (smoothed), and a batch is only as long as the oldest
        window in it can still be finished within ``max_latency``; so under
        overload a readout is at most ``max_latency`` plus one window's cost late.
        """
        engine, ring, hop, window = self.engine, self.ring, self.engine.hop, self.engine.window
        rate, max_latency = engine.samplerate, self.max_lag / engine.samplerate
        next_start = 0
        checked = 0  # samples before this were counted for stats.nonfinite_samples
        cost = 0.0  # smoothed seconds of estimation per window
        while not engine._stop.is_set():
            self.data_ready.wait(0.1)
            self.data_ready.clear()
            finished = self.source_done.is_set()
            available = int(min(ring.written, self.limit))
            finished = finished or ring.written >= self.limit
            if available - (next_start + window) > self.max_lag:  # fell behind: skip to the newest window
                newest = (available - window) // hop * hop
                engine.stats.dropped_windows += (newest - next_start) // hop
                next_start = newest
            lag = (available - (next_start + window)) / rate  # audio behind the oldest waiting window
            count = 0 if available < next_start + window else 1 + (available - next_start - window) // hop
            if count == 0:
                if finished:
                    return
                continue
            count = min(count, BATCH)
            if cost > 0:
                count = max(1, min(count, int((max_latency - max(lag, 0.0)) / cost)))
            span = ring.read(next_start, (count - 1) * hop + window)
            if span is None:  # the writer lapped us during the read
                engine.stats.dropped_windows += count
            else:
                fresh = span[max(0, checked - next_start) :]  # samples no earlier batch looked at
                bad = fresh.size - np.count_nonzero(np.isfinite(fresh))
                if bad:
                    engine.stats.nonfinite_samples += int(bad)
                checked = next_start + span.size
                frames = np.lib.stride_tricks.sliding_window_view(span, window)[::hop]
                starts = next_start + hop * np.arange(count, dtype=np.int64)
                arrival = np.array([ring.arrival_time(s + window) for s in starts.tolist()])
                engine.input_overflows = int(getattr(self.source, "overflows", 0))
                began = time.perf_counter()
                made = engine._estimate(starts, frames, arrival)
                per_window = (time.perf_counter() - began) / count
                cost = per_window if cost == 0 else 0.7 * cost + 0.3 * per_window
                self._enqueue(made)
            next_start += count * hop
            self.data_ready.set()  # more whole windows may be waiting already

    def _enqueue(self, made: list[Readout]) -> None:
        with self.queue_changed:
            for readout in made:
                if len(self.queue) >= self.queue_size:
                    self.queue.popleft()
                    self.engine.stats.dropped_readouts += 1
                self.queue.append(readout)
            self.queue_changed.notify()
