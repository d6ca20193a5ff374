"""Audio sources, and the one factory that opens them from the command line's or the app's settings.

Example
-------
>>> import argparse
>>> from streamfreq.options import add_source_options
>>> from streamfreq.argparsing import ArgumentParser
>>> parser = ArgumentParser(prog="demo")
>>> add_source_options(parser)
>>> source = make_source(parser.parse_args(["--sweep", "100:400:2", "--sweep-repeat", "--no-realtime"]))
>>> [round(source.truth_at(48000 * t)) for t in (0, 1, 2, 3)]
[100, 200, 400, 200]
"""

from __future__ import annotations

import argparse

from streamfreq import defaults
from streamfreq.errors import ParameterError, check_range
from streamfreq.signals import Schedule
from streamfreq.sources.base import PullSource, Source


def make_source(args: argparse.Namespace, t0: float = 0.0) -> Source | PullSource:
    """Open the source the shared options describe (:func:`streamfreq.options.add_source_options`).

    ``t0`` is when a back-and-forth sweep starts, in seconds of the stream.

    Raises
    ------
    ParameterError
        A missing or contradictory option (``--input`` for a file, raw PCM without ``--samplerate``).
    SourceError, DeviceError, ImportError
        The file, pipe or device cannot be opened, or its optional package is missing.
    """
    from streamfreq.options import chosen_source

    source = chosen_source(args)
    if source == "synth":
        from streamfreq.sources.synth import SynthSource

        return SynthSource(
            args.freq,
            synth_rate(args),
            schedule=synth_schedule(args, t0),
            amplitude=args.amplitude,
            snr_db=args.snr,
            realtime=True if args.realtime is None else args.realtime,
            seed=args.seed,
        )
    if source == "file":
        if not args.input:
            raise ParameterError("--input PATH is required with --source file")
        from streamfreq.sources.file import FileSource

        return FileSource(args.input, channel=args.channel, realtime=bool(args.realtime))
    if source == "stdin":
        from streamfreq.sources.stdin import open_stdin

        return open_stdin(samplerate=args.samplerate, pcm=args.pcm, channels=args.channels, channel=args.channel)
    from streamfreq.sources.mic import MicSource

    return MicSource(device=args.device, samplerate=args.samplerate, channel=args.channel)


def synth_rate(args: argparse.Namespace) -> float:
    """The synth's samplerate: ``--samplerate``, else the default."""
    return defaults.SAMPLERATE if args.samplerate is None else args.samplerate


def synth_schedule(args: argparse.Namespace, t0: float = 0.0) -> Schedule | None:
    """The synth's frequency schedule from ``--sweep``/``--steps`` (None: the constant ``--freq``).

    Raises
    ------
    ParameterError
        Both given, one malformed, a frequency outside 0..Nyquist of the synth's rate, or a duration that is not
        positive and finite.
    """
    from streamfreq.signals import LinearSweep, LogSweep, Steps
    from streamfreq.sources.synth import BackAndForth

    if args.sweep and args.steps:
        raise ParameterError("use either --sweep or --steps, not both")
    nyquist = synth_rate(args) / 2
    if args.sweep:
        try:
            start, stop, seconds = (float(part) for part in args.sweep.split(":"))
        except ValueError:
            raise ParameterError(f"sweep must look like F0:F1:SECONDS, e.g. 100:2000:5 (got {args.sweep!r})") from None
        if not (start > 0 and stop > 0 and seconds > 0):
            raise ParameterError(f"sweep needs positive F0, F1 and SECONDS (got {args.sweep!r})")
        for name, value in (("sweep F0", start), ("sweep F1", stop)):
            check_range(name, value, 0.0, nyquist)
        check_range("sweep SECONDS", seconds, 1e-3, 1e7)
        sweep = (LogSweep if args.sweep_scale == "log" else LinearSweep)(start, stop, seconds)
        return BackAndForth(sweep, seconds, t0) if args.sweep_repeat else sweep
    if args.steps:
        try:
            values = [float(part) for part in args.steps.split(",")]
        except ValueError:
            raise ParameterError(f"steps must be comma-separated Hz, e.g. 440,880 (got {args.steps!r})") from None
        for value in values:
            check_range("steps", value, 0.0, nyquist)
        check_range("step-seconds", args.step_seconds, 1e-3, 1e7)
        return Steps([(i * args.step_seconds, hz) for i, hz in enumerate(values)])
    return None
