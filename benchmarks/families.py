"""Families of test signals: streamfreq and the peers on the kinds of signal a pitch tracker's own tests probe.

Published pitch trackers are tested on families of synthetic signals with an exact f0 (as SwiftF0's author's
pitch benchmark does), each probing one mechanism that breaks trackers. This script makes such families itself,
at 16 kHz (the rate of most speech and singing corpora, where the default window is 1024 samples), 2 s a clip,
each clip faded in and out over 20 ms and brought to an RMS of 0.1 (the level families excepted):

  missing f0     partials 2.. of 90, 160, 250 and 370 Hz, falling as 1/l, no fundamental;
  unresolved     only partials 10..17 of those f0: a residue pitch, no partial near the fundamental;
  rippled noise  iterated rippled noise (white noise delayed by a period and added, 8 times): a noisy pitch;
  sine, harmonic and bright, in five bands (60/72, 110/210, 340/520, 780/950 and 1400/1900 Hz): a pure tone,
                 partials falling 6 dB an octave (1/l), and partials rising 6 dB an octave (l: most of the
                 energy in the top partials, up to Nyquist; no bright bass);
  level          a 160 Hz sine and harmonic tone from 6 to 66 dB under an RMS of 0.1, 10 dB apart;
  interference   a 220 Hz harmonic tone with a vibrato of a semitone at 3 Hz, and a 50 Hz hum with its double,
                 20, 10 and 5 dB under it: the f0 is the louder sound's;
  vibrato        a 220 Hz harmonic tone with a vibrato at 6 Hz of half a semitone, one and two semitones;
  glides         harmonic tones gliding an octave in 2 s (110 Hz up, 220 down, 330 up, 660 down);
  noise, formant noise, near silence: no f0 at all (white noise; noise through resonances at 500, 1500 and
                 2500 Hz, as a whisper; noise at 1e-6).

Every tracker runs on each clip on its own (pitch.py's streamfreq estimators at their default window and hop,
and pyin, yin and SwiftF0 where installed, told 45 Hz as their lowest f0), scored with pitch.py's mir_eval
metrics on a 10 ms grid, 45 ms at each end of a clip left out. Each cell is the raw pitch accuracy (the share
of frames read within 50 cents) of the family's clips, and for the three families without an f0 the voicing
false alarm (the share of frames given a number); the last two rows pool the frames of all the families with
an f0 and of the three without. yin gives every frame a number, so it has no false-alarm cell (-).

    python benchmarks/families.py [--estimators fft,lstm,zc] [--no-peers] [--families NAME,...]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pitch import Material, join_clips, metrics, peer_trackers, print_table, run_tracker, streamfreq_tracker  # noqa: E402

from streamfreq.signals import harmonic_tone  # noqa: E402

RATE = 16000.0
CLIP_S = 2.0
#: Fade in and out, seconds, and the RMS each clip is brought to.
FADE_S, RMS = 0.02, 0.1
MECHANISM_F0 = (90.0, 160.0, 250.0, 370.0)
BANDS = {
    "60/72": (60.0, 72.0),
    "110/210": (110.0, 210.0),
    "340/520": (340.0, 520.0),
    "780/950": (780.0, 950.0),
    "1400/1900": (1400.0, 1900.0),
}
LEVELS_DB = (-6.0, -16.0, -26.0, -36.0, -46.0, -56.0, -66.0)
HUM_DB = (-20.0, -10.0, -5.0)
VIBRATO_SEMITONES = (0.5, 1.0, 2.0)
GLIDES = ((110.0, 1.0), (220.0, -1.0), (330.0, 1.0), (660.0, -1.0))
#: The peers that take a range are told this lowest f0.
FMIN = 45.0
#: The names of the families without an f0 end so.
NO_F0 = "(no f0)"

Clip = tuple[np.ndarray, np.ndarray]
"""Samples and the per-sample f0 (0: no f0)."""


def _faded(x: np.ndarray, rms: float = RMS) -> np.ndarray:
    """``x`` faded in and out over :data:`FADE_S` (raised cosine) and brought to ``rms``."""
    ramp = int(FADE_S * RATE)
    y = np.asarray(x, dtype=np.float64).copy()
    rise = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
    y[:ramp] *= rise
    y[-ramp:] *= rise[::-1]
    return y * (rms / max(float(np.sqrt(np.mean(y**2))), 1e-12))


def _tone(track: np.ndarray | float, amplitude: Callable[[np.ndarray], np.ndarray], rms: float = RMS) -> Clip:
    """Partials ``l`` = 1..100 of ``track`` (Hz, constant or per sample) with amplitudes ``amplitude(l)``, in sine
    phase (every partial starts at 0: the waveform's peaks pile up), below Nyquist."""
    n = int(CLIP_S * RATE)
    f0 = np.broadcast_to(np.asarray(track, dtype=np.float64), (n,))
    harmonics = np.arange(1, int(0.5 * RATE / f0.min()) + 1)[:100]
    x = harmonic_tone(n, RATE, f0, amplitude(harmonics), phases=np.full(len(harmonics), -0.5 * np.pi))
    return _faded(x, rms), f0.copy()


def _rippled_noise(f0: float, rng: np.random.Generator) -> Clip:
    """Iterated rippled noise: white noise delayed by a whole number of samples near a period and added, 8 times."""
    n = int(CLIP_S * RATE)
    delay = round(RATE / f0)
    x = rng.standard_normal(n)
    for _ in range(8):
        x = x + np.concatenate([np.zeros(delay), x[:-delay]])
    return _faded(x), np.full(n, RATE / delay)


def _noise(rng: np.random.Generator, formants: bool) -> Clip:
    """White noise, or noise through resonances at 500, 1500 and 2500 Hz (Gaussian, 120..250 Hz wide)."""
    n = int(CLIP_S * RATE)
    x = rng.standard_normal(n)
    if formants:
        hz = np.fft.rfftfreq(n, 1.0 / RATE)
        shape = sum(np.exp(-0.5 * ((hz - c) / w) ** 2) for c, w in ((500.0, 120.0), (1500.0, 180.0), (2500.0, 250.0)))
        x = np.fft.irfft(np.fft.rfft(x) * shape, n)
    return _faded(x), np.zeros(n)


def families(seed: int = 0) -> dict[str, list[Clip]]:
    """Every family's clips, in the order of the table."""
    rng = np.random.default_rng(seed)
    n = int(CLIP_S * RATE)
    t = np.arange(n) / RATE
    falling = lambda harmonics: 1.0 / harmonics  # noqa: E731
    out: dict[str, list[Clip]] = {
        "missing f0": [_tone(f, lambda h: np.where(h > 1, 1.0 / h, 0.0)) for f in MECHANISM_F0],
        "unresolved": [_tone(f, lambda h: ((h >= 10) & (h <= 17)).astype(float)) for f in MECHANISM_F0],
        "rippled noise": [_rippled_noise(f, rng) for f in MECHANISM_F0],
    }
    for name, pair in BANDS.items():
        out[f"sine {name}"] = [_tone(f, lambda h: (h == 1).astype(float)) for f in pair]
        out[f"harmonic {name}"] = [_tone(f, falling) for f in pair]
        if pair[0] > 100.0:
            out[f"bright {name}"] = [_tone(f, lambda h, f=f: h * f / 1000.0) for f in pair]
    for name, amplitude in (("sine", lambda h: (h == 1).astype(float)), ("harmonic", falling)):
        out[f"level, {name}"] = [_tone(160.0, amplitude, RMS * 10 ** (db / 20)) for db in LEVELS_DB]
    sung = 220.0 * 2.0 ** (np.sin(2 * np.pi * 3.0 * t) / 12.0)
    voice, _ = _tone(sung, falling, 1.0)
    hum = np.sin(2 * np.pi * 50.0 * t) + 0.5 * np.sin(2 * np.pi * 100.0 * t)
    hum /= np.sqrt(np.mean(hum**2))
    out["interference"] = [(_faded(voice + 10 ** (db / 20) * hum), sung) for db in HUM_DB]
    for depth in VIBRATO_SEMITONES:
        out[f"vibrato {depth:g} semitone"] = [_tone(220.0 * 2.0 ** (depth / 12 * np.sin(2 * np.pi * 6.0 * t)), falling)]
    out["glides"] = [_tone(start * 2.0 ** (octaves * t / CLIP_S), falling) for start, octaves in GLIDES]
    out["noise (no f0)"] = [_noise(rng, False) for _ in range(2)]
    out["formant noise (no f0)"] = [_noise(rng, True) for _ in range(2)]
    out["near silence (no f0)"] = [(1e-6 * rng.standard_normal(n), np.zeros(n)) for _ in range(2)]
    return out


def material(clips_by_family: dict[str, list[Clip]]) -> tuple[Material, list[str]]:
    """One material of every family's clips (each tracked on its own), and the family of each clip."""
    names = [name for name, clips in clips_by_family.items() for _ in clips]
    clips = [clip for group in clips_by_family.values() for clip in group]
    samples, f0, segment, bounds = join_clips(clips, RATE)
    title = f"families of test signals ({len(clips)} clips of {CLIP_S:g} s, 16 kHz)"
    return Material("f", title, samples, RATE, f0, segment, fmin=FMIN, clips=bounds), names


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--estimators", default="fft,lstm,zc")
    parser.add_argument("--no-peers", action="store_true", help="leave out pyin, yin and SwiftF0")
    parser.add_argument("--families", help="only these families (comma-separated names, as in the table)")
    args = parser.parse_args(argv)
    chosen = families()
    if args.families:
        wanted = [name.strip() for name in args.families.split(",")]
        unknown = [name for name in wanted if name not in chosen]
        if unknown:
            parser.error(f"unknown families {unknown}; choose from: {', '.join(chosen)}")
        chosen = {name: chosen[name] for name in wanted}
    mat, names = material(chosen)
    trackers = [streamfreq_tracker(name.strip(), None) for name in args.estimators.split(",")]
    if not args.no_peers:
        trackers += peer_trackers()
    print(f"python benchmarks/families.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    print(f"## {mat.title}\n")
    runs = [run_tracker(tracker, mat) for tracker in trackers]
    clip_family = np.array(names)
    pitched = [family for family in chosen if not family.endswith(NO_F0)]
    groups = [(family, [family]) for family in chosen]
    groups += [("all with an f0", pitched), ("all without an f0", [f for f in chosen if f not in pitched])]
    rows = []
    for label, members in groups:
        if not members:
            continue
        row = [label]
        for run in runs:
            mask = np.isin(clip_family[np.maximum(run.grid_segment, 0)], members) & (run.grid_segment >= 0)
            scores = metrics(run.aligned, mask)
            if members[0] in pitched:
                value = scores["raw_pitch"]
            else:
                value = scores["voicing_false_alarm"] if run.tracker.voicing else math.nan
            row.append("-" if math.isnan(value) else f"{100 * value:.1f}")
        rows.append(row)
    print("cells: raw pitch accuracy %; for the families without an f0, voicing false alarm %\n")
    print_table(["family", *(run.tracker.name for run in runs)], rows)


if __name__ == "__main__":
    main()
