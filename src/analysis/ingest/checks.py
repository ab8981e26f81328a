"""Validation rules: parse the text of an export with the codebook and say what is wrong.

Every rule is listed in :data:`CHECKS` with its action: ``quarantine`` (the row goes to
``quarantine.csv`` with a reason a data manager can act on) or ``flag`` (the row is kept,
with a ``vlag_*`` column). ``data/raw/README.md`` documents the same list; a test keeps both
in step. Parsing works on the distinct values of a column (a few hundred dates, not 100,000
rows) with explicit formats, so it is vectorised and fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable, Literal

import numpy as np
import pandas as pd

from analysis import codebook
from analysis.core.paths import is_location_code
from analysis.ingest.pseudonym import normalise_youth_id
from analysis.ingest.readers import label_key


@dataclass(frozen=True)
class Check:
    """One validation rule: its id, what happens to an offending row, and why."""

    id: str
    action: Literal["quarantine", "flag", "file"]
    description: str


CHECKS: tuple[Check, ...] = (
    Check(
        "file_unreadable",
        "file",
        "file cannot be read (format, encoding, corrupt); all its rows are quarantined",
    ),
    Check(
        "no_header",
        "file",
        "no row of the first ten holds the contract's header (header-less export); all rows quarantined",
    ),
    Check("missing_column", "file", "a required column is absent or two headers mean the same column"),
    Check(
        "misaligned_row",
        "quarantine",
        "row has more or fewer fields than the header, an unterminated quote or a NUL",
    ),
    Check("bad_location_code", "quarantine", "locations.csv: code not letters, digits, - or _ (at most 16)"),
    Check(
        "required",
        "quarantine",
        "required value empty (locatie, datum_start, tijd_start; bezetting/beleid keys)",
    ),
    Check("unknown_location", "quarantine", "locatie not in locations.csv"),
    Check("bad_date", "quarantine", "datum_start / datum_eind is not a date"),
    Check("bad_time", "quarantine", "tijd_start / tijd_eind is not a time"),
    Check("bad_code", "quarantine", "value is neither a code nor a label of the codebook"),
    Check("bad_month", "quarantine", "maand / month field is not JJJJ-MM"),
    Check(
        "buiten_periode",
        "quarantine",
        "registration start month or occupancy month outside the measurement period",
    ),
    Check(
        "buiten_locatieperiode",
        "quarantine",
        "month outside the location's eerste_maand - laatste_maand (locations.csv)",
    ),
    Check("bad_number", "quarantine", "occupancy is not a number or is negative"),
    Check("duplicate_key", "quarantine", "occupancy, policy or location row repeats an earlier key"),
    Check("duur_2359", "flag", "end - start is exactly 23h59m (artefact of one-day registrations)"),
    Check("eind_voor_start", "flag", "end before start"),
    Check("duur_boven_24u", "flag", "duration over 24 hours"),
    Check("dubbel", "flag", "same location, youth and start as an earlier registration"),
)

DATE_FORMATS = ("%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
# Excel serial numbers accepted as dates: 1954-10-03 .. 2119-01-08. Why a range: a stray
# number such as 7 in a date column is an error, not 7 January 1900.
EXCEL_SERIALS = (20000.0, 80000.0)
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_TIME = re.compile(r"^(?:\d{4}-\d{2}-\d{2}[ T])?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")
_FRACTION = re.compile(r"^0(?:[.,]\d+)?$")
_INTEGER = re.compile(r"^\+?0*(\d+)(?:[.,]0+)?$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$|^(\d{1,2})-(\d{4})$")
DATE_HINT = "is not a date (expected DD.MM.JJJJ, DD-MM-JJJJ, JJJJ-MM-DD or an Excel date number)"
TIME_HINT = "is not a time (expected HH:MM or H:MM)"
MAX_VALUE_CHARS = 80


def problems_where(
    mask: pd.Series, column: str, value: pd.Series | str, reason: pd.Series | str, check: str
) -> pd.DataFrame | None:
    """``reason`` for every row position where ``mask`` is true; None when there is none."""
    mask = mask.fillna(False).astype(bool)
    if not mask.any():
        return None
    idx = mask.index[mask.to_numpy()]
    pick = lambda v: v.reindex(mask.index)[mask].astype(object).to_numpy() if isinstance(v, pd.Series) else v
    return pd.DataFrame(
        {"pos": idx, "column": column, "value": pick(value), "reason": pick(reason), "check": check}
    )


def problems_frame(parts: Iterable[pd.DataFrame | None]) -> pd.DataFrame:
    """The problems of ``parts`` in order as one frame (``pos, column, value, reason, check``).

    A row may have several problems; values are shortened to :data:`MAX_VALUE_CHARS`.
    """
    found = [part for part in parts if part is not None]
    if not found:
        return pd.DataFrame({"pos": pd.Series(dtype="int64")}).reindex(
            columns=["pos", "column", "value", "reason", "check"]
        )
    out = pd.concat(found, ignore_index=True)
    out["value"] = out["value"].fillna("").astype(str).map(_shorten)
    return out


@dataclass(frozen=True)
class Validated:
    """What validating one table gives.

    ``accepted`` are the rows without a problem (contract columns), ``problems`` every problem
    (``pos, column, value, reason, check``; ``pos`` is the row's position in the text), and
    ``found`` (registrations only) ``meting, locatie, maand`` of every row that passed the
    other checks, before the period rule, so that ingest can report the months in the data.
    """

    accepted: pd.DataFrame
    problems: pd.DataFrame
    found: pd.DataFrame | None = None


def _validated(accepted: pd.DataFrame, parts: Iterable[pd.DataFrame | None]) -> Validated:
    """``accepted`` without the rows that have a problem in ``parts``, and the problems."""
    problems = problems_frame(parts)
    return Validated(accepted[~accepted.index.isin(problems["pos"].unique())], problems)


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


# --- parsing text ---------------------------------------------------------------------------
def clean_text(s: pd.Series, missing: Iterable[str]) -> pd.Series:
    """Strip cells and turn the codebook's missing-value texts into NA (object dtype)."""
    miss = {m.strip().casefold() for m in missing}

    def clean(u: pd.Series) -> pd.Series:
        u = u.astype(str).str.strip()
        return u.where(~u.str.casefold().isin(miss), None)

    return _by_unique(s, clean, None).astype(object)


def _by_unique(s: pd.Series, parse, na: object = np.nan) -> pd.Series:
    """Apply a vectorised parser to the distinct non-missing values and spread the result.

    Why: a column of 100,000 cells holds a few hundred distinct dates or codes; parsing
    those once and indexing back with the factorised codes is far faster than row-wise work.
    """
    codes, uniq = pd.factorize(s)
    parsed = parse(pd.Series(uniq, dtype=object)) if len(uniq) else pd.Series([], dtype=object)
    arr = parsed.to_numpy()
    arr = arr.astype(object) if na is None else arr.astype("float64") if arr.dtype.kind in "iub" else arr
    values = np.append(arr, np.array([na], dtype=arr.dtype))
    return pd.Series(values[codes], index=s.index)


def _parse_date_values(u: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=u.index, dtype="datetime64[ns]")
    for fmt in DATE_FORMATS:
        todo = out.isna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(u[todo], format=fmt, errors="coerce").astype("datetime64[ns]")
    todo = out.isna()
    num = pd.to_numeric(u[todo].str.replace(",", ".", regex=False), errors="coerce")
    num = num[num.between(*EXCEL_SERIALS)]
    out[num.index] = EXCEL_EPOCH + pd.to_timedelta(np.floor(num.to_numpy()), unit="D")
    return out.dt.floor("D")


def parse_dates(s: pd.Series) -> pd.Series:
    """Dates (``datetime64[ns]`` at midnight); NaT where missing or not a date."""
    return _by_unique(s, _parse_date_values, np.datetime64("NaT")).astype("datetime64[ns]")


#: Spellings of the end of a day in a time column: ``24:00`` and ``24:00:00`` (registration
#: systems), the Excel time fraction 1.0 (``1``, ``1.0``), and ``1900-01-01`` (how openpyxl
#: reads the Excel serial 1.0 of a cell in a time format: Excel cannot show 24:00 otherwise).
_END_OF_DAY = re.compile(r"^(?:24:00(?::00)?|1(?:[.,]0+)?|1900-01-01(?:[ T]00:00(?::00)?)?)$")
#: A date-and-time prefix of 1900-01-01 is the Excel serial 1.x: a duration over a day, not a
#: clock time (its time part would silently drop the day).
_SERIAL_ONE = re.compile(r"^1900-01-01[ T]")


def _parse_time_values(u: pd.Series, end_of_day: bool = False) -> pd.Series:
    parts = u.str.extract(_TIME).astype(float)
    secs = parts[0] * 3600 + parts[1] * 60 + parts[2].fillna(0)
    valid = (parts[0] <= 23) & (parts[1] <= 59) & (parts[2].fillna(0) <= 59)
    secs = secs.where(valid & ~u.str.match(_SERIAL_ONE))
    frac = u.str.fullmatch(_FRACTION)
    fr = pd.to_numeric(u[frac].str.replace(",", ".", regex=False), errors="coerce")
    secs[frac] = np.round(fr * 86400)
    if end_of_day:
        secs[u.str.fullmatch(_END_OF_DAY)] = 86400.0
    return secs


def parse_times(s: pd.Series, end_of_day: bool = False) -> pd.Series:
    """Seconds after midnight (float); NaN where missing or not a time of day.

    With ``end_of_day`` (end times) the spellings of :data:`_END_OF_DAY` are 86400: the end
    of that day, 00:00 of the next. A start time never is: a start of 24:00 on a date is
    00:00 of the next day, and the start date (which decides month, measurement and hour
    of the registration) would be a day early; the export should say 00:00 of the next day.
    """
    return _by_unique(s, lambda u: _parse_time_values(u, end_of_day)).astype("float64")


def code_table(f: codebook.Field, extra: dict[str, int] | None = None) -> dict[str, int]:
    """Normalised text -> code: codes, Dutch and English labels, plus ``extra`` aliases.

    Labels are keyed by :func:`analysis.ingest.readers.label_key` (case, whitespace and
    accents ignored); ``extra`` (from ``aliases.yaml``) is keyed the same way and wins.
    """
    table: dict[str, int] = {}
    for c in f.categories:
        table[str(c.value)] = c.value
        table[label_key(c.label)] = c.value
        table[label_key(c.label_en)] = c.value
    for text, code in (extra or {}).items():
        if code not in f.codes:
            raise ValueError(
                f"alias {text!r} -> {code} for {f.name}: {code} is not a code; allowed: {f.allowed_text()}"
            )
        table[text] = code
    return table


def lookup_code(value: str, table: dict[str, int]) -> int | None:
    """Code for one cell text (``'01'``, ``'1.0'``, ``'Agressie'`` -> 1); None if unknown."""
    m = _INTEGER.match(value.strip())
    return table.get(str(int(m.group(1))) if m else label_key(value))


def parse_codes(s: pd.Series, table: dict[str, int]) -> pd.Series:
    """Codes as ``Int64``; NA where missing or unknown (compare with ``s`` to find unknown)."""
    return _by_unique(s, lambda u: pd.Series([lookup_code(v, table) for v in u], dtype=object), None).astype(
        "Int64"
    )


def parse_numbers(s: pd.Series) -> pd.Series:
    """Numbers with decimal comma or point (``1.234,5`` too); NaN where not a number."""

    def parse(u: pd.Series) -> pd.Series:
        both = u.str.contains(",", regex=False) & u.str.contains(".", regex=False)
        t = u.where(~both, u.str.replace(".", "", regex=False)).str.replace(",", ".", regex=False)
        return pd.to_numeric(t, errors="coerce")

    return _by_unique(s, parse).astype("float64")


def parse_months(s: pd.Series) -> pd.Series:
    """``YYYY-MM`` text (also from ``YYYY-M`` and ``MM-YYYY``); NA where not a month."""

    def parse(u: pd.Series) -> pd.Series:
        p = u.str.extract(_MONTH)
        year = p[0].fillna(p[3]).astype(float)
        month = p[1].fillna(p[2]).astype(float)
        ok = month.between(1, 12)
        text = year.map(lambda y: f"{y:04.0f}") + "-" + month.map(lambda m: f"{m:02.0f}")
        return text.where(ok, None)

    return _by_unique(s, parse, None).astype(object)


# --- shared rules ---------------------------------------------------------------------------
# Each rule returns the problems it finds (a frame, or None); the validators put them together
# in a fixed order, which is the order of the lines in quarantine.csv.
def unparsed(raw: pd.Series, parsed: pd.Series, column: str, tail: str, check: str) -> pd.DataFrame | None:
    """Problems of cells that hold text but did not parse: ``<column> <tail>``."""
    # Why no value in the reason: reasons are summarised in appendix C and on the console;
    # the value stays in the ``value`` column of quarantine.csv (masked for sensitive columns).
    return problems_where(raw.notna() & parsed.isna(), column, raw, f"{column} {tail}", check)


def required_problems(text: pd.DataFrame, columns: Iterable[str]) -> list[pd.DataFrame | None]:
    """Problems of rows with an empty required value, column by column."""
    return [
        problems_where(text[col].isna(), col, "", f"{col} is required but empty", "required")
        for col in columns
    ]


def check_location(s: pd.Series, known: dict[str, str]) -> tuple[pd.Series, pd.DataFrame | None]:
    """Canonical location codes, and the problems of codes not in ``locations.csv`` (any case)."""
    loc = s.str.upper().map(known)
    return loc, unparsed(s, loc, "locatie", "is not in locations.csv", "unknown_location")


def check_codes(
    text: pd.DataFrame, f: codebook.Field, table: dict[str, int]
) -> tuple[pd.Series, pd.DataFrame | None]:
    """One categorical column parsed to codes, and the problems of values that are no code."""
    codes = parse_codes(text[f.name], table)
    return codes, unparsed(
        text[f.name], codes, f.name, f"is not a code; allowed: {f.allowed_text()}", "bad_code"
    )


def check_month(
    text: pd.DataFrame, col: str, months: list[str] | None = None, meting: int | None = None
) -> tuple[pd.Series, list[pd.DataFrame | None]]:
    """A month column parsed, and the problems of non-months and (given ``months``) of months
    outside the measurement period."""
    m = parse_months(text[col])
    parts = [unparsed(text[col], m, col, "is not a month (expected JJJJ-MM)", "bad_month")]
    if months is not None:
        parts.append(
            problems_where(
                m.notna() & ~m.isin(months), col, m, period_reason(meting, months), "buiten_periode"
            )
        )
    return m, parts


def period_reason(meting: int, months: list[str]) -> str:
    """Reason of the one period rule (registrations and occupancy alike)."""
    return (
        f"buiten periode: month outside meting {meting} ({months[0]} to {months[-1]}, "
        f"params/meting-{meting}.yaml)"
    )


LOCATION_PERIOD_REASON = (
    "buiten locatieperiode: month outside this location's eerste_maand - laatste_maand (locations.csv)"
)


def outside_location_window(
    loc: pd.Series, month: pd.Series, windows: dict[str, tuple[str, str]]
) -> pd.Series:
    """True where ``month`` (``YYYY-MM``) is outside the window of location ``loc``."""
    # Plain object arrays: the columns may be empty, missing or of pandas' string dtype.
    first = loc.map({k: v[0] for k, v in windows.items()}).astype(object).fillna("").to_numpy(dtype=object)
    last = loc.map({k: v[1] for k, v in windows.items()}).astype(object).fillna("").to_numpy(dtype=object)
    m = month.astype(object).fillna("").to_numpy(dtype=object)
    out = [bool(x and f and (x < f or x > la)) for x, f, la in zip(m, first, last)]
    return pd.Series(out, index=month.index, dtype=bool)


def duplicate_problems(keys: pd.DataFrame, rows: pd.Series, column: str) -> pd.DataFrame | None:
    """Problems of rows whose key repeats an earlier row (the first one is kept)."""
    k = keys[~keys.isna().any(axis=1)]
    dup = k.duplicated(keep="first")
    if not dup.any():
        return None
    group = k.groupby(list(k.columns), sort=False).ngroup()
    first = rows[k.index].groupby(group).transform("first").astype("int64").astype(str)
    reason = f"duplicate {', '.join(keys.columns)}: same as row " + first
    return problems_where(
        dup.reindex(keys.index, fill_value=False),
        column,
        k.astype(str).agg(" ".join, axis=1),
        reason,
        "duplicate_key",
    )


# --- tables ---------------------------------------------------------------------------------
REG_REQUIRED = ("locatie", "datum_start", "tijd_start")
FLAGS = (
    "vlag_duur_2359",
    "vlag_eind_voor_start",
    "vlag_duur_boven_24u",
    "vlag_buiten_periode",
    "vlag_dubbel",
)


def _month_text(ts: pd.Series) -> pd.Series:
    """``YYYY-MM`` of timestamps, formatted once per distinct month (fast)."""
    ym = ts.dt.year * 100 + ts.dt.month
    return ym.map({v: f"{int(v) // 100:04d}-{int(v) % 100:02d}" for v in ym.dropna().unique()})


@dataclass(frozen=True)
class ParsedRegistrations:
    """Registration text parsed column by column, with the problems of the cells.

    Every series has the index of the text; a cell that is missing or did not parse is NA.
    """

    locatie: pd.Series
    datum_start: pd.Series
    datum_eind: pd.Series
    tijd_start: pd.Series
    tijd_eind: pd.Series
    codes: dict[str, pd.Series]
    problems: list[pd.DataFrame | None]


def parse_registrations(
    text: pd.DataFrame, locations: dict[str, str], labels: dict[str, dict[str, int]]
) -> ParsedRegistrations:
    """Parse the text of registrations: required values, location, dates, times and codes."""
    parts = required_problems(text, REG_REQUIRED)
    loc, loc_problems = check_location(text["locatie"], locations)
    parts.append(loc_problems)
    dates = {c: parse_dates(text[c]) for c in ("datum_start", "datum_eind")}
    parts += [unparsed(text[c], dates[c], c, DATE_HINT, "bad_date") for c in dates]
    times = {c: parse_times(text[c], end_of_day=c == "tijd_eind") for c in ("tijd_start", "tijd_eind")}
    parts += [unparsed(text[c], times[c], c, TIME_HINT, "bad_time") for c in times]
    codes = {}
    for f in codebook.categorical_fields("registraties"):
        codes[f.name], part = check_codes(text, f, code_table(f, labels.get(f.name)))
        parts.append(part)
    return ParsedRegistrations(loc, dates["datum_start"], dates["datum_eind"], *times.values(), codes, parts)


def registration_times(text: pd.DataFrame, parsed: ParsedRegistrations) -> pd.DataFrame:
    """``meting, locatie, nummer_jongere, start, eind, maand`` of the rows that parsed."""
    problems = problems_frame(parsed.problems)
    keep = ~text.index.isin(problems["pos"].unique())
    start = parsed.datum_start + pd.to_timedelta(parsed.tijd_start, unit="s")
    # An end time without an end date ends on the start date (one-date forms); an end date
    # without an end time leaves the end unknown rather than guessing a time.
    eind = parsed.datum_eind.fillna(parsed.datum_start) + pd.to_timedelta(parsed.tijd_eind, unit="s")
    out = pd.DataFrame(
        {
            "meting": text["meting"].astype("int64"),
            "locatie": parsed.locatie,
            "nummer_jongere": text["nummer_jongere"],
            "start": start,
            "eind": eind,
        }
    )[keep]
    return out.assign(maand=_month_text(out["start"]))


def period_rule(
    times: pd.DataFrame,
    index: pd.Index,
    periods: dict[int, list[str]],
    windows: dict[str, tuple[str, str]],
) -> tuple[pd.Series, list[pd.DataFrame | None]]:
    """The one period rule on registrations: which rows of ``times`` stay, and the problems.

    A start month outside its measurement's period is ``buiten_periode``; inside it but outside
    the location's ``eerste_maand`` - ``laatste_maand``, ``buiten_locatieperiode``. ``index`` is
    the index of the whole text (problems are keyed by row position).
    """
    parts = []
    in_period = pd.Series(False, index=times.index)
    for meting, months in periods.items():
        sel = times["meting"] == meting
        in_period |= sel & times["maand"].isin(months)
        parts.append(
            problems_where(
                (sel & ~times["maand"].isin(months)).reindex(index, fill_value=False),
                "datum_start",
                times["maand"],
                period_reason(meting, months),
                "buiten_periode",
            )
        )
    outside_loc = in_period & outside_location_window(times["locatie"], times["maand"], windows)
    parts.append(
        problems_where(
            outside_loc.reindex(index, fill_value=False),
            "datum_start",
            times["maand"],
            LOCATION_PERIOD_REASON,
            "buiten_locatieperiode",
        )
    )
    return in_period & ~outside_loc, parts


def derive_registrations(kept: pd.DataFrame, codes: dict[str, pd.Series], text: pd.DataFrame) -> pd.DataFrame:
    """The derived columns of accepted registrations: hour, duration, codes, flags, source.

    ``kept`` holds the times of the accepted rows (:func:`registration_times`), ``codes`` the
    parsed codes of every row, ``text`` the text the rows came from.
    """
    keep = kept.index
    dur = ((kept["eind"] - kept["start"]).dt.total_seconds() / 60).astype("float64")
    # The same youth typed as 0012, 12 or " 12" is the same youth (normalise_youth_id, the
    # codebook's rule); a missing id compares equal to a missing id (data/raw/README.md).
    youth = kept["nummer_jongere"].map(normalise_youth_id, na_action="ignore").fillna("")
    dubbel = pd.DataFrame({"l": kept["locatie"], "j": youth, "s": kept["start"]}).duplicated(keep="first")
    return kept.assign(
        uur=kept["start"].dt.hour.astype("int64"),
        duur_min=dur,
        **{name: c[keep] for name, c in codes.items()},
        vlag_duur_2359=(dur == 1439).to_numpy(),
        vlag_eind_voor_start=(dur < 0).to_numpy(),
        vlag_duur_boven_24u=(dur > 1440).to_numpy(),
        vlag_buiten_periode=False,
        vlag_dubbel=dubbel,
        bron_bestand=text["bron_bestand"][keep],
        bron_rij=text["bron_rij"][keep].astype("int64"),
    )


def validate_registrations(
    text: pd.DataFrame,
    locations: dict[str, str],
    periods: dict[int, list[str]],
    labels: dict[str, dict[str, int]],
    windows: dict[str, tuple[str, str]] | None = None,
) -> Validated:
    """Validate registrations and derive the processed columns.

    Parameters
    ----------
    text : DataFrame
        Cleaned text (NA = not registered) of every codebook column, plus ``meting``,
        ``bron_bestand`` and ``bron_rij``; one row per input row, in file order.
    locations : dict
        Upper-case location code -> canonical code.
    periods : dict
        Measurement -> its months (``YYYY-MM``).
    labels : dict
        Column -> normalised label alias -> code.
    windows : dict, optional
        Location -> (``eerste_maand``, ``laatste_maand``) from ``locations.csv``.

    Returns
    -------
    Validated
        Accepted rows (contract columns, with ``nummer_jongere`` still in clear text for the
        caller to pseudonymise), problems (``pos, column, value, reason, check``) and ``found``:
        ``meting, locatie, maand`` of every otherwise valid row, before the period rule.

    Notes
    -----
    The one period rule: a registration whose start month is outside its measurement's
    period, or outside its location's ``eerste_maand`` - ``laatste_maand``, is quarantined
    (``buiten_periode``, ``buiten_locatieperiode``), so every table and model leaves it out
    the same way; ``vlag_buiten_periode`` is therefore always false in processed data.
    """
    parsed = parse_registrations(text, locations, labels)
    times = registration_times(text, parsed)
    stays, period_problems = period_rule(times, text.index, periods, windows or {})
    accepted = derive_registrations(times[stays], parsed.codes, text)
    problems = problems_frame([*parsed.problems, *period_problems])
    return Validated(accepted, problems, times[["meting", "locatie", "maand"]].copy())


def validate_occupancy(
    text: pd.DataFrame,
    locations: dict[str, str],
    meting: int,
    months: list[str],
    windows: dict[str, tuple[str, str]] | None = None,
) -> Validated:
    """Validate ``bezetting.csv``: known location, month in the measurement period and in the
    location's window (the same period rule as registrations), number >= 0, unique key."""
    col = "gemiddelde_bezetting"
    parts = required_problems(text, ("locatie", "maand", col))
    loc, loc_problems = check_location(text["locatie"], locations)
    month, month_problems = check_month(text, "maand", months, meting)
    outside = month.isin(months) & outside_location_window(loc, month, windows or {})
    value = parse_numbers(text[col])
    parts += [
        loc_problems,
        *month_problems,
        problems_where(outside, "maand", month, LOCATION_PERIOD_REASON, "buiten_locatieperiode"),
        unparsed(text[col], value, col, "is not a number", "bad_number"),
        problems_where(value < 0, col, text[col], f"{col} is negative", "bad_number"),
        duplicate_problems(pd.DataFrame({"locatie": loc, "maand": month}), text["bron_rij"], "locatie"),
    ]
    accepted = pd.DataFrame({"meting": meting, "locatie": loc, "maand": month, col: value}, index=text.index)
    return _validated(accepted, parts)


def validate_policy(
    text: pd.DataFrame, locations: dict[str, str], meting: int, labels: dict[str, dict[str, int]]
) -> Validated:
    """Validate ``beleid.csv``: known location, codebook codes, months, code lists, unique location."""
    fields = codebook.fields("beleid")
    parts = required_problems(text, [f.name for f in fields if f.required])
    loc, loc_problems = check_location(text["locatie"], locations)
    parts.append(loc_problems)
    columns = {"meting": meting, "locatie": loc}
    for f in fields[1:]:
        if f.type == "yearmonth":
            columns[f.name], found = check_month(text, f.name)
        elif f.type == "list":
            columns[f.name], part = _check_code_list(text, f, code_table(f, labels.get(f.name)))
            found = [part]
        else:
            columns[f.name], part = check_codes(text, f, code_table(f, labels.get(f.name)))
            found = [part]
        parts += found
    accepted = pd.DataFrame(columns, index=text.index)
    parts.append(duplicate_problems(accepted[["locatie"]], text["bron_rij"], "locatie"))
    return _validated(accepted, parts)


def _check_code_list(
    text: pd.DataFrame, f: codebook.Field, table: dict[str, int]
) -> tuple[pd.Series, pd.DataFrame | None]:
    """Codes separated by ``|`` (or ``,``) -> canonical ``1|3``, and the problems of unknown elements."""

    def parse(value: str) -> str | None:
        codes = [lookup_code(v, table) for v in re.split(r"[|,]", value) if v.strip()]
        return None if None in codes else "|".join(str(c) for c in sorted(set(codes)))

    s = text[f.name]
    parsed = s.map(parse, na_action="ignore")
    problems = problems_where(
        s.notna() & parsed.isna(),
        f.name,
        s,
        f"{f.name} holds a value that is not a code; allowed: {f.allowed_text()}",
        "bad_code",
    )
    return parsed.astype(object), problems


def validate_locations(text: pd.DataFrame) -> Validated:
    """Validate ``locations.csv``: all fields present, months valid, unique codes."""
    parts = required_problems(text, [f.name for f in codebook.fields("locaties")])
    first, first_problems = check_month(text, "eerste_maand")
    last, last_problems = check_month(text, "laatste_maand")
    # Codes become file names (factsheets): only codes matching the pattern are accepted.
    code = text["locatie"]
    parts += [
        *first_problems,
        *last_problems,
        problems_where(
            code.notna() & ~code.fillna("").map(is_location_code),
            "locatie",
            code,
            "locatie is not a valid location code (letters, digits, - and _, at most 16 characters)",
            "bad_location_code",
        ),
        duplicate_problems(pd.DataFrame({"locatie": code.str.upper()}), text["bron_rij"], "locatie"),
    ]
    result = _validated(
        text[["locatie", "instelling", "naam"]].assign(eerste_maand=first, laatste_maand=last), parts
    )
    return replace(result, accepted=result.accepted.astype("str"))
