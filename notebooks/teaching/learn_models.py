# %% tags=["parameters"]
# Parameters (papermill); None: the project's default
data_dir = None  # folder with the teaching CSVs (None: build/results/teaching of this project)
results_dir = None  # the build's chapter-3 results (None: the folder "models" beside data_dir)
n_boot = 40  # parametric bootstrap replicates under the null (section 2)
n_rep = 30  # simulated data sets per design for interval coverage (section 5)
seed = 20210531  # seed of every random draw in this notebook

# %% [markdown]
# # Learning the chapter-3 models step by step
#
# This notebook fits the multilevel models of chapter 3 by hand, on the analysis frames that the
# build exports from the synthetic twin (`build/results/teaching/`, described in its
# `README.md` and `columns.csv`). Read `docs/method.md` first: it gives the models as equations
# and explains every term used here. Each section ends with an exercise; its answer is computed
# in the notebook and checked by an `assert`, so an answer that stops being true stops the
# notebook (the test suite runs it on every build's exported files).
#
# 1. The count model: Poisson GLM, overdispersion, NB2 GLM, NB2 GLMM; the offset against
#    occupancy as a covariate.
# 2. The variance test by hand: LR statistic, chi-bar-squared p-value and a parametric bootstrap
#    of the 50:50 mixture.
# 3. The duration model: an LMM on ln(minutes) in statsmodels and in lme4; geometric-mean ratios;
#    the ICC; why ML and not REML for the test.
# 4. The room model: a logistic GLMM on binomial cells, and the rule against separation.
# 5. Parameter recovery: simulate from known parameters and check interval coverage with 18 and
#    with 4 locations.
#
# Every chapter estimate reproduced here is compared with the build's own results CSVs
# (`build/results/models/ch3_models_*.csv`) within the tolerances stated below.

# %%
import io
import json
from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from IPython.display import Image, Markdown, display
from scipy import stats

from analysis.core.paths import default_paths
from analysis.models.fit import fit
from analysis.models.lrtest import chibar2_p
from analysis.models.simulate import SimParams, simulate_grid
from analysis.models.spec import count_specs, duration_specs, room_specs

DATA = Path(data_dir) if data_dir else default_paths().results / "teaching"
CHAPTER = Path(results_dir) if results_dir else DATA.parent / "models"
for folder, what in ((DATA, "teaching CSVs"), (CHAPTER, "chapter-3 results")):
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no {what} in {folder}: build the report from the synthetic twin first (make report)"
        )

#: Same estimation code, same data written with 10 significant digits: estimates agree closely.
TOL_SAME = 1e-4
#: Another implementation (statsmodels against lme4 or glmmTMB): other optimiser, same optimum.
TOL_OTHER = 1e-3


def read(name):
    """A teaching CSV with measurement and location read as text (they are factors)."""
    return pd.read_csv(DATA / name, dtype={"meting": str, "locatie": str})


def show(fig):
    """Embed a matplotlib figure as PNG (works with any backend) and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    display(Image(buf.getvalue()))


counts, duration, cells = read("counts.csv"), read("duration.csv"), read("room_cells.csv")
design = json.loads((DATA / "design.json").read_text("utf-8"))
levels = design["meting_levels"]  # reference first
fixed_ch = pd.read_csv(CHAPTER / "ch3_models_fixed.csv")
random_ch = pd.read_csv(CHAPTER / "ch3_models_random.csv")
lr_ch = pd.read_csv(CHAPTER / "ch3_models_lrtests.csv")
fit_ch = pd.read_csv(CHAPTER / "ch3_models_fit.csv")
display(Markdown(f"**{counts['note'].iloc[0]}.** The twin describes no real young person."))
print(
    f"counts.csv: {len(counts)} location-months of {counts['locatie'].nunique()} locations; "
    f"duration.csv: {len(duration)} registrations; room_cells.csv: {len(cells)} cells; "
    f"measurements {levels} (reference {design['reference']}), month centre {design['month_centre']:.4f}"
)


def chapter(model_id):
    """The chapter's fixed effects of one model, by term."""
    return fixed_ch[fixed_ch["model_id"] == model_id].set_index("term")


