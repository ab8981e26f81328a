"""One card per chapter-3 model, built from the model results the build wrote (one source).

A card gathers everything about one model: the published ids it reproduces; formula, family and
link, offset and random effects; the rows, locations and youths used and the exclusions; the
estimation (method, engine, optimizer, its controls, a restart); every fixed effect and variance
component; the LR test of the location variance with its null model, both log-likelihoods and
the reference distribution; the verdict with its reasons; the residual diagnostics; every
sensitivity variant of the model; whether leave one location out covers it; every specification
choice, stated by the 2021 report or inferred by us (:mod:`analysis.models.choices`); and an R
snippet that refits the model, without this package, from a CSV of its analysis frame.

**One source.** The cards are built from the results CSVs of ``<build>/results/models/`` (read
back after :func:`analysis.models.tables.write_tables` wrote them) plus the declarations in code
(:mod:`analysis.models.spec`, :mod:`analysis.models.choices`). Every column of a model's rows
goes onto its card under the table it came from, so a column added to a results table appears on
the cards without a change here; only the declaration columns (:data:`DECLARATION`: outcome,
contrast, kind, variant, subset) stay off, because a card is one model's. The leave-one-location-out fits are written at the same time by
another build step (notebook 03b), so a card names that table and the terms it covers, and
appendix A shows the ranges beside the card (:func:`lolo_for`).

**The frames.** :func:`write_frames` writes each primary analysis frame (only the columns the
models use; never the youth pseudonym) at full precision (``%.17g``, so R reads the same
doubles). From the synthetic twin they go to ``<build>/results/models/frames/``; from real
registrations to ``<build>/secure/frames/`` (:func:`frames_folder`), which is outside
``results/`` and never released (person-level data stay on the secure side), and the card says so.

Files: ``ch3_model_cards.csv`` (results contract: one row per model, section and item) and
``ch3_model_cards.json`` (the same cards, nested), both written by :func:`write_cards`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from analysis.core.paths import Paths
from analysis.core.results import neutralise_formulas, write_result
from analysis.models.choices import STATUS_NL, choices_for
from analysis.models.fit import binomial_cells, collapses, location_ranks, model_data
from analysis.models.frames import PRIMARY_FRAMES, REASONS, AnalysisFrames, frame_for
from analysis.models.sensitivity import ESTIMATE_DECLARATION, TEST_COLUMNS
from analysis.models.spec import SPEC_COLUMNS, ModelSpec, declared_specs, primary_specs
from analysis.models.verdict import DIAG_ALPHA, DIAGNOSTIC_RULES, REASON_NL

NAME = "ch3_model_cards"
"""Result name of the cards (``<name>.csv`` and ``<name>.json``)."""
TITLE = "Modelkaarten: alles over één model op één plaats"
FRAME_FLOAT_FORMAT = "%.17g"
"""Frames are written so that every double reads back exactly (17 significant digits)."""

LINKS: dict[str, str] = {
    "nbinom2": "log",
    "poisson": "log",
    "binomial": "logit",
    "gaussian": "identity (outcome ln minutes)",
    "gamma_log": "log",
}
"""Link function per family of :class:`~analysis.models.spec.ModelSpec`."""

R_FAMILY: dict[str, str] = {
    "nbinom2": "nbinom2()",
    "poisson": "poisson()",
    "binomial": "binomial()",
    "gamma_log": 'Gamma(link = "log")',
}

GLMER_CONTROL = (
    'glmerControl(optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-8, ftol_abs = 1e-8, maxeval = 1e5))'
)
"""The controls of every ``glmer`` fit (``helpers.R``; a test holds the two equal)."""
GLMER_RESTART = 'glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5))'
"""The restart when lme4's convergence check fails (``helpers.R``), from nloptwrap's estimates."""

CONTROLS: dict[str, str] = {
    "glmmTMB": "glmmTMB defaults (TMB, nlminb; ziformula = ~0)",
    "lmer": "lmer(REML = FALSE) with lmerControl() defaults",
    "glmer": GLMER_CONTROL,
}
"""Optimizer controls per engine, as stated on the cards."""
RESTART_RULE = (
    "When lme4's convergence check fails (any message but 'singular'), the fit is restarted from the "
    f"nloptwrap estimates with {GLMER_RESTART}; the restarted fit is the one reported."
)

#: Results tables whose rows (``model_id`` = the model) go onto the card, by card section.
SECTIONS: dict[str, str] = {
    "fit": "ch3_models_fit",
    "fixed": "ch3_models_fixed",
    "random": "ch3_models_random",
    "lr_test": "ch3_models_lrtests",
    "diagnostics": "ch3_models_diagnostics",
}
SENSITIVITY = "ch3_sens_estimates"
SENSITIVITY_TESTS = "ch3_sens_lrtests"
EXCLUSIONS = "ch3_models_exclusions"
LOLO_RANGE = "ch3_sens_lolo_range"
DROP = ("note",)
"""Columns left off the cards (the synthetic banner is said once, on the card)."""


# --- frames ---------------------------------------------------------------------------------
def frame_file_name(frame: str) -> str:
    """File name of an analysis frame: ``room:iso_vs_own`` -> ``room_iso_vs_own.csv``."""
    return frame.replace(":", "_").replace("|", "_") + ".csv"


def frames_folder(paths: Paths, synthetic: bool) -> Path:
    """Where the frames go: beside the cards on the twin (:attr:`Paths.model_frames`), the secure
    build folder on real registrations (:attr:`Paths.secure_frames`)."""
    return paths.model_frames if synthetic else paths.secure_frames


def frame_columns(frame: str, specs: Sequence[ModelSpec]) -> list[str]:
    """Columns the models of ``frame`` use (sorted; ``jongere`` is never one of them)."""
    cols = sorted({c for s in specs if s.frame == frame for c in s.variables()})
    return [c for c in cols if c != "jongere"]


def write_frames(
    frames: AnalysisFrames, paths: Paths, synthetic: bool, specs: Sequence[ModelSpec] | None = None
) -> dict[str, Path]:
    """Write every primary analysis frame as CSV (:func:`frames_folder`); remove the other place's.

    Only the columns the models use are written (:func:`frame_columns`), in the frame's row
    order, floats at :data:`FRAME_FLOAT_FORMAT`. A twin build removes frames a real build left in
    the secure folder of the same build, and a real build removes any in ``results/``: the two
    never coexist, so no person-level frame stays where results are shared.

    Returns
    -------
    dict
        frame name -> path written.
    """
    specs = list(specs or primary_specs())
    folder = frames_folder(paths, synthetic)
    other = frames_folder(paths, not synthetic)
    if other.exists():
        shutil.rmtree(other)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in PRIMARY_FRAMES:
        cols = frame_columns(name, specs)
        if not cols:
            continue
        path = folder / frame_file_name(name)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        table = neutralise_formulas(frame_for(frames, name)[cols])
        table.to_csv(tmp, index=False, float_format=FRAME_FLOAT_FORMAT, lineterminator="\n")
        os.replace(tmp, path)
        out[name] = path
    return out


# --- the R snippet --------------------------------------------------------------------------
SNIPPET_WIDTH = 96
"""Longer calls are broken after their top-level commas (the code must fit an A4 page)."""


def _q(values: Iterable[str]) -> str:
    return "c(" + ", ".join(f'"{v}"' for v in values) + ")"


def wrap_call(line: str, width: int = SNIPPET_WIDTH) -> str:
    """Break an R call longer than ``width`` after the commas between its arguments.

    Arguments are packed onto continuation lines aligned under the first argument; commas inside
    nested calls, strings and formulas' parentheses are left alone.
    """
    if len(line) <= width or "(" not in line:
        return line
    start = line.index("(") + 1
    args, depth, quote, cur = [], 0, "", ""
    for ch in line[start:]:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            args.append(cur.strip())
            cur = ""
            continue
        cur += ch
    args.append(cur.strip())
    pad = " " * start
    lines, current = [], line[:start]
    for i, a in enumerate(args):
        piece = a + ("," if i < len(args) - 1 else "")
        if current.strip() and len(current) + len(piece) + 1 > width and current != line[:start]:
            lines.append(current.rstrip())
            current = pad
        current += piece if current.endswith(("(", " ")) else " " + piece
    lines.append(current)
    return "\n".join(lines)


def location_order(spec: ModelSpec, frames: AnalysisFrames) -> list[str]:
    """The model's locations in the content order its fit used (:func:`analysis.models.fit.location_ranks`)."""
    data = model_data(spec, frame_for(frames, spec.frame))
    if collapses(spec):  # the fit ranks the locations of the binomial cells R sees
        data = binomial_cells(data, spec.outcome)[0]
    ranks = location_ranks(data)
    return sorted(ranks, key=ranks.get)


