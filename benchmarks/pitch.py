"""Pitch of real sounds: streamfreq's estimators beside published pitch trackers, on the same material in one run.

Material (all generated here, seeded; nothing is read from disk but the soundfont):

  a. synthetic harmonic tones: f0 log-uniform 50..2000 Hz, 1..20 harmonics of random amplitudes (a quarter
     with a missing fundamental), SNR -5..40 dB (harmonic power over white-noise power);
  n. more of those tones in loud noise, SNR -5..0 dB, where few partials stand clear of it;
  s. pure sines, same f0 and SNR as a (sanity: the single-tone CRLB);
  b. a synthetic voice (streamfreq.signals.voice): vibrato, jitter, shimmer, glides, gaps with breath noise;
  v. another draw of that voice made at 16 kHz (the default window spans the same 43 ms at every rate);
  r. another draw of that voice in a reverberant room (the training generator's room response, RT60 0.5 s,
     half of its energy in the tail), scored against the dry voice: a tracker that reads a note's reverberant
     tail in the gap after it gets voicing false alarms there, as on an annotated recording of a singer;
  c. General-MIDI notes rendered by fluidsynth (streamfreq.material), each held 1 s and scored from 0.25 s
     after its note-on to its note-off (the sustained part); from MuseScore General, or from the soundfont
     ``--soundfont`` names (Debian's fluid-soundfont-gm and timgm6mb-soundfont: other samples of the same notes),
     or by timidity from a patch set's configuration (a .cfg file: Debian's freepats, /etc/timidity/freepats.cfg,
     has patches for 19 of the 23 instruments, and the notes are theirs);
  e. the same notes through fluidsynth's reverb and chorus (sends 64 of 127, as a piece rendered with
     fluidsynth's effects on may be): the chorus detunes and the reverb carries each note into the next;
  o. the notes of the 15 instruments played with vibrato (strings, voices, brass, reeds, flute), the modulation
     wheel at 64: the soundfont's vibrato swings the pitch 20..28 cents either way at 8 Hz; the reference stays
     the nominal pitch, so a frame counts as right within 50 cents of it (where a sample sits flat or sharp, the
     vibrato's peaks can lie 50..60 cents off: wrong numbers of that size there are the vibrato, not an octave);
  d. exponential and linear sine sweeps up and down at 0.5..2 octaves per second, 20 dB SNR, from 110 Hz up (or
     from where ``--sweep-from`` says);
  w. another draw of those sweeps made at 16 kHz (the default window there, 1024 samples, spans 64 ms: a glide
     turns a partial's phase against a steady tone 2.25 times as far as in the 43 ms at 48 kHz).

Trackers: streamfreq's estimators (each through its own streamfreq.Engine at the default window and hop at the
material's rate) and, when installed (pip install "streamfreq[bench]"), librosa.pyin, librosa.yin (no voicing
decision: it is scored on voiced reference frames only, its voicing false alarm and overall accuracy are
left out) and SwiftF0. Every tracker reports f0 or nothing; "nothing" is unvoiced. pyin and yin run at librosa's
default 22.05 kHz (frame 2048, hop 256; resampling counted in their time) and are told the material's lowest
f0 (SwiftF0 keeps its fixed 46.9..2093.75 Hz, streamfreq its default window). Where a material's reference
goes below what streamfreq's default window measures (the notes), each streamfreq estimator also runs a second
time told that f0 as pyin and yin are (``fmin``, which picks a longer window), in rows like ``fft (fmin 30)``.
Each tracker is warmed up on the first second before it is timed.

Metrics: mir_eval.melody raw pitch and raw chroma accuracy, voicing recall and false alarm, overall accuracy
(each tracker's output resampled onto a 10 ms reference grid by mir_eval.melody.to_cent_voicing; cents from
10 Hz, correct means strictly below 50 cents), the median |error| in cents on correct voiced frames, the
gross-error rate (frames with a number >= 50 cents off, over frames where reference and tracker both give one)
and x real time (audio seconds over the tracker's wall seconds, timed one after the other in this process).
RMSE/CRLB and "within 10 cents" use each tracker's own frames against the exact f0 at the frame centre;
RMSE/CRLB is the root mean square of (error / harmonic CRLB for a 2048-sample window) over correct frames.
The tones and sweeps are independent clips, each tracked on its own (pyin's pitch-continuity prior must not
carry over from one clip to the next); the voice and the notes are one signal each.

    python benchmarks/pitch.py [--quick] [--material a,n,s,b,v,r,c,e,o,d,w] [--estimators fft,zc,lstm] [--no-peers]
                               [--seed 0] [--fmin HZ] [--soundfont PATH] [--sweep-from 110] [--model DIR]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from streamfreq.bounds import harmonic_crlb_hz
from streamfreq.signals import harmonic_noise_sigma, harmonic_tone, sweep_schedule, voice

if TYPE_CHECKING:
    from streamfreq.material import Instrument

#: Reference grid of the mir_eval metrics, seconds.
REFERENCE_HOP = 0.01
#: Correct means strictly below this many cents off (mir_eval's tolerance).
TOLERANCE_CENTS = 50.0
#: Samples left unscored on each side of a join between independent clips: half the longest tracker frame.
MARGIN_S = 0.045
#: Window of the CRLB the synthetic tones are compared against.
CRLB_WINDOW = 2048
#: The librosa peers run at their default rate and frame (audio resampled with soxr, inside their timing).
LIBROSA_RATE, LIBROSA_FRAME, LIBROSA_HOP = 22050, 2048, 256
#: Highest f0 handed to the peers that take a range; the lowest is the material's own (``Material.fmin``).
PEER_FMAX = 2100.0
SNR_BANDS = ((-5.0, 0.0), (0.0, 10.0), (10.0, 20.0), (20.0, 30.0), (30.0, 40.0))


# -- scoring -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Aligned:
    """Reference and estimate on the reference grid, as mir_eval's voicing and cent arrays (scored frames only)."""

    ref_voicing: np.ndarray
    ref_cent: np.ndarray
    est_voicing: np.ndarray
    est_cent: np.ndarray


