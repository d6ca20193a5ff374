"""Turn the PATH arguments of ``streamfreq batch`` into a list of audio files.

A PATH is a file (taken whatever its extension), a folder (searched
recursively for audio extensions), a glob (``'*.wav'``, ``'data/**/*.flac'``;
folders it matches are searched too) or ``@list.txt`` (one path per line; blank
lines and ``#`` comments skipped; relative paths are relative to the list).
Paths come back absolute, each once, in a stable order.

Example
-------
>>> import os, tempfile
>>> root = tempfile.mkdtemp()
>>> for name in ("b.wav", "a.flac", "notes.txt"):
...     open(os.path.join(root, name), "w").close()
>>> [os.path.basename(p) for p in expand_inputs([root])]
['a.flac', 'b.wav']
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from pathlib import Path

from streamfreq.errors import ParameterError
from streamfreq.sources.file import url_advice

#: File name endings a folder search picks up (what libsndfile reads).
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".aifc", ".au", ".snd", ".caf"}
    | {".w64", ".rf64", ".voc", ".sd2", ".wv"}
)
_GLOB_CHARACTERS = frozenset("*?[")


def expand_inputs(arguments: Sequence[str]) -> list[str]:
    """Absolute paths of the audio files the arguments name (duplicates removed, order kept).

    Entries of an ``@list`` file are taken as they are, even if missing: the
    batch reports each missing one as an ``error`` row.

    Raises
    ------
    ParameterError
        A command-line PATH does not exist, a glob matches nothing, a list
        file cannot be read, or no audio file is found at all.
    """
    found: dict[str, None] = {}
    for argument in arguments:
        for path in _expand_one(argument):
            found.setdefault(path, None)
    if not found:
        raise ParameterError(f"no audio files found in {' '.join(arguments)}")
    return list(found)


def _expand_one(argument: str) -> list[str]:
    if argument.startswith("@"):
        return _read_list(Path(argument[1:]))
    path = Path(argument).expanduser()
    if path.is_dir():
        return _audio_in(path)
    if path.exists():
        return [os.path.abspath(path)]
    if _GLOB_CHARACTERS & set(argument):
        matches = sorted(glob.glob(str(path), recursive=True))
        if not matches:
            raise ParameterError(f"the pattern {argument!r} matches no file")
        files: list[str] = []
        for match in matches:
            if os.path.isdir(match):
                files.extend(_audio_in(Path(match)))
            elif os.path.isfile(match):
                files.append(os.path.abspath(match))
        return files
    raise ParameterError(url_advice(argument) or f"no such file or folder: {argument!r}")


def _audio_in(folder: Path) -> list[str]:
    """Audio files under ``folder``, recursively, sorted by path."""
    files = []
    for directory, subdirectories, names in os.walk(folder):
        subdirectories.sort()
        files.extend(
            os.path.abspath(os.path.join(directory, name))
            for name in sorted(names)
            if os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS and not name.startswith(".")
        )
    return files


def _read_list(list_path: Path) -> list[str]:
    try:
        lines = list_path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ParameterError(f"cannot read the list {str(list_path)!r}: {reason}") from None
    base = list_path.parent
    entries = [line.strip() for line in lines]
    return [os.path.abspath(base / Path(e).expanduser()) for e in entries if e and not e.startswith("#")]
