"""A Dask worker the build can trust, and the build's check of an existing cluster.

A build sent to an existing cluster (``compendium build --scheduler ...``) fits its models on
workers it did not start. Two things keep their results equal to a local build's:

* **The worker** (``compendium worker SCHEDULER``, or ``python -m analysis.models.worker``,
  which ``dask-jobqueue`` can start): before it joins, it applies the process settings of the
  build's own workers (:func:`analysis.core.processes.reproducible_children`: one BLAS
  thread, a fixed memory layout) and starts R in a separate process to check that R, the
  model packages and the compendium's code are there, with the versions the build expects
  (``--expect FILE`` and, once a build has checked the cluster, the versions it left on the
  scheduler). Then it becomes a ``dask worker`` with one thread per process and this module
  as the nanny's preload. Plain ``dask worker --preload-nanny analysis.models.worker`` gets
  the same settings and check (:func:`dask_setup`).
* **The build** (:func:`check_cluster`, called by :func:`analysis.models.engine.shared_cluster`):
  before the first fit it asks every worker, in a task pinned to it, for its versions, and
  refuses the cluster with one line when a worker lacks R or has other versions than this
  machine. The question runs in the worker's task thread, where fits run R too; calling R
  from the worker's event-loop thread (``client.run``) can hang once tasks have started R.

Failures are :class:`WorkerEnvironmentError` (a :class:`~analysis.core.errors.UserError`):
one line, exit code 2.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import subprocess
import sys
import uuid
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

from analysis.core.errors import UserError
from analysis.core.processes import reproducible_children

PYTHON_PACKAGES = ("numpy", "pandas", "scipy", "dask", "distributed")
"""Python packages whose versions a worker must share with the build (rpy2 comes with R's)."""

METADATA_KEY = "compendium-expected-versions"
"""Scheduler metadata under which a checked build leaves its versions for workers joining later."""

CHECKED_ENV = "COMPENDIUM_WORKER_CHECKED"
"""Set by ``compendium worker`` after its check, so that the nanny's preload does not repeat it."""

PROBE_TIMEOUT = 300.0
"""Seconds a probe (R start and package loading) may take; about 3 s on an idle machine."""

CHECK_TIMEOUT = 300.0
"""Seconds the build waits for a worker to answer; R starts in each worker (10 s when busy)."""

WAIT_FOR_WORKERS = 120.0
"""Seconds the build waits for a first worker on a cluster that has none yet (batch queues)."""

log = logging.getLogger(__name__)


class WorkerEnvironmentError(UserError):
    """A worker (this machine's or one of the cluster's) lacks R, the packages or the code."""


# --- what a worker has -------------------------------------------------------------------
def code_digest() -> str:
    """Short SHA-256 over the files of the installed ``analysis`` package (code and resources).

    A worker with other code would compute other results under the same task names.
    """
    import analysis

    root = Path(analysis.__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _one_line(exc: BaseException) -> str:
    """An exception as one short line (R errors span several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def environment() -> dict[str, str]:
    """Versions of R, the model packages, rpy2, :data:`PYTHON_PACKAGES` and the code here.

    Starts R in this thread when it is not running (call it in a task thread or a fresh
    process, never in a worker's event-loop thread). Never raises: what cannot be loaded is
    reported under ``"error"``.
    """
    from analysis.models import rbridge

    out: dict[str, str] = {}
    try:
        out.update(rbridge.versions())
    except Exception as exc:  # noqa: BLE001 - any failure to load R is the answer
        out["error"] = _one_line(exc)
    for name in PYTHON_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    out["analysis code"] = code_digest()
    return out


def probe(python: str | None = None, timeout: float = PROBE_TIMEOUT) -> dict[str, str]:
    """:func:`environment` computed in a fresh process of ``python`` (R never starts here).

    Raises
    ------
    WorkerEnvironmentError
        When the process fails or R or a model package cannot be loaded.
    """
    from analysis.models import rbridge

    env = dict(os.environ)
    if rbridge._LD_BEFORE_R is None:  # R's library path, if R ran here, is not the child's
        env.pop("LD_LIBRARY_PATH", None)
    else:
        env["LD_LIBRARY_PATH"] = rbridge._LD_BEFORE_R
    code = "import json; from analysis.models import worker; print(json.dumps(worker.environment()))"
    exe = python or sys.executable
    try:
        proc = subprocess.run(
            [exe, "-c", code], capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise WorkerEnvironmentError(f"cannot run {exe} ({_one_line(exc)})") from None
    try:
        found = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = " ".join(proc.stderr.split())[-200:] or "no answer"
        raise WorkerEnvironmentError(
            f"{exe} cannot load the compendium ({tail}); install it as docs/cluster.md says"
        ) from None
    if "error" in found:
        raise WorkerEnvironmentError(
            f"R or the model packages cannot be loaded ({found['error']}); install R and the "
            "packages of docs/cluster.md on this machine"
        )
    return found


@lru_cache(maxsize=1)
def expected() -> dict[str, str]:
    """The versions a build on this machine expects of its workers: this machine's own."""
    return probe()


def differences(found: dict[str, str], want: dict[str, str]) -> list[str]:
    """What ``found`` lacks or has at another version than ``want`` (``"lme4 1.1-30, expected 1.1-31"``)."""
    if "error" in found:
        return [f"cannot load R or the model packages ({found['error']})"]
    return [
        f"{name} {found.get(name, 'missing')}, expected {version}"
        for name, version in want.items()
        if name != "error" and found.get(name) != version
    ]


# --- the build's check of a cluster ---------------------------------------------------------
def _connect(scheduler: str, timeout: float = 30.0) -> Any:
    from distributed import Client

    kw = {"scheduler_file": scheduler} if str(scheduler).endswith(".json") else {"address": scheduler}
    try:
        return Client(timeout=timeout, **kw)
    except (OSError, TimeoutError, ValueError) as exc:
        raise WorkerEnvironmentError(
            f"cannot reach the Dask scheduler {scheduler} ({_one_line(exc)}); start it first or check "
            "the address"
        ) from None


def _ask(worker_env: Any) -> dict[str, str]:
    """Task body: :func:`environment` in the task thread, as the engine runs every fit."""
    from analysis.models import engine

    return engine._in_r_context(worker_env, ())[0]


def cluster_environments(c: Any, timeout: float = CHECK_TIMEOUT) -> dict[str, dict[str, str]]:
    """Every worker's :func:`environment`, asked in one task pinned to each worker.

    A worker that cannot run the task (no ``analysis`` package, a crash) answers with
    ``{"error": ...}``.
    """
    from distributed import wait

    workers = sorted(c.scheduler_info(n_workers=-1)["workers"])
    run = uuid.uuid4().hex[:8]
    futures = {
        w: c.submit(
            _ask,
            environment,
            key=f"compendium-check-{run}-{i}",
            workers=[w],
            allow_other_workers=False,
            pure=False,
        )
        for i, w in enumerate(workers)
    }
    wait(list(futures.values()), timeout=timeout, return_when="ALL_COMPLETED")
    out: dict[str, dict[str, str]] = {}
    for w, fut in futures.items():
        if fut.status == "finished":
            out[w] = fut.result()
        elif fut.status == "error":
            out[w] = {"error": _one_line(fut.exception())}
        else:
            out[w] = {"error": f"no answer within {timeout:.0f} s"}
        fut.release()
    return out


def check_cluster(scheduler: str, want: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    """Refuse a cluster whose workers lack R, the model packages or this machine's versions.

    Waits up to :data:`WAIT_FOR_WORKERS` for a first worker, asks each worker for its
    versions (:func:`cluster_environments`) and compares them with ``want`` (default:
    :func:`expected`, this machine's). On success the versions are left on the scheduler
    (:data:`METADATA_KEY`), where workers that join later check themselves against them.

    Returns
    -------
    dict
        Each worker's versions.

    Raises
    ------
    WorkerEnvironmentError
        One line naming the first worker that differs and how.
    """
    want = dict(want if want is not None else expected())
    with _connect(scheduler) as c:
        try:
            c.wait_for_workers(1, timeout=WAIT_FOR_WORKERS)
        except TimeoutError:
            raise WorkerEnvironmentError(
                f"no worker joined the Dask scheduler {scheduler} within {WAIT_FOR_WORKERS:.0f} s; "
                f"start workers with `compendium worker {scheduler}`"
            ) from None
        found = cluster_environments(c)
        bad = {w: d for w, d in ((w, differences(env, want)) for w, env in found.items()) if d}
        if bad:
            w, what = next(iter(bad.items()))
            more = f" (and {len(bad) - 1} more workers)" if len(bad) > 1 else ""
            raise WorkerEnvironmentError(
                f"the cluster's worker {w}{more} cannot fit this build's models: {'; '.join(what)}. "
                "Start workers with `compendium worker` on nodes set up as docs/cluster.md says"
            )
        c.set_metadata(METADATA_KEY, want)
    return found


# --- the worker -------------------------------------------------------------------------------
def _scheduler_expectation(scheduler: str) -> dict[str, str] | None:
    """The versions a build left on the scheduler (:data:`METADATA_KEY`), or None."""
    with _connect(scheduler) as c:
        return c.get_metadata(METADATA_KEY, default=None)


def prepare(scheduler: str | None = None, expect: Path | None = None) -> dict[str, str]:
    """Process settings of the build's workers, then the start-up check; returns the versions.

    Parameters
    ----------
    scheduler : str, optional
        Scheduler to read a build's expectation from (:data:`METADATA_KEY`).
    expect : Path, optional
        JSON file of expected versions (``compendium worker --versions`` on the build machine).

    Raises
    ------
    WorkerEnvironmentError
        R or a package is missing, or a version differs from an expectation.
    """
    reproducible_children()
    found = probe()
    wants: list[tuple[str, dict[str, str] | None]] = []
    if expect is not None:
        try:
            wants.append((str(expect), json.loads(Path(expect).read_text("utf-8"))))
        except (OSError, ValueError) as exc:
            raise WorkerEnvironmentError(
                f"cannot read the expected versions {expect}: {_one_line(exc)}"
            ) from None
    if scheduler:
        wants.append(("the build using this scheduler", None))  # read only when the file agrees
    for source, want in wants:
        if want is None:  # a build's versions on the scheduler (a worker joining a running build)
            want = _scheduler_expectation(str(scheduler)) or {}
        diff = differences(found, want)
        if diff:
            raise WorkerEnvironmentError(
                f"this worker differs from {source}: {'; '.join(diff)}; install the versions of "
                "docs/cluster.md"
            )
    return found


def dask_setup(server: Any) -> None:
    """Dask preload hook (``dask worker --preload-nanny analysis.models.worker``).

    In a nanny: the process settings and the check of :func:`prepare` (skipped when
    ``compendium worker`` did it already), before the nanny starts its worker process, which
    inherits them. In a worker (``--preload``): only what can still take effect there (the
    thread variables), with a warning that the memory layout cannot be fixed any more.
    """
    from distributed import Nanny

    if isinstance(server, Nanny):
        if os.environ.get(CHECKED_ENV) != "1":
            prepare()
            os.environ[CHECKED_ENV] = "1"
        reproducible_children()  # idempotent; the worker process is started after this
        return
    reproducible_children()
    log.warning(
        "analysis.models.worker: use --preload-nanny, so that the worker starts with a fixed memory layout"
    )


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="compendium worker",
        description="Start Dask worker processes for compendium builds on a cluster. Other "
        "options are passed on to `dask worker`.",
    )
    ap.add_argument(
        "scheduler", nargs="?", help="scheduler address (tcp://host:8786) or scheduler file (*.json)"
    )
    ap.add_argument("--nworkers", type=int, default=1, help="worker processes (one R session each)")
    ap.add_argument(
        "--nthreads", type=int, default=1, help="threads per process: must be 1 (R is not thread-safe)"
    )
    ap.add_argument("--expect", type=Path, default=None, help="JSON file of the versions the build expects")
    ap.add_argument("--versions", action="store_true", help="print this machine's versions as JSON and exit")
    return ap


def dask_worker_command(scheduler: str, nworkers: int, extra: Sequence[str] = ()) -> list[str]:
    """The ``dask worker`` command this worker becomes: one thread per process, this module preloaded."""
    where = ["--scheduler-file", str(scheduler)] if str(scheduler).endswith(".json") else [str(scheduler)]
    return [
        sys.executable,
        "-m",
        "distributed.cli.dask_worker",
        *where,
        "--nthreads",
        "1",
        "--nworkers",
        str(int(nworkers)),
        "--nanny",
        "--preload-nanny",
        __name__,
        "--no-dashboard",
        *extra,
    ]


def jobqueue_options(
    processes: int = 4,
    memory: str = "16GB",
    walltime: str = "01:00:00",
    python: str | None = None,
    prologue: Sequence[str] = (),
    **extra: Any,
) -> dict[str, Any]:
    """Keyword arguments of a ``dask_jobqueue`` cluster (e.g. ``SLURMCluster``) of compendium workers.

    Each batch job runs ``python -m analysis.models.worker`` (this module: the check, then
    ``processes`` worker processes with one thread each); ``docs/cluster.md`` shows the recipe.

    Parameters
    ----------
    processes : int
        Worker processes per job; the job asks for as many cores (one R session per core).
    memory : str
        Memory per job, shared by its processes.
    walltime : str
        Job wall time.
    python : str, optional
        The compendium's Python on the nodes (default: this one, for a shared file system).
    prologue : sequence of str
        Shell lines run before the worker (``cd``, ``export R_LIBS_USER=...``).
    **extra
        Further arguments (``queue``, ``account``, ``interface``, ``scheduler_options``, ...).
    """
    return {
        "cores": int(processes),  # cores == processes: one thread per worker process
        "processes": int(processes),
        "memory": memory,
        "walltime": walltime,
        "python": python or sys.executable,
        "worker_command": __name__,
        # dask-jobqueue passes --nworkers only to its default command
        "worker_extra_args": ["--nworkers", str(int(processes))],
        "job_script_prologue": list(prologue),
        **extra,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``compendium worker``: check, then replace this process by ``dask worker``.

    Returns only with ``--versions`` (0); otherwise it raises :class:`WorkerEnvironmentError`
    or becomes the worker (:func:`os.execv`: the same process id, so a batch system or a test
    ends the worker by it).
    """
    args, extra = _parser().parse_known_args(list(argv) if argv is not None else None)
    if args.versions:
        print(json.dumps(probe(), indent=1, sort_keys=True))
        return 0
    if not args.scheduler:
        raise WorkerEnvironmentError(
            "give the scheduler's address or scheduler file: compendium worker SCHEDULER"
        )
    if args.nthreads != 1:
        raise WorkerEnvironmentError(
            f"--nthreads {args.nthreads}: a worker process runs one R session and needs one thread "
            "(with dask-jobqueue, set cores equal to processes)"
        )
    if str(args.scheduler).endswith(".json") and not Path(args.scheduler).is_file():
        raise WorkerEnvironmentError(f"scheduler file {args.scheduler} not found; start the scheduler first")
    found = prepare(args.scheduler, args.expect)
    r = ", ".join(f"{k} {found[k]}" for k in ("R", "lme4", "glmmTMB", "MASS", "rpy2") if k in found)
    print(
        f"compendium worker: {r}; {args.nworkers} process(es), one thread and one BLAS thread each",
        file=sys.stderr,
        flush=True,
    )
    os.environ[CHECKED_ENV] = "1"
    cmd = dask_worker_command(args.scheduler, args.nworkers, extra)
    os.execv(cmd[0], cmd)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":  # dask-jobqueue: worker_command="analysis.models.worker"
    try:
        sys.exit(main())
    except UserError as exc:
        print(f"compendium worker: {' '.join(str(exc).split())}", file=sys.stderr)
        sys.exit(2)
