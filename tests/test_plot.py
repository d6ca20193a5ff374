"""streamfreq plot and batch --plots: what the picture holds, where it goes, and bad input."""

import sys

import numpy as np
import pytest
import soundfile

from streamfreq import analyze_file
from streamfreq.batch.job import Settings
from streamfreq.batch.run import run_batch
from streamfreq.plot import Spectrogram, draw
from streamfreq.plot import main as plot_main
from streamfreq.signals import tone

FS = 16000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def two_notes(tmp_path_factory):
    """220 Hz for 1 s, silence for 1 s, 880 Hz for 1 s."""
    path = tmp_path_factory.mktemp("plot") / "two_notes.wav"
    y = np.concatenate([0.5 * tone(FS, 220.0), np.zeros(FS), 0.5 * tone(FS, 880.0)])
    soundfile.write(path, y, FS)
    return path


def spectrogram_of(path) -> Spectrogram:
    info = soundfile.info(path)
    spectrogram = Spectrogram(info.samplerate, info.frames)
    for block in soundfile.blocks(path, blocksize=4096, dtype="float32"):
        spectrogram.add(block)
    return spectrogram


def test_the_f0_lines_are_the_track_and_empty_where_unvoiced(two_notes):
    track = analyze_file(two_notes, estimators=["fft", "zc"])
    figure = draw(track, spectrogram_of(two_notes), title="two notes")
    axes = figure.axes[0]
    assert axes.get_yscale() == "log"
    labels = [label.get_text() for label in axes.get_yticklabels()]
    assert {"C3", "A4", "C5"} <= set(labels)
    lines = {line.get_label().split(" ")[0]: line for line in axes.get_lines()}
    assert list(lines) == ["fft", "zc"]
    for name, line in lines.items():
        x = np.asarray(line.get_xdata(), dtype=float)
        readout = ~np.isnan(x)  # the other points break the line between readouts it does not join
        np.testing.assert_array_equal(x[readout], track.time)
        drawn = np.asarray(line.get_ydata(), dtype=float)[readout]
        np.testing.assert_array_equal(np.isnan(drawn), track.status[name] != "ok")  # unvoiced: no line
        silent = (track.time > 1.1) & (track.time < 1.9)
        assert silent.any() and np.isnan(drawn[silent]).all()
        assert line.get_label() == f"{name} ({np.mean(track.status[name] == 'ok'):.0%} voiced)"


def test_the_spectrogram_peaks_at_the_notes(two_notes):
    times, freqs, level = spectrogram_of(two_notes).image()
    centres = (freqs[:-1] + freqs[1:]) / 2
    bin_width = freqs[2] - freqs[1]
    middle = (times[:-1] + times[1:]) / 2
    for start, stop, hz in ((0.2, 0.8, 220.0), (2.2, 2.8, 880.0)):
        columns = (middle > start) & (middle < stop)
        peaks = centres[np.argmax(level[columns], axis=1)]
        assert np.all(np.abs(peaks - hz) <= bin_width / 2), peaks
    assert level.shape[0] == len(times) - 1 <= 1600


def test_plot_command_writes_a_png(two_notes, tmp_path):
    out = tmp_path / "two.png"
    assert plot_main([str(two_notes), "-o", str(out), "--estimators", "fft"]) == 0
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1200, 550)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # written atomically: no temporary left


def test_plot_reads_the_analysis_options_quiet_db_included(tmp_path, monkeypatch):
    """Every analysis option of ``streamfreq plot`` reaches ``plot_file``; ``--quiet-db off`` draws the quiet end of
    a loud-then-quiet tone that the default leaves unvoiced, as ``analyze_file`` says."""
    rate = 16000
    t = np.arange(3 * rate) / rate
    path = tmp_path / "loud_then_quiet.wav"
    soundfile.write(path, np.where(t < 0.5, 0.5, 0.0016) * np.cos(2 * np.pi * 330.0 * t), rate, subtype="FLOAT")
    import streamfreq.plot as plot

    drawn = {}
    real = plot.plot_file
    monkeypatch.setattr(plot, "plot_file", lambda *a, **k: drawn.setdefault(k.get("quiet_db"), real(*a, **k)))
    for option in ([], ["--quiet-db", "off"]):
        assert plot_main([str(path), "-o", str(tmp_path / f"{len(option)}.png"), "--estimators", "fft", *option]) == 0
    for quiet_db, track in drawn.items():
        np.testing.assert_array_equal(
            track.f0["fft"], analyze_file(path, estimators=["fft"], quiet_db=quiet_db).f0["fft"]
        )
    quiet = (drawn[None].time > 0.7) & (drawn[None].time < 2.0)
    assert np.isnan(drawn[40.0].f0["fft"][quiet]).all() and not np.isnan(drawn[None].f0["fft"][quiet]).any()


