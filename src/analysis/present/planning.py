"""Appendix "Planning van meting N+1": power curves, the power table and computed sentences.

Every number and every word that depends on the study (outcomes, months, locations, changes,
counts of simulations, warnings) is computed from the power table; nothing is typed in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.models.planning import OUTCOME_LABELS
from analysis.present import figures
from analysis.present import format as nf


def pct(x: float, decimals: int = 0) -> str:
    """``0.123`` -> ``"12%"`` (decimal comma in Dutch)."""
    return nf.number(100 * x, decimals) + "%"


def months_text(m: int) -> str:
    """``1 maand`` / ``6 maanden``."""
    return f"{m} maand" if m == 1 else f"{m} maanden"


def locations_text(n: int) -> str:
    """``1 locatie`` / ``18 locaties``."""
    return f"{n} locatie" if n == 1 else f"{n} locaties"


def enumerate_nl(items: Sequence[str]) -> str:
    """``a``, ``a en b``, ``a, b en c``."""
    items = list(items)
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " en " + items[-1]


def change_text(c: float) -> str:
    """``-0.2`` -> ``een daling van 20%``; ``0`` -> ``geen verandering``."""
    if c == 0:
        return "geen verandering"
    return f"een {'daling' if c < 0 else 'stijging'} van {pct(abs(c))}"


def power_figure(
    power: pd.DataFrame, stem: Path, *, synthetic: bool = False, target: float = 0.8, alpha: float = 0.05
) -> figures.FigurePaths:
    """Power against the decline, one line per design (months x locations), one panel per outcome.

    Error bars are the Monte Carlo 95% intervals; the dashed lines mark the target power and
    the test level (the value at zero change is the type-I error).
    """
    outcomes = list(dict.fromkeys(power["outcome"]))
    with figures.style():
        fig, axes = plt.subplots(1, len(outcomes), figsize=(5.2 * len(outcomes), 3.8), squeeze=False)
        for ax, o in zip(axes[0], outcomes):
            g = power[power["outcome"] == o]
            for i, ((m, n), d) in enumerate(g.groupby(["months", "locations"], sort=True)):
                d = d.sort_values("change", ascending=False)
                x = -100 * d["change"].to_numpy(float)
                y = d["power"].to_numpy(float)
                err = np.vstack([y - d["ci_low"].to_numpy(float), d["ci_high"].to_numpy(float) - y])
                colour = figures.PALETTE[i % len(figures.PALETTE)]
                ax.errorbar(
                    x,
                    y,
                    yerr=err,
                    marker="os^Dv"[i % 5],
                    color=colour,
                    capsize=3,
                    linewidth=1.5,
                    label=f"{months_text(int(m))}, {locations_text(int(n))}",
                )
            ax.axhline(target, color="#5e5e5e", linestyle="--", linewidth=0.8)
            ax.axhline(alpha, color="#b22222", linestyle=":", linewidth=0.8)
            ax.set_ylim(0, 1.02)
            ax.set_xlabel("verwachte daling ten opzichte van de laatste meting (%)")
            ax.set_ylabel("onderscheidend vermogen (power)")
            ax.yaxis.set_major_formatter(figures.number_formatter("nl", 1))
            ax.set_title(OUTCOME_LABELS[o], fontsize=10)
            ax.grid(axis="y")
            ax.legend(title="per meting", fontsize=8, title_fontsize=8, loc="lower right")
        fig.tight_layout()
        return figures.save(fig, stem, synthetic=synthetic)


SHORT_LABELS: dict[str, str] = {"count": "aantal", "duration": "duur", "isolation": "isoleerruimte"}
"""Short outcome names for the narrow table column."""


def power_display(power: pd.DataFrame) -> pd.DataFrame:
    """The power table with short Dutch headers and formatted intervals (fits a PDF page)."""
    p = power.sort_values(["outcome", "months", "locations", "change"], ascending=[True, True, True, False])
    return pd.DataFrame(
        {
            "Uitkomst": p["outcome"].map(SHORT_LABELS),
            "Maanden": p["months"].astype(int),
            "Locaties": p["locations"].astype(int),
            "Verandering": [("0%" if c == 0 else ("-" if c < 0 else "+") + pct(abs(c))) for c in p["change"]],
            "Power": [pct(x, 1) for x in p["power"]],
            "95%-interval": [f"{pct(a, 1)} - {pct(b, 1)}" for a, b in zip(p["ci_low"], p["ci_high"])],
            "Waarsch./mislukt": [f"{w}/{f}" for w, f in zip(p["n_warning"], p["n_failed"])],
        }
    )


def type1_sentence(power: pd.DataFrame, alpha: float = 0.05) -> str:
    """How far the rejection rate at zero change is from ``alpha`` (per outcome)."""
    zero = power[power["change"] == 0]
    if zero.empty:
        return "Deze studie bevat geen ontwerp zonder verandering; de type-I-fout is niet gecontroleerd."
    parts, outside = [], []
    for r in zero.itertuples():
        parts.append(
            f"{pct(r.power, 1)} van de simulaties bij {months_text(int(r.months))} per meting en "
            f"{locations_text(int(r.locations))} ({OUTCOME_LABELS[r.outcome]})"
        )
        if not (r.ci_low <= alpha <= r.ci_high):
            outside.append(r)
    verdict = (
        "Het nominale niveau van " + pct(alpha) + " ligt bij elk ontwerp binnen het Monte-Carlo-interval."
        if not outside
        else f"Bij {len(outside)} van de {len(zero)} ontwerpen ligt {pct(alpha)} buiten het "
        "Monte-Carlo-interval; daar is de toets niet op zijn nominale niveau en zijn de "
        "power-waarden minder betrouwbaar."
    )
    return (
        f"Zonder verandering vindt de toets ten onrechte een verschil (de type-I-fout) in "
        f"{enumerate_nl(parts)}. {verdict}"
    )


def answer_sentences(power: pd.DataFrame, mdc: pd.DataFrame, target: float = 0.8) -> str:
    """One sentence per design: the power for each studied decline and the minimal detectable decline."""
    out = []
    for (o, m, n), g in power[power["change"] < 0].groupby(["outcome", "months", "locations"], sort=True):
        g = g.sort_values("change", ascending=False)
        bits = [
            f"{pct(r.power)} bij {change_text(r.change)} (95%-interval {pct(r.ci_low)} - {pct(r.ci_high)})"
            for r in g.itertuples()
        ]
        row = mdc[(mdc["outcome"] == o) & (mdc["months"] == m) & (mdc["locations"] == n)]
        if len(row) and bool(row["reached"].iloc[0]):
            tail = (
                f" De kleinste daling die met {pct(target)} kans wordt gezien, is ongeveer "
                f"{pct(float(row['mdc'].iloc[0]))}."
            )
        else:
            tail = f" Geen van de onderzochte dalingen wordt met {pct(target)} kans gezien."
        out.append(
            f"- **{OUTCOME_LABELS[o]}, {months_text(int(m))} per meting, {locations_text(int(n))}**: "
            f"de kans om de daling te zien is {enumerate_nl(bits)}.{tail}"
        )
    return "\n".join(out)


def quality_sentence(power: pd.DataFrame, skipped: dict[str, str]) -> str:
    """How many refits warned or failed, and which outcomes were not simulated and why."""
    total = int(power["nsim"].sum())
    warn, fail = int(power["n_warning"].sum()), int(power["n_failed"].sum())
    s = (
        f"Van de {total} heranalyses {'gaf' if warn == 1 else 'gaven'} er {warn} een waarschuwing "
        f"(bijvoorbeeld een variantie tussen locaties die op nul uitkomt) en "
        f"{'mislukte' if fail == 1 else 'mislukten'} er {fail}; mislukte heranalyses tellen als 'niet gezien'."
    )
    if warn == 0 and fail == 0:
        s = f"Alle {total} heranalyses convergeerden zonder waarschuwing."
    for o, why in skipped.items():
        s += f" De uitkomst {OUTCOME_LABELS[o]} is niet gesimuleerd: {why}."
    return s
