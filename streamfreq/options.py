"""The options the command line and the desktop app share: one definition of each.

:func:`add_source_options` describes where the audio comes from (read by
:func:`streamfreq.sources.make_source`), :func:`add_analysis_options` how it
is analysed (read by :func:`engine_settings`). Defaults come from
:mod:`streamfreq.defaults` and the estimator names from
:data:`streamfreq.estimators.ESTIMATOR_NAMES`.

Example
-------
>>> from streamfreq.argparsing import ArgumentParser
>>> parser = ArgumentParser(prog="demo")
>>> add_source_options(parser)
>>> add_analysis_options(parser)
>>> engine_settings(parser.parse_args(["--fmin", "30", "--estimators", "fft, zc"]))
{'window': None, 'hop': None, 'estimators': ['fft', 'zc'], 'model_path': None, 'fmin': 30.0, 'quiet_db': 40.0, \
'follow_notes': True}
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from streamfreq import defaults
from streamfreq.errors import ParameterError
from streamfreq.estimators import ESTIMATOR_NAMES
from streamfreq.sources.stdin import PCM_FORMATS

#: Every source; the app offers all but stdin.
SOURCES = ("synth", "mic", "file", "stdin")


def add_source_options(parser: argparse.ArgumentParser, sources: Sequence[str] = SOURCES) -> None:
    """Add ``--source`` and the options of each source to ``parser``."""
    group = parser.add_argument_group("source")
    group.add_argument(
        "--source", choices=tuple(sources), help="where the audio comes from (default: file with --input, else synth)"
    )
    group.add_argument(
        "--input",
        metavar="PATH",
        help=f"audio file (implies --source file; {STDIN_PATH}: standard input, --source stdin)",
    )
    group.add_argument("--freq", type=float, default=440.0, metavar="HZ", help="synth frequency (default 440)")
    group.add_argument("--sweep", metavar="F0:F1:SECONDS", help="synth: sweep from F0 to F1 Hz over SECONDS")
    group.add_argument("--sweep-scale", choices=("linear", "log"), default="log", help="synth sweep spacing")
    group.add_argument("--sweep-repeat", action="store_true", help="synth: sweep F0 -> F1 -> F0 ... for ever")
    group.add_argument("--steps", metavar="HZ,HZ,...", help="synth: step through these frequencies")
    group.add_argument("--step-seconds", type=float, default=1.0, metavar="S", help="synth: seconds per step")
    group.add_argument("--amplitude", type=float, default=0.5, help="synth peak amplitude (default 0.5)")
    group.add_argument("--snr", type=float, metavar="DB", help="synth: add white noise at this per-sample SNR")
    group.add_argument("--seed", type=int, default=0, help="synth noise seed")
    group.add_argument(
        "--samplerate",
        type=float,
        metavar="HZ",
        help=f"synth rate (default {defaults.SAMPLERATE:g}), raw stdin rate, microphone rate to request",
    )
    if "stdin" in sources:
        group.add_argument("--pcm", choices=tuple(PCM_FORMATS), default="s16le", help="raw stdin sample format")
        group.add_argument("--channels", type=int, default=1, help="raw stdin: interleaved channels")
    add_channel_option(group)
    group.add_argument("--device", metavar="ID", help="microphone: index or part of the name")
    group.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pace synth/file input by the clock (default: synth yes, file/stdin no)",
    )


#: The ``--input`` path that names standard input.
STDIN_PATH = "-"


def chosen_source(args: argparse.Namespace) -> str:
    """The source the options name: ``--source``, else ``file`` where ``--input`` is given (``stdin`` where it is
    :data:`STDIN_PATH`, as for most Unix tools), else ``synth``.

    Raises
    ------
    ParameterError
        ``--input`` together with another ``--source`` (it would be ignored).

    Example
    -------
    >>> [chosen_source(argparse.Namespace(source=None, input=path)) for path in ("a.wav", "-", None)]
    ['file', 'stdin', 'synth']
    """
    named = "stdin" if args.input == STDIN_PATH else "file"
    source = args.source or (named if args.input else "synth")
    if args.input and source != named:
        raise ParameterError(f"--input is read with --source {named} only (got --source {source}); leave --source out")
    return source


def add_channel_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Add ``--channel N`` (analyse one channel, 0-based; default: mix all channels down)."""
    parser.add_argument("--channel", type=int, metavar="N", help="analyse channel N (0-based); default: mix down")


def add_analysis_options(parser: argparse.ArgumentParser) -> None:
    """Add the window, hop, lowest note, estimators and model options to ``parser``."""
    group = parser.add_argument_group("analysis")
    group.add_argument(
        "--window",
        type=int,
        metavar="N",
        help=(
            f"window length in samples (default {defaults.WINDOW} at {defaults.SAMPLERATE / 1000:g} kHz and the same "
            "time at other rates, a power of two; longer when --fmin needs it)"
        ),
    )
    group.add_argument("--hop", type=int, metavar="N", help="samples between windows (default a quarter window)")
    group.add_argument(
        "--fmin",
        type=float,
        metavar="HZ",
        help=(
            "lowest fundamental to measure (picks the window; a hard floor: without it a note below the window's "
            f"floor is read again in twice the window, down to {defaults.REACH_FMIN:g} Hz)"
        ),
    )
    group.add_argument(
        "--estimators",
        metavar="LIST",
        help=f"comma-separated: {','.join(ESTIMATOR_NAMES)} (default: all available)",
    )
    group.add_argument("--model", metavar="PATH", help="LSTM model file instead of the shipped one")
    group.add_argument(
        "--quiet-db",
        type=decibels_or_off,
        default=defaults.QUIET_DB,
        metavar="DB|off",
        help=(
            f"windows DB below the loudest of the last {defaults.QUIET_HOLD:g} s say no_tone: reverberant tails, "
            f"breath, hum between notes; up to {defaults.FAINT_MARGIN_DB:g} dB above that only numbers of "
            f"confidence {defaults.FAINT_CONFIDENCE:g} or more count, from {defaults.SOFTER_DB:g} dB below only "
            f"numbers whose period the window repeats at, and from {defaults.DIM_DB:g} dB below only numbers beside "
            f"little hiss or breath (default {defaults.QUIET_DB:g}; off reads every window on its own)"
        ),
    )
    group.add_argument(
        "--no-follow",
        dest="follow_notes",
        action="store_false",
        help=(
            "read every window on its own: by default, where fft or lstm gives no number right after a window it "
            "read, a partial near that number is looked for (a note followed through loud noise)"
        ),
    )


def decibels_or_off(text: str) -> float | None:
    """``--quiet-db``'s value: a number of dB, or None for ``off``.

    >>> decibels_or_off("35"), decibels_or_off("off")
    (35.0, None)
    """
    if text.strip().lower() == "off":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of dB or off (got {text!r})") from None


def estimator_names(args: argparse.Namespace) -> list[str] | None:
    """The names ``--estimators`` lists (None: every available one)."""
    if args.estimators is None:
        return None
    return [name.strip() for name in args.estimators.split(",") if name.strip()]


def engine_settings(args: argparse.Namespace) -> dict[str, object]:
    """Keyword arguments for :class:`~streamfreq.engine.Engine` (after the samplerate) from the analysis options."""
    return {
        "window": args.window,
        "hop": args.hop,
        "estimators": estimator_names(args),
        "model_path": args.model,
        "fmin": args.fmin,
        "quiet_db": args.quiet_db,
        "follow_notes": args.follow_notes,
    }
