"""Result objects: status, captured R warnings, failures, tables, published ids, diagnostics."""

from __future__ import annotations

from dataclasses import replace

import re

import numpy as np
import pandas as pd
import pytest

from analysis.models import frames as fr
from analysis.models import rbridge, tables
from analysis.present import narrative
from analysis.models.diagnostics import diagnose, dispersion_test, scaled_residuals, zero_inflation_test
from analysis.present.figures import residual_figure
from analysis.models.fit import clean_term, fit
from analysis.models.chapter3 import fit_primary
from analysis.models.simulate import SimParams, simulate
from analysis.models.spec import PUBLISHED_MODELS, count_specs, duration_specs


@pytest.fixture(scope="module")
def F() -> fr.AnalysisFrames:
    d = simulate(SimParams(), seed=9)
    return fr.build_frames(d["registrations"], d["occupancy"])


@pytest.fixture(scope="module")
def primary(F):
    return fit_primary(F)


def test_all_primary_models_fit_with_metadata(primary):
    assert set(PUBLISHED_MODELS) <= set(primary)
    for r in primary.values():
        assert r.status in {"ok", "warning"}, (r.model_id, r.error)
        assert r.nobs > 0 and r.ngroups == {"locatie": 18}
        assert r.lr is not None and r.lr.reference == "chibar2(01)"
        assert r.versions["R"].startswith("4.") and "lme4" in r.versions
    assert primary["count_month"].dispersion["theta"] > 0
    assert primary["dur_month"].method == "ML (REML = FALSE)"
    assert primary["room_iso_vs_own_month"].method == "Laplace"
    assert 0 < primary["dur_month"].icc < 1


def test_reason_model_terms(primary):
    terms = set(primary["isodur_reason_meting"].fixed["term"])
    assert {"agressie", "orde_regels_x_meting2", "zelfbeschadiging_x_meting2"} <= terms


def test_clean_term():
    assert clean_term("month:meting2") == "month_x_meting2"
    assert clean_term("(Intercept)") == "intercept"
    assert clean_term("redenagressie:meting2", {"agressie_x_meting2": "agressie"}) == "agressie"


def test_r_error_is_a_status_not_an_exception(F):
    bad = replace(duration_specs()[0], model_id="bad", outcome="n", engine="glmer", family="binomial")
    res = fit(bad, F.counts, F.meting_levels)
    assert res.status == "failed" and res.error
    assert "failed" in res.summary()


def test_singular_fit_is_reported(F):
    d = simulate(
        replace(
            SimParams(n_locations=6), duration=replace(SimParams().duration, sd_location=0.0), sd_youth=0.0
        ),
        seed=3,
    )
    G = fr.build_frames(d["registrations"], d["occupancy"])
    res = fit(duration_specs()[0], G.duration, G.meting_levels, with_lr=False)
    if res.random["vcov"].iloc[0] < 1e-8:
        assert res.singular and res.status == "warning"
        assert any("singular" in m for m in res.messages + res.warnings)


def test_convergence_warnings_are_captured(F):
    data = F.counts.assign(month=F.counts["month"] * 1e4)
    spec = replace(count_specs()[0], engine="glmer.nb")
    res = fit(spec, data, F.meting_levels, with_lr=False)
    assert res.status in {"warning", "failed"}
    assert res.warnings or res.messages or res.error


def test_captured_warning_roundtrip():
    fun = rbridge.session()("function(x) { warning('careful'); message('hello'); x + 1 }")
    cap = rbridge.call_captured(fun, x=1.0)
    assert cap.warnings == ["careful"] and cap.messages == ["hello"] and not cap.failed
    err = rbridge.call_captured(rbridge.session()("function() stop('boom')"))
    assert err.failed and "boom" in err.error


def test_published_values_and_tables(primary, tmp_path):
    vals = tables.published_values(primary)
    assert vals["ch3.count_month.month.est"] == pytest.approx(primary["count_month"].term("month")["exp_est"])
    assert "ch3.isodur_reason_meting.agressie.est" in vals
    assert "ch3.dur_month.re_location.chibar2" in vals
    assert not any(k.startswith("ch3.room_other_vs_own_interaction") for k in vals)
    paths = tables.write_tables(tmp_path, primary, note="Synthetische data")
    saved = pd.read_csv(tmp_path / "values.csv")
    assert set(saved["published_id"]) == set(vals)
    assert {p.name for p in paths} >= {"ch3_models_fixed.csv", "ch3_models_lrtests.csv"}


def test_narrative_is_dutch_and_computed(primary):
    text = narrative.model_paragraph(primary, "count")
    est = primary["count_month"].term("month")["exp_est"]
    assert narrative.fmt(est) in text and "maand" in text
    assert narrative.fmt_p_text(0.0004) == "p <\u00a00,001" and narrative.fmt_p_text(0.046) == "p = 0,046"
    assert "modellen" in narrative.status_sentence(primary)


def test_scaled_residuals_uniform_for_correct_model():
    rng = np.random.default_rng(1)
    sim = rng.poisson(3.0, size=(4000, 300))
    obs = rng.poisson(3.0, size=4000)
    r = scaled_residuals(obs, sim, rng)
    assert 0 < r.min() and r.max() < 1 and abs(r.mean() - 0.5) < 0.02
    ratio, p = dispersion_test(obs, sim)
    assert 0.9 < ratio < 1.1 and p > 0.01
    zr, zp = zero_inflation_test(np.where(rng.random(4000) < 0.2, 0, obs), sim)
    assert zr > 1.5 and zp < 0.01


def test_diagnose_and_figure(primary, tmp_path):
    d = diagnose(primary["count_interaction"], nsim=100)
    assert not d.error and len(d.residuals) == primary["count_interaction"].nobs
    assert 0 <= d.ks_p <= 1 and not np.isnan(d.zero_ratio)
    paths = residual_figure(
        d,
        tmp_path / "diag",
        title="Aantal, maand × meting",
        first_month="2019-09",
        month_centre=8.5,
        synthetic=True,
    )
    assert all(f.exists() and f.stat().st_size > 0 for f in (paths.svg, paths.png))
    # Text only: the rasterised QQ markers are a base64 PNG, whose letters can spell anything.
    svg = re.sub(r'xlink:href="data:[^"]*"|href="data:[^"]*"', "", paths.svg.read_text())
    assert "sep 2019" in svg and "QQ" not in svg and "Aantal, maand" in svg
    reason = diagnose(primary["isodur_reason_meting"], nsim=50)
    assert len(reason.groups) == len(reason.residuals) and not len(reason.month)
    assert np.isnan(diagnose(primary["room_iso_vs_own_month"], nsim=50).dispersion_ratio)  # 0/1 outcome
