"""Two notes in a simple ratio: which of them a window's partials say to report.

Two harmonic notes whose fundamentals stand in a ratio ``p:q`` of small whole
numbers (a fourth 4:3, a major third 5:4, a minor third 6:5, a tone 9:8)
sound together as one waveform repeating at their common period, ``p`` times
the lower note's. A legato melody hands one note to the next so, a sung
phrase and its room's reverberation too: for a moment the last note still
sounds. Read as one harmonic sound, the pair's fundamental is that common
period's, more than a fourth below both notes, and no note that sounds.

Their partials give them away: they are the harmonics ``p, 2p, 3p...`` and
``q, 2q, 3q...`` of the common fundamental, and nothing else. One note's
partials fill the harmonic numbers in between (a voice's, a horn's or a
bassoon's, however weak its lowest). :func:`louder_note` finds the windows
whose partials are two such series, each with its own partials and energy,
and gives the harmonic number of the louder note (in a legato change, mostly
the new one). Ratios with ``p`` of 1 or 2 (an octave, a fifth, a twelfth) are
left alone: a single note whose odd partials are weak, or whose fundamental
is missing, looks like those.

Example
-------
>>> import numpy as np
>>> from streamfreq.estimators.harmonic import Partials
>>> energy = np.zeros((2, 24))
>>> energy[0, [3, 7, 11, 15]] = 1.0  # harmonics 4, 8, 12, 16 of the common fundamental: the note at 4
>>> energy[0, [4, 9, 14]] = 2.0  # 5, 10, 15: the louder note a major third above it
>>> energy[1, 1:12] = 1.0  # harmonics 2..12: one note without its fundamental
>>> found = energy > 0
>>> snr = np.where(found, 6.0, -np.inf)
>>> louder_note(Partials(np.where(found, 0.01, np.nan), snr, snr, energy)).tolist()
[5, 1]
"""

from __future__ import annotations

import functools
import math

import numpy as np

from streamfreq.estimators.harmonic import DETECT_LOG_SNR, PARTIAL_HARMONICS, Coarse, Partials, find_partials

#: The ratios ``(p, q)``, lower note first, that two notes are looked for at: whole numbers without a common
#: factor, ``3 <= p < q < 2 p`` (less than an octave apart), in this order of preference.
RATIOS = tuple((p, q) for p in range(3, 10) for q in range(p + 1, 2 * p) if math.gcd(p, q) == 1)
#: The lower and the upper numbers of :data:`RATIOS`, as arrays.
_LOWER, _UPPER = (np.array(side) for side in zip(*RATIOS, strict=True))
#: Partials standing :data:`STRAY_LOG_SNR` over their floor that neither note's series holds, at most: a trace of a
#: third sound (two notes rendered with reverberation show 0..3)...
STRAYS = 2
#: ...where a stray counts from this far (log power, 13 dB) over its floor, as far as ``fft``'s strongest partial must
#: stand to detect a tone: weaker peaks off both series are chance peaks of the noise or a room's smear between the
#: partials (a violin's note in a legato melody, the last one ringing a minor third below it, shows 4-5 of them at
#: 10-12 dB, 0.1% of the energy). Counted from any height, they left 2.50% of the legato melodies' frames read below
#: both notes (``benchmarks/melodies.py``), 2.31% from here; from 20 dB, 2.19%, but the recorded harp
#: (``samples.py``, default window) and MuseScore General's choir read worse (90.8 to 89.5% and 98.2 to 97.8%).
STRAY_LOG_SNR = DETECT_LOG_SNR
#: Strays of any height hold at most this share of the found partials' energy together.
STRAY_SHARE = 0.05
#: Each note has at least this many found partials of its own (not shared with the other's series)...
OWN_PARTIALS = 2
#: ...holding at least this share of the found partials' energy.
OWN_SHARE = 0.05
#: Each note's fundamental (harmonic ``p`` or ``q``) is found at least this far (log power, 20 dB) above its local
#: floor: in loud noise a single tone whose partials the noise buries but a few can leave them on two such series
#: (a 100 Hz tone at -5..0 dB showing its 2nd, 3rd, 4th, 6th and 8th, 9-20 dB over the floor).
NOTE_LOG_SNR = math.log(100.0)
#: A note's loudness is the energy of its first this many partials (which the other note's never share).
LOUDNESS_PARTIALS = 3


@functools.lru_cache(maxsize=4)
def _series(harmonics: int) -> tuple[np.ndarray, ...]:
    """For harmonic numbers ``1..harmonics``: the multiples of only ``p``, of only ``q``, of either, the first
    :data:`LOUDNESS_PARTIALS` of ``p`` and of ``q``, and the numbers below ``p``; each (ratios, harmonics), as floats
    to weigh partials with."""
    numbers = np.arange(1, harmonics + 1)
    p, q = _LOWER[:, None], _UPPER[:, None]
    of_p, of_q = numbers % p == 0, numbers % q == 0
    first_p, first_q = of_p & (numbers <= LOUDNESS_PARTIALS * p), of_q & (numbers <= LOUDNESS_PARTIALS * q)
    masks = (of_p & ~of_q, of_q & ~of_p, of_p | of_q, first_p, first_q, numbers < p)
    return tuple(mask.astype(np.float64) for mask in masks)


