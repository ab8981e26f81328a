"""The report's summary, method paragraph on the measurements, and title-page facts, from data.

Nothing here is a template with fixed words for measurements, counts or orders: which
measurement chapters 1 and 2 describe is read from the results (``values.csv`` records the
measurements of every value), the measurements of the build from ``params/``, orders are
computed from the counts, and every chapter-3 estimate is reported only when its model is
interpretable (column ``verdict`` of ``ch3_models_fixed.csv``), with one contrast per
measurement against the reference measurement.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd

from analysis.core.measurements import Measurement
from analysis.present import format as nf
from analysis.ingest.gate import CHECK_NL
from analysis.present import describe_text, text
from analysis.present.format import number as format_number


# --- reading results ----------------------------------------------------------------------------
#: Count and share columns of results CSVs; on real data a hidden cell reads "x".
_NUMERIC = ("n", "denominator", "pct", "n_registrations", "n_missing", "n_youths", "n_duration")


def _csv(folder: Path, name: str) -> pd.DataFrame | None:
    """A results CSV, with cells hidden by disclosure control (``x``) as NaN: never named."""
    path = Path(folder) / f"{name}.csv"
    if not path.exists():
        return None
    df = pd.read_csv(path, dtype={"code": str})
    for col in _NUMERIC:
        if col in df.columns and not pd.api.types.is_numeric_dtype(df[col]):
            df[col] = pd.to_numeric(df[col], errors="coerce")
    return df


def described(results: Path, result: str) -> list[int]:
    """Measurements a result was computed for (from ``values.csv``; [] when unknown)."""
    path = Path(results) / "values.csv"
    if not path.exists():
        return []
    v = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "metingen" not in v.columns:
        return []
    scopes = v.loc[v["result"] == result, "metingen"]
    return sorted({int(x) for sc in scopes for x in str(sc).split(";") if x})


def period_text(m: Measurement) -> str:
    """``"september 2020 tot en met februari 2021"``."""
    return f"{nf.month(m.first_month, long=True)} tot en met {nf.month(m.last_month, long=True)}"


# --- chapter 1 and 2 sentences ------------------------------------------------------------------
def chapter1_sentences(results: Path, latest: int) -> list[str]:
    """Which measurement chapter 1 describes and how many locations described their policy."""
    used = described(results, "ch1_data_supplied")
    supplied = _csv(results, "ch1_data_supplied")
    if not used or supplied is None:
        return [
            f"Voor {text.measurements([latest])} en de metingen daarvoor is geen beleid rond geplande "
            "afzonderingen aangeleverd (hoofdstuk 1)."
        ]
    n_yes = int(supplied.loc[supplied["code"] == "1", "n"].sum())
    total = int(supplied["n"].sum())
    lead = f"Hoofdstuk 1 beschrijft het beleid van {text.measurements(used)}" + (
        ""
        if used[-1] == latest
        else f", de laatste meting met een beleidsbestand ({text.measurements([latest])} heeft er geen)"
    )
    return [
        f"{lead}: {format_number(n_yes)} van de {text.count(total, 'locatie', 'locaties')} "
        f"{text.verb(n_yes, 'beschreef', 'beschreven')} hun beleid."
    ]


#: Results tables the summary's chapter-2 sentences are built from.
CHAPTER2_TABLES = (
    "ch2_fig01_per_month",
    "ch2_s2_1_coverage",
    "ch2_s2_1_1_youths",
    "ch2_fig02_reason",
    "ch2_fig03_goal",
    "ch2_fig04_room",
    "ch2_fig05_lock",
    "ch2_tab02_duration_by_reason",
    "ch2_fig10_evaluation",
    "ch2_fig12_youth_view",
)


def chapter2_sentences(results: Path) -> list[str]:
    """The chapter-2 findings of the described measurement, from its results CSVs.

    The sentences are built by :func:`analysis.present.describe_text.summary_chapter2`.
    """
    tables = {name: _csv(results, name) for name in CHAPTER2_TABLES}
    return describe_text.summary_chapter2(described(results, "ch2_fig01_per_month"), tables)


# --- chapter 3 sentences ------------------------------------------------------------------------
OUTCOMES = {
    "count": ("het aantal ongeplande afzonderingen, gecorrigeerd voor de bezetting,", "groot"),
    "dur": ("de duur van een afzondering", "lang"),
    "isodur": ("de duur van een afzondering in een isoleer- of separeerruimte", "lang"),
}


def _ci(row: pd.Series) -> str:
    """The reported interval: Wald, or the small-sample interval where its rule applies (the
    ``ci_reported`` column; :mod:`analysis.models.smallsample`), named by its method."""
    from analysis.present.models import CI_NAMES, reported_inference

    rep = reported_inference(row)
    return f"{CI_NAMES[str(rep['method'])]} {nf.ci(rep['exp_low'], rep['exp_high'])}"


def _wald_changes(rows: list[tuple[str, pd.Series]]) -> str:
    """One sentence naming the estimates whose conclusion changes when the small-sample interval
    replaces Wald's (empty when none does)."""
    from analysis.core.intervals import ALPHA
    from analysis.present.models import reported_inference

    changed = [(what, reported_inference(r)) for what, r in rows]
    changed = [(what, rep) for what, rep in changed if rep["changed"]]
    if not changed:
        return ""
    return (
        "Met Wald-intervallen zou de conclusie anders zijn voor "
        + text.join(
            f"{what} ({'wel' if float(rep['wald_p']) < ALPHA else 'niet'} significant met Wald, "
            f"{'wel' if float(rep['p']) < ALPHA else 'niet'} met het interval voor kleine aantallen locaties)"
            for what, rep in changed
        )
        + "."
    )


