"""``core.walk.files_under`` finds what ``Path.glob("**/*")`` plus ``is_file()`` finds."""

from __future__ import annotations

import os
from pathlib import Path

from analysis.core.walk import files_under


def _tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "x.csv").write_text("1")
    (root / "top.txt").write_text("2")
    (root / "a" / "__pycache__").mkdir()
    (root / "a" / "__pycache__" / "m.pyc").write_bytes(b"\0")
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "hidden.csv").write_text("3")
    os.symlink(outside, root / "linked_folder")
    os.symlink(root / "top.txt", root / "a" / "link.txt")
    os.symlink(root / "missing", root / "dangling")


def test_same_files_as_glob(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    _tree(root)
    got = {rel for rel, _ in files_under(root)}
    want = {p.relative_to(root).as_posix() for p in root.glob("**/*") if p.is_file()}
    assert got == want
    assert "a/link.txt" in got and not any(r.startswith("linked_folder/") for r in got)
    assert "dangling" not in got


def test_skipped_names_and_missing_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    _tree(root)
    got = {rel for rel, _ in files_under(root, skip={"__pycache__"})}
    assert not any("__pycache__" in r for r in got) and "a/b/x.csv" in got
    assert list(files_under(tmp_path / "nowhere")) == []
