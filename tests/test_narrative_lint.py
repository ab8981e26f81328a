"""Text lint: no narrative template names a measurement or a count that was not computed.

Issue 13 item 1: every mention of a measurement ("meting 2") or a count ("18 locaties") in the
report must come from the data. Templates are the notebooks' markdown and code strings, the
report sources (``reports/*.qmd``, ``reports/*.md``) and the string literals of the modules that
write narrative (docstrings excepted: they document, they are not shown). A literal such as
``"In meting 2 registreerden 18 locaties"`` fails; ``f"In {text.measurements([m])} ..."`` passes.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "analysis"
NOUNS = (
    r"(locaties?|registraties?|afzonderingen|afzondering|jongeren|jongere|maanden|maand|metingen|"
    r"modellen|cijfers)"
)
PATTERNS = {
    "measurement number": re.compile(r"\bmeting(en)?\s+\d", re.I),
    # "per 10 jongeren" is a unit of a rate, not a count
    "count": re.compile(rf"(?<![\w.:/-])(?<!per )\d+\s+{NOUNS}\b", re.I),
    "spelled count": re.compile(
        rf"\b(twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|achttien)\s+{NOUNS}\b", re.I
    ),
}
#: Stages whose string literals reach a reader (report, factsheets, appendices, CLI messages).
NARRATIVE_STAGES = ("present", "report", "verify", "pipeline")
NARRATIVE_MODULES = sorted(
    p.relative_to(SRC).as_posix() for stage in NARRATIVE_STAGES for p in (SRC / stage).rglob("*.py")
)


def findings(text: str) -> list[str]:
    """Every literal measurement number or count in ``text``."""
    return [f"{kind}: {m.group(0)!r}" for kind, rx in PATTERNS.items() for m in rx.finditer(text)]


def _strings(tree: ast.AST) -> list[str]:
    """String literals and the literal parts of f-strings, without docstrings."""
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docs.add(id(body[0].value))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            out.append(node.value)
    return out


def _notebook_texts(path: Path) -> list[str]:
    nb = json.loads(path.read_text("utf-8"))
    out = []
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            out.append(src)
        elif cell["cell_type"] == "code" and "parameters" not in cell.get("metadata", {}).get("tags", []):
            try:
                out += _strings(ast.parse(src))
            except SyntaxError:  # IPython magics: lint the whole cell
                out.append(src)
    return out


def test_the_lint_catches_literals() -> None:
    assert findings("In meting 2 registreerden 18 locaties samen 1213 afzonderingen")
    assert findings("Over metingen 1 en 2 samen") and findings("zes maanden")
    assert findings("".join(_strings(ast.parse('f"In {x} waren 3 locaties"'))))
    assert not findings("per 10 jongeren")
    assert not findings("In {text.measurements([m])} registreerden {n} locaties")
    assert not findings("ch3.count_meting.meting2.est; 23:59; 95%-BI; Bijlage 3; etappe 3")


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_templates_have_no_literal_measurements_or_counts(path: Path) -> None:
    bad = [f for t in _notebook_texts(path) for f in findings(t)]
    assert not bad, f"{path.name}: {bad}"


@pytest.mark.parametrize(
    "path", sorted(p for ext in ("*.qmd", "*.md") for p in (ROOT / "reports").glob(ext)), ids=lambda p: p.name
)
def test_report_sources_have_no_literal_measurements_or_counts(path: Path) -> None:
    bad = findings(path.read_text("utf-8"))
    assert not bad, f"{path.name}: {bad}"


@pytest.mark.parametrize("module", NARRATIVE_MODULES)
def test_narrative_functions_have_no_literal_measurements_or_counts(module: str) -> None:
    path = SRC / module
    bad = [f for s in _strings(ast.parse(path.read_text("utf-8"))) for f in findings(s)]
    assert not bad, f"{module}: {bad}"


def test_dutch_words_keep_their_diaeresis() -> None:
    """Report text in the code spells categorieën, ideeën, ... with the trema (issue 16)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    bare = re.compile(r"\b(categorieen|ideeen|knieen|zeeen|reeen)\b")
    found = [
        f"{p.relative_to(root)}:{i}: {m.group(0)}"
        for folder in ("src", "notebooks")
        for p in sorted((root / folder).rglob("*"))
        if p.suffix in {".py", ".ipynb", ".md", ".yaml", ".typst", ".lua"}
        for i, line in enumerate(p.read_text("utf-8", errors="replace").splitlines(), 1)
        for m in [bare.search(line)]
        if m and not line.lstrip().startswith(("#", '"""'))
    ]
    assert not found, "Dutch words without their diaeresis:\n" + "\n".join(found)
