"""Scale benchmark (issue 17, item 5): the twin replicated 10 and 100 times.

``replicate`` writes a raw-data tree with ``k`` copies of every location of the twin: copy 0
keeps the twin's files, copy ``c`` >= 1 renames each location ``<code>`` to ``<code>K<ccc>``
(new locations, with their own institution and name) and each youth number ``<id>`` to
``K<ccc><id>`` (new youths), in every registration export, occupancy, policy and facility
file. The exports of a copy are written as CSV (an XLSX or SPSS export is read with the
project's readers, so the cells are the same text). So 10x is 62,530 registrations at 180
locations, 100x 625,300 at 1,800.

Scenarios (each a child process whose whole process tree, notebook kernels and Dask workers
included, is sampled with psutil every 0.25 s for the peak of the summed resident memory):

* ``10x``: full cold build (``compendium build``: ingest, all chapters, leave one location out,
  factsheets, planning, render), then a no-op rebuild. Targets: <= 180 s and <= 3 GB; no-op < 2 s.
* ``100x``: ingest plus chapters 1-2 plus the primary chapter-3 models (the notebook steps of
  a build with ``model_set="primary"``; no factsheets, planning or render). Target: <= 10 min
  and <= 6 GB.

The replicated tree is read as real exports (as new exports would be): a
fixed benchmark pseudonym key is set, and the minimum cell size is the twin's (0), so the
numbers are comparable with the twin build. Each figure is printed with the load average
(other work shares the machine's cores).

Run: ``.venv/bin/python benchmarks/bench_scale.py [10x] [100x] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = "benchmark-scale-key-0123456789abcdef0123456789abcdef"


def _new_code(code: str, c: int) -> str:
    return code if c == 0 else f"{code}K{c:03d}"


def _write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows (cell text) of any export, through the ingest readers."""
    from analysis.ingest.readers import read_tables

    t = read_tables(path)[0]
    cols = [c for c in t.frame.columns if c != "bron_rij"]
    return list(t.header or cols), t.frame[cols].astype(str).values.tolist()


def replicate(src: Path, out: Path, k: int) -> dict[str, int]:
    """Write ``k`` copies of the raw tree ``src`` into ``out`` (see the module docstring).

    Returns
    -------
    dict
        Numbers of locations and registration rows written.
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    header, rows = _table(src / "locations.csv")
    i_loc, i_inst, i_name = header.index("locatie"), header.index("instelling"), header.index("naam")
    copies = []
    for c in range(k):
        for r in rows:
            r2 = list(r)
            r2[i_loc] = _new_code(r[i_loc], c)
            if c:
                r2[i_inst] = f"{r[i_inst]} K{c:03d}"
                r2[i_name] = f"{r[i_name]} K{c:03d}"
            copies.append(r2)
    _write_rows(out / "locations.csv", header, copies)
    n_reg = 0
    for meting in sorted(p for p in src.iterdir() if p.is_dir() and p.name.startswith("meting-")):
        for f in sorted(meting.glob("*.csv")):
            h, rs = _table(f)
            il = h.index("locatie")
            _write_rows(
                out / meting.name / f.name,
                h,
                [[*r[:il], _new_code(r[il], c), *r[il + 1 :]] for c in range(k) for r in rs],
            )
        for f in sorted((meting / "registraties").rglob("*")):
            if not f.is_file():
                continue
            h, rs = _table(f)
            il, iy = h.index("locatie"), h.index("nummer_jongere")
            loc = f.name.split("_", 1)[0]
            n_reg += len(rs) * k
            for c in range(k):
                if c == 0:
                    target = out / f.relative_to(src)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(f, target)
                    continue
                new = []
                for r in rs:
                    r2 = list(r)
                    r2[il] = _new_code(r[il], c)
                    r2[iy] = f"K{c:03d}{r[iy]}" if r[iy] else ""
                    new.append(r2)
                name = f"{_new_code(loc, c)}_{f.stem.split('_', 1)[1]}.csv"
                _write_rows(out / f.parent.relative_to(src) / name, h, new)
    return {"locations": len(copies), "registrations": n_reg}


class Peak:
    """Peak of the summed resident memory of a process and all its descendants (psutil)."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        self.pid, self.every, self.bytes = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total = 0
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.bytes = max(self.bytes, total)
            self._stop.wait(self.every)

    def stop(self) -> float:
        """Stop sampling; the peak in GB."""
        self._stop.set()
        self._thread.join()
        return round(self.bytes / 1e9, 2)


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _timed(cmd: list[str], env: dict[str, str], log: Path) -> dict:
    """Run ``cmd``; wall seconds, CPU seconds and peak GB of its process tree, load before/after.

    CPU seconds (user + system of every reaped descendant, ``RUSAGE_CHILDREN``) say how much
    work was done whatever else ran on the machine; wall seconds on a shared machine do not.
    """
    import resource

    before = _load()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
        peak = Peak(proc.pid)
        rc = proc.wait()
    secs = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (ru.ru_utime - ru0.ru_utime) + (ru.ru_stime - ru0.ru_stime)
    return {
        "seconds": round(secs, 1),
        "cpu_seconds": round(cpu, 1),
        "peak_gb": peak.stop(),
        "exit": rc,
        "load_before": before,
        "load_after": _load(),
        "log": str(log),
    }


