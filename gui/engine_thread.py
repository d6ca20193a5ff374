"""The engine, off the GUI thread: a runner thread and the lock-protected state the GUI reads.

Nothing here imports Qt. :class:`EngineRunner` builds the source and the
engine in its own thread, consumes :meth:`streamfreq.engine.Engine.run` and
stores what the GUI needs in a :class:`LiveState`: recent readouts, a copy of
the newest samples (teed from the source, see :class:`TeeSource`), counters
and the last error. The GUI polls the state from a timer and never waits on
the estimators.

Example
-------
>>> import time
>>> from streamfreq.gui.engine_thread import EngineRunner, RunConfig
>>> runner = EngineRunner()
>>> runner.start(RunConfig(source="synth", freq=440.0, estimators=("fft",)))
>>> for _ in range(100):
...     if runner.state.snapshot().readouts:
...         break
...     time.sleep(0.02)
>>> runner.stop(); runner.join()
>>> round(runner.state.snapshot().readouts[-1].hz("fft"))
440
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from streamfreq.engine import Engine
from streamfreq.estimators.base import NO_TONE, Estimate, Estimator
from streamfreq.readout import EngineStats, Readout

#: Seconds of readouts kept for the history plot.
HISTORY_SECONDS = 10.0


class SampleRing:
    """The newest samples of a stream with their absolute positions (thread-safe, fixed size).

    Parameters
    ----------
    capacity
        Samples kept.

    Example
    -------
    >>> import numpy as np
    >>> ring = SampleRing(8)
    >>> ring.write(np.arange(10, dtype=np.float32))
    >>> ring.written, ring.read(6, 4).tolist(), ring.read(0, 4)
    (10, [6.0, 7.0, 8.0, 9.0], None)
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        self._data = np.zeros(2 * self.capacity, dtype=np.float32)  # written twice: reads never wrap
        self._written = 0
        self._lock = threading.Lock()

    @property
    def written(self) -> int:
        """Samples written since the start."""
        return self._written

    def write(self, block: np.ndarray) -> None:
        """Append ``block`` (mono float32), keeping the newest ``capacity`` samples."""
        block = np.asarray(block, dtype=np.float32).ravel()
        total = len(block)
        block = block[-self.capacity :]
        n = len(block)
        with self._lock:
            pos = (self._written + total - n) % self.capacity
            first = min(n, self.capacity - pos)
            for base in (0, self.capacity):
                self._data[base + pos : base + pos + first] = block[:first]
            if first < n:
                for base in (0, self.capacity):
                    self._data[base : base + n - first] = block[first:]
            self._written += total

    def read(self, start: int, length: int) -> np.ndarray | None:
        """A copy of samples ``start .. start+length`` (absolute), or None when they are not held."""
        with self._lock:
            if length > self.capacity or start < self._written - self.capacity or start + length > self._written:
                return None
            pos = start % self.capacity
            return self._data[pos : pos + length].copy()

    def latest(self, length: int) -> np.ndarray:
        """A copy of the newest ``length`` samples (zero-padded at the front while fewer exist)."""
        with self._lock:
            length = min(length, self.capacity)
            have = min(length, self._written)
            end = self._written % self.capacity + self.capacity
            out = np.zeros(length, dtype=np.float32)
            if have:
                out[length - have :] = self._data[end - have : end]
            return out


