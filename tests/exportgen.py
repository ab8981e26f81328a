"""Generator of real-format raw-data trees: one generated dataset, written in any export format.

The data are generated once (:func:`generate`: registrations, occupancy, policy, locations and
measurements as frames) and then written in the raw-data contract of ``data/raw/README.md``
(:func:`write_tree`) in one of :data:`FORMATS`, so the same registrations exist in every format:

``csv``
    one ``;``-separated UTF-8 file per location and measurement, ``DD.MM.JJJJ`` dates, ``HH:MM``.
``xlsx``
    one workbook per location and measurement with real date and time cells (openpyxl).
``sav``
    one SPSS file per location and measurement (pyreadstat): ``DATE11`` and ``TIME5`` variables,
    numeric codes with the codebook's value labels.
``shuffled``
    one CSV per measurement: rows shuffled, columns reordered, UTF-8 with BOM, CRLF line ends,
    ``,`` as separator, ISO dates and ``H:MM`` times; ``locations.csv``, ``bezetting.csv`` and
    ``beleid.csv`` are written the same way (rows shuffled, BOM, CRLF, commas).

Besides ``raw/`` the tree holds ``params/meting-<N>.yaml`` for each measurement (point
``Paths.params_dir`` at it, see :meth:`ExportTree.paths`) and a pseudonymisation key file for
real-data builds (:meth:`ExportTree.key_env`). Nothing here names a real institution.

Generated data have what real exports have: skewed categories, locations of very different
size (0 registrations allowed), youths with many registrations, missing codes and end times,
end times after midnight, a few 23:59 artefacts, and group incidents (several youths secluded
at the same location and minute, so rows tie on location and start). They never repeat a
(location, youth, start): which of two such rows is "the duplicate" depends on file order.
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import yaml

from analysis import codebook
from analysis.core.measurements import MONTHS_NL, Measurement
from analysis.core.paths import Paths, find_root

FORMATS = ("csv", "xlsx", "sav", "shuffled")
#: Export columns in contract order (``data/raw/README.md``).
REG_COLUMNS = [f.name for f in codebook.fields("registraties")]
CODED = [f.name for f in codebook.categorical_fields("registraties")]
FREE_TEXT = ["aanleiding_omschrijving", "doel_omschrijving", "aanvulling_omschrijving", "opmerkingen"]
#: A test key (at least 16 bytes, not a repeated pattern); never a real one.
KEY = "exportgen-test-key-5f3a9c1e7b2d4086"
#: Default periods: the project's measurement months, and a third measurement a year later.
DEFAULT_MEASUREMENTS: dict[int, tuple[str, str]] = {
    1: ("2019-09", "2020-02"),
    2: ("2020-09", "2021-02"),
    3: ("2021-09", "2022-02"),
}
#: Skewed category shares, codebook code -> weight (the published report's order of size).
SHARES: dict[str, dict[int, float]] = {
    "aanleiding": {1: 0.52, 2: 0.22, 3: 0.08, 4: 0.02, 5: 0.11, 6: 0.05},
    "doel": {1: 0.18, 2: 0.50, 3: 0.07, 4: 0.22, 5: 0.03},
    "beheer_ruimte": {1: 0.35, 2: 0.65},
    "contact": {1: 0.25, 2: 0.15, 3: 0.60},
    "evaluatie_1": {1: 0.30, 2: 0.10, 3: 0.60},
    "evaluatie_2": {1: 0.45, 2: 0.55},
    "aanvulling_jongere": {1: 0.55, 2: 0.08, 3: 0.32, 4: 0.05},
}
#: Share of registrations without a value, per coded column (the rest: 3%).
MISSING = {"aanvulling_jongere": 0.15, "evaluatie_2": 0.08}
FREE_TEXTS = ("zie dossier; besproken met mentor", "escalatie op de groep, daarna rust", 'anders: "time-out"')


@dataclass(frozen=True)
class Spec:
    """Parameters of a generated dataset.

    Parameters
    ----------
    locations : int or sequence of str
        Number of locations (codes ``L01``, ``L02``, ...) or the codes themselves.
    measurements : mapping
        Measurement number -> (first month, last month), ``YYYY-MM``.
    registrations : int or mapping
        An int: mean registrations per location and measurement (counts drawn around it with a
        location effect and a decline across measurements); a mapping ``(meting, locatie) -> n``:
        exact counts (absent pairs: 0).
    seed : int
        Seed of every random draw.
    windows : mapping, optional
        Location -> (eerste_maand, laatste_maand); default: the span of all measurements.
    tie_share : float
        Share of registrations that start at the same minute as another registration of the
        same location and measurement (a group incident, another youth).
    no_isolation : int
        Number of locations without an isolation room (their rows never have ``ruimte`` 3).
    """

    locations: int | Sequence[str] = 8
    measurements: Mapping[int, tuple[str, str]] = field(default_factory=lambda: dict(DEFAULT_MEASUREMENTS))
    registrations: int | Mapping[tuple[int, str], int] = 40
    seed: int = 0
    windows: Mapping[str, tuple[str, str]] | None = None
    tie_share: float = 0.08
    no_isolation: int = 1

    def codes(self) -> list[str]:
        """The location codes."""
        if isinstance(self.locations, int):
            return [f"L{i:02d}" for i in range(1, self.locations + 1)]
        return list(self.locations)


@dataclass
class Dataset:
    """One generated dataset: every table of a raw tree as typed frames.

    ``registrations`` has the export columns with ``start`` and ``eind`` as timestamps (``eind``
    NaT: no end registered), codes as ``Int64`` (NA: not registered), plus ``meting``.
    """

    measurements: dict[int, Measurement]
    locations: pd.DataFrame
    registrations: pd.DataFrame
    occupancy: pd.DataFrame
    policy: pd.DataFrame
    seed: int

    def renamed(self, mapping: Mapping[str, str]) -> "Dataset":
        """The same dataset with location codes renamed (``old -> new``) everywhere."""

        def ren(df: pd.DataFrame) -> pd.DataFrame:
            out = df.copy()
            out["locatie"] = out["locatie"].map(lambda c: mapping.get(c, c))
            return out

        locs = ren(self.locations)
        locs["naam"] = "Locatie " + locs["locatie"]
        return Dataset(
            self.measurements, locs, ren(self.registrations), ren(self.occupancy), ren(self.policy), self.seed
        )


@dataclass(frozen=True)
class ExportTree:
    """Where :func:`write_tree` put a dataset: ``raw`` (the contract), ``params`` and the key file."""

    root: Path
    raw: Path
    params: Path
    key_file: Path
    fmt: str

    def paths(self, work: Path) -> Paths:
        """Project paths that build this tree into ``work`` (build, processed, output there)."""
        return Paths(
            find_root(),
            build=work / "build",
            raw=self.raw,
            processed=work / "processed",
            output=work / "output",
            params_dir=self.params,
        )

    def key_env(self) -> dict[str, str]:
        """Environment that gives ingest this tree's key (``COMPENDIUM_PSEUDONYM_KEY_FILE``)."""
        return {"COMPENDIUM_PSEUDONYM_KEY_FILE": str(self.key_file)}


