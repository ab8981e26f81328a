"""Every row left out of a model has a row in the exclusions table: nobs + excluded = rows in
the data, per model (issue 14 items 2 and 6)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.models import frames as fr
from analysis.models.fit import model_data
from analysis.models.chapter3 import ingest_exclusions
from analysis.models.simulate import SimParams, simulate
from analysis.models.spec import primary_specs


@pytest.fixture(scope="module")
def F() -> fr.AnalysisFrames:
    d = simulate(SimParams(n_locations=6), seed=4)
    reg = d["registrations"].copy()
    rng = pd.Series(range(len(reg)), index=reg.index)
    reg.loc[rng % 37 == 0, "ruimte"] = pd.NA  # missing room type
    reg.loc[(reg["locatie"] == "L02") & (reg["ruimte"] == 3), "ruimte"] = 1  # L02 has no isolation room
    reg.loc[rng % 53 == 1, "duur_min"] = -1.0  # end before start
    reg.loc[rng % 41 == 2, "maand"] = "2020-05"  # outside the measurement period
    reg["vlag_dubbel"] = (rng % 29 == 3).to_numpy()
    return fr.build_frames(reg, d["occupancy"])


@pytest.mark.parametrize("spec", primary_specs(), ids=lambda s: s.model_id)
def test_nobs_plus_excluded_is_rows_in_the_data(F, spec) -> None:
    ex = fr.frame_exclusions(F, [spec.frame])
    used = int(ex.loc[~ex["excluded"], "n"].iloc[0])
    unit = ex.loc[~ex["excluded"], "unit"].iloc[0]
    same_unit = ex["excluded"] & (ex["unit"] == unit)
    total = F.n_location_months if spec.frame == "counts" else F.n_registrations
    assert used + int(ex.loc[same_unit, "n"].sum()) == total
    assert len(model_data(spec, fr.frame_for(F, spec.frame))) == used  # nobs of the fit


def test_room_contrasts_use_locations_where_both_rooms_occur(F) -> None:
    d = fr.frame_for(F, "room:iso_vs_own")
    assert "L02" not in set(d["locatie"])
    assert set(fr.both_room_locations(d)) == set(d["locatie"])
    ex = fr.frame_exclusions(F, ["room:iso_vs_own"]).set_index("reason")["n"]
    reason = next(r for r in ex.index if r.startswith("locatie waar maar één"))
    assert "L02" in reason and ex[reason] == int(
        ((F.registrations["locatie"] == "L02") & pd.to_numeric(F.registrations["ruimte"]).isin([1, 3])).sum()
    )
    assert ex["ruimte ontbreekt"] == int(F.registrations["ruimte"].isna().sum())
    every = fr.frame_for(F, "room:iso_vs_own|alllocs")
    assert "L02" in set(every["locatie"]) and len(every) > len(d)


def test_duplicates_are_dropped_and_counted(F) -> None:
    n_dup = int(F.registrations["flag_duplicate"].sum())
    assert n_dup > 0
    assert len(fr.frame_for(F, "duration|nodup")) == len(F.duration) - int(F.duration["flag_duplicate"].sum())
    assert fr.frame_for(F, "counts|nodup")["n"].sum() == F.counts["n"].sum() - n_dup


def test_ingest_rows_outside_the_period_are_shown(tmp_path) -> None:
    assert ingest_exclusions(tmp_path).empty
    (tmp_path / "ingest_report.json").write_text(
        json.dumps({"outside_period": {"1": {"registrations": 4, "occupancy": 2, "by_location": {"L01": 4}}}})
    )
    ex = ingest_exclusions(tmp_path)
    assert ex["n"].tolist() == [4, 2] and set(ex["unit"]) == {"registraties", "locatie-maanden"}
