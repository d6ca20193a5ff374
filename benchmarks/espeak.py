"""Speech from a second voice synthesizer (espeak-ng), scored against what two published trackers agree on.

The pitch benchmark's voice comes from streamfreq's own generator; espeak-ng makes voices another way (its
own glottal source and formants, speech with consonants, five voices from a low male to a high female).
There is no exact f0 for them, so the reference is where pyin and SwiftF0 agree: a frame is voiced where both
give a number and they are within 30 cents of each other (the reference is their geometric mean), unvoiced
where neither gives one, and left out otherwise. streamfreq's estimators are scored on those frames:

- *agree %*: voiced reference frames where the estimator's number is within 50 cents of the reference;
- *off %*: voiced reference frames where it gives a number 50 cents or more off (mostly octaves);
- *false alarm %*: unvoiced reference frames where it gives a number.

The peers are the reference here, so they are not scored. Needs ``espeak-ng`` (Debian package) and the
``bench`` extra (librosa, swift-f0).

    python benchmarks/espeak.py [--estimators fft,lstm,zc]
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pitch import peer_trackers, print_table, streamfreq_tracker  # noqa: E402

#: (label, espeak-ng voice, pitch 0..99, words per minute): from a low male to a high female voice.
VOICES = [
    ("male, low", "en+m3", 20, 130),
    ("male", "en", 50, 160),
    ("male, high", "en+m1", 70, 150),
    ("female", "en+f3", 70, 150),
    ("female, high", "en+f5", 90, 140),
]
TEXT = (
    "The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore, while the waves "
    "roll in. How much wood would a woodchuck chuck if a woodchuck could chuck wood? Nobody really knows."
)
#: Frame step of the reference grid (s), and how close the two peers must be for a frame to count (cents).
STEP, AGREE_CENTS = 0.01, 30.0


def speak(voice: str, pitch: int, speed: int) -> tuple[np.ndarray, float]:
    """``(samples, samplerate)`` of :data:`TEXT` spoken by espeak-ng."""
    import soundfile

    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed), "--stdout", TEXT],
        check=True,
        capture_output=True,
    ).stdout
    samples, samplerate = soundfile.read(io.BytesIO(wav), dtype="float32")
    return samples, float(samplerate)


def on_grid(times: np.ndarray, f0: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The tracker's f0 at the frame nearest each grid time (0 where it gives no number)."""
    index = np.clip(np.searchsorted(times, grid), 1, len(times) - 1)
    nearer = np.where(np.abs(times[index - 1] - grid) <= np.abs(times[index] - grid), index - 1, index)
    return np.nan_to_num(np.asarray(f0, dtype=np.float64)[nearer])


def cents(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|1200 log2(a / b)| where both are positive, inf elsewhere."""
    both = (a > 0) & (b > 0)
    return np.where(both, np.abs(1200 * np.log2(np.where(both, a, 1.0) / np.where(both, b, 1.0))), np.inf)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimators", default="fft,lstm,zc")
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        print("espeak.py: error: espeak-ng is not installed (apt install espeak-ng)", file=sys.stderr)
        return 2
    peers = {t.name: t for t in peer_trackers()}
    if not {"pyin", "SwiftF0"} <= set(peers):
        print('espeak.py: error: needs pyin and SwiftF0 (pip install -e ".[bench]")', file=sys.stderr)
        return 2
    names = [n for n in args.estimators.split(",") if n]
    totals = {n: np.zeros(4) for n in names}  # agree, off, voiced frames, false alarms; unvoiced frames apart
    unvoiced_total = 0
    rows = []
    for label, voice, pitch, speed in VOICES:
        samples, samplerate = speak(voice, pitch, speed)
        grid = np.arange(STEP, len(samples) / samplerate - STEP, STEP)
        f0 = {}
        for name, tracker in [(n, peers[n]) for n in ("pyin", "SwiftF0")] + [
            (n, streamfreq_tracker(n, None)) for n in names
        ]:
            times, values = tracker.run(samples, samplerate, 60.0)
            f0[name] = on_grid(np.asarray(times), values, grid)
        pyin, swift = f0["pyin"], f0["SwiftF0"]
        voiced = cents(pyin, swift) < AGREE_CENTS
        unvoiced = (pyin == 0) & (swift == 0)
        reference = np.sqrt(np.where(voiced, pyin * swift, 1.0))
        median_hz = float(np.median(reference[voiced]))
        unvoiced_total += int(unvoiced.sum())
        row = [label, f"{voice} -p {pitch}", f"{median_hz:.0f}", str(int(voiced.sum())), str(int(unvoiced.sum()))]
        for name in names:
            error = cents(f0[name], reference)
            counts = np.array(
                [np.sum(voiced & (error < 50)), np.sum(voiced & (f0[name] > 0) & (error >= 50)), voiced.sum(), 0]
            )
            counts[3] = np.sum(unvoiced & (f0[name] > 0))
            totals[name] += counts
            row.append(_cell(counts, int(unvoiced.sum())))
        rows.append(row)
        print(f"  {label} done", file=sys.stderr, flush=True)
    voiced_total = int(totals[names[0]][2]) if names else 0
    rows.append(
        ["all", "", "", str(voiced_total), str(unvoiced_total)] + [_cell(totals[n], unvoiced_total) for n in names]
    )
    print("python benchmarks/espeak.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print("espeak-ng speech; reference: frames where pyin and SwiftF0 agree (see the docstring)")
    print("cells: agree % / off % / false alarm %\n")
    print_table(["voice", "espeak-ng", "median Hz", "voiced frames", "unvoiced frames", *names], rows)
    return 0


def _cell(counts: np.ndarray, unvoiced: int) -> str:
    agree, off, _, false_alarms = 100 * counts / [max(counts[2], 1), max(counts[2], 1), 1, max(unvoiced, 1)]
    return f"{agree:.1f} / {off:.1f} / {false_alarms:.1f}"


if __name__ == "__main__":
    sys.exit(main())
