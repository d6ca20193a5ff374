"""The one definition of streamfreq's analysis defaults, and the window rule for low notes.

Every part that needs a default (the engine, the command line, the desktop
app, ``analyze``, the batch engines, the benchmarks) imports it from here.

The default window spans the same time at every samplerate: 2048 samples at
48 kHz (42.7 ms), and at other rates the shortest power of two that spans as
long (2048 at 44.1 kHz, 1024 at 16 and 22.05 kHz, 4096 at 96 kHz). A window
of a fixed length in samples would last 128 ms at 16 kHz, too long for a
voice's vibrato, and hold too few periods of a bass at 96 kHz.

The window must hold at least :data:`MIN_PERIODS` periods of the lowest
fundamental it should measure. At the default window of 2048 samples and
48 kHz that is 46.9 Hz; ``fmin`` asks for a longer window when lower notes
matter (:func:`window_for`).

Example
-------
>>> from streamfreq.defaults import window_for, lowest_f0
>>> window_for(48000.0), window_for(16000.0), window_for(48000.0, fmin=30.0), window_for(48000.0, fmin=100.0)
(2048, 1024, 4096, 2048)
>>> round(lowest_f0(2048, 48000.0), 2)
46.88
"""

from __future__ import annotations

import math

from streamfreq.errors import check_range

#: Samples per second of the synthetic source unless told otherwise.
SAMPLERATE = 48000.0
#: Window length in samples at :data:`SAMPLERATE` (other rates: :func:`window_for`).
WINDOW = 2048
#: Samples between window starts at :data:`SAMPLERATE` (a quarter of the window: :func:`hop_for_window`).
HOP = 512
#: Most windows estimated in one batch. Each stage of an estimator makes about the same numpy calls for any
#: batch, so bigger batches cost less per window (fft and zc side by side on a file: 128 windows a batch 87x
#: real time, 512 windows 96x); bigger still, the batch outgrows the caches.
BATCH = 512
#: Most samples in one batch's windows together: a batch of long windows holds fewer of them (64 MB of float64 a
#: copy; 512 windows of up to 16384 samples, the longest any ``fmin`` picks at 48 kHz, but 8 of 2**20). Without it
#: a batch of 512 windows of 2**20 samples took 4 GB a copy, and the estimators make several.
BATCH_SAMPLES = 1 << 23
#: Frames per block of a source read as fast as it goes (a file, the synthetic source without ``realtime``):
#: one batch of windows at the default hop.
BLOCK = BATCH * HOP
#: Fewest periods of the fundamental a window must hold to measure it.
MIN_PERIODS = 2.0
#: The lowest fundamental read with the default window unless ``fmin`` says otherwise, where the window would
#: reach lower: at 16 kHz its 1024 samples (64 ms) hold two periods of 31 Hz, and what reads that low in a
#: voice or speech recording is mostly rumble. At 44.1 and 48 kHz the window's own bound (43 and 46.9 Hz) is higher.
FMIN_FLOOR = 40.0
#: The lowest fundamental the engine reaches for below its window's floor when ``fmin`` is left to the window
#: (:mod:`streamfreq.reach`): under a five-string bass's B0 (30.9 Hz) and the notes the pitch benchmark renders.
REACH_FMIN = 30.0
#: A window this many dB below the loudest window of the last :data:`QUIET_HOLD` seconds says ``no_tone``
#: (:mod:`streamfreq.quiet`): a room's reverberant tail, breath and hum between notes.
QUIET_DB = 40.0
#: Seconds the loudest window is remembered for :data:`QUIET_DB`.
QUIET_HOLD = 2.0
#: A window this many dB (or half of ``quiet_db``, if less) above the quiet level is faint: an estimate of it
#: counts only with a confidence of at least :data:`FAINT_CONFIDENCE`, and says ``no_tone`` otherwise.
FAINT_MARGIN_DB = 10.0
#: The confidence an estimate of a faint window needs (see :data:`FAINT_MARGIN_DB`).
FAINT_CONFIDENCE = 0.8
#: A window this many dB (or ``quiet_db``, if less) below the loudest window of the last :data:`QUIET_HOLD` seconds is
#: softer: an estimate of it keeps its number only where the whole window repeats at the number's period with a
#: normalised correlation of at least :data:`SOFTER_REPEATS`, and says ``no_tone`` otherwise.
SOFTER_DB = 6.0
#: How well a softer window (:data:`SOFTER_DB`) must repeat at a number's period to keep the number: what is left
#: after a loud sound, breath, a creak, the noise of a decay, reads 0.1..0.3 there while a sung or played note reads
#: 0.6..1 (a steady tone in white noise reads ``s / (1 + s)`` at per-sample SNR ``s``: 0.5 at 0 dB).
SOFTER_REPEATS = 0.3
#: A window this many dB (or ``quiet_db``, if less) below the loudest window of the last :data:`QUIET_HOLD` seconds is
#: dim: an estimate of it keeps its number only where broadband noise above :data:`DIM_NOISE_HZ` holds at most
#: :data:`DIM_NOISE_SHARE` of the window's energy (:func:`streamfreq.quiet.high_noise_share`), and says ``no_tone``
#: otherwise. What is left of a note in a room once the singer stops, or of a hum between phrases, is read as a
#: tone however faint; a listener hears the breath, the hiss or the consonant that stands as loud beside it.
DIM_DB = 25.0
#: Where :data:`DIM_DB` looks for broadband noise, in Hz: above the band that holds nearly all of a voice's and an
#: instrument's energy (their partials there are told from the noise by where they lie), where breath, hiss and
#: consonants hold much of theirs.
DIM_NOISE_HZ = 5000.0
#: The most of a dim window's energy (:data:`DIM_DB`) that broadband noise above :data:`DIM_NOISE_HZ` may hold for
#: a number to stand: the sound must lie 17 dB or more over that noise.
DIM_NOISE_SHARE = 0.02
#: A window whose RMS lies below this (dB under full scale, 1.0) is faint too, whatever the stream's history: a
#: room's hiss at -70 dBFS before a singer's first note, which nothing louder precedes yet. Samples pushed as
#: floats are taken as full scale 1.0, as integers are scaled to it.
NEAR_SILENCE_DBFS = -60.0
#: Highest ``fmin`` accepted, in Hz (the estimators' own upper limits are in their docstrings).
FMAX = 4000.0