def compare(res, tol=TOL_SAME):
    """Our fit beside the chapter's: estimates and SEs; asserts agreement within ``tol``."""
    ours = res.fixed.set_index("term")[["estimate", "se"]]
    theirs = chapter(res.model_id)[["estimate", "se"]]
    table = ours.join(theirs.add_suffix("_chapter"))
    table["abs_diff"] = (table["estimate"] - table["estimate_chapter"]).abs()
    assert len(table) == len(theirs) and table["abs_diff"].max() < tol, table
    assert ((table["se"] - table["se_chapter"]).abs() < tol).all(), table
    return table.round(6)


# %% [markdown]
# ## 1. The count model step by step
#
# One row of `counts.csv` is a location-month: `n` seclusions while on average `occupancy`
# young people lived there. A rate per occupied place is `n / occupancy`; the models use
# `log_occ = ln(occupancy)`.
#
# ### 1a. Poisson GLM with an offset
#
# The simplest count model: $n_{lt} \sim \text{Poisson}(\mu_{lt})$ with
# $\ln \mu_{lt} = \ln(\text{occ}_{lt}) + \beta_0 + \beta_1\,\text{month}_{t}$. The offset enters
# with a coefficient fixed at 1, so $e^{\beta_1}$ is a ratio of *rates per occupied place*.

# %%
poisson = smf.glm("n ~ month", counts, family=sm.families.Poisson(), offset=counts["log_occ"]).fit()
print(poisson.summary().tables[1])

# %% [markdown]
# ### 1b. Overdispersion
#
# A Poisson variable has variance equal to its mean. The Pearson statistic
# $\sum_i (y_i - \hat\mu_i)^2 / \hat\mu_i$ divided by its residual degrees of freedom is about 1
# when that holds.
#
# **Exercise 1.** Compute the Pearson dispersion ratio of the Poisson fit by hand (from `n` and
# the fitted means), and decide whether the counts are overdispersed.

# %%
mu = poisson.fittedvalues
answer_1 = float(((counts["n"] - mu) ** 2 / mu).sum() / (len(counts) - len(poisson.params)))
print(f"Pearson chi2 / df = {answer_1:.2f}")

# %%
assert abs(answer_1 - poisson.pearson_chi2 / poisson.df_resid) < 1e-9
assert answer_1 > 2, "the counts vary far more than a Poisson model allows"

# %% [markdown]
# The ratio is far above 1: months of one location vary much more than a Poisson model allows,
# and its standard errors would be too small. Two things cause it here: locations differ in
# their level (the random intercept will take that up) and months within a location differ more
# than Poisson noise (the negative binomial takes that up).
#
# ### 1c. Negative binomial (NB2) GLM
#
# NB2 adds one parameter: $\operatorname{Var}(n) = \mu + \alpha\mu^2$. statsmodels reports
# $\alpha$; glmmTMB reports $\theta = 1/\alpha$ (R's `nbinom2`). The package's model without the
# random intercept (the null model of the variance test) is the same model, fitted by glmmTMB.

# %%
nb_glm = smf.negativebinomial("n ~ month", counts, offset=counts["log_occ"], loglike_method="nb2").fit(
    disp=0, maxiter=200
)
null_month = fit(count_specs()[0].null_spec(), counts, levels, with_lr=False)
print(nb_glm.params.round(5).to_dict())
print(null_month.fixed[["term", "estimate", "se"]].round(5).to_string(index=False))
print(
    f"statsmodels alpha = {nb_glm.params['alpha']:.4f}; glmmTMB 1/theta = {null_month.dispersion['alpha']:.4f}"
)
assert np.allclose(nb_glm.params[["Intercept", "month"]], null_month.fixed["estimate"], atol=TOL_OTHER)
assert abs(nb_glm.params["alpha"] - null_month.dispersion["alpha"]) < TOL_OTHER
assert abs(nb_glm.llf - null_month.loglik) < TOL_OTHER

# %% [markdown]
# ### 1d. NB2 GLMM: a random intercept per location
#
# $\ln \mu_{lt} = \ln(\text{occ}_{lt}) + \beta_0 + \beta_1\,\text{month}_t + u_l$ with
# $u_l \sim N(0, \sigma_u^2)$. This is the chapter's model `count_month`; `count_meting` has the
# measurement instead of the month, `count_interaction` both and their product. They are fitted
# here exactly as the package fits them: `analysis.models.fit.fit` sends the R formula of the
# specification to `glmmTMB` through rpy2 (Laplace approximation).