def r_snippet(
    spec: ModelSpec,
    frame_path: str,
    meting_levels: Sequence[str],
    optimizer: str = "",
    locations: Sequence[str] = (),
) -> str:
    """R code that refits ``spec`` from its frame CSV with the build's settings.

    The code reads the CSV (locations and measurements as text), keeps complete cases of the
    model's columns, sets the factor levels the build used (measurement reference first; reasons
    in codebook order), collapses 0/1 outcomes into the binomial cells the build fits (same
    estimates as the rows, :func:`analysis.models.fit.binomial_cells`), fits, and leaves the
    fixed effects in ``b``; then the model without random effects (``m0``) and the LR statistic.

    Parameters
    ----------
    spec : ModelSpec
    frame_path : str
        Path of the frame CSV relative to the build folder (the snippet runs there).
    meting_levels : sequence of str
        Measurement levels, reference first.
    optimizer : str
        Optimizer of the reported fit (``bobyqa`` adds the restart the build made).
    locations : sequence of str
        The locations in the content order of the build's fit (:func:`location_order`): the
        factor levels and the row order the fit used, so the refit is the same to the last digits.
    """
    lines = _snippet_data(spec, frame_path, meting_levels, locations)
    data = "d"
    if spec.family == "binomial":
        lines += _snippet_cells(spec)
        data = "cells"
    lines += _snippet_fit(spec, data, optimizer)
    lines.append("print(b, digits = 10)")
    if spec.null_engine:
        lines.append("lr <- 2 * (as.numeric(logLik(m)) - as.numeric(logLik(m0)))  # LR, location variance")
    return "\n".join(wrap_call(x) for x in lines) + "\n"


