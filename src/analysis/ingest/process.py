"""Ingest: raw institution exports -> validated processed tables that lose nothing.

``run`` reads every file of the raw-data contract (``data/raw/README.md``), validates it
with the codebook (:mod:`analysis.ingest.checks`), pseudonymises youth ids (:mod:`analysis.ingest.pseudonym`)
and writes the processed tables of ``docs/contracts.md``. Every input row ends in
``registrations.parquet`` (possibly flagged) or in ``quarantine.csv``; ``ingest_report.json``
reconciles the two per file. Outputs are byte-identical when the input is.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis import codebook
from analysis.ingest import checks
from analysis.ingest import gate
from analysis.ingest import labels
from analysis.ingest import pseudonym
from analysis.ingest import readers
from analysis.ingest.report import FileReport, IngestReport, totals as _totals
from analysis.core.csvsafe import neutralise_frame
from analysis.core.digest import file_digest
from analysis.core.errors import UserError
from analysis.core.measurements import Measurement
from analysis.core.provenance import SYNTHETIC_MARKER, is_synthetic
from analysis.ingest import discover

# The errors and the discovery live in analysis.ingest.preflight (no pandas), which
# ``compendium build`` runs before anything is built; re-exported here for callers of ingest.
from analysis.ingest.preflight import IngestError, NothingToIngest, preflight  # noqa: F401
from analysis.ingest.preflight import discover_measurements as _discover

OUTPUTS = (
    "registrations.parquet",
    "occupancy.parquet",
    "policy.parquet",
    "locations.parquet",
    "quarantine.csv",
)
QUARANTINE_COLUMNS = ["file", "row", "column", "check", "value", "reason"]
#: What a masked value reads in quarantine.csv.
MASK = "[verborgen]"


# --- loading one file -----------------------------------------------------------------------
#: One quarantine line: ``(file, row, column, value, reason, check)``; ``row`` None for a file.
Line = tuple[str, "int | None", str, str, str, str]


@dataclass(frozen=True)
class Text:
    """The kept text of one table in plain Python, converted to pandas with its resource.

    ``columns`` maps a codebook column to its cell position in ``rows``; ``numbers`` are the
    rows a person sees (``bron_rij``); ``file`` is the file's display name (``bron_bestand``);
    ``value_labels`` the SPSS value labels per codebook column (:mod:`analysis.ingest.labels`).
    """

    file: str
    columns: dict[str, int]
    rows: list[list[str]]
    numbers: list[int]
    meting: int | None
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Loaded:
    """One input file (or worksheet) as kept text with its report and file-level quarantine lines."""

    report: FileReport
    text: Text | None
    lines: list[Line]


def _lines(
    file: str, rows: list[int | None], column: str, value: str, reasons: list[str] | str, check: str
) -> list[Line]:
    """Quarantine lines of ``file``: one per row, with one reason each or a shared one."""
    if isinstance(reasons, str):
        return [(file, r, column, value, reasons, check) for r in rows]
    return [(file, r, column, value, why, check) for r, why in zip(rows, reasons, strict=True)]


def _lines_frame(lines: list[Line]) -> pd.DataFrame:
    """Quarantine lines as a frame (``file, row, column, value, reason, check``)."""
    cols = list(zip(*lines)) if lines else [()] * 6
    return pd.DataFrame(
        {
            "file": pd.Series(list(cols[0]), dtype="str"),
            "row": pd.array(list(cols[1]), dtype="Int64"),
            "column": pd.Series(list(cols[2]), dtype="str"),
            "value": pd.Series(list(cols[3]), dtype="str"),
            # float64 when empty, as pandas infers for an empty list (keeps concat dtypes stable)
            "reason": pd.Series(list(cols[4]), dtype="str" if lines else "float64"),
            "check": pd.Series(list(cols[5]), dtype="str"),
        }
    )


def header_test(resource: str, aliases: readers.Aliases) -> readers.HeaderTest:
    """Recognise the header row of ``resource``: it names every required column, or at least
    two codebook columns (then a missing required column is reported by name).

    Why: a header-less export must never turn its first registration into a header, and
    title lines above the header must be skipped, not read as the header.
    """
    known = {f.name for f in codebook.fields(resource)}
    required = _required(resource)
    # Why a cache: thousands of exports repeat the same header cells; bounded, because the
    # rows searched above a header may hold values.
    seen: dict[str, str] = {}

    def name(cell: str) -> str:
        out = seen.get(cell)
        if out is None:
            if len(seen) > 4096:
                seen.clear()
            key = readers.norm_key(cell)
            out = seen[cell] = aliases.columns.get(key, key.replace(" ", "_"))
        return out

    def test(cells: list[str]) -> bool:
        names = {name(c) for c in cells if c.strip()}
        return required <= names or len(names & known) >= 2

    return test


@dataclass
class Resource:
    """What reading files of one resource needs; built once per run, not once per file."""

    name: str
    fields: list[codebook.Field]
    required: set[str]
    is_header: readers.HeaderTest

    @classmethod
    def of(cls, resource: str, aliases: readers.Aliases) -> "Resource":
        """The codebook fields, required columns and header test of ``resource``."""
        return cls(resource, codebook.fields(resource), _required(resource), header_test(resource, aliases))


def _unreadable(rep: FileReport, reason: str, rows: int | None) -> Loaded:
    """A file that cannot be read: its report says why, one line without row stands for its rows."""
    rep = replace(
        rep, error=reason, rows_read=rows or 0, rows_counted=rows is not None, rows_quarantined=rows or 0
    )
    counted = f" ({rows} rows)" if rows else (" (rows cannot be counted)" if rows is None else "")
    return Loaded(
        rep,
        None,
        _lines(rep.file, [None], "", "", f"file cannot be read: {reason}{counted}", "file_unreadable"),
    )


def load_file(
    found: discover.RawFile,
    kind: str,
    resource: str,
    aliases: readers.Aliases,
    meting: int | None = None,
    spec: Resource | None = None,
) -> list[Loaded]:
    """Read one file of ``resource`` as cleaned text in codebook columns.

    Returns one item per table read (a workbook may hold several sheets with a header). A
    file that cannot be read, has no header row or lacks a required column is not processed:
    each of its rows (when countable) gets a quarantine line naming the file-level problem.
    No value and no header text of the file is put into a reason: a header-less file's first
    row is a registration. ``spec`` (:meth:`Resource.of` for ``resource`` and ``aliases``)
    saves rebuilding it for every file.
    """
    spec = spec or Resource.of(resource, aliases)
    path, rel = found.path, found.display
    rep = FileReport(file=rel, kind=kind, sha256="", meting=meting, format=path.suffix.lower().lstrip("."))
    if found.problem:
        return [_unreadable(rep, found.problem, 0 if "symbolic link" in found.problem else None)]
    try:
        digest = file_digest(path)
    except OSError as exc:
        return [_unreadable(rep, f"the file cannot be opened ({exc.strerror or type(exc).__name__})", None)]
    try:
        tables = readers.read_tables(path, spec.is_header)
    except readers.UnreadableFile as exc:
        return [_unreadable(replace(rep, sha256=digest), exc.reason, exc.rows)]
    named = [] if _utf8_name(path) else ["the file name is not valid UTF-8; shown with \\x escapes"]
    return [
        _load_table(
            table,
            replace(rep, file=rel if k == 0 else f"{rel}#{table.sheet}", sha256=digest, warnings=named),
            spec,
            aliases,
            meting,
        )
        for k, table in enumerate(tables)
    ]


def _utf8_name(path: Path) -> bool:
    try:
        os.fsencode(str(path)).decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _read_report(rep: FileReport, table: readers.TextTable) -> FileReport:
    """``rep`` with what reading ``table`` found: encoding, separator, rows, warnings."""
    return replace(
        rep,
        encoding=table.encoding,
        separator=table.separator,
        blank_rows=table.blank_rows,
        title_rows=table.title_rows,
        physical_lines=table.physical_lines,
        header_row=table.header_row,
        rows_read=table.rows_read,
        warnings=rep.warnings + list(table.warnings),
    )


def _not_processed(rep: FileReport, error: str, rows: list[int], column: str, check: str) -> Loaded:
    """A table that is not processed: every row is quarantined with the file's ``error``."""
    rep = replace(rep, error=error, rows_quarantined=len(rows))
    return Loaded(
        rep, None, _lines(rep.file, sorted(rows), column, "", f"file not processed: {error}", check)
    )


