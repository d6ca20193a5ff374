"""Test-signal generators shared by :class:`~streamfreq.sources.SynthSource`, the tests, benchmarks and training.

Frequencies follow a *schedule* (constant, linear or logarithmic sweep, steps),
and a :class:`ToneGenerator` turns a schedule into phase-continuous blocks of
samples, optionally with white noise at a given per-sample SNR
``A**2 / (2 * sigma**2)``.

Pitched material with an exactly known fundamental f0 (seeded, vectorised, pure numpy):

- :func:`harmonic_tone`: f0 (constant, per-sample track or schedule) with 1..100
  harmonics of given amplitudes, optional stiff-string inharmonicity and decay;
- :func:`voice`: a synthetic singing voice (band-limited Rosenberg glottal pulses
  through vowel formants, vibrato, jitter, shimmer, glides, unvoiced gaps) with
  its exact per-sample f0 track;
- :func:`sweep_schedule` and :func:`centre_f0`: sweeps at a given rate in octaves
  per second and the true f0 at each analysis window's centre.

Example
-------
>>> import numpy as np
>>> from streamfreq.signals import Constant, ToneGenerator
>>> gen = ToneGenerator(Constant(440.0), samplerate=48000, snr_db=20, seed=1)
>>> block = gen.next_block(1024)
>>> block.dtype, block.shape
(dtype('float32'), (1024,))
>>> float(gen.frequency_at(np.array([0]))[0])
440.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

from streamfreq.errors import ParameterError, check_range


class Schedule(Protocol):
    """Instantaneous frequency (Hz) as a function of time (s)."""

    def frequency(self, t: np.ndarray) -> np.ndarray:
        """Return the frequency in Hz at each time in ``t`` (seconds from the start)."""
        ...


@dataclass(frozen=True)
class Constant:
    """A fixed frequency in Hz."""

    hz: float

    def frequency(self, t: np.ndarray) -> np.ndarray:
        return np.full(np.shape(t), float(self.hz))


@dataclass(frozen=True)
class LinearSweep:
    """Frequency moving linearly from ``start_hz`` to ``stop_hz`` over ``duration`` seconds, then holding."""

    start_hz: float
    stop_hz: float
    duration: float

    def frequency(self, t: np.ndarray) -> np.ndarray:
        progress = np.clip(np.asarray(t, dtype=np.float64) / self.duration, 0.0, 1.0)
        return self.start_hz + (self.stop_hz - self.start_hz) * progress


@dataclass(frozen=True)
class LogSweep:
    """Frequency moving geometrically from ``start_hz`` to ``stop_hz`` over ``duration`` seconds, then holding."""

    start_hz: float
    stop_hz: float
    duration: float

    def frequency(self, t: np.ndarray) -> np.ndarray:
        progress = np.clip(np.asarray(t, dtype=np.float64) / self.duration, 0.0, 1.0)
        return self.start_hz * (self.stop_hz / self.start_hz) ** progress


@dataclass(frozen=True)
class Steps:
    """Piecewise-constant frequency: ``steps`` is a sequence of ``(start_time_s, hz)``, sorted by time."""

    steps: Sequence[tuple[float, float]]

    def frequency(self, t: np.ndarray) -> np.ndarray:
        times = np.array([s[0] for s in self.steps], dtype=np.float64)
        values = np.array([s[1] for s in self.steps], dtype=np.float64)
        index = np.searchsorted(times, np.asarray(t, dtype=np.float64), side="right") - 1
        return values[np.clip(index, 0, len(values) - 1)]


def noise_sigma(amplitude: float, snr_db: float) -> float:
    """Standard deviation of white noise giving a per-sample SNR of ``snr_db`` for a tone of ``amplitude``.

    The per-sample SNR of a real tone is ``amplitude**2 / (2 * sigma**2)``.
    """
    return harmonic_noise_sigma((amplitude,), snr_db)


def harmonic_noise_sigma(amplitudes: Sequence[float] | np.ndarray, snr_db: float) -> float:
    """Standard deviation of white noise giving a per-sample SNR of ``snr_db`` for harmonics of ``amplitudes``.

    The per-sample SNR of a sum of real sinusoids is their power over the noise
    power, ``sum(A_l**2) / (2 * sigma**2)``.

    Example
    -------
    >>> round(harmonic_noise_sigma([1.0, 1.0], 0.0), 6)
    1.0
    """
    power = 0.5 * float(np.sum(np.square(np.asarray(amplitudes, dtype=np.float64))))
    return math.sqrt(power / 10.0 ** (snr_db / 10.0))


def tone(
    n_samples: int,
    cycles: np.ndarray | float,
    phase: np.ndarray | float = 0.0,
    amplitude: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Vectorised tones of ``cycles`` cycles per ``n_samples`` samples.

    ``cycles``, ``phase`` and ``amplitude`` broadcast together; the result has
    their broadcast shape plus a trailing axis of ``n_samples`` (float64).
    Sample ``k`` is ``amplitude * cos(2*pi*cycles*k/n_samples + phase)``.

    Example
    -------
    >>> tone(4, 1.0).round(6).tolist()
    [1.0, 0.0, -1.0, -0.0]
    """
    cycles = np.asarray(cycles, dtype=np.float64)[..., None]
    phase = np.asarray(phase, dtype=np.float64)[..., None]
    amplitude = np.asarray(amplitude, dtype=np.float64)[..., None]
    k = np.arange(n_samples, dtype=np.float64)
    return amplitude * np.cos(2.0 * np.pi * cycles * k / n_samples + phase)


