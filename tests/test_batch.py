"""streamfreq batch: both engines, faults isolated, identical outputs, resume, killed workers, bad arguments.

Ray runs in one small local cluster shared by this module (num_cpus=2, the machine's two cores).
"""

import csv
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import soundfile
from conftest import run_cli

from streamfreq import analyze_file
from streamfreq.batch.cli import main as batch_main
from streamfreq.batch.job import Settings
from streamfreq.batch.run import run_batch
from streamfreq.batch.store import MANIFEST, PARTS, part_name
from streamfreq.defaults import hop_for_window, window_for
from streamfreq.signals import harmonic_tone, tone

NAMES = ["fft", "zc"]
ESTIMATORS = ",".join(NAMES)


def windows_in(frames: int, samplerate: float = 16000.0) -> int:
    """Whole windows of the default window and hop at ``samplerate`` in ``frames`` samples."""
    window = window_for(samplerate)
    return 1 + (frames - window) // hop_for_window(window)


def write_tone(path, hz, seconds, samplerate, *, channels=1, subtype="PCM_16"):
    n = round(seconds * samplerate)
    y = 0.5 * tone(n, hz * n / samplerate)
    if channels == 2:  # the right channel an octave up
        y = np.stack([y, 0.5 * tone(n, 2 * hz * n / samplerate)], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, y, samplerate, subtype=subtype)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Three good files (one stereo, one FLAC, one in a subfolder), a corrupt and a truncated file, a text file."""
    root = tmp_path_factory.mktemp("corpus")
    write_tone(root / "a220.wav", 220.0, 2.0, 16000)
    write_tone(root / "b440.flac", 440.0, 1.5, 22050)
    write_tone(root / "sub" / "stereo300.wav", 300.0, 2.0, 16000, channels=2)
    (root / "corrupt.wav").write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    write_tone(root / "truncated.wav", 500.0, 2.0, 16000)
    data = (root / "truncated.wav").read_bytes()
    (root / "truncated.wav").write_bytes(data[: len(data) // 3])
    (root / "notes.txt").write_text("not audio, and not picked up from a folder")
    return root


GOOD = ["a220.wav", "b440.flac", "sub/stereo300.wav"]
BAD = {"corrupt.wav": r"cannot read .* as audio", "truncated.wav": r"is truncated: its header promises"}


@pytest.fixture(scope="module")
def ray_cluster():
    import ray

    ray.init(
        num_cpus=2,
        object_store_memory=100 * 1024**2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level=logging.ERROR,
    )
    yield ray
    ray.shutdown()


def rows(out) -> dict[str, dict[str, str]]:
    with open(out / "files.csv", newline="") as handle:
        listed = list(csv.DictReader(handle))
    by_path = {row["path"]: row for row in listed}
    assert len(by_path) == len(listed), "a path is listed twice"
    return by_path


def readouts(out):
    return pq.read_table(out / PARTS).sort_by([("path", "ascending"), ("start", "ascending")])


def assert_readouts_are_analyze_file(out, paths, channel=None):
    """The rows of each of ``paths`` are exactly analyze_file's Track, once."""
    table = readouts(out)
    for path in paths:
        track = analyze_file(path, estimators=NAMES, channel=channel)
        mine = table.filter(pc.equal(table.column("path"), str(path)))
        expected = track.to_arrow()
        assert mine.num_rows == len(track) > 0
        for name in expected.column_names:
            assert mine.column(name).equals(expected.column(name)), (path, name)


@pytest.fixture(scope="module")
def local_out(corpus, tmp_path_factory):
    """The local engine's output on the corpus (two workers), and what it printed."""
    out = tmp_path_factory.mktemp("local") / "out"
    code = batch_main([str(corpus), "--out", str(out), "--estimators", ESTIMATORS, "--workers", "2", "--quiet"])
    return out, code


