"""``compendium release``: what a researcher may take out of the secure environment.

Output checking in the manner of ACRO / the SDC handbooks: every candidate output (the
report, the factsheets, the results CSVs) is checked, and only files that pass are copied
into ``release/``. Next to them ``release/checks.csv`` and ``release/CHECKS.md`` give, per
file, the rule applied, the number of cells (or values) checked, the number of cells found
suppressed, the outcome and the reason.

Two checks:

1. *No sensitive value.* Values of identifying or free-text columns of the raw exports
   (youth numbers, free text, names: every column that ingest masks in quarantine.csv) and
   the pseudonyms of the processed data must not occur in the file's text (PDF text via
   ``pdftotext``). Values shorter than :data:`MIN_VALUE_LENGTH` characters are not searched
   for: they would match ordinary numbers and words, and a value that short cannot identify
   anyone on its own. For a header-less table every cell with a letter counts as
   sensitive, because its column cannot be known.
2. *Disclosure control.* In a results CSV with a location column or of chapter 2, no shown
   count may be below the build's minimum cell size (:func:`analysis.describe.disclosure.rule_for`)
   unless it is zero; suppressed cells carry the mark
   :data:`analysis.describe.disclosure.SUPPRESSED_MARK`. On the synthetic twin the minimum
   is 0 (it describes no one) and the check says so. Count columns are recognised by name
   (:data:`COUNT_HINTS`); the per-location tables the report links
   (``<build>/results/appendix/*.csv``, released to ``release/results/appendix/``) carry the
   displayed headers, so there the row totals (``Totaal``) are checked but the month columns
   are not: their protection is the build's one decision, which those tables are written after.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd

from analysis.core.paths import Paths
from analysis.core.provenance import is_synthetic
from analysis.describe import disclosure

#: Shorter values are not searched for (see the module docstring).
MIN_VALUE_LENGTH = 5
#: Columns of a results CSV that identify a location.
LOCATION_COLUMNS = ("locatie", "location")
#: Column-name fragments of results CSVs that hold counts (checked against the minimum).
COUNT_HINTS = ("n", "n_registrations", "aantal", "count", "registraties", "totaal", "total")


@dataclass
class FileCheck:
    """Outcome of the checks of one candidate file."""

    file: str
    rule: str
    cells_checked: int
    cells_suppressed: int
    passed: bool
    reason: str


def candidates(paths: Paths) -> list[Path]:
    """Outputs that may leave the secure side: report, factsheets, results CSVs."""
    out = [paths.report_output / "report.html", paths.report_output / "report.pdf"]
    out += sorted(paths.factsheets.glob("*.html")) + sorted(paths.factsheets.glob("*.pdf"))
    # Top level only: results/teaching/ (analysis.models.teaching) is never a candidate; it holds
    # data only from the synthetic twin and person-level frames must not leave the secure side.
    out += sorted((paths.build / "results").glob("*.csv"))
    # Per-location tables moved out of the report (analysis.present.display.location_table):
    # the report links them, so they are released with it when they pass.
    out += sorted(paths.appendix.glob("*.csv"))
    return [p for p in out if p.is_file()]


def _raw_sensitive_values(raw: Path) -> set[str]:
    """Values of masked columns in every raw registration export (see module docstring)."""
    from analysis.ingest import discover, readers
    from analysis.ingest.process import showable_columns

    tree = discover.discover(raw)
    aliases = readers.load_aliases()
    showable = showable_columns()
    values: set[str] = set()
    files = [f for m in tree.measurements for f in m.registrations if not f.problem]
    for found in files:
        try:
            tables = readers.read_tables(found.path, None)
        except readers.UnreadableFile:
            continue  # ingest quarantined it; nothing of it reached an output
        for table in tables:
            frame = table.frame.drop(columns=["bron_rij"], errors="ignore")
            header = table.header
            for pos, col in enumerate(frame.columns):
                name = None
                if header is not None and pos < len(header):
                    name = aliases.columns.get(readers.norm_key(header[pos]), readers.norm_key(header[pos]))
                cells = frame[col].astype(str).str.strip()
                if name is not None and name in showable:
                    continue
                if name is None:  # header-less: a cell with a letter may be anything
                    cells = cells[cells.str.contains(r"[A-Za-z]", regex=True)]
                values |= {c for c in cells if len(c) >= MIN_VALUE_LENGTH}
    return values


def _pseudonyms(processed: Path) -> set[str]:
    path = processed / "registrations.parquet"
    if not path.is_file():
        return set()
    reg = pd.read_parquet(path)
    col = next((c for c in ("jongere", "nummer_jongere", "pseudoniem") if c in reg.columns), None)
    return (
        set()
        if col is None
        else {str(v) for v in reg[col].dropna().unique() if len(str(v)) >= MIN_VALUE_LENGTH}
    )


def file_text(path: Path) -> str:
    """Searchable text of an output (PDF through ``pdftotext``)."""
    if path.suffix.lower() == ".pdf":
        res = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"pdftotext failed on {path.name}")
        return res.stdout
    return path.read_text("utf-8", errors="replace")


def check_values(path: Path, sensitive: set[str]) -> FileCheck:
    """Check 1: no sensitive value occurs in the file's text."""
    text = file_text(path)
    hits = sorted(v for v in sensitive if v in text)
    reason = (
        "no value of an identifying or free-text column found"
        if not hits
        else f"{len(hits)} value(s) of identifying or free-text columns found (values not shown)"
    )
    return FileCheck(
        path.name,
        f"no raw value of a masked column (>= {MIN_VALUE_LENGTH} characters)",
        len(sensitive),
        0,
        not hits,
        reason,
    )


