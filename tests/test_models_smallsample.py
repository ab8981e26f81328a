"""Small-sample inference (analysis.models.smallsample): profile and Satterthwaite intervals equal
an independent Rscript call, the simulated LR test agrees with RLRsim's exact null within its Monte
Carlo interval, the verdict's few-locations caution, the tables' additive columns, and the Dutch
sentences that report the better interval (with and without a changed conclusion)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.models import frames as fr
from analysis.models import rbridge, smallsample as ss
from analysis.models.fit import ModelResult, fit, fit_uncached, r_data
from analysis.models.simulate import SimParams, simulate
from analysis.models.spec import duration_specs, isolation_specs, primary_specs, room_specs, select
from analysis.models.tables import BETTER_COLUMNS, fixed_table, simulated_lr_table
from analysis.models.verdict import Verdict, from_code, judge
from analysis.present import narrative

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _slow_only_when_selected(request):
    """The project's pytest config does not deselect ``slow``; run these only with ``-m slow``."""
    if request.node.get_closest_marker("slow") and "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("slow statistical check: run with -m slow")


@pytest.fixture(scope="module")
def F() -> fr.AnalysisFrames:
    """Five locations, no youth effect: every model rests on fewer than 10 locations."""
    d = simulate(SimParams(n_locations=5, sd_youth=0.0), seed=11)
    return fr.build_frames(d["registrations"], d["occupancy"])


