"""Reproduction check: every published figure beside the value this build computed.

Statuses (per row of ``data/reference/published_figures.csv``):

``exact``
    The computed value equals the published one (to 1e-9), or, for ``p_upper_bound``
    rows (``p < .001``), the computed p lies below the bound.
``within rounding``
    The computed value differs, but by no more than half a unit of the published last
    decimal (e.g. 43.2 % published as 43 %).
``within CI``
    A chapter-3 estimate outside rounding but inside the published 95% CI of the same term.
``same conclusion``
    A chapter-3 CI bound or p-value outside rounding whose term matches the published one in
    the three respects that matter (:func:`chapter3_statuses`): estimate inside the published CI,
    log CI width within :data:`analysis.core.intervals.WIDTH_RANGE` times the published width,
    same conclusion at 5% (for a p-value: the same conclusion suffices).
``outside CI``
    A chapter-3 estimate outside the published 95% CI of its term.
``differs``
    Anything else.
``not computed``
    This build wrote no value for the id over the figure's measurement(s) (``values.csv``).
``no published figure``
    A value this build computed for a measurement (or set of measurements) the report did not
    publish, e.g. chapter 2 of measurement 3: listed, never compared and never a failure.

Published figures belong to measurements 1 and 2 of the 2021 report (column ``metingen`` of
``published_figures.csv``: ``2`` for chapters 1-2, ``1;2`` for chapter 3). A figure is compared
only with a value computed over the same measurement(s) (column ``metingen`` of ``values.csv``);
a value without measurements (older results) is compared as before.

Chapters ``1`` and ``2`` must match (exact or within rounding); chapter-3 estimates get
their status without failing the check. Figures the synthetic twin cannot match by
construction are listed in :data:`ALLOWED_DIFFERENCES` with the reason.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.core.intervals import log_width_ratio, significant, width_ok
from analysis.core.paths import Paths
from analysis.core.results import read_values
from analysis.present import format as nf

EXACT, ROUNDING, IN_CI, SAME_CONCLUSION, OUTSIDE_CI, DIFFERS, MISSING, UNPUBLISHED = (
    "exact",
    "within rounding",
    "within CI",
    "same conclusion",
    "outside CI",
    "differs",
    "not computed",
    "no published figure",
)
STATUSES = (EXACT, ROUNDING, IN_CI, SAME_CONCLUSION, OUTSIDE_CI, DIFFERS, MISSING, UNPUBLISHED)
MUST_MATCH_CHAPTERS = {"1", "2"}
_EPS = 1e-9

#: Published figures the synthetic twin cannot reproduce, with the reason (id glob -> reason).
CLOCK_READING_RESOLUTION = 60.0  # minutes: one bar of the hourly start-time figures

ALLOWED_DIFFERENCES: dict[str, str] = {
    "ch2.fig12.n.*": "Figuur 12: de gepubliceerde categorieën tellen op tot 1593, niet tot N = 1613; "
    "de synthetische tweeling verdeelt alle registraties (N = 1613) en kan niet alle "
    "aantallen tegelijk volgen.",
    "ch2.fig12.pct.*": "Figuur 12: 66% bij n = 1039 past niet bij N = 1613 (64,4%); de percentages "
    "volgen uit de aantallen van de tweeling.",
}


@dataclass
class CheckResult:
    """Outcome of :func:`check`.

    Attributes
    ----------
    table : DataFrame
        One row per published figure: id, chapter, description, published, computed,
        difference, status, must_match, allowed, reason.
    failures : DataFrame
        Rows that should match and do not (not allow-listed).
    """

    table: pd.DataFrame
    failures: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def exit_code(self) -> int:
        """1 when a figure that should match does not, else 0."""
        return int(len(self.failures) > 0)

    def counts(self) -> pd.DataFrame:
        """Number of figures per chapter and status (chapters as rows)."""
        c = pd.crosstab(self.table["chapter"], self.table["status"])
        return c.reindex(columns=[s for s in STATUSES], fill_value=0)

    def print_summary(self, console=None, *, max_rows: int = 12) -> None:
        """Print a one-screen summary with rich (counts per chapter, then failures)."""
        print_summary(self, console, max_rows=max_rows)

    def compared(self) -> list[str]:
        """One Dutch sentence per chapter: what was compared with what (see :func:`compared_sentences`)."""
        return compared_sentences(self.table)


def _nums(scope: str) -> list[int]:
    return [int(x) for x in str(scope).split(";") if x]


def compared_sentences(table: pd.DataFrame) -> list[str]:
    """What the check compared, per chapter, in Dutch, from the check table.

    Each sentence names the measurement(s) of the published figures, how many were compared
    with a value of the same measurement(s), and the measurements this build computed that
    the report did not publish (never compared).
    """
    from analysis.present import text  # present is an earlier stage than verify

    out = []
    names = {"method": "Methode", "1": "Hoofdstuk 1", "2": "Hoofdstuk 2", "3": "Hoofdstuk 3"}
    for ch, g in table.groupby("chapter", sort=False):
        pub = g[g["status"] != UNPUBLISHED]
        extra = g[g["status"] == UNPUBLISHED]
        head = names.get(str(ch), f"Hoofdstuk {ch}")
        parts = []
        if len(pub) and not any(pub["metingen"]):
            parts.append(
                f"{text.count(len(pub), 'gepubliceerd cijfer', 'gepubliceerde cijfers')} zonder meting "
                "(niet uit de registraties te berekenen)"
            )
        elif len(pub):
            scopes = sorted({sc for sc in pub["metingen"] if sc}, key=lambda sc: _nums(sc))
            n_cmp = int((pub["status"] != MISSING).sum())
            what = text.count(len(pub), "gepubliceerd cijfer", "gepubliceerde cijfers")
            of = f" van {text.join(text.measurements(_nums(sc)) for sc in scopes)}" if scopes else ""
            parts.append(
                f"{what}{of}, waarvan {text.count(n_cmp, 'cijfer', 'cijfers', zero='geen')} "
                "vergeleken met een waarde over dezelfde "
                f"{'meting' if all(len(_nums(sc)) == 1 for sc in scopes) else 'metingen'}"
            )
        if len(extra):
            ex_scopes = sorted(set(extra["metingen"]), key=_nums)
            parts.append(
                f"{text.count(len(extra), 'berekend cijfer', 'berekende cijfers')} over "
                f"{text.join(text.measurements(_nums(sc)) for sc in ex_scopes)} zonder "
                "gepubliceerd cijfer (niet vergeleken)"
            )
        out.append(f"{head}: " + "; ".join(parts) + ".")
    return out


def half_unit(decimals: float | int | None) -> float:
    """Half a unit of the last published decimal (0.5 for integers)."""
    d = 0 if decimals is None or pd.isna(decimals) else int(decimals)
    return 0.5 * 10.0 ** (-d)


def _term(pid: str) -> str:
    return pid.rsplit(".", 1)[0]


def status_of(row: pd.Series, computed: float | None, ci: tuple[float, float] | None) -> str:
    """Status of one published figure given the computed value.

    Parameters
    ----------
    row : Series
        Row of the published table (``value``, ``kind``, ``decimals``).
    computed : float or None
        Value computed in this build (None/NaN: not computed).
    ci : tuple of float, optional
        Published (ci_low, ci_high) of the same term, for estimates.

    Returns
    -------
    str
        One of :data:`STATUSES`.
    """
    if computed is None or pd.isna(computed):
        return MISSING
    published = float(row["value"])
    diff = abs(float(computed) - published)
    if row["kind"] == "p_upper_bound":
        return EXACT if computed < published + _EPS else DIFFERS
    if diff <= _EPS * max(1.0, abs(published)):
        return EXACT
    if row["kind"] != "exact" and diff <= half_unit(row["decimals"]) + _EPS:
        return ROUNDING
    # Times read off Figures 7 and 8 (hourly bars): the reading's resolution is one bar.
    if (
        row.get("unit") == "minutes_after_midnight"
        and row["kind"] == "rounded"
        and diff <= CLOCK_READING_RESOLUTION + _EPS
    ):
        return ROUNDING
    if row["kind"] == "estimate" and ci is not None and ci[0] - _EPS <= computed <= ci[1] + _EPS:
        return IN_CI
    return DIFFERS


def allowed_reason(pid: str, allow: dict[str, str] | None = None) -> str:
    """Reason a figure may differ ("" when it must match)."""
    for pattern, reason in (ALLOWED_DIFFERENCES if allow is None else allow).items():
        if fnmatch.fnmatchcase(pid, pattern):
            return reason
    return ""


def _scope(value: object) -> str:
    """Measurements as ``"1;2"`` ("" when unknown)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return ";".join(
        sorted(
            {p.strip() for p in str(value).replace(",", ";").split(";") if p.strip()},
            key=lambda x: (len(x), x),
        )
    )


