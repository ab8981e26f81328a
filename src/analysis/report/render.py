"""Render the report: executed notebooks + results -> ``reports/_output/report.{html,pdf}``.

Two renderers share one set of sources (``reports/index.qmd`` plus the parts generated into
``_generated/`` of a staged copy under ``<build>/report-project/reports/``): Quarto when it is installed, otherwise the offline path with pandoc
(``pypandoc-binary``) and Typst (``typst`` on PyPI).

Public API: :func:`render`, :func:`available_renderers`.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

from analysis.core.paths import Paths

#: Files outside ``reports/`` that the Quarto project refers to (kept at the same relative path).
PROJECT_FILES = ("_quarto.yml", "src/analysis/report/resources/report.css")

RENDERERS = ("quarto", "pandoc")
last_timings: dict[str, float] = {}


def available_renderers() -> list[str]:
    """Renderers that can run on this machine, preferred first (``quarto``, ``pandoc``)."""
    from analysis.report import quarto

    found = []
    if quarto.quarto_path():
        found.append("quarto")
    try:
        import pypandoc  # noqa: F401
        import typst  # noqa: F401

        found.append("pandoc")
    except ImportError:
        pass
    return found


def stage(paths: Paths) -> tuple[Paths, Path]:
    """Copy the report sources into ``<build>/report-project`` and return paths that use it.

    The generated parts (``_generated/``) are then written inside the build folder, so two
    builds (say, the test suite and a user's report) never overwrite each other's parts, and
    the source tree stays clean.

    Returns
    -------
    tuple of (Paths, Path)
        Paths whose ``reports`` is the staged copy, and the staged project root.
    """
    project = paths.build / "report-project"
    if project.exists():
        shutil.rmtree(project)
    shutil.copytree(
        paths.reports,
        project / "reports",
        ignore=shutil.ignore_patterns("_generated", "_output", ".gitignore"),
    )
    for rel in PROJECT_FILES:
        src = paths.root / rel
        if src.exists():
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, project / rel)
    return dataclasses.replace(paths, reports_dir=project / "reports"), project


def _choose(renderer: str) -> str:
    avail = available_renderers()
    if renderer == "auto":
        if not avail:
            raise RuntimeError("no renderer: install Quarto or the Python packages pypandoc-binary and typst")
        return avail[0]
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be auto, quarto or pandoc, not {renderer!r}")
    if renderer not in avail:
        raise RuntimeError(f"renderer {renderer!r} is not available here (available: {avail})")
    return renderer


def render(
    paths: Paths, *, renderer: str = "auto", synthetic: bool, context: dict | None = None
) -> dict[str, Path]:
    """Render the report to self-contained HTML and PDF.

    Parameters
    ----------
    paths : Paths
        Project paths (executed notebooks in ``paths.executed_notebooks``, results in
        ``paths.results``, processed data in ``paths.processed``).
    renderer : {"auto", "quarto", "pandoc"}
        ``auto`` uses Quarto when on PATH, else pandoc + Typst.
    synthetic : bool
        The build used the synthetic twin: the title page (and page headers) carry the banner.
    context : dict, optional
        Facts for the title page and appendix F (``commit``, ``stage_times``,
        ``measurements_text``).

    Returns
    -------
    dict
        ``{'html': reports/_output/report.html, 'pdf': reports/_output/report.pdf}``.
        Timings of the last call are in ``analysis.report.render.last_timings`` (seconds).

    Raises
    ------
    analysis.report.notebook_md.NotebookError
        A chapter notebook contains an error output.
    """
    from analysis.report import assemble
    from analysis.report import pandoc_typst
    from analysis.report import quarto

    chosen = _choose(renderer)
    t0 = time.perf_counter()
    ctx = {**(context or {}), "renderer": "Quarto" if chosen == "quarto" else "pandoc + Typst (offline)"}
    paths, project = stage(paths)
    assemble.prepare(paths, synthetic=synthetic, context=ctx)
    timings = {"prepare": time.perf_counter() - t0}
    out = paths.report_output
    out.mkdir(parents=True, exist_ok=True)
    if chosen == "quarto":
        staged, t = quarto.render(project, project / "reports" / "_output")
        files = {k: Path(shutil.copy2(v, out / v.name)) for k, v in staged.items()}
        timings.update(t)
    else:
        src = assemble.document(paths)
        meta = src.parent / "_meta.yml"
        files = {"html": out / "report.html", "pdf": out / "report.pdf"}
        # HTML and PDF are independent (pandoc in a child process, Typst outside the GIL's
        # way mostly): side by side they use both cores at the end of a build.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            html = pool.submit(pandoc_typst.to_html, src, meta, files["html"], reports=paths.reports)
            pdf = pool.submit(pandoc_typst.to_pdf, src, meta, files["pdf"], reports=paths.reports)
            timings["html"], timings["pdf"] = html.result(), pdf.result()
    timings["total"] = time.perf_counter() - t0
    last_timings.clear()
    last_timings.update(timings)
    return files
