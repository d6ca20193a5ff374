"""The Ray batch engine: Ray Data actors analyse the files, the driver stores the results.

The driver hands Ray Data a small table of paths (one file per block). An
actor pool (``map_batches`` with a callable class and an ``ActorPoolStrategy``
of ``workers`` actors, what older Rays call ``concurrency``) holds an
:class:`~streamfreq.batch.job.Analyser` per actor, built once, and reads
each file where it runs, so the audio never passes through the driver (on a
cluster the inputs must be on storage every node sees, at the same paths).
Each actor sends back the file's result (its files.csv row and its readouts
as Parquet bytes), and the driver writes it to the output folder, atomically
and keyed by path, exactly as the local engine's results are written, so the
two engines give identical outputs.

Faults: actors are restarted when they die (``max_restarts=-1``) and the
files they held are run again (``max_task_retries``); a file delivered twice
is stored once, and a file Ray gives up on comes back as an ``error`` row.
Ray logs each actor death (``A worker died or was killed ...``) on the
driver's output; the run goes on.

CPUs: each actor reserves ``cluster CPUs / (workers + 1)`` CPUs (at most 1),
so the actors never take every CPU and Ray Data's own tasks always get one.
On a 2-core machine, two actors of one CPU each starve those tasks and the
job makes no progress (measured; see the project's field notes).

``ray.init()`` joins the cluster at ``address`` (or ``RAY_ADDRESS``) when
given, and otherwise starts an embedded local Ray for the run. When Ray is
already initialised (an embedding program, the tests), that Ray is used and
left running.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import warnings
from collections.abc import Iterator, Sequence

import numpy as np

from streamfreq.batch.job import Analyser, FileResult, Job, Settings, one_line, prepare_worker
from streamfreq.errors import StreamfreqError, missing_extra

#: Times Ray runs a file again after the actor running it died.
TASK_RETRIES = 3
#: Object store of an embedded local Ray, in bytes (results are small: a file's Parquet bytes).
LOCAL_OBJECT_STORE = 512 * 1024**2


#: Seconds to wait for a cluster's head to answer before saying it cannot be reached (Ray itself retries for
#: minutes, printing warnings).
CONNECT_TIMEOUT = 10.0


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Raise :class:`StreamfreqError` when nothing answers at a cluster address ``host:port`` (or
    ``ray://host:port``); other forms (``auto``, ``local``) are left to Ray.

    >>> check_reachable("auto")  # Ray finds the cluster started on this machine
    """
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon or not port.isdigit() or not host:
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        reason = "timed out" if isinstance(error, TimeoutError) else (error.strerror or one_line(error))
        raise StreamfreqError(
            f"cannot join the Ray cluster at {address}: {reason}; start its head with `ray start --head` "
            "(it prints the address) or correct --address / RAY_ADDRESS"
        ) from None


class RayAnalyser:
    """The actor class: an :class:`Analyser` built once per actor, applied to batches of paths."""

    def __init__(self, settings: Settings) -> None:
        prepare_worker()
        self.analyser = Analyser(settings)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        results = [
            pickle.dumps(self.analyser(Job(str(path), int(size), int(mtime))), protocol=pickle.HIGHEST_PROTOCOL)
            for path, size, mtime in zip(batch["path"], batch["size"], batch["mtime_ns"], strict=True)
        ]
        return {"result": np.array(results, dtype=object)}


def run_ray(
    jobs: Sequence[Job], settings: Settings, workers: int | None, address: str | None = None
) -> Iterator[FileResult]:
    """Analyse ``jobs`` on Ray; yield each file's result as it arrives (in any order).

    Parameters
    ----------
    workers
        Actors; None for one per CPU of the cluster.
    address
        A Ray cluster to join (``ray://...`` or ``HOST:PORT``); None uses ``RAY_ADDRESS`` or starts Ray locally.

    Raises
    ------
    ImportError
        Ray is not installed (``pip install "streamfreq[ray]"``).
    StreamfreqError
        Ray failed as a whole (results stored before the failure are kept; a rerun completes the batch).
    """
    try:
        import ray
        import ray.data
    except ImportError:
        raise missing_extra("ray", "ray") from None
    started = not ray.is_initialized()
    if started:
        local = address is None and not os.environ.get("RAY_ADDRESS")
        if not local:
            check_reachable(address or os.environ["RAY_ADDRESS"])
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                logging_level=logging.ERROR,
                log_to_driver=False,
                object_store_memory=LOCAL_OBJECT_STORE if local else None,
            )
        except Exception as error:  # Ray raises ConnectionError, RuntimeError, ValueError... for a bad cluster
            where = "start Ray here" if local else f"join the Ray cluster at {address or os.environ['RAY_ADDRESS']}"
            raise StreamfreqError(f"cannot {where}: {one_line(error)}") from None
    try:
        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        workers = workers or max(1, int(cpus))
        quiet = logging.getLogger("ray.data")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        context = ray.data.DataContext.get_current()
        changes = {"enable_progress_bars": False, "print_on_execution_start": False, "max_errored_blocks": -1}
        saved = {name: getattr(context, name) for name in changes}
        for name, value in changes.items():
            setattr(context, name, value)
        try:
            yield from _run(ray, jobs, settings, workers, min(1.0, cpus / (workers + 1)))
        finally:
            for name, value in saved.items():
                setattr(context, name, value)
            quiet.setLevel(level)
    finally:
        if started:
            ray.shutdown()


def _run(ray, jobs: Sequence[Job], settings: Settings, workers: int, actor_cpus: float) -> Iterator[FileResult]:
    items = [{"path": job.path, "size": job.size, "mtime_ns": job.mtime_ns} for job in jobs]
    options = {
        "fn_constructor_args": (settings,),
        "batch_size": 1,
        "batch_format": "numpy",
        "compute": ray.data.ActorPoolStrategy(size=workers),
        "num_cpus": actor_cpus,
    }
    retries = {"max_restarts": -1, "max_task_retries": TASK_RETRIES}
    source = ray.data.from_items(items, override_num_blocks=len(items))
    with warnings.catch_warnings():
        # Ray 2.60 deprecates passing actor options this way (its default is to retry forever); a file
        # that kills every actor it meets would then never end, so bound the retries while Ray allows it.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            dataset = source.map_batches(RayAnalyser, **options, **retries)
        except TypeError:  # a Ray that no longer takes them: its own retries apply
            dataset = source.map_batches(RayAnalyser, **options)
    delivered: set[str] = set()
    try:
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            for data in batch["result"]:
                result: FileResult = pickle.loads(data)
                if result.job.path not in delivered:  # a retried task may deliver a file twice: keep one
                    delivered.add(result.job.path)
                    yield result
    except (ray.exceptions.RayError, RuntimeError) as error:
        raise StreamfreqError(f"Ray failed: {' '.join(str(error).split())[:300]}") from None
    for job in jobs:
        if job.path not in delivered:
            yield FileResult.failed(job, f"Ray gave up on it (its actor died {TASK_RETRIES + 1} times)")
