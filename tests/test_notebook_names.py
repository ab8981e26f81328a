"""Every name a notebook reads is imported or assigned in that notebook (cheap NameError guard).

The notebooks run top to bottom in a fresh kernel; a name used in a late cell but never
imported fails only when that cell runs, which for chapter 3 can be a minute into a build.
"""

from __future__ import annotations

import ast
import builtins

import nbformat
import pytest

from analysis.core.paths import default_paths

NOTEBOOKS = sorted(default_paths().notebooks.glob("*.ipynb"))


def _unbound(source: str) -> set[str]:
    tree = ast.parse(source)
    bound = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {a.asname or a.name.split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return used - bound


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_name_is_bound_in_the_notebook(path):
    nb = nbformat.read(path, as_version=4)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not _unbound(source), f"{path.name} uses names it never imports or assigns"


def test_the_guard_catches_a_missing_import():
    assert _unbound("from a import b\nb(c)") == {"c"}
