"""A preallocated single-writer ring buffer with contiguous reads and absolute sample offsets.

The writer (an audio callback or a source thread) never allocates, never
locks and never waits: when the reader falls behind, the oldest samples are
overwritten, and a read that asks for them reports how many were lost.

Storage is written twice (at ``i`` and ``i + capacity``), so any span of up
to ``capacity`` samples is one contiguous slice: readers get a plain copy
with no wrap-around logic. Each reader keeps its own position as an absolute
sample index counted from the start of the stream.

Example
-------
>>> import numpy as np
>>> ring = RingBuffer(8)
>>> ring.write(np.arange(10, dtype=np.float32))
>>> ring.written
10
>>> ring.read(6, 4).tolist()
[6.0, 7.0, 8.0, 9.0]
>>> ring.read(0, 4) is None, ring.overrun_samples
(True, 2)
"""

from __future__ import annotations

import time

import numpy as np

from streamfreq.errors import check_range

_ARRIVAL_SLOTS = 256


class RingBuffer:
    """Single-producer, single-consumer float32 ring.

    Parameters
    ----------
    capacity
        How many of the newest samples stay readable.

    Notes
    -----
    Thread safety without locks: the writer copies data in, then publishes
    the new ``written`` count (an int assignment, atomic in CPython). Storage
    holds ``capacity + guard`` samples; the writer writes in chunks of at most
    ``guard`` samples, so the one unpublished chunk in flight can only touch
    the guard zone, never a readable sample. A reader copies a span, then
    re-checks ``written``; if published writes lapped the span during the copy
    the read is discarded and counted as an overrun, so a torn window is never
    returned.
    """

    def __init__(self, capacity: int) -> None:
        check_range("capacity", capacity, 1, 1 << 28)
        self.capacity = int(capacity)
        self.guard = max(1, self.capacity // 2)
        self._size = self.capacity + self.guard
        self._storage = np.zeros(2 * self._size, dtype=np.float32)
        self._written = 0
        self.overrun_samples = 0
        self.overrun_events = 0
        # When each recent write ended (absolute end offset, monotonic time), for latency.
        self._arrival_end = np.zeros(_ARRIVAL_SLOTS, dtype=np.int64)
        self._arrival_time = np.zeros(_ARRIVAL_SLOTS, dtype=np.float64)
        self._arrival_count = 0

    @property
    def written(self) -> int:
        """Total samples written since the start (the absolute index one past the newest)."""
        return self._written

    @property
    def oldest(self) -> int:
        """Absolute index of the oldest sample still readable."""
        return max(0, self._written - self.capacity)

    def write(self, block: np.ndarray) -> None:
        """Append ``block`` (1-D float32). Never allocates a buffer, never blocks.

        Samples the reader has not read by the time they are overwritten are
        lost; the reader learns of it when it asks for them.
        """
        for offset in range(0, block.shape[0], self.guard):
            self._write_chunk(block[offset : offset + self.guard])
        slot = self._arrival_count % _ARRIVAL_SLOTS
        self._arrival_end[slot] = self._written
        self._arrival_time[slot] = time.monotonic()
        self._arrival_count += 1

    def _write_chunk(self, chunk: np.ndarray) -> None:
        n = chunk.shape[0]
        size = self._size
        first = self._written % size
        tail = min(n, size - first)
        storage = self._storage
        storage[first : first + tail] = chunk[:tail]
        storage[first + size : first + size + tail] = chunk[:tail]
        if tail < n:
            storage[: n - tail] = chunk[tail:]
            storage[size : size + n - tail] = chunk[tail:]
        self._written += n  # publish only after the data is in place

    def read(self, start: int, length: int) -> np.ndarray | None:
        """Copy of samples ``start .. start+length-1``, or None if any were overwritten.

        Samples not yet written are an error of the caller (check ``written``).
        A read of lost samples adds to ``overrun_samples`` and returns None.
        """
        if start + length > self._written:
            raise IndexError(f"samples up to {start + length} requested, only {self._written} written")
        if length > self.capacity:
            raise IndexError(f"length {length} exceeds the ring capacity {self.capacity}")
        if start < self._written - self.capacity:
            self._count_lost(min(length, self._written - self.capacity - start))
            return None
        first = start % self._size
        out = self._storage[first : first + length].copy()
        oldest_now = self._written - self.capacity  # re-check after copying: did the writer lap us?
        if start < oldest_now:
            self._count_lost(min(length, oldest_now - start))
            return None
        return out

    def _count_lost(self, samples: int) -> None:
        self.overrun_samples += samples
        self.overrun_events += 1

    def arrival_time(self, end: int) -> float:
        """Monotonic time when sample ``end - 1`` was written (nan if too old to know)."""
        count = self._arrival_count
        for back in range(min(count, _ARRIVAL_SLOTS)):
            slot = (count - 1 - back) % _ARRIVAL_SLOTS
            previous = (count - 2 - back) % _ARRIVAL_SLOTS
            if self._arrival_end[slot] >= end and (
                back == min(count, _ARRIVAL_SLOTS) - 1 or self._arrival_end[previous] < end
            ):
                return float(self._arrival_time[slot])
        return float("nan")