# %%
count_fits = {s.model_id: fit(s, counts, levels) for s in count_specs()}
for mid, res in count_fits.items():
    print(f"{mid}: {res.spec.formula()}  [{res.status}]")
    display(compare(res))

# %% [markdown]
# The estimates are those of the chapter (largest difference printed in `abs_diff`). Reading
# them: $e^{b}$ of `month` is the factor by which the rate per occupied place changes from one
# month to the next, for a location with random effect 0; $e^{b}$ of `meting2` compares the
# measurements.
#
# **Exercise 2.** From the estimate $b$ and its standard error of `month` in `count_month`,
# compute the rate ratio and its 95% Wald interval $e^{b \pm 1.96\,SE}$ by hand.

# %%
row = count_fits["count_month"].term("month")
z975 = stats.norm.ppf(0.975)
answer_2 = (
    np.exp(row["estimate"]),
    np.exp(row["estimate"] - z975 * row["se"]),
    np.exp(row["estimate"] + z975 * row["se"]),
)
print("rate ratio {:.4f} [{:.4f}; {:.4f}]".format(*answer_2))

# %%
published = chapter("count_month").loc["month", ["exp_est", "exp_ci_low", "exp_ci_high"]].to_numpy(float)
assert np.allclose(answer_2, published, atol=TOL_SAME), (answer_2, published)

# %% [markdown]
# ### 1e. Offset or covariate?
#
# The offset says: twice the occupancy, twice the expected number of seclusions, all else
# equal. Entering `log_occ` as a covariate lets the data estimate that coefficient instead. It is
# near 1 only if the exposure model holds *and* occupancy is not confounded with other
# differences between locations. On the twin, occupancy differs mostly *between* locations, so
# the covariate competes with the random intercept:

# %%
covariate = replace(count_specs()[0], model_id="count_month_cov", rhs="month + log_occ", offset="")
cov_twin = fit(covariate, counts, levels, with_lr=False)
b_occ = cov_twin.term("log_occ")
print(cov_twin.spec.formula())
print(
    f"log_occ: b = {b_occ['estimate']:.3f} [{b_occ['ci_low']:.3f}; {b_occ['ci_high']:.3f}], "
    f"location SD = {cov_twin.random['sd_cor'].iloc[0]:.2g}, status: {cov_twin.status}, "
    f"verdict: {cov_twin.verdict.code}"
)
sd_within = (counts["log_occ"] - counts.groupby("locatie")["log_occ"].transform("mean")).std()
sd_between = counts.groupby("locatie")["log_occ"].mean().std()
print(f"SD of log_occ within locations {sd_within:.3f}, between locations {sd_between:.3f}")

# %% [markdown]
# The coefficient is estimated from the comparison *between* locations, where larger
# locations of the twin also have more seclusions per young person; the location variance is
# absorbed into it (a singular fit: the verdict says the model is not interpretable). The
# chapter keeps the offset and reports the covariate version as the sensitivity analysis
# `occupancy_cov`. Where the exposure model holds by construction, the covariate recovers 1:
# `analysis.models.simulate` draws counts with $\mu \propto$ occupancy.

# %%
rng = np.random.default_rng(seed)
sim_grid = simulate_grid(SimParams(), rng)
sim_counts = sim_grid.assign(
    meting=sim_grid["meting"].astype(str), log_occ=np.log(sim_grid["gemiddelde_bezetting"])
)
cov_sim = fit(covariate, sim_counts, ["1", "2"], with_lr=False)
b_sim = cov_sim.term("log_occ")
print(
    f"simulated (true coefficient 1): b = {b_sim['estimate']:.3f} [{b_sim['ci_low']:.3f}; {b_sim['ci_high']:.3f}]"
)
assert b_sim["ci_low"] < 1 < b_sim["ci_high"], "the covariate should recover the offset's 1"
assert not (b_occ["ci_low"] < 1 < b_occ["ci_high"]), "on the twin the covariate is not 1"
assert cov_twin.singular and not cov_twin.interpretable, "the text above says the location variance collapses"