class TeeSource:
    """Wrap a source so every block it delivers is also copied into a :class:`SampleRing`.

    Everything else (``samplerate``, ``realtime``, ``truth_at``, ``overflows``,
    ``set_schedule``, ``close``) is the wrapped source's own.

    Example
    -------
    >>> from streamfreq.sources.synth import SynthSource
    >>> ring = SampleRing(48000)
    >>> tee = TeeSource(SynthSource(440.0, 48000, duration=0.1, realtime=False), ring)
    >>> sum(len(b) for b in tee.blocks()), ring.written, tee.truth_at(0)
    (4800, 4800, 440.0)
    """

    def __init__(self, source: object, ring: SampleRing) -> None:
        self.source = source
        self.ring = ring

    def __getattr__(self, name: str) -> object:  # only called for attributes not found on the wrapper
        return getattr(self.source, name)

    def feed(self, write: Callable[[np.ndarray], None], stop: threading.Event) -> None:
        """The wrapped source's ``feed``, teeing each block into the ring before the engine sees it."""

        def tee(block: np.ndarray) -> None:
            self.ring.write(block)
            write(block)

        self.source.feed(tee, stop)  # type: ignore[attr-defined]

    def blocks(self) -> Iterator[np.ndarray]:
        """The wrapped source's blocks, teed into the ring."""
        for block in self.source.blocks():  # type: ignore[attr-defined]
            self.ring.write(block)
            yield block

    def close(self) -> None:
        """Close the wrapped source."""
        self.source.close()  # type: ignore[attr-defined]


class Switchable:
    """An estimator that can be switched off live (then it costs nothing and reports ``no_tone``).

    The GUI hides switched-off estimators, so their ``no_tone`` is never shown.

    Example
    -------
    >>> import numpy as np
    >>> from streamfreq.estimators.fft import FFTEstimator
    >>> fft = Switchable(FFTEstimator())
    >>> fft.enabled = False
    >>> fft.estimate_many(np.zeros((2, 1024), np.float32), 48000.0)[0].status
    'no_tone'
    """

    def __init__(self, estimator: Estimator, enabled: bool = True) -> None:
        self.estimator = estimator
        self.name = estimator.name
        self.enabled = enabled

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        if not self.enabled:
            return [Estimate.nothing(NO_TONE)] * len(frames)
        return self.estimator.estimate_many(frames, samplerate)


@dataclass(frozen=True)
class RunConfig:
    """What to run: the source and the engine settings.

    Attributes
    ----------
    source
        ``"synth"``, ``"mic"`` or ``"file"``.
    freq, sweep, snr_db
        Synth tone: frequency in Hz; sweep ``(low_hz, high_hz, seconds)`` or None; noise SNR in dB or None.
    device
        Microphone index or name part (None: the default input).
    path
        Audio file, played in real time.
    samplerate
        Synth samplerate (the mic and file sources bring their own).
    window, hop
        Engine window and hop in samples.
    estimators
        Estimators to build.
    enabled
        The subset switched on at the start (None: all).
    """

    source: str = "synth"
    freq: float = 440.0
    sweep: tuple[float, float, float] | None = None
    snr_db: float | None = None
    device: int | str | None = None
    path: str | None = None
    samplerate: float = 48000.0
    window: int = 2048
    hop: int = 512
    estimators: tuple[str, ...] = ("fft", "zc")
    enabled: frozenset[str] | None = None


@dataclass
class Snapshot:
    """A consistent copy of the live state, taken under the lock."""

    readouts: list[Readout]
    stats: EngineStats | None
    samplerate: float
    names: list[str]
    running: bool
    error: str | None
    error_serial: int
    readout_count: int
    latency: float
    run_serial: int