class ToneGenerator:
    """Phase-continuous tone following a frequency schedule, with optional white noise.

    Parameters
    ----------
    schedule
        The frequency over time (e.g. ``Constant(440)``).
    samplerate
        Samples per second.
    amplitude
        Peak amplitude of the tone (0 gives noise only or silence).
    phase
        Initial phase in radians.
    snr_db
        Per-sample SNR ``A**2 / (2 sigma**2)`` in dB; ``None`` for no noise.
        With ``amplitude=0`` the noise has unit standard deviation scaled by
        ``noise_level`` instead.
    noise_level
        Noise standard deviation used when ``amplitude`` is 0 and ``snr_db`` is set.
    seed
        Seed of the noise generator.
    """

    def __init__(
        self,
        schedule: Schedule,
        samplerate: float,
        amplitude: float = 0.5,
        phase: float = 0.0,
        snr_db: float | None = None,
        noise_level: float = 0.1,
        seed: int | None = 0,
    ) -> None:
        check_range("samplerate", samplerate, 1, 1_000_000)
        if not math.isfinite(amplitude) or amplitude < 0:
            raise ParameterError(f"amplitude must be a finite number >= 0 (got {amplitude!r})")
        if snr_db is not None:
            check_range("snr", snr_db, -60, 200)
        self.schedule = schedule
        self.samplerate = float(samplerate)
        self.amplitude = float(amplitude)
        self._phase = float(phase)
        self._position = 0
        self._rng = np.random.default_rng(seed)
        if snr_db is None:
            self._sigma = 0.0
        elif amplitude > 0:
            self._sigma = noise_sigma(amplitude, snr_db)
        else:
            self._sigma = float(noise_level)

    @property
    def position(self) -> int:
        """Number of samples generated so far."""
        return self._position

    def frequency_at(self, sample_index: np.ndarray) -> np.ndarray:
        """True instantaneous frequency (Hz) at the given absolute sample indices."""
        return self.schedule.frequency(np.asarray(sample_index, dtype=np.float64) / self.samplerate)

    def next_block(self, n_samples: int) -> np.ndarray:
        """Return the next ``n_samples`` samples as float32, continuing phase and noise."""
        index = np.arange(self._position, self._position + n_samples, dtype=np.float64)
        increments = (2.0 * np.pi / self.samplerate) * self.frequency_at(index)
        phases = self._phase + np.concatenate(([0.0], np.cumsum(increments[:-1])))
        block = self.amplitude * np.cos(phases)
        if self._sigma > 0:
            block += self._rng.normal(0.0, self._sigma, n_samples)
        if n_samples:
            self._phase = float((phases[-1] + increments[-1]) % (2.0 * np.pi))
        self._position += n_samples
        return block.astype(np.float32)