DRIVER = """
import sys
from pathlib import Path
from analysis.core.paths import Paths, default_paths
from analysis.pipeline.build import BuildConfig, build, plan, _needs_cluster
from analysis.pipeline.incremental import Runner
from analysis.models import engine

t = Path(sys.argv[1])
mode = sys.argv[2]
paths = Paths(default_paths().root, build=t / "build", raw=t / "raw", processed=t / "processed",
              output=t / "output")
if mode == "full":
    res = build(BuildConfig(paths=paths, synthetic=False, min_cell_size=0, on_step=lambda r: print(
        f"  {'ran' if r.ran else 'ok '} {r.name:44s} {r.seconds:6.1f} s", flush=True)))
else:  # ingest + chapters 1-2 + the primary chapter-3 models
    cfg = BuildConfig(paths=paths, synthetic=False, min_cell_size=0, factsheets=False, model_set="primary")
    runner = Runner(paths.state, on_step=lambda r: print(f"  ran {r.name:44s} {r.seconds:6.1f} s", flush=True))
    keep = ("ingest", "notebook-01", "notebook-02", "notebook-03_")
    with engine.shared_cluster(None, 2):
        for stage in plan(cfg):
            steps = []
            for f in stage:
                made = f() if f.__name__ != "factsheet_steps" else []
                steps.extend(made if isinstance(made, list) else [made])
            steps = [s for s in steps if s.name.startswith(keep)]
            if len(steps) == 1:
                runner.run(steps[0])
            elif steps:
                runner.run_parallel(steps, workers=4)
"""


def scenario(name: str, k: int, mode: str, tmp: Path, twin: Path) -> dict:
    """Replicate, then build (``full``: whole build and a no-op; ``primary``: see docstring)."""
    t0 = time.perf_counter()
    counts = replicate(twin, tmp / "raw", k)
    out = {"copies": k, **counts, "replicate_seconds": round(time.perf_counter() - t0, 1)}
    env = {
        **os.environ,
        "COMPENDIUM_PSEUDONYM_KEY": KEY,
        "PYTHONPATH": str(ROOT / "src"),
        "MPLBACKEND": "Agg",
    }
    cmd = [sys.executable, "-c", DRIVER, str(tmp), mode]
    out["build"] = _timed(cmd, env, tmp / f"{name}-build.log")
    if mode == "full":
        out["noop"] = _timed(cmd, env, tmp / f"{name}-noop.log")
        html = tmp / "output" / "report.html"
        pdf = tmp / "output" / "report.pdf"
        out["report_mb"] = {
            "html": round(html.stat().st_size / 1e6, 2) if html.exists() else None,
            "pdf": round(pdf.stat().st_size / 1e6, 2) if pdf.exists() else None,
        }
        store = tmp / "build" / "cache"
        out["store_mb"] = round(sum(p.stat().st_size for p in store.rglob("*") if p.is_file()) / 1e6, 1)
    return out


def main() -> int:
    """Run the scenarios asked for and print a JSON summary."""
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs="*", default=["10x", "100x"], choices=["10x", "100x"])
    ap.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: temporary)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    from analysis import synth

    twin = work / "twin"
    if not (twin / "locations.csv").exists():
        synth.write_twin(twin)
    results = {"machine": {"cores": os.cpu_count(), "load_at_start": _load()}}
    for name in args.scenarios:
        k, mode = (10, "full") if name == "10x" else (100, "primary")
        results[name] = scenario(name, k, mode, work / name, twin)
        print(json.dumps({name: results[name]}, indent=1), flush=True)
    print(json.dumps(results, indent=1))
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
