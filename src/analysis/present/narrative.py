"""Dutch sentences for the chapter-3 notebook, built from the fitted results (never typed numbers)."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.models.fit import ModelResult
from analysis.models.frames import ROOM_CONTRASTS, room_label
from analysis.models.verdict import Verdict
from analysis.present import format as nf
from analysis.present import text
from analysis.present.models import (
    LRT_SIM_PHRASES,
    METHOD_PHRASES,
    REASON_LABELS,
    ci_phrase,
    fixed_rows,
    reported_inference,
    wald_change_phrase,
    fmt,
    fmt_ci,
    fmt_p_text,
    declared,
    model_label,
    outcome_label,
    term_label,
)

OUTCOME = {
    "count": "het aantal ongeplande afzonderingen per bezette plaats",
    "duration": "de duur van een ongeplande afzondering",
    "isoduration": "de duur van een afzondering in een isoleer- of separeerruimte",
    "room": "de kans op deze ruimte",
}
RATIO = {
    "count": "rate ratio",
    "duration": "verhouding van geometrische gemiddelden",
    "isoduration": "verhouding van geometrische gemiddelden",
    "room": "odds ratio",
}


def _room_phrase(contrast: str) -> str:
    """``de odds op <room> (ten opzichte van <rooms>)`` from the codebook labels."""
    ones, zeros = ROOM_CONTRASTS[contrast]
    first = " of ".join(room_label(c).lower() for c in ones)
    second = " of ".join(room_label(c).lower() for c in zeros)
    return f"de odds op {first} (ten opzichte van {second})"


ROOM = {c: _room_phrase(c) for c in ROOM_CONTRASTS}
"""What a room model's ratio is about, per contrast."""


def _lead(res: ModelResult, term: str, value: str) -> str:
    """Opening of an effect sentence, by kind of term."""
    what = ROOM[res.spec.contrast] if res.spec.contrast else OUTCOME[res.spec.group]
    original = {v: k for k, v in res.spec.term_map}.get(term, term)
    if term == "month":
        return f"Per opeenvolgende maand was {what} {value} keer zo groot"
    if term.startswith("month_x_meting"):
        return (
            f"De maandelijkse verandering van {what} was in meting {term[14:]} {value} keer "
            "die in de referentiemeting"
        )
    if term.startswith("meting"):
        return f"In meting {term[6:]} was {what} {value} keer zo groot als in de referentiemeting"
    if "_x_meting" in original:
        reason, k = original.split("_x_meting")
        return (
            f"Bij de aanleiding {REASON_LABELS.get(reason, reason).lower()} was {what} in meting {k} "
            f"{value} keer zo groot als in de referentiemeting"
        )
    return f"De term {term} was {value}"


def not_interpretable_sentence(label: str, verdict: Verdict) -> str:
    """One Dutch sentence: the model is not interpretable, why, and that nothing is concluded.

    Parameters
    ----------
    label : str
        Dutch model label (lower case), e.g. ``ruimte: isoleerruimte t.o.v. eigen kamer, maand``.
    verdict : Verdict
        :func:`analysis.models.verdict.judge` of the model.
    """
    return (
        f"Het model {label} is niet interpreteerbaar, want {text.join(verdict.phrases())}; "
        "er wordt geen conclusie uit getrokken."
    )


def caution_sentence(res: ModelResult) -> str:
    """For an interpretable model whose residual diagnostics fail a stated rule: read it with
    care, and why (:data:`analysis.models.verdict.DIAGNOSTIC_RULES`); empty otherwise."""
    from analysis.models.verdict import REASON_NL

    misfits = [c for c in res.verdict.cautions if c.startswith("misfit_")]
    if not misfits or not res.interpretable:
        return ""
    return (
        f"Het model {model_label(res.spec).lower()} is voorzichtig te lezen, want "
        f"{text.join(REASON_NL[c] for c in misfits)}."
    )


