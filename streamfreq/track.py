"""A :class:`Track`: the readouts of a whole recording as columns of numpy arrays.

One row per analysed window: ``start`` (index of the window's first sample),
``time`` (window centre in seconds), and per estimator ``f0[name]`` (Hz, NaN
where the estimator gave no number), ``status[name]`` and ``confidence[name]``.
:meth:`Track.to_arrow` and :meth:`Track.to_pandas` convert it when pyarrow or
pandas are installed.

Example
-------
>>> from streamfreq.estimators.base import Estimate
>>> from streamfreq.readout import Readout
>>> readouts = [Readout(s, 2048, 48000.0, {"fft": Estimate(440.0, 0.9, "ok")}) for s in (0, 512)]
>>> track = Track.from_readouts(readouts, ["fft"], 48000.0, 2048, 512)
>>> len(track), track.names, track.f0["fft"].tolist(), track.status["fft"].tolist()
(2, ['fft'], [440.0, 440.0], ['ok', 'ok'])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from streamfreq.errors import ParameterError, missing_extra
from streamfreq.readout import Readout

if TYPE_CHECKING:
    import pandas
    import pyarrow


@dataclass(frozen=True, eq=False)
class Track:
    """Per-window estimates of a recording, column by column.

    Attributes
    ----------
    samplerate, window, hop
        The analysis settings the windows were cut with.
    start
        int64: index of each window's first sample, counted from the recording's start.
    time
        float64: each window's centre in seconds, ``(start + window/2) / samplerate``.
    f0
        Per estimator name, float64 Hz; NaN where its status is not ``"ok"``.
    status
        Per estimator name, strings: ``"ok"``, ``"no_tone"``, ``"out_of_range"`` or ``"error"``.
    confidence
        Per estimator name, float64 in [0, 1] (0 where there is no number).
    """

    samplerate: float
    window: int
    hop: int
    start: np.ndarray
    time: np.ndarray
    f0: dict[str, np.ndarray]
    status: dict[str, np.ndarray]
    confidence: dict[str, np.ndarray]

    @property
    def names(self) -> list[str]:
        """The estimators, in the order they ran."""
        return list(self.f0)

    def __len__(self) -> int:
        return len(self.start)

    @classmethod
    def from_readouts(
        cls, readouts: Sequence[Readout], names: Sequence[str], samplerate: float, window: int, hop: int
    ) -> Track:
        """Columns from the engine's readouts (the numbers are copied as they are).

        Raises
        ------
        ParameterError
            A readout holds no estimate of one of ``names`` (an estimator switched off with
            :meth:`~streamfreq.engine.Engine.set_enabled` while they were made).
        """
        count = len(readouts)
        f0, status, confidence = {}, {}, {}
        for name in names:
            try:
                estimates = [r.estimates[name] for r in readouts]
            except KeyError:
                raise ParameterError(
                    f"readouts hold no estimate of {name!r} (switched off while they were made?): name only the "
                    "estimators every readout has"
                ) from None
            f0[name] = np.fromiter((e.hz if e.ok else math.nan for e in estimates), np.float64, count)
            status[name] = np.array([e.status for e in estimates], dtype=str)
            confidence[name] = np.fromiter((e.confidence for e in estimates), np.float64, count)
        return cls(
            samplerate=float(samplerate),
            window=int(window),
            hop=int(hop),
            start=np.fromiter((r.start for r in readouts), np.int64, count),
            time=np.fromiter((r.time for r in readouts), np.float64, count),
            f0=f0,
            status=status,
            confidence=confidence,
        )

    @classmethod
    def concat(cls, parts: Iterable[Track]) -> Track:
        """One track from consecutive parts of the same analysis (at least one part).

        Raises
        ------
        ParameterError
            No part, or parts of different analyses (estimators, samplerate, window or hop).

        Example
        -------
        >>> from streamfreq.analysis import analyze_blocks
        >>> from streamfreq.signals import tone
        >>> parts = list(analyze_blocks([tone(4096, 40.0)] * 2, 8000.0, estimators=["zc"]))
        >>> len(Track.concat(parts)) == sum(len(p) for p in parts)
        True
        """
        parts = list(parts)
        if not parts:
            raise ParameterError("Track.concat needs at least one part (got none)")
        first = parts[0]
        settings = (first.names, first.samplerate, first.window, first.hop)
        for part in parts[1:]:
            if (part.names, part.samplerate, part.window, part.hop) != settings:
                raise ParameterError(
                    "Track.concat joins parts of one analysis: estimators, samplerate, window and hop "
                    f"{settings} (got a part with {(part.names, part.samplerate, part.window, part.hop)})"
                )

        def join(column: str, name: str | None = None) -> np.ndarray:
            arrays = [getattr(p, column) if name is None else getattr(p, column)[name] for p in parts]
            return np.concatenate(arrays)

        return cls(
            samplerate=first.samplerate,
            window=first.window,
            hop=first.hop,
            start=join("start"),
            time=join("time"),
            f0={name: join("f0", name) for name in first.names},
            status={name: join("status", name) for name in first.names},
            confidence={name: join("confidence", name) for name in first.names},
        )

    def columns(self) -> dict[str, np.ndarray]:
        """Flat columns: ``time``, ``start``, per estimator ``<name>``, ``<name>_status``, ``<name>_confidence``."""
        flat: dict[str, np.ndarray] = {"time": self.time, "start": self.start}
        for name in self.names:
            flat[name] = self.f0[name]
            flat[f"{name}_status"] = self.status[name]
            flat[f"{name}_confidence"] = self.confidence[name]
        return flat

    def to_arrow(self) -> pyarrow.Table:
        """The track as a :class:`pyarrow.Table` (:meth:`columns`; no number is null, not NaN).

        The settings are kept in the schema metadata (``samplerate``, ``window``, ``hop``).

        Raises
        ------
        ImportError
            pyarrow is not installed (``pip install "streamfreq[batch]"``).
        """
        try:
            import pyarrow as pa
        except ImportError:
            raise missing_extra("pyarrow", "batch") from None
        arrays = {}
        for key, values in self.columns().items():
            if values.dtype.kind == "U":
                arrays[key] = pa.array(values.tolist(), type=pa.string())
            else:
                arrays[key] = pa.array(values, from_pandas=values.dtype.kind == "f" and key in self.f0)
        metadata = {"samplerate": repr(self.samplerate), "window": str(self.window), "hop": str(self.hop)}
        return pa.table(arrays, metadata=metadata)

    def to_pandas(self) -> pandas.DataFrame:
        """The track as a :class:`pandas.DataFrame` (:meth:`columns`; no number is NaN).

        Raises
        ------
        ImportError
            pandas is not installed (``pip install "streamfreq[batch]"``).
        """
        try:
            import pandas as pd
        except ImportError:
            raise missing_extra("pandas", "batch") from None
        frame = pd.DataFrame(self.columns())
        frame.attrs.update(samplerate=self.samplerate, window=self.window, hop=self.hop)
        return frame
