"""Scaling of the chapter-3 fan-out on an external Dask cluster: 1 and 2 compendium workers.

The twin is replicated 10 times (``bench_scale.replicate``: 62,530 registrations at 180
locations) and ingested with a benchmark key. Then, for each number of workers, a
``dask scheduler`` and that many ``compendium worker`` processes are started as separate
processes on loopback, the workers are warmed up by the build's own check
(:func:`analysis.models.worker.check_cluster`, which starts R in each), and chapter 3's three
fan-outs run on the cluster exactly as the notebooks call them, without the model store:

* ``primary``: the primary models with their simulated-residual diagnostics, one task each;
* ``sensitivity``: every sensitivity variant (:func:`analysis.models.sensitivity.run_sensitivity`);
* ``lolo``: leave one location out (a sample of locations per model above 30 locations).

Printed (JSON): per fan-out and worker count the tasks, wall seconds, tasks per second, CPU
seconds per task (measured in the workers) and the speed-up from 1 to 2 workers, with the load
average before and after (other work on the machine shares its cores). From the per-task
CPU seconds of the 1-worker run an estimate of the fan-out's wall time on 8 and 32 workers:
the tasks of each fan-out are placed longest first on the least-loaded worker (the scheduler
does about that), the fan-outs one after the other, plus the measured per-fan-out overhead
(scatter, scheduling, collecting). For 100 times the twin the per-task costs are multiplied by
10 (a fit's cost grows about linearly with its rows; diagnostics are capped in simulated
cells, so this errs high); the task counts are the same (leave one location out samples).

Run: ``R_LIBS_USER=.r-lib .venv/bin/python benchmarks/bench_cluster.py [--workers 1 2] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KEY = "benchmark-cluster-key-0123456789abcdef0123456789abcdef"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def processed_10x(work: Path) -> Path:
    """Ingested 10x data (replicated twin, benchmark key), made once per work folder."""
    out = work / "processed"
    if (out / "registrations.parquet").exists():
        return out
    from bench_scale import replicate

    from analysis import synth

    twin = work / "twin"
    if not (twin / "locations.csv").exists():
        synth.write_twin(twin)
    replicate(twin, work / "raw", 10)
    env = {**os.environ, "COMPENDIUM_PSEUDONYM_KEY": KEY, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis.pipeline.cli",
            "ingest",
            "--raw",
            str(work / "raw"),
            "--out",
            str(out),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return out


def _kill_tree(proc: subprocess.Popen) -> None:
    import psutil

    try:
        root = psutil.Process(proc.pid)
        tree = root.children(recursive=True) + [root]
    except psutil.NoSuchProcess:
        return
    for p in tree:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(tree, timeout=30)


@contextmanager
def external_cluster(work: Path, n: int) -> Iterator[str]:
    """``dask scheduler`` and ``n`` ``compendium worker`` processes; yields the scheduler file."""
    from distributed import Client

    folder = work / f"cluster-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    sfile = folder / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ACTIVE_MEMORY_MANAGER__START": "False"}
    env.pop("COMPENDIUM_DASK_SCHEDULER", None)
    procs: list[subprocess.Popen] = []
    try:
        with open(folder / "scheduler.log", "w") as log:
            procs.append(
                subprocess.Popen(
                    [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0"]
                    + ["--scheduler-file", str(sfile), "--no-dashboard"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        while not sfile.exists():
            time.sleep(0.2)
        for i in range(n):
            with open(folder / f"worker-{i}.log", "w") as log:
                procs.append(
                    subprocess.Popen(
                        [str(BIN / "compendium"), "worker", str(sfile), "--name", f"w{i}"],
                        env=env,
                        cwd=folder,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        with Client(scheduler_file=str(sfile)) as c:
            c.wait_for_workers(n, timeout=600)
        yield str(sfile)
    finally:
        for p in reversed(procs):
            _kill_tree(p)


PARTS = ("primary", "sensitivity", "lolo")


def fan_out(processed: Path, scheduler: str, parts: tuple[str, ...] = PARTS) -> dict[str, dict]:
    """Chapter 3's fan-outs (``parts``) on ``scheduler`` as the notebooks run them; stats per fan-out."""
    from analysis.models import engine, sensitivity
    from analysis.models.frames import load_frames
    from analysis.models.chapter3 import fit_and_diagnose

    runs: list[engine.RunStats] = []
    run = engine.run

    def recording(tasks, **kw):  # the engine's own statistics of every run
        kw["stats"] = st = engine.RunStats()
        out = run(tasks, **kw)
        runs.append(st)
        return out

    engine.run = recording
    try:
        frames = load_frames(processed)
        out = {}
        t = time.perf_counter()
        primary, _ = fit_and_diagnose(frames, scheduler=scheduler)
        out["primary"] = (time.perf_counter() - t, list(runs))
        runs.clear()
        if "sensitivity" in parts:
            t = time.perf_counter()
            sensitivity.run_sensitivity(frames, primary=primary, analyses=None, scheduler=scheduler)
            out["sensitivity"] = (time.perf_counter() - t, list(runs))
            runs.clear()
        if "lolo" in parts:
            t = time.perf_counter()
            sensitivity.leave_one_location_out(
                frames, sensitivity.lolo_specs(), dict(sensitivity.LOLO_KEYS), scheduler=scheduler
            )
            out["lolo"] = (time.perf_counter() - t, list(runs))
    finally:
        engine.run = run
    result = {}
    for name, (wall, stats) in out.items():
        secs = [s for st in stats for s in st.task_seconds]
        result[name] = {
            "tasks": len(secs),
            "wall_seconds": round(wall, 1),
            "tasks_per_second": round(len(secs) / wall, 3),
            "task_cpu_seconds": round(sum(secs), 1),
            "task_cpu_seconds_max": round(max(secs), 2),
            "resubmitted": sum(st.resubmitted for st in stats),
            "per_task": secs,
        }
    return result


