"""A small incremental step runner: re-run a step only when the digest of its inputs changed.

Why our own: the steps' inputs are partly *data slices* (the rows of one location or one
measurement), which file-based tools such as doit or snakemake only see as whole files;
Quarto's ``freeze`` does not track data at all. The engine is ~100 lines and tested in
``tests/test_incremental.py``.

Each step has a name, a dictionary of named input digests, the output paths it promises, an
action and an optional verification. Integrity rules:

* before the action runs, the step's state is marked ``running`` (written atomically); a build
  killed during the action (SIGKILL, SIGTERM, power loss) leaves that mark, so the next build
  re-runs the step ("interrupted") whatever the digests say;
* actions write into a temporary place and move their outputs into place only on success
  (:func:`staging_dir`, :func:`replace_dir`; each step's action does this);
* after the action, the step's ``verify`` lists problems with its outputs (a notebook with a
  cell that did not run, an expected results file that is absent); only when there are none
  is the combined digest stored in ``<state>/<name>.json`` (status ``done``). The same
  verification runs when a later build considers skipping the step;
* :func:`build_lock` lets one build run per build folder at a time (``fcntl`` lock on
  ``<build>/.lock``); a second one gets :class:`BuildLocked`.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

try:  # POSIX only; elsewhere builds are not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

from analysis.core.errors import ProjectError
from analysis.pipeline.hashing import combine


@dataclass
class Step:
    """One unit of work in a build.

    Parameters
    ----------
    name : str
        Unique, file-name-safe name (e.g. ``ingest``, ``ch2-meting-2``, ``factsheet-L03``).
    inputs : dict
        Named digests of everything the step reads (data, parameters, code).
    outputs : list of Path
        Files the step writes; a missing output forces a re-run.
    action : callable
        Does the work; raising an exception fails the build.
    verify : callable, optional
        Returns the problems of the step's outputs (empty: complete and sound). Called after
        the action (the state is recorded only when it returns nothing) and before a skip.
    after : tuple of str
        Names of steps of the same parallel group that must finish first (not an input: what
        a step reads is in ``inputs``; this only orders the work).
    """

    name: str
    inputs: dict[str, str]
    outputs: list[Path]
    action: Callable[[], object]
    verify: Callable[[], list[str]] | None = None
    after: tuple[str, ...] = ()

    @property
    def digest(self) -> str:
        """Combined digest of the inputs."""
        return combine(self.inputs)


class StepFailed(ProjectError, RuntimeError):
    """A step's action finished but its outputs did not pass verification."""

    hint = "nothing of this step was kept as up to date; run `compendium build` again, and report it if it repeats"


class BuildLocked(ProjectError, RuntimeError):
    """Another build holds the lock of this build folder."""

    hint = "wait until that build has finished, or stop it, then build again"


