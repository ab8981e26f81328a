"""The build as data: the step table drives the plan, the completeness check, the digests and the docs.

The fast tests plan a twin build in a temporary folder (no step runs); the ``build`` tier test
uses the session's full build (``built``) for ``--dry-run`` and the families of outputs.
"""

from __future__ import annotations

import csv
import dataclasses
import fnmatch
from pathlib import Path

import pytest

from analysis.core.chapters import CHAPTERS
from analysis.core.paths import Paths, default_paths
from analysis.pipeline import cli, graph, graphview
from analysis.pipeline.build import BuildConfig, plan
from conftest import isolated_paths

CH2 = "notebook-02_unplanned_seclusion"


@pytest.fixture()
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BuildConfig:
    # planning the ingest step digests the pseudonymisation key; the raw tree is empty
    monkeypatch.setenv("COMPENDIUM_PSEUDONYM_KEY", "test-key-for-planning-only-0123456789abcdef")
    return BuildConfig(paths=isolated_paths(tmp_path), synthetic=True, factsheets=False)


def _step(cfg: BuildConfig, name: str):
    for stage in plan(cfg):
        for factory in stage:
            made = factory()
            if not isinstance(made, list) and made.name == name:
                return made
    raise KeyError(name)


def test_the_plan_is_the_table_in_stage_order(cfg: BuildConfig) -> None:
    stages = [[f() for f in stage] for stage in plan(cfg)]
    kinds = [[f.row.id for f in stage] for stage in plan(cfg)]
    assert [graph.kind(k[0]).stage for k in kinds] == list(graph.STAGES)  # every stage on the twin
    for stage in kinds:  # within a stage: table order
        order = [r.id for r in graph.STEPS]
        assert stage == sorted(stage, key=order.index)
    names = [s.name for stage in stages for s in stage]
    assert len(names) == len(set(names)), "two steps share a name"


def test_inputs_read_from_another_step_name_its_declared_outputs() -> None:
    for row in graph.STEPS:
        for inp in row.inputs:
            if inp.of is None:
                continue
            declared = [o.shown() for o in graph.kind(inp.of).outputs]
            # {table}: the processed table of each chapter (analysis.core.chapters)
            files = (
                [inp.file.replace("{table}", ch.table) for ch in CHAPTERS]
                if "{table}" in inp.file
                else [inp.file]
            )
            for file in files:
                assert file in declared or any(fnmatch.fnmatchcase(file, d) for d in declared), (
                    f"{row.id}.{inp.key} reads {file}, which {inp.of} does not declare"
                )
        for row_id, bases in row.reads:
            assert graph.kind(row_id).stage in graph.STAGES[: graph.STAGES.index(row.stage) + 1]
            assert all(b in graph.BASES for b in bases)


def test_no_output_is_declared_twice(cfg: BuildConfig) -> None:
    ctx = graph.context(dataclasses.replace(cfg, model_set="primary+sensitivity"))
    seen: dict[str, str] = {}
    for row in graph.STEPS:
        if row.late is not None:
            continue
        for inst in row.instances(ctx):
            name = graph._fill(row.name, inst)
            for out in graph.resolved(row, inst):
                key = str(graph._path(ctx.paths, out))
                assert key not in seen, f"{key} declared by {seen.get(key)} and {name}"
                seen[key] = name


def test_made_steps_have_the_declared_inputs_and_outputs(cfg: BuildConfig) -> None:
    ctx = graph.context(cfg)
    for stage in plan(cfg):
        for factory in stage:
            step = factory()
            declared = {i.key for i in factory.row.inputs if "{" not in i.key}
            declared |= {"outputs"} if factory.row.reads else set()
            per_meting = [i.key.split("{")[0] for i in factory.row.inputs if "{" in i.key]
            extra = {k for k in step.inputs if not any(k.startswith(p) for p in per_meting)}
            assert extra == declared, step.name
            assert step.outputs == graph.fixed_outputs(ctx, factory.row, factory.inst)