def test_plot_errors_are_one_line(two_notes, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        plot_main([str(two_notes)])
    assert stop.value.code == 2
    required = "the following arguments are required: -o/--out"
    assert capsys.readouterr().err == f"streamfreq plot: error: {required} (try --help)\n"
    assert plot_main([str(two_notes), "-o", str(tmp_path / "x.png"), "--estimators", "yin"]) == 2
    assert capsys.readouterr().err.startswith("streamfreq plot: error: estimator must be one of fft, zc, lstm")
    assert plot_main([str(tmp_path / "missing.wav"), "-o", str(tmp_path / "x.png")]) == 1
    missing = tmp_path / "missing.wav"
    assert capsys.readouterr().err == f"streamfreq plot: error: cannot open '{missing}': no such file\n"
    assert plot_main([str(two_notes), "-o", str(tmp_path / "no" / "such" / "x.png"), "--estimators", "zc"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write" in err and "No such file or directory" in err
    jpeg = tmp_path / "x.jpg"
    assert plot_main([str(two_notes), "-o", str(jpeg), "--estimators", "zc"]) == 2
    assert capsys.readouterr().err.startswith("streamfreq plot: error: the picture is a PNG: name it .png")
    assert not jpeg.exists()


def test_plot_warns_as_the_command_line_does_and_still_draws(tmp_path, capsys):
    """A file shorter than one window, and a WAV whose header promises more than it holds: one warning line each
    (the command line's), exit 0, and the picture is drawn."""
    short = tmp_path / "short.wav"
    soundfile.write(short, 0.5 * tone(1000, 220.0), FS)
    assert plot_main([str(short), "-o", str(tmp_path / "short.png"), "--estimators", "zc"]) == 0
    err = capsys.readouterr().err
    assert (
        err == "streamfreq plot: warning: no whole window in the input (1024 samples = 64.0 ms at 16000 Hz): no "
        "readouts; try a shorter --window\n"
    )
    whole = tmp_path / "whole.wav"
    soundfile.write(whole, 0.5 * tone(FS, 220.0), FS, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: 44 + FS])  # the header, and half the samples
    assert plot_main([str(cut), "-o", str(tmp_path / "cut.png"), "--estimators", "zc"]) == 0
    (line,) = capsys.readouterr().err.splitlines()
    promise = "its header promises 16000 frames, the file holds 8000; analysing those"
    assert line == f"streamfreq plot: warning: '{cut}' is truncated: {promise}"
    assert (tmp_path / "short.png").read_bytes().startswith(PNG_MAGIC)
    assert (tmp_path / "cut.png").read_bytes().startswith(PNG_MAGIC)


def test_missing_matplotlib_names_the_extra(two_notes, monkeypatch):
    track = analyze_file(two_notes, estimators=["zc"])
    for name in [name for name in sys.modules if name.split(".")[0] == "matplotlib"] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed, even when loaded already
    with pytest.raises(ImportError, match=r'matplotlib is not installed; .*pip install "streamfreq\[plot\]"'):
        draw(track, spectrogram_of(two_notes))


def test_batch_plots_one_picture_per_done_file_and_draws_missing_ones_on_a_rerun(two_notes, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.wav").write_bytes(two_notes.read_bytes())
    soundfile.write(corpus / "b.wav", 0.5 * tone(FS, 300.0), FS)
    (corpus / "bad.wav").write_bytes(b"RIFF....WAVEjunk")
    out = tmp_path / "out"
    report = run_batch([str(corpus)], out, Settings(estimators=("zc",)), workers=1)
    assert (report.done, report.failed) == (2, 1) and not (out / "plots").exists()
    report = run_batch([str(corpus)], out, Settings(estimators=("zc",), plots=True), workers=2)
    assert (report.skipped, report.done, report.failed) == (0, 2, 1)  # done before, but without pictures
    pictures = sorted((out / "plots").iterdir())
    assert [p.name.split("-")[0] for p in pictures] == ["a", "b"]
    assert all(p.read_bytes().startswith(PNG_MAGIC) for p in pictures)
    report = run_batch([str(corpus)], out, Settings(estimators=("zc",), plots=True), workers=1)
    assert (report.skipped, report.done) == (2, 0)


def test_a_drawn_trace_follows_glides_and_vibrato_but_not_jumps():
    """Joined (the app's history and streamfreq plot): a glide of 2 octaves per second with a 7 Hz vibrato of
    +-100 cents, readouts 512 samples apart at 48 kHz. Not joined: a stray reading an octave or more away (on
    both sides), a step of 4 semitones, a gap, skipped windows."""
    from streamfreq.notes import joined

    hop = 512 / 48000
    t = np.arange(200) * hop
    glide = 200.0 * 2.0 ** (2.0 * t + (100.0 / 1200.0) * np.sin(2 * np.pi * 7.0 * t))
    assert joined(t, glide, hop)[:-1].all() and not joined(t, glide, hop)[-1]
    stray = glide.copy()
    stray[100] = 51.0
    assert np.flatnonzero(~joined(t, stray, hop)[:-1]).tolist() == [99, 100]
    step = np.where(t < t[100], 220.0, 220.0 * 2 ** (4 / 12))
    assert np.flatnonzero(~joined(t, step, hop)[:-1]).tolist() == [99]
    gap = glide.copy()
    gap[50] = np.nan
    skipped = np.delete(t, 150)
    assert np.flatnonzero(~joined(t, gap, hop)[:-1]).tolist() == [49, 50]
    assert np.flatnonzero(~joined(skipped, np.delete(glide, 150), hop)[:-1]).tolist() == [149]
