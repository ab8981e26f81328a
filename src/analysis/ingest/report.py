"""Reconciliation records of an ingest run (``ingest_report.json``) and their summary.

Split from :mod:`analysis.ingest.process` so that the reading/validation code and the reporting
of what happened to every row live in separate, small modules.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from analysis.ingest import checks


@dataclass(frozen=True)
class FileReport:
    """Reconciliation of one input file: rows read = rows accepted + rows quarantined.

    Frozen: each stage of ingest that learns more about a file makes a new report
    (:func:`dataclasses.replace`), so no report changes under a function that holds it.
    """

    file: str
    kind: str
    sha256: str
    meting: int | None = None
    format: str = ""
    encoding: str | None = None
    separator: str | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    blank_rows: int = 0
    title_rows: int = 0
    physical_lines: int | None = None
    header_row: int | None = None
    rows_counted: bool = True
    columns: dict[str, str] = field(default_factory=dict)
    columns_ignored: list[str] = field(default_factory=list)
    columns_missing: list[str] = field(default_factory=list)
    free_text_dropped: list[str] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class IngestReport:
    """What ingest read, accepted, quarantined and wrote (``ingest_report.json``)."""

    files: list[FileReport]
    totals: dict[str, dict[str, int]]
    quarantined_rows: int
    quarantine_lines: int
    synthetic: bool
    exit_code: int
    measurements: list[int]
    outputs: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    periods: dict[str, Any] = field(default_factory=dict)
    #: Per measurement: read, accepted, quarantined by reason, outside the period, duplicates,
    #: location-months without occupancy, repeated files (:func:`analysis.ingest.gate.accounting`).
    accounting: dict[str, Any] = field(default_factory=dict)
    outside_period: dict[str, Any] = field(default_factory=dict)
    locations: dict[str, Any] = field(default_factory=dict)
    key_fingerprint: str = ""
    out: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (no paths, no timestamps: outputs stay byte-identical)."""
        d = _plain(self)
        d.pop("out")
        return d

    def print_summary(self, console: Any = None) -> None:
        """Print a one-screen summary with rich (totals, files with problems, top reasons)."""
        from rich.console import Console
        from rich.table import Table

        console = console or Console()
        head = "[bold]Ingest[/bold]" + (" [yellow](synthetic twin)[/yellow]" if self.synthetic else "")
        console.print(f"{head} -> {self.out}" if self.out else head)
        t = Table("data", "files", "rows read", "accepted", "quarantined", box=None)
        for kind, v in self.totals.items():
            t.add_row(
                kind, *(f"{v[k]:,}" for k in ("files", "rows_read", "rows_accepted", "rows_quarantined"))
            )
        console.print(t)
        bad = [f for f in self.files if f.rows_quarantined or f.error]
        if bad:
            ft = Table("file", "read", "quarantined", "problem", box=None, title="Files with problems")
            for f in sorted(bad, key=lambda f: -f.rows_quarantined)[:8]:
                ft.add_row(f.file, str(f.rows_read), str(f.rows_quarantined), f.error or "")
            if len(bad) > 8:
                ft.add_row(f"... {len(bad) - 8} more (see ingest_report.json)", "", "", "")
            console.print(ft)
        if self.reasons:
            console.print(
                "Quarantine reasons (lines): " + ", ".join(f"{k} {v:,}" for k, v in self.reasons.items())
            )
        flags = {k: sum(f.flags.get(k, 0) for f in self.files) for k in checks.FLAGS}
        console.print("Kept with flag: " + ", ".join(f"{k} {v:,}" for k, v in flags.items()))
        for w in self.warnings[:5]:
            console.print(f"[yellow]warning[/yellow] {w}")
        console.print(f"Exit code {self.exit_code}; details in quarantine.csv and ingest_report.json")


def totals(files: list[FileReport]) -> dict[str, dict[str, int]]:
    """Rows read/accepted/quarantined per kind of file and over all files."""
    out: dict[str, dict[str, int]] = {}
    for f in files:
        for kind in (f.kind, "all"):
            t = out.setdefault(
                kind,
                {
                    "files": 0,
                    "files_not_processed": 0,
                    "rows_read": 0,
                    "rows_accepted": 0,
                    "rows_quarantined": 0,
                },
            )
            t["files"] += 1
            t["files_not_processed"] += f.error is not None
            t["rows_read"] += f.rows_read
            t["rows_accepted"] += f.rows_accepted
            t["rows_quarantined"] += f.rows_quarantined
    return {k: out[k] for k in [*(k for k in out if k != "all"), "all"]}


def _plain(value: Any) -> Any:
    """What :func:`dataclasses.asdict` gives for ``value``, without deep-copying every leaf.

    Why: with thousands of file reports ``asdict`` took longer than reading the files.
    """
    if value is None or isinstance(value, (str, int, float)):
        return value  # immutable: asdict's deepcopy returns the object itself
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return type(value)((_plain(k), _plain(v)) for k, v in value.items())
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*[_plain(v) for v in value])
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return copy.deepcopy(value)
