"""The desktop app, driven headless with pytest-qt (offscreen platform unless one is set, e.g. xcb under Xvfb)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt loads: no display needed

import math
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import SlowToClose

pytest.importorskip("PyQt6.QtWidgets")
pytest.importorskip("pyqtgraph")
pytest.importorskip("pytestqt")

from streamfreq.errors import ModelError  # noqa: E402
from streamfreq.gui import app as gui_app  # noqa: E402
from streamfreq.gui.window import MainWindow  # noqa: E402

GUI = Path(__file__).resolve().parent.parent / "gui"

pytestmark = pytest.mark.gui

#: Every wait is a bound, not a sleep: the test goes on as soon as the condition holds. A generous one, in ms: on a
#: loaded 2-core machine the GUI thread and the engine's thread can lag a second behind an idle one's.
BOUND = 5000


def card_hz(window: MainWindow, name: str) -> float:
    """The number shown on an estimator's readout card (nan for a dash)."""
    hz = window.readouts.cards[name].hz
    return math.nan if hz is None else hz


def shows(window: MainWindow, name: str, hz: float, tolerance: float = 0.5) -> bool:
    return abs(card_hz(window, name) - hz) <= tolerance


def make_window(qtbot, *argv: str) -> MainWindow:
    win = MainWindow(gui_app.parse_args(list(argv)))
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.fixture
def window(qtbot):
    win = MainWindow(gui_app.parse_args(["--estimators", "fft,zc"]))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()


def test_synth_440_shows_on_the_fft_readout(window, qtbot):
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=BOUND)
    assert window.readouts.cards["truth"].hz == 440.0
    assert window.readouts.cards["fft"].hz_label.text().startswith("440.0")
    assert window.readouts.cards["fft"].note_label.text().startswith("A4")


def test_the_readout_follows_the_synth_to_880(window, qtbot):
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=BOUND)
    session = window.runner.session
    window.controls.freq.setValue(880.0)  # applied live, no restart
    qtbot.waitUntil(lambda: shows(window, "fft", 880.0) and shows(window, "zc", 880.0, 2.0), timeout=BOUND)
    assert window.runner.session is session  # the same run followed the change


def test_plots_get_data(window, qtbot):
    window.start()

    def seconds_drawn() -> float:
        x, _ = window.history.curves["fft"].getData()
        return float(x[-1] - x[0]) if len(x) > 1 else 0.0

    qtbot.waitUntil(lambda: seconds_drawn() > 5 * 512 / 48000, timeout=2 * BOUND)  # five hops of history
    _, wave = window.waveform.curve.getData()
    freqs, db = window.spectrum.curve.getData()
    assert len(wave) == 2048 and 0.4 < float(max(wave)) <= 0.51
    assert abs(10 ** freqs[int(db.argmax())] - 440.0) < 48000 / 2048  # the axis is logarithmic
    assert window.spectrum.markers["fft"].isVisible()


def test_a_thinned_trace_stays_within_a_step_of_every_point_left_out():
    from streamfreq.gui.curve import thin

    rng = np.random.default_rng(12)
    step = 0.01
    y = np.cumsum(rng.normal(0.0, 0.0005, 2000)) + np.repeat(rng.normal(0.0, 0.3, 20), 100)  # drifts and jumps
    y[rng.choice(2000, 40, replace=False)] = np.nan
    finite = np.isfinite(y)
    connect = finite & np.append(finite[1:], False) & (rng.random(2000) > 0.01)
    keep = thin(y, connect, step)
    kept = keep.nonzero()[0]
    assert 0 < len(kept) < len(y) // 2  # most points go
    for a, b in zip(kept[:-1], kept[1:], strict=True):
        if b == a + 1:
            continue
        assert connect[a:b].all()  # only points inside one drawn run are left out
        x = np.arange(a, b + 1)
        chord = y[a] + (y[b] - y[a]) * (x - a) / (b - a)
        assert np.abs(chord - y[a : b + 1]).max() < step