def _weighed(values: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """``values`` (windows, harmonics) summed over each mask's harmonics: (windows, ratios); each window's own
    sums, whatever the batch."""
    return np.einsum("ij,kj->ik", values, masks)  # einsum's own loops, not BLAS: each sum in one fixed order


def louder_note(partials: Partials) -> np.ndarray:
    """Per window: the harmonic number, of the fundamental the ``partials`` were found for, of the louder of two
    notes that sound together in one of the :data:`RATIOS`; 1 where the partials are not two such notes'.

    The partials are a window's peaks at that fundamental's harmonics (``energy`` 0 where none is found).
    Two notes ``p:q``: every partial found :data:`STRAY_LOG_SNR` over its floor but :data:`STRAYS` lies at a
    multiple of ``p`` or ``q``, and those off both series hold :data:`STRAY_SHARE` of the energy at most; each
    note has :data:`OWN_PARTIALS` found partials of its own holding :data:`OWN_SHARE` of the energy, and its
    fundamental stands :data:`NOTE_LOG_SNR` over its floor;
    no partial below both notes stands so (a voice whose fundamental a filter took away shows its 2nd, 3rd,
    4th, 6th and 8th partials, which fit 3:4, and its 2nd stands clear).
    Of the ratios that fit, the one whose two series miss fewest harmonics up to the highest partial found
    counts (two notes 6:5 fit 5:3 too, every multiple of 6 being one of 3, but miss its 3rd, 9th and 21st
    harmonics), the first of :data:`RATIOS` among equals. The louder note is the one whose first
    :data:`LOUDNESS_PARTIALS` partials hold more energy.
    """
    louder = np.ones(len(partials.energy), dtype=np.int64)
    standing = partials.log_snr >= NOTE_LOG_SNR
    found = partials.energy > 0
    # a pair's lower note is at least the 3rd harmonic: the 1st and 2nd stand nowhere, both notes' fundamentals do
    rows = np.flatnonzero(
        ~standing[:, :2].any(axis=1) & (standing.sum(axis=1) >= 2) & (found.sum(axis=1) >= 2 * OWN_PARTIALS)
    )
    if not len(rows):
        return louder
    energy, found, standing = partials.energy[rows], found[rows], standing[rows]
    counted = found.astype(np.float64)
    clear = (partials.log_snr[rows] > STRAY_LOG_SNR).astype(np.float64)
    total = energy.sum(axis=1, keepdims=True)
    only_p, only_q, either, first_p, first_q, under = _series(energy.shape[1])
    energy_p, energy_q = _weighed(energy, only_p), _weighed(energy, only_q)
    fits = clear.sum(axis=1, keepdims=True) - _weighed(clear, either) <= STRAYS
    fits &= total - _weighed(energy, either) <= STRAY_SHARE * total
    fits &= (_weighed(counted, only_p) >= OWN_PARTIALS) & (_weighed(counted, only_q) >= OWN_PARTIALS)
    fits &= (energy_p >= OWN_SHARE * total) & (energy_q >= OWN_SHARE * total)
    p, q = _LOWER, _UPPER
    fits &= standing[:, p - 1] & standing[:, q - 1] & (_weighed(standing.astype(np.float64), under) == 0)
    highest = found.shape[1] - np.argmax(found[:, ::-1], axis=1)  # the highest harmonic found
    below = (np.arange(1, found.shape[1] + 1) <= highest[:, None]).astype(np.float64)
    missed = _weighed(below, either) - _weighed(counted, either)
    chosen = np.where(fits, missed, np.inf).argmin(axis=1)
    pick = np.arange(len(rows))
    louder_q = _weighed(energy, first_q)[pick, chosen] > _weighed(energy, first_p)[pick, chosen]
    louder[rows] = np.where(fits[pick, chosen], np.where(louder_q, q[chosen], p[chosen]), 1)
    return louder


def louder_multiple(coarse: Coarse, f0: np.ndarray, partials: Partials, n: int) -> np.ndarray:
    """Per window: the louder note's fundamental as a multiple of ``f0`` (cycles/sample) where the ``partials``
    found at ``f0`` (windows of ``n``; ``coarse``: what the coarse stage read of them) are two notes' in a simple
    ratio (:func:`louder_note`); 1 where they are not.

    Where they are not, the two notes are looked for at half of ``f0`` too: where one note's odd partials are weak
    (a note in its release), a pair a third or a fourth apart repeats nearly as well at twice their common
    fundamental as at it, the period check (:func:`~streamfreq.estimators.harmonic.prefer_period`) takes that
    shorter period, and a note lies at an odd multiple of half the number, off its series (a string ensemble's 247
    Hz in a legato melody, the last note ringing at 311 Hz through reverb, read at 124 Hz). Only where ``f0``'s
    own first partial does not stand :data:`NOTE_LOG_SNR` over its floor: it is the half's 2nd, which no pair may
    have standing."""
    multiple = louder_note(partials).astype(np.float64)
    rows = np.flatnonzero((multiple == 1) & ~(partials.log_snr[:, 0] >= NOTE_LOG_SNR))
    if len(rows):
        louder = louder_note(find_partials(coarse.rows(rows), 0.5 * f0[rows], PARTIAL_HARMONICS, n))
        multiple[rows[louder > 1]] = 0.5 * louder[louder > 1]
    return multiple


def two_notes_at(coarse: Coarse, fundamental: np.ndarray, n: int) -> np.ndarray:
    """Which windows of ``n`` (``coarse``: what the coarse stage read of them) hold two notes in a simple ratio whose
    common fundamental is ``fundamental`` (cycles/sample) or half of it (:func:`louder_multiple`), as a mask."""
    return louder_multiple(coarse, fundamental, find_partials(coarse, fundamental, PARTIAL_HARMONICS, n), n) != 1
