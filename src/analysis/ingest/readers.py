"""Readers that turn institution exports (CSV, XLSX, SPSS) into tables of text.

Everything is read as text first, so that no value is silently coerced (a code ``01`` stays
``01``, a date stays as typed); the checks in :mod:`analysis.ingest.checks` parse and validate the
text with the codebook. Readers also normalise column headers through aliases: the codebook's
``aliases``, ``resources/aliases.yaml`` and an optional per-source ``aliases.yaml``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

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
    """One export (or one worksheet) as text.

    ``rows`` holds the cells of each record that may be a registration, one list per record
    (``""`` for an empty cell; with a header, exactly one cell per header position), and
    ``numbers`` the row a person sees for each (the physical line in CSV where a record
    starts, the sheet row in XLSX, the case number in SPSS). ``frame`` shows the same as a
    DataFrame (``c0``, ``c1``, ... and ``bron_rij``). ``header`` is None when no row holds
    the contract's header (then every record is in ``rows`` with its cells by position, so
    each can be counted and quarantined). ``bad_rows`` are ``(row, reason)`` pairs of
    records that cannot be aligned with the header (wrong field count, an unterminated
    quote, an embedded NUL); ``blank_rows`` counts completely empty records and
    ``title_rows`` the records above the header (neither is a registration).
    ``value_labels`` holds an SPSS file's value labels per column header (code text ->
    label); the cells keep the codes (:mod:`analysis.ingest.labels` reconciles the two).

    Why plain lists: ingest reads thousands of small exports; building a DataFrame per file
    cost more than reading it, so ingest concatenates the lists of all files of a resource
    and converts them to pandas once (:mod:`analysis.ingest.process`).
    """

    header: list[str] | None
    rows: list[list[str]]
    numbers: list[int]
    bad_rows: list[tuple[int, str]] = field(default_factory=list)
    blank_rows: int = 0
    title_rows: int = 0
    physical_lines: int | None = None
    header_row: int | None = None
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    warnings: list[str] = field(default_factory=list)
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    _frame: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def rows_read(self) -> int:
        """Records that may be registrations (aligned or not); blank and title rows excluded."""
        return len(self.rows) + len(self.bad_rows)

    @property
    def width(self) -> int:
        """Cells per record: the header's length, else the longest record."""
        if self.header is not None:
            return len(self.header)
        return max((len(r) for r in self.rows), default=0)

    @property
    def frame(self) -> pd.DataFrame:
        """The records as text columns ``c0``, ``c1``, ... (object dtype) plus ``bron_rij``.

        Built on first use; header-less records are padded with ``""`` to :attr:`width`.
        """
        if self._frame is None:
            rows = self.rows
            cols = {
                f"c{i}": pd.Series([r[i] if i < len(r) else "" for r in rows], dtype=object)
                for i in range(self.width)
            }
            frame = pd.DataFrame(cols, index=pd.RangeIndex(len(rows)))
            frame["bron_rij"] = pd.Series(self.numbers, dtype="int64")
            self._frame = frame
        return self._frame


#: Callable that says whether a row of cells is the contract's header row.
HeaderTest = Callable[[list[str]], bool]
#: Records searched for the header row (title lines above it are allowed).
HEADER_SEARCH_ROWS = 10


# --- cell and header normalisation ----------------------------------------------------------
def norm_key(text: Any) -> str:
    """Case-, whitespace- and underscore-insensitive key for headers and labels."""
    return _WS.sub(" ", str(text)).strip().casefold()


