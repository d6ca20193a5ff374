"""Is the fundamental half the number? The octave check that ``fft`` and ``lstm`` share.

Where the partials of a low note lie two or three bins apart, the spectrum
cannot tell a note whose odd harmonics are weak (a double bass's lowest
notes) from a note an octave up: both estimators can read the octave. A
number ``f`` is checked where half of it has few periods in the window
(:func:`checked`), and its fundamental is half where two things say so
(:func:`half_fundamental`):

- the waveform repeats at least as well at twice the period as at the period
  (a period repeats at least as well as any multiple of it:
  :func:`~streamfreq.estimators.harmonic.double_period_excess`);
- over the band below ``PERIOD_CUTOFF_HZ``, twice as many harmonics (at most
  ``2 * MAX_HARMONICS``) of ``f / 2`` explain :data:`HALF_FIT_SHARE` of the
  energy more than ``f``'s own, not counting the half's first partial (where
  rumble, hum and breath lie), and the strongest of the added odd ones holds
  :data:`ODD_PARTIAL_SHARE` of their energy: a partial, not the energy that
  jitter and shimmer spread between all of them; or, where the waveform
  repeats clearly better at twice the period (:data:`CLEAR_EXCESS`), the
  half's odd partials, its first counted, explain :data:`CLEAR_ODD_SHARE`;
  or its first partial alone explains :data:`HALF_FIT_SHARE`, a peak standing
  clear of the spectrum around it (:data:`FIRST_PARTIAL_DB`: not rumble's or
  breath's spread power).

Where half the number has more periods than that, the spectrum resolves the
half's partials, and the spectrum alone decides (:func:`fraction_by_partials`): a
tone whose fundamental is missing and whose odd partials are buried in noise
reads an octave high, and its odd partials, found where the half's odd
harmonics lie, say that the fundamental is half. In loud noise such a tone
can read at its third partial, with the 6th; the third's own partials (its
1st, 2nd, 4th, 5th, ...) say so in the same way. A voice whose 4th partial
sits on a formant, its 2nd and 3rd weak, reads at that partial in pink
noise; the quarter's own partials (its 1st, 5th, ...) say so.

Odd harmonics too faint to count one by one (each under -25 dB of the energy) are the sound's own where
together they hold that share, stand clear of the spectrum between the partials, and one of them lies within
17 dB of its even neighbours (:func:`odd_partials_stand`): ``fft`` then reads no octave (a bassoon whose 2nd
partial dominates).

An estimator without a spectrum of its own (the LSTM) may read the octave of a note whose odd partials are too weak
for those fits (a harmonium's low notes, a steel string's decay, 2-3% of the energy), where ``fft``'s own coarse
stage reads the note: :func:`half_by_coarse` halves such a number where that stage reads its half and the waveform
repeats clearly better at twice the number's period. It may also read a note at a strong upper partial (a French
horn's low notes at their 4th..6th): :func:`partial_by_coarse` says by which whole number to divide such a number,
where the coarse stage reads the note near the number over it and the waveform repeats clearly better at the note's
period than at the number's.

Where half the number lies below the lowest f0 the window can measure, neither
check can read the half: :func:`half_below_floor` says whether the waveform
repeats clearly better at twice the number's period, a fundamental too low for
the window (a double bass's E1 at the default window): the estimators say
``out_of_range`` there rather than the octave.

Example
-------
>>> import numpy as np
>>> from streamfreq.estimators.base import centred_unit_peak
>>> from streamfreq.estimators.harmonic import padded_power, spectrum
>>> from streamfreq.signals import harmonic_tone
>>> odd_weak = [0.05, 1.0, 0.1, 0.5, 0.0, 0.2, 0.4]  # 52 Hz: its odd harmonics hold 12%, most in the 7th
>>> y, _ = centred_unit_peak(harmonic_tone(2048, 48000.0, 52.0, odd_weak, seed=1)[None])
>>> omega = np.array([2 * np.pi * 104.0 / 48000.0])  # read an octave high
>>> bool(checked(omega, 2048).all()), half_fundamental(y, omega, padded_power(y), 48000.0).tolist()
(True, [0])
>>> missing = harmonic_tone(2048, 48000.0, 458.0, [0.0, 1.0, 0.2, 0.2, 0.3, 0.2], seed=1)  # no fundamental
>>> spec = spectrum(centred_unit_peak(missing[None])[0])
>>> omega = 2 * np.pi * np.array([458.0, 916.0]) / 48000.0  # right, and an octave high
>>> fraction_by_partials(spec.rows(np.array([0, 0])), omega, 2048, 2).tolist()
[False, True]
"""

from __future__ import annotations

import math

import numpy as np

from streamfreq.estimators.base import WHOLE_OVERLAP, lag_correlation, whole_repeats
from streamfreq.estimators.harmonic import (
    BINS_PER_OCTAVE,
    CLEAR_LOG_SNR,
    DETECT_LOG_SNR,
    MAX_HARMONICS,
    MIN_OVERLAP,
    PARTIAL_HARMONICS,
    PARTIAL_REACH,
    PERIOD_CUTOFF_HZ,
    Coarse,
    Spectrum,
    coarse_fundamental,
    correlation_at_period,
    double_period_excess,
    find_partials,
    search_partials,
    spectrum,
)
from streamfreq.estimators.harmonic_fit import harmonic_fit_by_order
from streamfreq.estimators.partial_fit import MINOR_SHARE
from streamfreq.estimators.two_notes import louder_multiple