def diagnostic_rule_sentence(results: Mapping[str, ModelResult]) -> str:
    """What the stated rule of the diagnostics decided: how many models are read with care and
    how many are not interpretable because of their residuals (zero cases included)."""
    from analysis.models.verdict import DIAG_ALPHA

    done = [r for r in results.values() if getattr(r, "diagnosis", None)]
    if not done:
        return ""
    care = sum(
        1 for r in done if r.interpretable and any(c.startswith("misfit_") for c in r.verdict.cautions)
    )
    out = sum(1 for r in done if "misfit" in r.verdict.reasons)
    return (
        f"Een afwijking telt pas mee als de toets significant is (p < {fmt(DIAG_ALPHA, 2)}) én groot "
        "genoeg volgens de vastgestelde grenzen (bijlage A); daarmee "
        f"{text.verb(care, 'is', 'zijn')} {text.count(care, 'model', 'modellen', zero='geen enkel model')} "
        f"voorzichtig te lezen en {text.verb(out, 'is', 'zijn')} "
        f"{text.count(out, 'model', 'modellen', zero='geen enkel model')} om die reden niet interpreteerbaar."
    )


def verdict_sentence(res: ModelResult) -> str:
    """The one sentence for a model that is not interpretable: what is wrong; no conclusion."""
    if res.status == "failed":
        return f"Het model {model_label(res.spec).lower()} kon niet geschat worden: {res.error}"
    return not_interpretable_sentence(model_label(res.spec).lower(), res.verdict)


def effect_sentence(res: ModelResult, term: str) -> str:
    """One sentence about a fixed term on the exp scale with its CI and p-value.

    A model that is not interpretable (:attr:`ModelResult.verdict`) gets
    :func:`verdict_sentence` instead: no estimate is reported as a finding.
    """
    if not res.interpretable:
        return verdict_sentence(res)
    row = res.term(term)
    if res.small is None:
        sig = "significant" if row["p"] < 0.05 else "niet significant"
        return (
            f"{_lead(res, term, fmt(row['exp_est']))} ({RATIO[res.spec.group]}; 95%-BI "
            f"{fmt_ci(row['exp_ci_low'], row['exp_ci_high'])}, {fmt_p_text(row['p'])}): {sig}."
        )
    # the interval of the small-sample rule (analysis.models.smallsample), Wald otherwise
    rep = reported_inference(fixed_rows(res).loc[term])
    sig = "significant" if float(rep["p"]) < 0.05 else "niet significant"
    change = wald_change_phrase(rep)
    return f"{_lead(res, term, fmt(row['exp_est']))} ({RATIO[res.spec.group]}; {ci_phrase(rep)}): {sig}." + (
        f" {change}" if change else ""
    )


def random_sentence(res: ModelResult) -> str:
    """Sentence on the location random intercept and its chibar2 test."""
    if not res.interpretable:
        return verdict_sentence(res)
    if res.lr is None:
        return f"Voor het model {model_label(res.spec).lower()} is de variatie tussen locaties niet getoetst."
    sig = "significante" if res.lr.p < 0.05 else "geen significante"
    sim = res.small.lrt if res.small is not None else None
    if sim is None:
        return (
            f"Er is {sig} variatie tussen locaties (chibar2 = {fmt(res.lr.lr)}, "
            f"{fmt_p_text(res.lr.p)}; ICC = {fmt(res.icc)})."
        )
    return (
        f"Er is {sig} variatie tussen locaties (chibar2 = {fmt(res.lr.lr)}, {fmt_p_text(res.lr.p)}; "
        f"ICC = {fmt(res.icc)}). " + simulated_lrt_sentence(res.lr.p, sim)
    )


def simulated_lrt_sentence(p_chibar2: float, sim) -> str:
    """The simulated LR test of the location variance beside chibar2, and what it concludes.

    Parameters
    ----------
    p_chibar2 : float
        p-value of the chibar2 test.
    sim : SimulatedLRT
        :class:`analysis.models.smallsample.SimulatedLRT`.
    """
    lo, hi = sim.p_interval
    what = LRT_SIM_PHRASES.get(sim.method, sim.method)
    n = text.count(sim.nsim, "simulatie", "simulaties")
    mc = f"{nf.significant(lo, 2)}{nf.CI_JOIN['nl']}{nf.significant(hi, 2)}"
    head = f"Met een {what} ({n}) is {fmt_p_text(sim.p)} (Monte-Carlo-interval {mc})"
    if lo < 0.05 <= hi:
        return head + f"; met {n} is niet te bepalen of p onder 0,05 ligt."
    if (hi < 0.05) == (p_chibar2 < 0.05):
        return head + ": dezelfde conclusie als met chibar2."
    return head + ": een andere conclusie dan met chibar2."


