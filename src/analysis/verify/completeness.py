"""Is a build complete? Executed notebooks, results files and the rendered report.

A build step is up to date only when its outputs are complete and verified.
This module holds the checks, as functions that return a list of problems (empty: complete):

* :func:`notebook_problems`: every code cell of an executed notebook ran (it has an execution
  count) and none raised (no ``error`` output, no papermill failure mark);
* :func:`results_problems`: every file that a results index (``index.csv``) lists exists;
* :func:`outputs_problems`: every output one build step declares exists, and every results
  file of its families that the results contract lists (what a step's state requires);
* :func:`teaching_problems`: the teaching folder holds what its data dictionary describes
  (synthetic twin), or no data at all (real registrations);
* :func:`expected_labels`: the figure and table labels (``{#fig-x}``, ``{#tbl-x}``) that
  the executed notebooks display, i.e. what the report must show;
* :func:`report_problems`: the report files exist, every expected notebook is complete, and
  the HTML report shows every expected figure and table (by its anchor) with its image.

``compendium check`` and the build's render step call :func:`report_problems`; a report
rendered from half-executed notebooks (which used to shrink from 20 figures to 1) fails it.
"""

from __future__ import annotations

import csv
import fnmatch
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

_LABEL = re.compile(r"\{#((?:fig|tbl)-[\w\-]+)\}")
#: An element id of a figure or table label in the rendered HTML.
_ID = re.compile(r"""id=["']((?:fig|tbl)-[\w\-]+)["']""")
#: Strings pandas reads as missing (``read_csv`` defaults): such a ``file`` cell names no file.
_MISSING = {
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
}


def notebook_problems(path: Path) -> list[str]:
    """Problems of one executed notebook: missing, unreadable, a code cell not run or failed.

    Parameters
    ----------
    path : Path
        Executed notebook (papermill output).

    Returns
    -------
    list of str
        One line per problem; empty when every non-empty code cell ran without error.
    """
    if not path.exists():
        return [f"{path.name}: not executed (file absent)"]
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path.name}: unreadable ({exc.__class__.__name__})"]
    problems = []
    if nb.get("metadata", {}).get("papermill", {}).get("exception"):
        problems.append(f"{path.name}: papermill recorded an exception")
    code = [
        c
        for c in nb.get("cells", [])
        if c.get("cell_type") == "code" and "".join(c.get("source", "")).strip()
    ]
    not_run = [i for i, c in enumerate(code, 1) if c.get("execution_count") is None]
    if not_run:
        problems.append(
            f"{path.name}: {len(not_run)} of {len(code)} code cells did not run "
            f"(first: code cell {not_run[0]})"
        )
    for i, c in enumerate(code, 1):
        errors = [o for o in c.get("outputs", []) if o.get("output_type") == "error"]
        status = c.get("metadata", {}).get("papermill", {}).get("status")
        if errors or status == "failed":
            name = errors[0].get("ename", "error") if errors else "failed"
            problems.append(f"{path.name}: code cell {i} raised {name}")
    return problems


