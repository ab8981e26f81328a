"""Benchmark the build: cold full build, no-op rebuild, one-export-changed rebuilds.

Targets on 2 cores (issue 8): cold < 90 s, no-op < 3 s, one export changed < 40 s.
Run by hand: ``.venv/bin/python benchmarks/bench_build.py`` (about 3 minutes). The build
goes to a temporary folder, so the project's own build/ is untouched.

Scenarios, in order on the same build folder: cold; no-op; one end time edited in one export
(a typical correction: only the duration models' data change, the model store serves the
other fits); the last registration removed from another export (count, room and duration data
of that location change, so every chapter-3 fit is recomputed).

The no-op is also measured in a fresh process (:func:`noop_breakdown`), as a user runs
``compendium build``: wall seconds of the whole process and its parts (imports, planning =
every step's input digests, state check = comparing them with the stored state and verifying
the outputs of the steps it skips), and which heavy modules planning imported (none may be).
``bench_build.py --noop FOLDER`` measures that on an existing build laid out as
``benchmarks/bench_scale.py`` leaves it (``FOLDER/{build,raw,processed,output}``; issue 17,
item 5: under 2 s at 10x).
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

from analysis.pipeline.build import BuildConfig, build
from analysis.core.paths import Paths, default_paths


def _timed(cfg: BuildConfig) -> tuple[float, list]:
    t0 = time.perf_counter()
    res = build(cfg)
    return time.perf_counter() - t0, res


def _change_one_export(raw: Path) -> Path:
    """Edit one registration file of the latest measurement in place (one end time)."""
    files = sorted((raw / "meting-2" / "registraties").glob("*.csv"))
    target = files[0]
    data = target.read_bytes()
    lines = data.split(b"\n")
    # flip the minutes of the last time field on the first data row: 1 minute longer
    row = lines[1].split(b";")
    for i in range(len(row) - 1, -1, -1):
        if len(row[i]) in (4, 5) and b":" in row[i]:
            h, m = row[i].split(b":")
            mm = (int(m) + 1) % 60
            row[i] = h + b":" + f"{mm:02d}".encode()
            break
    lines[1] = b";".join(row)
    target.write_bytes(b"\n".join(lines))
    return target


def _drop_one_registration(raw: Path) -> Path:
    """Remove the last registration of one export of the latest measurement.

    Unlike an edited end time, this changes that location's count, rooms and durations, so
    every chapter-3 model sees different data (the worst case for the model store).
    """
    files = sorted((raw / "meting-2" / "registraties").glob("*.csv"))
    target = files[1]
    lines = target.read_bytes().rstrip(b"\n").split(b"\n")
    target.write_bytes(b"\n".join(lines[:-1]) + b"\n")
    return target


#: Run in a fresh interpreter: argv = build, raw, processed, output, synthetic (0/1/-), min cell size (-).
NOOP_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from analysis.pipeline import commands  # noqa: F401  (what `compendium build` imports)
from analysis.pipeline import build as b
from analysis.pipeline.incremental import Runner
from analysis.core.paths import Paths, default_paths
t1 = time.perf_counter()
build, raw, processed, output, synthetic, k = sys.argv[1:7]
paths = Paths(default_paths().root, build=Path(build), raw=Path(raw), processed=Path(processed),
              output=Path(output))
cfg = b.BuildConfig(paths=paths, synthetic=None if synthetic == "-" else synthetic == "1",
                    min_cell_size=None if k == "-" else int(k))
runner = Runner(paths.state)
plan_s = check_s = 0.0
ran, steps_n = [], 0
with b.build_lock(paths.build):
    for stage in b.plan(cfg):
        t = time.perf_counter()
        steps = []
        for factory in stage:
            made = factory()
            steps.extend(made if isinstance(made, list) else [made])
        plan_s += time.perf_counter() - t
        t = time.perf_counter()
        ran += [f"{s.name}: {why}" for s in steps if (why := runner.why(s)) is not None]
        check_s += time.perf_counter() - t
        steps_n += len(steps)
heavy = ("pandas", "pandera", "matplotlib", "matplotlib.pyplot", "pyarrow", "analysis.describe",
         "analysis.present.location", "analysis.present.figures")
print(json.dumps({"imports": t1 - t0, "digests": plan_s, "state_check": check_s,
                  "steps": steps_n, "out_of_date": ran, "heavy_modules": [m for m in heavy if m in sys.modules]}))
"""


