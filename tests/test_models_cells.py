"""Logistic models are fitted on binomial cells: same likelihood as the 0/1 registrations.

The cells are an implementation detail for speed; these tests hold them to the
registration-level fit that Stata/SPSS report (estimates, SEs, variance, log-likelihood,
LR test, number of observations) and check the bookkeeping of the collapse itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from analysis.models import fit as fit_mod
from analysis.models import frames as fr
from analysis.models.diagnostics import diagnose
from analysis.models.simulate import SimParams, simulate
from analysis.models.spec import room_specs


@pytest.fixture(scope="module")
def F() -> fr.AnalysisFrames:
    d = simulate(SimParams(), seed=11)
    return fr.build_frames(d["registrations"], d["occupancy"])


@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 3), st.integers(0, 1)),
        min_size=1,
        max_size=60,
    )
)
@settings(max_examples=60, deadline=None)
def test_cells_account_for_every_registration(rows):
    data = pd.DataFrame(rows, columns=["locatie", "month", "y"]).astype({"month": float, "y": float})
    cells, log_choose = fit_mod.binomial_cells(data, "y")
    assert cells["wts"].sum() == len(data)
    assert np.isclose((cells["y"] * cells["wts"]).sum(), data["y"].sum())
    assert not cells.duplicated(["locatie", "month"]).any()
    assert cells["y"].between(0, 1).all()
    n, k = cells["wts"].to_numpy(), (cells["y"] * cells["wts"]).round().to_numpy()
    assert np.isclose(log_choose, np.log(special.comb(n, k)).sum())


@pytest.mark.parametrize("model_id", ["room_iso_vs_own_month", "room_iso_vs_ownother_interaction"])
def test_cell_fit_equals_registration_fit(F, monkeypatch, model_id):
    spec = next(s for s in room_specs() if s.model_id == model_id)
    frame = fr.frame_for(F, spec.frame)
    cells = fit_mod.fit(spec, frame, F.meting_levels)
    monkeypatch.setattr(fit_mod, "collapses", lambda s: False)
    rows = fit_mod.fit(spec, frame, F.meting_levels)
    assert cells.cells is not None and rows.cells is None
    assert len(cells.cells) < len(rows.data) / 5  # the point of the exercise
    assert cells.nobs == rows.nobs == len(rows.data)
    assert cells.loglik == pytest.approx(rows.loglik, abs=1e-3)
    assert cells.df == rows.df and cells.aic == pytest.approx(rows.aic, abs=2e-3)
    m = cells.fixed.merge(rows.fixed, on="term", suffixes=("_c", "_r"))
    np.testing.assert_allclose(m["estimate_c"], m["estimate_r"], rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(m["se_c"], m["se_r"], rtol=1e-3)
    assert cells.random["vcov"].iloc[0] == pytest.approx(rows.random["vcov"].iloc[0], rel=1e-2)
    assert cells.lr.lr == pytest.approx(rows.lr.lr, abs=1e-2)


def test_diagnostics_of_cell_fit_are_per_registration(F):
    spec = next(s for s in room_specs() if s.model_id == "room_other_vs_own_interaction")
    res = fit_mod.fit(spec, fr.frame_for(F, spec.frame), F.meting_levels, with_lr=False)
    d = diagnose(res, nsim=40, seed=3)
    assert not d.error
    assert len(d.residuals) == len(d.month) == res.nobs
    assert ((d.residuals > 0) & (d.residuals < 1)).all()
    # the expanded months are the registrations' months, in any order
    assert sorted(d.month) == sorted(res.data["month"].to_numpy(float))
