"""Figures of change (issue 14 item 5): observed monthly values, fitted line with 95% band,
location effects; Dutch labels and a results table behind each figure."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.models import frames as fr
from analysis.models.change import change_table, design_row, fitted_line, location_effects, observed_monthly
from analysis.models.fit import fit
from analysis.models.simulate import SimParams, simulate
from analysis.models.spec import count_specs
from analysis.present import figures


@pytest.fixture(scope="module")
def fitted():
    d = simulate(SimParams(n_locations=10), seed=8)
    F = fr.build_frames(d["registrations"], d["occupancy"])
    spec = count_specs()[2]
    return F, fit(spec, F.counts, F.meting_levels, with_lr=False)


def test_design_row_for_treatment_coding() -> None:
    terms = ["(Intercept)", "month", "meting2", "month:meting2"]
    assert design_row(terms, 2.0, "2").tolist() == [1.0, 2.0, 1.0, 2.0]
    assert design_row(terms, 2.0, "1").tolist() == [1.0, 2.0, 0.0, 0.0]


def test_fitted_line_band_and_observed_rates(fitted) -> None:
    F, res = fitted
    assert res.vcov.shape == (4, 4) and np.allclose(res.vcov.to_numpy(), res.vcov.to_numpy().T)
    line = fitted_line(res, F, F.counts)
    assert len(line) == 12 and (line["low"] < line["value"]).all() and (line["value"] < line["high"]).all()
    obs = observed_monthly(F.counts, "count")
    assert len(obs) == 12 and obs["maand"].min() == "2019-09"
    # the model's rate (random effect 0) is of the order of the observed rate per 10 youths
    ratio = line["value"].to_numpy() / obs.sort_values("maand")["value"].to_numpy()
    assert 0.4 < np.median(ratio) < 2.5
    table = change_table(res, F, F.counts)
    assert set(table["kind"]) == ({"observed", "fitted"} if res.interpretable else {"observed"})


def test_location_effects_and_figures(fitted, tmp_path) -> None:
    F, res = fitted
    eff = location_effects({res.model_id: res})
    assert (
        len(eff) == 10
        and (eff["exp_low"] < eff["exp_est"]).all()
        and (eff["exp_est"] < eff["exp_high"]).all()
    )
    p = figures.change_figure(
        change_table(res, F, F.counts),
        tmp_path / "change",
        ylabel="Afzonderingen per 10 jongeren",
        synthetic=True,
    )
    svg = p.svg.read_text()
    assert "sep 2019" in svg and "waargenomen" in svg and p.png.exists()
    c = figures.caterpillar_figure(
        eff,
        tmp_path / "cat",
        titles={res.model_id: "Aantal"},
        xlabels={res.model_id: "rate ratio"},
        synthetic=True,
    )
    assert "L01" in c.svg.read_text()
