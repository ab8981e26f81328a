"""Appendix A, model cards: one compact subsection per chapter-3 model.

Reads the cards the build wrote (:func:`analysis.models.cards.read_cards`,
``<build>/results/models/ch3_model_cards.json``) and lays each out as a short list and its R code.
The specification choices are listed once, in full (stated: the report's words and place;
inferred: our reason), and each card names the ones it is made of. Leave one location out runs in
a build step of its own, so its ranges are joined here from ``ch3_sens_lolo_range.csv``
(:func:`analysis.models.cards.lolo_for`). A column of a results table that this module does not
know is shown under its own name, so nothing on a card is hidden.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from analysis.models.cards import lolo_for, read_cards
from analysis.models.tables import FIXED_COLUMNS
from analysis.models.choices import CHOICES, STATUS_NL
from analysis.present import format as nf
from analysis.present import models as present
from analysis.report.trace import id_patterns

FAMILY_NL: dict[str, str] = {
    "nbinom2": "negatief-binomiaal (NB2)",
    "gaussian": "normaal",
    "binomial": "binomiaal",
    "poisson": "Poisson",
    "gamma_log": "gamma",
}
CONCLUSION_NL: dict[str, str] = {
    "same": "zelfde",
    "different": "anders",
    "not_assessable": "niet te beoordelen",
}

#: Columns each section lays out itself; any other column is listed as ``name = value``.
KNOWN_FIXED = set(FIXED_COLUMNS) - {"model_id"}
KNOWN_LR = {
    "null_model",
    "null_engine",
    "name",
    "loglik_full",
    "loglik_reduced",
    "lr",
    "df",
    "boundary",
    "reference",
    "p",
}
KNOWN_DIAG = {
    "nsim",
    "ks_stat",
    "ks_p",
    "dispersion_ratio",
    "dispersion_p",
    "zero_ratio",
    "zero_p",
    "simulation",
    "error",
}


def _num(x: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits by the one formatter; text as it is."""
    if isinstance(x, bool) or x is None:
        return "" if x is None else ("ja" if x else "nee")
    if isinstance(x, (int, float)):
        return nf.significant(x, digits)
    return str(x)


def _extra(row: Mapping[str, Any], known: set[str]) -> str:
    """``name = value`` for the columns of ``row`` this module does not lay out (none: empty)."""
    parts = [f"{k} = {_num(v)}" for k, v in row.items() if k not in known and v not in (None, "")]
    return ("; " + "; ".join(parts)) if parts else ""


def _fixed(card: Mapping[str, Any]) -> str:
    rows = [r for r in card["fixed"] if r.get("term") != "intercept"]
    out = []
    for r in rows:
        out.append(
            f"{r['term']}: exp(b) {_num(r.get('exp_est'))} "
            f"(95%-BI {nf.ci(r.get('exp_ci_low'), r.get('exp_ci_high'), 2)}), "
            f"b = {_num(r.get('estimate'), 4)}, SE {_num(r.get('se'))}, "
            f"{nf.p_text(r.get('p'))}{_extra(r, KNOWN_FIXED)}"
        )
    return "; ".join(out) if out else "geen (model niet geschat)"


def _random(card: Mapping[str, Any]) -> str:
    parts = []
    for r in card["random"]:
        if r.get("var2") is None:
            parts.append(f"{r['group']} {r['var1']}: SD {_num(r.get('sd_cor'))}")
        else:
            parts.append(f"{r['group']} cor({r['var1']}, {r['var2']}) {_num(r.get('sd_cor'))}")
    icc = card["fit"].get("icc")
    return "; ".join(parts) + (f"; ICC {_num(icc)}" if icc is not None else "")


def _lr(card: Mapping[str, Any]) -> str:
    lr = card["lr_test"]
    if "lr" not in lr:
        return "niet getoetst"
    return (
        f"nulmodel `{lr['null_model']}` ({lr['null_engine']}); log-likelihood {_num(lr.get('loglik_full'), 6)} "
        f"met en {_num(lr.get('loglik_reduced'), 6)} zonder random intercept; LR = {_num(lr.get('lr'))}, "
        f"referentie {lr.get('reference')}, {nf.p_text(lr.get('p'))}{_extra(lr, KNOWN_LR)}"
    )


