"""``streamfreq plot INPUT -o out.png``: a spectrogram with every estimator's f0 track on top.

The frequency axis is logarithmic and labelled with note names (every C, and
A4); each estimator's f0 is drawn where it gave a number and left empty where
it did not (unvoiced, silent or out of range). The spectrogram is built while
the file streams through the analysis (:meth:`Spectrogram.tap`), with at most
:data:`COLUMNS` columns however long the file, so the file is read once and
never held whole. ``streamfreq batch --plots`` draws one picture per file the
same way. Needs matplotlib (``pip install "streamfreq[plot]"``); drawing uses
the Agg canvas directly, without pyplot, so no GUI backend is touched.

Example
-------
>>> import numpy as np
>>> spectrogram = Spectrogram(8000.0, frames=8000)
>>> blocks = list(spectrogram.tap([np.sin(2 * np.pi * 440 * np.arange(8000) / 8000).astype(np.float32)]))
>>> times, freqs, level = spectrogram.image()
>>> peak = np.argmax(level.max(axis=0))  # the loudest bin, between edges freqs[peak] and freqs[peak + 1]
>>> level.shape == (len(times) - 1, len(freqs) - 1), float(freqs[peak] + freqs[peak + 1]) / 2
(True, 437.5)
"""

from __future__ import annotations

import io
import math
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from streamfreq import defaults
from streamfreq.errors import ParameterError, StreamfreqError, missing_extra
from streamfreq.notes import joined
from streamfreq.track import Track

#: Most time columns a spectrogram keeps; longer files average more spectra per column.
COLUMNS = 1600
#: Frequency range drawn, in Hz (the top is also capped at half the samplerate).
LOWEST_HZ, HIGHEST_HZ = 25.0, 8000.0
#: Dynamic range of the colour scale, in dB below the loudest cell.
RANGE_DB = 80.0
#: Line colours of the estimators' tracks, in the order they ran.
COLOURS = ("#00e5ff", "#7cfc00", "#ff4fd8", "#ffd400")


