"""Location factsheets (Bijlage 5): one papermill run of ``notebooks/factsheet.ipynb`` per
location, in parallel, each rendered to ``<build>/factsheets/<LOC>.html`` and ``.pdf``.

Flow per location: the notebook (parameters: processed dir, location, measurement, period,
minimum cell size, language, build folder) computes the disclosure-controlled content with
:func:`analysis.describe_location.factsheet`, writes it to ``<build>/factsheets/_work/<LOC>.json``
with the month chart (:func:`plot_months`) and shows it with :mod:`analysis.display`; then
:func:`render` turns the JSON into a self-contained HTML page and, through the Typst template
in ``resources/factsheet/``, a one-page A4 PDF. Both formats are made from the same JSON, so
they show the same numbers, and the JSON holds nothing that disclosure control hid.

The render package had no Typst helper for single documents when this was written, so
:func:`render_pdf` calls the ``typst`` Python binding directly (offline, no LaTeX).
"""

from __future__ import annotations

import html
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from functools import partial
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any, Sequence

import pandas as pd

from analysis import SYNTHETIC_BANNER
from analysis import describe_location as dl
from analysis import disclosure as dc
from analysis import measurements as measurements_mod
from analysis.hashing import file_digest, frame_digest, json_digest, tree_digest
from analysis.incremental import Runner, Step, StepResult
from analysis.paths import Paths

NOTEBOOK = "factsheet.ipynb"
WORKERS = 2
#: Package sources a factsheet depends on (relative to ``src/analysis``).
SOURCES = ["factsheets.py", "describe_location.py", "disclosure.py", "figures.py", "display.py",
           "codebook.py", "params.py", "run.py", "kernel.py", "describe", "resources/factsheet",
           "resources/datapackage.json"]

# "spawn", not "fork": the parent may hold threads (ZeroMQ of Jupyter kernels, R), and a
# forked child can deadlock on a lock one of those threads held at the fork.
_SPAWN = multiprocessing.get_context("spawn")


def resource_text(name: str) -> str:
    """A file of ``analysis/resources/factsheet``."""
    return resources.files("analysis").joinpath(f"resources/factsheet/{name}").read_text("utf-8")


def work_dir(paths: Paths) -> Path:
    """Intermediate files (content JSON, chart) of the factsheets."""
    return paths.factsheets / "_work"


# --- one location ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    """Everything one factsheet run needs (picklable, for the process pool)."""

    paths: Paths
    location: str
    measurement: int
    first_month: str
    last_month: str
    min_cell_size: int = 5
    lang: str = "nl"

    def parameters(self) -> dict[str, Any]:
        """Values for the notebook's ``parameters`` cell."""
        return {"data_dir": str(self.paths.processed), "location": self.location,
                "meting": self.measurement, "first_month": self.first_month,
                "last_month": self.last_month, "min_cell_size": self.min_cell_size,
                "lang": self.lang, "output_dir": str(self.paths.build),
                "params_dir": str(self.paths.params)}

    @property
    def outputs(self) -> list[Path]:
        """The HTML and the PDF."""
        return [self.paths.factsheets / f"{self.location}.{ext}" for ext in ("html", "pdf")]


def run_job(job: Job) -> float:
    """Execute the notebook for one location and render it; returns wall seconds."""
    from analysis import run as run_mod

    t0 = time.perf_counter()
    target = job.paths.executed_notebooks / "factsheets" / f"{job.location}.ipynb"
    run_mod.execute(job.paths.notebooks / NOTEBOOK, target, job.parameters(), cwd=job.paths.root)
    render(job.paths, job.location)
    return time.perf_counter() - t0


