"""Live microphone input through PortAudio (the ``sounddevice`` package, the ``audio`` extra).

sounddevice is imported only when a :class:`MicSource` is made or devices are
listed: ``import streamfreq`` never loads it, nor the PortAudio library.

The PortAudio callback only copies: it picks one channel (or mixes them down)
into a buffer allocated once, hands that view to the engine's ring buffer
(which never allocates or blocks), and counts input overflows. It never
prints and never lets an exception escape; a failure is remembered and
:meth:`MicSource.feed` raises it as :class:`~streamfreq.errors.DeviceError`
in the feeder thread. ``feed`` also watches the stream, so a device that stops
delivering audio (unplugged, sound server gone) ends the run with a clear
error rather than a hang.

Example
-------
>>> from streamfreq.sources.mic import MicSource, format_devices
>>> print(format_devices())  # doctest: +SKIP
index  name     host API  inputs  default rate
*   1  default  ALSA          32     44100 Hz
>>> from streamfreq.engine import Engine
>>> mic = MicSource(device="default", samplerate=48000)  # doctest: +SKIP
>>> engine = Engine(mic.samplerate, estimators=["fft"])  # doctest: +SKIP
>>> for readout in engine.run(mic, duration=1.0):  # doctest: +SKIP
...     print(readout.time, readout.hz("fft"), readout.input_overflows)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from streamfreq.errors import DeviceError, ParameterError, missing_extra

#: Largest block the callback handles in one piece; bigger callbacks are handled in slices.
_MAX_FRAMES = 16384

_NO_DEVICE_HINT = (
    "check that a microphone is connected and that the sound server (PulseAudio/PipeWire) is running "
    "and reachable (same XDG_RUNTIME_DIR); for a virtual microphone run scripts/virtual-mic.sh start"
)


def _sounddevice() -> ModuleType:
    """Import sounddevice, turning its two failure modes into one-line errors."""
    try:
        import sounddevice
    except ModuleNotFoundError as error:
        if error.name != "sounddevice":
            raise
        raise missing_extra("sounddevice", "audio") from None
    except OSError as error:  # sounddevice raises OSError("PortAudio library not found") at import
        raise DeviceError(
            f"{error}: install the PortAudio library (Debian/Ubuntu: apt-get install libportaudio2; "
            "macOS: brew install portaudio)"
        ) from None
    return sounddevice


@dataclass(frozen=True)
class DeviceInfo:
    """One audio input device as PortAudio sees it.

    Attributes
    ----------
    index
        PortAudio device index (what ``--device`` accepts, besides a name).
    name
        Device name.
    hostapi
        Host API name (ALSA, CoreAudio, WASAPI, ...).
    input_channels
        Most input channels the device offers.
    default_samplerate
        The device's default samplerate in Hz.
    is_default
        Whether this is the default input device.
    """

    index: int
    name: str
    hostapi: str
    input_channels: int
    default_samplerate: float
    is_default: bool = False


def list_devices() -> list[DeviceInfo]:
    """Every audio input device (devices with no input channels are left out).

    Raises
    ------
    DeviceError
        The PortAudio library is missing.
    ImportError
        sounddevice is not installed (``pip install "streamfreq[audio]"``).

    Example
    -------
    >>> [d.name for d in list_devices()]  # doctest: +SKIP
    ['pulse', 'default']
    """
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_input = _default_input_index(sd)
    except sd.PortAudioError as error:
        raise DeviceError(f"cannot list audio devices: {error}; {_NO_DEVICE_HINT}") from None
    found = []
    for device in devices:
        if device["max_input_channels"] <= 0:
            continue
        found.append(
            DeviceInfo(
                index=int(device["index"]),
                name=str(device["name"]),
                hostapi=str(hostapis[device["hostapi"]]["name"]),
                input_channels=int(device["max_input_channels"]),
                default_samplerate=float(device["default_samplerate"]),
                is_default=int(device["index"]) == default_input,
            )
        )
    return found


def format_devices(devices: list[DeviceInfo] | None = None) -> str:
    """A printable table of the input devices (``streamfreq --list-devices``); ``*`` marks the default.

    Example
    -------
    >>> print(format_devices([DeviceInfo(1, "default", "ALSA", 32, 44100.0, True)]))
    index  name     host API  inputs  default rate
    *   1  default  ALSA          32     44100 Hz
    """
    devices = list_devices() if devices is None else devices
    if not devices:
        return f"no audio input devices found; {_NO_DEVICE_HINT}"
    name_width = max(4, *(len(d.name) for d in devices))
    api_width = max(8, *(len(d.hostapi) for d in devices))
    lines = [f"index  {'name':<{name_width}}  {'host API':<{api_width}}  inputs  default rate"]
    for d in devices:
        mark = "*" if d.is_default else " "
        lines.append(
            f"{mark}{d.index:>4}  {d.name:<{name_width}}  {d.hostapi:<{api_width}}  "
            f"{d.input_channels:>6}  {d.default_samplerate:>8g} Hz"
        )
    return "\n".join(lines)


def _default_input_index(sd: ModuleType) -> int:
    default = sd.default.device[0]
    if default is None or default == -1:
        default = sd.query_hostapis(0)["default_input_device"] if sd.query_hostapis() else -1
    return int(default) if isinstance(default, (int, np.integer)) else -1


def _resolve_device(sd: ModuleType, device: int | str | None) -> DeviceInfo:
    """The input device ``device`` names: an index, a name substring, or None for the default."""
    devices = list_devices()
    if not devices:
        raise DeviceError(f"no audio input device found; {_NO_DEVICE_HINT}")
    listing = "; ".join(f"{d.index}: {d.name}" for d in devices)
    if device is None:
        for d in devices:
            if d.is_default:
                return d
        raise DeviceError(
            f"no default audio input device; choose one with --device (inputs: {listing}); {_NO_DEVICE_HINT}"
        )
    text = str(device).strip()
    if isinstance(device, (int, np.integer)) or text.lstrip("-").isdigit():
        index = int(text)
        for d in devices:
            if d.index == index:
                return d
        raise DeviceError(f"no input device has index {index} (inputs: {listing}); run streamfreq --list-devices")
    matches = [d for d in devices if text.lower() in d.name.lower()]
    exact = [d for d in matches if d.name.lower() == text.lower()]
    if len(exact) == 1:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise DeviceError(f"no input device matches {text!r} (inputs: {listing}); run streamfreq --list-devices")
    names = "; ".join(f"{d.index}: {d.name}" for d in matches)
    raise DeviceError(f"input device {text!r} is ambiguous, it matches {names}; give the index or more of the name")


class MicSource:
    """A live audio input device (microphone, line in, sound-server monitor).

    Parameters
    ----------
    device
        PortAudio index, or a case-insensitive part of the name (an exact name
        wins over partial matches), or None for the default input.
    samplerate
        Samples per second to request; None for the device's default. A rate
        the device refuses raises :class:`~streamfreq.errors.DeviceError`.
    channel
        Analyse only this input channel (0-based); None mixes the opened channels down.
    channels
        Input channels to open when mixing down (default: up to 2); ignored when ``channel`` is given.
    blocksize
        Frames per callback; 0 lets PortAudio choose (lowest latency it can sustain).
    latency
        PortAudio suggested input latency: ``"high"`` (robust under load, the
        default), ``"low"``, or seconds.
    stall_timeout
        Seconds without a callback before :meth:`feed` gives up with a DeviceError.
    start_timeout
        Seconds to wait for the first callback (opening a sound-server stream can take a while).

    Attributes
    ----------
    samplerate : float
        The rate actually used.
    realtime : bool
        Always True: the engine runs the source on its own thread.
    overflows : int
        Callbacks that reported an input overflow (audio lost before streamfreq saw it).
    frames : int
        Frames received so far.
    callback_errors : int
        Exceptions caught inside the audio callback (the first one ends :meth:`feed`).

    Raises
    ------
    DeviceError
        Unknown, ambiguous or missing device, unsupported samplerate, no PortAudio library.
    ParameterError
        ``channel`` outside the device's channels, or a bad ``blocksize``/``stall_timeout``.
    ImportError
        sounddevice is not installed (``pip install "streamfreq[audio]"``).

    Example
    -------
    >>> mic = MicSource(device="pulse", samplerate=48000, latency="high")  # doctest: +SKIP
    >>> mic.device_name, mic.samplerate, mic.realtime  # doctest: +SKIP
    ('pulse', 48000.0, True)
    """

    realtime = True

    def __init__(
        self,
        device: int | str | None = None,
        samplerate: float | None = None,
        channel: int | None = None,
        *,
        channels: int | None = None,
        blocksize: int = 0,
        latency: str | float = "high",
        stall_timeout: float = 2.0,
        start_timeout: float = 5.0,
    ) -> None:
        sd = _sounddevice()
        info = _resolve_device(sd, device)
        if channel is not None and not 0 <= channel < info.input_channels:
            raise ParameterError(
                f"channel must be in 0..{info.input_channels - 1} for input device {info.index} "
                f"({info.name}) (got {channel})"
            )
        if not 0 <= blocksize <= _MAX_FRAMES:
            raise ParameterError(f"blocksize must be in 0..{_MAX_FRAMES} (got {blocksize})")
        if not stall_timeout > 0:
            raise ParameterError(f"stall_timeout must be > 0 (got {stall_timeout})")
        if not start_timeout > 0:
            raise ParameterError(f"start_timeout must be > 0 (got {start_timeout})")
        if channel is not None:
            open_channels = channel + 1
        else:
            open_channels = min(info.input_channels, 2) if channels is None else int(channels)
            if not 1 <= open_channels <= info.input_channels:
                raise ParameterError(f"channels must be in 1..{info.input_channels} (got {channels})")
        rate = info.default_samplerate if samplerate is None else float(samplerate)
        try:
            sd.check_input_settings(device=info.index, channels=open_channels, dtype="float32", samplerate=rate)
        except (sd.PortAudioError, ValueError) as error:
            if samplerate is not None:
                raise DeviceError(
                    f"samplerate {rate:g} Hz is not supported by input device {info.index} ({info.name}): "
                    f"{error}; its default is {info.default_samplerate:g} Hz"
                ) from None
            raise DeviceError(f"input device {info.index} ({info.name}) cannot be opened: {error}") from None
        self.device = info.index
        self.device_name = info.name
        self.device_info = info
        self.samplerate = float(rate)
        self.channel = channel
        self.channels = open_channels
        self.blocksize = int(blocksize)
        self.latency = latency
        self.stall_timeout = float(stall_timeout)
        self.start_timeout = float(start_timeout)
        self.overflows = 0
        self.frames = 0
        self.callback_errors = 0
        self.stream_latency = float("nan")
        self._buffer = np.zeros(_MAX_FRAMES, dtype=np.float32)
        self._scale = np.float32(1.0 / open_channels)
        self._write: Callable[[np.ndarray], None] | None = None
        self._first_error: BaseException | None = None
        self._last_callback = 0.0
        self._finished = threading.Event()
        self._stream: Any = None
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        pick = "mix" if self.channel is None else f"channel {self.channel}"
        return f"MicSource(device={self.device} {self.device_name!r}, samplerate={self.samplerate:g}, {pick})"

    # -- the audio thread ------------------------------------------------------------------------

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio's callback: copy (one channel or the mix) into the ring; count; never raise."""
        try:
            if status.input_overflow:
                self.overflows += 1
            write = self._write
            if write is None or self._first_error is not None:
                return
            buffer = self._buffer
            for offset in range(0, frames, _MAX_FRAMES):
                n = min(_MAX_FRAMES, frames - offset)
                out = buffer[:n]
                chunk = indata[offset : offset + n]
                if self.channel is not None:
                    np.copyto(out, chunk[:, self.channel])
                elif self.channels == 1:
                    np.copyto(out, chunk[:, 0])
                else:
                    np.add.reduce(chunk, axis=1, out=out)
                    out *= self._scale
                write(out)
            self.frames += frames
            self._last_callback = time.monotonic()
        except BaseException as error:  # nothing may escape into PortAudio's thread
            self.callback_errors += 1
            if self._first_error is None:
                self._first_error = error

    # -- the feeder thread -----------------------------------------------------------------------

    def feed(self, write: Callable[[np.ndarray], None], stop: threading.Event, poll: float = 0.05) -> None:
        """Open the input stream and pass each block to ``write`` until ``stop`` is set.

        ``write`` runs in PortAudio's audio thread and must neither block nor
        allocate (the engine's ring buffer write qualifies).

        Raises
        ------
        DeviceError
            The stream cannot be opened, stops on its own, reports an error,
            delivers no audio for ``stall_timeout`` seconds, or the callback failed.
        """
        sd = _sounddevice()
        self._closed = False
        self._write = write
        self._first_error = None
        self._finished.clear()
        where = f"input device {self.device} ({self.device_name})"
        try:
            stream = sd.InputStream(
                device=self.device,
                samplerate=self.samplerate,
                channels=self.channels,
                dtype="float32",
                blocksize=self.blocksize,
                latency=self.latency,
                callback=self._callback,
                finished_callback=self._finished.set,
            )
        except (sd.PortAudioError, ValueError) as error:
            raise DeviceError(f"cannot open {where}: {error}; {_NO_DEVICE_HINT}") from None
        with self._lock:
            self._stream = stream
        try:
            self.stream_latency = float(stream.latency)
            self._last_callback = 0.0
            started = time.monotonic()
            stream.start()
            while not stop.wait(poll) and not self._closed:
                if self._first_error is not None:
                    error = self._first_error
                    raise DeviceError(f"audio callback failed on {where}: {type(error).__name__}: {error}")
                if self._finished.is_set() or not stream.active:
                    raise DeviceError(f"{where} stopped unexpectedly (disconnected, or the sound server went away)")
                last = self._last_callback
                silent = time.monotonic() - (last or started)
                if silent > (self.stall_timeout if last else self.start_timeout):
                    raise DeviceError(
                        f"no audio from {where} for {silent:.1f} s (disconnected, or the sound server went away)"
                    )
        except sd.PortAudioError as error:
            raise DeviceError(f"{where} failed: {error}") from None
        finally:
            self._write = None
            self._release()

    def close(self) -> None:
        """Stop and close the stream if one is open (safe to call twice, from any thread)."""
        self._closed = True
        self._release()

    def _release(self) -> None:
        with self._lock:  # exactly one caller closes a stream: PortAudio must not see it closed twice
            stream, self._stream = self._stream, None
        if stream is not None:
            _close_quietly(stream)

    def __enter__(self) -> MicSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _close_quietly(stream: Any) -> None:
    """Stop and close a stream, ignoring errors (the device may be gone already)."""
    try:
        # stop(), not abort(): PortAudio's ALSA abort cancels the callback thread (pthread_cancel),
        # which is unsafe while that thread runs Python; stop() asks it to finish and joins it.
        stream.stop(ignore_errors=True)
        stream.close(ignore_errors=True)
    except Exception:  # noqa: BLE001 - cleanup must not mask the error being reported
        pass
