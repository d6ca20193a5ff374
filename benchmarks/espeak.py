"""Speech from a second voice synthesizer (espeak-ng), scored against what two published trackers agree on.

The pitch benchmark's voice comes from streamfreq's own generator; espeak-ng makes voices another way (its
own glottal source and formants, speech with consonants, five voices from a low male to a high female).
There is no exact f0 for them, so they are scored where pyin and SwiftF0 agree (see ``agreement.py``: agree %,
off %, false alarm %). Needs ``espeak-ng`` (Debian package) and the ``bench`` extra (librosa, swift-f0).

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
from agreement import AgreementTable, missing_peers  # noqa: E402

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimators", default="fft,lstm,zc")
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        print("espeak.py: error: espeak-ng is not installed (apt install espeak-ng)", file=sys.stderr)
        return 2
    if missing_peers():
        print('espeak.py: error: needs pyin and SwiftF0 (pip install -e ".[bench]")', file=sys.stderr)
        return 2
    table = AgreementTable([n for n in args.estimators.split(",") if n])
    for label, voice, pitch, speed in VOICES:
        samples, samplerate = speak(voice, pitch, speed)
        table.add([label, f"{voice} -p {pitch}"], samples, samplerate)
        print(f"  {label} done", file=sys.stderr, flush=True)
    print("python benchmarks/espeak.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print("espeak-ng speech; reference: frames where pyin and SwiftF0 agree (see agreement.py)")
    table.print(["voice", "espeak-ng"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
