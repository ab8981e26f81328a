"""Calibration of the chapter-3 inference: interval coverage and LR-test size with 4 to 18 locations.

A simulation study with known truths (:mod:`analysis.models.simulate`, the chapter-3 data-generating
models), fitted with the compendium's own code (:func:`analysis.models.fit.fit_uncached` and
:mod:`analysis.models.smallsample`), on designs with 18, 10, 6 and 4 locations (two measurements of
six months each, as the twin):

* **coverage** of the 95% intervals of the measurement contrast ``meting2`` (truth known): Wald
  vs the small-sample interval -- profile likelihood for the logistic room model
  (``room_iso_vs_ownother_meting``) and the NB2 count model (``count_meting``), Satterthwaite t
  for the LMM of ln(duration) (``dur_meting``): the published measurement contrasts;
* **type-I error** at 5% of the LR test of the location variance, data simulated without location
  variation: chibar2(01) vs the simulated null distribution -- the parametric bootstrap of the
  logistic model (estimated with the *warp-speed* method of Giacomini, Politis & White 2013: one
  bootstrap replicate per Monte Carlo replicate, the critical value is the 95% quantile of those
  replicates; exact for the rejection rate of a bootstrap test with many replicates, at the cost of
  one) and RLRsim's simulated exact null distribution for the LMM (each replicate its own test).

Every figure comes with its Monte Carlo 95% interval (Clopper-Pearson over the replicates). The
data-generating models have no month trend, no interaction and no youth effect, so each fitted
measurement model is correctly specified and ``meting2`` is the true contrast. Replicates are seeded (seed = study seed + replicate), so a rerun
gives the same table.

Writes ``data/reference/method_calibration.csv`` (read by appendix A) and ``docs/calibration.md``,
both with the run's date and git commit.

Run: ``R_LIBS_USER=.r-lib .venv/bin/python benchmarks/bench_calibration.py [--reps 100]
[--reps-null 200] [--locations 18 10 6 4] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.paths import default_paths

SEED = 20260601
"""Study seed; replicate ``r`` of a design uses ``SEED + 1000 * locations + r`` (+ 500 for the
null designs)."""
MODELS: dict[str, str] = {
    "binomial": "room_iso_vs_ownother_meting",
    "nbinom2": "count_meting",
    "gaussian": "dur_meting",
}
"""Family -> the chapter-3 model refitted."""
TERMS: dict[str, list[str]] = {
    "binomial": ["meting2"],
    "nbinom2": ["meting2"],
    "gaussian": ["meting2"],
}
"""Terms whose coverage is measured (one profile per term and replicate: the cost of the study)."""
BETTER: dict[str, str] = {"binomial": "profile", "nbinom2": "profile", "gaussian": "satterthwaite"}
NULL_METHOD: dict[str, str] = {"binomial": "bootstrap", "gaussian": "exact_lrt"}
"""Family -> simulated LR test whose size is measured."""
N_EXACT_CAL = 2000
"""RLRsim draws per replicate in the type-I study (the p-value's own MC error is small next to
the study's)."""
WARP_ZERO = 1e-4
"""Warp-speed bootstrap: LR statistics below this count as 0 (observed and bootstrap alike). The
replicate refits stop at nloptwrap's default tolerance, so a boundary fit can leave an LR of
~1e-5 where the primary fit's at-boundary rule gives exactly 0; without a common floor that noise
would become the critical value."""
BATCH = 5
"""Replicates per Dask task."""


def params(family: str, locations: int, null: bool):
    """Simulation parameters: twin defaults without month trend, interaction or youth effect (so
    the measurement models of chapter 3 are correctly specified); ``null``: no location variation
    in the outcome of ``family``."""
    from analysis.models.simulate import SimParams

    p = SimParams(n_locations=locations, sd_youth=0.0)
    p = replace(
        p,
        count=replace(p.count, month=0.0, month_x_meting2=0.0),
        duration=replace(p.duration, month=0.0, month_x_meting2=0.0),
        iso=replace(p.iso, month=0.0, month_x_meting2=0.0),
    )
    if null:
        key = {"binomial": "iso", "nbinom2": "count", "gaussian": "duration"}[family]
        p = replace(p, **{key: replace(getattr(p, key), sd_location=0.0)})
    return p


def truth(family: str, term: str) -> float:
    """True value of ``term`` in the data-generating model of ``family``."""
    p = params(family, 4, False)
    f = {"binomial": p.iso, "nbinom2": p.count, "gaussian": p.duration}[family]
    return float(getattr(f, term))


def _data(family: str, locations: int, null: bool, seed: int):
    from analysis.models.fit import model_data
    from analysis.models.frames import build_frames, frame_for
    from analysis.models.simulate import simulate
    from analysis.models.spec import primary_specs, select

    d = simulate(params(family, locations, null), seed)
    frames = build_frames(d["registrations"], d["occupancy"])
    spec = select(primary_specs(), [MODELS[family]])[0]
    return spec, model_data(spec, frame_for(frames, spec.frame)), list(frames.meting_levels)


def coverage_batch(family: str, locations: int, reps: list[int]) -> list[dict]:
    """Fit ``reps`` replicates; per replicate and term: Wald and better interval, covered or not."""
    from analysis.models.fit import fit_uncached, r_data
    from analysis.models.smallsample import infer

    rows = []
    for r in reps:
        seed = SEED + 1000 * locations + r
        spec, data, levels = _data(family, locations, False, seed)
        t0 = time.process_time()
        res = fit_uncached(spec, data, levels, with_lr=False)
        sm = None
        if res.status != "failed":
            rdata, _, _ = r_data(spec, data, levels)
            sm = infer(res, rdata, with_lrt=False, terms=TERMS[family])
        for term in TERMS[family]:
            t = truth(family, term)
            row = {"family": family, "locations": locations, "rep": r, "term": term, "status": res.status}
            row["verdict"] = res.verdict.code
            if res.status != "failed":
                w = res.term(term)
                row["wald_low"], row["wald_high"] = float(w["ci_low"]), float(w["ci_high"])
            b = sm.term(term) if sm is not None else None
            if b is not None:
                row["better_low"], row["better_high"] = float(b["ci_low"]), float(b["ci_high"])
            row["truth"] = t
            row["cpu"] = time.process_time() - t0
            rows.append(row)
    return rows


def null_batch(family: str, locations: int, reps: list[int]) -> list[dict]:
    """Fit ``reps`` replicates without location variation: chibar2 p and the simulated test."""
    from analysis.models import rbridge
    from analysis.models.fit import fit_uncached, r_data
    from analysis.models.smallsample import simulated_lrt

    rows = []
    for r in reps:
        seed = SEED + 1000 * locations + 500 + r
        spec, data, levels = _data(family, locations, True, seed)
        t0 = time.process_time()
        res = fit_uncached(spec, data, levels, with_lr=True)
        row = {"family": family, "locations": locations, "rep": r, "status": res.status}
        if res.lr is not None:
            row["lr"], row["p_chibar2"] = res.lr.lr, res.lr.p
            rdata, _, _ = r_data(spec, data, levels)
            if family == "gaussian":
                sim, _ = simulated_lrt(res, rdata, nsim=N_EXACT_CAL, seed=seed)
                row["p_sim"] = sim.p if sim is not None else np.nan
            else:  # warp-speed: one bootstrap replicate from this replicate's null fit
                null = rbridge.call_captured(
                    rbridge.helper("null_fit"),
                    engine=spec.null_engine,
                    formula=spec.formula(False),
                    data=rdata,
                    family=spec.family,
                )
                pb = rbridge.call_captured(
                    rbridge.helper("pb_lrt"),
                    m=res.r_model,
                    m0=null.value,
                    data=rdata,
                    response=spec.outcome,
                    family=spec.family,
                    nsim=1,
                    seed=seed,
                )
                lr = np.asarray(rbridge.r_list(pb.value)["lr"], float) if not pb.failed else [np.nan]
                row["lr_star"] = float(lr[0])
        row["cpu"] = time.process_time() - t0
        rows.append(row)
    return rows


def _mc(k: int, n: int) -> tuple[float, float, float]:
    from analysis.models.smallsample import mc_interval

    lo, hi = mc_interval(k, n)
    return (k / n if n else float("nan")), lo, hi


def summarise_coverage(raw: pd.DataFrame) -> pd.DataFrame:
    """Coverage per (family, term, locations, method) with MC intervals."""
    out = []
    for (fam, term, n_loc), g in raw.groupby(["family", "term", "locations"], sort=False):
        for method, lo, hi in (("wald", "wald_low", "wald_high"), (BETTER[fam], "better_low", "better_high")):
            ok = g[lo].notna() & g[hi].notna() if lo in g else pd.Series(False, index=g.index)
            covered = (
                ((g[lo] <= g["truth"]) & (g["truth"] <= g[hi]))[ok] if ok.any() else pd.Series([], dtype=bool)
            )
            k, n = int(covered.sum()), int(ok.sum())
            est, a, b = _mc(k, n)
            out.append(
                {
                    "quantity": "coverage",
                    "family": fam,
                    "model_id": MODELS[fam],
                    "term": term,
                    "locations": int(n_loc),
                    "method": method,
                    "k": k,
                    "n": n,
                    "n_failed": int(len(g) - n),
                    "estimate": est,
                    "mc_low": a,
                    "mc_high": b,
                    "truth": float(g["truth"].iloc[0]),
                    "nominal": 0.95,
                }
            )
    return pd.DataFrame(out)


def summarise_null(raw: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Type-I error per (family, locations, method) with MC intervals (warp-speed bootstrap)."""
    out = []
    for (fam, n_loc), g in raw.groupby(["family", "locations"], sort=False):
        ok = g["p_chibar2"].notna()
        methods = {"chibar2": (g.loc[ok, "p_chibar2"] < alpha)}
        if fam == "gaussian":
            okp = ok & g["p_sim"].notna()
            methods["exact_lrt"] = g.loc[okp, "p_sim"] <= alpha
        else:
            okb = ok & g["lr_star"].notna()
            floor = lambda x: x.where(x >= WARP_ZERO, 0.0)  # noqa: E731
            star, obs = floor(g.loc[okb, "lr_star"]), floor(g.loc[okb, "lr"])
            # the (1 - alpha) quantile of the pooled bootstrap statistics, taken at an observed
            # value ("higher"): interpolating into the atom at 0 would give a noise-sized cut-off
            crit = float(np.quantile(star, 1 - alpha, method="higher")) if okb.any() else np.nan
            methods["bootstrap"] = obs > crit
        for method, rejected in methods.items():
            k, n = int(rejected.sum()), int(len(rejected))
            est, a, b = _mc(k, n)
            out.append(
                {
                    "quantity": "type_i",
                    "family": fam,
                    "model_id": MODELS[fam],
                    "term": "re_location",
                    "locations": int(n_loc),
                    "method": method,
                    "k": k,
                    "n": n,
                    "n_failed": int(len(g) - n),
                    "estimate": est,
                    "mc_low": a,
                    "mc_high": b,
                    "truth": 0.0,
                    "nominal": alpha,
                }
            )
    return pd.DataFrame(out)


def git_commit(root: Path) -> str:
    """Short commit of the working tree (``+dirty`` when tracked files differ from it)."""
    run = lambda *a: subprocess.run(a, cwd=root, capture_output=True, text=True).stdout.strip()  # noqa: E731
    commit = run("git", "rev-parse", "--short", "HEAD") or "unknown"
    dirty = run("git", "status", "--porcelain", "--untracked-files=no", "--", "src", "benchmarks")
    return commit + ("+dirty" if dirty else "")


def markdown(table: pd.DataFrame, meta: dict) -> str:
    """docs/calibration.md: what was run, the table, how to read it."""
    lines = [
        "# Calibration of the chapter-3 inference",
        "",
        "Generated by `benchmarks/bench_calibration.py`; do not edit by hand. Appendix A shows the same",
        "figures from `data/reference/method_calibration.csv`.",
        "",
        "<!-- measured:start -->",
        f"Measured on {meta['date']} at commit `{meta['commit']}` ({meta['workers']} Dask workers; CPU time of",
        f"the replicates {meta['cpu']:.0f} s, summed from the stored batches; this invocation {meta['wall']:.0f} s wall",
        f"at load average {meta['load']}, batches already in the store not rerun). Designs:",
        f"{', '.join(map(str, meta['locations']))}",
        "locations, two measurements of six months each (twin-size occupancy and rates). Coverage:",
        f"{meta['reps']} replicates per design; type-I error: {meta['reps_null']} replicates per design"
        + (
            f" (designs with {meta['cap'][0]} or more locations: at most {meta['cap'][1]}, for time)."
            if meta["cap"]
            else "."
        ),
        "",
        "| measure | model | term | locations | method | figure | MC 95% interval | replicates | failed |",
        "|---|---|---|---:|---|---:|---|---:|---:|",
    ]
    for r in table.itertuples():
        what = "coverage of 95% CI" if r.quantity == "coverage" else "type-I error at 5%"
        lines.append(
            f"| {what} | `{r.model_id}` | {r.term} | {r.locations} | {r.method} | {100 * r.estimate:.1f}% | "
            f"{100 * r.mc_low:.1f}-{100 * r.mc_high:.1f}% | {r.n} | {r.n_failed} |"
        )
    lines += [
        "<!-- measured:end -->",
        "",
        "How to read it: a 95% interval method is calibrated when its coverage is 95%; a test at 5% when",
        "it rejects a true null 5% of the time. A figure whose Monte Carlo interval excludes the nominal",
        "value is off by more than simulation noise. *wald*: b +/- 1.96 SE (Stata's convention, the",
        'published one); *profile*: `confint(m, method = "profile")`; *satterthwaite*: t interval with',
        "lmerTest's Satterthwaite df on the ML fit; *chibar2*: 0.5 chi2(0) + 0.5 chi2(1) reference of the",
        "LR test of the location variance; *bootstrap*: parametric bootstrap from the null fit, rejection",
        "rate by the warp-speed method (its cut-off is estimated from the pooled replicates, so its",
        "figure is noisier than the binomial MC interval says); *exact_lrt*: RLRsim's simulated exact",
        "null distribution.",
        "Replicates whose fit failed or whose interval could not be computed are counted in *failed* and",
        "left out of the figure. The rule that uses these methods is described in `docs/models.md`",
        "(small-sample inference) and `analysis.models.smallsample`.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100, help="coverage replicates per design")
    ap.add_argument("--reps-null", type=int, default=200, help="type-I replicates per design")
    ap.add_argument("--locations", type=int, nargs="+", default=[4, 6, 10, 18])
    ap.add_argument(
        "--max-reps-from",
        type=int,
        nargs=2,
        metavar=("LOCATIONS", "REPS"),
        help="designs with at least LOCATIONS locations get at most REPS replicates (time budget)",
    )
    ap.add_argument("--families", nargs="+", default=["binomial", "nbinom2", "gaussian"])
    ap.add_argument("--null-families", nargs="+", default=["binomial", "gaussian"])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--store", type=Path, default=Path(tempfile.gettempdir()) / "bench_calibration")
    ap.add_argument("--csv", type=Path, default=default_paths().reference / "method_calibration.csv")
    ap.add_argument("--md", type=Path, default=default_paths().root / "docs" / "calibration.md")
    args = ap.parse_args()
    from analysis.models import engine

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    t0 = time.perf_counter()

    # batches in rounds over every design: whatever has finished covers all designs alike, and a
    # rerun with fewer replicates takes its batches from the store (keys name the first replicate)
    def cap(n_loc: int, reps: int) -> int:
        big, most = args.max_reps_from or (10**9, reps)
        return min(reps, most) if n_loc >= big else reps

    tasks, kinds = [], []
    for i in range(0, max(args.reps, args.reps_null), BATCH):
        for fam in args.families:
            for n_loc in args.locations:
                if i < cap(n_loc, args.reps):
                    reps = list(range(i, min(i + BATCH, cap(n_loc, args.reps))))
                    tasks.append((f"cov-{fam}-{n_loc}-{i}", coverage_batch, (fam, n_loc, reps)))
                    kinds.append("coverage")
        for fam in args.null_families:
            for n_loc in args.locations:
                if i < cap(n_loc, args.reps_null):
                    reps = list(range(i, min(i + BATCH, cap(n_loc, args.reps_null))))
                    tasks.append((f"null-{fam}-{n_loc}-{i}", null_batch, (fam, n_loc, reps)))
                    kinds.append("null")
    out = engine.run(tasks, store=args.store, workers=args.workers, progress=True, label="kalibratie")
    wall = time.perf_counter() - t0
    cov = pd.DataFrame([row for k, rows in zip(kinds, out) if k == "coverage" for row in rows])
    nul = pd.DataFrame([row for k, rows in zip(kinds, out) if k == "null" for row in rows])
    parts = []
    if len(cov):
        parts.append(summarise_coverage(cov))
    if len(nul):
        parts.append(summarise_null(nul))
    table = pd.concat(parts, ignore_index=True)
    root = default_paths().root
    meta = {
        "date": dt.date.today().isoformat(),
        "commit": git_commit(root),
        "workers": args.workers,
        "load": load,
        "wall": wall,
        "locations": args.locations,
        "reps": args.reps,
        "reps_null": args.reps_null,
        "cap": args.max_reps_from,
    }
    cpu = pd.concat([cov.get("cpu", pd.Series(dtype=float)), nul.get("cpu", pd.Series(dtype=float))])
    meta["cpu"] = float(cpu.sum())
    table = table.assign(date=meta["date"], commit=meta["commit"], seed=SEED)
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.csv, index=False, float_format="%.6g")
    args.md.write_text(markdown(table, meta), encoding="utf-8")
    print(table[["quantity", "family", "term", "locations", "method", "estimate", "mc_low", "mc_high", "n"]])
    print(f"wall {wall:.0f} s, CPU in fits {cpu.sum():.0f} s, load at start {load}")


if __name__ == "__main__":
    main()
