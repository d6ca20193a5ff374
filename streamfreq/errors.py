"""Exceptions raised by streamfreq.

Every exception a user can cause derives from :class:`StreamfreqError`, and
also from the builtin that fits it best, so callers can catch either.

Example
-------
>>> from streamfreq.errors import ParameterError, check_range
>>> try:
...     check_range("hop", 0, 1, 2048)
... except ParameterError as error:
...     print(error)
hop must be in 1..2048 (got 0)
"""

from __future__ import annotations


class StreamfreqError(Exception):
    """Base class of every error streamfreq raises on purpose."""


class ParameterError(StreamfreqError, ValueError):
    """A parameter is outside its allowed range or of the wrong kind."""


class SourceError(StreamfreqError, OSError):
    """A source cannot be opened or read (missing, corrupt or unsupported file, bad stream)."""


class DeviceError(StreamfreqError, OSError):
    """An audio device is unknown, unavailable, or stopped working."""


class OutputError(StreamfreqError, OSError):
    """The readouts cannot be written (disk full, I/O error, closed output)."""


class ModelError(StreamfreqError, OSError):
    """A model file is missing, corrupt, or does not match this version of streamfreq."""


def check_range(name: str, value: float, low: float, high: float) -> None:
    """Raise :class:`ParameterError` unless ``value`` is a number with ``low <= value <= high``.

    The message names the parameter, the allowed range and the value given,
    e.g. ``"hop must be in 1..2048 (got 0)"``; a value that is no number
    (``"16000"``, None) gets the same message.
    """
    try:
        inside = low <= value <= high  # False for NaN
    except TypeError:  # no number
        inside = False
    if not inside:
        raise ParameterError(f"{name} must be in {_fmt(low)}..{_fmt(high)} (got {value!r})")


def _fmt(number: float) -> str:
    """A bound as people write it: whole numbers in full up to 1e15, others as ``%g`` (``1e+30``)."""
    return str(int(number)) if float(number).is_integer() and abs(number) < 1e15 else f"{number:g}"


def missing_extra(package: str, extra: str) -> ImportError:
    """Return the ImportError raised when an optional dependency is not installed."""
    return ImportError(f'{package} is not installed; install it with: pip install "streamfreq[{extra}]"')
