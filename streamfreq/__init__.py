"""streamfreq: streaming frequency estimation, a trained LSTM beside classical estimators.

Data flow: a source (synth, microphone, file, raw PCM on stdin, or blocks
pushed by your program) feeds a ring buffer; the engine cuts it into windows
of ``window`` samples every ``hop`` samples and runs every estimator on each
window; each window yields a :class:`Readout` with one :class:`Estimate` per
estimator (``"fft"``, ``"zc"``, ``"lstm"``).

Embedding in a few lines::

    import numpy as np
    from streamfreq import Engine

    engine = Engine(samplerate=48000, estimators=["fft", "zc"])
    for readout in engine.push(samples):       # any block size, float or int16
        print(readout.time, readout.hz("fft"))  # None when there is no tone

Live sources run on their own thread through :meth:`Engine.run`::

    from streamfreq import Engine, SynthSource
    source = SynthSource(440.0, 48000, realtime=True)
    for readout in Engine(48000).run(source, duration=2.0):
        ...

Whole recordings at once, as columns of numpy arrays (one row per window)::

    from streamfreq import analyze, analyze_file
    f0 = analyze(samples, 48000).f0["fft"]           # Hz, NaN where there is no tone
    track = analyze_file("take.flac", channel=0)     # read in blocks; track.to_pandas()

Importing streamfreq loads numpy only; scipy, sounddevice and the LSTM
runtime load when the part that needs them is first used.

Example
-------
>>> import numpy as np
>>> from streamfreq import Engine
>>> t = np.arange(4096) / 8000
>>> [round(r.hz("fft"), 3) for r in Engine(8000, 1024, 1024, ["fft"]).push(np.sin(2 * np.pi * 1000 * t))]
[1000.0, 1000.0, 1000.0, 1000.0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "DeviceError",
    "Engine",
    "EngineStats",
    "Estimate",
    "FileSource",
    "MicSource",
    "ModelError",
    "ParameterError",
    "Readout",
    "SourceError",
    "StdinSource",
    "StreamfreqError",
    "SynthSource",
    "Track",
    "__version__",
    "analyze",
    "analyze_file",
]

_LOCATIONS = {
    "Engine": "streamfreq.engine",
    "EngineStats": "streamfreq.readout",
    "Readout": "streamfreq.readout",
    "Estimate": "streamfreq.estimators.base",
    "SynthSource": "streamfreq.sources.synth",
    "FileSource": "streamfreq.sources.file",
    "StdinSource": "streamfreq.sources.stdin",
    "MicSource": "streamfreq.sources.mic",
    "StreamfreqError": "streamfreq.errors",
    "ParameterError": "streamfreq.errors",
    "SourceError": "streamfreq.errors",
    "DeviceError": "streamfreq.errors",
    "ModelError": "streamfreq.errors",
    "Track": "streamfreq.track",
    "analyze": "streamfreq.analysis",
    "analyze_file": "streamfreq.analysis",
}

if TYPE_CHECKING:
    from streamfreq.analysis import analyze, analyze_file
    from streamfreq.engine import Engine
    from streamfreq.errors import DeviceError, ModelError, ParameterError, SourceError, StreamfreqError
    from streamfreq.estimators.base import Estimate
    from streamfreq.readout import EngineStats, Readout
    from streamfreq.sources.file import FileSource
    from streamfreq.sources.mic import MicSource
    from streamfreq.sources.stdin import StdinSource
    from streamfreq.sources.synth import SynthSource
    from streamfreq.track import Track


def __getattr__(name: str) -> object:
    """Import public names on first use, so ``import streamfreq`` stays cheap."""
    if name in _LOCATIONS:
        import importlib

        return getattr(importlib.import_module(_LOCATIONS[name]), name)
    raise AttributeError(f"module 'streamfreq' has no attribute {name!r}")