def plot_months(sheet: dict[str, Any], stem: Path, *, synthetic: bool, lang: str = "nl") -> Any:
    """Registrations per month (latest highlighted) and the rate per 10 youths vs national.

    Hidden months have no bar and show the suppression mark; their rate is left out.
    """
    import matplotlib.pyplot as plt

    from analysis import figures

    months = sheet["months"]
    x = list(range(len(months)))
    colours = [figures.PALETTE[1] if m["latest"] else "#8aa9c9" for m in months]
    with figures.style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(7.6, 2.7), gridspec_kw={"wspace": 0.28})
        heights = [m["n"] or 0 for m in months]
        left.bar(x, heights, color=colours, width=0.68)
        top = max(heights + [1])
        for xi, m in zip(x, months):
            left.text(xi, (m["n"] or 0) + top * 0.02, m["text"], ha="center", va="bottom", fontsize=8,
                      fontweight="bold" if m["latest"] else "normal")
        left.set_ylim(0, top * 1.18)
        left.set_title("Registraties per maand" if lang == "nl" else "Registrations per month",
                       fontsize=9, loc="left")
        rate = [float("nan") if m["rate"] is None else m["rate"] for m in months]
        nat = [float("nan") if m["national_rate"] is None else m["national_rate"] for m in months]
        right.plot(x, nat, color="#7f7f7f", linestyle="--", linewidth=1.2, marker="s", markersize=3,
                   label="landelijk" if lang == "nl" else "national")
        right.plot(x, rate, color=figures.PALETTE[0], linewidth=1.6, marker="o", markersize=4,
                   label=sheet["location"])
        if months[-1]["rate"] is not None:
            right.plot([x[-1]], [rate[-1]], "o", color=figures.PALETTE[1], markersize=7, zorder=5)
        ymax = max([v for v in rate + nat if v == v] + [1])
        right.set_ylim(0, ymax * 1.4)  # room for the legend above the lines
        right.yaxis.set_major_formatter(figures.number_formatter(lang, 1 if ymax < 3 else 0))
        right.set_title("Per 10 jongeren per maand" if lang == "nl" else "Per 10 youths per month",
                        fontsize=9, loc="left")
        right.legend(frameon=False, fontsize=7.5, loc="upper right", ncol=2, borderaxespad=0.1)
        for ax in (left, right):
            ax.set_xticks(x, [m["label"].split(" ")[0] for m in months], fontsize=8)
            ax.tick_params(axis="y", labelsize=8)
            ax.grid(axis="y")
            ax.set_axisbelow(True)
        return figures.save(fig, stem, synthetic=synthetic, png=False)  # HTML and PDF use the SVG


# --- rendering ------------------------------------------------------------------------------
def _html_table(columns: Sequence[str], rows: Sequence[Sequence[str]], total: Sequence[str] | None = None,
                groups: Sequence[tuple[str, int]] | None = None) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    if groups:
        top = "".join(f"<th colspan='{span}'>{html.escape(g)}</th>" for g, span in groups)
        head = f"{top}</tr><tr class='sub'>{head}"
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>" for r in rows)
    if total:
        body += "<tr class='total'>" + "".join(f"<td>{html.escape(v)}</td>" for v in total) + "</tr>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def item_columns(sheet: dict[str, Any], flat: bool = False) -> list[str]:
    """Column headings of the distribution tables (``flat``: one header row, for markdown)."""
    if flat:
        return ["Categorie", f"n {sheet['latest']}", f"% {sheet['latest']}", "n eerder", "% eerder",
                "% landelijk"]
    return ["", "n", "%", "n", "%", "%"]


def item_groups(sheet: dict[str, Any]) -> list[tuple[str, int]]:
    """Upper header row of the distribution tables: (text, columns spanned)."""
    return [("", 1), (sheet["latest"], 2), ("Eerder", 2), ("Landelijk", 1)]


def render_html(sheet: dict[str, Any], svg: str) -> str:
    """Self-contained HTML page of one factsheet (chart inlined as SVG)."""
    keys = "".join(
        f"<div class='key'><div class='label'>{html.escape(k['label'])}</div>"
        f"<div class='value'>{html.escape(k['value'])}</div>"
        f"<div class='sub'>{html.escape(k['sub'])}</div></div>" for k in sheet["key_figures"])
    tables = "".join(
        f"<section><h3>{html.escape(t['title'])}</h3>{_html_table(item_columns(sheet), t['rows'], t['total'], item_groups(sheet))}</section>"
        for t in sheet["tables"])
    banner = f"<div class='banner'>{html.escape(sheet['banner'])}</div>" if sheet.get("banner") else ""
    svg = svg[svg.find("<svg"):]  # drop the XML prolog: the SVG is inlined
    return Template(resource_text("factsheet.html")).substitute(
        title=html.escape(sheet["title"]), subtitle=html.escape(sheet["subtitle"]), banner=banner,
        keys=keys, chart=svg, indicators=_html_table(sheet["indicators"]["columns"], sheet["indicators"]["rows"]),
        tables=tables, notes="".join(f"<p>{html.escape(n)}</p>" for n in sheet["notes"]),
    )


def render_pdf(sheet: dict[str, Any], svg: str, out: Path) -> Path:
    """One-page A4 PDF through the Typst template (``resources/factsheet/factsheet.typ``)."""
    import typst

    root = Path(str(resources.files("analysis").joinpath("resources/factsheet")))
    data = dict(sheet, item_columns=item_columns(sheet), item_groups=item_groups(sheet))
    typst.compile(str(root / "factsheet.typ"), output=str(out), root=str(root),
                  sys_inputs={"data": json.dumps(data, ensure_ascii=False), "chart": svg})
    return out


