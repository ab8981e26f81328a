"""One figure style for the whole compendium (report chapters and factsheets).

Design choices, so every figure reads the same way:

* a category keeps its colour AND hatch in every figure (reason "Agressie" looks the same in
  Figures 2, 6 and 8): both are properties of the category in the codebook
  (``codebook/datapackage.json``), never a position in a list;
* colours differ in lightness and carry a hatch, so the figures survive greyscale printing;
* the missing category ("Niet ingevuld") is always light grey with a dotted hatch and last;
* bars carry their percentage and n; numbers use a decimal comma in Dutch;
* figures from the synthetic twin carry a diagonal watermark and say so in their caption;
* every figure is saved twice with one stem: SVG for HTML, PNG at 200 dpi for PDF (the
  factsheet chart only as SVG: both its formats use the SVG).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import matplotlib

matplotlib.use("Agg")  # figures are files; never open a window (also in papermill kernels)
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from analysis import SYNTHETIC_BANNER, codebook
from analysis.core.months import shift
from analysis.present import format as nf
from analysis.present import text as tx
from analysis.present.display import MAX_LOCATIONS_INLINE

DPI = 200
MISSING_CODE = "na"
#: Colour-blind-safe colours for figure elements that are not categories (bars of counts,
#: trend lines, the latest month of a factsheet). Category colours live in the codebook.
PALETTE = ["#1f4e79", "#e69f00", "#56b4e9", "#7a2e55", "#009e73", "#f0e442", "#5e5e5e"]
MISSING_COLOUR, MISSING_HATCH = codebook.missing_style()


@dataclass(frozen=True)
class FigurePaths:
    """The files of one figure (same stem); ``png`` is None when only the SVG was saved."""

    svg: Path
    png: Path | None


def category_style(
    code: str | int, field: str | codebook.Field, resource: str = "registraties"
) -> tuple[str, str]:
    """Colour and hatch of a category, as the codebook gives them.

    Parameters
    ----------
    code : str or int
        Category code, or ``"na"`` for 'not registered' (light grey, dotted).
    field : str or codebook.Field
        Codebook field the code belongs to (codes are only unique within a field).
    resource : str
        Codebook resource of ``field`` when it is given by name.

    Returns
    -------
    tuple of (str, str)
        Colour (``#rrggbb``) and matplotlib hatch pattern.
    """
    if str(code) == MISSING_CODE:
        return MISSING_COLOUR, MISSING_HATCH
    f = field if isinstance(field, codebook.Field) else codebook.field(field, resource)
    cat = f.category(int(code))
    return cat.colour, cat.hatch


def _field_of(table: pd.DataFrame, field: str | None, what: str) -> str:
    """Codebook field of a table's ``code`` column: ``field``, else the table's ``attrs``."""
    name = field or table.attrs.get("field")
    if not name:
        raise ValueError(f"{what}: pass field=<codebook field> (the table carries no attrs['field'])")
    return str(name)


def _is_dark(colour: str) -> bool:
    """True when white text reads better than black on ``colour`` (luma of the gamma-encoded RGB below 0.4)."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.4


@contextmanager
def style() -> Iterator[None]:
    """Matplotlib settings shared by all figures (fonts, no top/right spines, light grid)."""
    rc = {
        "font.family": "DejaVu Sans",
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": False,
        "grid.color": "#e0e0e0",
        "grid.linewidth": 0.6,
        "hatch.linewidth": 0.6,
        "hatch.color": "white",
        "svg.fonttype": "none",
        "figure.dpi": 100,
        "svg.hashsalt": "ik-laat-je-niet-alleen",
    }
    with plt.rc_context(rc):
        yield


def number_formatter(decimals: int = 0, suffix: str = "") -> FuncFormatter:
    """Axis tick formatter with the Dutch decimal comma."""
    return FuncFormatter(lambda x, _pos: nf.number(x, decimals) + suffix)


def caption(text: str, *, synthetic: bool = False, n: int | None = None) -> str:
    """Figure caption: the title, the base (N) and the synthetic-data banner when it applies."""
    out = text
    if n is not None:
        out += f" (N = {n})"
    if synthetic:
        out += f". {SYNTHETIC_BANNER}"
    return out


def _watermark(fig: plt.Figure) -> None:
    fig.text(
        0.5,
        0.5,
        SYNTHETIC_BANNER,
        fontsize=20,
        color="#b22222",
        alpha=0.13,
        ha="center",
        va="center",
        rotation=20,
        zorder=100,
    )


def save(fig: plt.Figure, stem: Path, *, synthetic: bool = False, png: bool = True) -> FigurePaths:
    """Save ``fig`` as ``<stem>.svg`` and ``<stem>.png`` (200 dpi) and close it.

    ``png=False`` saves the SVG only, for figures no PDF renderer needs as PNG (the factsheet
    chart: its HTML inlines the SVG and its Typst PDF embeds the SVG too); drawing the PNG is
    the larger part of saving a figure.
    """
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    if synthetic:
        _watermark(fig)
    paths = FigurePaths(stem.with_suffix(".svg"), stem.with_suffix(".png") if png else None)
    # style()'s fixed hash salt and no date keep the SVG identical between runs (incremental builds).
    fig.savefig(paths.svg, bbox_inches="tight", metadata={"Date": None})
    if paths.png is not None:
        fig.savefig(paths.png, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return paths


def _bar_text(pct: float, n: int) -> str:
    return f"{nf.percent(pct)} (n = {n})"


def bar_distribution(
    table: pd.DataFrame,
    stem: Path,
    *,
    synthetic: bool = False,
    xlabel: str | None = None,
    field: str | None = None,
) -> FigurePaths:
    """Horizontal bars of a distribution (``code``, ``label``, ``n``, ``pct``), missing last.

    Horizontal bars leave room for the long Dutch labels; the largest category stands on
    top so the order of the bars is the order of the narrative. ``field`` names the codebook
    field of the codes (default: ``table.attrs["field"]``, set by
    :func:`analysis.describe.categories.distribution`); it gives the colours.
    """
    name = _field_of(table, field, "bar_distribution")
    # a bar needs its count and its share: disclosure control may hide either (a hidden
    # denominator hides every share of the table while small counts stay shown as 0)
    t = table[table["n"].notna() & table["pct"].notna()].copy()
    known = t[t["code"] != MISSING_CODE].sort_values("n", ascending=True)
    t = pd.concat([t[t["code"] == MISSING_CODE], known])
    with style():
        fig, ax = plt.subplots(figsize=(7.2, 0.45 * len(t) + 1.0))
        for y, rec in enumerate(t.itertuples(index=False)):
            colour, hatch = category_style(rec.code, name)
            ax.barh(y, rec.pct, color=colour, hatch=hatch, edgecolor="white", linewidth=0.5)
            ax.text(rec.pct + 0.8, y, _bar_text(rec.pct, int(rec.n)), va="center", fontsize=9)
        ax.set_yticks(range(len(t)), t["label"].tolist())
        # Every bar may be hidden by disclosure control (an empty chart, not an error).
        ax.set_xlim(0, max(float(t["pct"].max()) * 1.3 if len(t) else 0.0, 10))
        ax.xaxis.set_major_formatter(number_formatter(suffix="%"))
        ax.set_xlabel(xlabel or "Percentage van de registraties")
        ax.grid(axis="x")
        ax.set_axisbelow(True)
        return save(fig, stem, synthetic=synthetic)


def bar_per_month(table: pd.DataFrame, stem: Path, *, synthetic: bool = False) -> FigurePaths:
    """Figure 1: registrations per month (``maand``, ``n``) as labelled bars.

    A month hidden by disclosure control (``n`` NaN) has no bar and the mark ``x`` as its label.
    """
    with style():
        fig, ax = plt.subplots(figsize=(7.2, 3.4))
        x = np.arange(len(table))
        counts = pd.to_numeric(table["n"], errors="coerce").astype(float)
        ax.bar(x, counts.fillna(0), color=PALETTE[0], width=0.65)
        for xi, n in zip(x, counts):
            ax.text(
                xi,
                0 if np.isnan(n) else n,
                "x" if np.isnan(n) else f"{int(n)}",
                ha="center",
                va="bottom",
                fontsize=9,
            )
        ax.set_xticks(x, [nf.month(m) for m in table["maand"]])
        ax.set_ylabel("Aantal afzonderingen")
        ax.set_ylim(0, float(counts.fillna(0).max()) * 1.15 + 1)
        ax.grid(axis="y")
        ax.set_axisbelow(True)
        return save(fig, stem, synthetic=synthetic)


def _base(value: object) -> str:
    """A group's base in a label: the count, or "x" when disclosure control hid it."""
    return "x" if pd.isna(value) else str(int(value))  # type: ignore[arg-type]


def stacked_by_group(
    table: pd.DataFrame,
    stem: Path,
    *,
    group: str = "reason_code",
    group_label: str = "reason_label",
    synthetic: bool = False,
    legend_title: str | None = None,
    field: str | None = None,
) -> FigurePaths:
    """Figure 6: 100% stacked bars, one per group (reason), segments per category (room).

    Missing-category rows (``code == "na"``, ``pct`` NaN) are left out of the bars, as in
    the report; the group label shows the base (n) of each bar. ``field`` is the codebook
    field of the segments (default: ``table.attrs["field"]``).
    """
    name = _field_of(table, field, "stacked_by_group")
    t = table[(table["code"] != MISSING_CODE) & (table[group] != MISSING_CODE)]
    groups = list(dict.fromkeys(t[group]))[::-1]
    with style():
        fig, ax = plt.subplots(figsize=(7.6, 0.55 * len(groups) + 1.6))
        for y, g in enumerate(groups):
            left = 0.0
            for rec in t[t[group] == g].itertuples(index=False):
                pct = 0.0 if pd.isna(rec.pct) else float(rec.pct)
                colour, hatch = category_style(rec.code, name)
                ax.barh(
                    y,
                    pct,
                    left=left,
                    color=colour,
                    hatch=hatch,
                    edgecolor="white",
                    linewidth=0.5,
                    label=rec.label if y == 0 else None,
                )
                if pct >= 7:
                    dark = _is_dark(colour)
                    ax.text(
                        left + pct / 2,
                        y,
                        nf.percent(pct),
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if dark else "black",
                        bbox=None
                        if dark
                        else dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.7),
                    )
                left += pct
        labels = []
        for g in groups:
            sub = t[t[group] == g]
            labels.append(f"{sub[group_label].iloc[0]} (n = {_base(sub['denominator'].iloc[0])})")
        ax.set_yticks(range(len(groups)), labels)
        ax.set_xlim(0, 100)
        ax.xaxis.set_major_formatter(number_formatter(suffix="%"))
        # Legend under the axis (in axis coordinates, scaled so the gap does not grow with groups).
        ax.legend(
            title=legend_title,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.25 / len(groups) ** 0.5),
            ncol=3,
            frameon=False,
            fontsize=9,
        )
        return save(fig, stem, synthetic=synthetic)


