"""FFT estimator: maximum-likelihood fundamental (f0) of a harmonic sound, to the Cramér-Rao bound.

The fundamental is chosen from one zero-padded FFT by a harmonic salience
with a per-window model order and a prior against octave and sub-octave
errors (:mod:`streamfreq.estimators.harmonic`), checked against the
waveform's autocorrelation (and, where the sound changes within the window,
against its two halves read alone), and its partials located. It is then refined
by Newton steps on the exact likelihood of the harmonic model (harmonics
``1..L`` of one fundamental, amplitudes and DC fitted jointly, time centred
in the window; :func:`harmonic_fit`): every harmonic's leakage into the
others is in the model, so the estimate stays on the bound at any SNR and
however close the partials. With one harmonic (a pure tone) this is the
real-tone ML estimator, exact on a noiseless tone. Score tests on the same
fit find a pitch that moves within the window (the window is then resampled
on a warped time axis and refitted, so the estimate is the pitch at the
window centre) and a stiff string's stretched partials (then refined one by
one and fitted as ``l f0 (1 + B l**2 / 2)``, :func:`partial_fit`).

Detection is the generalised likelihood ratio ``J / sigma**2`` of the fitted partials over the residual noise, with a
partial standing clear of its local noise floor (or, where noise fills the valleys between the partials, a waveform
that repeats clearly at the period found), sound at the window centre, and a waveform that repeats at the
fundamental's period over its partials' band (chance peaks of coloured noise do not); anything else is ``no_tone``. A
fundamental below ``fmin`` is ``"out_of_range"``, unless it lies below the window's own floor in rumble
(:func:`~streamfreq.estimators.slow_tone.rumble`: steep coloured noise, ``no_tone``). A low number whose half has few
periods in the window is read at that half where the waveform repeats at least as well at twice its period and the odd
harmonics of the half stand out as a partial; a higher number is read at its half where two or more of the half's odd
harmonics 1..9 are found as peaks in their places, holding 3% of the energy of the half's partials, else at its third
where two or more of the third's own harmonics (1, 2, 4, 5, 7, 8) are found so, else at its quarter so (a missing or
weak fundamental whose other partials noise buries but some, or a voice whose 4th partial sits on a formant:
:mod:`~streamfreq.estimators.octave`); a number whose waveform does not repeat at its period is read so where the
waveform repeats at the fraction's. A number read at a fraction is checked once more as a number. A low number (under
:data:`LOW_CHECK_RATIO` times the window's lowest f0) is kept only where the whole window repeats at its period at
least :data:`LOW_REPEATS_SHARE` as well as the share of its energy the fit explains, and not clearly better at a
shorter lag that is no whole fraction of its period (:data:`SHORTER_MARGIN`), nor, where it repeats unclearly, as well
at half its period (:data:`UNCLEAR_REPEATS`).

A note too low for the window is ``"out_of_range"`` too where the fit reads it just above ``fmin`` but the
waveform repeats clearly below it (:func:`~streamfreq.estimators.slow_tone.off_the_bottom`), or where the waveform
repeats at a period below ``fmin`` (:func:`~streamfreq.estimators.slow_tone.repeats_slower`) and gets no number or
repeats clearly worse at the number's period.

Two unrelated tones read as the one the harmonic model explains best
(usually the louder); tones an octave, a fifth or a twelfth apart read as
their common fundamental. Two notes in a closer simple ratio (a fourth, a
third, a tone: a melody handing one note to the next) read as the louder of
them where their partials lie on the two notes' harmonic series and nowhere
else (:mod:`~streamfreq.estimators.two_notes`). A number with no odd
partial of its own, or whose odd partials lie from its 5th up only (a
quieter second note's, on the number's odd multiples:
:func:`~streamfreq.estimators.octave.odd_partials_elsewhere`), is read at
its double.

Example
-------
>>> from streamfreq.estimators.fft import FFTEstimator
>>> from streamfreq.signals import harmonic_tone, tone
>>> est = FFTEstimator().estimate_many(tone(2048, [10.3, 0.0]), 2048.0)
>>> round(est[0].hz, 9), est[1].status
(10.3, 'no_tone')
>>> missing = harmonic_tone(2048, 48000.0, 220.0, [0.0, 1.0, 0.8, 0.6], seed=1)  # no fundamental
>>> round(FFTEstimator().estimate_many(missing[None], 48000.0)[0].hz, 2)
220.0
"""

from __future__ import annotations

import math

import numpy as np

from streamfreq.defaults import lowest_f0
from streamfreq.errors import check_range
from streamfreq.estimators import octave
from streamfreq.estimators.base import (
    CENTRE_LEVEL,
    NO_TONE,
    OK,
    OUT_OF_RANGE,
    Estimate,
    HasFloor,
    centre_level,
    centred_unit_peak,
    estimates_from_arrays,
    lag_correlation,
    period_near,
    repeating_at_centre,
    whole_repeats,
)
from streamfreq.estimators.harmonic import (
    DETECT_LOG_SNR,
    MIN_CYCLES,
    PARTIAL_HARMONICS,
    PERIOD_CUTOFF_HZ,
    Coarse,
    Partials,
    clearest,
    coarse_fundamental,
    correlation_at_period,
    find_partials,
    lobe_share,
    padded_power,
    prefer_period,
    salience,
    spectrum,
)
from streamfreq.estimators.harmonic_fit import (
    FIT_WIDTH,
    GLIDE_MAX,
    HarmonicFit,
    glide_from_segments,
    glide_rate,
    harmonic_fit_by_order,
    harmonic_start,
    harmonics_to_fit,
)
from streamfreq.estimators.partial_fit import (
    INHARMONIC_PARTIALS,
    common_divisor,
    inharmonic,
    partial_fit,
    significant,
)
from streamfreq.estimators.slow_tone import EDGE_RATIO, multiple_of_slower, off_the_bottom, repeats_slower, rumble
from streamfreq.estimators.sums import warp
from streamfreq.estimators.two_notes import louder_multiple, two_notes_at

#: SNR at which confidence is 0.5: confidence = snr / (snr + SNR_HALF_CONFIDENCE).
SNR_HALF_CONFIDENCE = 10 ** (-10 / 10)


#: Partials off the harmonic series are refined one by one (for a stiff string's fit) only where the score of a
#: stretch is this many standard deviations above none: vibrato, decay and jitter put them off it too.
STRETCH_SCORE = 3.0


#: Residual energy below this share of the window's is rounding (float32 input; the joint fit's Gram matrices
#: lose a few more digits), not noise: the noise floor of the tests after the harmonic fit.
ROUNDING = 1e-10


#: Where more than this share of a window's power lies above its model's top harmonic (a bright sound, whose
#: partials rise past the :data:`~streamfreq.estimators.harmonic_fit.FIT_WIDTH` fitted: a low note's brass or a
#: spectrum that rises 6 dB an octave), the noise is read in the band the model covers (:func:`detection_variance`):
#: the partials above it are no noise, and counted as noise they would leave no fitted partial significant.
ABOVE_MODEL_SHARE = 0.5
#: ... and where at least this share of the power above the model lies within a quarter of the fundamental of its
#: multiples (:func:`_on_partials_above`; noise puts about a half there): its partials, not white noise, which
#: holds most of a low note's window above its model at a low SNR.
BRIGHT_PARTIAL_SHARE = 0.8


#: A window whose fit leaves more than this share of its energy unexplained is checked for a glide too steep for
#: the score step (:meth:`FFTEstimator._steep_glides`): one that the score step misses or the refit cannot follow
#: leaves the partials smeared, and the fit explains little of the window (sine sweeps at 2 octaves per second
#: in windows of 64..128 ms: 8..33%).
STEEP_UNEXPLAINED = 0.6


#: ... and is dechirped at the glide its parts show only where the parts, each nearly steady, leave at most this
#: share of what the whole window's fit leaves unexplained (noise and a room's smear leave as much in parts).
PARTS_UNEXPLAINED = 0.7