@contextmanager
def build_lock(build: Path) -> Iterator[Path]:
    """Hold the exclusive lock of a build folder for the duration of the ``with`` block.

    The lock is an ``fcntl`` lock on ``<build>/.lock`` (released by the kernel when the
    process ends, however it ends, so a killed build never leaves a stale lock). The file
    holds the process id of the holder, for the message of the second build.

    Raises
    ------
    BuildLocked
        When another process holds the lock.
    """
    build.mkdir(parents=True, exist_ok=True)
    path = build / ".lock"
    if fcntl is None:  # pragma: no cover
        yield path
        return
    fh = open(path, "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            raise BuildLocked(
                f"another build is running in {build} (process {holder}); wait for it to finish"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield path
    finally:
        fh.close()  # releases the lock


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def staging_dir(target: Path) -> Path:
    """An empty temporary folder beside ``target`` (same file system, so a rename can move it)."""
    tmp = target.with_name(f".{target.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def replace_dir(staged: Path, target: Path, carry: tuple[str, ...] = ("README.md", ".gitignore")) -> None:
    """Put the folder ``staged`` in the place of ``target`` (two renames; the old copy is removed).

    Files named in ``carry`` (documentation kept in the folder, tracked by git) are copied
    from the old folder first. A kill between the renames leaves ``target`` absent, which the
    next build sees as a missing output.
    """
    for name in carry:
        if (target / name).is_file() and not (staged / name).exists():
            shutil.copy2(target / name, staged / name)
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(staged, target)
    if old.exists():
        shutil.rmtree(old)


@dataclass
class StepResult:
    """What happened to one step."""

    name: str
    ran: bool
    seconds: float
    reason: str


@dataclass
class Runner:
    """Runs steps in order, skipping the up-to-date ones.

    Parameters
    ----------
    state_dir : Path
        Where digests of completed steps are kept.
    force : bool
        Re-run every step regardless of digests.
    on_step : callable, optional
        Called with each :class:`StepResult` (for progress output).
    """

    state_dir: Path
    force: bool = False
    on_step: Callable[[StepResult], None] | None = None
    results: list[StepResult] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _state_file(self, step: Step) -> Path:
        return self.state_dir / f"{step.name}.json"

    def why(self, step: Step) -> str | None:
        """Reason the step must run, or ``None`` when it is up to date."""
        if self.force:
            return "forced"
        sf = self._state_file(step)
        if not sf.exists():
            return "never built"
        try:
            old = json.loads(sf.read_text())
        except (OSError, ValueError):
            return "state unreadable"
        if old.get("status", "done") != "done":
            return "interrupted: the last run did not finish"
        missing = [str(p) for p in step.outputs if not Path(p).exists()]
        if missing:
            return f"output missing: {missing[0]}"
        if old.get("digest") != step.digest:
            changed = sorted(k for k, v in step.inputs.items() if old.get("inputs", {}).get(k) != v)
            return "changed: " + ", ".join(changed or ["(input set)"])
        problems = step.verify() if step.verify else []
        if problems:
            return f"output incomplete: {problems[0]}"
        return None

    def mark_running(self, step: Step) -> None:
        """Record that ``step`` started; a run that never finishes leaves this mark."""
        write_atomic(self._state_file(step), json.dumps({"status": "running"}, indent=1))

    def record(self, step: Step) -> None:
        """Verify ``step``'s outputs and store its digest (raises :class:`StepFailed` on a problem)."""
        missing = [str(p) for p in step.outputs if not Path(p).exists()]
        problems = [f"output missing: {m}" for m in missing] or (step.verify() if step.verify else [])
        if problems:
            raise StepFailed(f"{step.name}: outputs not verified: " + "; ".join(problems[:5]))
        write_atomic(
            self._state_file(step),
            json.dumps(
                {"status": "done", "digest": step.digest, "inputs": step.inputs}, indent=1, sort_keys=True
            ),
        )

    def run(self, step: Step) -> StepResult:
        """Run ``step`` if needed, verify its outputs and record it."""
        reason = self.why(step)
        t0 = time.perf_counter()
        if reason is not None:
            self.mark_running(step)
            step.action()
            self.record(step)
        res = StepResult(step.name, reason is not None, time.perf_counter() - t0, reason or "up to date")
        with self._lock:
            self.results.append(res)
            if self.on_step:
                self.on_step(res)
        return res

    def run_parallel(self, steps: list[Step], workers: int = 2) -> list[StepResult]:
        """Run independent steps on ``workers`` threads, in the order given (longest first).

        Threads suffice: each step's heavy work runs in another process (a Jupyter kernel, the
        Dask workers with R, Typst), so the steps use both cores. A step with ``after`` starts
        once those steps of the group finished (in its place in the order, ahead of steps
        listed later); when one of them failed it does not start. The first failure is raised
        after the running steps finish; its digest is not recorded, so the next build retries it.
        """
        names = {s.name for s in steps}
        pending = list(steps)
        done: set[str] = set()
        failed: set[str] = set()
        results: dict[str, StepResult] = {}
        errors: list[BaseException] = []
        running: dict = {}
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            while pending or running:
                for s in list(pending):
                    if len(running) >= max(1, workers):
                        break
                    deps = [d for d in s.after if d in names]
                    if any(d in failed for d in deps):
                        pending.remove(s)
                        failed.add(s.name)
                    elif all(d in done for d in deps):
                        pending.remove(s)
                        running[pool.submit(self.run, s)] = s
                if not running:
                    break
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for f in finished:
                    s = running.pop(f)
                    if f.exception() is not None:
                        errors.append(f.exception())
                        failed.add(s.name)
                    else:
                        results[s.name] = f.result()
                        done.add(s.name)
        if errors:
            raise errors[0]
        return [results[s.name] for s in steps if s.name in results]
