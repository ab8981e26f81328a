"""Calibration report: every target, the value the twin achieves, the difference.

``compendium synth --check`` writes the twin, ingests it with :func:`analysis.ingest.process.run`
(the path the report uses) and compares the processed tables with the published figures.
Chapter-3 targets (:func:`chapter3_targets`) are three per published term: the estimate inside the
published 95% CI, the log CI width within :data:`analysis.core.intervals.WIDTH_RANGE` times the
published width, and the same conclusion at 5%. They are checked with quick statsmodels
stand-ins (NB GLM with location fixed effects, MixedLM, logistic GLM) or, with ``--glmm``, with
the GLMMs of the models module (R). Published results that appendix E (the audit) finds
internally incoherent are reported but not counted as targets (:func:`incoherent_terms`).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.intervals import WIDTH_RANGE, log_width_ratio, significant, width_ok
from analysis.describe.categories import DEBRIEF
from analysis.present import format as nf
from analysis.synth import targets as T

ITEMS = {
    "fig02": "aanleiding",
    "fig03": "doel",
    "fig04": "ruimte",
    "fig05": "beheer_ruimte",
    "fig09": "contact",
    "fig10": "evaluatie_1",
    "fig11": "evaluatie_2",
    "fig12": "aanvulling_jongere",
}
KNOWN_MISSES = {
    "ch2.fig12.n.1": "fig12",
}
"""Targets the twin misses on purpose -> key of :data:`REASONS`."""
REASONS: dict[str, dict[str, str]] = {
    "fig12": {
        "en": "published counts of Figure 12 sum to 1593, not 1613; 66% of 1613 is 1059, "
        "so the twin puts the 20 rows in 'niet gezien' (see docs/synthetic-twin.md)",
        "nl": "de gepubliceerde aantallen van figuur 12 tellen op tot 1593, niet 1613; 66% van 1613 "
        "is 1059, dus de tweeling zet de 20 extra registraties bij 'niet gezien'",
    },
    "free_text": {
        "en": "free text is not ingested; tests check it on the raw files",
        "nl": "vrije tekst wordt niet ingelezen; tests controleren dit op de ruwe bestanden",
    },
    "not_derivable": {
        "en": "not derivable from the processed tables",
        "nl": "niet af te leiden uit de verwerkte tabellen",
    },
    "model_stand_in": {
        "en": "quick statsmodels stand-in; exact GLMM in the models module",
        "nl": "snelle benadering met statsmodels; het exacte multilevelmodel staat in hoofdstuk 3",
    },
    "model_outside": {
        "en": "see docs/synthetic-twin.md (model targets that cannot all hold)",
        "nl": "niet alle modeldoelen kunnen tegelijk gelden (zie docs/synthetic-twin.md)",
    },
    "unexpected": {"en": "unexpected: investigate", "nl": "onverwacht: uitzoeken"},
}
"""Explanations of a status in English (CLI, CSV) and Dutch (appendix D of the report)."""

POLICY = {
    "ch1.rest_moments.n": ("rustmomenten", {"night_only": 1, "one_day": 2, "two_day": 3}),
    "ch1.day_change.n": ("verandering_overdag", {"dropped": 1, "adjusted": 2, "both": 3, "unchanged": 4}),
    "ch1.night_change.n": ("verandering_nacht", {"door_opened": 1, "ambition": 2, "unchanged": 3}),
}


def _code(s: str) -> int | None:
    return None if s == "na" else int(s)


def _count(x: pd.Series, code: int | None) -> int:
    return int(x.isna().sum()) if code is None else int((x == code).sum())


def registration_values(reg: pd.DataFrame, occ: pd.DataFrame) -> dict[str, float]:
    """Chapter-2 values computed from processed registrations and occupancy of measurement 2."""
    r = reg[reg["meting"] == 2]
    v: dict[str, float] = {"ch2.s2_1.n.registrations": len(r), "ch2.s2_1.n.locations": r["locatie"].nunique()}
    for m, n in r["maand"].value_counts().items():
        v[f"ch2.fig01.n.{m}"] = int(n)
    ids = r.groupby("locatie")["jongere"].apply(lambda s: s.notna().all())
    v["ch2.s2_1_1.n.locations_with_id"] = int(ids.sum())
    y = r[r["jongere"].notna()]
    per = y["jongere"].value_counts()
    v.update(
        {
            "ch2.s2_1_1.n.youths": y["jongere"].nunique(),
            "ch2.s2_1_1.n.registrations": len(y),
            "ch2.s2_1_1.max.per_youth": int(per.max()),
            "ch2.s2_1_1.min.per_youth": int(per.min()),
        }
    )
    top = y[y["jongere"] == per.index[0]]["start"].dt.normalize()
    v["ch2.s2_1_1.days.max_youth_span"] = (top.max() - top.min()).days
    o = occ[occ["meting"] == 2]
    v["ch2.s2_1_1.mean.occupancy"] = round(o["gemiddelde_bezetting"].sum() / o["maand"].nunique(), 1)
    for fig, item in ITEMS.items():
        col = r[item] if fig != "fig11" else r.loc[r["evaluatie_1"].isin(DEBRIEF), item]
        for code in [None, *range(1, 7)]:
            key = (
                f"ch2.{fig}.n.{'na' if code is None else code}"
                if fig != "fig02" or code is None
                else f"ch2.tab02.n.{code}"
            )
            v[key] = _count(col, code)
            v[f"ch2.{fig}.pct.{'na' if code is None else code}"] = _count(col, code) / len(col) * 100
    v["ch2.fig11.n.total"] = int(r["evaluatie_1"].isin(DEBRIEF).sum())
    for reason in range(1, 7):
        room = r.loc[r["aanleiding"] == reason, "ruimte"].dropna()
        d = r.loc[r["aanleiding"] == reason, "duur_min"].dropna()
        for k in (1, 2, 3):
            v[f"ch2.fig06.n.{reason}.{k}"] = int((room == k).sum())
            v[f"ch2.fig06.pct.{reason}.{k}"] = (room == k).mean() * 100
        v.update(
            {
                f"ch2.tab02.min.{reason}": d.min(),
                f"ch2.tab02.max.{reason}": d.max(),
                f"ch2.tab02.mean.{reason}": d.mean(),
                f"ch2.tab02.median.{reason}": d.median(),
            }
        )
    v["ch2.tab02.n_2359"] = int(r["vlag_duur_2359"].sum())
    return v


def policy_values(pol: pd.DataFrame) -> dict[str, float]:
    """Chapter-1 values from the processed policy table of measurement 2."""
    p = pol[pol["meting"] == 2] if "meting" in pol else pol
    d = p[p["gegevens"] == 1]
    v: dict[str, float] = {
        "ch1.data.n.with_data": len(d),
        "ch1.data.n.without_data": int((p["gegevens"] == 0).sum()),
    }
    for prefix, (col, slugs) in POLICY.items():
        for slug, code in slugs.items():
            v[f"{prefix}.{slug}"] = int((d[col] == code).sum())
    un = d[d["verandering_overdag"] == 4]
    v["ch1.day_unchanged.n.one_day"] = int((un["rustmomenten"] == 2).sum())
    v["ch1.day_unchanged.n.two_day"] = int((un["rustmomenten"] == 3).sum())
    v["ch1.day_unchanged.n.closed_jan2021"] = int(un["gesloten_per"].notna().sum())
    nu = d[d["verandering_nacht"] == 3]
    v["ch1.night_unchanged.n.already_open"] = int((nu["nacht_deur"] == 1).sum())
    v["ch1.night_unchanged.n.locked"] = int((nu["nacht_deur"] == 2).sum())
    v["ch1.night_unchanged.n.locked_closed_jan2021"] = int(
        nu.loc[nu["nacht_deur"] == 2, "gesloten_per"].notna().sum()
    )
    for col, key in (("bevorderende_factoren", "promoting"), ("belemmerende_factoren", "hindering")):
        named = set("|".join(d[col].dropna().astype(str)).split("|")) - {""}
        v[f"ch1.factors.n.{key}"] = len(named)
    return v


def facility_values(raw: Path) -> dict[str, float]:
    """Section 2.5 facility counts from ``meting-2/faciliteiten.csv`` (not ingested)."""
    f = pd.read_csv(raw / "meting-2" / "faciliteiten.csv", sep=";")
    no_iso = f[f["isoleerruimtes"] == 0]
    return {
        "ch2.s2_5.n.isolation_rooms": int(f["isoleerruimtes"].sum()),
        "ch2.s2_5.n.locations_without_iso": len(no_iso),
        "ch2.s2_5.n.locations_without_iso_with_other": int(no_iso["overige_ruimte"].sum()),
        "ch2.s2_5.n.locations_no_unplanned": int((f["ongepland_afzonderen"] == 0).sum()),
    }


def _status(tid: str, target: float, got: float | None, kind: str, decimals: int) -> tuple[str, str]:
    """Status of one target and the key of its explanation in :data:`REASONS` ('' when exact)."""
    if got is None or (isinstance(got, float) and np.isnan(got)):
        return "not computed", ("free_text" if tid == "ch2.s2_9.n.addition_filled" else "not_derivable")
    if kind == "model":
        lo = T.published().get(tid.replace(".est", ".ci_low"))
        hi = T.published().get(tid.replace(".est", ".ci_high"))
        if lo is not None and lo <= round(got, 2) <= hi:
            return "within CI", "model_stand_in"
        return "outside CI", "model_outside"  # detail per target: chapter3_targets
    if re.search(r"\.mean\.\d$", tid):  # h:mm: floor and round must agree
        ok = np.floor(got) == target and round(got) == target
    elif kind == "rounded":
        ok = round(got, decimals) == target
    else:
        ok = got == target
    if ok:
        return "exact", ""
    return "miss", KNOWN_MISSES.get(tid, "unexpected")


#: Chapter-3 targets the twin does not meet on the default seed, with the reason (term -> en/nl).
#: Empty: on seed 20210531 every coherent target is met (docs/synthetic-twin.md). A term listed
#: here is still reported with its figures; the slow test fails on any unexplained miss.
CH3_EXCEPTIONS: dict[str, dict[str, str]] = {}


def incoherent_terms(path: Path | None = None) -> dict[str, dict[str, str]]:
    """Published chapter-3 terms excluded as targets because appendix E finds them incoherent.

    A contrast finding of the audit (``log OR(a vs b)`` far from ``log OR(a vs c) - log OR(b vs c)``)
    excludes the tested contrast ``a vs b`` (the finding's first id): the three published odds
    ratios cannot all be reproduced by one set of data under the same model, and ``a vs b`` is the
    one that departs from the other two. A p-value finding (p against CI) excludes nothing here:
    the targets use estimate and CI, and the conclusion at 5% is the same by p and by CI.

    Returns
    -------
    dict
        Term (``ch3.<model>.<term>``) -> ``{"en": reason, "nl": reden}``.
    """
    from analysis.verify.audit import audit

    path = Path(path or T._default_csv() or "")
    if not path.exists():
        return {}
    out: dict[str, dict[str, str]] = {}
    for f in audit(path).findings:
        if f.check != "contrast" or not f.ids[0].startswith("ch3."):
            continue
        term = f.ids[0].rsplit(".", 1)[0]
        out[term] = {
            "en": f"appendix E: incoherent with the two contrasts against the reference room "
            f"({f.numbers}); reported, not a target",
            "nl": f"bijlage E: past niet bij de twee contrasten met de referentieruimte, {f.numbers}",
        }
    return out


def chapter3_targets(
    values: dict[str, float], published: pd.DataFrame | None = None, source: str = "stand-in"
) -> pd.DataFrame:
    """The three chapter-3 targets per published term, for one set of computed values.

    Parameters
    ----------
    values : dict
        ``ch3.<model>.<term>.{est,ci_low,ci_high,p}`` -> value (stand-ins or GLMM fits).
    published : DataFrame, optional
        ``published_figures.csv`` (default: the reference file).
    source : str
        Label of the fits (``stand-in`` or ``GLMM``), kept in the table.

    Returns
    -------
    DataFrame
        One row per published chapter-3 term: published and twin estimate, CI and p; the log
        CI-width ratio; ``inside`` (rounded estimate inside the published CI), ``width_ok``,
        ``same_conclusion``; ``target`` (False for incoherent terms); ``status`` (``on target`` or
        the failed targets joined by ``; ``) and the explanation in English and Dutch.
    """
    if published is None:
        published = pd.read_csv(T._default_csv(), dtype={"id": str})
    pub = published.set_index("id")["value"].astype(float).to_dict()
    kinds = published.set_index("id")["kind"].to_dict()
    excluded = incoherent_terms()
    rows = []
    for eid in published.loc[published["kind"].eq("estimate") & published["id"].str.startswith("ch3."), "id"]:
        term = eid.rsplit(".", 1)[0]
        lo, hi = pub.get(f"{term}.ci_low"), pub.get(f"{term}.ci_high")
        if lo is None or hi is None:
            continue
        p_pub = pub.get(f"{term}.p")
        sig_pub = significant(p_pub, lo, hi, bound=kinds.get(f"{term}.p") == "p_upper_bound")
        e, elo, ehi, ep = (values.get(f"{term}.{k}") for k in ("est", "ci_low", "ci_high", "p"))
        if e is None or pd.isna(e):
            rows.append(
                {
                    "term": term,
                    "published": pub[eid],
                    "ci_low": lo,
                    "ci_high": hi,
                    "p": p_pub,
                    "source": source,
                    "status": "not computed",
                    "target": term not in excluded,
                }
            )
            continue
        ratio = log_width_ratio(elo, ehi, lo, hi) if elo and ehi else float("nan")
        inside = bool(lo - 1e-9 <= round(e, 2) <= hi + 1e-9)
        width_in_range = width_ok(ratio)
        same = significant(ep, elo, ehi) == sig_pub
        failed = [
            name
            for name, ok in (("outside CI", inside), ("CI width", width_in_range), ("other conclusion", same))
            if not ok
        ]
        why = excluded.get(term) or CH3_EXCEPTIONS.get(term) or {}
        rows.append(
            {
                "term": term,
                "published": pub[eid],
                "ci_low": lo,
                "ci_high": hi,
                "p": p_pub,
                "source": source,
                "estimate": e,
                "twin_ci_low": elo,
                "twin_ci_high": ehi,
                "twin_p": ep,
                "width_ratio": ratio,
                "inside": inside,
                "width_ok": width_in_range,
                "same_conclusion": same,
                "target": term not in excluded,
                "status": "; ".join(failed) or "on target",
                "explanation": why.get("en", ""),
                "toelichting": why.get("nl", ""),
            }
        )
    return pd.DataFrame(rows)


def chapter3_summary(t: pd.DataFrame) -> str:
    """One line: how many coherent chapter-3 terms meet each target."""
    c = t[t["target"] & t["status"].ne("not computed")]
    return (
        f"chapter 3 ({c['source'].iloc[0] if len(c) else '-'}): {len(c)} coherent terms; "
        f"estimate inside CI {int(c['inside'].sum())}, width ratio in {WIDTH_RANGE[0]}-{WIDTH_RANGE[1]} "
        f"{int(c['width_ok'].sum())}, same conclusion {int(c['same_conclusion'].sum())}, "
        f"all three {int(c['status'].eq('on target').sum())}; "
        f"{int((~t['target']).sum())} incoherent published terms reported, not targets"
    )


def calibration_table(processed_dir: Path, raw: Path | None = None, models: bool = False) -> pd.DataFrame:
    """Target / achieved / difference / status for every calibration target.

    Parameters
    ----------
    processed_dir : Path
        Folder with ``registrations.parquet``, ``occupancy.parquet`` and ``policy.parquet``.
    raw : Path, optional
        Raw twin (for the facility counts, which are not ingested).
    models : bool
        Also compute the chapter-3 stand-in estimates (a few seconds).
    """
    reg = pd.read_parquet(processed_dir / "registrations.parquet")
    occ = pd.read_parquet(processed_dir / "occupancy.parquet")
    pol = pd.read_parquet(processed_dir / "policy.parquet")
    got = {**registration_values(reg, occ), **policy_values(pol)}
    if raw is not None and (raw / "meting-2" / "faciliteiten.csv").exists():
        got.update(facility_values(raw))
    if models:
        from analysis.verify.modelcheck import model_values

        got.update(model_values(reg, occ))
    rows = []
    meta = _meta()
    for tid, target in T.published().items():
        if tid not in T.TARGET_IDS and tid not in got:
            continue  # a published number the twin does not reproduce from data (e.g. quotes)
        kind, decimals, desc = meta.get(tid, ("exact", 0, ""))
        if tid.startswith("ch3.") and (not tid.endswith(".est") or not models):
            continue
        kind = "model" if tid.startswith("ch3.") else ("rounded" if kind in ("rounded",) else "exact")
        val = got.get(tid)
        status, why = _status(tid, target, val, kind, decimals)
        rows.append(
            {
                "id": tid,
                "description": desc,
                "target": target,
                "achieved": val,
                "difference": None if val is None else val - target,
                "kind": kind,
                "status": status,
                "explanation": REASONS.get(why, {}).get("en", ""),
                "toelichting": REASONS.get(why, {}).get("nl", ""),
                "where": T.where().get(tid, ""),
            }
        )
    return pd.DataFrame(rows)


def _meta() -> dict[str, tuple[str, int, str]]:
    path = T._default_csv()
    if path is None or not Path(path).exists():
        return {}
    df = pd.read_csv(path, dtype={"id": str})
    return {r.id: (str(r.kind), int(r.decimals), str(r.description)) for r in df.itertuples()}


def chapter3_check(processed: Path, glmm: bool = False) -> pd.DataFrame:
    """Chapter-3 targets on processed twin tables: stand-ins, or the GLMMs in R (slow).

    With ``glmm`` the table also has ``verdict``: the fit-quality verdict code of the term's
    model (``ok`` when interpretable), and ``attrs["verdicts"]`` holds the verdict of every
    model of the primary set, the unpublished ones included (:func:`verdict_summary`).
    """
    from analysis.verify import modelcheck

    if glmm:
        with tempfile.TemporaryDirectory() as out:
            values, verdicts = modelcheck.glmm_fits(processed, Path(out))
        t = chapter3_targets(values, source="GLMM")
        t["verdict"] = t["term"].map(lambda s: verdicts.get(s.split(".")[1], ""))
        t.attrs["verdicts"] = verdicts
        return t
    reg = pd.read_parquet(processed / "registrations.parquet")
    occ = pd.read_parquet(processed / "occupancy.parquet")
    return chapter3_targets(modelcheck.model_values(reg, occ), source="stand-in")


def verdict_summary(verdicts: dict[str, str]) -> tuple[str, list[str]]:
    """One line on the fit-quality verdicts of the chapter-3 GLMMs, and the flagged model ids.

    Parameters
    ----------
    verdicts : dict
        Model id -> verdict code (``ok`` or reasons joined by ``+``).
    """
    from analysis.models.spec import primary_specs

    bad = [m for m, code in verdicts.items() if code != "ok"]
    room_ids = {s.model_id for s in primary_specs() if s.group == "room"}  # the declaration, not the id text
    rooms = [m for m in verdicts if m in room_ids]
    line = (
        f"fit verdicts (GLMM): {len(verdicts) - len(bad)} of {len(verdicts)} chapter-3 models "
        f"interpretable ({sum(verdicts[m] == 'ok' for m in rooms)} of {len(rooms)} room models)"
    )
    if bad:
        line += "; not interpretable: " + ", ".join(f"{m} ({verdicts[m]})" for m in bad)
    return line, bad


def _p_text(p: float) -> str:
    """p for the console table: three decimals, below 0.001 as a bound."""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def print_chapter3(t: pd.DataFrame, console=None) -> None:
    """Print the chapter-3 target table with rich (and the GLMM fit verdicts, when known)."""
    from rich.console import Console
    from rich.table import Table

    has_verdict = "verdict" in t
    tab = Table(title=f"Synthetic twin: chapter-3 targets ({t['source'].iloc[0] if len(t) else ''} fits)")
    for col in ("term", "published [95% CI]", "twin [95% CI]", "p", "width", "status"):
        tab.add_column(col)
    if has_verdict:
        tab.add_column("fit")
    for r in t.itertuples():
        fit = [str(r.verdict)] if has_verdict else []
        if r.status == "not computed":
            tab.add_row(
                r.term, f"{r.published:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]", "", "", "", r.status, *fit
            )
            continue
        colour = "green" if r.status == "on target" else ("dim" if not r.target else "yellow")
        tab.add_row(
            r.term,
            f"{r.published:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]",
            f"{r.estimate:.3f} [{r.twin_ci_low:.3f}, {r.twin_ci_high:.3f}]",
            _p_text(r.twin_p),
            f"{r.width_ratio:.2f}",
            f"[{colour}]{r.status}[/]" + ("" if r.target else " (not a target)"),
            *fit,
        )
    (console or Console(width=200)).print(tab)
    print(chapter3_summary(t))
    if t.attrs.get("verdicts"):
        print(verdict_summary(t.attrs["verdicts"])[0])


def run_check(raw: Path, models: bool = True, glmm: bool = False) -> int:
    """Ingest ``raw`` into a temporary folder, print the tables.

    Returns 1 if an exact target misses, a coherent chapter-3 target misses without a
    documented reason in :data:`CH3_EXCEPTIONS`, or (with ``glmm``) a chapter-3 model is not
    interpretable (not converged, singular, warned, separated or extreme: the twin is
    built to give non-degenerate models).
    """
    from rich.console import Console
    from rich.table import Table

    try:
        from analysis.ingest import process as ingest
    except ImportError:  # pragma: no cover - ingest is part of the package
        print("analysis.ingest.process is not available; cannot check after ingestion")
        return 1
    ch3 = None
    with tempfile.TemporaryDirectory() as tmp:
        ingest.run(raw, Path(tmp))
        table = calibration_table(Path(tmp), raw, models=False)
        if models or glmm:
            ch3 = chapter3_check(Path(tmp), glmm=glmm)
    t = Table(title="Synthetic twin: calibration (synthetische data)")
    for col in ("id", "target", "achieved", "difference", "status", "explanation"):
        t.add_column(col)
    colour = {"exact": "green", "within CI": "green", "outside CI": "yellow", "miss": "red"}
    for r in table.itertuples():
        t.add_row(
            r.id,
            nf.significant(r.target, 4, "en"),
            nf.significant(r.achieved, 4, "en"),
            nf.significant(r.difference, 4, "en"),
            f"[{colour.get(r.status, 'white')}]{r.status}[/]",
            r.explanation,
        )
    Console(width=200).print(t)
    bad = table[(table["status"] == "miss") & ~table["id"].isin(KNOWN_MISSES)]
    print(
        f"{(table.status == 'exact').sum()} exact, {(table.status == 'within CI').sum()} within CI, "
        f"{(table.status == 'outside CI').sum()} outside CI, {(table.status == 'miss').sum()} miss "
        f"({len(KNOWN_MISSES)} known and documented)"
    )
    ch3_bad = 0
    if ch3 is not None:
        print_chapter3(ch3)
        miss = ch3[ch3["target"] & ch3["status"].ne("on target") & ~ch3["term"].isin(CH3_EXCEPTIONS)]
        ch3_bad = len(miss) + len(verdict_summary(ch3.attrs.get("verdicts") or {})[1])
    return 1 if len(bad) or ch3_bad else 0
