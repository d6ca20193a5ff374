"""Shared test helpers."""

import os
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from streamfreq.signals import Steps, ToneGenerator, harmonic_tone, voice


def require_tool(name: str) -> str:
    """Path of a command-line tool; a missing tool fails under CI (which installs it) and skips elsewhere."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed, but CI must install it")
        pytest.skip(f"{name} is not installed")
    return path


def voice_in_pink_noise(seconds: float = 6.0, seed: int = 4, samplerate: float = 48000.0):
    """The synthetic voice (90..700 Hz) in pink noise 10 dB under its voiced RMS (float32), and its f0 per sample
    (0 unvoiced): where ``fft`` alone misses windows that following its notes reads (:mod:`streamfreq.follow`)."""
    sung = voice(seconds, samplerate, seed=seed, f0_range=(90.0, 700.0))
    f0 = np.nan_to_num(sung.contour, nan=0.0)
    rng = np.random.default_rng(seed)
    slope = np.fft.rfftfreq(len(f0))
    slope[0] = slope[1]
    noise = np.fft.irfft(np.fft.rfft(rng.standard_normal(len(f0))) / np.sqrt(slope), len(f0))
    noise *= np.sqrt(np.mean(sung.samples[f0 > 0] ** 2)) * 10 ** (-10 / 20) / np.std(noise)
    return (sung.samples + noise).astype(np.float32), f0


def bass_with_vibrato(n: int = 2048, samplerate: float = 44100.0):
    """Windows of ``n`` samples, an eighth of a window apart, of a bass singing 64..66 Hz with a vibrato of up to 100
    cents (3 periods a window at 44.1 kHz; no jitter, no gaps, no breath): ``(windows float32, f0 at each window's
    centre, moving)``, ``moving`` marking the windows across which the pitch moves more than 60 cents."""
    sung = voice(4.0, samplerate, seed=3, f0_range=(64.0, 66.0), gap_probability=0.0, breath_db=None, jitter=0.0)
    centres = np.arange(n, len(sung.samples) - n, n // 8)
    windows = np.stack([sung.samples[c - n // 2 : c + n // 2] for c in centres]).astype(np.float32)
    sweep = np.array([np.ptp(1200 * np.log2(sung.contour[c - n // 2 : c + n // 2])) for c in centres])
    return windows, sung.contour[centres], sweep > 60.0


def low_voice(
    f0: float, seed: int, high_pass_hz: float | None = None, n: int = 2048, samplerate: float = 48000.0
) -> tuple[np.ndarray, np.ndarray]:
    """A second of a voice singing ``f0`` with a 5.5 Hz vibrato of ±60 cents (0.5% jitter, 5% shimmer), through a
    4th-order Butterworth high-pass at ``high_pass_hz`` where given (a telephone's or a small microphone's band):
    ``(windows of n samples a quarter window apart, float32; the pitch sung at each window's centre)``."""
    from scipy import signal

    t = np.arange(int(samplerate)) / samplerate
    contour = f0 * 2 ** (60 / 1200 * np.sin(2 * np.pi * 5.5 * t))
    samples = voice(1.0, samplerate, seed=seed, contour=contour).samples
    if high_pass_hz is not None:
        samples = signal.sosfilt(signal.butter(4, high_pass_hz, "high", fs=samplerate, output="sos"), samples)
    starts = np.arange(0, len(samples) - n + 1, n // 4)
    windows = np.stack([samples[s : s + n] for s in starts]).astype(np.float32)
    return windows, contour[starts + n // 2]


def low_horn(f0: float, count: int, seed: int, n: int = 2048, samplerate: float = 44100.0) -> np.ndarray:
    """``count`` windows of ``n`` samples (float64, random phases and partial levels within ±3 dB, noise 60 dB under
    the peak) of a low French horn note as tonejs' recorded horn plays its A1..D♯2: the fundamental 65 dB and the 2nd
    partial 34 dB under the loudest, the 4th..6th loudest."""
    levels_db = np.array([-65, -34, -20, -3, 0, -2, -8, -12, -15, -18, -22, -25])
    rng = np.random.default_rng(seed)
    return np.stack(
        [
            harmonic_tone(n, samplerate, f0, 10 ** (levels_db / 20) * rng.uniform(0.7, 1.3, levels_db.size), seed=s)
            + 1e-3 * rng.standard_normal(n)
            for s in range(seed, seed + count)
        ]
    )


def bright_tone(f0: float, seconds: float = 1.0, samplerate: float = 16000.0) -> np.ndarray:
    """A tone whose partials rise 6 dB an octave (amplitude ``l f0 / 1 kHz``) up to Nyquist, all in sine phase (the
    waveform's peaks pile up): most of its energy lies in its top partials, far above the harmonics a fit models."""
    harmonics = np.arange(1, int(0.5 * samplerate / f0) + 1)
    phases = np.full(len(harmonics), -0.5 * np.pi)
    return harmonic_tone(int(seconds * samplerate), samplerate, f0, harmonics * f0 / 1000.0, phases=phases)


def rippled_noise(delay: int, seed: int, seconds: float = 2.0, samplerate: float = 16000.0) -> np.ndarray:
    """Iterated rippled noise: white noise (seeded) delayed by ``delay`` samples and added to itself, 8 times. Its
    partials are narrow bands of noise at the multiples of ``samplerate / delay``, and its waveform repeats at the
    delay at about 0.89 (the binomial weights' C(16, 7) / C(16, 8))."""
    x = np.random.default_rng(seed).standard_normal(int(seconds * samplerate))
    for _ in range(8):
        x = x + np.concatenate([np.zeros(delay), x[:-delay]])
    return x


def cents(estimate, truth) -> np.ndarray:
    """How far ``estimate`` lies from ``truth``, in cents (both in Hz, arrays or numbers)."""
    return 1200.0 * np.log2(np.asarray(estimate) / np.asarray(truth))


def push_in_pieces(engine, signal: np.ndarray, largest: int, seed: int = 0) -> list:
    """The readouts of ``engine`` given ``signal`` in blocks of random sizes, 1 to ``largest`` samples."""
    rng = np.random.default_rng(seed)
    readouts, position = [], 0
    while position < len(signal):
        size = int(rng.integers(1, largest))
        readouts += engine.push(signal[position : position + size])
        position += size
    return readouts


def run_cli(*args: str, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m streamfreq ARGS`` in a subprocess, capturing text output."""
    return subprocess.run(
        [sys.executable, "-m", "streamfreq", *args], input=input, capture_output=True, timeout=timeout
    )


class SlowToClose:
    """A real-time source that, asked to stop, takes until ``closed_gate`` is set to let its device go (as
    PortAudio's stream stop waits for the last buffer); it logs when it opens and closes."""

    realtime = True

    def __init__(self, name: str, log: list[str], closed_gate: threading.Event) -> None:
        self.samplerate = 48000.0
        self.name, self.log, self.closed_gate = name, log, closed_gate
        self.generator = ToneGenerator(Steps([(0, 440.0)]), 48000)

    def feed(self, write, stop: threading.Event) -> None:
        self.log.append(f"{self.name} opens")
        while not stop.wait(0.002):
            write(self.generator.next_block(512))
        self.closed_gate.wait(30)
        self.log.append(f"{self.name} closed")

    def close(self) -> None:
        """Nothing left to release: ``feed`` lets the device go before it returns."""


def first_readouts(session) -> list:
    """Readouts, waiting up to 10 s for the first."""
    deadline = time.monotonic() + 10
    readouts = []
    while not readouts and time.monotonic() < deadline:
        readouts = session.drain()
        time.sleep(0.005)
    return readouts