def makespan(costs: list[float], workers: int) -> float:
    """Wall time of ``costs`` on ``workers``: longest first onto the least-loaded worker."""
    loads = [0.0] * workers
    for c in sorted(costs, reverse=True):
        heapq.heapreplace(loads, loads[0] + c)
    return max(loads)


def estimate(one: dict[str, dict], workers: int, factor: float = 1.0) -> float:
    """Fan-out wall seconds on ``workers`` from the 1-worker run's per-task costs (see docstring)."""
    total = 0.0
    for r in one.values():
        overhead = max(0.0, r["wall_seconds"] - sum(r["per_task"]))
        total += makespan([c * factor for c in r["per_task"]], workers) + overhead
    return round(total, 1)


def main() -> int:
    """Measure the fan-outs on 1 and 2 workers; print JSON with the estimates."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument(
        "--parts",
        nargs="+",
        choices=PARTS,
        default=list(PARTS),
        help="fan-outs (primary always runs: the others need it)",
    )
    ap.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: temporary)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    work.mkdir(parents=True, exist_ok=True)
    from analysis.models import worker

    t = time.perf_counter()
    processed = processed_10x(work)
    results: dict = {
        "machine": {"cores": os.cpu_count(), "load_at_start": _load()},
        "data_seconds": round(time.perf_counter() - t, 1),
        "runs": {},
    }
    for n in args.workers:
        with external_cluster(work, n) as sfile:
            t = time.perf_counter()
            worker.expected.cache_clear()  # this machine's code now (a working tree may change)
            worker.check_cluster(sfile)  # warms every worker up: R started, packages loaded
            warm = round(time.perf_counter() - t, 1)
            before = _load()
            res = fan_out(processed, sfile, tuple(args.parts))
        wall = sum(r["wall_seconds"] for r in res.values())
        results["runs"][n] = {
            "check_and_warm_up_seconds": warm,
            "load_before": before,
            "load_after": _load(),
            "wall_seconds": round(wall, 1),
            "tasks_per_second": round(sum(r["tasks"] for r in res.values()) / wall, 3),
            "fan_outs": {k: {x: y for x, y in v.items() if x != "per_task"} for k, v in res.items()},
            "_per_task": {k: v["per_task"] for k, v in res.items()},
        }
        print(json.dumps({n: {k: v for k, v in results["runs"][n].items() if k != "_per_task"}}), flush=True)
    runs = results["runs"]
    if 1 in runs and 2 in runs:
        results["speedup_1_to_2"] = round(runs[1]["wall_seconds"] / runs[2]["wall_seconds"], 2)
    if 1 in runs:
        one = {
            k: {"wall_seconds": v["wall_seconds"], "per_task": runs[1]["_per_task"][k]}
            for k, v in runs[1]["fan_outs"].items()
        }
        results["estimate_seconds"] = {
            f"{size} on {w} workers": estimate(one, w, factor)
            for size, factor in (("10x", 1.0), ("100x", 10.0))
            for w in (1, 8, 32)
        }
    for r in runs.values():
        r.pop("_per_task")
    print(json.dumps(results, indent=1))
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