# --- generating ----------------------------------------------------------------------------
def _months(first: str, last: str) -> list[str]:
    return Measurement(
        meting=0, folder="x", first_month=first, last_month=last, expected_locations=1
    ).months()


def _draw(rng: np.random.Generator, shares: Mapping[int, float], n: int) -> np.ndarray:
    codes = np.array(list(shares))
    p = np.array(list(shares.values()), dtype=float)
    return rng.choice(codes, size=n, p=p / p.sum())


def _counts(spec: Spec, rng: np.random.Generator, codes: list[str]) -> dict[tuple[int, str], int]:
    """Registrations per (measurement, location): exact, or drawn around the mean."""
    if not isinstance(spec.registrations, int):
        return {(m, c): int(spec.registrations.get((m, c), 0)) for m in spec.measurements for c in codes}
    size = np.exp(rng.normal(0.0, 0.5, len(codes)))  # locations differ a lot in size
    size /= size.mean()
    out = {}
    for j, m in enumerate(sorted(spec.measurements)):
        trend = 0.85**j  # fewer registrations in later measurements
        for c, s in zip(codes, size):
            out[(m, c)] = int(rng.poisson(spec.registrations * s * trend))
    return out


def _window(spec: Spec, code: str) -> tuple[str, str]:
    if spec.windows and code in spec.windows:
        return spec.windows[code]
    firsts = [a for a, _ in spec.measurements.values()]
    lasts = [b for _, b in spec.measurements.values()]
    return min(firsts), max(lasts)