def test_local_engine_analyses_every_good_file_and_reports_the_bad_ones(corpus, local_out):
    out, code = local_out
    assert code == 1
    listed = rows(out)
    assert sorted(listed) == sorted(str(corpus / name) for name in [*GOOD, *BAD])
    for name in GOOD:
        row = listed[str(corpus / name)]
        assert row["status"] == "done" and row["error"] == ""
        track = analyze_file(corpus / name, estimators=NAMES)
        assert int(row["windows"]) == len(track)
        assert float(row["seconds"]) == pytest.approx(soundfile.info(corpus / name).duration)
        assert float(row["fft_voiced"]) == pytest.approx(np.mean(track.status["fft"] == "ok"))
    assert float(listed[str(corpus / "a220.wav")]["fft_median_hz"]) == pytest.approx(220.0, abs=0.01)
    assert listed[str(corpus / "sub/stereo300.wav")]["channels"] == "2"
    for name, reason in BAD.items():
        row = listed[str(corpus / name)]
        assert row["status"] == "error" and row["windows"] == ""
        assert "\n" not in row["error"] and re.search(reason, row["error"]), row["error"]
    assert sorted(set(readouts(out).column("path").to_pylist())) == sorted(str(corpus / n) for n in GOOD)
    assert_readouts_are_analyze_file(out, [corpus / name for name in GOOD])
    assert sorted(p.name for p in (out / PARTS).iterdir()) == sorted(part_name(str(corpus / n)) for n in GOOD)


def test_channel_picks_one_channel_and_a_file_without_it_is_an_error_row(corpus, tmp_path):
    out = tmp_path / "out"
    stereo, mono = corpus / "sub" / "stereo300.wav", corpus / "a220.wav"
    arguments = [str(stereo), str(mono), "-o", str(out), "--estimators", "fft", "--channel", "1", "--quiet"]
    assert batch_main([*arguments, "--workers", "1"]) == 1
    listed = rows(out)
    assert float(listed[str(stereo)]["fft_median_hz"]) == pytest.approx(600.0, abs=0.01)  # the right channel
    assert listed[str(mono)]["status"] == "error"
    assert listed[str(mono)]["error"] == "channel must be in 0..0 (got 1)"
    track = analyze_file(stereo, estimators=["fft"], channel=1)
    np.testing.assert_array_equal(readouts(out).column("fft").to_numpy(zero_copy_only=False), track.f0["fft"])


def test_fmin_reaches_the_estimators_as_in_analyze_file(corpus, tmp_path):
    """``--fmin 250``: the 220 Hz tone is out of range for every estimator, as ``analyze_file(fmin=250)`` says,
    and the 300 Hz tone is read (the estimators are built once for all files, with the batch's fmin)."""
    out = tmp_path / "out"
    mono, stereo = corpus / "a220.wav", corpus / "sub" / "stereo300.wav"
    arguments = [str(mono), str(stereo), "--out", str(out), "--estimators", ESTIMATORS, "--fmin", "250", "--quiet"]
    assert batch_main([*arguments, "--workers", "1"]) == 0
    table = readouts(out)
    for path in (mono, stereo):
        track = analyze_file(path, estimators=NAMES, fmin=250.0)
        mine = table.filter(pc.equal(table.column("path"), str(path)))
        for name in NAMES:
            np.testing.assert_array_equal(mine.column(name).to_numpy(zero_copy_only=False), track.f0[name])
    assert set(table.filter(pc.equal(table.column("path"), str(mono))).column("fft_status").to_pylist()) == {
        "out_of_range"
    }
    assert float(rows(out)[str(stereo)]["fft_median_hz"]) == pytest.approx(300.0, abs=0.01)


def test_a_note_below_the_floor_is_reached_for_as_in_analyze_file(tmp_path):
    """A bass's E1 at 44.1 kHz lies below the default window's floor: the batch's estimators, built once for all
    files, read it again in twice the window as analyze_file's engine does (``streamfreq.reach``), row for row."""
    path = tmp_path / "e1.wav"
    e1 = harmonic_tone(88200, 44100.0, 41.2034, [1.0, 0.8, 0.6, 0.45, 0.3, 0.2], seed=3)
    soundfile.write(path, 0.5 * e1 / np.max(np.abs(e1)), 44100, subtype="PCM_16")
    out = tmp_path / "out"
    assert batch_main([str(path), "--out", str(out), "--estimators", ESTIMATORS, "--workers", "1", "--quiet"]) == 0
    assert_readouts_are_analyze_file(out, [path])
    fft = analyze_file(path, estimators=["fft"]).f0["fft"][4:]
    assert np.all(np.abs(1200 * np.log2(fft / 41.2034)) < 5.0)


