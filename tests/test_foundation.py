"""Foundation: codebook, measurements, paths, CLI, environment files and repository hygiene."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import codebook
from analysis.core import measurements
from analysis.pipeline.cli import main as cli_main
from analysis.core.paths import Paths, default_paths

ROOT = default_paths().root


# --- codebook ----------------------------------------------------------------------------
def test_codebook_codes_follow_bijlage_2() -> None:
    assert codebook.field("aanleiding").labels()[3] == "Zelfbeschadiging"
    assert codebook.field("doel").codes == (1, 2, 3, 4, 5)  # 'Anders' coded 5
    assert codebook.field("ruimte").label(3, "en") == "Isolation room"
    assert codebook.field("evaluatie_2").allowed_text() == "1 Zonder jongere, 2 Met jongere"
    with pytest.raises(KeyError, match="allowed: 1 Zonder jongere"):
        codebook.field("evaluatie_2").label(7)


def test_codebook_registration_columns_are_the_contract() -> None:
    names = [f.name for f in codebook.fields("registraties")]
    assert names == [
        "locatie",
        "nummer_jongere",
        "datum_start",
        "tijd_start",
        "datum_eind",
        "tijd_eind",
        "aanleiding",
        "aanleiding_omschrijving",
        "doel",
        "doel_omschrijving",
        "ruimte",
        "beheer_ruimte",
        "contact",
        "evaluatie_1",
        "evaluatie_2",
        "aanvulling_jongere",
        "aanvulling_omschrijving",
        "opmerkingen",
    ]
    free = {f.name for f in codebook.fields("registraties") if f.free_text}
    assert free == {"aanleiding_omschrijving", "doel_omschrijving", "aanvulling_omschrijving", "opmerkingen"}


def test_every_category_has_both_labels() -> None:
    for res in ("registraties", "beleid"):
        for f in codebook.categorical_fields(res):
            for c in f.categories:
                assert c.label and c.label_en, (res, f.name, c.value)
            assert len(set(f.codes)) == len(f.codes)


# --- measurements -------------------------------------------------------------------------
def test_measurements_are_six_months() -> None:
    ms = measurements.load_all()
    assert ms[2].months() == ["2020-09", "2020-10", "2020-11", "2020-12", "2021-01", "2021-02"]
    assert all(len(m.months()) == 6 for m in ms.values())


def test_invalid_measurement_file_names_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "meting-9.yaml"
    bad.write_text(
        "meting: 9\nfolder: meting-9\nfirst_month: '2021-13'\nlast_month: '2021-02'\nexpected_locations: 3\n"
    )
    with pytest.raises(ValueError, match=r"(?s)meting-9.yaml.*first_month"):
        measurements.load(bad)


# --- paths ------------------------------------------------------------------------------
def test_paths_derive_from_root(tmp_path: Path) -> None:
    p = Paths(tmp_path, build=tmp_path / "b")
    assert p.results == tmp_path / "b" / "results"
    assert p.processed == tmp_path / "data" / "processed"
    assert p.report_output == tmp_path / "reports" / "_output"


# --- CLI ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cmd",
    [
        "synth",
        "ingest",
        "new-measurement",
        "run",
        "render",
        "build",
        "check",
        "release",
        "factsheets",
        "plan",
    ],
)
def test_every_subcommand_has_help(cmd: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli_main([cmd, "--help"])
    assert exc.value.code == 0
    assert "usage: compendium " + cmd in capsys.readouterr().out


def test_every_subcommand_and_option_is_described() -> None:
    """`compendium X --help` explains every command and every option (issue 16, item 6)."""
    import argparse

    from analysis.pipeline.cli import _parser

    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    described = {c.dest for c in sub._choices_actions if c.help}
    assert set(sub.choices) == described, f"commands without a summary: {set(sub.choices) - described}"
    bare = [
        f"{name} {'/'.join(a.option_strings) or a.dest}"
        for name, p in sub.choices.items()
        for a in p._actions
        if not isinstance(a, argparse._HelpAction) and not a.help
    ]
    assert not bare, f"options without help text: {bare}"
    assert all(p.description for p in sub.choices.values())


def test_cli_help_does_not_load_r() -> None:
    code = "import sys; from analysis.pipeline.cli import _parser; _parser(); print('rpy2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# (environment files: tests/test_environment.py)


# --- repository hygiene -----------------------------------------------------------------------
def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.split() if out.returncode == 0 else []


def test_source_notebooks_have_no_outputs_and_a_parameters_cell() -> None:
    nbs = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for nb in nbs:
        cells = json.loads(nb.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and not c.get("execution_count") for c in code), nb.name
        assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in code), nb.name


def test_no_raw_data_or_outputs_tracked() -> None:
    for f in _tracked():
        if f.startswith(("data/raw/", "data/processed/")):
            assert Path(f).name in {"README.md", ".gitkeep"}, f
        assert not re.search(r"\.(sav|xlsx|parquet)$", f) or f.startswith("tests/data/"), f
        assert not f.startswith(("build/", "reports/_output/")), f