def bar_per_hour(table: pd.DataFrame, stem: Path, *, synthetic: bool = False) -> FigurePaths:
    """Figure 7: registrations by start hour (``hour``, ``n``)."""
    with style():
        fig, ax = plt.subplots(figsize=(7.6, 3.4))
        # A bar spans its hour (08:00-09:00), so ticks sit on the hour boundaries.
        ax.bar(table["hour"], table["n"], color=PALETTE[0], width=0.9, align="edge")
        ax.set_xticks(range(0, 25, 2), [f"{h:02d}:00" for h in range(0, 25, 2)], fontsize=8)
        ax.set_xlim(0, 24)
        ax.set_xlabel("Uur van aanvang")
        ax.set_ylabel("Aantal afzonderingen")
        ax.grid(axis="y")
        ax.set_axisbelow(True)
        return save(fig, stem, synthetic=synthetic)


def hour_by_group(
    table: pd.DataFrame,
    stem: Path,
    *,
    group: str = "reason_code",
    group_label: str = "reason_label",
    synthetic: bool = False,
    group_field: str = "aanleiding",
) -> FigurePaths:
    """Figure 8: start hour per reason as small multiples (share of the reason per hour).

    ``group_field`` is the codebook field of the groups' codes (it gives their colours).

    Separate panels with their own y-axis keep small reasons (staffing: a handful of
    registrations) readable next to the large ones; the panel title gives n.
    """
    t = table[table[group] != MISSING_CODE]
    groups = list(dict.fromkeys(t[group]))
    ncol = 3
    nrow = int(np.ceil(len(groups) / ncol))
    with style():
        fig, axes = plt.subplots(nrow, ncol, figsize=(8.0, 2.3 * nrow + 0.4), sharex=True)
        for ax, g in zip(np.ravel(axes), groups):
            sub = t[t[group] == g]
            colour, hatch = category_style(g, group_field)
            ax.bar(
                sub["hour"],
                sub["pct"].fillna(0),
                color=colour,
                hatch=hatch,
                edgecolor="white",
                linewidth=0.3,
                width=0.9,
                align="edge",
            )
            ax.set_title(f"{sub[group_label].iloc[0]} (n = {_base(sub['denominator'].iloc[0])})", fontsize=9)
            ax.yaxis.set_major_formatter(number_formatter(suffix="%"))
            ax.set_xticks(range(0, 25, 6), [f"{h:02d}:00" for h in range(0, 25, 6)], fontsize=8)
            ax.set_xlim(0, 24)
            ax.tick_params(axis="y", labelsize=8)
        for ax in np.ravel(axes)[len(groups) :]:
            ax.set_visible(False)
        fig.supxlabel("Uur van aanvang", fontsize=9)
        fig.supylabel("Percentage binnen aanleiding", fontsize=9)
        fig.tight_layout()
        return save(fig, stem, synthetic=synthetic)


