"""Read the processed tables of one measurement and check them against the contract.

The descriptive functions trust their input; this module is where that trust is earned.
Every table is checked with its pandera schema, built from the codebook
(:mod:`analysis.codebook.schemas`): a column that is missing, a code outside the codebook or
a month in the wrong form stops the notebook here with a message naming the table and
column, instead of producing a wrong figure further on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

import pandera.errors

from analysis.core.errors import ProjectError
from analysis.codebook import schemas
from analysis.core.provenance import is_synthetic

#: Column lists of the processed tables, from the codebook (see analysis.codebook.schemas).
CODE_COLUMNS = schemas.code_columns("registrations")
FLAG_COLUMNS = schemas.flag_columns("registrations")
LOCATION_COLUMNS = schemas.columns("locations")
POLICY_CODES = schemas.code_columns("policy")


class ContractError(ProjectError, ValueError):
    """A processed table does not match ``docs/contracts.md``."""

    hint = "run `compendium build --force` so that ingest writes data/processed/ anew"


@dataclass(frozen=True)
class MeasurementData:
    """Processed tables of one measurement, restricted to its period.

    Attributes
    ----------
    meting : int
        Measurement number.
    months : list of str
        Months of the period (``YYYY-MM``).
    registrations, occupancy, locations : DataFrame
        Rows of this measurement and period.
    policy : DataFrame or None
        Policy rows, or None when the measurement has no policy data (measurement 1).
    synthetic : bool
        True when the tables come from the synthetic twin.
    n_outside_period : int
        Registrations of the measurement dropped because they start outside the period.
    """

    meting: int
    months: list[str]
    registrations: pd.DataFrame
    occupancy: pd.DataFrame
    locations: pd.DataFrame
    policy: pd.DataFrame | None
    synthetic: bool
    n_outside_period: int


def _require(df: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ContractError(f"{table}: missing column(s) {missing}; see docs/contracts.md")


def _numeric_codes(df: pd.DataFrame, columns: Sequence[str], table: str) -> pd.DataFrame:
    """Codes as Int64; a text that is not a number is a contract error (not a silent NA)."""
    _require(df, schemas.columns(table), table)
    out = df.copy()
    for col in columns:
        values = pd.to_numeric(out[col], errors="coerce")
        if (values.isna() & out[col].notna()).any():
            raise ContractError(f"{table}.{col}: non-numeric codes")
        out[col] = values.astype("Int64")
    return out


def check(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Check ``df`` with the pandera schema of ``table``; raise :class:`ContractError` on failure.

    Parameters
    ----------
    df : DataFrame
        A processed table (codes already numeric).
    table : str
        ``registrations``, ``occupancy``, ``locations`` or ``policy``.

    Returns
    -------
    DataFrame
        ``df`` unchanged.

    Raises
    ------
    ContractError
        Naming the table, each failing column and check, and up to three offending values.
    """
    _require(df, schemas.columns(table), table)
    try:
        schemas.schema(table).validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        lines = []
        for (col, chk), g in cases.groupby(["column", "check"], sort=False, dropna=False):
            values = ", ".join(repr(v) for v in list(g["failure_case"].drop_duplicates())[:3])
            lines.append(f"{table}.{col}: {chk} (e.g. {values})")
        raise ContractError("; ".join(lines) + "; see docs/contracts.md") from None
    return df


def validate_registrations(reg: pd.DataFrame) -> pd.DataFrame:
    """Check the registrations table and return it with Int64 codes and datetime starts.

    Raises
    ------
    ContractError
        When a column is missing, a code is unknown or a month or hour is malformed.
    """
    out = check(_numeric_codes(reg, CODE_COLUMNS, "registrations"), "registrations")
    out["start"] = pd.to_datetime(out["start"])
    out["eind"] = pd.to_datetime(out["eind"])
    out["maand"] = out["maand"].astype(str)
    out["uur"] = pd.to_numeric(out["uur"]).astype(int)  # present and 0-23: checked by the schema
    out["duur_min"] = pd.to_numeric(out["duur_min"], errors="coerce").astype(float)
    # Pseudonyms stay strings; an empty string would look like a youth, so it becomes NA.
    out["jongere"] = out["jongere"].astype("string").replace("", pd.NA)
    for col in FLAG_COLUMNS:
        out[col] = out[col].fillna(False).astype(bool)
    return out


def validate_policy(policy: pd.DataFrame) -> pd.DataFrame:
    """Check the policy table (codes of the ``beleid`` resource, months of closure)."""
    return check(_numeric_codes(policy, POLICY_CODES, "policy"), "policy")


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise ContractError(f"{path} does not exist; run `compendium ingest` first")
    return pd.read_parquet(path)


def load_policy(processed: Path, meting: int) -> pd.DataFrame | None:
    """Policy rows of one measurement, or None when there are none (no file or no rows)."""
    path = Path(processed) / "policy.parquet"
    if not path.exists():
        return None
    policy = pd.read_parquet(path)
    _require(policy, ["meting"], "policy")
    policy = policy[policy["meting"] == meting]
    return validate_policy(policy).reset_index(drop=True) if len(policy) else None


def policy_measurements(processed: Path) -> list[int]:
    """Measurements with at least one policy row (``beleid.csv`` delivered), in order."""
    path = Path(processed) / "policy.parquet"
    if not path.exists():
        return []
    policy = pd.read_parquet(path, columns=["meting"])
    return sorted(int(m) for m in policy["meting"].dropna().unique())


def policy_measurement(processed: Path, meting: int) -> int | None:
    """The latest measurement up to ``meting`` with policy rows (``meting`` itself when it has them).

    ``beleid.csv`` is not delivered every measurement (measurement 1 has none); chapter 1 then
    describes the latest earlier measurement that has one and says so. None when there is none.
    """
    earlier = [m for m in policy_measurements(processed) if m <= meting]
    return earlier[-1] if earlier else None


def load_measurement(processed: Path, meting: int, months: Sequence[str]) -> MeasurementData:
    """Read, validate and restrict the processed tables to one measurement and period.

    Parameters
    ----------
    processed : Path
        Folder with the processed tables.
    meting : int
        Measurement number.
    months : sequence of str
        Months of the period; registrations starting in other months are left out (and
        counted in ``n_outside_period``) because chapter 2 describes one period.

    Returns
    -------
    MeasurementData
    """
    processed = Path(processed)
    months = list(months)
    reg = validate_registrations(_read(processed / "registrations.parquet"))
    reg = reg[reg["meting"] == meting]
    in_period = reg["maand"].isin(months)
    occ = check(_read(processed / "occupancy.parquet"), "occupancy")
    occ = occ[(occ["meting"] == meting) & occ["maand"].astype(str).isin(months)]
    locs = check(_read(processed / "locations.parquet"), "locations")
    if "meting" in locs.columns:
        locs = locs[locs["meting"] == meting]
    return MeasurementData(
        meting=meting,
        months=months,
        registrations=reg[in_period].reset_index(drop=True),
        occupancy=occ.reset_index(drop=True),
        locations=locs.reset_index(drop=True),
        policy=load_policy(processed, meting),
        synthetic=is_synthetic(processed),
        n_outside_period=int((~in_period).sum()),
    )
