"""Benchmark of the chapter-3 models on a data set the size of the synthetic twin.

Each measurement runs in a fresh Python process so that R start-up is included:

* ``primary``: R start, frames, all 22 primary fits with their LR tests (target < 30 s);
* ``primary+diagnostics``: the same plus simulated-residual tests (250 simulations per model);
* ``sensitivity``: the sensitivity set on top of the primary fits (target < 180 s), then leave
  one location out on its own (the build runs it in notebook 03b, beside chapter 3).

Run: ``R_LIBS_USER=.r-lib .venv/bin/python benchmarks/bench_models.py [--skip-sensitivity]``.
Prints one JSON object with wall-clock and CPU seconds and the machine load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from analysis.models import chapter3, frames, rbridge, sensitivity
rbridge.session()
t_r = time.perf_counter()
F = frames.load_frames(Path(sys.argv[1]))
res = chapter3.fit_primary(F)
t_fit = time.perf_counter()
out = {"r_start": t_r - t0, "primary": t_fit - t0, "n_models": len(res),
       "n_registrations": len(F.registrations), "n_location_months": len(F.counts),
       "status": {k: r.status for k, r in res.items() if r.status != "ok"}}
if "diag" in sys.argv[2]:
    chapter3.diagnose_all(res, nsim=250)
    out["diagnostics_only"] = time.perf_counter() - t_fit
if "sens" in sys.argv[2]:
    t = time.perf_counter()
    s = sensitivity.run_sensitivity(F, primary=res)
    out["sensitivity_only"] = time.perf_counter() - t
    out["sensitivity_fits"] = len(s.results)
    t = time.perf_counter()
    lolo = sensitivity.leave_one_location_out(F, sensitivity.lolo_specs(), dict(sensitivity.LOLO_KEYS))
    out["lolo_only"] = time.perf_counter() - t
    out["lolo_fits"] = len(lolo)
out["total"] = time.perf_counter() - t0
print(json.dumps(out))
"""


def run_child(processed: Path, mode: str) -> dict:
    """Run one measurement in a fresh interpreter; return its JSON plus CPU seconds."""
    before = os.times()
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(processed), mode], capture_output=True, text=True, check=True
    )
    after = os.times()
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_incl_python_start"] = time.perf_counter() - t
    out["cpu"] = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in out.items()}


def main() -> None:
    """Simulate twin-size data, run the measurements and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--skip-sensitivity", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    from analysis.models.simulate import write_processed

    with tempfile.TemporaryDirectory() as tmp:
        processed = write_processed(Path(tmp), seed=args.seed)
        report = {"load_avg_before": os.getloadavg(), "cores": os.cpu_count()}
        report["primary"] = run_child(processed, "primary")
        report["primary+diagnostics"] = run_child(processed, "diag")
        if not args.skip_sensitivity:
            report["sensitivity"] = run_child(processed, "sens")
        report["load_avg_after"] = os.getloadavg()
    report["targets"] = {"primary_s": 30, "sensitivity_s": 180}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