# --- chapter 3: residuals, change over time, location effects ---------------------------------
def residual_figure(
    diag,
    stem: Path,
    *,
    title: str,
    first_month: str,
    month_centre: float,
    group_labels: dict[str, str] | None = None,
    synthetic: bool = False,
) -> FigurePaths:
    """Two panels of simulated scaled residuals: QQ against uniform; residuals per month.

    Parameters
    ----------
    diag : analysis.models.diagnostics.Diagnostics
    stem : Path
        Output stem (SVG and PNG).
    title : str
        Dutch description of the model (e.g. ``Aantal, maand × meting``).
    first_month, month_centre
        Calendar month of month index 0 and the centring constant (month labels ``sep 2020``).
    group_labels : dict, optional
        Labels of the categories of a model without ``month`` (``agressie|2`` -> ``Agressie, m2``);
        such a model gets residuals per category in the second panel (never an empty panel).
    synthetic : bool
        Synthetic-data watermark.
    """
    with style():
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.6, 3.2), gridspec_kw={"width_ratios": [1, 1.6]})
        r = np.sort(diag.residuals)
        ax1.plot(
            (np.arange(len(r)) + 0.5) / max(len(r), 1), r, ".", ms=2, color=PALETTE[0], rasterized=True
        )  # thousands of vector markers made each SVG about 0.7 MB
        ax1.plot([0, 1], [0, 1], "k-", lw=0.8)
        ax1.set_xlabel("Verwacht (uniforme verdeling)", fontsize=8)
        ax1.set_ylabel("Geschaald residu", fontsize=8)
        ks = nf.number(diag.ks_p, 3) if np.isfinite(diag.ks_p) else "-"
        ax1.set_title(f"Geordende residuen (KS-toets p = {ks})", fontsize=9)
        ax1.xaxis.set_major_formatter(number_formatter(1))
        for ax in (ax1, ax2):
            ax.yaxis.set_major_formatter(number_formatter(2))
            ax.tick_params(labelsize=7)
        if len(diag.month):
            months = np.unique(diag.month)
            groups = [diag.residuals[diag.month == m] for m in months]
            labels = [nf.month(shift(first_month, round(m + month_centre))) for m in months]
            ax2.set_title("Residuen per maand", fontsize=9)
        else:
            cats = list(dict.fromkeys(sorted(map(str, diag.groups))))
            groups = [diag.residuals[diag.groups == c] for c in cats]
            labels = [(group_labels or {}).get(c, c) for c in cats]
            ax2.set_title("Residuen per categorie", fontsize=9)
        # One long frame (group label, residual) so seaborn keeps the groups in our order, even
        # when a label repeats; the boxes summarise, the outliers are in the QQ panel already.
        long = pd.DataFrame(
            {
                "groep": np.repeat(np.arange(len(groups)), [len(g) for g in groups]),
                "residu": np.concatenate(groups) if groups else np.array([], float),
            }
        )
        # seaborn (and the scipy.stats it loads, ~1.5 s) only where a residual figure is drawn:
        # chapters 1-2 and the factsheets import this module but never need it.
        import seaborn as sns

        sns.boxplot(
            data=long,
            x="groep",
            y="residu",
            order=list(range(len(groups))),
            ax=ax2,
            width=0.6,
            showfliers=False,
            color="white",
            linecolor=PALETTE[0],
            linewidth=0.8,
        )
        ax2.set_xticks(np.arange(len(groups)), labels, fontsize=6.5, rotation=60, ha="right")
        ax2.set_xlabel("")
        for q in (0.25, 0.5, 0.75):
            ax2.axhline(q, color="grey", lw=0.6, ls="--")
        ax2.set_ylabel("Geschaald residu", fontsize=8)
        fig.suptitle(title, fontsize=10)
        fig.tight_layout()
        return save(fig, stem, synthetic=synthetic)


