"""Training windows for the LSTM f0 estimator, generated on the fly with the pitch benchmark's own generators.

Every pitched window is made by :func:`streamfreq.signals.harmonic_tone` (tones
with random spectra, stiff-string inharmonicity, decays, vibrato and glides
given as a per-sample f0 track) or cut from :func:`streamfreq.signals.voice`
(glottal pulses through formants, vibrato, jitter, shimmer, glides, gaps), the
same definitions the benchmark scores against; :func:`streamfreq.signals.tone`
makes pure tones. On top of them this module adds what a microphone hears:
onsets and note ends inside the window, level changes, tremolo, room-like
reverberation, white and coloured noise; and the negatives: silence, white,
coloured and breath-like noise, clicks, DC, reverberant noise tails (class
``no_tone``) and tones whose fundamental lies outside the trained range, with
their harmonics inside it (class ``out_of_range``).

The label of a pitched window is its fundamental at the window centre, in
cycles per window. Nothing here reads recorded or rendered audio.

Example
-------
>>> import numpy as np
>>> from streamfreq.models.data import DataConfig, make_windows
>>> frames, cycles, kind = make_windows(np.random.default_rng(0), 16, DataConfig())
>>> frames.shape, frames.dtype, sorted(set(kind.tolist())) <= [0, 1, 2]
((16, 2048), dtype('float32'), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from streamfreq.errors import ParameterError
from streamfreq.signals import centre_f0, harmonic_tone, noise_sigma, tone, voice

SAMPLERATE = 48000.0  #: rate of the generated windows (labels are in cycles per window, so any rate would do)
VOICE_RATES = (16000.0, 22050.0, 32000.0, 44100.0, 48000.0)  #: voice clips are made at one of these rates
KINDS = ("tone", "no_tone", "out_of_range")  #: the class of each window (the network's classes)


@dataclass
class DataConfig:
    """The mix of generated windows (recorded in the model metadata through the training configuration)."""

    window: int = 2048  #: samples per generated window
    range_cycles: tuple[float, float] = (2.1, 88.0)  #: the trained range of the fundamental, cycles per window
    band_cycles: float = 240.0  #: partials above this many cycles per window are left out (the input cannot hold them)
    low_span: float = 0.5  #: lowest fundamental of out-of-range tones below the range, cycles per window
    high_span: float = 320.0  #: highest fundamental of out-of-range tones above the range
    p_no_tone: float = 0.2
    p_out_of_range: float = 0.15
    p_voice: float = 0.2  #: share of pitched windows cut from a synthetic voice
    p_pure: float = 0.2  #: share of generated tones that are pure sines (mild harmonics sometimes)
    p_missing: float = 0.4  #: share of harmonic tones (3 partials or more) with a weak or missing fundamental
    snr_db: tuple[float, float] = (-6.0, 45.0)
    max_harmonics: int = 30


def _log_uniform(rng: np.random.Generator, low: float, high: float, size=None) -> np.ndarray:
    return np.exp(rng.uniform(math.log(low), math.log(high), size))


def _coloured_noise(rng: np.random.Generator, count: int, n: int, alpha: np.ndarray) -> np.ndarray:
    """Unit-RMS noise with a power spectrum falling as ``1 / f**alpha`` (0 white, 1 pink, 2 brown, -1 blue)."""
    spectrum = np.fft.rfft(rng.standard_normal((count, n)), axis=1)
    f = np.arange(spectrum.shape[1], dtype=np.float64)
    f[0] = 1.0
    spectrum *= f[None, :] ** (-0.5 * np.asarray(alpha, dtype=np.float64)[:, None])
    spectrum[:, 0] = 0.0
    out = np.fft.irfft(spectrum, n, axis=1)
    return out / np.maximum(np.sqrt(np.mean(out**2, axis=1, keepdims=True)), 1e-12)


def reverberate(rng: np.random.Generator, x: np.ndarray, rt60_samples: float, wet: float) -> np.ndarray:
    """``x`` through a room-like impulse response: exponentially decaying noise (causal, by FFT).

    ``rt60_samples`` is the time the response takes to fall by 60 dB; ``wet`` is the share of the
    response's energy in the decaying tail (``1 - wet`` is the direct sound's amplitude).

    Example
    -------
    >>> import numpy as np
    >>> click = np.zeros(1000); click[0] = 1.0
    >>> room = reverberate(np.random.default_rng(0), click, 480.0, 0.5)
    >>> round(float(room[0]), 1), bool(np.all(np.abs(room[480:]) < 1e-12))  # nothing after the response ends
    (0.5, True)
    """
    n = x.size
    length = min(n, int(rt60_samples))
    ir = rng.standard_normal(length) * np.exp(-6.9 * np.arange(length) / max(rt60_samples, 1.0))
    ir *= wet / max(np.sqrt(np.sum(ir**2)), 1e-12)
    ir[0] += 1.0 - wet
    size = 1 << int(math.ceil(math.log2(n + length)))
    return np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(ir, size), size)[:n]


def _amplitudes(rng: np.random.Generator, count: int, c0: float, cfg: DataConfig) -> np.ndarray:
    """Random harmonic amplitudes: a random spectral slope and scatter, formant peaks, weak or missing partials."""
    h = np.arange(1, count + 1, dtype=np.float64)
    if rng.uniform() < 0.3:  # uniform scatter, as flat as a bowed or reed spectrum can be
        amps = h ** -rng.uniform(0.0, 1.5) * rng.uniform(0.1, 1.0, count)
    else:
        amps = h ** -rng.uniform(0.0, 2.0) * np.exp(rng.normal(0.0, rng.uniform(0.1, 1.0), count))
    if rng.uniform() < 0.4:  # formant-shaped: 1..3 resonances (cycles per window of a 2048 window at 48 kHz)
        shape = np.full(count, 0.05)
        for _ in range(rng.integers(1, 4)):
            centre, width = _log_uniform(rng, 8.0, 160.0), _log_uniform(rng, 3.0, 20.0)
            shape += 1.0 / (1.0 + ((h * c0 - centre) / width) ** 2)
        amps *= shape
    u = rng.uniform()
    if u < cfg.p_missing and count > 2:  # weak or missing fundamental (3 partials or more: else it is another f0)
        amps[0] *= 0.0 if rng.uniform() < 0.5 else rng.uniform(0.0, 0.15)
        if rng.uniform() < 0.3 and count > 3:
            amps[1] *= rng.uniform(0.0, 0.5)
    elif u < cfg.p_missing + 0.1 and count > 2:  # odd partials only (closed pipe, clarinet-like)
        amps[1::2] *= rng.uniform(0.0, 0.1)
    return amps / max(float(np.max(amps)), 1e-12)


def _track(rng: np.random.Generator, c0: float, n: int) -> np.ndarray:
    """A per-sample f0 track (cycles per window) through ``c0`` at the window centre: vibrato, glide, jitter."""
    t = np.arange(n, dtype=np.float64) / n - 0.5
    cents = np.zeros(n)
    if rng.uniform() < 0.35:  # vibrato: 0.1..0.4 cycles per window (4..9 Hz at 2048 / 48 kHz), up to +-100 cents
        rate, depth, phase = rng.uniform(0.1, 0.45), rng.uniform(5.0, 100.0), rng.uniform(0, 2 * np.pi)
        cents += depth * (np.sin(2 * np.pi * rate * t + phase) - np.sin(phase))
    if rng.uniform() < 0.3:  # glide of up to 0.12 octave per window (about 2.8 octaves/s at 2048 / 48 kHz)
        cents += rng.uniform(-144.0, 144.0) * t
    if rng.uniform() < 0.3:  # jitter: a slow random wander of a few cents
        steps = np.cumsum(rng.normal(0.0, 1.0, 17))
        cents += rng.uniform(1.0, 15.0) * (np.interp(t, np.linspace(-0.5, 0.5, 17), steps) - steps[8]) / 4.0
    return c0 * 2.0 ** (cents / 1200.0)


def _envelope(rng: np.random.Generator, n: int) -> np.ndarray:
    """Amplitude over the window: steady, an onset or a note end, a level change, tremolo or shimmer."""
    t = np.arange(n, dtype=np.float64) / n
    env = np.ones(n)
    u = rng.uniform()
    if u < 0.15:  # onset before the centre
        at, attack = rng.uniform(0.0, 0.4), _log_uniform(rng, 0.002, 0.1)
        env *= np.clip((t - at) / attack, 0.0, 1.0)
    elif u < 0.25:  # the note ends after the centre
        at, release = rng.uniform(0.6, 1.0), _log_uniform(rng, 0.005, 0.2)
        env *= np.exp(-np.clip(t - at, 0.0, None) / release)
    elif u < 0.35:  # a level change of up to +-15 dB somewhere
        at, width = rng.uniform(0.0, 1.0), _log_uniform(rng, 0.001, 0.3)
        env *= 10.0 ** (rng.uniform(-15.0, 15.0) / 20.0 * np.clip((t - at) / width, 0.0, 1.0))
    if rng.uniform() < 0.2:  # tremolo (bowed, blown) or shimmer (a slow random level)
        env *= 1.0 + rng.uniform(0.05, 0.5) * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t + rng.uniform(0, 6.3))
    return env


def pitched_window(rng: np.random.Generator, c0: float, cfg: DataConfig) -> np.ndarray:
    """One window with fundamental ``c0`` cycles per window at its centre (before noise), float64.

    A pure tone (:func:`streamfreq.signals.tone`) or a harmonic tone
    (:func:`streamfreq.signals.harmonic_tone`: 1..``max_harmonics`` partials under
    ``band_cycles``, random spectrum, inharmonicity, plucked/struck decay with
    faster upper partials or a sustain, vibrato, glide, jitter), with an
    envelope (onsets, note ends, level changes, tremolo) and sometimes room
    reverberation.
    """
    n = cfg.window
    if rng.uniform() < cfg.p_pure:
        x = tone(n, c0, rng.uniform(0, 2 * np.pi))
        if rng.uniform() < 0.3:  # mild harmonics 2 and 3
            for h in (2, 3):
                x += tone(n, h * c0, rng.uniform(0, 2 * np.pi), 10 ** (rng.uniform(-40, -15) / 20))
        return x
    top = max(1, min(int(rng.integers(1, cfg.max_harmonics + 1)), int(cfg.band_cycles / c0)))
    if rng.uniform() < 0.5:
        top = max(1, min(top, int(_log_uniform(rng, 1.0, cfg.max_harmonics + 1))))
    amps = _amplitudes(rng, top, c0, cfg)
    stiffness = float(_log_uniform(rng, 1e-5, 1e-3)) if rng.uniform() < 0.3 else 0.0
    decay = None
    if rng.uniform() < 0.35:  # plucked or struck: upper partials decay faster
        tau = _log_uniform(rng, 0.02, 2.0)
        decay = tau / (1.0 + rng.uniform(0.0, 0.5) * np.arange(top))
    scale = SAMPLERATE / n  # Hz per cycle per window
    x = harmonic_tone(
        n,
        SAMPLERATE,
        _track(rng, c0, n) * scale,
        amps,
        inharmonicity=stiffness,
        decay_s=decay,
        phases=rng.uniform(0, 2 * np.pi, top),
    )
    x *= _envelope(rng, n)
    if rng.uniform() < 0.15:
        x = reverberate(rng, x, _log_uniform(rng, 0.05, 1.0) * SAMPLERATE, rng.uniform(0.1, 0.7))
    return x


def voice_windows(rng: np.random.Generator, count: int, cfg: DataConfig) -> tuple[np.ndarray, np.ndarray]:
    """``count`` windows cut at random from a fresh :func:`streamfreq.signals.voice` clip, and their centre f0.

    The clip's rate is one of :data:`VOICE_RATES` and its f0 range random, so
    the fundamental spans the trained range in cycles per window; windows whose
    centre is unvoiced have a nan fundamental. The fundamental is the voice's
    contour (:attr:`~streamfreq.signals.VoiceSignal.contour`), not the one period
    that spans the centre, which the clip's jitter (0..2%) moves off the pitch
    sung: more than 35 cents in a tenth of the windows, more than 67 in a hundredth.
    """
    n = cfg.window
    rate = float(rng.choice(VOICE_RATES))
    low = _log_uniform(rng, 60.0, 400.0)
    duration = max(0.5, count * 0.008 + n / rate)
    options = {
        "f0_range": (low, low * _log_uniform(rng, 1.5, 3.0)),
        "jitter": float(rng.uniform(0.0, 0.02)),
        "shimmer": float(rng.uniform(0.0, 0.15)),
        "breath_db": float(rng.uniform(-50.0, -20.0)),
        "bandwidth_hz": min(0.45 * rate, cfg.band_cycles * rate / n),
    }
    while True:  # a short clip can fall entirely in a gap: draw it again
        try:
            signal = voice(duration, rate, seed=int(rng.integers(2**31)), **options)
            break
        except ParameterError:
            continue
    starts = rng.integers(0, signal.samples.size - n, count)
    frames = np.lib.stride_tricks.sliding_window_view(signal.samples, n)[starts]
    return frames * 2.0, centre_f0(signal.contour, starts, n) * n / rate


def negative_window(rng: np.random.Generator, n: int) -> np.ndarray:
    """A window with no pitch: silence, white/coloured/breath noise, clicks, DC, or a reverberant noise tail."""
    what = int(rng.integers(0, 7))
    level = float(_log_uniform(rng, 1e-4, 1.0))
    if what == 0:
        return np.zeros(n)
    if what == 1:
        return level * rng.standard_normal(n)
    if what == 2:
        return level * _coloured_noise(rng, 1, n, np.array([rng.uniform(-1.0, 2.5)]))[0]
    if what == 3:  # breath: noise through a few broad resonances, with a slow envelope
        spectrum = np.fft.rfft(rng.standard_normal(n))
        f = np.arange(spectrum.size, dtype=np.float64)
        shape = np.full(f.size, 0.02)
        for _ in range(rng.integers(1, 4)):
            shape += 1.0 / (1.0 + ((f - _log_uniform(rng, 10.0, 400.0)) / _log_uniform(rng, 10.0, 100.0)) ** 2)
        x = np.fft.irfft(spectrum * shape, n)
        t = np.arange(n) / n
        return level * x / max(np.std(x), 1e-12) * (1 + 0.5 * np.sin(2 * np.pi * rng.uniform(0, 0.5) * t))
    if what == 4:  # clicks: a few isolated impulses or short bursts over faint noise
        x = 1e-3 * level * rng.standard_normal(n)
        for at in rng.integers(0, n, rng.integers(1, 4)):
            burst = int(rng.integers(1, 40))
            x[at : at + burst] += (
                level * rng.standard_normal(min(burst, n - at)) * np.exp(-np.arange(min(burst, n - at)) / 8)
            )
        return x
    if what == 5:  # DC, with or without noise
        return rng.uniform(-1, 1) + level * rng.standard_normal(n) * (rng.uniform() < 0.5)
    noise = level * rng.standard_normal(n) * np.exp(-np.arange(n) / (n * rng.uniform(0.05, 1.0)))
    return reverberate(rng, noise, _log_uniform(rng, 0.05, 1.0) * SAMPLERATE, rng.uniform(0.3, 1.0))


def make_windows(rng: np.random.Generator, batch: int, cfg: DataConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch of full-resolution training windows: ``(frames (batch, window) float32, cycles, kind)``.

    ``kind`` is 0 for a fundamental in range, 1 for no pitch, 2 for a
    fundamental out of range; ``cycles`` is the fundamental at the window
    centre in cycles per window (nan without one). Pitched windows get white or
    coloured noise at a per-sample SNR drawn from ``snr_db`` and a random level.
    """
    n = cfg.window
    low, high = cfg.range_cycles
    frames = np.zeros((batch, n))
    cycles = np.full(batch, np.nan)
    u = rng.uniform(size=batch)
    plan = np.where(u < cfg.p_no_tone, 1, np.where(u < cfg.p_no_tone + cfg.p_out_of_range, 2, 0))
    voiced = np.flatnonzero((plan == 0) & (rng.uniform(size=batch) < cfg.p_voice))
    if voiced.size:
        frames[voiced], cycles[voiced] = voice_windows(rng, voiced.size, cfg)
    for i in range(batch):
        if plan[i] == 1:
            frames[i] = negative_window(rng, n)
        elif plan[i] == 2:
            below = rng.uniform() < 0.5
            cycles[i] = (
                _log_uniform(rng, cfg.low_span, low * 0.98) if below else _log_uniform(rng, high * 1.02, cfg.high_span)
            )
            frames[i] = pitched_window(rng, cycles[i], cfg)
        elif i not in voiced:
            cycles[i] = _log_uniform(rng, low, high)
            frames[i] = pitched_window(rng, cycles[i], cfg)
    pitched = np.flatnonzero(np.isfinite(cycles))
    if pitched.size:  # noise: white (60%) or coloured, at a per-sample SNR; then a random level
        power = np.mean(frames[pitched] ** 2, axis=1)
        snr = rng.uniform(*cfg.snr_db, pitched.size)
        alpha = np.where(rng.uniform(size=pitched.size) < 0.6, 0.0, rng.uniform(-1.0, 2.0, pitched.size))
        sigma = np.array([noise_sigma(math.sqrt(2.0 * p), s) for p, s in zip(power, snr, strict=True)])
        frames[pitched] += sigma[:, None] * _coloured_noise(rng, pitched.size, n, alpha)
    frames *= _log_uniform(rng, 1e-3, 1.0, batch)[:, None]
    kind = np.where(np.isnan(cycles), 1, np.where((cycles >= low) & (cycles <= high), 0, 2))
    return frames.astype(np.float32), cycles, kind
