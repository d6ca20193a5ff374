"""Recording conditions: the synthetic voice of ``pitch.py`` as microphones and files deliver it, trackers side by side.

The voice (``pitch.voice_material``, 48 kHz) is scored dry and through one condition at a time:
a DC offset, low-passed (8th-order Butterworth at 4 kHz: telephone-band, old or compressed recordings),
high-passed at 300 Hz (a weak or missing fundamental for low notes), hard-clipped at 30% of its peak,
pink noise 20 and 10 dB below it, brown rumble (integrated white noise, high-passed at 10 Hz) 10 dB below it, and
50 Hz mains hum with its odd harmonics 40 dB below it (heard in the gaps), the last once more with streamfreq's
estimators told ``--fmin 70``; then as files and sound servers deliver it: through 44.1 kHz and back (scipy's
polyphase resampler, whose filter rolls off the top 4 kHz), and through MP3 at about 40 kbit/s (libsndfile's
LAME, compression level 0.9: silence above a few kHz, lone lines below it), dry and with the pink noise 10 dB below;
and with another voice (another draw of the same generator) 20 dB below it, as a second singer or a talker in the
room: the reference stays the louder voice's, so numbers for the quieter one in the louder one's gaps count as false
alarms. The noise levels are relative to the voice's mean power over its voiced samples. Each cell is
raw pitch % / voicing false alarm % / gross-error % (mir_eval.melody, as in ``pitch.py``).

    python benchmarks/conditions.py [--seconds 12] [--seed 11] [--estimators fft,lstm,zc] [--no-peers]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pitch import metrics, peer_trackers, print_table, run_tracker, streamfreq_tracker, voice_material  # noqa: E402

from streamfreq.signals import voice  # noqa: E402

#: The mains-hum condition, and the lowest f0 streamfreq is told in its second row (the voice's lowest note is 90 Hz;
#: pyin is told 80).
HUM, HUM_FMIN = "mains hum 40 dB below", 70.0


def conditions(samplerate: float, rng: np.random.Generator) -> dict[str, Callable[[np.ndarray, float], np.ndarray]]:
    """Condition name -> ``f(samples, voiced_rms) -> samples``."""
    from scipy import signal

    def noise_like(x: np.ndarray, colour: np.ndarray, rms: float, below_db: float) -> np.ndarray:
        return x + colour * rms * 10 ** (-below_db / 20) / np.sqrt(np.mean(colour**2))

    def pink(n: int) -> np.ndarray:
        slope = np.fft.rfftfreq(n)
        slope[0] = slope[1]
        return np.fft.irfft(np.fft.rfft(rng.standard_normal(n)) / np.sqrt(slope), n)

    def brown(n: int) -> np.ndarray:
        return signal.sosfiltfilt(
            signal.butter(2, 10.0, "high", fs=samplerate, output="sos"), np.cumsum(rng.standard_normal(n))
        )

    def hum(n: int) -> np.ndarray:  # 50 Hz mains and its odd harmonics, falling 6 dB each
        t = np.arange(n) / samplerate
        return sum(0.5**k * np.sin(2 * np.pi * 50.0 * (2 * k + 1) * t + k) for k in range(4))

    def mp3(x: np.ndarray) -> np.ndarray:
        import io

        import soundfile

        peak = float(np.max(np.abs(x)))
        coded = io.BytesIO()
        soundfile.write(coded, 0.5 * x / peak, int(samplerate), format="MP3", compression_level=0.9)
        coded.seek(0)
        return soundfile.read(coded, dtype="float64")[0][: len(x)] * peak / 0.5

    def other_voice(n: int) -> np.ndarray:  # another draw of the voice, its own pitch and gaps
        seed = int(rng.integers(2**31))
        return voice(n / samplerate, samplerate, seed=seed, f0_range=(90.0, 700.0)).samples[:n].astype(np.float64)

    def resampled(x: np.ndarray) -> np.ndarray:  # through 44.1 kHz and back
        return signal.resample_poly(signal.resample_poly(x, 147, 160), 160, 147)[: len(x)]

    low_pass = signal.butter(8, 4000.0, fs=samplerate, output="sos")
    high_pass = signal.butter(4, 300.0, "high", fs=samplerate, output="sos")
    return {
        "dry": lambda x, rms: x,
        "DC offset (20% of the peak)": lambda x, rms: x + 0.2 * np.max(np.abs(x)),
        "low-passed at 4 kHz": lambda x, rms: signal.sosfilt(low_pass, x),
        "high-passed at 300 Hz": lambda x, rms: signal.sosfilt(high_pass, x),
        "clipped at 30% of the peak": lambda x, rms: np.clip(x, -0.3 * np.max(np.abs(x)), 0.3 * np.max(np.abs(x))),
        "pink noise 20 dB below": lambda x, rms: noise_like(x, pink(len(x)), rms, 20.0),
        "pink noise 10 dB below": lambda x, rms: noise_like(x, pink(len(x)), rms, 10.0),
        "brown rumble 10 dB below": lambda x, rms: noise_like(x, brown(len(x)), rms, 10.0),
        HUM: lambda x, rms: noise_like(x, hum(len(x)), rms, 40.0),
        "through 44.1 kHz and back": lambda x, rms: resampled(x),
        "MP3 at 40 kbit/s": lambda x, rms: mp3(x),
        "pink noise 10 dB below, MP3 at 40 kbit/s": lambda x, rms: mp3(noise_like(x, pink(len(x)), rms, 10.0)),
        "another voice 20 dB below": lambda x, rms: noise_like(x, other_voice(len(x)), rms, 20.0),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--estimators", default="fft,lstm,zc")
    parser.add_argument("--no-peers", action="store_true", help="leave out pyin, yin and SwiftF0")
    args = parser.parse_args(argv)
    material = voice_material(args.seconds, args.seed)
    names = [name for name in args.estimators.split(",") if name]
    peers = [] if args.no_peers else [t for t in peer_trackers() if t.voicing]
    trackers = [streamfreq_tracker(name, None) for name in names] + peers
    # the hum again, streamfreq told the voice's lowest note as pyin is (--fmin): hum below it is out of range
    told = [streamfreq_tracker(name, HUM_FMIN) for name in names] + peers
    dry = material.samples.astype(np.float64)
    rms = float(np.sqrt(np.mean(dry[material.f0 > 0] ** 2)))
    made = conditions(material.samplerate, np.random.default_rng(args.seed))
    runs = [(name, condition, trackers) for name, condition in made.items()]
    runs.append((f"{HUM}, streamfreq --fmin {HUM_FMIN:g}", made[HUM], told))
    rows = []
    for name, condition, which in runs:
        changed = replace(material, samples=condition(dry, rms).astype(np.float32))
        cells = []
        for tracker in which:
            m = metrics(run_tracker(tracker, changed).aligned)
            cells.append(
                f"{100 * m['raw_pitch']:.1f} / {100 * m['voicing_false_alarm']:.1f} / {100 * m['gross_error']:.1f}"
            )
        rows.append([name, *cells])
        print(f"  {name} done", file=sys.stderr, flush=True)
    print(f"python benchmarks/conditions.py {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"{material.title}, seed {args.seed}: raw pitch % / voicing FA % / gross %\n")
    print_table(["condition", *(t.name for t in trackers)], rows)


if __name__ == "__main__":
    main()
