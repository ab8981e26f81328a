"""Location factsheets (Bijlage 5): content decoration, the month chart and rendering.

:func:`analysis.present.location.factsheet` computes the disclosure-controlled content of one
location; :func:`decorate` adds title, subtitle and notes; :func:`plot_months` draws the
month chart; :func:`render` turns the content JSON (``<build>/factsheets/_work/<LOC>.json``)
into a self-contained HTML page and, through the Typst template in
``resources/factsheet/``, a one-page A4 PDF. Both formats come from the same JSON, so they
show the same numbers, and the JSON holds nothing that disclosure control hid.

:func:`make` is one location's whole factsheet (content, chart, HTML, PDF) as one function
call: the build runs it in worker processes (:mod:`analysis.pipeline.factsheet_steps`, no Jupyter
kernel per location) and ``notebooks/factsheet.ipynb``, the per-location notebook a user can
open and run, calls :func:`content`, the same function the build uses.
"""

from __future__ import annotations

import html
import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any, Sequence

from analysis import SYNTHETIC_BANNER
from analysis.core.params import FactsheetParams
from analysis.core.paths import Paths, location_file  # noqa: F401 - location_file re-exported
from analysis.describe import disclosure as dc
from analysis.present import format as nf


def resource_text(name: str) -> str:
    """A file of ``analysis/resources/factsheet``."""
    return resources.files("analysis.report").joinpath(f"resources/factsheet/{name}").read_text("utf-8")


def work_dir(paths: Paths) -> Path:
    """Intermediate files (content JSON, chart) of the factsheets."""
    return paths.factsheets / "_work"


