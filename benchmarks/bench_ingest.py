"""Benchmark: ingest of 100,000 registrations across 200 files (target < 10 s on 2 cores).

Run ``python benchmarks/bench_ingest.py [--rows N] [--files N]``. The raw tree is generated in a
temporary folder: 180 CSV files (mixed separators, encodings and date styles), 12 XLSX and
8 SPSS files, with a few bad rows so the quarantine path is exercised too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from ingest_fixtures import KEY, MEASUREMENTS, make_tree, random_rows, write_csv, write_sav, write_xlsx

from analysis.ingest import process as ingest


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        raw = build_tree(Path(tmp), args.rows, args.files)
        print(f"generated {args.rows:,} rows in {args.files} files in {time.perf_counter() - t0:.1f} s")
        times = []
        for _ in range(args.repeat):
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
            + f" (best {min(times):.2f} s; target < 10 s)"
        )
    return 0 if min(times) < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
