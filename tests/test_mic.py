"""MicSource against a real PortAudio stream: a PulseAudio null sink whose monitor is the default source.

The virtual microphone is started by ``scripts/virtual-mic.sh start`` (this
module does it when it is not running). Tones are played into it with
``pacat``; what PortAudio delivers is compared sample by sample with what was
played, so every timing check is counted in samples, never by wall clock.

When the environment variable ``CI`` is set, a missing virtual microphone
fails these tests instead of skipping them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from streamfreq.errors import DeviceError, ModelError, ParameterError

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "virtual-mic.sh"
RATE = 48000  # the null sink's rate: no resampling between pacat and PortAudio
WINDOW, HOP = 2048, 512
AMPLITUDE = 0.5
LSB = 1.0 / 32768.0  # one step of the int16 samples pacat plays

os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/xdg-{os.getuid()}")  # every client must share it


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"virtual microphone unavailable with CI set: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def sd():
    """sounddevice, with the virtual microphone running and visible to PortAudio."""
    for tool in ("pulseaudio", "pactl", "pacat"):
        if shutil.which(tool) is None:
            _unavailable(f"{tool} not found (apt-get install pulseaudio pulseaudio-utils)")
    started = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True, timeout=60)
    if started.returncode != 0:
        _unavailable(f"scripts/virtual-mic.sh start failed: {started.stderr.strip()}")
    try:
        import sounddevice
    except (ImportError, OSError) as error:
        _unavailable(f"sounddevice unusable: {error}")
    names = [d["name"] for d in sounddevice.query_devices()]
    if "pulse" not in names:  # PortAudio was initialised before the daemon ran: enumerate again
        sounddevice._terminate()
        sounddevice._initialize()
        names = [d["name"] for d in sounddevice.query_devices()]
    if "pulse" not in names:
        _unavailable(f"PortAudio lists no 'pulse' device (got {names}); is libasound2-plugins installed?")
    return sounddevice


def tone(segments: list[tuple[float, float]], amplitude: float = AMPLITUDE) -> np.ndarray:
    """Phase-continuous int16 tone from ``(hz, seconds)`` segments, starting at phase 0."""
    freqs = np.concatenate([np.full(round(seconds * RATE), hz) for hz, seconds in segments])
    phase = 2 * np.pi * np.concatenate([[0.0], np.cumsum(freqs[:-1])]) / RATE
    return np.round(amplitude * 32767 * np.sin(phase)).astype("<i2")


class Player:
    """Play int16 samples into the virtual microphone with pacat (fed from a thread)."""

    def __init__(self, samples: np.ndarray) -> None:
        self.proc = subprocess.Popen(
            ["pacat", "--raw", f"--rate={RATE}", "--channels=1", "--format=s16le", "--device=vsink"],
            stdin=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.thread = threading.Thread(target=self._feed, args=(samples.tobytes(),), daemon=True)
        self.thread.start()

    def _feed(self, data: bytes) -> None:
        with contextlib.suppress(BrokenPipeError, ValueError):  # the player was stopped early
            self.proc.stdin.write(data)
            self.proc.stdin.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=10)
        self.thread.join(timeout=10)

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Recording:
    """A source wrapper that also keeps every sample it hands to the engine (same indices as readouts)."""

    def __init__(self, source, seconds: float) -> None:
        self.source = source
        self.samplerate = source.samplerate
        self.realtime = True
        self.samples = np.zeros(round(seconds * source.samplerate), dtype=np.float32)
        self.count = 0

    @property
    def overflows(self) -> int:
        return self.source.overflows

    def feed(self, write, stop) -> None:
        def tee(block: np.ndarray) -> None:
            n = min(len(block), len(self.samples) - self.count)
            self.samples[self.count : self.count + n] = block[:n]
            self.count += n
            write(block)

        self.source.feed(tee, stop)

    def close(self) -> None:
        self.source.close()


def align(captured: np.ndarray, played: np.ndarray, anchor: int, half: int = 2048) -> int:
    """Index in ``captured`` of played sample 0, found by matching ``played[anchor-half : anchor+half]``.

    The match is the least-squares fit of the anchor span (an FFT
    correlation), so ``anchor`` must sit somewhere the signal is not
    periodic: a tone change, or noise. The fit must be exact to one LSB.
    """
    ref = played[anchor - half : anchor + half] / 32768.0
    signal = captured.astype(np.float64)
    assert len(signal) >= len(ref), "the virtual microphone delivered too little audio"
    size = 1 << (len(signal) + len(ref)).bit_length()
    corr = np.fft.irfft(np.fft.rfft(signal, size) * np.conj(np.fft.rfft(ref, size)), size)
    corr = corr[: len(signal) - len(ref) + 1]
    power = np.concatenate([[0.0], np.cumsum(signal**2)])
    residual = power[len(ref) :] - power[: -len(ref)] - 2 * corr + ref @ ref
    best = int(np.argmin(residual))
    offset = best - (anchor - half)
    worst = np.max(np.abs(signal[best : best + len(ref)] - ref))
    assert worst <= LSB, f"the played audio is not in the capture (best fit off by {worst:.2e})"
    return offset


def assert_intact(captured: np.ndarray, played: np.ndarray, offset: int, first: int, last: int) -> None:
    """Played samples ``first .. last-1`` arrived unchanged (within one LSB) at ``offset + first ..``."""
    assert offset + first >= 0, "the capture starts after the tone did"
    span = captured[offset + first : offset + last].astype(np.float64)
    assert len(span) == last - first, f"captured {len(span)} of the {last - first} samples checked"
    error = np.abs(span - played[first:last] / 32768.0)
    worst = int(np.argmax(error))
    assert error[worst] <= LSB, f"played sample {first + worst} arrived changed by {error[worst]:.2e} (lost audio?)"


#: PulseAudio may clip a few ms where a playback stream starts (seen: up to 180 samples); windows near the
#: ends of what was played are not checked.
MARGIN = round(0.1 * RATE)


# -- importing and missing pieces (no virtual microphone needed) ------------------------------


def _run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={**os.environ, **env}
    )


def test_import_streamfreq_does_not_load_sounddevice():
    code = (
        "import sys, streamfreq, streamfreq.cli, streamfreq.engine, streamfreq.sources.mic\n"
        "print('sounddevice' in sys.modules)"
    )
    assert _run_python(code).stdout.strip() == "False"


_BLOCK_SOUNDDEVICE = """
import sys
class Finder:
    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            {raise_}
