"""Audio files (WAV, FLAC, OGG, MP3, ... anything libsndfile reads), streamed in blocks.

libsndfile 1.2.2 (the soundfile wheels' own) decodes an MP3 right only in one read from its start: every read
after the first returns garbled samples (a 40 kbit/s voice decoded in blocks of 480 frames came out at 0 dB
SNR against the source, in blocks of 64k at 15 dB, in one read at 17 dB). So an MP3 is decoded whole, up to
:data:`MP3_MAX_SAMPLES`, and its blocks are cut from memory.

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
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from streamfreq import defaults
from streamfreq.errors import SourceError, check_range, missing_extra
from streamfreq.sources.base import PullSource, to_mono_float32

#: Samplerates a file may have (the engine's range).
MIN_SAMPLERATE, MAX_SAMPLERATE = 1000, 768000
#: Frames per read once a block failed to decode (salvaging what precedes the damage).
SALVAGE_BLOCK = 4096
#: Most samples (frames x channels) of an MP3 decoded whole (512 MB as float32: 23 min of 48 kHz stereo).
MP3_MAX_SAMPLES = 1 << 27
#: What to do with a longer one.
MP3_ADVICE = "convert it to FLAC or WAV first (e.g. ffmpeg -i in.mp3 out.flac)"
#: A URL's start (``https://``, ``s3://``): streamfreq reads local files and pipes, not URLs.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_SAMPLE_BYTES = {"PCM_U8": 1, "PCM_S8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}


def url_advice(text: str) -> str | None:
    """What to do instead where ``text``, given as a file, is a URL (and no local path), else None.

    Example
    -------
    >>> url_advice("https://example.com/a.wav")
    "'https://example.com/a.wav' is a URL; streamfreq reads local files: download it first (e.g. curl -O URL)"
    >>> url_advice("a.wav") is None
    True
    """
    if _URL.match(text) is None or os.path.exists(text):
        return None
    return f"{text!r} is a URL; streamfreq reads local files: download it first (e.g. curl -O URL)"


class FileSource(PullSource):
    """Read an audio file block by block (a one-hour WAV or FLAC is never loaded whole; an MP3 is decoded whole).

    Parameters
    ----------
    path
        The file.
    channel
        0-based channel to analyse; None mixes all channels down to mono.
    realtime
        Pace blocks by the wall clock (playback speed) instead of reading as fast as possible.
    block
        Frames per block (default: 10 ms in real time, :data:`~streamfreq.defaults.BLOCK` otherwise).

    Raises
    ------
    SourceError
        The file is missing, empty, unreadable, not audio, at a samplerate
        outside 1000..768000 Hz, or an MP3 of more than :data:`MP3_MAX_SAMPLES`.
        A truncated WAV is read up to where it ends (see ``warnings``); a block
        that fails to decode ends :meth:`blocks` with this error after every
        readable frame before it.
    ParameterError
        ``channel`` does not exist in the file.
    """

    read_ahead = True  # (a block never waits for audio to arrive)

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        channel: int | None = None,
        realtime: bool = False,
        block: int | None = None,
    ) -> None:
        try:
            import soundfile  # noqa: F401  (fail early, with the install hint)
        except ImportError:
            raise missing_extra("soundfile", "audio") from None
        advice = url_advice(os.fspath(path))
        if advice:
            raise SourceError(advice)
        self.path = Path(path)
        name = repr(str(self.path))
        if self.path.is_dir():
            raise SourceError(f"cannot read {name}: it is a directory, not an audio file")
        if not self.path.is_file():
            raise SourceError(f"cannot open {name}: no such file")
        if self.path.stat().st_size == 0:
            raise SourceError(f"cannot read {name}: the file is empty")
        self._file = self._open()
        if self._file.frames == 0:
            self._file.close()
            raise SourceError(f"{name} contains no readable audio samples (empty, truncated or corrupt)")
        if not MIN_SAMPLERATE <= self._file.samplerate <= MAX_SAMPLERATE:
            rate = self._file.samplerate
            self._file.close()
            raise SourceError(
                f"{name} is sampled at {rate} Hz; streamfreq supports {MIN_SAMPLERATE}..{MAX_SAMPLERATE} Hz"
            )
        self.channels = self._file.channels
        self.whole = self._file.format == "MP3"  # decoded in one read (see the module docstring)
        if self.whole and self._file.frames * self.channels > MP3_MAX_SAMPLES:
            minutes = self._file.frames / self._file.samplerate / 60.0
            self._file.close()
            raise SourceError(
                f"{name} is an MP3 of {minutes:.0f} min; libsndfile decodes MP3 right only in one piece, and "
                f"streamfreq decodes at most {MP3_MAX_SAMPLES // (1 << 20)} M samples so: {MP3_ADVICE}"
            )
        if channel is not None:
            check_range("channel", channel, 0, self.channels - 1)
        self.channel = channel
        self.samplerate = float(self._file.samplerate)
        self.frames = self._file.frames
        self.realtime = bool(realtime)
        self.block = int(block or (round(self.samplerate / 100) if realtime else defaults.BLOCK))
        #: Problems worth telling the user that do not stop the analysis (e.g. a truncated file).
        self.warnings: list[str] = []
        promised = _promised_frames(self._file)
        if promised is not None and promised > self.frames:
            self.warnings.append(
                f"{name} is truncated: its header promises {promised} frames, the file holds {self.frames}; "
                "analysing those"
            )

    def _open(self):
        import soundfile

        try:
            return soundfile.SoundFile(str(self.path))
        except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
            raise SourceError(f"cannot read {str(self.path)!r} as audio ({_reason(error)})") from None

    def blocks(self) -> Iterator[np.ndarray]:
        """Yield mono float32 blocks; a decoding error ends the stream with :class:`SourceError`.

        When a block fails to decode (a truncated or damaged FLAC/OGG), the
        file is reopened and read in small blocks from the same frame, so every
        frame before the damage is still yielded before the error is raised.
        """
        import soundfile

        started = time.monotonic()
        done = 0
        size = self.block
        reason = ""
        decoded = None
        while True:
            try:
                if self.whole:
                    if decoded is None:
                        decoded = self._file.read(dtype="float32", always_2d=True)
                    data = decoded[done : done + size]
                else:
                    data = self._file.read(size, dtype="float32", always_2d=True)
            except (soundfile.LibsndfileError, RuntimeError) as error:
                reason = reason or _reason(error)
                if size > SALVAGE_BLOCK and not self.whole and self._reopen_at(done):
                    size = SALVAGE_BLOCK  # read what is still readable, in small steps
                    continue
                raise SourceError(
                    f"{str(self.path)!r} is corrupt or truncated after {done} frames ({reason})"
                ) from None
            if len(data) == 0:
                return
            done += len(data)
            if self.realtime:
                delay = started + done / self.samplerate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            yield to_mono_float32(data, self.channel)

    def _reopen_at(self, frame: int) -> bool:
        """Open the file again at ``frame``; False where the decoder cannot get there (damage before it)."""
        import soundfile

        self._file.close()
        try:
            self._file = self._open()
            self._file.seek(frame)
        except (SourceError, soundfile.LibsndfileError, RuntimeError):
            return False
        return True

    def close(self) -> None:
        self._file.close()


def _promised_frames(file) -> int | None:
    """Frames a WAV header promises (libsndfile notes ``data : N (should be M)`` when the file is shorter)."""
    match = re.search(r"^data\s*:\s*(\d+)\s*\(should be \d+\)", file.extra_info, re.MULTILINE)
    frame_bytes = file.channels * _SAMPLE_BYTES.get(file.subtype, 0)
    if match is None or frame_bytes == 0:
        return None
    return int(match.group(1)) // frame_bytes


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
    return text.split(": ", 1)[-1] if "Error opening" in text else text