def plot_months(sheet: dict[str, Any], stem: Path, *, synthetic: bool) -> Any:
    """Registrations per month (latest highlighted) and the rate per 10 youths vs national.

    Hidden months have no bar and show the suppression mark; their rate is left out.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from analysis.present import figures

    months = sheet["months"]
    x = list(range(len(months)))
    colours = [figures.PALETTE[1] if m["latest"] else "#8aa9c9" for m in months]
    with figures.style():
        fig, (left, right) = plt.subplots(1, 2, figsize=(7.6, 2.7), gridspec_kw={"wspace": 0.28})
        heights = [m["n"] or 0 for m in months]
        left.bar(x, heights, color=colours, width=0.68)
        top = max(heights + [1])
        for xi, m in zip(x, months):
            left.text(
                xi,
                (m["n"] or 0) + top * 0.02,
                m["text"],
                ha="center",
                va="bottom",
                fontsize=8,
                fontweight="bold" if m["latest"] else "normal",
            )
        left.set_ylim(0, top * 1.18)
        left.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: whole ticks, no "17.5"
        left.yaxis.set_major_formatter(figures.number_formatter(0))
        left.set_title("Registraties per maand", fontsize=9, loc="left")
        rate = [float("nan") if m["rate"] is None else m["rate"] for m in months]
        nat = [float("nan") if m["national_rate"] is None else m["national_rate"] for m in months]
        right.plot(
            x,
            nat,
            color="#7f7f7f",
            linestyle="--",
            linewidth=1.2,
            marker="s",
            markersize=3,
            label="landelijk",
        )
        right.plot(
            x,
            rate,
            color=figures.PALETTE[0],
            linewidth=1.6,
            marker="o",
            markersize=4,
            label=sheet["location"],
        )
        if months[-1]["rate"] is not None:
            right.plot([x[-1]], [rate[-1]], "o", color=figures.PALETTE[1], markersize=7, zorder=5)
        ymax = max([v for v in rate + nat if v == v] + [1])
        right.set_ylim(0, ymax * 1.4)  # room for the legend above the lines
        if ymax >= 3:  # whole ticks only, else a tick at 2.5 would be labelled "3"
            right.yaxis.set_major_locator(MaxNLocator(integer=True))
        right.yaxis.set_major_formatter(figures.number_formatter(1 if ymax < 3 else 0))
        right.set_title("Per 10 jongeren per maand", fontsize=9, loc="left")
        right.legend(frameon=False, fontsize=7.5, loc="upper right", ncol=2, borderaxespad=0.1)
        for ax in (left, right):
            ax.set_xticks(x, [nf.month(m["month"], year=False) for m in months], fontsize=8)
            ax.tick_params(axis="y", labelsize=8)
            ax.grid(axis="y")
            ax.set_axisbelow(True)
        return figures.save(fig, stem, synthetic=synthetic, png=False)  # HTML and PDF use the SVG


# --- rendering ------------------------------------------------------------------------------
def _html_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    total: Sequence[str] | None = None,
    groups: Sequence[tuple[str, int]] | None = None,
) -> str:
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
        return [
            "Categorie",
            f"n {sheet['latest']}",
            f"% {sheet['latest']}",
            f"n {sheet['earlier']}",
            f"% {sheet['earlier']}",
            f"% landelijk {sheet['national_period']}",
        ]
    return ["", "n", "%", "n", "%", "%"]


def item_groups(sheet: dict[str, Any]) -> list[tuple[str, int]]:
    """Upper header row of the distribution tables: (text, columns spanned)."""
    return [("", 1), (sheet["latest"], 2), (sheet["earlier"], 2), ("Landelijk", 1)]


def render_html(sheet: dict[str, Any], svg: str) -> str:
    """Self-contained HTML page of one factsheet (chart inlined as SVG)."""
    keys = "".join(
        f"<div class='key'><div class='label'>{html.escape(k['label'])}</div>"
        f"<div class='value'>{html.escape(k['value'])}</div>"
        f"<div class='sub'>{html.escape(k['sub'])}</div></div>"
        for k in sheet["key_figures"]
    )
    tables = "".join(
        f"<section><h3>{html.escape(t['title'])}</h3>{_html_table(item_columns(sheet), t['rows'], t['total'], item_groups(sheet))}</section>"
        for t in sheet["tables"]
    )
    banner = f"<div class='banner'>{html.escape(sheet['banner'])}</div>" if sheet.get("banner") else ""
    svg = svg[svg.find("<svg") :]  # drop the XML prolog: the SVG is inlined
    return Template(resource_text("factsheet.html")).substitute(
        title=html.escape(sheet["title"]),
        subtitle=html.escape(sheet["subtitle"]),
        banner=banner,
        keys=keys,
        chart=svg,
        indicators=_html_table(sheet["indicators"]["columns"], sheet["indicators"]["rows"]),
        tables=tables,
        notes="".join(f"<p>{html.escape(n)}</p>" for n in sheet["notes"]),
    )


def render_pdf(sheet: dict[str, Any], svg: str, out: Path) -> Path:
    """One-page A4 PDF through the Typst template (``resources/factsheet/factsheet.typ``)."""
    import typst

    root = Path(str(resources.files("analysis.report").joinpath("resources/factsheet")))
    data = dict(sheet, item_columns=item_columns(sheet), item_groups=item_groups(sheet))
    typst.compile(
        str(root / "factsheet.typ"),
        output=str(out),
        root=str(root),
        sys_inputs={"data": json.dumps(data, ensure_ascii=False), "chart": svg},
    )
    return out


def render(paths: Paths, location: str) -> list[Path]:
    """HTML and PDF of one location from its content JSON and chart.

    Both are written under temporary names and renamed into place, so a killed build never
    leaves a half-written factsheet under its final name.
    """
    work = work_dir(paths)
    sheet = json.loads(location_file(work, location, ".json").read_text("utf-8"))
    svg = location_file(work, location, "-maanden.svg").read_text("utf-8")
    html_path, pdf_path = (
        location_file(paths.factsheets, location, ".html"),
        location_file(paths.factsheets, location, ".pdf"),
    )
    tmp_html, tmp_pdf = (work / f".{location}.html.tmp", work / f".{location}.pdf.tmp")
    tmp_html.write_text(render_html(sheet, svg), encoding="utf-8")
    render_pdf(sheet, svg, tmp_pdf)
    os.replace(tmp_html, html_path)
    os.replace(tmp_pdf, pdf_path)
    return [html_path, pdf_path]


def _stamp(processed: Path) -> tuple:
    """Names, sizes and modification times of the processed files (the cache key's freshness)."""
    return tuple(
        (f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(processed.glob("*")) if f.is_file()
    )


@lru_cache(maxsize=4)
def _cached_data(processed: str, meting: int, months: tuple[str, ...], stamp: tuple) -> Any:
    from analysis.describe.load import load_measurement

    return load_measurement(Path(processed), meting, list(months))


def _measurement_data(processed: Path, meting: int, months: tuple[str, ...]) -> Any:
    """Processed tables of one measurement, read once per worker process for all its locations
    (read again when a processed file changed)."""
    return _cached_data(str(processed), meting, months, _stamp(processed))


def all_locations(data: Any) -> list[str]:
    """Every location of a measurement (locations table and registrations)."""
    return sorted(set(data.locations["locatie"]) | set(data.registrations["locatie"]))


def published_hidden(p: FactsheetParams) -> Any:
    """The build's disclosure decision for the measurement (:class:`analysis.present.publish.Decision`).

    One rule for the factsheets of all locations and every count of the national report's
    chapter 2 and its results CSVs (:func:`analysis.present.publish.decide`), read from the
    build's ``disclosure`` folder when current, else computed and stored there; nothing is
    hidden when ``min_cell_size <= 1``.
    """
    from analysis.present import location as dl
    from analysis.present import publish

    period = dl.Period(tuple(p.months()))
    data = _measurement_data(p.paths().processed, p.meting, period.months)
    return publish.decision_for(p.paths().build, data, period, p.min_cell_size)


def content(p: FactsheetParams, hidden: Sequence[str] | None = None) -> tuple[dict[str, Any], Any]:
    """Content of one location's factsheet: JSON and month chart in ``<build>/factsheets/_work``.

    The disclosure-controlled content (:func:`analysis.present.location.factsheet`) decorated
    with title and notes (:func:`decorate`), written to ``<LOC>.json``, and the month chart
    (:func:`plot_months`). The notebook ``factsheet.ipynb`` and the build both call this.

    ``hidden``: this location's hidden cells from the suppression over every published table
    (the build computes it once for all locations); None: computed here
    (:func:`published_hidden`). Either way the factsheet hides what the national report hides.

    Returns
    -------
    (dict, Any)
        The content and the chart (what :func:`plot_months` returns).
    """
    import pandas as pd

    from analysis.present import location as dl

    paths = p.paths()
    period = dl.Period(tuple(p.months()))
    data = _measurement_data(paths.processed, p.meting, period.months)
    names = data.locations.set_index("locatie")["naam"] if "naam" in data.locations else pd.Series(dtype=str)
    own, national, widened = None, frozenset(), []
    if p.min_cell_size > 1:
        from analysis.present import publish

        decision = published_hidden(p)
        own = frozenset(hidden) if hidden is not None else decision.of(p.location)
        national = decision.national()
        widened = publish.widening_sentences(decision, p.location)
    sheet = dl.factsheet(
        data.registrations,
        data.occupancy,
        location=p.location,
        period=period,
        k=p.min_cell_size,
        locations=data.locations,
        hidden=own if own is not None else (frozenset() if p.min_cell_size <= 1 else None),
        national_hidden=national,
    )
    sheet = decorate(
        sheet,
        name=names.get(p.location),
        measurement=p.meting,
        synthetic=data.synthetic,
        k=p.min_cell_size,
        widened=widened,
    )
    work = work_dir(paths)
    work.mkdir(parents=True, exist_ok=True)
    location_file(work, p.location, ".json").write_text(
        json.dumps(sheet, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    chart = plot_months(sheet, location_file(work, p.location, "-maanden"), synthetic=data.synthetic)
    return sheet, chart


def make(p: FactsheetParams, hidden: Sequence[str] | None = None) -> list[Path]:
    """One location's factsheet from processed data to HTML and PDF (:func:`content`, :func:`render`)."""
    content(p, hidden)
    return render(p.paths(), p.location)


def decorate(
    sheet: dict[str, Any],
    *,
    name: str | None,
    measurement: int,
    synthetic: bool,
    k: int,
    widened: Sequence[str] = (),
) -> dict[str, Any]:
    """Add title, subtitle, banner and notes (Dutch) to :func:`describe_location.factsheet`.

    ``widened``: what disclosure control hid beyond its rule, and why
    (:func:`analysis.present.publish.widening_sentences`); each sentence is a note after the
    one that explains the mark ``x``.
    """
    loc = sheet["location"] + (f" – {name}" if name else "")
    notes = [
        dc.note(k),
        *widened,
        "Per 10 jongeren: registraties gedeeld door de gemiddelde bezetting, maal 10, per maand; "
        "over meer maanden de registraties gedeeld door de opgetelde bezetting van de maanden met "
        "bezetting. Elk cijfer van de locatie telt alleen de maanden waarin zij registreerde of "
        "bezetting had; de kolomkop of tegel noemt die maanden. "
        f"Landelijk: alle locaties van de meting samen, over de maanden die erbij staan (tegels en "
        f"grafiek: dezelfde maand; tabel: {sheet['national_period']}). Percentages over alle "
        "registraties, inclusief 'niet ingevuld'. Geen gegevens op het niveau van jongeren.",
    ]
    if sheet.get("inactive"):
        notes.insert(
            0,
            "Geen registratie en geen bezetting (locatie deed niet mee): "
            + ", ".join(sheet["inactive"])
            + " (–).",
        )
    if synthetic:
        notes.insert(0, SYNTHETIC_BANNER + ".")
    return dict(
        sheet,
        title=f"Factsheet gedwongen afzonderen – locatie {loc}",
        subtitle=(
            f"Meting {measurement}: {sheet['months'][0]['label']} t/m "
            f"{sheet['months'][-1]['label']}; deze locatie: {sheet['whole']} "
            f"({sheet['active_months']} {'maand' if sheet['active_months'] == 1 else 'maanden'}). "
            f"Laatste maand ({sheet['latest']}) tegenover de maanden ervoor "
            f"({sheet['earlier']})."
        ),
        banner=SYNTHETIC_BANNER if synthetic else "",
        notes=notes,
    )