def compare(
    published: pd.DataFrame,
    values: pd.DataFrame,
    *,
    allow: dict[str, str] | None = None,
    must_match: set[str] = MUST_MATCH_CHAPTERS,
) -> CheckResult:
    """Compare published figures with computed values of the same measurement(s).

    Parameters
    ----------
    published : DataFrame
        ``published_figures.csv`` (``metingen``: the measurements a figure describes).
    values : DataFrame
        Computed values (``published_id``, ``value``, optional ``metingen``), e.g. from
        :func:`read_values`.
    allow : dict, optional
        Allow-list (id glob -> reason); default :data:`ALLOWED_DIFFERENCES`.
    must_match : set of str
        Chapters whose computed figures must match.

    Returns
    -------
    CheckResult
        One row per published figure, then one row per computed value over measurements the
        report did not publish (status ``no published figure``).
    """
    pub = published.copy()
    pub["chapter"] = pub["chapter"].astype(str)
    if "metingen" not in pub.columns:
        pub["metingen"] = ""
    pub["metingen"] = pub["metingen"].map(_scope)
    vals = values.dropna(subset=["published_id"]).copy()
    if "metingen" not in vals.columns:
        vals["metingen"] = ""
    vals["metingen"] = vals["metingen"].map(_scope)
    vals = vals.drop_duplicates(["published_id", "metingen"], keep="last")
    computed = {
        (str(i), m): float(v) for i, m, v in zip(vals["published_id"], vals["metingen"], vals["value"])
    }
    by_id = pub.set_index("id")["value"].to_dict()
    used: set[tuple[str, str]] = set()
    rows = []
    for _, r in pub.iterrows():
        term = _term(r["id"])
        lo, hi = by_id.get(f"{term}.ci_low"), by_id.get(f"{term}.ci_high")
        ci = (float(lo), float(hi)) if lo is not None and hi is not None else None
        key = (r["id"], r["metingen"])
        if key not in computed and (r["id"], "") in computed:
            key = (r["id"], "")  # a value without measurements: compared as before
        comp = computed.get(key)
        if comp is not None:
            used.add(key)
        status = status_of(r, comp, ci)
        reason = allowed_reason(r["id"], allow)
        rows.append(
            {
                "id": r["id"],
                "chapter": r["chapter"],
                "metingen": r["metingen"],
                "description": r.get("description", ""),
                "kind": r["kind"],
                "unit": r.get("unit", ""),
                "decimals": r.get("decimals"),
                "published": float(r["value"]),
                "computed": comp,
                "difference": None if comp is None else float(comp) - float(r["value"]),
                "status": status,
                "must_match": r["chapter"] in must_match,
                "allowed": bool(reason),
                "reason": reason,
            }
        )
    chapter_of = dict(zip(pub["id"], pub["chapter"]))
    for (pid, scope), v in sorted(computed.items()):
        # A published figure computed over other measurements (a new measurement, or models over
        # more measurements); values whose id the report never published are not listed.
        if (pid, scope) in used or scope == "" or pid not in chapter_of:
            continue
        rows.append(
            {
                "id": pid,
                "chapter": chapter_of.get(pid, pid.split(".", 1)[0].removeprefix("ch")),
                "metingen": scope,
                "description": "",
                "kind": "",
                "unit": "",
                "decimals": None,
                "published": None,
                "computed": v,
                "difference": None,
                "status": UNPUBLISHED,
                "must_match": False,
                "allowed": False,
                "reason": "",
            }
        )
    table = chapter3_statuses(pd.DataFrame(rows))
    return CheckResult(table=table, failures=table[failing(table)].reset_index(drop=True))


