"""One answer to "is this the synthetic twin?" for every stage (issue 18: it was defined four times)."""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

from analysis.core.provenance import INGEST_REPORT, SYNTHETIC_MARKER, is_synthetic, marker_text

SRC = Path(__file__).resolve().parents[1] / "src" / "analysis"


def test_raw_tree_with_verified_marker_is_synthetic(tmp_path: Path) -> None:
    assert not is_synthetic(tmp_path)
    (tmp_path / "locations.csv").write_text("locatie\nL01\n", "utf-8")
    (tmp_path / SYNTHETIC_MARKER).write_text("twin", "utf-8")
    assert not is_synthetic(tmp_path)  # a marker alone is not enough (issue 12 item 3)
    digest = hashlib.sha256((tmp_path / "locations.csv").read_bytes()).hexdigest()
    (tmp_path / SYNTHETIC_MARKER).write_text(marker_text("twin", {"locations.csv": digest}), "utf-8")
    assert is_synthetic(tmp_path)
    (tmp_path / "extra.csv").write_text("x\n", "utf-8")  # a file the twin did not write
    assert not is_synthetic(tmp_path)


def test_processed_folder_follows_the_ingest_report(tmp_path: Path) -> None:
    report = tmp_path / INGEST_REPORT
    report.write_text(json.dumps({"synthetic": False}), "utf-8")
    assert not is_synthetic(tmp_path)
    report.write_text(json.dumps({"synthetic": True}), "utf-8")
    assert is_synthetic(tmp_path)
    report.write_text(json.dumps({}), "utf-8")  # unknown origin counts as real
    assert not is_synthetic(tmp_path)


def test_is_synthetic_is_defined_once() -> None:
    defs = [
        p.relative_to(SRC).as_posix()
        for p in sorted(SRC.rglob("*.py"))
        for node in ast.walk(ast.parse(p.read_text("utf-8")))
        if isinstance(node, ast.FunctionDef) and node.name == "is_synthetic"
    ]
    assert defs == ["core/provenance.py"]
