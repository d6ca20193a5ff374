"""The desktop app, driven headless with pytest-qt (offscreen platform unless one is set, e.g. xcb under Xvfb)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt loads: no display needed

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pyqtgraph")
pytest.importorskip("pytestqt")

from streamfreq.errors import ModelError  # noqa: E402
from streamfreq.gui import app as gui_app  # noqa: E402
from streamfreq.gui.window import MainWindow  # noqa: E402

pytestmark = pytest.mark.gui

#: Every wait is a bound, not a sleep: the test goes on as soon as the condition holds.
SECOND = 1000


def card_hz(window: MainWindow, name: str) -> float:
    """The number shown on an estimator's readout card (nan for a dash)."""
    hz = window.readouts.cards[name].hz
    return math.nan if hz is None else hz


def shows(window: MainWindow, name: str, hz: float, tolerance: float = 0.5) -> bool:
    return abs(card_hz(window, name) - hz) <= tolerance


@pytest.fixture
def window(qtbot):
    win = MainWindow(estimators=["fft", "zc"])
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()


def test_synth_440_shows_on_the_fft_readout_within_a_second(window, qtbot):
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=SECOND)
    assert window.readouts.cards["truth"].hz == 440.0
    assert window.readouts.cards["fft"].hz_label.text().startswith("440.0")
    assert window.readouts.cards["fft"].note_label.text().startswith("A4")


def test_the_readout_follows_the_synth_to_880(window, qtbot):
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=SECOND)
    window.controls.freq.setValue(880.0)  # applied live, no restart
    qtbot.waitUntil(lambda: shows(window, "fft", 880.0) and shows(window, "zc", 880.0, 2.0), timeout=SECOND)
    serial = window.runner.state.run_serial
    assert window.runner.state.run_serial == serial  # the same run followed the change


def test_plots_get_data(window, qtbot):
    window.start()

    def points() -> int:
        _, y = window.history.curves["fft"].getData()
        return 0 if y is None else len(y)

    qtbot.waitUntil(lambda: points() > 5, timeout=2 * SECOND)
    _, wave = window.waveform.curve.getData()
    freqs, db = window.spectrum.curve.getData()
    assert len(wave) == 2048 and 0.4 < float(max(wave)) <= 0.51
    assert abs(10 ** freqs[int(db.argmax())] - 440.0) < 48000 / 2048  # the axis is logarithmic
    assert window.spectrum.markers["fft"].isVisible()


def test_toggling_an_estimator(window, qtbot):
    window.start()
    qtbot.waitUntil(lambda: shows(window, "zc", 440.0, 2.0), timeout=SECOND)
    window.controls.toggles["zc"].setChecked(False)
    qtbot.waitUntil(lambda: window.readouts.cards["zc"].status_label.text() == "off", timeout=SECOND)
    assert window.latest_hz("zc") is None
    assert not window.history.curves["zc"].isVisible()
    assert window.latest_hz("fft") is not None  # the others keep going
    count = window.runner.state.readout_count
    qtbot.waitUntil(lambda: window.runner.state.readout_count > count + 3, timeout=SECOND)
    assert window.latest_readout().estimates["zc"].status == "no_tone"  # switched off in the engine too
    window.controls.toggles["zc"].setChecked(True)
    qtbot.waitUntil(lambda: shows(window, "zc", 440.0, 2.0), timeout=SECOND)


def test_a_bad_device_shows_a_message_and_the_app_stays_usable(window, qtbot):
    window.controls.set_source("mic")
    window.controls.set_device("no-such-device-streamfreq-test")
    window.start()
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=5 * SECOND)
    assert window.message_box is not None and window.message_box.isVisible()
    assert window.error_label.isVisible()
    assert not window.runner.running
    window.message_box.close()
    window.controls.set_source("synth")
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=2 * SECOND)
    assert not window.error_label.isVisible()


def test_an_unreadable_file_shows_a_message(window, qtbot, tmp_path):
    bogus = tmp_path / "not-audio.wav"
    bogus.write_text("this is not a WAV file\n")
    window.controls.path.setText(str(bogus))
    window.controls.set_source("file")
    window.start()
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=5 * SECOND)
    assert "not-audio.wav" in window.last_error


