"""Following a note: a window an estimator could not read, right after one it read, is read near that number.

In loud noise a sung note's partials come and go under the noise floor from one window to the next. An
estimator that looks at one window at a time, with nothing to tell it where to look, must ask a partial to
stand far above the floor before it gives a number: the largest of a thousand bins of noise alone stands about
8 dB over their median. Knowing where to look changes that: the few bins within :data:`FOLLOW_CENTS` of the last
number need far less to stand that high by chance only in a few windows in a hundred.

So where a window says ``no_tone`` right after one the same estimator read (with a confidence of at least
:data:`FOLLOW_FROM`), the engine looks for the number's own partial near it (:func:`partial_near`). Where
noise alone would stand so high in at most :data:`FOLLOW_FALSE` of the windows, the window is read there. The
note is followed from window to window while:

- its windows keep the level of the last window the estimator read itself (within :data:`FOLLOW_DROP_DB`):
  where the voice stops, what is left (the noise, a breath, a room's decaying tail) is softer;
- the number stays within :data:`DRIFT_CENTS` of the last number the estimator read itself, and at or above
  the engine's ``fmin``;
- the noise is loud: the stream's quietest window of the last 2 s lies within :data:`NOISY_DB` under the window
  (where the stream falls far quieter between notes, a window an estimator could not read has no noise to
  blame: a note's end, a breath, a consonant). Before the stream's start counts as silence, so a stream is
  followed from its third second on: a clean note's first 2 s (a file of one note) are read window by window;
- the quiet gate (:mod:`streamfreq.quiet`) finds the window neither quiet nor faint.

It looks back only, so a live readout is never delayed, and the readouts of a recording do not depend on how
it is cut into blocks. A followed number is the partial's frequency, from a Gaussian interpolation of a Hann
window's zero-padded spectrum (about twice the Cramér-Rao bound's standard deviation on a pure tone), with
confidence :data:`FOLLOWED_CONFIDENCE`. Only the estimators that say so follow notes
(``follows_notes`` true: ``fft`` and the LSTM); ``zc`` gives a number only where its crossings can be trusted,
and does not.

Example
-------
>>> import numpy as np
>>> from streamfreq.estimators.base import Estimate
>>> rng = np.random.default_rng(0)
>>> t = np.arange(18 * 1024) / 8000.0  # 18 windows of 1024 samples at 8 kHz, no overlap
>>> tone = np.where(t >= 15 * 1024 / 8000.0, np.sin(2 * np.pi * 440.0 * t), 0.0)  # after 1.9 s of noise
>>> frames = (tone + 2.0 * rng.standard_normal(len(t))).reshape(18, 1024)  # a tone 9 dB under the noise
>>> nothing = Estimate.nothing("no_tone")
>>> results = {"fft": [nothing] * 15 + [Estimate(440.0, 0.9, "ok"), nothing, nothing]}
>>> NoteFollower(8000.0, 1024, {"fft"}).follow(np.arange(18) * 1024, frames, results)
>>> [(e.status, abs(e.hz - 440.0) < 3.0) for e in results["fft"][15:]]
[('ok', True), ('ok', True), ('ok', True)]
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection

import numpy as np

from streamfreq import defaults
from streamfreq.estimators.base import NO_TONE, OK, Estimate
from streamfreq.quiet import Marks

#: How far from the last number a partial is looked for (cents): a voice's vibrato (6 Hz, ±100 cents) moves its
#: pitch up to about 40 cents from one window to the next at the default hop.
FOLLOW_CENTS = 70.0
#: The share of windows of noise alone in which a partial near the last number would stand as high as one that is
#: followed (:func:`partial_near`; measured on 3000 windows of white noise: 1.0%).
FOLLOW_FALSE = 0.01
#: The local floor a partial is set against leaves out the bins within this many cents of it, or within this many
#: bins (the Hann window's main lobe is two bins either side), and reaches half an octave either side of it, or this
#: many bins beyond the guard (a low note's half octave holds few).
GUARD_CENTS, GUARD_BINS, FLOOR_BINS = 150.0, 3.0, 16.0
#: The fewest bins a side of the local floor must hold.
SIDE_BINS = 2.0
#: How far under the last window the estimator read itself a window may lie and still be followed (dB, RMS).
FOLLOW_DROP_DB = 2.0
#: A window is followed only where the stream's quietest window of the last :data:`~streamfreq.defaults.QUIET_HOLD`
#: seconds lies within this many dB under it (RMS): where the noise is loud. Where the stream falls far quieter
#: between notes, a window an estimator could not read has no noise to blame (a note's end, a breath, a
#: consonant). Before the stream's start counts as silence: a stream is followed from its third second on.
NOISY_DB = 8.0
#: How far a followed number may lie from the last number the estimator read itself (cents): a vibrato's swing,
#: not a walk down a steep noise's spectrum.
DRIFT_CENTS = 200.0
#: The least confidence of a number a note is followed from: a doubtful number (an estimator's guess at an octave
#: in loud noise) is not carried on.
FOLLOW_FROM = 0.1
#: The confidence of a followed number: the share of followed numbers within 50 cents of the note, measured on
#: the pitch benchmark's voices in noise and rooms (:mod:`benchmarks.pitch`, ``benchmarks/conditions.py``).
FOLLOWED_CONFIDENCE = 0.8
#: Zero padding of the spectrum the partials are looked for in.
PADDING = 8


class NoteFollower:
    """Per stream: reads the windows the ``names`` estimators gave no number, each right after one they read,
    near that number (see the module's text).

    Parameters
    ----------
    samplerate, hop
        The stream's samples per second and the samples between its windows' starts.
    names
        The estimators that follow notes.
    fmin
        The lowest fundamental the engine reports, in Hz: a note is not followed below it.
    """

    def __init__(self, samplerate: float, hop: int, names: Collection[str], fmin: float = 0.0) -> None:
        self.samplerate = float(samplerate)
        self.hop = int(hop)
        self.names = frozenset(names)
        self.fmin = float(fmin)
        self.windows = max(1, round(defaults.QUIET_HOLD * self.samplerate / self.hop))  # this one included
        self._recent = np.zeros(self.windows - 1)  # the last windows' RMS, oldest first; silence before the start
        self._last: dict[str, tuple[int, float]] = {}  # per estimator: the last window's start and its number
        self._anchor: dict[str, tuple[float, float]] = {}  # per estimator: the RMS and number of the last window
        # it read itself

    def follow(
        self, starts: np.ndarray, frames: np.ndarray, results: dict[str, list[Estimate]], marks: Marks | None = None
    ) -> None:
        """Replace, in ``results``, the ``no_tone`` estimates that follow a note (in order; the stream's next
        windows ``frames`` (batch, N) starting at ``starts``); ``marks``: the quiet gate's, where there is one."""
        names = [name for name in results if name in self.names]
        if not names or len(frames) == 0:
            return
        rms = np.std(frames, axis=1, dtype=np.float64)  # less the mean: an offset is no sound
        history = np.concatenate([self._recent, rms])
        quietest = np.lib.stride_tricks.sliding_window_view(history, self.windows).min(axis=1)
        self._recent = history[len(history) - (self.windows - 1) :]
        shut = rms > quietest * 10.0 ** (NOISY_DB / 20.0)  # no loud noise to blame
        if marks is not None:
            shut |= marks.quiet | marks.faint
        softest = 10.0 ** (-FOLLOW_DROP_DB / 20.0)
        spectra: dict[int, np.ndarray] = {}
        for name in names:
            estimates = results[name]
            last_start, last_hz = self._last.get(name, (-1, math.nan))
            anchor_rms, anchor_hz = self._anchor.get(name, (math.inf, math.nan))
            for i, start in enumerate(starts.tolist()):
                estimate = estimates[i]
                followed = False
                if estimate.status == OK:
                    anchor_rms, anchor_hz = float(rms[i]), estimate.hz
                elif (
                    estimate.status == NO_TONE
                    and start - last_start == self.hop
                    and math.isfinite(last_hz)
                    and not shut[i]
                    and rms[i] >= softest * anchor_rms
                ):
                    if i not in spectra:
                        spectra[i] = fine_power(frames[i])
                    hz = partial_near(spectra[i], last_hz, self.samplerate, frames.shape[1])
                    followed = hz >= self.fmin and abs(1200.0 * math.log2(hz / anchor_hz)) <= DRIFT_CENTS
                    if followed:
                        estimate = estimates[i] = Estimate(hz, FOLLOWED_CONFIDENCE, OK)
                sure = followed or (estimate.status == OK and estimate.confidence >= FOLLOW_FROM)
                last_start, last_hz = start, estimate.hz if sure else math.nan
            self._last[name], self._anchor[name] = (last_start, last_hz), (anchor_rms, anchor_hz)


def fine_power(frame: np.ndarray) -> np.ndarray:
    """The finely sampled power spectrum of one window (not :func:`~streamfreq.estimators.harmonic.padded_power`,
    ``fft``'s batch spectrum, padded twice), less its straight-line trend (an offset, or a slow rumble's drift, would
    leak into the low bins as sidelobes), through a Hann window, zero-padded :data:`PADDING` times."""
    n = len(frame)
    centred = np.arange(n) - (n - 1) / 2.0
    level = frame - frame.mean()
    level -= centred * (np.dot(centred, frame) / np.dot(centred, centred))
    return np.abs(np.fft.rfft(level * _hann(n), PADDING * n)) ** 2


@functools.lru_cache(maxsize=4)
def _hann(n: int) -> np.ndarray:
    return np.hanning(n)


def partial_near(power: np.ndarray, hz: float, samplerate: float, n: int) -> float:
    """The frequency of the partial within :data:`FOLLOW_CENTS` of ``hz`` in ``power`` (:func:`fine_power` of a
    window of ``n``), where noise alone would stand as high in at most :data:`FOLLOW_FALSE` of the windows;
    else nan.

    The band's highest bin must be a peak (higher than both its neighbours: not the slope of a steep noise at
    the band's edge), and is set against the local floor (:func:`_local_floor`), taken as white noise's mean
    there (a periodogram's bins are exponential). The chance that noise alone raises the highest of the band's
    ``m`` bins that high is ``1 - (1 - exp(-x))**m``, ``x`` its height over the floor's mean. Only the number's
    own partial counts: a number an octave low has none there, and is not carried onto the note's fundamental.

    Example
    -------
    >>> t = np.arange(2048) / 48000.0
    >>> power = fine_power(np.sin(2 * np.pi * 441.0 * t) + np.sin(2 * np.pi * 882.0 * t))
    >>> round(partial_near(power, 440.0, 48000.0, 2048), 2), partial_near(power, 220.0, 48000.0, 2048)
    (441.0, nan)
    """
    per_bin = PADDING * n / samplerate  # padded bins per Hz
    centre = hz * per_bin
    reach = centre * (2.0 ** (FOLLOW_CENTS / 1200.0) - 1.0)
    low = int(math.ceil(centre - reach))
    high = max(int(math.floor(centre + reach)) + 1, low + 1)  # the bin nearest a band narrower than one
    if low < 1 or high >= len(power) - 1:
        return math.nan
    peak = low + int(np.argmax(power[low:high]))
    if not power[peak - 1] < power[peak] > power[peak + 1]:  # the band's edge: a slope, not a partial
        return math.nan
    floor = _local_floor(power, centre)
    if not floor > 0.0:
        return math.nan
    bins = 2.0 * reach / PADDING + 1.0  # independent bins in the band and its edges, about
    chance = -math.expm1(bins * math.log1p(-math.exp(-power[peak] / floor)))
    if chance > FOLLOW_FALSE:
        return math.nan
    left, mid, right = np.log(power[peak - 1 : peak + 2] + 1e-300)
    shift = 0.5 * (left - right) / (left - 2.0 * mid + right)  # the vertex of a parabola through log power
    return float((peak + shift) / per_bin)


def _local_floor(power: np.ndarray, centre: float) -> float:
    """The mean noise power at padded bin ``centre``: the medians of the bins either side of it (from
    :data:`GUARD_CENTS` or :data:`GUARD_BINS` out to half an octave or :data:`FLOOR_BINS` beyond), each over
    ``ln 2``, interpolated to it on log power over log frequency (a coloured noise's slope); 0 where a side
    holds fewer than :data:`SIDE_BINS` bins (a partial too near the lowest bins, which hold what is left of the
    window's trend, or the top)."""
    guard = max(centre * (2.0 ** (GUARD_CENTS / 1200.0) - 1.0), GUARD_BINS * PADDING)
    span = max(centre * (math.sqrt(2.0) - 1.0), guard + FLOOR_BINS * PADDING)
    sides = (
        (max(int(centre - span), PADDING), int(centre - guard)),
        (int(centre + guard) + 1, min(int(centre + span) + 1, len(power))),
    )
    if any(stop - start < SIDE_BINS * PADDING for start, stop in sides):
        return 0.0
    (low_at, low_level), (high_at, high_level) = (
        (math.log(0.5 * (start + stop)), math.log(float(np.median(power[start:stop])) + 1e-300))
        for start, stop in sides
    )
    share = (math.log(centre) - low_at) / (high_at - low_at)
    return math.exp(low_level + share * (high_level - low_level)) / math.log(2.0)
