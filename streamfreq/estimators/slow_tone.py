"""Coloured noise or a slow tone? What lies below a range, read from one window.

Noise whose spectrum falls steeply (rumble, wind, a handled microphone: 1/f**2 and steeper) holds most of its
energy in a window's lowest few frequency bins, as a tone too slow for an estimator's range does. They differ
once that tone is taken out: the best fit of one slow sinusoid (and DC) leaves white noise, or nothing, behind a
tone, and more coloured noise, falling as steeply as before, behind noise. :func:`coloured_below` says which
windows hold such noise: the slow sinusoid explains less than :data:`SLOW_SHARE` of the window's energy, and
what it leaves has :data:`COLOUR_RATIO` or more times the power per bin just above the lowest bins
(:data:`NEAR_BINS`) than higher up (:data:`FAR_BINS`). White noise reads 1 there, pink noise (1/f) about 20 and
brown noise (1/f**2) about 150; a tone's fit leaves white noise, or a residual too small to matter.
A rich tone whose fundamental lies below the range, its partials in it, leaves its partials behind, which look
like coloured noise to that test; where the window holds more than a period of it, its waveform repeats at that
period (:func:`repeats_slower`), which coloured noise seldom does as well. :func:`rumble` is both tests.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> brown = np.cumsum(rng.standard_normal((1, 2048)), axis=1)  # a random walk
>>> slow = np.sin(2 * np.pi * 1.3 * np.arange(2048) / 2048)[None] + 0.5 * rng.standard_normal((1, 2048))
>>> coloured_below(np.concatenate([brown, slow]), 2.1).tolist()
[True, False]
>>> bass = np.sign(np.sin(2 * np.pi * 1.5 * np.arange(2048) / 2048))[None]  # 1.5 cycles, odd partials in range
>>> coloured_below(bass, 2.1).tolist(), rumble(bass, 2.1).tolist()
([True], [False])
"""

from __future__ import annotations

import functools
import math

import numpy as np

from streamfreq.estimators.base import WHOLE_OVERLAP, best_lag, centred_unit_peak, lag_correlation, whole_repeats