def align(reference_times: np.ndarray, reference_f0: np.ndarray, est_times: np.ndarray, est_f0: np.ndarray) -> Aligned:
    """Resample an estimate onto the reference times with mir_eval's own resampling, then drop unscored frames.

    ``reference_f0``: Hz where voiced, 0 where unvoiced, nan where not scored.
    ``est_f0``: Hz where the tracker gives a number, 0 or nan where it gives none.
    """
    import mir_eval.melody

    reference_f0 = np.asarray(reference_f0, dtype=np.float64)
    scored = ~np.isnan(reference_f0)
    est_f0 = np.nan_to_num(np.asarray(est_f0, dtype=np.float64), nan=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mir_eval warns about empty or non-uniform series it handles
        ref_v, ref_c, est_v, est_c = mir_eval.melody.to_cent_voicing(
            np.asarray(reference_times, dtype=np.float64),
            np.where(scored, reference_f0, 0.0),
            np.asarray(est_times, dtype=np.float64),
            est_f0,
        )
    return Aligned(ref_v[scored], ref_c[scored], est_v[scored], est_c[scored])


def metrics(aligned: Aligned, mask: np.ndarray | None = None) -> dict[str, float]:
    """mir_eval.melody's five metrics plus median cents and gross-error rate on (a subset of) aligned frames."""
    import mir_eval.melody

    warnings.filterwarnings("ignore", module="mir_eval")  # it warns on subsets without voiced frames
    a = aligned
    if mask is not None:
        a = Aligned(a.ref_voicing[mask], a.ref_cent[mask], a.est_voicing[mask], a.est_cent[mask])
    voiced = a.ref_voicing > 0
    both = voiced & (a.est_voicing > 0) & (a.est_cent > 0)
    error = np.abs(a.est_cent - a.ref_cent)
    correct = both & (error < TOLERANCE_CENTS)
    result = {
        "raw_pitch": mir_eval.melody.raw_pitch_accuracy(a.ref_voicing, a.ref_cent, a.est_voicing, a.est_cent),
        "raw_chroma": mir_eval.melody.raw_chroma_accuracy(a.ref_voicing, a.ref_cent, a.est_voicing, a.est_cent),
        "overall": mir_eval.melody.overall_accuracy(a.ref_voicing, a.ref_cent, a.est_voicing, a.est_cent),
        "median_cents": float(np.median(error[correct])) if correct.any() else math.nan,
        "gross_error": float(np.mean(error[both] >= TOLERANCE_CENTS)) if both.any() else math.nan,
        "frames": float(voiced.sum()),
    }
    recall, false_alarm = mir_eval.melody.voicing_measures(a.ref_voicing, a.est_voicing)
    result["voicing_recall"] = float(recall) if voiced.any() else math.nan
    result["voicing_false_alarm"] = float(false_alarm) if (~voiced).any() else math.nan
    return {k: float(v) for k, v in result.items()}


def score(
    reference_times: np.ndarray, reference_f0: np.ndarray, est_times: np.ndarray, est_f0: np.ndarray
) -> dict[str, float]:
    """Score a pitch track against a reference: :func:`metrics` of :func:`align` (see there for the conventions).

    Returns raw_pitch, raw_chroma, voicing_recall, voicing_false_alarm, overall
    (mir_eval.melody), median_cents, gross_error and frames (voiced reference frames).
    """
    return metrics(align(reference_times, reference_f0, est_times, est_f0))


def cents_off(estimate_hz: np.ndarray, reference_hz: np.ndarray) -> np.ndarray:
    """|1200 log2(estimate / reference)|; nan where either is not a positive number."""
    estimate_hz = np.asarray(estimate_hz, dtype=np.float64)
    reference_hz = np.asarray(reference_hz, dtype=np.float64)
    good = (estimate_hz > 0) & (reference_hz > 0)
    out = np.full(np.broadcast(estimate_hz, reference_hz).shape, np.nan)
    out[good] = np.abs(1200.0 * np.log2(estimate_hz[good] / reference_hz[good]))
    return out


# -- material ----------------------------------------------------------------------------------------------


@dataclass
class Material:
    """One signal with its per-sample reference and per-sample segment labels."""

    key: str
    title: str
    samples: np.ndarray
    samplerate: float
    f0: np.ndarray
    """Per-sample reference: Hz voiced, 0 unvoiced, nan not scored."""
    segment: np.ndarray
    """Per-sample index into :attr:`info` arrays, -1 outside every segment."""
    fmin: float = 30.0
    """Lowest f0 in the material: the peers that take a range are told it (streamfreq is not)."""
    clips: np.ndarray | None = None
    """``(start, stop)`` sample bounds of independent clips, each tracked on its own; None: one signal."""
    info: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.samplerate

    def at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Reference f0 (linear between samples, nan next to an unscored sample) and segment at ``times``."""
        position = np.asarray(times, dtype=np.float64) * self.samplerate
        low = np.floor(position).astype(np.int64)
        inside = (low >= 0) & (low + 1 < len(self.f0))
        low = np.clip(low, 0, len(self.f0) - 2)
        frac = position - low
        f0 = self.f0[low] * (1.0 - frac) + self.f0[low + 1] * frac
        zero = (self.f0[low] == 0) | (self.f0[low + 1] == 0)
        f0 = np.where(zero & ~np.isnan(f0), 0.0, f0)
        f0[~inside] = np.nan
        return f0, np.where(inside, self.segment[low], -1)

    def reference_grid(self) -> tuple[np.ndarray, np.ndarray]:
        times = np.arange(0.0, self.duration, REFERENCE_HOP)
        return times, self.at(times)[0]


def join_clips(clips: Sequence[tuple[np.ndarray, np.ndarray]], samplerate: float) -> tuple[np.ndarray, ...]:
    """Concatenate (samples, f0) clips: samples, f0 (nan within MARGIN_S of each end), clip index, clip bounds."""
    margin = int(MARGIN_S * samplerate)
    f0s = []
    for _, f0 in clips:
        f0 = np.array(f0, dtype=np.float64)
        f0[:margin], f0[-margin:] = np.nan, np.nan
        f0s.append(f0)
    segment = np.concatenate([np.full(len(c[0]), i, dtype=np.int32) for i, c in enumerate(clips)])
    ends = np.cumsum([len(c[0]) for c in clips])
    bounds = np.stack([ends - [len(c[0]) for c in clips], ends], axis=1)
    return np.concatenate([c[0] for c in clips]).astype(np.float32), np.concatenate(f0s), segment, bounds


def tones_material(
    count: int,
    seed: int,
    harmonic: bool,
    clip_s: float = 0.3,
    samplerate: float = 48000.0,
    snr_db: tuple[float, float] = (-5.0, 40.0),
) -> Material:
    """Stationary tones (harmonic or pure), one clip each, f0 log-uniform 50..2000 Hz, SNR uniform over ``snr_db``."""
    rng = np.random.default_rng(seed)
    n = int(clip_s * samplerate)
    clips, snrs, crlbs, missing = [], [], [], []
    for _ in range(count):
        f0 = math.exp(rng.uniform(math.log(50.0), math.log(2000.0)))
        if harmonic:
            order = np.arange(1, rng.integers(1, 21) + 1)
            amplitudes = rng.uniform(0.1, 1.0, len(order)) * order ** -rng.uniform(0.0, 1.5)
            absent = len(order) >= 3 and rng.random() < 0.25
            if absent:
                amplitudes[0] = 0.0
        else:
            amplitudes, absent = np.ones(1), False
        amplitudes = amplitudes * (np.arange(1, len(amplitudes) + 1) * f0 < 0.5 * samplerate)
        amplitudes *= rng.uniform(0.05, 0.5) / np.sqrt(0.5 * np.sum(amplitudes**2))  # RMS 0.05..0.5
        snr = rng.uniform(*snr_db)
        sigma = harmonic_noise_sigma(amplitudes, snr)
        x = harmonic_tone(n, samplerate, f0, amplitudes, seed=int(rng.integers(1 << 31)))
        clips.append((x + rng.normal(0.0, sigma, n), np.full(n, f0)))
        snrs.append(snr)
        crlbs.append(harmonic_crlb_hz(amplitudes, sigma, CRLB_WINDOW, samplerate))
        missing.append(absent)
    samples, f0, segment, bounds = join_clips(clips, samplerate)
    info = {"snr_db": np.array(snrs), "crlb_hz": np.array(crlbs), "missing": np.array(missing)}
    if harmonic and snr_db[1] <= 0.0:
        key, title = "n", f"n. synthetic harmonic tones in loud noise ({count} x {clip_s:g} s, 1..20 harmonics)"
    elif harmonic:
        key, title = "a", f"a. synthetic harmonic tones ({count} x {clip_s:g} s, 1..20 harmonics)"
    else:
        key, title = "s", f"s. pure sines ({count} x {clip_s:g} s)"
    title += f", f0 50..2000 Hz, SNR {snr_db[0]:g}..{snr_db[1]:g} dB, 48 kHz"
    return Material(key, title, samples, samplerate, f0, segment, fmin=45.0, clips=bounds, info=info)


def voice_material(duration: float, seed: int, samplerate: float = 48000.0) -> Material:
    """The synthetic voice: f0 90..700 Hz, 5..7 Hz vibrato of +-30..100 cents, 0.5 % jitter, 5 % shimmer.

    The reference is the pitch sung (:attr:`~streamfreq.signals.VoiceSignal.contour`), of which the jitter moves
    each period's own f0 by 9 cents (one standard deviation)."""
    signal = voice(duration, samplerate, seed=seed, f0_range=(90.0, 700.0))
    f0 = np.nan_to_num(signal.contour, nan=0.0)
    title = f"b. synthetic voice ({duration:g} s, f0 90..700 Hz, vibrato, jitter, glides, gaps with breath, 48 kHz)"
    segment = np.zeros(len(f0), np.int32)
    return Material("b", title, signal.samples.astype(np.float32), samplerate, f0, segment, fmin=80.0)


#: Material r's room: RT60 in seconds and the tail's share of the energy (``--room``).
ROOM = (0.5, 0.5)


def parse_room(text: str) -> tuple[float, float]:
    """``"RT60,WET"`` (seconds, share of the energy in the tail) for ``--room``.

    >>> parse_room("0.3,0.2")
    (0.3, 0.2)
    """
    try:
        rt60, wet = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--room takes RT60,WET, e.g. 0.3,0.2 (got {text!r})") from None
    if not (0.05 <= rt60 <= 5.0 and 0.0 < wet < 1.0):
        raise argparse.ArgumentTypeError(f"--room takes RT60 in 0.05..5 s and WET in 0..1 (got {text!r})")
    return rt60, wet


def room_voice_material(duration: float, seed: int, rt60: float = ROOM[0], wet: float = ROOM[1]) -> Material:
    """:func:`voice_material` through a room-like impulse response (``streamfreq.models.data.reverberate``)."""
    from streamfreq.models.data import reverberate

    dry = voice_material(duration, seed)
    samples = reverberate(np.random.default_rng(seed), dry.samples.astype(np.float64), rt60 * dry.samplerate, wet)
    title = f"r. synthetic voice in a room ({duration:g} s, RT60 {rt60:g} s, tail {wet:.0%} of the energy, 48 kHz)"
    return replace(dry, key="r", title=title, samples=samples.astype(np.float32))


def notes_material(
    per_instrument: int, every: int = 1, effects: int = 0, soundfont: str | None = None, vibrato: bool = False
) -> Material:
    """Rendered General-MIDI notes (every ``every``-th instrument), one after the other, scored on their sustain;
    with ``effects``, through fluidsynth's reverb and chorus at that send level (``render_notes``); from
    ``soundfont`` where given (default: MuseScore General); with ``vibrato``, the instruments played with
    vibrato only, the modulation wheel at ``VIBRATO_WHEEL`` (the reference stays the note's nominal pitch)."""
    from streamfreq.material import INSTRUMENTS, SOUNDFONT, VIBRATO_INSTRUMENTS, VIBRATO_WHEEL, note_set, render_notes

    players = [i for i in INSTRUMENTS if i.name in VIBRATO_INSTRUMENTS] if vibrato else INSTRUMENTS
    notes = note_set(per_instrument, playable(players, soundfont)[::every])
    rendered = render_notes(
        notes, hold=1.0, release=0.3, effects=effects, soundfont=soundfont or SOUNDFONT,
        modulation=VIBRATO_WHEEL if vibrato else 0,
    )  # fmt: skip
    rate = rendered[0].samplerate
    f0s, segment = [], []
    for index, note in enumerate(rendered):
        f0 = np.full(len(note.samples), np.nan)
        start, stop = (int(s * rate) for s in note.sustain)
        f0[start:stop] = note.note.hz
        f0s.append(f0)
        segment.append(np.full(len(note.samples), index, dtype=np.int32))
    names = [instrument.name for instrument in INSTRUMENTS]
    info = {
        "instrument": np.array([names.index(n.note.instrument) for n in rendered]),
        "hz": np.array([n.note.hz for n in rendered]),
    }
    hz = info["hz"]
    key = "o" if vibrato else "e" if effects else "c"
    title = (
        f"{key}. rendered instrument notes ({len(rendered)} notes, {len(set(info['instrument'].tolist()))} GM "
        f"programs, {hz.min():.1f}..{hz.max():.0f} Hz, {soundfont_name(soundfont)}, {rate:g} Hz"
        + (f", reverb and chorus sends {effects}" if effects else "")
        + (f", vibrato: modulation wheel {VIBRATO_WHEEL})" if vibrato else ")")
    )
    samples = np.concatenate([n.samples for n in rendered])
    return Material(key, title, samples, rate, np.concatenate(f0s), np.concatenate(segment), fmin=30.0, info=info)


def playable(instruments: Sequence[Instrument], soundfont: str | None) -> list[Instrument]:
    """The ``instruments`` that ``soundfont`` (None: MuseScore General) plays from its own samples: all of them, but
    for a TiMidity++ patch set only those it has a patch for (timidity would play the others from another set)."""
    from streamfreq.material import is_patch_set, patch_programs

    if soundfont is None or not is_patch_set(soundfont):
        return list(instruments)
    patched = patch_programs(soundfont)
    return [i for i in instruments if i.program in patched]


def require_synthesizer(parser: argparse.ArgumentParser, soundfont: str | None) -> None:
    """Stop with the parser's one-line error where ``soundfont`` (None: MuseScore General) or its player
    (fluidsynth, or timidity for a patch set) is missing: said before anything runs, not after the first render."""
    from streamfreq.errors import SourceError
    from streamfreq.material import SOUNDFONT, synthesizer_path

    try:
        synthesizer_path(soundfont or SOUNDFONT)
    except SourceError as error:
        parser.error(str(error))


def soundfont_name(soundfont: str | None) -> str:
    """How a table title names the samples and their player: MuseScore General via fluidsynth, or the file's name
    via fluidsynth or timidity."""
    from streamfreq.material import is_patch_set

    name = "MuseScore General" if soundfont is None else os.path.basename(soundfont)
    return f"{name} via {'timidity' if soundfont is not None and is_patch_set(soundfont) else 'fluidsynth'}"


#: Where the sweeps start going up and end going down (Hz), unless told otherwise (``--sweep-from``).
SWEEP_FROM = 110.0


def sweeps_material(
    seed: int,
    rates: Sequence[float],
    clip_s: float = 2.0,
    samplerate: float = 48000.0,
    key: str = "d",
    low: float = SWEEP_FROM,
) -> Material:
    """Exponential and linear sine sweeps up (from ``low`` Hz) and down (to ``low``) at the given rates, 20 dB SNR."""
    rng = np.random.default_rng(seed)
    n = int(clip_s * samplerate)
    clips, kinds, speeds = [], [], []
    for kind in ("log", "linear"):
        for rate in rates:
            for direction in (1.0, -1.0):
                up = sweep_schedule(kind, low, rate, clip_s)
                schedule = up if direction > 0 else type(up)(up.stop_hz, up.start_hz, clip_s)
                track = schedule.frequency(np.arange(n) / samplerate)
                x = harmonic_tone(n, samplerate, track, [0.5], seed=int(rng.integers(1 << 31)))
                clips.append((x + rng.normal(0.0, harmonic_noise_sigma([0.5], 20.0), n), track))
                kinds.append(kind)
                speeds.append(rate)
    samples, f0, segment, bounds = join_clips(clips, samplerate)
    title = (
        f"{key}. sine sweeps ({len(clips)} x {clip_s:g} s, up and down, {low:g} Hz and up, 20 dB SNR, "
        f"{samplerate / 1000:g} kHz)"
    )
    info = {"kind": np.array(kinds), "rate": np.array(speeds)}
    # the peers are told 10 Hz below the low end
    return Material(key, title, samples, samplerate, f0, segment, fmin=low - 10.0, clips=bounds, info=info)


# -- trackers ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tracker:
    name: str
    run: Callable[[np.ndarray, float, float], tuple[np.ndarray, np.ndarray]]
    """(samples, samplerate, fmin) -> (frame-centre times in s, f0 in Hz or 0 where it gives no number)."""
    voicing: bool = True


def streamfreq_readouts(
    name: str, samples: np.ndarray, samplerate: float, fmin: float | None = None, model_path: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(times, f0, confidence)`` of estimator ``name`` on ``samples`` through an engine (f0 0 where it gives no
    number)."""
    from streamfreq import Engine

    engine = Engine(samplerate, estimators=[name], fmin=fmin, model_path=model_path)
    readouts = engine.push(samples)
    times = np.array([r.time for r in readouts])
    f0 = np.array([r.hz(name) or 0.0 for r in readouts])
    return times, f0, np.array([r.estimates[name].confidence for r in readouts])


def streamfreq_tracker(name: str, fmin: float | None, model_path: str | None = None) -> Tracker:
    def run(samples: np.ndarray, samplerate: float, _: float) -> tuple[np.ndarray, np.ndarray]:
        return streamfreq_readouts(name, samples, samplerate, fmin, model_path)[:2]

    label = name if fmin is None else f"{name} (fmin {fmin:g})"
    return Tracker(label, run)


def told_trackers(names: Sequence[str], material: Material, model_path: str | None = None) -> list[Tracker]:
    """streamfreq's estimators told the material's lowest f0, where the default window cannot reach it."""
    from streamfreq.defaults import WINDOW, lowest_f0

    voiced = material.f0[material.f0 > 0]  # nan compares False
    if len(voiced) == 0 or voiced.min() >= lowest_f0(WINDOW, material.samplerate):
        return []
    return [streamfreq_tracker(name, material.fmin, model_path) for name in names]


def peer_trackers() -> list[Tracker]:
    """The peers that are installed: pyin, yin (librosa) and SwiftF0."""
    peers = []
    try:
        import librosa
    except ImportError:
        librosa = None
    if librosa is not None:
        import soxr

        def resampled(samples: np.ndarray, samplerate: float) -> np.ndarray:
            return soxr.resample(samples.astype(np.float64), samplerate, LIBROSA_RATE)

        def pyin(samples: np.ndarray, samplerate: float, fmin: float) -> tuple[np.ndarray, np.ndarray]:
            f0, voiced, _ = librosa.pyin(
                resampled(samples, samplerate), fmin=fmin, fmax=PEER_FMAX, sr=LIBROSA_RATE,
                frame_length=LIBROSA_FRAME, hop_length=LIBROSA_HOP,
            )  # fmt: skip
            return np.arange(len(f0)) * LIBROSA_HOP / LIBROSA_RATE, np.where(voiced, np.nan_to_num(f0), 0.0)

        def yin(samples: np.ndarray, samplerate: float, fmin: float) -> tuple[np.ndarray, np.ndarray]:
            f0 = librosa.yin(
                resampled(samples, samplerate), fmin=fmin, fmax=PEER_FMAX, sr=LIBROSA_RATE,
                frame_length=LIBROSA_FRAME, hop_length=LIBROSA_HOP,
            )  # fmt: skip
            return np.arange(len(f0)) * LIBROSA_HOP / LIBROSA_RATE, f0

        peers += [Tracker("pyin", pyin), Tracker("yin*", yin, voicing=False)]
    try:
        from swift_f0 import SwiftF0
    except ImportError:
        SwiftF0 = None
    if SwiftF0 is not None:
        detector = SwiftF0(spin=False)

        def swift(samples: np.ndarray, samplerate: float, _: float) -> tuple[np.ndarray, np.ndarray]:
            result = detector.detect(samples, int(samplerate))  # its own range, 46.9..2093.75 Hz
            return result.timestamps, np.where(result.confidence >= 0.5, result.pitch_hz, 0.0)

        peers.append(Tracker("SwiftF0", swift))
    return peers


@dataclass
class Run:
    """One tracker on one material: its frames, the aligned reference and its speed."""

    tracker: Tracker
    times: np.ndarray
    f0: np.ndarray
    aligned: Aligned
    grid_segment: np.ndarray
    realtime: float


def _within(times: np.ndarray, f0: np.ndarray, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """A clip's frames centred before its end: one centred on its last sample or after it (pyin's, where the clip
    is a whole number of hops) belongs to the next clip's start."""
    inside = np.asarray(times) < duration
    return np.asarray(times)[inside], np.asarray(f0)[inside]


def run_tracker(tracker: Tracker, material: Material) -> Run:
    """Run a tracker (timed) on the material, clip by clip where the clips are independent, and align it."""
    rate = material.samplerate
    tracker.run(material.samples[: int(rate)], rate, material.fmin)  # warm-up
    bounds = np.array([[0, len(material.samples)]]) if material.clips is None else material.clips
    began = time.perf_counter()
    parts = [tracker.run(material.samples[start:stop], rate, material.fmin) for start, stop in bounds]
    wall = time.perf_counter() - began
    parts = [_within(t, f, (stop - start) / rate) for (t, f), (start, stop) in zip(parts, bounds, strict=True)]
    times = np.concatenate([t + start / rate for (t, _), (start, _) in zip(parts, bounds, strict=True)])
    f0 = np.concatenate([f for _, f in parts])
    grid, reference = material.reference_grid()
    if not tracker.voicing:  # scored where the reference is voiced only
        reference = np.where(reference > 0, reference, np.nan)
    aligned = align(grid, reference, times, f0)
    segment = material.at(grid)[1][~np.isnan(reference)]
    return Run(tracker, np.asarray(times), np.asarray(f0, dtype=np.float64), aligned, segment, material.duration / wall)


# -- tables ------------------------------------------------------------------------------------------------


def _pct(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.1f}"


def _num(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) + " |")
    print()


