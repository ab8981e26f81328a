"""Analysis frames (pure pandas, no R): zeros, exclusions, month index, levels, room frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import frames as fr
from analysis.models.simulate import SimParams, simulate


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    return simulate(SimParams(n_locations=5), seed=11)


def test_zero_months_are_kept(data):
    reg = data["registrations"]
    first = reg[(reg.locatie == "L01") & (reg.maand == "2019-09")].index
    F = fr.build_frames(reg.drop(index=first), data["occupancy"])
    row = F.counts[(F.counts.locatie == "L01") & (F.counts.maand == "2019-09")]
    assert len(row) == 1 and row["n"].iloc[0] == 0
    assert len(F.counts) == 5 * 12


def test_month_index_and_centre(data):
    F = fr.build_frames(data["registrations"], data["occupancy"])
    assert F.first_month == "2019-09"
    assert sorted(F.counts["month_index"].unique()) == list(range(6)) + list(range(12, 18))
    assert F.month_centre == pytest.approx(8.5)
    assert F.counts["month"].mean() == pytest.approx(0.0)
    assert F.registrations["month"].min() == pytest.approx(-8.5)


def test_reference_level_and_errors(data):
    F = fr.build_frames(data["registrations"], data["occupancy"], reference=2)
    assert F.meting_levels == ["2", "1"]
    with pytest.raises(ValueError):
        fr.meting_levels([1])
    with pytest.raises(ValueError):
        fr.meting_levels([1, 2], reference=3)


def test_duration_exclusions_are_counted(data):
    reg = data["registrations"].copy()
    reg.loc[reg.index[:3], "duur_min"] = -5.0
    reg.loc[reg.index[3:5], "duur_min"] = 0.0
    F = fr.build_frames(reg, data["occupancy"])
    ex = F.exclusions.set_index("reason")["n"]
    n_missing = int(reg["duur_min"].isna().sum())
    assert ex["duur ontbreekt (geen eindtijd)"] == n_missing
    assert ex["duur <= 0 minuten (eind voor of gelijk aan start)"] == 5
    assert len(F.duration) == len(reg) - n_missing - 5
    assert np.allclose(np.exp(F.duration["log_dur"]), F.duration["dur"])


def test_out_of_period_and_missing_occupancy(data):
    reg = data["registrations"].copy()
    reg.loc[reg.index[0], "maand"] = "2020-05"
    occ = data["occupancy"].copy()
    occ.loc[occ.index[1], "gemiddelde_bezetting"] = 0
    F = fr.build_frames(reg, occ)
    ex = F.exclusions.set_index("reason")["n"]
    assert ex["start buiten de metingperiode"] == 1
    assert ex["bezetting ontbreekt of is 0 (offset onbepaald)"] == 1
    assert len(F.counts) == 5 * 12 - 1


@pytest.mark.parametrize("contrast", list(fr.ROOM_CONTRASTS))
def test_room_frames(data, contrast):
    F = fr.build_frames(data["registrations"], data["occupancy"])
    d = fr.room_frame(F, contrast)
    ones, zeros = fr.ROOM_CONTRASTS[contrast]
    r = pd.to_numeric(d["ruimte"])
    assert set(r.unique()) <= set(ones + zeros)
    assert (d["y"] == r.isin(ones)).all()


def test_reason_and_youth_frames(data):
    F = fr.build_frames(data["registrations"], data["occupancy"])
    d = fr.reason_frame(F)
    assert set(d["reden"]) <= set(fr.REASONS.values())
    assert (pd.to_numeric(d["ruimte"]) == 3).all()
    y = fr.with_youth_ids(F.duration)
    assert y["jongere"].notna().all()
    missing = F.duration["jongere"].isna().sum()
    assert y["jongere"].str.contains("onbekend").sum() == missing
    no = fr.frame_for(F, "duration|no2359")
    assert len(no) == len(F.duration) - int(F.duration["flag_2359"].sum())


def test_three_measurements_work_without_code_changes():
    d = simulate(SimParams(n_locations=4, first_months=("2019-09", "2020-09", "2021-09")), seed=2)
    F = fr.build_frames(d["registrations"], d["occupancy"])
    assert F.meting_levels == ["1", "2", "3"]
    assert len(F.counts) == 4 * 18


def test_location_periods(data):
    loc = data["locations"].copy()
    loc.loc[loc.locatie == "L01", "laatste_maand"] = "2019-11"
    loc = loc[loc.locatie != "L02"]  # not listed: not restricted
    F = fr.build_frames(data["registrations"], data["occupancy"], locations=loc)
    per_loc = F.counts.groupby("locatie").size()
    assert per_loc["L01"] == 3 and per_loc["L02"] == 12
    ex = F.exclusions.set_index("reason")["n"]
    assert ex["maand buiten deelnameperiode van de locatie"] == 9