sys.meta_path.insert(0, Finder())
from streamfreq.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_missing_portaudio_library_says_what_to_install():
    code = _BLOCK_SOUNDDEVICE.format(raise_='raise OSError("PortAudio library not found")')
    result = subprocess.run([sys.executable, "-c", code, "--list-devices"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "apt-get install libportaudio2" in result.stderr


def test_missing_sounddevice_says_which_extra():
    code = _BLOCK_SOUNDDEVICE.format(raise_='raise ModuleNotFoundError("no sounddevice", name="sounddevice")')
    result = subprocess.run([sys.executable, "-c", code, "--source", "mic"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert 'pip install "streamfreq[audio]"' in result.stderr


@pytest.mark.mic
def test_no_sound_server_gives_one_line(sd, tmp_path):
    """With no daemon reachable, listing and opening say what to check, in one line each."""
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    conf = tmp_path / "client.conf"
    conf.write_text("autospawn = no\n")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PULSE_CLIENTCONFIG": str(conf)}
    cli = [sys.executable, "-m", "streamfreq"]
    listed = subprocess.run([*cli, "--list-devices"], capture_output=True, text=True, timeout=60, env=env)
    assert listed.returncode == 0
    assert "no audio input devices found" in listed.stdout
    opened = subprocess.run([*cli, "--source", "mic"], capture_output=True, text=True, timeout=60, env=env)
    assert opened.returncode == 1
    assert opened.stderr.startswith("streamfreq: error: no audio input device found; check")
    assert "Traceback" not in opened.stderr


# -- devices -----------------------------------------------------------------------------------


@pytest.mark.mic
def test_list_devices_shows_the_virtual_microphone(sd):
    from streamfreq.sources.mic import format_devices, list_devices

    devices = {d.name: d for d in list_devices()}
    assert {"pulse", "default"} <= set(devices)
    assert all(d.input_channels > 0 and d.default_samplerate > 0 for d in devices.values())
    assert sum(d.is_default for d in devices.values()) == 1
    table = format_devices().splitlines()
    assert table[0].split() == ["index", "name", "host", "API", "inputs", "default", "rate"]
    pulse = devices["pulse"]
    assert any(line.split()[:3] == [str(pulse.index), "pulse", pulse.hostapi] for line in table[1:])


@pytest.mark.mic
def test_cli_list_devices(sd, capsys):
    from streamfreq.cli import main

    assert main(["--list-devices"]) == 0
    out = capsys.readouterr().out
    assert "pulse" in out and "default rate" in out


@pytest.mark.mic
def test_select_device_by_index_and_by_name(sd):
    from streamfreq.sources.mic import MicSource, list_devices

    pulse = next(d for d in list_devices() if d.name == "pulse")
    assert MicSource(device=pulse.index).device_name == "pulse"
    assert MicSource(device=str(pulse.index)).device_name == "pulse"
    assert MicSource(device="PUL").device == pulse.index
    default = MicSource()
    assert default.device_info.is_default
    assert default.samplerate == default.device_info.default_samplerate
    assert MicSource(device="pulse", samplerate=RATE).samplerate == RATE


@pytest.mark.mic
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"device": "no-such-microphone"}, r"no input device matches 'no-such-microphone'.*--list-devices"),
        ({"device": 999}, r"no input device has index 999"),
        ({"device": "-1"}, r"no input device has index -1"),
        ({"device": "e"}, r"input device 'e' is ambiguous, it matches .*pulse.*default"),
        ({"device": "pulse", "samplerate": 768000}, r"samplerate 768000 Hz is not supported by input device"),
    ],
)
def test_bad_device_errors(sd, kwargs, message):
    from streamfreq.sources.mic import MicSource

    with pytest.raises(DeviceError, match=message):
        MicSource(**kwargs)