def failing(table: pd.DataFrame) -> pd.Series:
    """Rows of a check table that should match and do not (and are not allow-listed)."""
    return table["must_match"].astype(bool) & (table["status"] == DIFFERS) & ~table["allowed"].astype(bool)


def chapter3_statuses(table: pd.DataFrame) -> pd.DataFrame:
    """Chapter-3 statuses per term and the CI-width ratio (columns ``width_ratio``, ``conclusion``).

    A term (``ch3.<model>.<term>``) is judged as a whole: its estimate is ``within CI`` or
    ``outside CI``; its CI bounds and p-value, when they differ beyond rounding, are ``same
    conclusion`` if the estimate lies inside the published CI, the log CI width is within
    :data:`analysis.core.intervals.WIDTH_RANGE` times the published width (not needed for a
    p-value) and the conclusion at 5% is the same; otherwise ``differs``.
    """
    t = table.copy()
    t["width_ratio"] = float("nan")
    t["conclusion"] = ""
    is3 = t["chapter"].astype(str).eq("3") & t["kind"].isin(
        ["estimate", "ci_low", "ci_high", "p", "p_upper_bound"]
    )
    if not is3.any():
        return t
    t["_term"] = t["id"].map(_term)
    for _, g in t[is3].groupby(["_term", "metingen"]):
        by = {k: r for k, r in zip(g["kind"], g.itertuples())}
        if "estimate" not in by or "ci_low" not in by or "ci_high" not in by:
            continue
        pub_lo, pub_hi, pub_est = by["ci_low"].published, by["ci_high"].published, by["estimate"].published
        est, lo, hi = by["estimate"].computed, by["ci_low"].computed, by["ci_high"].computed
        if any(v is None or pd.isna(v) for v in (est, lo, hi)):
            continue
        ratio = log_width_ratio(lo, hi, pub_lo, pub_hi)
        pr = by.get("p") or by.get("p_upper_bound")
        sig_pub = significant(
            pr.published if pr else None, pub_lo, pub_hi, bound=bool(pr) and pr.kind == "p_upper_bound"
        )
        sig = significant(pr.computed if pr else None, lo, hi)
        same = sig == sig_pub
        inside = pub_lo - _EPS <= est <= pub_hi + _EPS or abs(est - pub_est) <= half_unit(
            by["estimate"].decimals
        )
        width_in_range = width_ok(ratio)
        idx = g.index
        t.loc[idx, "width_ratio"] = ratio
        t.loc[idx, "conclusion"] = "zelfde" if same else "anders"
        for kind, r in by.items():
            if r.status in (EXACT, ROUNDING, MISSING):
                continue
            if kind == "estimate":
                status = IN_CI if inside else OUTSIDE_CI
            elif kind in ("ci_low", "ci_high"):
                status = SAME_CONCLUSION if inside and width_in_range and same else DIFFERS
            else:
                status = SAME_CONCLUSION if same else DIFFERS
            t.loc[r.Index, "status"] = status
    return t.drop(columns="_term")


