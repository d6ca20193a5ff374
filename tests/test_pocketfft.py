"""streamfreq.estimators.pocketfft: scipy.fft's numbers, bit for bit, without importing scipy.fft."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.fft

from streamfreq.estimators import pocketfft


def _loaded_alone():
    """The module as a fresh process gets it: loaded from scipy's files, scipy.fft not imported."""
    module = pocketfft._load_alone()
    assert module is not None, "scipy's compiled pocketfft module was not found where this scipy keeps it"
    return module


@pytest.mark.parametrize("n", [64, 1000, 2048, 4096, 4320])
@pytest.mark.parametrize("batch", [1, 5])
def test_rfft_and_irfft_match_scipy_bit_for_bit(monkeypatch, n, batch):
    monkeypatch.setattr(pocketfft, "_pocketfft", _loaded_alone)
    rng = np.random.default_rng(n + batch)
    x = (rng.standard_normal((batch, n)) * 3.0).astype(np.float32)
    spectrum = pocketfft.rfft(x)
    expected = scipy.fft.rfft(x, axis=1, overwrite_x=False)
    assert spectrum.dtype == expected.dtype == np.complex64
    assert np.array_equal(spectrum.view(np.float32), expected.view(np.float32))
    power = np.abs(expected).astype(np.float32) ** 2
    for size, top in [(n, n // 2 + 1), (n // 4, n // 16 + 3), (n // 2, n // 2 + 1)]:  # whole, zero-padded, cut
        got, want = pocketfft.irfft(power[:, :top], size), scipy.fft.irfft(power[:, :top], size, axis=1)
        assert got.dtype == want.dtype == np.float32
        assert np.array_equal(got, want)


def test_next_fast_len_matches_scipy(monkeypatch):
    monkeypatch.setattr(pocketfft, "_pocketfft", _loaded_alone)
    for target in [1, 7, 64, 97, 4096, 4097, 12345]:
        for real in (False, True):
            assert pocketfft.next_fast_len(target, real) == scipy.fft.next_fast_len(target, real)


def test_the_fft_estimator_does_not_import_scipy_fft():
    """A fresh process estimates without ``scipy.fft`` (0.15 to 0.2 s of start-up CPU)."""
    code = (
        "import sys, numpy as np; from streamfreq.estimators.fft import FFTEstimator; "
        "from streamfreq.signals import tone; "
        "est = FFTEstimator().estimate_many(tone(2048, [18.775]), 48000.0)[0]; "
        "print(est.status, round(est.hz, 3), 'scipy.fft' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["ok", "440.039", "False"]


def test_a_module_that_takes_other_arguments_is_not_used():
    """Where a scipy's private module is called differently (here: it raises on these arguments, or gives other
    numbers), the compiled module is not loaded alone and scipy.fft is used instead."""

    class Changed:
        def r2c(self, *args):
            raise TypeError("r2c() takes 4 positional arguments")

    class Wrong:
        def r2c(self, x, *args):
            return np.fft.rfft(x) * 2

        def c2r(self, x, axes, n, *args):
            return np.fft.irfft(x, n)

        def good_size(self, n, real):
            return n

    assert pocketfft._behaves(_loaded_alone())
    assert not pocketfft._behaves(Changed()) and not pocketfft._behaves(Wrong())
