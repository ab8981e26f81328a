"""Read the processed tables of one measurement and check them against the contract.

The descriptive functions trust their input; this module is where that trust is earned.
A column that is missing, a code outside the codebook or a month in the wrong form stops
the notebook here with a message naming the table and column, instead of producing a
wrong figure further on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from analysis import codebook
from analysis.core.provenance import is_synthetic

CODE_COLUMNS = ["aanleiding", "doel", "ruimte", "beheer_ruimte", "contact", "evaluatie_1",
                "evaluatie_2", "aanvulling_jongere"]
FLAG_COLUMNS = ["vlag_duur_2359", "vlag_eind_voor_start", "vlag_duur_boven_24u",
                "vlag_buiten_periode", "vlag_dubbel"]
REGISTRATION_COLUMNS = ["meting", "locatie", "jongere", "start", "eind", "maand", "uur",
                        "duur_min", *CODE_COLUMNS, *FLAG_COLUMNS, "bron_bestand", "bron_rij"]
OCCUPANCY_COLUMNS = ["meting", "locatie", "maand", "gemiddelde_bezetting"]
LOCATION_COLUMNS = ["locatie", "eerste_maand", "laatste_maand"]
POLICY_COLUMNS = ["meting", "locatie", "gegevens", "rustmomenten", "verandering_overdag",
                  "ambitie_overdag", "verandering_nacht", "nacht_deur", "gesloten_per",
                  "bevorderende_factoren", "belemmerende_factoren"]
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ContractError(ValueError):
    """A processed table does not match ``docs/contracts.md``."""


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


def _check_codes(df: pd.DataFrame, columns: Sequence[str], table: str, resource: str) -> None:
    for col in columns:
        values = pd.to_numeric(df[col], errors="coerce")
        if (values.isna() & df[col].notna()).any():
            raise ContractError(f"{table}.{col}: non-numeric codes")
        bad = set(values.dropna().astype(int)) - set(codebook.field(col, resource).codes)
        if bad:
            raise ContractError(f"{table}.{col}: codes {sorted(bad)} not in the codebook")


def _check_months(series: pd.Series, table: str, col: str) -> None:
    bad = series.dropna().astype(str).map(lambda s: not _MONTH.match(s))
    if bad.any():
        raise ContractError(f"{table}.{col}: {series[bad.index[bad]].iloc[0]!r} is not YYYY-MM")


def validate_registrations(reg: pd.DataFrame) -> pd.DataFrame:
    """Check the registrations table and return it with Int64 codes and datetime starts.

    Raises
    ------
    ContractError
        When a column is missing, a code is unknown or a month or hour is malformed.
    """
    _require(reg, REGISTRATION_COLUMNS, "registrations")
    _check_codes(reg, CODE_COLUMNS, "registrations", "registraties")
    _check_months(reg["maand"], "registrations", "maand")
    out = reg.copy()
    for col in CODE_COLUMNS:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
    out["start"] = pd.to_datetime(out["start"])
    out["eind"] = pd.to_datetime(out["eind"])
    out["maand"] = out["maand"].astype(str)
    hours = pd.to_numeric(out["uur"], errors="coerce")
    if hours.isna().any() or not hours.between(0, 23).all():
        raise ContractError("registrations.uur: hours must be 0-23 and present")
    out["uur"] = hours.astype(int)
    out["duur_min"] = pd.to_numeric(out["duur_min"], errors="coerce").astype(float)
    # Pseudonyms stay strings; an empty string would look like a youth, so it becomes NA.
    out["jongere"] = out["jongere"].astype("string").replace("", pd.NA)
    for col in FLAG_COLUMNS:
        out[col] = out[col].fillna(False).astype(bool)
    return out


def validate_policy(policy: pd.DataFrame) -> pd.DataFrame:
    """Check the policy table (codes of the ``beleid`` resource, months of closure)."""
    _require(policy, POLICY_COLUMNS, "policy")
    codes = ["gegevens", "rustmomenten", "verandering_overdag", "ambitie_overdag",
             "verandering_nacht", "nacht_deur"]
    _check_codes(policy, codes, "policy", "beleid")
    _check_months(policy["gesloten_per"], "policy", "gesloten_per")
    out = policy.copy()
    for col in codes:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
    return out


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
    occ = _read(processed / "occupancy.parquet")
    _require(occ, OCCUPANCY_COLUMNS, "occupancy")
    occ = occ[(occ["meting"] == meting) & occ["maand"].astype(str).isin(months)]
    locs = _read(processed / "locations.parquet")
    _require(locs, LOCATION_COLUMNS, "locations")
    if "meting" in locs.columns:
        locs = locs[locs["meting"] == meting]
    return MeasurementData(
        meting=meting, months=months, registrations=reg[in_period].reset_index(drop=True),
        occupancy=occ.reset_index(drop=True), locations=locs.reset_index(drop=True),
        policy=load_policy(processed, meting), synthetic=is_synthetic(processed),
        n_outside_period=int((~in_period).sum()),
    )