def _load_table(
    table: readers.TextTable,
    rep: FileReport,
    spec: Resource,
    aliases: readers.Aliases,
    meting: int | None,
) -> Loaded:
    """One table read from a file -> kept text in codebook columns (or file-level lines)."""
    rep, fields = _read_report(rep, table), spec.fields
    rows = table.numbers + [r for r, _ in table.bad_rows]
    if table.header is None:
        error = (
            f"no header row with the columns of the contract in the first {readers.HEADER_SEARCH_ROWS} "
            "rows (is the header missing?); every row is counted and quarantined"
        )
        return _not_processed(rep, error, rows, "", "no_header")
    mapping, ignored, error = readers.map_header(table.header, aliases, [f.name for f in fields])
    rep = replace(rep, columns={table.header[i]: c for i, c in mapping.items()}, columns_ignored=ignored)
    absent = [f.name for f in fields if f.name not in mapping.values()]
    required = [f for f in absent if f in spec.required]
    if error or required:
        recognised = ", ".join(mapping.values())
        error = (
            error or f"required column {', '.join(required)} is missing (recognised columns: {recognised})"
        )
        return _not_processed(rep, error, rows, ", ".join(required), "missing_column")
    free = {f.name for f in fields if f.free_text}
    rep = replace(rep, columns_missing=absent, free_text_dropped=[c for c in mapping.values() if c in free])
    # Free text is never carried on; cleaning (missing values) happens once on all files.
    keep = {c: i for i, c in mapping.items() if c not in free}
    labelled = {
        c: table.value_labels[table.header[i]]
        for i, c in mapping.items()
        if c in keep and table.header[i] in table.value_labels
    }
    text = Text(rep.file, keep, table.rows, table.numbers, meting, labelled)
    bad = table.bad_rows
    lines = _lines(rep.file, [r for r, _ in bad], "", "", [m for _, m in bad], "misaligned_row")
    return Loaded(rep, text, lines)