# %% [markdown]
# ## 2. The variance test by hand
#
# Is there variation between locations? $H_0: \sigma_u^2 = 0$ against $\sigma_u^2 > 0$. The
# likelihood-ratio statistic compares the GLMM with the same model without the random intercept
# (both maximum likelihood): $LR = 2(\ell_1 - \ell_0)$. Because $\sigma_u^2 = 0$ lies on the
# boundary of the parameter space, $LR$ does not follow $\chi^2_1$ under $H_0$ but the 50:50
# mixture of a point mass at 0 and $\chi^2_1$ (Self & Liang 1987): $p = \tfrac12 P(\chi^2_1 > LR)$.

# %%
ll_1 = count_fits["count_month"].loglik
ll_0 = null_month.loglik
lr = max(2 * (ll_1 - ll_0), 0.0)
p_mixture = 0.5 * stats.chi2.sf(lr, 1)
p_naive = stats.chi2.sf(lr, 1)
print(f"logLik GLMM {ll_1:.3f}, without random intercept {ll_0:.3f}: LR = {lr:.3f}")
print(f"chibar2(01) p = {p_mixture:.3g} (chi2(1) would give {p_naive:.3g})")

# %% [markdown]
# **Exercise 3.** (a) Check the p-value against the package's `chibar2_p` and the chapter's
# `ch3_models_lrtests.csv`. (b) What LR is needed for $p < 0.05$ under the mixture? Find the
# critical value $c$ with $\tfrac12 P(\chi^2_1 > c) = 0.05$.

# %%
test_ch = lr_ch[(lr_ch["model_id"] == "count_month") & (lr_ch["name"] == "re_location")].iloc[0]
answer_3a = p_mixture
answer_3b = stats.chi2.isf(0.10, 1)  # half of the tail at c must be 0.05
print(f"(a) p = {answer_3a:.4g}, chapter LR = {test_ch['lr']:.4f}, p = {test_ch['p']:.4g}")
print(f"(b) critical value {answer_3b:.3f} (chi2(1) alone: {stats.chi2.isf(0.05, 1):.3f})")

# %%
assert abs(answer_3a - chibar2_p(lr)) < 1e-12
assert abs(lr - test_ch["lr"]) < TOL_SAME and abs(np.log(answer_3a) - np.log(test_ch["p"])) < 1e-3
assert abs(0.5 * stats.chi2.sf(answer_3b, 1) - 0.05) < 1e-12 and answer_3b < stats.chi2.isf(0.05, 1)

# %% [markdown]
# ### A parametric bootstrap of the null distribution
#
# Why a mixture? Simulate data sets in which $H_0$ is true: counts from the fitted NB2 model
# *without* location effects. Fit both models to each and compute $LR$. About half of the time
# the best location variance is 0 (the estimate sits on the boundary) and $LR = 0$; the other
# half behaves like $\chi^2_1$. With few locations the share at zero tends to be above one half
# (the test is then conservative).
#
# The figure shows the cumulative share of the bootstrap values: it jumps at 0 by about one half,
# as the chi-bar-squared mixture does, while $\chi^2_1$ starts at 0. Beyond 0 the mixture's tail is
# half that of $\chi^2_1$, which is why the naive $\chi^2_1$ p-value is twice too large.

# %%
mu_0 = np.exp(
    np.log(counts["occupancy"])
    + null_month.fixed["estimate"].iloc[0]
    + null_month.fixed["estimate"].iloc[1] * counts["month"]
)
theta_0 = null_month.dispersion["theta"]
rng = np.random.default_rng(seed + 1)
boot = []
for _ in range(n_boot):
    sim = counts.assign(n=rng.negative_binomial(theta_0, theta_0 / (theta_0 + mu_0)))
    full = fit(count_specs()[0], sim, levels, with_lr=False)
    null = fit(count_specs()[0].null_spec(), sim, levels, with_lr=False)
    boot.append(max(2 * (full.loglik - null.loglik), 0.0))
