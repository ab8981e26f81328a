"""Location codes are names, not data: renaming them leaves every fit bit for bit the same.

R sorts factor levels by name, and the frames are sorted by code, so before the fits saw
the rows and levels in content order (:func:`analysis.models.fit.canonical_order`,
:func:`analysis.models.fit.neutral_locations`) renaming the locations of the same data moved
estimates in the last digits through the optimizer, and simulated figures by their noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import frames as fr
from analysis.models.fit import canonical_order, fit, location_ranks, neutral_locations
from analysis.models.simulate import SimParams, simulate
from analysis.models.spec import count_specs, room_specs

SPECS = {s.model_id: s for s in count_specs() + room_specs()}


def _frames(rename: bool) -> fr.AnalysisFrames:
    d = simulate(SimParams(sd_youth=0.0), seed=77)
    codes = sorted(d["registrations"]["locatie"].unique())
    # reversed order: every code sorts the other way round, as a renaming by another institution may
    mapping = {c: f"Z{len(codes) - i:03d}" for i, c in enumerate(codes)} if rename else {}
    reg, occ = (
        df.assign(locatie=df["locatie"].map(lambda c: mapping.get(c, c)))
        for df in (d["registrations"], d["occupancy"])
    )
    return fr.build_frames(reg, occ), mapping


def test_order_and_labels_follow_content_not_codes():
    data = pd.DataFrame({"locatie": ["B", "A", "B", "C"], "y": [1, 5, 2, 5], "x": [0.0, 1.0, 1.0, 1.0]})
    renamed = data.assign(locatie=data["locatie"].map({"A": "C", "B": "A", "C": "B"}))
    a, b = canonical_order(data), canonical_order(renamed)
    assert a.drop(columns="locatie").equals(b.drop(columns="locatie"))
    assert location_ranks(data)["B"] == location_ranks(renamed)["A"]
    shown_a, back_a = neutral_locations(a)
    shown_b, _ = neutral_locations(b)
    assert shown_a.equals(shown_b) and set(back_a.values()) == {"A", "B", "C"}


@pytest.mark.parametrize(
    ("model_id", "frame"),
    [("count_interaction", "counts"), ("room_other_vs_own_meting", "room:other_vs_own")],
)
def test_renamed_locations_give_identical_fits(model_id, frame):
    (f1, _), (f2, mapping) = _frames(False), _frames(True)
    r1 = fit(SPECS[model_id], fr.frame_for(f1, frame), f1.meting_levels, with_lr=True)
    r2 = fit(SPECS[model_id], fr.frame_for(f2, frame), f2.meting_levels, with_lr=True)
    assert r1.status == r2.status
    cols = ["estimate", "se", "ci_low", "ci_high"]
    np.testing.assert_array_equal(r1.fixed[cols].to_numpy(), r2.fixed[cols].to_numpy())
    assert r1.loglik == r2.loglik
    e1 = r1.location_effects.assign(level=r1.location_effects["level"].map(mapping)).sort_values("level")
    e2 = r2.location_effects.sort_values("level")
    np.testing.assert_array_equal(e1["estimate"].to_numpy(), e2["estimate"].to_numpy())
    assert list(e1["level"]) == list(e2["level"])