def test_toggling_an_estimator(window, qtbot):
    window.start()
    qtbot.waitUntil(lambda: shows(window, "zc", 440.0, 2.0), timeout=BOUND)
    window.controls.toggles["zc"].setChecked(False)
    qtbot.waitUntil(lambda: window.readouts.cards["zc"].status_label.text() == "off", timeout=BOUND)
    count = window.readout_count
    qtbot.waitUntil(lambda: window.readout_count > count + 3, timeout=BOUND)
    assert window.latest_hz("zc") is None
    assert "zc" not in window.latest_readout().estimates  # switched off in the engine: not run at all
    assert "Zero crossing" not in legend_labels(window)
    assert window.latest_hz("fft") is not None  # the others keep going
    window.controls.toggles["zc"].setChecked(True)
    qtbot.waitUntil(lambda: shows(window, "zc", 440.0, 2.0), timeout=BOUND)


def test_a_bad_device_shows_a_message_and_the_app_stays_usable(window, qtbot):
    window.controls.set_source("mic")
    window.controls.set_device("no-such-device-streamfreq-test")
    window.start()
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=5 * BOUND)
    assert window.message_box is not None and window.message_box.isVisible()
    assert window.error_label.isVisible()
    assert not window.running
    window.message_box.close()
    window.controls.set_source("synth")
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=2 * BOUND)
    assert not window.error_label.isVisible()


def test_an_unreadable_file_shows_a_message_and_nothing_of_the_last_run(window, qtbot, tmp_path):
    """Started after the synth: the synth's 440 Hz and its truth go from the screen, only the message stays."""
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=2 * BOUND)
    bogus = tmp_path / "not-audio.wav"
    bogus.write_text("this is not a WAV file\n")
    window.controls.path.setText(str(bogus))
    window.controls.set_source("file")
    window.start()
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=5 * BOUND)
    assert "not-audio.wav" in window.last_error
    assert all(math.isnan(card_hz(window, name)) for name in ("fft", "zc", "truth"))
    assert window.readouts.tuner.hz is None
    assert window.latest_readout() is None


def test_a_missing_model_leaves_the_other_estimators_running(qtbot, monkeypatch):
    import streamfreq.gui.live as live

    real = live.build_estimator

    def build(name, model_path=None):
        if name == "lstm":
            raise ModelError("LSTM model not found: /nowhere/lstm.tflite")
        return real(name, model_path)

    monkeypatch.setattr(live, "build_estimator", build)
    win = make_window(qtbot, "--estimators", "fft,zc,lstm")
    try:
        win.start()
        qtbot.waitUntil(lambda: shows(win, "fft", 440.0), timeout=2 * BOUND)
        qtbot.waitUntil(lambda: not win.controls.toggles["lstm"].isEnabled(), timeout=BOUND)
        assert "lstm.tflite" in (win.last_error or "")
        assert not win.controls.toggles["lstm"].isChecked()
        assert win.latest_hz("lstm") is None
    finally:
        win.shutdown()


def test_a_path_left_in_the_file_box_does_not_keep_the_synth_from_starting(window, qtbot, tmp_path):
    """The file box keeps its path when another source is chosen; that source starts without it."""
    window.controls.path.setText(str(tmp_path / "some.wav"))
    window.controls.set_source("synth")
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=2 * BOUND)
    assert window.last_error is None


def test_stop_and_restart_never_wait_for_the_audio_device_to_close(window, qtbot, monkeypatch):
    """Closing a microphone's stream can take PortAudio a second or two: the window's stop and restart return
    at once, and the next run opens its source only once the last one has let its device go."""
    log: list[str] = []
    gates = [threading.Event(), threading.Event()]
    sources = iter([SlowToClose("first", log, gates[0]), SlowToClose("second", log, gates[1])])
    monkeypatch.setattr("streamfreq.gui.live.make_source", lambda args: next(sources))
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=2 * BOUND)
    window.stop()
    window.start()  # both return while the first source is still closing
    assert log == ["first opens"] and window.runner.releasing.is_alive()
    gates[0].set()
    qtbot.waitUntil(lambda: log[-1:] == ["second opens"], timeout=2 * BOUND)
    assert log == ["first opens", "first closed", "second opens"]
    gates[1].set()
    window.shutdown()  # on quitting, the device is closed before this returns
    assert log[-1] == "second closed"


