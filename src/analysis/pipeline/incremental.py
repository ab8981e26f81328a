"""A small incremental step runner: re-run a step only when the digest of its inputs changed.

Why our own: the steps' inputs are partly *data slices* (the rows of one location or one
measurement), which file-based tools such as doit or snakemake only see as whole files;
Quarto's ``freeze`` does not track data at all. The engine is ~100 lines and tested in
``tests/test_incremental.py``.

Each step has a name, a dictionary of named input digests, the output paths it promises and
an action. After a successful action the runner stores the combined digest in
``<state>/<name>.json``; the next build skips the step when the digest is unchanged and all
outputs still exist.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

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
    """

    name: str
    inputs: dict[str, str]
    outputs: list[Path]
    action: Callable[[], object]

    @property
    def digest(self) -> str:
        """Combined digest of the inputs."""
        return combine(self.inputs)


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
        old = json.loads(sf.read_text())
        missing = [str(p) for p in step.outputs if not Path(p).exists()]
        if missing:
            return f"output missing: {missing[0]}"
        if old.get("digest") != step.digest:
            changed = sorted(k for k, v in step.inputs.items() if old.get("inputs", {}).get(k) != v)
            return "changed: " + ", ".join(changed or ["(input set)"])
        return None

    def run(self, step: Step) -> StepResult:
        """Run ``step`` if needed and record it."""
        reason = self.why(step)
        t0 = time.perf_counter()
        if reason is not None:
            step.action()
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self._state_file(step).write_text(
                json.dumps({"digest": step.digest, "inputs": step.inputs}, indent=1, sort_keys=True)
            )
        res = StepResult(step.name, reason is not None, time.perf_counter() - t0, reason or "up to date")
        with self._lock:
            self.results.append(res)
            if self.on_step:
                self.on_step(res)
        return res

    def run_parallel(self, steps: list[Step], workers: int = 2) -> list[StepResult]:
        """Run independent steps on ``workers`` threads, in the order given (longest first).

        Threads suffice: each step's heavy work runs in a child process (a Jupyter kernel,
        R, Typst), so the steps use both cores. The first failure is raised after the
        running steps finish; its digest is not recorded, so the next build retries it.
        """
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(self.run, s) for s in steps]
            errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]
        return [f.result() for f in futures]
