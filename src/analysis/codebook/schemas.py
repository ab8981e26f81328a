"""pandera schemas of the processed tables, built from the codebook.

The processed tables (``data/processed/*.parquet``, written by ingest) are the contract
between ingestion and every analysis. Their columns, types and allowed codes are not typed
out here: each schema is derived from ``codebook/datapackage.json``:

* ``registrations``: the resource ``registraties_verwerkt``; a column that shares its name
  with a categorical field of ``registraties`` may only hold that field's codes;
* ``occupancy``, ``policy``: ``meting`` plus the fields of ``bezetting`` / ``beleid``;
* ``locations``: the fields of ``locaties`` (a ``meting`` column is allowed, not required).

Frictionless types map to pandera checks: ``yearmonth`` must read ``YYYY-MM``, ``integer``
codes must be codes of the field, ``boolean`` must be true/false, ``list`` fields hold
``|``-separated codes. :func:`analysis.describe.load` checks every table it loads.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd
import pandera.pandas as pa

from analysis import codebook

#: Processed table -> (codebook resource, extra leading columns as codebook fields).
_MEASUREMENT = {"name": "meting", "type": "integer", "constraints": {"required": True}}
TABLES: dict[str, tuple[str, tuple[dict[str, Any], ...]]] = {
    "registrations": ("registraties_verwerkt", ()),
    "occupancy": ("bezetting", (_MEASUREMENT,)),
    "policy": ("beleid", (_MEASUREMENT,)),
    "locations": ("locaties", ()),
}
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
#: Columns whose value must be present in every processed row, beyond the codebook's
#: ``required`` constraints (ingest derives them; a missing one is an ingest bug).
DERIVED_REQUIRED = {
    "registrations": ("meting", "locatie", "start", "maand", "uur", "bron_bestand", "bron_rij")
}


def _codes(table: str, name: str, resource: str) -> tuple[int, ...]:
    """Allowed codes of a column: its own categories, or those of the raw registration field."""
    own = [f for f in codebook.fields(resource) if f.name == name and f.categories]
    if own:
        return own[0].codes
    if table == "registrations":
        raw = [f for f in codebook.fields("registraties") if f.name == name and f.categories]
        if raw:
            return raw[0].codes
    return ()


def _list_ok(codes: tuple[int, ...]):
    allowed = {str(c) for c in codes}

    def check(value: object) -> bool:
        if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
            return True
        parts = [p.strip() for p in str(value).split("|") if p.strip()]
        return all(p in allowed for p in parts)

    return check


def _column(table: str, d: dict[str, Any], resource: str) -> pa.Column:
    """pandera column for one codebook field (values checked, dtypes left to the loader)."""
    name, kind = d["name"], d["type"]
    required = bool(d.get("constraints", {}).get("required")) or name in DERIVED_REQUIRED.get(table, ())
    checks: list[pa.Check] = []
    codes = _codes(table, name, resource)
    if kind == "yearmonth":
        checks.append(pa.Check.str_matches(MONTH_PATTERN, error="YYYY-MM"))
    elif kind == "list" and codes:
        checks.append(
            pa.Check(_list_ok(codes), element_wise=True, error=f"codes {list(codes)} separated by '|'")
        )
    elif codes:
        checks.append(pa.Check.isin(list(codes), error=f"codebook codes {list(codes)}"))
    elif kind == "boolean":
        checks.append(pa.Check.isin([True, False], error="true/false"))
    if name == "uur":
        checks.append(pa.Check.in_range(0, 23, error="hour 0-23"))
    minimum = d.get("constraints", {}).get("minimum")
    if minimum is not None:
        checks.append(pa.Check.ge(minimum, error=f">= {minimum}"))
    return pa.Column(None, checks=checks, nullable=not required, required=True, name=name)


@lru_cache(maxsize=None)
def schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema of a processed table (``registrations``, ``occupancy``, ...).

    Parameters
    ----------
    table : str
        Key of :data:`TABLES`.

    Returns
    -------
    pandera.DataFrameSchema
        One column per codebook field (extra columns allowed); checks as in the module
        docstring. Dtypes are not enforced: the loader converts them after the check.
    """
    resource, extra = TABLES[table]
    fields = [*extra, *codebook.resource(resource)["schema"]["fields"]]
    # Free-text and identifying raw fields never reach processed tables.
    fields = [d for d in fields if not d.get("free_text") and not d.get("pii")]
    columns = {d["name"]: _column(table, d, resource) for d in fields}
    return pa.DataFrameSchema(columns, name=table, strict=False)


def columns(table: str) -> list[str]:
    """Column names of a processed table, in codebook order."""
    return list(schema(table).columns)


def code_columns(table: str) -> list[str]:
    """Columns of a processed table that hold single codebook codes."""
    resource, extra = TABLES[table]
    return [
        d["name"]
        for d in [*extra, *codebook.resource(resource)["schema"]["fields"]]
        if d["name"] in columns(table) and d["type"] == "integer" and _codes(table, d["name"], resource)
    ]


def flag_columns(table: str = "registrations") -> list[str]:
    """Boolean columns of a processed table (the quality flags of registrations)."""
    resource, _ = TABLES[table]
    return [d["name"] for d in codebook.resource(resource)["schema"]["fields"] if d["type"] == "boolean"]
