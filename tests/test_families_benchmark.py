"""benchmarks/families.py: the families of test signals it makes."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

_BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(_BENCHMARKS))
_SPEC = importlib.util.spec_from_file_location("families_benchmark", _BENCHMARKS / "families.py")
families = sys.modules.setdefault("families_benchmark", importlib.util.module_from_spec(_SPEC))
_SPEC.loader.exec_module(families)


def test_the_families_of_test_signals_carry_their_exact_f0():
    """benchmarks/families.py: 2 s clips at 16 kHz, each brought to an RMS of 0.1 (but the level families and near
    silence), with the f0 they were made at (rippled noise: the rate over its whole-sample delay), none for the
    three families without an f0."""
    clips = families.families()
    assert len(clips) == 27
    for name, group in clips.items():
        for samples, f0 in group:
            assert samples.shape == f0.shape == (32000,)
            rms = float(np.sqrt(np.mean(samples**2)))
            if name.endswith(families.NO_F0):
                assert not f0.any()
            else:
                assert f0.min() > 0
            if not name.startswith(("level", "near silence")):
                assert rms == pytest.approx(0.1, rel=1e-9)
    assert [round(float(f[0]), 2) for _, f in clips["rippled noise"]] == [89.89, 160.0, 250.0, 372.09]