def label_key(text: Any) -> str:
    """:func:`norm_key` that also ignores accents (``Eén`` = ``een``): the key of a label.

    Why accents: exports re-typed on other systems drop or change diacritics; a label is the
    same category either way.
    """
    decomposed = unicodedata.normalize("NFKD", norm_key(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def cell_text(value: Any) -> str:
    """Text of one spreadsheet or SPSS cell; dates in ISO form, integral numbers without ``.0``.

    Why: XLSX and SAV cells arrive typed; turning them into the same text a CSV export would
    hold lets one set of checks handle every format.
    """
    if value is None or value is pd.NaT:  # NaT: a missing SPSS date or time read by pandas
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


# --- records -> table -----------------------------------------------------------------------
def _blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def _find_header(records: list[tuple[int, list[str]]], is_header: HeaderTest | None) -> int | None:
    """Index in ``records`` of the header row among the first non-blank records, else None.

    Without a test the first non-blank record is the header (SPSS variable names, tests).
    """
    seen = 0
    for i, (_, cells) in enumerate(records):
        if _blank(cells):
            continue
        if is_header is None or is_header(cells):
            return i
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            return None
    return None


def _table(
    header: list[str] | None,
    rows: list[list[str]],
    numbers: list[int],
    bad: list[tuple[int, str]],
    blank: int,
    title: int,
) -> TextTable:
    return TextTable(
        header=header, rows=rows, numbers=numbers, bad_rows=bad, blank_rows=blank, title_rows=title
    )


def _trim_header(cells: list[str]) -> list[str]:
    header = [c.strip() for c in cells]
    while header and not header[-1]:
        header.pop()  # trailing separators after the last column name
    return header


def _width_problem(cells: list[str], width: int) -> str | None:
    """Why a record does not fit a header of ``width`` fields, or None.

    Extra fields are tolerated only when empty (trailing separators); fewer fields are never
    padded: a missing separator shifts values into the wrong columns.
    """
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return (
            f"row has {len(cells)} fields but the header has {width} "
            "(a separator inside a value without quotes?)"
        )
    if len(cells) < width:
        return (
            f"row has {len(cells)} fields but the header has {width} (a missing separator or a cut-off line?)"
        )
    return None


def _rows_from_records(
    records: Iterable[tuple[int, list[str]]], is_header: HeaderTest | None = None
) -> TextTable:
    """Build a :class:`TextTable` from ``(row number, cells)`` pairs of a spreadsheet or SPSS file."""
    records = list(records)
    h = _find_header(records, is_header)
    header = _trim_header(records[h][1]) if h is not None else None
    rows, numbers, bad = [], [], []
    blank = title = 0
    for i, (number, cells) in enumerate(records):
        if _blank(cells):
            blank += h is None or i > h
            continue
        if h is not None and i <= h:
            title += i < h
            continue
        problem = _width_problem(cells, len(header)) if header is not None else None
        if problem:
            bad.append((number, problem))
            continue
        rows.append((cells + [""] * len(header))[: len(header)] if header is not None else cells)
        numbers.append(number)
    table = _table(header, rows, numbers, bad, blank, title)
    table.header_row = records[h][0] if h is not None else None
    return table


# --- CSV ------------------------------------------------------------------------------------
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")
_SEP_LINE = re.compile(r'^"?sep=(.)"?\s*$', re.IGNORECASE)


def detect_encoding(data: bytes) -> tuple[str, str]:
    """Return ``(codec, label)``: UTF-16 (BOM or NUL pattern), UTF-8 with or without BOM, else Windows-1252.

    Windows-1252 leaves five bytes undefined; a file holding them is decoded as Latin-1 so
    reading never fails on encoding alone (the report shows which codec was used).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "utf-8-bom"
    head = data[:400]
    if len(head) >= 4 and len(head) % 2 == 0:
        # UTF-16 without BOM: ASCII text has a NUL in every other byte.
        if head[1::2].count(0) > 0.9 * len(head) / 2:
            return "utf-16-le", "utf-16-le"
        if head[0::2].count(0) > 0.9 * len(head) / 2:
            return "utf-16-be", "utf-16-be"
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


def physical_lines(text: str) -> list[str]:
    """The lines of ``text`` with their terminators (``\\r\\n``, ``\\n`` or ``\\r``), as csv reads them."""
    return _LINE.findall(text)


def _swallowed(continuation: list[str], sep: str, width: int) -> bool:
    """True when lines inside a quoted value look like rows of their own.

    A legitimate multi-line value (a comment with a line break) has few separators on its
    later lines; a line with at least half of the header's separators is a registration that
    a stray quote swallowed.
    """
    limit = max(2, (width - 1) // 2)
    return any(line.count(sep) >= limit for line in continuation)


def csv_records(
    lines: list[str], sep: str, start: int = 0, width: int | None = None
) -> Iterator[tuple[int, int, list[str] | None, str | None]]:
    """Strictly parse ``lines[start:]`` into ``(first line, line count, cells, problem)``.

    A record that the csv module cannot parse (an unterminated quote, text after a closing
    quote) or that holds a NUL character is a problem on its FIRST physical line only;
    parsing restarts on the next line, so a stray quote can never swallow later lines.
    With ``width``, a record spanning several lines is treated the same way when its field
    count differs from the header or a later line of it looks like a row of its own (a quote
    that was closed by accident lines later; see :func:`_swallowed`).
    Line numbers are 1-based.
    """
    i, n = start, len(lines)
    # Why: looking for a NUL in every cell of every record was a tenth of reading a file;
    # a cell can only hold a NUL that is on one of its lines.
    nul = any("\x00" in lines[k] for k in range(start, n))
    while i < n:
        reader = csv.reader((lines[k] for k in range(i, n)), delimiter=sep, strict=True)
        used = 0
        try:
            for cells in reader:
                first, span = i + used, reader.line_num - used
                used = reader.line_num
                if nul and any("\x00" in c for c in cells):
                    if span > 1:
                        yield first + 1, 1, None, "row holds a NUL character (a damaged or binary file?)"
                        i = first + 1
                        break
                    yield first + 1, 1, None, "row holds a NUL character (a damaged or binary file?)"
                    continue
                if (
                    span > 1
                    and width is not None
                    and not _blank(cells)
                    and (
                        _width_problem(cells, width)
                        or _swallowed(lines[first + 1 : first + span], sep, width)
                    )
                ):
                    yield (
                        first + 1,
                        1,
                        None,
                        (
                            "a quoted value is not closed on this line and the lines "
                            "that follow do not complete the row (unterminated quote?)"
                        ),
                    )
                    i = first + 1
                    break
                yield first + 1, span, cells, None
            else:
                return
        except csv.Error as exc:
            first = i + used
            yield first + 1, 1, None, f"row cannot be parsed as CSV ({exc}; an unterminated quote?)"
            i = first + 1


def _choose_separator(lines: list[str], is_header: HeaderTest | None) -> str:
    """The separator with which a header row appears earliest in the first lines.

    ``;`` wins a tie, then ``,``. The header search of each separator follows
    :func:`_find_header` and stops early at the line of the best header found so far (a
    later one cannot win).
    """
    head = lines[: HEADER_SEARCH_ROWS * 3]
    if is_header is not None:
        best: tuple[int, str] | None = None
        for sep in (";", ",", "\t"):
            seen = 0
            for no, _, cells, _ in csv_records(head, sep):
                if cells is None:
                    continue
                if best is not None and no >= best[0]:
                    break
                if _blank(cells):
                    continue
                if is_header(cells):
                    best = (no, sep)
                    break
                seen += 1
                if seen >= HEADER_SEARCH_ROWS:
                    break
        if best is not None:
            return best[1]
    first = next((ln for ln in head if ln.strip()), "")
    return sniff_separator(first)


def read_csv(path: Path, is_header: HeaderTest | None = None) -> TextTable:
    """Read a CSV export as text, accounting for every physical line.

    Handles a BOM, UTF-16, Excel's ``sep=`` first line and title lines above the header
    (``is_header`` recognises the header row; without it the first non-blank line is the
    header). Each physical line ends up in exactly one of: the ``sep=`` line, title lines,
    the header, blank records, registration records or ``bad_rows``; the sum is checked.
    """
    data = path.read_bytes()
    codec, label = detect_encoding(data)
    text = data.decode(codec, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = physical_lines(text)
    directive = 1 if lines and _SEP_LINE.match(lines[0]) else 0
    sep = _SEP_LINE.match(lines[0]).group(1) if directive else _choose_separator(lines, is_header)
    # Header search (the rule of _find_header): parse the first records without a width (no
    # header known yet), up to the header.
    head: list[tuple[int, int, list[str] | None]] = []
    hi, seen = None, 0
    for no, span, cells, _ in csv_records(lines, sep, directive):
        head.append((no, span, cells))
        if cells is not None and not _blank(cells):
            if is_header is None or is_header(cells):
                hi = len(head) - 1
                break
            seen += 1
            if seen >= HEADER_SEARCH_ROWS:
                break
        if len(head) >= HEADER_SEARCH_ROWS * 3:
            break
    if hi is not None:
        hno, hspan, hcells = head[hi]
        header = _trim_header(hcells)
        after = hno - 1 + hspan  # index of the first line after the header
        title = sum(c is None or not _blank(c) for _, _, c in head[:hi])
        blank = sum(c is not None and _blank(c) for _, _, c in head[:hi])
    else:
        header, after, title, blank = None, directive, 0, 0
    rows, numbers, bad = [], [], []
    counted = after
    width = len(header) if header is not None else None
    for no, span, cells, problem in csv_records(lines, sep, after, width):
        counted += span
        if problem is not None:
            bad.append((no, problem))
        elif _blank(cells):
            blank += 1
        elif width is not None and (why := _width_problem(cells, width)):
            bad.append((no, why))
        else:
            # Extra cells are empty here (see _width_problem); fewer cells are a bad row.
            rows.append(cells if width is None or len(cells) == width else cells[:width])
            numbers.append(no)
    if counted != len(lines):  # a bug, never the data: every line must be accounted for
        raise RuntimeError(f"{path.name}: {len(lines)} lines but {counted} accounted for")
    if not lines or (header is None and not rows and not bad):
        raise UnreadableFile("the file is empty (no header row)", rows=0)
    table = _table(header, rows, numbers, bad, blank, title)
    table.header_row = hno if hi is not None else None
    table.encoding, table.separator, table.physical_lines = label, sep, len(lines)
    if directive:
        table.warnings.append(f"first line {lines[0].strip()!r} read as the separator setting")
    if title:
        table.warnings.append(f"{title} title line(s) above the header (line {table.header_row}) skipped")
    if codec.startswith("utf-16"):
        table.warnings.append(f"encoded as {label}; read as such")
    return table


# --- XLSX -----------------------------------------------------------------------------------
def _not_xlsx(path: Path) -> UnreadableFile:
    """Why a file named ``.xlsx`` is not a workbook, with its row count when it can be counted.

    Exports from web applications are often HTML tables or CSV text saved under ``.xlsx``.
    """
    data = path.read_bytes()
    if not data:
        return UnreadableFile("the file is empty", rows=0)
    codec, _ = detect_encoding(data)
    text = data.decode(codec, errors="replace")
    low = text.lower()
    if "<table" in low or "<html" in low or "<tr" in low:
        rows = re.findall(r"<tr\b(.*?)(?=<tr\b|</table|\Z)", text, flags=re.IGNORECASE | re.DOTALL)
        n = len(rows) - (1 if rows and re.search(r"<th\b", rows[0], re.IGNORECASE) else 0)
        return UnreadableFile(
            f"an HTML page saved with the extension .xlsx ({n} table rows); open it in "
            "Excel and save it as .xlsx or .csv",
            rows=n,
        )
    sample = text[:4000]
    if sample.strip() and sum(c.isprintable() or c in "\r\n\t" for c in sample) > 0.98 * len(sample):
        n = max(sum(1 for ln in physical_lines(text) if ln.strip()) - 1, 0)
        return UnreadableFile(
            f"a text (CSV) file saved with the extension .xlsx ({n} rows below its first "
            "line); rename it to .csv",
            rows=n,
        )
    return UnreadableFile(
        "not a readable XLSX workbook (damaged, or another format); the number of rows cannot be counted",
        rows=None,
    )


def read_xlsx_sheets(path: Path, is_header: HeaderTest | None = None) -> list[TextTable]:
    """Read every worksheet that holds the contract's header; report the other non-empty sheets.

    Returns one table per sheet with a header row (``sheet`` set), in workbook order. When
    no sheet holds a header, the first non-empty sheet is returned header-less so that its
    rows are counted and quarantined. Non-empty sheets without a header become warnings of
    the first table, with their count of non-empty rows.
    """
    import zipfile

    if not zipfile.is_zipfile(path):
        raise _not_xlsx(path)
    import openpyxl  # lazy: only needed when an XLSX export is present

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for non-XLSX content
        raise UnreadableFile(
            f"not a readable XLSX workbook ({type(exc).__name__}); the number of rows cannot be counted"
        ) from exc
    try:
        sheets = []
        for ws in wb.worksheets:
            records = [
                (i, [cell_text(v) for v in row])
                for i, row in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)
            ]
            sheets.append((ws.title, records))
    finally:
        wb.close()
    tables, others = [], []
    first_title = sheets[0][0] if sheets else None
    for title, records in sheets:
        nonblank = sum(not _blank(c) for _, c in records)
        if not nonblank:
            continue
        t = _rows_from_records(records, is_header)
        if t.header is not None:
            t.sheet = title
            if title != first_title:
                t.warnings.append(f"read from sheet {title!r} (not the first sheet)")
            tables.append(t)
        else:
            others.append((title, nonblank, records))
    if not tables:
        if not others:
            raise UnreadableFile("the workbook is empty (no header row)", rows=0)
        title, _, records = others.pop(0)
        t = _rows_from_records(records, lambda cells: False)
        t.sheet = title
        tables.append(t)
    for title, nonblank, _ in others:
        tables[0].warnings.append(
            f"sheet {title!r} ({nonblank} non-empty rows) holds no header of the contract and was not read"
        )
    return tables


# --- SPSS -----------------------------------------------------------------------------------
#: SPSS formats of clock times (``TIME5``, ``TIME8``, ``TIME11.2``); read as seconds, not as
#: ``datetime.time``, which turns 24:00 (86400 s, end of day) into 00:00 of the same day.
_SPSS_TIME = re.compile(r"^TIME\d", re.IGNORECASE)


def read_sav(path: Path, is_header: HeaderTest | None = None) -> TextTable:
    """Read an SPSS ``.sav`` export; cells keep the values (codes), value labels come apart.

    Why not replace a value by its label: the code and the label may disagree with the
    codebook in different ways (the institution's own wording, or another category under
    the same code); :mod:`analysis.ingest.labels` compares both with the codebook, so neither
    decides silently. The labels are in :attr:`TextTable.value_labels` (variable name ->
    code text -> label). Variables in a TIME format are read as seconds after midnight and
    written ``HH:MM:SS`` (86400 s is ``24:00:00``, the end of the day). The variable names
    are the header (``is_header`` is not applied: SPSS always has them).
    """
    import pyreadstat  # lazy: only needed when an SPSS export is present

    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
        times = [n for n, f in (meta.original_variable_types or {}).items() if _SPSS_TIME.match(str(f))]
        if times:
            secs, _ = pyreadstat.read_sav(str(path), usecols=times, disable_datetime_conversion=True)
            for name in times:
                df[name] = [
                    v if v != v else dt.timedelta(seconds=v) for v in secs[name].astype(float).tolist()
                ]
    except Exception as exc:  # pyreadstat raises its own and OS errors for non-SAV content
        raise UnreadableFile(
            f"not a readable SPSS .sav file ({type(exc).__name__}); the number of rows cannot be counted"
        ) from exc
    columns = [list(map(cell_text, df[name].tolist())) for name in df.columns]
    records = zip(range(1, len(df) + 1), map(list, zip(*columns)))
    # SPSS has no header row: case numbers are the row numbers.
    table = _rows_from_records([(0, [str(c) for c in df.columns]), *records])
    table.value_labels = {
        str(name): {cell_text(k): str(v) for k, v in vl.items()}
        for name, vl in (meta.variable_value_labels or {}).items()
        if vl
    }
    return table


def read_tables(path: Path, is_header: HeaderTest | None = None) -> list[TextTable]:
    """Read any supported export by its suffix (case-insensitive); several tables for a workbook
    with more than one sheet holding a header. Raise :class:`UnreadableFile` otherwise."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return [read_csv(path, is_header)]
        if suffix == ".xlsx":
            return read_xlsx_sheets(path, is_header)
        if suffix == ".sav":
            return [read_sav(path, is_header)]
    except OSError as exc:
        raise UnreadableFile(
            f"the file cannot be opened ({exc.strerror or type(exc).__name__}); "
            "the number of rows cannot be counted",
            rows=None,
        ) from exc
    raise UnreadableFile(
        f"unsupported file type {suffix or '(none)'!r}; save the export as .csv, .xlsx or .sav", rows=None
    )


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
    return {
        f.name for res in ("registraties", "locaties", "bezetting", "beleid") for f in codebook.fields(res)
    }


def parse_aliases(data: Any, origin: str) -> Aliases:
    """Validate an aliases mapping (see ``data/raw/README.md`` for the format)."""
    data = data or {}
    if not isinstance(data, dict) or set(data) - {"columns", "labels"}:
        raise ValueError(f"{origin}: expected top-level keys 'columns' and/or 'labels'")
    known = _known_columns()
    cols: dict[str, str] = {}
    for alias, target in (data.get("columns") or {}).items():
        if target not in known:
            raise ValueError(
                f"{origin}: column alias {alias!r} points to {target!r}, which is not a codebook column"
            )
        cols[norm_key(alias)] = target
    labels: dict[str, dict[str, int]] = {}
    for col, mapping in (data.get("labels") or {}).items():
        if col not in known:
            raise ValueError(f"{origin}: labels given for {col!r}, which is not a codebook column")
        if not isinstance(mapping or {}, dict):
            raise ValueError(f"{origin}: labels of {col} must be a mapping of text -> code")
        for text, code in (mapping or {}).items():
            # Why a message of its own: a proposal (aliases.proposed.yaml) leaves the code
            # empty where nothing in the codebook is close; the user fills it in.
            if code is None or str(code).strip() == "":
                raise ValueError(
                    f"{origin}: label {text!r} for {col} has no code; fill in the codebook code it means"
                )
            try:
                ok = not isinstance(code, bool) and float(code) == int(float(code))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise ValueError(f"{origin}: label {text!r} for {col}: {code!r} is not a code")
        labels[col] = {label_key(text): int(float(code)) for text, code in (mapping or {}).items()}
        allowed = next(
            f
            for r in ("registraties", "locaties", "bezetting", "beleid")
            for f in codebook.fields(r)
            if f.name == col
        )
        for text, code in (mapping or {}).items():
            if int(float(code)) not in allowed.codes:
                raise ValueError(
                    f"{origin}: label {text!r} -> {code} for {col}: {code} is not a code; "
                    f"allowed: {allowed.allowed_text()}"
                )
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


def map_header(
    header: list[str], aliases: Aliases, known: Iterable[str]
) -> tuple[dict[int, str], list[str], str | None]:
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
