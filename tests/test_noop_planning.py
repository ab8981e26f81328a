"""Planning a build is cheap and stays exact (issue 17, item 5: a no-op rebuild under 2 s at 10x).

A no-op build only plans (every step's input digests) and checks the stored state. Planning
keeps what it derives from data or code in the build's cache (:func:`analysis.pipeline.hashing.memo`,
:class:`analysis.core.deps.ImportCache`), keyed by content digests. These tests plan a build
in fresh processes, as ``compendium build`` does: the second plan must give the very same
inputs as the first without importing pandas, pandera or matplotlib, and a changed table
must change the inputs of the steps that read it. Speed itself is measured in
``benchmarks/bench_build.py``, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.core import deps
from analysis.core.paths import Paths, default_paths
from analysis.pipeline import hashing

#: Plans every stage, checks every step as a build does (``why`` and ``verify``); prints the
#: inputs of every step and the heavy modules the process imported.
PROBE = """
import json, sys
from pathlib import Path
from analysis.pipeline import commands  # noqa: F401  (what `compendium build` imports)
from analysis.ingest.preflight import preflight  # noqa: F401  (its checks on real data)
from analysis.pipeline.build import BuildConfig, plan
from analysis.pipeline.incremental import Runner
from analysis.core.paths import Paths, default_paths

t = Path(sys.argv[1])
paths = Paths(default_paths().root, build=t / "build", raw=t / "raw-empty", processed=t / "processed",
              output=t / "output")
runner = Runner(paths.state)
inputs = {}
for stage in plan(BuildConfig(paths=paths, synthetic=True)):
    steps = []
    for factory in stage:
        made = factory()
        steps.extend(made if isinstance(made, list) else [made])
    for s in steps:
        runner.why(s)
        if s.verify is not None:
            s.verify()
        inputs[s.name] = s.inputs
heavy = ("pandas", "pandera", "matplotlib", "matplotlib.pyplot", "pyarrow", "hypothesis",
         "analysis.describe", "analysis.present.location", "analysis.present.figures")
print(json.dumps({"inputs": inputs, "heavy": [m for m in heavy if m in sys.modules]}))
"""


def _plan(tmp: Path) -> dict:
    env = dict(
        os.environ,
        PYTHONPATH=str(default_paths().root / "src"),
        MPLBACKEND="Agg",
        # planning the ingest step digests the pseudonymisation key; the raw tree is empty
        COMPENDIUM_PSEUDONYM_KEY="test-key-for-planning-only-0123456789abcdef",
    )
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp)], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_second_plan_reads_no_table_and_gives_the_same_inputs(tmp_path: Path) -> None:
    from test_factsheets import write_processed

    write_processed(tmp_path / "processed")
    first = _plan(tmp_path)
    assert "pandas" in first["heavy"], "the first plan reads the tables (nothing is cached yet)"
    second = _plan(tmp_path)
    assert second["heavy"] == [], f"a no-op plan imported {second['heavy']}"
    assert second["inputs"] == first["inputs"]
    assert {"disclosure", "factsheet-L01", "notebook-02_unplanned_seclusion"} <= set(second["inputs"])

    # One registration of L01 changes: every step that reads it sees new inputs (through the cache).
    table = tmp_path / "processed" / "registrations.parquet"
    reg = pd.read_parquet(table)
    reg.loc[reg.index[reg["locatie"] == "L01"][0], "bron_rij"] = 999
    reg.to_parquet(table, index=False)
    third = _plan(tmp_path)

    def changed(name: str) -> set[str]:
        return {k for k, v in third["inputs"][name].items() if second["inputs"][name].get(k) != v}

    assert changed("factsheet-L01") == {"registrations"}
    assert changed("factsheet-L02") == set()
    assert "registrations" in changed("disclosure")
    assert "data-2" in changed("notebook-02_unplanned_seclusion")


def test_memo_returns_the_stored_value_only_for_the_same_key(tmp_path: Path) -> None:
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [len(calls)]

    assert hashing.memo(tmp_path, "x", {"a": "1"}, compute) == [1]
    assert hashing.memo(tmp_path, "x", {"a": "1"}, compute) == [1]
    assert hashing.memo(tmp_path, "x", {"a": "2"}, compute) == [2]
    assert hashing.memo(None, "x", {"a": "2"}, compute) == [3]  # no folder: always computed
    assert len(calls) == 3
    # A computation that writes one of its inputs is stored under the key after it ran.
    assert hashing.memo(tmp_path, "y", {"d": "absent"}, compute, key_after=lambda: {"d": "written"}) == [4]
    assert hashing.memo(tmp_path, "y", {"d": "written"}, compute) == [4]
    assert len(calls) == 4


def test_import_cache_is_keyed_by_content_not_time(tmp_path: Path) -> None:
    src = tmp_path / "src"
    pkg = src / "analysis"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("x = 12345678901\n")
    (pkg / "b.py").write_text("y = 2\n")
    (pkg / "c.py").write_text("z = 3\n")
    cache = tmp_path / "imports.json"
    assert deps.closure(["analysis.a"], src=src, cache=cache) == ["analysis", "analysis.a"]
    assert cache.is_file()
    # Same size and modification time, another import: a time-keyed cache would miss it.
    path = pkg / "a.py"
    st = path.stat()
    path.write_text("from . import b\n")
    assert path.stat().st_size == st.st_size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    deps.ImportCache._open.clear()  # a new process: only the file remains
    assert deps.closure(["analysis.a"], src=src, cache=cache) == ["analysis", "analysis.a", "analysis.b"]


@pytest.mark.parametrize("patterns", [("**/*",), ("*.txt",)])
def test_tree_digest_sees_the_files_pathlib_glob_sees(tmp_path: Path, patterns: tuple[str, ...]) -> None:
    import hashlib

    root = tmp_path / "tree"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a-b").mkdir()
    (root / "a" / "b" / "x.txt").write_text("1")
    (root / "a-b" / "y.txt").write_text("2")
    (root / ".hidden.txt").write_text("3")
    (root / "z.txt").write_text("4")
    (root / "link.txt").symlink_to(root / "z.txt")
    (root / "dirlink").symlink_to(root / "a", target_is_directory=True)
    (root / "broken.txt").symlink_to(root / "absent")

    def reference() -> str:  # the rule as written before the fast walk
        h = hashlib.sha256()
        files = sorted({p for pat in patterns for p in root.glob(pat) if p.is_file()})
        for p in files:
            rel = p.relative_to(root).as_posix()
            h.update(rel.encode() + b"\0" + hashlib.sha256(p.read_bytes()).hexdigest().encode() + b"\n")
        return h.hexdigest()

    assert hashing.tree_digest(root, patterns) == reference()
    (root / "a" / "b" / "x.txt").write_text("changed")
    assert hashing.tree_digest(root, patterns) == reference()


def test_paths_of_the_decision_agree() -> None:
    from analysis.core.paths import decision_file
    from analysis.present import publish

    build = Paths(default_paths().root).build
    assert publish.decision_file(build, 2) == decision_file(build, 2)