# -- pitched material with an exactly known f0 -------------------------------------------------------

#: Most harmonics :func:`harmonic_tone` accepts.
MAX_HARMONICS = 100


def sweep_schedule(kind: str, start_hz: float, octaves_per_s: float, duration: float) -> LinearSweep | LogSweep:
    """A sweep from ``start_hz`` over ``duration`` seconds that moves at most ``octaves_per_s`` octaves per second.

    ``kind`` is ``"log"`` (exponential: the rate is ``octaves_per_s``
    throughout, ending ``octaves_per_s * duration`` octaves away) or
    ``"linear"`` (constant in Hz per second, so fastest in octaves per second
    at its low end, where it moves ``octaves_per_s``). A negative rate sweeps down.

    Example
    -------
    >>> sweep_schedule("log", 100.0, 2.0, 1.5)
    LogSweep(start_hz=100.0, stop_hz=800.0, duration=1.5)
    >>> round(sweep_schedule("linear", 100.0, 1.0, 1.0).stop_hz, 3)  # 69.3 Hz/s: 1 octave/s at 100 Hz
    169.315
    """
    if kind not in ("log", "linear"):
        raise ParameterError(f"sweep kind must be 'log' or 'linear' (got {kind!r})")
    check_range("duration", duration, 1e-6, 1e6)
    if kind == "log":
        return LogSweep(float(start_hz), float(start_hz) * 2.0 ** (float(octaves_per_s) * duration), float(duration))
    factor = 1.0 + abs(float(octaves_per_s)) * math.log(2.0) * float(duration)
    stop_hz = float(start_hz) * factor if octaves_per_s >= 0 else float(start_hz) / factor
    return LinearSweep(float(start_hz), stop_hz, float(duration))


def f0_track(f0: float | np.ndarray | Schedule, n_samples: int, samplerate: float) -> np.ndarray:
    """A per-sample f0 track (Hz, float64, length ``n_samples``) from a constant, a track or a schedule.

    A schedule is evaluated at each sample's time ``n / samplerate``.

    Example
    -------
    >>> f0_track(LinearSweep(100.0, 200.0, 1.0), 3, 2.0).tolist()
    [100.0, 150.0, 200.0]
    """
    if hasattr(f0, "frequency"):
        return np.asarray(f0.frequency(np.arange(n_samples) / float(samplerate)), dtype=np.float64)  # type: ignore[union-attr]
    track = np.asarray(f0, dtype=np.float64)
    if track.ndim == 0:
        return np.full(n_samples, float(track))
    if track.shape != (n_samples,):
        raise ParameterError(f"an f0 track must have one value per sample ({n_samples}), got shape {track.shape}")
    return track


def cycles(f0: np.ndarray, samplerate: float, start: float = 0.0) -> np.ndarray:
    """Phase in cycles of a tone whose instantaneous frequency at sample ``n`` is ``f0[n]`` Hz.

    The trapezoidal sum ``start + sum_{m<n} (f0[m] + f0[m+1]) / (2 samplerate)``:
    exact for linear sweeps, phase-continuous for any track.

    Example
    -------
    >>> cycles(np.array([1.0, 1.0, 3.0]), 4.0).tolist()
    [0.0, 0.25, 0.75]
    """
    increments = 0.5 * (f0[1:] + f0[:-1]) / float(samplerate)
    return start + np.concatenate(([0.0], np.cumsum(increments)))


