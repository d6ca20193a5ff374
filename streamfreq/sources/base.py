"""The source contract and the one place where audio becomes mono float32.

A source has a ``samplerate``, says whether it is ``realtime`` (paced by a
clock: the engine then runs it on its own thread through a ring buffer) and
yields mono float32 blocks from ``blocks()``. A source that is not real time may
say ``read_ahead`` (reading a block never waits for audio to arrive: a file, the
synthetic source): the engine then reads and estimates the next block while the
readouts of this one are taken (:meth:`~streamfreq.engine.Engine.push_blocks`);
otherwise (a pipe) it hands over each block's readouts before reading on. Live sources that push samples
from a callback implement ``feed(write, stop)`` instead; pull sources get
``feed`` from :class:`PullSource`.

Example
-------
>>> import numpy as np
>>> to_mono_float32(np.array([[32767, -32768], [0, 0]], dtype=np.int16)).tolist()
[-1.52587890625e-05, 0.0]
>>> to_mono_float32(np.array([[0.5, 0.1], [0.2, 0.3]]), channel=1).tolist()
[0.10000000149011612, 0.30000001192092896]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

import numpy as np

from streamfreq.errors import ParameterError


@runtime_checkable
class Source(Protocol):
    """What the engine needs from a source."""

    samplerate: float
    realtime: bool

    def feed(self, write: Callable[[np.ndarray], None], stop: threading.Event) -> None:
        """Call ``write(block)`` with each mono float32 block until exhausted or ``stop`` is set."""
        ...

    def close(self) -> None:
        """Release the device, file or pipe."""
        ...


class PullSource:
    """Base of sources that produce blocks on demand (synth, file, stdin).

    Subclasses implement :meth:`blocks`; :meth:`feed` and the context-manager
    protocol come from here.
    """

    samplerate: float
    realtime: bool = False
    #: Reading a block never waits for audio to arrive (a file, the synthetic source; not a pipe).
    read_ahead: bool = False

    def blocks(self) -> Iterator[np.ndarray]:
        """Yield mono float32 blocks until the source is exhausted."""
        raise NotImplementedError

    def feed(self, write: Callable[[np.ndarray], None], stop: threading.Event) -> None:
        """Pass every block to ``write`` until exhausted or ``stop`` is set."""
        for block in self.blocks():
            if stop.is_set():
                return
            write(block)

    def close(self) -> None:
        """Release what the source holds (nothing by default)."""

    def __enter__(self) -> PullSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def to_mono_float32(block: np.ndarray, channel: int | None = None) -> np.ndarray:
    """Convert a block of samples to mono float32 in [-1, 1] (for integer input).

    Parameters
    ----------
    block
        Shape ``(frames,)`` or ``(frames, channels)``; float or integer dtype.
        Integers are scaled by their type's full scale (int16: 1/32768).
    channel
        Pick this channel (0-based); ``None`` averages all channels.
    """
    block = np.asarray(block)
    if block.ndim == 1:
        if channel not in (None, 0):
            raise ParameterError(f"channel must be in 0..0 for mono input (got {channel})")
        mono = block
    elif block.ndim == 2:
        channels = block.shape[1]
        if channel is not None:
            if not 0 <= channel < channels:
                raise ParameterError(f"channel must be in 0..{channels - 1} (got {channel})")
            mono = block[:, channel]
        elif channels == 1:
            mono = block[:, 0]
        else:
            mono = block.mean(axis=1, dtype=np.float64)
    else:
        raise ParameterError(f"block must have shape (frames,) or (frames, channels) (got {block.shape})")
    if block.dtype.kind in "iu":
        info = np.iinfo(block.dtype)
        full_scale = float(-int(info.min)) if info.min < 0 else (info.max + 1) / 2.0
        offset = 0.0 if info.min < 0 else full_scale
        return ((np.asarray(mono, dtype=np.float64) - offset) / full_scale).astype(np.float32)
    if block.dtype.kind != "f":
        raise ParameterError(f"samples must be integer or float (got dtype {block.dtype})")
    if mono.dtype == np.float32:
        return np.asarray(mono)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float32 becomes inf: counted, not warned
        return mono.astype(np.float32)