def check(paths: Paths, *, allow: dict[str, str] | None = None) -> CheckResult:
    """Reproduction check of a build.

    Parameters
    ----------
    paths : Paths
        Project paths; reads ``paths.published_figures`` and ``read_values(paths.results)``.
    allow : dict, optional
        Allow-list override.

    Returns
    -------
    CheckResult
        ``exit_code`` is 1 when a chapter-1/2 figure differs (outside the allow-list).
    """
    published = pd.read_csv(paths.published_figures, dtype={"id": str, "chapter": str})
    values = (
        read_values(paths.results)
        if Path(paths.results).exists()
        else pd.DataFrame(columns=["published_id", "value", "result"])
    )
    return compare(published, values, allow=allow)


def write_result(result: CheckResult, path: Path) -> Path:
    """Store a check as JSON (the output of the build's ``reproduction`` step).

    Values keep full precision (Python's float repr); missing values are ``null``. The
    failures are not stored: :func:`read_result` derives them with :func:`failing`, as
    :func:`compare` does.

    Parameters
    ----------
    result : CheckResult
        The check to store.
    path : Path
        Target file; its folder is created.

    Returns
    -------
    Path
        ``path``.
    """
    table = result.table.reset_index(drop=True)
    rows = [
        {k: (None if v is None or (isinstance(v, float) and v != v) else v) for k, v in r.items()}
        for r in table.astype(object).to_dict(orient="records")
    ]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"columns": list(table.columns), "rows": rows}, ensure_ascii=False, indent=0), "utf-8"
    )
    return path


