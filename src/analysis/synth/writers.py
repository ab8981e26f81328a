"""Write the twin as institutions deliver it: Dutch CSV, XLSX and SPSS ``.sav``.

Byte-identical output for the same seed: CSV text is built by hand; XLSX archives are
re-zipped with fixed member timestamps and fixed document-property dates; the SPSS header's
creation date and time are overwritten with a constant.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from analysis import SYNTHETIC_BANNER, codebook

REG_COLUMNS = [f.name for f in codebook.fields("registraties")]
CODE_ITEMS = [
    "aanleiding",
    "doel",
    "ruimte",
    "beheer_ruimte",
    "contact",
    "evaluatie_1",
    "evaluatie_2",
    "aanvulling_jongere",
]
REMARK = "Synthetische data \u2013 geen echte registratie"  # en dash: exercises cp1252 vs UTF-8
FIXED_TIME = (2021, 5, 31, 0, 0, 0)
FIXED_ISO = "2021-05-31T00:00:00Z"

#: Export format per institution (why: every reader and both encodings get exercised).
FORMATS: dict[str, tuple[str, str]] = {
    "Instelling 1": ("csv", "utf-8-sig"),
    "Instelling 2": ("xlsx", ""),
    "Instelling 3": ("csv", "cp1252"),
    "Instelling 4": ("sav", ""),
    "Instelling 5": ("csv", "utf-8"),
    "Instelling 6": ("xlsx", ""),
    "Instelling 7": ("sav", ""),
    "Instelling 8": ("csv", "cp1252"),
    "Instelling 9": ("xlsx", ""),
    "Instelling 10": ("csv", "utf-8-sig"),
}


def export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Registrations in codebook columns with Dutch text dates and times (codes as Int64)."""
    end = df["start"] + pd.to_timedelta(df["duur"], unit="min")
    out = pd.DataFrame(
        {
            "locatie": df["locatie"],
            "nummer_jongere": df["nummer_jongere"],
            "datum_start": df["start"].dt.strftime("%d.%m.%Y"),
            "tijd_start": df["start"].dt.strftime("%H:%M"),
            "datum_eind": end.dt.strftime("%d.%m.%Y"),
            "tijd_eind": end.dt.strftime("%H:%M"),
        }
    )
    for item in CODE_ITEMS:
        out[item] = df[item].where(df[item] > 0).astype("Int64")
    for free in ("aanleiding_omschrijving", "doel_omschrijving", "aanvulling_omschrijving"):
        out[free] = df[free] if free in df else ""
    out["opmerkingen"] = REMARK
    return out[REG_COLUMNS]


def _cell(v: object) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)


def csv_bytes(table: pd.DataFrame, encoding: str, newline: str = "\r\n") -> bytes:
    """Semicolon-separated text (no quoting needed: no cell contains ``;``)."""
    lines = [";".join(table.columns)]
    lines += [";".join(_cell(v) for v in row) for row in table.itertuples(index=False, name=None)]
    return (newline.join(lines) + newline).encode(encoding)


def write_csv(path: Path, table: pd.DataFrame, encoding: str = "utf-8") -> None:
    """Write a Dutch-style CSV (``;``); CRLF for Windows-1252 exports, LF otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(table, encoding, "\r\n" if encoding == "cp1252" else "\n"))


def write_xlsx(path: Path, table: pd.DataFrame) -> None:
    """One worksheet; start and end dates as real date cells, times as ``HH:MM`` text."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "registraties"
    ws.append(list(table.columns))
    date_cols = {i for i, c in enumerate(table.columns) if c.startswith("datum_")}
    for row in table.itertuples(index=False, name=None):
        cells = []
        for i, v in enumerate(row):
            v = None if _cell(v) == "" else v
            if i in date_cols and v is not None:
                v = dt.datetime.strptime(v, "%d.%m.%Y").date()
            elif isinstance(v, (int,)) or type(v).__name__.startswith("int"):
                v = int(v)
            cells.append(v)
        ws.append(cells)
    for col in ws.iter_cols(min_row=2):
        if col[0].column - 1 in date_cols:
            for cell in col:
                cell.number_format = "DD.MM.YYYY"
    wb.properties.title = SYNTHETIC_BANNER
    wb.properties.creator = "compendium synth"
    wb.properties.created = wb.properties.modified = dt.datetime(*FIXED_TIME)
    buf = io.BytesIO()
    wb.save(buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_normalise_zip(buf.getvalue()))


def _normalise_zip(data: bytes) -> bytes:
    """Re-zip with fixed timestamps and fixed document-property dates (determinism)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + FIXED_ISO.encode(), body
                )
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    return out.getvalue()


def write_sav(path: Path, table: pd.DataFrame) -> None:
    """SPSS file with codebook value labels; header timestamp fixed afterwards."""
    import pyreadstat

    df = table.copy()
    labels = {}
    for item in CODE_ITEMS:
        df[item] = df[item].astype("Float64").astype(float)
        labels[item] = {float(k): v for k, v in codebook.field(item).labels("nl").items()}
    for c in df.columns:
        if c not in CODE_ITEMS:
            df[c] = df[c].astype(str).replace({"<NA>": "", "nan": ""})
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(
        df, str(path), file_label=SYNTHETIC_BANNER, variable_value_labels=labels, note=SYNTHETIC_BANNER
    )
    raw = bytearray(path.read_bytes())
    raw[92:109] = b"31 May 2100:00:00"  # creation date (9 bytes) + time (8 bytes)
    path.write_bytes(bytes(raw))


def write_registrations(folder: Path, df: pd.DataFrame, institution_of: dict[str, str]) -> list[Path]:
    """Split per location per month and write each part in its institution's format."""
    table = export_frame(df)
    month = df["start"].dt.strftime("%Y-%m")
    written = []
    for (loc, ym), part in table.groupby([df["locatie"], month], sort=True):
        kind, enc = FORMATS[institution_of[loc]]
        path = folder / f"{loc}_{ym}.{kind}"
        part = part.reset_index(drop=True)
        if kind == "csv":
            write_csv(path, part, enc)
        elif kind == "xlsx":
            write_xlsx(path, part)
        else:
            write_sav(path, part)
        written.append(path)
    return written


def decimal_comma(tenths: pd.Series) -> pd.Series:
    """Occupancy in tenths -> Dutch decimal text (``523`` -> ``52,3``)."""
    return tenths.map(lambda t: f"{int(t) // 10},{int(t) % 10}")
