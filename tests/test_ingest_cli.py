"""Issue 13 items 5 and 6: ``compendium new-measurement`` and user errors as one line, exit 2.

``compendium build`` runs with ``COMPENDIUM_ROOT`` pointing at a temporary project, so the
real ``data/raw`` and ``params`` are never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from analysis.core.paths import find_root
from ingest_fixtures import KEY, make_tree, valid_row

ROOT = find_root()


def _project(tmp_path: Path, rows=None) -> Path:
    root = tmp_path / "proj"
    (root / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "params", root / "params")
    raw = make_tree(tmp_path, rows)
    shutil.move(str(raw), root / "data" / "raw")
    return root


def _compendium(root: Path, *args: str, key: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPENDIUM_PSEUDONYM")}
    env.update(COMPENDIUM_ROOT=str(root), PYTHONPATH=str(ROOT / "src"))
    if key:
        env["COMPENDIUM_PSEUDONYM_KEY"] = KEY.decode()
    return subprocess.run(
        [sys.executable, "-m", "analysis.pipeline.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=300,
    )


def _one_line_exit_2(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and all(w in lines[0] for w in words), proc.stderr


def test_build_without_key_is_one_line_exit_2(tmp_path):
    root = _project(tmp_path)
    _one_line_exit_2(_compendium(root, "build", key=False), "error: ", "no pseudonymisation key")


def test_build_with_a_measurement_without_params_is_one_line_exit_2(tmp_path):
    root = _project(tmp_path)
    shutil.copytree(root / "data" / "raw" / "meting-2", root / "data" / "raw" / "meting-3")
    _one_line_exit_2(
        _compendium(root, "build"), "meting-3 has no measurement description", "compendium new-measurement 3"
    )


def test_build_with_a_broken_params_file_is_one_line_exit_2(tmp_path):
    root = _project(tmp_path)
    (root / "params" / "meting-2.yaml").write_text("meting: 2\nfirst_month: [\n")
    _one_line_exit_2(_compendium(root, "build"), "meting-2.yaml")


def test_new_measurement_writes_params_from_the_data(tmp_path):
    rows = [
        valid_row(i, datum_start=f"{1 + i % 28:02d}.{m:02d}.{y}", datum_eind="")
        for i, (y, m) in enumerate([(2021, 9)] * 40 + [(2021, 10)] * 40 + [(2022, 2)] * 40 + [(2019, 1)])
    ]
    root = _project(tmp_path, [])
    reg = root / "data" / "raw" / "meting-3" / "registraties"
    reg.mkdir(parents=True)
    from ingest_fixtures import write_csv

    write_csv(reg / "export.csv", rows)
    proc = _compendium(root, "new-measurement", "3")
    assert proc.returncode == 0, proc.stderr
    text = (root / "params" / "meting-3.yaml").read_text()
    data = yaml.safe_load(text)
    assert data == {
        "meting": 3,
        "folder": "meting-3",
        "first_month": "2021-09",
        "last_month": "2022-02",
        "expected_locations": 2,
        "label": "Meting 3 (september 2021 - februari 2022)",
    }
    assert "#   2019-01: 1" in text and "1 registrations in months outside" in proc.stdout
    _one_line_exit_2(_compendium(root, "new-measurement", "3"), "exists", "--force")
    _one_line_exit_2(_compendium(root, "new-measurement", "4"), "meting-4/registraties not found")
