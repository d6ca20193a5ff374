"""Harmonic salience: which fundamental explains a window's spectrum, and where its partials are.

The coarse stage of the ``fft`` estimator, all from one 2x zero-padded FFT of
the Hann-windowed window (frequencies here are in cycles per sample):

1. **Local SNR.** The power spectrum is divided by a noise floor estimated
   per half-octave band (a low quantile of the band, so partials do not
   raise it) and by a dynamic-range floor :data:`DYNAMIC_RANGE_DB` below the
   strongest bin (leakage and reverberation that far down is not evidence).
   Coloured noise, breath and clicks have no bins far above their own local
   floor, so they score nothing. A band that a recording's band limit cuts
   (a resampler's roll-off) takes its quantile from its part below the cut,
   and one that it leaves silent (a lossy coder's zeros) the level of the
   last band that sounds.
2. **Log-frequency salience.** The log local SNR is max-pooled onto a grid of
   :data:`BINS_PER_OCTAVE` bins per octave. Harmonic ``l`` of a candidate
   fundamental then sits a fixed ``log2(l)`` octaves above it, so the
   harmonic sums for every candidate are shifted sums of one array; harmonics
   from the second up may sit one grid step off, which also tolerates a
   stiff string's stretched partials over the first ~8 harmonics.
3. **Model order and the octave prior.** Each harmonic adds
   ``clip(log SNR - log(expected noise maximum) - PRESENT, -HOLE, CAP)``: a
   partial clearly above the noise earns up to :data:`CAP`, a harmonic the
   model claims but the spectrum lacks costs up to :data:`HOLE`. The model
   order ``L`` of each candidate is the prefix of harmonics with the largest
   sum (its maximum a posteriori order under this cost), and the fundamental
   is the candidate with the largest sum. The hole cost is the prior against
   sub-octaves (``f0/2`` claims a hole between every pair of partials), and
   the odd partials that ``2 f0`` cannot explain are the evidence against the
   octave above; a missing fundamental costs one hole and is outweighed by
   its odd partials.

Example
-------
>>> import numpy as np
>>> from streamfreq.estimators.harmonic import salience, spectrum
>>> n = 2048
>>> m = np.arange(n)
>>> y = sum(np.cos(2 * np.pi * l * 0.01 * m + l) / l for l in (2, 3, 4, 5))  # no fundamental
>>> coarse = salience(spectrum(y[None]), n, 0.5 / n, 0.5)
>>> round(float(coarse.f0[0]), 3), bool(coarse.score[0] > 10)
(0.01, True)
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from streamfreq.estimators import pocketfft

#: Grid steps per octave of the candidate fundamentals (50 cents).
BINS_PER_OCTAVE = 24
#: Harmonics scored per candidate.
MAX_HARMONICS = 12
#: Harmonics whose peaks place the chosen fundamental before the search for all of them.
LOCATING_HARMONICS = 4
#: Harmonics searched for partials once the fundamental is chosen.
PARTIAL_HARMONICS = 24
#: Spectrum more than this far below its strongest bin counts as noise.
DYNAMIC_RANGE_DB = 50.0
#: A band this far below the dynamic range's floor, above a recording's band limit, is silence (a lossy coder's
#: zeros), not a noise floor (16-bit quantisation noise lies 50..70 dB under the floor of a loud window).
SILENCE_DB = 40.0
#: Quantile of each band's power that estimates its noise (low, so partials do not raise it).
FLOOR_QUANTILE = 0.2
#: Steepest rise of the noise floor, dB per octave (brown noise falls 6 dB per octave).
FLOOR_SLOPE_DB = 15.0
#: Farthest a partial is looked for from its harmonic, in padded bins (4 bins of the window).
PARTIAL_REACH = 8
#: Log SNR margin (over the expected pooled noise maximum) at which a partial starts to count.
PRESENT = 2.0
#: Largest cost of a harmonic the spectrum lacks.
HOLE = 2.0
#: Prior credit per octave of candidate f0: between candidates that explain the spectrum equally, the higher.
OCTAVE_PRIOR = 0.25
#: Largest credit of one partial (about 25 dB over the expected noise maximum).
CAP = 5.0
#: Padded bins either side of a peak within which its sidelobes lie (5 bins of the unpadded window).
SIDELOBE_REACH = 10
#: How far below a stronger peak within reach a peak may lie before it is taken for a sidelobe.
SIDELOBE_DB = 30.0
#: A partial found near a harmonic must stand this far (log power) above its local floor (the time-domain fit
#: then keeps only partials whose energy is significant).
PARTIAL_LOG_SNR = 1.0
#: The candidate's own period is rejected when its normalised autocorrelation is below this share of the best...
PERIOD_RATIO = 0.7
#: ...and the best multiple reaches this at all.
PERIOD_MIN = 0.5
#: Multiples within this of the best autocorrelation count as equally good (the smallest wins).
PERIOD_TIE = 0.05
#: A period's peak rises at least this far above the lowest the autocorrelation reads at any shorter lag. Over a
#: period it averages about 0, so a period that can win (:data:`PERIOD_MIN`) rises 0.5 or more; a ripple of noise
#: on the main lobe's slope, where a low note's waveform has hardly changed, does not (at -5..0 dB it came within
#: :data:`PERIOD_TIE` of the period's own peak, and its 2..3 kHz won).
PERIOD_DEPTH = 0.25
#: Where the Hann window's autocorrelation has fallen below ``1 / PERIOD_LAG_FREE`` of its peak (lags past about a
#: third of the window), the normalised autocorrelation divides by a small overlap, and energy that is not spread
#: evenly over the window lifts it towards 1: strong low-frequency noise (pink noise or rumble 10 dB below a low
#: voice read it at 1.0 for twice the period, against 0.8..0.95 at the period), or a sound that starts or stops
#: within the window. A peak there loses :data:`PERIOD_TIE` for each unit the inverse ratio exceeds this.
PERIOD_LAG_FREE = 2.0
#: Highest frequency (Hz) in the autocorrelation that checks the period.
PERIOD_CUTOFF_HZ = 3000.0
#: A salience below this (one partial about 19 dB over the expected maximum of the noise around it) is weak:
#: a candidate above the period's cutoff scoring less gives way to a clear period. A sine above 3 kHz scores 1.4
#: and more at -5 dB per-sample SNR, 2.6 at 0 dB, 5 at 10 dB; a lossy coder's lone lines high up 1..2.5.
WEAK_SCORE = 2.5
#: Shortest overlap of a window with itself, as a fraction, at which its autocorrelation is read.
MIN_OVERLAP = 0.5
#: The highest candidate fundamental lies this many cycles per window below Nyquist (``fft``'s ``min_cycles``).
MIN_CYCLES = 2.0
#: A found partial this far (log power) above its floor counts against reading its fundamental higher.
CLEAR_LOG_SNR = math.log(30.0)
#: The strongest partial must stand this far (log power, 13 dB) above its local noise floor for ``fft`` to detect a
#: tone: coloured noise, breath and hiss, whose peaks stand only as far as chance lifts them, say no_tone.
DETECT_LOG_SNR = math.log(20.0)


class Spectrum(NamedTuple):
    """A batch of padded Hann power spectra with what the stages need to read them."""

    power: np.ndarray
    """Power (batch, bins), float32."""
    log_power: np.ndarray
    """Its natural log."""
    peaks: np.ndarray
    """Bins that are peaks and not a stronger peak's sidelobe (:func:`_peaks`)."""
    peak_log: np.ndarray
    """The log power at those peaks, -inf elsewhere."""
    band_floor: np.ndarray
    """Log noise floor of each band (batch, bands), at least the dynamic-range floor."""
    band_level: np.ndarray
    """Log noise level of each band on its own (batch, bands), before quieter bands lower it to ``band_floor``."""
    bin_band: np.ndarray
    """The band of each bin (bins,)."""

    def rows(self, index: np.ndarray) -> Spectrum:
        """The spectra of windows ``index`` only."""
        return Spectrum(*(part[index] for part in self[:6]), self.bin_band)


