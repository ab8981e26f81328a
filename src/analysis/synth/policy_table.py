"""Planned-seclusion policy per location (``meting-2/beleid.csv``), chapter 1 exactly.

Resolution of the chapter-1 counts into one consistent table (17 locations with data):

* daytime change: 3 dropped, 6 adjusted, 2 both, 6 unchanged;
* rest moments (end of measurement): the 5 'night rest only' are the 3 dropped + 2 both
  (they dropped their daytime moments); the 6 adjusted keep one daytime moment; of the 6
  unchanged, 4 have one daytime moment and 2 have two (section 1.1.1) -> 5 / 10 / 2;
* all 6 unchanged state an ambition to change daytime rest (ambitie_overdag = 1); the
  changed locations 0 (they already changed);
* night: 4 door opened, 2 ambition, 11 unchanged of which 5 already open and 6 locked;
  the closing location (per January 2021) is both 'daytime unchanged' and 'night locked',
  as both paragraphs of section 1.1 say;
* every promoting and hindering factor (codes 1-5) is named by at least one location.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.synth import locations as L

COLUMNS = [
    "locatie",
    "gegevens",
    "rustmomenten",
    "verandering_overdag",
    "ambitie_overdag",
    "verandering_nacht",
    "nacht_deur",
    "gesloten_per",
    "bevorderende_factoren",
    "belemmerende_factoren",
]

# (verandering_overdag, rustmomenten) for the 17 locations with data; the closing location
# takes the first 'unchanged, one daytime moment' profile.
_DAY_PROFILES: list[tuple[int, int]] = (
    [(4, 2)] * 4 + [(4, 3)] * 2 + [(1, 1)] * 3 + [(2, 2)] * 6 + [(3, 1)] * 2
)
# (verandering_nacht, nacht_deur); 0 = empty. The closing location takes a 'locked' profile.
_NIGHT_PROFILES: list[tuple[int, int]] = [(3, 2)] * 6 + [(3, 1)] * 5 + [(1, 0)] * 4 + [(2, 0)] * 2


def policy_table(rng: np.random.Generator) -> pd.DataFrame:
    """The ``beleid`` rows of measurement 2 (codes; empty = not applicable / no data)."""
    with_data = [c for c in L.codes() if c != L.NO_POLICY]
    others = [c for c in with_data if c != L.CLOSING]
    # closing location first so it gets the 'unchanged' day profile and a 'locked' night
    day_order = [L.CLOSING] + list(rng.permutation(others))
    night_order = [L.CLOSING] + list(rng.permutation(others))
    day = dict(zip(day_order, _DAY_PROFILES))
    night = dict(zip(night_order, _NIGHT_PROFILES))
    promoting = _factor_lists(with_data, rng)
    hindering = _factor_lists(with_data, rng)
    rows = []
    for c in L.codes():
        if c == L.NO_POLICY:
            rows.append([c, 0] + [""] * (len(COLUMNS) - 2))
            continue
        vo, rm = day[c]
        vn, deur = night[c]
        rows.append(
            [
                c,
                1,
                rm,
                vo,
                int(vo == 4),
                vn,
                deur or "",
                "2021-01" if c == L.CLOSING else "",
                promoting[c],
                hindering[c],
            ]
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def _factor_lists(codes: list[str], rng: np.random.Generator) -> dict[str, str]:
    """Factor codes per location joined by '|'; each of the 5 factors named at least once."""
    named = {c: set(rng.choice(5, size=int(rng.integers(1, 4)), replace=False) + 1) for c in codes}
    for f, c in zip(range(1, 6), rng.permutation(codes)[:5]):  # guarantee every factor
        named[c].add(f)
    return {c: "|".join(str(x) for x in sorted(named[c])) for c in codes}