def lowest_f0(window: int, samplerate: float) -> float:
    """The lowest fundamental (Hz) a window of ``window`` samples measures: :data:`MIN_PERIODS` periods."""
    return MIN_PERIODS * float(samplerate) / int(window)


def window_for(samplerate: float, fmin: float | None = None) -> int:
    """The default window at ``samplerate``: as long as :data:`WINDOW` at :data:`SAMPLERATE`, or longer for ``fmin``.

    The shortest power of two that spans ``WINDOW / SAMPLERATE`` seconds and,
    when ``fmin`` is given, holds :data:`MIN_PERIODS` periods of ``fmin`` Hz.

    Raises
    ------
    ParameterError
        ``fmin`` is not in 10..FMAX Hz.
    """
    needed = WINDOW * float(samplerate) / SAMPLERATE
    if fmin is not None:
        check_range("fmin", fmin, 10.0, FMAX)
        needed = max(needed, MIN_PERIODS * float(samplerate) / float(fmin))
    return 1 << max(4, math.ceil(math.log2(needed) - 1e-9))


def batch_for(window: int) -> int:
    """Most windows of ``window`` samples estimated in one batch: :data:`BATCH`, fewer where they would hold more
    than :data:`BATCH_SAMPLES` together.

    Example
    -------
    >>> batch_for(2048), batch_for(16384), batch_for(1 << 20)
    (512, 512, 8)
    """
    return max(1, min(BATCH, BATCH_SAMPLES // window))


def hop_for_window(window: int) -> int:
    """The default hop for a window: a quarter of it (512 at the default 2048)."""
    return max(1, int(window) * HOP // WINDOW)