#: A slow sinusoid explaining at least this share of a window's energy (less its mean) is a tone, whatever is left
#: (the error of fitting a tone at the nearest of the sought frequencies leaves at most 0.2%). A random walk (brown
#: noise) is explained to 90..99% in one window of eight.
SLOW_SHARE = 0.99
#: Power per bin of what the slow sinusoid leaves, in :data:`NEAR_BINS` over :data:`FAR_BINS`, from which it is
#: coloured noise. Residuals of slow tones in white noise read 0.3..3 (the 5th..95th percentiles on 1200 of
#: them at 0..40 dB SNR, 0.3..2 cycles per window), the generator's coloured noise below the range 18 and more.
COLOUR_RATIO = 10.0
#: DFT bins (cycles per window, Hann-windowed) just above the slowest, where coloured noise is strong.
NEAR_BINS = (3, 9)
#: DFT bins higher up: an octave and more above :data:`NEAR_BINS`.
FAR_BINS = (32, 257)
#: Frequencies (cycles per window) the slow sinusoid is sought at, from this up to the range's bottom.
SLOWEST = 0.1
#: The step between them: a tone between two of them is fitted to 99% of its energy or more.
GRID_STEP = 0.05
#: A waveform repeating at least this well (the normalised correlation of its first and last ``N - lag`` samples) at a
#: lag longer than the range's longest period (:func:`repeats_slower`) holds a fundamental below the range: most
#: windows of the rendered double basses' and tubas' E1 and D1 repeat at 0.99..1 (a piano's E1, its partials
#: stretched, at 0.77..0.97), the generator's coloured noise at 0.39 (median; 0.95 in one window of a hundred).
SLOW_REPEATS = 0.95
#: ...and better by this than at a whole fraction of that lag (no period in the range repeats there too), at lags where
#: the window overlaps itself by :data:`~streamfreq.estimators.base.WHOLE_OVERLAP` of its length or more.
SLOWER_HALF_MARGIN = 0.1
#: ...at these fractions of that lag (half, third and fifth; a quarter is a half's half), each read over the lag's own
#: span within :data:`SHORTER_TOLERANCE` (:func:`_shorter_repeats`): a window's correlation over its last few hundred
#: samples runs higher than over all of it, so a jittered voice at 80..150 Hz repeats best at three or four of its
#: periods there. Read at exactly half the lag over the whole window, a second of a voice at 86, 100 and 120 Hz (5.5
#: Hz vibrato of ±60 cents, 0.5% jitter) repeated slower in 74, 44 and 18 of its 90 windows; read so, in none. A tone
#: below the range correlates at these fractions of its period far less (partials ``1 / l``: about 0.05 at a fifth),
#: and a higher fraction lies close enough to the period to read a low tone's own slow swing.
SHORTER_FRACTIONS = np.array([2, 3, 5])
#: ...each the best lag within this share of it: one period of a voice's jitter and vibrato lies a few percent off
#: their mean over several.
SHORTER_TOLERANCE = 0.03
#: ...and, for a window given a number, better by this than at the number's period: the number is not the window's
#: fundamental but one of a sub-floor note's partials, or a ratio of them (MuseScore General's and FluidR3's tuba D1,
#: 36.7 Hz, read 92 Hz by `fft` at 2048 / 44.1 kHz). The 91 such windows of three soundfonts' notes, dry and through
#: reverb (`fft`'s low numbers, this check's :data:`NUMBER_SLOW_REPEATS`), repeat at 0.83..1 at the note's period and
#: at 0.11..0.32 at the number's; their 70,000 windows read right repeat at their number's period at most 0.16 worse
#: than at their best longer lag (0.12 in 999 of 1000).
SLOWER_NUMBER_MARGIN = 0.3
#: ...at a lag this many of the number's periods or more from its whole multiples: a voice (jitter, vibrato) read
#: right at 88..113 Hz can repeat at 0.95 and more over the short overlap of 3 or 4 of its periods (a quarter of the
#: window), and at 0.4..0.6 at one. A note read at 2.5 or 1.68 times its f0 (a tuba's D1, a piano's E1) lies 0.5
#: and 0.32 periods from them.
MULTIPLE_TOLERANCE = 0.2
#: A window given a number, and so repeating clearly worse at it, holds a fundamental below the range where it
#: repeats at this or more at a period there (:data:`SLOW_REPEATS` without a number): a piano's E1, its partials
#: stretched, repeats at 0.77..0.97 (MuseScore General's, read at 1.68 times the note in 15 of its windows, at
#: 0.83..0.89). Right numbers of the notes never come within the margin (above) at any threshold down to 0.7.
NUMBER_SLOW_REPEATS = 0.8
#: A number that is a whole multiple of a note below the range, read from that note's partials (a recorded piano's
#: C1 and D#1 read at three times the note by `fft` at 2048 / 44.1 kHz, confidence up to 0.98), repeats far better
#: at that note's period than at its own or any shorter multiple of it (:func:`multiple_of_slower`). Only lags where
#: the window overlaps itself by this share or more count: over a shorter overlap a voice read right repeats at 0.8
#: and more at three or four of its periods (70..80% of the window) where it repeats at 0.2..0.7 at one or two.
MULTIPLE_OVERLAP = 1.0 / 3.0
#: A number within this factor of a range's bottom is checked against the period its window's waveform repeats at
#: (:func:`off_the_bottom`): a rich tone just below the bottom, whose partials one window cannot resolve, is read a
#: little above it (the LSTM reads 2.05..2.12 cycles per window at about 2.2, 70..95 cents high; `fft` a plucked
#: E1 at 41.2 Hz, below its 43 Hz floor at 2048 / 44.1 kHz, at 43.5 Hz, 93 cents high). Where the waveform repeats
#: clearly (a normalised correlation of :data:`EDGE_REPEATS` or more) at a period below the range, or more than
#: :data:`EDGE_AGREE_CENTS` from the number, the window is out of the range. (A sine at 0..10 dB SNR repeats at
#: 0.5..0.9, at a period that noise moves further than that.)
EDGE_RATIO = 1.15
EDGE_AGREE_CENTS = 50.0
EDGE_REPEATS = 0.9