class Coarse(NamedTuple):
    """What :func:`salience` returns, per window."""

    f0: np.ndarray
    """Best candidate fundamental (cycles/sample)."""
    score: np.ndarray
    """Its salience (sum of per-harmonic credits, see the module docstring)."""
    lone: np.ndarray
    """The log-grid frequency of the single most prominent peak (the fallback for a lone tone)."""
    spectrum: Spectrum
    """The spectra it was read from."""

    def rows(self, index: np.ndarray) -> Coarse:
        """The results of windows ``index`` only."""
        return Coarse(*(part[index] for part in self[:3]), self.spectrum.rows(index))


class Partials(NamedTuple):
    """What :func:`find_partials` returns: one row per window, one column per harmonic."""

    frequency: np.ndarray
    """Interpolated peak frequency (cycles/sample), nan where the harmonic was not found."""
    log_snr: np.ndarray
    """Log of peak power over the local floor, -inf where not found."""
    level_snr: np.ndarray
    """Log of peak power over its band's own level (``Spectrum.band_level``), -inf where not found."""
    energy: np.ndarray
    """The energy a sinusoid with that peak puts in the window, ``2 N P / sum(w)**2`` (0 where not found)."""

    def rows(self, index: np.ndarray) -> Partials:
        """The partials of windows ``index`` only."""
        return Partials(*(part[index] for part in self))


