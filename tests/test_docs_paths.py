"""Docs that cannot drift: what README.md and docs/*.md name exists, and no count is typed by hand.

1. **Paths.** Every backticked file path (``src/analysis/models/spec.py``, ``notebooks/...``,
   ``benchmarks/...``, ``tests/...``; also short forms relative to ``src/analysis/`` such as
   ``models/engine.py``) exists in the repository. Outputs of a build (``build/``,
   ``reports/_output/``, ``data/processed/``, ``release/``), placeholders (``<...>``, ``*``) and
   files inside a build are not checked.
2. **Modules.** Every backticked dotted name of the package (``analysis.models.cards``,
   ``analysis.verify.reproduction.check(paths)``) and every module-relative name
   (``sensitivity.LOLO_MAX_LOCATIONS``, ``fanout.SIM_CELLS_MAX``) resolves: the module imports and
   has the attribute.
3. **Counts.** The rule: a number of fits, refits, analyses, simulations, simulated data sets or
   variants written as digits in README.md or docs/*.md must either stand in a block (a paragraph
   or a table) that says it was *measured* (the word "measured" in the block, or for a table in
   the paragraph that introduces it), or be one of :data:`DECLARED`, whose value the test computes
   from the code's declarations. Any other such count is a typed number that drifts from the code
   (say what the code declares, or let the run state it).
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SRC = ROOT / "src" / "analysis"

#: Path prefixes of build outputs and data that are not in the repository.
GENERATED = ("build/", "reports/_output", "data/processed", "release/", "data/raw/meting", ".venv", ".r-lib")
#: Files the user writes (a new measurement's description).
USER_WRITTEN = ("params/meting-",)
TOP = (
    "src/",
    "notebooks/",
    "benchmarks/",
    "tests/",
    "docs/",
    "params/",
    "data/",
    "reports/",
    "scripts/",
    ".ci/",
)
EXTENSIONS = (
    ".py",
    ".R",
    ".md",
    ".yaml",
    ".yml",
    ".json",
    ".ipynb",
    ".lua",
    ".css",
    ".typst",
    ".qmd",
    ".toml",
    ".cff",
)

BACKTICK = re.compile(r"`([^`\n]+)`")
DOTTED = re.compile(r"^[a-z_][a-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
COUNT = re.compile(
    r"(?<![\w.,:/-])(?<!chapter )(?<!chapter-)(\d{1,3}(?:,\d{3})*|\d+)"
    r"(?:\s+[A-Za-z-]+){0,2}?\s+(fits?|refits|analyses|simulations|simulated data sets|variants)\b"
)


def _declared() -> dict[str, int]:
    from analysis.core.params import DEFAULT_NSIM

    return {
        f"{DEFAULT_NSIM} simulations": DEFAULT_NSIM,
        f"{DEFAULT_NSIM} simulated data sets": DEFAULT_NSIM,
    }


DECLARED = _declared()
"""Counts the docs may state because they are the code's declarations (phrase -> value)."""


def _tokens(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # code blocks: commands and output, not names
    return BACKTICK.findall(text)


def _is_path(token: str) -> bool:
    return "/" in token and " " not in token and (token.startswith(TOP) or token.endswith(EXTENSIONS))


def _path_exists(token: str) -> bool:
    token = token.split("#")[0].rstrip("/").removeprefix("./")
    candidates = [ROOT / token, SRC / token, SRC / "report" / token]
    return any(c.exists() for c in candidates)


def _skip_path(token: str) -> bool:
    prefixes = (*GENERATED, *USER_WRITTEN, "http", "/", "~")
    return token.startswith(prefixes) or any(ch in token for ch in "<>*{}$") or "..." in token


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_named_paths_exist(doc: Path) -> None:
    missing = [t for t in _tokens(doc) if _is_path(t) and not _skip_path(t) and not _path_exists(t)]
    assert not missing, f"{doc.name} names paths that do not exist: {missing}"


def _resolve(name: str) -> bool:
    """Whether ``name`` (dotted, ``analysis.`` or module-relative) is a module or an attribute."""
    parts = name.split(".")
    if parts[0] == "analysis":
        starts = [parts]
    else:  # module-relative: any module of the package with that name
        mods = [p for p in SRC.rglob(f"{parts[0]}.py")] + [p for p in SRC.glob(f"{parts[0]}/__init__.py")]
        starts = []
        for m in mods:
            rel = m.relative_to(SRC.parent).with_suffix("").parts
            rel = rel[:-1] if rel[-1] == "__init__" else rel
            starts.append([*rel, *parts[1:]])
        if not starts:
            return True  # not a name of this package (numpy.random, file names)
    for full in starts:
        for i in range(len(full), 0, -1):
            try:
                obj = importlib.import_module(".".join(full[:i]))
            except ImportError:
                continue
            try:
                for attr in full[i:]:
                    obj = getattr(obj, attr)
                return True
            except AttributeError:
                break
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_named_modules_exist(doc: Path) -> None:
    names = []
    for t in _tokens(doc):
        t = re.sub(r"\(.*\)$", "", t.strip())
        if DOTTED.match(t) and not t.endswith(
            EXTENSIONS + (".csv", ".parquet", ".html", ".pdf", ".png", ".svg")
        ):
            names.append(t)
    bad = [n for n in names if not _resolve(n)]
    assert not bad, f"{doc.name} names modules or attributes that do not exist: {bad}"


def _blocks(text: str) -> list[str]:
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return [b for b in re.split(r"\n\s*\n", text) if b.strip()]


def count_findings(text: str) -> list[str]:
    """Typed counts of fits, analyses or simulations that are neither measured nor declared."""
    out = []
    blocks = _blocks(text)
    for i, block in enumerate(blocks):
        measured = "measured" in block.lower() or (
            block.lstrip().startswith("|") and i > 0 and "measured" in blocks[i - 1].lower()
        )
        if measured:
            continue
        for m in COUNT.finditer(block):
            phrase = re.sub(r"\s+", " ", m.group(0))
            if phrase in DECLARED and int(m.group(1).replace(",", "")) == DECLARED[phrase]:
                continue
            out.append(phrase)
    return out


def test_count_rule_catches_typed_counts_and_passes_measured_ones() -> None:
    assert count_findings("The build fits 70 sensitivity variants.") == ["70 sensitivity variants"]
    assert count_findings("Measured in one process: 108 leave-one-out fits took 22.9 s.") == []
    assert count_findings("Measured on the twin:\n\n| step | time |\n|---|---|\n| 22 fits | 3 s |") == []
    assert count_findings("Every chapter 3 fit runs on Dask.") == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_no_typed_counts_of_fits_analyses_or_simulations(doc: Path) -> None:
    found = count_findings(doc.read_text(encoding="utf-8"))
    assert not found, f"{doc.name}: counts typed by hand (say 'measured' or compute them): {found}"
