"""Readers that turn institution exports (CSV, XLSX, SPSS) into tables of text.

Everything is read as text first, so that no value is silently coerced (a code ``01`` stays
``01``, a date stays as typed); the checks in :mod:`analysis.ingest.checks` parse and validate the
text with the codebook. Readers also normalise column headers through aliases: the codebook's
``aliases``, ``resources/aliases.yaml`` and an optional per-source ``aliases.yaml``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import yaml

from analysis import codebook

READABLE_SUFFIXES = (".csv", ".xlsx", ".sav")
_WS = re.compile(r"[\s_]+")


class UnreadableFile(Exception):
    """A file that cannot be read at all; ``rows`` holds its row count when countable."""

    def __init__(self, reason: str, rows: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.rows = rows


@dataclass
class TextTable:
    """One export as text.

    ``frame`` holds one column per header position (``c0``, ``c1``, ...; ``""`` for an empty
    cell) plus ``bron_rij``, the row a person sees (header = row 1 in CSV/XLSX, case number in
    SPSS). ``bad_rows`` are ``(row, reason)`` pairs that cannot be aligned with the header;
    ``blank_rows`` counts completely empty rows (not registrations, so not quarantined).
    """

    header: list[str]
    frame: pd.DataFrame
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    blank_rows: int = 0
    encoding: str | None = None
    separator: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        """Rows that are registrations (aligned or not); blank lines excluded."""
        return len(self.frame) + len(self.bad_rows)


# --- cell and header normalisation ----------------------------------------------------------
def norm_key(text: Any) -> str:
    """Case-, whitespace- and underscore-insensitive key for headers and labels."""
    return _WS.sub(" ", str(text)).strip().casefold()


def cell_text(value: Any) -> str:
    """Text of one spreadsheet or SPSS cell; dates in ISO form, integral numbers without ``.0``.

    Why: XLSX and SAV cells arrive typed; turning them into the same text a CSV export would
    hold lets one set of checks handle every format.
    """
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN: SPSS system-missing
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):  # Excel durations used as clock times
        secs = int(value.total_seconds())
        return f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


# --- CSV ------------------------------------------------------------------------------------
def detect_encoding(data: bytes) -> tuple[str, str]:
    """Return ``(codec, label)`` for UTF-8 with or without BOM, else Windows-1252.

    Windows-1252 leaves five bytes undefined; a file holding them is decoded as Latin-1 so
    reading never fails on encoding alone (the report shows which codec was used).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "utf-8-bom"
    try:
        data.decode("utf-8")
        return "utf-8", "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("cp1252")
        return "cp1252", "windows-1252"
    except UnicodeDecodeError:
        return "latin-1", "latin-1"


def sniff_separator(first_line: str) -> str:
    """``;``, ``,`` or tab: whichever occurs most often in the header line (``;`` on a tie)."""
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda s: (counts[s], s == ";"))
    return best if counts[best] else ";"


def _rows_from_records(records: Iterable[tuple[int, list[str]]]) -> TextTable:
    """Build a :class:`TextTable` from ``(row number, cells)`` pairs; the first non-blank is the header."""
    header: list[str] | None = None
    rows: list[list[str]] = []
    numbers: list[int] = []
    bad: list[tuple[int, str]] = []
    blank = 0
    for number, cells in records:
        if not any(c.strip() for c in cells):
            if header is not None:
                blank += 1
            continue
        if header is None:
            header = [c.strip() for c in cells]
            while header and not header[-1]:
                header.pop()  # trailing separators after the last column name
            continue
        width = len(header)
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            bad.append((number, f"row has {len(cells)} fields but the header has {width} "
                                "(a separator inside a value without quotes?)"))
            continue
        rows.append((cells + [""] * width)[:width])
        numbers.append(number)
    if header is None:
        raise UnreadableFile("the file is empty (no header row)", rows=0)
    cols = {f"c{i}": pd.Series([r[i] for r in rows], dtype=object) for i in range(len(header))}
    frame = pd.DataFrame(cols, index=pd.RangeIndex(len(rows)))
    frame["bron_rij"] = pd.Series(numbers, dtype="int64")
    return TextTable(header=header, frame=frame, bad_rows=bad, blank_rows=blank)


def read_csv(path: Path) -> TextTable:
    """Read a CSV export as text (separator and encoding detected)."""
    data = path.read_bytes()
    codec, label = detect_encoding(data)
    text = data.decode(codec)
    sep = sniff_separator(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)

    def records() -> Iterable[tuple[int, list[str]]]:
        start = 1
        try:
            for cells in reader:
                yield start, cells
                start = reader.line_num + 1
        except csv.Error as exc:  # e.g. an unterminated quote swallowing the rest of the file
            raise UnreadableFile(f"CSV cannot be parsed after line {start}: {exc}",
                                 rows=max(text.count("\n") - 1, 0)) from exc

    table = _rows_from_records(records())
    table.encoding, table.separator = label, sep
    return table


# --- XLSX -----------------------------------------------------------------------------------
def read_xlsx(path: Path) -> TextTable:
    """Read the first worksheet of an XLSX export; real date and time cells become ISO text."""
    import openpyxl  # lazy: only needed when an XLSX export is present

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for non-XLSX content
        raise UnreadableFile(f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    try:
        sheets = wb.worksheets
        ws = sheets[0]
        records = ((i, [cell_text(v) for v in row])
                   for i, row in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1))
        table = _rows_from_records(records)
        others = [s.title for s in sheets[1:] if s.max_row and s.max_row > 1]
    finally:
        wb.close()
    if others:
        table.warnings.append(f"only the first sheet {ws.title!r} was read; ignored sheets: "
                              + ", ".join(others))
    return table