def _rscript(code: str, tmp: Path) -> pd.DataFrame:
    """Run ``code`` with Rscript --vanilla (the project's R library); it writes ``out.csv``."""
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript not found")
    script = tmp / "check.R"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, "R_LIBS_USER": str(ROOT / ".r-lib")}
    done = subprocess.run(
        ["Rscript", "--vanilla", str(script)], cwd=tmp, capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return pd.read_csv(tmp / "out.csv")


def test_profile_interval_equals_rscript(F, tmp_path) -> None:
    """glmer on binomial cells: our profile CI and term LR equal confint()/anova() run by Rscript."""
    spec = select(room_specs(), ["room_iso_vs_ownother_meting"])[0]
    res = fit(spec, fr.frame_for(F, spec.frame), F.meting_levels, with_lr=True, small_sample=True)
    assert res.status != "failed" and res.small is not None and res.small.method == "profile"
    assert res.small.few_locations and res.small.applies
    cells = res.cells.copy()
    cells.to_csv(tmp_path / "cells.csv", index=False)
    ours = res.small.terms.set_index("term").loc["meting2"]
    theirs = _rscript(
        """
suppressPackageStartupMessages(library(lme4))
d <- read.csv("cells.csv"); d$locatie <- factor(d$locatie); d$meting <- factor(d$meting)
ctl <- glmerControl(optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-8, ftol_abs = 1e-8, maxeval = 1e5))
m <- glmer(y ~ meting + (1 | locatie), data = d, family = binomial, weights = wts, control = ctl)
ci <- confint(m, parm = "meting2", method = "profile", optimizer = "nloptwrap")
m0 <- glmer(y ~ 1 + (1 | locatie), data = d, family = binomial, weights = wts, control = ctl)
lr <- as.numeric(2 * (logLik(m) - logLik(m0)))
write.csv(data.frame(low = ci[1, 1], high = ci[1, 2], lr = lr, p = pchisq(lr, 1, lower.tail = FALSE)),
          "out.csv", row.names = FALSE)
""",
        tmp_path,
    ).iloc[0]
    assert ours["ci_low"] == pytest.approx(theirs["low"], abs=1e-6)
    assert ours["ci_high"] == pytest.approx(theirs["high"], abs=1e-6)
    assert ours["lr"] == pytest.approx(theirs["lr"], abs=1e-6)
    assert ours["p"] == pytest.approx(theirs["p"], abs=1e-6)


def test_satterthwaite_equals_rscript(F, tmp_path) -> None:
    """LMM (ML): our Satterthwaite df, p and t interval equal lmerTest's run by Rscript."""
    spec = select(isolation_specs(), ["isodur_interaction"])[0]
    res = fit(spec, fr.frame_for(F, spec.frame), F.meting_levels, with_lr=True, small_sample=True)
    assert res.small is not None and res.small.method == "satterthwaite" and not res.small.error
    res.data.to_csv(tmp_path / "data.csv", index=False)
    theirs = _rscript(
        """
suppressPackageStartupMessages(library(lmerTest))
d <- read.csv("data.csv"); d$locatie <- factor(d$locatie); d$meting <- factor(d$meting)
m <- lmerTest::lmer(log_dur ~ month * meting + (1 | locatie), data = d, REML = FALSE)
s <- summary(m)$coefficients
q <- qt(0.975, s[, "df"])
write.csv(data.frame(term = rownames(s), df = s[, "df"], p = s[, "Pr(>|t|)"],
                     low = s[, 1] - q * s[, 2], high = s[, 1] + q * s[, 2]), "out.csv", row.names = FALSE)
""",
        tmp_path,
    ).set_index("term")
    ours = res.small.terms.set_index("term")
    for r_term, term in (("month", "month"), ("meting2", "meting2"), ("month:meting2", "month_x_meting2")):
        for col, rcol in (("df", "df"), ("p", "p"), ("ci_low", "low"), ("ci_high", "high")):
            assert ours.loc[term, col] == pytest.approx(theirs.loc[r_term, rcol], rel=1e-6, abs=1e-6), (
                term,
                col,
            )


def test_bootstrap_lrt_agrees_with_exact_null(tmp_path) -> None:
    """LMM toy case with a weak location effect: the parametric bootstrap's p-value (pb_lrt, our own
    simulation from the null fit) and RLRsim's exact p agree within the bootstrap's MC interval."""
    d = simulate(
        replace(
            SimParams(n_locations=6, sd_youth=0.0), duration=replace(SimParams().duration, sd_location=0.05)
        ),
        seed=3,
    )
    F6 = fr.build_frames(d["registrations"], d["occupancy"])
    spec = select(duration_specs(), ["dur_meting"])[0]
    data = F6.duration[spec.variables()].dropna().reset_index(drop=True)
    res = fit_uncached(spec, data, F6.meting_levels, True)
    assert res.lr is not None
    rdata, _, _ = r_data(spec, data, F6.meting_levels)
    null = rbridge.call_captured(
        rbridge.helper("null_fit"), engine="lm", formula=spec.formula(False), data=rdata, family="gaussian"
    )
    pb = rbridge.call_captured(
        rbridge.helper("pb_lrt"),
        m=res.r_model,
        m0=null.value,
        data=rdata,
        response=spec.outcome,
        family=spec.family,
        nsim=300,
        seed=ss.SEED,
    )
    assert not pb.failed, pb.error
    lr = np.asarray(rbridge.r_list(pb.value)["lr"], float)
    lr = np.where(lr < 1e-6, 0.0, lr[np.isfinite(lr)])
    k = int(np.sum(lr >= res.lr.lr - 1e-9))
    boot = ss.SimulatedLRT("parametric_bootstrap", res.lr.lr, lr.size, k)
    exact, _ = ss.simulated_lrt(res, rdata, nsim=20_000)
    assert exact is not None and exact.method == "exact_lrt"
    lo, hi = ss.mc_interval(k, lr.size, level=0.999)
    assert lo <= exact.p <= hi, (boot.p, exact.p, lo, hi)
    # the two simulated tests are deterministic (seeded)
    again, _ = ss.simulated_lrt(res, rdata, nsim=20_000)
    assert again == exact


def test_mc_interval_and_simulated_p() -> None:
    t = ss.SimulatedLRT("parametric_bootstrap", 3.0, 200, 0)
    assert t.p == pytest.approx(1 / 201)
    lo, hi = t.p_interval
    assert lo == 0.0 and hi == pytest.approx(0.01811, abs=2e-4)
    assert ss.mc_interval(5, 0) != ss.mc_interval(5, 0)  # NaN without simulations
    assert ss.mc_interval(10, 10)[1] == 1.0


def test_disagreement_rule() -> None:
    assert not ss.disagrees(-1.0, 1.0, 0.5, -1.05, 1.05, 0.5)  # moved 5% of the half-width
    assert ss.disagrees(-1.0, 1.0, 0.5, -1.2, 1.0, 0.5)  # moved 20%
    assert ss.disagrees(0.01, 0.4, 0.04, -0.01, 0.41, 0.06)  # small move, other side of 5%
    assert not ss.disagrees(-1.0, 1.0, 0.5, np.nan, 1.0, 0.5)


def _result(
    spec, n_loc: int, p_wald: float, p_better: float, lrt: ss.SimulatedLRT | None = None
) -> ModelResult:
    """A fitted-looking result without R: one term ``meting2`` with Wald and better inference."""
    fixed = pd.DataFrame(
        {
            "term": ["intercept", "meting2"],
            "r_term": ["(Intercept)", "meting2"],
            "estimate": [0.1, 0.3],
            "se": [0.1, 0.15],
        }
    )
    fixed["z"] = fixed["estimate"] / fixed["se"]
    fixed["p"] = [0.3, p_wald]
    fixed["ci_low"] = fixed["estimate"] - 1.96 * fixed["se"]
    fixed["ci_high"] = fixed["estimate"] + 1.96 * fixed["se"]
    for c in ("estimate", "ci_low", "ci_high"):
        fixed[f"exp_{'est' if c == 'estimate' else c}"] = np.exp(fixed[c])
    terms = pd.DataFrame(
        {
            "term": ["meting2"],
            "ci_low": [-0.02],
            "ci_high": [0.62],
            "p": [p_better],
            "df": [np.nan],
            "lr": [3.0],
        }
    )
    terms["disagree"] = [ss.disagrees(0.006, 0.594, p_wald, -0.02, 0.62, p_better)]
    small = ss.SmallSample("profile", terms, n_loc, 0 < n_loc < ss.MIN_LOCATIONS, lrt)
    return ModelResult(
        spec=spec,
        status="ok",
        fixed=fixed,
        converged=True,
        ngroups={"locatie": n_loc},
        random=pd.DataFrame(
            {"group": ["locatie"], "var1": ["(Intercept)"], "var2": [None], "vcov": [0.25], "sd_cor": [0.5]}
        ),
        icc=0.07,
        small=small,
    )


@pytest.mark.parametrize("n_loc", [1, 4, 9])
def test_verdict_caution_few_locations(n_loc) -> None:
    spec = select(room_specs(), ["room_iso_vs_own_meting"])[0]
    v = judge(_result(spec, n_loc, 0.04, 0.06))
    assert v.interpretable and v.code == "ok" and v.cautions == ("few_locations",)
    assert v.n_locations == n_loc
    assert from_code(v.code, v.caution_code).cautions == ("few_locations",)
    assert judge(_result(spec, ss.MIN_LOCATIONS, 0.04, 0.06)).cautions == ()
    assert Verdict().caution_code == ""


def test_tables_add_columns_and_keep_wald() -> None:
    spec = select(room_specs(), ["room_iso_vs_own_meting"])[0]
    res = _result(spec, 4, 0.04, 0.06, ss.SimulatedLRT("parametric_bootstrap", 2.0, 200, 30))
    fx = fixed_table({res.model_id: res})
    plain = fixed_table({res.model_id: replace(res, small=None)})
    assert list(fx.columns[: len(plain.columns) - len(BETTER_COLUMNS)]) == [
        c for c in plain.columns if c not in BETTER_COLUMNS
    ]
    for c in ("estimate", "se", "p", "ci_low", "ci_high", "exp_ci_low", "exp_ci_high"):
        assert fx[c].equals(plain[c]), c
    row = fx.set_index("term").loc["meting2"]
    assert row["ci_method"] == "profile" and row["ci_reported"] == "profile"
    assert row["small_sample_rule"] == "few_locations+disagree" and row["verdict_caution"] == "few_locations"
    assert row["exp_ci_low_better"] == pytest.approx(np.exp(-0.02))
    assert plain.set_index("term").loc["meting2", "ci_reported"] == "wald"


def test_effect_sentence_names_method_and_changed_conclusion() -> None:
    spec = select(room_specs(), ["room_iso_vs_own_meting"])[0]
    changed = _result(spec, 4, 0.04, 0.06)
    text = narrative.model_paragraph({changed.model_id: changed}, "room", "iso_vs_own")
    assert "95%-profielinterval" in text and "LR-toets p = 0,060" in text and "niet significant" in text
    assert "Met het Wald-interval" in text and "wel significant heten" in text
    assert "op 4 locaties, minder dan 10" in text and "verandert de conclusie" in text
    same = _result(spec, 4, 0.20, 0.25)
    text = narrative.model_paragraph({same.model_id: same}, "room", "iso_vs_own")
    assert "Met het Wald-interval" not in text and "Geen enkele conclusie verandert" in text
    one = _result(spec, 1, 0.20, 0.25)
    assert "op 1 locatie," in narrative.model_paragraph({one.model_id: one}, "room", "iso_vs_own")
    # ten or more locations and no disagreement: Wald, no small-sample sentence
    many = _result(spec, 12, 0.20, 0.20)
    assert not many.small.applies
    text = narrative.model_paragraph({many.model_id: many}, "room", "iso_vs_own")
    assert "95%-BI" in text and "profielinterval" not in text and "minder dan" not in text


def test_random_sentence_with_simulated_test() -> None:
    spec = select(room_specs(), ["room_iso_vs_own_month"])[0]
    from analysis.models.lrtest import lr_test

    res = _result(spec, 4, 0.2, 0.25, ss.SimulatedLRT("parametric_bootstrap", 2.0, 200, 12))
    res = replace(res, lr=lr_test("re_location", res.model_id, -10.0, -11.0))
    s = narrative.random_sentence(res)
    assert "parametrische bootstrap (200 simulaties)" in s and "Monte-Carlo-interval" in s
    assert "niet te bepalen" in s  # p = 13/201 = 0.065, MC interval spans 0.05
    res = replace(res, small=replace(res.small, lrt=ss.SimulatedLRT("parametric_bootstrap", 2.0, 200, 100)))
    assert "dezelfde conclusie als met chibar2" in narrative.random_sentence(res)
    lr_tab = simulated_lr_table({res.model_id: res})
    assert lr_tab.loc[0, "p_lrt_boot"] == pytest.approx(101 / 201) and lr_tab.loc[0, "n_boot"] == 200


@pytest.mark.parametrize("metingen", [[1, 2], [1, 2, 3]])
def test_summary_sentences_use_better_interval(tmp_path, metingen) -> None:
    from analysis.core.results import write_result
    from analysis.present.summary import chapter3_sentences

    rows = []
    for k in metingen[1:]:
        rows.append(
            {
                "model_id": "isodur_meting",
                "term": f"meting{k}",
                "exp_est": 1.3,
                "exp_ci_low": 1.02,
                "exp_ci_high": 1.6,
                "p": 0.03,
                "exp_ci_low_better": 0.98,
                "exp_ci_high_better": 1.7,
                "p_better": 0.07,
                "ci_reported": "satterthwaite",
                "verdict": "ok",
            }
        )
    rows.append(
        {
            "model_id": "isodur_month",
            "term": "month",
            "exp_est": 1.02,
            "exp_ci_low": 1.0,
            "exp_ci_high": 1.04,
            "p": 0.2,
            "exp_ci_low_better": 0.99,
            "exp_ci_high_better": 1.05,
            "p_better": 0.25,
            "ci_reported": "satterthwaite",
            "verdict": "ok",
        }
    )
    write_result(tmp_path, "ch3_models_fixed", pd.DataFrame(rows), chapter="3", title="t", metingen=metingen)
    text = " ".join(chapter3_sentences(tmp_path)).replace("\xa0", " ")
    assert "95%-BI (Satterthwaite) 0,98 tot 1,70" in text and "1,02 tot 1,60" not in text
    assert (
        text.count("wel significant met Wald, niet met het interval voor kleine aantallen locaties")
        == len(metingen) - 1
    )
    assert "maandtrend" not in text.split("Met Wald-intervallen")[-1]  # the month trend did not change


def test_cache_key_separates_small_sample(F, tmp_path) -> None:
    from analysis.models import cache

    spec = select(isolation_specs(), ["isodur_meting"])[0]
    frame = fr.frame_for(F, spec.frame)
    with cache.using(tmp_path / "store"):
        plain = fit(spec, frame, F.meting_levels)
        small = fit(spec, frame, F.meting_levels, small_sample=True)
        again = fit(spec, frame, F.meting_levels, small_sample=True)
    assert plain.small is None and small.small is not None
    assert plain.cache_key != small.cache_key and again.cache_key == small.cache_key
    assert again.r_model is None and again.small.terms.equals(small.small.terms)


def test_primary_specs_have_better_method() -> None:
    """Every primary engine with a location random effect has a better method."""
    engines = {s.engine for s in primary_specs() if s.random}
    assert engines <= {"lmer", "glmer", "glmmTMB"}


@pytest.mark.slow
def test_calibration_small_version() -> None:
    """A small run of benchmarks/bench_calibration.py: at 6 locations the Satterthwaite interval of
    the LMM covers the true contrast at its nominal rate (MC interval), and chibar2 of the LMM is
    not anti-conservative beyond simulation noise."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_calibration as bc

    cov = pd.DataFrame(bc.coverage_batch("gaussian", 6, list(range(40))))
    table = bc.summarise_coverage(cov).set_index(["term", "method"])
    sat = table.loc[("meting2", "satterthwaite")]
    assert sat["n"] == 40 and sat["mc_low"] <= 0.95 <= sat["mc_high"] + 0.05
    null = pd.DataFrame(bc.null_batch("gaussian", 6, list(range(40))))
    size = bc.summarise_null(null).set_index("method")
    assert size.loc["chibar2", "mc_low"] <= 0.05
    assert size.loc["exact_lrt", "n"] == 40


def test_appendix_shows_calibration_with_date_and_commit(tmp_path) -> None:
    from analysis.report.statistics import calibration_md

    cal = pd.DataFrame(
        {
            "quantity": ["coverage", "coverage", "type_i", "type_i"],
            "family": ["binomial", "binomial", "binomial", "binomial"],
            "term": ["meting2", "meting2", "re_location", "re_location"],
            "locations": [4, 4, 4, 4],
            "method": ["wald", "profile", "chibar2", "bootstrap"],
            "k": [50, 52, 1, 3],
            "n": [60, 60, 60, 60],
            "estimate": [50 / 60, 52 / 60, 1 / 60, 3 / 60],
            "mc_low": [0.71, 0.75, 0.0, 0.01],
            "mc_high": [0.92, 0.94, 0.09, 0.14],
            "date": "2026-01-02",
            "commit": "abc1234",
        }
    )
    cal.to_csv(tmp_path / "cal.csv", index=False)
    md = "\n".join(calibration_md(tmp_path / "cal.csv"))
    assert "2026-01-02" in md and "abc1234" in md
    assert "83% (71-92)" in md and "87% (75-94)" in md and "profiel" in md and "bootstrap" in md
    assert "ontbreekt" in "\n".join(calibration_md(tmp_path / "missing.csv"))