#: Below this many cycles per window the partials of a low note overlap (a Hann window's main lobe spans 4 bins), and
#: a rich one (a sawtooth's or a bass's partials falling as 1/l) shows few separate peaks: where its fit leaves
#: more than :data:`DENSE_UNEXPLAINED` of the window's energy unexplained, it is fitted again with more harmonics
#: (:meth:`FFTEstimator._unresolved_partials`).
UNRESOLVED_CYCLES = 4.0
DENSE_UNEXPLAINED = 0.05
#: The model orders tried on such a window, each fit starting from the one before's fundamental (up to the most a
#: window's model can have), so that the top harmonic starts within its main lobe.
DENSE_ORDERS = (3, 9, FIT_WIDTH)
#: A fit whose fundamental walks below this many cycles per window (Newton's steps from a start on near silence)
#: is no note's: its harmonics and the constant grow alike, and the next order's model cannot be solved.
DENSE_FLOOR_CYCLES = 0.5


#: Windows whose quarters differ in energy more than this (3 dB) may hold a change of sound (:meth:`_across_change`).
CHANGE_RATIO = 2.0


#: Halves of a window agree on a fundamental when their own are within this (octaves, a whole tone) of it: their
#: centres lie a quarter window from the window's, where a vibrato moves the pitch up to ~100 cents.
HALVES_AGREE = 1.0 / 6.0


#: A fundamental is reported only where the waveform repeats at its period: its normalised autocorrelation over the
#: band of its partials (:func:`~streamfreq.estimators.harmonic.correlation_at_period`) reaches this. A periodic
#: sound in white noise reads s / (1 + s) with s the SNR in that band, at least the per-sample SNR (0.24 at -5 dB,
#: the lowest the fit is made for). Noise whose spectrum falls steeply (low-passed, as many recordings are) lets
#: chance peaks line up as harmonics that the spectral tests pass; it reads near 0 at their period.
REPEATS_MIN = 0.2
#: A window repeating this clearly at the period the spectrum and the period check find holds a periodic sound even
#: where noise fills the valleys between its partials so that none stands 13 dB over its floor (a low voice in pink
#: noise); noise reads about 0 +- 0.1 there.
REPEATS_CLEAR = 0.5
#: A window whose partials the spectral tests do not find clear is read where its whole waveform repeats at the
#: fundamental at least this well (:func:`~streamfreq.estimators.base.whole_repeats`), and better by
#: :data:`NOISY_MARGIN` than at half its period (noise that falls steeply repeats at any short lag, better at shorter
#: ones); a noisy window so periodic is not read in lowest terms where it repeats that much worse at a d-th of it.
NOISY_REPEATS = 0.8
NOISY_MARGIN = 0.3
#: ... for a fundamental up to this (Hz): a period of 1 ms or more, over which a narrow band of noise (a fricative's
#: resonance, 100 Hz wide or more) no longer repeats at 0.8, while at a shorter period it does (a fricative at
#: 8.5 kHz repeats at 0.8 at its 0.12 ms).
NOISY_TOP_HZ = 1000.0
#: A number rests on partials: the strongest must be a partial, its main lobe holding at least this share of the
#: power around it (:func:`~streamfreq.estimators.harmonic.lobe_share`). Tones, notes and voices hold 0.75 and
#: more (0.62 for a sine at -10 dB), noise in a narrow band (a fricative's resonance, which repeats at its
#: centre frequency) about a third, and the lone low "partial" that rumble (brown noise) puts at 47..100 Hz
#: mostly less: its power spreads over the bins around it, which a low note's other partials would fill.
LOBE_SHARE_MIN = 0.5
#: A lone partial is judged against all :data:`~streamfreq.estimators.harmonic.NEIGHBOURHOOD_BINS` bins around it
#: below this many cycles per window (where rumble's lone peaks lie: 2..4 cycles), and from here up, where half its
#: frequency spans at least 8 bins, against half its frequency either side, as partials are against half their
#: spacing: a high voice in loud pink or brown noise keeps only its fundamental clear of the noise, which fills
#: the bins further away. On the recording conditions' voice (draw 12) it took `fft` with brown rumble 10 dB below
#: from 77.7 to 85.6% raw pitch and with pink noise 10 dB below from 76.9 to 79.7%.
LONE_SPACING_CYCLES = 16.0
#: A window whose strongest partial's main lobe holds less than :data:`LOBE_SHARE_MIN` of the power around it, that
#: holds no glide and whose partial is no lone low one (:data:`LONE_SPACING_CYCLES`: rumble's), is read again from
#: its centre half, and keeps its number where the lobe holds this share there: a vibrato swings a partial across
#: more bins than its main lobe within a long window (a violin's B6 with its vibrato in the 4096 samples of ``fmin``
#: 30 at 44.1 kHz), half as far within half the window, whose bins are twice as wide. A tone, a note or a voice holds
#: 0.75 and more in its window; wider bins flatter noise too, so the half asks a little more (at 0.75 a clipped
#: voice's lone line numbered one more of its gaps, at 0.9 the violin gained half as much).
HALF_LOBE_SHARE = 0.8


#: A low number, below this many times the window's lowest f0 (2 to 6 periods in the window), is kept only where the
#: whole window repeats at its period (:func:`~streamfreq.estimators.base.whole_repeats`) at least
#: :data:`LOW_REPEATS_SHARE` of the share of the window's energy its fit explains: a periodic sound in white noise
#: repeats as well as that share (s / (1 + s) both), a note repeats near 1. A note below the window's lowest f0 (a
#: bass's D1 or E1 in a 2048-sample window at 44.1 kHz) gets numbers at a fifth or a twelfth above it from partials
#: the fit lines up, where the window repeats at 0.1..0.3 against the fit's 0.4..1.
LOW_CHECK_RATIO = 3.0
#: See :data:`LOW_CHECK_RATIO`. Notes, voices and tones in noise read 0.9 and more of the fit's share.
LOW_REPEATS_SHARE = 0.5
#: A low number (:data:`LOW_CHECK_RATIO`) is also dropped where the window repeats clearly at a shorter lag that is no
#: whole fraction of its period (a sixth of it and up): better by this much than at the period, and at least
#: :data:`SHORTER_REPEATS`. Where a voice changes note, or a legato melody hands one note to the next, partials of
#: both can line up as harmonics of a low common fundamental (51-54 Hz under a voice at 178-246 Hz) while the
#: window repeats at the voice's own period at 0.8-0.95 and at the number's at 0.4-0.6.
SHORTER_MARGIN = 0.1
#: See :data:`SHORTER_MARGIN`.
SHORTER_REPEATS = 0.5
#: Lags within this share of a whole fraction of the period (``period / k``, k = 2..6) count as that fraction.
FRACTION_TOLERANCE = 0.06
#: A low number (:data:`LOW_CHECK_RATIO`) whose window repeats at its period below this, and no better there than at
#: half the period, is dropped: a period repeats at least as well as any multiple of it, so the number is no
#: fundamental (an octave or so low where a note starts or changes; Vocadito 10's 47-61 Hz windows under a voice at
#: 100-150 Hz repeat at 0.33-0.48 at the number and as well at half its period). A low note repeats at its period
#: better than at half of it by the energy of its odd partials.
UNCLEAR_REPEATS = 0.6


#: A number is read at a fraction of itself (:meth:`FFTEstimator._fraction`) at most this many times over: a tone
#: read at its 8th partial (its 8th and 10th the strongest, the rest buried in loud noise) comes down to its 2nd
#: partial by the quarter's own partials, and from there to its fundamental by the half's.
FRACTION_ROUNDS = 2
#: A number none of whose odd harmonics is significant is read at its double where at least this many of its even
#: ones are (one even partial alone is a lone partial's reading, which the double would explain no better).
EVEN_HARMONICS = 2
#: ... unless the whole window repeats at the number's period better by more than this than at half of it. A
#: periodic sound's odd harmonics flip sign at half its period, so the difference is about twice their share of the
#: window's energy: 0.2 is a tenth (-10 dB). A voice whose alternating glottal pulses put subharmonics 20-27 dB under
#: its partials differs by a few hundredths and is read at the double; a low creaky voice whose odd partials drift
#: off their places (the fit then finds them too weak to count) differs by 0.3 and keeps its number: the man of
#: Praat's recording M1F1 (75-115 Hz at 8 kHz) was read an octave up in 7 of his 65 frames, now in 1 (at 0.1 in
#: none, at 0.3 in 3; the legato melodies' numbers below both notes 2.48% at 0.3, 2.50% here, 2.53% at 0.1, 2.47%
#: before). A second note's partial that flips sign at half the period counts as odd partials do: FluidR3's steel
#: guitar B-flat 2, the last note's E2 ringing under it, keeps its octave-low number in 5 more of its windows.
DOUBLE_REPEATS_MARGIN = 0.2