def _indexed_files(index: Path) -> list[str]:
    """The ``file`` cells of one results index (raises on an unreadable index)."""
    # the csv module, not pandas: every skipped step of a no-op build checks these
    with open(index, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or "file" not in reader.fieldnames:
            raise KeyError("file")
        return [f for row in reader if (f := row.get("file")) is not None and f not in _MISSING]


def results_problems(results: Path) -> list[str]:
    """Files listed in any ``index.csv`` under ``results`` that do not exist."""
    problems = []
    for index in sorted(results.rglob("index.csv")):
        try:
            files = _indexed_files(index)
        except (OSError, ValueError, KeyError, csv.Error) as exc:
            problems.append(f"{index}: unreadable ({exc.__class__.__name__})")
            continue
        problems += [
            f"results file missing: {index.parent / f}" for f in files if not (index.parent / f).exists()
        ]
    return problems


def outputs_problems(
    files: Iterable[Path], indexed: Iterable[tuple[Path, str, tuple[str, ...]]] = ()
) -> list[str]:
    """Problems of one build step's declared outputs (:data:`analysis.pipeline.graph.STEPS`).

    Parameters
    ----------
    files : iterable of Path
        Single files the step declares: each must exist.
    indexed : iterable of (folder, pattern, others)
        Families of results the step registers in ``<folder>/index.csv`` (the results
        contract): every file the index lists whose name matches ``pattern`` and none of
        ``others`` (the more specific patterns of other steps) must exist. A folder without an
        index lists nothing.

    Returns
    -------
    list of str
        One line per problem; empty when every declared output is in place.
    """
    problems = [f"output missing: {f}" for f in files if not Path(f).exists()]
    for folder, pattern, others in indexed:
        index = Path(folder) / "index.csv"
        if not index.is_file():
            continue
        try:
            listed = _indexed_files(index)
        except (OSError, ValueError, KeyError, csv.Error) as exc:
            problems.append(f"{index}: unreadable ({exc.__class__.__name__})")
            continue
        mine = [
            f
            for f in listed
            if fnmatch.fnmatchcase(f, pattern) and not any(fnmatch.fnmatchcase(f, o) for o in others)
        ]
        problems += [f"results file missing: {folder / f}" for f in mine if not (Path(folder) / f).exists()]
    return problems


#: README and data dictionary of the teaching folder (:mod:`analysis.models.teaching`).
TEACHING_README, TEACHING_DICTIONARY = "README.md", "columns.csv"


def teaching_problems(folder: Path, synthetic: bool) -> list[str]:
    """Problems of the teaching folder ``<build>/results/teaching`` (see :mod:`analysis.models.teaching`).

    On the synthetic twin the README and the data dictionary must exist and every file the
    dictionary describes (its ``file`` column) must exist. On real registrations the folder may
    hold the README alone: any other file would be person-level data outside the secure side.
    Read with the csv module, not pandas: a no-op build checks this too.

    Parameters
    ----------
    folder : Path
        The teaching folder.
    synthetic : bool
        Whether the build used the synthetic twin.

    Returns
    -------
    list of str
        One line per problem; empty when the folder holds what the export promises.
    """
    readme = folder / TEACHING_README
    problems = [] if readme.is_file() else [f"teaching README missing: {readme}"]
    found = sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    if not synthetic:
        data = [f for f in found if f != TEACHING_README]
        if data:
            problems.append(f"teaching data written from real registrations: {', '.join(data)} in {folder}")
        return problems
    dictionary = folder / TEACHING_DICTIONARY
    try:
        with open(dictionary, newline="", encoding="utf-8") as fh:
            listed = sorted({row["file"] for row in csv.DictReader(fh) if row.get("file")})
    except (OSError, KeyError, csv.Error) as exc:
        return problems + [f"{dictionary}: unreadable ({exc.__class__.__name__})"]
    if not listed:
        problems.append(f"{dictionary}: describes no file")
    return problems + [f"teaching file missing: {folder / f}" for f in listed if f not in found]


def _markdown_outputs(nb: dict) -> Iterable[str]:
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/markdown")
            if text:
                yield "".join(text) if isinstance(text, list) else str(text)


def expected_labels(notebooks: Iterable[Path]) -> dict[str, list[str]]:
    """Figure and table labels each executed notebook displays (``fig-x``, ``tbl-x``)."""
    out: dict[str, list[str]] = {}
    for path in notebooks:
        if not path.exists():
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        labels = [m for md in _markdown_outputs(nb) for m in _LABEL.findall(md)]
        out[path.stem] = list(dict.fromkeys(labels))
    return out


@dataclass
class Completeness:
    """Outcome of :func:`check`: what was expected, what was found, and every problem."""

    figures_expected: int = 0
    tables_expected: int = 0
    figures_found: int = 0
    tables_found: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is missing."""
        return not self.problems

    def summary(self) -> str:
        """One line for the console."""
        state = "complete" if self.ok else f"INCOMPLETE ({len(self.problems)} problem(s))"
        return (
            f"report {state}: {self.figures_found} of {self.figures_expected} figures, "
            f"{self.tables_found} of {self.tables_expected} tables"
        )


def _head(path: Path, n: int = 5) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def check(
    html: Path, pdf: Path | None, notebooks: Iterable[Path], results: Path | None = None
) -> Completeness:
    """Check a rendered report against the notebooks it was built from.

    Parameters
    ----------
    html, pdf : Path
        The rendered report (``pdf`` None: not checked).
    notebooks : iterable of Path
        The executed chapter notebooks the build plan expects (all must be complete).
    results : Path, optional
        Results folder whose indexes must be complete.

    Returns
    -------
    Completeness
    """
    notebooks = list(notebooks)
    res = Completeness()
    for nb in notebooks:
        res.problems += notebook_problems(nb)
    if results is not None:
        res.problems += results_problems(results)
    labels = [lab for labs in expected_labels(notebooks).values() for lab in labs]
    res.figures_expected = sum(lab.startswith("fig-") for lab in labels)
    res.tables_expected = sum(lab.startswith("tbl-") for lab in labels)
    if pdf is not None and (not pdf.exists() or _head(pdf) != b"%PDF-"):
        res.problems.append(f"report PDF missing or not a PDF: {pdf}")
    if not html.exists():
        res.problems.append(f"report HTML missing: {html}")
        return res
    text = html.read_text(encoding="utf-8", errors="replace")
    # one pass over the page (tens of MB at 10x the data), not one search per label
    ids = set(_ID.findall(text))
    for lab in labels:
        found = lab in ids
        if found:
            res.figures_found += lab.startswith("fig-")
            res.tables_found += lab.startswith("tbl-")
        else:
            res.problems.append(f"report lacks {'figure' if lab.startswith('fig-') else 'table'} {lab}")
    return res


__all__ = [
    "Completeness",
    "check",
    "expected_labels",
    "notebook_problems",
    "outputs_problems",
    "results_problems",
    "teaching_problems",
]
