"""The build as data: one table of step kinds, from which the build is derived.

:data:`STEPS` lists every kind of build step once: its name (a pattern per notebook, location or
measurement), its stage, what its input digest covers, every output it writes, the plain
function that does the work, and the steps it reads from. Derived from this table:

* the runner's plan (:func:`plan`; :func:`analysis.pipeline.build.plan` returns it): stages in
  :data:`STAGES` order, the steps of one stage side by side in table order (longest first);
* the completeness check of a step (:func:`output_problems`): its fixed outputs exist and every
  results file of its families that the results contract (``index.csv``) lists exists; its state
  is recorded only then (:meth:`analysis.pipeline.incremental.Runner.record`);
* the dependency digests: an input ``of`` another step names one of that step's declared outputs
  (a test checks it), and a step with ``reads`` digests the declared outputs of those steps
  (:func:`upstream_digest`, input ``outputs``);
* ``compendium build --graph`` (:func:`describe`), ``--dry-run`` (:func:`dry_run`) and the step
  graph of ``docs/architecture.md`` (:func:`write_docs`; a test keeps it current).

An output is a file (``<processed>/registrations.parquet``) or a family (``<build>/results/ch2_*.csv``):
a family owns the files its pattern matches unless the pattern of another step's family matches
them more specifically (:func:`owner`); families marked ``indexed`` are registered in the results
contract of their folder (:func:`analysis.core.results.write_result`). The file names of a
chapter's results come from the chapter number in :data:`analysis.core.chapters.CHAPTERS`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable

from analysis.core import measurements as measurements_mod
from analysis.core.chapters import CHAPTERS
from analysis.core.paths import Paths, decision_file, location_file
from analysis.core.provenance import SYNTHETIC_MARKER, is_synthetic
from analysis.pipeline import build as b
from analysis.pipeline.hashing import file_digest, json_digest, stat_file_digest, tree_digest
from analysis.pipeline.incremental import Step, replace_dir, staging_dir

#: Stages in the order they run; the steps of one stage run side by side.
STAGES = ("twin", "ingest", "intake", "disclosure", "analysis", "verify", "report")

#: Symbolic folders of outputs (Paths attribute -> name shown in the graph and the docs).
BASES = {
    "synthetic_raw": "<build>/synthetic-raw",
    "processed": "<processed>",
    "build": "<build>",
    "executed_notebooks": "<build>/notebooks",
    "results": "<build>/results",
    "model_results": "<build>/results/models",
    "figures": "<build>/figures",
    "verify": "<build>/verify",
    "factsheets": "<build>/factsheets",
    "report_output": "<output>",
}


# --- the kinds of inputs and outputs ----------------------------------------------------------
@dataclass(frozen=True)
class Output:
    """One output of a step: a file, or a family of files (a glob ``pattern``).

    Attributes
    ----------
    base : str
        Key of :data:`BASES` (an attribute of :class:`analysis.core.paths.Paths`).
    pattern : str
        Path below ``base``; ``{notebook}``, ``{meting}``, ``{location}`` are filled per step,
        ``*`` makes it a family.
    note : str
        What it is (for the graph).
    indexed : bool
        Family registered in ``index.csv`` of its folder (the results contract): the check
        requires every file the index lists.
    """

    base: str
    pattern: str
    note: str = ""
    indexed: bool = False

    @property
    def family(self) -> bool:
        """Whether the output is a pattern of files rather than one file."""
        return any(c in self.pattern for c in "*?[")

    def shown(self) -> str:
        """The output as the graph shows it (``<build>/results/ch2_*.csv``)."""
        return f"{BASES[self.base]}/{self.pattern}"


@dataclass(frozen=True)
class Input:
    """One named part of a step's input digest.

    Attributes
    ----------
    key : str
        Name in the step's inputs (``data-{meting}``: one per measurement read).
    kind : str
        ``raw``, ``table``, ``code``, ``notebook``, ``params``, ``env``, ``value``, ``file``,
        ``outputs`` (declared outputs of other steps).
    what : str
        What the digest covers (for the graph).
    of : str, optional
        Step kind whose declared output this is (``file``: that output, as :meth:`Output.shown`).
    file : str, optional
        The declared output of ``of`` read (checked against the table by a test).
    """

    key: str
    kind: str
    what: str
    of: str | None = None
    file: str | None = None


@dataclass(frozen=True)
class Ctx:
    """What every step of one build shares: its configuration and the facts planning derives."""

    cfg: Any  # analysis.pipeline.build.BuildConfig
    raw: Path
    synthetic: bool
    metingen: list[int]

    @property
    def paths(self) -> Paths:
        """The build's paths."""
        return self.cfg.paths

    @property
    def latest(self) -> int:
        """The latest configured measurement."""
        return self.metingen[-1]

    @property
    def published(self) -> list[int]:
        """Measurements whose counts the build publishes (the latest and the one described)."""
        d = self.cfg.describe
        return sorted({self.latest, self.latest if d is None else int(d)})