def test_choosing_the_file_source_without_a_file_stops_the_run_and_waits(window, qtbot):
    """ "Audio file" picked in the source box while the synth runs: no error about a missing path; the run stops
    until a file is opened."""
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=2 * BOUND)
    window.controls.path.setText("")
    window.controls.set_source("file")
    qtbot.waitUntil(lambda: not window.running, timeout=2 * BOUND)
    assert window.last_error is None


def test_a_tone_above_half_the_samplerate_is_refused_while_the_synth_runs(qtbot):
    """At 8 kHz the synth cannot make 6 kHz: the frequency box's 6000 is an error message, and the tone stays."""
    win = make_window(qtbot, "--estimators", "fft", "--samplerate", "8000")
    try:
        win.start()
        qtbot.waitUntil(lambda: shows(win, "fft", 440.0), timeout=2 * BOUND)
        win.controls.freq.setValue(6000.0)
        qtbot.waitUntil(lambda: win.last_error is not None, timeout=BOUND)
        assert "freq must be in 0..4000" in win.last_error
        qtbot.wait(300)
        assert shows(win, "fft", 440.0)
    finally:
        win.shutdown()


def test_a_file_shorter_than_a_window_says_so(window, qtbot, tmp_path):
    soundfile = pytest.importorskip("soundfile")
    path = tmp_path / "short.wav"
    soundfile.write(path, np.zeros(1000, np.float32), 48000)
    window.controls.path.setText(str(path))
    window.controls.set_source("file")
    window.start()
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=5 * BOUND)
    assert window.last_error.startswith("no whole window in the input (2048 samples")


@pytest.mark.parametrize(("rate", "length"), [(44100, 2048), (16000, 1024)])
def test_a_file_plays_in_real_time(window, qtbot, tmp_path, rate, length):
    """At its own rate and pace, with the default window of that rate in the status bar (the same time at each)."""
    soundfile = pytest.importorskip("soundfile")
    import numpy as np

    path = tmp_path / "tone.wav"
    soundfile.write(path, (0.5 * np.sin(2 * np.pi * 660.0 * np.arange(2 * rate) / rate)).astype(np.float32), rate)
    window.controls.path.setText(str(path))
    window.controls.set_source("file")
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 660.0), timeout=2 * BOUND)
    assert window.latest_readout().samplerate == rate
    qtbot.waitUntil(lambda: window.status_labels["rate"].text() == f"{rate} Hz · window {length}", timeout=BOUND)
    assert window.running  # 2 s of audio, played at its own pace
    qtbot.waitUntil(lambda: not window.running, timeout=5 * BOUND)  # the file ends, the run stops
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
        qtbot.waitUntil(lambda: shows(window, "fft", 523.25, 1.0), timeout=5 * BOUND)
        assert window.last_error is None
    finally:
        player.terminate()
        player.wait(10)