def _required(resource: str) -> set[str]:
    if resource == "registraties":
        return set(checks.REG_REQUIRED)
    return {f.name for f in codebook.fields(resource) if f.required}


def _problem_lines(problems: pd.DataFrame, text: pd.DataFrame) -> pd.DataFrame:
    """Turn row-position problems into quarantine lines (file, row, column, value, reason)."""
    pos = problems["pos"].to_numpy()
    return pd.DataFrame(
        {
            "file": text["bron_bestand"].to_numpy()[pos],
            "row": pd.array(text["bron_rij"].to_numpy()[pos], dtype="Int64"),
            "column": problems["column"].to_numpy(),
            "value": problems["value"].to_numpy(),
            "reason": problems["reason"].to_numpy(),
            "check": problems["check"].to_numpy(),
        }
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f.columns)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _counted(
    loaded: list[Loaded], source: pd.Series, accepted: pd.DataFrame, lines: pd.DataFrame
) -> list[Loaded]:
    """``loaded`` with accepted, quarantined and flagged row counts in each file report, verified.

    ``source`` is the file (``bron_bestand``) of each row of the validated text.
    """
    q = lines.dropna(subset=["row"]).drop_duplicates(["file", "row"])["file"].value_counts()
    src = source[accepted.index]
    acc = src.value_counts()
    flags = accepted[list(checks.FLAGS)].groupby(src).sum() if "vlag_dubbel" in accepted else None
    # Plain dicts: a Series lookup per file and flag cost seconds with thousands of files.
    acc, q = acc.to_dict(), q.to_dict()
    flags = {k: flags[k].to_dict() for k in checks.FLAGS} if flags is not None else None
    out = []
    for item in loaded:
        if item.text is None:
            out.append(item)
            continue
        rep = item.report
        counts = {"rows_accepted": int(acc.get(rep.file, 0)), "rows_quarantined": int(q.get(rep.file, 0))}
        if flags is not None:
            counts["flags"] = {k: int(flags[k].get(rep.file, 0)) for k in checks.FLAGS}
        rep = replace(rep, **counts)
        if rep.rows_read != rep.rows_accepted + rep.rows_quarantined:  # a bug, never the data
            raise RuntimeError(
                f"reconciliation failed for {rep.file}: {rep.rows_read} read, "
                f"{rep.rows_accepted} accepted, {rep.rows_quarantined} quarantined"
            )
        out.append(replace(item, report=rep))
    return out


def _text_frame(texts: list[Text]) -> pd.DataFrame:
    """The kept text of all tables of a resource as one frame, in file and row order.

    Columns: the codebook columns in order of first appearance (object dtype; NaN where a
    file lacks the column), ``bron_rij``, ``bron_bestand`` and (for measurement data)
    ``meting``, as concatenating one frame per file would give. Why one conversion: building
    a frame per file cost more than reading the file.
    """
    if not texts:
        return pd.DataFrame()
    extra = ["bron_rij", "bron_bestand"] + (["meting"] if texts[0].meting is not None else [])
    names: dict[str, None] = {}  # the column order pd.concat gives: first appearance
    for t in texts:
        names.update(dict.fromkeys([*t.columns, *extra]))
    data: dict[str, object] = {}
    for name in names:
        if name in extra:
            continue
        values: list = []
        for t in texts:
            pos = t.columns.get(name)
            if pos is None:
                values.extend([np.nan] * len(t.rows))
            else:
                values.extend(map(itemgetter(pos), t.rows))
        # object dtype as the per-file frames had; a bare object array would be inferred as str
        data[name] = pd.Series(values, dtype=object)
    data["bron_rij"] = np.array([n for t in texts for n in t.numbers], dtype="int64")
    data["bron_bestand"] = pd.Series([t.file for t in texts for _ in t.numbers], dtype="str")
    if "meting" in extra:
        data["meting"] = np.array([t.meting for t in texts for _ in t.numbers], dtype="int64")
    return pd.DataFrame({name: data[name] for name in names})


def clean_text(text: pd.DataFrame, resource: str) -> pd.DataFrame:
    """``text`` with every codebook column of ``resource`` cleaned (missing-value texts -> NA).

    A codebook column the files lack is added empty; free text is left as it is (never kept).
    """
    missing = codebook.missing_values(resource)
    # cleaning once for all files is much faster than per file
    return text.assign(
        **{
            f.name: checks.clean_text(text[f.name], missing) if f.name in text else None
            for f in codebook.fields(resource)
            if not f.free_text
        }
    )


@dataclass(frozen=True)
class Checked:
    """The files of one batch validated: their counted reports, accepted rows and lines."""

    kind: str
    loaded: list[Loaded]
    accepted: pd.DataFrame
    lines: pd.DataFrame
    found: pd.DataFrame | None = None