def _snippet_data(
    spec: ModelSpec, frame_path: str, meting_levels: Sequence[str], locations: Sequence[str]
) -> list[str]:
    """R lines that read the frame and set rows and factor levels as the build's fit had them."""
    cols = [c for c in spec.variables() if c != "jongere"]
    lines = [
        "library(lme4)" if spec.engine in ("lmer", "glmer") else "library(glmmTMB)",
        f'd <- read.csv("{frame_path}", colClasses = c(locatie = "character", meting = "character"))',
        f"d <- na.omit(d[{_q(cols)}])",
        "# locations in the content order of the build's fit (not alphabetical), then the other columns",
    ]
    if locations:
        lines += [f"loc <- {_q(locations)}", "d$locatie <- factor(d$locatie, levels = loc)"]
    else:
        lines.append("d$locatie <- factor(d$locatie)")
    others = [c for c in cols if c != "locatie"]
    lines += [
        f"o <- lapply(d[{_q(others)}], function(x) if (is.numeric(x)) x else as.character(x))",
        'd <- d[do.call(order, c(list(as.integer(d$locatie)), unname(o), method = "radix")), ]',
    ]
    if "meting" in cols:
        lines.append(f"d$meting <- factor(d$meting, levels = {_q(meting_levels)})")
    if "reden" in cols:  # codebook order, only the reasons present (as the build sets them)
        lines.append(f"lv <- intersect({_q(REASONS.values())}, sort(unique(d$reden)))")
        lines.append("d$reden <- factor(d$reden, levels = lv)")
    return lines


def _snippet_cells(spec: ModelSpec) -> list[str]:
    """R lines that collapse a 0/1 outcome into the binomial cells the build fits, in its order."""
    cols = [c for c in spec.variables() if c != "jongere"]
    keys = [c for c in cols if c != spec.outcome]
    by = f"d[{_q(keys)}]"
    return [
        "# binomial cells: one row per covariate pattern, proportion y, registrations as weights",
        f'cells <- merge(aggregate(d["{spec.outcome}"], by = {by}, FUN = sum),',
        f"               aggregate(list(wts = d${spec.outcome}), by = {by}, FUN = length))",
        f"cells${spec.outcome} <- cells${spec.outcome} / cells$wts",
        # the build's order: locations in content order, then the other keys as text
        # (C locale) or number
        "cells <- cells[order("
        + ", ".join(
            "as.integer(cells$locatie)"
            if k == "locatie"
            else (f"as.character(cells${k})" if k != "month" else f"cells${k}")
            for k in ["locatie", *(k for k in keys if k != "locatie")]
        )
        + ', method = "radix"), ]',
    ]


