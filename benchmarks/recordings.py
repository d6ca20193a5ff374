"""Real solo singing and speech, scored against what two published trackers agree on.

Two excerpts of Vocadito (Bittner et al. 2021, solo singing recorded on phones and laptops, CC BY 4.0) ship in
the source distribution of Spotify's basic-pitch 0.4.0 (Apache 2.0) as test resources, one utterance of
the CMU ARCTIC speech database (a male speaker in a studio, 16 kHz; its BSD-style licence) in that of pysptk
1.0.1 (MIT) as example data, and Praat's own test recordings (a sustained vowel, a spoken sentence, a man and a
woman at 8 kHz, a short phrase; GPL, as Praat) in that of praat-parselmouth 0.4.7. This script downloads those
archives once from PyPI (each pinned by its SHA-256; 27 MB in all), keeps the recordings in a cache folder, and
scores streamfreq where pyin and SwiftF0 agree (see ``agreement.py``: agree %, off %, false alarm %). The audio is
not part of this repository. Needs the ``bench`` extra (librosa, swift-f0) and access to PyPI on the first run.

    python benchmarks/recordings.py [--estimators fft,lstm,zc] [--cache DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agreement import AgreementTable, missing_peers  # noqa: E402

_PYPI = "https://files.pythonhosted.org/packages/"
#: ``(archive URL, its SHA-256, {member: what it is})``: the source distributions the recordings ship in. A
#: multichannel recording is scored as the mean of its channels, unless :data:`CHANNELS` names it.
ARCHIVES = [
    (
        _PYPI + "d3/68/384dcaa2493497581ef7a0f18c76ce35afa26ea8a8d703f4761bdae632e6/basic_pitch-0.4.0.tar.gz",
        "6f48ac4b909c990fd59460622137a03b857c829bb1f3e65c71708da576ab68e5",
        {
            "basic_pitch-0.4.0/tests/resources/vocadito_10.wav": "Vocadito 10, sung, low voice, 9.1 s",
            "basic_pitch-0.4.0/tests/resources/vocadito_14.wav": "Vocadito 14, sung, higher voice, 12.2 s",
        },
    ),
    (
        _PYPI + "56/70/0f42ddd75cf4fe1f15dd4165576b3ca9563ef98862ea918a953a5842789d/pysptk-1.0.1.tar.gz",
        "78b1c9338bf795a41cdc3ff03fcd4699c401c323f54630bb71a19710078d0b3f",
        {"pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav": "CMU ARCTIC a0007, spoken, male, 4.0 s"},
    ),
    (
        _PYPI + "4f/28/2c1204fe3e7aeb6942051ff6776e31da52c7ab5b7df2ca438f371bd60d8a/praat_parselmouth-0.4.7.tar.gz",
        "6dd81d246ce1eef5fd93d8cbdaf1bef61ca40ef1d2fc12aa23996a28071181e6",
        {
            "praat_parselmouth-0.4.7/praat/test/fon/examples/sounds/aaaa02.wav": "Praat aaaa02, sustained vowel, 7.6 s",
            "praat_parselmouth-0.4.7/praat/dwtest/Example.ogg": "Praat Example.ogg, spoken, male, 6.1 s",
            "praat_parselmouth-0.4.7/praat/test/fon ExperimentMFC/Sounds/M1F1-float32-AFsp.wav": (
                "Praat M1F1, spoken, male and female, 8 kHz, 2.9 s"
            ),
            "praat_parselmouth-0.4.7/tests/data/the_north_wind_and_the_sun.wav": (
                "Praat north wind, spoken, female, 1.3 s"
            ),
        },
    ),
]
#: ``{file name: (channel, what it holds), ...}`` for recordings whose channels are scored one by one: a voice and
#: its electroglottograph (only the voice is scored), or two speakers.
CHANNELS = {
    "aaaa02.wav": ((0, "microphone"),),
    "M1F1-float32-AFsp.wav": ((0, "the man"), (1, "the woman")),
}


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/streamfreq-bench`` (``~/.cache/streamfreq-bench``)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "streamfreq-bench"


def open_checked(url: str, sha256: str) -> tarfile.TarFile:
    """The gzipped tar archive at ``url``, downloaded whole and checked against its pinned SHA-256.

    Raises
    ------
    RuntimeError
        Where the download's SHA-256 is not ``sha256``.
    """
    with urllib.request.urlopen(url, timeout=60) as response:
        archive = response.read()
    digest = hashlib.sha256(archive).hexdigest()
    if digest != sha256:
        raise RuntimeError(f"{url} has SHA-256 {digest}, expected {sha256}")
    return tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz")


def fetch(cache: Path) -> list[tuple[Path, str]]:
    """``(path, what it is)`` of every recording in ``cache``, downloading and checking an archive first where
    one of its recordings is missing."""
    recordings = []
    for url, sha256, members in ARCHIVES:
        paths = [cache / Path(member).name for member in members]
        if not all(path.exists() for path in paths):
            cache.mkdir(parents=True, exist_ok=True)
            with open_checked(url, sha256) as tar:
                for member, path in zip(members, paths, strict=True):
                    path.write_bytes(tar.extractfile(member).read())
        recordings += zip(paths, members.values(), strict=True)
    return recordings


def main(argv: list[str] | None = None) -> int:
    import soundfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimators", default="fft,lstm,zc")
    parser.add_argument("--cache", type=Path, default=default_cache(), help="where the recordings are kept")
    args = parser.parse_args(argv)
    if missing_peers():
        print('recordings.py: error: needs pyin and SwiftF0 (pip install -e ".[bench]")', file=sys.stderr)
        return 2
    try:
        recordings = fetch(args.cache)
    except (OSError, RuntimeError) as error:
        print(f"recordings.py: error: cannot fetch the recordings: {error}", file=sys.stderr)
        return 2
    table = AgreementTable([n for n in args.estimators.split(",") if n])
    for path, label in recordings:
        samples, samplerate = soundfile.read(path, dtype="float32", always_2d=True)
        for channel, holds in CHANNELS.get(path.name, ((None, ""),)):
            mono = samples.mean(axis=1) if channel is None else samples[:, channel]
            table.add([f"{label}: {holds}" if holds else label], mono, float(samplerate))
        print(f"  {label} done", file=sys.stderr, flush=True)
    print("python benchmarks/recordings.py " + " ".join(sys.argv[1:] if argv is None else argv))
    print("real solo singing (Vocadito), a sustained vowel and speech (CMU ARCTIC, Praat); reference: frames")
    print("where pyin and SwiftF0 agree")
    table.print(["recording"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
