"""The package layout follows the flow of the data: no module imports from a later stage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from analysis.core import deps

SRC = Path(__file__).resolve().parents[1] / "src"
#: Stage of each top-level part of ``analysis``, in the order data flow through them.
STAGES = {
    "__init__": 0,
    "core": 0,
    "codebook": 0,
    "synth": 1,
    "ingest": 2,
    "describe": 3,
    "models": 3,
    "present": 4,
    "verify": 5,
    "report": 6,
    "pipeline": 7,
}


def _stage(module: str) -> int:
    parts = module.split(".")
    return STAGES["__init__" if len(parts) == 1 else parts[1]]


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted((SRC / "analysis").rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((".".join(parts), path))
    return out


def test_every_top_level_part_has_a_stage() -> None:
    parts = {
        p.name.removesuffix(".py")
        for p in (SRC / "analysis").iterdir()
        if p.name != "__pycache__" and (p.suffix == ".py" or p.is_dir())
    }
    assert parts <= set(STAGES), f"parts without a stage: {sorted(parts - set(STAGES))}"


@pytest.mark.parametrize("module,path", _modules(), ids=lambda x: str(x) if isinstance(x, str) else "")
def test_no_import_runs_back_up(module: str, path: Path) -> None:
    names = deps.imported_names(ast.parse(path.read_text("utf-8")), module, path.name == "__init__.py")
    real = {n for n in names if deps.module_path(n, SRC) is not None}
    back = sorted(n for n in real if _stage(n) > _stage(module))
    assert not back, f"{module} (stage {_stage(module)}) imports later stages: {back}"


def test_the_check_catches_a_back_import(tmp_path: Path) -> None:
    # The rule itself must be able to fail: a core module importing the report stage.
    src = "from analysis.report import render\n"
    names = deps.imported_names(ast.parse(src), "analysis.core.paths")
    assert any(_stage(n) > _stage("analysis.core.paths") for n in names)


def test_readme_tree_matches_the_package() -> None:
    """The README's tree names every package folder of ``src/analysis`` and no other."""
    readme = (SRC.parent / "README.md").read_text("utf-8")
    block = readme.split("<!-- tree:start -->")[1].split("<!-- tree:end -->")[0]
    lines = [ln for ln in block.splitlines() if ln.startswith("  ") and ln.strip()]
    listed = {ln.split()[0].rstrip("/") for ln in lines if ln.startswith("  ") and not ln.startswith("    ")}
    actual = {p.name for p in (SRC / "analysis").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert listed == actual, f"README tree {sorted(listed)} != src/analysis {sorted(actual)}"
