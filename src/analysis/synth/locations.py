"""Pseudonymous locations of the synthetic twin, their facilities and roles.

Everything here is invented: codes ``L01``-``L18``, names ``Locatie A``-``Locatie R`` and
institutions ``Instelling 1``-``Instelling 10``. Only the *structure* follows the report
(18 locations in 10 institutions, one institution with 6 locations; section 2.5 facility
counts; one closing, one late-starting and one location without youth numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Locations per institution (10 institutions, one with 6 locations; sums to 18).
INSTITUTION_SIZES: tuple[int, ...] = (2, 1, 6, 2, 1, 1, 1, 1, 2, 1)

# Roles (why these codes: spread over institutions; the closing site sits in the large
# institution, as a large organisation is the most plausible one to close a site).
CLOSING = "L05"  #: closes per January 2021 (registers Sep-Dec 2020)
LATE_START = "L13"  #: starts two months late (registers Nov 2020-Feb 2021)
NO_YOUTH_ID = "L15"  #: registers no youth numbers in measurement 2
NO_POLICY = "L16"  #: supplied no planned-seclusion policy (beleid gegevens = 0)
NO_UNPLANNED = "L08"  #: no longer uses unplanned seclusion (stops after October 2020)
MAX_YOUTH_LOC = "L01"  #: holds the youth with 38 registrations

#: Isolation rooms in use per location (6 locations, 14 rooms; section 2.5).
ISOLATION_ROOMS: dict[str, int] = {"L01": 3, "L03": 2, "L04": 2, "L10": 3, "L12": 2, "L17": 2}
#: Locations with an 'other' seclusion room: 6 without an isolation room (section 2.5) plus
#: four isolation-room locations that also have one (not stated in the report; assumed: the
#: isolation-vs-other contrast is estimated on locations with both rooms and needs enough of them).
OTHER_ROOM: frozenset[str] = frozenset({"L02", "L06", "L11", "L14", "L15", "L18", "L01", "L10", "L12", "L17"})

#: Measurement-2 registrations per location (sums to 1613; L15 = 1613 - 1434 = 179).
M2_TOTALS: dict[str, int] = {
    "L01": 170,
    "L02": 80,
    "L03": 120,
    "L04": 110,
    "L05": 40,
    "L06": 75,
    "L07": 60,
    "L08": 6,
    "L09": 65,
    "L10": 150,
    "L11": 70,
    "L12": 90,
    "L13": 110,
    "L14": 55,
    "L15": 179,
    "L16": 50,
    "L17": 100,
    "L18": 83,
}
#: Mean occupancy per location (youths), before monthly variation.
BASE_OCCUPANCY: dict[str, float] = {
    "L01": 52,
    "L02": 30,
    "L03": 44,
    "L04": 40,
    "L05": 24,
    "L06": 34,
    "L07": 36,
    "L08": 20,
    "L09": 38,
    "L10": 48,
    "L11": 32,
    "L12": 40,
    "L13": 42,
    "L14": 30,
    "L15": 56,
    "L16": 34,
    "L17": 41,
    "L18": 36,
}


@dataclass(frozen=True)
class Location:
    """One pseudonymous location."""

    code: str
    institution: str
    name: str
    isolation_rooms: int
    other_room: bool


def locations() -> list[Location]:
    """The 18 pseudonymous locations in code order."""
    out: list[Location] = []
    i = 0
    for inst, size in enumerate(INSTITUTION_SIZES, start=1):
        for _ in range(size):
            code = f"L{i + 1:02d}"
            out.append(
                Location(
                    code,
                    f"Instelling {inst}",
                    f"Locatie {chr(ord('A') + i)}",
                    ISOLATION_ROOMS.get(code, 0),
                    code in OTHER_ROOM,
                )
            )
            i += 1
    return out


def codes() -> list[str]:
    """Location codes ``L01``..``L18``."""
    return [loc.code for loc in locations()]


def active_months(code: str, months: list[str], meting: int) -> list[str]:
    """Months in which ``code`` registers during ``meting``.

    Measurement 2 has the closing and the late-starting location (4 months each); in other
    measurements every location registers all months (an assumption: the report does not
    describe measurement 1 per location).
    """
    if meting == 2 and code == CLOSING:
        return months[:4]
    if meting == 2 and code == LATE_START:
        return months[2:]
    return list(months)


def locations_table(first_month: str, last_month: str) -> pd.DataFrame:
    """``locations.csv``: locatie;instelling;naam;eerste_maand;laatste_maand.

    One row per location across all measurements; the closing location's last month is
    December 2020. The late start in measurement 2 cannot be expressed here (the location
    registered all of measurement 1) and is documented in ``docs/synthetic-twin.md``.
    """
    rows = []
    for loc in locations():
        last = "2020-12" if loc.code == CLOSING else last_month
        rows.append((loc.code, loc.institution, loc.name, first_month, last))
    return pd.DataFrame(rows, columns=["locatie", "instelling", "naam", "eerste_maand", "laatste_maand"])


def facilities_table() -> pd.DataFrame:
    """Facility facts of section 2.5 per location (written to ``meting-2/faciliteiten.csv``).

    Columns: ``isoleerruimtes`` (rooms in use), ``overige_ruimte`` (0/1) and
    ``ongepland_afzonderen`` (0 for the one location that no longer uses unplanned seclusion
    by the end of stage 3; it still registered a few in September-October 2020, which is how
    18 registering locations and 'one location no longer secludes' fit together).
    """
    rows = []
    for loc in locations():
        rows.append(
            (loc.code, loc.isolation_rooms, int(loc.other_room), 0 if loc.code == NO_UNPLANNED else 1)
        )
    return pd.DataFrame(rows, columns=["locatie", "isoleerruimtes", "overige_ruimte", "ongepland_afzonderen"])


def occupancy(
    months_by_loc: dict[str, list[str]],
    target_total_tenths: int | None,
    rng: np.random.Generator,
    level: float = 1.0,
) -> pd.DataFrame:
    """Monthly mean occupancy per location with one decimal.

    Parameters
    ----------
    months_by_loc : dict
        Location code -> months it reports occupancy for.
    target_total_tenths : int or None
        If given, the sum of all values in tenths (e.g. 41286 for 6 x 688.1); the last cell
        absorbs the rounding difference so the published mean total is exact.
    rng : Generator
        Random source.
    level : float
        Multiplier of the base occupancy (measurement-specific level).

    Returns
    -------
    DataFrame
        ``locatie``, ``maand``, ``tienden`` (occupancy in tenths, integer; exact arithmetic).
    """
    rows = []
    for code, months in months_by_loc.items():
        base = BASE_OCCUPANCY[code] * level
        for m in months:
            rows.append((code, m, int(round(base * (1 + rng.normal(0, 0.05)) * 10))))
    df = pd.DataFrame(rows, columns=["locatie", "maand", "tienden"])
    if target_total_tenths is not None:
        # Scale proportionally, then put the integer remainder on the largest cells so the
        # published mean total (688.1) holds to the tenth.
        scaled = df["tienden"] * target_total_tenths / df["tienden"].sum()
        df["tienden"] = np.floor(scaled).astype(int)
        short = target_total_tenths - int(df["tienden"].sum())
        order = np.argsort(-(scaled - df["tienden"]).to_numpy(), kind="stable")[:short]
        df.loc[df.index[order], "tienden"] += 1
    return df
