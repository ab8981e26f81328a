"""A processed-data fixture shaped like measurement 2, plus tests of the fixture itself.

Other describe tests import :func:`build_processed`. The category margins are the report's
(1613 registrations; reason 609/692/86/7/72/137 and 10 missing, ...), assigned at random
to registrations, so the notebooks can be run end to end on data of a realistic size.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

MONTHS_2 = ["2020-09", "2020-10", "2020-11", "2020-12", "2021-01", "2021-02"]
MONTHS_1 = ["2019-09", "2019-10", "2019-11", "2019-12", "2020-01", "2020-02"]
PER_MONTH = [300, 285, 270, 262, 248, 248]
MARGINS = {
    "aanleiding": {1: 609, 2: 692, 3: 86, 4: 7, 5: 72, 6: 137, None: 10},
    "doel": {1: 243, 2: 179, 3: 814, 4: 294, 5: 67, None: 16},
    "ruimte": {1: 1148, 2: 152, 3: 301, None: 12},
    "beheer_ruimte": {1: 747, 2: 852, None: 14},
    "contact": {1: 89, 2: 142, 3: 1264, None: 118},
    "evaluatie_1": {1: 354, 2: 198, 3: 955, None: 106},
    "aanvulling_jongere": {1: 1039, 2: 48, 3: 81, 4: 6, None: 439},
}
LOCS = [f"L{i:02d}" for i in range(1, 19)]


def _shuffled(margin: dict, rng: np.random.Generator) -> pd.Series:
    vals = np.concatenate([np.full(n, -1 if c is None else c) for c, n in margin.items()])
    rng.shuffle(vals)
    return pd.Series(vals).replace(-1, pd.NA).astype("Int64")


def registrations(meting: int = 2, seed: int = 1) -> pd.DataFrame:
    """1613 registrations with the report's margins, spread over 18 locations."""
    rng = np.random.default_rng(seed)
    months = MONTHS_2 if meting == 2 else MONTHS_1
    maand = np.repeat(months, PER_MONTH)
    n = len(maand)
    # L17 stops after December (closes in January), L18 starts in November: 4 months each.
    loc = rng.choice(LOCS[:16], size=n)
    late = np.isin(maand, months[2:])
    early = np.isin(maand, months[:4])
    swap = rng.random(n)
    if meting == 2:
        loc = np.where(late & (swap < 0.06), "L18", loc)
        loc = np.where(early & (swap > 0.95), "L17", loc)
    day = rng.integers(1, 28, size=n)
    hour = rng.choice(24, size=n, p=_hour_profile())
    minute = rng.integers(0, 60, size=n)
    start = pd.to_datetime([f"{m}-{d:02d} {h:02d}:{mi:02d}" for m, d, h, mi in zip(maand, day, hour, minute)])
    dur = np.round(rng.lognormal(np.log(40), 1.1, size=n)).clip(5, 1439)
    dur[rng.choice(n, 8, replace=False)] = 1439
    dur[rng.choice(n, 20, replace=False)] = np.nan
    eind = start + pd.to_timedelta(np.nan_to_num(dur), unit="min")
    eind = pd.Series(eind).where(~np.isnan(dur))
    youth = np.array([f"{code}-{rng.integers(0, 25)}" for code in loc], dtype=object)
    youth[loc == "L16"] = None  # one location never records a youth number
    df = pd.DataFrame(
        {
            "meting": meting,
            "locatie": loc,
            "jongere": pd.array(youth, dtype="string"),
            "start": start,
            "eind": eind.to_numpy(),
            "maand": maand,
            "uur": hour.astype(int),
            "duur_min": dur,
        }
    )
    for item, margin in MARGINS.items():
        df[item] = _shuffled(margin, rng)
    with_eval = df["evaluatie_1"].isin([2, 3]).fillna(False).to_numpy()
    ev2 = _shuffled({1: 323, 2: 718, None: 112}, rng)
    df["evaluatie_2"] = pd.Series(pd.NA, index=df.index, dtype="Int64")
    df.loc[with_eval, "evaluatie_2"] = ev2.to_numpy()[: with_eval.sum()]
    for flag in [
        "vlag_duur_2359",
        "vlag_eind_voor_start",
        "vlag_duur_boven_24u",
        "vlag_buiten_periode",
        "vlag_dubbel",
    ]:
        df[flag] = False
    df["vlag_duur_2359"] = df["duur_min"] == 1439
    df["bron_bestand"] = [f"meting-{meting}/registraties/{code}.csv" for code in loc]
    df["bron_rij"] = np.arange(n) + 2
    return df


