"""Readout writers for the command line: a throttled table for people, JSONL and CSV for programs.

JSONL and CSV write every window, one flushed line each. Keys: ``time``
(window centre, s), ``start`` (sample index), one key per estimator (Hz or
null), per-estimator ``status`` and ``confidence``, ``truth`` (synthetic
sources), ``latency_ms`` (live sources), and the live counters ``dropped``,
``overruns`` and ``overflows``.

Example
-------
>>> import io
>>> from streamfreq.estimators.base import Estimate
>>> from streamfreq.readout import Readout
>>> out = io.StringIO()
>>> writer = JsonlWriter(out, ["fft"], live=False)
>>> writer.write(Readout(0, 2048, 48000.0, {"fft": Estimate(440.0, 0.99, "ok")}))
>>> out.getvalue()
'{"time": 0.021333, "start": 0, "fft": 440.0, "status": {"fft": "ok"}, "confidence": {"fft": 0.99}}\\n'
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Sequence
from typing import TextIO

from streamfreq.errors import OutputError
from streamfreq.notes import note_name
from streamfreq.readout import Readout

FORMATS = ("table", "jsonl", "csv")


def _number(value: float | None, digits: int = 6) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)


class _Writer:
    def __init__(self, stream: TextIO, names: Sequence[str], live: bool) -> None:
        self.stream = stream
        self.names = list(names)
        self.live = live

    def record(self, readout: Readout) -> dict[str, object]:
        """The readout as flat JSON-ready values (estimator Hz, status, confidence, extras)."""
        record: dict[str, object] = {"time": round(readout.time, 6), "start": readout.start}
        for name in self.names:
            record[name] = _number(readout.hz(name))
        record["status"] = {name: readout.estimates[name].status for name in self.names}
        record["confidence"] = {name: round(readout.estimates[name].confidence, 4) for name in self.names}
        if math.isfinite(readout.truth):
            record["truth"] = round(readout.truth, 6)
        if self.live:
            record["latency_ms"] = _number(1000.0 * (time.monotonic() - readout.arrival), 3)
            record["dropped"] = readout.dropped_windows
            record["overruns"] = readout.overrun_samples
            record["overflows"] = readout.input_overflows
        return record

    def write(self, readout: Readout) -> None:
        """Write one readout (a whole line, flushed, for JSONL and CSV).

        Raises
        ------
        OutputError
            The output cannot be written (disk full, I/O error). A reader that
            went away raises :class:`BrokenPipeError` as it is, so the command
            can end quietly.
        """
        try:
            self._write(readout)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(f"cannot write the readouts: {error.strerror or error}") from None

    def finish(self) -> None:
        """Flush what is buffered (same errors as :meth:`write`)."""
        try:
            self._finish()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(f"cannot write the readouts: {error.strerror or error}") from None

    def _write(self, readout: Readout) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        self.stream.flush()


class JsonlWriter(_Writer):
    """One JSON object per window, flushed per line."""

    def _write(self, readout: Readout) -> None:
        self.stream.write(json.dumps(self.record(readout)) + "\n")
        self.stream.flush()


class CsvWriter(_Writer):
    """One CSV row per window (header first), flushed per line; statuses as ``<name>_status`` columns."""

    def __init__(self, stream: TextIO, names: Sequence[str], live: bool) -> None:
        super().__init__(stream, names, live)
        self._csv: csv.DictWriter | None = None

    def _write(self, readout: Readout) -> None:
        record = self.record(readout)
        statuses, confidences = record.pop("status"), record.pop("confidence")
        for name in self.names:
            record[f"{name}_status"] = statuses[name]  # type: ignore[index]
            record[f"{name}_confidence"] = confidences[name]  # type: ignore[index]
        if self._csv is None:
            self._csv = csv.DictWriter(self.stream, fieldnames=list(record), lineterminator="\n")
            self._csv.writeheader()
        self._csv.writerow({k: "" if v is None else v for k, v in record.items()})
        self.stream.flush()


class TableWriter(_Writer):
    """Aligned lines for people, at most one per ``interval`` seconds of audio, with warnings."""

    def __init__(self, stream: TextIO, names: Sequence[str], live: bool, interval: float = 0.25) -> None:
        super().__init__(stream, names, live)
        self.interval = interval
        self._next_time = -math.inf
        self._last: Readout | None = None
        self._counters = (0, 0, 0)
        self._header_done = False

    def _write(self, readout: Readout) -> None:
        self._warn(readout)
        self._last = readout
        if readout.time >= self._next_time:
            self._print(readout)
            self._next_time = readout.time + self.interval
            self._last = None

    def _finish(self) -> None:
        if self._last is not None:
            self._print(self._last)
        super()._finish()

    def _warn(self, readout: Readout) -> None:
        counters = (readout.dropped_windows, readout.overrun_samples, readout.input_overflows)
        what = (
            "windows dropped: estimators behind real time",
            "samples lost in the ring buffer",
            "input overflows: audio lost before streamfreq saw it",
        )
        for old, new, text in zip(self._counters, counters, what, strict=True):
            if new > old:
                self.stream.write(f"! {new - old} {text} (total {new})\n")
        self._counters = counters

    def _print(self, readout: Readout) -> None:
        if not self._header_done:
            columns = ["    time"] + [f"{name:<28}" for name in self.names]
            if math.isfinite(readout.truth):
                columns.append("   truth")
            self.stream.write(" ".join(columns).rstrip() + "\n")
            self._header_done = True
        cells = [f"{readout.time:8.3f}"] + [f"{self._cell(readout, name):<28}" for name in self.names]
        if math.isfinite(readout.truth):
            cells.append(f"{readout.truth:8.2f}")
        self.stream.write(" ".join(cells).rstrip() + "\n")
        self.stream.flush()

    @staticmethod
    def _cell(readout: Readout, name: str) -> str:
        estimate = readout.estimates[name]
        if not estimate.ok:
            return estimate.status.replace("_", " ")
        note, cents = note_name(estimate.hz)
        return f"{estimate.hz:9.2f} Hz {note:<3} {cents:+5.1f}c {estimate.confidence:4.2f}"


def make_writer(fmt: str, stream: TextIO, names: Sequence[str], live: bool) -> _Writer:
    """The writer for ``fmt`` (``table``, ``jsonl`` or ``csv``)."""
    writers = {"table": TableWriter, "jsonl": JsonlWriter, "csv": CsvWriter}
    return writers[fmt](stream, names, live)