# --- SPSS -----------------------------------------------------------------------------------
def read_sav(path: Path) -> TextTable:
    """Read an SPSS ``.sav`` export; values with a value label are read as that label.

    Why labels: an institution's own numbering may differ from the codebook, while its labels
    name the category; labels are mapped to codebook codes like any text label, and values
    without a label are read as codes.
    """
    import pyreadstat  # lazy: only needed when an SPSS export is present

    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as exc:
        raise UnreadableFile(f"not a readable SPSS .sav file ({type(exc).__name__})") from exc
    labels = {name: {cell_text(k): str(v) for k, v in vl.items()}
              for name, vl in (meta.variable_value_labels or {}).items()}
    columns = [[labels.get(name, {}).get(t, t) for t in map(cell_text, df[name].tolist())] for name in df.columns]
    records = zip(range(1, len(df) + 1), map(list, zip(*columns)))
    # SPSS has no header row: case numbers are the row numbers.
    return _rows_from_records([(0, [str(c) for c in df.columns]), *records])


def read_table(path: Path) -> TextTable:
    """Read any supported export by its suffix; raise :class:`UnreadableFile` otherwise."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path)
    if suffix == ".xlsx":
        return read_xlsx(path)
    if suffix == ".sav":
        return read_sav(path)
    raise UnreadableFile(f"unsupported file type {suffix or '(none)'!r}; "
                         "save the export as .csv, .xlsx or .sav")


# --- aliases --------------------------------------------------------------------------------
@dataclass
class Aliases:
    """Header aliases (normalised header -> codebook column) and labels (column -> text -> code)."""

    columns: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, int]] = field(default_factory=dict)
    sources: list[Path] = field(default_factory=list)

    def merged(self, other: "Aliases") -> "Aliases":
        """A copy with ``other`` taking precedence (per-source over defaults)."""
        labels = {k: dict(v) for k, v in self.labels.items()}
        for col, mapping in other.labels.items():
            labels.setdefault(col, {}).update(mapping)
        return Aliases({**self.columns, **other.columns}, labels, self.sources + other.sources)


def _known_columns() -> set[str]:
    return {f.name for res in ("registraties", "locaties", "bezetting", "beleid")
            for f in codebook.fields(res)}


def parse_aliases(data: Any, origin: str) -> Aliases:
    """Validate an aliases mapping (see ``data/raw/README.md`` for the format)."""
    data = data or {}
    if not isinstance(data, dict) or set(data) - {"columns", "labels"}:
        raise ValueError(f"{origin}: expected top-level keys 'columns' and/or 'labels'")
    known = _known_columns()
    cols: dict[str, str] = {}
    for alias, target in (data.get("columns") or {}).items():
        if target not in known:
            raise ValueError(f"{origin}: column alias {alias!r} points to {target!r}, "
                             "which is not a codebook column")
        cols[norm_key(alias)] = target
    labels: dict[str, dict[str, int]] = {}
    for col, mapping in (data.get("labels") or {}).items():
        if col not in known:
            raise ValueError(f"{origin}: labels given for {col!r}, which is not a codebook column")
        labels[col] = {norm_key(text): int(code) for text, code in (mapping or {}).items()}
        allowed = next(f for r in ("registraties", "locaties", "bezetting", "beleid")
                       for f in codebook.fields(r) if f.name == col)
        for text, code in (mapping or {}).items():
            if int(code) not in allowed.codes:
                raise ValueError(f"{origin}: label {text!r} -> {code} for {col}: {code} is not a code; "
                                 f"allowed: {allowed.allowed_text()}")
    return Aliases(cols, labels)


def load_aliases(path: Path | None = None) -> Aliases:
    """Aliases from the codebook plus ``resources/aliases.yaml``, or from the file ``path``."""
    if path is not None:
        with open(path, encoding="utf-8") as fh:
            out = parse_aliases(yaml.safe_load(fh), str(path))
        out.sources = [path]
        return out
    cols = {norm_key(f.name): f.name for f in codebook.fields("registraties")}
    for f in codebook.fields("registraties"):
        cols.update({norm_key(a): f.name for a in f.aliases})
    text = resources.files("analysis.ingest").joinpath("aliases.yaml").read_text("utf-8")
    return Aliases(cols, {}).merged(parse_aliases(yaml.safe_load(text), "resources/aliases.yaml"))


def map_header(header: list[str], aliases: Aliases, known: Iterable[str]) -> tuple[dict[int, str], list[str], str | None]:
    """Map header positions to codebook columns.

    Returns
    -------
    tuple
        ``(position -> column, ignored headers, error)``; ``error`` names two headers that
        map to the same column (ambiguous, so the file is not processed).
    """
    known = set(known)
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for i, name in enumerate(header):
        key = norm_key(name)
        target = aliases.columns.get(key, key.replace(" ", "_"))
        if target not in known:
            if name.strip():
                ignored.append(name)
            continue
        if target in seen:
            return {}, ignored, f"columns {seen[target]!r} and {name!r} both mean {target}"
        seen[target] = name
        mapping[i] = target
    return mapping, ignored, None
