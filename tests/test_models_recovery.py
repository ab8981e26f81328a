"""Statistical correctness on simulated data with known parameters (issue 6, item 6).

Default suite: one seed, estimates within 3 SE of the truth. ``-m slow``: CI coverage over
repeated simulations and uniformity of the random-intercept LR p-values under the null.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from analysis.models import frames as fr
from analysis.models.fit import fit
from analysis.models.simulate import Fixed, SimParams, simulate
from analysis.models.spec import count_specs, duration_specs, room_specs, select


@pytest.fixture(autouse=True)
def _slow_only_when_selected(request):
    """The project's pytest config does not deselect ``slow``; run these only with ``-m slow``."""
    if request.node.get_closest_marker("slow") and "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("slow statistical check: run with -m slow")


TERMS = ["intercept", "month", "meting2", "month_x_meting2"]
CASES = {  # model id -> (frame name, attribute of SimParams holding the truth)
    "count_interaction": ("counts", "count"),
    "dur_interaction": ("duration", "duration"),
    "room_iso_vs_ownother_interaction": ("room:iso_vs_ownother", "iso"),
    "room_other_vs_own_interaction": ("room:other_vs_own", "other"),
}
PARAMS = SimParams(sd_youth=0.0)
SPECS = {s.model_id: s for s in count_specs() + duration_specs() + room_specs()}


def truth(p: SimParams, attr: str) -> np.ndarray:
    f: Fixed = getattr(p, attr)
    return np.array([f.intercept, f.month, f.meting2, f.month_x_meting2])


def fit_case(model_id: str, F: fr.AnalysisFrames):
    frame, _ = CASES[model_id]
    return fit(SPECS[model_id], fr.frame_for(F, frame), F.meting_levels, with_lr=False)


@pytest.fixture(scope="module")
def F() -> fr.AnalysisFrames:
    d = simulate(PARAMS, seed=2024)
    return fr.build_frames(d["registrations"], d["occupancy"])


def _marginal_gradient(warning: str) -> bool:
    """True for lme4's 'failed to converge with max|grad| = g' with g below 0.01."""
    import re

    m = re.search(r"max\|grad\| = ([0-9.eE-]+)", warning)
    return bool(m) and float(m.group(1)) < 0.01


@pytest.mark.parametrize("model_id", list(CASES))
def test_recovery_single_seed(F, model_id):
    res = fit_case(model_id, F)
    # lme4's gradient check (tol 0.002) can flag a fit at the optimum in large binary data;
    # such a warning is reported by the pipeline, and here it may not hide a failed recovery:
    # only a marginal gradient warning is accepted, and the estimates must still recover.
    assert res.status == "ok" or all(_marginal_gradient(w) for w in res.warnings), res.warnings
    est = res.fixed.set_index("term").loc[TERMS]
    z = (est["estimate"].to_numpy() - truth(PARAMS, CASES[model_id][1])) / est["se"].to_numpy()
    assert np.all(np.abs(z) < 3), dict(zip(TERMS, z.round(2)))
    sd = float(res.random["sd_cor"].iloc[0])
    true_sd = getattr(PARAMS, CASES[model_id][1]).sd_location
    assert 0.3 * true_sd < sd < 2.0 * true_sd


def test_recovery_dispersion(F):
    res = fit_case("count_interaction", F)
    assert res.dispersion["theta"] == pytest.approx(PARAMS.theta, rel=0.35)
    dur = fit_case("dur_interaction", F)
    assert dur.dispersion["sigma"] == pytest.approx(PARAMS.sigma, rel=0.05)


@pytest.mark.slow
def test_ci_coverage_is_nominal():
    """95% Wald CIs cover the truth about 95% of the time (pooled over the four slopes)."""
    n_sim = 40
    hits = {m: [] for m in CASES}
    for seed in range(n_sim):
        d = simulate(PARAMS, seed=1000 + seed)
        F = fr.build_frames(d["registrations"], d["occupancy"])
        for m in CASES:
            res = fit_case(m, F)
            est = res.fixed.set_index("term").loc[TERMS]
            t = truth(PARAMS, CASES[m][1])
            hits[m].append((est["ci_low"].to_numpy() <= t) & (t <= est["ci_high"].to_numpy()))
    for m, h in hits.items():
        cover = np.mean(np.array(h)[:, 1:])  # slopes and contrasts (intercepts are fine too)
        # 120 Bernoulli(0.95) trials: 99% band is about [0.89, 0.99]
        assert 0.88 <= cover <= 1.0, (m, cover)


@pytest.mark.slow
@pytest.mark.parametrize("model_id", ["dur_month", "count_month"])
def test_lr_pvalues_uniform_under_null(model_id):
    """Random-intercept LR test under H0 (no location variance).

    Asymptotically LR ~ 0.5 chi2(0) + 0.5 chi2(1), so given LR > 0 the value 2p is Uniform(0, 1),
    and P(p <= a) = a. With 18 clusters the mass at LR = 0 is known to exceed one half (the test
    is then conservative), so we check: 2p | LR > 0 uniform (KS), the size at 5% and 10% is not
    above nominal (binomial tolerance), and the mass at zero is between 0.4 and 0.85.
    """
    null = replace(
        PARAMS,
        count=replace(PARAMS.count, sd_location=0.0),
        duration=replace(PARAMS.duration, sd_location=0.0),
    )
    spec = select(count_specs() + duration_specs(), [model_id])[0]
    n_sim = 200 if model_id == "dur_month" else 120
    ps = []
    for seed in range(n_sim):
        d = simulate(null, seed=5000 + seed)
        F = fr.build_frames(d["registrations"], d["occupancy"])
        res = fit(spec, F.counts if spec.group == "count" else F.duration, F.meting_levels)
        ps.append(res.lr.p)
    ps = np.array(ps)
    positive = ps < 1.0
    mass_zero = 1 - positive.mean()
    assert 0.4 <= mass_zero <= 0.85, mass_zero
    assert stats.kstest(2 * ps[positive], "uniform").pvalue > 0.01
    for a in (0.05, 0.10):
        assert np.mean(ps <= a) <= a + 2.58 * np.sqrt(a * (1 - a) / n_sim), (a, np.mean(ps <= a))