def _hour_profile() -> np.ndarray:
    """Few at night, rising from 7:00, peaks at 18:00 and 20:00 (like Figure 7)."""
    w = np.array(
        [3, 2, 1, 1, 1, 1, 1, 4, 8, 10, 11, 12, 12, 13, 14, 15, 16, 18, 24, 18, 23, 19, 8, 4], dtype=float
    )
    return w / w.sum()


def policy(meting: int = 2) -> pd.DataFrame:
    """18 locations, one without data; margins as in chapter 1 of the report."""
    rows = []
    rest = [1] * 5 + [2] * 10 + [3] * 2
    day = [1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 4, 4, 4, 4, 4, 4]
    rest_for_unchanged = [2, 2, 2, 2, 3, 3]
    night = [1] * 4 + [2] * 2 + [3] * 11
    door = [None] * 6 + [1] * 5 + [2] * 6
    for i in range(17):
        r = rest_for_unchanged[i - 11] if day[i] == 4 else rest[i]
        rows.append(
            {
                "meting": meting,
                "locatie": LOCS[i],
                "gegevens": 1,
                "rustmomenten": r,
                "verandering_overdag": day[i],
                "ambitie_overdag": 1 if day[i] == 4 else 0,
                "verandering_nacht": night[i],
                "nacht_deur": door[i],
                "gesloten_per": "2021-01" if i == 16 else None,
                "bevorderende_factoren": "1|2" if i % 2 else "3|4|5",
                "belemmerende_factoren": "1|2|3" if i % 3 else "4|5",
            }
        )
    rows.append(
        {
            "meting": meting,
            "locatie": "L18",
            "gegevens": 0,
            "rustmomenten": None,
            "verandering_overdag": None,
            "ambitie_overdag": None,
            "verandering_nacht": None,
            "nacht_deur": None,
            "gesloten_per": None,
            "bevorderende_factoren": None,
            "belemmerende_factoren": None,
        }
    )
    df = pd.DataFrame(rows)
    for c in ["rustmomenten", "verandering_overdag", "ambitie_overdag", "verandering_nacht", "nacht_deur"]:
        df[c] = df[c].astype("Int64")
    return df


def build_processed(
    folder: Path, metings: tuple[int, ...] = (1, 2), synthetic: bool = True, with_policy: bool = True
) -> Path:
    """Write a processed dir (both measurements; policy for measurement 2 only)."""
    folder.mkdir(parents=True, exist_ok=True)
    reg = pd.concat([registrations(m, seed=m) for m in metings], ignore_index=True)
    reg.to_parquet(folder / "registrations.parquet")
    occ = [
        {"meting": m, "locatie": code, "maand": mo, "gemiddelde_bezetting": 38.2}
        for m in metings
        for code in LOCS
        for mo in (MONTHS_2 if m == 2 else MONTHS_1)
    ]
    pd.DataFrame(occ).to_parquet(folder / "occupancy.parquet")
    locs = pd.DataFrame(
        {
            "locatie": LOCS,
            "instelling": "I",
            "naam": LOCS,
            "eerste_maand": ["2019-09"] * 17 + ["2020-11"],
            "laatste_maand": ["2021-02"] * 16 + ["2020-12", "2021-02"],
        }
    )
    locs.to_parquet(folder / "locations.parquet")
    if with_policy:
        policy(2).to_parquet(folder / "policy.parquet")
    (folder / "ingest_report.json").write_text(json.dumps({"synthetic": synthetic}))
    return folder


def test_fixture_has_report_margins(tmp_path):
    reg = registrations()
    assert len(reg) == 1613
    assert int((reg["aanleiding"] == 2).sum()) == 692
    assert int(reg["evaluatie_1"].isin([2, 3]).sum()) == 1153
    assert reg.loc[reg["evaluatie_1"].isin([2, 3]).fillna(False), "evaluatie_2"].isna().sum() == 112


def test_build_processed_writes_all_tables(tmp_path):
    out = build_processed(tmp_path / "p")
    for name in ["registrations", "occupancy", "locations", "policy"]:
        assert (out / f"{name}.parquet").exists()
    assert json.loads((out / "ingest_report.json").read_text())["synthetic"] is True
