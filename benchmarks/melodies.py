"""Legato melodies: note changes where the last note still sounds, trackers side by side.

``pitch.py`` scores each rendered note on its own sustain. A melody played legato hands one note to the next:
fluidsynth starts a note's release at the next note-on, so for a moment both sound (and with its reverb on,
longer). A melody stem, a sung phrase or an instrument's run is like that. Each of 14 General-MIDI instruments
(``streamfreq.material``, MuseScore General) plays a random walk of 14 notes, up to 4 semitones a step within its
range (from MIDI 40, 82 Hz), each held 0.35 s with the next note-on at its note-off, once dry and once with
fluidsynth's reverb and chorus (sends 64), for each seed. The reference is each note's nominal pitch from 60 ms
after its note-on to its note-off (all frames voiced); the first 60 ms of a note are not scored. ``--soundfont``
plays them from another soundfont, or with timidity from a patch set's ``.cfg`` (only the players it has a patch
for), as ``pitch.py --soundfont`` does. With ``--leaps``
each melody is 7 random notes, each followed by its octave above: the lower note's release holds every partial of
the upper one, so for a moment the two sound as one tone at the lower note, which every tracker reads there.

Prints the raw pitch accuracy (on mir_eval.melody's 10 ms grid, as ``pitch.py``) per instrument and overall,
and where the wrong numbers (>= 50 cents off) lie: 50..100 cents off (a detuned or gliding note), at the previous
note, more than a semitone below both notes (their common fundamental, or a fraction of one), at an octave, or
elsewhere; each as a share of the scored frames.

    python benchmarks/melodies.py [--seeds 0,1,2,3] [--estimators fft,lstm,zc] [--no-peers] [--leaps] [--model DIR]
                                  [--soundfont PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from streamfreq.material import Instrument

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pitch import (  # noqa: E402
    Material,
    peer_trackers,
    playable,
    print_table,
    require_synthesizer,
    run_tracker,
    soundfont_name,
    streamfreq_tracker,
)

#: The instruments that play the melodies (the names of ``streamfreq.material.INSTRUMENTS``).
PLAYERS = (
    "acoustic grand piano", "nylon guitar", "violin", "cello", "string ensemble", "choir aahs", "voice oohs",
    "trumpet", "trombone", "french horn", "alto sax", "oboe", "clarinet", "flute",
)  # fmt: skip
#: Notes per melody, seconds each, the largest step in semitones, and the lowest MIDI note played.
NOTES, HOLD, STEP, LOWEST = 14, 0.35, 4, 40
#: The leap of ``--leaps`` melodies, in semitones: an octave, where the note that still sounds holds every partial
#: of the next one, so that for a moment the two sound as one tone at the lower note.
OCTAVE = 12
#: The first part of each note left unscored (seconds): its attack, where the last note still rings.
ONSET = 0.06
#: Effects send levels each melody is rendered with: dry, and through reverb and chorus.
EFFECTS = (0, 64)


def melody_players(soundfont: str | None = None) -> list[Instrument]:
    """The instruments of :data:`PLAYERS` that ``soundfont`` plays from its own samples (``pitch.playable``)."""
    from streamfreq.material import INSTRUMENTS

    return playable([i for i in INSTRUMENTS if i.name in PLAYERS], soundfont)


def melody_material(seed: int, effects: int, leaps: bool = False, soundfont: str | None = None) -> Material:
    """Every player's melody of ``seed``, one after the other, rendered with ``effects`` (one signal) from
    ``soundfont`` (None: MuseScore General; a patch set plays only the players it has a patch for); with ``leaps``,
    each melody is :data:`NOTES` / 2 random notes of its range, each followed by its octave above."""
    from streamfreq.material import SOUNDFONT, Note, render_notes

    rng = np.random.default_rng(seed)
    notes = []
    for instrument in melody_players(soundfont):
        low, high = max(instrument.low, LOWEST), instrument.high
        if leaps:
            for midi in rng.integers(low, high - OCTAVE + 1, NOTES // 2).tolist():
                notes += [Note(instrument.name, instrument.program, m) for m in (midi, midi + OCTAVE)]
            continue
        midi = int(rng.integers(low + STEP, high - STEP))
        for _ in range(NOTES):
            midi = int(np.clip(midi + rng.integers(-STEP, STEP + 1), low, high))
            notes.append(Note(instrument.name, instrument.program, midi))
    rendered = render_notes(
        notes, hold=HOLD, release=0.0, attack=ONSET, effects=effects, soundfont=soundfont or SOUNDFONT
    )
    rate = rendered[0].samplerate
    f0, segment = [], []
    for index, note in enumerate(rendered):
        reference = np.full(len(note.samples), np.nan)
        reference[int(ONSET * rate) : int(HOLD * rate)] = note.note.hz
        f0.append(reference)
        segment.append(np.full(len(note.samples), index, dtype=np.int32))
    hz = np.array([n.hz for n in notes])
    first = np.arange(len(notes)) % NOTES == 0  # a melody's first note follows another instrument's last
    info = {
        "instrument": np.array([PLAYERS.index(n.instrument) for n in notes]),
        "hz": hz,
        "previous_hz": np.where(first, np.nan, np.roll(hz, 1)),
    }
    title = f"{'octave-leap ' if leaps else ''}melodies, seed {seed}, {soundfont_name(soundfont)}, " + (
        f"reverb and chorus sends {effects}" if effects else "dry"
    )
    samples = np.concatenate([n.samples for n in rendered])
    return Material("m", title, samples, rate, np.concatenate(f0), np.concatenate(segment), fmin=80.0, info=info)


def wrong_kinds(est_cent: np.ndarray, ref_cent: np.ndarray, previous_hz: np.ndarray) -> dict[str, np.ndarray]:
    """Which scored frames (cents from 10 Hz, as mir_eval's; 0 = no number) hold which kind of wrong number."""
    numbered = est_cent > 0
    off = np.abs(est_cent - ref_cent)
    with np.errstate(invalid="ignore", divide="ignore"):
        previous = 1200.0 * np.log2(previous_hz / 10.0)  # nan where the note has no previous one
    wrong = numbered & (off >= 50)
    near = wrong & (off < 100)
    at_previous = wrong & ~near & (np.abs(est_cent - previous) < 50)
    below = wrong & ~near & ~at_previous & (est_cent < np.fmin(ref_cent, previous) - 100)
    octave = wrong & ~near & ~at_previous & ~below & (np.abs(off - 1200) < 50)
    return {
        "50..100 c": near,
        "previous note": at_previous,
        "below both notes": below,
        "octave": octave,
        "elsewhere": wrong & ~near & ~at_previous & ~below & ~octave,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3", help="comma-separated melody seeds")
    parser.add_argument("--estimators", default="fft,lstm,zc")
    parser.add_argument("--no-peers", action="store_true", help="leave out pyin and SwiftF0")
    parser.add_argument("--leaps", action="store_true", help="melodies of octave leaps: each note, then its octave")
    parser.add_argument("--model", default=None, help="the LSTM's model (lstm.json or its folder; default: shipped)")
    parser.add_argument(
        "--soundfont",
        default=None,
        help="play the melodies from this soundfont, or with timidity from this patch set's .cfg "
        "(default: MuseScore General)",
    )
    args = parser.parse_args(argv)
    require_synthesizer(parser, args.soundfont)
    players = [i.name for i in melody_players(args.soundfont)]
    names = [n for n in args.estimators.split(",") if n]
    trackers = [streamfreq_tracker(n, None, args.model) for n in names]
    trackers += [] if args.no_peers else [t for t in peer_trackers() if t.voicing]
    frames = {t.name: [] for t in trackers}  # per material: (its aligned frames, their previous note, instrument)
    for seed in (int(s) for s in args.seeds.split(",")):
        for effects in EFFECTS:
            material = melody_material(seed, effects, args.leaps, args.soundfont)
            for tracker in trackers:
                run = run_tracker(tracker, material)
                segment = run.grid_segment
                frames[tracker.name].append(
                    (run.aligned, material.info["previous_hz"][segment], material.info["instrument"][segment])
                )
            print(f"  {material.title} done", file=sys.stderr, flush=True)
    print(f"python benchmarks/melodies.py {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    kind = "octave-leap melodies" if args.leaps else "legato melodies"
    print(
        f"{kind} of {len(players)} instruments, seeds {args.seeds}, {soundfont_name(args.soundfont)}, dry and with "
        "reverb and chorus\n"
    )
    header = ["instrument", *frames]
    rows = []
    for player in players:
        index = PLAYERS.index(player)
        row = [player]
        for parts in frames.values():
            right = sum(_correct(a)[ids == index].sum() for a, _, ids in parts)
            total = sum((ids == index).sum() for _, _, ids in parts)
            row.append(f"{100 * right / total:.1f}")
        rows.append(row)
    all_row = ["all"]
    for parts in frames.values():
        right = sum(_correct(a).sum() for a, _, _ in parts)
        all_row.append(f"{100 * right / sum(len(a.ref_cent) for a, _, _ in parts):.1f}")
    print("cells: raw pitch % (frames within 50 cents)\n")
    print_table(header, [*rows, all_row])
    counts = {}  # kind -> one count per tracker
    for column, parts in enumerate(frames.values()):
        for aligned, previous, _ in parts:
            voiced_cents = aligned.est_cent * (aligned.est_voicing > 0)
            for kind, mask in wrong_kinds(voiced_cents, aligned.ref_cent, previous).items():
                counts.setdefault(kind, [0] * len(frames))[column] += int(mask.sum())
    scored = [sum(len(a.ref_cent) for a, _, _ in parts) for parts in frames.values()]
    kinds = {
        kind: [f"{100 * c / total:.2f}" for c, total in zip(row, scored, strict=True)] for kind, row in counts.items()
    }
    print("cells: % of scored frames with a wrong number (>= 50 cents off) of each kind\n")
    print_table(["wrong number", *frames], [[kind, *cells] for kind, cells in kinds.items()])


def _correct(aligned) -> np.ndarray:
    """Frames within 50 cents (mir_eval's raw pitch criterion)."""
    return (aligned.est_voicing > 0) & (aligned.est_cent > 0) & (np.abs(aligned.est_cent - aligned.ref_cent) < 50)


if __name__ == "__main__":
    main()
