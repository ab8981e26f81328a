"""Assemble the report sources: generated parts in ``reports/_generated/`` and one document.

``reports/index.qmd`` is the single report source for both renderers. It includes generated
parts with Quarto's include shortcode (``{{< include _generated/_ch02.md >}}``); this module
writes those parts (title-page metadata, summary with numbers from this build, the chapter
notebooks, appendices A-F and the figures) and, for the offline path, expands the includes
into one markdown document. A chapter may consist of several notebooks (:data:`SECTIONS`):
chapter 3 is notebook 03 followed by notebook 03b (leave one location out) as its last section.
"""

from __future__ import annotations

import json

import datetime as dt
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from analysis import SYNTHETIC_BANNER, __version__
from analysis.verify import audit
from analysis.core import chapters as chapters_mod
from analysis.core import measurements as measurements_mod
from analysis.present import summary
from analysis.core.paths import Paths
from analysis.report import appendices
from analysis.report.notebook_md import convert
from analysis.report.trace import Trace
from analysis.report.trace import load as trace_load
from analysis.report.statistics import statistics_md
from analysis.verify import reproduction
from analysis.core.measurements import MONTHS_NL

GENERATED = "_generated"
FIGURES = f"{GENERATED}/figures"
#: Chapter notebooks (executed by papermill into ``<build>/notebooks``) -> include file,
#: from the one chapter list (:data:`analysis.core.chapters.CHAPTERS`).
CHAPTERS = {ch.notebook: ch.include for ch in chapters_mod.CHAPTERS}
#: Notebooks executed as steps of their own but shown as the last sections of a chapter
#: (their headings one level down, so their title is a section, not a new chapter).
SECTIONS = {
    ch.notebook: tuple(s.notebook for s in ch.sections) for ch in chapters_mod.CHAPTERS if ch.sections
}
#: Notebooks shown as appendices after A-F (include file, title); not chapters.
APPENDIX_NOTEBOOKS = {"04_planning": ("_appendix_g.md", "Planning van meting N+1")}
_INCLUDE = re.compile(r"^\{\{<\s*include\s+(\S+)\s*>\}\}\s*$", re.M)


@dataclass
class Assembled:
    """What :func:`prepare` produced.

    Attributes
    ----------
    folder : Path
        ``reports/_generated``.
    meta : dict
        Title-page metadata (also written to ``_meta.yml``).
    figures, tables : list of str
        Labels found in the chapters and appendices.
    missing : list of str
        Notebooks or values that were not available (shown in the report as such).
    trace : Trace or None
        Results CSVs and published ids of the build (provenance lines and captions).
    published : dict
        Label in this report -> artefacts of the 2021 report it reproduces (appendix D).
    """

    folder: Path
    meta: dict
    figures: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    trace: Trace | None = None
    published: dict[str, list[str]] = field(default_factory=dict)


def title_meta(paths: Paths, *, synthetic: bool, context: dict | None = None) -> dict:
    """Title-page metadata: project, measurements, data source, date, version, commit."""
    ctx = dict(context or {})
    commit = ctx.get("commit") or appendices.git_commit(paths.root) or "onbekend"
    today = dt.date.today()
    source = (
        "Synthetische tweeling (geen echte registraties)"
        if synthetic
        else "Registraties van de JeugdzorgPlus-locaties (data/raw)"
    )
    ms = measurements_mod.load_all(paths)
    described = summary.described_title(paths.results)
    fields = [
        ("Project", "Ik laat je niet alleen, etappe 3"),
        ("Metingen", ctx.get("measurements_text") or summary.measurements_title(ms) or "geen"),
        *([("Beschreven meting", described)] if described else []),
        ("Databron", source),
        ("Datum", f"{today.day} {MONTHS_NL[today.month - 1]} {today.year}"),
        ("Versie", f"compendium {__version__}"),
        ("Commit", commit),
    ]
    meta = {
        "title": "Gedwongen afzonderen in de JeugdzorgPlus",
        "title-plain": "Gedwongen afzonderen in de JeugdzorgPlus",
        "short-title": "Gedwongen afzonderen in de JeugdzorgPlus - reproductie etappe 3",
        "subtitle": "Reproduceerbare heranalyse van de registraties uit \u201cIk laat je niet alleen\u201d, etappe 3",
        "organisation": "Onderzoekscompendium bij Academische Werkplaats Risicojeugd (2021)",
        "date": dict(fields)["Datum"],
        "lang": "nl",
        "toc-depth": 2,
        "titlefields": [{"key": k, "value": str(v)} for k, v in fields],
        "citation-note": "Oorspronkelijk rapport: Academische Werkplaats Risicojeugd (2021). "
        "Ik laat je niet alleen. Eindrapportage etappe 3.",
        "synthetic": bool(synthetic),
        "commit": commit,
    }
    if synthetic:
        meta["banner"] = SYNTHETIC_BANNER
        meta["banner-note"] = (
            "Alle cijfers in dit rapport komen uit een synthetische tweeling die "
            "is afgestemd op de gepubliceerde cijfers. Ze zeggen niets over echte jongeren."
        )
    return meta