def render(paths: Paths, location: str) -> list[Path]:
    """HTML and PDF of one location from its content JSON and chart."""
    work = work_dir(paths)
    sheet = json.loads((work / f"{location}.json").read_text("utf-8"))
    svg = (work / f"{location}-maanden.svg").read_text("utf-8")
    html_path = paths.factsheets / f"{location}.html"
    html_path.write_text(render_html(sheet, svg), encoding="utf-8")
    return [html_path, render_pdf(sheet, svg, paths.factsheets / f"{location}.pdf")]


def is_synthetic(processed: Path) -> bool:
    """``synthetic`` flag of ``ingest_report.json`` (shared reader of the describe package)."""
    from analysis.describe.load import is_synthetic as _is_synthetic

    return _is_synthetic(processed)


def decorate(sheet: dict[str, Any], *, name: str | None, measurement: int, synthetic: bool,
             k: int) -> dict[str, Any]:
    """Add title, subtitle, banner and notes (Dutch) to :func:`describe_location.factsheet`."""
    loc = sheet["location"] + (f" – {name}" if name else "")
    notes = [
        dc.note(k),
        "Per 10 jongeren: registraties gedeeld door de gemiddelde bezetting, maal 10, per maand. "
        "Landelijk: alle locaties van de meting in dezelfde periode. Percentages over alle "
        "registraties, inclusief 'niet ingevuld'. Geen gegevens op het niveau van jongeren.",
    ]
    if sheet.get("inactive"):
        notes.insert(0, "Geen registratie (locatie deed niet mee): " + ", ".join(sheet["inactive"]) + " (–).")
    if synthetic:
        notes.insert(0, SYNTHETIC_BANNER + ".")
    return dict(sheet, title=f"Factsheet gedwongen afzonderen – locatie {loc}",
                subtitle=(f"Meting {measurement}: {sheet['months'][0]['label']} t/m {sheet['latest']}. "
                          f"Laatste maand ({sheet['latest']}) tegenover de maanden ervoor "
                          f"({sheet['earlier']})."),
                banner=SYNTHETIC_BANNER if synthetic else "", notes=notes)


# --- incremental steps -------------------------------------------------------------------------
def code_digest(paths: Paths) -> str:
    """Digest of the package sources and resources a factsheet depends on."""
    pkg = paths.root / "src" / "analysis"
    parts = {}
    for name in SOURCES:
        p = pkg / name
        parts[name] = (tree_digest(p, exclude=["__pycache__"]) if p.is_dir()
                       else file_digest(p) if p.exists() else "absent")
    return json_digest(parts)


def _rows(processed: Path, table: str, measurement: int | None = None) -> pd.DataFrame:
    path = processed / table
    if not path.exists():
        return pd.DataFrame()
    df = pd.read_parquet(path)
    if measurement is not None and "meting" in df.columns:
        df = df[df["meting"] == measurement]
    return df


def latest_measurement(paths: Paths) -> int:
    """Number of the latest measurement in ``params/``."""
    return max(measurements_mod.load_all(paths))