def _count_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if str(c).lower() in COUNT_HINTS or str(c).lower().startswith("n_")]


def check_cells(path: Path, k: int) -> FileCheck:
    """Check 2: counts of registrations in a results CSV respect the minimum cell size ``k``.

    Checked: every table with a location column and every chapter-2 table (``ch2_*``: counts
    of registrations and youths, national ones included, which the build's one disclosure
    decision suppresses; :mod:`analysis.present.publish`).
    """
    rule = f"minimum cell size {k} (secondary suppression by the build's one decision)"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    # Displayed tables (the appendix CSVs) name the column "Locatie" or "Location".
    located = any(str(c).lower() in LOCATION_COLUMNS for c in df.columns)
    if not located and not path.name.startswith(("ch2_", "ch2-")):
        return FileCheck(
            path.name, rule, 0, 0, True, "no table of registrations per location or of chapter 2"
        )
    cols = _count_columns(df)
    cells = df[cols].stack() if cols else pd.Series(dtype=str)
    suppressed = int((cells == disclosure.SUPPRESSED_MARK).sum())
    numbers = pd.to_numeric(cells.where(cells != disclosure.SUPPRESSED_MARK), errors="coerce").dropna()
    small = int(((numbers > 0) & (numbers < k)).sum())
    if k <= 1:
        reason = "synthetic twin: minimum cell size 0, every count may be shown"
    elif small:
        reason = f"{small} shown count(s) below {k}"
    else:
        reason = f"every shown count is 0 or at least {k}"
    return FileCheck(path.name, rule, int(len(cells)), suppressed, small == 0 or k <= 1, reason)


def check_all(paths: Paths, raw: Path | None = None) -> list[FileCheck]:
    """Run both checks on every candidate; a file passes only if both pass."""
    synthetic = is_synthetic(paths.processed)
    k = disclosure.rule_for(synthetic)
    sensitive = _pseudonyms(paths.processed)
    if raw is not None and Path(raw).is_dir():
        sensitive |= _raw_sensitive_values(Path(raw))
    out = []
    for path in candidates(paths):
        first = check_values(path, sensitive)
        if path.suffix == ".csv" and first.passed:
            second = check_cells(path, k)
            out.append(
                FileCheck(
                    path.name,
                    f"{first.rule}; {second.rule}",
                    first.cells_checked + second.cells_checked,
                    second.cells_suppressed,
                    second.passed,
                    f"{first.reason}; {second.reason}",
                )
            )
        else:
            out.append(first)
    return out


def _markdown(checks: Iterable[FileCheck]) -> str:
    rows = [
        "| file | rule | cells checked | cells suppressed | released | reason |",
        "|---|---|---|---|---|---|",
    ]
    rows += [
        f"| {c.file} | {c.rule} | {c.cells_checked} | {c.cells_suppressed} | {'yes' if c.passed else 'NO'} | "
        f"{c.reason} |"
        for c in checks
    ]
    return "# Output check of this release\n\n" + "\n".join(rows) + "\n"


def release(paths: Paths, raw: Path | None = None, out: Path | None = None) -> list[FileCheck]:
    """Copy the outputs that pass into ``out`` (default ``<root>/release``) with the check report.

    The folder is emptied first, so it never holds a file from an earlier release that
    would not pass today.
    """
    out = Path(out) if out is not None else paths.root / "release"
    checks = check_all(paths, raw)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    by_name = {p.name: p for p in candidates(paths)}
    for c in checks:
        if c.passed:
            src = by_name[c.file]
            sub = out / src.parent.name if src.parent.name in ("factsheets", "results") else out
            if src.parent == paths.appendix:
                sub = out / "results" / src.parent.name
            sub.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, sub / src.name)
    buf = io.StringIO()
    w = csv.DictWriter(
        buf, fieldnames=list(asdict(checks[0]).keys()) if checks else ["file"], lineterminator="\n"
    )
    w.writeheader()
    for c in checks:
        w.writerow(
            {
                k: (f"'{v}" if isinstance(v, str) and re.match(r"[=+\-@]", v) else v)
                for k, v in asdict(c).items()
            }
        )
    (out / "checks.csv").write_text(buf.getvalue(), encoding="utf-8")
    (out / "CHECKS.md").write_text(_markdown(checks), encoding="utf-8")
    return checks