def context(cfg: Any) -> Ctx:
    """The shared facts of a build (raw folder, twin or not, the configured measurements)."""
    raw, synthetic = b.raw_root(cfg)
    return Ctx(cfg, raw, synthetic, sorted(b._measurements(cfg.paths)))


#: One instance of a step kind: the values of its name pattern and what its functions need.
Inst = dict


@dataclass(frozen=True)
class StepKind:
    """One row of the build table (see the module docstring).

    Attributes
    ----------
    id : str
        Identifier of the row (``notebook-models`` and ``notebook-chapters`` share a name pattern).
    name : str
        Step name pattern (``notebook-{notebook}``).
    stage : str
        One of :data:`STAGES`.
    inputs : tuple of Input
    outputs : tuple of Output
    action : callable
        ``action(ctx, inst)``: does the work (a plain module-level function).
    digests : callable
        ``digests(ctx, inst) -> dict``: the input digests (keys as in ``inputs``).
    check : callable, optional
        ``check(ctx, inst) -> list of str``: problems beyond missing outputs.
    instances : callable
        ``instances(ctx) -> list of Inst``.
    when : str
        When the step is part of the build (for the graph; ``active`` decides).
    active : callable
        ``active(ctx) -> bool``.
    reads : tuple of str
        Row ids whose declared outputs the input ``outputs`` covers.
    late : callable, optional
        Steps made after the earlier stages ran (factsheets: the locations come from the data);
        ``late(ctx) -> list of Step``.
    doc : str
        One line for the graph.
    """

    id: str
    name: str
    stage: str
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    action: Callable[[Ctx, Inst], None] | None
    digests: Callable[[Ctx, Inst], dict[str, str]] | None
    instances: Callable[[Ctx], list[Inst]]
    doc: str
    check: Callable[[Ctx, Inst], list[str]] | None = None
    when: str = "always"
    active: Callable[[Ctx], bool] = lambda ctx: True
    reads: tuple[tuple[str, tuple[str, ...]], ...] = ()
    late: Callable[[Ctx], list[Step]] | None = None


def one(ctx: Ctx) -> list[Inst]:
    """The single instance of a step kind without a pattern."""
    return [{}]


# --- digests ------------------------------------------------------------------------------------
def _rows(ctx: Ctx, table: str, meting: int | None = None) -> str:
    p = ctx.paths
    return b._rows_digest(p.processed, table, meting, p.plan_cache)


def _file_or(path: Path, absent: str = "absent") -> str:
    return file_digest(path) if path.exists() else absent


def synth_digests(ctx: Ctx, inst: Inst) -> dict[str, str]:
    """Inputs of ``synth``."""
    return {"code": b.module_digest(ctx.paths, "synth"), "seed": str(ctx.cfg.seed)}


def ingest_digests(ctx: Ctx, inst: Inst) -> dict[str, str]:
    """Inputs of ``ingest``."""
    from analysis.ingest.pseudonym import key_fingerprint

    p = ctx.paths
    return {
        "raw": tree_digest(ctx.raw),
        "params": tree_digest(p.params),
        "code": b.module_digest(p, "ingest"),
        "env": b.env_digest(p),
        # the key's fingerprint (never the key): a new key re-ingests
        "key": key_fingerprint(ctx.raw),
    }


def intake_digests(ctx: Ctx, inst: Inst) -> dict[str, str]:
    """Inputs of ``intake`` (reads only the ingest report and ``params/``: no pandas)."""
    p = ctx.paths
    return {
        "report": _file_or(p.processed / "ingest_report.json"),
        "params": tree_digest(p.params),
        "code": b.module_digest(p, "intake"),
    }


def disclosure_digests(ctx: Ctx, inst: Inst) -> dict[str, str]:
    """Inputs of ``disclosure``."""
    p = ctx.paths
    ms = b._measurements(p)
    return {
        "k": str(b.min_cell_size(ctx.cfg)),
        "measurements": json_digest([[m, *ms[m].months()] for m in ctx.published]),
        "registrations": _rows(ctx, "registrations.parquet"),
        "locations": _rows(ctx, "locations.parquet"),
        "code": b.module_digest(p, "disclosure"),
        "env": b.env_digest(p),
    }


def notebook_digests(ctx: Ctx, inst: Inst) -> dict[str, str]:
    """Inputs of a chapter notebook: its source, parameters, code, and the rows it reads."""
    p = ctx.paths
    src = p.notebooks / f"{inst['notebook']}.ipynb"
    params = b.notebook_params(ctx.cfg, inst["used"][-1], ctx.metingen)
    inputs = {
        "notebook": file_digest(src),
        "params": json_digest({k: v for k, v in params.items() if k not in b.PLACEMENT_PARAMS}),
        "code": b.module_digest(p, inst["group"], src),
        "env": b.env_digest(p),
        "synthetic": str(ctx.synthetic),
    }
    for m in inst["used"]:
        inputs[f"data-{m}"] = _rows(ctx, inst["table"], m)
    if inst["group"] == "models":
        inputs["occupancy"] = _rows(ctx, "occupancy.parquet")
    return inputs


