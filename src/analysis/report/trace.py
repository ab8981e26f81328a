"""Traceability of every report artefact: results CSV, notebook cell and published figures.

A notebook shows an artefact (table or figure) and then records its provenance
(:func:`analysis.present.display.metadata`: the function and the results CSV). When the report
is assembled, :func:`provenance_line` turns that record into one line under the artefact that
points to the CSV under ``build/results/`` (a link in the HTML, the path in the PDF), to the
notebook and cell, and to the figures of the 2021 report it reproduces; :func:`caption_suffix`
adds the published number ("rapport 2021: Tabel 2") to the caption, so a reader can put the
two reports side by side.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.core.results import read_values

#: Published artefacts that are not a numbered figure or table of the 2021 report.
_TEXT = "text"


@dataclass
class Trace:
    """Where the results of a build live and which published figures each result reproduces.

    Attributes
    ----------
    root : Path
        Repository root (paths are shown relative to it).
    csv : dict
        Result name -> path of its CSV.
    ids : dict
        Result name -> published ids it reproduces.
    artefact : dict
        Published id -> published artefact (``Tabel 2``, ``Figuur 3``, ``Bijlage 3``) or
        ``text`` with its section.
    """

    root: Path
    csv: dict[str, Path] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)
    artefact: dict[str, str] = field(default_factory=dict)

    def published(self, result: str | None) -> list[str]:
        """Numbered artefacts of the 2021 report that ``result`` reproduces, in report order."""
        found = {self.artefact.get(i, "") for i in self.ids.get(_key(result), [])}
        found.discard("")
        numbered = sorted((a for a in found if not a.endswith("(tekst)") and a != _TEXT), key=_artefact_key)
        return numbered or sorted(found, key=_artefact_key)

    def relative(self, result: str | None, start: Path) -> tuple[str, str] | None:
        """(path shown, link relative to ``start``) of the CSV of ``result``; None if unknown."""
        path = self.csv.get(_key(result))
        if path is None:
            return None
        shown = path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else path.as_posix()
        return shown, Path(os.path.relpath(path, start)).as_posix()


def _key(result: str | None) -> str:
    """Result name as indexed: notebooks may name ``models/ch3_models_fit`` or ``ch3_models_fit``."""
    return Path(result or "").name


def _artefact_key(name: str) -> tuple[int, int, str]:
    kind, _, num = name.partition(" ")
    order = {"Tabel": 0, "Figuur": 1, "Bijlage": 2}.get(kind, 3)
    return order, int(num) if num.isdigit() else 0, name


def load(root: Path, results: Path, published: Path) -> Trace:
    """Index the results CSVs of a build and the published artefact of every published id.

    Parameters
    ----------
    root : Path
        Repository root.
    results : Path
        ``build/results`` (searched recursively).
    published : Path
        ``data/reference/published_figures.csv``.
    """
    t = Trace(root=root)
    if results.exists():
        for p in sorted(results.rglob("*.csv")):
            t.csv.setdefault(p.stem, p)
        v = read_values(results)
        for res, g in v.groupby("result"):
            t.ids[str(res)] = sorted(set(g["published_id"].astype(str)))
    if published.exists():
        pub = pd.read_csv(published, dtype=str, keep_default_na=False)
        for _, r in pub.iterrows():
            art = r["artefact"]
            if art == _TEXT:
                art = f"§{r['section']} (tekst)" if r.get("section") else "tekst"
            t.artefact[r["id"]] = art
    return t


def id_patterns(ids: list[str]) -> list[str]:
    """Short patterns for a list of published ids: ``ch2.fig02.*`` for a group of one prefix."""
    groups: dict[str, int] = {}
    for i in ids:
        prefix = ".".join(i.split(".")[:2])
        groups[prefix] = groups.get(prefix, 0) + 1
    return [f"{p}.*" if n > 1 else next(i for i in ids if i.startswith(p)) for p, n in groups.items()]


def caption_suffix(trace: Trace | None, result: str | None) -> str:
    """`` (rapport 2021: Tabel 2)`` for a caption, or empty."""
    arts = trace.published(result) if trace else []
    return f" (rapport 2021: {', '.join(arts)})" if arts else ""


def provenance_line(
    trace: Trace | None, *, function: str, result: str | None, notebook: str, cell: int, start: Path
) -> str:
    """The provenance paragraph under an artefact, as a ``::: {.provenance}`` block.

    Parameters
    ----------
    trace : Trace or None
        Index of the build (None: only function and notebook are named).
    function : str
        Dotted name of the function that computed the numbers.
    result : str or None
        Name of the results CSV.
    notebook : str
        Notebook path relative to the repository (``notebooks/02_....ipynb``).
    cell : int
        1-based position of the cell in the notebook.
    start : Path
        Folder the HTML report is written to (links are relative to it).
    """
    parts = [f"Berekend met `{function}` in `{notebook}`, cel {cell}"]
    where = trace.relative(result, start) if trace and result else None
    if where:
        parts.append(f"gegevens in [`{where[0]}`]({where[1]})")
    elif result:
        parts.append(f"gegevens in `{result}.csv` (niet gevonden in deze build)")
    ids = trace.ids.get(_key(result), []) if trace else []
    if ids:
        n = len(ids)
        parts.append(
            f"reproduceert {n} gepubliceerd{'e' if n > 1 else ''} "
            f"{'cijfers' if n > 1 else 'cijfer'} ({', '.join(f'`{p}`' for p in id_patterns(ids))}; "
            "bijlage D)"
        )
    return "::: {.provenance}\n*" + "; ".join(parts) + ".*\n:::\n"