def print_mir_eval(runs: Sequence[Run]) -> None:
    header = ["tracker", "raw pitch %", "raw chroma %", "voicing recall %", "voicing FA %", "overall %"]
    header += ["median c", "gross %", "x real time"]
    rows = []
    for r in runs:
        m = metrics(r.aligned)
        fa, overall = (m["voicing_false_alarm"], m["overall"]) if r.tracker.voicing else (math.nan, math.nan)
        speed = _num(r.realtime, 1 if r.realtime < 10 else 0)
        rows.append(
            [r.tracker.name, _pct(m["raw_pitch"]), _pct(m["raw_chroma"]), _pct(m["voicing_recall"]), _pct(fa),
             _pct(overall), _num(m["median_cents"], 2), _pct(m["gross_error"]), speed]
        )  # fmt: skip
    print_table(header, rows)


def native(run: Run, material: Material) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each tracker frame's estimate, exact reference at the frame centre and segment; scored voiced frames only."""
    reference, segment = material.at(run.times)
    keep = reference > 0
    return run.f0[keep], reference[keep], segment[keep], run.times[keep]


def print_crlb(runs: Sequence[Run], material: Material) -> None:
    """RMSE/CRLB, gross errors and hits per SNR band (and two summary rows), on each tracker's own frames."""
    snr = material.info["snr_db"]
    groups = [(f"{low:g}..{high:g} dB", (snr >= low) & (snr < high)) for low, high in SNR_BANDS]
    groups.append((">= 10 dB", snr >= 10.0))
    missing = material.info["missing"]
    if (missing & (snr >= 0.0)).any():
        groups.append(("no fundamental, >= 0 dB", missing & (snr >= 0.0)))
    elif missing.any():  # loud noise only
        groups.append(("no fundamental", missing))
    groups = [(label, chosen) for label, chosen in groups if chosen.any()]
    rows = []
    for label, chosen in groups:
        row = [label, str(int(chosen.sum()))]
        for r in runs:
            est, ref, seg, _ = native(r, material)
            band = chosen[seg]
            off = cents_off(est[band], ref[band])
            correct = off < TOLERANCE_CENTS
            numbered = ~np.isnan(off)
            ratio = (est[band][correct] - ref[band][correct]) / material.info["crlb_hz"][seg[band][correct]]
            rmse = math.sqrt(float(np.mean(ratio**2))) if correct.any() else math.nan
            gross = float(np.mean(~correct[numbered])) if numbered.any() else math.nan
            hit = float(np.mean(correct)) if band.any() else math.nan
            row.append(f"{_num(rmse, 2)} / {_pct(gross)} / {_pct(hit)}")
        rows.append(row)
    print("cells: RMSE/CRLB on correct frames / gross-error % of numbered frames / % of frames correct\n")
    print_table(["SNR", "tones"] + [r.tracker.name for r in runs], rows)