def _titlepage_md(meta: dict) -> str:
    """Title-page block for the Quarto path (the pandoc templates draw their own)."""
    rows = "\n".join(f"| {f['key']} | {f['value']} |" for f in meta["titlefields"])
    banner = (
        f"\n::: {{.callout-warning}}\n**{meta['banner']}.** {meta['banner-note']}\n:::\n"
        if meta.get("banner")
        else ""
    )
    return f"::: {{.titlepage}}\n| | |\n|---|---|\n{rows}\n{banner}\n:::\n"


def _not_run(paths: Paths, nb: Path, what: str) -> str:
    """Callout for a notebook that was not executed in this build."""
    shown = nb.relative_to(paths.root) if nb.is_relative_to(paths.root) else nb
    return f"::: {{.callout}}\n{what} is in deze build niet uitgevoerd (`{shown}` ontbreekt).\n:::\n"


def _notebook_md(paths: Paths, name: str, folder: Path, result: Assembled, *, level: int) -> str:
    """One executed notebook as markdown whose top heading has ``level`` ``#`` characters.

    The notebook's headings are moved down ``level - 1`` levels; a notebook without a top
    heading gets its title from the chapter list (:func:`analysis.core.chapters.titles`). A missing
    notebook becomes its title and a callout (and is listed in ``result.missing``).
    """
    nb = paths.executed_notebooks / f"{name}.ipynb"
    title = "#" * level + " " + chapters_mod.titles()[name]
    if not nb.exists():
        result.missing.append(f"notebook {name}")
        return f"{title}\n\n" + _not_run(paths, nb, "Dit hoofdstuk" if level == 1 else "Deze paragraaf")
    conv = convert(
        nb,
        figures_dir=folder / "figures",
        figures_ref=FIGURES,
        bases=[paths.build, paths.figures, paths.root],
        shift_headings=level - 1,
        trace=result.trace,
        notebook=f"notebooks/{name}.ipynb",
        html_dir=paths.report_output,
    )
    result.figures += conv.figures
    result.tables += conv.tables
    result.published.update(conv.published)
    md = conv.markdown
    if not re.search(rf"(?m)^{'#' * level} ", md):
        md = f"{title}\n\n{md}"
    return md


def _chapter(paths: Paths, name: str, folder: Path, result: Assembled) -> str:
    """A chapter: its notebook, then the notebooks of its :data:`SECTIONS` as sections."""
    parts = [_notebook_md(paths, name, folder, result, level=1)]
    parts += [_notebook_md(paths, sec, folder, result, level=2) for sec in SECTIONS.get(name, ())]
    return "\n".join(parts)


def prepare(paths: Paths, *, synthetic: bool, context: dict | None = None) -> Assembled:
    """Write every generated part of the report into ``reports/_generated/``.

    Parameters
    ----------
    paths : Paths
        Project paths (executed notebooks, results, processed data).
    synthetic : bool
        Whether the build used the synthetic twin (banner on the title page).
    context : dict, optional
        Extra facts from the orchestrator (``commit``, ``stage_times``, ``renderer``, ...).

    Returns
    -------
    Assembled
    """
    folder = paths.reports / GENERATED
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "figures").mkdir(parents=True)
    meta = title_meta(paths, synthetic=synthetic, context=context)
    result = Assembled(
        folder=folder, meta=meta, trace=trace_load(paths.root, paths.results, paths.published_figures)
    )
    (folder / "_meta.yml").write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), "utf-8")
    (folder / "_titlepage.md").write_text(_titlepage_md(meta), "utf-8")
    ms = measurements_mod.load_all(paths)
    # Summary and the method paragraph on the measurements are computed from this build's
    # results and configuration (analysis.present.summary), never filled into a fixed template.
    report = paths.processed / "ingest_report.json"
    accounting = json.loads(report.read_text("utf-8")).get("accounting") if report.exists() else None
    (folder / "_summary.md").write_text(
        summary.summary_md(paths.results, paths.model_results, ms, accounting), "utf-8"
    )
    (folder / "_measurements.md").write_text(summary.measurements_md(ms, paths.results), "utf-8")
    for name, fname in CHAPTERS.items():
        (folder / fname).write_text(_chapter(paths, name, folder, result), "utf-8")
    _appendices(paths, folder, result, context)
    return result


