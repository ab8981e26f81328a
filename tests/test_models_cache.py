"""The fit store returns exactly what a refit returns, and only for identical inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import cache
from analysis.models import frames as fr
from analysis.models.diagnostics import diagnose
from analysis.models.fit import fit
from analysis.models.simulate import SimParams, simulate
from analysis.models.spec import count_specs, duration_specs


@pytest.fixture(scope="module")
def F() -> fr.AnalysisFrames:
    d = simulate(SimParams(), seed=21)
    return fr.build_frames(d["registrations"], d["occupancy"])


@pytest.fixture
def store(tmp_path):
    cache.activate(tmp_path / "models")
    yield tmp_path / "models"
    cache.activate(None)


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.fixed, b.fixed)
    pd.testing.assert_frame_equal(a.random, b.random)
    assert (a.loglik, a.status, a.nobs, a.warnings) == (b.loglik, b.status, b.nobs, b.warnings)
    assert (a.lr is None) == (b.lr is None) and (a.lr is None or a.lr.lr == b.lr.lr)


def test_second_fit_comes_from_the_store_and_equals_a_refit(F, store):
    spec = count_specs()[0]
    frame = fr.frame_for(F, spec.frame)
    first = fit(spec, frame, F.meting_levels)
    assert (cache.STATE.hits, cache.STATE.misses) == (0, 1) and first.cache_key
    again = fit(spec, frame, F.meting_levels)
    assert (cache.STATE.hits, cache.STATE.misses) == (1, 1)
    assert again.r_model is None  # loaded, not fitted
    _same(first, again)
    cache.activate(None)
    _same(fit(spec, frame, F.meting_levels), again)  # a fresh fit without the store


def test_any_change_of_data_spec_or_code_misses(F, store, monkeypatch):
    spec = duration_specs()[1]
    frame = fr.frame_for(F, spec.frame).copy()
    fit(spec, frame, F.meting_levels, with_lr=False)
    changed = frame.copy()
    changed.loc[changed.index[0], "log_dur"] += 0.01  # one duration, one minute-ish
    r = fit(spec, changed, F.meting_levels, with_lr=False)
    assert cache.STATE.misses == 2 and r.r_model is not None
    fit(spec, frame, F.meting_levels, with_lr=True)  # LR test wanted: another key
    assert cache.STATE.misses == 3
    monkeypatch.setattr(cache, "code_digest", lambda: "other code")
    fit(spec, frame, F.meting_levels, with_lr=False)
    assert cache.STATE.misses == 4 and cache.STATE.hits == 0


def test_diagnostics_are_stored_and_recomputed_for_new_settings(F, store):
    spec = count_specs()[1]
    frame = fr.frame_for(F, spec.frame)
    d1 = diagnose(fit(spec, frame, F.meting_levels, with_lr=False), nsim=40, seed=1)
    loaded = fit(spec, frame, F.meting_levels, with_lr=False)
    d2 = diagnose(loaded, nsim=40, seed=1)
    np.testing.assert_array_equal(d1.residuals, d2.residuals)
    assert d1.row() == d2.row()
    d3 = diagnose(loaded, nsim=30, seed=1)  # not stored: the model is refitted in R
    assert not d3.error and d3.nsim == 30 and loaded.r_model is not None


def test_store_off_writes_nothing(F, tmp_path):
    cache.activate(None)
    spec = count_specs()[0]
    r = fit(spec, fr.frame_for(F, spec.frame), F.meting_levels, with_lr=False)
    assert r.cache_key == "" and not any(tmp_path.iterdir())