@dataclass
class LiveState:
    """What the runner thread shares with the GUI (guarded by ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    readouts: collections.deque[Readout] = field(default_factory=lambda: collections.deque(maxlen=4096))
    stats: EngineStats | None = None
    samplerate: float = math.nan
    names: list[str] = field(default_factory=list)
    running: bool = False
    error: str | None = None
    error_serial: int = 0
    readout_count: int = 0
    latency: float = math.nan
    run_serial: int = 0
    ring: SampleRing | None = None

    def snapshot(self) -> Snapshot:
        """Copy the state out under the lock (cheap: a list of references)."""
        with self.lock:
            return Snapshot(
                list(self.readouts),
                self.stats,
                self.samplerate,
                list(self.names),
                self.running,
                self.error,
                self.error_serial,
                self.readout_count,
                self.latency,
                self.run_serial,
            )


class RepeatingSweep:
    """A schedule sweeping geometrically ``low -> high -> low`` forever, period ``2 * seconds``.

    Unlike :class:`streamfreq.signals.LogSweep` it starts at ``t0`` (absolute
    seconds) and repeats, so it can be switched on in the middle of a stream.

    Example
    -------
    >>> import numpy as np
    >>> RepeatingSweep(100.0, 400.0, 2.0, t0=1.0).frequency(np.array([1.0, 3.0, 5.0])).tolist()
    [100.0, 400.0, 100.0]
    """

    def __init__(self, low: float, high: float, seconds: float, t0: float = 0.0) -> None:
        self.low, self.high, self.seconds, self.t0 = float(low), float(high), float(seconds), float(t0)

    def frequency(self, t: np.ndarray) -> np.ndarray:
        phase = np.mod((np.asarray(t, dtype=np.float64) - self.t0) / self.seconds, 2.0)
        progress = np.where(phase > 1.0, 2.0 - phase, phase)
        return self.low * (self.high / self.low) ** progress


def open_source(config: RunConfig) -> object:
    """Open the real-time source ``config`` describes (may raise a StreamfreqError or ImportError)."""
    if config.source == "synth":
        from streamfreq.sources.synth import SynthSource

        schedule = None if config.sweep is None else RepeatingSweep(*config.sweep)
        return SynthSource(
            config.freq, config.samplerate, schedule=schedule, snr_db=config.snr_db, realtime=True, seed=None
        )
    if config.source == "file":
        from streamfreq.sources.file import FileSource

        if not config.path:
            from streamfreq.errors import SourceError

            raise SourceError("no file chosen: open one first")
        return FileSource(config.path, realtime=True)
    if config.source == "mic":
        from streamfreq.sources.mic import MicSource

        return MicSource(device=config.device)
    from streamfreq.errors import ParameterError

    raise ParameterError(f"source must be one of synth, mic, file (got {config.source!r})")


def describe_error(error: BaseException) -> str:
    """One line for the user: the kind of problem, then the message.

    Example
    -------
    >>> from streamfreq.errors import DeviceError
    >>> describe_error(DeviceError("no input device matches 'xyz'"))
    "Audio device problem: no input device matches 'xyz'"
    """
    from streamfreq.errors import DeviceError, ModelError, ParameterError, SourceError

    kinds = (
        (DeviceError, "Audio device problem"),
        (SourceError, "Cannot read the source"),
        (ModelError, "Model problem"),
        (ParameterError, "Bad setting"),
        (ImportError, "Missing package"),
    )
    kind = next((label for cls, label in kinds if isinstance(error, cls)), type(error).__name__)
    return f"{kind}: {str(error) or type(error).__name__}"


class EngineRunner:
    """Runs one engine at a time on a daemon thread; :attr:`state` is what the GUI reads.

    ``start`` and ``stop`` return at once: the source and estimators are built
    in the thread, and any failure (bad device, unreadable file, missing model)
    ends up in ``state.error`` instead of raising in the caller. A run that is
    still winding down after ``stop`` no longer touches the state.
    """

    def __init__(self, ring_seconds: float = 1.0) -> None:
        self.state = LiveState()
        self.ring_seconds = ring_seconds
        self.config: RunConfig | None = None
        self.source: object | None = None
        self._engine: Engine | None = None
        self._threads: list[threading.Thread] = []
        self._switches: dict[str, Switchable] = {}
        self._cancel = threading.Event()

    @property
    def running(self) -> bool:
        """True while the current run is active."""
        with self.state.lock:
            return self.state.running

    def start(self, config: RunConfig) -> None:
        """Stop any current run and start ``config`` (returns at once)."""
        self.stop()
        self.config = config
        self._cancel = threading.Event()
        with self.state.lock:
            self.state.readouts.clear()
            self.state.running = True
            self.state.readout_count = 0
            self.state.latency = math.nan
            self.state.stats = None
            self.state.ring = None
            self.state.names = []
            self.state.run_serial += 1
            serial = self.state.run_serial
        thread = threading.Thread(
            target=self._run, args=(config, self._cancel, serial), name="streamfreq-gui-engine", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def stop(self) -> None:
        """Ask the current run (if any) to end; returns at once."""
        self._cancel.set()
        engine = self._engine
        if engine is not None:
            engine.stop()
        self._engine = None
        self.source = None
        self._switches = {}
        with self.state.lock:
            self.state.running = False

    def join(self, timeout: float = 3.0) -> None:
        """Wait (up to ``timeout`` seconds in all) for stopped runs to release their sources."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Switch estimator ``name`` on or off without restarting the run."""
        switch = self._switches.get(name)
        if switch is not None:
            switch.enabled = enabled

    def set_schedule(self, schedule: object) -> bool:
        """Change the synth's frequency schedule live; False when the source is not a synth."""
        source = self.source
        if source is None or not hasattr(source, "set_schedule"):
            return False
        source.set_schedule(schedule)  # type: ignore[attr-defined]
        return True

    def stream_seconds(self) -> float:
        """Seconds of audio the current source has delivered."""
        ring, rate = self.state.ring, self.state.samplerate
        return ring.written / rate if ring is not None and rate > 0 else 0.0

    def _current(self, serial: int) -> bool:
        return self.state.run_serial == serial

    def _fail(self, error: BaseException, serial: int) -> None:
        with self.state.lock:
            if self._current(serial):
                self.state.error = describe_error(error)
                self.state.error_serial += 1

    def _run(self, config: RunConfig, cancel: threading.Event, serial: int) -> None:
        try:
            self._run_engine(config, cancel, serial)
        except Exception as error:  # shown by the GUI; the app stays usable
            self._fail(error, serial)
        finally:
            with self.state.lock:
                if self._current(serial):
                    self.state.running = False

    def _build_estimators(self, names: Sequence[str], enabled: frozenset[str] | None, serial: int) -> list[Switchable]:
        from streamfreq.estimators import build_estimator

        built = []
        for name in names:
            try:
                built.append(Switchable(build_estimator(name), enabled is None or name in enabled))
            except Exception as error:  # e.g. a missing model: run without it, say so
                if name != "lstm":
                    raise
                self._fail(error, serial)
        return built

    def _run_engine(self, config: RunConfig, cancel: threading.Event, serial: int) -> None:
        switches = self._build_estimators(config.estimators, config.enabled, serial)
        source = open_source(config)
        try:
            rate = float(source.samplerate)  # type: ignore[attr-defined]
            ring = SampleRing(max(config.window * 2, round(self.ring_seconds * rate)))
            engine = Engine(rate, config.window, config.hop, switches)
        except BaseException:
            source.close()  # type: ignore[attr-defined]
            raise
        with self.state.lock:
            if cancel.is_set() or not self._current(serial):
                source.close()  # type: ignore[attr-defined]
                return
            self.source = source
            self._switches = {s.name: s for s in switches}
            self._engine = engine
            self.state.ring = ring
            self.state.samplerate = engine.samplerate
            self.state.names = list(engine.names)
            self.state.stats = engine.stats
        keep = max(16, round(HISTORY_SECONDS * engine.samplerate / engine.hop))
        readouts = engine.run(TeeSource(source, ring))  # type: ignore[arg-type]
        try:
            for readout in readouts:
                if cancel.is_set():
                    break
                latency = time.monotonic() - readout.arrival
                with self.state.lock:
                    self.state.readouts.append(readout)
                    while len(self.state.readouts) > keep:
                        self.state.readouts.popleft()
                    self.state.readout_count += 1
                    self.state.latency = latency
        finally:
            readouts.close()  # stops the engine's threads and closes the source