def print_sweeps(runs: Sequence[Run], material: Material) -> None:
    """Share of each tracker's frames within 10 cents of the window-centre pitch, per kind and rate."""
    header = ["sweep", "oct/s"] + [r.tracker.name for r in runs]
    rows = []
    kinds, rates = material.info["kind"], material.info["rate"]
    for kind in ("log", "linear"):
        for rate in sorted(set(rates.tolist())):
            row = ["exponential" if kind == "log" else "linear", f"{rate:g}"]
            for r in runs:
                est, ref, seg, _ = native(r, material)
                mine = (kinds[seg] == kind) & (rates[seg] == rate)
                off = cents_off(est[mine], ref[mine])
                within = np.nan_to_num(off, nan=np.inf) < 10.0
                median = np.nanmedian(off) if np.isfinite(off).any() else math.nan
                row.append(f"{_pct(float(np.mean(within)))} ({_num(median, 1)} c)")
            rows.append(row)
    print("cells: % of frames within 10 cents of the window-centre pitch (median |error| in cents)\n")
    print_table(header, rows)


def print_instruments(runs: Sequence[Run], material: Material) -> None:
    """Raw pitch accuracy per instrument (mir_eval, reference grid); the instruments are the material's
    ``info["names"]``, or else streamfreq.material's General-MIDI ones."""
    from streamfreq.material import INSTRUMENTS

    header = ["instrument", "notes", "Hz"] + [r.tracker.name for r in runs]
    rows = []
    ids, hz = material.info["instrument"], material.info["hz"]
    names = material.info.get("names", [instrument.name for instrument in INSTRUMENTS])
    for index, name in enumerate(names):
        notes = np.flatnonzero(ids == index)
        if not len(notes):
            continue
        row = [str(name), str(len(notes)), f"{hz[notes].min():.0f}..{hz[notes].max():.0f}"]
        for r in runs:
            row.append(_pct(metrics(r.aligned, np.isin(r.grid_segment, notes))["raw_pitch"]))
        rows.append(row)
    print("cells: raw pitch accuracy % per instrument\n")
    print_table(header, rows)


