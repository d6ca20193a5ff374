"""The app's side of the engine's live session: open a run from the settings, switch estimators, end it.

Nothing here imports Qt, runs an estimator or keeps audio: the engine's
:class:`~streamfreq.live.LiveSession` does all of that on its own threads,
and the window polls ``session.drain()`` from its redraw timer.

Example
-------
>>> import time
>>> from streamfreq.gui.app import build_parser
>>> runner = Runner(["fft"])
>>> session = runner.start(build_parser().parse_args(["--freq", "440"]))
>>> readouts = []
>>> while not readouts:
...     readouts += session.drain()
...     time.sleep(0.01)
>>> runner.stop()
>>> round(readouts[0].hz("fft")), runner.session is None
(440, True)
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from streamfreq.engine import Engine
from streamfreq.errors import DeviceError, ModelError, ParameterError, SourceError, check_range
from streamfreq.estimators import build_estimator
from streamfreq.estimators.base import Estimator
from streamfreq.live import LiveSession
from streamfreq.options import engine_settings
from streamfreq.sources import make_source, synth_schedule

if TYPE_CHECKING:
    from threading import Thread


def describe_error(error: BaseException) -> str:
    """One line for the user: the kind of problem, then the message.

    Example
    -------
    >>> describe_error(DeviceError("no input device matches 'xyz'"))
    "Audio device problem: no input device matches 'xyz'"
    """
    kinds = (
        (DeviceError, "Audio device problem"),
        (SourceError, "Cannot read the source"),
        (ModelError, "Model problem"),
        (ParameterError, "Bad setting"),
        (ImportError, "Missing package"),
    )
    kind = next((label for cls, label in kinds if isinstance(error, cls)), type(error).__name__)
    return f"{kind}: {str(error) or type(error).__name__}"


class Runner:
    """Starts and stops live sessions for the app; the estimators are built once and kept across runs.

    Parameters
    ----------
    names
        Estimators to offer. One that cannot be built (e.g. the LSTM without
        its model) is left out and its error kept in :attr:`unavailable`.
    model_path
        LSTM model instead of the shipped one.
    """

    def __init__(self, names: Sequence[str], model_path: str | None = None) -> None:
        self.estimators: list[Estimator] = []
        self.unavailable: dict[str, str] = {}
        for name in names:
            try:
                self.estimators.append(build_estimator(name, model_path))
            except (ModelError, ImportError, OSError) as error:
                self.unavailable[name] = describe_error(error)
        self.names = [e.name for e in self.estimators]
        self.disabled: set[str] = set()
        self.session: LiveSession | None = None
        self.releasing: Thread | None = None  # the last run's source, being closed

    def start(self, args: argparse.Namespace) -> LiveSession:
        """Stop any run, then start the one ``args`` describes (the shared options); errors are raised."""
        self.stop()
        if not self.estimators:
            raise ModelError(f"no estimator can run here: {'; '.join(self.unavailable.values())}")
        source = make_source(args)
        try:
            settings = {**engine_settings(args), "estimators": self.estimators, "model_path": None}
            engine = Engine(source.samplerate, **settings)  # type: ignore[arg-type]
            for name in self.disabled & set(self.names):
                engine.set_enabled(name, False)
            self.session = engine.start(source, after=self.releasing)  # the device is closed before it reopens
        except BaseException:
            source.close()
            raise
        return self.session

    def stop(self) -> None:
        """End the current run (if any) without waiting for its audio device, which closes on
        :attr:`releasing` (PortAudio can take a second or two); the next run opens its source after that."""
        session, self.session = self.session, None
        if session is not None:
            self.releasing = session.release()

    def close(self, timeout: float = 3.0) -> None:
        """End the current run and wait (up to ``timeout`` s) until its audio device is closed: on quitting."""
        self.stop()
        if self.releasing is not None:
            self.releasing.join(timeout)

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Switch an estimator on or off, also in the running session."""
        (self.disabled.discard if enabled else self.disabled.add)(name)
        if self.session is not None and name in self.names:
            self.session.engine.set_enabled(name, enabled)

    def set_tone(self, args: argparse.Namespace) -> bool:
        """Give the running synth the frequency or sweep of ``args`` (phase-continuous); False if no synth runs."""
        session = self.session
        if session is None or not hasattr(session.source, "set_schedule"):
            return False
        schedule = synth_schedule(args, t0=session.seconds)
        if schedule is None:
            from streamfreq.signals import Constant

            check_range("freq", args.freq, 0.0, session.source.samplerate / 2)  # as the synth checks it at start
            schedule = Constant(args.freq)
        session.source.set_schedule(schedule)  # type: ignore[attr-defined]
        return True