boot = np.array(boot)
zero = boot < 1e-4  # at the boundary the two optimisers differ only by rounding noise
share_zero = float(zero.mean())
p_boot = (1 + np.sum(boot >= lr)) / (1 + n_boot)
print(
    f"{n_boot} data sets under H0: LR = 0 in {share_zero:.0%}; 95th percentile of LR {np.quantile(boot, 0.95):.2f}"
)
print(
    f"bootstrap p of the observed LR: {p_boot:.3g} (smallest possible with {n_boot} replicates: "
    f"{1 / (1 + n_boot):.3g}); chibar2 p: {p_mixture:.3g}"
)
fig, ax = plt.subplots(figsize=(6, 3))
grid = np.linspace(0, max(8.0, boot.max()), 400)
ax.step(np.r_[0, np.sort(boot)], np.r_[0, np.arange(1, n_boot + 1) / n_boot], where="post", label="bootstrap")
ax.plot(grid, 0.5 + 0.5 * stats.chi2.cdf(grid, 1), label=r"$\frac{1}{2}\,0 + \frac{1}{2}\chi^2_1$ (chibar2)")
ax.plot(grid, stats.chi2.cdf(grid, 1), linestyle="--", label=r"$\chi^2_1$")
ax.set_ylabel("share of LR values at or below x")
ax.set_xlabel("LR under the null")
ax.legend()
show(fig)

# %%
assert share_zero >= 0.3, "a good share of the null LRs should sit at the boundary (0)"
assert (p_boot < 0.05) == (p_mixture < 0.05), "bootstrap and chibar2 should reach the same decision"

# %% [markdown]
# ## 3. The duration model: an LMM on ln(minutes)
#
# Durations are skewed; their logarithm is roughly normal. The chapter fits
# $\ln(\text{minutes})_{il} = \beta_0 + \beta_1\,\text{meting2}_i + u_l + \varepsilon_{il}$ with
# $u_l \sim N(0,\sigma_u^2)$ and $\varepsilon_{il} \sim N(0,\sigma^2)$, by maximum likelihood
# (lme4's `lmer(..., REML = FALSE)`). statsmodels' `MixedLM` fits the same model.

# %%
dur_specs = {s.model_id: s for s in duration_specs()}
mixed = {}
for mid, rhs in (("dur_meting", "C(meting)"), ("dur_interaction", "month * C(meting)")):
    mixed[mid] = smf.mixedlm(f"log_dur ~ {rhs}", duration, groups=duration["locatie"]).fit(reml=False)
dur_fits = {mid: fit(dur_specs[mid], duration, levels) for mid in mixed}
for mid, res in dur_fits.items():
    display(compare(res))
    # statsmodels names the terms its own way: Intercept, C(meting)[T.2], month:C(meting)[T.2]
    sm_fe = mixed[mid].fe_params.rename(
        lambda t: t.replace("Intercept", "intercept").replace(
            f"C(meting)[T.{levels[1]}]", f"meting{levels[1]}"
        )
    )
    sm_fe = sm_fe.rename(lambda t: t.replace(":", "_x_"))
    both = pd.DataFrame({"statsmodels": sm_fe, "lme4": res.fixed.set_index("term")["estimate"]})
    print(mid)
    display(both.round(6))
    assert both.notna().all().all() and (both["statsmodels"] - both["lme4"]).abs().max() < TOL_OTHER
    assert abs(mixed[mid].cov_re.iloc[0, 0] - res.random["vcov"].iloc[0]) < TOL_OTHER
    assert abs(mixed[mid].scale - res.dispersion["sigma"] ** 2) < TOL_OTHER

# %% [markdown]
# ### Geometric-mean ratios
#
# On the log scale a difference of means is, back-transformed, a ratio of *geometric* means:
# $e^{\bar{x}_2 - \bar{x}_1} = \text{GM}_2 / \text{GM}_1$. In a model with only the measurement
# and no location effect this holds exactly; the LMM compares measurements *within* locations,
# weighting locations by their information.
#
# **Exercise 4.** Compute the ratio of the geometric mean durations of measurement 2 and 1
# directly from `dur`, and check that it equals $e^{b}$ of an ordinary regression of `log_dur`
# on the measurement.

# %%
gm = duration.groupby("meting")["dur"].apply(lambda x: np.exp(np.log(x).mean()))
answer_4 = float(gm[levels[1]] / gm[levels[0]])
ols = smf.ols("log_dur ~ C(meting)", duration).fit()
lmm_ratio = float(np.exp(dur_fits["dur_meting"].term("meting2")["estimate"]))
print(f"GM ratio {answer_4:.4f}; OLS exp(b) {np.exp(ols.params.iloc[1]):.4f}; LMM exp(b) {lmm_ratio:.4f}")

