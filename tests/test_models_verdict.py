"""Fit-quality verdict (issue 14 item 1): constructed degenerate data get the right verdict and
the narrative says so in one sentence without drawing a conclusion."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analysis.models import frames as fr
from analysis.models.fit import ModelResult, fit
from analysis.models.simulate import SimParams, simulate
from analysis.models.spec import count_specs, duration_specs, room_specs
from analysis.models.verdict import MAX_ABS_B, Verdict, constant_locations, from_code, judge
from analysis.present import narrative


@pytest.fixture(scope="module")
def F() -> fr.AnalysisFrames:
    d = simulate(SimParams(n_locations=8), seed=21)
    return fr.build_frames(d["registrations"], d["occupancy"])


def _spec(specs, kind, contrast=""):
    return next(s for s in specs if s.kind == kind and s.contrast == contrast)


def _no_conclusion(text: str) -> None:
    assert "niet interpreteerbaar" in text and "geen conclusie" in text
    assert "keer zo groot" not in text and "significant" not in text
    assert text.replace("t.o.v. ", "").count(". ") == 0 and text.endswith(".")  # one sentence


def test_constant_locations_per_family() -> None:
    d = pd.DataFrame({"locatie": list("aabbcc"), "y": [1, 1, 0, 1, 0, 0]})
    assert constant_locations(d, "y", "binomial") == ["a", "c"]
    assert constant_locations(d, "y", "poisson") == ["c"]
    assert constant_locations(d, "y", "gaussian") == []


def test_verdict_codes_roundtrip() -> None:
    v = Verdict(("warnings", "separation"), ("L01",))
    assert not v.interpretable and v.code == "warnings+separation"
    assert from_code(v.code).reasons == v.reasons and from_code("ok").interpretable
    assert "1 locatie met" in narrative.not_interpretable_sentence("x", v)


def test_extreme_and_degenerate_estimates_without_r() -> None:
    spec = count_specs()[0]
    fixed = pd.DataFrame(
        {"term": ["intercept", "month"], "estimate": [-MAX_ABS_B - 2, 0.1], "se": [1.0, 0.0]}
    )
    res = ModelResult(
        spec=spec,
        status="ok",
        fixed=fixed,
        converged=True,
        icc=0.95,
        random=pd.DataFrame(
            {"group": ["locatie"], "var1": ["(Intercept)"], "var2": [None], "vcov": [36.0], "sd_cor": [6.0]}
        ),
    )
    assert set(judge(res).reasons) == {"extreme_estimate", "ci_degenerate", "extreme_re_sd", "extreme_icc"}
    assert judge(replace(res, status="failed")).reasons == ("failed",)


def test_clean_model_is_interpretable_and_narrated(F) -> None:
    res = fit(_spec(count_specs(), "month"), F.counts, F.meting_levels)
    if res.status != "ok":
        pytest.skip(f"clean simulated count model warned here: {res.warnings + res.messages}")
    assert res.verdict.interpretable and res.verdict.code == "ok"
    text = narrative.model_paragraph({res.model_id: res}, "count")
    assert "keer zo groot" in text and "niet interpreteerbaar" not in text


def test_separation_in_one_location(F) -> None:
    spec = _spec(room_specs(), "month", "iso_vs_own")
    data = fr.frame_for(F, spec.frame).copy()
    loc = sorted(data["locatie"].unique())[0]
    data.loc[data["locatie"] == loc, "y"] = 1.0  # this location only ever uses the isolation room
    res = fit(spec, data, F.meting_levels, with_lr=False)
    v = res.verdict
    assert not v.interpretable and "separation" in v.reasons and v.separated == (loc,)
    text = narrative.model_paragraph({res.model_id: res}, "room", "iso_vs_own")
    _no_conclusion(text)
    assert "quasi-scheiding" in text


def test_constant_count_outcome_in_one_location(F) -> None:
    spec = _spec(count_specs(), "month")
    data = F.counts.copy()
    loc = sorted(data["locatie"].unique())[-1]
    data.loc[data["locatie"] == loc, "n"] = 0
    res = fit(spec, data, F.meting_levels, with_lr=False)
    assert "separation" in res.verdict.reasons and res.verdict.separated == (loc,)
    _no_conclusion(narrative.model_paragraph({res.model_id: res}, "count"))


def test_singular_fit() -> None:
    p = SimParams(n_locations=6)
    d = simulate(replace(p, duration=replace(p.duration, sd_location=0.0), sd_youth=0.0), seed=3)
    G = fr.build_frames(d["registrations"], d["occupancy"])
    spec = _spec(duration_specs(), "month")
    data = G.duration.copy()
    # remove every location difference exactly: the location variance is then estimated at 0
    data["log_dur"] = data["log_dur"] - data.groupby("locatie")["log_dur"].transform("mean") + 3.0
    res = fit(spec, data, G.meting_levels, with_lr=False)
    assert res.singular and "singular" in res.verdict.reasons
    text = narrative.model_paragraph({res.model_id: res}, "duration")
    _no_conclusion(text)
    assert "rand" in text
    status = narrative.status_sentence({res.model_id: res})
    assert status.startswith("1 van de 1 modellen is niet interpreteerbaar")


def test_verdict_is_a_column_of_the_results_csvs(F, tmp_path) -> None:
    from analysis.models import tables

    res = fit(_spec(count_specs(), "month"), F.counts, F.meting_levels)
    fit_t, fixed_t = tables.fit_table({res.model_id: res}), tables.fixed_table({res.model_id: res})
    assert fit_t["verdict"].iloc[0] == res.verdict.code
    assert (fixed_t["verdict"] == res.verdict.code).all()
    assert np.isfinite(fixed_t["estimate"]).all()
