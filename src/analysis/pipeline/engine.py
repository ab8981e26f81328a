"""Fan-out of independent model fits on Dask distributed.

One engine for every embarrassingly parallel part of the compendium (the planning study,
and the independent fits and factsheets of the build): a list of tasks ``(key, function,
args)`` goes to a Dask cluster and comes back as results in task order.

* Default: a :class:`distributed.LocalCluster` on this machine with *process* workers and one
  thread per worker; each worker process starts its own R session the first time a task fits
  a model (R is not thread-safe, and one R per process is what lets fits run side by side).
* ``scheduler="tcp://host:8786"`` sends the same tasks to an existing cluster (for example one
  started with ``dask-jobqueue`` on SLURM); its workers need this package and R installed.
* R is touched only from task threads, inside ``localconverter(default_converter)``: rpy2's
  conversion rules are thread-local and missing in a worker's task thread, and calling R from
  the worker's event-loop thread (``client.run``) after tasks had started R hung (setup notes).
* Results are stored per task under a content key (``store``); a run that is interrupted
  (Ctrl-C, a lost worker, a killed job) is resumed by running it again: stored tasks are read,
  not recomputed. A task's result depends only on its arguments (simulations carry their own
  seeds), so results are identical for any number of workers.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

# Imported before rpy2 so that it records the environment before R changes it (R adds its
# library folders to LD_LIBRARY_PATH, and worker processes started afterwards would fail).
from analysis.models import rbridge

Task = tuple[str, Callable[..., Any], tuple]
"""``(key, function, args)``: a content key (for the store) and a picklable call."""


@dataclass
class RunStats:
    """What a run did.

    Attributes
    ----------
    tasks : int
        Tasks asked.
    from_store : int
        Tasks whose stored result was re-used (resume).
    computed : int
        Tasks computed in this run.
    workers : int
        Workers of the cluster (0: computed in this process).
    seconds : float
        Wall time of the run, cluster start included.
    start_seconds : float
        Time to start (or connect to) the cluster.
    scheduler : str
        Address of the scheduler (``local`` for in-process).
    """

    tasks: int = 0
    from_store: int = 0
    computed: int = 0
    workers: int = 0
    seconds: float = 0.0
    start_seconds: float = 0.0
    scheduler: str = ""
    task_seconds: list[float] = field(default_factory=list)  # CPU seconds per computed task


def _in_r_context(fn: Callable[..., Any], args: tuple) -> tuple[Any, float]:
    """Run ``fn(*args)`` with rpy2's default conversion rules active in this thread.

    Returns the result and the CPU seconds of this process spent on it (on a loaded machine
    the wall time says little about the work).
    """
    t0 = time.process_time()
    with warnings.catch_warnings():
        # Expected: R starts in a worker's task thread (at the rpy2 import), so rpy2 warns that
        # R cannot be interrupted with Ctrl-C there; the client cancels the tasks instead.
        warnings.filterwarnings("ignore", message="R is not initialized by the main thread")
        try:
            from rpy2.robjects import default_converter
            from rpy2.robjects.conversion import localconverter
        except ImportError:  # a task without R on a worker without rpy2
            return fn(*args), time.process_time() - t0
        rbridge._restore_child_env()
        with localconverter(default_converter):
            out = fn(*args)
    return out, time.process_time() - t0


def _path(store: Path, key: str) -> Path:
    return Path(store) / f"{key}.pkl"


def load_stored(store: Path | None, key: str) -> Any | None:
    """The stored result of ``key`` or None (an unreadable file counts as absent)."""
    if store is None:
        return None
    p = _path(store, key)
    if not p.exists():
        return None
    try:
        with open(p, "rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        return None


def save(store: Path | None, key: str, value: Any) -> None:
    """Store ``value`` under ``key`` atomically (an interrupted write leaves no half file)."""
    if store is None:
        return
    Path(store).mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=store, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, _path(store, key))


@contextmanager
def client(scheduler: str | None = None, workers: int = 2) -> Iterator[Any]:
    """A Dask client: to ``scheduler`` when given, else to a new local process cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``) or a scheduler file (``*.json``).
    workers : int
        Worker processes of the local cluster (one thread each).
    """
    from distributed import Client, LocalCluster

    if scheduler:
        kw = {"scheduler_file": scheduler} if str(scheduler).endswith(".json") else {"address": scheduler}
        with Client(**kw) as c:
            yield c
        return
    # No dashboard (no port to collide with other users of the machine); worker logs only on errors.
    with (
        LocalCluster(
            n_workers=int(workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def _progress(total: int, initial: int, label: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=initial,
        desc=label,
        unit="taak",
        disable=not enabled,
        mininterval=1.0,
        dynamic_ncols=True,
    )


def run(
    tasks: Sequence[Task],
    *,
    store: Path | None = None,
    scheduler: str | None = None,
    workers: int = 2,
    progress: bool = True,
    label: str = "taken",
    stats: RunStats | None = None,
) -> list[Any]:
    """Run ``tasks`` on Dask (or in this process with ``workers=0``); results in task order.

    Parameters
    ----------
    tasks : sequence of (key, function, args)
        Keys must be unique; a function and its arguments must be picklable.
    store : Path, optional
        Folder of stored results: tasks found there are not recomputed, every finished task is
        written there at once (resume after an interrupt). None: nothing stored.
    scheduler : str, optional
        Address of an existing Dask scheduler; None starts a local cluster.
    workers : int
        Local worker processes (ignored with ``scheduler``); 0 computes in this process.
    progress : bool
        Show a progress bar (tqdm) on stderr.
    label : str
        Label of the progress bar.
    stats : RunStats, optional
        Filled with counts and timings.

    Returns
    -------
    list
        One result per task, in the order of ``tasks``.
    """
    t0 = time.perf_counter()
    st = stats if stats is not None else RunStats()
    keys = [k for k, _, _ in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("task keys must be unique")
    results: dict[str, Any] = {}
    for k in keys:
        hit = load_stored(store, k)
        if hit is not None:
            results[k] = hit
    todo = [t for t in tasks if t[0] not in results]
    st.tasks, st.from_store = len(tasks), len(results)
    bar = _progress(len(tasks), len(results), label, progress)
    try:
        if todo and workers == 0 and not scheduler:
            st.scheduler, st.workers = "local", 0
            for k, fn, args in todo:
                results[k], sec = _in_r_context(fn, args)
                st.task_seconds.append(sec)
                save(store, k, results[k])
                bar.update(1)
        elif todo:
            _run_dask(todo, results, store, scheduler, workers, bar, st, t0)
    finally:
        bar.close()
    st.computed = len(todo)
    st.seconds = time.perf_counter() - t0
    return [results[k] for k in keys]


def _run_dask(
    todo: Sequence[Task],
    results: dict[str, Any],
    store: Path | None,
    scheduler: str | None,
    workers: int,
    bar: Any,
    st: RunStats,
    t0: float,
) -> None:
    """Submit ``todo`` to a cluster and store each result as it arrives."""
    from distributed import as_completed

    with client(scheduler, workers) as c:
        st.start_seconds = time.perf_counter() - t0
        st.scheduler = c.scheduler.address if scheduler else "LocalCluster"
        st.workers = len(c.scheduler_info(n_workers=-1)["workers"])
        # pure=False: the key decides identity, not dask's hashing of the (large) arguments
        futures = {c.submit(_in_r_context, fn, args, key=f"task-{k}", pure=False): k for k, fn, args in todo}
        try:
            for fut in as_completed(futures):
                k = futures[fut]
                value, sec = fut.result()
                results[k] = value
                st.task_seconds.append(sec)
                save(store, k, value)
                bar.update(1)
                fut.release()
        except BaseException:
            # Interrupted (Ctrl-C) or a task failed: what finished is stored; cancel the rest.
            c.cancel(list(futures))
            raise
