"""Process-wide settings the engine needs while it works: the first user applies one, the last restores it.

- :data:`one_blas_thread`: numpy's BLAS on one thread while estimating
  (threadpoolctl). OpenBLAS worker threads spin after every small matrix
  product (the LSTM's resampling is one) and take the CPU the live path
  needs: 10 s of live synth with all estimators cost 13.3 s of CPU with
  them, 3.7 s without.
- :data:`short_switch_interval`: a 0.5 ms GIL switch interval while a
  threaded live session runs. Its worker gives the GIL up around every
  native call; at Python's default 5 ms it then waits up to 5 ms, plus a
  scheduling delay on a busy machine, whenever another thread (a GUI
  painting, a poller) wants it. Measured at load 6, 10 s of a noisy sweep
  with all estimators: 531 and 533 of 934 windows dropped at 5 ms, 124 and
  271 at 0.5 ms.

Example
-------
>>> import sys
>>> before = sys.getswitchinterval()
>>> with short_switch_interval():
...     with short_switch_interval():  # nested and concurrent holders share it
...         inside = sys.getswitchinterval()
>>> inside, sys.getswitchinterval() == before
(0.0005, True)
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator

#: The GIL switch interval while a threaded live session runs, in seconds.
SWITCH_INTERVAL = 0.0005


class SharedSetting:
    """A process-wide setting held by any number of users at once.

    Parameters
    ----------
    apply
        Applies the setting and returns the function that restores what was there.
    """

    def __init__(self, apply: Callable[[], Callable[[], None]]) -> None:
        self._apply = apply
        self._lock = threading.Lock()
        self._holders = 0
        self._restore: Callable[[], None] | None = None

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                self._restore = self._apply()
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0 and self._restore is not None:
                    self._restore()
                    self._restore = None


#: The threadpoolctl controller of the BLAS libraries loaded, and the number of modules imported when it was made.
_controller: tuple[object, int] | None = None


def _limit_blas() -> Callable[[], None]:
    global _controller
    # finding the loaded BLAS libraries takes ~6 ms: again only after an import, which may load another (scipy's
    # own OpenBLAS comes with scipy.linalg or scipy.signal; one the controller does not know keeps its threads)
    if _controller is None or _controller[1] != len(sys.modules):
        from threadpoolctl import ThreadpoolController

        _controller = (ThreadpoolController(), len(sys.modules))
    return _controller[0].limit(limits=1, user_api="blas").restore_original_limits  # type: ignore[attr-defined]


def _shorten_switch_interval() -> Callable[[], None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    return lambda: sys.setswitchinterval(before)


one_blas_thread = SharedSetting(_limit_blas)
short_switch_interval = SharedSetting(_shorten_switch_interval)
