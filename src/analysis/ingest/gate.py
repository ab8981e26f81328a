"""Intake: what ingest did to each measurement, and whether that is enough to build a report.

Two halves, so that a no-op build stays free of pandas:

- :func:`accounting` runs inside ingest (pandas) and writes, per measurement, rows read,
  accepted and quarantined with the reasons, rows outside the period, rows flagged as
  duplicates, location-months with registrations but no occupancy, and files that repeat most
  of another file of the same measurement. It is stored in ``ingest_report.json``
  (``"accounting"``) and never holds a value from an export: counts, check codes, location
  codes, months and file names only.
- :func:`judge` reads that block and the measurement descriptions (``params/meting-<N>.yaml``)
  and stops the build (:class:`IntakeStop`, exit code 2) when quarantine took more than the
  measurement's ``max_quarantine_share`` of its registrations, or when a file repeats another
  (a re-delivered export) and the measurement does not declare that intended
  (``repeated_files``). :func:`lines` is the console's account of the same block.

Why rows outside the period do not count towards the share: they are not defects of the
export but of the period (``params/``), which ingest already warns about by location.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from analysis.core.errors import UserError

#: Checks of the one period rule (counted apart from the defects of an export).
PERIOD_CHECKS = ("buiten_periode", "buiten_locatieperiode")
#: A file is a re-delivery of another when at least this share of its registrations (location,
#: youth, start) also occurs in the other file of the same measurement ...
REPEAT_SHARE = 0.5
#: ... and at least this many: a single repeated row is a row-level duplicate (flagged
#: ``vlag_dubbel``), not a second delivery.
REPEAT_MIN_ROWS = 2
#: Dutch name of every check, for the report (summary, appendix C); the codes stay the keys of
#: ``quarantine.csv`` and ``ingest_report.json``.
CHECK_NL = {
    "file_unreadable": "bestand onleesbaar",
    "no_header": "geen kopregel",
    "missing_column": "verplichte kolom ontbreekt",
    "misaligned_row": "rij past niet op de kopregel",
    "bad_location_code": "ongeldige locatiecode",
    "required": "verplicht veld leeg",
    "unknown_location": "onbekende locatie",
    "bad_date": "geen datum",
    "bad_time": "geen tijd",
    "bad_code": "geen code uit het codeboek",
    "bad_month": "geen maand",
    "buiten_periode": "buiten de periode van de meting",
    "buiten_locatieperiode": "buiten de periode van de locatie",
    "bad_number": "geen getal",
    "duplicate_key": "dubbele sleutel",
}
#: How many reasons, files and location-months a message names before "and N more".
SHOWN = 3


class IntakeStop(UserError):
    """The accepted data of a measurement are too few, or counted twice, to build a report on."""


@dataclass(frozen=True)
class Repeat:
    """File ``file`` repeats ``rows`` of its ``of`` registrations in ``other`` (same measurement)."""

    meting: int
    file: str
    other: str
    rows: int
    of: int

    @property
    def share(self) -> float:
        """Share of ``file``'s registrations that ``other`` holds as well."""
        return self.rows / self.of if self.of else 0.0


# --- accounting (inside ingest) ---------------------------------------------------------------
def _row_reasons(lines: Any, order: list[str]) -> Any:
    """One reason per quarantined row: the first non-period check in ``order``, else the period.

    Returns a frame ``file, row, check, period`` with one row per quarantined input row that
    has a row number (``period`` true when the period rule is its only reason).
    """
    import pandas as pd

    q = lines.dropna(subset=["row"])[["file", "row", "check"]]
    if not len(q):
        return pd.DataFrame({"file": [], "row": [], "check": [], "period": []})
    rank = {c: i for i, c in enumerate(order)}
    q = q.assign(
        period=q["check"].isin(PERIOD_CHECKS),
        rank=q["check"].map(rank).fillna(len(rank)),
    )
    # a row with any defect is counted under its first defect; period only when it has no other
    q = q.sort_values(["period", "rank", "check"], kind="stable")
    return q.drop_duplicates(["file", "row"]).drop(columns="rank")


def _without_occupancy(reg: Any, occ: Any) -> dict[int, list[str]]:
    """Per measurement, ``"LOC JJJJ-MM"`` with registrations but no or zero occupancy (sorted)."""
    if not len(reg):
        return {}
    have = reg[["meting", "locatie", "maand"]].drop_duplicates()
    ok = occ.loc[occ["gemiddelde_bezetting"] > 0, ["meting", "locatie", "maand"]].drop_duplicates()
    m = have.merge(ok, how="left", on=["meting", "locatie", "maand"], indicator=True)
    m = m[m["_merge"] == "left_only"].sort_values(["meting", "locatie", "maand"])
    out: dict[int, list[str]] = {}
    for r in m.itertuples(index=False):
        out.setdefault(int(r.meting), []).append(f"{r.locatie} {r.maand}")
    return out