def factsheet_steps(paths: Paths, measurement: int | None = None, *, min_cell_size: int = 5,
                    lang: str = "nl", locations: Sequence[str] | None = None,
                    first_month: str | None = None, last_month: str | None = None) -> list[Step]:
    """One :class:`~analysis.incremental.Step` per location (``factsheet-<LOC>``).

    The inputs of a location's step are exactly what its factsheet shows or is made from:

    * ``registrations`` / ``occupancy`` / ``location``: :func:`~analysis.hashing.frame_digest`
      of THAT location's rows of the measurement (registrations, occupancy, locations table);
    * ``national``: the digest of the national figures *as displayed* (rounded text and
      rounded monthly rates, :func:`analysis.describe_location.national_figures`). Every
      location contributes to them, but a changed export of one location changes them only
      when a displayed (rounded) national number changes. So changing one location's export
      re-runs that location's factsheet alone, unless the national figures shown on all
      factsheets change, in which case all are rebuilt (they would be stale otherwise);
    * ``notebook``, ``code`` (:data:`SOURCES`), ``env`` (``pyproject.toml``), ``params``
      (measurement, period, minimum cell size, language) and ``synthetic`` (the banner).
    """
    from analysis.describe.load import load_measurement

    measurement = measurement if measurement is not None else latest_measurement(paths)
    m = measurements_mod.load_all(paths)[measurement]
    first, last = first_month or m.first_month, last_month or m.last_month
    period = dl.months_between(m.months(), first, last)
    data = load_measurement(paths.processed, measurement, list(period.months))
    national = json_digest(dl.national_figures(data.registrations, data.occupancy, period, lang))
    reg = _rows(paths.processed, "registrations.parquet", measurement)
    occ = _rows(paths.processed, "occupancy.parquet", measurement)
    locs = _rows(paths.processed, "locations.parquet")
    codes = sorted(set(data.locations["locatie"]) | set(reg.get("locatie", pd.Series(dtype=str))))
    if locations:
        unknown = sorted(set(locations) - set(codes))
        if unknown:
            raise ValueError(f"unknown location(s) {unknown}; known: {codes}")
        codes = [c for c in codes if c in set(locations)]
    shared = {"national": national, "notebook": file_digest(paths.notebooks / NOTEBOOK),
              "code": code_digest(paths), "env": file_digest(paths.root / "pyproject.toml"),
              "synthetic": str(data.synthetic),
              "params": json_digest({"meting": measurement, "first": first, "last": last,
                                     "k": min_cell_size, "lang": lang})}
    steps = []
    for loc in codes:
        job = Job(paths, loc, measurement, first, last, min_cell_size, lang)
        inputs = dict(shared,
                      registrations=frame_digest(reg[reg["locatie"] == loc]) if len(reg) else "absent",
                      occupancy=frame_digest(occ[occ["locatie"] == loc]) if len(occ) else "absent",
                      location=frame_digest(locs[locs["locatie"] == loc]) if len(locs) else "absent")
        steps.append(Step(f"factsheet-{loc}", inputs, job.outputs, partial(run_job, job)))
    return steps


def _kernel_log(path: str) -> None:
    """Pool initializer: send the worker's (and its kernels') stderr to a log file.

    Jupyter kernels print start-up and shutdown chatter on stderr, which would tear the
    progress bar; errors still reach the caller as exceptions naming the location.
    """
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)


def run_steps(steps: Sequence[Step], runner: Runner, *, workers: int = WORKERS,
              progress: bool = True, log: Path | None = None) -> list[StepResult]:
    """Run the out-of-date steps in a process pool (``workers`` cores) with a progress bar.

    Up-to-date steps are recorded as skipped; a finished step is recorded through ``runner``
    (so its digest is stored exactly as for a sequential build). A failure is raised after
    the running steps finish.
    """
    from rich.progress import Progress

    todo = [s for s in steps if runner.why(s) is not None]
    results = [runner.run(s) for s in steps if s not in todo]  # up to date: only recorded
    if not todo:
        return results
    errors: list[BaseException] = []
    init = (_kernel_log, (str(log),)) if log is not None else (None, ())
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
    with Progress(disable=not progress, transient=False) as bar, \
            ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=init[0],
                                initargs=init[1], mp_context=_SPAWN) as pool:
        task = bar.add_task(f"factsheets ({len(todo)})", total=len(todo))
        futures = {pool.submit(s.action): s for s in todo}
        for fut in as_completed(futures):
            step = futures[fut]
            try:
                seconds = fut.result()
            except BaseException as exc:  # noqa: BLE001 - re-raised below with the step named
                errors.append(RuntimeError(f"{step.name}: {exc}"))
                continue
            res = runner.run(replace(step, action=lambda: None))
            results.append(StepResult(res.name, True, float(seconds), res.reason))
            bar.advance(task)
    if errors:
        raise errors[0]
    return results


def main(paths: Paths, location: str | None = None, measurement: int | None = None, *,
         force: bool = False, workers: int = WORKERS) -> int:
    """``compendium factsheets [--location CODE] [--measurement N]``: build out-of-date factsheets.

    Returns
    -------
    int
        0 on success (exceptions propagate with the failing location named).
    """
    from rich.console import Console

    console = Console(highlight=False)
    t0 = time.perf_counter()
    steps = factsheet_steps(paths, measurement, locations=[location] if location else None)
    results = run_steps(steps, Runner(paths.state, force=force), workers=workers,
                        log=work_dir(paths) / "kernels.log")
    ran = [r for r in results if r.ran]
    console.print(f"factsheets: {len(ran)} built, {len(results) - len(ran)} up to date, "
                  f"{time.perf_counter() - t0:.1f} s -> {paths.factsheets}")
    return 0
