"""The engine: samples in, one :class:`~streamfreq.readout.Readout` per window out.

Three ways to drive it:

- :meth:`Engine.push` (synchronous, deterministic): an embedding program hands
  over blocks of samples and gets back the readouts of every window they
  complete. Block boundaries never change the result.
- :meth:`Engine.start` (live, threaded): returns a
  :class:`~streamfreq.live.LiveSession` whose worker estimates while the
  caller polls ``drain()``; the desktop app uses it.
- :meth:`Engine.run` (an iterator): real-time sources run as a live session
  estimated in the caller's thread; sources that are not real time (files,
  pipes) are read as fast as the estimators go, losing nothing.

numpy's BLAS runs on one thread while the engine estimates (threadpoolctl,
:mod:`streamfreq.process`): its worker threads would otherwise spin after
every small matrix product and take the CPU the live path needs.

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
import contextlib
import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import NamedTuple

import numpy as np

from streamfreq import defaults
from streamfreq.errors import ParameterError, check_range
from streamfreq.estimators import build_estimators
from streamfreq.estimators.base import ERROR, NO_TONE, OK, Estimate, Estimator, HasFloor, whole_repeats
from streamfreq.follow import NoteFollower
from streamfreq.live import LiveSession
from streamfreq.process import one_blas_thread
from streamfreq.quiet import Marks, QuietGate, high_noise_share
from streamfreq.reach import BelowFloorReach, reach_fmin
from streamfreq.readout import EngineStats, Readout
from streamfreq.signals import tone
from streamfreq.sources.base import Source, to_mono_float32
from streamfreq.windowing import Windower


class Stream(NamedTuple):
    """What the engine keeps from window to window of one stream of windows: its quiet gate (None where
    ``quiet_db`` is None), its note follower (None where ``follow_notes`` is false) and its reach below the
    window's floor (None where ``fmin`` is given or raised above the window's own floor)."""

    gate: QuietGate | None
    follower: NoteFollower | None
    reach: BelowFloorReach | None


class _Batch(NamedTuple):
    """A batch of windows on its way through the estimators: where each starts, its samples, when it arrived,
    and each estimator's estimates (or the future that will hold them)."""

    starts: np.ndarray
    frames: np.ndarray
    arrival: float | np.ndarray
    results: dict[str, list[Estimate]] | dict[str, Future]


#: :meth:`Engine.push_blocks`'s thread for each estimator name, shared by every engine of the process.
_LANES: dict[str, ThreadPoolExecutor] = {}
_LANES_LOCK = threading.Lock()


def _forget_lanes() -> None:
    """In a forked child: the parent's estimator threads are not there (their executors would wait for ever)."""
    global _LANES_LOCK
    _LANES.clear()
    _LANES_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):  # (not on Windows, which does not fork)
    os.register_at_fork(after_in_child=_forget_lanes)

#: Fewest windows in a batch for the estimators to run side by side on pool threads; smaller
#: batches (the live path) run one estimator after the other, which costs less CPU and no thread hand-over.
SIDE_BY_SIDE = 16