def repeats(reg: Any) -> list[Repeat]:
    """Files that repeat at least :data:`REPEAT_SHARE` of their registrations in another file.

    Parameters
    ----------
    reg : pandas.DataFrame
        Accepted registrations (``meting, locatie, jongere, start, bron_bestand``).

    Returns
    -------
    list of Repeat
        One per ordered pair (file, other) of the same measurement, largest share first. Rows
        are compared on location, youth and start, as the row-level ``vlag_dubbel`` is.
    """
    if not len(reg):
        return []
    keys = ["meting", "locatie", "jongere", "start"]
    k = reg[[*keys, "bron_bestand"]].assign(jongere=reg["jongere"].fillna("")).drop_duplicates()
    size = k.groupby("bron_bestand").size()
    # only keys held by more than one file can pair files: keeps the self-join small
    shared = k[k.duplicated(keys, keep=False)]
    pairs = shared.merge(shared, on=keys, suffixes=("", "_other"))
    pairs = pairs[pairs["bron_bestand"] != pairs["bron_bestand_other"]]
    counts = pairs.groupby(["meting", "bron_bestand", "bron_bestand_other"]).size()
    out = [
        Repeat(int(m), str(f), str(o), int(n), int(size[f]))
        for (m, f, o), n in counts.items()
        if n >= REPEAT_MIN_ROWS and n / size[f] >= REPEAT_SHARE
    ]
    return sorted(out, key=lambda r: (r.meting, -r.share, r.file, r.other))


def accounting(
    files: Iterable[Any], lines: Any, reg: Any, occ: Any, metingen: Iterable[int], order: list[str]
) -> dict[str, dict[str, Any]]:
    """What ingest did to each measurement's registrations (``ingest_report.json`` ``accounting``).

    Parameters
    ----------
    files : iterable of FileReport
        Every file report of the run (registration files are picked by ``kind``).
    lines : pandas.DataFrame
        All quarantine lines (``file, row, check, ...``).
    reg, occ : pandas.DataFrame
        The processed registrations and occupancy tables.
    metingen : iterable of int
        The measurements ingested.
    order : list of str
        Check codes in the order of :data:`analysis.ingest.checks.CHECKS` (a row with several
        problems is counted under the first).

    Returns
    -------
    dict
        ``{"<meting>": {"read", "accepted", "quarantined", "outside_period", "defects",
        "reasons": {check: rows}, "files": [...], "duplicates", "without_occupancy": [...],
        "repeated_files": [{"file", "other", "rows", "of"}]}}``; ``reasons`` sum to ``defects``,
        ``defects + outside_period == quarantined`` and ``accepted + quarantined == read``.
    """
    reg_files = [f for f in files if f.kind == "registraties" and f.meting is not None]
    per_row = _row_reasons(lines, order)
    lacking = _without_occupancy(reg, occ)
    repeated = repeats(reg)
    out: dict[str, dict[str, Any]] = {}
    for m in metingen:
        mine = [f for f in reg_files if f.meting == m]
        names = {f.file for f in mine}
        rows = per_row[per_row["file"].isin(names)]
        reasons: dict[str, int] = {}
        for check, n in rows.loc[~rows["period"], "check"].value_counts().items():
            reasons[str(check)] = int(n)
        # a file that could not be read has one line without a row number for all its rows
        for f in mine:
            if f.error is not None and f.rows_quarantined and f.file not in set(rows["file"]):
                check = _file_check(lines, f.file)
                reasons[check] = reasons.get(check, 0) + int(f.rows_quarantined)
        quarantined = sum(f.rows_quarantined for f in mine)
        outside = int(rows["period"].sum())
        dup = int(reg.loc[reg["meting"] == m, "vlag_dubbel"].sum()) if len(reg) else 0
        out[str(m)] = {
            "read": sum(f.rows_read for f in mine),
            "accepted": sum(f.rows_accepted for f in mine),
            "quarantined": quarantined,
            "outside_period": outside,
            "defects": quarantined - outside,
            "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            "files": sorted(f.file for f in mine if f.rows_quarantined),
            "duplicates": dup,
            "without_occupancy": lacking.get(m, []),
            "repeated_files": [
                {"file": r.file, "other": r.other, "rows": r.rows, "of": r.of}
                for r in repeated
                if r.meting == m
            ],
        }
    return out