def planning_params(ctx: Ctx) -> dict[str, Any]:
    """Parameters of the planning notebook (the quick setting of ``params/plan.yaml``)."""
    return {**b.notebook_params(ctx.cfg, ctx.latest, ctx.metingen), **b.PLANNING_PARAMS}


def planning_digests(ctx: Ctx, inst: Inst) -> dict[str, str]:
    """Inputs of the planning notebook."""
    p = ctx.paths
    src = p.notebooks / f"{b.PLANNING_NOTEBOOK}.ipynb"
    return {
        "notebook": file_digest(src),
        "params": json_digest(planning_params(ctx)),
        "plan": file_digest(p.params / "plan.yaml"),
        "code": b.module_digest(p, "models", src),
        "env": b.env_digest(p),
        "synthetic": str(ctx.synthetic),
        "counts": _rows(ctx, "registrations.parquet"),
        "occupancy": _rows(ctx, "occupancy.parquet"),
    }


def calibration_digests(ctx: Ctx, inst: Inst) -> dict[str, str]:
    """Inputs of ``calibration`` (the processed tables as files, and the twin's raw tree)."""
    p = ctx.paths
    tables = ("registrations.parquet", "occupancy.parquet", "policy.parquet")
    inputs = {t: _file_or(p.processed / t) for t in tables}
    inputs.update(
        {"raw": tree_digest(ctx.raw), "code": b.module_digest(p, "calibration"), "env": b.env_digest(p)}
    )
    return inputs


def audit_digests(ctx: Ctx, inst: Inst) -> dict[str, str]:
    """Inputs of ``audit``."""
    p = ctx.paths
    return {
        "reference": file_digest(p.published_figures),
        "code": b.module_digest(p, "audit"),
        "env": b.env_digest(p),
    }


def teaching_digests(ctx: Ctx, inst: Inst) -> dict[str, str]:
    """Inputs of ``teaching-data`` (the tables as notebook 03 reads them)."""
    p = ctx.paths
    return {
        "registrations": _rows(ctx, "registrations.parquet"),
        "occupancy": _rows(ctx, "occupancy.parquet"),
        "locations": _rows(ctx, "locations.parquet"),
        "params": tree_digest(p.params),
        "code": b.module_digest(p, "teaching"),
        "env": b.env_digest(p),
        "synthetic": str(ctx.synthetic),
    }


def reproduction_digests(ctx: Ctx, inst: Inst) -> dict[str, str]:
    """Inputs of ``reproduction`` (``outputs`` is added from the table: :func:`upstream_digest`)."""
    p = ctx.paths
    return {
        "results": tree_digest(p.results),
        "reference": file_digest(p.published_figures),
        "code": b.module_digest(p, "reproduction"),
        "env": b.env_digest(p),
    }


def render_digests(ctx: Ctx, inst: Inst) -> dict[str, str]:
    """Inputs of ``render`` (``outputs`` is added from the table: :func:`upstream_digest`)."""
    p = ctx.paths
    return {
        "notebooks": tree_digest(p.executed_notebooks, ["*.ipynb"]),
        "results": tree_digest(p.results),
        "figures": tree_digest(p.figures),
        "sources": tree_digest(p.reports, ["*.qmd", "*.md", "*.yml"], exclude=["_generated", "_output"]),
        "quarto": _file_or(p.root / "_quarto.yml", ""),
        "reference": _file_or(p.published_figures, ""),
        "verify": tree_digest(p.verify),
        "ingest": _file_or(p.processed / "ingest_report.json", ""),
        "calibration": _file_or(p.calibration_table, ""),
        "code": b.module_digest(p, "render"),
        "renderer": ctx.cfg.renderer,
        "synthetic": str(ctx.synthetic),
    }


# --- actions (plain functions; heavy imports only when a step runs) --------------------------------
def synth_action(ctx: Ctx, inst: Inst) -> None:
    """Write the synthetic twin into a staging folder, then put it in place."""
    from analysis import synth

    staged = staging_dir(ctx.raw)
    synth.write_twin(staged, seed=ctx.cfg.seed)
    replace_dir(staged, ctx.raw)


def ingest_action(ctx: Ctx, inst: Inst) -> None:
    """Raw exports to processed tables (the folder replaced as a whole on success)."""
    from analysis.ingest import process as ingest

    p = ctx.paths
    staged = staging_dir(p.processed)
    report = ingest.run(ctx.raw, staged, measurements=measurements_mod.load_all(p), proposal_dir=p.processed)
    if report.exit_code != 0:
        raise RuntimeError(f"ingest of {ctx.raw} failed (exit {report.exit_code})")
    replace_dir(staged, p.processed)


