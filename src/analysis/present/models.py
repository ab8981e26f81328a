"""What a reader of chapter 3 and appendix A sees of the models: one renderer of the results tables.

The tidy model tables (:func:`analysis.models.tables.model_tables`, written as the CSVs of
``results/models/``) keep ids and unrounded numbers, and every row carries its model's
declaration (outcome, contrast, kind, variant, subset). This module turns those tables into
display tables: Dutch model and term labels (from the declaration columns, never from the id),
ratios with a decimal comma, p-values as ``0,046`` / ``< 0,001`` and, where the published report
has the number (``ch3.<model>.<term>.<stat>``), the published value beside the recomputed one.
Chapter 3 calls it on the tables in memory, appendix A (:mod:`analysis.report.statistics`) on
the CSVs read back: the same functions, so both show the same thing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from analysis import codebook
from analysis.core.intervals import ALPHA
from analysis.models.frames import REASONS, ROOM_CONTRASTS, contrast_label, contrast_short
from analysis.models.spec import SPEC_COLUMNS, ModelSpec, declared_columns
from analysis.models.verdict import MAX_ABS_B, MAX_ICC, MAX_RE_SD, from_code
from analysis.present import format as nf

if TYPE_CHECKING:  # keep this module importable by the renderer without the fitting code
    from analysis.models.fit import ModelResult

ROOM_LABELS: dict[str, str] = {c: contrast_label(c) for c in ROOM_CONTRASTS}
"""Dutch label per room contrast, composed from the codebook's ``ruimte`` labels."""
OUTCOME_LABELS: dict[str, str] = {
    "count": "Aantal",
    "duration": "Duur",
    "room": "Ruimte",
    "isoduration": "Duur isoleerruimte",
}
"""Dutch short label per outcome (:data:`analysis.models.spec.OUTCOMES`): the one place."""
SECTIONS: dict[str, tuple[str, str]] = {
    "count": ("count", "Aantal ongeplande afzonderingen"),
    "duration": ("dur", "Duur van de afzondering"),
    "room": ("room", "Ruimte van de afzondering"),
    "isoduration": ("isodur", "Duur in de isoleer- of separeerruimte"),
}
"""Per outcome: the key of its tables' labels (``tbl-stat-fixed-<key>``) and its appendix title."""
KIND_LABELS: dict[str, str] = {
    "month": "maand",
    "meting": "meting",
    "interaction": "maand × meting",
    "reason_meting": "aanleiding × meting",
}
REASON_LABELS: dict[str, str] = {
    term: codebook.field("aanleiding").label(code) for code, term in REASONS.items()
}
"""Dutch label (codebook ``aanleiding``) per reason term of the reason x measurement model."""
RATIO_NAMES: dict[str, str] = {
    "count": "rate ratio",
    "duration": "ratio van geometrische gemiddelden",
    "isoduration": "ratio van geometrische gemiddelden",
    "room": "odds ratio",
}
RE_LABEL = "Variatie tussen locaties (chibar2)"
SENSITIVITY_LABELS: dict[str, str] = {
    "random_slope": "Random helling voor maand per locatie",
    "poisson": "Poisson in plaats van negatief-binomiaal",
    "gamma": "Gamma-model op minuten in plaats van ln(minuten)",
    "youth": "Extra random intercept per jongere",
    "occupancy_cov": "Bezetting als covariaat in plaats van offset",
    "no2359": "Zonder registraties met duur 23:59",
    "quadrature": "7-punts kwadratuur in plaats van Laplace",
    "room_all_locations": "Ruimte: alle locaties, ook waar één van de twee ruimtes niet voorkomt",
    "no_duplicates": "Zonder registraties gemarkeerd als dubbel",
    "zero_inflated": "Nul-opgeblazen negatief-binomiaal (zero-inflated)",
    "month_nogap": "Maandindex zonder de maanden tussen de metingen",
    "month_by_meting": "Maandhelling per meting (maand binnen meting)",
}
TEST_LABELS: dict[str, str] = {
    "re_location": "Random intercept per locatie",
    "re_slope_month": "Random helling voor maand",
    "nb_vs_poisson": "Negatief-binomiaal t.o.v. Poisson",
    "re_youth": "Random intercept per jongere",
    "zi": "Nul-inflatie (zero-inflated NB2 t.o.v. NB2)",
}
CONCLUSION_NL: dict[str, str] = {
    "same": "zelfde",
    "different": "anders",
    "not_assessable": "niet te beoordelen",
}
"""Dutch words for the three outcomes of :func:`analysis.models.sensitivity.compare_conclusions`."""


# --- formatting --------------------------------------------------------------------------
def fmt(x: float | None, decimals: int = 2) -> str:
    """Number (two decimals by default) by the one formatter, :func:`analysis.present.format.number`."""
    return nf.number(x, decimals)


def fmt_ci(low: float, high: float, decimals: int = 2) -> str:
    """Confidence interval ``0,90 tot 0,94`` (:func:`analysis.present.format.ci`)."""
    return nf.ci(low, high, decimals)


def fmt_pvalue(p: float | None, decimals: int = 3) -> str:
    """p-value cell ``0,046`` / ``< 0,001`` (:func:`analysis.present.format.pvalue`)."""
    return nf.pvalue(p, decimals)


def fmt_p_text(p: float) -> str:
    """p-value for running text: ``p = 0,046`` or ``p < 0,001``."""
    return nf.p_text(p)