#: A number is checked where half of it has at most this many periods in the window (the spectrum resolves the
#: partials of a fundamental with more), and at least ``1 / (1 - MIN_OVERLAP)``: the autocorrelation is read at
#: lags up to half the window, as everywhere.
DOUBLE_PERIODS = 8.0
#: The odd harmonics of half the number (its 3rd, 5th, ...) must explain at least this share of the window's energy
#: for the fundamental to be half. A rendered double bass's 52 Hz note, read at 104 Hz, gains 3.7-6.4% by them;
#: right windows of the pitch benchmark's notes and harmonic tones at most 3.7% (measured with the half's own
#: first partial counted, which is now left out).
HALF_FIT_SHARE = 0.03
#: ...and the strongest of them must hold at least this share of their energy: a partial's, as the double bass's
#: 7th holds 60-84% of it, and not energy spread between all the partials, as a low voice's jitter and shimmer leave
#: (up to 20% of a right window, spread).
ODD_PARTIAL_SHARE = 0.5
#: ...unless the waveform repeats this much better at twice the period than at it (the autocorrelation's excess,
#: about twice the share of the energy the half's odd harmonics hold in a steady sound: 0.16 for the 8% asked, less
#: a quarter for a real note's decay and stretched partials, which lower its repetition) and those harmonics explain
#: :data:`CLEAR_ODD_SHARE` of the window: several strong odd partials share their energy, as FluidR3's double bass
#: E1 (41.2 Hz) read at 82 Hz, its 3rd, 5th and 7th 10-13 dB under the 2nd, does (excess 0.23-0.32, 11-15% of the
#: energy, the strongest 38-52% of it). Here the half's first partial counts with them: where the waveform repeats
#: that clearly at the half's period, energy at the half's own frequency is its fundamental, not rumble. A recorded
#: piano's C2 (65.4 Hz; ``benchmarks/samples.py``), read at 131 Hz in a 2048-sample window at 44.1 kHz, repeats
#: 0.25-0.48 better at twice the period and holds 6-16% in its fundamental (9 dB under its loudest partial, the
#: 6th) but only 5-7% in its 3rd, 5th, ..., spread between them. A creaky frame of espeak-ng's male voice repeats
#: as much better at twice its period (0.27) with only 4-5% in odd harmonics: its waveform changes from period to
#: period, and both peers read its period; with an excess of 0.15 and no share, a few frames of the synthetic
#: voice were halved too. At 0.12 rather than 0.2 the recorded notes read 95.6% rather than 95.3% (the organ, the
#: piano, the double bass and the nylon guitar gain), one frame of espeak-ng's low male voice is halved.
CLEAR_EXCESS = 0.12
#: See :data:`CLEAR_EXCESS`. 0.06 rather than 0.08 halves a recorded nylon guitar's B1 (61.7 Hz, its 5th, 7th and 9th
#: partials 15-19 dB under its 4th: 5.5-6.7% of the energy at an excess of 0.12-0.13, as a steady sound's 6% gives)
#: in 8 more of its windows; over all the recorded notes (`benchmarks/samples.py`) raw pitch 95.6 -> 95.8% (the organ
#: 78.7 -> 81.2%), the pitch benchmark's harmonic tones 99.0 -> 99.2%; espeak-ng's creaky frames (4-5%) stay.
CLEAR_ODD_SHARE = 0.06
#: The fits run only where the window's Hann power spectrum holds at least this share of its power within a bin of
#: the half's odd harmonics, its 1st counted (:data:`FIRST_PARTIAL_DB`): a partial keeps 93-98% of its power there,
#: so a window below it cannot gain :data:`HALF_FIT_SHARE` by them. It rules out steady tones cheaply (the fits cost
#: 0.6 ms a window on the LSTM's numbers, which have no fit of their own to go by).
ODD_SPECTRUM_SHARE = HALF_FIT_SHARE / 2
#: Where the half's odd partials from its 3rd up are too weak, its first partial alone says the fundamental is half
#: where it holds :data:`HALF_FIT_SHARE` of the window and stands this far (dB) over the median of the spectrum from
#: 0.3 to 0.7 of its frequency below and above it, as a peak: a partial, where rumble and breath spread their power
#: over the bins around. A voice whose 2nd partial sits on a formant, its fundamental and 3rd 10..20 dB under it, in
#: brown rumble or pink noise 10 dB below it (``benchmarks/conditions.py``), was read at the 2nd: the noise buries
#: its odd partials from the 5th up and the 3rd holds under 1% of the window. The halves' first partials of those
#: windows stand 9..27 dB over that median (5th..95th percentile; median 14 dB); where a low voice is read right,
#: rumble's lone peaks at its half (48..97 Hz) stand at most 7 dB (95th percentile). Over that benchmark's voice at
#: 8 draws through 9 of its conditions (70,416 voiced windows), ``fft``'s numbers an octave high 402 → 122 (278 now
#: right, 2 without a number), the LSTM's 96 → 79, and no other window moved.
FIRST_PARTIAL_DB = 10.0
#: ...where the half has at least this many periods in the window (93.75 Hz at 2048 / 48 kHz): below it lie rumble's
#: lone peaks, and the spectrum around the half there is the skirt of the number's own fundamental.
FIRST_PARTIAL_CYCLES = 4.0

#: A number whose odd partials lie from its 5th up only is a sub-octave (:func:`odd_partials_elsewhere`): its 1st and
#: 3rd together hold under ``MINOR_SHARE`` (-25 dB) of the window and under this share of all its odd ones...
ELSEWHERE_LOW_RATIO = 0.1
#: ...which hold at least this share of the window: another note's partials that fall on the number's odd multiples
#: (a second voice or instrument a third, a fourth or a fifth from the note: their common fundamental's 5th or 15th
#: harmonic), which a sound of its own would not leave without its 1st and 3rd. A bassoon whose odd partials all lie
#: 27..29 dB under its 2nd has none that strong: its own are read by :func:`odd_partials_stand`. Over
#: ``benchmarks/conditions.py``'s voice at 8 draws through 9 of its conditions, ``fft``'s numbers an octave low with
#: another voice 20 dB below 210 → 184, and no other window moved.
ELSEWHERE_ODD_SHARE = 0.01
#: ...one partial holding at least this share of their power: another note's lie apart on the number's odd multiples
#: (its 5th and 15th), where a sound of its own whose 1st and 3rd a recording lost keeps a series of them (a recorded
#: organ's A1 at 55 Hz, its 1st and 3rd 35..60 dB under its 8th, holds its 5th, 7th, 9th, 11th and 13th within 10..15
#: dB of each other, the 9th 60% of them)...
ELSEWHERE_PARTIAL_SHARE = 0.8
#: ...in a window its fit leaves less than this share of (a clean one: in loud noise a tone without its fundamental
#: may hide its 3rd under the noise, and keep its 5th).
ELSEWHERE_UNEXPLAINED = 0.1
#: The odd harmonic numbers :func:`odd_partials_elsewhere` looks at.
_ODD_NUMBERS = np.arange(1, 2 * MAX_HARMONICS, 2)


#: One of the half's odd partials must hold this share (-17 dB) of the mean power of its two even neighbours for the
#: odd ones to be the sound's own (:func:`odd_partials_stand`): a real sound's partials vary smoothly along the
#: series (Klapuri's spectral smoothness), while an overblown flute note keeps partials of the fingered note an
#: octave below 19..25 dB under its own (``tests/test_harmonic.py``), another note's. MuseScore General's bassoon at
#: 208 Hz, whose 2nd partial dominates, has one 4..14.5 dB under its neighbours.
SMOOTH_SHARE = 10 ** (-17 / 10)


