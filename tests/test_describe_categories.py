"""Category distributions: hand-computed counts, missing category, room by reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import codebook
from analysis.describe import categories as cat


def _reg(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {
        c: pd.array([pd.NA] * n, dtype="Int64")
        for c in [
            "aanleiding",
            "doel",
            "ruimte",
            "beheer_ruimte",
            "contact",
            "evaluatie_1",
            "evaluatie_2",
            "aanvulling_jongere",
        ]
    }
    base.update({k: pd.array(v, dtype="Int64") for k, v in cols.items()})
    df = pd.DataFrame(base)
    df["eind"] = pd.Timestamp("2020-09-01")
    df["jongere"] = "x"
    return df


def test_distribution_counts_every_code_and_missing():
    reg = _reg(aanleiding=[1, 1, 2, None, 6])
    t = cat.item_distribution(reg, "aanleiding")
    assert t["code"].tolist() == ["1", "2", "3", "4", "5", "6", "na"]
    assert t["n"].tolist() == [2, 1, 0, 0, 0, 1, 1]
    assert t["label"].iloc[-1] == "Niet ingevuld"
    assert t["pct"].iloc[0] == pytest.approx(40.0)
    assert (t["denominator"] == 5).all()


def test_distribution_labels_are_dutch():
    t = cat.item_distribution(_reg(ruimte=[3]), "ruimte")
    assert t.loc[t["code"] == "3", "label"].item() == codebook.field("ruimte").label(3)
    assert t["label"].iloc[-1] == "Niet ingevuld"


def test_codebook_keeps_english_labels_for_ingest():
    # exports may carry the English labels; ingest accepts them through the codebook
    assert codebook.field("ruimte").label(3, "en") == "Isolation room"
    assert codebook.missing_label("en") == "Not registered"


def test_unknown_code_fails_loudly():
    with pytest.raises(ValueError, match="not in the codebook"):
        cat.item_distribution(_reg(ruimte=[9]), "ruimte")


def test_evaluation_with_youth_uses_held_or_planned_base():
    reg = _reg(evaluatie_1=[1, 2, 3, 3, None], evaluatie_2=[None, 2, 1, None, 2])
    t = cat.evaluation_with_youth(reg)
    assert t["denominator"].iloc[0] == 3  # codes 2 and 3 only
    assert dict(zip(t["code"], t["n"])) == {"1": 1, "2": 1, "na": 1}


def test_room_by_reason_excludes_missing_room_from_denominator():
    reg = _reg(aanleiding=[3, 3, 3, 3, 1], ruimte=[3, 3, 1, None, 1])
    t = cat.room_by_reason(reg)
    sh = t[t["reason_code"] == "3"].set_index("code")
    assert sh.loc["3", "n"] == 2 and sh.loc["3", "denominator"] == 3
    assert sh.loc["3", "pct"] == pytest.approx(200 / 3)
    assert np.isnan(sh.loc["na", "pct"]) and sh.loc["na", "n"] == 1
    vals = cat.room_by_reason_values(t)
    assert vals["ch2.fig06.n.3.3"] == 2 and vals["ch2.fig06.pct.1.1"] == 100


def test_distribution_values_ids():
    t = cat.item_distribution(_reg(aanleiding=[2, None]), "aanleiding")
    v = cat.distribution_values(t, "ch2.fig02")
    assert v["ch2.fig02.n.2"] == 1 and v["ch2.fig02.pct.na"] == 50


def test_missingness_counts_items_and_debrief_base():
    reg = _reg(aanleiding=[1, None, None], evaluatie_1=[2, 1, 1], evaluatie_2=[None, None, None])
    m = cat.missingness(reg).set_index("item")
    assert m.loc["aanleiding", "n_missing"] == 2
    assert m.loc["evaluatie_2", "denominator"] == 1  # asked only after a (planned) debrief
    assert m.loc["eind", "n_missing"] == 0


codes = st.lists(st.one_of(st.none(), st.sampled_from(codebook.field("doel").codes)), max_size=60)


@settings(max_examples=60, deadline=None)
@given(codes)
def test_property_every_registration_once_and_pct_sum(values):
    t = cat.item_distribution(_reg(doel=values) if values else _reg(doel=[]), "doel")
    assert t["n"].sum() == len(values)
    if values:
        assert t["pct"].sum() == pytest.approx(100.0)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.none(), st.integers(1, 6)), st.one_of(st.none(), st.integers(1, 3))),
        min_size=1,
        max_size=50,
    )
)
def test_property_room_by_reason_counts_each_once(pairs):
    reg = _reg(aanleiding=[p[0] for p in pairs], ruimte=[p[1] for p in pairs])
    t = cat.room_by_reason(reg)
    assert t["n"].sum() == len(pairs)
    for _, g in t[t["denominator"] > 0].groupby("reason_code"):
        assert g["pct"].sum() == pytest.approx(100.0)