def test_a_missing_model_leaves_the_other_estimators_running(qtbot, monkeypatch):
    import streamfreq.estimators as registry

    real = registry.build_estimator

    def build(name, model_path=None):
        if name == "lstm":
            raise ModelError("LSTM model not found: /nowhere/lstm.tflite")
        return real(name, model_path)

    monkeypatch.setattr(registry, "build_estimator", build)
    win = MainWindow(estimators=["fft", "zc", "lstm"])
    qtbot.addWidget(win)
    win.show()
    try:
        win.start()
        qtbot.waitUntil(lambda: shows(win, "fft", 440.0), timeout=2 * SECOND)
        qtbot.waitUntil(lambda: not win.controls.toggles["lstm"].isEnabled(), timeout=SECOND)
        assert "lstm.tflite" in (win.last_error or "")
        assert not win.controls.toggles["lstm"].isChecked()
        assert win.latest_hz("lstm") is None
    finally:
        win.shutdown()


def test_a_file_plays_in_real_time(window, qtbot, tmp_path):
    soundfile = pytest.importorskip("soundfile")
    import numpy as np

    path = tmp_path / "tone.wav"
    rate = 44100
    soundfile.write(path, (0.5 * np.sin(2 * np.pi * 660.0 * np.arange(2 * rate) / rate)).astype(np.float32), rate)
    window.controls.path.setText(str(path))
    window.controls.set_source("file")
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 660.0), timeout=2 * SECOND)
    assert window.runner.state.samplerate == rate
    assert window.runner.running  # 2 s of audio, played at its own pace
    qtbot.waitUntil(lambda: not window.runner.running, timeout=5 * SECOND)  # the file ends, the run stops
    assert window.last_error is None


@pytest.mark.mic
def test_the_virtual_microphone(window, qtbot):
    script = Path(__file__).resolve().parent.parent / "scripts" / "virtual-mic.sh"
    os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/xdg-{os.getuid()}")
    if subprocess.run(["bash", str(script), "start"], capture_output=True, timeout=60).returncode != 0:
        pytest.skip("no virtual microphone (scripts/virtual-mic.sh start failed)")
    sounddevice = pytest.importorskip("sounddevice")
    if "pulse" not in [d["name"] for d in sounddevice.query_devices()]:
        sounddevice._terminate()  # PortAudio was initialised before the daemon ran: enumerate again
        sounddevice._initialize()
    window.controls.refresh_devices()
    labels = [window.controls.device.itemText(i) for i in range(window.controls.device.count())]
    if not any("pulse" in label for label in labels):
        pytest.skip(f"PortAudio lists no 'pulse' input (got {labels})")
    player = subprocess.Popen(["bash", str(script), "play", "523.25", "6"], stderr=subprocess.DEVNULL)
    try:
        window.controls.set_source("mic")
        window.controls.set_device("pulse")
        window.start()
        qtbot.waitUntil(lambda: shows(window, "fft", 523.25, 1.0), timeout=5 * SECOND)
        assert window.last_error is None
    finally:
        player.terminate()
        player.wait(10)


def test_the_window_grabs_to_a_png(window, qtbot, tmp_path):
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=SECOND)
    path = tmp_path / "window.png"
    assert window.grab().save(str(path), "PNG")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_arguments_from_streamfreq_gui_are_accepted():
    args = gui_app.parse_args(["--gui", "--source", "synth", "--freq", "880", "--format", "csv"])
    assert args.source == "synth" and args.freq == 880.0
    assert gui_app.parse_args(["--sweep", "110:1760:4"]).sweep == (110.0, 1760.0, 4.0)
    with pytest.raises(SystemExit):
        gui_app.parse_args(["--quit-after", "-1"])


LINE = re.compile(
    r"^frames=(\d+) fps=([\d.]+) readouts=(\d+) dropped=(\d+)"
    r" last_fft=(null|[\d.]+) last_zc=(null|[\d.]+) last_lstm=(null|[\d.]+)$"
)


def test_quit_after_prints_one_line_and_writes_the_screenshot(tmp_path):
    shot = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    done = subprocess.run(
        [sys.executable, "-m", "streamfreq.gui.app", "--source", "synth", "--freq", "440", "--estimators", "fft,zc"]
        + ["--quit-after", "2", "--screenshot", str(shot)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout
    match = LINE.match(lines[0])
    assert match, lines[0]
    frames, fps, readouts = int(match[1]), float(match[2]), int(match[3])
    assert frames > 10 and fps > 5 and readouts > 50
    assert abs(float(match[5]) - 440.0) <= 0.5
    assert match[7] == "null"  # not asked for
    assert Path(shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