def small_sample_sentence(results: Sequence[ModelResult]) -> str:
    """Why the intervals of these models are not Wald's (the rule of
    :mod:`analysis.models.smallsample`), and whether any conclusion changes; empty when Wald is
    reported for all of them."""
    from analysis.models.smallsample import DISAGREE_SHARE, MIN_LOCATIONS
    from analysis.models.tables import reported_method

    used = [r for r in results if r.small is not None and reported_method(r) != "wald"]
    if not used:
        return ""
    methods = list(dict.fromkeys(r.small.method for r in used))
    few = sorted({r.small.n_locations for r in used if r.small.few_locations})
    why = []
    if few:
        why.append(
            f"{'het model rust' if len(used) == 1 else 'de modellen rusten'} op "
            f"{text.join(fmt(n, 0) for n in few[:-1]) + ' of ' if len(few) > 1 else ''}"
            f"{text.count(few[-1], 'locatie', 'locaties')}, minder dan {fmt(MIN_LOCATIONS, 0)}"
        )
    if any(r.small.disagree for r in used):
        why.append(
            "het Wald-interval wijkt meer dan "
            f"{fmt(100 * DISAGREE_SHARE, 0)}% van zijn halve breedte af van een beter interval"
        )
    changed = [
        (r, t)
        for r in used
        for t in r.small.terms["term"]
        if bool(reported_inference(fixed_rows(r).loc[t])["changed"])
    ]
    ending = (
        "Geen enkele conclusie verandert daardoor ten opzichte van Wald."
        if not changed
        else f"Bij {text.count(len(changed), 'effect', 'effecten')} verandert de conclusie ten opzichte "
        "van Wald (zie hierboven)."
    )
    return (
        f"Omdat {text.join(why)}, staan hier {text.join(METHOD_PHRASES[m] for m in methods)} in plaats "
        f"van Wald-intervallen en -toetsen. {ending}"
    )


def status_sentence(results: Mapping[str, ModelResult]) -> str:
    """How many models are interpretable, and for the others why not (never hidden)."""
    bad = [k for k, r in results.items() if not r.interpretable]
    n = len(results)
    if not bad:
        return (
            f"{'Het model is' if n == 1 else f'Alle {n} modellen zijn'} zonder waarschuwingen "
            "geconvergeerd en interpreteerbaar."
        )
    verb = "is" if len(bad) == 1 else "zijn"
    return (
        f"{len(bad)} van de {n} modellen {verb} niet interpreteerbaar en {verb} niet als bevinding "
        "gerapporteerd: "
        + "; ".join(
            f"{model_label(results[b].spec).lower()} ({', '.join(results[b].verdict.phrases())})" for b in bad
        )
        + ". De letterlijke meldingen van R en het oordeel per model staan in bijlage A en in "
        "`results/models/ch3_models_fit.csv`."
    )


def reason_paragraph(res: ModelResult | None) -> str:
    """Sentences on the reason x measurement model (one per reason), or its verdict sentence."""
    if res is None:
        return ""
    if not res.interpretable:
        return verdict_sentence(res)
    return " ".join(effect_sentence(res, t) for t in res.fixed["term"] if "_x_meting" in t or t == "agressie")


def _model(results: Mapping[str, ModelResult], outcome: str, contrast: str, kind: str) -> ModelResult | None:
    """The fitted model of one outcome (and room contrast) and kind, by its declaration."""
    return next(
        (
            r
            for r in results.values()
            if (r.spec.group, r.spec.contrast, r.spec.kind) == (outcome, contrast, kind)
        ),
        None,
    )


def model_paragraph(results: Mapping[str, ModelResult], outcome: str, contrast: str = "") -> str:
    """Paragraph for one outcome: month model, measurement model, interaction.

    A model that is not interpretable contributes one sentence saying so and why.

    Parameters
    ----------
    results : mapping
        Primary results by model id.
    outcome : str
        The outcome (:data:`analysis.models.spec.OUTCOMES`).
    contrast : str
        Room contrast (outcome ``room``).
    """
    parts = []
    kinds = ("month", "meting", "interaction")
    models = {k: _model(results, outcome, contrast, k) for k in kinds}
    fitted = [r for r in models.values() if r is not None]
    note = small_sample_sentence([r for r in fitted if r.interpretable])
    if note:
        parts.append(note)
    for suffix, term in (("month", "month"), ("meting", None), ("interaction", None)):
        res = models[suffix]
        if res is None:
            continue
        if not res.interpretable:
            parts.append(verdict_sentence(res))
            continue
        terms = (
            [term]
            if term
            else [
                t
                for t in res.fixed["term"]
                if t.startswith("meting") or (suffix == "interaction" and "_x_" in t)
            ]
        )
        if suffix == "interaction":
            terms = [t for t in terms if t.startswith("month_x_")]
            parts += [effect_sentence(res, t) for t in terms]
            if caution_sentence(res):
                parts.append(caution_sentence(res))
            continue
        parts += [effect_sentence(res, t) for t in terms]
        if suffix == "month":
            parts.append(random_sentence(res))
        if caution_sentence(res):
            parts.append(caution_sentence(res))
    return " ".join(parts)


