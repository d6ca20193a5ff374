"""Engine: push determinism across block sizes, readout fields, batch and live runs, error hand-over."""

import math
import threading
import time

import numpy as np
import pytest
from conftest import SlowToClose, first_readouts, push_in_pieces

from streamfreq import defaults
from streamfreq.engine import Engine
from streamfreq.errors import ParameterError, SourceError
from streamfreq.estimators.base import NO_TONE, OK, Estimate
from streamfreq.estimators.fft import FFTEstimator
from streamfreq.signals import Steps, ToneGenerator, tone
from streamfreq.sources.base import PullSource
from streamfreq.sources.synth import SynthSource

FS = 48000


def readout_table(readouts):
    return [(r.start, {k: (e.hz, e.status, e.confidence) for k, e in r.estimates.items()}) for r in readouts]


def test_block_sizes_do_not_change_the_readouts():
    signal = ToneGenerator(Steps([(0, 300.0), (0.1, 1234.5)]), FS, snr_db=20, seed=3).next_block(FS // 4)
    whole = Engine(FS, 1024, 300, ["fft", "zc"]).push(signal)
    pieces = push_in_pieces(Engine(FS, 1024, 300, ["fft", "zc"]), signal, 5000)
    assert readout_table(pieces) == readout_table(whole)
    assert len(whole) == 1 + (len(signal) - 1024) // 300


def test_readout_fields_follow_the_contract():
    engine = Engine(FS, 2048, 512, ["fft"], truth=lambda index: 440.0)
    readouts = engine.push(ToneGenerator(Steps([(0, 440.0)]), FS).next_block(4096))
    first, second = readouts[:2]
    assert (first.start, second.start) == (0, 512)
    assert first.time == pytest.approx((0 + 1024) / FS)
    assert first.window == 2048 and first.samplerate == FS and first.truth == 440.0
    assert first.estimates["fft"].status == OK and first.hz("fft") == pytest.approx(440.0, abs=1e-6)
    assert engine.stats.windows == len(readouts) == 5


def test_integer_and_stereo_blocks_are_converted_at_the_edge():
    t = np.arange(8192) / FS
    stereo = np.stack([np.sin(2 * np.pi * 1000 * t), np.sin(2 * np.pi * 1000 * t)], axis=1)
    as_int16 = (stereo * 20000).astype(np.int16)
    readouts = Engine(FS, 2048, 2048, ["fft"]).push(as_int16)
    assert [round(r.hz("fft"), 3) for r in readouts] == [1000.0] * 4


def test_nonfinite_samples_skip_only_their_windows():
    signal = ToneGenerator(Steps([(0, 440.0)]), FS).next_block(8192)
    signal[3000] = np.nan
    signal[3001] = np.inf
    engine = Engine(FS, 1024, 1024, ["fft"])
    readouts = engine.push(signal)
    assert [r.start for r in readouts] == [0, 1024, 3072, 4096, 5120, 6144, 7168]
    assert engine.stats.nonfinite_samples == 2 and engine.stats.skipped_windows == 1
    assert all(r.hz("fft") == pytest.approx(440.0, abs=1e-6) for r in readouts)


def test_batch_run_loses_nothing_and_reports_truth():
    source = SynthSource(samplerate=FS, schedule=Steps([(0, 200.0), (1.0, 2000.0)]), duration=2.0, realtime=False)
    engine = Engine(FS, 2048, 512, ["fft", "zc"])
    readouts = list(engine.run(source))
    assert len(readouts) == 1 + (2 * FS - 2048) // 512
    assert [r.start for r in readouts] == [512 * k for k in range(len(readouts))]
    clean = [r for r in readouts if abs(r.time - 1.0) > 2048 / FS]
    assert all(r.hz("fft") == pytest.approx(r.truth, abs=1e-3) for r in clean)
    assert all(r.hz("zc") == pytest.approx(r.truth, rel=1e-4) for r in clean)


def test_push_blocks_gives_each_block_the_readouts_push_gives():
    """Read ahead, each estimator on its own thread: the same readouts, block for block, and the same counts."""
    signal = ToneGenerator(Steps([(0, 300.0), (0.2, 1234.5)]), FS, snr_db=20, seed=3).next_block(13 * FS // 2)
    signal[9000] = np.nan
    sizes = [5000, 100, 3000, 7, 4000]  # blocks completing no window or a few; the rest, two batches of windows
    blocks = np.split(signal, np.cumsum(sizes))
    assert len(blocks[-1]) // 512 > defaults.BATCH
    pushed = Engine(FS, 2048, 512, ["fft", "zc"])
    expected = [readout_table(pushed.push(block)) for block in blocks]
    piped = Engine(FS, 2048, 512, ["fft", "zc"])
    assert [readout_table(readouts) for readouts in piped.push_blocks(blocks)] == expected
    counts = ("windows", "skipped_windows", "nonfinite_samples")
    assert [getattr(piped.stats, c) for c in counts] == [getattr(pushed.stats, c) for c in counts]
    assert piped.stats.skipped_windows == 4


def test_stop_ends_a_read_ahead_run_with_the_blocks_already_read_and_loses_no_window():
    """stop() from the consumer: nothing more is read, the readouts of the block read ahead still come, and the
    engine's next run goes on with the stream's next window."""
    block = 16 * 512
    engine = Engine(FS, 2048, 512, ["fft", "zc"])
    received = []
    for readout in engine.run(SynthSource(440.0, FS, realtime=False, block=block)):  # endless
        received.append(readout)
        if len(received) == 3:
            engine.stop()
    assert [r.start for r in received] == [512 * k for k in range(1 + (2 * block - 2048) // 512)]  # two blocks
    more = list(engine.run(SynthSource(440.0, FS, realtime=False, duration=0.1)))
    assert [r.start for r in more][:2] == [received[-1].start + 512, received[-1].start + 1024]


def _analyse_in(queue, samples):
    from streamfreq import analyze

    queue.put(len(analyze(samples, FS, estimators=["fft", "zc"])))


def test_a_process_forked_after_push_blocks_runs_its_own_estimator_threads():
    """push_blocks' estimator threads are the process's; a forked child has none of them and must make its own
    (with the parent's executors it would wait for ever)."""
    import multiprocessing

    samples = 0.5 * tone(FS, 440.0)
    expected = len(Engine(FS, estimators=["fft", "zc"]).push(samples))
    list(Engine(FS, estimators=["fft", "zc"]).push_blocks([samples]))  # the parent's threads exist now
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_analyse_in, args=(queue, samples))
    child.start()
    child.join(60)  # a guard against a hang, not a speed limit
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive and child.exitcode == 0
    assert queue.get(timeout=5) == expected


def test_duration_limits_a_run_by_sample_count():
    source = SynthSource(440.0, FS, realtime=False)  # endless
    readouts = list(Engine(FS, 2048, 512, ["fft"]).run(source, duration=0.5))
    assert len(readouts) == 1 + (FS // 2 - 2048) // 512


def test_live_run_follows_a_realtime_synth():
    source = SynthSource(samplerate=FS, schedule=Steps([(0, 440.0), (0.3, 880.0)]), duration=0.6, realtime=True)
    engine = Engine(FS, 2048, 512, ["fft", "zc"])
    readouts = list(engine.run(source))
    assert engine.stats.dropped_windows == 0 and engine.stats.dropped_readouts == 0
    assert len(readouts) == 1 + (int(0.6 * FS) - 2048) // 512
    assert all(not math.isnan(r.arrival) for r in readouts)
    late = [r.hz("fft") for r in readouts if r.start > 0.3 * FS]
    assert late and all(hz == pytest.approx(880.0, abs=0.01) for hz in late)


def test_engine_stop_ends_a_live_run_from_another_thread():
    engine = Engine(FS, 2048, 512, ["fft"])
    timer = threading.Timer(0.3, engine.stop)
    timer.start()
    readouts = list(engine.run(SynthSource(440.0, FS, realtime=True)))  # endless unless stopped
    timer.join()
    assert 0 < len(readouts) < 100


class FailingSource(PullSource):
    """Yields good blocks, then fails like a corrupt file would."""

    def __init__(self, realtime: bool, read_ahead: bool = False) -> None:
        self.samplerate = float(FS)
        self.realtime = realtime
        self.read_ahead = read_ahead
        self.generator = ToneGenerator(Steps([(0, 440.0)]), FS)

    def blocks(self):
        for _ in range(10):
            yield self.generator.next_block(2400)
        raise SourceError("the disk went away")


@pytest.mark.parametrize(("realtime", "read_ahead"), [(False, False), (False, True), (True, False)])
def test_a_failing_source_raises_after_everything_before_it(realtime, read_ahead):
    engine = Engine(FS, 2048, 512, ["fft"])
    received = []
    with pytest.raises(SourceError, match="the disk went away"):
        for readout in engine.run(FailingSource(realtime, read_ahead)):
            received.append(readout)
    # unpaced "live" blocks arrive faster than real time, so the worker may skip ahead: counted, not lost silently
    assert len(received) + engine.stats.dropped_windows == 1 + (24000 - 2048) // 512
    assert received[-1].start == 24000 - 2048 - (24000 - 2048) % 512


def test_samplerate_mismatch_is_a_parameter_error():
    with pytest.raises(ParameterError, match="samplerate must match the source's 44100 Hz"):
        list(Engine(48000, estimators=["fft"]).run(SynthSource(440.0, 44100, realtime=False)))


def test_unknown_estimator_is_named():
    with pytest.raises(ParameterError, match=r"estimator must be one of fft, zc, lstm \(got 'yin'\)"):
        Engine(FS, estimators=["fft", "yin"])


# -- the live session ------------------------------------------------------------------------


def drain_until_done(session, limit: float = 30.0) -> list:
    """Poll a threaded session as an app's timer would, until it has ended (bounded, not timed)."""
    readouts, polls = [], 0
    while session.running and polls < limit / 0.01:
        readouts += session.drain()
        time.sleep(0.01)
        polls += 1
    return readouts + session.drain()


def test_start_hands_over_readouts_and_their_windows_samples():
    schedule = Steps([(0, 440.0), (0.3, 880.0)])
    engine = Engine(FS, 2048, 512, ["fft"])
    session = engine.start(SynthSource(samplerate=FS, schedule=schedule, duration=0.6, realtime=True, seed=5))
    readouts = drain_until_done(session)
    session.stop()
    assert session.error is None and not session.running
    assert [r.start for r in readouts] == [512 * k for k in range(1 + (int(0.6 * FS) - 2048) // 512)]
    played = ToneGenerator(schedule, FS, amplitude=0.5, seed=5).next_block(int(0.6 * FS))
    for readout in (readouts[0], readouts[-1]):
        np.testing.assert_allclose(session.window_samples(readout.start), played[readout.start :][:2048], atol=1e-6)
    assert session.window_samples(int(0.6 * FS)) is None  # not (yet) in the ring
    assert engine.stats.windows == len(readouts) and engine.stats.dropped_windows == 0


def test_start_reports_a_failing_source_after_everything_before_it():
    engine = Engine(FS, 2048, 512, ["fft"])
    session = engine.start(FailingSource(realtime=True))
    readouts = drain_until_done(session)
    session.stop()
    assert isinstance(session.error, SourceError) and "the disk went away" in str(session.error)
    assert len(readouts) + engine.stats.dropped_windows == 1 + (24000 - 2048) // 512


def test_start_needs_a_realtime_source():
    with pytest.raises(ParameterError, match=r"start needs a real-time source .*Engine\.run"):
        Engine(FS, estimators=["fft"]).start(SynthSource(440.0, FS, realtime=False))


def test_one_live_session_at_a_time():
    """A second start() while the first session runs is refused (they would share the engine's stats and
    estimators, and stop() would reach only the second); after stop() the engine starts again."""
    engine = Engine(FS, 2048, 512, ["fft"])
    first = engine.start(SynthSource(samplerate=FS, realtime=True))
    try:
        with pytest.raises(ParameterError, match=r"already runs a live session; stop\(\) it first"):
            engine.start(SynthSource(samplerate=FS, realtime=True))
        assert first.running
    finally:
        engine.stop()
    second = engine.start(SynthSource(samplerate=FS, duration=0.1, realtime=True))
    drain_until_done(second)
    second.stop()
    assert second.error is None


def test_an_estimator_switched_off_is_left_out_of_the_readouts():
    from streamfreq.track import Track

    engine = Engine(FS, 2048, 2048, ["fft", "zc"])
    tone = ToneGenerator(Steps([(0, 440.0)]), FS).next_block(8192)
    engine.set_enabled("zc", False)
    off = engine.push(tone[:4096])
    assert [sorted(r.estimates) for r in off] == [["fft"], ["fft"]]
    engine.set_enabled("zc", True)
    assert [sorted(r.estimates) for r in engine.push(tone[4096:])] == [["fft", "zc"], ["fft", "zc"]]
    with pytest.raises(ParameterError, match=r"no estimate of 'zc' \(switched off"):  # not a KeyError
        Track.from_readouts(off, engine.names, FS, 2048, 2048)
    assert list(Track.from_readouts(off, ["fft"], FS, 2048, 2048).f0) == ["fft"]
    with pytest.raises(ParameterError, match=r"estimator must be one of fft, zc \(got 'lstm'\)"):
        engine.set_enabled("lstm", False)


class Recorder:
    """An estimator that notes the BLAS thread limit it runs under and how many windows it saw."""

    name = "fft"

    def __init__(self) -> None:
        self.blas_threads: list[int] = []
        self.windows = 0

    def estimate_many(self, frames, samplerate):
        from threadpoolctl import threadpool_info

        self.blas_threads += [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
        self.windows += len(frames)
        return FFTEstimator().estimate_many(frames, samplerate)


class BatchShapes:
    """An estimator that notes the shape of every batch it is given and reads nothing."""

    name = "fft"

    def __init__(self) -> None:
        self.shapes: list[tuple[int, int]] = []

    def estimate_many(self, frames, samplerate):
        self.shapes.append(frames.shape)
        return [Estimate(math.nan, 0.0, NO_TONE)] * len(frames)


def test_long_windows_are_estimated_in_batches_of_at_most_batch_samples_and_none_is_lost():
    """A batch of 512 windows of 2**20 samples (the longest window) held 4 GB a float64 copy: long windows go in
    batches of fewer, ``defaults.BATCH_SAMPLES`` samples together at most, read ahead or not, each window once."""
    window, hop = 1 << 17, 256
    assert defaults.batch_for(window) == defaults.BATCH_SAMPLES // window < defaults.BATCH
    signal = tone(window + 200 * hop, 3000.0).astype(np.float32)
    pushed, piped = BatchShapes(), BatchShapes()
    starts = [r.start for r in Engine(FS, window, hop, [pushed]).push(signal)]
    blocks = np.array_split(signal, 3)
    piped_starts = [r.start for readouts in Engine(FS, window, hop, [piped]).push_blocks(blocks) for r in readouts]
    assert starts == piped_starts == [hop * k for k in range(201)]
    for shapes in (pushed.shapes, piped.shapes):
        assert {n for _, n in shapes} == {window}
        assert max(count for count, _ in shapes) * window <= defaults.BATCH_SAMPLES
        assert sum(count for count, _ in shapes) == 201


def test_blas_runs_on_one_thread_while_estimating_and_is_restored_after():
    from threadpoolctl import threadpool_info

    before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    recorder = Recorder()
    engine = Engine(FS, 2048, 512, [recorder])
    engine.push(ToneGenerator(Steps([(0, 440.0)]), FS).next_block(4096))
    assert recorder.blas_threads and set(recorder.blas_threads) == {1}
    assert [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"] == before


def test_a_live_run_warms_the_estimators_up_before_the_stream_and_does_not_count_it():
    recorder = Recorder()
    engine = Engine(FS, 2048, 512, [recorder])
    readouts = list(engine.run(SynthSource(440.0, FS, duration=0.2, realtime=True)))
    assert recorder.windows == 1 + 8 + len(readouts)  # one window, then a batch of eight, before the stream
    assert engine.stats.windows == len(readouts)


@pytest.mark.parametrize(
    ("samplerate", "window"), [(8000, 512), (16000, 1024), (22050, 1024), (44100, 2048), (48000, 2048), (96000, 4096)]
)
def test_the_default_window_spans_the_same_time_at_every_samplerate(samplerate, window):
    engine = Engine(samplerate, estimators=["zc"])
    # the shortest power of two at least as long as 2048 samples at 48 kHz, so the lowest f0 is never above 46.9 Hz
    assert engine.window == window and engine.hop == window // 4
    assert 2048 / 48000 <= window / samplerate < 2 * 2048 / 48000
    assert engine.fmin <= 2 * 48000 / 2048
    assert Engine(samplerate, estimators=["zc"], fmin=30.0).window >= 2 * samplerate / 30.0


def test_release_stops_estimating_at_once_and_the_next_session_opens_its_source_after_the_last_closed():
    """release() returns with the estimating thread ended while the source is still closing on the thread it
    returns; a session started with ``after=`` that thread opens its own source only once the first has closed."""
    log: list[str] = []
    first_closes = threading.Event()
    first = Engine(FS, 2048, 512, ["fft"]).start(SlowToClose("first", log, first_closes))
    assert first_readouts(first)
    releasing = first.release()
    assert not any(t.is_alive() for t in first._threads if t.name == "streamfreq-worker")
    assert releasing.is_alive() and log == ["first opens"]  # the source is still closing
    second_closes = threading.Event()
    second = Engine(FS, 2048, 512, ["fft"]).start(SlowToClose("second", log, second_closes), after=releasing)
    time.sleep(0.05)
    assert log == ["first opens"] and not second.drain()  # waits for the first source
    first_closes.set()
    releasing.join(10)
    assert first_readouts(second) and log == ["first opens", "first closed", "second opens"]
    second_closes.set()
    second.stop()
    assert log[-1] == "second closed" and first.error is None and second.error is None