#: A number below twice the lowest f0 a window can measure is out of its range where the window repeats at twice the
#: number's period at least this well (the normalised correlation of its first and last ``N - lag`` samples)...
BELOW_FLOOR_REPEATS = 0.9
#: ...and better than at the number's own period by more than this: the fundamental is half the number, too low for
#: the window. MuseScore General's E1 and D1 (41.2 and 36.7 Hz; 1.7..1.9 periods in the default window at 44.1
#: kHz), read at their octave, repeat there at 0.97..1.0 against 0.57..0.74 at the number; a steady tone repeats at
#: twice its period about as well as at it. FluidR3's piano and double bass E1, whose odd partials are stronger,
#: repeat 0.15..0.3 better there (the piano 0.96 against 0.79). Creaky frames of espeak-ng's low male voice (80 Hz)
#: repeat better at twice their period too, where pyin and SwiftF0 (which read down to 40 and 47 Hz) agree on 80 Hz:
#: a margin of 0.1 took 7 such frames, 0.15 five, 0.3 two; a note whose odd partials are weak (the waveform nearly
#: repeats at the number) keeps its octave.
BELOW_FLOOR_MARGIN = 0.15
#: Lags are read at their best within this fraction of the period: a pitch that drifts a little moves the peak.
_LAG_REACH = 0.02
#: From this share of the window up, twice a number's period is read from the whole window's repetition
#: (:func:`~streamfreq.estimators.base.whole_repeats`) as well as from the spectrum, and the larger excess counts: the
#: Hann-windowed spectrum's autocorrelation is divided by the window's own, which falls to 0.33 of its peak at 0.4 of
#: the window and 0.17 at half of it, so noise and a note's decay swamp it there. A recorded double bass's F♯1 (46.2
#: Hz) read at its octave repeats 0.12-0.35 better at twice the number's period over the whole window, but reads an
#: excess of -0.03..0 (or none: -inf) from the spectrum.
WHOLE_EXCESS_LAG = 0.4
#: ...less this, where the whole window's repetition reads it: two stretches of a steady sound's waveform half a
#: window apart repeat within a few hundredths of each other at the period and twice it (TimGM6mb's string ensemble
#: at 104 Hz, its partials smeared by the ensemble's detuning, 0.00..0.03 better at twice its period), while a note
#: an octave below the number repeats 0.12 and more better there.
WHOLE_EXCESS_MARGIN = 0.05


#: :func:`half_by_coarse` halves a number where the window repeats at least this much better at twice its period
#: (:func:`double_excess`)...
HALF_COARSE_EXCESS = 0.04
#: ...and ``fft``'s coarse stage reads the note within this many cents of half the number. Over the LSTM's numbers
#: of the recorded notes (``benchmarks/samples.py``) that half of them has 2 to 8 periods in the window, 890 an octave
#: high (the harmonium's, the organ's, the nylon guitar's low notes), the coarse stage reads the half of 529 (99%
#: of them within 27 cents) and of 13 right numbers (a tuba's); the octave-high ones repeat 0.058 and more (19 in
#: 20) better at twice their period, the right ones at most 0.02 better.
HALF_COARSE_CENTS = 50.0
#: ...and the window repeats at twice the number's period at least this well
#: (:func:`~streamfreq.estimators.base.whole_repeats`): a steady note does (the octave-high numbers above at 0.92 and
#: more, 19 in 20)...
HALF_COARSE_REPEATS = 0.9
#: ...and the half's odd harmonics explain at least this share of the window more than the number's own harmonics
#: (as :func:`half_fundamental` fits them; it asks :data:`HALF_FIT_SHARE`): the octave-high numbers above gain 1.4%
#: and more (19 in 20, median 3.3%). A voice in pink noise or brown rumble 10 dB below it (``benchmarks/conditions.py``,
#: three draws) read right, whose waveform the noise's low partials make repeat 0.05-0.16 better at twice its period
#: and whose half the coarse stage reads among the noise's peaks, repeats at 0.73-0.93 there and gains at most 2.1%,
#: never both past these bars (16 such windows were halved with 0.7 and no gain asked; 496 of the 515 octave-high
#: windows read right by that are still halved). Harmonic tones in noise as loud as themselves (``pitch.py``'s
#: material n) repeat at 0.5 and less.
HALF_COARSE_GAIN = 0.01


#: :func:`partial_by_coarse` divides a number by the whole number ``k`` (2 up to this) that puts it on ``fft``'s coarse
#: reading of the note, within :data:`HALF_COARSE_CENTS`: a network that hears a tone of partials 10..17 alike (a
#: residue pitch, no partial near the fundamental) reads the middle of them, 90 Hz at 1229 Hz (the 14th). Up to the
#: 8th (before), that tone read 1229 Hz ``ok`` in every window; up to the 17th it reads 90 Hz, espeak-ng's low male
#: voice 91.6 → 91.8% and the recorded organ 83.8 → 83.9% (the LSTM), and nothing else measured moved...
PARTIAL_MAX = 17
#: ...where the window repeats at the coarse reading's period at least this well
#: (:func:`~streamfreq.estimators.base.whole_repeats`)...
PARTIAL_REPEATS = 0.9
#: ...and better than at the number's own period by more than this: a period repeats at least as well as any multiple
#: of it, so a number the waveform repeats clearly better at a multiple of is that multiple's partial. Over the LSTM's
#: numbers of the recorded notes (``benchmarks/samples.py``, 61,748 windows), 170 read a partial the coarse stage
#: places at the 2nd..8th (a harp's D2 at its 3rd, the French horn's A1 and C2 at their 4th and 6th, a piano's and
#: an organ's low notes) and pass these bars (read at ``k`` times the number's period), none of the right ones; at a
#: margin of 0 also 49 right ones (high notes of a harp, a flute, a piano, whose windows repeat alike at the period
#: and twice it); at 0.1, 157 and none.
PARTIAL_MARGIN = 0.05
#: The note's period is looked for within 40 cents of the coarse reading's, in steps of 10: the coarse stage reads a
#: pitch to a quarter of a semitone or so, and a rich low note repeats well only within a few samples of its period.
_COARSE_STEPS = 2.0 ** (np.arange(-40.0, 41.0, 10.0) / 1200.0)