def _estimate_name(row: pd.Series, reference: int) -> str:
    """Lower-case name of one estimate: outcome, then the term (``duur (meting <N> t.o.v. meting <ref>)``).

    ``row``: a row of :func:`analysis.models.sensitivity.lolo_summary` with its declaration columns
    (:func:`analysis.present.models.declared`).
    """
    term = row["term"]
    what = "trend per maand" if term == "month" else term_label(term, reference).lower()
    return f"{outcome_label(row['outcome'], row['contrast']).lower()} ({what})"


def _lolo_changed(row: pd.Series, reference: int) -> str:
    """Sentence for a key estimate whose conclusion does not hold without every location."""
    name = _estimate_name(row, reference)
    if pd.isna(row["p"]) or row["n_fits"] == 0:
        return f"Voor {name} is er geen schatting op alle locaties om mee te vergelijken."
    if str(row.get("verdict", "ok")) not in ("ok", "nan"):
        return (
            f"Voor {name} is het model op alle locaties niet interpreteerbaar; de analyses zonder één "
            "locatie zijn daarom niet te beoordelen."
        )
    if not row["changed_without"]:
        k = int(row.get("n_not_assessable", 0))
        return (
            f"Bij {name} verandert geen enkele beoordeelbare analyse zonder één locatie de conclusie; "
            f"{k} {text.verb(k, 'is', 'zijn')} niet te beoordelen omdat dat model niet interpreteerbaar is."
        )
    locs = row["changed_without"].split(", ")
    which = f"locatie {locs[0]}" if len(locs) == 1 else "de locaties " + ", ".join(locs)
    return (
        f"Bij {name} (exp(b) {fmt(row['exp_est'])}, {fmt_p_text(row['p'])} op alle locaties) "
        f"verandert de conclusie zonder {which} ({len(locs)} van de {row['n_fits']} analyses)."
    )


def _lolo_largest_shift(summary: pd.DataFrame, reference: int) -> str:
    """Sentence on the location whose omission moves a key estimate most (log scale)."""
    ratio = pd.to_numeric(summary["exp_est_without"] / summary["exp_est"], errors="coerce")
    shift = ratio.where(ratio > 0).map(lambda x: abs(math.log(x)))
    if not shift.notna().any():
        return ""
    w = summary.loc[shift.idxmax()]
    return (
        f"De grootste verschuiving geeft het weglaten van locatie {w['most_influential']} bij "
        f"{_estimate_name(w, reference)}: exp(b) "
        f"{fmt(w['exp_est_without'])} in plaats van {fmt(w['exp_est'])}."
    )


def lolo_sentence(summary: pd.DataFrame, reference: int = 1, sampled: bool = False) -> str:
    """Dutch sentences on the leave-one-location-out result, from :func:`lolo_summary`.

    Parameters
    ----------
    summary : DataFrame
        :func:`analysis.models.sensitivity.lolo_summary`.
    reference : int
        Reference measurement (labels).
    sampled : bool
        Whether some model left out only a sample of its locations (:func:`lolo_sample_sentence`).

    Returns
    -------
    str
        How many key conclusions hold without any single location, without which locations
        the others change, the largest shift, and how many fits gave no estimate.
    """
    if summary.empty:
        return "Er zijn geen analyses zonder één locatie uitgevoerd."
    held = (summary["n_same"] == summary["n_fits"]) & (summary["n_fits"] > 0) & summary["p"].notna()
    lo, hi = int(summary["n_fits"].min()), int(summary["n_fits"].max())
    per = f"{lo}" if lo == hi else f"{lo} tot {hi}"
    which = (
        "een deel van de locaties, zie hieronder"
        if sampled
        else "één voor elke locatie in de gegevens van dat model"
    )
    parts = [
        f"Bij {int(held.sum())} van de {len(summary)} belangrijkste schattingen leidt elke analyse "
        "zonder één locatie tot dezelfde conclusie als het model met alle locaties (per schatting "
        f"{per} analyses: {which})."
    ]
    summary = declared(summary)
    parts += [_lolo_changed(row, reference) for _, row in summary[~held].iterrows()]
    parts.append(_lolo_largest_shift(summary, reference))
    if bool(held.all()):
        parts.append("Geen enkele locatie bepaalt op zichzelf een van deze conclusies.")
    missing = int(summary["n_missing"].sum())
    if missing:
        parts.append(f"{missing} analyses zonder één locatie gaven geen schatting (zie `ch3_sens_lolo.csv`).")
    return " ".join(x for x in parts if x)