def test_a_fake_output_is_missing_and_changes_the_digest_of_the_step_that_reads_it(
    cfg: BuildConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _step(cfg, "reproduction").inputs
    render_before = _step(cfg, "render").inputs
    row = graph.kind("notebook-chapters")
    fake = graph.Output("results", "{prefix}fake.csv", "a file the notebook never writes")
    patched = tuple(
        dataclasses.replace(r, outputs=r.outputs + (fake,)) if r is row else r for r in graph.STEPS
    )
    monkeypatch.setattr(graph, "STEPS", patched)

    ch2 = _step(cfg, CH2)
    missing = cfg.paths.results / "ch2_fake.csv"
    assert missing in ch2.outputs
    assert f"output missing: {missing}" in ch2.verify()  # the completeness check of the step
    after = _step(cfg, "reproduction").inputs
    assert {k for k in after if after[k] != before[k]} == {"outputs"}  # the dependency digest
    assert _step(cfg, "render").inputs["outputs"] != render_before["outputs"]

    missing.parent.mkdir(parents=True, exist_ok=True)
    missing.write_text("x\n1\n")
    assert f"output missing: {missing}" not in ch2.verify()
    assert _step(cfg, "reproduction").inputs["outputs"] != after["outputs"]  # its content counts too


def test_a_results_file_of_the_contract_is_checked_by_the_step_whose_family_holds_it(
    cfg: BuildConfig,
) -> None:
    models = cfg.paths.model_results
    models.mkdir(parents=True)
    (models / "index.csv").write_text(
        "name,chapter,title,file,published_ids\nch3_models_fit,3,t,ch3_models_fit.csv,\n"
        "ch3_sens_lolo,3,t,ch3_sens_lolo.csv,\n"
    )
    wide = dataclasses.replace(cfg, model_set="primary+sensitivity")
    ch3 = _step(wide, "notebook-03_change_across_measurements").verify()
    lolo = _step(wide, f"notebook-{graph.b.LOLO_NOTEBOOK}").verify()
    assert f"results file missing: {models / 'ch3_models_fit.csv'}" in ch3
    assert not any("ch3_sens_lolo" in p for p in ch3)  # the section's family is more specific
    assert f"results file missing: {models / 'ch3_sens_lolo.csv'}" in lolo
    assert not any("ch3_models_fit" in p for p in lolo)


def test_graph_lists_every_step_with_its_inputs_and_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["build", "--graph"]) == 0
    text = capsys.readouterr().out
    for row in graph.STEPS:
        assert graphview._placeholders(row.name) in text
        for inp in row.inputs:
            assert graphview._placeholders(inp.key) in text
        for out in row.outputs:
            assert graphview._placeholders(out.shown()) in text


def test_the_docs_show_the_table_as_it_is() -> None:
    page = (default_paths().root / "docs" / "architecture.md").read_text("utf-8")
    assert graphview.generated() in page, (
        "docs/architecture.md is out of date: python -m analysis.pipeline.graphview docs/architecture.md"
    )
    assert graphview.generated() == graphview.generated()  # deterministic
    picture = (default_paths().root / "docs" / graphview.PICTURE).read_text("utf-8")
    assert picture == graphview.svg(), "docs/step-graph.svg is out of date (same command)"
    assert graphview.PICTURE in graphview.generated()  # the page shows it
    for row in graph.STEPS:
        assert f"`{graphview._placeholders(row.name)}`" in page


def test_the_picture_draws_every_step_and_every_edge_of_the_table() -> None:
    from xml.etree import ElementTree

    root = ElementTree.fromstring(graphview.svg())
    ns = "{http://www.w3.org/2000/svg}"
    texts = {t.text for t in root.iter(f"{ns}text")}
    assert {graphview._placeholders(r.name) for r in graph.STEPS} <= texts
    assert set(graph.STAGES) <= texts
    arrows = [p for p in root.iter(f"{ns}path") if p.get("marker-end")]
    assert len(arrows) == len(graphview._edges()) > 0


def test_dry_run_of_a_new_build_runs_nothing_and_says_never_built(cfg: BuildConfig) -> None:
    verdicts = graphview.dry_run(cfg)
    assert verdicts[0].step == "synth" and verdicts[0].reason == "never built"
    assert all(v.reason == "never built" for v in verdicts)
    assert not cfg.paths.state.exists() and not cfg.paths.processed.exists()
    assert (
        graphview.dry_run_lines(verdicts)[-1]
        == f"{len(verdicts)} of {len(verdicts)} steps would run; nothing was run."
    )


@pytest.mark.build
def test_dry_run_of_a_built_project_then_a_touched_input(built: tuple[Paths, list]) -> None:
    paths, _ = built
    cfg = BuildConfig(paths=paths)
    verdicts = graphview.dry_run(cfg)
    assert [(v.step, v.reason) for v in verdicts if v.reason is not None] == []
    assert "up to date" in graphview.dry_run_lines(verdicts)[0]
    assert any(v.step.startswith("factsheet-") for v in verdicts)
    # Every file the results contract lists belongs to exactly one step's family.
    fams = graph.families(graph.context(cfg))
    for index in sorted(paths.results.rglob("index.csv")):
        with index.open(encoding="utf-8", newline="") as fh:
            listed = [row["file"] for row in csv.DictReader(fh)]  # titles hold commas: a real CSV reader
        assert listed, f"{index} lists no file"
        for name in listed:
            f = index.parent / name
            assert graph.owner(fams, f) is not None, f"{f} belongs to no step"

    # An input of the render step changes (a file under <build>/verify), an output goes missing;
    # both are put back afterwards (the build is the session's).
    audit, nb = paths.audit_findings, paths.executed_notebooks / "01_planned_policy.ipynb"
    text, aside = audit.read_bytes(), nb.with_name(".aside.ipynb")
    try:
        audit.write_bytes(text + b"\n")
        nb.rename(aside)
        verdicts = {v.step: v for v in graphview.dry_run(cfg)}
        assert verdicts["notebook-01_planned_policy"].reason == f"output missing: {nb}"
        assert verdicts["render"].reason.startswith("changed:") and "verify" in verdicts["render"].reason
        assert verdicts["notebook-02_unplanned_seclusion"].reason is None
        assert not nb.exists()  # nothing ran
    finally:
        audit.write_bytes(text)
        aside.rename(nb)
    assert all(v.reason is None for v in graphview.dry_run(cfg))