def change_figure(
    table: pd.DataFrame,
    stem: Path,
    *,
    ylabel: str,
    meting_label: str = "meting",
    percent: bool = False,
    decimals: int = 1,
    synthetic: bool = False,
) -> FigurePaths:
    """Observed monthly values per measurement with the model's fitted line and 95% band.

    Parameters
    ----------
    table : DataFrame
        :func:`analysis.models.change.change_table` (kind, meting, maand, value, low, high).
    stem : Path
    ylabel : str
        Dutch axis label (what the value is).
    percent : bool
        Values are shares: the axis shows percentages.
    decimals : int
        Decimals of the axis labels.
    synthetic : bool
    """
    months = sorted(table["maand"].astype(str).unique())
    x_of = {m: i for i, m in enumerate(months)}
    scale = 100.0 if percent else 1.0
    with style():
        fig, ax = plt.subplots(figsize=(7.6, 3.4))
        for k, (meting, g) in enumerate(table.groupby("meting", sort=True)):
            colour = PALETTE[k % len(PALETTE)]
            obs = g[g["kind"] == "observed"].sort_values("maand")
            fit = g[g["kind"] == "fitted"].sort_values("maand")
            xo = [x_of[m] for m in obs["maand"]]
            ax.plot(
                xo,
                obs["value"] * scale,
                "o",
                color=colour,
                ms=5,
                label=f"{meting_label.capitalize()} {meting}: waargenomen",
            )
            if len(fit):
                xf = [x_of[m] for m in fit["maand"]]
                ax.plot(
                    xf,
                    fit["value"] * scale,
                    "-",
                    color=colour,
                    lw=1.6,
                    label=f"{meting_label.capitalize()} {meting}: model (95%-BI)",
                )
                ax.fill_between(xf, fit["low"] * scale, fit["high"] * scale, color=colour, alpha=0.18, lw=0)
        step = max(1, len(months) // 12)
        ax.set_xticks(
            range(0, len(months), step),
            [nf.month(m) for m in months][::step],
            fontsize=8,
            rotation=45,
            ha="right",
        )
        ax.set_ylabel(ylabel, fontsize=9)
        ax.yaxis.set_major_formatter(number_formatter(decimals, "%" if percent else ""))
        ax.set_ylim(bottom=0)
        ax.grid(axis="y")
        ax.set_axisbelow(True)
        ax.legend(fontsize=7.5, frameon=False, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.3))
        return save(fig, stem, synthetic=synthetic)