def _file_check(lines: Any, file: str) -> str:
    """The check of a file-level quarantine line of ``file`` (``file_unreadable`` if none)."""
    mine = lines.loc[(lines["file"] == file) & lines["row"].isna(), "check"]
    return str(mine.iloc[0]) if len(mine) else "file_unreadable"


# --- the verdict (no pandas) ------------------------------------------------------------------
def _pct(share: float) -> str:
    """A share as a whole percentage for the console (``0.3%`` below one percent)."""
    return f"{100 * share:.1f}%" if 0 < share < 0.01 else f"{100 * share:.0f}%"


def _some(items: list[str], n: int = SHOWN) -> str:
    """The first ``n`` items, and how many more."""
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def defect_share(acc: Mapping[str, Any]) -> float:
    """Share of a measurement's registrations (outside-period rows left out) quarantined as defects."""
    base = acc["read"] - acc["outside_period"]
    return acc["defects"] / base if base > 0 else 0.0


def judge(accounts: Mapping[str, Mapping[str, Any]], limits: Mapping[int, tuple[float, list[str]]]) -> dict:
    """Check every measurement's accounting against its limits; stop the build when one fails.

    Parameters
    ----------
    accounts : mapping
        ``ingest_report.json``'s ``accounting`` block.
    limits : mapping
        Per measurement: ``(max_quarantine_share, repeated_files)`` from ``params/meting-<N>.yaml``.

    Returns
    -------
    dict
        The verdict (``build/intake.json``): per measurement the share, its limit and the
        repeated files, each marked as declared or not.

    Raises
    ------
    IntakeStop
        One line naming every measurement that fails, what was found and how to go on.
    """
    verdict, problems = {}, []
    for key in sorted(accounts, key=int):
        acc, m = accounts[key], int(key)
        limit, declared = limits.get(m, (0.05, []))
        share = defect_share(acc)
        reps = acc.get("repeated_files", [])
        undeclared = [
            r for r in reps if not (_declared(r["file"], declared) or _declared(r["other"], declared))
        ]
        verdict[key] = {
            "share": round(share, 6),
            "max_quarantine_share": limit,
            "repeated_files": [dict(r, declared=r not in undeclared) for r in reps],
        }
        if share > limit:
            problems.append(_share_problem(m, acc, share, limit))
        if undeclared:
            problems.append(_repeat_problem(m, undeclared))
    if problems:
        raise IntakeStop("; ".join(problems))
    return verdict


def _declared(file: str, declared: list[str]) -> bool:
    """Whether ``file`` (a path relative to the raw root) is listed, by that path or its name."""
    return file in declared or file.rsplit("/", 1)[-1] in declared


def _share_problem(m: int, acc: Mapping[str, Any], share: float, limit: float) -> str:
    reasons = [f"{check} {n}" for check, n in acc["reasons"].items()]
    return (
        f"meting {m}: {_pct(share)} of the registrations were quarantined ({acc['defects']} of "
        f"{acc['read'] - acc['outside_period']}; {_some(reasons)}) in {_some(acc['files'])}, more than "
        f"the {_pct(limit)} allowed by max_quarantine_share in params/meting-{m}.yaml - fix the "
        "export (data/processed/quarantine.csv lists every row and reason), or raise "
        f"max_quarantine_share in params/meting-{m}.yaml knowingly"
    )


def _repeat_problem(m: int, reps: list[Mapping[str, Any]]) -> str:
    # each pair appears twice (a repeats b, b repeats a): name it once, with the larger share
    seen, named = set(), []
    for r in sorted(reps, key=lambda r: -r["rows"] / r["of"]):
        pair = frozenset((r["file"], r["other"]))
        if pair not in seen:
            seen.add(pair)
            named.append(
                f"{r['file']} repeats {_pct(r['rows'] / r['of'])} of its registrations in {r['other']}"
            )
    return (
        f"meting {m}: {_some(named)} (a re-delivered export would be counted twice) - remove one of "
        f"the files from data/raw/, or list the intended file under repeated_files in "
        f"params/meting-{m}.yaml"
    )


def lines(accounts: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The console's account of ingest, one line per measurement (English, counts only)."""
    out = []
    for key in sorted(accounts, key=int):
        a = accounts[key]
        reasons = ", ".join(f"{c} {n}" for c, n in list(a["reasons"].items())[:SHOWN])
        lack = a["without_occupancy"]
        out.append(
            f"meting {key}: {a['read']:,} read, {a['accepted']:,} accepted, {a['defects']:,} quarantined"
            + (f" ({reasons})" if reasons else "")
            + f", {a['outside_period']:,} outside the period, {a['duplicates']:,} flagged as duplicates, "
            f"{len(lack)} location-months with registrations but no occupancy"
            + (f" ({_some(lack)}; left out of the count models)" if lack else "")
        )
    return out
