"""Code dependencies of a build step, derived from the code itself.

A step re-runs when any file it can execute changes. Instead of a hand-kept list of modules
(which drifted: issue 18), the inputs are the *import closure* of the step's entry points:
every ``analysis`` module reachable through ``import`` statements (top-level and lazy ones
inside functions), the ``__init__`` of every package on the way, and the data files that
live beside those modules (``*.json``, ``*.yaml``, ``*.R``, a ``resources/`` folder).
Notebooks count as entry points through the imports in their code cells.

The rule is deliberately conservative: an import inside a function that a step never calls
still makes the step depend on that module. A spurious re-run costs seconds; a missed one
leaves a stale report.
"""

from __future__ import annotations

import ast
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Iterable

#: Folder that holds the ``analysis`` package (``src/``).
SRC = Path(__file__).resolve().parents[2]
PACKAGE = "analysis"
#: Data file suffixes that count as code inputs when they sit beside an imported module.
DATA_SUFFIXES = {".json", ".yaml", ".yml", ".R", ".lua", ".css", ".html", ".typ", ".typst", ".mplstyle"}


def module_path(name: str, src: Path = SRC) -> Path | None:
    """File of the module ``name`` (``a.b`` -> ``a/b.py`` or ``a/b/__init__.py``), or None."""
    base = src.joinpath(*name.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _resolve_relative(module: str | None, level: int, current: str, is_package: bool) -> str:
    parts = current.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([module] if module else []))


def imported_names(tree: ast.AST, current: str = "", is_package: bool = False) -> set[str]:
    """Dotted names of ``analysis`` modules a parsed source imports (anywhere in the tree).

    ``from analysis.x import y`` yields ``analysis.x`` and ``analysis.x.y`` (the latter is
    kept only if it turns out to be a module).
    """
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                mod = _resolve_relative(node.module, node.level, current, is_package)
            found.add(mod)
            for alias in node.names:
                found.add(f"{mod}.{alias.name}")
    return {n for n in found if n == PACKAGE or n.startswith(PACKAGE + ".")}


def notebook_source(path: Path) -> str:
    """Python code of a notebook's code cells (IPython magics and shell lines dropped)."""
    nb = json.loads(path.read_text("utf-8"))
    lines: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        lines += [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def closure(entries: Iterable[str], notebooks: Iterable[Path] = (), src: Path = SRC) -> list[str]:
    """Every ``analysis`` module reachable from ``entries`` and the notebooks' imports.

    Parameters
    ----------
    entries
        Dotted module names the step runs (e.g. ``"analysis.ingest.process"``).
    notebooks
        Notebooks the step executes; their code cells' imports are entry points too.
    src
        Folder holding the package (a test points this at a temporary copy).

    Returns
    -------
    list of str
        Sorted dotted names, package ``__init__`` modules included.
    """
    todo = [e for e in entries]
    for nb in notebooks:
        todo += sorted(imported_names(ast.parse(notebook_source(Path(nb)))))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or module_path(name, src) is None:
            continue
        seen.add(name)
        todo += [p for p in _parents(name) if p not in seen]
        path = module_path(name, src)
        assert path is not None
        todo += sorted(_imports_of(str(path), path.stat().st_mtime_ns, name) - seen)
    return sorted(seen)


@lru_cache(maxsize=512)
def _imports_of(path: str, mtime_ns: int, name: str) -> frozenset[str]:
    # mtime_ns only keys the cache, so an edited module is parsed again.
    tree = ast.parse(Path(path).read_text("utf-8"))
    return frozenset(imported_names(tree, name, Path(path).name == "__init__.py"))


def data_files(modules: Iterable[str], src: Path = SRC) -> list[Path]:
    """Data files beside the modules (same folder; a ``resources/`` folder recursively)."""
    out: set[Path] = set()
    for name in modules:
        path = module_path(name, src)
        if path is None:
            continue
        folder = path.parent
        out |= {f for f in folder.iterdir() if f.is_file() and f.suffix in DATA_SUFFIXES}
        res = folder / "resources"
        if res.is_dir():
            out |= {f for f in res.rglob("*") if f.is_file() and "__pycache__" not in f.parts}
    return sorted(out)


def code_files(entries: Iterable[str], notebooks: Iterable[Path] = (), src: Path = SRC) -> list[Path]:
    """Source and data files a step depends on (see :func:`closure`, :func:`data_files`)."""
    mods = closure(entries, notebooks, src)
    files = {p for m in mods if (p := module_path(m, src)) is not None}
    return sorted(files | set(data_files(mods, src)))


def code_digest(entries: Iterable[str], notebooks: Iterable[Path] = (), src: Path = SRC) -> str:
    """SHA-256 over the relative paths and contents of :func:`code_files`."""
    return _digest(
        tuple(entries),
        tuple(str(n) for n in notebooks),
        str(src),
        tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in code_files(entries, notebooks, src)),
    )


@lru_cache(maxsize=64)
def _digest(
    entries: tuple[str, ...], notebooks: tuple[str, ...], src: str, stamp: tuple[tuple[str, int, int], ...]
) -> str:
    # ``stamp`` (path, mtime, size) only keys this cache; the digest itself is over contents.
    h = hashlib.sha256()
    root = Path(src)
    for path, _, _ in stamp:
        p = Path(path)
        h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()