#: Where the half's partials are resolved, its fundamental is half where at least this many of its odd harmonics 1, 3,
#: 5, 7 and 9 (the lowest: the least moved by a stiff string's inharmonicity and by vibrato; the 1st counts since the
#: half lies above 187.5 Hz at 2048 / 48 kHz, clear of rumble and mains hum, and a voice in pink noise may keep
#: only its fundamental and the partial on a formant) are found as spectral peaks...
ODD_PARTIALS = 2
#: ...each within this many bins of the window of its place (the half's harmonic number times the number's half):
#: partials of a missing-fundamental tone lie within 0.4 bins of theirs at 0..10 dB SNR, the peaks that a
#: reverberant voice's smeared partials leave between its own mostly a bin and more away...
RESOLVED_OFFSET_BINS = 0.5
#: ...and together holding :data:`HALF_FIT_SHARE` of the energy of all the half's partials found up to its 9th
#: harmonic: a flute's overblown note keeps partials of the fingered note an octave below 20-40 dB down, 0.6% of it.
_HALF_HARMONICS = 9
#: One such partial alone will do where it stands ``DETECT_LOG_SNR`` (13 dB) over its floor and every clear peak
#: is a harmonic of the fraction; this far (log power, 10 dB) where the number has a second partial of its own
#: standing as far (a chance peak of noise next to a lone sine passes 10 dB in 1 of a few hundred windows, not
#: twice). A tone without its fundamental in loud noise (-5..0 dB), read at its 2nd partial, keeps its 3rd 10..18
#: dB over the floor, as high as its 4th.
LONE_PARTIAL_LOG_SNR = math.log(10.0)
#: ...or where the window repeats at the fraction's period at this much or more and this much better than at the
#: number's, each over the band of its own partials up to the fraction's 9th harmonic
#: (:func:`~streamfreq.estimators.harmonic.correlation_at_period`): a voice singing "a" at 480 Hz holds its 2nd
#: partial 7 dB over its fundamental and the others 28 dB and more below; in pink noise as loud as itself, read at
#: the 2nd partial, its fundamental stands 10..12 dB over its floor and the window repeats 0.7..0.9 at its period,
#: 0.05..0.15 better than at the number's. A sine repeats as well at twice its period as at it, and in white noise
#: at -10 dB per-sample SNR, where chance margins are wide, below 0.7 over that band.
FRACTION_REPEATS, FRACTION_REPEATS_MARGIN = 0.7, 0.05


def checked(omega0: np.ndarray, n: int) -> np.ndarray:
    """Which numbers ``omega0`` (rad/sample) of windows of ``n`` the check applies to: half of them has
    ``1 / (1 - MIN_OVERLAP)`` .. :data:`DOUBLE_PERIODS` periods in the window (93.75..375 Hz at 2048 / 48 kHz).
    """
    periods = omega0 * (0.25 * n / np.pi)  # of half the number, in the window
    return (periods * (1.0 - MIN_OVERLAP) >= 1.0) & (periods <= DOUBLE_PERIODS)


def resolved(omega0: np.ndarray, n: int, divisor: int = 2) -> np.ndarray:
    """Which numbers ``omega0`` (rad/sample) of windows of ``n`` have a ``divisor``-th (half, third, quarter) whose
    partials the spectrum resolves: more than :data:`DOUBLE_PERIODS` periods of it in the window (above 375, 562.5
    and 750 Hz for the half, third and quarter at 2048 / 48 kHz)."""
    return omega0 * (0.5 * n / (np.pi * divisor)) > DOUBLE_PERIODS


def fraction_by_partials(spec: Spectrum, omega0: np.ndarray, n: int, divisor: int) -> np.ndarray:
    """Which windows (read at ``omega0`` rad/sample; ``spec`` their spectra, windows of ``n``) have their
    fundamental at ``1 / divisor`` of the number by that fraction's own partials: its harmonics 1..9 that are not
    multiples of ``divisor`` (the half's 1, 3, 5, 7, 9; the third's 1, 2, 4, 5, 7, 8) found within
    :data:`RESOLVED_OFFSET_BINS` of their places, holding :data:`HALF_FIT_SHARE` of the energy of all the
    fraction's partials found up to its 9th harmonic; at least :data:`ODD_PARTIALS` of them, or one standing
    13 dB (:data:`LONE_PARTIAL_LOG_SNR`, 10 dB, beside a second partial of the number's or where the window
    repeats clearly better at the fraction's period: :data:`FRACTION_REPEATS`) over its floor where
    every peak that stands ``CLEAR_LOG_SNR`` over its floor is a harmonic of the fraction (a second tone, as a
    major third above the number, puts one such partial there too, and peaks of its own between). A tone
    without its fundamental in loud noise, read at its 2nd partial, may keep only its 3rd out of the noise,
    10..18 dB over its floor.
    """
    fraction = omega0 / (2.0 * np.pi * divisor)  # cycles/sample
    found = search_partials(spec, fraction, _HALF_HARMONICS, n, PARTIAL_REACH)
    numbers = np.arange(1, _HALF_HARMONICS + 1)
    own = numbers[numbers % divisor != 0]  # harmonics of the fraction that the number's cannot explain
    places = np.outer(fraction, own)
    with np.errstate(invalid="ignore"):  # nan where a partial is not found: not near
        near = np.abs(found.frequency[:, own - 1] - places) * n < RESOLVED_OFFSET_BINS
    odd = np.where(near, found.energy[:, own - 1], 0.0).sum(axis=1)
    every = np.where(np.isfinite(found.frequency), found.energy, 0.0).sum(axis=1)
    lowered = (near.sum(axis=1) >= ODD_PARTIALS) & (odd >= HALF_FIT_SHARE * every)
    # from 10 dB where the number has a partial of its own beyond its first (a tone, not a lone sine), or where the
    # window repeats clearly better at the fraction's period than at the number's, else 13 dB
    series = (found.log_snr[:, numbers[2 * divisor - 1 :: divisor] - 1] > LONE_PARTIAL_LOG_SNR).any(axis=1)
    maybe = np.flatnonzero(~series & (near & (found.log_snr[:, own - 1] > LONE_PARTIAL_LOG_SNR)).any(axis=1))
    if len(maybe):
        series[maybe] = _repeats_better_at_fraction(spec.power[maybe], n, fraction[maybe], divisor)
    standing = found.log_snr[:, own - 1] > np.where(series, LONE_PARTIAL_LOG_SNR, DETECT_LOG_SNR)[:, None]
    alone = np.flatnonzero(~lowered & (near & standing).any(axis=1))
    alone = alone[odd[alone] >= HALF_FIT_SHARE * every[alone]]
    if len(alone):
        lowered[alone] = _series_of(spec.rows(alone), fraction[alone])
    return lowered