def _not_interpretable(model_id: str, verdict: str) -> str:
    return (
        f"Het model `{model_id}` is niet interpreteerbaar ({verdict.replace('+', ', ')}); zijn schatting "
        "wordt hier niet als bevinding genoemd (zie hoofdstuk 3 en bijlage A)."
    )


def chapter3_sentences(model_results: Path) -> list[str]:
    """Month trend and one contrast per measurement against the reference, per outcome.

    Only models whose ``verdict`` is ``ok`` are reported as findings; the others are named as
    not interpretable.
    """
    fixed = _csv(model_results, "ch3_models_fixed")
    if fixed is None or fixed.empty:
        return []
    if "verdict" not in fixed.columns:  # no judgement of the fit: nothing is reported as a finding
        fixed = fixed.assign(verdict="niet beoordeeld")
    out: list[str] = []
    # The measurements the models span travel with their values (values.csv); the reference is
    # the one without a contrast term of its own.
    metingen = described(model_results, "ch3_models_fixed") or sorted(
        {int(t[6:]) for t in fixed["term"].astype(str) if t.startswith("meting") and t[6:].isdigit()}
    )
    for key, (what, adjective) in OUTCOMES.items():
        month = fixed[(fixed["model_id"] == f"{key}_month") & (fixed["term"] == "month")]
        level = fixed[
            (fixed["model_id"] == f"{key}_meting") & fixed["term"].astype(str).str.match(r"^meting\d+$")
        ]
        parts = []
        if len(month):
            r = month.iloc[0]
            if r["verdict"] != "ok":
                out.append(_not_interpretable(f"{key}_month", str(r["verdict"])))
            else:
                parts.append(
                    f"was {what} elke maand {format_number(r['exp_est'], 2)} keer zo {adjective} als de "
                    f"maand ervoor ({_ci(r)})"
                )
        if len(level):
            if (level["verdict"] != "ok").any():
                out.append(_not_interpretable(f"{key}_meting", str(level["verdict"].iloc[0])))
            else:
                ks = [int(str(t)[6:]) for t in level["term"]]
                ref = min(set(metingen) - set(ks)) if set(metingen) - set(ks) else None
                ref_txt = text.measurements([ref]) if ref is not None else "de referentiemeting"
                parts.append(
                    "ten opzichte van "
                    + ref_txt
                    + " was het niveau "
                    + text.join(
                        f"in {text.measurements([k])} {format_number(r['exp_est'], 2)} keer zo {adjective} ({_ci(r)})"
                        for k, r in zip(ks, (row for _, row in level.iterrows()))
                    )
                )
        if parts:
            all_m = (
                sorted(set(metingen) | {int(str(t)[6:]) for t in level["term"]}) if len(level) else metingen
            )
            scope = f"Over {text.measurements(all_m)} samen " if all_m else ""
            out.append(scope + "; ".join(parts) + ".")
            shown = [("de maandtrend van " + what.rstrip(","), r) for _, r in month.iterrows()]
            shown += [
                (f"{what.rstrip(',')} in {text.measurements([int(str(r['term'])[6:])])}", r)
                for _, r in level.iterrows()
            ]
            change = _wald_changes([(w, r) for w, r in shown if r["verdict"] == "ok"])
            if change:
                out.append(change)
    return out


