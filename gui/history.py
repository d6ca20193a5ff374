"""The frequency history behind the history plot: numpy columns, appended to and trimmed incrementally.

Example
-------
>>> from streamfreq.estimators.base import Estimate
>>> from streamfreq.readout import Readout
>>> trail = Trail(["fft"], seconds=1.0)
>>> for start in range(0, 96000, 24000):
...     trail.add([Readout(start, 2048, 48000.0, {"fft": Estimate(440.0, 1.0, "ok")}, truth=440.0)])
>>> trail.times.round(3).tolist(), trail.column("fft").tolist()
([0.521, 1.021, 1.521], [440.0, 440.0, 440.0])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from streamfreq.readout import Readout


class Trail:
    """The last ``seconds`` of readouts as one time column and one Hz column per name (nan: no estimate).

    Parameters
    ----------
    names
        Estimator names; a ``"truth"`` column is always kept too.
    seconds
        How much history to keep (a little more is kept so the plot's left edge stays filled).
    """

    def __init__(self, names: Sequence[str], seconds: float) -> None:
        self.names = [*names, "truth"]
        self.seconds = seconds
        self.clear()

    def clear(self) -> None:
        """Forget everything (a new run)."""
        self.times = np.empty(0)
        self.columns = {name: np.empty(0) for name in self.names}
        self.last_start = -1

    def add(self, readouts: Sequence[Readout]) -> None:
        """Append the readouts newer than the last one added; drop what is older than ``seconds``."""
        fresh = [r for r in readouts if r.start > self.last_start]
        if not fresh:
            return
        self.last_start = fresh[-1].start
        self.times = np.concatenate((self.times, [r.time for r in fresh]))
        for name in self.names:
            if name == "truth":
                new = [r.truth for r in fresh]
            else:
                new = [e.hz if (e := r.estimates.get(name)) is not None and e.ok else math.nan for r in fresh]
            self.columns[name] = np.concatenate((self.columns[name], new))
        keep = int(np.searchsorted(self.times, self.times[-1] - self.seconds - 0.5))
        if keep:
            self.times = self.times[keep:]
            self.columns = {name: values[keep:] for name, values in self.columns.items()}

    def column(self, name: str) -> np.ndarray:
        """The Hz column of ``name``."""
        return self.columns[name]