def lolo_sample_sentence(sampled: Mapping[str, tuple[int, int]], max_locations: int) -> str:
    """The rule by which leave one out chose locations, when a model had too many to do all.

    Parameters
    ----------
    sampled : mapping
        model_id -> (locations left out one at a time, locations in the model's data), only
        for models where the first is smaller (:attr:`LoloResult.sampled`).
    max_locations : int
        :data:`analysis.models.sensitivity.LOLO_MAX_LOCATIONS`: up to this many locations,
        every one is left out once.

    Returns
    -------
    str
        Empty when every location was left out once.
    """
    if not sampled:
        return ""
    chosen = max(n for n, _ in sampled.values())  # the rule's sample size (the same per model)
    n_big = chosen // 2
    total = max(n for _, n in sampled.values())
    models = len(sampled)
    return (
        f"{'Eén model heeft' if models == 1 else f'{models} modellen hebben'} gegevens van meer dan "
        f"{max_locations} locaties (tot {total}). Daar laten we niet elke locatie één keer weg, maar "
        f"{chosen}: de {n_big} locaties met de meeste gegevens in het model (zij kunnen een "
        f"schatting het sterkst verschuiven) en {chosen - n_big} andere, door loting met een "
        "vaste startwaarde gekozen. Zo groeit de rekentijd met het aantal registraties en niet met "
        "registraties maal locaties; de gekozen locaties staan in `ch3_sens_lolo.csv`."
    )


def lolo_status_sentence(problems: pd.DataFrame, n_fits: int) -> str:
    """How many leave-one-location-out fits warned or failed (never hidden).

    Parameters
    ----------
    problems : DataFrame
        :meth:`analysis.models.chapter3.LoloResult.problems` (model_id, dropped, status).
    n_fits : int
        Number of models fitted.
    """
    if problems.empty:
        return f"Alle {n_fits} modellen van deze analyse zijn zonder waarschuwingen geschat."
    warned, failed = int((problems["status"] == "warning").sum()), int((problems["status"] == "failed").sum())
    return (
        f"Van de {n_fits} modellen van deze analyse gaven er {warned} een waarschuwing van R en "
        f"{failed} geen schatting; ze worden niet weggelaten (de status per weggelaten locatie staat in "
        "`ch3_sens_lolo.csv`)."
    )


