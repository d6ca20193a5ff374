"""Raw PCM from a pipe (standard input by default).

``sox -n -r 48000 -b 16 -c 1 -e signed -t raw - synth 5 sine 1000 |
streamfreq --source stdin --samplerate 48000 --pcm s16le`` reads 1000 Hz.

Example
-------
>>> import io, numpy as np
>>> pcm = np.array([0, 16384, -16384, 0], dtype="<i2").tobytes()
>>> source = StdinSource(io.BytesIO(pcm), samplerate=8000, pcm="s16le")
>>> [b.tolist() for b in source.blocks()]
[[0.0, 0.5, -0.5, 0.0]]
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from streamfreq.errors import ParameterError, SourceError, check_range
from streamfreq.sources.base import PullSource, to_mono_float32

#: Supported raw sample formats and their numpy dtypes.
PCM_FORMATS = {"s16le": "<i2", "s32le": "<i4", "f32le": "<f4", "u8": "u1"}


class StdinSource(PullSource):
    """Interleaved raw PCM read from a binary stream.

    Parameters
    ----------
    stream
        Binary stream to read (default ``sys.stdin.buffer``).
    samplerate
        Samples per second (raw PCM carries no header, so it must be given).
    pcm
        Sample format: one of ``s16le``, ``s32le``, ``f32le``, ``u8``.
    channels
        Interleaved channels in the stream.
    channel
        Channel to analyse; None mixes down to mono.
    block
        Frames per read.
    """

    def __init__(
        self,
        stream: BinaryIO | None = None,
        *,
        samplerate: float,
        pcm: str = "s16le",
        channels: int = 1,
        channel: int | None = None,
        block: int = 4096,
    ) -> None:
        if pcm not in PCM_FORMATS:
            raise ParameterError(f"pcm must be one of {', '.join(PCM_FORMATS)} (got {pcm!r})")
        check_range("samplerate", samplerate, 1000, 768000)
        check_range("channels", channels, 1, 64)
        if channel is not None:
            check_range("channel", channel, 0, channels - 1)
        check_range("block", block, 1, 1 << 24)
        if stream is None:
            stream = _standard_input()
        self.stream = stream
        self.samplerate = float(samplerate)
        self.dtype = np.dtype(PCM_FORMATS[pcm])
        self.channels = int(channels)
        self.channel = channel
        self.block = int(block)
        self.realtime = False
        #: Problems worth telling the user that do not stop the analysis (an incomplete last frame).
        self.warnings: list[str] = []

    def blocks(self) -> Iterator[np.ndarray]:
        frame_bytes = self.dtype.itemsize * self.channels
        leftover = b""
        read = getattr(self.stream, "read1", self.stream.read)  # read1: whatever has arrived, no waiting
        while True:
            try:
                chunk = read(self.block * frame_bytes)
            except OSError as error:
                raise SourceError(f"reading the PCM stream failed: {error}") from None
            if not chunk:
                if leftover:
                    self.warnings.append(
                        f"the PCM stream ended inside a frame: {len(leftover)} trailing byte(s) ignored "
                        f"(frames are {frame_bytes} bytes: {self.channels} channel(s) of {self.dtype.itemsize})"
                    )
                return
            data = leftover + chunk
            usable = len(data) - len(data) % frame_bytes
            leftover = data[usable:]
            if usable:
                frames = np.frombuffer(data[:usable], dtype=self.dtype).reshape(-1, self.channels)
                yield to_mono_float32(frames, self.channel)


def _standard_input() -> BinaryIO:
    """``sys.stdin.buffer``, or a :class:`SourceError` when there is no pipe to read (closed, or a terminal)."""
    stdin = sys.stdin
    if stdin is None or getattr(stdin, "closed", False):
        raise SourceError("standard input is closed; pipe raw PCM into streamfreq --source stdin")
    if stdin.isatty():
        raise SourceError(
            "standard input is a terminal; pipe raw PCM into it, e.g. "
            "sox -n -r 48000 -b 16 -c 1 -e signed -t raw - synth 5 sine 1000 | "
            "streamfreq --source stdin --samplerate 48000 --pcm s16le"
        )
    return stdin.buffer