@functools.lru_cache(maxsize=8)
def _plan(n: int) -> dict[str, np.ndarray | int]:
    """Everything about the spectrum and the log grid that depends only on the window length."""
    nfft = pocketfft.next_fast_len(2 * n, real=True)
    window = np.hanning(n + 2)[1:-1].astype(np.float32)
    bins = nfft // 2 + 1
    lowest = 0.5 / n
    count = int(math.ceil(BINS_PER_OCTAVE * math.log2(0.5 / lowest))) + 1
    centres = lowest * 2.0 ** (np.arange(count) / BINS_PER_OCTAVE)
    edges = np.ceil(centres * 2.0 ** (-0.5 / BINS_PER_OCTAVE) * nfft).astype(np.int64)
    starts = np.clip(np.minimum(edges, np.rint(centres * nfft).astype(np.int64)), 0, bins - 1)
    ends = np.append(starts[1:], bins)
    pooled = np.maximum(ends - starts, 1)
    wide = np.maximum(np.append(ends[2:], [bins, bins]) - np.concatenate(([0], starts[:-1])), 1)
    band_edges = [0]
    for edge in 32.0 * 2.0 ** (np.arange(40) / 2.0):  # half octaves, 24 bins at least
        if edge >= bins:
            break
        if edge - band_edges[-1] >= 24:
            band_edges.append(int(edge))
    if bins - band_edges[-1] < 24 and len(band_edges) > 2:
        band_edges.pop()
    band_edges = np.array(band_edges + [bins]) if len(band_edges) > 1 else np.array([0, bins // 2, bins])
    band_centres = 0.5 * (band_edges[:-1] + band_edges[1:] - 1)
    bin_band = np.repeat(np.arange(len(band_edges) - 1), np.diff(band_edges))
    octaves = np.abs(np.log2(band_centres + 1.0)[:, None] - np.log2(band_centres + 1.0)[None, :])
    return {
        "nfft": nfft,
        "window": window,
        "gain": float(np.sum(window, dtype=np.float64)) ** 2,
        # each bin's number and weight in a real inverse transform (DC and Nyquist count once)
        "inverse_weights": np.stack(
            [np.arange(bins), np.where((np.arange(bins) > 0) & (2 * np.arange(bins) < nfft), 2.0, 1.0)]
        ),
        "window_correlation": np.maximum(np.correlate(window, window, "full")[n - 1 :], 1e-3 * float(window @ window))
        / float(window @ window),
        "centres": centres,
        "starts": starts,
        "centre_band": bin_band[np.clip(np.rint(centres * nfft).astype(np.int64), 0, bins - 1)],
        "expected_noise": np.log(_harmonic_number(pooled)).astype(np.float32),
        "expected_noise_wide": np.log(_harmonic_number(wide)).astype(np.float32),
        "partial_floor": PARTIAL_LOG_SNR + np.log(_harmonic_number(np.arange(2 * bins + 2))),
        "offsets": np.rint(BINS_PER_OCTAVE * np.log2(np.arange(1, MAX_HARMONICS + 1))).astype(np.int64),
        "band_edges": band_edges,
        "band_quantiles": [
            (int(start), int(stop), int(FLOOR_QUANTILE * (stop - start - 1)))
            for start, stop in zip(band_edges[:-1], band_edges[1:], strict=True)
        ],
        "quantile_bins": band_edges[:-1] + (FLOOR_QUANTILE * (np.diff(band_edges) - 1)).astype(np.int64),
        "bin_band": bin_band,
        "floor_rise": np.float32(FLOOR_SLOPE_DB * math.log(10.0) / 10.0) * octaves.astype(np.float32),
    }


def _harmonic_number(count: np.ndarray) -> np.ndarray:
    """Expected maximum of ``count`` unit exponentials (the harmonic number, asymptotically)."""
    count = np.maximum(np.asarray(count, dtype=np.float64), 1.0)
    return np.where(count < 2, 1.0, np.log(count) + 0.5772 + 0.5 / count)


def padded_power(y: np.ndarray) -> np.ndarray:
    """Power spectra of the Hann-windowed windows ``y`` (batch, N), zero-padded to about twice their length
    (float32, (batch, bins)): :func:`spectrum`'s, without its peaks and floors."""
    plan = _plan(y.shape[1])
    padded = np.zeros((len(y), plan["nfft"]), dtype=np.float32)  # windowed and zero-padded in place: no copies
    np.multiply(y, plan["window"], out=padded[:, : y.shape[1]], dtype=np.float32, casting="same_kind")
    return _squared_magnitude(pocketfft.rfft(padded))


def spectrum(y: np.ndarray) -> Spectrum:
    """Padded Hann power spectra of windows ``y`` (batch, N), their peaks and noise floors."""
    plan = _plan(y.shape[1])
    power = padded_power(y)
    log_power = np.log(power + np.float32(1e-30))
    dynamic = log_power.max(axis=1, keepdims=True) - np.float32(DYNAMIC_RANGE_DB * math.log(10.0) / 10.0)
    work = power.copy()  # each band partitioned in place around its quantile
    for start, stop, kth in plan["band_quantiles"]:
        work[:, start:stop].partition(kth, axis=1)
    levels = work[:, plan["quantile_bins"]]
    first_empty = _cut_band_levels(power, log_power >= dynamic, plan["band_edges"], levels)
    log_levels = np.log(np.maximum(levels, 1e-37)) - np.float32(math.log(-math.log(1.0 - FLOOR_QUANTILE)))
    # a band that a band limit leaves silent (SILENCE_DB under the dynamic range's floor: a codec's zeros, not
    # a noise floor) is not quiet: it takes the level of the last band that sounds, at most the dynamic range's
    # floor (a lossy coder's silence above 8 kHz would otherwise pull every floor below down to that floor,
    # and the traces between a voice's partials would stand out as partials)
    if (first_empty < log_levels.shape[1]).any():
        rows = np.arange(len(first_empty))
        last = np.maximum(first_empty - 1, 0)
        inherited = np.where(first_empty > 0, np.minimum(log_levels[rows, last], dynamic[:, 0]), dynamic[:, 0])
        silent = log_levels < dynamic - np.float32(SILENCE_DB * math.log(10.0) / 10.0)
        silent &= np.arange(log_levels.shape[1]) >= first_empty[:, None]
        np.copyto(log_levels, inherited[:, None], where=silent)
    own = np.maximum(log_levels, dynamic)  # each band's own level, at or above the floor below
    # lower envelope rising at most FLOOR_SLOPE_DB per octave away from any band: a band full of a low
    # note's partials takes its floor from the quieter bands beside it, while coloured noise keeps its own
    log_levels = (log_levels[:, None, :] + plan["floor_rise"]).min(axis=2)
    peaks = _peaks(power)
    return Spectrum(
        power,
        log_power,
        peaks,
        np.where(peaks, log_power, -np.inf),
        np.maximum(log_levels, dynamic),
        own,
        plan["bin_band"],
    )


def _cut_band_levels(power: np.ndarray, audible: np.ndarray, band_edges: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Set ``levels`` (batch, bands) of each band that a band limit cuts to the quantile of its part below the cut;
    return the first band of each window that the limit empties.

    Above the last bin within the dynamic range (``audible``) a recording band-limited below Nyquist
    (resampled, or lossily coded) holds only its filter's roll-off, not noise, and a low quantile of a
    band that spans the cut lands there: the noise peaks below the cut would stand far over that floor
    and pass for partials. A band at least half of which lies below the cut takes :data:`FLOOR_QUANTILE`
    of that part alone (where an eighth or more lies above it: a smaller part hardly moves the quantile); a
    band cut lower counts as emptied, as do those above it (the number of bands where nothing is cut).
    """
    bins = audible.shape[1]
    edge = bins - np.argmax(audible[:, ::-1], axis=1)  # the first bin of the roll-off
    band = np.searchsorted(band_edges, edge, side="right") - 1
    start = band_edges[np.minimum(band, len(band_edges) - 2)]
    stop = band_edges[np.minimum(band + 1, len(band_edges) - 1)]
    sounding = 2 * (edge - start) >= stop - start
    cut = (edge < bins) & sounding & (8 * (stop - edge) >= stop - start)
    for index in np.unique(band[cut]).tolist() if cut.any() else ():
        rows = np.flatnonzero(cut & (band == index))
        low, high = band_edges[index], band_edges[index + 1]
        part = np.where(np.arange(low, high) < edge[rows, None], power[rows, low:high], np.float32(np.inf))
        part.sort(axis=1)
        levels[rows, index] = part[np.arange(len(rows)), (FLOOR_QUANTILE * (edge[rows] - low - 1)).astype(np.int64)]
    return np.where(edge < bins, np.where(sounding, band + 1, band), len(band_edges) - 1)


def clearest(spec: Spectrum, n: int) -> np.ndarray:
    """The largest log power over its band's floor of any peak in each of the spectra ``spec`` of windows of ``n``:
    no partial found stands higher."""
    bands = np.maximum.reduceat(spec.peak_log, _plan(n)["band_edges"][:-1], axis=1)
    return (bands - spec.band_floor).max(axis=1)


def salience(spec: Spectrum, n: int, low: float, high: float) -> Coarse:
    """Best fundamental between ``low`` and ``high`` (cycles/sample) in each of the spectra ``spec`` of windows of
    ``n`` (:func:`spectrum`)."""
    plan = _plan(n)
    search = _candidates(n, low, high)
    pooled = np.maximum.reduceat(spec.peak_log, plan["starts"], axis=1) - spec.band_floor[:, plan["centre_band"]]
    wide = pooled.copy()
    np.maximum(wide[:, 1:], pooled[:, :-1], out=wide[:, 1:])
    np.maximum(wide[:, :-1], pooled[:, 1:], out=wide[:, :-1])
    over = pooled - plan["expected_noise"]
    first = np.minimum(np.maximum(over[:, search.columns] - PRESENT, -HOLE), CAP)
    later = np.zeros((len(wide), search.width), dtype=wide.dtype)  # harmonics beyond Nyquist: neutral
    np.minimum(np.maximum(wide - plan["expected_noise_wide"] - PRESENT, -HOLE), CAP, out=later[:, : wide.shape[1]])
    total, best_total = first, first.copy()  # (first is not read again: summed in place)
    for offset in search.harmonics:  # harmonic by harmonic: the best prefix (model order)
        total += later[:, offset : offset + len(search.centres)]
        np.maximum(best_total, total, out=best_total)
    best = (best_total + search.prior).argmax(axis=1)
    return Coarse(
        f0=search.centres[best],
        score=best_total[np.arange(len(wide)), best].astype(np.float64),
        lone=plan["centres"][over.argmax(axis=1)],
        spectrum=spec,
    )


def coarse_fundamental(spec: Spectrum, n: int, samplerate: float, min_cycles: float = MIN_CYCLES) -> Coarse:
    """``fft``'s coarse stage on the spectra ``spec`` of windows of ``n`` sampled at ``samplerate``: the salience's
    best fundamental (:func:`salience`, up to ``min_cycles`` cycles per window below Nyquist), where the waveform
    does not repeat at it moved to the period it repeats at (:func:`prefer_period`); as :class:`Coarse`.

    Example
    -------
    >>> from streamfreq.signals import harmonic_tone
    >>> y = harmonic_tone(2048, 48000.0, 220.0, [0.2, 1.0, 0.5, 0.3])[None]
    >>> round(float(coarse_fundamental(spectrum(y), 2048, 48000.0).f0[0] * 48000.0), -1)
    220.0
    """
    coarse = salience(spec, n, 0.5 / n, 0.5 - min_cycles / n)
    cutoff = min(0.5, PERIOD_CUTOFF_HZ / samplerate)
    return coarse._replace(f0=prefer_period(spec.power, n, cutoff, coarse.f0, 1.0 / n, coarse.score))


class _Candidates(NamedTuple):
    """The candidate fundamentals of :func:`salience` between two frequencies."""

    columns: slice
    """Their columns of the log grid (a contiguous run)."""
    harmonics: list
    """The first column of the run of their harmonics 2, 3, ..."""
    width: int
    """Columns the credits of the harmonics need (the grid and, beyond Nyquist, zeros)."""
    centres: np.ndarray
    """Their frequencies (cycles/sample)."""
    prior: np.ndarray
    """Their prior credit, :data:`OCTAVE_PRIOR` per octave."""


@functools.lru_cache(maxsize=16)
def _candidates(n: int, low: float, high: float) -> _Candidates:
    """:class:`_Candidates` for windows of ``n`` between ``low`` and ``high`` (cycles/sample)."""
    plan = _plan(n)
    centres = plan["centres"]
    step = 2.0 ** (1.0 / BINS_PER_OCTAVE)
    index = np.flatnonzero((centres * step >= low) & (centres <= high * step))
    harmonics = (index[0] + plan["offsets"][1:]).tolist()
    return _Candidates(
        columns=slice(int(index[0]), int(index[0]) + len(index)),
        harmonics=harmonics,
        width=max(len(centres), harmonics[-1] + len(index)),
        centres=centres[index],
        prior=OCTAVE_PRIOR * np.log2(centres[index]),
    )


def _peaks(power: np.ndarray) -> np.ndarray:
    """Bins that are spectral peaks: local maxima over +-2 padded bins, not a sidelobe of a stronger peak.

    A Hann window's sidelobes lie 31 dB and more below their main lobe and
    within :data:`SIDELOBE_REACH` padded bins of it; a peak that much weaker than
    the strongest bin of its neighbourhood (the blocks of that size around
    it) is taken for a sidelobe. Only peaks count as partials, so a strong
    partial's main lobe and sidelobes cannot pass for several harmonics of a
    lower candidate.
    """
    count, bins = power.shape
    # a local maximum over +-2 bins is the maximum of the five (over the batch laid end to end: contiguous)
    flat = power.ravel()
    most = np.maximum(flat[:-1], flat[1:])
    most = np.maximum(most[:-2], most[2:])
    np.maximum(most[:-1], flat[4:], out=most[:-1])
    peak = np.zeros(power.shape, dtype=bool)
    np.equal(flat[2:-2], most[:-1], out=peak.ravel()[2:-2])
    peak[:, :2] = peak[:, -2:] = False  # windows' ends, compared across the joins
    # the maximum of each block of SIDELOBE_REACH bins (and an empty block either side), reduced over the
    # blocks' bins laid out as rows: a reduction over a short last axis is slow
    blocks, last = divmod(bins, SIDELOBE_REACH)
    padded = np.zeros((count, SIDELOBE_REACH, blocks + 3), dtype=power.dtype)
    whole = power[:, : blocks * SIDELOBE_REACH].reshape(count, blocks, SIDELOBE_REACH)
    padded[:, :, 1 : blocks + 1] = whole.transpose(0, 2, 1)
    padded[:, :last, blocks + 1] = power[:, blocks * SIDELOBE_REACH :]
    block_max = padded.max(axis=1)
    around = np.maximum(np.maximum(block_max[:, :-2], block_max[:, 1:-1]), block_max[:, 2:])
    # each bin against the blocks around its own (the last, short block's too)
    scaled = power * np.float32(10.0 ** (SIDELOBE_DB / 10.0))
    clear = np.empty(power.shape, dtype=bool)
    shape = (count, blocks, SIDELOBE_REACH)
    cut = blocks * SIDELOBE_REACH
    np.greater_equal(scaled[:, :cut].reshape(shape), around[:, :blocks, None], out=clear[:, :cut].reshape(shape))
    np.greater_equal(scaled[:, cut:], around[:, blocks, None], out=clear[:, cut:])
    peak &= clear
    return peak


def _squared_magnitude(values: np.ndarray) -> np.ndarray:
    """``real**2 + imag**2`` of complex64 ``values`` (batch, bins), squared in place as one contiguous run."""
    squares = values.view(np.float32)
    np.multiply(squares, squares, out=squares)
    return squares[:, 0::2] + squares[:, 1::2]


def periodicity(power: np.ndarray, n: int, cutoff: float) -> tuple[np.ndarray, int]:
    """Normalised autocorrelation of each window, from its padded Hann power spectrum, and its lag step.

    The autocorrelation of the windowed signal divided by the window's own
    autocorrelation estimates the signal's (Boersma 1993); 1 at lag 0, near 1
    at any whole number of periods of a steady periodic sound. Only the
    spectrum below ``cutoff`` (cycles/sample) enters, which keeps the
    autocorrelation smooth, so it is computed every ``step`` samples (about
    8 lags per period of the cutoff) up to lag N.
    """
    plan = _plan(n)
    top, step = _lag_plan(n, cutoff)
    lagged = pocketfft.irfft(power[:, :top], plan["nfft"] // step)[:, : n // step]
    nacf = lagged / plan["window_correlation"][:n:step][: lagged.shape[1]] / np.maximum(lagged[:, :1], 1e-37)
    return np.minimum(nacf, 1.0), step


@functools.lru_cache(maxsize=16)
def _lag_plan(n: int, cutoff: float) -> tuple[int, int]:
    """Bins of the spectrum below ``cutoff`` and the lag step of :func:`periodicity` for windows of ``n``."""
    nfft = _plan(n)["nfft"]
    top = int(min(nfft // 2 + 1, np.ceil(cutoff * nfft) + 1))
    step = max(1, nfft // pocketfft.next_fast_len(max(8 * top, 64)))
    while nfft % step:
        step -= 1
    return top, step


@functools.lru_cache(maxsize=16)
def _long_lag_penalty(n: int, cutoff: float) -> np.ndarray:
    """What :func:`prefer_period` takes off the autocorrelation at each lag of :func:`periodicity` (windows of ``n``):
    :data:`PERIOD_TIE` per unit by which the Hann window's autocorrelation, relative to its peak, falls below
    ``1 / PERIOD_LAG_FREE`` (none up to about a third of the window, 0.2 at half of it)."""
    step = _lag_plan(n, cutoff)[1]
    correlation = _plan(n)["window_correlation"]
    inverse = correlation[0] / correlation[np.minimum(np.arange(n // step) * step, n - 1)]
    return PERIOD_TIE * np.maximum(inverse - PERIOD_LAG_FREE, 0.0)


def prefer_period(
    power: np.ndarray, n: int, cutoff: float, f0: np.ndarray, low: float, score: np.ndarray | None = None
) -> np.ndarray:
    """The fundamental the waveform's repetition supports, where the spectral candidate ``f0`` is not a period.

    ``power`` holds the padded power spectra of windows of ``n``; the autocorrelation is
    :func:`periodicity`'s below ``cutoff`` (cycles/sample).
    The spectral salience can take a strong upper partial of a low note for
    its fundamental, or land between the crowded partials of a low note. The
    waveform tells: it repeats at the true period. When the normalised
    autocorrelation at ``1 / f0`` is below :data:`PERIOD_RATIO` of its
    highest peak (lags ``1 / cutoff`` to half the window, fundamentals down to
    ``low``; a peak counts where it rises :data:`PERIOD_DEPTH` above every
    shorter lag's value), the shortest lag whose peak is within
    :data:`PERIOD_TIE` of that highest is the period (only for candidates below ``cutoff``,
    which the autocorrelation sees). A multiple of the period repeats no better
    than the period itself, so a sub-octave is never preferred. Peaks at lags
    where the window overlaps itself little are read less the penalty of
    :data:`PERIOD_LAG_FREE` (:func:`_long_lag_penalty`) when they are compared:
    there uneven energy or low-frequency noise lifts the autocorrelation.

    A candidate whose autocorrelation is higher at half its lag than at its lag
    is no period of the sound at all, however high its own value: a period
    repeats at least as well as any shorter lag, and there the lag lies on the
    slope of the autocorrelation's main lobe (a lone upper partial of a low
    note, whose waveform hardly changes over that lag). Such a candidate gives
    way to the longer period where the waveform repeats, whatever its own value.

    A candidate above ``cutoff`` whose salience ``score`` (:func:`salience`'s, where given) is below
    :data:`WEAK_SCORE` rests on one partial that hardly stands out, such as a chance peak of noise near
    the top of a spectrum that a resampler's filter rolls off, or a lossy coder's lone line. The
    autocorrelation cannot check it, and it gives way to the period where the waveform repeats (above
    :data:`PERIOD_MIN`). (A tone whose main lobe reaches below ``cutoff`` repeats there at every multiple
    of its period, one of which reads best: it keeps its number.)

    The autocorrelation at ``1 / f0`` is summed directly from the spectrum; the whole autocorrelation is
    computed only for the windows where that leaves the period in doubt (below :data:`PERIOD_RATIO`: no peak
    is above 1).
    """
    lag_step = _lag_plan(n, cutoff)[1]
    lags, shortest = n // lag_step, 1.0 / cutoff
    own, half = _correlation_at(power, n, cutoff, np.outer(1.0 / (f0 * lag_step), _OWN_AND_HALF)).T
    on_slope = own < half  # not a period: on the main lobe's slope
    top = int(min((1.0 - MIN_OVERLAP) * lags, 1.0 / (low * lag_step), lags - 2))
    start = max(int(np.ceil(shortest / lag_step)), 1)
    doubt = ((own < PERIOD_RATIO) | on_slope) & (f0 * shortest < 1.0)  # no peak is above 1: only these can switch
    if score is not None:  # a weak candidate above the cutoff, main lobe and all: no period of its own to keep
        unseen = ((f0 - MAIN_LOBE_BINS / n) * shortest >= 1.0) & (score < WEAK_SCORE)
        own = np.where(unseen, -np.inf, own)
        doubt |= unseen
    if top <= start + 1 or not doubt.any():
        return f0
    rows = np.flatnonzero(doubt)
    nacf = periodicity(power[rows], n, cutoff)[0]
    middle = nacf[:, start:top]
    peaks = (middle >= nacf[:, start - 1 : top - 1]) & (middle > nacf[:, start + 1 : top + 1])
    peaks &= middle - np.minimum.accumulate(nacf[:, :top], axis=1)[:, start:top] >= PERIOD_DEPTH
    value = np.where(peaks, middle, -np.inf)
    adjusted = value - _long_lag_penalty(n, cutoff)[start:top]
    first = (adjusted >= (adjusted.max(axis=1) - PERIOD_TIE)[:, None]).argmax(axis=1) + start
    best = value.max(axis=1)
    around = nacf.take(first[:, None] + _AROUND + np.arange(len(rows))[:, None] * lags)
    left, mid, right = around[:, 0], around[:, 1], around[:, 2]
    curvature = left - 2.0 * mid + right
    concave = curvature < 0
    shift = np.where(concave, 0.5 * (left - right) / np.where(concave, curvature, -1.0), 0.0)
    period = (first + np.minimum(np.maximum(shift, -0.5), 0.5)) * lag_step
    longer = on_slope[rows] & (period * f0[rows] > 1.0)
    switch = ((own[rows] < PERIOD_RATIO * best) | longer) & (best > PERIOD_MIN) & np.isfinite(best)
    f0 = f0.copy()
    f0[rows] = np.where(switch, 1.0 / period, f0[rows])
    return f0


def double_period_excess(power: np.ndarray, n: int, cutoff: float, f0: np.ndarray) -> np.ndarray:
    """How much better each window's waveform repeats at twice the period ``1 / f0`` (cycles/sample) than at it:
    the normalised autocorrelation at the double lag less that at the lag; -inf where the double lag reads below
    :data:`PERIOD_MIN`.

    ``power`` holds the padded power spectra of windows of ``n``; the autocorrelation is
    :func:`periodicity`'s below ``cutoff``, summed from the spectrum at the two exact lags (one cosine per bin:
    ``cos 2x = 2 cos**2 x - 1``). A period repeats at least as well as any multiple of it, so a number whose
    waveform repeats better at twice its period may be an octave above the fundamental. For a steady periodic
    sound the excess is about twice the share of the energy that the odd harmonics of half the number hold.

    Example
    -------
    >>> import numpy as np
    >>> from streamfreq.signals import harmonic_tone
    >>> low = harmonic_tone(2048, 48000.0, 52.0, [0.05, 1.0, 0.1, 0.5, 0.0, 0.2, 0.4], seed=1)  # odd ones: 12%
    >>> round(float(double_period_excess(spectrum(low[None]).power, 2048, 0.0625, np.array([104.0 / 48000]))[0]), 2)
    0.22
    """
    top, step = _lag_plan(n, cutoff)
    angles, weights = _lag_terms(n, cutoff)[:2]
    lag = 1.0 / np.asarray(f0, dtype=np.float64)  # samples
    shares = power[:, :top] * weights
    once = np.cos(angles * (lag / step)[:, None])
    lagged = np.stack([(shares * once).sum(axis=1), (shares * (2.0 * once * once - 1.0)).sum(axis=1)])  # cos 2x
    lags = np.minimum(np.rint(np.outer(_OWN_AND_DOUBLE, lag)).astype(np.int64), n - 1)  # (2, batch)
    single, double = np.minimum(
        lagged / (_plan(n)["window_correlation"][lags] * np.maximum(shares.sum(axis=1), 1e-37)), 1.0
    )
    return np.where(double >= PERIOD_MIN, double - single, -np.inf)


def correlation_at_period(power: np.ndarray, n: int, f0: np.ndarray, harmonics: np.ndarray) -> np.ndarray:
    """The normalised autocorrelation of each window at its period ``1 / f0`` (cycles/sample) over the band of
    its partials, from half the fundamental to half a harmonic above its ``harmonics``-th, from its padded Hann
    power spectrum (:func:`spectrum`), read at the exact lag.

    Near 1 for a steady periodic sound. White noise within that band
    contributes nothing at the period (the band's edges are half-integer
    multiples of ``f0``), so a periodic sound in white noise reads
    ``s / (1 + s)`` with ``s`` its SNR within the band, above its per-sample SNR.
    Noise that fills the band, of any colour, reads near 0.

    Example
    -------
    >>> import numpy as np
    >>> from streamfreq.signals import tone
    >>> power = spectrum(tone(2048, 20.48)[None, :]).power
    >>> round(float(correlation_at_period(power, 2048, np.array([0.01]), np.array([1]))[0]), 3)
    1.0
    """
    plan = _plan(n)
    nfft = plan["nfft"]
    f0 = np.asarray(f0, dtype=np.float64)[:, None]
    edges = (0.5 * f0 * nfft, (np.asarray(harmonics, dtype=np.float64)[:, None] + 0.5) * f0 * nfft)
    top = min(power.shape[1], int(edges[1].max(initial=0.0)) + 1)  # no bin above the highest band
    bins = plan["inverse_weights"][0, :top]
    shares = np.where((bins >= edges[0]) & (bins <= edges[1]), power[:, :top] * plan["inverse_weights"][1, :top], 0.0)
    lag = 1.0 / f0[:, 0]
    lagged = np.einsum("ij,ij->i", shares, np.cos((2.0 * np.pi / nfft) * lag[:, None] * bins))
    own = plan["window_correlation"][np.minimum(np.rint(lag).astype(np.int64), n - 1)]  # smooth in the lag
    return np.minimum(lagged / (own * np.maximum(shares.sum(axis=1), 1e-37)), 1.0)


#: Half width, in bins of the window, of the neighbourhood :func:`lobe_share` reads around a peak (at most half the
#: spacing of the partials), and of a Hann window's main lobe.
NEIGHBOURHOOD_BINS, MAIN_LOBE_BINS = 16, 2


def lobe_share(power: np.ndarray, n: int, frequency: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    """Share of the power around the peak nearest ``frequency`` (cycles/sample) that its main lobe holds, in each
    of the padded Hann power spectra ``power`` of windows of ``n`` (:func:`spectrum`).

    Around means within :data:`NEIGHBOURHOOD_BINS` bins of the window, and never as far as half of
    ``spacing`` (cycles/sample: the partials' spacing, so that no other partial counts). A steady or gliding
    partial puts nearly all its power in its main lobe (:data:`MAIN_LOBE_BINS` bins each side): 0.9 and
    more at a per-sample SNR of 0 dB. Noise in a narrow band (a fricative's resonance) spreads its power
    over the band, whose loudest lobe holds about a third of it.

    Example
    -------
    >>> import numpy as np
    >>> from streamfreq.signals import tone
    >>> power = spectrum(tone(2048, 100.3)[None, :]).power
    >>> round(float(lobe_share(power, 2048, np.array([100.3 / 2048]), np.array([0.5]))[0]), 3)
    1.0
    """
    nfft = _plan(n)["nfft"]
    scale = nfft // n  # padded bins per bin of the window
    count, bins = power.shape
    lobe, reach = MAIN_LOBE_BINS * scale, NEIGHBOURHOOD_BINS * scale
    rows = (np.arange(count) * bins)[:, None]
    centre = np.rint(np.asarray(frequency, dtype=np.float64) * nfft).astype(np.int64)
    near = np.clip(centre[:, None] + np.arange(-lobe, lobe + 1), 0, bins - 1)
    peak = near[np.arange(count), power.take(near + rows).argmax(axis=1)]
    offsets = np.arange(-reach, reach + 1)
    around = power.take(np.clip(peak[:, None] + offsets, 0, bins - 1) + rows).astype(np.float64)
    width = np.minimum(reach, np.floor(0.5 * np.asarray(spacing, dtype=np.float64) * nfft))[:, None]
    inside = np.abs(offsets) <= np.maximum(width, lobe)
    main = np.abs(offsets) <= lobe
    total = np.where(inside, around, 0.0).sum(axis=1)
    return np.where(main, around, 0.0).sum(axis=1) / np.maximum(total, 1e-300)


def _correlation_at(power: np.ndarray, n: int, cutoff: float, lag: np.ndarray) -> np.ndarray:
    """:func:`periodicity` at fractional lags (in lag steps; one per window, shape (batch,), or several,
    (batch, k)), linearly interpolated between whole lags, -inf beyond them: the two whole lags around each
    summed directly from the spectrum (row sums, no inverse FFT)."""
    plan = _plan(n)
    top, step = _lag_plan(n, cutoff)
    weights, cosines = _lag_terms(n, cutoff)[1:]
    inside = (lag >= 0) & (lag <= n // step - 2)  # False where not finite
    lag = np.where(inside, lag, 0.0)
    whole = np.floor(lag)[..., None] + _NEXT  # (*lag.shape, 2)
    shares = power[:, :top] * weights  # each bin's share of the (real) inverse transform
    # cos(2 pi lag bin / size) for whole lags: the product lag * bin taken modulo the size, from a table
    turns = whole.reshape(len(power), -1, 1).astype(np.int64) * np.arange(top)
    np.remainder(turns, len(cosines), out=turns)
    lagged = np.einsum("bkt,bt->bk", cosines.take(turns), shares).reshape(whole.shape)  # each its own row sum
    total = np.maximum(shares.sum(axis=1), 1e-37).reshape((-1,) + (1,) * (whole.ndim - 1))
    pair = np.minimum(lagged / (plan["window_correlation"][whole.astype(np.int64) * step] * total), 1.0)
    frac = lag - whole[..., 0]
    return np.where(inside, pair[..., 0] * (1.0 - frac) + pair[..., 1] * frac, -np.inf)


@functools.lru_cache(maxsize=16)
def _lag_terms(n: int, cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Angle per lag step and weight of each bin of :func:`periodicity`'s inverse transform, and the cosine of
    each whole multiple of the first bin's angle over one turn, for :func:`_correlation_at` and
    :func:`double_period_excess`."""
    top, step = _lag_plan(n, cutoff)
    size = _plan(n)["nfft"] // step
    bins = np.arange(top)
    angles = 2.0 * np.pi * bins / size
    weights = np.where((bins > 0) & (2 * bins < size), 2.0, 1.0)  # Nyquist's once
    return angles, weights, np.cos(2.0 * np.pi * np.arange(size) / size)


def find_partials(coarse: Coarse, f0: np.ndarray, harmonics: int, n: int) -> Partials:
    """Peaks of the spectrum near each harmonic ``l * f0`` (l = 1..harmonics), parabolically interpolated.

    The first :data:`LOCATING_HARMONICS` are looked for 1.5 log-grid steps
    either side of ``l * f0`` (the candidate grid's precision), and the
    fundamental they give places the search for all of them, within
    :data:`PARTIAL_REACH` padded bins; a peak counts only where
    it is a peak of the spectrum (not a sidelobe) at least
    :data:`PARTIAL_LOG_SNR` above the floor times the expected noise maximum
    over the bins searched. A window where no harmonic is found falls back on
    its most prominent peak, as the first harmonic of a lone tone.
    """
    first = search_partials(coarse.spectrum, f0, LOCATING_HARMONICS, n, np.inf)  # where the low partials really are
    weight = np.exp(first.log_snr)  # 0 where not found
    total = (weight * _NUMBERS[:LOCATING_HARMONICS]).sum(axis=1)  # a row sum: the same in any batch
    some = total > 0
    located = (np.where(weight > 0, first.frequency, 0.0) * weight).sum(axis=1) / np.where(some, total, 1.0)
    partials = search_partials(coarse.spectrum, np.where(some, located, f0), harmonics, n, PARTIAL_REACH)
    lone = np.isnan(partials.frequency).all(axis=1)
    if lone.any():
        alone = search_partials(coarse.spectrum.rows(lone), coarse.lone[lone], 1, n, np.inf)
        partials.frequency[lone, :1], partials.log_snr[lone, :1] = alone.frequency, alone.log_snr
        partials.level_snr[lone, :1] = alone.level_snr
        partials.energy[lone, :1] = alone.energy
    return partials


_AROUND = np.array([-1, 0, 1])
_NEXT = np.array([0, 1])
#: A candidate's lag and half of it, where :func:`prefer_period` reads the autocorrelation.
_OWN_AND_HALF = np.array([1.0, 0.5])
#: A period and twice it, where :func:`double_period_excess` reads the autocorrelation.
_OWN_AND_DOUBLE = np.array([1.0, 2.0])
#: Harmonic numbers 1, 2, ...
_NUMBERS = np.arange(1.0, max(PARTIAL_HARMONICS, LOCATING_HARMONICS) + 1)
#: How far from ``l f0`` a partial is looked for, relative to it: 1.5 steps of the log grid.
_GRID_REACH = 2.0 ** (1.5 / BINS_PER_OCTAVE) - 1.0


@functools.lru_cache(maxsize=64)
def _offsets(width: int) -> np.ndarray:
    """``-width..width``: the bins searched either side of a harmonic."""
    return np.arange(-width, width + 1)


def search_partials(spec: Spectrum, f0: np.ndarray, harmonics: int, n: int, farthest: float) -> Partials:
    """The peak search of :func:`find_partials` near ``l * f0`` (l = 1..harmonics), reaching at most ``farthest``
    padded bins, without its locating pass and its fallback."""
    plan = _plan(n)
    nfft = plan["nfft"]
    count, bins = spec.power.shape
    padded_f0 = f0[:, None] * nfft
    centre = padded_f0 * _NUMBERS[:harmonics]  # padded bins
    reach = np.maximum(centre * _GRID_REACH, 2.0)
    reach = np.minimum(reach, np.maximum(0.3 * padded_f0, 1.0))  # never as far as the next harmonic
    if farthest < np.inf:
        reach = np.minimum(reach, farthest)
    width = math.ceil(np.fmax.reduce(reach, axis=None, initial=2.0))
    offsets = _offsets(width)
    base = np.rint(centre)
    index = base[..., None] + offsets
    inside = np.fmax(np.fmin(index, bins - 2), 1)  # nan: 1
    usable = (np.abs(index - centre[..., None]) <= reach[..., None]) & (inside == index)  # False where not finite
    searched = usable.sum(axis=2)
    rows = np.arange(count)[:, None]
    row_start = rows * bins
    flat = inside.astype(np.int64)
    flat += row_start[..., None]
    pick = np.where(usable, spec.power.take(flat), -1.0).argmax(axis=2)
    peak = np.fmax(np.fmin(base + offsets[pick], bins - 2), 1).astype(np.int64)
    flat_peak = peak + row_start
    around = spec.log_power.take(flat_peak[..., None] + _AROUND).astype(np.float64)
    ll, lm, lr = around[..., 0], around[..., 1], around[..., 2]
    curvature = ll - 2.0 * lm + lr
    delta = np.zeros(curvature.shape)
    np.divide(0.5 * (ll - lr), curvature, out=delta, where=curvature < 0)
    band = spec.bin_band[peak] + rows * spec.band_floor.shape[1]
    peak_snr = lm - spec.band_floor.take(band)
    # a peak of the spectrum, one of the bins searched, clear of the noise's expected maximum over them
    found = spec.peaks.take(flat_peak) & (searched > 0) & (peak_snr > plan["partial_floor"][searched])
    return Partials(
        frequency=np.where(found, (peak + np.minimum(np.maximum(delta, -0.5), 0.5)) / nfft, np.nan),
        log_snr=np.where(found, peak_snr, -np.inf),
        level_snr=np.where(found, lm - spec.band_level.take(band), -np.inf),
        energy=np.where(found, 2.0 * n * np.exp(lm) / plan["gain"], 0.0),
    )
