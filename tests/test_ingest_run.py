"""Run-level behaviour: exit codes, determinism, raw files untouched, privacy, report contents."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis.ingest import checks
from analysis.ingest import process as ingest
from analysis.ingest import pseudonym
from analysis.core.paths import find_root
from analysis.core.provenance import marker_text
from ingest_fixtures import KEY, MEASUREMENTS, make_tree, valid_rows, write_xlsx

ROOT = find_root()


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_second_run_is_byte_identical_and_raw_is_untouched(tmp_path):
    raw = make_tree(tmp_path, valid_rows(20))
    write_xlsx(raw / "meting-2" / "registraties" / "extra.xlsx", valid_rows(5, start=30))
    before = _digests(raw)
    ingest.run(raw, tmp_path / "a", key=KEY, measurements=MEASUREMENTS)
    ingest.run(raw, tmp_path / "b", key=KEY, measurements=MEASUREMENTS)
    ingest.run(raw, tmp_path / "a", key=KEY, measurements=MEASUREMENTS)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert sorted(_digests(tmp_path / "a")) == sorted([*ingest.OUTPUTS, "ingest_report.json"])
    assert _digests(raw) == before


def test_report_holds_hashes_of_inputs_and_outputs(tmp_path):
    raw = make_tree(tmp_path)
    ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    report = json.loads((tmp_path / "out" / "ingest_report.json").read_text())
    inputs = {f["file"]: f["sha256"] for f in report["files"]}
    assert inputs == {k: v for k, v in _digests(raw).items()}
    outs = _digests(tmp_path / "out")
    assert report["outputs"] == {k: outs[k] for k in ingest.OUTPUTS}
    assert report["synthetic"] is False and report["exit_code"] == 0
    assert report["totals"]["all"]["rows_read"] == 2 + 10 + 12 + 2


def test_registrations_match_the_contract(tmp_path):
    ingest.run(make_tree(tmp_path), tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    reg = pd.read_parquet(tmp_path / "out" / "registrations.parquet")
    assert list(reg.columns) == list(ingest._dtypes("registraties"))
    assert list(reg.columns)[:8] == [
        "meting",
        "locatie",
        "jongere",
        "start",
        "eind",
        "maand",
        "uur",
        "duur_min",
    ]
    assert str(reg["start"].dtype).startswith("datetime64") and reg["uur"].dtype == "int64"
    assert reg["aanleiding"].dtype == "Int64" and reg["duur_min"].dtype == "float64"
    assert all(reg[c].dtype == bool for c in checks.FLAGS)
    assert reg["maand"].str.fullmatch(r"\d{4}-\d{2}").all()
    occ = pd.read_parquet(tmp_path / "out" / "occupancy.parquet")
    assert list(occ.columns) == ["meting", "locatie", "maand", "gemiddelde_bezetting"]


def test_no_free_text_or_youth_ids_in_outputs(tmp_path):
    rows = valid_rows(8)
    ingest.run(make_tree(tmp_path, rows), tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    blob = b"".join(p.read_bytes() for p in (tmp_path / "out").iterdir())
    reg = pd.read_parquet(tmp_path / "out" / "registrations.parquet")
    assert b"geheim" not in blob and b"vrije tekst" not in blob
    assert not any(r["nummer_jongere"].encode() in blob for r in rows)
    expected = hmac.new(KEY, rows[0]["nummer_jongere"].encode(), hashlib.sha256).hexdigest()
    assert expected in set(reg["jongere"])


def test_synthetic_twin_uses_the_public_key(tmp_path, monkeypatch):
    monkeypatch.delenv(pseudonym.KEY_ENV, raising=False)
    raw = make_tree(tmp_path, valid_rows(3))
    files = {
        p.relative_to(raw).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in raw.rglob("*")
        if p.is_file()
    }
    (raw / "SYNTHETIC").write_text(marker_text("synthetic twin", files))
    rep = ingest.run(raw, tmp_path / "out", measurements=MEASUREMENTS)
    reg = pd.read_parquet(tmp_path / "out" / "registrations.parquet")
    assert rep.synthetic and pseudonym.pseudonym(
        valid_rows(1)[0]["nummer_jongere"], pseudonym.SYNTHETIC_KEY
    ) in set(reg["jongere"])


def test_real_data_without_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(pseudonym.KEY_ENV, raising=False)
    monkeypatch.delenv(pseudonym.KEY_FILE_ENV, raising=False)
    with pytest.raises(pseudonym.MissingKey, match="export COMPENDIUM_PSEUDONYM_KEY="):
        ingest.run(make_tree(tmp_path), tmp_path / "out", measurements=MEASUREMENTS)
    assert not (tmp_path / "out").exists()


def test_key_from_env_and_from_file_outside_repo(tmp_path, monkeypatch):
    monkeypatch.setenv(pseudonym.KEY_ENV, "geheim-0123456789abcdef ")
    assert pseudonym.resolve_key(tmp_path) == b"geheim-0123456789abcdef"
    monkeypatch.delenv(pseudonym.KEY_ENV)
    (tmp_path / "key").write_text("sleutel-0123456789abcdef\n")
    monkeypatch.setenv(pseudonym.KEY_FILE_ENV, str(tmp_path / "key"))
    assert pseudonym.resolve_key(tmp_path, repo_root=ROOT) == b"sleutel-0123456789abcdef"
    monkeypatch.setenv(pseudonym.KEY_FILE_ENV, str(ROOT / "pyproject.toml"))
    with pytest.raises(pseudonym.MissingKey, match="inside the repository"):
        pseudonym.resolve_key(tmp_path, repo_root=ROOT)


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda raw: None, "does not exist"),
        (lambda raw: raw.mkdir(), "has no locations.csv (see data/raw/README.md)"),
        (
            lambda raw: (
                raw.mkdir(),
                (raw / "locations.csv").write_text("locatie;instelling;naam;eerste_maand;laatste_maand\n"),
                (raw / "meting-2" / "registraties").mkdir(parents=True),
            ),
            "no registration files under",
        ),
    ],
)
def test_nothing_to_ingest(tmp_path, setup, message, capsys):
    raw = tmp_path / "raw"
    setup(raw)
    with pytest.raises(ingest.NothingToIngest, match=re.escape(message)):
        ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    assert ingest.main(raw, tmp_path / "out") == 2
    out = capsys.readouterr().out
    assert "nothing processed" in out and message.split(" (")[0] in out.replace("\n", " ")


def test_measurement_folder_without_params_is_an_error(tmp_path):
    raw = make_tree(tmp_path)
    (raw / "meting-3" / "registraties").mkdir(parents=True)
    with pytest.raises(
        ingest.IngestError,
        match=r"meting-3 has no measurement description: run `compendium new-measurement 3 --raw .*` to write params/meting-3.yaml",
    ):
        ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)


def test_main_prints_summary_and_returns_zero(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(pseudonym.KEY_ENV, KEY.decode())
    monkeypatch.setattr("analysis.core.measurements.load_all", lambda *a: MEASUREMENTS)
    assert (
        ingest.main(
            make_tree(tmp_path, valid_rows(3) + [dict(valid_rows(1)[0], locatie="ZZ")]), tmp_path / "out"
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "rows read" in out and "unknown_location 1" in out


def test_every_check_is_documented():
    readme = (ROOT / "data" / "raw" / "README.md").read_text(encoding="utf-8")
    for check in checks.CHECKS:
        assert f"`{check.id}`" in readme, check.id


def test_no_tracked_file_looks_like_raw_data():
    """Registrations about minors must never be committed."""
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    bad = [
        f for f in files if f.startswith(("data/raw/", "data/processed/")) and not f.endswith("/README.md")
    ]
    bad += [f for f in files if f.lower().endswith((".sav", ".xlsx"))]
    for f in files:
        if f.lower().endswith(".csv") and not f.startswith("tests/"):
            head = (
                (ROOT / f).read_bytes()[:2000].decode("utf-8", "replace").lower()
                if (ROOT / f).exists()
                else ""
            )
            if "nummer_jongere" in head.split("\n", 1)[0]:
                bad.append(f)
    assert not bad, f"tracked files that look like raw data: {bad}"