def _location_rows(
    spec: Spec,
    rng: np.random.Generator,
    m: int,
    code: str,
    n: int,
    months: list[str],
    youths: list[str],
    iso: bool,
) -> pd.DataFrame:
    """``n`` registrations of one location in one measurement."""
    # Youths: a skewed pool (a few youths account for many registrations).
    pool = youths[: max(1, min(len(youths), n // 3 + 1))]
    weights = 1.0 / np.arange(1, len(pool) + 1) ** 1.1
    who = rng.choice(len(pool), size=n, p=weights / weights.sum())
    month = rng.choice(months, size=n)
    day = np.array([rng.integers(1, pd.Period(mm).days_in_month + 1) for mm in month])
    hour = rng.choice(24, size=n, p=_HOURS)
    minute = rng.integers(0, 60, size=n)
    start = pd.to_datetime(
        [f"{mm}-{d:02d} {h:02d}:{mi:02d}" for mm, d, h, mi in zip(month, day, hour, minute)]
    )
    start = pd.Series(start)
    youth = pd.Series([pool[i] for i in who], dtype=object)
    youth[rng.random(n) < 0.02] = None  # no youth number registered
    # Group incidents: another youth secluded at the same minute as an earlier registration.
    for i in range(1, n):
        if rng.random() < spec.tie_share:
            j = int(rng.integers(0, i))
            others = [y for y in pool if y != youth[j]]
            if others and youth[j] is not None:
                start[i] = start[j]
                youth[i] = others[int(rng.integers(0, len(others)))]
    # Never the same (youth, start) twice: that is a duplicate, and which row is flagged
    # depends on file order.
    seen: set[tuple[object, pd.Timestamp]] = set()
    for i in range(n):
        while (youth[i], start[i]) in seen:
            start[i] = start[i] + pd.Timedelta(minutes=7)
        seen.add((youth[i], start[i]))
    # Durations differ between locations (a location effect on the log scale) and youths.
    loc_effect = rng.normal(0.0, 0.35)
    youth_effect = dict(zip(pool, rng.normal(0.0, 0.3, len(pool))))
    mu = 3.6 + loc_effect + np.array([youth_effect.get(y, 0.0) for y in youth])
    minutes = np.maximum(1, np.round(np.exp(rng.normal(mu, 1.0)))).astype(int)
    minutes[rng.random(n) < 0.01] = 23 * 60 + 59  # the one-day registration artefact
    end = start + pd.to_timedelta(minutes, unit="min")
    end[rng.random(n) < 0.03] = pd.NaT  # no end registered
    df = pd.DataFrame({"meting": m, "locatie": code, "nummer_jongere": youth, "start": start, "eind": end})
    room = {1: 0.55, 2: 0.15, 3: 0.30} if iso else {1: 0.75, 2: 0.25}
    shift = np.exp(rng.normal(0, 0.4))  # locations differ in how often they use the own room
    room = {k: v * (shift if k == 1 else 1.0) for k, v in room.items()}
    df["ruimte"] = _draw(rng, room, n)
    for col, shares in SHARES.items():
        df[col] = _draw(rng, shares, n)
    for col in CODED:
        miss = rng.random(n) < MISSING.get(col, 0.03)
        df[col] = pd.array(df[col], dtype="Int64")
        df.loc[miss, col] = pd.NA
    for col in FREE_TEXT:
        df[col] = ""
    anders = (df["aanleiding"] == 6).fillna(False).to_numpy()
    df.loc[anders, "aanleiding_omschrijving"] = rng.choice(FREE_TEXTS, size=int(anders.sum()))
    note = rng.random(n) < 0.1
    df.loc[note, "opmerkingen"] = rng.choice(FREE_TEXTS, size=int(note.sum()))
    return df


#: Hour-of-day distribution: most seclusions by day and in the evening, few at night.
_HOURS = np.array([1, 1, 1, 1, 1, 1, 2, 4, 6, 7, 8, 8, 7, 7, 8, 9, 9, 8, 8, 8, 7, 5, 3, 2], dtype=float)
_HOURS /= _HOURS.sum()


def generate(spec: Spec) -> Dataset:
    """Generate every table of a raw tree from ``spec`` (deterministic for its seed).

    Returns
    -------
    Dataset
    """
    rng = np.random.default_rng(spec.seed)
    codes = spec.codes()
    ms = {
        m: Measurement(
            meting=m,
            folder=f"meting-{m}",
            first_month=first,
            last_month=last,
            expected_locations=1,
            label=_label(m, first, last),
        )
        for m, (first, last) in sorted(spec.measurements.items())
    }
    counts = _counts(spec, rng, codes)
    no_iso = set(codes[-spec.no_isolation :]) if spec.no_isolation else set()
    youth_numbers = rng.permutation(np.arange(1000, 100000))
    parts, occ = [], []
    next_youth = 0
    for m, meas in ms.items():
        for code in codes:
            first, last = _window(spec, code)
            months = [mm for mm in meas.months() if first <= mm <= last]
            n = counts[(m, code)] if months else 0
            if months:
                base = rng.uniform(6, 14)
                occ += [
                    {
                        "meting": m,
                        "locatie": code,
                        "maand": mm,
                        "gemiddelde_bezetting": round(base + rng.normal(0, 1), 2),
                    }
                    for mm in months
                ]
            if n:
                youths = [f"JR{y}" for y in youth_numbers[next_youth : next_youth + n]]
                next_youth += n
                parts.append(_location_rows(spec, rng, m, code, n, months, youths, code not in no_iso))
        found = {p["locatie"].iloc[0] for p in parts if int(p["meting"].iloc[0]) == m}
        ms[m] = meas.model_copy(update={"expected_locations": max(1, len(found))})
    reg = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["meting", "locatie", "start", "eind"])
    )
    locations = pd.DataFrame(
        {
            "locatie": codes,
            "instelling": [f"Instelling {chr(65 + i % 26)}" for i in range(len(codes))],
            "naam": [f"Locatie {c}" for c in codes],
            "eerste_maand": [_window(spec, c)[0] for c in codes],
            "laatste_maand": [_window(spec, c)[1] for c in codes],
        }
    )
    policy = pd.DataFrame(
        [
            {
                "meting": m,
                "locatie": c,
                "gegevens": 1,
                "rustmomenten": int(rng.integers(1, 4)),
                "verandering_overdag": int(rng.integers(1, 5)),
                "ambitie_overdag": int(rng.integers(0, 2)),
                "verandering_nacht": int(rng.integers(1, 4)),
                "nacht_deur": int(rng.integers(1, 3)),
                "gesloten_per": "",
                "bevorderende_factoren": "|".join(map(str, sorted(rng.choice(5, 2, replace=False) + 1))),
                "belemmerende_factoren": str(int(rng.integers(1, 6))),
            }
            for m in ms
            for c in codes
        ]
    )
    return Dataset(ms, locations, reg, pd.DataFrame(occ), policy, spec.seed)


def _label(m: int, first: str, last: str) -> str:
    def text(ym: str) -> str:
        y, mo = ym.split("-")
        return f"{MONTHS_NL[int(mo) - 1]} {y}"

    return f"Meting {m} ({text(first)} - {text(last)})"


# --- writing -------------------------------------------------------------------------------
def _text_rows(reg: pd.DataFrame, iso_dates: bool = False) -> pd.DataFrame:
    """Registrations as the text a CSV export holds (contract columns, in contract order)."""
    date_fmt = "%Y-%m-%d" if iso_dates else "%d.%m.%Y"

    def time_text(ts: pd.Series) -> pd.Series:
        if iso_dates:  # H:MM, no leading zero
            return ts.map(lambda t: "" if pd.isna(t) else f"{t.hour}:{t.minute:02d}")
        return ts.dt.strftime("%H:%M").fillna("")

    out = pd.DataFrame(index=reg.index)
    out["locatie"] = reg["locatie"]
    out["nummer_jongere"] = reg["nummer_jongere"].fillna("")
    out["datum_start"] = reg["start"].dt.strftime(date_fmt)
    out["tijd_start"] = time_text(reg["start"])
    out["datum_eind"] = reg["eind"].dt.strftime(date_fmt).fillna("")
    out["tijd_eind"] = time_text(reg["eind"])
    for col in CODED:
        out[col] = reg[col].map(lambda v: "" if pd.isna(v) else str(int(v)))
    for col in FREE_TEXT:
        out[col] = reg[col]
    return out[REG_COLUMNS]


def _write_csv(path: Path, df: pd.DataFrame, sep: str = ";", bom: bool = False, crlf: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n" if crlf else "\n")
    w.writerow(list(df.columns))
    w.writerows(df.astype(str).itertuples(index=False, name=None))
    path.write_text(buf.getvalue(), encoding="utf-8-sig" if bom else "utf-8", newline="")


def _write_xlsx(path: Path, reg: pd.DataFrame) -> None:
    """Registrations with real date cells, real time cells and numeric codes."""
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Registraties"
    ws.append(REG_COLUMNS)
    for r in reg.itertuples(index=False):
        row = r._asdict()
        cells = {
            "locatie": row["locatie"],
            "nummer_jongere": row["nummer_jongere"],
            "datum_start": row["start"].date(),
            "tijd_start": row["start"].time(),
            "datum_eind": None if pd.isna(row["eind"]) else row["eind"].date(),
            "tijd_eind": None if pd.isna(row["eind"]) else row["eind"].time(),
            **{c: None if pd.isna(row[c]) else int(row[c]) for c in CODED},
            **{c: row[c] or None for c in FREE_TEXT},
        }
        ws.append([cells[c] for c in REG_COLUMNS])
    for col, fmt in (
        ("datum_start", "dd-mm-yyyy"),
        ("datum_eind", "dd-mm-yyyy"),
        ("tijd_start", "hh:mm"),
        ("tijd_eind", "hh:mm"),
    ):
        letter = openpyxl.utils.get_column_letter(REG_COLUMNS.index(col) + 1)
        for cell in ws[letter][1:]:
            cell.number_format = fmt
    wb.save(path)


def _write_sav(path: Path, reg: pd.DataFrame) -> None:
    """Registrations as SPSS: DATE11 and TIME5 variables, codes with the codebook's labels."""
    import pyreadstat

    path.parent.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame(
        {
            "locatie": reg["locatie"].astype(object),
            "nummer_jongere": reg["nummer_jongere"].fillna("").astype(object),
            "datum_start": [t.date() for t in reg["start"]],
            "tijd_start": [t.time() for t in reg["start"]],
            "datum_eind": [None if pd.isna(t) else t.date() for t in reg["eind"]],
            "tijd_eind": [None if pd.isna(t) else t.time() for t in reg["eind"]],
            **{c: reg[c].astype("float64") for c in CODED},
            **{c: reg[c].astype(object) for c in FREE_TEXT},
        }
    )[REG_COLUMNS].reset_index(drop=True)
    labels = {c: {float(k): v for k, v in codebook.field(c).labels().items()} for c in CODED}
    formats = {"datum_start": "DATE11", "datum_eind": "DATE11", "tijd_start": "TIME5", "tijd_eind": "TIME5"}
    formats.update({c: "F2.0" for c in CODED})
    pyreadstat.write_sav(df, str(path), variable_value_labels=labels, variable_format=formats)


def _aux_frames(data: Dataset, m: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    occ = data.occupancy[data.occupancy["meting"] == m].drop(columns="meting")
    occ = occ.assign(
        gemiddelde_bezetting=occ["gemiddelde_bezetting"].map(lambda v: f"{v:.2f}".replace(".", ","))
    )
    pol = data.policy[data.policy["meting"] == m].drop(columns="meting")
    return occ, pol


def write_tree(
    data: Dataset, root: Path, fmt: str, *, plan: bool = False, seed: int | None = None
) -> ExportTree:
    """Write ``data`` as a raw tree in format ``fmt`` under ``root`` (``raw/``, ``params/``, key).

    Parameters
    ----------
    data : Dataset
    root : Path
        Folder to write into (created; ``raw`` and ``params`` inside must not exist yet).
    fmt : str
        One of :data:`FORMATS`.
    plan : bool
        Also copy the project's ``params/plan.yaml`` (the build then runs the planning study).
    seed : int, optional
        Seed of the row and column shuffles of ``shuffled`` (default: the dataset's seed).

    Returns
    -------
    ExportTree
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {FORMATS}")
    rng = np.random.default_rng(data.seed if seed is None else seed)
    raw, params = root / "raw", root / "params"
    raw.mkdir(parents=True)
    params.mkdir(parents=True)
    shuffled = fmt == "shuffled"

    def aux(path: Path, df: pd.DataFrame) -> None:
        if shuffled:
            df = df.sample(frac=1.0, random_state=int(rng.integers(2**31)))
            _write_csv(path, df, sep=",", bom=True, crlf=True)
        else:
            _write_csv(path, df)

    aux(raw / "locations.csv", data.locations)
    reg = data.registrations
    for m, meas in data.measurements.items():
        folder = raw / meas.folder
        occ, pol = _aux_frames(data, m)
        aux(folder / "bezetting.csv", occ)
        aux(folder / "beleid.csv", pol)
        (folder / "registraties").mkdir(parents=True)
        rows = reg[reg["meting"] == m] if len(reg) else reg
        if shuffled and len(rows):
            text = _text_rows(rows, iso_dates=True).sample(frac=1.0, random_state=int(rng.integers(2**31)))
            text = text[list(rng.permutation(REG_COLUMNS))]
            _write_csv(folder / "registraties" / f"export_meting_{m}.csv", text, sep=",", bom=True, crlf=True)
        elif len(rows):
            for code, part in rows.groupby("locatie", sort=True):
                out = folder / "registraties" / f"{code}.{fmt}"
                if fmt == "csv":
                    _write_csv(out, _text_rows(part))
                elif fmt == "xlsx":
                    _write_xlsx(out, part)
                else:
                    _write_sav(out, part)
        body = meas.model_dump()
        (params / f"meting-{m}.yaml").write_text(
            yaml.safe_dump(body, sort_keys=False, allow_unicode=True), "utf-8"
        )
    if plan:
        shutil.copy(find_root() / "params" / "plan.yaml", params / "plan.yaml")
    key_file = root / "key.txt"
    key_file.write_text(KEY + "\n", encoding="utf-8")
    return ExportTree(root, raw, params, key_file, fmt)