def _snippet_fit(spec: ModelSpec, data: str, optimizer: str) -> list[str]:
    """R lines that fit the model (``m``, fixed effects ``b``) and its null model (``m0``)."""
    fml = spec.formula()
    null = spec.formula(random=False)
    family = R_FAMILY.get(spec.family, "")
    lines: list[str] = []
    if spec.engine == "glmmTMB":
        lines += [f"m <- glmmTMB({fml}, data = {data}, family = {family})", "b <- fixef(m)$cond"]
        if spec.null_engine == "glmmTMB":
            lines.append(f"m0 <- glmmTMB({null}, data = {data}, family = {family})")
    elif spec.engine == "lmer":
        lines += [f"m <- lmer({fml}, data = {data}, REML = FALSE)", "b <- fixef(m)"]
        if spec.null_engine == "lm":
            lines.append(f"m0 <- lm({null}, data = {data})")
    elif spec.engine == "glmer":
        wts = ", weights = wts" if data == "cells" else ""
        lines.append(f"ctl <- {GLMER_CONTROL}")
        lines.append(
            f"m <- glmer({fml}, data = {data}, family = {family}{wts}, nAGQ = {spec.nagq}, control = ctl)"
        )
        if optimizer == "bobyqa":
            lines.append("# the build restarted this fit: lme4's convergence check failed after nloptwrap")
            lines.append(
                f"m <- update(m, control = {GLMER_RESTART}, "
                'start = list(theta = getME(m, "theta"), fixef = getME(m, "fixef")))'
            )
        lines.append("b <- fixef(m)")
        if spec.null_engine == "glm":
            lines.append(f"m0 <- glm({null}, data = {data}, family = {family}{wts})")
    else:
        raise ValueError(f"no R snippet for engine {spec.engine!r}")
    return lines


