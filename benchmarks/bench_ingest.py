"""Benchmark: ingest of the twin replicated 1 and 10 times, and of a generated messy tree.

Run ``python benchmarks/bench_ingest.py [--scales 1 10] [--rows N] [--files N] [--no-generated]``.

* Twin scales (issue 17, item 5): the synthetic twin (1x, 211 files) and the twin replicated
  with :func:`bench_scale.replicate` (10x: 2,054 registration exports, 63,350 registrations
  at 180 locations). Each ingest runs in a fresh child process as ``compendium ingest``
  does (imports included); wall and CPU seconds (user + system of the child) are printed
  with the load average, because other work shares the machine's two cores.
  Targets: 10x <= 12 s wall. Before the per-file loader kept its text in plain Python
  (commit "ingest: per-file work in plain Python"), 1x took 6.3 s wall / 6.3 s CPU and
  10x 30.5 s wall / 29.9 s CPU on this machine (load average 1.0-1.3).
* Generated tree: 100,000 registrations across 200 files (180 CSV with mixed separators,
  encodings and date styles, 12 XLSX, 8 SPSS, a few bad rows so that the quarantine path is
  timed too), ingested twice in this process. Target < 10 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_scale (the replicated twin)

from ingest_fixtures import KEY, MEASUREMENTS, make_tree, random_rows, write_csv, write_sav, write_xlsx

from analysis.ingest import process as ingest

#: Wall-time targets per scale (seconds), from issue 17 item 5 and the ingest brief.
TARGETS = {10: 12.0}


def build_tree(root: Path, rows: int, files: int) -> Path:
    """Write a raw tree with ``rows`` registrations spread over ``files`` exports."""
    raw = make_tree(root, rows=[])
    reg = raw / "meting-2" / "registraties"
    (reg / "export.csv").unlink()
    per = rows // files
    n_xlsx, n_sav = max(files * 6 // 100, 1), max(files * 4 // 100, 1)
    for i in range(files):
        data = random_rows(per, seed=i)
        if i % 50 == 0:  # a few problems per file batch, so quarantine is part of the timing
            data[0]["evaluatie_2"] = "7"
            data[1]["datum_start"] = "31.02.2020"
        if i < n_xlsx:
            write_xlsx(reg / f"export-{i:03d}.xlsx", data)
        elif i < n_xlsx + n_sav:
            write_sav(reg / f"export-{i:03d}.sav", pd.DataFrame(data))
        else:
            sep, enc = (";", "utf-8-sig") if i % 3 else (",", "cp1252")
            if i % 4 == 0:
                for r in data:
                    d, m, y = r["datum_start"].split(".")
                    r["datum_start"] = r["datum_eind"] = f"{y}-{m}-{d}"
            write_csv(reg / f"export-{i:03d}.csv", data, sep=sep, encoding=enc)
    return raw


def twin_tree(root: Path, k: int) -> Path:
    """The twin (``k == 1``) or the twin replicated ``k`` times, under ``root``."""
    from analysis import synth

    twin = root / "twin"
    if not (twin / "locations.csv").exists():
        synth.write_twin(twin)
    if k == 1:
        return twin
    import bench_scale

    raw = root / f"x{k}" / "raw"
    bench_scale.replicate(twin, raw, k)
    return raw


def ingest_child(raw: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``compendium ingest`` (``process.main``) in a child process."""
    import bench_scale

    env = {**os.environ, "COMPENDIUM_PSEUDONYM_KEY": bench_scale.KEY}
    code = (
        "import sys; from pathlib import Path; from analysis.ingest import process; "
        "sys.exit(process.main(Path(sys.argv[1]), Path(sys.argv[2])))"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, str(raw), str(out)], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"ingest failed on {raw}:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def bench_scales(scales: list[int]) -> bool:
    """Print wall and CPU seconds of ingest per scale; True when every target is met."""
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for k in scales:
            t0 = time.perf_counter()
            raw = twin_tree(Path(tmp), k)
            files = sum(1 for p in raw.rglob("*") if p.is_file())
            prep = time.perf_counter() - t0
            load0 = os.getloadavg()[0]
            wall, cpu = ingest_child(raw, Path(tmp) / f"out-{k}")
            load1 = os.getloadavg()[0]
            target = TARGETS.get(k)
            verdict = (
                ""
                if target is None
                else f"; target <= {target:.0f} s: " + ("met" if wall <= target else "MISSED")
            )
            ok &= target is None or wall <= target
            print(
                f"ingest {k}x ({files:,} files, tree written in {prep:.1f} s): {wall:.1f} s wall, "
                f"{cpu:.1f} s CPU (load average {load0:.2f} -> {load1:.2f}){verdict}",
                flush=True,
            )
    return ok


def bench_generated(rows: int, files: int, repeat: int) -> bool:
    """Ingest a generated tree ``repeat`` times in this process; True when the best is < 10 s."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        raw = build_tree(Path(tmp), rows, files)
        print(f"generated {rows:,} rows in {files} files in {time.perf_counter() - t0:.1f} s")
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            report = ingest.run(raw, Path(tmp) / "out", key=KEY, measurements=MEASUREMENTS)
            times.append(time.perf_counter() - t0)
        t = report.totals["registraties"]
        print(
            f"ingest: {t['rows_read']:,} read, {t['rows_accepted']:,} accepted, "
            f"{t['rows_quarantined']:,} quarantined"
        )
        print(
            "run times: "
            + ", ".join(f"{x:.2f} s" for x in times)
            + f" (best {min(times):.2f} s; target < 10 s; load average {os.getloadavg()[0]:.2f})"
        )
    return min(times) < 10


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", type=int, nargs="*", default=[1, 10], help="twin replication factors")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--no-generated", action="store_true", help="skip the generated-tree benchmark")
    args = ap.parse_args()
    ok = bench_scales(args.scales)
    if not args.no_generated:
        ok &= bench_generated(args.rows, args.files, args.repeat)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
