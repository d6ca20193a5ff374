"""Scoring streamfreq where two published trackers agree, for material without an exact f0.

Real recordings and other synthesizers' speech have no exact f0 track, so the reference is where pyin and
SwiftF0 agree: on a grid of :data:`STEP` seconds a frame is voiced where both give a number and they are within
:data:`AGREE_CENTS` of each other (the reference is their geometric mean), unvoiced where neither gives one, and
left out otherwise. streamfreq's estimators are scored on those frames:

- *agree %*: voiced reference frames where the estimator's number is within 50 cents of the reference;
- *off %*: voiced reference frames where it gives a number 50 cents or more off (mostly octaves);
- *false alarm %*: unvoiced reference frames where it gives a number.

The peers are the reference, so they are not scored. Frames where both peers say unvoiced include the quiet ends
of notes and voiced consonants that neither peer is sure of, so false alarms here are an upper bound.

A second table counts, on the voiced reference frames, the numbers given with a confidence of :data:`CONFIDENT` or
more (the LSTM's calibration target: 99% of them within 50 cents), those within 50 cents of the reference, and
those :data:`OCTAVE_CENTS` or more off (octave errors and worse).

>>> table = AgreementTable(["fft"])  # doctest: +SKIP
>>> table.add(["a file"], samples, samplerate)  # doctest: +SKIP
>>> table.print(["recording"])  # doctest: +SKIP
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pitch import cents_off, peer_trackers, print_table, streamfreq_readouts  # noqa: E402

#: Frame step of the reference grid (s), and how close the two peers must be for a frame to count (cents).
STEP, AGREE_CENTS = 0.01, 30.0
#: The peers whose agreement is the reference.
REFERENCE_PEERS = ("pyin", "SwiftF0")
#: Lowest f0 the peers are told (Hz).
PEER_FMIN = 60.0
#: A confident number, and how far off a number is an octave error (cents; a tritone short of the octave).
CONFIDENT, OCTAVE_CENTS = 0.9, 600.0


def on_grid(times: np.ndarray, f0: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The tracker's f0 at the frame nearest each grid time (0 where it gives no number)."""
    index = np.clip(np.searchsorted(times, grid), 1, len(times) - 1)
    nearer = np.where(np.abs(times[index - 1] - grid) <= np.abs(times[index] - grid), index - 1, index)
    return np.nan_to_num(np.asarray(f0, dtype=np.float64)[nearer])


def missing_peers() -> list[str]:
    """The reference peers that are not installed (the ``bench`` extra brings them)."""
    installed = {tracker.name for tracker in peer_trackers()}
    return [name for name in REFERENCE_PEERS if name not in installed]


class AgreementTable:
    """Rows of agree / off / false alarm cells for streamfreq's estimators ``names``, and a total row."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.peers = {t.name: t for t in peer_trackers() if t.name in REFERENCE_PEERS}
        self.rows: list[list[str]] = []
        self.counts = {name: np.zeros(3) for name in self.names}  # agree, off, false alarms
        self.confident = {name: np.zeros(3, dtype=np.int64) for name in self.names}  # numbers, within 50 c, octaves
        self.voiced = self.unvoiced = 0

    def add(self, labels: Sequence[str], samples: np.ndarray, samplerate: float) -> None:
        """Score one piece of audio; ``labels`` start its row, then its median Hz and frame counts."""
        grid = np.arange(STEP, len(samples) / samplerate - STEP, STEP)
        f0, confidence = {}, {}
        for name in REFERENCE_PEERS:
            times, values = self.peers[name].run(samples, samplerate, PEER_FMIN)
            f0[name] = on_grid(np.asarray(times), values, grid)
        for name in self.names:
            times, values, sure = streamfreq_readouts(name, samples, samplerate)
            f0[name], confidence[name] = on_grid(times, values, grid), on_grid(times, sure, grid)
        first, second = (f0[n] for n in REFERENCE_PEERS)
        voiced = cents_off(first, second) < AGREE_CENTS
        unvoiced = (first == 0) & (second == 0)
        reference = np.sqrt(np.where(voiced, first * second, 1.0))
        self.voiced += int(voiced.sum())
        self.unvoiced += int(unvoiced.sum())
        median = f"{np.median(reference[voiced]):.0f}" if voiced.any() else "-"
        row = [*labels, median, str(int(voiced.sum())), str(int(unvoiced.sum()))]
        for name in self.names:
            error = cents_off(f0[name], reference)  # nan where either has no number
            counts = np.array(
                [
                    np.sum(voiced & (error < 50)),
                    np.sum(voiced & (f0[name] > 0) & (error >= 50)),
                    np.sum(unvoiced & (f0[name] > 0)),
                ]
            )
            self.counts[name] += counts
            sure = voiced & (f0[name] > 0) & (confidence[name] >= CONFIDENT)
            self.confident[name] += [sure.sum(), np.sum(sure & (error < 50)), np.sum(sure & (error >= OCTAVE_CENTS))]
            row.append(_cell(counts, int(voiced.sum()), int(unvoiced.sum())))
        self.rows.append(row)

    def print(self, label_headers: Sequence[str]) -> None:
        """Print the rows and a total row under ``label_headers`` (one per label given to :meth:`add`)."""
        blank = [""] * (len(label_headers) - 1)
        total = ["all", *blank, "", str(self.voiced), str(self.unvoiced)]
        total += [_cell(self.counts[n], self.voiced, self.unvoiced) for n in self.names]
        print("cells: agree % / off % / false alarm %\n")
        header = [*label_headers, "median Hz", "voiced frames", "unvoiced frames", *self.names]
        print_table(header, [*self.rows, total])
        print(f"\nnumbers of confidence {CONFIDENT:g} or more on the voiced frames, all rows\n")
        rows = []
        for name in self.names:
            count, right, octaves = self.confident[name].tolist()
            rows.append([name, str(count), f"{100 * right / max(count, 1):.1f}", str(octaves)])
        print_table(["estimator", "numbers", "within 50 c %", f"{OCTAVE_CENTS:g} c or more off"], rows)


def _cell(counts: np.ndarray, voiced: int, unvoiced: int) -> str:
    agree, off, false_alarms = 100 * counts / [max(voiced, 1), max(voiced, 1), max(unvoiced, 1)]
    return f"{agree:.1f} / {off:.1f} / {false_alarms:.1f}"
