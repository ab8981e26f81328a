"""Chapter 3's sensitivity section: which analyses ran, and whether each conclusion survives the
time coding (the month index without the months between measurements; a slope per measurement).

Every count and every word that depends on the run is computed from ``ch3_sens_estimates``
(:attr:`analysis.models.sensitivity.SensitivityResults.estimates`); the comparison of a variant
with the primary fit is the one rule of :func:`analysis.models.sensitivity.compare_conclusions`,
paired by :func:`analysis.present.models.sensitivity_summary`'s pairing, and a conclusion
judged from several comparisons follows :func:`analysis.models.sensitivity.overall_conclusion`.
"""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from analysis.models.sensitivity import TIME_CODING, conclusions
from analysis.models.spec import slope_term
from analysis.present import text
from analysis.present.models import (
    CONCLUSION_NL,
    SENSITIVITY_LABELS,
    _paired,
    declared,
    fmt,
    fmt_p_text,
    model_label,
    term_label,
)


MAX_NAMED = 3
"""Up to this many changed conclusions are named in the sentence; more: the table names them."""


def _n(k: int) -> str:
    """A count inside a sentence: ``geen`` for zero."""
    return "geen" if k == 0 else str(k)


def _verb(k: int, singular: str, plural: str) -> str:
    """Verb agreeing with ``k`` of the conclusions: singular for one and for ``geen`` (none of them)."""
    return singular if k in (0, 1) else plural


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def analyses_run(estimates: pd.DataFrame, skipped: Mapping[str, int] | None = None) -> list[str]:
    """Analyses with at least one variant row in ``estimates``, in run order (skipped ones left out)."""
    est = estimates[estimates["variant"] != "primary"] if len(estimates) else estimates
    ran = list(dict.fromkeys(est["analysis"])) if len(est) else []
    return [a for a in ran if a not in (skipped or {})]


def analyses_sentence(estimates: pd.DataFrame, skipped: Mapping[str, int] | None = None) -> str:
    """How many alternative specifications this run fitted, and which (all computed).

    Parameters
    ----------
    estimates : DataFrame
        ``ch3_sens_estimates``.
    skipped : mapping, optional
        :attr:`SensitivityResults.skipped` (analyses that would change no row; named by
        :func:`analysis.present.narrative.sensitivity_sentence`).
    """
    ran = analyses_run(estimates, skipped)
    if not ran:
        return "In deze run is geen gevoeligheidsanalyse geschat."
    names = [f"*{_lower(SENSITIVITY_LABELS.get(a, a))}*" for a in ran]
    return (
        f"In deze run {text.verb(len(ran), 'is', 'zijn')} "
        f"{text.count(len(ran), 'gevoeligheidsanalyse', 'gevoeligheidsanalyses')} geschat: "
        + text.join(names)
        + "."
    )


def time_coding_conclusions(estimates: pd.DataFrame) -> pd.DataFrame:
    """Per conclusion of a model with a month term and per time-coding analysis: does it hold?

    Returns
    -------
    DataFrame
        :func:`analysis.models.sensitivity.conclusions` of :data:`TIME_CODING`, plus the primary
        exp(b) and p and the compared variant terms with theirs (``variants``: list of
        (term, exp_est, p)).
    """
    pairs = _paired(estimates) if len(estimates) else pd.DataFrame()
    if pairs.empty:
        return pd.DataFrame()
    pairs = pairs[pairs["analysis"].isin(TIME_CODING)]
    out = conclusions(pairs, TIME_CODING)
    key = ["analysis", "model_id", "term"]
    first = pairs.groupby(key, sort=False)[["exp_est_prim", "p_prim"]].first()
    variants = pairs.groupby(key, sort=False).apply(
        lambda g: list(zip(g["variant_term"], g["exp_est_var"], g["p_var"])), include_groups=False
    )
    out = out.join(first, on=key).join(variants.rename("variants"), on=key)
    return out


def _short(term: str, reference: int) -> str:
    """``meting 2`` for the slope within measurement 2; otherwise the term's label."""
    if term.startswith(slope_term("")):
        return "meting " + term[len(slope_term("")) :] + ":"
    return _lower(term_label(term, reference)) + ":"


def _cell(row: pd.Series, reference: int) -> str:
    """``zelfde: 0,95 (p = 0,010)``; several variant terms are each named."""
    word = CONCLUSION_NL[row["conclusion"]]
    vs = row["variants"]
    if len(vs) == 1:
        _, e, p = vs[0]
        return f"{word}: {fmt(e)} ({fmt_p_text(p)})"
    parts = [f"{_short(t, reference)} {fmt(e)} ({fmt_p_text(p)})" for t, e, p in vs]
    return f"{word}: " + "; ".join(parts)


def time_coding_table(estimates: pd.DataFrame, reference: int = 1) -> pd.DataFrame:
    """One row per chapter-3 conclusion with a month term; one column per time-coding analysis.

    Columns: Model, Term, Primair (exp(b) and p of the primary fit), and per analysis of
    :data:`TIME_CODING` that ran, the conclusion (*zelfde*, *anders*, *niet te beoordelen*)
    with the variant's exp(b) and p (several when one primary term is compared with a slope
    per measurement); empty where the variant has no term that answers the primary term.
    """
    t = time_coding_conclusions(estimates)
    if t.empty:
        return pd.DataFrame(columns=["Model", "Term", "Primair"])
    t = declared(t)
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for r in t.itertuples(index=False):
        row = rows.setdefault(
            (r.model_id, r.term),
            {
                "Model": model_label(r._asdict()),
                "Term": term_label(r.term, reference),
                "Primair": f"{fmt(r.exp_est_prim)} ({fmt_p_text(r.p_prim)})",
            },
        )
        row[SENSITIVITY_LABELS.get(r.analysis, r.analysis)] = _cell(pd.Series(r._asdict()), reference)
    out = pd.DataFrame(list(rows.values()))
    return out.fillna("")


def time_coding_sentence(estimates: pd.DataFrame) -> str:
    """Per time-coding analysis how many conclusions hold, differ or cannot be judged (computed)."""
    t = time_coding_conclusions(estimates)
    if t.empty:
        return "De gevoeligheidsanalyses van de tijdscodering zijn in deze run niet geschat."
    t = declared(t)
    parts = []
    for analysis, g in t.groupby("analysis", sort=False):
        n = g["conclusion"].value_counts()
        same, diff, na = (int(n.get(k, 0)) for k in ("same", "different", "not_assessable"))
        changed = [
            f"{_lower(model_label(r))}: {_lower(term_label(r['term']))}"
            for _, r in g[g["conclusion"] == "different"].iterrows()
        ]
        s = (
            f"Met *{_lower(SENSITIVITY_LABELS.get(analysis, analysis))}* "
            f"{_verb(same, 'blijft', 'blijven')} {_n(same)} van de "
            f"{text.count(len(g), 'conclusie', 'conclusies')} gelijk, "
            f"{_verb(diff, 'verandert', 'veranderen')} er {_n(diff)}"
            + (f" ({text.join(changed)})" if 0 < len(changed) <= MAX_NAMED else "")
            + f" en {_verb(na, 'is', 'zijn')} er {_n(na)} niet te beoordelen."
        )
        parts.append(s)
    return " ".join(parts)
