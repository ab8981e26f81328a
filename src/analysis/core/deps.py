"""Code dependencies of a build step, derived from the code itself.

A step re-runs when any file it can execute changes. Instead of a hand-kept list of modules
(which drifted), the inputs are the *import closure* of the step's entry points:
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
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from analysis.core.walk import files_under

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


class Snapshot:
    """Every file of the package under ``src`` with its modification time and size.

    One directory walk per call of :func:`code_digest` replaces thousands of ``stat`` calls
    (a candidate file for every imported name, a folder listing for every module), which took
    most of a no-op build's planning. Taken anew for every digest, so an edited, added or
    removed file is seen.
    """

    def __init__(self, src: Path) -> None:
        self.src = Path(src)
        self.files: dict[str, tuple[int, int]] = {}  # "analysis/x/y.py" -> (mtime_ns, size)
        for rel, e in files_under(self.src / PACKAGE, skip={"__pycache__"}):
            try:
                st = e.stat()
            except OSError:  # removed while walking
                continue
            self.files[f"{PACKAGE}/{rel}"] = (st.st_mtime_ns, st.st_size)

    def module(self, name: str) -> str | None:
        """Relative path of the module ``name`` (as :func:`module_path`), or None."""
        if name != PACKAGE and not name.startswith(PACKAGE + "."):
            found = module_path(name, self.src)
            return found.relative_to(self.src).as_posix() if found is not None else None
        base = name.replace(".", "/")
        for cand in (f"{base}.py", f"{base}/__init__.py"):
            if cand in self.files:
                return cand
        return None

    def data(self, modules: Iterable[str]) -> set[str]:
        """Relative paths of the data files beside ``modules`` (same folder; ``resources/`` recursively)."""
        folders = {m.rsplit("/", 1)[0] for name in modules if (m := self.module(name)) is not None}
        out: set[str] = set()
        for rel in self.files:
            folder, _, leaf = rel.rpartition("/")
            if folder in folders and Path(leaf).suffix in DATA_SUFFIXES:
                out.add(rel)
            elif any(rel.startswith(f"{f}/resources/") for f in folders):
                out.add(rel)
        return out


def closure(
    entries: Iterable[str],
    notebooks: Iterable[Path] = (),
    src: Path = SRC,
    cache: Path | None = None,
    snapshot: Snapshot | None = None,
) -> list[str]:
    """Every ``analysis`` module reachable from ``entries`` and the notebooks' imports.

    Parameters
    ----------
    entries
        Dotted module names the step runs (e.g. ``"analysis.ingest.process"``).
    notebooks
        Notebooks the step executes; their code cells' imports are entry points too.
    src
        Folder holding the package (a test points this at a temporary copy).
    cache
        Optional JSON file that keeps each source's imports keyed by the SHA-256 of its bytes
        (:class:`ImportCache`), so that a new process does not parse unchanged files again.
    snapshot
        The package's files (:class:`Snapshot`; default: taken now).

    Returns
    -------
    list of str
        Sorted dotted names, package ``__init__`` modules included.
    """
    store = ImportCache.open(cache)
    snap = snapshot or Snapshot(src)
    todo = [e for e in entries]
    for nb in notebooks:
        text = notebook_source(Path(nb))
        todo += sorted(store.imports(text.encode("utf-8"), "", False))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        rel = snap.module(name)
        if rel is None:
            continue
        seen.add(name)
        todo += [p for p in _parents(name) if p not in seen]
        todo += sorted(_imports_of(store, snap, rel, name) - seen)
    store.save()
    return sorted(seen)


class ImportCache:
    """Imports of parsed sources keyed by the SHA-256 of their bytes (and module name).

    Parsing every module of the package with :mod:`ast` takes seconds, and every build plans
    all its steps anew, so the imports found are kept in a JSON file (in the build's cache
    folder). The key is the content digest, never a time stamp: an edited file has another
    digest and is parsed again, so the cache cannot hide a new import. Without a file the
    cache lives for this process only.
    """

    _open: dict[str, "ImportCache"] = {}
    _lock = threading.Lock()

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.found: dict[str, list[str]] = {}
        # (path, mtime, size, name) -> imports: only saves re-reading files in this process
        self.memo: dict[tuple[str, int, int, str], frozenset[str]] = {}
        self.dirty = False
        if path is not None and path.is_file():
            try:
                self.found = dict(json.loads(path.read_text("utf-8")))
            except (OSError, ValueError):
                self.found = {}

    @classmethod
    def open(cls, path: Path | None) -> "ImportCache":
        """The cache of ``path`` (one object per file and process; None: this process only)."""
        key = str(path) if path is not None else ""
        with cls._lock:
            if key not in cls._open:
                cls._open[key] = cls(path)
            return cls._open[key]

    def imports(self, source: bytes, name: str, is_package: bool) -> frozenset[str]:
        """``analysis`` modules the source imports (:func:`imported_names`), parsed only when new."""
        key = f"{hashlib.sha256(source).hexdigest()}:{name}:{int(is_package)}"
        with self._lock:
            hit = self.found.get(key)
        if hit is not None:
            return frozenset(hit)
        names = imported_names(ast.parse(source), name, is_package)
        with self._lock:
            self.found[key] = sorted(names)
            self.dirty = True
        return frozenset(names)

    def save(self) -> None:
        """Write the file when something was added (atomically: builds may plan at once)."""
        with self._lock:
            if self.path is None or not self.dirty:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(self.found, sort_keys=True), "utf-8")
            os.replace(tmp, self.path)
            self.dirty = False


def _imports_of(store: ImportCache, snap: Snapshot, rel: str, name: str) -> frozenset[str]:
    mtime, size = snap.files[rel]
    path = snap.src / rel
    # (path, mtime, size) only keys this process's memo; the store is keyed by content.
    stamp = (str(path), mtime, size, name)
    hit = store.memo.get(stamp)
    if hit is None:
        hit = store.imports(path.read_bytes(), name, rel.endswith("/__init__.py"))
        store.memo[stamp] = hit
    return hit


def _code_stamp(
    entries: Iterable[str], notebooks: Iterable[Path], snap: Snapshot, cache: Path | None
) -> list[tuple[str, tuple[int, int]]]:
    """(relative path, (mtime, size)) of every source and data file a step depends on, sorted by parts."""
    mods = closure(entries, notebooks, snap.src, cache, snap)
    rels = {r for m in mods if (r := snap.module(m)) is not None} | snap.data(mods)
    # sorted as Paths (by parts), the order the digest has always used
    return [(r, snap.files[r]) for r in sorted(rels, key=lambda r: Path(r).parts)]


def code_digest(
    entries: Iterable[str], notebooks: Iterable[Path] = (), src: Path = SRC, cache: Path | None = None
) -> str:
    """SHA-256 over the relative paths and contents of the files :func:`_code_stamp` lists.

    ``cache``: see :func:`closure` (it only saves parsing; the digest is over the bytes).
    """
    entries = tuple(entries)
    notebooks = tuple(notebooks)
    snap = Snapshot(src)
    stamp = tuple(
        (str(snap.src / rel), mtime, size)
        for rel, (mtime, size) in _code_stamp(entries, notebooks, snap, cache)
    )
    return _digest(entries, tuple(str(n) for n in notebooks), str(src), stamp)


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
