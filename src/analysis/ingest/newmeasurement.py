"""``compendium new-measurement N --raw DIR``: describe a new measurement from its exports.

Reads the registration exports of ``DIR/meting-<N>/registraties/`` (the same discovery and
readers as ingest), finds the months and locations in the data and writes
``params/meting-<N>.yaml`` for the user to check: the proposed period, the number of
locations and, as comments, the registrations per month and per location. Nothing is
pseudonymised or stored: only start dates and location codes are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.core.errors import UserError
from analysis.core.measurements import Measurement
from analysis.core.paths import is_location_code
from analysis.ingest import checks, discover, readers
from analysis.core.months import MONTHS_NL, Month

#: A month counts for the proposed period when it holds at least this share of the
#: registrations; why: one mistyped year must not stretch the period by years.
MIN_SHARE = 0.01


@dataclass
class Found:
    """What the exports of one measurement hold."""

    per_month: pd.Series
    per_location: pd.Series
    files: int
    unread: list[str]


def scan(folder: Path, raw: Path) -> Found:
    """Start months and location codes of every readable registration export under ``folder``."""
    from analysis.ingest.process import _aliases, header_test

    aliases = _aliases(None)
    tree = discover.discover(raw)
    if tree.errors:
        raise UserError(tree.errors[0])
    if tree.aliases is not None:  # the raw root's aliases.yaml, as ingest reads it
        aliases = aliases.merged(_aliases(tree.aliases))
    if (folder / "registraties" / "aliases.yaml").is_file():
        aliases = aliases.merged(_aliases(folder / "registraties" / "aliases.yaml"))
    entries = next((m.registrations for m in tree.measurements if m.path == folder), [])
    months, locs, unread, files = [], [], [], 0
    for entry in entries:
        try:
            if entry.problem:
                raise readers.UnreadableFile(entry.problem)
            tables = readers.read_tables(entry.path, header_test("registraties", aliases))
        except readers.UnreadableFile:
            unread.append(entry.display)
            continue
        files += 1
        for t in tables:
            if t.header is None:
                unread.append(entry.display)
                continue
            mapping, _, _ = readers.map_header(t.header, aliases, ["locatie", "datum_start"])
            cols = {c: f"c{i}" for i, c in mapping.items()}
            if "datum_start" in cols:
                months.append(checks.parse_dates(t.frame[cols["datum_start"]].str.strip()))
            if "locatie" in cols:
                locs.append(t.frame[cols["locatie"]].str.strip())
    dates = pd.concat(months) if months else pd.Series(dtype="datetime64[ns]")
    month = dates.dropna().dt.strftime("%Y-%m")
    loc = pd.concat(locs) if locs else pd.Series(dtype=object)
    loc = loc[loc.map(is_location_code)]
    return Found(
        month.value_counts().sort_index(), loc.str.upper().value_counts().sort_index(), files, unread
    )


def propose(meting: int, found: Found) -> Measurement:
    """The measurement description the data suggest (months with >= 1% of the registrations)."""
    total = int(found.per_month.sum())
    if not total:
        raise UserError(
            f"no registration with a readable start date found for meting {meting}; "
            "check the exports (see data/raw/README.md)"
        )
    kept = found.per_month[found.per_month >= MIN_SHARE * total]
    first, last = str(kept.index.min()), str(kept.index.max())

    def name(ym: str) -> str:
        month = Month.parse(ym)
        return f"{MONTHS_NL[month.month - 1]} {month.year}"

    return Measurement(
        meting=meting,
        folder=f"meting-{meting}",
        first_month=first,
        last_month=last,
        expected_locations=max(1, len(found.per_location)),
        label=f"Meting {meting} ({name(first)} - {name(last)})",
    )


def yaml_text(m: Measurement, found: Found) -> str:
    """``params/meting-<N>.yaml`` with the evidence as comments."""
    months = "\n".join(f"#   {k}: {v}" for k, v in found.per_month.items())
    locs = ", ".join(f"{k} {v}" for k, v in found.per_location.items())
    return (
        f"# Measurement {m.meting}, written by `compendium new-measurement {m.meting}` from the exports.\n"
        "# CHECK before building: the period is every month holding at least 1% of the registrations;\n"
        "# registrations outside it (and outside a location's months in locations.csv) are quarantined\n"
        "# as 'buiten periode' and left out of every table and model.\n"
        f"# Registrations per start month ({int(found.per_month.sum())} in {found.files} files):\n{months}\n"
        f"# Locations ({len(found.per_location)}): {locs}\n"
        + (f"# Not read: {', '.join(found.unread)}\n" if found.unread else "")
        + f'meting: {m.meting}\nfolder: {m.folder}\nfirst_month: "{m.first_month}"\n'
        f'last_month: "{m.last_month}"\nexpected_locations: {m.expected_locations}\nlabel: "{m.label}"\n'
    )


def main(meting: int, raw: Path, params: Path, force: bool = False) -> tuple[Path, Measurement, Found]:
    """Write ``params/meting-<meting>.yaml`` from the exports under ``raw``; return what was written.

    Raises
    ------
    UserError
        No folder ``meting-<N>`` with registrations, no start dates, or the file exists
        (without ``force``).
    """
    raw = Path(raw)
    folder = raw / f"meting-{meting}"
    if not folder.is_dir() and discover.METING_DIR.match(raw.name):
        folder, raw = raw, raw.parent
    if not (folder / "registraties").is_dir():
        raise UserError(
            f"{folder}/registraties not found; put the exports of measurement {meting} there first"
        )
    target = Path(params) / f"meting-{meting}.yaml"
    if target.exists() and not force:
        raise UserError(f"{target} exists; check it by hand or pass --force to overwrite it")
    found = scan(folder, raw)
    m = propose(meting, found)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml_text(m, found), encoding="utf-8")
    return target, m, found