def _verification_md(paths: Paths, path: Path, what: str, result: Assembled) -> str | None:
    """Callout when a verification step's output is absent (``None`` when it is there)."""
    if not paths.published_figures.exists():
        return "*`published_figures.csv` ontbreekt.*\n"
    if path.exists():
        return None
    result.missing.append(f"{what} ({path.name})")
    shown = path.relative_to(paths.build) if path.is_relative_to(paths.build) else path
    return (
        f"::: {{.callout}}\nDe {what} is in deze build niet uitgevoerd (`{shown}` ontbreekt in de "
        "build-map; `compendium build` maakt dit bestand).\n:::\n"
    )


def _appendices(paths: Paths, folder: Path, result: Assembled, context: dict | None) -> None:
    # Appendices D and E show the outputs of the build's verification steps (reproduction,
    # calibration, audit); rendering reads them and computes nothing of its own.
    repro = _verification_md(paths, paths.reproduction_check, "reproductiecontrole", result)
    if repro is None:
        repro = appendices.reproduction_md(reproduction.read_result(paths.reproduction_check))
        repro += "\n" + appendices.calibration_md(paths)
    audited = _verification_md(paths, paths.audit_findings, "controle van het rapport", result)
    parts = {
        "_appendix_a.md": statistics_md(
            paths.model_results,
            figure_folders=[paths.figures],
        ),
        "_appendix_b.md": appendices.codebook_md(),
        "_appendix_c.md": appendices.data_quality_md(paths.processed),
        "_appendix_d.md": (
            appendices.published_map_md(result.published) + "\n" + repro
            if paths.published_figures.exists()
            else repro
        ),
        "_appendix_e.md": audited or appendices.audit_md(audit.read_result(paths.audit_findings)),
        "_appendix_f.md": appendices.environment_md(
            paths, {**(context or {}), "commit": result.meta["commit"]}
        ),
    }
    for name, (fname, title) in APPENDIX_NOTEBOOKS.items():
        parts[fname] = _appendix_notebook(paths, name, title, folder, result)
    for fname, md in parts.items():
        (folder / fname).write_text(md, "utf-8")
        result.figures += re.findall(r"\{#(fig-[\w-]+)", md)
        result.tables += re.findall(r"\{#(tbl-[\w-]+)", md)


def _appendix_notebook(paths: Paths, name: str, title: str, folder: Path, result: Assembled) -> str:
    """An executed notebook as the body of an appendix (no top heading; its ``##`` sections stay)."""
    nb = paths.executed_notebooks / f"{name}.ipynb"
    if not nb.exists():
        result.missing.append(f"notebook {name}")
        return _not_run(paths, nb, f"Bijlage '{title}'")
    conv = convert(
        nb,
        figures_dir=folder / "figures",
        figures_ref=FIGURES,
        bases=[paths.build, paths.figures, paths.root],
        shift_headings=0,
        # The same provenance as a chapter: each artefact points to its results CSV and cell.
        trace=result.trace,
        notebook=f"notebooks/{name}.ipynb",
        html_dir=paths.report_output,
    )
    result.figures += conv.figures
    result.tables += conv.tables
    return conv.markdown


def expand_includes(text: str, base: Path, depth: int = 0) -> str:
    """Inline ``{{< include file >}}`` shortcodes (paths relative to ``base``), recursively."""
    if depth > 5:
        raise RuntimeError("include nesting deeper than 5")

    def repl(m: re.Match) -> str:
        p = base / m.group(1)
        if not p.exists():
            raise FileNotFoundError(f"include not found: {p}")
        return expand_includes(p.read_text("utf-8"), p.parent, depth + 1) + "\n"

    return _INCLUDE.sub(repl, text)


def document(paths: Paths) -> Path:
    """Expand ``reports/index.qmd`` into ``reports/_generated/report.md`` (offline path)."""
    src = paths.reports / "index.qmd"
    text = expand_includes(src.read_text("utf-8"), paths.reports)
    out = paths.reports / GENERATED / "report.md"
    out.write_text(text, "utf-8")
    return out
