"""Audio files (WAV, FLAC, OGG, ... anything libsndfile reads), streamed in blocks.

Example
-------
>>> import numpy as np, soundfile, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "a.wav")
>>> soundfile.write(path, np.zeros((1000, 2), dtype=np.int16), 8000)
>>> with FileSource(path) as source:
...     source.samplerate, source.channels, sum(len(b) for b in source.blocks())
(8000.0, 2, 1000)
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from streamfreq.errors import SourceError, check_range, missing_extra
from streamfreq.sources.base import PullSource, to_mono_float32


class FileSource(PullSource):
    """Read an audio file block by block (a one-hour file is never loaded whole).

    Parameters
    ----------
    path
        The file.
    channel
        0-based channel to analyse; None mixes all channels down to mono.
    realtime
        Pace blocks by the wall clock (playback speed) instead of reading as fast as possible.
    block
        Frames per block (default: 10 ms in real time, 64k otherwise).

    Raises
    ------
    SourceError
        The file is missing, empty, unreadable or not audio.
    ParameterError
        ``channel`` does not exist in the file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        channel: int | None = None,
        realtime: bool = False,
        block: int | None = None,
    ) -> None:
        try:
            import soundfile
        except ImportError:
            raise missing_extra("soundfile", "audio") from None
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"cannot open {str(self.path)!r}: no such file")
        if self.path.stat().st_size == 0:
            raise SourceError(f"cannot read {str(self.path)!r}: the file is empty")
        try:
            self._file = soundfile.SoundFile(str(self.path))
        except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
            raise SourceError(f"cannot read {str(self.path)!r} as audio ({_reason(error)})") from None
        if self._file.frames == 0:
            self._file.close()
            raise SourceError(f"{str(self.path)!r} contains no audio samples")
        self.channels = self._file.channels
        if channel is not None:
            check_range("channel", channel, 0, self.channels - 1)
        self.channel = channel
        self.samplerate = float(self._file.samplerate)
        self.frames = self._file.frames
        self.realtime = bool(realtime)
        self.block = int(block or (round(self.samplerate / 100) if realtime else 65536))

    def blocks(self) -> Iterator[np.ndarray]:
        import soundfile

        started = time.monotonic()
        done = 0
        while True:
            try:
                data = self._file.read(self.block, dtype="float32", always_2d=True)
            except (soundfile.LibsndfileError, RuntimeError) as error:
                raise SourceError(f"{str(self.path)!r} is corrupt after {done} frames ({_reason(error)})") from None
            if len(data) == 0:
                return
            done += len(data)
            if self.realtime:
                delay = started + done / self.samplerate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield to_mono_float32(data, self.channel)

    def close(self) -> None:
        self._file.close()


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
    return text.split(": ", 1)[-1] if "Error opening" in text else text