def coloured_below(frames: np.ndarray, low: float) -> np.ndarray:
    """Which windows ``frames`` (batch, N) hold coloured noise rather than a tone of fewer than ``low`` cycles per
    window (see the module's description).

    Parameters
    ----------
    frames
        Windows, one per row. A window shorter than ``4 * (FAR_BINS[0] + 1)`` samples has no bins as far up as
        :data:`FAR_BINS` to compare with, and is never read as such noise.
    low
        The bottom of the range in cycles per window: the slow sinusoid is sought from :data:`SLOWEST` up to it.

    Returns
    -------
    numpy.ndarray
        bool, one per window.
    """
    y = np.asarray(frames, dtype=np.float64)
    y = y - y.mean(axis=1, keepdims=True)
    count, n = y.shape
    far_top = min(FAR_BINS[1], n // 4)
    if far_top <= FAR_BINS[0]:
        return np.zeros(count, dtype=bool)
    energy = np.einsum("ij,ij->i", y, y)
    basis, inverse = _slow_basis(n, float(low))
    projections = (y @ basis.reshape(n, -1)).reshape(count, -1, 2)  # (batch, frequency, cos/sin)
    explained = np.einsum("bgi,gij,bgj->bg", projections, inverse, projections)
    best = explained.argmax(axis=1)
    rows = np.arange(count)
    coefficients = np.einsum("bij,bj->bi", inverse[best], projections[rows, best])
    residual = y - np.einsum("bi,nbi->bn", coefficients, basis[:, best])
    power = np.abs(np.fft.rfft(residual * np.hanning(n), axis=1)) ** 2
    near = power[:, NEAR_BINS[0] : NEAR_BINS[1]].mean(axis=1)
    far = power[:, FAR_BINS[0] : far_top].mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slow = explained[rows, best] >= SLOW_SHARE * energy
        return (energy > 0) & ~slow & (near >= COLOUR_RATIO * far)


@functools.lru_cache(maxsize=8)
def _slow_basis(n: int, low: float) -> tuple[np.ndarray, np.ndarray]:
    """Cosines and sines of the sought frequencies, less their means (DC is fitted with them): ``(n, frequencies,
    2)``, and the inverse of each frequency's 2 x 2 Gram matrix ``(frequencies, 2, 2)``."""
    cycles = np.arange(SLOWEST, low, GRID_STEP)
    phase = 2.0 * np.pi * np.outer(np.arange(n) - (n - 1) / 2.0, cycles) / n
    basis = np.stack([np.cos(phase), np.sin(phase)], axis=2)
    basis -= basis.mean(axis=0)
    gram = np.einsum("nfi,nfj->fij", basis, basis)
    return basis, np.linalg.inv(gram)


def repeats_slower(
    frames: np.ndarray, low: float, threshold: float | None = None, period: np.ndarray | None = None
) -> np.ndarray:
    """Which windows ``frames`` (batch, N) correlate with themselves at ``threshold`` (default :data:`SLOW_REPEATS`,
    or :data:`NUMBER_SLOW_REPEATS` given ``period``) or more at some lag longer than ``N / low`` (a period below
    ``low`` cycles per window) where they overlap by :data:`~streamfreq.estimators.base.WHOLE_OVERLAP` or more, and
    :data:`SLOWER_HALF_MARGIN` better than at :data:`SHORTER_FRACTIONS` of that lag, each read over the same span
    (:func:`_shorter_repeats`); with ``period`` (samples, per window: a number read in
    it), also :data:`SLOWER_NUMBER_MARGIN` better than at that period
    (:func:`~streamfreq.estimators.base.whole_repeats`), at a lag more than :data:`MULTIPLE_TOLERANCE` periods from
    any whole multiple of it.

    Example
    -------
    >>> import numpy as np
    >>> t = np.arange(2048)
    >>> low = sum(np.cos(2 * np.pi * k * 1.7 * t / 2048 + k) for k in range(2, 9))[None]  # partials 2..8 of 1.7
    >>> repeats_slower(low, 2.1).tolist(), repeats_slower(low, 2.1, period=np.array([2048 / (2.5 * 1.7)])).tolist()
    ([True], [True])
    >>> tone = np.cos(2 * np.pi * 4.25 * t / 2048)[None]  # best past 2.1 cycles at 3 periods; a third of it repeats
    >>> repeats_slower(tone, 2.1).tolist(), repeats_slower(tone, 2.1, period=np.array([2048 / 4.25])).tolist()
    ([False], [False])
    """
    slower = np.zeros(len(frames), dtype=bool)
    rows = np.arange(len(frames))
    if threshold is None:
        threshold = SLOW_REPEATS if period is None else NUMBER_SLOW_REPEATS
    if period is not None:  # only a window that repeats at its number's period unclearly can repeat far better slower
        at_number = whole_repeats(frames, period)
        rows = np.flatnonzero(at_number < 1.0 - SLOWER_NUMBER_MARGIN)
    n = frames.shape[1]
    shortest, longest = math.ceil(n / low), int((1.0 - WHOLE_OVERLAP) * n)
    if shortest > longest or not len(rows):
        return slower
    centred = centred_unit_peak(frames[rows])[0]
    correlation = lag_correlation(centred)
    at = np.arange(len(rows))
    lag = shortest + correlation[:, shortest : longest + 1].argmax(axis=1)
    best = correlation[at, lag]
    found = best >= threshold
    if found.any():  # ...and not as well at a whole fraction of the lag, over the same span
        found[found] = _shorter_repeats(centred[found], lag[found]) < best[found] - SLOWER_HALF_MARGIN
    if period is not None:
        multiples = lag / period[rows]
        found &= np.abs(multiples - np.rint(multiples)) > MULTIPLE_TOLERANCE
        found &= at_number[rows] < best - SLOWER_NUMBER_MARGIN
    slower[rows] = found
    return slower


def _shorter_repeats(y: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """How well each window ``y`` (batch, N; centred) repeats at :data:`SHORTER_FRACTIONS` of its ``lag`` (samples),
    the best lag within :data:`SHORTER_TOLERANCE` of each: the normalised correlation of its first ``N - lag``
    samples with as many from there on, so that it is read over the span its correlation at ``lag`` was."""
    n = y.shape[1]
    span = n - lag
    head = np.where(np.arange(n) < span[:, None], y, 0.0)
    products = np.fft.irfft(np.conj(np.fft.rfft(head, 2 * n)) * np.fft.rfft(y, 2 * n), 2 * n)[:, :n]
    energy = np.zeros((len(y), n + 1))
    np.cumsum(y * y, axis=1, out=energy[:, 1:])
    lags = np.arange(n)
    later = np.take_along_axis(energy, np.minimum(lags + span[:, None], n), axis=1) - energy[:, :n]
    own = energy[np.arange(len(y)), span][:, None]
    correlation = products / np.sqrt(np.maximum(own * later, 1e-300))
    fraction = lag[:, None] / SHORTER_FRACTIONS  # (batch, fractions)
    near = np.abs(lags - fraction[:, :, None]) <= SHORTER_TOLERANCE * fraction[:, :, None] + 1.0
    return np.where(near, correlation[:, None, :], -np.inf).max(axis=(1, 2))


def off_the_bottom(frames: np.ndarray, cycles: np.ndarray, low: float) -> np.ndarray:
    """Which windows ``frames`` (batch, N), read at ``cycles`` per window within :data:`EDGE_RATIO` of the range's
    bottom ``low`` (cycles per window), repeat clearly (:data:`EDGE_REPEATS`) at a period below the range or away
    from the number (:data:`EDGE_AGREE_CENTS`): a tone below the range read just above its bottom.

    The period is the lag, between 0.8 and 1.25 times the number's and at most the window's length over
    0.9 ``low``, where the window correlates best with itself: the normalised correlation of its first and
    its last ``N - lag`` samples, parabolically interpolated.
    """
    correlation = lag_correlation(centred_unit_peak(frames)[0])
    n = correlation.shape[1]
    shortest = np.floor(n / (1.25 * cycles)).astype(np.int64)
    longest = np.minimum(np.ceil(n / (0.8 * cycles)), min(n / (0.9 * low), n - 2)).astype(np.int64)
    lag, mid = best_lag(correlation, shortest, longest)
    repeats = n / lag
    off = np.abs(1200.0 * np.log2(repeats / cycles)) > EDGE_AGREE_CENTS
    return ((repeats < low) | off) & (mid >= EDGE_REPEATS)


def rumble(frames: np.ndarray, low: float) -> np.ndarray:
    """Which windows ``frames`` (batch, N) hold coloured noise (:func:`coloured_below`) that does not repeat at a
    period below ``low`` cycles per window (:func:`repeats_slower`): rumble, not a tone below the range."""
    noise = coloured_below(frames, low)
    rows = np.flatnonzero(noise)
    noise[rows] = ~repeats_slower(np.asarray(frames)[rows], low)
    return noise


def multiple_of_slower(frames: np.ndarray, period: np.ndarray, low: float) -> np.ndarray:
    """Which windows ``frames`` (batch, N), read at ``period`` samples, repeat at a whole multiple of it, three times
    or more, that lies below ``low`` cycles per window (and overlaps the window by :data:`MULTIPLE_OVERLAP` or more)
    at :data:`NUMBER_SLOW_REPEATS` or more, and :data:`SLOWER_NUMBER_MARGIN` better than at the period and at every
    shorter multiple of it (:func:`~streamfreq.estimators.base.whole_repeats`): the number is a multiple of a
    fundamental below the range, not the window's fundamental. (Twice the period is the octave checks' to judge,
    :func:`~streamfreq.estimators.octave.half_below_floor`: a creaky voice repeats better at twice its period.)

    Example
    -------
    >>> import numpy as np
    >>> t = np.arange(2048)
    >>> low = sum(np.cos(2 * np.pi * k * 1.6 * t / 2048 + k * k) for k in range(1, 9))[None]  # 1.6 cycles, 8 partials
    >>> multiple_of_slower(low, np.array([2048 / 4.8]), 2.0).tolist()  # read at its 3rd partial
    [True]
    >>> multiple_of_slower(np.cos(2 * np.pi * 4.8 * t / 2048)[None], np.array([2048 / 4.8]), 2.0).tolist()
    [False]
    """
    frames = np.asarray(frames)
    n = frames.shape[1]
    found = np.zeros(len(frames), dtype=bool)
    if not len(frames):
        return found
    period = np.asarray(period, dtype=np.float64)
    period = np.where(np.isfinite(period) & (period > 0), period, np.inf)  # no number: no multiple counts
    longest = (1.0 - MULTIPLE_OVERLAP) * n
    most = np.floor(longest / period)  # the longest whole multiple of each period that counts
    fewest = np.maximum(np.ceil(n / low / period), 3)  # the shortest below the range
    for multiple in range(int(fewest.min()), int(most.max()) + 1):
        rows = np.flatnonzero((fewest <= multiple) & (multiple <= most))
        repeats = whole_repeats(frames[rows], multiple * period[rows])
        clear = repeats >= NUMBER_SLOW_REPEATS
        rows, repeats = rows[clear], repeats[clear]
        for shorter in range(1, multiple):  # read only where the multiple repeats that well
            if not len(rows):
                break
            with np.errstate(invalid="ignore"):
                clear = ~(whole_repeats(frames[rows], shorter * period[rows]) > repeats - SLOWER_NUMBER_MARGIN)
            rows, repeats = rows[clear], repeats[clear]
        found[rows] = True
    return found