def intake_action(ctx: Ctx, inst: Inst) -> None:
    """Judge what ingest accepted against each measurement's limits (:mod:`analysis.ingest.gate`)."""
    from analysis.ingest import gate

    p = ctx.paths
    report = p.processed / "ingest_report.json"
    accounts = json.loads(report.read_text("utf-8")).get("accounting", {})
    limits = {m.meting: (m.max_quarantine_share, list(m.repeated_files)) for m in b._measurements(p).values()}
    verdict = gate.judge(accounts, limits)
    p.intake.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.intake.with_name(f".{p.intake.name}.tmp")
    tmp.write_text(json.dumps(verdict, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, p.intake)


def disclosure_action(ctx: Ctx, inst: Inst) -> None:
    """One disclosure decision per published measurement (:mod:`analysis.present.publish`)."""
    from analysis.describe.load import load_measurement
    from analysis.present import location as dl
    from analysis.present import publish

    p = ctx.paths
    k = b.min_cell_size(ctx.cfg)
    for m in ctx.published:
        months = measurements_mod.load_all(p)[m].months()
        data = load_measurement(p.processed, m, list(months))
        decision = publish.decide(data, dl.Period(tuple(months)), k)
        publish.save(decision, publish.decision_file(p.build, m))


def notebook_action(ctx: Ctx, inst: Inst) -> None:
    """Execute a chapter notebook with papermill (:func:`analysis.pipeline.run.execute`)."""
    from analysis.pipeline import run as run_mod  # papermill takes seconds to import

    p = ctx.paths
    nb = inst["notebook"]
    params = b.notebook_params(ctx.cfg, inst["used"][-1], ctx.metingen)
    run_mod.execute(p.notebooks / f"{nb}.ipynb", p.executed_notebooks / f"{nb}.ipynb", params, cwd=p.root)


def planning_action(ctx: Ctx, inst: Inst) -> None:
    """Execute the planning notebook (quick setting)."""
    from analysis.pipeline import run as run_mod

    p = ctx.paths
    nb = b.PLANNING_NOTEBOOK
    run_mod.execute(
        p.notebooks / f"{nb}.ipynb", p.executed_notebooks / f"{nb}.ipynb", planning_params(ctx), cwd=p.root
    )


def calibration_action(ctx: Ctx, inst: Inst) -> None:
    """Calibration of the twin against the published figures (appendix D)."""
    from analysis.core.results import write_csv
    from analysis.verify.calibration import calibration_table

    p = ctx.paths
    table = calibration_table(p.processed, raw=ctx.raw if ctx.raw.exists() else None)
    p.calibration_table.parent.mkdir(parents=True, exist_ok=True)
    write_csv(table, p.calibration_table)


def audit_action(ctx: Ctx, inst: Inst) -> None:
    """Consistency audit of the published figures."""
    from analysis.verify import audit

    p = ctx.paths
    audit.write_result(audit.audit(p.published_figures), p.audit_findings)


def teaching_action(ctx: Ctx, inst: Inst) -> None:
    """The chapter-3 analysis frames as documented CSVs (:mod:`analysis.models.teaching`)."""
    from analysis.models import teaching

    p = ctx.paths
    out = p.results / "teaching"
    staged = staging_dir(out)
    teaching.export(
        p.processed,
        staged,
        metingen=ctx.metingen,
        reference=ctx.metingen[0],
        params_dir=p.params,
        synthetic_build=ctx.synthetic,
    )
    replace_dir(staged, out)


def reproduction_action(ctx: Ctx, inst: Inst) -> None:
    """Every published figure beside this build's value (appendix D; ``compendium check``)."""
    from analysis.verify import reproduction

    p = ctx.paths
    reproduction.write_result(reproduction.check(p), p.reproduction_check)


def render_action(ctx: Ctx, inst: Inst) -> None:
    """Render the report (staged, checked for completeness, then moved into place)."""
    b.render_atomic(ctx.paths, ctx.cfg.renderer, ctx.synthetic, b.expected_notebooks(ctx.cfg, ctx.metingen))


# --- checks beyond "every declared output exists" ------------------------------------------------
def notebook_check(ctx: Ctx, inst: Inst) -> list[str]:
    """Every code cell of the executed notebook ran without error."""
    from analysis.verify import completeness

    return completeness.notebook_problems(ctx.paths.executed_notebooks / f"{inst['notebook']}.ipynb")


def teaching_check(ctx: Ctx, inst: Inst) -> list[str]:
    """The teaching folder holds what its data dictionary describes (data only from twin data)."""
    from analysis.verify import completeness

    p = ctx.paths
    return completeness.teaching_problems(p.results / "teaching", ctx.synthetic and is_synthetic(p.processed))


def render_check(ctx: Ctx, inst: Inst) -> list[str]:
    """The report shows every figure and table of the notebooks; every results index complete."""
    return b.report_completeness(ctx.paths, b.expected_notebooks(ctx.cfg, ctx.metingen)).problems


# --- instances and conditions ---------------------------------------------------------------------
def notebook_instances(ctx: Ctx, group: str, section: bool) -> list[Inst]:
    """Chapter notebooks (or sections) of ``group`` in run order (:func:`analysis.pipeline.build.chapter_notebooks`).

    ``prefix`` is the start of the names of the results a notebook writes (``ch2_``, from the
    chapter's number), ``label`` that of its appendix tables (``ch2-``).
    """
    number = {ch.notebook: ch.number for ch in CHAPTERS}
    sections = {s.notebook: ch.number for ch in CHAPTERS for s in ch.sections}
    out = []
    for nb, g, used, table in b.chapter_notebooks(ctx.cfg, ctx.metingen):
        if g != group or (nb in sections) != section:
            continue
        n = sections.get(nb) or number[nb]
        prefix = SECTION_PREFIX[nb] if section else f"ch{n}_"
        out.append(
            {"notebook": nb, "group": g, "used": used, "table": table, "prefix": prefix, "label": f"ch{n}-"}
        )
    return out


#: Results-name prefix of a chapter section that writes results of its own (the chapter's prefix
#: covers the rest): leave one location out writes ``ch3_sens_lolo*`` (:data:`analysis.models.tables.LOLO_TABLES`).
SECTION_PREFIX = {b.LOLO_NOTEBOOK: "ch3_sens_lolo"}


def published_instances(ctx: Ctx) -> list[Inst]:
    """One disclosure step; its outputs are one decision per published measurement."""
    return [{"metingen": ctx.published}]


def factsheet_late(ctx: Ctx) -> list[Step]:
    """The factsheet steps (their locations and inputs come from the processed data)."""
    from analysis.pipeline import factsheet_steps

    steps = factsheet_steps.factsheet_steps(
        ctx.paths, ctx.latest, min_cell_size=b.min_cell_size(ctx.cfg), max_locations=b.BUILD_MAX_FACTSHEETS
    )
    row = kind("factsheet")
    for s in steps:
        inst = {"location": s.name.removeprefix("factsheet-")}
        s.outputs = fixed_outputs(ctx, row, inst)
        s.verify = partial(output_problems, ctx, row, inst)
    return steps


def _has_reference(ctx: Ctx) -> bool:
    return ctx.paths.published_figures.exists()


# --- the table --------------------------------------------------------------------------------------
_CODE = "import closure of the step's entry modules (analysis.pipeline.build.ENTRIES)"
_ENV = "pyproject.toml (the pinned dependencies)"
_ING = "ingest"
_REG = "<processed>/registrations.parquet"
_OCC = "<processed>/occupancy.parquet"
_LOC = "<processed>/locations.parquet"
_POL = "<processed>/policy.parquet"
_NB_INPUTS = (
    Input("notebook", "notebook", "the notebook source (notebooks/{notebook}.ipynb)"),
    Input("params", "params", "its parameters (measurement, period, k, model set, seed)"),
    Input("code", "code", "import closure of analysis.pipeline.run, .kernel and the notebook's imports"),
    Input("env", "env", _ENV),
    Input("synthetic", "value", "twin or real registrations"),
    Input("data-{meting}", "table", "rows of each measurement it reads", _ING, "<processed>/{table}"),
)
_NB_OUT = Output("executed_notebooks", "{notebook}.ipynb", "the executed notebook")

STEPS: tuple[StepKind, ...] = (
    StepKind(
        "synth", "synth", "twin",
        (Input("code", "code", "import closure of analysis.synth"), Input("seed", "value", "the twin's seed")),
        (Output("synthetic_raw", SYNTHETIC_MARKER, "marker of the twin's raw tree (the tree replaced as a whole)"),
         Output("synthetic_raw", "meting-*/**/*", "the raw exports of every measurement")),
        synth_action, synth_digests, one, "the synthetic twin as a raw-data tree",
        when="twin builds", active=lambda ctx: ctx.synthetic,
    ),
    StepKind(
        "ingest", "ingest", "ingest",
        (Input("raw", "raw", "every file of the raw tree (data/raw, or the twin's)", "synth", "<build>/synthetic-raw/meting-*/**/*"),
         Input("params", "params", "params/ (measurements)"),
         Input("code", "code", "import closure of analysis.ingest.process"),
         Input("env", "env", _ENV),
         Input("key", "value", "fingerprint of the pseudonymisation key")),
        (Output("processed", "registrations.parquet", "registrations"),
         Output("processed", "ingest_report.json", "accounting, warnings, locations found"),
         Output("processed", "*.parquet", "the other processed tables (occupancy, locations, policy)"),
         Output("processed", "quarantine.csv", "rows set aside, with reasons")),
        ingest_action, ingest_digests, one, "raw exports to validated processed tables",
    ),
    StepKind(
        "intake", "intake", "intake",
        (Input("report", "file", "the ingest report", _ING, "<processed>/ingest_report.json"),
         Input("params", "params", "params/ (quarantine limits, declared repeated files)"),
         Input("code", "code", "import closure of analysis.ingest.gate")),
        (Output("build", "intake.json", "the intake verdict"),),
        intake_action, intake_digests, one, "stops the build when quarantine or repeated files make the data unfit",
    ),
    StepKind(
        "disclosure", "disclosure", "disclosure",
        (Input("k", "value", "the minimum cell size"),
         Input("measurements", "params", "months of each published measurement"),
         Input("registrations", "table", "every row", _ING, _REG),
         Input("locations", "table", "every row", _ING, _LOC),
         Input("code", "code", "import closure of analysis.present.publish"),
         Input("env", "env", _ENV)),
        (Output("build", "disclosure/meting-{meting}.json", "one decision per published measurement"),),
        disclosure_action, disclosure_digests, published_instances,
        "one disclosure decision over every published count",
    ),
    StepKind(
        "notebook-models", "notebook-{notebook}", "analysis",
        (*_NB_INPUTS, Input("occupancy", "table", "every row", _ING, _OCC)),
        (_NB_OUT,
         Output("model_results", "{prefix}*.csv", "results CSVs (results contract)", indexed=True),
         Output("model_results", "{prefix}*.json", "model cards for the report"),
         Output("model_results", "frames/*.csv", "the analysis frames of the models (twin data)"),
         Output("figures", "models/*", "figures (PNG and SVG)")),
        notebook_action, notebook_digests, partial(notebook_instances, group="models", section=False),
        "chapter 3: the models", notebook_check,
    ),
    StepKind(
        "section-models", "notebook-{notebook}", "analysis",
        (*_NB_INPUTS, Input("occupancy", "table", "every row", _ING, _OCC)),
        (_NB_OUT, Output("model_results", "{prefix}*.csv", "results CSVs (results contract)", indexed=True)),
        notebook_action, notebook_digests, partial(notebook_instances, group="models", section=True),
        "a section of chapter 3 with results of its own (leave one location out)", notebook_check,
        when="sensitivity-only sections: model set primary+sensitivity",
    ),
    StepKind(
        "planning", f"notebook-{b.PLANNING_NOTEBOOK}", "analysis",
        (Input("notebook", "notebook", f"notebooks/{b.PLANNING_NOTEBOOK}.ipynb"),
         Input("params", "params", "its parameters (quick setting)"),
         Input("plan", "params", "params/plan.yaml"),
         Input("code", "code", "import closure of analysis.pipeline.run, .kernel and the notebook's imports"),
         Input("env", "env", _ENV),
         Input("synthetic", "value", "twin or real registrations"),
         Input("counts", "table", "every row", _ING, _REG),
         Input("occupancy", "table", "every row", _ING, _OCC)),
        (Output("executed_notebooks", f"{b.PLANNING_NOTEBOOK}.ipynb", "the executed notebook"),
         Output("results", "planning/plan_sims.csv", "every simulation"),
         Output("results", "planning/plan_power.csv", "power per design"),
         Output("results", "planning/plan_mdc.csv", "minimal detectable decline"),
         Output("figures", "plan_*", "the power figure (PNG and SVG)")),
        planning_action, planning_digests, one, "power of the next measurement by simulation",
        when="params/plan.yaml exists", active=lambda ctx: (ctx.paths.params / "plan.yaml").exists(),
    ),
    StepKind(
        "notebook-chapters", "notebook-{notebook}", "analysis",
        _NB_INPUTS,
        (_NB_OUT,
         Output("results", "{prefix}*.csv", "results CSVs (results contract)", indexed=True),
         Output("results", "appendix/{label}*.csv", "location tables as displayed (above the inline limit)"),
         Output("figures", "{prefix}*", "figures (PNG and SVG)")),
        notebook_action, notebook_digests, partial(notebook_instances, group="chapter", section=False),
        "the descriptive chapters, the last first", notebook_check,
    ),
    StepKind(
        "factsheet", "factsheet-{location}", "analysis",
        (Input("registrations", "table", "this location's rows of the latest measurement", _ING, _REG),
         Input("occupancy", "table", "this location's rows", _ING, _OCC),
         Input("location", "table", "this location's row", _ING, _LOC),
         Input("national", "value", "the national figures as displayed"),
         Input("hidden", "file", "this location's hidden cells", "disclosure", "<build>/disclosure/meting-{meting}.json"),
         Input("code", "code", "import closure of analysis.pipeline.factsheet_steps"),
         Input("env", "env", _ENV),
         Input("params", "params", "measurement, period, k"),
         Input("synthetic", "value", "twin or real registrations")),
        (Output("factsheets", "{location}.html", "the factsheet page"),
         Output("factsheets", "{location}.pdf", "the one-page PDF")),
        None, None, one, "one factsheet per location (a seeded sample above the bound)",
        when="unless factsheets are off", active=lambda ctx: ctx.cfg.factsheets, late=factsheet_late,
    ),
    StepKind(
        "calibration", "calibration", "analysis",
        (Input("registrations.parquet", "file", "the table", _ING, _REG),
         Input("occupancy.parquet", "file", "the table", _ING, _OCC),
         Input("policy.parquet", "file", "the table", _ING, _POL),
         Input("raw", "raw", "the twin's raw tree (facility counts)", "synth", "<build>/synthetic-raw/meting-*/**/*"),
         Input("code", "code", "import closure of analysis.verify.calibration"),
         Input("env", "env", _ENV)),
        (Output("build", "calibration/synth_calibration.csv", "calibration of the twin"),),
        calibration_action, calibration_digests, one, "the twin against the published figures",
        when="twin builds with published figures", active=lambda ctx: ctx.synthetic and _has_reference(ctx),
    ),
    StepKind(
        "audit", "audit", "analysis",
        (Input("reference", "file", "data/reference/published_figures.csv"),
         Input("code", "code", "import closure of analysis.verify.audit"),
         Input("env", "env", _ENV)),
        (Output("verify", "audit.json", "findings"),),
        audit_action, audit_digests, one, "consistency audit of the published figures",
        when="published figures exist", active=_has_reference,
    ),
    StepKind(
        "teaching", "teaching-data", "analysis",
        (Input("registrations", "table", "every row", _ING, _REG),
         Input("occupancy", "table", "every row", _ING, _OCC),
         Input("locations", "table", "every row", _ING, _LOC),
         Input("params", "params", "params/"),
         Input("code", "code", "import closure of analysis.models.teaching"),
         Input("env", "env", _ENV),
         Input("synthetic", "value", "twin or real registrations")),
        (Output("results", "teaching/README.md", "what the folder holds"),
         Output("results", "teaching/*", "data dictionary and frames (twin data only)")),
        teaching_action, teaching_digests, one, "chapter-3 frames as documented CSVs for students", teaching_check,
    ),
    StepKind(
        "reproduction", "reproduction", "verify",
        (Input("results", "outputs", "every file under <build>/results"),
         Input("reference", "file", "data/reference/published_figures.csv"),
         Input("code", "code", "import closure of analysis.verify.reproduction"),
         Input("env", "env", _ENV),
         Input("outputs", "outputs", "declared results of the notebook steps")),
        (Output("verify", "reproduction.json", "every published figure beside this build's value"),),
        reproduction_action, reproduction_digests, one, "the build's values against the published figures",
        when="published figures exist", active=_has_reference,
        reads=tuple((k, ("results", "model_results")) for k in ("notebook-models", "section-models", "notebook-chapters")),
    ),
    StepKind(
        "render", "render", "report",
        (Input("notebooks", "outputs", "executed notebooks"),
         Input("results", "outputs", "every file under <build>/results"),
         Input("figures", "outputs", "every file under <build>/figures"),
         Input("sources", "file", "reports/*.qmd, *.md, *.yml"),
         Input("quarto", "file", "_quarto.yml"),
         Input("reference", "file", "published figures"),
         Input("verify", "outputs", "every file under <build>/verify"),
         Input("ingest", "file", "the ingest report", _ING, "<processed>/ingest_report.json"),
         Input("calibration", "file", "the calibration table", "calibration", "<build>/calibration/synth_calibration.csv"),
         Input("code", "code", "import closure of analysis.report.render"),
         Input("renderer", "value", "auto, quarto or pandoc"),
         Input("synthetic", "value", "twin or real registrations"),
         Input("outputs", "outputs", "declared outputs of the notebook, planning, teaching and verification steps")),
        (Output("report_output", "report.html", "the report"), Output("report_output", "report.pdf", "the report")),
        render_action, render_digests, one, "HTML and PDF, checked for every figure and table", render_check,
        reads=tuple((k, ()) for k in ("notebook-models", "section-models", "planning", "notebook-chapters", "calibration",
                                     "audit", "teaching", "reproduction")),
    ),
)  # fmt: skip


def kind(row_id: str) -> StepKind:
    """The row of :data:`STEPS` with this id."""
    for row in STEPS:
        if row.id == row_id:
            return row
    raise KeyError(f"no step kind {row_id!r}; known: {[r.id for r in STEPS]}")


# --- outputs: resolve, own, check, digest -----------------------------------------------------------
def _fill(text: str, inst: Inst) -> str:
    values = {k: v for k, v in inst.items() if isinstance(v, (str, int))}
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), text)


