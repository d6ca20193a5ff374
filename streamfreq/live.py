"""The live session: one real-time source analysed as it plays, the one live path of streamfreq.

A feeder thread runs the source, which copies each block into the session's
:class:`~streamfreq.ring.RingBuffer` (the only copy of the audio). Whole
windows are cut from the ring by a :class:`~streamfreq.windowing.Windower`
and estimated by the engine. Two ways to consume the readouts:

- :meth:`Engine.start <streamfreq.engine.Engine.start>` starts a worker
  thread that estimates; the caller polls :meth:`LiveSession.drain` (never
  blocks), e.g. from a GUI redraw timer, and reads a window's samples with
  :meth:`LiveSession.window_samples`. While the worker runs, the GIL switch
  interval is 0.5 ms (:mod:`streamfreq.process`).
- :meth:`Engine.run <streamfreq.engine.Engine.run>` estimates in the
  caller's own thread (:meth:`LiveSession.pump`) and yields the readouts:
  one thread hand-over fewer between a window completing and its readout.

Latency stays bounded: when the backlog exceeds ``max_latency`` seconds of
audio, the session skips to the newest whole window and counts the skipped
ones in ``stats.dropped_windows``; a batch is only as long as its oldest
window can still be finished within ``max_latency`` at the measured cost.

Example
-------
>>> import time
>>> from streamfreq.engine import Engine
>>> from streamfreq.sources.synth import SynthSource
>>> session = Engine(48000, estimators=["fft"]).start(SynthSource(440.0, 48000, realtime=True))
>>> readouts = []
>>> while len(readouts) < 3:
...     readouts += session.drain()  # never blocks
...     time.sleep(0.01)
>>> session.stop()
>>> round(readouts[0].hz("fft")), session.window_samples(readouts[0].start).shape
(440, (2048,))
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from streamfreq import defaults
from streamfreq.errors import ParameterError, check_range
from streamfreq.process import short_switch_interval
from streamfreq.readout import EngineStats, Readout
from streamfreq.ring import RingBuffer
from streamfreq.windowing import Windower

if TYPE_CHECKING:
    from streamfreq.engine import Engine
    from streamfreq.sources.base import Source

#: The name of a threaded session's estimating thread.
_WORKER = "streamfreq-worker"


class LiveSession:
    """One live analysis of a real-time source (made by :meth:`Engine.start` or :meth:`Engine.run`).

    Parameters
    ----------
    engine
        The engine whose estimators, window and hop are used.
    source
        A real-time source at the engine's samplerate.
    duration
        Stop after this many seconds of audio (sample-counted); None for as long as the source lasts.
    queue_size
        Readouts :meth:`drain` can hand over at once; older ones are dropped (``stats.dropped_readouts``).
    max_latency
        Largest backlog, in seconds of audio, before windows are skipped.
    ring_seconds
        Audio the ring keeps (what :meth:`window_samples` can still return).
    after
        A thread to wait for before the source starts, e.g. the last session's release of the same device
        (:meth:`release`); None to start at once.
    """

    def __init__(
        self,
        engine: Engine,
        source: Source,
        *,
        duration: float | None = None,
        queue_size: int = 256,
        max_latency: float = 0.25,
        ring_seconds: float = 2.0,
        after: threading.Thread | None = None,
    ) -> None:
        if float(source.samplerate) != engine.samplerate:
            raise ParameterError(
                f"samplerate must match the source's {source.samplerate:g} Hz (got {engine.samplerate:g})"
            )
        if duration is not None:
            check_range("duration", duration, 0.0, 1e9)
        check_range("queue_size", queue_size, 1, 1 << 20)
        check_range("max_latency", max_latency, 0.0, 3600.0)
        check_range("ring_seconds", ring_seconds, 0.01, 3600.0)
        self.engine = engine
        self.source = source
        self.stats: EngineStats = engine.stats
        self.limit = math.inf if duration is None else round(duration * engine.samplerate)
        self.max_lag = max(engine.hop, round(max_latency * engine.samplerate))
        self.ring = RingBuffer(max(2 * engine.window, round(ring_seconds * engine.samplerate)))
        self.queue_size = int(queue_size)
        self._windower = Windower(engine.window, engine.hop)
        self._stream = engine.new_stream()
        self._base = 0  # absolute index of the windower's sample 0 (moves when windows are skipped)
        self._fed = 0  # samples handed to the windower (absolute index one past the last)
        self._checked = 0  # samples before this were counted for stats.nonfinite_samples
        self._cost = 0.0  # smoothed seconds of estimation per window
        self._data_ready = threading.Event()
        self._source_done = threading.Event()
        self._stop = threading.Event()
        self._finished = False
        self._failures: list[BaseException] = []
        self._queue: collections.deque[Readout] = collections.deque()
        self._queue_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._after = after
        if engine.truth is None and hasattr(source, "truth_at"):
            engine.truth = source.truth_at

    # -- starting and stopping --------------------------------------------------------------------

    def begin(self, worker: bool) -> None:
        """Warm up the estimators, then start the source's thread (and the worker when ``worker``)."""
        self.engine.warm_up()
        self._spawn(self._feed, "streamfreq-source")
        if worker:
            self._spawn(self._work, _WORKER)

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        """End the session: stop the source and the worker, wait for them, close the source (idempotent)."""
        self._stop.set()
        self._data_ready.set()
        current = threading.current_thread()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread is not current:
                thread.join(max(0.0, deadline - time.monotonic()))
        self.source.close()

    def release(self, timeout: float = 3.0) -> threading.Thread:
        """End the session without waiting for its source: the estimating stops before this returns (it uses the
        engine's estimators), the source is stopped and closed on the thread returned.

        Closing an audio device can take a second or more (PortAudio waits for the stream's last buffer); an app
        calls this where it must not wait, and hands the thread to the next session's ``after``.
        """
        self.request_stop()
        deadline = time.monotonic() + timeout
        current = threading.current_thread()
        for thread in self._threads:
            if thread.name == _WORKER and thread is not current:
                thread.join(max(0.0, deadline - time.monotonic()))
        releasing = threading.Thread(target=self.stop, args=(timeout,), name="streamfreq-release", daemon=True)
        releasing.start()
        return releasing

    def request_stop(self) -> None:
        """Ask the session to end soon, from any thread, without waiting."""
        self._stop.set()
        self._data_ready.set()

    @property
    def running(self) -> bool:
        """True until every window is estimated (source ended, duration reached, stopped or failed)."""
        return not self._finished and not self._stop.is_set()

    @property
    def error(self) -> BaseException | None:
        """What ended the session with an error (the worker's, else the source's), once it has ended."""
        return self._failures[0] if self._failures and not self.running else None

    @property
    def seconds(self) -> float:
        """Seconds of audio the source has delivered so far."""
        return self.ring.written / self.engine.samplerate

    # -- what the consumer reads ------------------------------------------------------------------

    def drain(self) -> list[Readout]:
        """The readouts made since the last call, oldest first (never blocks; threaded sessions)."""
        with self._queue_lock:
            readouts = list(self._queue)
            self._queue.clear()
        return readouts

    def window_samples(self, start: int) -> np.ndarray | None:
        """A copy of the window starting at sample ``start``; None when the ring no longer (or not yet) holds it."""
        window = self.engine.window
        if start < self.ring.oldest or start + window > self.ring.written:
            return None
        return self.ring.read(start, window)

    # -- the threads --------------------------------------------------------------------------------

    def _write(self, block: np.ndarray) -> None:
        """The source's sink (its own thread or the audio callback): copy into the ring, wake the estimator."""
        self.ring.write(block)
        self._data_ready.set()

    def _feed(self) -> None:
        try:
            if self._after is not None:
                self._after.join()
            if self._stop.is_set():
                return
            self.source.feed(self._write, self._stop)
        except BaseException as error:  # reported once every window before it has been estimated
            self._failures.append(error)
        finally:
            self._source_done.set()
            self._data_ready.set()

    def _work(self) -> None:
        try:
            with self.engine.blas_limit(), short_switch_interval():
                while self.running:
                    made = self.pump()
                    if made:
                        self._enqueue(made)
        except BaseException as error:
            self._failures.insert(0, error)
            self._finished = True
        finally:
            self._stop.set()  # the source stops too

    def _enqueue(self, made: list[Readout]) -> None:
        with self._queue_lock:
            for readout in made:
                if len(self._queue) >= self.queue_size:
                    self._queue.popleft()
                    self.stats.dropped_readouts += 1
                self._queue.append(readout)

    # -- estimating ---------------------------------------------------------------------------------

    def pump(self, timeout: float = 0.1) -> list[Readout]:
        """Wait up to ``timeout`` s for whole windows, estimate them (one batch) and return their readouts.

        Marks the session finished when the source has ended (or the duration
        is reached) and no whole window is left.
        """
        if not self._data_ready.wait(timeout):
            return []
        self._data_ready.clear()
        if self._stop.is_set():
            return []
        engine, hop, window = self.engine, self.engine.hop, self.engine.window
        available = int(min(self.ring.written, self.limit))
        finished = self._source_done.is_set() or self.ring.written >= self.limit
        next_start = self._base + self._windower.next_start
        if available - (next_start + window) > self.max_lag:  # fell behind: skip to the newest window
            next_start = self._skip_to((available - window) // hop * hop, next_start)
        waiting = 0 if available < next_start + window else 1 + (available - next_start - window) // hop
        if waiting == 0:
            self._finished = finished
            return []
        lag = (available - (next_start + window)) / engine.samplerate  # audio behind the oldest waiting window
        count = min(waiting, defaults.batch_for(window))
        if self._cost > 0:
            count = max(1, min(count, int((self.max_lag / engine.samplerate - max(lag, 0.0)) / self._cost)))
        end = next_start + (count - 1) * hop + window
        fresh = self.ring.read(self._fed, end - self._fed) if end > self._fed else np.zeros(0, np.float32)
        if count < waiting or finished:  # whole windows left for the next call (samples written later set it too)
            self._data_ready.set()
        if fresh is None:  # the writer lapped us during the read: skip to the newest window
            self._data_ready.set()
            self._skip_to((int(min(self.ring.written, self.limit)) - window) // hop * hop, next_start)
            return []
        unchecked = fresh[max(0, self._checked - self._fed) :]
        bad = unchecked.size - np.count_nonzero(np.isfinite(unchecked))
        if bad:
            self.stats.nonfinite_samples += int(bad)
        self._checked = max(self._checked, end)
        self._fed = end
        starts, frames = self._windower.push(fresh)
        starts = starts + self._base
        arrival = np.array([self.ring.arrival_time(s + window) for s in starts.tolist()])
        self.stats.overrun_samples = self.ring.overrun_samples
        self.stats.input_overflows = int(getattr(self.source, "overflows", 0))
        began = time.perf_counter()
        made = engine._estimate(starts, frames, arrival, self._stream)
        per_window = (time.perf_counter() - began) / count
        self._cost = per_window if self._cost == 0 else 0.7 * self._cost + 0.3 * per_window
        return made

    def _skip_to(self, start: int, next_start: int) -> int:
        """Drop the windows before ``start`` (counted) and continue the window grid there."""
        self.stats.dropped_windows += (start - next_start) // self.engine.hop
        self._windower = Windower(self.engine.window, self.engine.hop)
        self._base = self._fed = start
        return start
