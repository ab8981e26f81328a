"""Benchmark of the planning study on Dask (issue 17, item 6).

Measures, on this machine:

* ``refits``: refits per second of the chapter-3 count model (NB2 GLMM, glmmTMB) on simulated
  measurements of twin size (6 months, 18 locations), with 1 and 2 local workers; the cluster
  start and the first task per worker (R start-up) are excluded, the speedup is 2 vs 1 worker
  (target >= 1.7);
* ``overhead``: Dask's per-task overhead: many empty tasks on 2 workers vs in-process;
* ``quick`` (and with ``--full`` the full study): wall time of ``run_plan`` for the settings of
  ``params/plan.yaml`` on the processed data (fresh result store, model store re-used).

The load average is printed with every figure: the machine is shared, and a wall time measured
under load says more about the other users than about the code.

Run: ``R_LIBS_USER=.r-lib .venv/bin/python benchmarks/bench_planning.py [--full] [--fits 40]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from pathlib import Path

from analysis.core.paths import default_paths
from analysis.models import power as pl
from analysis.models import engine

TWIN = pl.Truth(
    count_log_rate=-1.02,
    count_sd_location=0.32,
    count_theta=16.3,
    occupancy=((58.0, 52.0, 55.0, 50.0, 55.0, 54.0), (20.0, 22.0, 21.0), (35.0, 33.0, 36.0)),
)


def _noop(x: int) -> int:
    return x


def refits(workers: int, nfits: int, batch: int = 5) -> dict:
    """Refits per second with ``workers`` workers (warm workers: R started before timing)."""
    design = pl.Design("count", 6, 18, -0.2)
    warm = pl.Study((design,), nsim=workers * batch, seed=99, batch=batch)
    timed = pl.Study((design,), nsim=nfits, seed=1, batch=batch)
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as lc,
        Client(lc) as c,
    ):
        # one task per worker first: starts R and loads glmmTMB there (not part of the rate)
        c.gather(
            [
                c.submit(engine._in_r_context, fn, args, pure=False, workers=[w])
                for (_, fn, args), w in zip(warm.tasks(TWIN), c.scheduler_info()["workers"])
            ]
        )
        t = time.perf_counter()
        out = c.gather(
            [c.submit(engine._in_r_context, fn, args, pure=False) for _, fn, args in timed.tasks(TWIN)]
        )
        wall = time.perf_counter() - t
    cpu = sum(sec for _, sec in out)
    return {
        "workers": workers,
        "fits": nfits,
        "wall_s": round(wall, 2),
        "fits_per_s": round(nfits / wall, 3),
        "cpu_s_per_fit": round(cpu / nfits, 3),
        "load": os.getloadavg(),
    }


def overhead(ntasks: int = 400) -> dict:
    """Wall seconds per empty task on 2 workers (cluster already running) and in-process."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc,
        Client(lc) as c,
    ):
        c.gather(c.map(_noop, range(4)))
        t = time.perf_counter()
        c.gather(c.map(_noop, range(ntasks), pure=False))
        dask_s = (time.perf_counter() - t) / ntasks
    return {"tasks": ntasks, "dask_ms_per_task": round(1000 * dask_s, 2), "load": os.getloadavg()}


def study(setting: str) -> dict:
    """Wall time of the whole study of ``setting`` (fresh result store, cluster start included)."""
    from analysis.pipeline import plan

    paths = default_paths()
    with tempfile.TemporaryDirectory() as tmp:
        from analysis.core.paths import Paths

        p = Paths(paths.root, build=Path(tmp) / "build", processed=paths.processed)
        t = time.perf_counter()
        res = plan.run_plan(
            p, paths.params / "plan.yaml", setting=setting, cache_dir=paths.model_cache, progress=False
        )
        wall = time.perf_counter() - t
    return {
        "setting": setting,
        "wall_s": round(wall, 1),
        "fits": int(res.power["nsim"].sum()),
        "cluster_start_s": round(res.stats.start_seconds, 1),
        "cpu_s_in_tasks": round(sum(res.stats.task_seconds), 1),
        "load": os.getloadavg(),
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--fits", type=int, default=40)
    ap.add_argument("--full", action="store_true", help="also time the full study (long)")
    ap.add_argument("--skip-study", action="store_true")
    a = ap.parse_args()
    out: dict = {"cores": os.cpu_count()}
    one, two = refits(1, a.fits), refits(2, a.fits)
    out["refits"] = [one, two]
    out["speedup_2_vs_1"] = round(two["fits_per_s"] / one["fits_per_s"], 2)
    out["overhead"] = overhead()
    if not a.skip_study:
        out["quick"] = study("quick")
        if a.full:
            out["full"] = study("full")
    print(json.dumps(out, indent=1))
    if not math.isfinite(out["speedup_2_vs_1"]):
        raise SystemExit(1)