def sized(df: pd.DataFrame, cap: int = 26) -> pd.DataFrame:
    """Pad column names to their content width so the PDF gives wide columns room.

    ``analysis.present.format.pipe_table`` sizes the separator line (which pandoc uses as relative
    column widths for wide tables) by the header text only; padding the header with spaces
    (trimmed when rendered) makes it follow the content instead, capped at ``cap`` characters.
    """
    width = {c: min(cap, max([len(str(c))] + [len(str(v)) for v in df[c]])) + 2 for c in df.columns}
    return df.rename(columns={c: str(c).ljust(w) for c, w in width.items()})


def table(df: pd.DataFrame, *, label: str, caption: str, note: str | None = None) -> None:
    """:func:`analysis.present.display.table` with content-sized columns (see :func:`sized`)."""
    from analysis.present import display

    display.table(sized(df), label=label, caption=caption, note=note)


# --- labels ------------------------------------------------------------------------------
Declared = ModelSpec | Mapping[str, object]
"""A model's declaration: its spec, or a results row with the :data:`SPEC_COLUMNS`."""


def _field(model: Declared, name: str) -> str:
    """One declaration field as text (empty for a missing or empty cell)."""
    value = model.columns()[name] if isinstance(model, ModelSpec) else model.get(name, "")
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def declared(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with every declaration column (:data:`SPEC_COLUMNS`) as text.

    A table written before the columns existed gets them looked up by ``model_id`` among the
    declared specs (:func:`analysis.models.spec.declared_columns`): a lookup of the opaque key,
    never a reading of it.
    """
    out = table.copy()
    known = declared_columns()
    for col in SPEC_COLUMNS:
        if col not in out.columns:
            ids = out["model_id"] if "model_id" in out.columns else pd.Series("", index=out.index)
            out[col] = [known.get(str(m), {}).get(col, "") for m in ids]
        out[col] = out[col].fillna("").astype(str)
    return out


def outcome_label(outcome: str, contrast: str = "") -> str:
    """Dutch label of an outcome: ``Aantal``, ``Duur``, ``Ruimte: isoleer- of separeerruimte ...``."""
    if outcome == "room" and contrast:
        return "Ruimte: " + ROOM_LABELS.get(contrast, contrast).lower()
    return OUTCOME_LABELS.get(outcome, outcome)


def kind_label(kind: str) -> str:
    """Dutch label of a kind of model: ``maand``, ``meting``, ``maand × meting``, ..."""
    return KIND_LABELS.get(kind, kind)


def model_label(model: Declared) -> str:
    """Dutch label of a model, e.g. ``Aantal, maand × meting``."""
    outcome = outcome_label(_field(model, "outcome"), _field(model, "contrast"))
    kind = _field(model, "kind")
    return f"{outcome}, {kind_label(kind)}" if kind else outcome


def short_label(model: Declared) -> str:
    """Model label inside its outcome's section: ``maand × meting`` or ``isoleer/eigen, meting``."""
    kind, contrast = kind_label(_field(model, "kind")), _field(model, "contrast")
    if _field(model, "outcome") != "room":
        return kind
    return f"{contrast_short(contrast) if contrast in ROOM_CONTRASTS else contrast}, {kind}"


def compact_label(model: Declared) -> str:
    """Short model label for tables that span outcomes: ``Ruimte isoleer/eigen, maand``."""
    outcome = _field(model, "outcome")
    sep = " " if outcome == "room" else ", "
    return f"{OUTCOME_LABELS.get(outcome, outcome)}{sep}{short_label(model)}"


LABELS: dict[str, Callable[[Declared], str]] = {
    "full": model_label,
    "compact": compact_label,
    "short": short_label,
}
"""The three model labels by name (the ``style`` of the display functions)."""


def labels(table: pd.DataFrame, style: str = "full") -> pd.Series:
    """The model label of every row of a results table (:data:`LABELS`), from its declaration."""
    rows = declared(table)
    label = LABELS[style]
    return pd.Series([label(r) for r in rows[list(SPEC_COLUMNS)].to_dict("records")], index=table.index)


def by_outcome(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of a results table per outcome, in :data:`SECTIONS` order (outcomes with rows)."""
    outcome = declared(table)["outcome"]
    return {o: table[outcome == o] for o in SECTIONS if (outcome == o).any()}


def term_label(term: str, reference: int = 1) -> str:
    """Dutch label of a fixed term (``month``, ``meting2``, ``month_x_meting2``, reasons)."""
    if term == "month":
        return "Maand (per maand)"
    if term == "intercept":
        return "Intercept"
    if term == "re_location":
        return RE_LABEL
    if term.startswith("month_in_meting"):  # slope per measurement (sensitivity.month_by_meting)
        return f"Maand binnen meting {term[15:]}"
    if term.startswith("month_x_meting"):
        return f"Maand × meting {term[14:]}"
    if term.startswith("meting"):
        return f"Meting {term[6:]} t.o.v. meting {reference}"
    first = next(iter(REASON_LABELS))
    if term == first:  # published name of <first reason>_x_meting2 (term_map of the reason model)
        term = f"{first}_x_meting2"
    if "_x_meting" in term:
        reason, k = term.split("_x_meting")
        return f"{REASON_LABELS.get(reason, reason)}: meting {k} t.o.v. meting {reference}"
    return f"{REASON_LABELS.get(term, term)} (t.o.v. {REASON_LABELS[first].lower()})"


def group_labels(groups) -> dict[str, str]:
    """Labels of the residual-figure categories ``<reason>|<meting>``: ``Agressie, meting 2``."""
    out = {}
    for g in dict.fromkeys(map(str, groups)):
        reason, _, meting = g.partition("|")
        out[g] = f"{REASON_LABELS.get(reason, reason)}, meting {meting}"
    return out


# --- published values --------------------------------------------------------------------
def load_published(path: Path) -> pd.DataFrame:
    """Chapter-3 rows of ``published_figures.csv`` indexed by id (value, kind, decimals)."""
    if not Path(path).exists():
        return pd.DataFrame(columns=["value", "kind", "decimals"])
    df = pd.read_csv(path, dtype={"id": str})
    df = df[df["id"].str.startswith("ch3.")]
    return df.set_index("id")[["value", "kind", "decimals"]]


def published_cell(published: pd.DataFrame, prefix: str, stat: str) -> str:
    """Published value of ``<prefix>.<stat>`` as printed (its own decimals), else empty."""
    key = f"{prefix}.{stat}"
    if key not in published.index:
        return ""
    row = published.loc[key]
    dec = int(row["decimals"]) if pd.notna(row["decimals"]) else 2
    return nf.published(row["value"], dec, row["kind"])


def published_estimate(published: pd.DataFrame, prefix: str) -> tuple[str, str]:
    """(``0,92 [0,90; 0,94]`` or the chibar2, p) as printed in the report."""
    est = published_cell(published, prefix, "est") or published_cell(published, prefix, "chibar2")
    lo, hi = published_cell(published, prefix, "ci_low"), published_cell(published, prefix, "ci_high")
    if est and lo and hi:
        est = f"{est} [{lo}; {hi}]"
    return est, published_cell(published, prefix, "p")


# --- small-sample inference -----------------------------------------------------------------
CI_NAMES: dict[str, str] = {
    "wald": "95%-BI",
    "profile": "95%-profielinterval",
    "satterthwaite": "95%-BI (Satterthwaite)",
}
"""How a sentence names the 95% interval of each method."""
P_NAMES: dict[str, str] = {"wald": "", "profile": "LR-toets", "satterthwaite": "t-toets"}
"""How a sentence names the test behind the p-value of each method."""
METHOD_PHRASES: dict[str, str] = {
    "profile": "profiel-likelihoodintervallen, met p-waarden uit de LR-toets per term",
    "satterthwaite": "t-intervallen en t-toetsen met Satterthwaite-vrijheidsgraden",
}
"""What replaces the Wald interval and test, per method (sentences)."""
METHOD_NAMES: dict[str, str] = {
    "wald": "Wald",
    "profile": "profiel-likelihood (LR-toets)",
    "satterthwaite": "Satterthwaite-t",
}
"""Name of each method in table cells (appendix A)."""
LRT_SIM_PHRASES: dict[str, str] = {
    "parametric_bootstrap": "parametrische bootstrap",
    "exact_lrt": "gesimuleerde exacte nulverdeling van RLRsim",
}
"""Name of each simulated LR test of the location variance (sentences, tables)."""


def _num(x: object) -> float:
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def reported_inference(row: pd.Series) -> dict[str, object]:
    """The interval and p-value a sentence reports for one fixed-effects row, and Wald's.

    Works on a row of ``ch3_models_fixed`` (CSV) and on :func:`fixed_rows` of a fitted result.
    The better interval is reported when ``ci_reported`` names a method (the rule of
    :mod:`analysis.models.smallsample`), else Wald.

    Returns
    -------
    dict
        ``method``, ``exp_low``, ``exp_high``, ``p`` (reported), ``wald_low``, ``wald_high``,
        ``wald_p`` (exp scale), ``changed`` (the two p-values on different sides of 5%).
    """
    method = str(row.get("ci_reported", "wald") or "wald")
    if method in ("nan", "") or method not in CI_NAMES:
        method = "wald"
    wald = (_num(row.get("exp_ci_low")), _num(row.get("exp_ci_high")), _num(row.get("p")))
    if method == "wald":
        low, high, p = wald
    else:
        low, high, p = (
            _num(row.get("exp_ci_low_better")),
            _num(row.get("exp_ci_high_better")),
            _num(row.get("p_better")),
        )
    changed = (
        method != "wald"
        and bool(np.isfinite(p) and np.isfinite(wald[2]))
        and ((p < ALPHA) != (wald[2] < ALPHA))
    )
    return {
        "method": method,
        "exp_low": low,
        "exp_high": high,
        "p": p,
        "wald_low": wald[0],
        "wald_high": wald[1],
        "wald_p": wald[2],
        "changed": changed,
    }


def fixed_rows(res: ModelResult) -> pd.DataFrame:
    """The fixed effects of one fitted result with the better-interval columns (as in the CSV)."""
    from analysis.models.tables import fixed_table

    return fixed_table({res.model_id: res}).set_index("term", drop=False)


def ci_phrase(rep: Mapping[str, object]) -> str:
    """``95%-profielinterval 1,10 tot 2,30, LR-toets p = 0,012`` for :func:`reported_inference`."""
    method = str(rep["method"])
    test = P_NAMES[method]
    p = fmt_p_text(float(rep["p"]))  # type: ignore[arg-type]
    return (
        f"{CI_NAMES[method]} {fmt_ci(rep['exp_low'], rep['exp_high'])}, "  # type: ignore[arg-type]
        + (f"{test} {p}" if test else p)
    )


def wald_change_phrase(rep: Mapping[str, object]) -> str:
    """Sentence for a reported better interval whose conclusion differs from Wald's, else empty."""
    if not rep["changed"]:
        return ""
    wald_sig = float(rep["wald_p"]) < ALPHA  # type: ignore[arg-type]
    return (
        f"Met het Wald-interval ({fmt_ci(rep['wald_low'], rep['wald_high'])}, "  # type: ignore[arg-type]
        f"{fmt_p_text(float(rep['wald_p']))}) zou dit effect {'wel' if wald_sig else 'niet'} "  # type: ignore[arg-type]
        "significant heten: de conclusie verandert door het betere interval."
    )


# --- estimates tables --------------------------------------------------------------------
FIXED, FIT, LRTESTS = "ch3_models_fixed", "ch3_models_fit", "ch3_models_lrtests"
"""Names of the results tables the estimates tables read (:func:`analysis.models.tables.model_tables`)."""
TIME_KINDS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("month", lambda t: t == "month"),
    ("meting", lambda t: t.startswith("meting")),
    ("interaction", lambda t: t.startswith("month_x_meting")),
)
"""Per kind of model the terms the report shows from it, in report order."""


def _models_of(fit: pd.DataFrame, outcome: str, contrast: str, kind: str) -> pd.DataFrame:
    d = declared(fit)
    return fit[(d["outcome"] == outcome) & (d["contrast"] == contrast) & (d["kind"] == kind)]


def key_terms(tables: Mapping[str, pd.DataFrame], outcome: str, contrast: str = "") -> list[tuple[str, str]]:
    """(model id, term) rows the report shows for one outcome, in report order.

    The month effect comes from the month model, each measurement contrast from the
    measurement model, the interaction from the interaction model and the location variance
    test (``re_location``) from the month model; the reason model adds each reason's
    measurement contrast. A model that could not be fitted gives one row with an empty term.

    Parameters
    ----------
    tables : mapping
        Results tables by name (:data:`FIXED`, :data:`FIT`, :data:`LRTESTS`).
    outcome, contrast : str
        The outcome (and room contrast) of the rows.
    """
    fit, fixed = tables[FIT], tables[FIXED]
    tested = set(tables[LRTESTS]["model_id"].astype(str)) if len(tables[LRTESTS]) else set()
    rows: list[tuple[str, str]] = []
    for kind, pick in (*TIME_KINDS, ("reason_meting", lambda t: "_x_meting" in t or t == "agressie")):
        for m, status in zip(*(_models_of(fit, outcome, contrast, kind)[c] for c in ("model_id", "status"))):
            if status == "failed":
                if kind != "reason_meting":  # as the report: a failed reason model gives no row
                    rows.append((m, ""))
                continue
            rows += [(m, t) for t in fixed.loc[fixed["model_id"] == m, "term"] if pick(t)]
            if kind == "month" and m in tested:
                rows.append((m, "re_location"))
    return rows


def estimate_row(
    tables: Mapping[str, pd.DataFrame], model_id: str, term: str, published: pd.DataFrame, reference: int
) -> dict:
    """One display row: term label, exp(b), 95%-BI, p, verdict and the published values."""
    fit = tables[FIT].set_index("model_id")
    ok = str(fit.loc[model_id, "verdict"]) == "ok"
    row = {
        "Term": term_label(term, reference) if term else "Model niet geschat",
        "exp(b)": "",
        "95%-BI": "",
        "p": "",
        "Oordeel": "" if ok else "n.i.",
    }
    if term == "re_location":
        lr = tables[LRTESTS].set_index("model_id").loc[model_id]
        row.update({"exp(b)": fmt(lr["lr"]), "p": fmt_pvalue(lr["p"])})
    elif term:
        fx = tables[FIXED]
        t = fx[(fx["model_id"] == model_id) & (fx["term"] == term)].iloc[0]
        row.update(
            {
                "exp(b)": fmt(t["exp_est"]),
                "95%-BI": fmt_ci(t["exp_ci_low"], t["exp_ci_high"]),
                "p": fmt_pvalue(t["p"]),
            }
        )
    pub, pub_p = published_estimate(published, f"ch3.{model_id}.{term}")
    row.update({"Rapport": pub, "p (rapport)": pub_p})
    return row


def estimates_table(
    tables: Mapping[str, pd.DataFrame],
    outcome: str,
    published: pd.DataFrame,
    reference: int = 1,
    contrast: str = "",
) -> pd.DataFrame:
    """Display table of one outcome (``count``, ``duration``, ``isoduration``): the report's rows.

    Parameters
    ----------
    tables : mapping
        Results tables by name (:func:`analysis.models.tables.model_tables` or the CSVs).
    outcome : str
        The outcome (:data:`analysis.models.spec.OUTCOMES`).
    published : DataFrame
        :func:`load_published`.
    reference : int
        Reference measurement (for the labels).
    contrast : str
        Room contrast (outcome ``room``).

    Returns
    -------
    DataFrame
        Term, exp(b), 95%-BI, p, Oordeel (``n.i.`` = not interpretable, see
        :mod:`analysis.models.verdict`), Rapport, p (rapport) (text cells).
    """
    rows = [estimate_row(tables, m, t, published, reference) for m, t in key_terms(tables, outcome, contrast)]
    return pd.DataFrame(rows, columns=["Term", "exp(b)", "95%-BI", "p", "Oordeel", "Rapport", "p (rapport)"])


def room_table(
    tables: Mapping[str, pd.DataFrame],
    published: pd.DataFrame,
    reference: int = 1,
    contrasts: Sequence[str] = tuple(ROOM_LABELS),
) -> pd.DataFrame:
    """The room contrasts in one table, the contrast named on its first row only."""
    frames = []
    for c in contrasts:
        t = estimates_table(tables, "room", published, reference, contrast=c)
        if t.empty:
            continue
        t.insert(0, "Contrast", [ROOM_LABELS[c]] + [""] * (len(t) - 1))
        frames.append(t)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


FRAME_LABELS: dict[str, str] = {
    "counts": "Aantal (locatie-maanden)",
    "registrations": "Registraties",
    "duration": "Duur",
    "isolation": "Duur isoleerruimte",
    "reason": "Duur isoleerruimte per aanleiding",
    "ingest": "Bij het inlezen",
}


def frame_label(frame: str) -> str:
    """Dutch label of an analysis-frame name (``room:iso_vs_own`` -> ``Ruimte: isoleer- ...``)."""
    base = frame.split("|")[0]
    if base.startswith("room:"):
        return "Ruimte: " + ROOM_LABELS.get(base[5:], base[5:]).lower()
    return FRAME_LABELS.get(base, base)


def exclusions_table(exclusions: pd.DataFrame) -> pd.DataFrame:
    """Exclusions per analysis frame with Dutch headers; the frame named on its first row only.

    Works on the layout of :func:`analysis.models.frames.frame_exclusions` (frame, reason, n,
    unit, excluded; the row *in het analysebestand* gives the rows the models use) and on the
    older layout (frame, reason, n).
    """
    ex = exclusions.copy()
    labels = ex["frame"].astype(str).map(frame_label)
    first = ~ex["frame"].duplicated()
    out = pd.DataFrame(
        {
            "Bestand": [lab if f else "" for lab, f in zip(labels, first)],
            "Reden": ex["reason"],
            "n": ex["n"].astype(int),
        }
    )
    if "unit" in ex:
        out["Eenheid"] = ex["unit"].fillna("")
    return out


# --- diagnostics and sensitivity (work on the tidy CSV frames too) -----------------------
def diagnostics_display(diag: pd.DataFrame, style: str = "full") -> pd.DataFrame:
    """Simulated-residual tests per model: uniformity, dispersion, zeros (ratio and p).

    ``style``: the model label (:data:`LABELS`; ``compact`` in appendix A)."""

    def col(name: str) -> pd.Series:
        return diag[name] if name in diag.columns else pd.Series(np.nan, index=diag.index)

    return pd.DataFrame(
        {
            "Model": labels(diag, style),
            "KS p": col("ks_p").map(fmt_pvalue),
            "Dispersie": col("dispersion_ratio").map(fmt),
            "p (disp.)": col("dispersion_p").map(fmt_pvalue),
            "Nullen": col("zero_ratio").map(fmt),
            "p (nullen)": col("zero_p").map(fmt_pvalue),
        }
    ).loc[:, lambda d: [c for c in d.columns if (d[c] != "").any()]]


def lr_display(tests: pd.DataFrame, style: str = "full") -> pd.DataFrame:
    """LR tests (``tables.lr_table`` layout) with Dutch labels and the reference distribution."""
    return pd.DataFrame(
        {
            "Toets": tests["name"].map(lambda n: TEST_LABELS.get(n, n)),
            "Model": labels(tests, style),
            "LR": tests["lr"].map(fmt),
            "Verdeling": tests["reference"].astype(str).str.replace("0.5", "0,5", regex=False),
            "p": tests["p"].map(fmt_pvalue),
        }
    )


def lolo_display(
    lolo_range: pd.DataFrame,
    fixed: pd.DataFrame,
    reference: int = 1,
    style: str = "full",
) -> pd.DataFrame:
    """Leave-one-location-out range beside the primary estimate.

    Parameters
    ----------
    lolo_range : DataFrame
        ``SensitivityResults.lolo_range()`` (model_id, term, min, max, n_fits).
    fixed : DataFrame
        ``tables.fixed_table`` of the primary models (for the primary exp(b)).
    reference : int
        Reference measurement (labels).
    """
    prim = fixed.set_index(["model_id", "term"])["exp_est"]
    return pd.DataFrame(
        {
            "Model": labels(lolo_range, style),
            "Term": lolo_range["term"].map(lambda t: term_label(t, reference)),
            "Primair": [
                fmt(prim.get((m, t), np.nan)) for m, t in zip(lolo_range["model_id"], lolo_range["term"])
            ],
            "Minimum": lolo_range["min"].map(fmt),
            "Maximum": lolo_range["max"].map(fmt),
            "Schattingen": lolo_range["n_fits"].astype(int),
        }
    )


def _col_or(df: pd.DataFrame, name: str, default: object) -> pd.Series:
    return df[name] if name in df.columns else pd.Series(default, index=df.index)


def lolo_summary_display(summary: pd.DataFrame, reference: int = 1) -> pd.DataFrame:
    """Leave one location out per key estimate, for the reader (notebook 03b).

    Each key estimate comes from the model with only that term (month or measurement), so the
    outcome and the term name it.

    Parameters
    ----------
    summary : DataFrame
        :func:`analysis.models.sensitivity.lolo_summary`.
    reference : int
        Reference measurement (labels).
    """
    return pd.DataFrame(
        {
            "Uitkomst": [
                outcome_label(o, c)
                for o, c in zip(declared(summary)["outcome"], declared(summary)["contrast"])
            ],
            "Term": summary["term"].map(lambda t: term_label(t, reference)),
            "Alle locaties": summary["exp_est"].map(fmt),
            "p": summary["p"].map(fmt_pvalue),
            "Zonder één locatie": [
                f"{fmt(a)} - {fmt(b)}" if pd.notna(a) else "" for a, b in zip(summary["min"], summary["max"])
            ],
            "Zelfde conclusie": [
                f"{s} van {n}" + (f" ({k} niet te beoordelen)" if k else "")
                for s, n, k in zip(
                    summary["n_same"], summary["n_fits"], _col_or(summary, "n_not_assessable", 0)
                )
            ],
            "Grootste invloed": [
                f"{loc}: {fmt(x)}" if isinstance(loc, str) else ""
                for loc, x in zip(summary["most_influential"], summary["exp_est_without"])
            ],
        }
    )


def _paired(estimates: pd.DataFrame) -> pd.DataFrame:
    """Primary and variant estimate of each (analysis, model, term) side by side, with the
    comparison (``conclusion``: same / different / not_assessable, one rule:
    :func:`analysis.models.sensitivity.compare_conclusions`)."""
    from analysis.models.sensitivity import compare_conclusions

    est = declared(estimates.dropna(subset=["term"]))
    for c in ("exp_est", "exp_ci_low", "exp_ci_high", "p"):  # object dtype after concat with empty frames
        est[c] = pd.to_numeric(est[c], errors="coerce")
    if "verdict" not in est:  # tables written before verdicts existed: status decides
        est["verdict"] = np.where(est["status"] == "ok", "ok", "warnings")
    est["verdict"] = est["verdict"].fillna("").astype(str)
    key = ["analysis", "model_id", "term"]
    prim = est[est["variant"] == "primary"].drop_duplicates(key).set_index(key)
    var = est[est["variant"] != "primary"].assign(variant_term=lambda d: d["term"])
    if "compared_term" in var:  # the primary term a variant term answers (sensitivity.compared_term)
        var["term"] = var["compared_term"].where(var["compared_term"].notna(), var["term"])
        var = var[var["term"] != ""]
    var = var.drop_duplicates(key + ["variant_term"]).set_index(key)
    both = (
        prim[["exp_est", "p", "verdict", "outcome", "contrast", "kind"]]
        .join(
            var[["variant_term", "exp_est", "exp_ci_low", "exp_ci_high", "p", "status", "verdict"]],
            lsuffix="_prim",
            rsuffix="_var",
            how="inner",
        )
        .reset_index()
    )
    both["conclusion"] = compare_conclusions(
        both["exp_est_var"],
        both["p_var"],
        both["verdict_var"] == "ok",
        both["exp_est_prim"],
        both["p_prim"],
        both["verdict_prim"] == "ok",
    )
    return both


def sensitivity_summary(estimates: pd.DataFrame) -> pd.DataFrame:
    """Per alternative specification: how far the ratios moved and whether conclusions held.

    Conclusion (one rule, :func:`analysis.models.sensitivity.compare_conclusions`): same side of
    1 and same significance at 5%; a comparison with a fit that is not interpretable is *niet te
    beoordelen*. The largest shift is taken over the assessable comparisons.
    """
    pairs = _paired(estimates)
    rows = []
    for analysis, g in pairs.groupby("analysis", sort=False):
        ok = g[g["conclusion"] != "not_assessable"]
        shift = np.abs(np.log(ok["exp_est_var"] / ok["exp_est_prim"]))
        worst = ok.loc[shift.idxmax()] if shift.notna().any() else None
        n = g["conclusion"].value_counts()
        rows.append(
            {
                "Analyse": SENSITIVITY_LABELS.get(analysis, analysis),
                "Modellen": g["model_id"].nunique(),
                "Grootste verschuiving exp(b)": ""
                if worst is None
                else (f"{fmt(worst['exp_est_prim'])} → {fmt(worst['exp_est_var'])}"),
                "Bij": "" if worst is None else f"{model_label(worst)}: {term_label(worst['term'])}",
                "Zelfde": int(n.get("same", 0)),
                "Anders": int(n.get("different", 0)),
                "Niet te beoordelen": int(n.get("not_assessable", 0)),
            }
        )
    return pd.DataFrame(rows)


def conclusion_counts(estimates: pd.DataFrame) -> dict[str, object]:
    """Counts of same / different / not assessable over all comparisons, and who changes what.

    Returns
    -------
    dict
        ``same``, ``different``, ``not_assessable`` (int), ``total`` (int) and ``changed``
        (list of Dutch analysis labels with at least one different conclusion, in run order).
    """
    pairs = _paired(estimates)
    n = pairs["conclusion"].value_counts()
    changed = pairs.loc[pairs["conclusion"] == "different", "analysis"].drop_duplicates()
    return {
        "same": int(n.get("same", 0)),
        "different": int(n.get("different", 0)),
        "not_assessable": int(n.get("not_assessable", 0)),
        "total": len(pairs),
        "changed": [SENSITIVITY_LABELS.get(a, a) for a in changed],
    }


def sensitivity_detail(
    estimates: pd.DataFrame, analysis: str, reference: int = 1, style: str = "full"
) -> pd.DataFrame:
    """All terms of one alternative specification: primary vs changed exp(b), CI and p."""
    g = _paired(estimates)
    g = g[g["analysis"] == analysis]
    return pd.DataFrame(
        {
            "Model": labels(g, style),
            "Term": [
                term_label(t, reference) + ("" if v == t else f" ↔ {term_label(v, reference).lower()}")
                for t, v in zip(g["term"], g["variant_term"])
            ],
            "Primair": g["exp_est_prim"].map(fmt),
            "Variant": g["exp_est_var"].map(fmt),
            "95%-BI variant": [fmt_ci(a, b) for a, b in zip(g["exp_ci_low"], g["exp_ci_high"])],
            "p variant": g["p_var"].map(fmt_pvalue),
            "Conclusie": g["conclusion"].map(CONCLUSION_NL),
        }
    )


# --- appendix A: every model in full (from the results tables) ------------------------------
FAMILY_NL: dict[str, str] = {
    "nbinom2": "negatief-binomiaal (NB2)",
    "gaussian": "normaal, ln(minuten)",
    "binomial": "binomiaal (logit)",
    "poisson": "Poisson",
    "gamma_log": "gamma (log)",
}
METHOD_NL: dict[str, str] = {"ML (REML = FALSE)": "ML"}
STATUS_NL: dict[str, str] = {"ok": "ok", "warning": "waarschuwing", "failed": "mislukt"}
VERDICT_SHORT: dict[str, str] = {
    "failed": "mislukt",
    "not_converged": "niet geconvergeerd",
    "singular": "singulier",
    "warnings": "waarschuwing",
    "separation": "scheiding",
    "extreme_estimate": f"|b| > {nf.shortest(MAX_ABS_B)}",
    "extreme_re_sd": f"SD > {nf.shortest(MAX_RE_SD)}",
    "extreme_icc": f"ICC > {nf.shortest(MAX_ICC)}",
    "ci_degenerate": "BI zonder breedte",
}
"""Short Dutch name per verdict reason (appendix A's column *Oordeel*)."""


def sig(x: object, digits: int = 3) -> str:
    """Number with ``digits`` significant digits (:func:`analysis.present.format.significant`)."""
    return nf.significant(x, digits)


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df.columns else pd.Series([float("nan")] * len(df), index=df.index)


def formula_labels(fit: pd.DataFrame) -> dict[str, str]:
    """Each distinct R formula of ``ch3_models_fit`` with the kind of its (first) model.

    The room contrasts share formulas: each is listed once.
    """
    if "formula" not in fit.columns:
        return {}
    seen: dict[str, str] = {}
    for f, kind, m in zip(fit["formula"], declared(fit)["kind"], fit["model_id"]):
        if pd.notna(f) and f not in seen:
            seen[f] = kind_label(kind) if kind else str(m)
    return seen


def overview_table(fit: pd.DataFrame) -> pd.DataFrame:
    """One row per outcome: distribution, software, estimation method, observations, groups."""
    rows = []
    for key, g in by_outcome(fit).items():
        first = g.iloc[0]
        nobs = sorted({int(v) for v in _col(g, "nobs").dropna()})
        groups = sorted({str(v).replace("locatie=", "") for v in _col(g, "ngroups").dropna()})
        rows.append(
            {
                "Uitkomst": OUTCOME_LABELS[key],
                "Verdeling": FAMILY_NL.get(str(first.get("family", "")), str(first.get("family", ""))),
                "Software": str(first.get("engine", "")),
                "Schatting": METHOD_NL.get(str(first.get("method", "")), str(first.get("method", ""))),
                "Optimalisatie": optimizers_cell(g),
                "n": "-".join(str(n) for n in (nobs[0], nobs[-1]))
                if len(nobs) > 1
                else (str(nobs[0]) if nobs else ""),
                "Locaties": "-".join(groups),
            }
        )
    return pd.DataFrame(rows)


def optimizers_cell(g: pd.DataFrame) -> str:
    """Optimizers of a section's fits, each with its number of models when there is more than one.

    ``nloptwrap`` for all models gives ``nloptwrap``; two restarted fits among twelve give
    ``nloptwrap (10), bobyqa (2)``. Empty for tables written before the column existed.
    """
    col = _col(g, "optimizer").dropna().astype(str)
    col = col[col.ne("")]
    if col.empty:
        return ""
    n = col.value_counts(sort=False)
    names = list(dict.fromkeys(col))
    if len(names) == 1:
        return names[0]
    return ", ".join(f"{m} ({int(n[m])})" for m in names)


def versions_table(fit: pd.DataFrame) -> pd.DataFrame | None:
    """Software versions recorded with the fits (once)."""
    v = _col(fit, "versions").dropna()
    if v.empty:
        return None
    items = [x.split("=", 1) for x in str(v.iloc[0]).split(";") if "=" in x]
    return pd.DataFrame(items, columns=["Software", "Versie"]) if items else None


def fixed_display(fixed: pd.DataFrame, reference: int = 1) -> pd.DataFrame:
    """Fixed effects: model (first row only), term, b, SE, exp(b), 95% CI, p."""
    first = ~fixed["model_id"].duplicated()
    short = labels(fixed, "short")
    bad = set(fixed.loc[_col(fixed, "verdict").fillna("ok").astype(str) != "ok", "model_id"])
    # exp(intercept) is a baseline rate/odds at the centre month, not a ratio: b and SE suffice
    ratio = fixed["term"] != "intercept"
    return pd.DataFrame(
        {
            "Model": [
                (lab + (" (n.i.)" if m in bad else "")) if f else ""
                for m, lab, f in zip(fixed["model_id"], short, first)
            ],
            "Term": fixed["term"].map(lambda t: term_label(str(t), reference)),
            "b": _col(fixed, "estimate").map(sig),
            "SE": _col(fixed, "se").map(sig),
            "exp(b)": _col(fixed, "exp_est").where(ratio).map(sig),
            "95%-BI": [
                f"{sig(a)}{nf.CI_JOIN['nl']}{sig(b)}" if pd.notna(a) and r else ""
                for a, b, r in zip(_col(fixed, "exp_ci_low"), _col(fixed, "exp_ci_high"), ratio)
            ],
            "p": _col(fixed, "p").map(fmt_pvalue),
        }
    )


def verdict_cell(code: object, caution: object = "", n_locations: object = None) -> str:
    """Appendix-A cell of a verdict code: ``interpreteerbaar`` or ``niet: scheiding, ICC > 0,9``;
    a caution is added (``interpreteerbaar; 6 locaties``)."""
    if not isinstance(code, str) or not code:
        return ""
    v = from_code(code, caution)
    cell = (
        "interpreteerbaar" if v.interpretable else "niet: " + ", ".join(VERDICT_SHORT[r] for r in v.reasons)
    )
    if "few_locations" in v.cautions:
        n = pd.to_numeric(pd.Series([n_locations]), errors="coerce").iloc[0]
        cell += f"; {int(n)} locaties" if pd.notna(n) else "; weinig locaties"
    return cell


def _dispersion(row: pd.Series) -> str:
    if pd.notna(row.get("theta", float("nan"))):
        return f"θ = {sig(row['theta'])}"
    if pd.notna(row.get("sigma", float("nan"))):
        return f"σ = {sig(row['sigma'])}"
    return ""


def fit_display(fit: pd.DataFrame, random: pd.DataFrame, lr: pd.DataFrame) -> pd.DataFrame:
    """Per model: logLik, AIC, location variance, ICC, dispersion, chibar2 test, status."""
    var = {}
    if len(random):
        loc = random[(random["var1"] == "(Intercept)") & random["var2"].isna()]
        var = dict(zip(loc["model_id"], loc["vcov"]))
    tests = lr.set_index("model_id") if len(lr) else pd.DataFrame(columns=["lr", "p"])
    rows = []
    for (_, r), short in zip(fit.iterrows(), labels(fit, "short")):
        m = r["model_id"]
        t = tests.loc[m] if m in tests.index else None
        rows.append(
            {
                "Model": short,
                "logL": fmt(r.get("loglik", float("nan")), 1),
                "AIC": fmt(r.get("aic", float("nan")), 1),
                "Var. locatie": sig(var.get(m)),
                "ICC": fmt(r.get("icc", float("nan")), 2),
                "Dispersie": _dispersion(r),
                "chibar2": "" if t is None else fmt(t["lr"], 2),
                "p": "" if t is None else fmt_pvalue(t["p"]),
                "Oordeel": verdict_cell(
                    r.get("verdict", ""), r.get("verdict_caution", ""), r.get("n_locations")
                )
                or STATUS_NL.get(str(r.get("status", "")), str(r.get("status", ""))),
            }
        )
    out = pd.DataFrame(rows)
    return out[[c for c in out.columns if c == "Model" or (out[c] != "").any()]]


def _method_cell(method: object, df: object) -> str:
    """``profiel-likelihood (LR-toets)`` or ``Satterthwaite-t, df 1.248``."""
    name = METHOD_NAMES.get(str(method), str(method))
    d = pd.to_numeric(pd.Series([df]), errors="coerce").iloc[0]
    return f"{name}, df {sig(d)}" if pd.notna(d) else name


def better_display(fixed: pd.DataFrame, reference: int = 1) -> pd.DataFrame:
    """Wald and the better interval side by side, per reported term (not the intercept).

    Parameters
    ----------
    fixed : DataFrame
        ``ch3_models_fixed`` with the columns of :data:`analysis.models.tables.BETTER_COLUMNS`.
    reference : int
        Reference measurement (term labels).
    """
    f = fixed[(fixed["term"] != "intercept") & _col(fixed, "ci_method").fillna("").astype(str).ne("")]
    first = ~f["model_id"].duplicated()
    used = _col(f, "ci_reported").fillna("wald").astype(str).ne("wald")

    def bi(lo: pd.Series, hi: pd.Series) -> list[str]:
        return [f"{sig(a)}{nf.CI_JOIN['nl']}{sig(b)}" if pd.notna(a) else "" for a, b in zip(lo, hi)]

    return pd.DataFrame(
        {
            "Model": [lab if fr else "" for lab, fr in zip(labels(f, "compact"), first)],
            "Term": f["term"].map(lambda t: term_label(str(t), reference)),
            "exp(b)": _col(f, "exp_est").map(sig),
            "BI Wald": bi(_col(f, "exp_ci_low"), _col(f, "exp_ci_high")),
            "p Wald": _col(f, "p").map(fmt_pvalue),
            "BI beter": bi(_col(f, "exp_ci_low_better"), _col(f, "exp_ci_high_better")),
            "p beter": _col(f, "p_better").map(fmt_pvalue),
            "Methode": [_method_cell(m, d) for m, d in zip(_col(f, "ci_method"), _col(f, "df"))],
            "In de tekst": ["beter" if u else "Wald" for u in used],
        }
    )


def simulated_lrt_display(lr: pd.DataFrame, fit: pd.DataFrame) -> pd.DataFrame:
    """The simulated LR tests of the location variance beside chibar2 (rows where one ran)."""
    t = lr[_col(lr, "lrt_sim_method").fillna("").astype(str).ne("")]
    locs = dict(zip(fit["model_id"], _col(fit, "n_locations"))) if len(fit) else {}
    return pd.DataFrame(
        {
            "Model": labels(t, "compact"),
            "Locaties": t["model_id"].map(lambda m: "" if pd.isna(locs.get(m)) else str(int(locs[m]))),
            "chibar2": t["lr"].map(lambda x: fmt(x, 2)),
            "p chibar2": t["p"].map(fmt_pvalue),
            "p simulatie": _col(t, "p_lrt_boot").map(fmt_pvalue),
            "MC-interval": [
                f"{sig(a, 2)}{nf.CI_JOIN['nl']}{sig(b, 2)}"
                for a, b in zip(_col(t, "p_lrt_boot_low"), _col(t, "p_lrt_boot_high"))
            ],
            "Simulaties": _col(t, "n_boot").map(lambda n: nf.number(n, 0) if pd.notna(n) else ""),
            "Methode": _col(t, "lrt_sim_method").map(lambda m: LRT_SIM_PHRASES.get(str(m), str(m))),
        }
    )