def _expand_meting(out: Output, inst: Inst) -> list[Output]:
    if "{meting}" in out.pattern and "metingen" in inst:
        return [
            Output(out.base, out.pattern.replace("{meting}", str(m)), out.note, out.indexed)
            for m in inst["metingen"]
        ]
    return [Output(out.base, _fill(out.pattern, inst), out.note, out.indexed)]


def resolved(row: StepKind, inst: Inst) -> list[Output]:
    """The row's outputs with the instance's values filled in (``{meting}``: one per measurement)."""
    return [o for out in row.outputs for o in _expand_meting(out, inst)]


def _path(paths: Paths, out: Output) -> Path:
    base = Path(getattr(paths, out.base))
    if out.base == "factsheets" and "{" not in out.pattern and "*" not in out.pattern:
        stem, suffix = os.path.splitext(out.pattern)
        return location_file(base, stem, suffix)
    if out.base == "build" and out.pattern.startswith("disclosure/meting-"):
        return decision_file(paths.build, int(out.pattern.split("-")[-1].split(".")[0]))
    return base / out.pattern


def fixed_outputs(ctx: Ctx, row: StepKind, inst: Inst) -> list[Path]:
    """The single files a step promises (a missing one makes it run again)."""
    return [_path(ctx.paths, o) for o in resolved(row, inst) if not o.family]


