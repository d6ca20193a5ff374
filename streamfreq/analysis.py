"""Offline analysis: a recording in, a :class:`~streamfreq.track.Track` out.

:func:`analyze` (samples in memory), :func:`analyze_file` (an audio file, read
in blocks) and :func:`analyze_blocks` (any iterable of blocks, one Track per
block, for bounded memory) all push the audio through the streaming
:class:`~streamfreq.engine.Engine`, so their numbers are the engine's, window
for window. This module only collects them into columns; it has no analysis
of its own. The batch engines (``streamfreq batch``) call it on every file.

(The module is ``streamfreq.analysis``, not ``streamfreq.analyze``, so that
``streamfreq.analyze`` stays the function.)

Example
-------
>>> from streamfreq import analyze
>>> from streamfreq.signals import tone
>>> track = analyze(tone(8000, 440.0 * 8000 / 16000), 16000, estimators=["fft"])
>>> len(track), round(float(track.f0["fft"][0]), 3), float(track.time[0])
(28, 440.0, 0.032)
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from streamfreq import defaults
from streamfreq.errors import ParameterError
from streamfreq.estimators.base import Estimator
from streamfreq.track import Track

#: More channels than frames, and more than this many, is an array the wrong way round ((channels, frames)).
MAX_CHANNELS = 64


def analyze_blocks(
    blocks: Iterable[np.ndarray],
    samplerate: float,
    *,
    estimators: Sequence[str | Estimator] | None = None,
    window: int | None = None,
    hop: int | None = None,
    fmin: float | None = None,
    model_path: str | os.PathLike[str] | None = None,
    quiet_db: float | None = defaults.QUIET_DB,
    follow_notes: bool = True,
) -> Iterator[Track]:
    """Analyse a stream of blocks; yield the Track of the windows each block completes.

    Each block's Track comes once the next block has been read (:meth:`~streamfreq.engine.Engine.push_blocks`
    estimates it meanwhile): for recordings, not for a stream that waits for its audio to arrive.

    Yields at least one Track (an empty one when the audio is shorter than a
    window), so ``Track.concat(analyze_blocks(...))`` always works.

    Parameters
    ----------
    blocks
        Consecutive blocks of samples, each 1-D mono or ``(frames, channels)``
        (mixed down), float or integer (scaled to [-1, 1]).
    samplerate
        Samples per second.
    estimators
        Names (default: every available one) or estimator objects, which are
        used as they are (a batch worker builds them once and reuses them).
    window, hop, fmin, model_path, quiet_db, follow_notes
        As for :class:`~streamfreq.engine.Engine` (defaults from :mod:`streamfreq.defaults`).

    Raises
    ------
    ParameterError
        A setting is out of range.
    """
    from streamfreq.engine import Engine

    engine = Engine(
        samplerate,
        window,
        hop,
        estimators,
        model_path=model_path,
        fmin=fmin,
        quiet_db=quiet_db,
        follow_notes=follow_notes,
    )
    empty = True
    for readouts in engine.push_blocks(blocks):  # the next block estimated while this one's Track is made
        if readouts:
            empty = False
            yield Track.from_readouts(readouts, engine.names, engine.samplerate, engine.window, engine.hop)
    if empty:
        yield Track.from_readouts([], engine.names, engine.samplerate, engine.window, engine.hop)


def analyze(
    samples: np.ndarray,
    samplerate: float,
    *,
    estimators: Sequence[str | Estimator] | None = None,
    window: int | None = None,
    hop: int | None = None,
    fmin: float | None = None,
    channel: int | None = None,
    model_path: str | os.PathLike[str] | None = None,
    quiet_db: float | None = defaults.QUIET_DB,
    follow_notes: bool = True,
) -> Track:
    """Analyse samples held in memory: ``f0 = analyze(y, sr).f0["fft"]``.

    Parameters
    ----------
    samples
        Shape ``(frames,)`` or ``(frames, channels)``; float or integer (scaled to [-1, 1]).
    samplerate
        Samples per second.
    channel
        Analyse this channel (0-based) of multichannel samples; None mixes them down.
    estimators, window, hop, fmin, model_path, quiet_db, follow_notes
        See :func:`analyze_blocks`.

    Returns
    -------
    Track
        One row per window; the same numbers :meth:`Engine.push <streamfreq.engine.Engine.push>` gives.

    Raises
    ------
    ParameterError
        A setting is out of range, or ``samples`` has the wrong shape or type.
    """
    from streamfreq.sources.base import to_mono_float32

    if isinstance(samples, (str, bytes, os.PathLike)):
        raise ParameterError(f"analyze takes samples; for a file use analyze_file({samples!r})")
    samples = np.asarray(samples)
    if samples.ndim not in (1, 2):
        raise ParameterError(f"samples must have shape (frames,) or (frames, channels) (got {samples.shape})")
    if samples.ndim == 2 and samples.shape[1] > max(samples.shape[0], MAX_CHANNELS):
        raise ParameterError(
            f"samples must have shape (frames, channels) (got {samples.shape}: {samples.shape[1]} channels of "
            f"{samples.shape[0]} frames); pass samples.T"
        )
    if channel is not None:
        samples = to_mono_float32(samples, channel)
    step = defaults.BLOCK  # frames handed to the engine at once: bounds the readouts held in memory
    blocks = (samples[offset : offset + step] for offset in range(0, len(samples), step))
    return Track.concat(
        analyze_blocks(
            blocks,
            samplerate,
            estimators=estimators,
            window=window,
            hop=hop,
            fmin=fmin,
            model_path=model_path,
            quiet_db=quiet_db,
            follow_notes=follow_notes,
        )
    )


def analyze_file(
    path: str | os.PathLike[str],
    *,
    estimators: Sequence[str | Estimator] | None = None,
    window: int | None = None,
    hop: int | None = None,
    fmin: float | None = None,
    channel: int | None = None,
    model_path: str | os.PathLike[str] | None = None,
    quiet_db: float | None = defaults.QUIET_DB,
    follow_notes: bool = True,
) -> Track:
    """Analyse an audio file (anything libsndfile reads), block by block; it is never loaded whole.

    A truncated file is analysed up to where it ends, with a :class:`UserWarning`.

    Parameters
    ----------
    path
        The file.
    channel
        Analyse this channel (0-based); None mixes all channels down.
    estimators, window, hop, fmin, model_path, quiet_db, follow_notes
        See :func:`analyze_blocks`.

    Raises
    ------
    SourceError
        The file is missing, unreadable, not audio, or damaged (raised after reading what precedes the damage).
    ParameterError
        A setting is out of range, or ``channel`` does not exist in the file.
    ImportError
        soundfile is not installed (``pip install "streamfreq[audio]"``).

    Example
    -------
    >>> import os, tempfile, soundfile
    >>> from streamfreq.signals import tone
    >>> path = os.path.join(tempfile.mkdtemp(), "a.wav")
    >>> soundfile.write(path, 0.5 * tone(16000, 220.0), 16000)
    >>> track = analyze_file(path, estimators=["fft", "zc"])
    >>> len(track), sorted({round(float(hz), 2) for hz in track.f0["zc"]})
    (59, [220.0])
    """
    from streamfreq.sources.file import FileSource

    with FileSource(path, channel=channel) as source:
        track = Track.concat(
            analyze_blocks(
                source.blocks(),
                source.samplerate,
                estimators=estimators,
                window=window,
                hop=hop,
                fmin=fmin,
                model_path=model_path,
                quiet_db=quiet_db,
                follow_notes=follow_notes,
            )
        )
        for text in source.warnings:
            warnings.warn(text, UserWarning, stacklevel=2)
    return track