#: A window whose clearest peak stands this far (log power, 33 dB) over its band's floor holds little noise between
#: its lines: a periodic sound there repeats at its period (:func:`~streamfreq.estimators.base.whole_repeats`) at
#: :data:`BAND_NOISE_REPEATS` or more. Noise through a voice's formants (a whisper, a breath) puts peaks as high
#: over the empty bands between the formants, and chance peaks within them line up as harmonics (of about half the
#: first formant, most often), but it repeats at 0.4 at most at the number's period: no tone. Over a synthetic voice
#: in white noise from 40 to 6 dB below it, the windows read right stand at most 32 dB clear where they
#: repeat under 0.5 (``benchmarks/families.py``'s formant noise: 33..44 dB, repeating at -0.01..0.40).
BAND_NOISE_CLEAR = math.log(10.0**3.3)
#: See :data:`BAND_NOISE_CLEAR`.
BAND_NOISE_REPEATS = 0.3


#: Salience at which the harmonic part of the confidence saturates.
SCORE_FULL = 5.0


class FFTEstimator(HasFloor):
    """Harmonic maximum-likelihood fundamental estimator (see the module docstring).

    Parameters
    ----------
    fmin
        Lowest fundamental to report, in Hz; None for the lowest the window
        allows (:func:`streamfreq.defaults.lowest_f0`, 2 periods per window).
        A fundamental found below it is ``"out_of_range"``, as is one within
        ``min_cycles`` cycles per window of Nyquist.
    threshold
        Detection threshold on ``J / sigma**2`` (see module docstring); the
        default keeps false alarms on white noise below 1e-6 per window at
        N=2048 while tones at -5 dB per-sample SNR score about 650.
    newton_steps
        Most Newton steps on the harmonic likelihood (and per partial where the partials are refined one by one):
        1 reaches the bound from the interpolated Hann peaks; the second is taken where the first was large
        enough to leave an error that matters (noisy starts, noiseless input to the last bit).
    min_cycles
        Margin below Nyquist, in cycles per window, above which a tone is ``"out_of_range"``.

    Example
    -------
    >>> import numpy as np
    >>> from streamfreq.estimators.base import estimate_one
    >>> estimate_one(FFTEstimator(), np.zeros(2048), 48000.0).status
    'no_tone'
    """

    name = "fft"
    #: The engine follows its notes through windows it gives no number (:mod:`streamfreq.follow`).
    follows_notes = True

    def __init__(
        self,
        fmin: float | None = None,
        threshold: float = 40.0,
        newton_steps: int = 2,
        min_cycles: float = MIN_CYCLES,
    ) -> None:
        if fmin is not None:
            check_range("fmin", fmin, 1e-3, 1e6)
        check_range("min_cycles", min_cycles, 1.0, 1e6)
        check_range("newton_steps", newton_steps, 0, 20)
        self.fmin = None if fmin is None else float(fmin)
        self.min_cycles = float(min_cycles)
        self.threshold = float(threshold)
        self.newton_steps = int(newton_steps)

    def estimate_many(self, frames: np.ndarray, samplerate: float) -> list[Estimate]:
        """Estimate the fundamental in each row of ``frames`` (batch, N) sampled at ``samplerate``.

        Each stage goes on with the windows that can still have a tone: the
        others say ``no_tone`` whatever the later stages would find.
        """
        if len(frames) == 0:
            return []
        y, peak = centred_unit_peak(frames)
        count, n = y.shape
        f0_hz, confidence = np.full(count, np.nan), np.zeros(count)
        status = np.full(count, NO_TONE, dtype=object)
        level = centre_level(y)
        rows, y = _narrow(np.arange(count), y, (level >= CENTRE_LEVEL) & (peak > 0))
        if len(rows):
            spec = spectrum(y)
            coarse = coarse_fundamental(spec, n, samplerate, self.min_cycles)
            f0, cutoff = coarse.f0, min(0.5, PERIOD_CUTOFF_HZ / samplerate)
            clarity = clearest(spec, n)
            clear = clarity > DETECT_LOG_SNR  # some peak clear of its local floor
            keep = clear.copy()
            if not keep.all():  # or a waveform that repeats clearly at the period found
                doubt = np.flatnonzero(~clear)
                keep[doubt] = _repeats_clearly(spec.power[doubt], n, f0[doubt], cutoff)
                rows, y, coarse, f0, clear = *_narrow(rows, y, keep), coarse.rows(keep), f0[keep], clear[keep]
                clarity = clarity[keep]
        if len(rows):
            f0 = self._across_change(y, f0, samplerate)
            partials = find_partials(coarse, f0, PARTIAL_HARMONICS, n)
            strongest = np.max(partials.log_snr, axis=1)  # -inf where none is found
            standing = (strongest > DETECT_LOG_SNR) | (~clear & np.isfinite(strongest))  # one clear of its floor
            doubt = np.flatnonzero(~standing & np.isfinite(strongest))  # a peak elsewhere stands clear, none of these
            if len(doubt):  # (a lossy coder's lone lines high up): the waveform repeating clearly at the period will do
                standing[doubt] = _repeats_clearly(coarse.spectrum.power[doubt], n, f0[doubt], cutoff)
            if not standing.all():
                rows, y, partials, coarse = *_narrow(rows, y, standing), partials.rows(standing), coarse.rows(standing)
                f0, clarity = f0[standing], clarity[standing]
            two_notes = _louder_of_two_notes(coarse, f0, partials, n)
        if len(rows):
            f0_hz[rows], confidence[rows], status[rows] = self._fit(y, partials, coarse, samplerate, two_notes)
            status[rows[_band_noise(y, f0_hz[rows] / samplerate, clarity, status[rows])]] = NO_TONE
            period = np.where(status == OK, samplerate / f0_hz, np.nan)  # a sound that stops off the centre, in breath
            status[~repeating_at_centre(frames, period, level)] = NO_TONE
        self._below_floor(frames, f0_hz, confidence, status, level, peak, samplerate)
        return estimates_from_arrays(f0_hz, confidence, status)

    def _below_floor(
        self,
        frames: np.ndarray,
        f0_hz: np.ndarray,
        confidence: np.ndarray,
        status: np.ndarray,
        level: np.ndarray,
        peak: np.ndarray,
        samplerate: float,
    ) -> None:
        """Make ``out_of_range`` the sounding windows ``frames`` whose waveform repeats at a period below the lowest
        f0 (:func:`~streamfreq.estimators.slow_tone.repeats_slower`): a rich note too low for the window, whose
        partials it cannot read as one harmonic series, as the LSTM says of a fundamental below its range. A window
        without a number (sox's plucked E1 at 2048 / 44.1 kHz, 1.9 periods) is so where it repeats there; one with a
        low number (under :data:`LOW_CHECK_RATIO` times the lowest f0), where it also repeats clearly worse at the
        number's period (a tuba's D1 read at 2.5 times its f0).
        Updates ``f0_hz``, ``confidence`` and ``status``."""
        n = frames.shape[1]
        lowest = self.lowest_hz(n, samplerate)
        sounding = (level >= CENTRE_LEVEL) & (peak > 0)
        doubt = np.flatnonzero(sounding & (status == NO_TONE))
        if len(doubt):
            status[doubt[repeats_slower(frames[doubt], lowest * n / samplerate)]] = OUT_OF_RANGE
        numbered = np.flatnonzero((status == OK) & (f0_hz < LOW_CHECK_RATIO * lowest))
        if len(numbered):
            period = samplerate / f0_hz[numbered]
            low = lowest * n / samplerate
            slower = repeats_slower(frames[numbered], low, period=period)
            rest = np.flatnonzero(~slower)
            slower[rest] = multiple_of_slower(frames[numbered[rest]], period[rest], low)
            below = numbered[slower]
            f0_hz[below], confidence[below], status[below] = np.nan, 0.0, OUT_OF_RANGE

    def _across_change(self, y: np.ndarray, f0: np.ndarray, samplerate: float) -> np.ndarray:
        """The fundamental of windows ``y`` whose sound changes within them: a whole fraction of the coarse ``f0``
        where both halves, read on their own, agree on it.

        Where a sung note's vowel changes, each partial's amplitude and phase jump: a partial whose phase
        flips cancels itself in the whole window's spectrum, and a fundamental cancelled so reads as its
        octave. Each half holds one sound. Only windows whose quarters differ in energy more than
        :data:`CHANGE_RATIO` are read in halves.
        """
        count, n = y.shape
        quarters = y[:, : n - n % 4].reshape(count, 4, -1)
        energy = np.einsum("ijk,ijk->ij", quarters, quarters)
        rows = np.flatnonzero(energy.max(axis=1) > CHANGE_RATIO * energy.min(axis=1))
        if not len(rows):
            return f0
        half = n // 2
        cutoff = min(0.5, PERIOD_CUTOFF_HZ / samplerate)
        ratios = []
        for part in (y[rows, :half], y[rows, half:]):
            spec = spectrum(part)
            coarse = salience(spec, half, 0.5 / half, 0.5 - self.min_cycles / half)
            own = prefer_period(spec.power, half, cutoff, coarse.f0, 1.0 / half)
            with np.errstate(divide="ignore", invalid="ignore"):  # nan, or a whole 0: not near
                ratio = f0[rows] / own
                whole = np.rint(ratio)
                ratios.append(np.where(np.abs(np.log2(ratio / whole)) < HALVES_AGREE, whole, np.nan))
        agree = (ratios[0] == ratios[1]) & (ratios[0] >= 2)  # False where nan
        f0 = f0.copy()
        f0[rows[agree]] /= ratios[0][agree]
        return f0

    def _unresolved_partials(
        self,
        y: np.ndarray,
        fit: HarmonicFit,
        order: np.ndarray,
        total: np.ndarray,
        noise_var: np.ndarray,
        dof: np.ndarray,
    ) -> None:
        """Fit again, with more harmonics, the windows of a low note whose partials the peak search could not tell
        apart; updates ``fit``, ``order``, ``noise_var`` and ``dof`` in place.

        Below :data:`UNRESOLVED_CYCLES` per window the partials' main lobes overlap, and the peak search finds
        few of a rich low note's partials: its model ends there, the fit leaves the others' energy unexplained
        and their leakage pulls the fundamental (a 49 Hz sawtooth in 2048 samples at 48 kHz, fitted with the
        one partial found: up to 73 cents off). Windows whose fit leaves more than :data:`DENSE_UNEXPLAINED`
        of their energy are fitted with each order of :data:`DENSE_ORDERS` in turn, and keep the last fit where
        it leaves at most half the energy unexplained that the fit so far left (extra harmonics on noise explain
        only their share of its degrees of freedom).
        """
        n = y.shape[1]
        unexplained = 1.0 - fit.energy.sum(axis=1) / np.maximum(total, 1e-300)
        cycles = fit.omega0 * n / (2.0 * np.pi)
        low = (cycles < UNRESOLVED_CYCLES) & (cycles >= DENSE_FLOOR_CYCLES)
        rows = np.flatnonzero(low & (unexplained > DENSE_UNEXPLAINED) & (order < FIT_WIDTH))
        if not len(rows):
            return
        start = omega0 = fit.omega0[rows]
        for rung in DENSE_ORDERS:
            more = np.minimum(np.maximum(order[rows], rung), _below_nyquist(omega0, n))
            refit = harmonic_fit_by_order(y[rows], omega0, more, self.newton_steps, chirp=True)
            walked_off = ~(refit.omega0 * n >= 2.0 * np.pi * DENSE_FLOOR_CYCLES)  # nan too
            omega0 = np.where(walked_off, start, refit.omega0)
        left = total[rows] - refit.energy.sum(axis=1)
        better = np.flatnonzero((left <= 0.5 * unexplained[rows] * total[rows]) & ~walked_off)
        if not len(better):
            return
        rows = rows[better]
        fit.set_rows(rows, refit.rows(better))
        order[rows] = more[better]
        dof[rows] = np.maximum(n - 2 * order[rows] - 2, 1)
        noise_var[rows] = np.maximum(left[better], ROUNDING * total[rows] + 1e-300) / dof[rows]

    def _steep_glides(
        self,
        unwarped: np.ndarray,
        y: np.ndarray,
        fit: HarmonicFit,
        order: np.ndarray,
        total: np.ndarray,
        noise_var: np.ndarray,
        rate: np.ndarray,
    ) -> np.ndarray:
        """Dechirp again, in place, the windows whose glide the score step could not measure or follow; return
        their rows.

        Where a glide turns the top partial's phase by more than about a radian against a steady tone (a fast
        sweep, more so in a long window), :func:`glide_rate` measures too small a glide or none; and where it
        measures the glide, the refit after the warp starts from the whole window's smeared peak, which can lie
        more than the Newton steps reach from the centre pitch. Either way the fit explains little of the window.
        Windows whose fit so far leaves more than :data:`STEEP_UNEXPLAINED` of their energy unexplained are read
        in parts (:func:`glide_from_segments`); where the parts' pitches lie on one glide and, each nearly steady,
        explain more (:data:`PARTS_UNEXPLAINED`), the window is dechirped at that glide (and the score step's
        correction at it) and refitted from the parts' centre pitch, and this replaces the fit where it leaves at
        most half the energy unexplained that the fit so far left.
        """
        n = y.shape[1]
        unexplained = 1.0 - fit.energy.sum(axis=1) / np.maximum(total, 1e-300)
        rows = np.flatnonzero(unexplained > STEEP_UNEXPLAINED)
        if not len(rows):
            return rows
        steep, centre, parts_left = glide_from_segments(unwarped[rows], fit.omega0[rows], order[rows])
        with np.errstate(invalid="ignore", divide="ignore"):  # nan where the parts show no one glide: False
            # a glide the warp can straighten, and a centre pitch no further from the whole window's than it moves
            missed = (np.abs(steep) * n < GLIDE_MAX) & (np.abs(np.log(centre / fit.omega0[rows])) < GLIDE_MAX)
        missed &= parts_left <= PARTS_UNEXPLAINED * unexplained[rows]
        rows, steep, centre = rows[missed], steep[missed], centre[missed]
        if not len(rows):
            return rows
        dof = np.maximum(n - 2 * order[rows] - 2, 1)
        warped = centred_unit_peak(warp(unwarped[rows], steep))[0]
        refit = harmonic_fit_by_order(warped, centre, order[rows], self.newton_steps, chirp=True)
        energy = np.einsum("ij,ij->i", warped, warped)
        residual = np.maximum(energy - refit.energy.sum(axis=1), ROUNDING * energy + 1e-300)
        steep += glide_rate(refit, residual / dof, n, smallest=0.0)
        warped = centred_unit_peak(warp(unwarped[rows], steep))[0]
        refit = harmonic_fit_by_order(warped, refit.omega0, order[rows], self.newton_steps)
        energy = np.einsum("ij,ij->i", warped, warped)
        residual = np.maximum(energy - refit.energy.sum(axis=1), ROUNDING * energy + 1e-300)
        better = np.flatnonzero(residual <= 0.5 * unexplained[rows] * energy)
        if not len(better):
            return better
        rows = rows[better]
        y[rows] = warped[better]
        fit.set_rows(rows, refit.rows(better))
        total[rows] = energy[better]
        noise_var[rows] = residual[better] / dof[better]
        return rows

    def _fraction(
        self,
        y: np.ndarray,
        omega0: np.ndarray,
        order: np.ndarray,
        highest: np.ndarray,
        coarse: Coarse,
        unexplained: np.ndarray,
        numbered: np.ndarray,
        unrepeated: np.ndarray,
        samplerate: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, fundamental rad/sample)`` of the windows ``y`` whose fundamental is a half, a third or a quarter of
        the number ``omega0`` (fitted with ``order`` harmonics, the ``highest`` of them significant).

        Half of a ``numbered`` window's number where the spectrum cannot resolve the half's partials, by the
        waveform and fits at the half (:func:`~streamfreq.estimators.octave.half_fundamental`); a half, else a
        third, else a quarter, where it can, by that fraction's own partials (those off the multiples of 2, 3 or 4:
        :func:`~streamfreq.estimators.octave.fraction_by_partials`), on numbered windows and on ``unrepeated``
        ones (partials, but a waveform that does not repeat at the number) whose waveform repeats at the
        fraction's period: a tone without its fundamental whose other partials noise buries but some, read at a
        multiple. Only windows whose fit leaves :data:`~streamfreq.estimators.octave.HALF_FIT_SHARE` of what
        it explains can hold the fraction's own partials. No fraction is read where the partials found at it, or at
        half of it, are two notes' in a simple ratio (:func:`~streamfreq.estimators.two_notes.two_notes_at`): a
        legato melody's last note, ringing a third or a fourth from the new one, puts partials where the fraction's
        own lie.
        """
        n = y.shape[1]
        steps = self.newton_steps
        halves = np.flatnonzero(numbered & octave.checked(omega0, n))
        if len(halves):
            power = coarse.spectrum.power[halves]
            halves = halves[
                octave.half_fundamental(y[halves], omega0[halves], power, samplerate, steps, unexplained[halves])
            ]
        if len(halves):
            halves = halves[~two_notes_at(coarse.rows(halves), omega0[halves] / (4.0 * np.pi), n)]
        rows, fundamentals = [], []
        candidates = (numbered | unrepeated) & (unexplained >= octave.HALF_FIT_SHARE * (1.0 - unexplained))
        candidates[halves] = False
        for divisor in (2, 3, 4):
            check = np.flatnonzero(candidates & octave.resolved(omega0, n, divisor))
            if len(check):
                check = check[octave.fraction_by_partials(coarse.spectrum.rows(check), omega0[check], n, divisor)]
            if len(check):
                check = check[~two_notes_at(coarse.rows(check), omega0[check] / (2.0 * np.pi * divisor), n)]
            doubt = np.flatnonzero(unrepeated[check])
            if len(doubt):  # partials alone do not make a tone: the waveform must repeat at the fraction's period
                fraction = omega0[check[doubt]] / (2.0 * np.pi * divisor)
                power = coarse.spectrum.power[check[doubt]]
                repeats = correlation_at_period(power, n, fraction, divisor * highest[check[doubt]]) >= REPEATS_MIN
                check = np.delete(check, doubt[~repeats])
            candidates[check] = False  # a half, not a third or a quarter as well
            if divisor == 2:
                check = np.concatenate((halves, check))
            if len(check):
                rows.append(check)
                lower = omega0[check] / divisor
                more = np.minimum(divisor * order[check], _below_nyquist(lower, n))
                fundamentals.append(_refit_near(y[check], lower, more, steps))
        if not rows:
            return halves, omega0[:0]  # none
        return np.concatenate(rows), np.concatenate(fundamentals)

    def _fit(
        self, y: np.ndarray, partials: Partials, coarse: Coarse, samplerate: float, two_notes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Dechirp, refine and fit the windows ``y`` whose partials stand clear: ``(f0 Hz, confidence, status)``.

        ``partials`` are those found near the harmonics of the coarse stage's fundamental, ``coarse`` what that
        stage read (its spectra and saliences); ``two_notes`` marks the windows read as the louder of two notes,
        which are not read at a fraction (the other note's partials would pass for the fraction's own)."""
        count, n = y.shape
        start, order = harmonic_start(partials, n)
        fit = harmonic_fit_by_order(y, start, order, self.newton_steps, chirp=True)
        total = np.einsum("ij,ij->i", y, y)
        dof = np.maximum(n - 2 * order - 2, 1)
        noise_var = np.maximum(total - fit.energy.sum(axis=1), ROUNDING * total + 1e-300) / dof
        self._unresolved_partials(y, fit, order, total, noise_var, dof)
        rate = glide_rate(fit, noise_var, n)
        unwarped = y.copy() if rate.any() else y
        if rate.any():  # dechirp: the pitch at the window centre, steady over the whole window, and refit
            moving = np.flatnonzero(rate)
            y[moving] = centred_unit_peak(warp(y[moving], rate[moving]))[0]
            refit = harmonic_fit_by_order(y[moving], fit.omega0[moving], order[moving], self.newton_steps)
            fit.set_rows(moving, refit)
            total[moving] = np.einsum("ij,ij->i", y[moving], y[moving])
            unexplained = total[moving] - fit.energy[moving].sum(axis=1)
            noise_var[moving] = np.maximum(unexplained, ROUNDING * total[moving] + 1e-300) / dof[moving]
        dechirped = rate != 0
        dechirped[self._steep_glides(unwarped, y, fit, order, total, noise_var, rate)] = True
        power = coarse.spectrum.power
        detect_var, bright = detection_variance(noise_var, total, fit.energy.sum(axis=1), power, fit.omega0, order, n)
        valid = significant(fit.energy, fit.present, detect_var)
        partials = _below_series_at_places(partials, fit.omega0, valid, n)
        # only every d-th harmonic is there: the fundamental d times higher, fitted alone (judged against all that
        # the fit leaves: a bright window's partials above the model leak into the places between its own)
        counted = significant(fit.energy, fit.present, noise_var) if bright.any() else valid
        divisor = common_divisor(
            np.arange(1, counted.shape[1] + 1) * counted, counted, partials, np.where(counted, fit.energy, 0.0)
        )
        # odd partials each too faint to count, together the sound's own, judged at this fit where a divisor is 2
        fitted_omega0, fitted_order, judged = fit.omega0.copy(), order.copy(), divisor == 2
        odd_there = np.zeros(count, dtype=bool)
        odd_there[judged] = _faint_odd_partials(
            coarse.spectrum.power[judged], fitted_omega0[judged], fitted_order[judged], n
        )
        divisor[odd_there] = 1
        rows = np.flatnonzero(divisor > 1)
        if len(rows):  # a noisy periodic sound whose partials off every d-th fell under the noise by chance: its
            # waveform repeats at (near) the fitted period, and far worse at a d-th of it (a period repeats at least as
            # well as its multiples)
            period = n / period_near(y[rows], fit.omega0[rows] * n / (2.0 * np.pi))  # noisy partials: the fit is off
            repeats, shorter = whole_repeats(y[rows], period), whole_repeats(y[rows], period / divisor[rows])
            with np.errstate(invalid="ignore"):  # nan: a period too long to read
                slower = (repeats >= NOISY_REPEATS) & (repeats - shorter >= NOISY_MARGIN)
            divisor[rows[slower]] = 1
            rows = rows[~slower]
        if len(rows):
            start = fit.omega0[rows] * divisor[rows]
            # the coarse fundamental's order may end below the higher one's upper harmonics: their own count
            found = find_partials(coarse.rows(rows), start / (2.0 * np.pi), PARTIAL_HARMONICS, n)
            own_order = np.minimum(harmonic_start(found, n)[1], fit.present.shape[1])
            order[rows] = np.maximum(order[rows] // divisor[rows], own_order)
            fit.set_rows(rows, harmonic_fit_by_order(y[rows], start, order[rows], self.newton_steps))
            dof[rows] = np.maximum(n - 2 * order[rows] - 2, 1)
            explained = fit.energy[rows].sum(axis=1)
            noise_var[rows] = np.maximum(total[rows] - explained, ROUNDING * total[rows] + 1e-300) / dof[rows]
            detect_var[rows], bright[rows] = detection_variance(
                noise_var[rows], total[rows], explained, power[rows], fit.omega0[rows], order[rows], n
            )
            valid = significant(fit.energy, fit.present, detect_var)
        energy_sum = (fit.energy * valid).sum(axis=1)
        omega0 = fit.omega0
        partial_count = valid.sum(axis=1)
        rows = ()
        if partial_count.max() >= INHARMONIC_PARTIALS:  # fewer partials are never off the series
            # (nor those of a bright sound, whose partials above the model move the fitted ones' likelihood)
            rows = np.flatnonzero(_stiff_candidates(fit, valid, noise_var, partial_count) & ~bright)
        if len(rows):  # judged again at the fundamental found (the tests read the point before the last step)
            refit = harmonic_fit_by_order(y[rows], fit.omega0[rows], order[rows], 0)
            refit.omega0[:] = fit.omega0[rows]
            fit.set_rows(rows, refit)
            rows = rows[_stiff_candidates(fit, valid, noise_var, partial_count)[rows]]
        if len(rows):  # each partial on its own, and a stiff string where that fits
            late = rows[~judged[rows]]  # their partials' own divisor may be 2
            odd_there[late] = _faint_odd_partials(
                coarse.spectrum.power[late], fitted_omega0[late], fitted_order[late], n
            )
            omega0[rows], energy_sum[rows], noise_var[rows] = partial_fit(
                y[rows], partials.rows(rows), self.newton_steps, odd_there[rows]
            )
            detect_var[rows] = noise_var[rows]  # none of them bright
        glrt = energy_sum / detect_var
        snr = (energy_sum / n) / detect_var  # per-sample power of the fitted partials over the noise

        lowest = self.lowest_hz(n, samplerate)
        f0_hz = omega0 * samplerate / (2.0 * np.pi)
        status = np.full(count, OK, dtype=object)
        status[(f0_hz < lowest * (1.0 - 1e-9)) | (omega0 * n / (2.0 * np.pi) > n / 2 - self.min_cycles)] = OUT_OF_RANGE
        status[~(glrt > self.threshold) | ~np.isfinite(omega0)] = NO_TONE
        ok = np.flatnonzero(status == OK)
        highest = valid.shape[1] - np.argmax(valid[:, ::-1], axis=1)  # the highest significant harmonic
        unrepeated = np.zeros(count, dtype=bool)  # partials, but a waveform that does not repeat at the number
        if len(ok):  # a fundamental the waveform does not repeat at is chance peaks of coloured noise
            repeats = correlation_at_period(coarse.spectrum.power[ok], n, omega0[ok] / (2.0 * np.pi), highest[ok])
            strongest = np.argmax(np.where(valid[ok], fit.energy[ok], -1.0), axis=1)
            frequency = fit.omega[ok, strongest] / (2.0 * np.pi)
            # the neighbourhood stops half a spacing away, so that no other partial counts; a lone low partial has
            # none (rumble's lone peaks), a lone higher one stops half its frequency away
            spaced = (valid[ok].sum(axis=1) > 1) | (omega0[ok] * n / (2.0 * np.pi) >= LONE_SPACING_CYCLES)
            spacing = np.where(spaced, omega0[ok] / (2.0 * np.pi), 0.5)
            share = lobe_share(coarse.spectrum.power[ok], n, frequency, spacing)
            # a glide smears the partials in the window's spectrum: a dechirped window is read again in its own
            steady = np.flatnonzero(dechirped[ok] & (share < LOBE_SHARE_MIN))
            if len(steady):
                share[steady] = lobe_share(padded_power(y[ok[steady]]), n, frequency[steady], spacing[steady])
            # a vibrato, in its centre half (not a lone low partial: rumble's lone peaks are judged on the whole window)
            swung = np.flatnonzero(spaced & ~dechirped[ok] & (share < LOBE_SHARE_MIN))
            if len(swung):
                half = n // 2
                centre = padded_power(y[ok[swung], half // 2 : half // 2 + half])
                again = lobe_share(centre, half, frequency[swung], spacing[swung])
                share[swung] = np.where(again >= HALF_LOBE_SHARE, again, share[swung])
            status[ok[(repeats < REPEATS_MIN) | (share < LOBE_SHARE_MIN)]] = NO_TONE
            unrepeated[ok[(repeats < REPEATS_MIN) & (share >= LOBE_SHARE_MIN)]] = True
        # a noisy periodic sound (rippled noise, a breathy voice), whose partials are each too noisy for the tests
        # above: the whole waveform repeats at its period, and far better than at half of it
        slow = omega0 * samplerate / (2.0 * np.pi) <= NOISY_TOP_HZ  # nan compares False
        doubted = np.flatnonzero((status == NO_TONE) & slow & (energy_sum > 0))
        if len(doubted):
            period = 2.0 * np.pi / omega0[doubted]
            repeats = whole_repeats(y[doubted], period)
            with np.errstate(invalid="ignore"):  # nan: a period too long to read
                off = np.flatnonzero(~(repeats >= NOISY_REPEATS))
            if len(off):  # noisy partials pull the fit a few % off the period: the waveform's own, near it
                period[off] = n / period_near(y[doubted[off]], n / period[off])
                repeats[off] = whole_repeats(y[doubted[off]], period[off])
            with np.errstate(invalid="ignore"):
                clear = np.flatnonzero(repeats >= NOISY_REPEATS)
                half = whole_repeats(y[doubted[clear]], 0.5 * period[clear])
                kept = clear[repeats[clear] - half >= NOISY_MARGIN]
            rescued = doubted[kept]
            status[rescued] = OK
            omega0[rescued] = 2.0 * np.pi / period[kept]
            f0_hz[rescued] = omega0[rescued] * samplerate / (2.0 * np.pi)
        unexplained = noise_var * dof / total  # the share of each window's energy its fit leaves
        numbered, omega0, order, highest = (status == OK) & ~two_notes, omega0.copy(), order.copy(), highest.copy()
        unrepeated &= ~two_notes
        lowered = np.zeros(count, dtype=bool)
        for _ in range(FRACTION_ROUNDS):  # a number lowered to a fraction is checked again, as a number
            rows, fundamental = self._fraction(
                y, omega0, order, highest, coarse, unexplained, numbered, unrepeated, samplerate
            )
            if not len(rows):
                break
            f0_hz[rows] = fundamental * samplerate / (2.0 * np.pi)
            status[rows] = np.where(f0_hz[rows] < lowest * (1.0 - 1e-9), OUT_OF_RANGE, OK)
            divisor = np.rint(omega0[rows] / fundamental).astype(np.int64)
            omega0[rows], highest[rows] = fundamental, highest[rows] * divisor
            order[rows] = np.minimum(order[rows] * divisor, _below_nyquist(fundamental, n))
            numbered, unrepeated = np.zeros(count, dtype=bool), np.zeros(count, dtype=bool)
            numbered[rows] = status[rows] == OK
            lowered[rows] = True
        # no odd harmonic of the number stands out of the noise, two even ones do; or its odd partials are another
        # note's, from its 5th up only: the fundamental is the double
        below_top = omega0 * n / np.pi <= n / 2 - self.min_cycles  # the double, in cycles per window
        candidates = (status == OK) & ~two_notes & below_top
        absent = candidates & ~lowered & _odd_harmonics_absent(valid)
        elsewhere = np.zeros(count, dtype=bool)
        rows = np.flatnonzero(candidates & ~absent & (unexplained < octave.ELSEWHERE_UNEXPLAINED))
        if len(rows):
            elsewhere[rows] = octave.odd_partials_elsewhere(
                coarse.spectrum.power[rows], n, omega0[rows] / (2.0 * np.pi), order[rows]
            )
        rows = np.flatnonzero(absent | elsewhere)
        if len(rows):  # unless the waveform's repetition shows odd partials the fit could not count
            period = samplerate / f0_hz[rows]
            better = whole_repeats(y[rows], period) - whole_repeats(y[rows], 0.5 * period)
            rows = rows[~(better > DOUBLE_REPEATS_MARGIN)]  # nan (a period too long to check): doubled
        faint = np.flatnonzero(absent[rows])
        if len(faint):  # or odd partials each too faint to be significant, together clear of the noise
            power = coarse.spectrum.power[rows[faint]]
            rows = np.delete(rows, faint[_faint_odd_partials(power, omega0[rows[faint]], order[rows[faint]], n)])
        if len(rows):
            order[rows], highest[rows] = np.maximum(order[rows] // 2, 1), np.maximum(highest[rows] // 2, 1)
            omega0[rows] = _refit_near(y[rows], 2.0 * omega0[rows], order[rows], self.newton_steps)
            f0_hz[rows] = omega0[rows] * samplerate / (2.0 * np.pi)
        # a number whose half lies below the window's lowest f0, where the waveform (as recorded, or dechirped as the
        # number was fitted: a low voice's vibrato) repeats: too low to read here
        low = np.flatnonzero((status == OK) & (f0_hz < 2.0 * lowest))
        half_below = np.zeros(count, dtype=bool)
        if len(low):
            steady = y[low] if dechirped[low].any() else None
            number, floor = f0_hz[low] / samplerate, lowest / samplerate
            half_below[low] = octave.half_below_floor(unwarped[low], number, floor, steady)
            status[half_below] = OUT_OF_RANGE
        # out of range below the window's floor, in rumble (coloured noise that does not repeat that slowly): no tone
        floor = lowest_f0(n, samplerate)
        below = np.flatnonzero((status == OUT_OF_RANGE) & ((f0_hz < floor) | half_below))
        if len(below):
            status[below[rumble(unwarped[below], floor * n / samplerate)]] = NO_TONE
        # a low number the window (dechirped where the pitch moves) repeats at far less than its fit explains, or
        # than at a shorter lag that is no whole fraction of its period, or no better than at half its period
        low = np.flatnonzero((status == OK) & (f0_hz < LOW_CHECK_RATIO * lowest))
        if len(low):
            period = samplerate / f0_hz[low]
            repeats = whole_repeats(y[low], period)
            unclear = _repeats_as_well_at_half(y[low], period, repeats)
            status[low[(repeats < LOW_REPEATS_SHARE * (1.0 - unexplained[low])) | unclear]] = NO_TONE
            low = low[status[low] == OK]
            status[low[_repeats_sooner(y[low], samplerate / f0_hz[low])]] = NO_TONE
        # a tone below the range that the window cannot resolve, read just above its bottom: out of range
        edge = np.flatnonzero((status == OK) & (f0_hz < EDGE_RATIO * lowest))
        if len(edge):
            status[edge[off_the_bottom(unwarped[edge], f0_hz[edge] * n / samplerate, lowest * n / samplerate)]] = (
                OUT_OF_RANGE
            )
        confidence = snr / (snr + SNR_HALF_CONFIDENCE) * np.minimum(np.maximum(coarse.score / SCORE_FULL, 0.0), 1.0)
        return f0_hz, np.where(np.isnan(confidence), 0.0, confidence), status


def detection_variance(
    noise_var: np.ndarray,
    total: np.ndarray,
    explained: np.ndarray,
    power: np.ndarray,
    omega0: np.ndarray,
    order: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The noise variance per sample that a harmonic fit's partials are detected against, and which windows are
    bright: ``noise_var`` (the energy the fit does not explain over its degrees of freedom), or, where more than
    :data:`ABOVE_MODEL_SHARE` of the window's power (``power``: its padded spectrum) lies above the model's top
    harmonic (``order`` harmonics of ``omega0``, rad/sample: a bright window), the energy the fit does not explain
    below that harmonic, over the degrees of freedom there (the window holds ``n`` samples). The fit's other tests
    (a glide, a stiff string) keep ``noise_var``: the partials above the model move the fitted ones' likelihood as
    no noise would.

    Example
    -------
    >>> from streamfreq.estimators.harmonic import padded_power
    >>> k = np.arange(1, 40)[:, None]  # partials rising 6 dB an octave, all but the first 9 above the model
    >>> y = (k * np.cos(0.02 * k * (np.arange(1024) - 511.5))).sum(axis=0)[None, :]
    >>> total = np.einsum("ij,ij->i", y, y)
    >>> explained = total * (k[:9] ** 2).sum() / (k**2).sum()  # what a model of 9 harmonics explains, exactly
    >>> residual = (total - explained) / (1024 - 2 * 9 - 2)
    >>> omega0, order = np.array([0.02]), np.array([9])
    >>> band, bright = detection_variance(residual, total, explained, padded_power(y), omega0, order, 1024)
    >>> bool(bright[0]), bool(band[0] < 1e-3 * residual[0])  # the partials above count as no noise
    (True, True)
    """
    bins = power.shape[1] - 1  # the last one at Nyquist
    cut = np.minimum(np.rint((order + 0.5) * omega0 / np.pi * bins), bins + 1)  # the first bin above the model
    below = np.cumsum(power, axis=1, dtype=np.float64)
    whole = below[:, -1]
    below = np.take_along_axis(below, np.maximum(np.nan_to_num(cut, nan=1.0).astype(np.int64) - 1, 0)[:, None], 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = below[:, 0] / whole
    bright = 1.0 - share > ABOVE_MODEL_SHARE
    rows = np.flatnonzero(bright)
    if len(rows):  # ... and held by the number's partials there, not by noise
        bright[rows] = _on_partials_above(power[rows], omega0[rows], cut[rows]) >= BRIGHT_PARTIAL_SHARE
    variance = noise_var.copy()
    rows = np.flatnonzero(bright)
    if len(rows):
        band = cut[rows] / bins  # the share of the spectrum below the cut
        left = np.maximum(total[rows] * share[rows] - explained[rows], ROUNDING * total[rows] + 1e-300)
        variance[rows] = left / np.maximum(band * n - 2 * order[rows] - 2, 1)
    return variance, bright


def _on_partials_above(power: np.ndarray, omega0: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """The share of each spectrum's ``power`` (padded, batch x bins) from bin ``cut`` up that lies within a quarter
    of ``omega0`` (rad/sample) of its multiples: about a half for noise, near 1 for the partials of that
    fundamental. 0 where a quarter of ``omega0`` spans less than a bin (the partials are not resolved)."""
    bins = power.shape[1] - 1
    spacing = omega0 / np.pi * bins  # the partials' spacing, in bins
    place = np.arange(bins + 1)[None, :] / spacing[:, None]
    near = np.abs(place - np.rint(place)) <= 0.25
    above = np.arange(bins + 1)[None, :] >= cut[:, None]
    total = np.where(above, power, 0.0).sum(axis=1)
    on = np.where(above & near, power, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((spacing >= 4.0) & (total > 0), on / total, 0.0)


def _repeats_as_well_at_half(y: np.ndarray, period: np.ndarray, repeats: np.ndarray) -> np.ndarray:
    """Which windows ``y`` (batch, N), repeating at their ``period`` (samples) at ``repeats``
    (:func:`~streamfreq.estimators.base.whole_repeats`) below :data:`UNCLEAR_REPEATS`, repeat at least as well at
    half the period."""
    unclear = repeats < UNCLEAR_REPEATS
    unclear[unclear] = whole_repeats(y[unclear], 0.5 * period[unclear]) >= repeats[unclear]
    return unclear


def _repeats_sooner(y: np.ndarray, period: np.ndarray) -> np.ndarray:
    """Which windows ``y`` (batch, N; centred) repeat at a lag from a sixth of their ``period`` (samples) to 95% of
    it, and not near a whole fraction of it, better than at the period by :data:`SHORTER_MARGIN` and at least at
    :data:`SHORTER_REPEATS` (the normalised correlation of :func:`~streamfreq.estimators.base.lag_correlation`)."""
    sooner = np.zeros(len(y), dtype=bool)
    if not len(y):
        return sooner
    correlation = lag_correlation(y)
    n = y.shape[1]
    for row, lag in enumerate(period.tolist()):
        at = int(round(lag))
        if at + 2 > n:
            continue
        lags = np.arange(max(2, int(lag / 6.0)), int(0.95 * lag))
        ratio = lag / lags
        whole = np.rint(ratio)
        other = lags[np.abs(ratio - whole) >= FRACTION_TOLERANCE * whole]
        if len(other):
            best = correlation[row, other].max()
            sooner[row] = best > max(correlation[row, at - 1 : at + 2].max() + SHORTER_MARGIN, SHORTER_REPEATS)
    return sooner


def _refit_near(y: np.ndarray, start: np.ndarray, order: np.ndarray, steps: int) -> np.ndarray:
    """The fundamental (rad/sample) of windows ``y`` at a whole fraction or multiple ``start`` of their number:
    the fit there with ``order`` harmonics, or ``start`` itself where that fit moves by half a bin or more."""
    n = y.shape[1]
    fit = harmonic_fit_by_order(y, start, order, steps)
    near = np.abs(fit.omega0 - start) * n < np.pi  # moved under half a bin
    return np.where(near, fit.omega0, start)


def _below_series_at_places(partials: Partials, omega0: np.ndarray, valid: np.ndarray, n: int) -> Partials:
    """``partials`` less those below the lowest significant harmonic of each window's fit (``valid``; fundamental
    ``omega0`` rad/sample, windows of ``n``) that lie more than a bin from their harmonic's place.

    A partial found near a harmonic of the coarse fundamental counts when the number is read in lowest terms
    (:func:`~streamfreq.estimators.partial_fit.common_divisor`) even where the fit finds it insignificant; below
    the fitted series, one off its place is no partial of the series, and would keep the number at a fraction of
    the note. Tonejs' flute C7 (2093 Hz, MP3) holds a peak at 1007 Hz, 18 dB under its fundamental and two bins from
    the half's place: read at 1050 Hz with only its 2nd harmonic significant, 5 of its 153 windows kept the half
    (confidence 0.94-0.98). Partials above the lowest significant one are left as found (a stiff string's upper
    partials lie bins off their harmonic places).

    Example
    -------
    >>> from streamfreq.estimators.harmonic import Partials
    >>> n, f0 = 2048, 50.0 / 2048  # 50 cycles per window; only its 2nd harmonic significant
    >>> found = Partials(np.array([[48.0 / n, 100.0 / n]]), np.ones((1, 2)), np.ones((1, 2)), np.ones((1, 2)))
    >>> valid = np.array([[False, True]])
    >>> _below_series_at_places(found, np.array([2 * np.pi * f0]), valid, n).energy.tolist()
    [[0.0, 1.0]]
    """
    numbers = np.arange(1, partials.frequency.shape[1] + 1)
    lowest = np.where(valid.any(axis=1), np.argmax(valid, axis=1) + 1, 0)  # the lowest significant harmonic
    places = np.outer(omega0 / (2.0 * np.pi), numbers)
    with np.errstate(invalid="ignore"):  # nan where none is found
        off = (numbers < lowest[:, None]) & ~(np.abs(partials.frequency - places) * n < 1.0)
    return partials._replace(
        frequency=np.where(off, np.nan, partials.frequency), energy=np.where(off, 0.0, partials.energy)
    )


def _odd_harmonics_absent(valid: np.ndarray) -> np.ndarray:
    """Windows whose harmonic fit has no significant odd harmonic (1st, 3rd, 5th, ...) and at least
    :data:`EVEN_HARMONICS` significant even ones (``valid``: each window's significant harmonics, columns 1, 2,
    3, ...).

    Every partial the number explains is then a harmonic of its double: the number is a sub-octave the coarse
    stage read from partials too weak to count (a voice whose glottal pulses alternate puts subharmonics 20-27
    dB under its partials, which the salience credits). A note with a fundamental or any odd partial that
    stands out of the noise keeps its number (a bassoon whose fundamental and odd partials lie 15-27 dB down), as
    does one whose odd partials, each too faint, stand together (:func:`_faint_odd_partials`).
    """
    return ~valid[:, 0::2].any(axis=1) & (valid[:, 1::2].sum(axis=1) >= EVEN_HARMONICS)


def _faint_odd_partials(power: np.ndarray, omega0: np.ndarray, order: np.ndarray, n: int) -> np.ndarray:
    """Which windows (``power``: their padded power spectra; read at ``omega0`` rad/sample with ``order``
    harmonics) hold odd harmonics, each too faint to count as a partial, that together stand as the sound's own
    (:func:`~streamfreq.estimators.octave.odd_partials_stand` over the harmonics fitted): the number is the
    fundamental, not a sub-octave of it."""
    up = omega0 / np.pi  # the double, cycles/sample
    return octave.odd_partials_stand(power, n, up, np.clip(order // 2, 1, octave.MAX_HARMONICS))


def _below_nyquist(omega0: np.ndarray, n: int) -> np.ndarray:
    """:func:`~streamfreq.estimators.harmonic_fit.harmonics_to_fit` of ``omega0`` (rad/sample), as integers."""
    return harmonics_to_fit(omega0 / (2.0 * np.pi), n).astype(np.int64)


def _repeats_clearly(power: np.ndarray, n: int, f0: np.ndarray, cutoff: float) -> np.ndarray:
    """Whether the windows of ``n`` with padded power spectra ``power`` repeat at the period ``1 / f0`` (cycles/sample)
    above :data:`REPEATS_CLEAR`, over their partials below ``cutoff``."""
    return correlation_at_period(power, n, f0, np.maximum(np.floor(cutoff / f0), 1.0)) > REPEATS_CLEAR


def _louder_of_two_notes(coarse: Coarse, f0: np.ndarray, partials: Partials, n: int) -> np.ndarray:
    """The windows whose ``partials``, found at the coarse fundamentals ``f0`` (cycles/sample), are two notes' in a
    simple ratio (:func:`~streamfreq.estimators.two_notes.louder_multiple`), as a mask; there ``f0`` moves to the
    louder note's fundamental and ``partials`` to the partials found at it (both in place)."""
    multiple = louder_multiple(coarse, f0, partials, n)
    rows = np.flatnonzero(multiple != 1)
    if len(rows):
        f0[rows] *= multiple[rows]
        again = find_partials(coarse.rows(rows), f0[rows], PARTIAL_HARMONICS, n)
        for mine, note in zip(partials, again, strict=True):
            mine[rows] = note
    return multiple != 1


def _band_noise(y: np.ndarray, f0: np.ndarray, clarity: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Which windows ``y`` (dechirped where their fit glided) read at ``f0`` (cycles per sample, ``status`` ok) are
    noise in bands: a peak :data:`BAND_NOISE_CLEAR` over its floor (``clarity``), and a waveform that repeats at
    the number's period under :data:`BAND_NOISE_REPEATS`."""
    out = np.zeros(len(y), dtype=bool)
    rows = np.flatnonzero((status == OK) & (clarity >= BAND_NOISE_CLEAR))
    if len(rows):
        with np.errstate(invalid="ignore"):  # nan: a period too long to read, kept
            out[rows] = whole_repeats(y[rows], 1.0 / f0[rows]) < BAND_NOISE_REPEATS
    return out


def _narrow(rows: np.ndarray, y: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` and windows ``y`` where ``keep`` (no copy when all are kept)."""
    return (rows, y) if keep.all() else (rows[keep], y[keep])


def _stiff_candidates(fit: HarmonicFit, valid: np.ndarray, noise_var: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Windows whose partials may be a stiff string's: off the harmonic series (:func:`inharmonic`) and stretched
    upwards at least :data:`STRETCH_SCORE` standard deviations (the score test of the stretch alone)."""
    width = fit.misfit.shape[1]
    misfit = (fit.misfit * valid[:, :width]).sum(axis=1) / noise_var
    return inharmonic(misfit, count) & (fit.stretch > STRETCH_SCORE * np.sqrt(noise_var))
