"""Rendered instrument notes with a known pitch: General-MIDI notes played by ``fluidsynth`` from a soundfont.

The pitch benchmark, the tests and training use these as real instrument
sounds whose reference is the MIDI note's frequency. :data:`INSTRUMENTS`
lists General-MIDI programs with each instrument's playable range;
:func:`note_set` spreads notes over those ranges (30 Hz..2 kHz) and
:func:`render_notes` plays them, one after the other, in a single
``fluidsynth`` run (the soundfont loads once), cutting the result into one
:class:`RenderedNote` per note. Given a TiMidity++ configuration (a ``.cfg``
file, such as Debian's ``freepats``: :data:`PATCH_SET`) instead of a
soundfont, ``timidity`` plays the notes from its patches, other recordings
of the instruments. The audio is cached under
``~/.cache/streamfreq/material`` (or ``$XDG_CACHE_HOME``), keyed by the MIDI
bytes, the soundfont and the rate; it is never part of the repository.

Rendered notes can sit up to about ±16 cents off their nominal pitch (the
soundfont's tuning), so score them within 50 cents, on the sustained part
(:attr:`RenderedNote.sustain`), not against single cents.

Example
-------
>>> notes = note_set()
>>> len(notes), len({n.program for n in notes})
(184, 23)
>>> round(midi_hz(69), 1), round(min(n.hz for n in notes), 1), round(max(n.hz for n in notes), 1)
(440.0, 36.7, 1975.5)
>>> midi_file([Note("flute", 73, 72)], hold=0.5, release=0.2)[:4]
b'MThd'
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from streamfreq.errors import SourceError, check_range

#: The soundfont of Debian's ``musescore-general-soundfont``.
SOUNDFONT = "/usr/share/sounds/sf3/MuseScore_General_Full.sf3"
#: What to install when ``fluidsynth`` or the soundfont is missing.
INSTALL_HINT = "apt-get install fluidsynth musescore-general-soundfont"
#: Debian's ``freepats``: a TiMidity++ configuration of GUS patches, which :func:`render_notes` plays with
#: ``timidity`` (it has patches for 19 of the 23 programs of :data:`INSTRUMENTS`: :func:`patch_programs`).
PATCH_SET = "/etc/timidity/freepats.cfg"
#: What to install when ``timidity`` or the patch set is missing.
PATCH_SET_HINT = "apt-get install timidity freepats"
#: MIDI ticks per second in the files written here (1 ms ticks).
TICKS = 1000


@dataclass(frozen=True)
class Instrument:
    """A General-MIDI program (0-based) and the MIDI notes the real instrument plays, ``low..high``."""

    name: str
    program: int
    low: int
    high: int


#: Instruments of the benchmark, each within its real range and within 30 Hz..2 kHz.
INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("acoustic grand piano", 0, 28, 95),
    Instrument("reed organ", 20, 36, 91),  # the drawbar and church organs sound 16' and mixture ranks
    Instrument("nylon guitar", 24, 40, 83),
    Instrument("steel guitar", 25, 40, 81),
    Instrument("clean electric guitar", 27, 40, 86),
    Instrument("acoustic bass", 32, 28, 60),
    Instrument("finger electric bass", 33, 28, 67),
    Instrument("violin", 40, 55, 95),
    Instrument("viola", 41, 48, 84),
    Instrument("cello", 42, 36, 76),
    Instrument("contrabass", 43, 28, 60),
    Instrument("string ensemble", 48, 36, 91),
    Instrument("choir aahs", 52, 48, 79),
    Instrument("voice oohs", 53, 48, 79),
    Instrument("trumpet", 56, 54, 82),
    Instrument("trombone", 57, 40, 72),
    Instrument("tuba", 58, 26, 58),
    Instrument("french horn", 60, 34, 77),
    Instrument("alto sax", 65, 49, 80),
    Instrument("oboe", 68, 58, 91),
    Instrument("bassoon", 70, 34, 72),
    Instrument("clarinet", 71, 50, 91),
    Instrument("flute", 73, 60, 95),
)


#: A modulation wheel setting for notes played with vibrato: with MuseScore General the pitch swings 20..28 cents
#: either way at about 8 Hz (a trumpet's G4, steady within 5 cents without it, spans 40 cents), on top of the
#: vibrato some samples hold of their own (a violin's A4 spans 42 cents without the wheel, 72 with it): within the
#: 50 cents that notes are scored to, but for a sample that sits flat or sharp.
VIBRATO_WHEEL = 64
#: The instruments of :data:`INSTRUMENTS` that players sound with vibrato (bowed strings, voices, brass, reeds,
#: flute): the keyboards, plucked strings and organ keep a steady pitch.
VIBRATO_INSTRUMENTS = (
    "violin", "viola", "cello", "contrabass", "string ensemble", "choir aahs", "voice oohs", "trumpet",
    "trombone", "french horn", "alto sax", "oboe", "bassoon", "clarinet", "flute",
)  # fmt: skip


@dataclass(frozen=True)
class Note:
    """One note to render: instrument name, General-MIDI program, MIDI note number and velocity."""

    instrument: str
    program: int
    midi: int
    velocity: int = 96

    @property
    def hz(self) -> float:
        """The nominal frequency of the note (equal temperament, A4 = 440 Hz)."""
        return midi_hz(self.midi)


@dataclass(frozen=True)
class RenderedNote:
    """A rendered note: mono float32 samples starting at the note-on, and the part to score."""

    note: Note
    samples: np.ndarray
    samplerate: float
    sustain: tuple[float, float]
    """Start and end (seconds from the note-on) of the sustained part: after the attack, before the note-off."""


def midi_hz(midi: float) -> float:
    """Frequency of a MIDI note number in Hz (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((float(midi) - 69.0) / 12.0)


def note_set(per_instrument: int = 8, instruments: Sequence[Instrument] = INSTRUMENTS) -> list[Note]:
    """``per_instrument`` notes spread evenly over each instrument's range (both ends included)."""
    check_range("per_instrument", per_instrument, 1, 128)
    notes = []
    for instrument in instruments:
        pitches = np.unique(np.round(np.linspace(instrument.low, instrument.high, per_instrument)).astype(int))
        notes += [Note(instrument.name, instrument.program, int(p)) for p in pitches]
    return notes


def _variable_length(value: int) -> bytes:
    """A MIDI variable-length quantity."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def midi_file(notes: Sequence[Note], hold: float, release: float, effects: int = 0, modulation: int = 0) -> bytes:
    """A format-0 MIDI file playing ``notes`` one after the other on channel 1.

    Each note is held ``hold`` seconds, then ``release`` seconds pass before
    the next one; reverb and chorus sends are ``effects`` (0..127), the pitch bend centred, the modulation wheel
    (controller 1, vibrato) at ``modulation`` (0..127).
    """
    check_range("effects", effects, 0, 127)
    check_range("modulation", modulation, 0, 127)
    tempo = struct.pack(">I", 1_000_000)[1:]  # one quarter note per second, TICKS ticks per quarter
    sends = [b"\x00\xb0" + bytes([controller, effects]) for controller in (0x5B, 0x5D)]  # reverb, chorus
    wheel = [b"\x00\xb0\x01" + bytes([modulation])] if modulation else []  # unset: the files as before
    events = [b"\x00\xff\x51\x03" + tempo, *sends, *wheel, b"\x00\xb0\x07\x64", b"\x00\xe0\x00\x40"]
    hold_ticks, release_ticks = round(hold * TICKS), round(release * TICKS)
    for index, note in enumerate(notes):
        check_range("MIDI note", note.midi, 0, 127)
        check_range("program", note.program, 0, 127)
        wait = _variable_length(release_ticks if index else 0)
        events.append(wait + bytes([0xC0, note.program]))
        events.append(b"\x00" + bytes([0x90, note.midi, note.velocity]))
        events.append(_variable_length(hold_ticks) + bytes([0x80, note.midi, 0]))
    events.append(_variable_length(release_ticks) + b"\xff\x2f\x00")
    track = b"".join(events)
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS)
    return header + b"MTrk" + struct.pack(">I", len(track)) + track


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "streamfreq" / "material"


def _installed(tool: str, path: str, what: str, hint: str) -> str:
    """The executable ``tool``; a :class:`SourceError` naming the packages (``hint``) if it or the file ``path`` (a
    ``what``) is missing."""
    executable = shutil.which(tool)
    if executable is None:
        raise SourceError(f"{tool} is not installed; install it with: {hint}")
    if not os.path.isfile(path):
        raise SourceError(f"{what} {path} not found; install it with: {hint}")
    return executable


def fluidsynth_path(soundfont: str = SOUNDFONT) -> str:
    """The ``fluidsynth`` executable; a :class:`SourceError` naming the packages if it or the soundfont is missing."""
    path = _installed("fluidsynth", soundfont, "soundfont", INSTALL_HINT)
    with open(soundfont, "rb") as handle:  # fluidsynth skips a file it cannot read and plays its default font
        head = handle.read(12)
    if head[:4] != b"RIFF" or head[8:] != b"sfbk":
        raise SourceError(f"{soundfont} is not a SoundFont (.sf2 or .sf3 file); give one, e.g. {SOUNDFONT}")
    return path


def is_patch_set(soundfont: str) -> bool:
    """Whether ``soundfont`` names a TiMidity++ configuration of patches (a ``.cfg`` file), not a soundfont."""
    return str(soundfont).endswith(".cfg")


def timidity_path(patch_set: str = PATCH_SET) -> str:
    """The ``timidity`` executable; a :class:`SourceError` naming the packages if it or the patch set is missing."""
    return _installed("timidity", patch_set, "patch set", PATCH_SET_HINT)


def synthesizer_path(soundfont: str = SOUNDFONT) -> str:
    """The executable that plays ``soundfont``: ``timidity`` for a patch set (:func:`is_patch_set`), else
    ``fluidsynth`` (:func:`timidity_path`, :func:`fluidsynth_path`: each checks what it needs)."""
    return timidity_path(soundfont) if is_patch_set(soundfont) else fluidsynth_path(soundfont)


def patch_programs(patch_set: str = PATCH_SET) -> frozenset[int]:
    """The General-MIDI programs (0-based) that ``patch_set`` has a patch for in its bank 0.

    ``timidity`` plays any other program from its default configuration (another set of samples), so only these
    are this patch set's instruments. Lines ``source FILE`` are followed; drum sets and other banks are skipped.

    Example
    -------
    >>> import os, tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as cfg:
    ...     _ = cfg.write("drumset 0\\n 35 Kick.pat\\nbank 0\\n 0 Piano.pat\\n 73 Flute.pat\\n")
    >>> sorted(patch_programs(cfg.name))
    [0, 73]
    >>> os.unlink(cfg.name)
    """
    programs: set[int] = set()
    melodic = False
    for line in Path(patch_set).read_text(errors="replace").splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] == "source" and len(words) > 1:
            programs |= patch_programs(words[1])
        elif words[0] in ("bank", "drumset"):
            melodic = words[0] == "bank" and words[1:2] == ["0"]
        elif melodic and words[0].isdigit() and len(words) > 1:
            programs.add(int(words[0]))
    return frozenset(programs)


def _render_command(
    soundfont: str, executable: str, samplerate: int, gain: float, effects: int, wav: Path, midi: Path
) -> list[str]:
    """The command line that renders ``midi`` from ``soundfont`` to the 16-bit WAV file ``wav``."""
    if is_patch_set(soundfont):  # timidity's reverb and chorus follow the MIDI sends; its volume is in percent
        off = ["-EFreverb=0", "-EFchorus=0"] if not effects else []
        rate, volume = str(samplerate), str(round(100 * gain))
        return [executable, "-c", soundfont, "-Ow", "-s", rate, "-A", volume, *off, "-o", str(wav), str(midi)]
    on = "1" if effects else "0"
    command = [executable, "-ni", "-q", "-R", on, "-C", on, "-g", str(gain), "-r", str(samplerate)]
    return command + ["-T", "wav", "-O", "s16", "-F", str(wav), soundfont, str(midi)]


def _read_wav(path: Path) -> tuple[np.ndarray, float]:
    """Mono float32 samples and rate of a 16-bit PCM WAV file (channels averaged)."""
    with wave.open(str(path), "rb") as handle:
        if handle.getsampwidth() != 2:
            raise SourceError(f"{path}: expected 16-bit PCM from the synthesizer")
        channels, rate = handle.getnchannels(), handle.getframerate()
        data = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    return (data.reshape(-1, channels).mean(axis=1) / 32768.0).astype(np.float32), float(rate)


def render_notes(
    notes: Sequence[Note],
    samplerate: int = 44100,
    *,
    hold: float = 1.2,
    release: float = 0.5,
    attack: float = 0.25,
    gain: float = 0.6,
    soundfont: str = SOUNDFONT,
    cache_dir: str | os.PathLike[str] | None = None,
    effects: int = 0,
    modulation: int = 0,
) -> list[RenderedNote]:
    """Render ``notes`` with fluidsynth (cached) and cut them into one :class:`RenderedNote` each.

    Each note's samples run from its note-on to the next note-on
    (``hold + release`` seconds); its sustained part runs from ``attack``
    seconds after the note-on to the note-off. The rendering is
    ``fluidsynth -ni -q -R 0 -C 0 -g GAIN -r RATE -T wav -O s16 -F OUT SOUNDFONT MIDI``
    (reverb and chorus off: the chorus detunes the note). With ``effects``
    (1..127) both are on (``-R 1 -C 1``) and the MIDI file sends each note to
    them at that level, as a piece rendered with fluidsynth's defaults may be.
    ``modulation`` (0..127) sets the modulation wheel, which adds the soundfont's vibrato: with MuseScore
    General at 64 the pitch swings 20..28 cents either way at 8 Hz (:data:`VIBRATO_WHEEL`).

    A ``soundfont`` ending in ``.cfg`` is a TiMidity++ configuration of patches (:data:`PATCH_SET`), rendered
    ``timidity -c SOUNDFONT -Ow -s RATE -A 100*GAIN -EFreverb=0 -EFchorus=0 -o OUT MIDI`` (the two ``-EF``
    options left out with ``effects``); a note whose program it has no patch for is a :class:`SourceError`
    (timidity would play another set's instrument: :func:`patch_programs`).
    """
    check_range("samplerate", samplerate, 8000, 96000)
    check_range("hold", hold, attack + 0.05, 60.0)
    executable = synthesizer_path(soundfont)
    if is_patch_set(soundfont):
        missing = sorted({note.program for note in notes} - patch_programs(soundfont))
        if missing:
            raise SourceError(f"{soundfont} has no patch for General-MIDI program(s) {missing}; leave those notes out")
    midi = midi_file(notes, hold, release, effects, modulation)
    key = hashlib.sha256(
        midi + f"|{os.path.abspath(soundfont)}|{os.path.getsize(soundfont)}|{samplerate}|{gain}".encode()
    ).hexdigest()[:24]
    directory = Path(cache_dir) if cache_dir is not None else _cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    wav = directory / f"{key}.wav"
    if not wav.exists():  # each process renders to its own names: two that render the same notes at once both finish
        midi_path = directory / f"{key}.{os.getpid()}.mid"
        midi_path.write_bytes(midi)
        partial = directory / f"{key}.{os.getpid()}.partial.wav"
        command = _render_command(soundfont, executable, samplerate, gain, effects, partial, midi_path)
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=600)
            if result.returncode != 0 or not partial.exists():
                name = os.path.basename(executable)
                raise SourceError(f"{name} failed ({result.returncode}): {result.stderr.strip()[-300:]}")
            partial.replace(wav)
        finally:  # nothing of a failed rendering stays in the cache
            midi_path.unlink()
            partial.unlink(missing_ok=True)
    samples, rate = _read_wav(wav)
    slot = round((hold + release) * rate)
    rendered = []
    for index, note in enumerate(notes):
        piece = samples[index * slot : (index + 1) * slot]
        rendered.append(RenderedNote(note, piece, rate, (attack, hold)))
    return rendered
