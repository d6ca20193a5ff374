"""The three transforms the fft estimator needs from ``scipy.fft``, without the cost of importing ``scipy.fft``.

``scipy.fft.rfft``, ``irfft`` and ``next_fast_len`` are thin wrappers around scipy's compiled pocketfft
module. Importing ``scipy.fft`` also imports ``scipy.special`` and scipy's array-API layer (which parses the
docstrings of ~135 functions and imports ``numpy.f2py`` and ``numpy.testing``): 0.15 to 0.2 s of CPU here, about
40% of the command line's start-up. This module loads the compiled module alone, from scipy's installed files, and
calls it exactly as ``scipy.fft`` does, so every number is the same, bit for bit. Where scipy is laid out
differently (the module is not found, does not load, or does not give numpy's transforms of a small test signal
when called so), or ``scipy.fft`` is imported already, it uses ``scipy.fft`` itself. numpy's own FFT is no
substitute: it rounds differently, and it is 1.5 times slower on one window and 5 times on 64 (numpy 2.4).

Example
-------
>>> import numpy as np
>>> x = np.cos(2 * np.pi * 4 * np.arange(32, dtype=np.float32) / 32)[None, :]
>>> spectrum = rfft(x)
>>> spectrum.dtype, int(np.abs(spectrum[0]).argmax()), next_fast_len(4097, real=True)
(dtype('complex64'), 4, 4320)
>>> bool(np.allclose(irfft(spectrum, 32), x, atol=1e-6))
True
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

#: scipy's compiled pocketfft module, by its import name.
_NAME = "scipy.fft._pocketfft.pypocketfft"


@functools.cache
def _pocketfft() -> ModuleType:
    """scipy's compiled pocketfft module: the one ``scipy.fft`` uses, else loaded from its file alone."""
    if "scipy.fft" not in sys.modules:
        loaded = _load_alone()
        if loaded is not None:
            return loaded
    import scipy.fft._pocketfft.pypocketfft as module

    return module


def _load_alone() -> ModuleType | None:
    """The compiled module loaded from scipy's files without importing any of scipy; None where that fails."""
    try:
        spec = importlib.util.find_spec("scipy")  # finds the package, imports nothing
        folders = [] if spec is None else list(spec.submodule_search_locations or [])
        for folder in folders:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = Path(folder, "fft", "_pocketfft", "pypocketfft" + suffix)
                if path.is_file():
                    loader = importlib.machinery.ExtensionFileLoader(_NAME, str(path))
                    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(_NAME, loader))
                    loader.exec_module(module)
                    return module if _behaves(module) else None
    except (ImportError, OSError, AttributeError, ValueError):
        pass
    return None


def _behaves(module: ModuleType) -> bool:
    """Whether ``module``'s transforms, called as below, give numpy's on a small signal (a scipy whose private
    module takes other arguments or means other things is then not used)."""
    x = np.cos(np.arange(12, dtype=np.float32))[None, :]
    try:
        spectrum = _forward(module, x)
        back = _inverse(module, spectrum, 12)
        fast = module.good_size(4097, True)
    except (TypeError, ValueError, RuntimeError):
        return False
    return bool(np.allclose(spectrum, np.fft.rfft(x), atol=1e-5) and np.allclose(back, x, atol=1e-5) and fast >= 4097)


def _forward(module: ModuleType, x: np.ndarray) -> np.ndarray:
    """The module's real forward transform along axis 1, called as ``scipy.fft.rfft`` calls it."""
    return module.r2c(x, (1,), True, 0, None, 1)  # forward, unscaled, one thread


def _inverse(module: ModuleType, spectrum: np.ndarray, n: int) -> np.ndarray:
    """The module's inverse real transform of ``n`` points along axis 1, called as ``scipy.fft.irfft`` calls it."""
    return module.c2r(spectrum, (1,), n, False, 2, None, 1)  # inverse, scaled by 1/n, one thread


def rfft(x: np.ndarray) -> np.ndarray:
    """``scipy.fft.rfft(x, axis=1)`` of float32 rows ``x`` (batch, n): complex64 (batch, n // 2 + 1)."""
    return _forward(_pocketfft(), x)


def irfft(x: np.ndarray, n: int) -> np.ndarray:
    """``scipy.fft.irfft(x, n, axis=1)`` of real float32 rows ``x`` (batch, bins): float32 (batch, n)."""
    half = n // 2 + 1
    spectrum = x[:, :half] + 0j  # complex64, a copy
    if spectrum.shape[1] < half:
        spectrum = np.concatenate([spectrum, np.zeros((len(x), half - spectrum.shape[1]), spectrum.dtype)], axis=1)
    return _inverse(_pocketfft(), spectrum, n)


@functools.lru_cache(maxsize=64)
def next_fast_len(target: int, real: bool = False) -> int:
    """``scipy.fft.next_fast_len``: the smallest size at least ``target`` that pocketfft transforms fast."""
    return int(_pocketfft().good_size(target, real))