# -- main --------------------------------------------------------------------------------------------------


MATERIALS = ("a", "n", "s", "b", "v", "r", "c", "e", "o", "d", "w")
#: The materials of rendered notes: they need fluidsynth and a soundfont (or timidity and a patch set), and get a
#: table per instrument.
NOTE_MATERIALS = ("c", "e", "o")
#: The send level of material e's reverb and chorus (0..127).
EFFECTS_SEND = 64


def build_material(
    key: str,
    quick: bool,
    seed: int,
    soundfont: str | None = None,
    sweep_from: float = SWEEP_FROM,
    room: tuple[float, float] = ROOM,
) -> Material:
    if key == "a":
        return tones_material(40 if quick else 250, seed, harmonic=True)
    if key == "n":
        return tones_material(30 if quick else 150, seed + 7, harmonic=True, snr_db=(-5.0, 0.0))
    if key == "s":
        return tones_material(20 if quick else 100, seed + 1, harmonic=False)
    if key == "b":
        return voice_material(8.0 if quick else 40.0, seed + 2)
    if key == "v":
        return replace(voice_material(8.0 if quick else 40.0, seed + 5, samplerate=16000.0), key="v", title=(
            f"v. another draw of the synthetic voice sampled at 16 kHz, as many singing and speech corpora are "
            f"({8 if quick else 40} s)"
        ))  # fmt: skip
    if key == "r":
        return room_voice_material(8.0 if quick else 40.0, seed + 4, *room)
    if key in ("c", "e"):
        effects = EFFECTS_SEND if key == "e" else 0
        if quick:
            return notes_material(2, every=4, effects=effects, soundfont=soundfont)
        return notes_material(8, effects=effects, soundfont=soundfont)
    if key == "o":
        return notes_material(2 if quick else 8, every=4 if quick else 1, soundfont=soundfont, vibrato=True)
    if key in ("d", "w"):
        rates = (2.0,) if quick else (0.5, 1.0, 1.5, 2.0)
        return sweeps_material(
            seed + 3 if key == "d" else seed + 6,
            rates,
            samplerate=48000.0 if key == "d" else 16000.0,
            key=key,
            low=sweep_from,
        )
    raise ValueError(f"unknown material {key!r}")


