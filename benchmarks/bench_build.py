"""Benchmark the build: cold full build, no-op rebuild, one-export-changed rebuilds.

Targets on 2 cores (issue 8): cold < 90 s, no-op < 3 s, one export changed < 40 s.
Run by hand: ``.venv/bin/python benchmarks/bench_build.py`` (about 3 minutes). The build
goes to a temporary folder, so the project's own build/ is untouched.

Scenarios, in order on the same build folder: cold; no-op; one end time edited in one export
(a typical correction: only the duration models' data change, the model store serves the
other fits); the last registration removed from another export (count, room and duration data
of that location change, so every chapter-3 fit is recomputed).
"""

from __future__ import annotations

import json
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


def main() -> int:
    """Run the three scenarios and print a JSON summary."""
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