def test_quiet_db_reaches_the_engine_as_in_analyze_file(tmp_path):
    """A loud tone, then the same tone 50 dB down: by default the quiet part says no_tone in the batch's rows as
    in ``analyze_file``; with ``--quiet-db off`` it is read in both."""
    rate = 16000
    t = np.arange(3 * rate) / rate
    level = np.where(t < 0.5, 0.5, 0.5 * 10 ** (-50 / 20))
    path = tmp_path / "loud_then_quiet.wav"
    soundfile.write(path, level * np.cos(2 * np.pi * 330.0 * t), rate, subtype="FLOAT")
    for option, quiet_db in (([], 40.0), (["--quiet-db", "off"], None)):
        out = tmp_path / f"out{len(option)}"
        assert batch_main([str(path), "--out", str(out), "--estimators", ESTIMATORS, "--quiet", *option]) == 0
        table = readouts(out)
        track = analyze_file(path, estimators=NAMES, quiet_db=quiet_db)
        for name in NAMES:
            np.testing.assert_array_equal(table.column(name).to_numpy(zero_copy_only=False), track.f0[name])
        start = table.column("start").to_numpy()
        quiet = (start >= 0.5 * rate) & (start < 1.5 * rate)  # whole windows of the quiet tone, within 2 s of the loud
        statuses = set(np.array(table.column("fft_status").to_pylist())[quiet])
        assert statuses == ({"no_tone"} if quiet_db else {"ok"}), (option, statuses)