@pytest.mark.mic
def test_bad_channel_is_a_parameter_error(sd):
    from streamfreq.sources.mic import MicSource

    with pytest.raises(ParameterError, match=r"channel must be in 0\.\.31 .*\(got 32\)"):
        MicSource(device="pulse", channel=32)


@pytest.mark.mic
def test_cli_bad_device_is_one_line_and_exit_1(sd):
    result = subprocess.run(
        [sys.executable, "-m", "streamfreq", "--source", "mic", "--device", "no-such-microphone"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("streamfreq: error: no input device matches 'no-such-microphone'")
    assert result.stderr.count("\n") == 1


# -- the audio callback ------------------------------------------------------------------------


@pytest.mark.mic
def test_callback_counts_overflows_and_copies_into_the_ring(sd):
    """PortAudio's overflow flag is counted; the mix or the chosen channel reaches the ring unchanged."""
    from streamfreq.ring import RingBuffer
    from streamfreq.sources.mic import MicSource

    rng = np.random.default_rng(4)
    indata = rng.uniform(-1, 1, size=(256, 2)).astype(np.float32)
    overflow, fine = sd.CallbackFlags(sd._lib.paInputOverflow), sd.CallbackFlags(0)
    for channel, expected in ((None, indata.mean(axis=1)), (1, indata[:, 1])):
        mic = MicSource(device="pulse", channel=channel, channels=2 if channel is None else None)
        ring = RingBuffer(4096)
        mic._write = ring.write
        for status in (fine, overflow, fine, overflow, overflow):
            mic._callback(indata, len(indata), None, status)
        assert mic.overflows == 3
        assert mic.frames == ring.written == 5 * len(indata)
        np.testing.assert_allclose(ring.read(4 * len(indata), len(indata)), expected, atol=1e-7)
        assert mic.callback_errors == 0


@pytest.mark.mic
def test_callback_never_raises_and_feed_reports_the_error(sd):
    from streamfreq.sources.mic import MicSource

    def broken(block: np.ndarray) -> None:
        raise RuntimeError("ring exploded")

    mic = MicSource(device="pulse", samplerate=RATE)
    with pytest.raises(DeviceError, match="audio callback failed on input device .*RuntimeError: ring exploded"):
        mic.feed(broken, threading.Event())
    assert mic.callback_errors >= 1


@pytest.mark.mic
def test_a_stalled_callback_ends_feed_with_an_error(sd):
    """No callback for longer than stall_timeout: a DeviceError, not a hang."""
    from streamfreq.sources.mic import MicSource

    calls = []

    def stuck(block: np.ndarray) -> None:
        calls.append(len(block))
        if len(calls) == 3:
            time.sleep(1.5)

    mic = MicSource(device="pulse", samplerate=RATE, stall_timeout=0.5)
    with pytest.raises(DeviceError, match=r"no audio from input device \d+ \(pulse\) for"):
        mic.feed(stuck, threading.Event())


@pytest.mark.mic
def test_a_stalled_audio_thread_never_loses_audio_silently(sd):
    """Block the callback for 1.5 s mid-stream: the audio arrives intact, or the loss is counted as overflow.

    (Through PulseAudio the server buffers the backlog and delivers it late, so
    this checks that every sample survives; a device that drops audio instead
    must raise the overflow count.)
    """
    from streamfreq.sources.mic import MicSource

    played = np.round(np.random.default_rng(7).uniform(-0.3, 0.3, 3 * RATE) * 32767).astype("<i2")
    captured = np.zeros(8 * RATE, dtype=np.float32)
    state = {"count": 0, "stalled": False}
    stop = threading.Event()

    def write(block: np.ndarray) -> None:
        n = min(len(block), len(captured) - state["count"])
        captured[state["count"] : state["count"] + n] = block[:n]
        state["count"] += n
        if not state["stalled"] and np.any(captured[: state["count"]]) and state["count"] > RATE:
            state["stalled"] = True
            time.sleep(1.5)
        if state["count"] >= len(captured):
            stop.set()

    mic = MicSource(device="pulse", samplerate=RATE, latency="high", stall_timeout=5.0)
    feeder = threading.Thread(target=mic.feed, args=(write, stop))
    feeder.start()
    while mic.frames == 0 and feeder.is_alive():
        time.sleep(0.01)
    with Player(played):
        while feeder.is_alive() and state["count"] < len(captured):
            time.sleep(0.05)
    stop.set()
    feeder.join(timeout=10)
    assert state["stalled"], "the sound never reached the microphone"
    if mic.overflows == 0:
        audio = captured[: state["count"]]
        offset = align(audio, played, anchor=len(played) // 2)
        assert_intact(audio, played, offset, MARGIN, len(played) - MARGIN)


# -- through the engine ------------------------------------------------------------------------


@pytest.mark.mic
def test_readouts_follow_a_tone_change_within_two_windows(sd):
    """440 Hz then 880 Hz: every whole window reads its tone within 0.5 Hz; the first 880 Hz readout
    comes within two windows of the change (counted in samples)."""
    from streamfreq.engine import Engine
    from streamfreq.sources.mic import MicSource

    seconds = 5.0
    played = tone([(440.0, 1.2), (880.0, 1.2)])
    change_in_played = round(1.2 * RATE)
    source = Recording(MicSource(device="pulse", samplerate=RATE, latency="high"), seconds)
    engine = Engine(RATE, WINDOW, HOP, ["fft", "zc"])
    readouts, player = [], None
    try:
        # A generous max_latency: on a loaded machine the engine must not skip the windows under test.
        for readout in engine.run(source, duration=seconds, max_latency=2.0):
            readouts.append(readout)
            if player is None:
                player = Player(played)  # the stream is live: start the tone now
    finally:
        if player is not None:
            player.stop()
    captured = source.samples[: source.count]
    offset = align(captured, played, anchor=change_in_played)
    assert_intact(captured, played, offset, MARGIN, len(played) - MARGIN)
    change = offset + change_in_played
    begin, end = offset + MARGIN, offset + len(played) - MARGIN
    assert readouts[-1].dropped_windows == 0 and readouts[-1].overrun_samples == 0
    starts = [r.start for r in readouts]
    assert starts == list(range(0, starts[-1] + 1, HOP)), "the engine skipped windows"
    before = [r for r in readouts if r.start >= begin and r.start + WINDOW <= change]
    after = [r for r in readouts if r.start >= change and r.start + WINDOW <= end]
    assert len(before) > 50 and len(after) > 50
    for expected, group in ((440.0, before), (880.0, after)):
        errors = [abs(r.hz("fft") - expected) if r.hz("fft") else np.inf for r in group]
        assert max(errors) < 0.5, f"FFT off by {max(errors):.3f} Hz at {expected} Hz"
    first = next(r for r in readouts if r.start + WINDOW > change and r.hz("fft") and abs(r.hz("fft") - 880) < 0.5)
    assert first.start + WINDOW - change <= 2 * WINDOW
    assert all(r.input_overflows == 0 for r in readouts)


def _cli_estimates(estimators: str, seconds: float = 4.0) -> list[dict]:
    played = tone([(440.0, seconds + 20.0)])
    with Player(played):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "streamfreq",
                "--source",
                "mic",
                "--device",
                "pulse",
                "--samplerate",
                str(RATE),
                "--duration",
                str(seconds),
                "--format",
                "jsonl",
                "--estimators",
                estimators,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    expected = round((seconds * RATE - WINDOW) // HOP) + 1
    assert len(records) + records[-1]["dropped"] == expected  # windows skipped under load are counted
    return records


@pytest.mark.mic
def test_cli_jsonl_from_the_microphone(sd):
    """``streamfreq --source mic --duration 4 --format jsonl`` with 440 Hz playing: FFT within 0.5 Hz."""
    records = _cli_estimates("fft,zc")
    assert all(r["fft"] is not None and abs(r["fft"] - 440.0) < 0.5 for r in records)
    assert all(r["overflows"] == 0 and r["overruns"] == 0 for r in records)
    assert all(r["latency_ms"] is not None and r["latency_ms"] >= 0 for r in records)


@pytest.mark.mic
def test_cli_lstm_from_the_microphone(sd):
    """The issue's target for the LSTM on the live path: within 5 cents of 440 Hz (median over the windows).

    The model card's target is a median; single windows of a clean tone scatter by up to ~10 cents with
    the tone's phase (measured: median -4.1, max 9.7 cents at 440 Hz), so each window gets 15.
    """
    from streamfreq.estimators import available_estimators, build_estimator

    if "lstm" not in available_estimators():
        pytest.skip("the lstm extra (ai-edge-litert) is not installed")
    try:
        build_estimator("lstm")
    except ModelError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no LSTM model here: {error}")
    records = _cli_estimates("fft,lstm")
    cents = [1200 * np.log2(r["lstm"] / 440.0) if r["lstm"] else np.inf for r in records]
    assert abs(np.median(cents)) <= 5.0, f"LSTM median {np.median(cents):.1f} cents off"
    assert max(np.abs(cents)) <= 15.0, f"LSTM off by up to {max(np.abs(cents)):.1f} cents"


@pytest.mark.mic
def test_sound_server_going_away_mid_stream_is_an_error_not_a_hang(sd, tmp_path):
    """A private PulseAudio daemon is stopped under a running ``streamfreq --source mic``: exit 1, one line."""
    runtime = tmp_path / "xdg"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    subprocess.run(["bash", str(SCRIPT), "start"], check=True, capture_output=True, timeout=60, env=env)
    try:
        cli = subprocess.Popen(
            [sys.executable, "-m", "streamfreq", "--source", "mic", "--estimators", "fft", "--format", "jsonl"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert cli.stdout.readline().startswith("{"), "no readout before the daemon was stopped"
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], capture_output=True, timeout=60, env=env)
    out, err = cli.communicate(timeout=30)
    assert cli.returncode == 1, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("streamfreq: error: input device"), err
    assert "stopped unexpectedly" in last or "no audio from" in last


@pytest.mark.mic
def test_cli_ctrl_c_exits_0_after_flushing(sd):
    """SIGINT while reading the microphone: exit code 0, every readout line complete."""
    import signal

    cli = subprocess.Popen(
        [sys.executable, "-m", "streamfreq", "--source", "mic", "--device", "pulse", "--format", "jsonl"]
        + ["--estimators", "fft"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = cli.stdout.readline()
    cli.send_signal(signal.SIGINT)
    out, err = cli.communicate(timeout=30)
    assert cli.returncode == 0, err
    assert "Traceback" not in err
    lines = [first, *out.splitlines(keepends=True)]
    assert all(line.endswith("\n") and json.loads(line)["start"] >= 0 for line in lines)
