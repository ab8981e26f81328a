"""Builders for small raw-data trees used by the ingest tests (no dependency on ``synth``)."""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Sequence

import pandas as pd

from analysis.core.measurements import Measurement

KEY = b"test-key-0123456789abcdef-ingest"
MEASUREMENTS = {
    1: Measurement(
        meting=1, folder="meting-1", first_month="2019-09", last_month="2020-02", expected_locations=2
    ),
    2: Measurement(
        meting=2, folder="meting-2", first_month="2020-09", last_month="2021-02", expected_locations=2
    ),
}
LOCATIONS = ("AA", "BB")
REG_HEADER = [
    "locatie",
    "nummer_jongere",
    "datum_start",
    "tijd_start",
    "datum_eind",
    "tijd_eind",
    "aanleiding",
    "aanleiding_omschrijving",
    "doel",
    "doel_omschrijving",
    "ruimte",
    "beheer_ruimte",
    "contact",
    "evaluatie_1",
    "evaluatie_2",
    "aanvulling_jongere",
    "aanvulling_omschrijving",
    "opmerkingen",
]


def valid_row(i: int = 0, **overrides: str) -> dict[str, str]:
    """One valid registration (meting 2) as the text an export would hold."""
    day = 1 + i % 28
    row = {
        "locatie": LOCATIONS[i % 2],
        "nummer_jongere": f"{LOCATIONS[i % 2]}{i % 7:04d}",
        "datum_start": f"{day:02d}.10.2020",
        "tijd_start": f"{8 + i % 12}:{(i * 7) % 60:02d}",
        "datum_eind": f"{day:02d}.10.2020",
        "tijd_eind": f"{20 + i % 3}:15",
        "aanleiding": str(1 + i % 6),
        "aanleiding_omschrijving": "vrije tekst" if i % 6 == 5 else "",
        "doel": str(1 + i % 5),
        "doel_omschrijving": "",
        "ruimte": str(1 + i % 3),
        "beheer_ruimte": str(1 + i % 2),
        "contact": str(1 + i % 3),
        "evaluatie_1": str(1 + i % 3),
        "evaluatie_2": str(1 + i % 2),
        "aanvulling_jongere": str(1 + i % 4),
        "aanvulling_omschrijving": "",
        "opmerkingen": "geheim" if i % 4 == 0 else "",
    }
    row.update(overrides)
    return row


def valid_rows(n: int, start: int = 0) -> list[dict[str, str]]:
    """``n`` distinct valid registrations."""
    return [valid_row(start + i) for i in range(n)]


def write_csv(
    path: Path,
    rows: Sequence[dict[str, str]],
    header: Sequence[str] | None = None,
    sep: str = ";",
    encoding: str = "utf-8",
) -> Path:
    """Write rows as an export CSV (header names may differ from the row keys, by position)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = list(rows[0].keys()) if rows else list(header or REG_HEADER)
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=sep, lineterminator="\r\n")
        w.writerow(list(header or keys))
        for r in rows:
            w.writerow([r.get(k, "") for k in keys])
    return path


def write_xlsx(path: Path, rows: Sequence[dict], header: Sequence[str] | None = None) -> Path:
    """Write rows to the first sheet of an XLSX workbook (cell values kept as given)."""
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    keys = list(rows[0].keys())
    ws.append(list(header or keys))
    for r in rows:
        ws.append([r.get(k) for k in keys])
    wb.save(path)
    return path


def write_sav(path: Path, df: pd.DataFrame, labels: dict | None = None, formats: dict | None = None) -> Path:
    """Write a frame as SPSS ``.sav`` with optional value labels and variable formats."""
    import pyreadstat

    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(df, str(path), variable_value_labels=labels or {}, variable_format=formats or {})
    return path


def make_tree(
    root: Path,
    rows: Sequence[dict[str, str]] | None = None,
    *,
    meting: int = 2,
    occupancy: bool = True,
    policy: bool = True,
) -> Path:
    """A complete, valid raw tree with one CSV export; returns the raw root."""
    raw = root / "raw"
    write_csv(
        raw / "locations.csv",
        [
            {
                "locatie": c,
                "instelling": f"Instelling {c}",
                "naam": f"Locatie {c}",
                "eerste_maand": "2019-09",
                "laatste_maand": "2021-02",
            }
            for c in LOCATIONS
        ],
    )
    reg = raw / f"meting-{meting}" / "registraties"
    write_csv(reg / "export.csv", list(valid_rows(10) if rows is None else rows))
    months = MEASUREMENTS[meting].months()
    if occupancy:
        write_csv(
            raw / f"meting-{meting}" / "bezetting.csv",
            [
                {"locatie": c, "maand": m, "gemiddelde_bezetting": f"{10 + j},5"}
                for c in LOCATIONS
                for j, m in enumerate(months)
            ],
        )
    if policy:
        write_csv(
            raw / f"meting-{meting}" / "beleid.csv",
            [
                {
                    "locatie": c,
                    "gegevens": "1",
                    "rustmomenten": "2",
                    "verandering_overdag": "4",
                    "ambitie_overdag": "0",
                    "verandering_nacht": "3",
                    "nacht_deur": "2",
                    "gesloten_per": "",
                    "bevorderende_factoren": "1|3",
                    "belemmerende_factoren": "2",
                }
                for c in LOCATIONS
            ],
        )
    return raw


def random_rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    """``n`` valid rows with varied formats (dates, times) for benchmarks."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r = valid_row(i)
        d = rng.randint(1, 28)
        m = rng.choice([9, 10, 11, 12])
        r["datum_start"] = r["datum_eind"] = f"{d:02d}.{m:02d}.2020"
        r["nummer_jongere"] = f"{r['locatie']}{rng.randint(1, 400):04d}"
        out.append(r)
    return out


def write_coded_sav(
    path: Path, rows: Sequence[dict[str, str]], relabel: dict[str, dict[int, str]] | None = None
) -> Path:
    """Write rows as SPSS the way statistics packages export them: numeric codes with the
    codebook's Dutch labels as value labels, ``relabel`` replacing some labels (column ->
    code -> the file's own label)."""
    from analysis import codebook

    df = pd.DataFrame(list(rows))
    labels = {}
    for f in codebook.categorical_fields("registraties"):
        if f.name in df:
            df[f.name] = pd.to_numeric(df[f.name].replace("", None)).astype(float)
            labels[f.name] = {float(k): v for k, v in f.labels("nl").items()}
            labels[f.name].update({float(k): v for k, v in (relabel or {}).get(f.name, {}).items()})
    return write_sav(path, df, labels=labels)