class Engine:
    """Windows a stream and runs every estimator on each window.

    Parameters
    ----------
    samplerate
        Samples per second of the stream.
    window
        Window length N in samples; None picks it from the samplerate and ``fmin``
        (:func:`streamfreq.defaults.window_for`: 2048 at 44.1 and 48 kHz, 1024 at
        16 kHz, the same time at every rate; longer when ``fmin`` needs it).
    hop
        Samples between window starts (1..window); None is a quarter of the window.
    estimators
        Estimator names (``"fft"``, ``"zc"``, ``"lstm"``) or objects; None for every available one.
    model_path
        LSTM model to load instead of the shipped one.
    truth
        Optional ``truth(sample_index) -> Hz`` giving the true frequency (synthetic input).
    fmin
        Lowest fundamental to measure, in Hz, a hard floor; None for the lowest the window
        allows (:func:`streamfreq.defaults.lowest_f0`, 46.9 Hz at 2048 samples and 48 kHz),
        with the default window not below :data:`~streamfreq.defaults.FMIN_FLOOR` (40 Hz:
        the 1024 samples of 16 kHz would reach 31 Hz). Where None leaves the window's own floor,
        a window an estimator calls ``out_of_range`` (or gives no number where it repeats best
        below the floor) is read again in twice the window, down to
        :data:`~streamfreq.defaults.REACH_FMIN` (:mod:`streamfreq.reach`; ``reach_fmin``, and
        ``reached``, the estimators whose windows are).
    quiet_db
        A window this many dB below the loudest window of the stream's last
        :data:`~streamfreq.defaults.QUIET_HOLD` seconds says ``no_tone`` for every
        estimator (:mod:`streamfreq.quiet`: reverberant tails, breath and hum between
        notes), one up to :data:`~streamfreq.defaults.FAINT_MARGIN_DB` above that
        keeps only the numbers of confidence :data:`~streamfreq.defaults.FAINT_CONFIDENCE`
        or more, and one :data:`~streamfreq.defaults.SOFTER_DB` or more below the loudest
        only the numbers whose period it repeats at (:data:`~streamfreq.defaults.SOFTER_REPEATS`), and one
        :data:`~streamfreq.defaults.DIM_DB` or more below it only the numbers beside little broadband noise
        (:data:`~streamfreq.defaults.DIM_NOISE_SHARE`); None reports every window on its own.
    follow_notes
        Where an estimator that follows notes (``fft``, the LSTM) gives a window no number right after one it
        read, look for a partial near that number (:mod:`streamfreq.follow`: a note followed through loud
        noise); False reads every window on its own.
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
        quiet_db: float | None = defaults.QUIET_DB,
        follow_notes: bool = True,
    ) -> None:
        check_range("samplerate", samplerate, 1000, 768000)
        self.samplerate = float(samplerate)
        if fmin is not None and not 0 < fmin < self.samplerate / 2:  # also NaN
            raise ParameterError(
                f"fmin must lie between 0 and half the samplerate, {self.samplerate / 2:g} Hz (got {fmin:g})"
            )
        chosen, chosen_fmin = window is None, fmin is None
        if chosen:
            window = defaults.window_for(self.samplerate, fmin)
        if hop is None:
            hop = defaults.hop_for_window(window)
        self.windower = Windower(window, hop)
        if fmin is None:
            fmin = defaults.lowest_f0(self.windower.window, self.samplerate)
            if chosen:
                fmin = max(fmin, defaults.FMIN_FLOOR)
        elif fmin < defaults.lowest_f0(self.windower.window, self.samplerate):
            raise ParameterError(
                f"window must hold {defaults.MIN_PERIODS:g} periods of fmin {fmin:g} Hz, i.e. at least "
                f"{math.ceil(defaults.MIN_PERIODS * self.samplerate / fmin)} samples (got {self.windower.window}); "
                "leave the window out to have it chosen"
            )
        self.fmin = float(fmin)
        self.window, self.hop = self.windower.window, self.windower.hop
        self.quiet_db = None if quiet_db is None else float(quiet_db)
        self.estimators = build_estimators(estimators, model_path, fmin)  # names built, objects as they are
        self.names = [e.name for e in self.estimators]
        own_floor = fmin == defaults.lowest_f0(self.window, self.samplerate)
        self.reach_fmin = reach_fmin(self.window, self.samplerate) if chosen_fmin and own_floor else self.fmin
        self.reached = [  # the estimators whose windows below the floor are read again: not told a floor of their own
            e.name
            for e in self.estimators
            if isinstance(e, HasFloor) and e.fmin in (None, self.fmin) and self.reach_fmin < self.fmin
        ]
        self.follow_notes = bool(follow_notes)
        self._stream = self.new_stream()  # push()'s stream (a live session has its own)
        self.truth = truth
        self.stats = EngineStats()
        self.disabled: set[str] = set()
        self._pool: ThreadPoolExecutor | None = None
        self._session: LiveSession | None = None
        self._halt = threading.Event()  # stop() for a run over a source that is not real time
        self._warm = False

    def push(self, block: np.ndarray) -> list[Readout]:
        """Add samples; return the readouts of the windows they complete.

        ``block`` may be 1-D mono or ``(frames, channels)`` (mixed down), float
        or integer (scaled to [-1, 1]). Non-finite samples are counted, and the
        windows that contain them are skipped (counted in ``stats.skipped_windows``).
        """
        starts, frames, arrival = self._windows(block)
        if len(starts) == 0:
            return []
        with self.blas_limit():
            return self._estimate(starts, frames, arrival, self._stream)

    def push_blocks(self, blocks: Iterable[np.ndarray]) -> Iterator[list[Readout]]:
        """:meth:`push` each of ``blocks`` in turn; yield the readouts of each, the same readouts push returns.

        For recordings: each estimator runs on its own thread, the next block is read and estimated while the
        caller takes the readouts of this one, and a fast estimator goes on to the next batch while a slow one
        finishes this one. So a block's readouts come once the next block has been read: a stream that waits for
        its audio to arrive (a pipe) goes through :meth:`push`, block by block.

        Raises
        ------
        Exception
            What iterating ``blocks`` raised, once the readouts of every block before it have been yielded.

        Example
        -------
        >>> from streamfreq.signals import tone
        >>> engine = Engine(8000, 1024, 1024, ["fft", "zc"])
        >>> blocks = [0.5 * tone(4096, 4096 * 440.0 / 8000)] * 2  # two blocks of a 440 Hz tone
        >>> [[round(r.hz("zc"), 2) for r in readouts] for readouts in engine.push_blocks(blocks)]
        [[440.0, 440.0, 440.0, 440.0], [440.0, 440.0, 440.0, 440.0]]
        """
        inflight: collections.deque[list[_Batch]] = collections.deque()  # per block read, its batches
        blocks = iter(blocks)
        try:
            with self.blas_limit():
                while True:
                    try:
                        block = next(blocks)
                    except StopIteration:
                        break
                    except Exception:  # a source's error: first the readouts of what it gave
                        while inflight:
                            yield self._collect(inflight.popleft())
                        raise
                    inflight.append(self._submit(*self._windows(block)))
                    while len(inflight) > 1:
                        yield self._collect(inflight.popleft())
                while inflight:
                    yield self._collect(inflight.popleft())
        finally:  # the caller stopped early: the estimators finish what they hold before the engine is used again
            futures = [future for batches in inflight for batch in batches for future in batch.results.values()]
            wait(futures)

    def _windows(self, block: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """``(starts, frames, arrival time)`` of the windows ``block`` completes; its non-finite samples counted."""
        mono = to_mono_float32(block)
        arrival = time.monotonic()
        bad = np.count_nonzero(~np.isfinite(mono))
        if bad:
            self.stats.nonfinite_samples += int(bad)
        starts, frames = self.windower.push(mono)
        return starts, frames, arrival

    def new_stream(self) -> Stream:
        """The quiet gate and the note follower of a new stream of this engine's windows."""
        gate = None if self.quiet_db is None else QuietGate(self.samplerate, self.hop, self.quiet_db)
        following = [e.name for e in self.estimators if getattr(e, "follows_notes", False)]
        follower = (
            NoteFollower(self.samplerate, self.hop, following, self.fmin) if self.follow_notes and following else None
        )
        reached = [e for e in self.estimators if e.name in self.reached]
        reach = BelowFloorReach(self.window, self.hop, self.samplerate, reached, self.reach_fmin) if reached else None
        return Stream(gate, follower, reach)

    def _estimate(
        self, starts: np.ndarray, frames: np.ndarray, arrival: float | np.ndarray, stream: Stream
    ) -> list[Readout]:
        """Run every estimator on ``frames`` and assemble readouts (skipping non-finite windows) through the
        ``stream``'s quiet gate and note follower."""
        readouts: list[Readout] = []
        for chunk_starts, chunk, chunk_arrival in self._batches(starts, frames, arrival):
            readouts += self._readouts(_Batch(chunk_starts, chunk, chunk_arrival, self._run_estimators(chunk)), stream)
        return readouts

    def _batches(
        self, starts: np.ndarray, frames: np.ndarray, arrival: float | np.ndarray
    ) -> Iterator[tuple[np.ndarray, np.ndarray, float | np.ndarray]]:
        """``(starts, frames, arrival)`` of the windows in batches of :func:`~streamfreq.defaults.batch_for` the
        window (no temporary bigger than one batch), without the windows that hold non-finite samples (counted)."""
        live = isinstance(arrival, np.ndarray)
        batch = defaults.batch_for(self.window)
        for offset in range(0, len(starts), batch):
            chunk = frames[offset : offset + batch]
            chunk_starts = starts[offset : offset + batch]
            chunk_arrival = arrival[offset : offset + batch] if live else arrival
            finite = np.isfinite(chunk).all(axis=1)
            if not finite.all():
                self.stats.skipped_windows += int(np.count_nonzero(~finite))
                chunk, chunk_starts = chunk[finite], chunk_starts[finite]
                chunk_arrival = chunk_arrival[finite] if live else arrival
                if len(chunk) == 0:
                    continue
            yield chunk_starts, chunk, chunk_arrival

    def _readouts(self, batch: _Batch, stream: Stream) -> list[Readout]:
        """The readouts of an estimated ``batch``: the windows the ``stream``'s gate finds quiet say ``no_tone``,
        and its follower reads the windows that follow a note."""
        results = batch.results
        marks = None
        if stream.gate is not None:
            marks = stream.gate.marks(batch.frames)
        if stream.reach is not None:
            stream.reach.reach(batch.starts, batch.frames, results, None if marks is None else marks.quiet)
        if marks is not None:
            _silence(results, marks, batch.frames, self.samplerate)
        if stream.follower is not None:
            stream.follower.follow(batch.starts, batch.frames, results, marks)
        self.stats.windows += len(batch.frames)
        live = isinstance(batch.arrival, np.ndarray)
        return [
            Readout(
                start=start,
                window=self.window,
                samplerate=self.samplerate,
                estimates={name: values[i] for name, values in results.items()},
                truth=self.truth(start + self.window / 2) if self.truth else math.nan,
                arrival=float(batch.arrival[i]) if live else batch.arrival,
                dropped_windows=self.stats.dropped_windows,
                overrun_samples=self.stats.overrun_samples,
                input_overflows=self.stats.input_overflows,
            )
            for i, start in enumerate(batch.starts.tolist())
        ]

    def _submit(self, starts: np.ndarray, frames: np.ndarray, arrival: float) -> list[_Batch]:
        """Hand the windows' batches to the estimators' own threads (:meth:`push_blocks`); ``results`` hold futures."""
        active = [e for e in self.estimators if e.name not in self.disabled]
        batches = []
        for chunk_starts, chunk, chunk_arrival in self._batches(starts, frames, arrival):
            futures = {e.name: self._lane(e.name).submit(self._run_estimator, e, chunk) for e in active}
            batches.append(_Batch(chunk_starts, chunk, chunk_arrival, futures))
        return batches

    def _collect(self, batches: list[_Batch]) -> list[Readout]:
        """The readouts of batches handed over by :meth:`_submit`, once their estimates are made."""
        readouts: list[Readout] = []
        for batch in batches:
            results = {name: future.result() for name, future in batch.results.items()}
            readouts += self._readouts(batch._replace(results=results), self._stream)
        return readouts

    @staticmethod
    def _lane(name: str) -> ThreadPoolExecutor:
        """The thread that runs the estimators called ``name`` for :meth:`push_blocks`: one per name in the
        process, made on first use and kept, so that a batch worker's engine per file starts no threads (and
        the allocator's arenas, which keep freed memory for the next batch, stay as many as its threads)."""
        with _LANES_LOCK:
            if name not in _LANES:
                _LANES[name] = ThreadPoolExecutor(1, thread_name_prefix=f"streamfreq-{name}")
            return _LANES[name]

    def _run_estimators(self, frames: np.ndarray) -> dict[str, list[Estimate]]:
        """Every enabled estimator on the same batch; big batches side by side on pool threads.

        The estimators spend their time in numpy, scipy and the LiteRT
        interpreter, which release the GIL, so on two cores a big batch of
        fft+zc runs about twice as fast side by side. A live batch of a few
        windows is done sooner, and with less CPU, in this thread alone.
        """
        active = [e for e in self.estimators if e.name not in self.disabled]
        if len(frames) < SIDE_BY_SIDE or len(active) < 2:
            return {e.name: self._run_estimator(e, frames) for e in active}
        first, *others = active
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=len(self.estimators) - 1, thread_name_prefix="streamfreq-estimator"
            )
        futures = {e.name: self._pool.submit(self._run_estimator, e, frames) for e in others}
        mine = self._run_estimator(first, frames)
        return {e.name: mine if e is first else futures[e.name].result() for e in active}

    def _run_estimator(self, estimator: Estimator, frames: np.ndarray) -> list[Estimate]:
        """One estimator on a batch; a failure is recorded and marks ``"error"`` on the windows it is narrowed to
        (:meth:`_narrow_failure`)."""
        began = time.perf_counter()
        try:
            results = self._estimates(estimator, frames)
        except Exception as error:  # one estimator must not take the others down
            name = estimator.name
            self.stats.estimator_errors[name] = self.stats.estimator_errors.get(name, 0) + 1
            self.stats.last_errors[name] = " ".join(f"{type(error).__name__}: {error}".split())  # one line
            results = self._narrow_failure(estimator, frames)
        elapsed = time.perf_counter() - began
        self.stats.estimator_seconds[estimator.name] = self.stats.estimator_seconds.get(estimator.name, 0.0) + elapsed
        return results

    def _estimates(self, estimator: Estimator, frames: np.ndarray) -> list[Estimate]:
        """The estimator's estimates of ``frames``, checked: one :class:`Estimate` per window."""
        results = estimator.estimate_many(frames, self.samplerate)
        if len(results) != len(frames):
            raise RuntimeError(f"returned {len(results)} estimates for {len(frames)} windows")
        stray = next((r for r in results if not isinstance(r, Estimate)), None)
        if stray is not None:
            raise TypeError(f"returned a {type(stray).__name__}, not an Estimate")
        return results

    def _narrow_failure(self, estimator: Estimator, frames: np.ndarray) -> list[Estimate]:
        """The estimates of a batch the estimator failed on, each half run again: a half that fails where the
        other succeeds is narrowed the same way, down to the window that fails; where both halves fail, the
        failure is the estimator's, not a window's, and all of them say ``"error"``.

        One window that trips an estimator (a numerical corner of its own) costs that window alone, not its
        whole batch (512 windows of a file), for about two runs per halving; an estimator that fails on
        everything costs two more runs per batch.
        """
        failed = [Estimate.nothing(ERROR)] * len(frames)
        if len(frames) < 2:
            return failed
        middle = len(frames) // 2
        halves: list[list[Estimate] | None] = []
        for part in (frames[:middle], frames[middle:]):
            try:
                halves.append(self._estimates(estimator, part))
            except Exception:  # recorded once, as the batch's failure
                halves.append(None)
        first, second = halves
        if first is None and second is None:
            return failed
        if first is None:
            first = self._narrow_failure(estimator, frames[:middle])
        if second is None:
            second = self._narrow_failure(estimator, frames[middle:])
        return list(first) + list(second)

    # -- settings -----------------------------------------------------------------------------

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Switch estimator ``name`` on or off, also while running; readouts leave out the ones switched off.

        Raises
        ------
        ParameterError
            No estimator of the engine is called ``name``.
        """
        if name not in self.names:
            raise ParameterError(f"estimator must be one of {', '.join(self.names)} (got {name!r})")
        (self.disabled.discard if enabled else self.disabled.add)(name)

    def blas_limit(self) -> contextlib.AbstractContextManager[None]:
        """A context in which numpy's BLAS runs on one thread (nested and concurrent use are fine)."""
        return one_blas_thread()

    def warm_up(self) -> None:
        """Run every estimator on a tone window of this stream's size, once, so live windows never pay for it.

        The first call of an estimator builds FFT plans, resampling matrices
        and the LiteRT interpreter's buffers; on a live stream that time would
        show as latency, or as windows dropped at start-up. Not counted in :attr:`stats`.
        """
        if self._warm:
            return
        single = (0.5 * tone(self.window, 440.0 * self.window / self.samplerate)).astype(np.float32)[None, :]
        with self.blas_limit():
            for frames in (single, np.repeat(single, 8, axis=0)):
                for estimator in self.estimators:
                    # An estimator that fails here fails again on the first real window, where it is reported.
                    with contextlib.suppress(Exception):
                        estimator.estimate_many(frames, self.samplerate)
        self._warm = True

    # -- live ----------------------------------------------------------------------------------

    def start(
        self,
        source: Source,
        *,
        duration: float | None = None,
        queue_size: int = 256,
        max_latency: float = 0.25,
        ring_seconds: float = 2.0,
        after: threading.Thread | None = None,
    ) -> LiveSession:
        """Start analysing a real-time ``source`` on threads; poll the returned session's ``drain()``.

        Parameters are those of :class:`~streamfreq.live.LiveSession`. The
        estimators are warmed up before the source starts.

        Raises
        ------
        ParameterError
            The source is not real time (read it with :meth:`run`), a parameter is out of range, or the engine's
            last session still runs (its estimators, stats and ring are the engine's: one session at a time).
        """
        if self._session is not None and self._session.running:
            raise ParameterError("this engine already runs a live session; stop() it first, or use another Engine")
        if not getattr(source, "realtime", False):
            raise ParameterError(
                f"start needs a real-time source (got {type(source).__name__} with realtime=False); "
                "read it with Engine.run, as fast as the estimators go"
            )
        session = LiveSession(
            self,
            source,
            duration=duration,
            queue_size=queue_size,
            max_latency=max_latency,
            ring_seconds=ring_seconds,
            after=after,
        )
        self._session = session
        session.begin(worker=True)
        return session

    def stop(self) -> None:
        """Ask the running live session (:meth:`run` or :meth:`start`) to finish, from any thread."""
        self._halt.set()
        if self._session is not None:
            self._session.request_stop()

    def run(
        self,
        source: Source,
        *,
        duration: float | None = None,
        max_latency: float = 0.25,
        ring_seconds: float = 2.0,
    ) -> Iterator[Readout]:
        """Analyse ``source``, yielding readouts as they are made.

        Parameters
        ----------
        source
            Any :class:`~streamfreq.sources.base.Source`. A real-time source
            runs as a :class:`~streamfreq.live.LiveSession` estimated in this
            thread; others are read as fast as the estimators go, losing nothing.
        duration
            Stop after this many seconds of audio (sample-counted).
        max_latency
            Largest backlog, in seconds of audio, before the session skips to
            the newest window (live only). Skipped windows are counted.
        ring_seconds
            Ring buffer length (live only).

        Raises
        ------
        StreamfreqError
            What the source raised, after every readout made before it was yielded.
        """
        if not getattr(source, "realtime", False):
            yield from self._run_batch(source, duration)
            return
        session = LiveSession(self, source, duration=duration, max_latency=max_latency, ring_seconds=ring_seconds)
        self._session = session
        try:
            session.begin(worker=False)
            with self.blas_limit():
                while session.running:
                    yield from session.pump()
        finally:
            session.stop()
        if session.error is not None:
            raise session.error

    def _run_batch(self, source: Source, duration: float | None) -> Iterator[Readout]:
        if float(source.samplerate) != self.samplerate:
            raise ParameterError(
                f"samplerate must match the source's {source.samplerate:g} Hz (got {self.samplerate:g})"
            )
        if duration is not None:
            check_range("duration", duration, 0.0, 1e9)
        limit = math.inf if duration is None else round(duration * self.samplerate)
        if self.truth is None and hasattr(source, "truth_at"):
            self.truth = source.truth_at
        self._halt.clear()

        def blocks() -> Iterator[np.ndarray]:
            fed = 0
            for block in source.blocks():  # type: ignore[attr-defined]
                if self._halt.is_set() or fed >= limit:
                    return
                block = block[: int(min(len(block), limit - fed))]
                fed += len(block)
                yield block

        # a recording is read ahead (estimated while its readouts are taken); a pipe block by block, as it arrives.
        # After stop() nothing more is read, and the readouts of every block read come: none is lost to the stream.
        each_block = self.push_blocks(blocks()) if getattr(source, "read_ahead", False) else map(self.push, blocks())
        for readouts in each_block:
            yield from readouts


