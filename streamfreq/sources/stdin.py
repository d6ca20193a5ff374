"""Audio from a pipe (standard input by default): WAV, FLAC, Ogg and MP3 streams, or raw PCM.

:func:`open_stdin` looks at the first bytes: a WAV (``RIFF``/``RF64`` ...
``WAVE``), FLAC (``fLaC``), Ogg (``OggS``) or MP3 (``ID3``, or an MPEG Layer
III frame header when no raw samplerate is given) stream is decoded with
soundfile, samplerate and channels from its header
(``streamfreq --source stdin < tone.wav``); anything else is raw PCM, whose
samplerate and layout must be given
(``sox -n -r 48000 -b 16 -c 1 -e signed -t raw - synth 5 sine 1000 |
streamfreq --source stdin --samplerate 48000 --pcm s16le``).

libsndfile must seek in an encoded stream, so one that arrives through a pipe
(not a file redirected with ``<``) is read to its end before the analysis
starts; raw PCM is analysed as it arrives.

Example
-------
>>> import io, numpy as np
>>> pcm = np.array([0, 16384, -16384, 0], dtype="<i2").tobytes()
>>> source = open_stdin(io.BytesIO(pcm), samplerate=8000, pcm="s16le")
>>> [b.tolist() for b in source.blocks()]
[[0.0, 0.5, -0.5, 0.0]]
>>> container(b"RIFF" + bytes(4) + b"WAVEfmt "), container(b"fLaC" + bytes(8)), container(pcm)
('WAV', 'FLAC', None)
>>> container(bytes([0xFF, 0xFB, 0x90, 0x64])), container(bytes([0xFF, 0xFB, 0x90, 0x64]), raw_layout_given=True)
('MP3', None)
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from streamfreq.errors import ParameterError, SourceError, check_range, missing_extra
from streamfreq.sources.base import PullSource, to_mono_float32
from streamfreq.sources.file import MP3_ADVICE, MP3_MAX_SAMPLES

#: Bytes looked at to recognise an encoded stream.
HEAD = 12

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
        self.head = b""  # bytes already read from the stream (by open_stdin), analysed first
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
        chunk = self.head
        read = getattr(self.stream, "read1", self.stream.read)  # read1: whatever has arrived, no waiting
        while True:
            if not chunk:
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
            data, chunk = leftover + chunk, b""
            usable = len(data) - len(data) % frame_bytes
            leftover = data[usable:]
            if usable:
                frames = np.frombuffer(data[:usable], dtype=self.dtype).reshape(-1, self.channels)
                yield to_mono_float32(frames, self.channel)


def container(head: bytes, raw_layout_given: bool = False) -> str | None:
    """The encoded format whose signature ``head`` (a stream's first bytes) starts with: WAV, FLAC, Ogg, MP3 or None.

    An MP3 stream starts with an ID3 tag or straight with an MPEG Layer III frame
    header. The bare frame header (11 sync bits, layer III, a valid bitrate and
    samplerate) could also be the first two samples of raw PCM, so it counts only
    when no raw layout was given (``raw_layout_given`` False).
    """
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "WAV"
    if head[:3] == b"ID3" or (not raw_layout_given and _mpeg_layer3_frame(head)):
        return "MP3"
    return {b"fLaC": "FLAC", b"OggS": "Ogg"}.get(head[:4])


def _mpeg_layer3_frame(head: bytes) -> bool:
    """Whether ``head`` starts with an MPEG-1/2/2.5 Layer III frame header (frame sync, valid bitrate and rate)."""
    if len(head) < 4 or head[0] != 0xFF:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return head[1] >> 5 == 0b111 and version != 0b01 and layer == 0b01 and bitrate not in (0, 15) and rate != 3


def open_stdin(
    stream: BinaryIO | None = None,
    *,
    samplerate: float | None = None,
    pcm: str = "s16le",
    channels: int = 1,
    channel: int | None = None,
) -> PullSource:
    """The source for a binary stream (default standard input): decoded WAV/FLAC/Ogg/MP3, else raw PCM.

    ``samplerate``, ``pcm`` and ``channels`` describe raw PCM; an encoded
    stream brings its own. ``channel`` picks a channel (None mixes down).

    Raises
    ------
    ParameterError
        Raw PCM without a samplerate, or a bad layout.
    SourceError
        Standard input is closed or a terminal, or the encoded stream cannot be decoded.
    """
    if stream is None:
        stream = _standard_input()
    head = b""
    while len(head) < HEAD:
        try:
            chunk = stream.read(HEAD - len(head))
        except OSError as error:
            raise SourceError(f"reading the input stream failed: {error}") from None
        if not chunk:
            break
        head += chunk
    kind = container(head, raw_layout_given=samplerate is not None)
    if kind is not None:
        source = EncodedStream(stream, head, kind, channel=channel)
        layout = {"--samplerate": samplerate is not None, "--pcm": pcm != "s16le", "--channels": channels != 1}
        given = [option for option, set_by_user in layout.items() if set_by_user]
        if given:  # raw PCM's layout: an encoded stream brings its own
            source.warnings.append(
                f"the {kind} stream brings its own samplerate ({source.samplerate:g} Hz) and layout; "
                f"{', '.join(given)} describe raw PCM only and are ignored"
            )
        return source
    if samplerate is None:
        raise ParameterError(
            "samplerate is required for raw PCM on standard input, e.g. --samplerate 48000 "
            "(WAV, FLAC, Ogg and MP3 streams carry their own)"
        )
    source = StdinSource(stream, samplerate=samplerate, pcm=pcm, channels=channels, channel=channel)
    source.head = head
    return source


class EncodedStream(PullSource):
    """A WAV, FLAC, Ogg or MP3 stream decoded with soundfile (made by :func:`open_stdin`).

    Parameters
    ----------
    stream
        The binary stream, of which ``head`` has been read already.
    head
        Its first bytes.
    kind
        ``"WAV"``, ``"FLAC"``, ``"Ogg"`` or ``"MP3"`` (for messages).
    channel
        Channel to analyse; None mixes down to mono.
    block
        Frames per block.
    """

    def __init__(
        self, stream: BinaryIO, head: bytes, kind: str, *, channel: int | None = None, block: int = 65536
    ) -> None:
        try:
            import soundfile
        except ImportError:
            raise missing_extra("soundfile", "audio") from None
        seekable = getattr(stream, "seekable", lambda: False)()
        if seekable:  # a file redirected with <: streamed
            stream.seek(stream.tell() - len(head))
        else:  # a pipe: libsndfile must seek, so hold the whole stream
            stream = io.BytesIO(head + stream.read())
        try:
            self._file = soundfile.SoundFile(stream)
        except (soundfile.LibsndfileError, RuntimeError, TypeError) as error:
            raise SourceError(f"cannot decode the {kind} stream on standard input ({error})") from None
        if channel is not None:
            check_range("channel", channel, 0, self._file.channels - 1)
        check_range("samplerate", self._file.samplerate, 1000, 768000)
        if kind == "MP3" and self._file.frames * self._file.channels > MP3_MAX_SAMPLES:
            self._file.close()
            raise SourceError(
                f"the MP3 stream on standard input holds more than {MP3_MAX_SAMPLES // (1 << 20)} M samples, the "
                f"most streamfreq decodes in one piece; {MP3_ADVICE}"
            )
        self.kind = kind
        self.channel = channel
        self.samplerate = float(self._file.samplerate)
        self.realtime = False
        self.block = int(block)
        #: Problems worth telling the user that do not stop the analysis (options that do not apply).
        self.warnings: list[str] = []

    def blocks(self) -> Iterator[np.ndarray]:
        if self.kind == "MP3":  # decoded in one read: libsndfile garbles MP3 reads after the first (sources.file)
            data = self._read(-1)
            for start in range(0, len(data), self.block):
                yield to_mono_float32(data[start : start + self.block], self.channel)
            return
        while True:
            data = self._read(self.block)
            if len(data) == 0:
                return
            yield to_mono_float32(data, self.channel)

    def _read(self, frames: int) -> np.ndarray:
        """Up to ``frames`` frames (-1: all that is left), float32 (frames, channels)."""
        import soundfile

        try:
            return self._file.read(frames, dtype="float32", always_2d=True)
        except (soundfile.LibsndfileError, RuntimeError) as error:
            raise SourceError(f"the {self.kind} stream on standard input is corrupt ({error})") from None

    def close(self) -> None:
        self._file.close()


def _standard_input() -> BinaryIO:
    """``sys.stdin.buffer``, or a :class:`SourceError` when there is no pipe to read (closed, or a terminal)."""
    stdin = sys.stdin
    if stdin is None or getattr(stdin, "closed", False):
        raise SourceError("standard input is closed; pipe audio (WAV, FLAC, Ogg or raw PCM) into it")
    if stdin.isatty():
        raise SourceError(
            "standard input is a terminal; pipe audio into it, e.g. streamfreq --source stdin < tone.wav, or "
            "sox -n -r 48000 -b 16 -c 1 -e signed -t raw - synth 5 sine 1000 | "
            "streamfreq --source stdin --samplerate 48000 --pcm s16le"
        )
    return stdin.buffer