# %%
assert abs(answer_4 - np.exp(ols.params.iloc[1])) < 1e-9
assert abs(lmm_ratio - chapter("dur_meting").loc["meting2", "exp_est"]) < TOL_SAME

# %% [markdown]
# ### The ICC on the latent scale
#
# The intraclass correlation says which share of the variation lies between locations:
# $\text{ICC} = \sigma_u^2 / (\sigma_u^2 + \sigma^2)$ for the LMM. For the logistic model the
# residual variance on the latent scale is $\pi^2/3$; for NB2 the chapter uses Nakagawa's
# lognormal approximation (see `docs/method.md`).
#
# **Exercise 5.** Compute the ICC of `dur_meting` from its variance components.

# %%
res = dur_fits["dur_meting"]
answer_5 = float(res.random["vcov"].iloc[0] / (res.random["vcov"].iloc[0] + res.dispersion["sigma"] ** 2))
print(f"ICC = {answer_5:.4f}")

# %%
icc_ch = random_ch[random_ch["model_id"] == "dur_meting"]["icc"].iloc[0]
assert abs(answer_5 - icc_ch) < TOL_SAME and abs(answer_5 - res.icc) < 1e-12

# %% [markdown]
# ### Why ML and not REML for the variance test
#
# REML maximises the likelihood of the residuals after the fixed effects are removed; it gives
# less biased variances, but its log-likelihood is a different function. The null model of the
# test (no random effect) is an ordinary regression with the ML log-likelihood, so the full model
# must be fitted by ML too. A REML log-likelihood against an ML one is not a likelihood ratio of
# two nested models, and it gives another number:

# %%
reml = smf.mixedlm("log_dur ~ C(meting)", duration, groups=duration["locatie"]).fit(reml=True)
lr_ml = 2 * (mixed["dur_meting"].llf - ols.llf)
lr_mixed_up = 2 * (reml.llf - ols.llf)
lr_dur_ch = lr_ch[(lr_ch["model_id"] == "dur_meting") & (lr_ch["name"] == "re_location")]["lr"].iloc[0]
print(f"LR with ML on both sides: {lr_ml:.2f} (chapter: {lr_dur_ch:.2f}); REML against ML: {lr_mixed_up:.2f}")
assert abs(lr_ml - lr_dur_ch) < 0.05 and abs(lr_mixed_up - lr_ml) > 1

# %% [markdown]
# ## 4. The room model: a logistic GLMM on binomial cells
#
# Each room contrast asks: given that a seclusion took place in one of two rooms, was it the
# first? $\operatorname{logit} P(y_i = 1) = \beta_0 + \beta_1\,\text{meting2}_i + u_l$; $e^{b}$
# is an odds ratio. `room_cells.csv` holds, per contrast, location and month, `k` registrations
# in the first room out of `wts` in either: the likelihood of these binomial cells differs from
# that of the 0/1 registrations only by a constant, so the estimates are the same.
#
# **Separation.** A location where only one of the two rooms occurs (a location without an
# isolation room, say) has all $y = 0$: its random intercept runs off to $-\infty$ and the fit
# becomes quasi-separated. The chapter therefore uses, per contrast, only the locations where
# both rooms occur.
#
# **Exercise 6.** Check in `room_cells.csv` that every location of every contrast has
# registrations in both rooms.

# %%
per_location = cells.groupby(["contrast", "locatie"])[["k", "wts"]].sum()
answer_6 = bool(((per_location["k"] > 0) & (per_location["k"] < per_location["wts"])).all())
print(per_location.groupby("contrast").size().rename("locations").to_string())
print("every location has both rooms:", answer_6)

# %%
assert answer_6

# %% [markdown]
# The package fits the room models on cells it makes from the registrations. From the exported
# cells we rebuild the 0/1 rows (`k` ones and `wts - k` zeros per cell) and give them to the
# same function:

# %%
room_spec = next(s for s in room_specs() if s.model_id == "room_iso_vs_other_meting")
c = cells[cells["contrast"] == "iso_vs_other"]
rows = c.loc[c.index.repeat(c["wts"])].copy()
rows["y"] = np.concatenate([np.r_[np.ones(k), np.zeros(n - k)] for k, n in zip(c["k"], c["wts"])])
room_fit = fit(room_spec, rows, levels)
display(compare(room_fit))
icc_room = room_fit.random["vcov"].iloc[0] / (room_fit.random["vcov"].iloc[0] + np.pi**2 / 3)
print(f"odds ratio meting2: {room_fit.term('meting2')['exp_est']:.3f}; latent ICC {icc_room:.3f}")
assert abs(icc_room - random_ch[random_ch["model_id"] == room_spec.model_id]["icc"].iloc[0]) < TOL_SAME

