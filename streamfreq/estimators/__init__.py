"""Fundamental-frequency (f0) estimators and the registry that builds them by name.

Every estimator reports the fundamental of the periodic sound in a window
(for a pure tone, its frequency) or says why it gives no number.

``"fft"`` and ``"zc"`` need only numpy/scipy; ``"lstm"`` needs the ``lstm``
extra (``pip install "streamfreq[lstm]"``) and loads the shipped model unless
given another.

Example
-------
>>> from streamfreq.estimators import build_estimators
>>> [e.name for e in build_estimators(["fft", "zc"])]
['fft', 'zc']
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from streamfreq.errors import ParameterError
from streamfreq.estimators.base import Estimate, Estimator

ESTIMATOR_NAMES = ("fft", "zc", "lstm")

__all__ = ["ESTIMATOR_NAMES", "Estimate", "Estimator", "available_estimators", "build_estimator", "build_estimators"]


def available_estimators() -> list[str]:
    """Names of the estimators that can run here (``lstm`` only when its runtime is installed)."""
    from streamfreq.estimators.lstm import lstm_available

    return [name for name in ESTIMATOR_NAMES if name != "lstm" or lstm_available()]


def build_estimator(
    name: str, model_path: str | os.PathLike[str] | None = None, fmin: float | None = None
) -> Estimator:
    """Build the estimator called ``name`` (``model_path`` is for ``lstm`` only).

    ``fmin`` is the lowest fundamental (Hz) an estimator reports; None for the
    lowest the window allows (:func:`streamfreq.defaults.lowest_f0`; the LSTM's
    trained range applies as well).
    """
    if name == "fft":
        from streamfreq.estimators.fft import FFTEstimator

        return FFTEstimator(fmin=fmin)
    if name == "zc":
        from streamfreq.estimators.zero_crossing import ZeroCrossingEstimator

        return ZeroCrossingEstimator(fmin=fmin)
    if name == "lstm":
        from streamfreq.estimators.lstm import LSTMEstimator

        return LSTMEstimator(model_path, fmin=fmin)
    raise ParameterError(f"estimator must be one of {', '.join(ESTIMATOR_NAMES)} (got {name!r})")


def build_estimators(
    estimators: Sequence[str | Estimator] | None = None,
    model_path: str | os.PathLike[str] | None = None,
    fmin: float | None = None,
) -> list[Estimator]:
    """Build several estimators from names; objects (anything with a ``name`` and ``estimate_many``) are used as
    they are. ``None`` means every available one (``fmin``: see :func:`build_estimator`).

    Raises
    ------
    ParameterError
        No estimator, an unknown name, a name twice, a lone string instead of a list, or an object that is no
        estimator.

    Example
    -------
    >>> from streamfreq.estimators.fft import FFTEstimator
    >>> [e.name for e in build_estimators(["zc", FFTEstimator(fmin=80.0)])]
    ['zc', 'fft']
    """
    if isinstance(estimators, str):
        raise ParameterError(
            f"estimators must be a list of names, e.g. [{estimators!r}] (got the string {estimators!r})"
        )
    chosen = available_estimators() if estimators is None else list(estimators)
    if not chosen:
        raise ParameterError("estimators must name at least one of fft, zc, lstm (got none)")
    for estimator in chosen:
        if not isinstance(estimator, str) and not (
            isinstance(getattr(estimator, "name", None), str) and callable(getattr(estimator, "estimate_many", None))
        ):
            raise ParameterError(
                f"an estimator object needs a name and estimate_many(frames, samplerate) (got {estimator!r})"
            )
    names = [e if isinstance(e, str) else e.name for e in chosen]
    if len(set(names)) != len(names):
        raise ParameterError(f"estimators must not repeat (got {','.join(names)})")
    return [build_estimator(e, model_path, fmin) if isinstance(e, str) else e for e in chosen]
