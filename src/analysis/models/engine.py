"""Fan-out of independent model fits on Dask distributed.

One engine for every embarrassingly parallel part of the compendium (the planning study, the
chapter-3 fits: primary models with their diagnostics, sensitivity analyses, leave one
location out, and the factsheets): a list of tasks ``(key, function, args)`` goes to a Dask
cluster and comes back as results in task order.

* Where: ``scheduler`` when given, else the address in the environment variable
  :data:`SCHEDULER_ENV` (``compendium build`` starts one local cluster for the whole build and
  sets it, so every notebook and factsheet shares the same two R sessions), else a new
  :class:`distributed.LocalCluster`.
* Large arguments shared by many tasks (an analysis frame) are passed as :class:`Shared`
  placeholders (``shared=``): each is scattered to the cluster once per run, a worker fetches
  it the first time it runs a task that uses it and keeps it, and it is released as soon as
  the run's last task using it has finished. Tasks are submitted grouped by the objects they
  use, so only a few frames are held at any time.

* Default: a :class:`distributed.LocalCluster` on this machine with *process* workers and one
  thread per worker; each worker process starts its own R session the first time a task fits
  a model (R is not thread-safe, and one R per process is what lets fits run side by side).
* ``scheduler="tcp://host:8786"`` sends the same tasks to an existing cluster (for example one
  started with ``dask-jobqueue`` on SLURM); its workers need this package and R installed
  (``compendium worker``, :mod:`analysis.models.worker`, ``docs/cluster.md``).
* R is touched only from task threads, inside ``localconverter(default_converter)``: rpy2's
  conversion rules are thread-local and missing in a worker's task thread, and calling R from
  the worker's event-loop thread (``client.run``) after tasks had started R hung (setup notes).
* Results are stored per task under a content key (``store``); a run that is interrupted
  (Ctrl-C, a lost worker, a killed job) is resumed by running it again: stored tasks are read,
  not recomputed. A task's result depends only on its arguments (simulations carry their own
  seeds), so results are identical for any number of workers.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import sys
import tempfile
import time
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from analysis.core.processes import reproducible_children

# Imported before rpy2 so that it records the environment before R changes it (R adds its
# library folders to LD_LIBRARY_PATH, and worker processes started afterwards would fail).
from analysis.models import rbridge

Task = tuple[str, Callable[..., Any], tuple]
"""``(key, function, args)``: a content key (for the store) and a picklable call."""

SCHEDULER_ENV = "COMPENDIUM_DASK_SCHEDULER"
"""Environment variable with the address of the cluster to use when none is given."""


@dataclass(frozen=True)
class Shared:
    """Placeholder in a task's arguments for the object ``shared[name]`` of :func:`run`."""

    name: str


LOCAL_CLUSTER: dict[str, Any] = {
    "threads_per_worker": 1,
    "processes": True,
    "dashboard_address": None,  # no dashboard
    # Without a dashboard the scheduler still serves /health on an HTTP port, by default 8787
    # on every interface: a second build at the same time printed "Port 8787 is already in
    # use" on the console. A free port on the loopback interface instead.
    "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"},
    "silence_logs": logging.ERROR,
}


LOCAL_CONFIG: dict[str, Any] = {
    # The active memory manager drops "extra" replicas every 2 s: a frame broadcast to both
    # workers was on one of them again within seconds (measured), so the other fetched it
    # anew for task after task (at 10x about 100 of a build's 558 CPU-seconds), and once a
    # frame was gone when its tasks were submitted ("lost dependencies", CI at e327761).
    "distributed.scheduler.active-memory-manager.start": False,
}
"""Dask settings of the local clusters this module starts (the scheduler runs in this process)."""

MAX_RESUBMITS = 2
"""Rounds in which tasks cancelled by lost shared data are sent again before a run fails."""


@contextmanager
def _local_cluster(workers: int) -> Iterator[Any]:
    """A :class:`distributed.LocalCluster` of ``workers`` processes with :data:`LOCAL_CONFIG`."""
    import dask
    from distributed import LocalCluster

    reproducible_children()  # workers compute the same bits in every run (one thread, fixed layout)
    # No dashboard; worker logs only on errors (LOCAL_CLUSTER: also the scheduler's HTTP port).
    with dask.config.set(LOCAL_CONFIG), LocalCluster(n_workers=int(workers), **LOCAL_CLUSTER) as cluster:
        yield cluster


def default_scheduler(scheduler: str | None = None) -> str | None:
    """``scheduler``, else the address in :data:`SCHEDULER_ENV`, else None (a new local cluster)."""
    return scheduler or os.environ.get(SCHEDULER_ENV) or None