# %% [markdown]
# ## 5. Parameter recovery: do the intervals cover the truth?
#
# `analysis.models.simulate` draws data from the chapter's interaction model with *known*
# parameters (`SimParams`). Fitting the model to many such data sets shows whether the
# estimates are centred on the truth and whether the 95% intervals contain it 95% of the time.
# We compare the twin's design (18 locations) with a design of 4 locations: the same months, far
# fewer clusters. `simulate_grid` draws just the location-month counts, all the count model
# needs.

# %%
truth_p = SimParams()
truth = {
    "intercept": truth_p.count.intercept,
    "month": truth_p.count.month,
    "meting2": truth_p.count.meting2,
    "month_x_meting2": truth_p.count.month_x_meting2,
}
spec_x = next(s for s in count_specs() if s.model_id == "count_interaction")
rng = np.random.default_rng(seed + 2)
records, failed = [], []
for n_loc in (18, 4):
    p = replace(truth_p, n_locations=n_loc)
    for rep in range(n_rep):
        g = simulate_grid(p, rng)
        g = g.assign(meting=g["meting"].astype(str), log_occ=np.log(g["gemiddelde_bezetting"]))
        res = fit(spec_x, g, ["1", "2"], with_lr=False)
        if res.status == "failed":  # counted below; a failed fit has no interval
            failed.append((n_loc, rep))
            continue
        fe = res.fixed.set_index("term")
        for term, value in truth.items():
            records.append(
                {
                    "locations": n_loc,
                    "rep": rep,
                    "term": term,
                    "estimate": fe.loc[term, "estimate"],
                    "covered": fe.loc[term, "ci_low"] <= value <= fe.loc[term, "ci_high"],
                    "sd_location": res.random["sd_cor"].iloc[0],
                    "interpretable": res.interpretable,
                }
            )
rec = pd.DataFrame(records)
coverage = rec.pivot_table(index="term", columns="locations", values="covered", aggfunc="mean")
bias = rec.assign(err=rec["estimate"] - rec["term"].map(truth)).pivot_table(
    index="term", columns="locations", values="err", aggfunc="mean"
)
sds = rec.drop_duplicates(["locations", "rep"]).groupby("locations")["sd_location"].agg(["mean", "median"])
display(coverage.round(2).rename(columns=lambda n: f"coverage, {n} locations"))
display(bias.round(3).rename(columns=lambda n: f"mean error, {n} locations"))
print(f"fits that failed: {len(failed)}; true location SD {truth_p.count.sd_location}; estimated:")
print(sds.round(3).to_string())

# %% [markdown]
# With 18 locations the intervals cover the truth close to 95% of the time (with this few
# replicates each coverage is itself uncertain by several points). With 4 locations the
# location SD is estimated from four numbers: maximum likelihood shrinks it, and the Wald
# interval of the intercept, whose uncertainty is mostly the spread between locations, is too
# narrow. The slopes, estimated *within* locations, suffer much less.
#
# **Exercise 7.** From the table: is the intercept's interval coverage lower with 4 locations
# than with 18, and is the location SD estimated lower on average?

# %%
answer_7 = (
    coverage.loc["intercept", 4] < coverage.loc["intercept", 18],
    sds.loc[4, "mean"] < sds.loc[18, "mean"],
)
print(answer_7)

# %%
assert all(answer_7)
assert coverage.loc["intercept", 18] >= 0.8 and coverage.loc["month", 18] >= 0.8

# %% [markdown]
# ## Where next
#
# - Notebook 03 (`notebooks/03_change_across_measurements.ipynb`) runs every model of the
#   chapter, with diagnostics and sensitivity analyses, and writes the report's Dutch text.
# - Appendix A of the report shows every model in full: formula, estimation, fixed and random
#   effects, tests, diagnostics and the software versions.
# - `docs/models.md` is the specification reference: why each choice was made.
