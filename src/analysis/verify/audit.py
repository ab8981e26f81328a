"""Audit of the published report: internal consistency of ``published_figures.csv``.

Checks a reviewer would otherwise do by hand, all on the published numbers alone:

* ``category_sum``: counts of a categorical figure against their N;
* ``percent_count``: each percentage against its count and N (allowing the report's rounding);
* ``percent_sum``: the percentages of a complete categorical figure add to about 100;
* ``summary_range``: means and medians inside the reported minimum-maximum, and the mean
  attainable given n, minimum, median and maximum;
* ``p_ci``: p-values against their 95% confidence intervals (SE back-calculated on the log
  scale, SE = (log(hi) - log(lo)) / (2 x 1.96), z = log(est) / SE), and the estimate against
  the centre of its interval; chi-bar-squared statistics against their p-values;
* ``contrast``: coherence of related contrasts of one categorical outcome:
  log OR(a vs b) should be close to log OR(a vs c) - log OR(b vs c) for the same term.

Every published number is rounded; each check takes the rounding into account (half a unit
of the last published decimal) and reports a finding only when no unrounded values are
consistent. Findings are stated as facts, in Dutch, for appendix E.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from scipy import stats

from analysis.core.intervals import log_se
from analysis.present import format as nf


@dataclass
class Finding:
    """One inconsistency between published numbers.

    Attributes
    ----------
    check : str
        Check code (``category_sum``, ``percent_count``, ...).
    ids : list of str
        Published-figure ids involved.
    numbers : str
        The published numbers involved, as printed in the report.
    message : str
        What is inconsistent (Dutch, neutral).
    """

    check: str
    ids: list[str]
    numbers: str
    message: str


@dataclass
class AuditResult:
    """Findings and how many comparisons each check made."""

    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    def frame(self) -> pd.DataFrame:
        """Findings as a table (check, ids, numbers, message)."""
        return pd.DataFrame(
            [
                {"check": f.check, "ids": ", ".join(f.ids), "numbers": f.numbers, "message": f.message}
                for f in self.findings
            ],
            columns=["check", "ids", "numbers", "message"],
        )

    def by_check(self, check: str) -> list[Finding]:
        """Findings of one check."""
        return [f for f in self.findings if f.check == check]


def _hu(decimals) -> float:
    d = 0 if decimals is None or pd.isna(decimals) else int(decimals)
    return 0.5 * 10.0 ** (-d)


def _fmt(x: float) -> str:
    """Published number as printed (as few decimals as it needs; :func:`analysis.present.format.shortest`)."""
    return nf.shortest(x)


def _d(x: float, digits: int) -> str:
    """Computed number with ``digits`` decimals (:func:`analysis.present.format.number`)."""
    return nf.number(x, digits)


def _ci(lo: float, hi: float) -> str:
    """Published interval, written unambiguously (``0,9 tot 0,94``)."""
    return f"{_fmt(lo)}{nf.CI_JOIN['nl']}{_fmt(hi)}"


def _complete(pub: pd.DataFrame, prefix: str, counts: pd.DataFrame) -> bool:
    """A count group is complete when it has 'na' and a count for every reported percentage."""
    codes = set(counts["category_code"].astype(str))
    pct = pub[pub["id"].str.startswith(prefix + ".pct.") & pub["category_code"].notna()]
    return "na" in codes and len(codes) > 1 and set(pct["category_code"].astype(str)) <= codes


def category_sums(pub: pd.DataFrame, res: AuditResult) -> None:
    """Counts of each categorical figure against the N they are reported out of."""
    counts = pub[
        (pub["unit"] == "count")
        & pub["category_code"].notna()
        & pub["denominator"].notna()
        & pub["id"].str.contains(r"\.n\.")
    ]
    for (prefix, n_total), g in counts.groupby([counts["id"].str.split(".n.").str[0], "denominator"]):
        res.checked["category_sum"] = res.checked.get("category_sum", 0) + 1
        total = g["value"].sum()
        complete = _complete(pub, prefix, g)
        if total > n_total or (complete and total != n_total):
            parts = " + ".join(f"{_fmt(v)}" for v in g["value"])
            res.findings.append(
                Finding(
                    "category_sum",
                    list(g["id"]),
                    f"{parts} = {_fmt(total)}; N = {_fmt(n_total)}",
                    f"De aantallen van {prefix} (inclusief 'niet ingevuld') tellen op tot {_fmt(total)}, "
                    f"terwijl de figuur betrekking heeft op N = {_fmt(n_total)} (verschil "
                    f"{_fmt(n_total - total)}).",
                )
            )


def percent_counts(pub: pd.DataFrame, res: AuditResult) -> None:
    """Each percentage against 100 x n / N of the matching count."""
    by_id = pub.set_index("id")
    pcts = pub[(pub["unit"] == "percent") & pub["denominator"].notna() & pub["id"].str.contains(r"\.pct\.")]
    for _, r in pcts.iterrows():
        nid = r["id"].replace(".pct.", ".n.")
        if nid not in by_id.index:
            continue
        res.checked["percent_count"] = res.checked.get("percent_count", 0) + 1
        n, big_n = float(by_id.loc[nid, "value"]), float(r["denominator"])
        implied = 100 * n / big_n
        if abs(implied - r["value"]) > _hu(r["decimals"]) + 1e-9:
            res.findings.append(
                Finding(
                    "percent_count",
                    [r["id"], nid],
                    f"{_fmt(r['value'])}%; n = {_fmt(n)}; N = {_fmt(big_n)}",
                    f"Gepubliceerd {_fmt(r['value'])}%, maar {_fmt(n)} van {_fmt(big_n)} is "
                    f"{_d(implied, 1)}%; het verschil is groter dan de afronding.",
                )
            )


def percent_sums(pub: pd.DataFrame, res: AuditResult) -> None:
    """Percentages of a complete categorical figure (with 'na') add up to about 100."""
    pcts = pub[(pub["unit"] == "percent") & pub["denominator"].notna() & pub["id"].str.contains(r"\.pct\.")]
    for prefix, g in pcts.groupby(pcts["id"].str.split(".pct.").str[0]):
        if not (g["category_code"].astype(str) == "na").any():
            continue
        res.checked["percent_sum"] = res.checked.get("percent_sum", 0) + 1
        tol = sum(_hu(d) for d in g["decimals"]) + 1e-9
        if abs(g["value"].sum() - 100) > tol:
            res.findings.append(
                Finding(
                    "percent_sum",
                    list(g["id"]),
                    f"som = {_fmt(round(g['value'].sum(), 2))}%",
                    f"De percentages van {prefix} tellen op tot {_fmt(round(g['value'].sum(), 2))}%, "
                    f"meer dan de afronding (±{_fmt(round(tol, 2))}) van 100% af.",
                )
            )


_STAT = re.compile(r"^(?P<pre>.+?)\.(?P<stat>mean|median|min|max)\.(?P<key>.+)$")


def summary_ranges(pub: pd.DataFrame, res: AuditResult) -> None:
    """Means/medians inside [min, max]; the mean attainable given n, min, median and max."""
    by_id = pub.set_index("id")
    groups: dict[tuple[str, str], dict[str, pd.Series]] = {}
    for _, r in pub.iterrows():
        m = _STAT.match(r["id"])
        if m:
            groups.setdefault((m["pre"], m["key"]), {})[m["stat"]] = r
    for (pre, key), g in groups.items():
        if "min" not in g or "max" not in g:
            continue
        lo, hi = g["min"], g["max"]
        for stat in ("mean", "median"):
            if stat not in g:
                continue
            res.checked["summary_range"] = res.checked.get("summary_range", 0) + 1
            v = g[stat]
            slack = _hu(v["decimals"]) + _hu(lo["decimals"])
            if v["value"] < lo["value"] - slack or v["value"] > hi["value"] + slack:
                res.findings.append(
                    Finding(
                        "summary_range",
                        [v["id"], lo["id"], hi["id"]],
                        f"{stat} {_fmt(v['value'])}; min {_fmt(lo['value'])}; max {_fmt(hi['value'])}",
                        f"Het gepubliceerde {stat} van {pre} ({key}) ligt buiten het bereik min-max.",
                    )
                )
        nid = f"{pre}.n.{key}"
        if "mean" in g and "median" in g and nid in by_id.index:
            _mean_feasible(g, float(by_id.loc[nid, "value"]), nid, pre, key, res)


def _mean_feasible(g: dict, n: float, nid: str, pre: str, key: str, res: AuditResult) -> None:
    """With n values, min, median and max fixed, the mean lies between two bounds."""
    n_int = int(n)
    if n_int < 2:
        return
    res.checked["summary_range"] = res.checked.get("summary_range", 0) + 1
    m, md, mx = (float(g[s]["value"]) for s in ("min", "median", "max"))
    half = n_int // 2  # at least this many values lie at or above (and at or below) the median
    lower = (mx + md * (half - 1) + m * (n_int - half)) / n_int
    upper = (m + md * (half - 1) + mx * (n_int - half)) / n_int
    mean, slack = float(g["mean"]["value"]), _hu(g["mean"]["decimals"]) + _hu(g["median"]["decimals"])
    if mean < lower - slack or mean > upper + slack:
        res.findings.append(
            Finding(
                "summary_range",
                [g["mean"]["id"], g["median"]["id"], g["min"]["id"], g["max"]["id"], nid],
                f"n = {n_int}; min {_fmt(m)}; mediaan {_fmt(md)}; max {_fmt(mx)}; gemiddelde {_fmt(mean)}",
                f"Met n = {n_int}, deze minimum, mediaan en maximum ligt het gemiddelde van {pre} ({key}) "
                f"tussen {_d(lower, 1)} en {_d(upper, 1)}; gepubliceerd is {_fmt(mean)}.",
            )
        )


def implied_p(est: float, lo: float, hi: float) -> float:
    """Two-sided p of a ratio estimate from its 95% CI (SE on the log scale)."""
    se = log_se(lo, hi)
    if se <= 0:
        return float("nan")
    return float(2 * stats.norm.sf(abs(math.log(est)) / se))


def implied_p_range(est: float, lo: float, hi: float, decimals: int) -> tuple[float, float]:
    """Smallest and largest implied p over the rounding box of est, lo and hi."""
    h = _hu(decimals)
    ps = []
    for e, a, b in itertools.product((est - h, est + h), (lo - h, lo + h), (hi - h, hi + h)):
        if min(e, a, b) > 0 and b > a:
            ps.append(implied_p(e, a, b))
    if (est - h) <= 1 <= (est + h):
        ps.append(1.0)
    return (min(ps), max(ps)) if ps else (float("nan"), float("nan"))


def p_vs_ci(pub: pd.DataFrame, res: AuditResult) -> None:
    """Published p-values against the p implied by estimate and CI; estimate vs CI centre."""
    by_id = pub.set_index("id")
    for eid in pub.loc[pub["kind"] == "estimate", "id"]:
        term = eid.rsplit(".", 1)[0]
        need = [f"{term}.ci_low", f"{term}.ci_high"]
        if not all(i in by_id.index for i in need):
            continue
        e, lo, hi = (float(by_id.loc[i, "value"]) for i in (eid, *need))
        dec = int(by_id.loc[eid, "decimals"])
        ids = [eid, *need]
        res.checked["p_ci"] = res.checked.get("p_ci", 0) + 1
        h = _hu(dec)
        centre_lo, centre_hi = math.sqrt((lo - h) * (hi - h)), math.sqrt((lo + h) * (hi + h))
        if not (centre_lo - h <= e <= centre_hi + h):
            res.findings.append(
                Finding(
                    "p_ci",
                    ids,
                    f"{_fmt(e)} (95%-BI {_ci(lo, hi)})",
                    f"De schatting {_fmt(e)} ligt niet in het (log-)midden van haar 95%-BI; dat midden is "
                    f"{_d(math.sqrt(lo * hi), 3)}.",
                )
            )
        pid = f"{term}.p"
        if pid not in by_id.index:
            continue
        p, kind = float(by_id.loc[pid, "value"]), by_id.loc[pid, "kind"]
        p_min, p_max = implied_p_range(e, lo, hi, dec)
        point = implied_p(e, lo, hi)
        hp = _hu(by_id.loc[pid, "decimals"])
        bad = p_min > p + 1e-12 if kind == "p_upper_bound" else (p + hp < p_min or p - hp > p_max)
        if bad:
            shown = nf.p_text(p, upper_bound=kind == "p_upper_bound")
            res.findings.append(
                Finding(
                    "p_ci",
                    [*ids, pid],
                    f"{_fmt(e)} (95%-BI {_ci(lo, hi)}), {shown}",
                    f"Uit het 95%-BI volgt (SE op logschaal) p ≈ {_d(point, 3)} (bereik bij afronding "
                    f"{_d(p_min, 3)} tot {_d(p_max, 3)}); gepubliceerd is {shown}.",
                )
            )
    _chibar(pub, by_id, res)


def _chibar(pub: pd.DataFrame, by_id: pd.DataFrame, res: AuditResult) -> None:
    """Chi-bar-squared (50:50 mixture of chi2(0) and chi2(1)) against its p."""
    for sid in pub.loc[pub["unit"] == "chibar2", "id"]:
        pid = sid.rsplit(".", 1)[0] + ".p"
        if pid not in by_id.index:
            continue
        res.checked["p_ci"] = res.checked.get("p_ci", 0) + 1
        x, p = float(by_id.loc[sid, "value"]), float(by_id.loc[pid, "value"])
        implied = 0.5 * stats.chi2.sf(x, 1)
        bound_ok = implied <= p if by_id.loc[pid, "kind"] == "p_upper_bound" else abs(implied - p) <= _hu(3)
        if not bound_ok:
            res.findings.append(
                Finding(
                    "p_ci",
                    [sid, pid],
                    f"chibar2 = {_fmt(x)}, p = {_fmt(p)}",
                    f"Bij chibar2 = {_fmt(x)} hoort p = {nf.significant(implied, 3)}; gepubliceerd is {_fmt(p)}.",
                )
            )


_CONTRAST = re.compile(
    r"^(?P<ch>ch\d)\.(?P<out>[a-z]+)_(?P<a>[a-z]+)_vs_(?P<b>[a-z]+)_(?P<design>[a-z]+)"
    r"\.(?P<term>[\w]+)\.est$"
)


def contrasts(pub: pd.DataFrame, res: AuditResult, *, max_se: float = 2.0) -> None:
    """log OR(a vs b) against log OR(a vs c) - log OR(b vs c) of the same term."""
    by_id = pub.set_index("id")
    found: dict[tuple, dict[tuple[str, str], str]] = {}
    for pid in pub["id"]:
        m = _CONTRAST.match(pid)
        if m:
            found.setdefault((m["ch"], m["out"], m["design"], m["term"]), {})[(m["a"], m["b"])] = pid
    for pairs in found.values():
        for (a, b), ab in pairs.items():
            for c in {x for pair in pairs for x in pair} - {a, b}:
                ac, bc = pairs.get((a, c)), pairs.get((b, c))
                if not ac or not bc:
                    continue
                _one_contrast(by_id, ab, ac, bc, res, max_se)


def _one_contrast(by_id: pd.DataFrame, ab: str, ac: str, bc: str, res: AuditResult, max_se: float) -> None:
    res.checked["contrast"] = res.checked.get("contrast", 0) + 1
    v = {k: float(by_id.loc[k, "value"]) for k in (ab, ac, bc)}
    h = _hu(by_id.loc[ab, "decimals"])
    implied = v[ac] / v[bc]
    rng = ((v[ac] - h) / (v[bc] + h), (v[ac] + h) / (v[bc] - h))
    term = ab.rsplit(".", 1)[0]
    lo, hi = float(by_id.loc[f"{term}.ci_low", "value"]), float(by_id.loc[f"{term}.ci_high", "value"])
    se = log_se(lo, hi)
    nearest = min(max(v[ab], rng[0]), rng[1])
    gap = abs(math.log(v[ab]) - math.log(nearest)) / se if se > 0 else float("inf")
    inside = lo <= rng[0] and rng[1] <= hi
    if gap > max_se or not inside:
        res.findings.append(
            Finding(
                "contrast",
                [ab, ac, bc],
                f"{_fmt(v[ab])} (95%-BI {_ci(lo, hi)}) vs. {_fmt(v[ac])} / {_fmt(v[bc])} = {_d(implied, 2)}",
                f"Voor dezelfde term volgt uit de twee contrasten met de referentiecategorie een odds ratio "
                f"van {_d(implied, 2)} (bij afronding {_d(rng[0], 2)} tot {_d(rng[1], 2)}); gepubliceerd is "
                f"{_fmt(v[ab])} (95%-BI {_ci(lo, hi)}). Het verschil is {_d(gap, 1)} standaardfouten "
                f"(SE uit het gepubliceerde BI); de afgeleide waarde ligt {'binnen' if inside else 'niet geheel binnen'} "
                f"dat BI. Bij afzonderlijk geschatte binaire modellen geldt deze "
                f"identiteit bij benadering, niet exact.",
            )
        )


CHECKS = (category_sums, percent_counts, percent_sums, summary_ranges, p_vs_ci, contrasts)


def audit_table(pub: pd.DataFrame) -> AuditResult:
    """Run every check on a published-figures table."""
    pub = pub.copy()
    pub["chapter"] = pub["chapter"].astype(str)
    res = AuditResult()
    for check_fn in CHECKS:
        check_fn(pub, res)
    return res


def audit(path: Path) -> AuditResult:
    """Run every check on ``published_figures.csv`` at ``path``."""
    return audit_table(pd.read_csv(path, dtype={"id": str, "chapter": str, "category_code": str}))


def write_result(result: AuditResult, path: Path) -> Path:
    """Store an audit as JSON (the output of the build's ``audit`` step); returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "checked": result.checked,
        "findings": [
            {"check": f.check, "ids": list(f.ids), "numbers": f.numbers, "message": f.message}
            for f in result.findings
        ],
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    return path


def read_result(path: Path) -> AuditResult:
    """Read an audit stored by :func:`write_result`."""
    data = json.loads(Path(path).read_text("utf-8"))
    return AuditResult(findings=[Finding(**f) for f in data["findings"]], checked=dict(data["checked"]))