def sensitivity_sentence(estimates: pd.DataFrame, skipped: Mapping[str, int] | None = None) -> str:
    """The sensitivity summary: same / different / not assessable, and which analyses change a
    conclusion (one rule: :func:`analysis.models.sensitivity.compare_conclusions`).

    Parameters
    ----------
    estimates : DataFrame
        ``ch3_sens_estimates`` (:attr:`SensitivityResults.estimates`).
    skipped : mapping, optional
        :attr:`SensitivityResults.skipped` (analyses that would change no row).
    """
    from analysis.present.models import SENSITIVITY_LABELS, conclusion_counts

    c = conclusion_counts(estimates)
    parts = []
    if c["total"]:
        parts.append(
            f"Over alle alternatieve specificaties samen {text.verb(c['total'], 'is', 'zijn')} "
            f"{text.count(c['total'], 'schatting', 'schattingen')} met het primaire model vergeleken (zelfde conclusie: de verhouding aan dezelfde kant van 1 "
            f"en even significant bij 5%): {text.count(c['same'], 'keer', 'keer', zero='geen keer')} "
            f"dezelfde conclusie, {text.count(c['different'], 'keer', 'keer', zero='geen keer')} een andere, "
            f"en {text.count(c['not_assessable'], 'vergelijking is', 'vergelijkingen zijn', zero='geen vergelijking is')} "
            "niet te beoordelen omdat het primaire of het gewijzigde model niet interpreteerbaar is."
        )
        if c["changed"]:
            parts.append(
                f"Een andere conclusie {text.verb(len(c['changed']), 'geeft', 'geven')}: "
                + text.join(f"*{_lower(a)}*" for a in c["changed"])
                + "."
            )
        else:
            parts.append("Geen enkele beoordeelbare gevoeligheidsanalyse verandert een conclusie.")
    for analysis in skipped or {}:
        if analysis == "no_duplicates":
            parts.append(
                "Geen enkele registratie is als dubbel gemarkeerd; de analyse zonder dubbele "
                "registraties zou dus dezelfde gegevens gebruiken en is niet apart geschat."
            )
        else:
            parts.append(
                f"De analyse *{_lower(SENSITIVITY_LABELS.get(analysis, analysis))}* is niet "
                "geschat: ze verandert geen enkele rij."
            )
    return " ".join(parts)


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def diagnostics_sentence(diagnostics: list, results: Mapping[str, ModelResult], alpha: float = 0.05) -> str:
    """How many models fail at least one residual test, and how often each test fails (all counted).

    Parameters
    ----------
    diagnostics : list of analysis.models.diagnostics.Diagnostics
    results : mapping
        The fitted models (observation counts).
    alpha : float
    """
    done = [d for d in diagnostics if not d.error]
    failed = {d.model_id: d.failed_tests(alpha) for d in done}
    n_bad = sum(1 for f in failed.values() if f)
    per = {k: sum(1 for f in failed.values() if k in f) for k in ("ks", "dispersion", "zeros")}
    tested = {
        "ks": len(done),
        "dispersion": sum(np.isfinite(d.dispersion_p) for d in done),
        "zeros": sum(np.isfinite(d.zero_p) for d in done),
    }
    names = {"ks": "de uniformiteitstoets", "dispersion": "de dispersietoets", "zeros": "de nultoets"}
    parts = [f"{names[k]} bij {per[k]} van de {tested[k]}" for k in per if tested[k]]
    nobs = sorted({int(r.nobs) for r in results.values() if r.status != "failed"})
    size = (
        f" De modellen hebben {nobs[0]} tot {nobs[-1]} waarnemingen (locatie-maanden bij het aantal, "
        "registraties bij de andere uitkomsten)."
        if len(nobs) > 1
        else ""
    )
    if not done:
        return "Voor geen enkel model konden de residuen gesimuleerd worden."
    lead = (
        f"Bij {n_bad} van de {len(done)} modellen wijst minstens één toets op een afwijking "
        f"(p < {fmt(alpha, 2)})"
        if n_bad
        else f"Bij geen van de {len(done)} modellen wijst een toets op een afwijking (p < {fmt(alpha, 2)})"
    )
    rule = diagnostic_rule_sentence(results)
    rule = f" {rule}" if rule else ""
    return (lead + ": " + text.join(parts) + "." + size if n_bad else lead + "." + size) + rule


def zero_inflation_sentence(diagnostics: list, estimates: pd.DataFrame, alpha: float = 0.05) -> str:
    """The zero test of the count models and whether the zero-inflated NB2 keeps the conclusions."""
    from analysis.present.models import _paired

    zeros = [d for d in diagnostics if not d.error and np.isfinite(d.zero_p)]
    if not zeros:
        return ""
    bad = [d for d in zeros if d.zero_p < alpha]
    if bad:
        ratios = sorted(d.zero_ratio for d in bad)
        rng = fmt(ratios[0]) if len(ratios) == 1 else f"{fmt(ratios[0])} tot {fmt(ratios[-1])}"
        lead = (
            f"De nultoets wijst bij {len(bad)} van de {len(zeros)} telmodellen op meer maanden zonder "
            f"afzondering dan het model verwacht (waargenomen gedeeld door verwacht: {rng})."
        )
    else:
        lead = f"De nultoets wijst bij geen van de {len(zeros)} telmodellen op te veel maanden zonder afzondering."
    pairs = _paired(estimates) if len(estimates) else pd.DataFrame(columns=["analysis"])
    zi = pairs[pairs["analysis"] == "zero_inflated"]
    if zi.empty:
        return lead + " Het nul-opgeblazen model is in deze run niet geschat."
    n = zi["conclusion"].value_counts()
    return (
        lead + f" Een nul-opgeblazen negatief-binomiaal model (gevoeligheidsanalyse) geeft bij "
        f"{int(n.get('same', 0))} van de {len(zi)} schattingen dezelfde conclusie, bij "
        f"{int(n.get('different', 0))} een andere; {int(n.get('not_assessable', 0))} "
        f"{text.verb(int(n.get('not_assessable', 0)), 'is', 'zijn')} niet te beoordelen."
    )