def _diag(card: Mapping[str, Any]) -> str:
    d = card["diagnostics"]
    if not d:
        return "niet berekend"
    if d.get("error"):
        return f"mislukt: {d['error']}"
    parts = [f"KS D = {_num(d.get('ks_stat'))} ({nf.p_text(d.get('ks_p'))})"]
    if d.get("dispersion_ratio") is not None:
        parts.append(f"dispersie {_num(d['dispersion_ratio'])} ({nf.p_text(d.get('dispersion_p'))})")
    if d.get("zero_ratio") is not None:
        parts.append(f"nullen {_num(d['zero_ratio'])} ({nf.p_text(d.get('zero_p'))})")
    rule = card.get("diagnostics_rule") or {}
    limits = "; ".join(
        f"{t} {v['effect']} > {_num(v['caution'])} voorzichtig, > {_num(v['not_interpretable'])} n.i."
        for t, v in (rule.get("limits") or {}).items()
    )
    told = f" Regel: p < {_num(rule.get('alpha'))} én {limits}." if limits else ""
    return "; ".join(parts) + f"; {_num(d.get('nsim'))} simulaties{_extra(d, KNOWN_DIAG)}.{told}"


def _sensitivity(card: Mapping[str, Any]) -> str:
    """Per analysis: each term's exp(b), p and conclusion; a fit that is not interpretable once."""
    by: dict[str, list[Mapping[str, Any]]] = {}
    for r in card["sensitivity"]:
        by.setdefault(r["analysis"], []).append(r)
    parts = []
    for analysis, rows in by.items():
        label = present.SENSITIVITY_LABELS.get(analysis, analysis).lower()
        if all(r.get("term") is None for r in rows):
            parts.append(f"{label}: mislukt")
            continue
        verdict = rows[0].get("verdict")
        flag = "" if verdict == "ok" else f" (n.i.: {verdict})"
        terms = [
            f"{r['term']} {_num(r.get('exp_est'))} ({nf.p_text(r.get('p'))}"
            + (f", {CONCLUSION_NL[r['conclusion']]}" if r.get("conclusion") in CONCLUSION_NL else "")
            + ")"
            for r in rows
            if r.get("term") is not None
        ]
        parts.append(f"{label}{flag}: " + ", ".join(terms))
    for t in card["sensitivity_tests"]:
        parts.append(
            f"LR-toets {t['name']}: {_num(t.get('lr'))}, {t.get('reference')}, {nf.p_text(t.get('p'))}"
        )
    return "; ".join(parts) if parts else "geen"


def _lolo(models_dir: Path, card: Mapping[str, Any]) -> str:
    terms = card["leave_one_out"]["terms"]
    if not terms:
        return "niet voor dit model"
    rng = lolo_for(models_dir, card)
    if rng.empty:
        return f"gepland voor {', '.join(terms)}; niet uitgevoerd in deze build"
    return "; ".join(
        f"{r.term}: exp(b) {nf.ci(r.min, r.max, 2)} over {nf.integer(r.n_fits)} fits"
        for r in rng.itertuples()
    )


def _data(card: Mapping[str, Any]) -> str:
    d = card["data"]
    unit = next((e["unit"] for e in d["exclusions"] if not e.get("excluded")), "rijen")
    youths = "" if d["youths"] is None else f", {nf.integer(d['youths'])} jongeren"
    out = [f"{nf.integer(d['rows'])} {unit}, {nf.integer(d['locations'])} locaties{youths}"]
    out += [
        f"uitgesloten: {e['reason']} ({nf.integer(e['n'])})" for e in d["exclusions"] if e.get("excluded")
    ]
    where = "beveiligde buildmap, nooit gedeeld" if d["frame_secure"] else "naast de kaarten"
    out.append(f"analysebestand `{d['frame_file']}` ({where})")
    return "; ".join(out)


def _estimation(card: Mapping[str, Any]) -> str:
    e = card["estimation"]
    out = f"{e['method']} ({e['engine']}), optimizer {e['optimizer']}; instellingen: `{e['controls']}`"
    if e["restart_rule"]:
        out += "; herstart met bobyqa " + ("gedaan" if e["restarted"] else "niet nodig")
    return out


