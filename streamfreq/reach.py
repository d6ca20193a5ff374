"""Reaching below the floor: a note too low for the window is read again in a window twice as long.

The default window holds two periods of its floor (43 Hz at 2048 samples and 44.1 kHz, 46.9 Hz at 48 kHz), so a
bass's open E1 (41.2 Hz), a piano's or an organ's lowest octave and a tuba's pedal notes lie below it: every
estimator says ``out_of_range`` there (``fft`` where the window repeats better at a period below the floor, the LSTM
below its trained range). Told a lower ``fmin`` the engine picks a longer window for every window, which smears a
voice's vibrato. So where ``fmin`` is left to the window, each window that an estimator with a floor
(:class:`~streamfreq.estimators.base.HasFloor`, not told a floor of its own) calls ``out_of_range``, or gives no
number where the waveform repeats best at a period below its floor, or up to
:data:`~streamfreq.estimators.slow_tone.EDGE_RATIO` above it (:func:`repeats_best_below`: a stiff or unresolved low
note), is read again by that estimator's copy told :data:`~streamfreq.defaults.REACH_FMIN`, in twice the window: the
window and the one before it, ending at the same sample, so a live readout is not delayed (the longer window's
centre lies half a window earlier; its number is moved on to the window's centre along the glide the longer window
shows, :func:`at_window_centre`, not at all where the pitch holds still). Its number stands where it lies below the
lowest f0 the estimator reads in the window (``lowest_hz``: the engine's floor, or the LSTM's trained range), or up
to :data:`~streamfreq.estimators.slow_tone.EDGE_RATIO` above it (where the window holds too few periods to resolve a
rich note's 1st and 2nd partials, and its estimator says ``out_of_range`` where the waveform repeats below the
floor: ``slow_tone.off_the_bottom``), and where the longer window repeats at its period (:data:`REACH_REPEATS`: a
note does, rumble does not). Anything else (no number, a number the window should have read, a note above every
range) leaves ``out_of_range``.

A note read so is held: the window right after a reached one is read again in twice the window too, whatever it
said (a number on a partial of the low note, no number, ``out_of_range``), and takes the number found there where
it lies within :data:`HOLD_CENTS` of the reached one and the longer window repeats at it at :data:`HOLD_REPEATS` or
more (:meth:`BelowFloorReach.reach` does so window after window, in rounds); where the longer window reads a whole
multiple of it (a partial), the note is read at that window's period near it, where the window repeats there
:data:`HOLD_MARGIN` better than at the number's. A window that holds nothing of the note is skipped, and the one
after it is held from the window before; two in a row let the note go. In two periods a piano's lowest strings,
stiff, their fundamental weak, read a stretched upper partial in some windows and nothing in their decay; in twice
the window they read the note. A next note lets go of it as soon as the longer window reads that note.

Where the engine's floor is raised above the window's own (the 40 Hz of
:data:`~streamfreq.defaults.FMIN_FLOOR` at 16 kHz, where what reads lower in a voice recording is mostly rumble),
or ``fmin`` is given, nothing is reached for: ``fmin`` is then a floor the caller chose. The stream's first
windows have nothing before them and keep their status.

Example
-------
>>> import numpy as np
>>> from streamfreq import analyze
>>> from streamfreq.signals import harmonic_tone
>>> e1 = harmonic_tone(44100, 44100.0, 41.2, amplitudes=[1.0, 0.8, 0.6, 0.4, 0.3])  # a bass's open E
>>> track = analyze(e1, 44100.0, estimators=["fft"])
>>> hz = track.f0["fft"][4:]
>>> bool(np.all(np.abs(1200 * np.log2(hz / 41.2)) < 5))
True
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from streamfreq import defaults
from streamfreq.estimators.base import (
    NO_TONE,
    OK,
    OUT_OF_RANGE,
    WHOLE_OVERLAP,
    Estimate,
    HasFloor,
    centred_unit_peak,
    lag_correlation,
    period_near,
    whole_repeats,
)
from streamfreq.estimators.chirp_fit import chirp_rate
from streamfreq.estimators.harmonic_fit import harmonics_to_fit
from streamfreq.estimators.slow_tone import EDGE_RATIO
from streamfreq.notes import cents_between

#: A reached number counts where the longer window repeats at its period at this or more
#: (:func:`~streamfreq.estimators.base.whole_repeats`): the right numbers of the rendered and recorded bass, tuba,
#: piano and organ notes below the floor repeat so in 99.7% (``fft``) and 99.1% (the LSTM) of their windows, brown
#: rumble, which the LSTM calls ``out_of_range`` and then reads in 0.6% of its longer windows, at 0.69 or less in
#: all but one of 10,786.
REACH_REPEATS = 0.7
#: A window an estimator gives no number is read again where it repeats at this or more at a period below the
#: estimator's floor (or up to :data:`~streamfreq.estimators.slow_tone.EDGE_RATIO` above it), and
#: :data:`CANDIDATE_MARGIN` better than at any shorter lag (:func:`repeats_best_below`): a recorded piano's C♯1..E1
#: and a tuba's F1, inharmonic or unresolved in two periods, get no number from ``fft`` in most windows (its own
#: test, at 0.95, calls them ``out_of_range``), and repeat so.
CANDIDATE_REPEATS = 0.7
#: ... and better by this than at every shorter lag past the correlation's first fall below zero: of the recorded
#: low notes' windows without a number from ``fft`` that repeat at 0.7 or more below the floor, 92% repeat so much
#: better there; a voice's windows that ``zc`` leaves without a number repeat at a whole number of its periods
#: (13 periods of a 432 Hz note), never more than 0.02 better than at its period.
CANDIDATE_MARGIN = 0.05
#: A window right after one read below the floor is read again in twice the window too, whatever it said (a number
#: on a partial, no number, ``out_of_range``), and takes the number found there where that lies within
#: :data:`HOLD_CENTS` of the window before's and the longer window repeats at it at :data:`HOLD_REPEATS` or more:
#: a recorded piano's C1 reads a stretched 3rd partial in a third of its default windows between windows reached at
#: the note (its longer windows repeat at 0.72..0.85 at the note), and its C♯1's decay, no number from 0.85 s on,
#: repeats at 0.63..0.72 there.
HOLD_REPEATS = 0.5
#: ... and within this many cents of the number the window before it was read at.
HOLD_CENTS = 100.0
#: A longer window that reads a whole multiple of the held note (its 2nd partial or higher) holds the note, read at
#: the window's period near it, where the window repeats there :data:`HOLD_REPEATS` or more and this much better
#: than at the number's period. A low note read on a partial repeats far worse at the partial's period: the recorded
#: piano's C1 at its 3rd (the LSTM's longer window reads it in 100 of the note's 162 windows) 0.36..0.52 better at
#: the note, the harp's E1 at its 5th 0.2..0.43 (5th..95th percentiles); a period repeats at least as well as its
#: multiples, so a note read where one window was reached at a quarter of it (the LSTM on the recorded contrabass's
#: C♯3) repeats as well at that quarter's period (-0.01..0 better) and lets go.
HOLD_MARGIN = 0.1
#: Windows of a held note read again at once at first, twice as many each time after: a note below the floor
#: held through a whole batch is read in a few rounds, and a note that ends costs few windows read in vain.
HOLD_FIRST = 4
#: A reached number is moved on along the glide of a chirp fit of this many harmonics at most. Fitted with more, the
#: recorded notes below the floor show glides their own numbers do not follow window after window (the tuba's F1
#: moved in 27 of its 158 windows with 8, in 74 with 12 and 95 with 16; the electric bass's C#1 in none, 20 and 20);
#: fitted with fewer, a rich note's partials above the fit hide its glide (a sweep of 24 partials at 20 dB shows
#: none in 24% of its longer windows with 8, in all with 4: those keep the number as read, half a window late).
GLIDE_HARMONICS = 8


class BelowFloorReach:
    """Per stream: reads again, in a window twice as long, the windows an estimator called ``out_of_range``, or gave
    no number where they repeat best below its floor, and holds a note so read into the windows after it.

    Parameters
    ----------
    window, hop
        The stream's window, and the samples between its windows' starts.
    samplerate
        Its samples per second.
    estimators
        The estimators whose windows are reached for: each reads the longer windows as its copy told ``fmin``
        (:meth:`~streamfreq.estimators.base.HasFloor.reaching`), and a number counts only below its own floor in
        the window (:meth:`~streamfreq.estimators.base.HasFloor.lowest_hz`), or up to
        :data:`~streamfreq.estimators.slow_tone.EDGE_RATIO` above it.
    fmin
        The lowest fundamental reached for, in Hz (:func:`reach_fmin`).
    """

    def __init__(self, window: int, hop: int, samplerate: float, estimators: Iterable[HasFloor], fmin: float) -> None:
        self.window = int(window)
        self.hop = int(hop)
        self.samplerate = float(samplerate)
        self.fmin = float(fmin)
        self.estimators = {estimator.name: estimator for estimator in estimators}
        self.ceilings = {
            name: EDGE_RATIO * estimator.lowest_hz(self.window, self.samplerate)
            for name, estimator in self.estimators.items()
        }
        self._kept: list[tuple[np.ndarray, np.ndarray]] = []  # recent batches' (starts, frames), oldest first
        self._held: dict[str, tuple[int, float]] = {}  # per estimator: the start and number of the stream's last
        # window, where it was reached

    def reach(
        self, starts: np.ndarray, frames: np.ndarray, results: dict[str, list[Estimate]], skip: np.ndarray | None = None
    ) -> None:
        """Replace, in ``results``, the ``out_of_range`` estimates of ``frames`` (the stream's next windows,
        starting at ``starts``), and the ``no_tone`` ones of the windows that repeat best below the floor, whose
        longer window an estimator reads below its floor, and then the estimates of the windows right after one so
        read that hold its note; ``skip``: windows not to read (the quiet gate's quiet ones)."""
        self._keep(starts, frames)
        names = sorted(self.estimators.keys() & results.keys())
        open_ = np.ones(len(frames), dtype=bool) if skip is None else ~np.asarray(skip, dtype=bool)
        doubt = [i for i in np.flatnonzero(open_).tolist() if any(results[n][i].status == NO_TONE for n in names)]
        correlation = lag_correlation(centred_unit_peak(frames[doubt])[0]) if doubt else None  # once for all
        longer: dict[int, np.ndarray | None] = {}
        for name in names:
            estimates = results[name]
            wanted = [i for i in np.flatnonzero(open_).tolist() if estimates[i].status == OUT_OF_RANGE]
            if correlation is not None:  # and the windows without a number that repeat best below the floor
                below = repeats_best_below(correlation, self.ceilings[name] * self.window / self.samplerate)
                below &= np.array([estimates[i].status == NO_TONE for i in doubt])
                wanted = sorted(wanted + [doubt[k] for k in np.flatnonzero(below).tolist()])
            for i in wanted:
                if i not in longer:
                    longer[i] = self._longer(int(starts[i]), frames[i])
            wanted = [i for i in wanted if longer[i] is not None]
            read = self._read_longer(name, wanted, longer)
            reached = set()
            for i in wanted:
                number, repeats = read[i]
                if number is not None and repeats >= REACH_REPEATS:
                    estimates[i] = number
                    reached.add(i)
            self._hold(name, starts, frames, estimates, open_, longer, reached, read)

    def _hold(
        self,
        name: str,
        starts: np.ndarray,
        frames: np.ndarray,
        estimates: list[Estimate],
        open_: np.ndarray,
        longer: dict[int, np.ndarray | None],
        reached: set[int],
        read: dict[int, tuple[Estimate | None, float]],
    ) -> None:
        """Read again in twice the window the windows of ``estimates`` right after one ``reached`` (in rounds: the
        numbers each round holds may hold the note into the windows after them; ``read``: the longer windows read
        already, :meth:`_read_longer`), and keep the number of the batch's last window, or of the one before it where
        the last held nothing, for the next batch."""
        hop = self.hop
        carried = self._held.get(name)  # (start, number) of a window of the batch before that holds the note
        if not reached and carried is None:  # no note to hold (a voice, most batches): nothing to read again
            return
        tried = np.zeros(len(starts), dtype=bool)

        def held_at(j: int) -> float | None:
            """The number window ``j`` holds the note at (``j`` < 0: the batch before's, carried), or None."""
            if j >= 0:
                return estimates[j].hz if j in reached else None
            return carried[1] if carried is not None and carried[0] == starts[0] + j * hop else None

        def steps(j: int, i: int) -> bool:
            """Whether windows ``j`` .. ``i`` of this batch (from its first where ``j`` < 0) lie a hop apart."""
            return starts[i] - starts[max(j, 0)] == (i - max(j, 0)) * hop

        def anchor(i: int) -> float | None:
            """The number of the window right before window ``i``, where that window holds the note, or of the one
            before that, where the window between was tried and held nothing: a window whose longer window reads no
            number, or another, is skipped (the LSTM's reaching copy gives no number in some of the recorded piano's
            C1's longer windows, whose next windows read the note's 3rd partial until one is reached again), and two
            in a row let the note go. (A carried window two before this batch's first is one whose next window,
            the batch before's last, was tried.)"""
            before = held_at(i - 1) if steps(i - 1, i) else None
            if before is not None or not (i < 1 or tried[i - 1]) or not steps(i - 2, i):
                return before
            return held_at(i - 2)

        size = HOLD_FIRST
        while True:
            chains = []
            for head in range(len(starts)):
                if tried[head] or not open_[head] or head in reached or anchor(head) is None:
                    continue
                if chains and head <= chains[-1][-1]:
                    continue
                chain = [head]
                while len(chain) < size and chain[-1] + 1 < len(starts) and open_[chain[-1] + 1]:
                    if chain[-1] + 1 in reached or not steps(chain[-1], chain[-1] + 1):
                        break
                    chain.append(chain[-1] + 1)
                chains.append(chain)
            if not chains:
                break
            wanted = []
            for i in (i for chain in chains for i in chain):
                tried[i] = True
                if i not in longer:
                    longer[i] = self._longer(int(starts[i]), frames[i])
                if longer[i] is not None and i not in read:
                    wanted.append(i)
            read.update(self._read_longer(name, wanted, longer))
            for chain in chains:
                for i in chain:
                    number, repeats = read.get(i, (None, math.nan))
                    before = anchor(i)
                    if (
                        number is not None
                        and before is not None
                        and (abs(cents_between(number.hz, before)) > HOLD_CENTS or not repeats >= HOLD_REPEATS)
                    ):
                        number = self._on_a_partial(number, before, longer[i])
                    if number is None or before is None:
                        if held_at(i - 1) is None:  # two windows in a row hold nothing: the note is let go
                            break
                        continue  # one is skipped: it keeps what it said
                    estimates[i] = number
                    reached.add(i)
            size *= 2
        last = len(starts) - 1
        if held_at(last) is not None:
            self._held[name] = (int(starts[last]), held_at(last))
        elif tried[last] and held_at(last - 1) is not None and steps(last - 1, last):  # a gap at the batch's end
            self._held[name] = (int(starts[last]) - hop, held_at(last - 1))
        else:
            self._held.pop(name, None)

    def _on_a_partial(self, number: Estimate, held: float, longer: np.ndarray) -> Estimate | None:
        """The held note ``held`` (Hz), read at the ``longer`` window's period near it, where that window's
        ``number`` lies on a partial of it (within :data:`HOLD_CENTS` of a whole multiple, the 2nd or higher) and the
        window repeats at that period :data:`HOLD_REPEATS` or more, and :data:`HOLD_MARGIN` better than at the
        number's; None otherwise."""
        multiple = round(number.hz / held)
        if multiple < 2 or abs(cents_between(number.hz / multiple, held)) > HOLD_CENTS:
            return None
        twice = centred_unit_peak(np.stack([longer, longer]))[0]  # one row for the note, one for the number
        n = twice.shape[1]
        # the window's own periods near the held note and near the number, which may lie tens of cents off its partial
        hz, near_number = period_near(twice, np.array([held, number.hz]) * n / self.samplerate) * (self.samplerate / n)
        repeats, at_number = whole_repeats(twice, self.samplerate / np.array([hz, near_number]))
        if abs(cents_between(hz, held)) > HOLD_CENTS or not repeats >= max(HOLD_REPEATS, at_number + HOLD_MARGIN):
            return None
        return Estimate(
            float(at_window_centre(longer[None], np.array([hz]), self.samplerate)[0]), number.confidence, OK
        )

    def _read_longer(
        self, name: str, wanted: list[int], longer: dict[int, np.ndarray | None]
    ) -> dict[int, tuple[Estimate | None, float]]:
        """Per window of ``wanted``: the number the estimator ``name`` reads in its ``longer`` window, and how well
        that window repeats at it (:func:`~streamfreq.estimators.base.whole_repeats`) where it lies below the
        estimator's floor (or up to :data:`~streamfreq.estimators.slow_tone.EDGE_RATIO` above it), nan where higher;
        ``(None, nan)`` where it reads none there."""
        out: dict[int, tuple[Estimate | None, float]] = {i: (None, math.nan) for i in wanted}
        if not wanted:
            return out
        stacked = np.stack([longer[i] for i in wanted])
        try:
            again = self.estimators[name].reaching(self.fmin).estimate_many(stacked, self.samplerate)
        except Exception:  # the windows keep what they said; the engine reads on
            return out
        ceiling = self.ceilings[name]
        numbered = [k for k, estimate in enumerate(again) if estimate.status == OK]
        below = [k for k in numbered if again[k].hz < ceiling]
        repeats = np.full(len(again), math.nan)
        if below:
            repeats[below] = whole_repeats(stacked[below], np.array([self.samplerate / again[k].hz for k in below]))
        if numbered:
            hz = at_window_centre(stacked[numbered], np.array([again[k].hz for k in numbered]), self.samplerate)
            for k, at_centre in zip(numbered, hz.tolist(), strict=True):
                out[wanted[k]] = (Estimate(at_centre, again[k].confidence, OK), float(repeats[k]))
        return out

    def _keep(self, starts: np.ndarray, frames: np.ndarray) -> None:
        """Add a batch to those kept, and drop the batches no window of it or a later one reaches back into."""
        if len(starts) == 0:
            return
        self._kept.append((starts, frames))
        first = int(starts[0])
        while len(self._kept) > 1 and int(self._kept[0][0][-1]) + self.window <= first - self.window:
            self._kept.pop(0)

    def _longer(self, start: int, frame: np.ndarray) -> np.ndarray | None:
        """The ``2 N`` samples ending where the window starting at ``start`` ends, from the kept windows; None
        where some of the ``N`` before it were not seen (the stream's start, or windows skipped)."""
        n = self.window
        parts = []
        at = start - n
        for batch_starts, batch_frames in self._kept:
            covering = np.flatnonzero((batch_starts <= at) & (batch_starts + n > at))
            while len(covering) and at < start:
                j = covering[-1]
                offset = at - int(batch_starts[j])
                take = min(n - offset, start - at)
                parts.append(batch_frames[j, offset : offset + take])
                at += take
                covering = np.flatnonzero((batch_starts <= at) & (batch_starts + n > at))
        if at < start:
            return None
        return np.concatenate([*parts, frame])


def at_window_centre(longer: np.ndarray, hz: np.ndarray, samplerate: float) -> np.ndarray:
    """The numbers ``hz`` read in the ``longer`` windows (``2 N`` samples each, read at their centre, ``N / 2``
    before the centre of the window of ``N`` that ends them), moved on to that window's centre along the glide the
    longer window shows: ``hz exp(rate N / 2)`` at the
    :func:`~streamfreq.estimators.chirp_fit.chirp_rate` of a fit of up to :data:`GLIDE_HARMONICS` harmonics (0
    where the pitch holds still). A sweep reached below the floor was read half a window late: 13 cents at half an
    octave per second, 2048 samples at 48 kHz.

    Example
    -------
    >>> from streamfreq.signals import LogSweep, harmonic_tone
    >>> glide = harmonic_tone(4096, 48000.0, LogSweep(35.0, 35.0 * 2 ** (4096 / 48000), 4096 / 48000), [1.0, 0.5])
    >>> hz = at_window_centre(glide[None], np.array([35.0 * 2 ** (2048 / 48000)]), 48000.0)  # an octave a second
    >>> round(float(1200 * np.log2(hz[0] / 35.0 / 2 ** (3072 / 48000))), 1)  # cents off the pitch 1024 samples on
    -0.1
    """
    y = np.asarray(longer, dtype=np.float64)
    y = y - y.mean(axis=1, keepdims=True)
    f0 = hz / samplerate
    order = np.clip(np.nan_to_num(harmonics_to_fit(f0, y.shape[1])), 1, GLIDE_HARMONICS).astype(np.int64)
    return hz * np.exp(chirp_rate(y, f0, order) * (y.shape[1] / 4))


def repeats_best_below(correlation: np.ndarray, low: float) -> np.ndarray:
    """Which windows repeat best at a period below ``low`` cycles per window, from their ``correlation`` (batch, N:
    :func:`~streamfreq.estimators.base.lag_correlation` of each centred window): at :data:`CANDIDATE_REPEATS` or more
    at some lag longer than ``N / low`` where they overlap themselves by
    :data:`~streamfreq.estimators.base.WHOLE_OVERLAP` or more, and :data:`CANDIDATE_MARGIN` better than at every
    shorter lag past their correlation's first fall below zero (its main lobe).

    Example
    -------
    >>> t = np.arange(2048)
    >>> low = sum(np.cos(2 * np.pi * k * 1.7 * t / 2048 + k) for k in range(2, 9))  # partials 2..8 of 1.7 cycles
    >>> voice = np.cos(2 * np.pi * 13.3 * t / 2048)  # 13.3 cycles: it repeats at 10 periods too, but no better
    >>> correlation = lag_correlation(centred_unit_peak(np.stack([low, voice]))[0])
    >>> repeats_best_below(correlation, 2.1).tolist()
    [True, False]
    """
    count, n = correlation.shape
    shortest, longest = math.ceil(n / low), int((1.0 - WHOLE_OVERLAP) * n)
    if shortest > longest or count == 0:
        return np.zeros(count, dtype=bool)
    slow = correlation[:, shortest : longest + 1].max(axis=1)
    shorter = correlation[:, :shortest]
    past_lobe = np.cumsum(shorter < 0.0, axis=1) > 0  # from the first lag below zero on
    fast = np.where(past_lobe, shorter, -np.inf).max(axis=1)
    return (slow >= CANDIDATE_REPEATS) & (slow >= fast + CANDIDATE_MARGIN)


def reach_fmin(window: int, samplerate: float) -> float:
    """The lowest fundamental the windows of ``window`` samples reach for: :data:`~streamfreq.defaults.REACH_FMIN`,
    or the floor of twice the window where that is higher."""
    return max(defaults.REACH_FMIN, defaults.lowest_f0(2 * window, samplerate))