def _literal(pattern: str) -> int:
    return len(re.split(r"[*?\[]", pattern, maxsplit=1)[0])


def families(ctx: Ctx) -> list[tuple[str, Output, Path]]:
    """Every family of files of the build's steps: (step name, output, folder/pattern)."""
    out = []
    for row in STEPS:
        if row.late is not None or not row.active(ctx):
            continue
        for inst in row.instances(ctx):
            out += [(_fill(row.name, inst), o, _path(ctx.paths, o)) for o in resolved(row, inst) if o.family]
    return out


def owner(fams: list[tuple[str, Output, Path]], path: Path) -> str | None:
    """The step whose declared family holds ``path``: the most specific pattern that matches it."""
    best: tuple[int, str] | None = None
    for name, _, full in fams:
        if _matches(path, full) and (best is None or _literal(str(full)) > best[0]):
            best = (_literal(str(full)), name)
    return best[1] if best else None


def _matches(path: Path, full: Path) -> bool:
    return fnmatch.fnmatchcase(str(path), str(full)) or (
        "/**/" in str(full) and fnmatch.fnmatchcase(str(path), str(full).replace("/**/", "/"))
    )


def members(fams: list[tuple[str, Output, Path]], name: str, full: Path) -> list[Path]:
    """Existing files of one family of step ``name`` (those a more specific family owns left out)."""
    root = Path(re.split(r"[*?\[]", str(full), maxsplit=1)[0]).parent
    if not root.is_dir():
        return []
    found = sorted(str(p) for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [Path(p) for p in found if _matches(Path(p), full) and owner(fams, Path(p)) == name]


def indexed_checks(ctx: Ctx, row: StepKind, inst: Inst) -> list[tuple[Path, str, tuple[str, ...]]]:
    """(folder, file pattern, patterns of other steps) of the step's families in the results contract."""
    name = _fill(row.name, inst)
    out = []
    for o in resolved(row, inst):
        if o.indexed:
            full = _path(ctx.paths, o)
            others = tuple(
                f.name
                for n, _, f in families(ctx)
                if n != name and f.parent == full.parent and _literal(f.name) > _literal(full.name)
            )
            out.append((full.parent, full.name, others))
    return out


def output_problems(ctx: Ctx, row: StepKind, inst: Inst) -> list[str]:
    """Problems of a step's declared outputs: missing files, results the contract lists but absent,
    then the row's own check (:mod:`analysis.verify.completeness`)."""
    from analysis.verify import completeness

    problems = completeness.outputs_problems(fixed_outputs(ctx, row, inst), indexed_checks(ctx, row, inst))
    return problems + (row.check(ctx, inst) if row.check else [])


def upstream_digest(ctx: Ctx, reads: Iterable[tuple[str, tuple[str, ...]]]) -> str:
    """Digest of the declared outputs of the steps read (files and family members; absent too)."""
    parts: dict[str, str] = {}
    fams = families(ctx)
    for row_id, bases in reads:
        row = kind(row_id)
        if row.late is not None or not row.active(ctx):
            continue
        for inst in row.instances(ctx):
            name = _fill(row.name, inst)
            for o in resolved(row, inst):
                if bases and o.base not in bases:
                    continue
                full = _path(ctx.paths, o)
                files = members(fams, name, full) if o.family else [full]
                for f in files:
                    parts[f"{name}:{f}"] = stat_file_digest(f) if f.is_file() else "absent"
    return json_digest(parts)


# --- steps and the plan ------------------------------------------------------------------------------
def make_step(ctx: Ctx, row: StepKind, inst: Inst) -> Step:
    """The :class:`~analysis.pipeline.incremental.Step` of one instance of a row."""
    assert row.digests is not None and row.action is not None
    inputs = row.digests(ctx, inst)
    if row.reads:
        inputs["outputs"] = upstream_digest(ctx, row.reads)
    return Step(
        _fill(row.name, inst),
        inputs,
        fixed_outputs(ctx, row, inst),
        partial(row.action, ctx, inst),
        partial(output_problems, ctx, row, inst),
    )


@dataclass
class Factory:
    """Makes the step(s) of one row instance when its stage is reached (digests see fresh data)."""

    ctx: Ctx
    row: StepKind
    inst: Inst = field(default_factory=dict)

    @property
    def __name__(self) -> str:  # noqa: A003 - as the closures it replaces were named
        return f"{self.row.id}_step"

    def __call__(self) -> Step | list[Step]:
        if self.row.late is not None:
            return self.row.late(self.ctx)
        return make_step(self.ctx, self.row, self.inst)


def plan(cfg: Any) -> list[list[Factory]]:
    """The build as stages of step factories, derived from :data:`STEPS`.

    Stages run in :data:`STAGES` order (empty stages left out); within a stage the rows run
    side by side in table order, longest first.
    """
    ctx = context(cfg)
    stages: list[list[Factory]] = []
    for stage in STAGES:
        factories = [
            Factory(ctx, row, inst)
            for row in STEPS
            if row.stage == stage and row.active(ctx)
            for inst in row.instances(ctx)
        ]
        if factories:
            stages.append(factories)
    return stages


def verify_factories(cfg: Any) -> list[Factory]:
    """Factories of the verification steps (calibration, audit, reproduction) of this build."""
    ctx = context(cfg)
    ids = ("calibration", "audit", "reproduction")
    return [
        Factory(ctx, row, inst)
        for row in STEPS
        if row.id in ids and row.active(ctx)
        for inst in row.instances(ctx)
    ]