def test_the_window_grabs_to_a_png(window, qtbot, tmp_path):
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=BOUND)
    path = tmp_path / "window.png"
    assert window.grab().save(str(path), "PNG")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_arguments_from_streamfreq_gui_are_accepted(capsys):
    args = gui_app.parse_args(["--gui", "--source", "synth", "--freq", "880", "--format", "csv", "--duration", "3"])
    assert args.source == "synth" and args.freq == 880.0
    assert "ignoring --format csv --duration 3" in capsys.readouterr().err
    assert gui_app.parse_args(["--sweep", "110:1760:4"]).sweep == "110:1760:4"
    wrong = (
        ["--quit-after", "-1"],
        ["--sweep", "1:2"],
        ["--estimators", "fft,yin"],
        ["--source", "stdin"],
        ["--input", "-"],
    )
    for bad in wrong:
        with pytest.raises(SystemExit):
            gui_app.parse_args(bad)
    (line,) = capsys.readouterr().err.splitlines()[-1:]
    assert line.startswith("streamfreq-gui: error: ") and line.endswith("(try --help)")
    # the app's frequency boxes hold 20..20000 Hz, and the synth makes nothing above half its samplerate
    for bad, message in (
        (["--freq", "30000"], "freq must be in 20..20000 (got 30000.0)"),
        (["--freq", "nan"], "freq must be in 20..20000 (got nan)"),
        (["--samplerate", "8000", "--freq", "6000"], "freq must be in 20..4000 (got 6000.0)"),
        (["--sweep", "10:100:2"], "sweep F0 and F1 must be in 20..20000 (got 10.0)"),
    ):
        with pytest.raises(SystemExit):
            gui_app.parse_args(bad)
        assert message in capsys.readouterr().err


def test_the_app_and_the_command_line_share_their_options():
    from streamfreq.cli import build_parser

    def options(parser) -> set[str]:
        return {option for action in parser._actions for option in action.option_strings}

    app_only = {"--fps", "--no-start", "--quit-after", "--screenshot"}
    cli_only = {"--duration", "--format", "--list-devices", "--pcm", "--channels"}
    assert options(gui_app.build_parser()) - app_only == options(build_parser()) - cli_only


def legend_labels(window: MainWindow) -> list[str]:
    return [label.text for _, label in window.history.legend.items]


def test_the_app_never_runs_estimators_and_keeps_no_audio():
    """The engine's live session does the work: no estimator call, no push, no thread or ring in gui/."""
    source = "\n".join(path.read_text() for path in GUI.glob("*.py"))
    for forbidden in ("estimate_many", ".push(", "threading.Thread", "RingBuffer", ".run(", "import sounddevice"):
        assert forbidden not in source, forbidden
    assert ".start(source, after=" in source and ".drain()" in source and ".window_samples(" in source
    assert not (GUI / "engine_thread.py").exists()
    assert len((GUI / "live.py").read_text().splitlines()) < 150


def test_history_axis_is_logarithmic_with_note_names_and_never_below_zero(window, qtbot):
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=BOUND)
    qtbot.waitUntil(lambda: bool(window.history.in_legend), timeout=BOUND)
    item = window.history.getPlotItem()
    assert item.ctrl.logYCheck.isChecked()  # log mode: every plotted value is a log10(Hz), so Hz > 0
    low, high = window.history.getViewBox().viewRange()[1]
    assert 10**low > 0
    axis = item.getAxis("left")
    levels = axis.tickValues(low, high, 400)
    labels = axis.tickStrings(levels[0][1], 1.0, levels[0][0])
    assert "A4 440" in labels


def test_history_zoom_is_at_least_a_semitone_each_way_and_glides_to_a_new_note(window, qtbot):
    semitone = math.log10(2) / 12
    window.start()
    qtbot.waitUntil(lambda: shows(window, "fft", 440.0), timeout=BOUND)
    qtbot.waitUntil(lambda: window.frames > 20, timeout=BOUND)
    low, high = window.history.view
    assert low <= math.log10(440) - semitone and high >= math.log10(440) + semitone  # jitter never fills the plot
    window.controls.freq.setValue(880.0)
    qtbot.waitUntil(lambda: shows(window, "fft", 880.0), timeout=BOUND)
    path = []

    def settled() -> bool:
        history = window.history
        path.append(history.view)
        return history.goal[1] > math.log10(880) and abs(history.view[1] - history.goal[1]) < 0.1 * semitone

    qtbot.waitUntil(settled, timeout=2 * BOUND)
    steps = np.abs(np.diff(np.array(path)[:, 1]))
    assert np.count_nonzero(steps) > 3 and steps.max() < 0.5 * (math.log10(880) - math.log10(440))  # glides