def _bind(args: tuple, values: dict[str, Any]) -> tuple:
    """``args`` with every :class:`Shared` placeholder replaced by its value."""
    return tuple(values[a.name] if isinstance(a, Shared) else a for a in args)


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
    resubmitted : int
        Tasks sent again because shared data was lost with a worker (see :data:`MAX_RESUBMITS`).
    """

    tasks: int = 0
    from_store: int = 0
    computed: int = 0
    workers: int = 0
    seconds: float = 0.0
    start_seconds: float = 0.0
    scheduler: str = ""
    resubmitted: int = 0
    task_seconds: list[float] = field(default_factory=list)  # CPU seconds per computed task

    @property
    def local(self) -> bool:
        """Whether the work ran on this machine (in process, a new or the build's local cluster)."""
        return self.scheduler in ("local", "LocalCluster") or "127.0.0.1" in self.scheduler


def _in_r_context(fn: Callable[..., Any], args: tuple) -> tuple[Any, float]:
    """Run ``fn(*args)`` with rpy2's default conversion rules active in this thread.

    Returns the result and the CPU seconds of this process spent on it (on a loaded machine
    the wall time says little about the work).
    """
    t0 = time.process_time()
    with warnings.catch_warnings(), _collection_in_this_thread():
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


@contextmanager
def _collection_in_this_thread() -> Iterator[None]:
    """No automatic garbage collection while a task runs; what it left is collected here.

    rpy2 frees an R object (``R_ReleaseObject``, no lock) in whatever thread collects the
    Python object. In a worker the cyclic collector also runs in the event-loop thread, so it
    could free R objects while R runs in the task thread, and R is not thread-safe. A worker
    runs one task at a time, so with the collector off during the task, R objects are only
    ever freed while R is idle.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # The task's young garbage is freed now, in the thread that ran R (cheap: generation 1).
        gc.collect(1)
        if was_on:
            gc.enable()


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
    from distributed import Client

    if scheduler:
        kw = {"scheduler_file": scheduler} if str(scheduler).endswith(".json") else {"address": scheduler}
        with Client(**kw) as c:
            yield c
        return
    with _local_cluster(workers) as cluster, Client(cluster) as c:
        yield c


@contextmanager
def shared_cluster(scheduler: str | None = None, workers: int = 2) -> Iterator[str]:
    """One cluster for a whole build: its address is put in :data:`SCHEDULER_ENV` meanwhile.

    Every notebook kernel and factsheet the build starts inherits the variable, so all their
    fits go to the same workers: R starts once per worker instead of once per notebook kernel
    and once per worker of each notebook's own cluster (about 10 CPU-seconds each), and the
    steps share both cores without oversubscribing them.

    Parameters
    ----------
    scheduler : str, optional
        An existing cluster to use instead of starting one; its workers are checked first
        (:func:`analysis.models.worker.check_cluster`: R, model packages, versions).
    workers : int
        Worker processes of the local cluster.

    Yields
    ------
    str
        The scheduler address.
    """
    before = os.environ.get(SCHEDULER_ENV)
    try:
        if scheduler:
            if scheduler != before:  # not the cluster of the build this runs in: check it first
                from analysis.models import worker

                # Before the first fit: one line (exit 2) when a worker lacks R or the versions.
                worker.check_cluster(scheduler)
            os.environ[SCHEDULER_ENV] = scheduler
            yield scheduler
        else:
            with _local_cluster(max(1, int(workers))) as cluster:
                os.environ[SCHEDULER_ENV] = cluster.scheduler_address
                yield cluster.scheduler_address
    finally:
        if before is None:
            os.environ.pop(SCHEDULER_ENV, None)
        else:
            os.environ[SCHEDULER_ENV] = before


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
    shared: dict[str, Any] | None = None,
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
        Address of an existing Dask scheduler; None: :func:`default_scheduler` (the build's
        cluster) or a new local cluster.
    workers : int
        Local worker processes (ignored with a scheduler); 0 computes in this process.
    progress : bool
        Show a progress bar (tqdm) on stderr.
    label : str
        Label of the progress bar.
    stats : RunStats, optional
        Filled with counts and timings.
    shared : dict, optional
        Objects that :class:`Shared` placeholders in task arguments stand for; each is
        scattered once and released when the last task using it has finished.

    Returns
    -------
    list
        One result per task, in the order of ``tasks``.
    """
    t0 = time.perf_counter()
    st = stats if stats is not None else RunStats()
    scheduler = default_scheduler(scheduler) if workers != 0 or scheduler else None
    shared = shared or {}
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
                results[k], sec = _in_r_context(fn, _bind(args, shared))
                st.task_seconds.append(sec)
                save(store, k, results[k])
                bar.update(1)
        elif todo:
            _run_dask(todo, results, store, scheduler, workers, bar, st, t0, shared)
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
    shared: dict[str, Any],
) -> None:
    """Submit ``todo`` to a cluster and store each result as it arrives.

    A worker that dies (a crash in R, a killed process) takes the shared objects it holds with
    it; tasks that still needed them come back cancelled. Their results depend only on their
    arguments, so they are sent again with the shared objects scattered anew, at most
    :data:`MAX_RESUBMITS` times, and the run says so on stderr. A task that raised is not
    retried: its error is the run's error.
    """
    with client(scheduler, workers) as c:
        st.start_seconds = time.perf_counter() - t0
        st.scheduler = c.scheduler.address if scheduler else "LocalCluster"
        st.workers = len(c.scheduler_info(n_workers=-1)["workers"])
        pending = list(todo)
        for attempt in range(MAX_RESUBMITS + 1):
            pending = _submit_round(c, pending, results, store, bar, st, shared)
            if not pending:
                return
            if attempt < MAX_RESUBMITS:
                st.resubmitted += len(pending)
                print(
                    f"Dask: {len(pending)} of {len(todo)} tasks lost their shared data with a "
                    "worker; sending them again.",
                    file=sys.stderr,
                )
        raise RuntimeError(
            f"{len(pending)} tasks were cancelled by the cluster {MAX_RESUBMITS + 1} times "
            f"(shared data lost with a worker each time), first: {pending[0][0]}"
        )


