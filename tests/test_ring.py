"""RingBuffer: wrap-around, overrun accounting, and a real producer thread against a consumer."""

import threading

import numpy as np
import pytest

from streamfreq.ring import RingBuffer


def ramp(start: int, n: int) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.float32)


def test_reads_are_contiguous_across_the_wrap():
    ring = RingBuffer(100)
    position = 0
    for size in (37, 64, 99, 1, 70, 100):
        ring.write(ramp(position, size))
        position += size
    span = ring.read(position - 100, 100)
    np.testing.assert_array_equal(span, ramp(position - 100, 100))
    assert ring.overrun_samples == 0


def test_block_longer_than_capacity_keeps_the_newest():
    ring = RingBuffer(64)
    ring.write(ramp(0, 1000))
    assert ring.written == 1000
    np.testing.assert_array_equal(ring.read(1000 - 64, 64), ramp(936, 64))


def test_reading_overwritten_samples_counts_the_loss():
    ring = RingBuffer(50)
    ring.write(ramp(0, 120))
    assert ring.read(60, 20) is None  # oldest readable is 70: samples 60..69 are gone
    assert ring.overrun_samples == 10
    assert ring.overrun_events == 1
    np.testing.assert_array_equal(ring.read(70, 50), ramp(70, 50))


def test_reading_the_future_is_a_caller_error():
    ring = RingBuffer(10)
    ring.write(ramp(0, 5))
    with pytest.raises(IndexError, match="only 5 written"):
        ring.read(0, 6)


def test_arrival_time_tracks_the_write_holding_a_sample():
    ring = RingBuffer(1000)
    ring.write(ramp(0, 100))
    first = ring.arrival_time(100)
    ring.write(ramp(100, 100))
    second = ring.arrival_time(150)
    assert first <= second
    assert ring.arrival_time(50) == first


def test_producer_thread_and_consumer_see_exact_continuity():
    """A writer thread streams a ramp in odd-sized blocks; every sample read is the right one."""
    ring = RingBuffer(4096)
    total = 400_000
    rng = np.random.default_rng(7)
    sizes = rng.integers(1, 700, size=2000)
    done = threading.Event()

    def produce() -> None:
        position = 0
        for size in sizes:
            size = int(min(size, total - position))
            if size <= 0:
                break
            ring.write(ramp(position, size) % 65536)
            position += size
        done.set()

    thread = threading.Thread(target=produce)
    thread.start()
    read_to = checked = skipped = refused = 0
    while not (done.is_set() and read_to >= ring.written):
        available = ring.written
        length = min(available - read_to, 1000)
        if length <= 0:
            continue
        span = ring.read(read_to, length)
        if span is None:  # lapped: the read is refused (never torn) and counted; jump to the oldest
            refused += 1
            jump = max(ring.oldest, read_to + 1)
            skipped += jump - read_to
            read_to = jump
            continue
        np.testing.assert_array_equal(span, ramp(read_to, length) % 65536)
        checked += length
        read_to += length
    thread.join()
    assert ring.written == min(total, int(sizes.sum()))
    assert checked + skipped == ring.written
    assert ring.overrun_events == refused
    assert checked > 0