def intake_sentences(accounting: Mapping[str, Mapping]) -> list[str]:
    """Per measurement: how many registrations were left out and why, and how many are flagged double.

    Parameters
    ----------
    accounting : mapping
        ``ingest_report.json``'s ``accounting`` block (:func:`analysis.ingest.gate.accounting`).

    Returns
    -------
    list of str
        One sentence per measurement on what was left out (or that nothing was), and one on the
        registrations flagged as possible doubles over all measurements (zero case included).
    """
    out = []
    for key in sorted(accounting, key=int):
        a, m = accounting[key], text.measurements([int(key)])
        if not a["read"]:
            out.append(f"Voor {m} zijn geen registraties aangeleverd.")
            continue
        if not a["quarantined"]:
            out.append(
                f"Van {m} is de enige registratie gebruikt; ze is bij de controle niet afgekeurd."
                if a["read"] == 1
                else f"Van {m} zijn alle {text.count(a['read'], 'registratie', 'registraties')} gebruikt; "
                "geen enkele is bij de controle afgekeurd."
            )
            continue
        why = [(CHECK_NL.get(c, c), n) for c, n in a["reasons"].items()]
        if a["outside_period"]:
            why.append(("buiten de periode van de meting of de locatie", a["outside_period"]))
        reasons = text.join(f"{label} ({format_number(n)})" for label, n in why)
        out.append(
            f"Van {m} {text.verb(a['quarantined'], 'is', 'zijn')} {format_number(a['quarantined'])} van de "
            f"{text.count(a['read'], 'registratie', 'registraties')} buiten beschouwing gelaten: {reasons}."
        )
    dups = {int(k): a["duplicates"] for k, a in accounting.items()}
    flagged = [k for k in sorted(dups) if dups[k]]
    if dups and not flagged:
        out.append(
            "Geen registratie is gemarkeerd als mogelijk dubbel (zelfde locatie, jongere en begintijd)."
        )
    elif flagged:
        parts = text.join(f"{format_number(dups[k])} in {text.measurements([k])}" for k in flagged)
        total = sum(dups.values())
        out.append(
            f"{text.capitalize(text.count_verb(total, 'registratie', 'registraties', 'is', 'zijn'))} "
            f"gemarkeerd als mogelijk dubbel (zelfde locatie, jongere en begintijd: {parts}); ze tellen "
            "mee in de hoofdanalyses en worden in de gevoeligheidsanalyse weggelaten."
        )
    return out


def summary_md(
    results: Path,
    model_results: Path,
    measurements: Mapping[int, Measurement],
    accounting: Mapping[str, Mapping] | None = None,
) -> str:
    """The summary as markdown bullets, every word about data computed from this build's results.

    Parameters
    ----------
    results : Path
        ``<build>/results`` (chapters 1 and 2, ``values.csv``).
    model_results : Path
        ``<build>/results/models`` (chapter 3).
    measurements : mapping
        The configured measurements (``params/``), by number.
    accounting : mapping, optional
        ``ingest_report.json``'s ``accounting``: what ingest left out of each measurement.
    """
    latest = max(measurements) if measurements else 0
    lines = (
        chapter2_sentences(results) + chapter1_sentences(results, latest) + chapter3_sentences(model_results)
    )
    if lines and accounting:
        lines += intake_sentences(accounting)
    if not lines:
        return "*In deze build zijn geen resultaten berekend; er is niets samen te vatten.*\n"
    return "\n".join(f"- {line}" for line in lines) + "\n"


# --- method paragraph and title page -------------------------------------------------------------
def measurements_md(measurements: Mapping[int, Measurement], results: Path) -> str:
    """Method paragraph: the measurements of this build with their periods, and what each chapter uses."""
    ms = [measurements[k] for k in sorted(measurements)]
    if not ms:
        return "*Er zijn geen metingen geconfigureerd (`params/meting-<N>.yaml`).*\n"
    lengths = sorted({len(m.months()) for m in ms})
    each = (
        f"Een meting beslaat {text.count(lengths[0], 'maand', 'maanden')}"
        if len(lengths) == 1
        else "De metingen beslaan elk een eigen aantal maanden"
    )
    periods = text.join(f"{text.measurements([m.meting])} van {period_text(m)}" for m in ms)
    ch1, ch2 = described(results, "ch1_data_supplied"), described(results, "ch2_fig01_per_month")
    nums = [m.meting for m in ms]
    uses = []
    if ch1:
        uses.append(f"Hoofdstuk 1 beschrijft het beleid van {text.measurements(ch1)}")
    if ch2:
        uses.append(f"hoofdstuk 2 de ongeplande afzonderingen van {text.measurements(ch2)}")
    if len(nums) > 1:
        uses.append(
            f"hoofdstuk 3 toetst veranderingen over {text.measurements(nums)}, met "
            f"{text.measurements(nums[:1])} als referentie"
        )
    use = (text.capitalize(text.join(uses)) + ".") if uses else ""
    return f"{each}: {periods}. {use}\n"


def measurements_title(measurements: Mapping[int, Measurement]) -> str:
    """Title-page field: every measurement of the build with its months (``sep 2019 - feb 2020``)."""
    return text.join(
        f"{text.measurements([m.meting])} ({nf.month(m.first_month)} - {nf.month(m.last_month)})"
        for m in (measurements[k] for k in sorted(measurements))
    )


def described_title(results: Path) -> str:
    """Title-page field: which measurement chapters 1 and 2 describe ("" when not known)."""
    parts = []
    for ch, name in (("1", "ch1_data_supplied"), ("2", "ch2_fig01_per_month")):
        used = described(results, name)
        if used:
            parts.append(f"hoofdstuk {ch}: {text.measurements(used)}")
    return "; ".join(parts)