class Spectrogram:
    """Power spectra of a stream, averaged into at most :data:`COLUMNS` columns.

    Parameters
    ----------
    samplerate
        Samples per second.
    frames
        Length of the stream in samples (from the file's header), to lay out the columns.
    """

    def __init__(self, samplerate: float, frames: int) -> None:
        from streamfreq.windowing import Windower

        self.samplerate = float(samplerate)
        nfft = 1 << round(math.log2(self.samplerate * 0.093))  # 4096 at 44.1 and 48 kHz: 93 ms, 11 Hz bins
        self.nfft = int(min(nfft, max(64, 1 << int(math.log2(max(frames, 64))))))
        self.hop = int(min(self.nfft, max(self.nfft // 8, math.ceil(frames / (COLUMNS * 4)))))
        spectra = 1 + max(0, frames - self.nfft) // self.hop
        self.group = math.ceil(spectra / COLUMNS)
        top = min(HIGHEST_HZ, self.samplerate / 2)
        self.bins = int(top * self.nfft / self.samplerate) + 1
        self.power = np.zeros((math.ceil(spectra / self.group), self.bins))
        self.count = np.zeros(len(self.power))
        self.taper = np.hanning(self.nfft).astype(np.float32)
        self.windower = Windower(self.nfft, self.hop)

    def tap(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Pass mono blocks through unchanged, adding each to the spectrogram on the way."""
        for block in blocks:
            self.add(block)
            yield block

    def add(self, block: np.ndarray) -> None:
        """Add a block of mono samples."""
        starts, frames = self.windower.push(block)
        if len(starts) == 0:
            return
        spectra = np.abs(np.fft.rfft(frames * self.taper, axis=1)[:, : self.bins]) ** 2
        columns = np.minimum(starts // self.hop // self.group, len(self.power) - 1)
        np.add.at(self.power, columns, spectra)
        np.add.at(self.count, columns, 1)

    def image(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(time_edges, frequency_edges, level_db)`` for the columns filled so far (level: columns × bins)."""
        filled = int(np.count_nonzero(self.count))
        power = self.power[:filled] / np.maximum(self.count[:filled], 1)[:, None]
        level = 10 * np.log10(power + 1e-20)
        seconds = self.hop * self.group / self.samplerate
        times = np.arange(filled + 1) * seconds + (self.nfft / 2 - self.hop * self.group / 2) / self.samplerate
        freqs = (np.arange(self.bins + 1) - 0.5) * self.samplerate / self.nfft
        return np.maximum(times, 0.0), np.maximum(freqs, 0.0), level


def render_png(track: Track, spectrogram: Spectrogram, *, title: str = "") -> bytes:
    """The picture :func:`draw` makes, as PNG bytes."""
    buffer = io.BytesIO()
    draw(track, spectrogram, title=title).savefig(buffer, format="png")
    return buffer.getvalue()


def _broken_at_jumps(times: np.ndarray, f0: np.ndarray, hop_seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """``(times, f0)`` with a NaN point after each readout that a drawn trace does not join to the next
    (:func:`streamfreq.notes.joined`: a gap, skipped windows, a jump of more than a few semitones), so that
    matplotlib breaks the line there and still marks every readout.

    Example
    -------
    >>> t, hz = _broken_at_jumps(np.arange(4) * 0.01, np.array([220.0, 221.0, 51.0, 222.0]), 0.01)
    >>> hz.tolist()  # the stray 51 Hz stands alone: a marker, no line
    [220.0, 221.0, nan, 51.0, nan, 222.0]
    """
    after = np.flatnonzero(~joined(times, f0, hop_seconds)[:-1]) + 1
    return np.insert(times, after, np.nan), np.insert(f0, after, np.nan)


def draw(track: Track, spectrogram: Spectrogram, *, title: str = ""):
    """A matplotlib Figure: the spectrogram, the track's f0 lines (empty where unvoiced, broken at jumps of more
    than a few semitones; every readout marked), note names.

    Raises
    ------
    ImportError
        matplotlib is not installed (``pip install "streamfreq[plot]"``).
    """
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator
    except ImportError:
        raise missing_extra("matplotlib", "plot") from None
    from streamfreq.notes import note_name

    figure = Figure(figsize=(12, 5.5), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    times, freqs, level = spectrogram.image()
    low, high = LOWEST_HZ, min(HIGHEST_HZ, spectrogram.samplerate / 2)
    keep = slice(max(1, int(low * spectrogram.nfft / spectrogram.samplerate)), None)  # bins from `low` up
    if level.size:
        loudest = float(level.max())
        mesh = axes.pcolormesh(
            times,
            freqs[keep.start :],
            level[:, keep].T,
            cmap="magma",
            vmin=loudest - RANGE_DB,
            vmax=loudest,
            shading="flat",
            rasterized=True,
        )
        figure.colorbar(mesh, ax=axes, label="dB", pad=0.01, fraction=0.03)
    for order, (colour, name) in enumerate(zip(COLOURS * 4, track.names, strict=False)):
        voiced = float(np.mean(track.status[name] == "ok")) if len(track) else 0.0
        times, f0 = _broken_at_jumps(track.time, track.f0[name], track.hop / track.samplerate)
        axes.plot(
            times,
            f0,
            color=colour,
            linewidth=max(0.8, 3.2 - 1.0 * order),  # later lines thinner: tracks that agree stay visible
            marker="o",
            markersize=max(1.2, 3.0 - 0.8 * order),
            label=f"{name} ({voiced:.0%} voiced)",
        )
    axes.set_yscale("log")
    axes.set_ylim(low, high)
    axes.set_xlim(0.0, max(float(times[-1]) if len(times) else 0.0, float(track.time[-1]) if len(track) else 0.0, 1e-3))
    notes = [(hz, note_name(hz)[0]) for hz in _note_ticks(low, high)]
    axes.yaxis.set_major_locator(FixedLocator([hz for hz, _ in notes]))
    axes.set_yticklabels([name for _, name in notes])
    axes.yaxis.set_minor_locator(NullLocator())
    axes.yaxis.set_minor_formatter(NullFormatter())
    axes.grid(axis="y", color="white", alpha=0.15, linewidth=0.6)
    hertz = axes.secondary_yaxis("right")
    hertz.set_yticks([hz for hz in (50, 100, 200, 500, 1000, 2000, 4000, 8000) if low <= hz <= high])
    hertz.set_yticklabels([f"{hz:g}" for hz in (50, 100, 200, 500, 1000, 2000, 4000, 8000) if low <= hz <= high])
    hertz.set_ylabel("Hz")
    axes.set_xlabel("time (s)")
    axes.set_ylabel("note")
    axes.set_title(title or "streamfreq", loc="left")
    if track.names:
        axes.legend(loc="upper right", fontsize="small", framealpha=0.6)
    return figure


def _note_ticks(low: float, high: float) -> list[float]:
    """Frequencies of every C (and of A4) between ``low`` and ``high``."""
    cs = [440.0 * 2 ** ((12 * (octave + 1) - 69) / 12) for octave in range(-1, 10)]
    return sorted(hz for hz in [*cs, 440.0] if low <= hz <= high)


def plot_file(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    estimators: Sequence[str] | None = None,
    window: int | None = None,
    hop: int | None = None,
    fmin: float | None = None,
    channel: int | None = None,
    model_path: str | os.PathLike[str] | None = None,
    quiet_db: float | None = defaults.QUIET_DB,
    follow_notes: bool = True,
    title: str | None = None,
) -> Track:
    """Analyse ``path`` and draw it to ``out`` (PNG, written atomically); return the Track.

    The analysis settings (``estimators`` ... ``follow_notes``) are :func:`streamfreq.analysis.analyze_file`'s. A
    truncated file is drawn up to where it ends, and a file shorter than one window with no track; each with a
    :class:`UserWarning`.

    Raises
    ------
    SourceError, ParameterError, OutputError
        As :func:`streamfreq.analysis.analyze_file`; ``out`` is not named ``.png`` or cannot be written.
    """
    from streamfreq.analysis import analyze_blocks
    from streamfreq.batch.store import write_atomic
    from streamfreq.sources.file import FileSource
    from streamfreq.windowing import no_whole_window

    if Path(out).suffix.lower() != ".png":
        raise ParameterError(f"the picture is a PNG: name it .png (got {str(out)!r})")
    with FileSource(path, channel=channel) as source:
        spectrogram = Spectrogram(source.samplerate, source.frames)
        tracks = analyze_blocks(
            spectrogram.tap(source.blocks()),
            source.samplerate,
            estimators=estimators,
            window=window,
            hop=hop,
            fmin=fmin,
            model_path=model_path,
            quiet_db=quiet_db,
            follow_notes=follow_notes,
        )
        track = Track.concat(tracks)
        for text in source.warnings:
            warnings.warn(text, UserWarning, stacklevel=2)
    if not len(track):
        warnings.warn(no_whole_window(track.window, track.samplerate), UserWarning, stacklevel=2)
    write_atomic(Path(out), render_png(track, spectrogram, title=title or os.path.basename(str(path))))
    return track


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``streamfreq plot``; returns the exit code (0 done, 1 failed, 2 bad arguments)."""
    from streamfreq.argparsing import ArgumentParser, report_error
    from streamfreq.options import add_analysis_options, add_channel_option, estimator_names

    parser = ArgumentParser(
        prog="streamfreq plot",
        description="Draw a spectrogram of an audio file with each estimator's f0 track on top (PNG).",
    )
    parser.add_argument("input", metavar="INPUT", help="audio file (WAV, FLAC, OGG, ...)")
    parser.add_argument("-o", "--out", required=True, metavar="PNG", help="picture to write")
    add_analysis_options(parser)
    add_channel_option(parser)
    parser.add_argument("--title", help="title above the picture (default: the file name)")
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            plot_file(
                args.input,
                args.out,
                estimators=estimator_names(args),
                window=args.window,
                hop=args.hop,
                fmin=args.fmin,
                channel=args.channel,
                model_path=args.model,
                quiet_db=args.quiet_db,
                follow_notes=args.follow_notes,
                title=args.title,
            )
    except (StreamfreqError, ImportError) as error:
        return report_error(parser.prog, error)
    for warning in caught:
        print(f"{parser.prog}: warning: {warning.message}", file=sys.stderr)
    return 0
