"""Argument parsing shared by every streamfreq command: errors are one line, exit code 2.

argparse prints a multi-line usage block before its error; streamfreq's
contract is one line that says what is wrong and where to look:
``streamfreq: error: <what> (try --help)``.

Example
-------
>>> parser = ArgumentParser(prog="streamfreq")
>>> _ = parser.add_argument("--hop", type=int)
>>> try:
...     parser.parse_args(["--hop", "x"])
... except SystemExit as stop:
...     print(stop.code)
2
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn


def one_line_error(prog: str, message: str) -> str:
    """The one-line message for a bad argument: ``"<prog>: error: <message> (try --help)"``.

    Example
    -------
    >>> one_line_error("streamfreq", "hop must be in 1..2048 (got 0)")
    'streamfreq: error: hop must be in 1..2048 (got 0) (try --help)'
    """
    return f"{prog}: error: {message} (try --help)"


def report_error(prog: str, error: BaseException) -> int:
    """Print the one line for a user-caused error on stderr; return its exit code.

    A :class:`~streamfreq.errors.ParameterError` (a bad setting) is exit code
    2 with ``(try --help)``; anything else (an unreadable file, a missing
    extra) is exit code 1.

    Example
    -------
    >>> from streamfreq.errors import ParameterError, SourceError
    >>> report_error("streamfreq", ParameterError("hop must be >= 1")), report_error("streamfreq", SourceError("gone"))
    (2, 1)
    """
    from streamfreq.errors import ParameterError

    if isinstance(error, ParameterError):
        print(one_line_error(prog, str(error)), file=sys.stderr)
        return 2
    print(f"{prog}: error: {error}", file=sys.stderr)
    return 1


class ArgumentParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``<prog>: error: <message> (try --help)`` and exit 2 (no usage block)."""
        print(one_line_error(self.prog, message), file=sys.stderr)
        raise SystemExit(2)