def _validate(loaded: list[Loaded], resource: str, validate, *args) -> Checked:
    """Clean and validate the concatenated text of ``loaded``: accepted rows and lines."""
    text = _text_frame([item.text for item in loaded if item.text is not None])
    lines = [_lines_frame([line for item in loaded for line in item.lines])]
    result = checks.Validated(pd.DataFrame(), pd.DataFrame())
    if len(text):
        text = clean_text(text, resource)
        result = validate(text, *args)
        lines.append(_problem_lines(result.problems, text))
    lines = _concat(lines + [_lines_frame([])])
    counted = _counted(loaded, text.get("bron_bestand", pd.Series(dtype=str)), result.accepted, lines)
    return Checked(resource, counted, result.accepted, lines, result.found)


# --- writing --------------------------------------------------------------------------------
def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write without the index; pyarrow's output is deterministic for identical frames."""
    pq.write_table(
        pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False), path, compression="snappy"
    )


def _dtypes(resource: str) -> dict[str, str]:
    """Contract dtypes of a processed table, so that even an empty table has the right schema."""
    if resource == "registraties":
        return {
            "meting": "int64",
            "locatie": "str",
            "jongere": "str",
            "start": "datetime64[ns]",
            "eind": "datetime64[ns]",
            "maand": "str",
            "uur": "int64",
            "duur_min": "float64",
            **{f.name: "Int64" for f in codebook.categorical_fields(resource)},
            **{k: "bool" for k in checks.FLAGS},
            "bron_bestand": "str",
            "bron_rij": "int64",
        }
    if resource == "bezetting":
        return {"meting": "int64", "locatie": "str", "maand": "str", "gemiddelde_bezetting": "float64"}
    return {
        "meting": "int64",
        **{f.name: "Int64" if f.type == "integer" else "str" for f in codebook.fields(resource)},
    }


#: Columns that name where a registration came from (file, row), not what it says.
SOURCE_COLUMNS = ("bron_bestand", "bron_rij")


def registration_order() -> list[str]:
    """Sort keys of ``registrations.parquet``: every content column, the source last.

    Why content first: registrations that share measurement, location and start (several
    youths secluded at once) were ordered by file name and row, which differ by format and
    split, so the same data gave another row order and the model fits summed in another
    order (differences in the 10th significant digit). The source only breaks ties between
    rows whose content is identical, and those rows are interchangeable for every result.
    """
    first = ["meting", "locatie", "start", "eind", "jongere"]
    rest = [c for c in _dtypes("registraties") if c not in first and c not in SOURCE_COLUMNS]
    return first + rest + list(SOURCE_COLUMNS)