def centre_f0(f0: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """The true f0 at the centre of each window: a per-sample track read at ``start + (window - 1) / 2``.

    Linear interpolation between samples; nan where either neighbour is nan
    (unvoiced) or the centre lies outside the track.

    Example
    -------
    >>> centre_f0(np.array([100.0, 110.0, 120.0, np.nan]), np.array([0, 1, 2]), 2).tolist()
    [105.0, 115.0, nan]
    """
    position = np.asarray(starts, dtype=np.float64) + (int(window) - 1) / 2.0
    low = np.floor(position).astype(np.int64)
    inside = (low >= 0) & (low + 1 < len(f0)) | (position == len(f0) - 1)
    low = np.clip(low, 0, len(f0) - 1)
    high = np.clip(low + 1, 0, len(f0) - 1)
    frac = position - low
    with np.errstate(invalid="ignore"):
        value = f0[low] * (1.0 - frac) + f0[high] * frac
    value[~inside] = np.nan
    return value


def harmonic_tone(
    n_samples: int,
    samplerate: float,
    f0: float | np.ndarray | Schedule,
    amplitudes: Sequence[float] | np.ndarray = (1.0,),
    *,
    inharmonicity: float = 0.0,
    decay_s: float | Sequence[float] | np.ndarray | None = None,
    phases: Sequence[float] | np.ndarray | None = None,
    seed: int | None = 0,
) -> np.ndarray:
    """A harmonic (or stiff-string) tone with an exactly known fundamental, float64.

    Partial ``l`` (1-based) has amplitude ``amplitudes[l-1]`` and frequency
    ``l * f0 * sqrt(1 + B l**2)`` with ``B = inharmonicity`` (0: exactly
    harmonic). Its phase is ``l * sqrt(1 + B l**2) * 2 pi * cycles(f0) + phase_l``,
    so glides and vibrato given as a per-sample track or a schedule stay
    phase-continuous. A zero amplitude leaves a harmonic out (e.g. a missing
    fundamental). Partials at or above Nyquist are left out sample by sample,
    so nothing aliases.

    Parameters
    ----------
    n_samples, samplerate
        Length and rate of the result.
    f0
        Fundamental in Hz: a constant, a per-sample track or a :class:`Schedule`.
    amplitudes
        Peak amplitude of each harmonic, 1..:data:`MAX_HARMONICS` of them.
    inharmonicity
        Stiff-string coefficient B >= 0 (piano strings: about 1e-4..1e-3 for bass to mid notes).
    decay_s
        Exponential decay time constant in seconds (amplitude ``exp(-t/decay_s)``),
        one for all partials or one per partial; None for a steady tone.
    phases
        Initial phase of each harmonic in radians; None draws them uniformly from ``seed``.
    seed
        Seed of the random phases.

    Example
    -------
    >>> x = harmonic_tone(8, 8.0, 1.0, [1.0, 0.5], phases=[0.0, 0.0])
    >>> x.round(3).tolist()
    [1.5, 0.707, -0.5, -0.707, -0.5, -0.707, -0.5, 0.707]
    """
    check_range("n_samples", n_samples, 0, 1 << 40)
    check_range("samplerate", samplerate, 1, 1_000_000)
    amps = np.asarray(amplitudes, dtype=np.float64).reshape(-1)
    if not 1 <= len(amps) <= MAX_HARMONICS or not np.all(np.isfinite(amps)):
        raise ParameterError(f"amplitudes must be 1..{MAX_HARMONICS} finite numbers (got {len(amps)})")
    if not (math.isfinite(inharmonicity) and inharmonicity >= 0):
        raise ParameterError(f"inharmonicity must be a finite number >= 0 (got {inharmonicity!r})")
    order = np.arange(1, len(amps) + 1, dtype=np.float64)
    stretch = order * np.sqrt(1.0 + inharmonicity * order**2)
    if phases is None:
        phase0 = np.random.default_rng(seed).uniform(0.0, 2.0 * np.pi, len(amps))
    else:
        phase0 = np.broadcast_to(np.asarray(phases, dtype=np.float64), amps.shape)
    decays = None if decay_s is None else np.broadcast_to(np.asarray(decay_s, dtype=np.float64), amps.shape)
    track = f0_track(f0, n_samples, samplerate)
    if not np.all(np.isfinite(track)) or np.any(track < 0):
        raise ParameterError("f0 must be finite and >= 0 at every sample")
    base = 2.0 * np.pi * cycles(track, samplerate)
    t = np.arange(n_samples, dtype=np.float64) / samplerate
    out = np.zeros(n_samples)
    for index in np.flatnonzero(amps):
        level = amps[index] * (stretch[index] * track < 0.5 * samplerate)
        if decays is not None:
            level = level * np.exp(-t / decays[index])
        out += level * np.cos(stretch[index] * base + phase0[index])
    return out


#: Vowel formants (centre Hz, bandwidth Hz) of an adult voice, after Peterson & Barney (1952) and Fant.
VOWELS: dict[str, tuple[tuple[float, float], ...]] = {
    "a": ((730.0, 90.0), (1090.0, 110.0), (2440.0, 160.0), (3400.0, 250.0)),
    "e": ((530.0, 70.0), (1840.0, 100.0), (2480.0, 160.0), (3400.0, 250.0)),
    "i": ((270.0, 60.0), (2290.0, 100.0), (3010.0, 170.0), (3600.0, 250.0)),
    "o": ((570.0, 80.0), (840.0, 90.0), (2410.0, 160.0), (3400.0, 250.0)),
    "u": ((300.0, 60.0), (870.0, 90.0), (2240.0, 150.0), (3300.0, 250.0)),
}


class VoiceSignal(NamedTuple):
    """What :func:`voice` returns: unpack it as ``samples, f0 = voice(...)``."""

    samples: np.ndarray
    """The waveform (float64, peak 0.5)."""
    f0: np.ndarray
    """The exact fundamental at each sample in Hz, period by period (jitter included); nan where unvoiced."""
    pulses: np.ndarray
    """Glottal closure instants as fractional sample indices (where the pulse phase is a whole number)."""
    contour: np.ndarray
    """The pitch the voice sings at each sample in Hz: :attr:`f0` without the jitter, which moves each glottal
    pulse at random about it (each period's own f0 lies a relative ``jitter`` off it, standard deviation): the
    fundamental of any stretch of a few periods; nan where unvoiced."""


def voice_contour(
    duration: float,
    samplerate: float,
    *,
    seed: int = 0,
    f0_range: tuple[float, float] = (90.0, 500.0),
    vibrato_hz: tuple[float, float] = (5.0, 7.0),
    vibrato_cents: tuple[float, float] = (30.0, 100.0),
    note_s: tuple[float, float] = (0.25, 0.9),
    glide_s: tuple[float, float] = (0.05, 0.25),
    gap_s: tuple[float, float] = (0.1, 0.4),
    gap_probability: float = 0.3,
) -> tuple[np.ndarray, np.ndarray]:
    """A sung phrase's smooth f0 contour (Hz per sample, nan in gaps) and each sample's note index.

    Notes of random length (``note_s``) step by up to a fifth within
    ``f0_range``; after a voiced note the next one glides in (``glide_s``, a
    ramp in log-frequency); with ``gap_probability`` a note is preceded by an
    unvoiced gap (``gap_s``). Every note has its own vibrato rate and peak
    extent (cents), drawn uniformly from the given ranges. Ranges are (low, high).

    Example
    -------
    >>> contour, note = voice_contour(1.0, 8000.0, seed=3)
    >>> contour.shape, bool(np.nanmin(contour) > 80 and np.nanmax(contour) < 530)
    ((8000,), True)
    """
    check_range("duration", duration, 1e-3, 3600)
    rng = np.random.default_rng(seed)
    n = int(round(duration * samplerate))
    low, high = 12.0 * np.log2(np.asarray(f0_range, dtype=np.float64) / 440.0) + 69.0
    knots_t: list[float] = []
    knots_p: list[float] = []
    voiced_spans: list[tuple[float, float]] = []
    rates: list[float] = []
    extents: list[float] = []
    t, pitch, previous_voiced = 0.0, rng.uniform(low, high), False
    while t < duration:
        if rng.random() < gap_probability:
            t += rng.uniform(*gap_s)
            previous_voiced = False
        length = rng.uniform(*note_s)
        new_pitch = float(np.clip(pitch + rng.uniform(-7.0, 7.0), low, high))
        glide = min(rng.uniform(*glide_s), 0.5 * length) if previous_voiced else 0.0
        knots_t += [t, t + glide, t + length]
        knots_p += [pitch if previous_voiced else new_pitch, new_pitch, new_pitch]
        voiced_spans.append((t, t + length))
        rates.append(rng.uniform(*vibrato_hz))
        extents.append(rng.uniform(*vibrato_cents))
        t, pitch, previous_voiced = t + length, new_pitch, True
    times = np.arange(n) / float(samplerate)
    spans = np.array(voiced_spans)
    note = np.searchsorted(spans[:, 0], times, side="right") - 1
    voiced = (note >= 0) & (times < spans[np.clip(note, 0, None), 1])
    note = np.clip(note, 0, None)
    midi = np.interp(times, np.array(knots_t), np.array(knots_p))
    vibrato_phase = 2.0 * np.pi * cycles(np.array(rates)[note], samplerate, rng.uniform())
    cents = np.array(extents)[note] * np.sin(vibrato_phase)
    contour = 440.0 * 2.0 ** ((midi - 69.0) / 12.0 + cents / 1200.0)
    contour[~voiced] = np.nan
    return contour, np.where(voiced, note, -1)


def _rosenberg_spectrum(n_harmonics: int, opening: float = 0.4, closing: float = 0.16) -> np.ndarray:
    """Complex Fourier coefficients 1..n of the Rosenberg glottal flow derivative, closure at phase 0, peak 1.

    The flow rises as ``(1 - cos(pi theta / opening)) / 2`` and falls as
    ``cos(pi (theta - opening) / (2 closing))``, then stays closed; its
    derivative (which includes the lips' radiation) is what excites the tract.
    """
    grid = 8192
    theta = np.arange(grid) / grid
    flow = np.where(
        theta < opening,
        0.5 * (1.0 - np.cos(np.pi * theta / opening)),
        np.where(theta < opening + closing, np.cos(0.5 * np.pi * (theta - opening) / closing), 0.0),
    )
    flow = np.roll(flow, -int(round((opening + closing) * grid)))  # closure instant at phase 0
    coefficients = np.fft.rfft(flow)[1 : n_harmonics + 1] * 1j * np.arange(1, n_harmonics + 1)
    return coefficients / np.abs(coefficients).max()


def _formant_table(vowels: str, top: float) -> np.ndarray:
    """Response of each vowel's cascaded two-pole resonators (unit gain at 0 Hz) at 0, 1, 2, ... ``top`` + 1 Hz.

    Shape ``(len(vowels), int(top) + 2)``; read between the 1 Hz steps by
    linear interpolation (the narrowest bandwidth is 60 Hz, so the error is below 1e-3).
    """
    s = 2j * np.pi * np.arange(int(top) + 2, dtype=np.float64)
    table = np.ones((len(vowels), len(s)), dtype=complex)
    for row, vowel in enumerate(vowels):
        for centre, bandwidth in VOWELS[vowel]:
            pole = complex(-np.pi * bandwidth, 2.0 * np.pi * centre)
            table[row] *= abs(pole) ** 2 / ((s - pole) * (s - pole.conjugate()))
    return table


def _onset_envelope(voiced: np.ndarray, ramp: float) -> np.ndarray:
    """1 inside voiced runs, raised-cosine ramps of ``ramp`` samples at their ends (inside the run), 0 outside."""
    index = np.arange(len(voiced))
    last_unvoiced = np.maximum.accumulate(np.where(voiced, -1, index))
    next_unvoiced = np.minimum.accumulate(np.where(voiced, len(voiced), index)[::-1])[::-1]
    distance = np.minimum(index - last_unvoiced, next_unvoiced - index)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(distance / max(ramp, 1.0), 1.0))


