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

from analysis.present import figures
from analysis.present import format as nf

# Dutch words belong to the present stage: the planning outcomes (keys of
# analysis.models.power.OUTCOMES) named with their scale, for tables and sentences.
OUTCOME_LABELS: dict[str, str] = {
    "count": "aantal afzonderingen per bezette plaats",
    "duration": "duur (geometrisch gemiddelde)",
    "isolation": "kans op de isoleer- of separeerruimte (odds)",
}
"""Dutch names of the outcomes for tables and sentences."""


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
            ax.yaxis.set_major_formatter(figures.number_formatter(1))
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


def sims_text(n: int) -> str:
    """``1 simulatie`` / ``8 simulaties``."""
    return f"{n} simulatie" if n == 1 else f"{n} simulaties"


def mdc_sentence(row: pd.Series | None, nsim: int, target: float = 0.8) -> str:
    """What the simulations say about the smallest decline seen with ``target`` chance.

    Follows the rule of :func:`analysis.models.power.minimal_detectable_change` (``status``):
    a decline is named only where the Monte Carlo intervals put the power on either side of the
    target; otherwise the sentence says it cannot be determined with ``nsim`` simulations.
    """
    from analysis.models.power import MDC_ABOVE, MDC_DETERMINED

    status = None if row is None else row["status"]
    if status == MDC_DETERMINED:
        low, high = float(row["mdc_low"]), float(row["mdc_high"])
        where = f"is hoogstens {pct(high)}" if low <= 0 else f"ligt tussen {pct(low)} en {pct(high)}"
        return (
            f" De kleinste daling die met {pct(target)} kans wordt gezien, {where}: bij "
            f"{pct(high)} ligt het hele Monte-Carlo-interval van de power op of boven {pct(target)}"
            + ("" if low <= 0 else f", bij {pct(low)} eronder")
            + "."
        )
    if status == MDC_ABOVE:
        return (
            f" Geen van de onderzochte dalingen wordt met {pct(target)} kans gezien: ook bij "
            f"{pct(float(row['mdc_low']))} ligt het hele Monte-Carlo-interval van de power onder "
            f"{pct(target)}."
        )
    spans = [] if row is None else [float(v) for v in str(row.get("spanning", "") or "").split(";") if v]
    what = "het Monte-Carlo-interval" if len(spans) == 1 else "de Monte-Carlo-intervallen"
    why = (
        f": {what} van de power bij {enumerate_nl([pct(v) for v in spans])} "
        f"{'omvat' if len(spans) == 1 else 'omvatten'} {pct(target)}"
        if spans
        else ""
    )
    return (
        f" Welke daling met {pct(target)} kans wordt gezien, is niet te bepalen met {sims_text(nsim)}{why}."
    )


def answer_sentences(power: pd.DataFrame, mdc: pd.DataFrame, target: float = 0.8) -> str:
    """One sentence per design: the power for each studied decline with its Monte Carlo interval,
    and what that says about the smallest decline seen with ``target`` chance (:func:`mdc_sentence`)."""
    out = []
    for (o, m, n), g in power[power["change"] < 0].groupby(["outcome", "months", "locations"], sort=True):
        g = g.sort_values("change", ascending=False)
        bits = [
            f"{pct(r.power)} bij {change_text(r.change)} (95%-interval {pct(r.ci_low)} - {pct(r.ci_high)})"
            for r in g.itertuples()
        ]
        row = mdc[(mdc["outcome"] == o) & (mdc["months"] == m) & (mdc["locations"] == n)] if len(mdc) else mdc
        nsim = int(g["nsim"].min()) if "nsim" in g else 0
        tail = mdc_sentence(row.iloc[0] if len(row) and "status" in row else None, nsim, target)
        out.append(
            f"- **{OUTCOME_LABELS[o]}, {months_text(int(m))} per meting, {locations_text(int(n))}**: "
            f"de kans om de daling te zien is {enumerate_nl(bits)}.{tail}"
        )
    return "\n".join(out)


def study_sentence(
    setting: str,
    power: pd.DataFrame,
    settings: dict[str, dict],
    *,
    halfwidth: float = 0.05,
    default: str = "quick",
) -> str:
    """Which study the appendix shows, with how many simulations, and how precise that is.

    Parameters
    ----------
    setting : str
        The setting shown (``quick``: every build; another: ``compendium plan --setting``).
    power : DataFrame
        :func:`analysis.models.power.power_table` of the study shown.
    settings : dict
        The ``settings`` block of ``params/plan.yaml`` (simulations of the other settings).
    halfwidth : float
        The precision a power needs before the appendix may lean on its value alone.
    default : str
        The setting every build runs.
    """
    from analysis.models.power import nsim_for_halfwidth

    n = sorted({int(x) for x in power["nsim"]}) if len(power) else [0]
    per = sims_text(n[0]) if len(n) == 1 else f"{n[0]} tot {n[-1]} simulaties"
    which = (
        f"de snelle studie die elke build draait (instelling *{setting}* van `params/plan.yaml`)"
        if setting == default
        else f"de studie van `compendium plan --setting {setting}` (instelling *{setting}* van `params/plan.yaml`)"
    )
    width = (power["ci_high"] - power["ci_low"]) / 2 if len(power) else pd.Series(dtype=float)
    widest = float(width.max()) if len(width) else float("nan")
    need = nsim_for_halfwidth(halfwidth)
    out = f"Deze bijlage toont {which}, met {per} per ontwerp."
    if len(width) and widest > halfwidth:
        out += (
            f" Daarmee is een Monte-Carlo-interval van de power tot {nf.number(100 * widest, 0)} "
            f"procentpunten naar elke kant breed; voor hoogstens {nf.number(100 * halfwidth, 0)} "
            f"procentpunten zijn tot {need} simulaties per ontwerp nodig. De tekst noemt daarom "
            "alleen wat de intervallen zelf toelaten."
        )
    elif len(width):
        out += (
            f" Elk Monte-Carlo-interval van de power is hoogstens {nf.number(100 * halfwidth, 0)} "
            "procentpunten naar elke kant breed."
        )
    others = [
        f"*{k}* ({enumerate_nl([SHORT_LABELS.get(o, o) for o in v.get('outcomes', [])])}; "
        f"{sims_text(int(v['nsim']))} per ontwerp)"
        for k, v in settings.items()
        if k != setting and "nsim" in v
    ]
    if others:
        out += (
            " De volledige studie draait met `compendium plan --setting NAAM`: "
            + enumerate_nl(others)
            + "; haar tabellen komen in `build/planning/<instelling>/`."
        )
    return out


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