def location_selection(
    effects: pd.DataFrame, limit: int = MAX_LOCATIONS_INLINE, *, by: str = "exp_est", group: str = "model_id"
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The locations a per-location figure shows: all, or ``limit`` spread over the rank order.

    Rule (per ``group``, e.g. per model): with at most ``limit`` locations every one; with more,
    ``limit`` locations at evenly spaced positions of the order of ``by``, always the lowest and
    the highest. The figure then keeps its shape (the spread from lowest to highest) and its
    size, and stays readable with a label per location; the full table is the results CSV.

    Parameters
    ----------
    effects : DataFrame
        One row per group and location.
    limit : int
        :data:`analysis.present.display.MAX_LOCATIONS_INLINE`.
    by, group : str
        Column that orders the locations; column that names the panel.

    Returns
    -------
    (DataFrame, dict)
        The rows shown (in the input's order) and, per group above the limit, its number of
        locations (empty when nothing was left out).
    """
    keep = np.zeros(len(effects), dtype=bool)
    totals: dict[str, int] = {}
    values = effects[by].to_numpy()
    for key, rows in effects.groupby(group, sort=False).indices.items():
        if len(rows) <= limit:
            keep[rows] = True
            continue
        ordered = rows[np.argsort(values[rows], kind="mergesort")]
        # limit positions from first to last, at least one apart (len(rows) > limit)
        keep[ordered[np.round(np.linspace(0, len(rows) - 1, limit)).astype(int)]] = True
        totals[str(key)] = len(rows)
    return effects[keep], totals


def location_selection_caption(totals: dict[str, int], limit: int = MAX_LOCATIONS_INLINE) -> str:
    """Caption sentence for :func:`location_selection` (empty when every location is shown).

    No final full stop: :func:`caption` may add the synthetic-data banner after it.
    """
    if not totals:
        return ""
    models = tx.count(len(totals), "model", "modellen")
    most = tx.count(max(totals.values()), "locatie", "locaties")
    return (
        f"Bij meer dan {tx.count(limit, 'locatie', 'locaties')} toont een paneel er {limit}, "
        "op gelijke afstand in de rangorde van de afwijking, steeds met de laagste en de hoogste "
        f"({models} met meer locaties, tot {most}); de afwijkingen van alle locaties staan in de "
        "gegevens bij de figuur"
    )


def caterpillar_figure(
    effects: pd.DataFrame,
    stem: Path,
    *,
    titles: dict[str, str],
    xlabels: dict[str, str],
    synthetic: bool = False,
) -> FigurePaths:
    """Location effects with 95% intervals, one panel per model, locations sorted by effect.

    Parameters
    ----------
    effects : DataFrame
        :func:`analysis.models.change.location_effects` (model_id, locatie, exp_est, exp_low,
        exp_high); the ratio scale is shown on a log axis with 1 = an average location.
    stem : Path
    titles, xlabels : dict
        Dutch panel title and axis label per model id.
    synthetic : bool
    """
    import textwrap

    from matplotlib.ticker import LogLocator

    models = list(dict.fromkeys(effects["model_id"]))
    n_loc = int(effects.groupby("model_id").size().max()) if len(effects) else 1
    ncol = min(2, max(len(models), 1))
    nrow = int(np.ceil(len(models) / ncol)) if models else 1
    with style():
        fig, axes = plt.subplots(nrow, ncol, figsize=(7.6, nrow * (0.2 * n_loc + 1.5)), squeeze=False)
        for ax, mid in zip(axes.ravel(), models):
            g = effects[effects["model_id"] == mid].sort_values("exp_est")
            y = np.arange(len(g))
            ax.errorbar(
                g["exp_est"],
                y,
                xerr=[g["exp_est"] - g["exp_low"], g["exp_high"] - g["exp_est"]],
                fmt="o",
                ms=3,
                color=PALETTE[0],
                ecolor="#9e9e9e",
                elinewidth=1,
            )
            ax.axvline(1, color="black", lw=0.7, ls="--")
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(
                FuncFormatter(lambda x, _p: nf.number(x, 0 if x >= 10 else (1 if x >= 0.1 else 2)))
            )
            ax.xaxis.set_minor_formatter(FuncFormatter(lambda *_: ""))
            ax.set_yticks(y, g["locatie"].tolist(), fontsize=7)
            ax.set_title(textwrap.fill(titles.get(mid, mid), 45), fontsize=8.5)
            ax.set_xlabel(xlabels.get(mid, ""), fontsize=8)
            ax.tick_params(axis="x", labelsize=7)
        for ax in axes.ravel()[len(models) :]:
            ax.set_visible(False)
        fig.tight_layout()
        return save(fig, stem, synthetic=synthetic)