def test_failures_give_exit_1_and_one_line_with_the_count(corpus, tmp_path, capsys):
    code = batch_main([str(corpus / "corrupt.wav"), str(corpus / "a220.wav"), "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"streamfreq batch: 1 of 2 files failed; the reasons are in {tmp_path / 'o' / 'files.csv'}"]


@pytest.mark.slow
def test_ray_engine_gives_the_local_engines_outputs(corpus, local_out, ray_cluster, tmp_path):
    out = tmp_path / "ray"
    code = batch_main([str(corpus), "--out", str(out), "--estimators", ESTIMATORS, "--engine", "ray", "--quiet"])
    assert code == 1
    assert readouts(out).equals(readouts(local_out[0]))
    ignore = ("wall_s", "worker")
    mine, theirs = rows(out), rows(local_out[0])
    assert {p: {k: v for k, v in r.items() if k not in ignore} for p, r in mine.items()} == {
        p: {k: v for k, v in r.items() if k not in ignore} for p, r in theirs.items()
    }
    for name in GOOD:  # the same bytes: Parquet parts are encoded in the workers the same way
        part = part_name(str(corpus / name))
        assert (out / PARTS / part).read_bytes() == (local_out[0] / PARTS / part).read_bytes()


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """Sixteen short files for the killed-worker tests."""
    root = tmp_path_factory.mktemp("many")
    for index in range(16):
        write_tone(root / f"f{index:02d}.wav", 100.0 + 37.0 * index, 1.0, 16000)
    return root


def kill_the_first_worker(killed: list):
    """An on_result hook that SIGKILLs the process that produced the first result."""

    def hook(result):
        if not killed:
            pid = int(str(result.row["worker"]).rsplit(":", 1)[1])
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    return hook


@pytest.mark.parametrize("engine", ["local", pytest.param("ray", marks=pytest.mark.slow)])
def test_a_worker_killed_mid_run_loses_no_file_and_writes_none_twice(engine, many, tmp_path, request):
    if engine == "ray":
        request.getfixturevalue("ray_cluster")
    killed: list[int] = []
    out = tmp_path / "out"
    settings = Settings(estimators=tuple(NAMES))
    report = run_batch([str(many)], out, settings, engine=engine, workers=2, on_result=kill_the_first_worker(killed))
    assert killed and report.done == 16 and report.failed == 0
    workers = {row["worker"] for row in rows(out).values()}
    assert all(row["status"] == "done" for row in rows(out).values())
    assert len(workers) >= 2 and f"{os.uname().nodename}:{killed[0]}" in workers
    files = sorted(many.glob("*.wav"))
    assert len(list((out / PARTS).iterdir())) == 16
    table = readouts(out)
    counts = {path: table.column("path").to_pylist().count(path) for path in map(str, files)}
    assert counts == {str(path): windows_in(16000) for path in files}
    assert_readouts_are_analyze_file(out, files[:2])


def start_and_wait_for_rows(command, out, count):
    """Start a batch in its own process group; return it once files.csv lists ``count`` files."""
    process = subprocess.Popen(command, start_new_session=True, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if (out / "files.csv").exists() and len(rows(out)) >= count:
            return process, rows(out)
        time.sleep(0.01)
    pytest.fail("the run ended before it could be stopped")


def assert_group_ends(group: int) -> None:
    """Every process of the run's group is gone within 30 s (workers notice a dead driver within a second)."""
    for _ in range(300):
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail("processes of the stopped run are still running after 30 s")


@pytest.fixture(scope="module")
def sixty(tmp_path_factory):
    root = tmp_path_factory.mktemp("sixty")
    for index in range(60):
        write_tone(root / f"f{index:02d}.wav", 90.0 + 11.0 * index, 4.0, 16000)
    return root


def batch_command(corpus, out, *options):
    return [
        sys.executable,
        "-m",
        "streamfreq",
        "batch",
        str(corpus),
        "--out",
        str(out),
        "--estimators",
        ESTIMATORS,
        *options,
    ]


def test_a_run_killed_with_sigkill_resumes_without_duplicates(sixty, tmp_path):
    out = tmp_path / "out"
    process, listed = start_and_wait_for_rows(batch_command(sixty, out, "--workers", "1", "--quiet"), out, 3)
    os.kill(process.pid, signal.SIGKILL)  # the driver only, as a crash would: its workers must not linger
    assert process.wait() == -signal.SIGKILL
    assert 3 <= len(listed) < 60
    assert_group_ends(process.pid)
    report = run_batch([str(sixty)], out, Settings(estimators=tuple(NAMES)), workers=2)
    assert report.skipped == len(listed) and report.done == 60 - len(listed) and report.failed == 0
    table = readouts(out)
    pairs = list(zip(table.column("path").to_pylist(), table.column("start").to_pylist(), strict=True))
    assert len(pairs) == len(set(pairs)) == 60 * (windows_in(64000))
    assert len(rows(out)) == 60 and not [p for p in out.rglob(".*") if p.name != ".lock"]


def test_sigterm_stops_a_run_like_ctrl_c_and_a_rerun_completes_it(sixty, tmp_path):
    out = tmp_path / "out"
    process, _ = start_and_wait_for_rows(batch_command(sixty, out, "--workers", "2", "--quiet"), out, 1)
    os.kill(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130
    assert err == "streamfreq batch: interrupted; finished files are stored, run the same command to go on\n"
    assert_group_ends(process.pid)
    stored = rows(out)  # written on the way out: every file finished before the signal
    assert len(stored) == len(list((out / PARTS).iterdir())) < 60
    report = run_batch([str(sixty)], out, Settings(estimators=tuple(NAMES)), workers=2)
    assert (report.skipped, report.done, report.failed) == (len(stored), 60 - len(stored), 0)


def test_a_rerun_skips_what_is_done_and_redoes_a_changed_file(corpus, tmp_path, capsys):
    root = tmp_path / "c"
    shutil.copytree(corpus, root)
    out = tmp_path / "out"
    arguments = [str(root), "--out", str(out), "--estimators", "zc", "--workers", "1"]
    assert batch_main(arguments) == 1
    write_tone(root / "a220.wav", 330.0, 1.0, 16000)  # changed: another tone, another size
    (root / "corrupt.wav").unlink()  # gone: its old row stays, it is no input any more
    assert batch_main([*arguments, str(root / "a220.wav")]) == 1  # listed twice: analysed once
    summary = capsys.readouterr().err.splitlines()[-2]
    assert summary.startswith("streamfreq batch: 4 inputs: 1 analysed, 2 already done, 1 failed")  # truncated: again
    listed = rows(out)
    assert float(listed[str(root / "a220.wav")]["zc_median_hz"]) == pytest.approx(330.0, abs=0.05)
    table = readouts(out)
    assert table.column("path").to_pylist().count(str(root / "a220.wav")) == windows_in(16000)


def test_leftovers_of_a_crash_are_cleaned_and_never_read_as_rows(corpus, local_out, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(local_out[0], out)
    (out / PARTS / ".part-0123.parquet.77.tmp").write_bytes(b"half a part")
    orphan = out / PARTS / part_name(str(corpus / "unlisted.wav"))  # written, then the crash: never recorded
    shutil.copy(out / PARTS / part_name(str(corpus / "a220.wav")), orphan)
    report = run_batch([str(corpus)], out, Settings(estimators=tuple(NAMES)), workers=1)
    assert (report.skipped, report.done, report.failed) == (3, 0, 2)
    assert sorted(p.name for p in (out / PARTS).iterdir()) == sorted(part_name(str(corpus / n)) for n in GOOD)
    assert readouts(out).equals(readouts(local_out[0]))


def test_other_settings_on_the_same_output_are_refused(corpus, local_out, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(local_out[0], out)
    code = batch_main([str(corpus), "--out", str(out), "--estimators", ESTIMATORS, "--window", "4096"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "made with other settings: window default (now 4096)" in err
    assert "use another --out" in err


def test_an_output_of_an_older_batch_without_a_setting_is_refused_as_such(corpus, local_out, tmp_path, capsys):
    """A folder whose manifest lacks a setting this version records (one made before ``follow_notes``)."""
    out = tmp_path / "out"
    shutil.copytree(local_out[0], out)
    manifest = json.loads((out / MANIFEST).read_text())
    del manifest["settings"]["follow_notes"]
    (out / MANIFEST).write_text(json.dumps(manifest))
    assert batch_main([str(corpus), "--out", str(out), "--estimators", ESTIMATORS]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "made by an older streamfreq batch, which had no follow_notes setting" in err


def test_the_same_estimators_listed_in_another_order_are_the_same_settings(corpus, local_out, tmp_path, capsys):
    """``--estimators zc,fft`` on a folder made with ``fft,zc``: nothing to redo, not other settings."""
    out = tmp_path / "out"
    shutil.copytree(local_out[0], out)
    code = batch_main([str(corpus), "--out", str(out), "--estimators", ",".join(reversed(NAMES)), "--quiet"])
    assert code == local_out[1]  # the bad files fail again, as in the first run; the good ones are skipped
    assert "other settings" not in capsys.readouterr().err
    assert readouts(out).equals(readouts(local_out[0]))


def test_inputs_folders_globs_and_lists(corpus, tmp_path):
    from streamfreq.batch.inputs import expand_inputs

    listing = tmp_path / "list.txt"
    relative = os.path.relpath(corpus / "b440.flac", tmp_path)  # relative to the list's folder
    listing.write_text(f"# comment\n{corpus / 'a220.wav'}\n\n{relative}\nmissing.wav\n")
    found = expand_inputs([f"@{listing}", str(corpus / "*.wav"), str(corpus / "sub")])
    assert found == [
        str(corpus / "a220.wav"),
        str(corpus / "b440.flac"),
        str(tmp_path / "missing.wav"),
        str(corpus / "corrupt.wav"),
        str(corpus / "truncated.wav"),
        str(corpus / "sub" / "stereo300.wav"),
    ]


def test_a_missing_file_from_a_list_is_an_error_row(corpus, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text(f"{corpus / 'a220.wav'}\n{tmp_path / 'gone.wav'}\n")
    out = tmp_path / "out"
    assert batch_main([f"@{listing}", "--out", str(out), "--estimators", "zc", "--workers", "1", "--quiet"]) == 1
    row = rows(out)[str(tmp_path / "gone.wav")]
    assert row["status"] == "error" and "No such file" in row["error"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], r"the following arguments are required: .*--out"),
        (["{corpus}"], r"the following arguments are required: -o/--out"),
        (["--out", "{out}"], r"the following arguments are required: PATH"),
        (["{corpus}", "--out", "{out}", "--workers", "0"], r"workers must be in 1\.\.4096 \(got 0\)"),
        (["{corpus}", "--out", "{out}", "--engine", "spark"], r"argument --engine: invalid choice: 'spark'"),
        (["{corpus}", "--out", "{out}", "--address", "h:6379"], r"--address joins a Ray cluster; it needs --engine"),
        (["{corpus}/nothing", "--out", "{out}"], r"no such file or folder: '.*nothing'"),
        (["https://example.com/corpus/a.wav", "--out", "{out}"], r"'https://example\.com/corpus/a\.wav' is a URL"),
        (["{corpus}/*.mp3", "--out", "{out}"], r"the pattern '.*\*\.mp3' matches no file"),
        (["@{out}.txt", "--out", "{out}"], r"cannot read the list '.*\.txt': No such file or directory"),
        (["{corpus}", "--out", "{out}", "--estimators", "fft,yin"], r"estimator must be one of fft, zc, lstm"),
        (["{corpus}", "--out", "{out}", "--hop", "0"], r"hop must be in 1\.\.2048 \(got 0\)"),
        (["{corpus}", "--out", "{out}", "--fmin", "5"], r"fmin must be in 10\.\.4000 \(got 5\.0\)"),
        (["{corpus}", "--out", "{out}", "--window", "x"], r"argument --window: invalid int value: 'x'"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(arguments, message, corpus, tmp_path, capsys):
    try:
        code = batch_main([a.format(corpus=corpus, out=tmp_path / "out") for a in arguments])
    except SystemExit as stop:  # argparse's own checks
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("streamfreq batch: error: ") and err.endswith("(try --help)\n")
    assert re.search(message, err), err
    assert not (tmp_path / "out").exists()


def test_a_ray_address_where_nothing_listens_is_one_line_and_exit_1(corpus, tmp_path):
    """Ray itself retries a dead address for minutes, printing warnings; the batch says so at once."""
    pytest.importorskip("ray")
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"127.0.0.1:{port}"
    done = run_cli("batch", str(corpus), "--out", str(tmp_path / "out"), "--engine", "ray", "--address", address)
    err = done.stderr.decode()
    assert done.returncode == 1 and err.count("\n") == 1, err
    assert f"cannot join the Ray cluster at 127.0.0.1:{port}: Connection refused; start its head with" in err


def test_output_folder_problems(corpus, tmp_path, capsys):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert batch_main([str(corpus / "a220.wav"), "--out", str(a_file)]) == 2
    assert "exists and is not a folder" in capsys.readouterr().err
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("x")
    assert batch_main([str(corpus / "a220.wav"), "--out", str(foreign)]) == 2
    err = capsys.readouterr().err
    assert "is not empty and holds no streamfreq batch output (found thesis.tex)" in err
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.tex"]  # nothing written into it
    assert batch_main([str(corpus / "a220.wav"), "--out", str(a_file / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot create the output folder" in err and "Not a directory" in err


def test_an_output_being_written_is_refused(corpus, tmp_path, capsys):
    import fcntl

    out = tmp_path / "out"
    assert batch_main([str(corpus / "a220.wav"), "--out", str(out), "--estimators", "zc", "--quiet"]) == 0
    with open(out / ".lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert batch_main([str(corpus / "a220.wav"), "--out", str(out), "--estimators", "zc"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is being written by another streamfreq batch" in err


def test_streamfreq_batch_subcommand_and_progress_bar_on_a_terminal(corpus, tmp_path):
    """`streamfreq batch` through the main command; a pseudo-terminal on stderr gets tqdm's bar."""
    import fcntl
    import pty
    import struct
    import termios

    out = tmp_path / "out"
    command = [sys.executable, "-m", "streamfreq", "batch", str(corpus / "a220.wav"), "--out", str(out)]
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    process = subprocess.run([*command, "--estimators", "zc"], stderr=follower, stdout=subprocess.PIPE, timeout=120)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    text = shown.decode()
    assert process.returncode == 0, text
    assert "1/1" in text and "h audio" in text and "× real time" in text
    assert "1 inputs: 1 analysed, 0 already done, 0 failed" in text


def test_stopping_the_local_pool_ends_workers_that_are_busy():
    """An interruption ends the workers at once, also those in the middle of a file (here a minute's sleep): the
    pool's own shutdown forgets its processes, so they are read before it (on Python < 3.14)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from streamfreq.batch.local import _stop

    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver"))
    busy = [pool.submit(time.sleep, 60) for _ in range(3)]
    while len(getattr(pool, "_processes", None) or {}) < 2:  # both workers started
        time.sleep(0.01)
    workers = list(pool._processes.values())
    _stop(pool)
    for worker in workers:
        worker.join(timeout=30)  # a minute's sleep is still running in a worker left alive
        assert not worker.is_alive()
    assert not any(future.done() and not future.cancelled() and future.exception() is None for future in busy)
