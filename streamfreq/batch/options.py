"""Command-line options shared by ``streamfreq batch`` and ``streamfreq plot``.

Example
-------
>>> from streamfreq.argparsing import ArgumentParser
>>> parser = ArgumentParser(prog="x")
>>> add_analysis_options(parser)
>>> args = parser.parse_args(["--estimators", "fft,zc", "--fmin", "30"])
>>> parse_estimators(args.estimators), args.fmin, args.window
(['fft', 'zc'], 30.0, None)
"""

from __future__ import annotations

import argparse


def add_analysis_options(parser: argparse.ArgumentParser) -> None:
    """The analysis options ``plot`` and ``batch`` share: estimators, window, hop, fmin, channel, model."""
    from streamfreq import defaults
    from streamfreq.estimators import ESTIMATOR_NAMES

    names = ",".join(ESTIMATOR_NAMES)
    parser.add_argument("--estimators", metavar="LIST", help=f"comma-separated: {names} (default: all available)")
    parser.add_argument(
        "--window", type=int, metavar="N", help=f"samples per window (default {defaults.WINDOW}, or what --fmin needs)"
    )
    parser.add_argument("--hop", type=int, metavar="N", help="samples between windows (default: a quarter window)")
    parser.add_argument(
        "--fmin", type=float, metavar="HZ", help="lowest f0 to measure in Hz (sets the window when not given)"
    )
    parser.add_argument("--channel", type=int, metavar="N", help="analyse channel N (0-based); default: mix down")
    parser.add_argument("--model", metavar="PATH", help="LSTM model file instead of the shipped one")


def parse_estimators(text: str | None) -> list[str] | None:
    """``"fft, zc"`` -> ``["fft", "zc"]``; None stays None (every available estimator).

    Example
    -------
    >>> parse_estimators("fft, zc"), parse_estimators(None)
    (['fft', 'zc'], None)
    """
    return None if text is None else [name.strip() for name in text.split(",") if name.strip()]