def _finish_registrations(acc: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """Pseudonymise, order columns and sort rows by their content (:func:`registration_order`)."""
    if not len(acc):
        return _frame([], "registraties", [])
    acc = acc.assign(jongere=pseudonym.pseudonymise(acc["nummer_jongere"], key))
    return _frame([acc], "registraties", registration_order())


def showable_columns() -> set[str]:
    """Columns whose values quarantine.csv may show: coded and typed codebook fields.

    Masked are ``nummer_jongere``, free text and every other text column (institution and
    location names), and anything that is not a codebook column.
    """
    return {
        f.name
        for res in ("registraties", "locaties", "bezetting", "beleid")
        for f in codebook.fields(res)
        if f.name == "locatie" or (f.type != "string" and not f.free_text)
    }


def mask_values(lines: pd.DataFrame, show_values: bool = False) -> pd.DataFrame:
    """Quarantine lines with the values of non-showable columns masked (unless ``show_values``)."""
    if show_values or not len(lines):
        return lines
    ok = lines["column"].isin(showable_columns())
    value = lines["value"].fillna("").astype(str)
    return lines.assign(value=value.where(ok | (value == ""), MASK))


def _write_outputs(
    out: Path, tables: dict[str, pd.DataFrame], lines: pd.DataFrame, show_values: bool = False
) -> dict[str, str]:
    """Write every output via a temporary name (no half-written file) and return SHA-256s.

    quarantine.csv masks sensitive values (:func:`mask_values`) and neutralises cells that
    start like a spreadsheet formula (:func:`analysis.core.csvsafe.neutralise`).
    """
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        _write_parquet(df, out / f".{name}.tmp")
        os.replace(out / f".{name}.tmp", out / name)
    lines = lines.sort_values(["file", "row", "column", "reason"], na_position="first", kind="stable")
    lines = neutralise_frame(mask_values(lines.reindex(columns=QUARANTINE_COLUMNS), show_values))
    lines.to_csv(out / ".quarantine.tmp", index=False, lineterminator="\n")
    os.replace(out / ".quarantine.tmp", out / "quarantine.csv")
    return {name: file_digest(out / name) for name in OUTPUTS}


# --- the public entry points ----------------------------------------------------------------
def _aliases(path: Path | None) -> readers.Aliases:
    """Default aliases, or those of ``path``; any problem with the file is one clear line."""
    try:
        return readers.load_aliases(path)
    # Every exception: whatever a user's file makes loading fail on (YAML syntax, wrong types,
    # unknown targets, undecodable bytes, an unreadable file) is one line (IngestError), not a traceback.
    except Exception as exc:
        where = path if path is not None else "resources/aliases.yaml"
        msg = " ".join(str(exc).split())
        raise IngestError(f"aliases file {where} cannot be used: {msg}") from exc


def _aliases_target(folder: discover.MeasurementFolder) -> Path:
    """Where a measurement's own ``aliases.yaml`` is (or would be)."""
    return folder.aliases or (folder.registrations_dir or folder.path / "registraties") / "aliases.yaml"


# --- the stages of a run ----------------------------------------------------------------------
@dataclass(frozen=True)
class Sources:
    """What discovery found: the raw tree, its measurement folders, the key and the aliases.

    ``aliases`` are per measurement (the defaults, the raw root's ``aliases.yaml`` and the
    measurement's own, later ones winning); ``base`` without a measurement's own.
    """

    raw: Path
    tree: discover.RawTree
    found: list[tuple[Measurement, discover.MeasurementFolder]]
    synthetic: bool
    marker_ignored: bool
    key: bytes
    base: readers.Aliases
    aliases: dict[int, readers.Aliases]

    @property
    def measurements(self) -> list[Measurement]:
        """The measurements found, in order."""
        return [m for m, _ in self.found]


def discover_sources(
    raw: Path, out: Path, key: bytes | None, measurements: dict[int, Measurement] | None
) -> Sources:
    """Discover the raw tree and resolve its key and aliases (errors in this order).

    Raises NothingToIngest, IngestError (a measurement folder without params, an output folder
    inside the raw folder, a bad aliases file) or MissingKey, as :func:`run` documents.
    """
    if measurements is None:
        from analysis.core.measurements import load_all

        measurements = load_all()
    tree, found = _discover(raw, measurements)
    if out.resolve() == raw.resolve() or raw.resolve() in out.resolve().parents:
        raise IngestError(f"output folder {out} is inside the raw folder; raw data is never written to")
    synthetic = is_synthetic(raw)
    marker_ignored = (raw / SYNTHETIC_MARKER).is_file() and not synthetic
    key = pseudonym.resolve_key(raw, key)
    base = _aliases(None)
    if tree.aliases is not None:  # the raw root's aliases.yaml: every measurement
        base = base.merged(_aliases(tree.aliases))
    aliases = {
        m.meting: (base.merged(_aliases(folder.aliases)) if folder.aliases else base) for m, folder in found
    }
    return Sources(raw, tree, found, synthetic, marker_ignored, key, base, aliases)


@dataclass(frozen=True)
class Places:
    """``locations.csv`` read and validated: what every other table is checked against."""

    checked: Checked
    table: pd.DataFrame

    @property
    def known(self) -> dict[str, str]:
        """Upper-case location code -> the code as ``locations.csv`` writes it."""
        return {c.upper(): c for c in self.table["locatie"]}

    @property
    def windows(self) -> dict[str, tuple[str, str]]:
        """Location -> (``eerste_maand``, ``laatste_maand``)."""
        return {r.locatie: (r.eerste_maand, r.laatste_maand) for r in self.table.itertuples()}


def read_locations(sources: Sources) -> Places:
    """Read and validate ``locations.csv``; without valid rows nothing can be ingested."""
    path = sources.tree.locations
    found = discover.RawFile(path, discover.display_name(path, sources.tree.root))
    items = load_file(found, "locaties", "locaties", sources.base)
    if items[0].text is None:
        raise NothingToIngest(f"locations.csv cannot be used: {items[0].report.error}")
    checked = _validate(items, "locaties", checks.validate_locations)
    if not len(checked.accepted):
        raise NothingToIngest(
            "locations.csv has no valid rows (every row failed a check; run `compendium ingest` on a corrected file)"
        )
    return Places(checked, checked.accepted.sort_values("locatie").reset_index(drop=True))


@dataclass(frozen=True)
class Batch:
    """The files of one resource of one measurement, read (validated together)."""

    kind: str
    measurement: Measurement
    loaded: list[Loaded]

    @property
    def texts(self) -> list[Text]:
        """The kept text of every table that was read."""
        return [item.text for item in self.loaded if item.text is not None]


def read_exports(sources: Sources) -> tuple[list[Batch], list[str]]:
    """Read every registration file, then each measurement's ``bezetting.csv`` and ``beleid.csv``.

    Returns the batches in that order and the warnings about the tree: files that are not part
    of the raw-data contract, tables a measurement lacks.
    """
    # Files are read one after the other: threads were slower (the csv module holds the GIL).
    batches = []
    for m, folder in sources.found:
        aliases = sources.aliases[m.meting]
        spec = Resource.of("registraties", aliases)
        loaded = [
            item
            for f in folder.registrations
            for item in load_file(f, "registraties", "registraties", aliases, m.meting, spec)
        ]
        batches.append(Batch("registraties", m, loaded))
    warnings = [f"not read (not part of the raw-data contract): {name}" for name in sources.tree.not_read]
    for m, folder in sources.found:
        warnings += [f"not read (not part of the raw-data contract): {name}" for name in folder.not_read]
        for name, kind in (("bezetting.csv", "bezetting"), ("beleid.csv", "beleid")):
            if kind not in folder.tables:
                warnings.append(f"{folder.path.name} has no {name}")
                continue
            path = folder.tables[kind]
            found = discover.RawFile(path, discover.display_name(path, sources.raw))
            batches.append(Batch(kind, m, load_file(found, kind, kind, sources.aliases[m.meting], m.meting)))
    return batches, warnings


def reconcile_labels(batches: list[Batch], sources: Sources, proposal_dir: Path) -> list[Batch]:
    """The batches with their labelled cells prepared (:func:`analysis.ingest.labels.reconcile`).

    Raises :class:`~analysis.ingest.labels.LabelConflict` with every conflict of every file
    (after writing ``aliases.proposed.yaml`` to ``proposal_dir``); removes a stale proposal.
    """
    out, conflicts = [], []
    for batch in batches:
        if batch.kind not in ("registraties", "beleid"):
            out.append(batch)
            continue
        m = batch.measurement.meting
        texts, found = labels.reconcile(batch.texts, batch.kind, sources.aliases[m].labels, m)
        prepared = iter(texts)
        loaded = [
            replace(item, text=next(prepared)) if item.text is not None else item for item in batch.loaded
        ]
        out.append(replace(batch, loaded=loaded))
        conflicts += found
    labels.settle(
        conflicts,
        proposal_dir,
        sources.raw,
        {m.meting: _aliases_target(folder) for m, folder in sources.found},
        {m.meting: folder.aliases for m, folder in sources.found},
        sources.tree.aliases,
    )
    return out


def validate(batch: Batch, places: Places, sources: Sources) -> Checked:
    """Validate one batch against the locations, its measurement's period and aliases."""
    m = batch.measurement
    known, windows, aliases = places.known, places.windows, sources.aliases[m.meting]
    if batch.kind == "registraties":
        rule, args = checks.validate_registrations, (known, {m.meting: m.months()}, aliases.labels, windows)
    elif batch.kind == "bezetting":
        rule, args = checks.validate_occupancy, (known, m.meting, m.months(), windows)
    else:
        rule, args = checks.validate_policy, (known, m.meting, aliases.labels)
    return _validate(batch.loaded, batch.kind, rule, *args)


def derive_tables(places: Places, checked: list[Checked], key: bytes) -> dict[str, pd.DataFrame]:
    """The processed tables (``registrations.parquet`` ...) from the validated batches.

    Registrations are pseudonymised with ``key`` and sorted by content; every table has the
    contract's columns and dtypes, even when empty.
    """
    accepted = {
        kind: [c.accepted for c in checked if c.kind == kind]
        for kind in ("registraties", "bezetting", "beleid")
    }
    return {
        "registrations.parquet": _finish_registrations(_concat(accepted["registraties"]), key),
        "occupancy.parquet": _frame(accepted["bezetting"], "bezetting", ["meting", "locatie", "maand"]),
        "policy.parquet": _frame(accepted["beleid"], "beleid", ["meting", "locatie"]),
        "locations.parquet": places.table,
    }


@dataclass(frozen=True)
class Accounts:
    """Where every row went: file reports, quarantine lines, periods, locations, accounting."""

    files: list[FileReport]
    lines: pd.DataFrame
    periods: dict
    outside: dict
    located: dict
    accounting: dict
    warnings: list[str]


def account(
    sources: Sources,
    places: Places,
    checked: list[Checked],
    tables: dict[str, pd.DataFrame],
    warnings: list[str],
) -> Accounts:
    """Reconcile the run: every file's rows, the period rule, locations, per-measurement accounts.

    ``warnings`` are those about the tree (:func:`read_exports`); the result's warnings add the
    synthetic marker, the period rule, the locations and every file's own, in that order.
    """
    every = [places.checked, *checked]
    loaded = [item for c in every for item in c.loaded]
    files = [item.report for item in loaded]
    lines = _concat([c.lines for c in every])
    ms = sources.measurements
    found = _concat([c.found for c in checked if c.found is not None])
    others = [item for c in checked if c.kind != "registraties" for item in c.loaded]
    periods, outside = period_report(found, lines, others, ms, places.windows)
    reg = tables["registrations.parquet"]
    located, located_warnings = location_report(reg, places.table, ms)
    marker = [
        f"{SYNTHETIC_MARKER} marker present but the tree does not match its manifest: "
        "treated as real data (pseudonymised with your key)"
    ]
    warnings = (
        (marker if sources.marker_ignored else [])
        + period_warnings(periods, outside, ms)
        + located_warnings
        + warnings
        + [f"{f.file}: {w}" for f in files for w in f.warnings]
    )
    order = [c.id for c in checks.CHECKS]
    accounts = gate.accounting(files, lines, reg, tables["occupancy.parquet"], [m.meting for m in ms], order)
    return Accounts(files, lines, periods, outside, located, accounts, warnings)


def write_report(sources: Sources, accounts: Accounts, outputs: dict[str, str], out: Path) -> IngestReport:
    """The run's :class:`IngestReport`, also written to ``out/ingest_report.json``."""
    files, lines = accounts.files, accounts.lines
    report = IngestReport(
        files=files,
        totals=_totals(files),
        quarantined_rows=sum(f.rows_quarantined for f in files),
        quarantine_lines=len(lines),
        synthetic=sources.synthetic,
        exit_code=0,
        measurements=[m.meting for m in sources.measurements],
        outputs=outputs,
        warnings=accounts.warnings,
        periods=accounts.periods,
        accounting=accounts.accounting,
        outside_period=accounts.outside,
        locations=accounts.located,
        key_fingerprint=pseudonym.fingerprint(sources.key),
        reasons={k: int(v) for k, v in lines["check"].value_counts().sort_index().items()},
        out=out,
    )
    text = json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (out / "ingest_report.json").write_text(text, encoding="utf-8")
    return report


def run(
    raw: Path,
    out: Path,
    *,
    key: bytes | None = None,
    measurements: dict[int, Measurement] | None = None,
    show_values: bool = False,
    proposal_dir: Path | None = None,
) -> IngestReport:
    """Ingest the raw tree ``raw`` into processed tables in ``out``.

    The stages: discover the tree (key, aliases); read ``locations.csv`` (validated first, as
    everything is checked against it) and every export; reconcile labels with the codebook;
    validate each measurement's files; derive the processed tables; account for every row;
    write the tables and ``quarantine.csv``; report (``ingest_report.json``).

    Parameters
    ----------
    raw : Path
        Raw-data root in the raw-data contract (``data/raw/README.md``).
    out : Path
        Folder for the processed tables (created; existing outputs are replaced).
    key : bytes, optional
        Pseudonymisation key; default from :func:`analysis.ingest.pseudonym.resolve_key`.
    measurements : dict, optional
        Measurement descriptions; default :func:`analysis.core.measurements.load_all`.
    show_values : bool
        Show the values of sensitive columns in quarantine.csv (default: masked).
    proposal_dir : Path, optional
        Folder for ``aliases.proposed.yaml`` when labels conflict (default ``out``; a build
        passes ``data/processed``, as it ingests into a staging folder discarded on failure).

    Returns
    -------
    IngestReport
        Reconciliation per file and in total; ``exit_code`` 0.

    Raises
    ------
    NothingToIngest
        No raw folder, no ``locations.csv`` or no registration files.
    IngestError
        A ``meting-<N>`` folder without ``params/meting-<N>.yaml`` or a bad aliases file.
    analysis.ingest.labels.LabelConflict
        Labels of the exports differ from the codebook (after ``aliases.proposed.yaml`` is written).
    analysis.ingest.pseudonym.MissingKey
        Real data without a pseudonymisation key.
    """
    raw, out = Path(raw), Path(out)
    sources = discover_sources(raw, out, key, measurements)
    places = read_locations(sources)
    batches, warnings = read_exports(sources)
    batches = reconcile_labels(batches, sources, Path(proposal_dir) if proposal_dir is not None else out)
    checked = [validate(batch, places, sources) for batch in batches]
    tables = derive_tables(places, checked, sources.key)
    accounts = account(sources, places, checked, tables, warnings)
    outputs = _write_outputs(out, tables, accounts.lines, show_values)
    return write_report(sources, accounts, outputs, out)


# --- periods and locations -------------------------------------------------------------------
PERIOD_CHECKS = ("buiten_periode", "buiten_locatieperiode")


def _span(months: pd.Series) -> dict[str, str] | None:
    months = months.dropna()
    return {"first": str(months.min()), "last": str(months.max())} if len(months) else None


def _spans_by_location(found: pd.DataFrame) -> dict[str, dict[str, str] | None]:
    """:func:`_span` of the months of each location, locations in sorted order.

    Why one groupby: a ``_span`` per location took seconds with thousands of locations.
    """
    months = found.dropna(subset=["maand"]).groupby("locatie")["maand"]
    first, last = months.min().to_dict(), months.max().to_dict()
    return {
        loc: {"first": str(first[loc]), "last": str(last[loc])} if loc in first else None
        for loc in sorted(found["locatie"].dropna().unique())
    }


def period_report(
    found: pd.DataFrame,
    lines: pd.DataFrame,
    occupancy_items: list[Loaded],
    measurements: list[Measurement],
    windows: dict[str, tuple[str, str]],
) -> tuple[dict, dict]:
    """Months found per measurement and location, and what the one period rule left out.

    Returns
    -------
    tuple of dict
        ``periods``: ``{"<meting>": {"configured": {first, last}, "found": {first, last} | None,
        "by_location": {"<LOC>": {first, last}}}}`` over every registration that passed the other
        checks; ``outside_period``: ``{"<meting>": {"registrations": n, "occupancy": n,
        "by_location": {"<LOC>": n}}}``, registrations quarantined as ``buiten_periode`` or
        ``buiten_locatieperiode`` (``by_location`` counts registrations) and occupancy rows
        quarantined by the same rule (the contract of ``docs/contracts.md``).
    """
    periods, outside = {}, {}
    if not len(found):
        found = pd.DataFrame(
            {
                "meting": pd.Series(dtype="int64"),
                "locatie": pd.Series(dtype=str),
                "maand": pd.Series(dtype=str),
            }
        )
    occ_files = {i.report.file: i.report.meting for i in occupancy_items if i.report.kind == "bezetting"}
    q = lines[lines["check"].isin(PERIOD_CHECKS) & lines["file"].isin(occ_files)] if len(lines) else lines
    occ_rows = (
        q.drop_duplicates(["file", "row"])["file"].map(occ_files).value_counts()
        if len(q)
        else pd.Series(dtype=int)
    )
    for m in measurements:
        f = found[found["meting"] == m.meting]
        months = m.months()
        out_m = ~f["maand"].isin(months)
        out_loc = ~out_m & checks.outside_location_window(f["locatie"], f["maand"], windows)
        left = f[out_m | out_loc]
        periods[str(m.meting)] = {
            "configured": {"first": m.first_month, "last": m.last_month},
            "found": _span(f["maand"]),
            "by_location": _spans_by_location(f),
        }
        outside[str(m.meting)] = {
            "registrations": int(len(left)),
            "occupancy": int(occ_rows.get(m.meting, 0)),
            "by_location": {str(k): int(v) for k, v in left.groupby("locatie").size().sort_index().items()},
        }
    return periods, outside


def period_warnings(periods: dict, outside: dict, measurements: list[Measurement]) -> list[str]:
    """One warning per measurement with rows left out by the period rule (with the numbers)."""
    out = []
    for m in measurements:
        o, p = outside[str(m.meting)], periods[str(m.meting)]
        if not (o["registrations"] or o["occupancy"]):
            continue
        found = p["found"]
        locs = ", ".join(f"{k} {v}" for k, v in o["by_location"].items())
        out.append(
            f"meting {m.meting}: {o['registrations']} registrations and {o['occupancy']} occupancy rows "
            f"outside the period {m.first_month} to {m.last_month} (params/meting-{m.meting}.yaml) or "
            "their location's eerste_maand - laatste_maand were quarantined as 'buiten periode' and "
            "are left out of every table and model"
            + (f"; months in the data: {found['first']} to {found['last']}" if found else "")
            + (f"; per location: {locs}" if locs else "")
        )
    return out


def location_report(
    reg: pd.DataFrame, locs: pd.DataFrame, measurements: list[Measurement]
) -> tuple[dict, list[str]]:
    """Locations with accepted registrations per measurement against ``expected_locations``.

    Returns ``{"<meting>": {"expected": n, "found": [...], "without_registrations": [...]}}``
    and the warnings: one with the names when the number differs. ``without_registrations``
    lists locations of ``locations.csv`` whose window overlaps the measurement but that
    registered nothing in it.
    """
    out: dict = {}
    warnings = []
    for m in measurements:
        have = sorted(set(reg.loc[reg["meting"] == m.meting, "locatie"]))
        active = sorted(
            r.locatie
            for r in locs.itertuples()
            if r.eerste_maand <= m.last_month and r.laatste_maand >= m.first_month
        )
        silent = [c for c in active if c not in have]
        out[str(m.meting)] = {
            "expected": m.expected_locations,
            "found": have,
            "without_registrations": silent,
        }
        if len(have) < m.expected_locations:
            warnings.append(
                f"meting {m.meting}: registrations from {len(have)} locations, "
                f"{m.expected_locations} expected (params/meting-{m.meting}.yaml); "
                + (
                    f"without registrations: {', '.join(silent)}"
                    if silent
                    else "no other location of locations.csv is active in this period"
                )
            )
        elif len(have) > m.expected_locations:
            warnings.append(
                f"meting {m.meting}: registrations from {len(have)} locations, "
                f"{m.expected_locations} expected (params/meting-{m.meting}.yaml): {', '.join(have)}"
            )
    return out, warnings


def _frame(parts: list[pd.DataFrame], resource: str, order: list[str]) -> pd.DataFrame:
    """Concatenate validated parts with contract columns and dtypes, rows sorted by ``order``."""
    dtypes = _dtypes(resource)
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})
    df = pd.concat(parts, ignore_index=True)[list(dtypes)].astype(dtypes)
    return df.sort_values(order, kind="stable").reset_index(drop=True)


def main(raw: Path | None = None, out: Path | None = None, show_values: bool = False) -> int:
    """Run ingest for the CLI: print the summary (or a one-line reason) and return the exit code."""
    from rich.console import Console

    from analysis.core.paths import default_paths

    console = Console()
    try:
        paths = default_paths() if raw is None or out is None else None
        report = run(raw or paths.raw, out or paths.processed, show_values=show_values)
    except labels.LabelConflict:
        raise  # one line on stderr from the command line: a proposal was written, not "nothing"
    except UserError as exc:
        console.print(f"[red]ingest: nothing processed[/red]: {exc}", soft_wrap=True)
        return 2
    report.print_summary(console)
    return report.exit_code