def test_every_trace_stays_visible_where_they_agree_and_truth_has_a_dashed_legend(window, qtbot):
    from PyQt6.QtCore import Qt

    window.start()
    qtbot.waitUntil(lambda: len(legend_labels(window)) == 3, timeout=2 * BOUND)
    assert legend_labels(window) == ["FFT", "Zero crossing", "Truth"]
    curves = window.history.curves
    widths = [curves[name].opts["pen"].widthF() for name in ("fft", "zc")]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[1]  # the narrower line lies on top
    assert curves["zc"].zValue() > curves["fft"].zValue()
    sample = next(sample for sample, label in window.history.legend.items if label.text == "Truth")
    assert sample.item.opts["pen"].style() == Qt.PenStyle.DashLine and sample.item.isVisible()


def test_the_tuner_shows_the_note_cents_and_steadiness(window, qtbot):
    window.start()
    qtbot.waitUntil(lambda: window.readouts.tuner.status() == "steady", timeout=2 * BOUND)
    assert window.readouts.tuner.note == "A4" and abs(window.readouts.tuner.cents) < 1.0
    window.controls.sweep_low.setValue(200.0)
    window.controls.sweep_high.setValue(800.0)
    window.controls.sweep_seconds.setValue(2.0)
    window.controls.sweep.setChecked(True)  # a note that never holds still
    qtbot.waitUntil(lambda: window.readouts.tuner.status() == "unsteady", timeout=2 * BOUND)


def test_the_tuner_says_out_of_range_for_a_tone_below_what_the_window_reads(window, qtbot):
    """A 20 Hz tone at 48 kHz lies below the default window's lowest f0 (46.9 Hz) and below the 30 Hz the engine
    reaches for in twice the window (``streamfreq.reach``): no pitch, and the tuner says why."""
    window.controls.freq.setValue(20.0)
    window.start()
    qtbot.waitUntil(lambda: window.readouts.tuner.status() == "out of range", timeout=2 * BOUND)
    assert window.readouts.tuner.hz is None
    window.controls.freq.setValue(440.0)  # back in range: a pitch again
    qtbot.waitUntil(lambda: window.readouts.tuner.status() == "steady", timeout=2 * BOUND)


def test_a_short_source_page_has_no_empty_rows_above_it(window, qtbot):
    window.controls.set_source("file")
    qtbot.waitUntil(lambda: window.controls.pages.currentIndex() == 2, timeout=BOUND)
    page = window.controls.pages.currentWidget()
    assert window.controls.path.geometry().top() <= 10  # the path is the first row of its page
    assert window.controls.pages.height() <= page.sizeHint().height() + 10


LINE = re.compile(
    r"^frames=(\d+) fps=([\d.]+) readouts=(\d+) dropped=(\d+)"
    r" last_fft=(null|[\d.]+) last_zc=(null|[\d.]+) last_lstm=(null|[\d.]+)$"
)


def test_a_scripted_run_that_analyses_nothing_says_why_and_exits_1():
    """``--quit-after`` on a file that cannot be opened: the summary line, then the reason on stderr, exit 1."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    done = subprocess.run(
        [sys.executable, "-m", "streamfreq.gui.app", "--input", "/no/such/file.wav", "--quit-after", "0.5"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 1
    assert LINE.match(done.stdout.strip())
    assert done.stderr.strip().endswith("cannot open '/no/such/file.wav': no such file")


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


def test_every_status_word_fits_its_card_at_the_window_s_size(qtbot):
    """The confidence bar's own width hint (95 px) squeezed "out of range" to "out of ra" in the 1280-px window."""
    from streamfreq.estimators.base import Estimate

    win = make_window(qtbot, "--estimators", "fft,zc,lstm")
    win.resize(1280, 800)
    for name, card in win.readouts.cards.items():
        if name == "truth":
            continue
        for status in ("out_of_range", "no_tone", "ok"):
            card.show_estimate(Estimate(440.0 if status == "ok" else float("nan"), 0.5, status))
            qtbot.waitUntil(lambda card=card: card.status_label.width() >= card.status_label.sizeHint().width())
    win.shutdown()