def _repeats_better_at_fraction(power: np.ndarray, n: int, fraction: np.ndarray, divisor: int) -> np.ndarray:
    """Whether each window (``power``: its padded power spectrum; windows of ``n``) repeats at the period of its
    ``fraction`` (cycles/sample) at :data:`FRACTION_REPEATS` or more and :data:`FRACTION_REPEATS_MARGIN` better than
    at the period of ``divisor`` times it, each over the band of its own partials up to the fraction's 9th."""
    band = np.full(len(fraction), _HALF_HARMONICS)
    at_fraction = correlation_at_period(power, n, fraction, band)
    at_number = correlation_at_period(power, n, divisor * fraction, band // divisor)
    return (at_fraction >= FRACTION_REPEATS) & (at_fraction - at_number >= FRACTION_REPEATS_MARGIN)


def _series_of(spec: Spectrum, f0: np.ndarray) -> np.ndarray:
    """Whether every peak of each spectrum ``spec`` that stands ``CLEAR_LOG_SNR`` over its floor lies near a
    harmonic of ``f0`` (cycles/sample): within 1.5 steps of the salience's grid, at least two padded bins, and never
    as far as 0.3 of ``f0`` (as :func:`~streamfreq.estimators.harmonic.search_partials` looks for partials)."""
    padded_f0 = f0 * (2 * (spec.power.shape[1] - 1))  # in padded bins
    rows, peaks = np.nonzero(spec.peak_log - spec.band_floor[:, spec.bin_band] > CLEAR_LOG_SNR)  # -inf off peaks
    number = np.rint(peaks / padded_f0[rows])
    reach = np.minimum(np.maximum(peaks * (2.0 ** (1.5 / BINS_PER_OCTAVE) - 1.0), 2.0), 0.3 * padded_f0[rows])
    stray = (number < 1) | (np.abs(peaks - number * padded_f0[rows]) > reach)
    return np.bincount(rows[stray], minlength=len(f0)) == 0


def half_fundamental(
    y: np.ndarray,
    omega0: np.ndarray,
    power: np.ndarray,
    samplerate: float,
    steps: int = 2,
    unexplained: np.ndarray | None = None,
    excess: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of the windows ``y`` (centred, unit peak; read at ``omega0`` rad/sample; ``power`` their padded
    power spectra, :func:`~streamfreq.estimators.harmonic.padded_power`) whose fundamental is half the number
    (see the module docstring).

    ``unexplained``, where the caller has it, is the share of each window's energy its own fit leaves: below
    :data:`HALF_FIT_SHARE` no fit at the half can gain that share, so those windows are not fitted (nor are
    those the band-limited fit at the number leaves less to). ``steps``: the Newton steps of the two fits
    (:func:`~streamfreq.estimators.harmonic_fit.harmonic_fit`). ``excess``: :func:`double_excess` of the windows,
    where the caller has it.
    """
    n = y.shape[1]
    test = np.ones(len(omega0), dtype=bool) if unexplained is None else unexplained >= HALF_FIT_SHARE
    if excess is None:
        excess = np.full(len(omega0), -np.inf)
        excess[test] = double_excess(y[test], omega0[test], power[test], samplerate)
    test = np.flatnonzero(test & (excess >= 0.0))
    band = period_band(omega0[test] / (2.0 * np.pi), samplerate)
    keep = odd_power_share(power[test], n, omega0[test] / (2.0 * np.pi), band, first=1) >= ODD_SPECTRUM_SHARE
    test, band = test[keep], band[keep]
    if not len(test):
        return test
    own = harmonic_fit_by_order(y[test], omega0[test], band, steps).energy.sum(axis=1)
    total = np.einsum("ij,ij->i", y[test], y[test])
    room = np.flatnonzero(total - own >= HALF_FIT_SHARE * total)  # no gain can reach the share elsewhere
    test, band, own, total = test[room], band[room], own[room], total[room]
    if not len(test):
        return test
    halves, gain = _fit_at_half(y[test], omega0[test], band, own, steps)
    odd = halves[:, 2::2]  # the half's 3rd, 5th, ... harmonics
    partial = odd.max(axis=1) >= ODD_PARTIAL_SHARE * odd.sum(axis=1)
    clear = (excess[test] >= CLEAR_EXCESS) & (gain + halves[:, 0] >= CLEAR_ODD_SHARE * total)
    keep = (gain >= HALF_FIT_SHARE * total) & (partial | clear)
    lone = omega0[test] * (0.25 * n / np.pi) >= FIRST_PARTIAL_CYCLES  # the half's periods in the window
    first = np.flatnonzero(~keep & lone & (halves[:, 0] >= HALF_FIT_SHARE * total))
    if len(first):
        keep[first] = _first_partial_stands(power[test[first]], n, omega0[test[first]] / (4.0 * np.pi))
    return test[keep]


def _first_partial_stands(power: np.ndarray, n: int, half: np.ndarray) -> np.ndarray:
    """Whether each padded power spectrum ``power`` (windows of ``n``) peaks within a bin of the window of ``half``
    (cycles/sample), :data:`FIRST_PARTIAL_DB` over its median from 0.3 to 0.7 of that frequency below and above it."""
    nfft = 2 * (power.shape[1] - 1)
    reach = nfft // n  # padded bins per bin of the window
    places = half * nfft
    index = np.rint(places).astype(np.int64)[:, None] + np.arange(-reach - 1, reach + 2)
    near = np.take_along_axis(power, index, axis=1)
    top = near[:, 1:-1].argmax(axis=1) + 1
    rows = np.arange(len(half))
    peak = near[rows, top]
    around = [
        np.median(np.concatenate((row[int(0.3 * at) : int(0.7 * at) + 1], row[int(1.3 * at) : int(1.7 * at) + 1])))
        for row, at in zip(power, places.tolist(), strict=True)
    ]
    rising, falling = peak > near[rows, top - 1], peak > near[rows, top + 1]  # a peak, not a lobe's slope
    return rising & falling & (peak >= 10.0 ** (FIRST_PARTIAL_DB / 10.0) * np.array(around))


def _fit_at_half(
    y: np.ndarray, omega0: np.ndarray, band: np.ndarray, own: np.ndarray, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(energies, gain)``: the energy each of twice ``band`` harmonics of half the number ``omega0`` (rad/sample)
    explains in each window ``y``, and what those from the half's 2nd on explain more than the number's own ``band``
    harmonics (``own``, their energy): the gain of its odd ones, not counting the half's first partial."""
    halves = harmonic_fit_by_order(y, 0.5 * omega0, 2 * band, steps).energy
    return halves, halves[:, 1:].sum(axis=1) - own


def double_excess(y: np.ndarray, omega0: np.ndarray, power: np.ndarray, samplerate: float) -> np.ndarray:
    """How much better each window ``y`` (read at ``omega0`` rad/sample; ``power`` its padded power spectrum)
    repeats at twice the number's period than at it: from the spectrum
    (:func:`~streamfreq.estimators.harmonic.double_period_excess`), and where twice the period is
    :data:`WHOLE_EXCESS_LAG` of the window or more and that is not :data:`CLEAR_EXCESS`, from the whole window's
    repetition less :data:`WHOLE_EXCESS_MARGIN`, whichever is larger."""
    n = y.shape[1]
    excess = double_period_excess(power, n, min(0.5, PERIOD_CUTOFF_HZ / samplerate), omega0 / (2.0 * np.pi))
    period = 2.0 * np.pi / omega0
    long = np.flatnonzero((2.0 * period >= WHOLE_EXCESS_LAG * n) & ~(excess >= CLEAR_EXCESS))
    if len(long):  # the whole window's repetition reads a long double lag where the spectrum's cannot
        whole = whole_repeats(y[long], 2.0 * period[long]) - whole_repeats(y[long], period[long])
        excess[long] = np.fmax(excess[long], whole - WHOLE_EXCESS_MARGIN)
    return excess


def half_by_coarse(
    y: np.ndarray, omega0: np.ndarray, excess: np.ndarray, samplerate: float, steps: int = 2
) -> np.ndarray:
    """Which windows ``y`` (centred, unit peak; read at ``omega0`` rad/sample) repeat at least
    :data:`HALF_COARSE_EXCESS` better at twice the number's period than at it (``excess``: :func:`double_excess`),
    and at :data:`HALF_COARSE_REPEATS` or more there, whose fundamental ``fft``'s coarse stage
    (:func:`~streamfreq.estimators.harmonic.coarse_fundamental`) reads within :data:`HALF_COARSE_CENTS` of half the
    number, and where the half's odd harmonics explain :data:`HALF_COARSE_GAIN` of the window (as
    :func:`half_fundamental` fits them, ``steps`` Newton steps): a note whose odd partials are too weak for
    :func:`half_fundamental`, read an octave high by an estimator without a spectrum of its own.

    Example
    -------
    >>> from streamfreq.estimators.base import centred_unit_peak
    >>> from streamfreq.estimators.harmonic import padded_power
    >>> from streamfreq.signals import harmonic_tone
    >>> weak_odd = [0.06, 1, 0.05, 0.3, 0.1, 0.2, 0.08, 0.1, 0.06, 0.05, 0.05, 0.03]  # odd partials: 2.4% of the energy
    >>> tone = harmonic_tone(2048, 44100.0, 82.4, weak_odd) + 0.003 * np.random.default_rng(0).standard_normal(2048)
    >>> y, _ = centred_unit_peak(tone[None])
    >>> omega, power = np.array([2 * np.pi * 164.8 / 44100.0]), padded_power(y)  # read an octave high
    >>> excess = double_excess(y, omega, power, 44100.0)  # 0.048
    >>> half_fundamental(y, omega, power, 44100.0).tolist(), half_by_coarse(y, omega, excess, 44100.0).tolist()
    ([], [True])
    """
    n = y.shape[1]
    half = np.zeros(len(y), dtype=bool)
    rows = np.flatnonzero(excess >= HALF_COARSE_EXCESS)
    rows = rows[whole_repeats(y[rows], 4.0 * np.pi / omega0[rows]) >= HALF_COARSE_REPEATS]
    if len(rows):
        coarse = coarse_fundamental(spectrum(y[rows]), n, samplerate).f0
        rows = rows[np.abs(1200.0 * np.log2(coarse * 4.0 * np.pi / omega0[rows])) < HALF_COARSE_CENTS]
    if len(rows):
        band = period_band(omega0[rows] / (2.0 * np.pi), samplerate)
        own = harmonic_fit_by_order(y[rows], omega0[rows], band, steps).energy.sum(axis=1)
        gain = _fit_at_half(y[rows], omega0[rows], band, own, steps)[1]
        half[rows] = gain >= HALF_COARSE_GAIN * np.einsum("ij,ij->i", y[rows], y[rows])
    return half


def partial_by_coarse(y: np.ndarray, omega0: np.ndarray, samplerate: float) -> tuple[np.ndarray, np.ndarray]:
    """Which numbers (windows ``y``, centred, unit peak; read at ``omega0`` rad/sample) lie on a partial of the note:
    ``(divisor, withheld)`` per window.

    ``fft``'s coarse stage (:func:`~streamfreq.estimators.harmonic.coarse_fundamental`) reads the note near the
    number over a whole number ``k`` = 2..:data:`PARTIAL_MAX`, the window repeats at the note's period (its best lag
    within 40 cents of the coarse reading's) at :data:`PARTIAL_REPEATS` or more, more than :data:`PARTIAL_MARGIN`
    better than at the number's own, and one note sounds around the number (:func:`_one_note_around`): an estimator
    without a spectrum of its own read the note at a strong upper partial (a French horn's low notes, their 4th..6th
    partials the loudest). ``divisor`` is ``k`` where the number over ``k`` lies within :data:`HALF_COARSE_CENTS` of
    the coarse reading (1 elsewhere); ``withheld`` is True where it does not (the number is too far off its partial
    to be divided).

    Example
    -------
    >>> from streamfreq.estimators.base import centred_unit_peak
    >>> from streamfreq.signals import harmonic_tone
    >>> horn = harmonic_tone(2048, 44100.0, 55.0, [0.001, 0.02, 0.3, 1.0, 0.9, 0.8, 0.4, 0.2])  # A1, 4th..6th loudest
    >>> y, _ = centred_unit_peak(np.stack([horn, horn, horn]))
    >>> divisor, withheld = partial_by_coarse(y, 2 * np.pi * np.array([330.0, 55.0, 345.0]) / 44100.0, 44100.0)
    >>> divisor.tolist(), withheld.tolist()  # read at its 6th partial, at the note, 79 cents above its 6th
    ([6, 1, 1], [False, False, True])
    """
    n = y.shape[1]
    divisor, withheld = np.ones(len(y), dtype=np.int64), np.zeros(len(y), dtype=bool)
    if not len(y):
        return divisor, withheld
    coarse = coarse_fundamental(spectrum(y), n, samplerate)
    note = coarse.f0
    ratio = omega0 / (2.0 * np.pi) / note
    k = np.rint(ratio).astype(np.int64)
    rows = np.flatnonzero((k >= 2) & (k <= PARTIAL_MAX))
    if len(rows):
        own = whole_repeats(y[rows], 2.0 * np.pi / omega0[rows])
        at = np.max([whole_repeats(y[rows], step / note[rows]) for step in _COARSE_STEPS], axis=0)
        with np.errstate(invalid="ignore"):  # nan: a period too long for the window
            rows = rows[(at >= PARTIAL_REPEATS) & (at > own + PARTIAL_MARGIN)]
    if len(rows):
        rows = rows[_one_note_around(coarse.rows(rows), k[rows], n)]
        near = np.abs(1200.0 * np.log2(ratio[rows] / k[rows])) < HALF_COARSE_CENTS
        divisor[rows[near]] = k[rows[near]]
        withheld[rows[~near]] = True
    return divisor, withheld


def _one_note_around(coarse: Coarse, k: np.ndarray, n: int) -> np.ndarray:
    """Which windows (``coarse``: what the coarse stage read of them) hold one note at the coarse fundamental, whose
    ``k``-th partial the number is: a partial found next to it, at ``k + 1`` times the fundamental (or ``k - 1`` for
    ``k`` of 3 and more: the fundamental itself may be weak), and the partials found are not two notes' in a simple
    ratio (:func:`~streamfreq.estimators.two_notes.louder_multiple`). Two notes a third or a fourth apart, a legato
    melody's last one still ringing under the new one, repeat at their common fundamental's period, and an estimator
    reading one of them reads that fundamental's ``p``-th or ``q``-th partial; a single note fills the harmonic
    numbers in between."""
    partials = find_partials(coarse, coarse.f0, PARTIAL_HARMONICS, n)
    found = partials.energy > 0
    rows = np.arange(len(k))
    above = found[rows, np.minimum(k, PARTIAL_HARMONICS - 1)]
    below = found[rows, np.maximum(k - 2, 0)] & (k >= 3)
    return (above | below) & (louder_multiple(coarse, coarse.f0, partials, n) == 1)


def period_band(f0: np.ndarray, samplerate: float) -> np.ndarray:
    """How many harmonics of each number ``f0`` (cycles/sample) lie below ``PERIOD_CUTOFF_HZ`` (where the checks
    read a waveform's repetition and its odd partials), at least 1 and at most :data:`MAX_HARMONICS`."""
    cutoff = min(0.5, PERIOD_CUTOFF_HZ / samplerate)
    return np.clip(np.floor(cutoff / f0), 1, MAX_HARMONICS).astype(np.int64)


def odd_power_share(power: np.ndarray, n: int, f0: np.ndarray, band: np.ndarray, first: int = 3) -> np.ndarray:
    """Share of each padded power spectrum ``power`` (windows of ``n``, numbers ``f0`` cycles/sample, ``band``
    harmonics of them fitted) within one bin of the window of the half's odd harmonics ``first``, ``first + 2``, ...,
    ``2 band - 1`` (from the 3rd by default: the half's 1st lies where rumble, hum and breath do).

    Example
    -------
    >>> from streamfreq.estimators.harmonic import padded_power
    >>> from streamfreq.signals import harmonic_tone
    >>> octave_up = harmonic_tone(2048, 48000.0, 600.0, [1.0, 0.5])[None]  # read at 300 Hz: none at 300, 900 Hz
    >>> power = padded_power(octave_up)
    >>> round(float(odd_power_share(power, 2048, np.array([600.0 / 48000]), np.array([4]), first=1)[0]), 3)
    0.0
    """
    odd = np.arange(first, 2 * MAX_HARMONICS, 2)
    return _power_near(power, n, np.where(odd < 2 * band[:, None], np.outer(0.5 * f0, odd), np.nan)).sum(axis=1)


def odd_partials_elsewhere(power: np.ndarray, n: int, f0: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Which windows (``power``: their padded power spectra; windows of ``n``) read at ``f0`` (cycles/sample) with
    ``order`` harmonics fitted hold odd partials of the number from its 5th up only: the 1st and 3rd together under
    :data:`~streamfreq.estimators.partial_fit.MINOR_SHARE` of the window's power and under
    :data:`ELSEWHERE_LOW_RATIO` of all its odd ones, which hold :data:`ELSEWHERE_ODD_SHARE` at least,
    :data:`ELSEWHERE_PARTIAL_SHARE` of their power in one partial.

    Example
    -------
    >>> from streamfreq.estimators.harmonic import padded_power
    >>> from streamfreq.signals import harmonic_tone
    >>> voice = harmonic_tone(2048, 48000.0, 320.0, [0.3, 1.0, 0.2, 0.1], seed=1)  # a note at 320 Hz...
    >>> other = harmonic_tone(2048, 48000.0, 800.0 / 3.0, [0.0, 0.0, 0.2], seed=2)  # ...a 6:5 below's 3rd: 800 Hz
    >>> power = padded_power((voice + other)[None])
    >>> odd_partials_elsewhere(power, 2048, np.array([160.0, 320.0]) / 48000.0, np.array([8, 4])).tolist()
    [True, False]
    """
    odd = np.clip(order, 1, 2 * MAX_HARMONICS - 1)[:, None] >= _ODD_NUMBERS
    shares = _power_near(power, n, np.where(odd, np.outer(f0, _ODD_NUMBERS), np.nan))
    low, every = shares[:, :2].sum(axis=1), shares.sum(axis=1)
    partial = shares[:, 2:].max(axis=1, initial=0.0) >= ELSEWHERE_PARTIAL_SHARE * every  # one partial: not a series
    return (low < MINOR_SHARE) & (low < ELSEWHERE_LOW_RATIO * every) & (every - low >= ELSEWHERE_ODD_SHARE) & partial


def odd_partials_stand(power: np.ndarray, n: int, f0: np.ndarray, band: np.ndarray) -> np.ndarray:
    """Whether the half's odd harmonics 1, 3, ..., ``2 band - 1`` of each number ``f0`` (cycles/sample; ``power`` the
    windows' padded power spectra, windows of ``n``) are the sound's own partials, each perhaps too faint to count
    alone: together they hold :data:`~streamfreq.estimators.partial_fit.MINOR_SHARE` (-25 dB) of the power, each
    place holds ``CLEAR_LOG_SNR`` (15 dB) more than a place halfway between two of the half's harmonics does on
    average, and one of them at least :data:`SMOOTH_SHARE` of the mean of its two even neighbours (where those
    stand as clear).

    MuseScore General's bassoon at 208 Hz with vibrato, its 1st, 3rd and 5th 27..29 dB under its 2nd, holds
    -24.6..-21.7 dB at them, 19..23 dB a place over the places between, and an odd partial 4..14.5 dB under its
    neighbours; the synthetic voice in a reverberant room (``benchmarks/pitch.py``, r), whose tail smears the last
    notes' partials everywhere, at most 14.4 dB a place where its odd places hold the share.

    Example
    -------
    >>> from streamfreq.estimators.harmonic import padded_power
    >>> from streamfreq.signals import harmonic_tone
    >>> faint_odd = [0.04, 1.0, 0.04, 0.25, 0.04, 0.04]  # 200 Hz, read at 400 Hz: each odd partial at -28 dB
    >>> power = padded_power(harmonic_tone(2048, 48000.0, 200.0, faint_odd, seed=1)[None])
    >>> odd_partials_stand(power, 2048, np.array([400.0 / 48000]), np.array([3])).tolist()
    [True]
    """
    numbers = np.arange(1, 2 * MAX_HARMONICS + 1)
    inside = numbers <= 2 * band[:, None]
    at = _power_near(power, n, np.where(inside, np.outer(0.5 * f0, numbers), np.nan))  # the half's harmonics
    between = _power_near(power, n, np.where(inside, np.outer(0.5 * f0, numbers - 0.5), np.nan)).sum(axis=1)
    odd, even = at[:, 0::2], at[:, 1::2]  # the half's 1st, 3rd, ... and 2nd, 4th, ...: each row band of them
    at_odd = odd.sum(axis=1)
    per_place = at_odd / band  # band odd places, 2 band places between
    clear = (at_odd >= MINOR_SHARE) & (per_place >= math.exp(CLEAR_LOG_SNR) * between / (2 * band))
    neighbours = 0.5 * (even + np.concatenate((even[:, :1], even[:, :-1]), axis=1))  # the 1st has one
    partials = neighbours >= math.exp(CLEAR_LOG_SNR) * (between / (2 * band))[:, None]  # not noise beside noise
    with np.errstate(invalid="ignore", divide="ignore"):
        smooth = np.nanmax(np.where(partials, odd / neighbours, np.nan), axis=1, initial=0.0)
    return clear & (smooth >= SMOOTH_SHARE)


def _power_near(power: np.ndarray, n: int, places: np.ndarray) -> np.ndarray:
    """Share of each padded power spectrum ``power`` (windows of ``n``) within one bin of the window of each of its
    ``places`` (batch, k; cycles/sample, nan for none: 0): (batch, k)."""
    bins = power.shape[1]
    nfft = 2 * (bins - 1)
    reach = nfft // n  # padded bins per bin of the window
    offsets = np.arange(-reach, reach + 1)
    index = np.rint(np.nan_to_num(places, nan=-1.0)[..., None] * nfft + offsets).astype(np.int64)
    inside = np.isfinite(places)[..., None] & (index >= 0) & (index < bins)
    rows = (np.arange(len(power)) * bins)[:, None, None]
    near = np.where(inside, power.take(np.clip(index, 0, bins - 1) + rows), 0.0).sum(axis=2)
    return near / np.maximum(power.sum(axis=1), 1e-37)[:, None]


def half_below_floor(y: np.ndarray, f0: np.ndarray, lowest: float, steady: np.ndarray | None = None) -> np.ndarray:
    """Which windows ``y`` (batch, N; mean removed), read at ``f0`` cycles/sample, have their fundamental at half the
    number and below ``lowest`` (cycles/sample): the number lies below twice ``lowest`` and the waveform repeats at
    twice its period (where it overlaps itself by :data:`~streamfreq.estimators.base.WHOLE_OVERLAP`)
    :data:`BELOW_FLOOR_REPEATS` well and :data:`BELOW_FLOOR_MARGIN` better than at its own. Where ``steady`` gives
    the same windows dechirped (:func:`~streamfreq.estimators.harmonic_fit.dechirped`), each lag counts as well as
    the better of the two readings repeats at it: a bass singing 65 Hz whose vibrato moves 100 cents across one
    window repeats, as recorded, at its period at 0.76 and at twice it (whose two parts hold a third of the window
    each) at 0.98, dechirped at 0.92 and 0.98; a plucked D1 read at its octave repeats at 0.36 and 1.0 as
    recorded, and a glide read from the wrong number may warp it to repeat worse at twice the number's period.

    Example
    -------
    >>> from streamfreq.signals import harmonic_tone
    >>> bass = harmonic_tone(2048, 44100.0, 41.2, [0.2, 1.0, 0.5, 0.6, 0.4, 0.3])[None]  # E1, its 2nd partial loudest
    >>> half_below_floor(bass - bass.mean(), np.array([82.4 / 44100]), 43.1 / 44100).tolist()  # read at 82.4 Hz
    [True]
    >>> tone = harmonic_tone(2048, 44100.0, 82.4, [1.0, 0.5, 0.3])[None]  # a note at 82.4 Hz itself
    >>> half_below_floor(tone - tone.mean(), np.array([82.4 / 44100]), 43.1 / 44100).tolist()
    [False]
    """
    below = np.zeros(len(y), dtype=bool)
    n = y.shape[1]
    rows = np.flatnonzero((f0 < 2.0 * lowest) & ((1.0 - WHOLE_OVERLAP) * n * f0 >= 2.0))  # twice the period fits
    if not len(rows):
        return below
    correlation = lag_correlation(y[rows])
    if steady is not None:
        np.maximum(correlation, lag_correlation(steady[rows]), out=correlation)
    lags = np.arange(n)
    period = 1.0 / f0[rows]

    def best_near(lag: np.ndarray) -> np.ndarray:
        near = np.abs(lags - lag[:, None]) <= np.maximum(_LAG_REACH * lag, 1.0)[:, None]
        return np.where(near, correlation, -np.inf).max(axis=1)

    own, double = best_near(period), best_near(2.0 * period)
    below[rows] = (double >= BELOW_FLOOR_REPEATS) & (double > own + BELOW_FLOOR_MARGIN)
    return below