def _shared_names(task: Task) -> tuple[str, ...]:
    """Names of the shared objects a task uses, in a fixed order."""
    return tuple(sorted({a.name for a in task[2] if isinstance(a, Shared)}))


def _submit_round(
    c: Any,
    todo: Sequence[Task],
    results: dict[str, Any],
    store: Path | None,
    bar: Any,
    st: RunStats,
    shared: dict[str, Any],
) -> list[Task]:
    """One submission of ``todo``; returns the tasks the cluster cancelled (lost shared data)."""
    import uuid
    from concurrent.futures import CancelledError

    from distributed import as_completed

    # Tasks still to finish per shared object: at zero it is released at once, so the workers
    # free a frame when its last fit is done instead of holding every frame of the run. With
    # every frame broadcast and held to the end, the 10x peak was 3.13-3.24 GB (target 3).
    waiting = Counter(n for t in todo for n in _shared_names(t))
    # hash=False: a fresh key per run, so two notebooks sharing the build's cluster never
    # exchange each other's data under the same name.
    # Not broadcast: a worker fetches a frame when it first needs it (the same transfer), and
    # frames whose tasks have not started yet are held once, not once per worker.
    remote = {n: c.scatter(shared[n], hash=False) for n in sorted(waiting)}
    # A run id in the task keys: several clients (notebooks of one build) share a cluster.
    run_id = uuid.uuid4().hex[:8]
    # Grouped by the shared objects they use (groups in the order they first appear; the
    # scheduler runs tasks roughly in the order they were submitted), so frames are released
    # one after the other. Results do not depend on the order.
    first: dict[tuple[str, ...], int] = {}
    for i, t in enumerate(todo):
        first.setdefault(_shared_names(t), i)
    # pure=False: the key decides identity, not dask's hashing of the (large) arguments
    futures = {
        c.submit(_in_r_context, fn, _bind(args, remote), key=f"task-{run_id}-{k}", pure=False): (k, fn, args)
        for k, fn, args in sorted(todo, key=lambda t: first[_shared_names(t)])
    }
    lost: list[Task] = []
    try:
        for fut in as_completed(futures):
            task = futures[fut]
            for name in _shared_names(task):
                waiting[name] -= 1
                if waiting[name] == 0:
                    remote[name].release()
            try:
                value, sec = fut.result()
            except CancelledError:
                # Only the cluster cancels here (this function cancels after leaving the loop).
                lost.append(task)
                continue
            results[task[0]] = value
            st.task_seconds.append(sec)
            save(store, task[0], value)
            bar.update(1)
            fut.release()
    except BaseException:
        # Interrupted (Ctrl-C) or a task failed: what finished is stored; cancel the rest.
        c.cancel(list(futures))
        raise
    finally:
        for f in remote.values():
            f.release()
    order = {k: i for i, (k, _, _) in enumerate(todo)}
    return sorted(lost, key=lambda t: order[t[0]])