#: The whole no-op as ``compendium build`` runs it (same arguments as :data:`NOOP_PROBE`).
NOOP_BUILD = """
import sys, time
from pathlib import Path
from analysis.pipeline import commands  # noqa: F401
from analysis.pipeline import build as build_mod
from analysis.pipeline.build import BuildConfig, build
from analysis.core.paths import Paths, default_paths
build_, raw, processed, output, synthetic, k = sys.argv[1:7]
paths = Paths(default_paths().root, build=Path(build_), raw=Path(raw), processed=Path(processed),
              output=Path(output))
cfg = BuildConfig(paths=paths, synthetic=None if synthetic == "-" else synthetic == "1",
                  min_cell_size=None if k == "-" else int(k))
if not build_mod.raw_root(cfg)[1]:  # real registrations: the command's checks first
    try:
        from analysis.ingest.preflight import preflight
    except ImportError:  # a commit before it moved out of ingest.process (for comparisons)
        from analysis.ingest.process import preflight
    from analysis.core import measurements
    preflight(paths.raw, measurements.load_all(paths))
res = build(cfg)
print("RAN:" + ",".join(r.name for r in res if r.ran))
"""


def noop_breakdown(paths: Paths, synthetic: bool | None = None, min_cell_size: int | None = None) -> dict:
    """A no-op build in fresh processes: wall seconds and their parts.

    ``build_wall``: :func:`analysis.pipeline.build.build` as ``compendium build`` calls it, from
    the interpreter's start to its end (``build_ran``: the steps that ran; none on a complete
    build). ``wall`` and its parts come from a second process that plans every stage and checks
    every step as the build does, timing ``imports``, ``digests`` (making the steps: their
    input digests) and ``state_check`` (comparing them with the stored state, verifying the
    outputs of the steps it would skip), but runs nothing (``out_of_date``: the steps that
    would run). Both include the interpreter's start.
    """
    args = [
        str(paths.build),
        str(paths.raw),
        str(paths.processed),
        str(paths.output),
        "-" if synthetic is None else str(int(synthetic)),
        "-" if min_cell_size is None else str(min_cell_size),
    ]
    env = dict(os.environ, PYTHONPATH=str(default_paths().root / "src"), MPLBACKEND="Agg")
    load = os.getloadavg()
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", NOOP_PROBE, *args], env=env, capture_output=True, text=True, check=True
    ).stdout
    wall = time.perf_counter() - t0
    parts = json.loads(out.strip().splitlines()[-1])
    t0 = time.perf_counter()
    printed = subprocess.run(
        [sys.executable, "-c", NOOP_BUILD, *args], env=env, capture_output=True, text=True, check=True
    ).stdout
    build_wall = time.perf_counter() - t0
    ran = next(ln for ln in printed.splitlines() if ln.startswith("RAN:"))[len("RAN:") :]
    return {
        "build_wall": round(build_wall, 2),
        "build_ran": ran.split(",") if ran else [],
        "wall": round(wall, 2),
        "interpreter_start": round(wall - parts["imports"] - parts["digests"] - parts["state_check"], 2),
        **{k: round(v, 2) if isinstance(v, float) else v for k, v in parts.items()},
        "load_average": [round(x, 2) for x in load],
    }


def main() -> int:
    """Run the three scenarios and print a JSON summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--noop", type=Path, default=None, help="only the no-op breakdown of this built folder")
    ap.add_argument("--repeat", type=int, default=3, help="no-op measurements (with --noop)")
    args = ap.parse_args()
    if args.noop is not None:
        t = args.noop.resolve()
        paths = Paths(
            default_paths().root,
            build=t / "build",
            raw=t / "raw",
            processed=t / "processed",
            output=t / "output",
        )
        runs = [noop_breakdown(paths, synthetic=False, min_cell_size=0) for _ in range(args.repeat)]
        print(json.dumps(runs, indent=1))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        paths = Paths(
            default_paths().root,
            build=t / "build",
            raw=t / "raw-empty",
            processed=t / "processed",
            output=t / "output",
        )
        out = {}
        for label in ("cold", "noop"):
            secs, res = _timed(BuildConfig(paths=paths))
            out[label] = {
                "seconds": round(secs, 1),
                "steps": {r.name: round(r.seconds, 1) for r in res if r.ran},
            }
        out["noop_fresh_process"] = noop_breakdown(paths)
        changed = _change_one_export(paths.synthetic_raw)
        secs, res = _timed(BuildConfig(paths=paths))
        out["one_export_changed"] = {
            "file": changed.name,
            "change": "one end time",
            "seconds": round(secs, 1),
            "steps": {r.name: round(r.seconds, 1) for r in res if r.ran},
        }
        changed = _drop_one_registration(paths.synthetic_raw)
        secs, res = _timed(BuildConfig(paths=paths))
        out["one_registration_removed"] = {
            "file": changed.name,
            "change": "last row removed",
            "seconds": round(secs, 1),
            "steps": {r.name: round(r.seconds, 1) for r in res if r.ran},
        }
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