def sensitivity_tests_sentence(sensitivity) -> str:
    """LR tests of the sensitivity set, counted over the interpretable variant fits only.

    Parameters
    ----------
    sensitivity : analysis.models.sensitivity.SensitivityResults
    """
    what = {
        "re_slope_month": ("maandmodellen", "verbetert een random helling de fit significant"),
        "nb_vs_poisson": ("telmodellen", "past het negatief-binomiale model significant beter dan Poisson"),
        "re_youth": (
            "modellen op registratieniveau",
            "verbetert een extra random intercept per jongere de fit significant",
        ),
        "zi": ("telmodellen", "verbetert nul-inflatie de fit significant"),
    }
    parts = []
    for name, (models, claim) in what.items():
        # each test with the variant fit it tests (SensitivityResults.tested, same order)
        pairs = [
            (t, sensitivity.fit_of(s))
            for t, s in zip(sensitivity.tests, sensitivity.tested)
            if t.name == name
        ]
        tests = [t for t, _ in pairs]
        if not tests:
            continue
        ok = [t for t, v in pairs if v is not None and v.interpretable]
        bad = len(tests) - len(ok)
        sig = sum(t.p < 0.05 for t in ok)
        if not ok:
            which = "De enige toets" if len(tests) == 1 else f"Geen van de {len(tests)} toetsen"
            parts.append(
                f"{which} ({models}) is {'niet ' if len(tests) == 1 else ''}te beoordelen, omdat het "
                "gewijzigde model niet interpreteerbaar is."
            )
            continue
        sent = f"Bij {sig} van de {len(ok)} beoordeelbare {models} {claim} (p < 0,05)"
        if bad:
            sent += (
                f"; {text.count(bad, 'toets is', 'toetsen zijn')} niet te beoordelen omdat het gewijzigde "
                "model niet interpreteerbaar is"
            )
        parts.append(sent + ".")
    return " ".join(parts)


def duration_model_sentence(
    estimates: pd.DataFrame | None, reference: str, model_id: str = "dur_meting"
) -> str:
    """The gamma log-link result beside the duration LMM: our choice of model, stated with its alternative.

    The LMM on ln(minutes) gives ratios of geometric means; the gamma log-link model (the
    sensitivity analysis ``gamma``) gives ratios of arithmetic means. The published duration
    ratios do not single out either; this sentence puts both estimates of each measurement
    contrast side by side (computed, never typed).

    Parameters
    ----------
    estimates : DataFrame or None
        ``ch3_sens_estimates`` (None: the sensitivity set did not run).
    reference : str
        The reference measurement.
    model_id : str
        The duration model whose measurement terms are compared.
    """
    if estimates is None or estimates.empty:
        return "Het gamma-model is in deze run niet geschat (geen gevoeligheidsanalyses)."
    rows = estimates[(estimates["analysis"] == "gamma") & (estimates["model_id"] == model_id)]
    rows = rows[rows["term"].fillna("").astype(str).str.startswith("meting")]
    gamma, lmm = rows[rows["variant"] != "primary"], rows[rows["variant"] == "primary"].set_index("term")
    if gamma.empty:
        return "Het gamma-model gaf voor de duur geen schatting van het verschil tussen de metingen."
    if (gamma["verdict"].fillna("").astype(str) != "ok").any():
        return (
            "Het gamma-model voor de duur is niet interpreteerbaar (bijlage A noemt de reden); "
            "het geeft daarom geen vergelijking met het lineaire model."
        )
    parts = []
    for r in gamma.itertuples():
        p = lmm.loc[r.term]
        parts.append(
            f"voor meting {r.term[len('meting') :]} ten opzichte van meting {reference} is dat "
            f"{fmt(r.exp_est)} (95%-BI {fmt_ci(r.exp_ci_low, r.exp_ci_high)}), tegen "
            f"{fmt(p['exp_est'])} ({fmt_ci(p['exp_ci_low'], p['exp_ci_high'])}) in het lineaire model"
        )
    return (
        "Het gamma-model met log-link geeft een verhouding van rekenkundige gemiddelden: "
        + text.join(parts)
        + "."
    )