def main(argv: Sequence[str] | None = None) -> None:
    from streamfreq.estimators import ESTIMATOR_NAMES, available_estimators

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small material for a smoke run")
    parser.add_argument("--material", default=",".join(MATERIALS), help="comma-separated: " + ", ".join(MATERIALS))
    parser.add_argument("--estimators", default=",".join(available_estimators()), help="streamfreq estimators")
    parser.add_argument("--no-peers", action="store_true", help="leave out pyin, yin and SwiftF0")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fmin", type=float, default=None, help="lowest f0 for streamfreq (picks the window)")
    parser.add_argument(
        "--soundfont",
        default=None,
        help="render the notes (c, e, o) from this soundfont, or with timidity from this patch set's .cfg "
        "(default: MuseScore General)",
    )
    parser.add_argument("--model", default=None, help="the LSTM's model (lstm.json or its folder; default: shipped)")
    parser.add_argument(
        "--sweep-from", type=float, default=SWEEP_FROM, metavar="HZ", help=f"the sweeps' low end (d, w; {SWEEP_FROM:g})"
    )
    parser.add_argument(
        "--room", type=parse_room, default=ROOM, metavar="RT60,WET",
        help=f"material r's room: RT60 in s, the tail's share of the energy ({ROOM[0]:g},{ROOM[1]:g})",
    )  # fmt: skip
    args = parser.parse_args(argv)
    names = [n for n in args.estimators.split(",") if n]
    unknown = [n for n in names if n not in ESTIMATOR_NAMES]
    if unknown:
        parser.error(f"unknown estimator {unknown[0]!r} (choose from {', '.join(ESTIMATOR_NAMES)})")
    keys = [k.strip() for k in args.material.split(",") if k.strip()]
    if not keys or any(k not in MATERIALS for k in keys):
        parser.error(f"--material takes a comma-separated list of {', '.join(MATERIALS)} (got {args.material!r})")
    if set(NOTE_MATERIALS) & set(keys):  # the notes need fluidsynth and a soundfont: say so now, not after the rest
        require_synthesizer(parser, args.soundfont)
    ours = [streamfreq_tracker(n, args.fmin, args.model) for n in names]
    peers = [] if args.no_peers else peer_trackers()
    began = time.perf_counter()
    print(f"python benchmarks/pitch.py {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"trackers: {', '.join(t.name for t in ours + peers)}; seed {args.seed}{'; quick' if args.quick else ''}")
    print("* yin has no voicing decision: scored on voiced reference frames only (no false alarm, no overall)\n")
    for key in keys:
        made = time.perf_counter()
        material = build_material(key, args.quick, args.seed, args.soundfont, args.sweep_from, args.room)
        print(f"## {material.title}")
        print(f"({material.duration:.1f} s of audio, made in {time.perf_counter() - made:.1f} s)\n")
        told = [] if args.fmin is not None else told_trackers(names, material, args.model)
        runs = [run_tracker(t, material) for t in ours + told + peers]
        print_mir_eval(runs)
        if key in ("a", "n", "s"):
            print_crlb(runs, material)
        if key in NOTE_MATERIALS:
            print_instruments(runs, material)
        if key in ("d", "w"):
            print_sweeps(runs, material)
    print(f"wall time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
