"""The one definition of streamfreq's analysis defaults, and the window rule for low notes.

Every part that needs a default (the engine, the command line, the desktop
app, ``analyze``, the batch engines, the benchmarks) imports it from here.

The window must hold at least :data:`MIN_PERIODS` periods of the lowest
fundamental it should measure. At the default window of 2048 samples and
48 kHz that is 46.9 Hz; ``fmin`` asks for a longer window when lower notes
matter (:func:`window_for_fmin`).

Example
-------
>>> from streamfreq.defaults import window_for_fmin, lowest_f0
>>> window_for_fmin(30.0, 48000.0), window_for_fmin(100.0, 48000.0)
(4096, 2048)
>>> round(lowest_f0(2048, 48000.0), 2)
46.88
"""

from __future__ import annotations

import math

from streamfreq.errors import check_range

#: Samples per second of the synthetic source unless told otherwise.
SAMPLERATE = 48000.0
#: Window length in samples.
WINDOW = 2048
#: Samples between window starts.
HOP = 512
#: Fewest periods of the fundamental a window must hold to measure it.
MIN_PERIODS = 2.0
#: Highest ``fmin`` accepted, in Hz (the estimators' own upper limits are in their docstrings).
FMAX = 4000.0


def lowest_f0(window: int, samplerate: float) -> float:
    """The lowest fundamental (Hz) a window of ``window`` samples measures: :data:`MIN_PERIODS` periods."""
    return MIN_PERIODS * float(samplerate) / int(window)


def window_for_fmin(fmin: float, samplerate: float) -> int:
    """The window for notes down to ``fmin`` Hz: the default, or the power of two that holds enough periods.

    Raises
    ------
    ParameterError
        ``fmin`` is not in 10..FMAX Hz.
    """
    check_range("fmin", fmin, 10.0, FMAX)
    needed = MIN_PERIODS * float(samplerate) / float(fmin)
    return max(WINDOW, 1 << math.ceil(math.log2(needed)))


def hop_for_window(window: int) -> int:
    """The default hop for a window: a quarter of it (512 at the default 2048)."""
    return max(1, int(window) * HOP // WINDOW)