def _choices(card: Mapping[str, Any]) -> str:
    by = {s: [c["key"] for c in card["choices"] if c["status"] == s] for s in STATUS_NL}
    return "; ".join(f"{STATUS_NL[s]}: {', '.join(keys)}" for s, keys in by.items() if keys)


def card_md(models_dir: Path, card: Mapping[str, Any], label: str = "") -> str:
    """One card as a level-3 section: a list, then its R code; ``label``: the model's Dutch label
    (:func:`model_labels`; empty: the id alone)."""
    spec, fit = card["specification"], card["fit"]
    verdict = card["verdict"]
    reasons = "; ".join(r["text"] for r in verdict["reasons"]) or "interpreteerbaar"
    cautions = [c["text"] for c in verdict.get("cautions", [])]
    if cautions:
        reasons += "; voorzichtig te lezen: " + "; ".join(cautions)
    offset = f", offset `{spec['offset']}`" if spec["offset"] else ""
    items = [
        ("Gepubliceerd", ", ".join(id_patterns(card["published_ids"])) or "geen (niet in het rapport)"),
        (
            "Model",
            f"`{spec['formula']}`; {FAMILY_NL.get(spec['family'], spec['family'])}, link {spec['link']}"
            f"{offset}; random `{spec['random']}`",
        ),
        ("Gegevens", _data(card)),
        ("Schatting", _estimation(card)),
        ("Vaste effecten", _fixed(card)),
        ("Variantie", _random(card)),
        ("LR-toets", _lr(card)),
        ("Oordeel", f"{verdict['code'] or fit.get('status', '')}: {reasons}"),
        ("Diagnostiek", _diag(card)),
        ("Gevoeligheid", _sensitivity(card)),
        ("Een locatie weglaten", _lolo(models_dir, card)),
        ("Keuzes", _choices(card)),
    ]
    title = f"{label} (`{card['model_id']}`)" if label else f"`{card['model_id']}`"
    lines = [f"### {title}\n"]
    lines += [f"- **{k}**: {v}" for k, v in items]
    lines += ["", "```r", card["r_snippet"].rstrip("\n"), "```", ""]
    return "\n".join(lines)


def choices_md() -> str:
    """Every specification choice once: key, status, what, and the report's words or our reason."""
    lines = []
    for c in CHOICES:
        src = f' Rapport: *"{c.quote}"* ({c.where}).' if c.quote else ""
        why = f" Reden: {c.reden}" if c.status == "inferred" else ""
        lines.append(f"- **{c.key}** ({STATUS_NL[c.status]}): {c.keuze}{src}{why}")
    return "\n".join(lines) + "\n"


def model_labels(models_dir: Path, cards: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """model_id -> Dutch label of each card's model, from the declaration columns of
    ``ch3_models_fit.csv`` (:func:`analysis.present.models.labels`)."""
    path = Path(models_dir) / "ch3_models_fit.csv"
    fit = pd.read_csv(path) if path.exists() else pd.DataFrame({"model_id": [c["model_id"] for c in cards]})
    return dict(zip(fit["model_id"].astype(str), present.labels(fit)))


def cards_md(models_dir: Path) -> list[str]:
    """The model cards section of appendix A (empty list when the build wrote no cards)."""
    cards = read_cards(models_dir)
    if not cards:
        return []
    names = model_labels(models_dir, cards)
    return [
        "## Modelkaarten\n",
        "Per model één kaart: alles over dat model op één plaats, gemaakt uit de resultaten van deze "
        "build (`results/models/ch3_model_cards.json` en `.csv`). De R-code schat het model zonder "
        "deze software opnieuw uit het analysebestand; voer haar uit in de buildmap. Elke keuze in de "
        "specificatie is *gesteld* (het rapport van 2021 zegt het: zijn woorden en de plaats in de "
        "tekstversie, hoofdstuk en regel, want die heeft geen paginanummers) of *afgeleid* (onze "
        "keuze, met de reden). Alle keuzes:\n",
        choices_md(),
        *(card_md(models_dir, c, names.get(c["model_id"], "")) for c in cards),
    ]