def voice(
    duration: float,
    samplerate: float,
    *,
    seed: int = 0,
    contour: np.ndarray | None = None,
    vowels: str = "aeiou",
    jitter: float = 0.005,
    shimmer: float = 0.05,
    breath_db: float | None = -40.0,
    bandwidth_hz: float = 6000.0,
    **contour_options: object,
) -> VoiceSignal:
    """A synthetic singing voice with its exact per-sample f0 track.

    A band-limited train of Rosenberg glottal pulses (their Fourier series,
    summed harmonic by harmonic up to ``bandwidth_hz`` or 0.45 of the rate,
    so nothing aliases) passes through four vowel formants (:data:`VOWELS`,
    one vowel per note, cycling through ``vowels``; an empty string for no
    formants), along the contour of :func:`voice_contour` (vibrato, glides,
    gaps; ``contour_options`` go there) or the given per-sample ``contour``.

    Jitter moves each glottal closure by a random fraction of a period
    (standard deviation ``jitter / sqrt(2)`` so consecutive periods differ by
    about ``jitter``); the f0 track is the exact derivative of the pulse phase,
    so it integrates to one cycle between consecutive pulses. Shimmer scales
    each period's amplitude by ``exp(shimmer * N(0, 1))`` (interpolated
    within the period). Voicing starts and stops with 10 ms ramps inside the
    voiced runs, so nothing voiced sounds where the track says nan; the gaps
    hold silence or, with ``breath_db`` (relative to the voice's RMS), breath-like
    high-tilted noise.

    Example
    -------
    >>> samples, f0 = voice(0.5, 16000.0, seed=2)[:2]
    >>> samples.shape == f0.shape == (8000,), float(np.abs(samples).max())
    (True, 0.5)
    """
    check_range("samplerate", samplerate, 1000, 1_000_000)
    check_range("jitter", jitter, 0.0, 0.1)
    check_range("shimmer", shimmer, 0.0, 1.0)
    if any(v not in VOWELS for v in vowels):
        raise ParameterError(f"vowels must be letters of {''.join(VOWELS)} (got {vowels!r})")
    rng = np.random.default_rng(seed)
    if contour is None:
        contour, note = voice_contour(duration, samplerate, seed=seed, **contour_options)  # type: ignore[arg-type]
    else:
        contour = np.asarray(contour, dtype=np.float64)
        note = np.where(np.isnan(contour), -1, 0)
    n = len(contour)
    voiced = ~np.isnan(contour)
    if not voiced.any():
        raise ParameterError("the contour has no voiced sample")
    index = np.arange(n)
    filled = np.interp(index, index[voiced], contour[voiced])  # keeps the pulse phase running through gaps
    phi = cycles(filled, samplerate)
    n_pulses = int(np.ceil(phi[-1])) + 2
    offsets = np.clip(rng.normal(0.0, jitter / math.sqrt(2.0), n_pulses), -0.2, 0.2)
    nominal = np.arange(n_pulses, dtype=np.float64)
    warped_at = nominal + offsets  # pulse k sits where phi = k + offset_k
    psi = np.interp(phi, warped_at, nominal)
    segment = np.clip(np.searchsorted(warped_at, phi, side="right") - 1, 0, n_pulses - 2)
    f0_exact = filled / np.diff(warped_at)[segment]
    amplitude = np.interp(psi, nominal, np.exp(shimmer * rng.normal(size=n_pulses)))
    envelope = _onset_envelope(voiced, 0.01 * samplerate)
    top = min(bandwidth_hz, 0.45 * samplerate)
    n_harmonics = max(1, int(top / np.min(f0_exact)))
    source = _rosenberg_spectrum(n_harmonics)
    if vowels:
        table = _formant_table(vowels, top)
        row = np.maximum(note, 0) % len(vowels)
    out = np.zeros(n)
    for harmonic in range(1, n_harmonics + 1):
        frequency = harmonic * f0_exact
        inside = frequency < top
        if not inside.any():
            break
        gain = source[harmonic - 1] * inside
        if vowels:
            position = np.minimum(frequency, top)
            step = position.astype(np.int64)
            frac = position - step
            gain = gain * (table[row, step] * (1.0 - frac) + table[row, step + 1] * frac)
        out += np.abs(gain) * np.cos(2.0 * np.pi * harmonic * psi + np.angle(gain))
    out *= amplitude * envelope
    if breath_db is not None:
        rms = math.sqrt(float(np.mean(out[voiced] ** 2)))
        noise = np.diff(rng.normal(size=n + 1)) / math.sqrt(2.0)
        out += (1.0 - envelope) * noise * rms * 10.0 ** (breath_db / 20.0)
    scale = 0.5 / np.abs(out).max()
    pulses = np.interp(warped_at, phi, index.astype(np.float64), left=np.nan, right=np.nan)
    return VoiceSignal(
        out * scale, np.where(voiced, f0_exact, np.nan), pulses[np.isfinite(pulses)], np.where(voiced, filled, np.nan)
    )