# --- building the cards ---------------------------------------------------------------------
def _clean(value: Any) -> Any:
    """A JSON-safe scalar: NaN -> None, numpy -> Python."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


DECLARATION = SPEC_COLUMNS
"""The declaration columns every chapter-3 results table adds (left off the card's rows)."""


def _records(df: pd.DataFrame, declaration: Sequence[str] = DECLARATION) -> list[dict]:
    """The rows of ``df`` as JSON-safe dicts, without the model id, :data:`DROP` and the
    ``declaration`` columns the table added for its readers (a card is one model's)."""
    df = df.drop(columns=[c for c in (*DROP, *declaration, "model_id") if c in df.columns])
    return [{k: _clean(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def read_tables(models_dir: Path) -> dict[str, pd.DataFrame]:
    """The results CSVs a card is made of (missing ones absent)."""
    names = [*SECTIONS.values(), SENSITIVITY, SENSITIVITY_TESTS, EXCLUSIONS]
    return {
        n: pd.read_csv(models_dir / f"{n}.csv", keep_default_na=True)
        for n in names
        if (models_dir / f"{n}.csv").exists()
    }


def _rows_of(tables: Mapping[str, pd.DataFrame], name: str, model_id: str) -> pd.DataFrame:
    t = tables.get(name)
    if t is None or "model_id" not in t.columns:
        return pd.DataFrame()
    return t[t["model_id"].astype(str) == model_id]


def _sensitivity(tables: Mapping[str, pd.DataFrame], model_id: str) -> list[dict]:
    """Every variant row of the model, with the conclusion against the primary term it answers."""
    from analysis.models.sensitivity import compare_conclusions

    est = _rows_of(tables, SENSITIVITY, model_id)
    if est.empty:
        return []
    out = []
    for _, g in est.groupby("analysis", sort=False):
        prim = g[g["variant"] == "primary"].set_index("term")
        var = g[g["variant"] != "primary"].copy()
        target = var["compared_term"] if "compared_term" in var else var["term"]
        target = target.fillna("").astype(str)
        ref = prim.reindex(target.where(target != "", None))
        ok = var["verdict"].fillna("").astype(str) == "ok"
        ref_ok = ref["verdict"].fillna("").astype(str).to_numpy() == "ok"
        concl = compare_conclusions(
            var["exp_est"].reset_index(drop=True),
            var["p"].reset_index(drop=True),
            ok.reset_index(drop=True),
            ref["exp_est"].reset_index(drop=True),
            ref["p"].reset_index(drop=True),
            pd.Series(ref_ok),
        )
        var = var.assign(
            primary_exp_est=ref["exp_est"].to_numpy(),
            primary_p=ref["p"].to_numpy(),
            conclusion=concl.where(target.reset_index(drop=True) != "", "").to_numpy(),
        )
        out += _records(var, ESTIMATE_DECLARATION)
    return out


def _youths(frame: pd.DataFrame, spec: ModelSpec) -> int | None:
    """Distinct youth pseudonyms among the rows the model uses (None: the frame has no youths)."""
    if "jongere" not in frame.columns:
        return None
    used = frame.dropna(subset=[c for c in spec.variables() if c in frame.columns])
    return int(used["jongere"].dropna().nunique())


def _specification(spec: ModelSpec) -> dict:
    """The card's specification section: formula, family and link, offset, random part, frame."""
    return {
        "formula": spec.formula(),
        "outcome": spec.outcome,
        "fixed": spec.rhs,
        "family": spec.family,
        "link": LINKS.get(spec.family, ""),
        "offset": spec.offset,
        "random": spec.random,
        "frame": spec.frame,
    }


def _data(
    spec: ModelSpec,
    tables: Mapping[str, pd.DataFrame],
    frames: AnalysisFrames,
    fit_row: Mapping[str, Any],
    frame_path: str,
    secure: bool,
) -> dict:
    """The card's data section: rows, locations, youths, measurements, exclusions, frame file."""
    excl = tables.get(EXCLUSIONS, pd.DataFrame(columns=["frame"]))
    excl = excl[excl["frame"].astype(str) == spec.frame] if "frame" in excl else excl.iloc[0:0]
    ngroups = dict(part.split("=", 1) for part in str(fit_row.get("ngroups") or "").split(";") if "=" in part)
    return {
        "rows": _clean(fit_row.get("nobs")),
        "locations": int(ngroups["locatie"]) if "locatie" in ngroups else None,
        "youths": _youths(frame_for(frames, spec.frame), spec),
        "measurements": list(frames.meting_levels),
        "reference": frames.reference,
        "first_month": frames.first_month,
        "month_centre": frames.month_centre,
        "exclusions": _records(excl.drop(columns=["frame"], errors="ignore")),
        "frame_file": frame_path,
        "frame_secure": secure,
    }


def _estimation(spec: ModelSpec, optimizer: str) -> dict:
    """The card's estimation section: method, engine, quadrature, optimizer, controls, restart."""
    return {
        "method": spec.method,
        "engine": spec.engine,
        "nagq": spec.nagq,
        "optimizer": optimizer,
        "controls": CONTROLS.get(spec.engine, ""),
        "restart_rule": RESTART_RULE if spec.engine == "glmer" else "",
        "restarted": optimizer == "bobyqa",
    }


def _verdict(fit_row: Mapping[str, Any]) -> dict:
    """The card's verdict section: the code, its reasons and cautions in words."""
    code = str(fit_row.get("verdict") or "")
    return {
        "code": code,
        "reasons": [{"code": r, "text": REASON_NL.get(r, r)} for r in code.split("+") if r and r != "ok"],
        "cautions": [
            {"code": c, "text": REASON_NL.get(c, c)}
            for c in str(fit_row.get("verdict_caution") or "").split("+")
            if c and c != "nan"
        ],
    }


def _choices(spec: ModelSpec) -> list[dict]:
    """Every specification choice of the model, stated or inferred (:mod:`analysis.models.choices`)."""
    return [
        {
            "key": c.key,
            "status": c.status,
            "status_nl": STATUS_NL[c.status],
            "choice": c.choice,
            "quote": c.quote,
            "where": c.where,
            "reason": c.reason,
        }
        for c in choices_for(spec)
    ]


def _sensitivity_tests(tables: Mapping[str, pd.DataFrame], model_id: str) -> list[dict]:
    """The sensitivity LR tests of one primary model (by the ``primary_id`` column)."""
    tests = tables.get(SENSITIVITY_TESTS, pd.DataFrame(columns=["model_id"]))
    if not len(tests):
        return []
    if "primary_id" not in tests.columns:  # written before the column: look the variants up
        known = {s.model_id: s.primary_model for s in declared_specs()}
        tests = tests.assign(primary_id=[known.get(str(m), str(m)) for m in tests["model_id"]])
    return _records(tests[tests["primary_id"].astype(str) == model_id], TEST_COLUMNS)


def build_card(
    spec: ModelSpec,
    tables: Mapping[str, pd.DataFrame],
    frames: AnalysisFrames,
    *,
    frame_path: str,
    secure: bool,
    published: Sequence[str] = (),
    lolo_terms: Sequence[str] = (),
) -> dict:
    """The card of one model (see the module docstring for its sections).

    Parameters
    ----------
    spec : ModelSpec
    tables : mapping
        Results tables by name (:func:`read_tables`).
    frames : AnalysisFrames
        The frames the models were fitted on (rows, youths, measurement levels, month centre).
    frame_path : str
        The frame CSV, relative to the build folder.
    secure : bool
        Whether the frame lies in the secure build folder (real registrations).
    published : sequence of str
        Published ids this model reproduces.
    lolo_terms : sequence of str
        Terms leave one location out reports for this model (empty: not covered).
    """
    mid = spec.model_id
    fit = _records(_rows_of(tables, SECTIONS["fit"], mid))
    fit_row = fit[0] if fit else {}
    lr = _records(_rows_of(tables, SECTIONS["lr_test"], mid))
    diag = _records(_rows_of(tables, SECTIONS["diagnostics"], mid))
    optimizer = str(fit_row.get("optimizer") or "")
    null = spec.null_spec() if spec.null_engine else None
    return {
        "model_id": mid,
        "group": spec.group,
        "published_ids": sorted(published),
        "specification": _specification(spec),
        "data": _data(spec, tables, frames, fit_row, frame_path, secure),
        "estimation": _estimation(spec, optimizer),
        "fit": fit_row,
        "fixed": _records(_rows_of(tables, SECTIONS["fixed"], mid)),
        "random": _records(_rows_of(tables, SECTIONS["random"], mid)),
        "lr_test": {
            "null_model": null.formula(random=False) if null else "",
            "null_engine": spec.null_engine,
            **(lr[0] if lr else {}),
        },
        "verdict": _verdict(fit_row),
        "diagnostics": diag[0] if diag else {},
        "diagnostics_rule": {
            "alpha": DIAG_ALPHA,
            "limits": {
                t: {"effect": e, "caution": c, "not_interpretable": n}
                for t, (e, c, n) in DIAGNOSTIC_RULES.items()
            },
        },
        "sensitivity": _sensitivity(tables, mid),
        "sensitivity_tests": _sensitivity_tests(tables, mid),
        "leave_one_out": {"terms": list(lolo_terms), "result": LOLO_RANGE if lolo_terms else ""},
        "choices": _choices(spec),
        "r_snippet": r_snippet(
            spec, frame_path, frames.meting_levels, optimizer, location_order(spec, frames)
        ),
    }


def published_ids(models_dir: Path, reference: Path | None = None) -> dict[str, list[str]]:
    """model_id -> the published ids this build reproduces (``values.csv``, in the reference table)."""
    path = models_dir / "values.csv"
    if not path.exists():
        return {}
    ids = pd.read_csv(path, dtype=str)["published_id"].dropna()
    if reference is not None and Path(reference).exists():
        known = set(pd.read_csv(reference, dtype=str)["id"])
        ids = ids[ids.isin(known)]
    out: dict[str, list[str]] = {}
    for i in ids:
        out.setdefault(i.split(".")[1], []).append(i)
    return out


def build_cards(
    models_dir: Path,
    frames: AnalysisFrames,
    paths: Paths,
    *,
    synthetic: bool,
    reference: Path | None = None,
    specs: Sequence[ModelSpec] | None = None,
) -> list[dict]:
    """One card per primary model that has results in ``models_dir``.

    Parameters
    ----------
    models_dir : Path
        ``<build>/results/models`` after the results tables were written.
    frames : AnalysisFrames
    paths : Paths
        The build's paths (frame paths on the cards are relative to ``paths.build``).
    synthetic : bool
        Where the frames are (:func:`frames_folder`).
    reference : Path, optional
        ``published_figures.csv``: only ids in it count as reproduced.
    specs : sequence of ModelSpec, optional
        Default: :func:`~analysis.models.spec.primary_specs`.
    """
    from analysis.models.sensitivity import LOLO_KEYS

    tables = read_tables(models_dir)
    fitted = set(tables.get(SECTIONS["fit"], pd.DataFrame(columns=["model_id"]))["model_id"].astype(str))
    pub = published_ids(models_dir, reference)
    folder = frames_folder(paths, synthetic).relative_to(paths.build)
    lolo: dict[str, list[str]] = {}
    for m, t in LOLO_KEYS:
        lolo.setdefault(m, []).append(t)
    return [
        build_card(
            s,
            tables,
            frames,
            frame_path=(folder / frame_file_name(s.frame)).as_posix(),
            secure=not synthetic,
            published=pub.get(s.model_id, []),
            lolo_terms=lolo.get(s.model_id, []),
        )
        for s in (specs or primary_specs())
        if s.model_id in fitted
    ]


def flatten(cards: Sequence[dict]) -> pd.DataFrame:
    """The cards as one long table: model_id, section, item, value (text)."""
    rows = []

    def walk(mid: str, section: str, prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(mid, section, f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for i, v in enumerate(value, 1):
                walk(mid, section, f"{prefix}[{i}]", v)
        else:
            if isinstance(value, list):
                value = "; ".join(map(str, value))
            rows.append(
                {
                    "model_id": mid,
                    "section": section,
                    "item": prefix,
                    "value": "" if value is None else str(value),
                }
            )

    for card in cards:
        for section, value in card.items():
            if section != "model_id":
                walk(card["model_id"], section, "", value)
    return pd.DataFrame(rows, columns=["model_id", "section", "item", "value"])


def write_cards(
    models_dir: Path,
    frames: AnalysisFrames,
    paths: Paths,
    *,
    synthetic: bool,
    reference: Path | None = None,
    note: str = "",
) -> list[Path]:
    """Write the frames and the cards (CSV through the results contract, JSON beside it).

    Parameters
    ----------
    models_dir : Path
        ``<build>/results/models``, holding the results tables of this run.
    frames : AnalysisFrames
    paths : Paths
        The build's paths.
    synthetic : bool
        Whether the data come from the synthetic twin (decides where the frames go).
    reference : Path, optional
        ``published_figures.csv``.
    note : str
        Synthetic-data banner (a ``note`` column of the CSV and a field of the JSON).

    Returns
    -------
    list of Path
        The CSV, the JSON and the frame files.
    """
    written = write_frames(frames, paths, synthetic)
    cards = build_cards(models_dir, frames, paths, synthetic=synthetic, reference=reference)
    table = flatten(cards)
    if note:
        table = table.assign(note=note)
    csv_path = write_result(models_dir, NAME, table, chapter="3", title=TITLE)
    json_path = models_dir / f"{NAME}.json"
    tmp = json_path.with_name(f".{json_path.name}.{os.getpid()}.tmp")
    payload = {"note": note, "cards": cards}
    tmp.write_text(
        json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8"
    )
    os.replace(tmp, json_path)
    return [csv_path, json_path, *written.values()]


def read_cards(models_dir: Path) -> list[dict]:
    """The cards of a build (empty when none were written)."""
    path = Path(models_dir) / f"{NAME}.json"
    return json.loads(path.read_text("utf-8"))["cards"] if path.exists() else []


def lolo_for(models_dir: Path, card: Mapping[str, Any]) -> pd.DataFrame:
    """The leave-one-location-out range rows of a card's model (written by notebook 03b)."""
    path = Path(models_dir) / f"{LOLO_RANGE}.csv"
    if not card["leave_one_out"]["terms"] or not path.exists():
        return pd.DataFrame()
    rng = pd.read_csv(path)
    return rng[rng["model_id"].astype(str) == card["model_id"]].drop(columns=list(DROP), errors="ignore")