def read_result(path: Path) -> CheckResult:
    """Read a check stored by :func:`write_result`."""
    data = json.loads(Path(path).read_text("utf-8"))
    table = pd.DataFrame(data["rows"], columns=data["columns"])
    return CheckResult(table=table, failures=table[failing(table)].reset_index(drop=True))


_CHAPTER_NAMES = {"method": "Method", "1": "Chapter 1", "2": "Chapter 2", "3": "Chapter 3"}


def print_summary(result: CheckResult, console=None, *, max_rows: int = 12) -> None:
    """Print counts per chapter and status, the failures and the verdict (in English: the CLI).

    Parameters
    ----------
    result : CheckResult
        Outcome of :func:`check`.
    console : rich.console.Console, optional
        Where to print (default: a new console on stdout).
    max_rows : int
        Show at most this many failing figures.
    """
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    counts = result.counts()
    t = Table(title="Reproduction check: published figures vs. this build", title_justify="left")
    t.add_column("chapter")
    colours = {
        EXACT: "green",
        ROUNDING: "green",
        IN_CI: "cyan",
        SAME_CONCLUSION: "cyan",
        OUTSIDE_CI: "yellow",
        DIFFERS: "red",
        MISSING: "dim",
        UNPUBLISHED: "dim",
    }
    for s in STATUSES:
        t.add_column(s, justify="right", style=colours[s])
    for chapter, row in counts.iterrows():
        t.add_row(_CHAPTER_NAMES.get(str(chapter), str(chapter)), *[str(int(row[s])) for s in STATUSES])
    console.print(t)
    for chapter, g in result.table.groupby("chapter", sort=False):
        compared = int((~g["status"].isin([MISSING, UNPUBLISHED])).sum())
        unpublished = int((g["status"] == UNPUBLISHED).sum())
        console.print(
            f"  {_CHAPTER_NAMES.get(str(chapter), str(chapter))}: {len(g) - unpublished} published "
            f"figures, {compared} compared with a value over the same measurement(s)"
            + (f"; {unpublished} computed values have no published counterpart" if unpublished else "")
        )
    allowed = result.table[result.table["allowed"] & (result.table["status"] == DIFFERS)]
    if len(allowed):
        n_allowed = len(allowed)
        console.print(
            f"[yellow]{n_allowed} allowed difference{'s' if n_allowed != 1 else ''} (allow-list):[/] "
            + ", ".join(allowed["id"].head(8))
        )
    if result.exit_code:
        n = len(result.failures)
        f = Table(title=f"{n} figure{'s' if n != 1 else ''} that should have matched", title_justify="left")
        for col in ("id", "published", "computed", "difference"):
            f.add_column(col, justify="left" if col == "id" else "right")
        for _, r in result.failures.head(max_rows).iterrows():
            f.add_row(
                r["id"],
                nf.published(r["published"], r["decimals"], r["kind"], "en"),
                nf.shortest(r["computed"], "en"),
                nf.signed(r["difference"], 6, "en"),
            )
        console.print(f)
        console.print("[bold red]FAIL[/]: chapters 1-2 differ from the published report.")
    else:
        t12 = result.table[result.table["must_match"]]
        n = int((~t12["status"].isin([MISSING, UNPUBLISHED])).sum())
        if n:
            console.print(
                f"[bold green]OK[/]: all {n} compared figures of chapters 1-2 match "
                "(exactly, within rounding, or allowed)."
            )
        else:
            console.print(
                "[bold green]OK[/]: no differences; this build computed no figures of "
                "chapters 1-2 for the published measurement."
            )