def _silence(results: dict[str, list[Estimate]], marks: Marks, frames: np.ndarray, samplerate: float) -> None:
    """Make every estimate of the quiet windows ``no_tone``, those of the faint windows with a number below
    :data:`~streamfreq.defaults.FAINT_CONFIDENCE`, and those of the softer windows (``frames``) with a number whose
    period the window does not repeat at (:data:`~streamfreq.defaults.SOFTER_REPEATS`), and those of the dim windows
    with a number beside more broadband noise than :data:`~streamfreq.defaults.DIM_NOISE_SHARE` of their energy; an
    estimator's errors stay."""
    nothing = Estimate.nothing(NO_TONE)
    for estimates in results.values():
        for i in np.flatnonzero(marks.quiet).tolist():
            if estimates[i].status != ERROR:
                estimates[i] = nothing
        for i in np.flatnonzero(marks.faint).tolist():
            if estimates[i].status == OK and estimates[i].confidence < defaults.FAINT_CONFIDENCE:
                estimates[i] = nothing
        softer = [i for i in np.flatnonzero(marks.softer).tolist() if estimates[i].status == OK]
        if softer:
            period = samplerate / np.array([estimates[i].hz for i in softer])
            for i in np.asarray(softer)[whole_repeats(frames[softer], period) < defaults.SOFTER_REPEATS].tolist():
                estimates[i] = nothing
        dim = [i for i in np.flatnonzero(marks.dim).tolist() if estimates[i].status == OK]
        if dim:
            hz = np.array([estimates[i].hz for i in dim])
            noisy = high_noise_share(frames[dim], hz, samplerate) > defaults.DIM_NOISE_SHARE
            for i in np.asarray(dim)[noisy].tolist():
                estimates[i] = nothing
