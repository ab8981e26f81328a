"""SPSS value labels and text labels are reconciled with the codebook, never silently.

An SPSS export keeps its codes; each value label is compared with the codebook's label of the
same code (case, whitespace, accents ignored; Dutch, English and aliases). A label that means
another code, or none, stops ingest with one :class:`LabelConflict` naming every conflict and
an ``aliases.proposed.yaml`` that, copied where the message says, settles them so the build
gives the codes of the same data written as CSV with codebook codes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.core.errors import UserError
from analysis.core.paths import find_root
from analysis.ingest import labels, readers
from analysis.ingest import process as ingest
from analysis.ingest.preflight import IngestError
from ingest_fixtures import (
    KEY,
    LOCATIONS,
    MEASUREMENTS,
    make_tree,
    valid_row,
    valid_rows,
    write_coded_sav,
    write_csv,
)

ROOT = find_root()
#: The institution's own wording for three codebook codes (the issue's example): labels
#: that are no codebook label, one of them ("Weglopen") a category the codebook does not have.
RELABEL = {
    "aanleiding": {1: "Agressie naar personen", 5: "Weglopen"},
    "ruimte": {3: "Afzonderingsruimte"},
}


def _spss_tree(tmp_path: Path, rows: list[dict], relabel=RELABEL, name: str = "H01.sav") -> Path:
    """A raw tree whose registrations are one SPSS file with codebook codes and ``relabel``."""
    raw = make_tree(tmp_path, rows)
    reg = raw / "meting-2" / "registraties"
    (reg / "export.csv").unlink()
    write_coded_sav(reg / name, rows, relabel)
    return raw


def _codes(out: Path) -> pd.DataFrame:
    """Processed registrations without the columns that name the source file."""
    df = pd.read_parquet(out / "registrations.parquet")
    df = df.drop(columns=["bron_bestand", "bron_rij"])
    return df.sort_values(["meting", "locatie", "start"]).reset_index(drop=True)


def _conflict(raw: Path, out: Path, proposal_dir: Path | None = None) -> labels.LabelConflict:
    with pytest.raises(labels.LabelConflict) as info:
        ingest.run(raw, out, key=KEY, measurements=MEASUREMENTS, proposal_dir=proposal_dir)
    return info.value


def _copy_proposals(exc: labels.LabelConflict) -> None:
    for proposal, target in exc.proposals.items():
        shutil.copy(proposal, target)


def test_three_conflicting_spss_labels_stop_with_one_message_and_a_proposal(tmp_path):
    rows = valid_rows(60)
    raw = _spss_tree(tmp_path / "spss", rows)
    out, props = tmp_path / "out", tmp_path / "processed"
    exc = _conflict(raw, out, props)
    msg = str(exc)
    assert isinstance(exc, UserError) and "\n" not in msg
    assert msg.startswith("3 labels of the exports differ from the codebook")
    n1 = sum(r["aanleiding"] == "1" for r in rows)
    n5 = sum(r["aanleiding"] == "5" for r in rows)
    n3 = sum(r["ruimte"] == "3" for r in rows)
    for part in (
        f'meting-2/registraties/H01.sav aanleiding code 1: label "Agressie naar personen" (not a codebook '
        f'label), codebook 1 = "Agressie", {n1} rows',
        f'meting-2/registraties/H01.sav aanleiding code 5: label "Weglopen" (not a codebook label), '
        f'codebook 5 = "Rust-/kamermoment", {n5} rows',
        f'meting-2/registraties/H01.sav ruimte code 3: label "Afzonderingsruimte" (not a codebook label), '
        f'codebook 3 = "Isoleer- of separeerruimte", {n3} rows',
    ):
        assert part in msg
    target = raw / "meting-2" / "registraties" / "aliases.yaml"
    proposal = props / "aliases.proposed.yaml"
    assert exc.proposals == {proposal: target}
    assert f"review {proposal} and copy it to {target}" in msg
    # Nothing was written: no per-row quarantine of thousands of rows for one label.
    assert not (out / "quarantine.csv").exists() and not (out / "registrations.parquet").exists()
    text = proposal.read_text("utf-8")
    parsed = readers.parse_aliases(yaml.safe_load(text), "proposal")
    assert parsed.labels == {
        "aanleiding": {"agressie naar personen": 1, "weglopen": 5},
        "ruimte": {"afzonderingsruimte": 3},
    }
    assert 'code 5 labelled "Weglopen"; codebook 5 = "Rust-/kamermoment"' in text
    assert "GUESS" not in text.split("labels:")[1] and "null" not in text

    # Copied where the message says, the build gives the codes of the CSV tree.
    _copy_proposals(exc)
    rep = ingest.run(raw, out, key=KEY, measurements=MEASUREMENTS, proposal_dir=props)
    assert rep.totals["registraties"]["rows_quarantined"] == 0
    assert not list(props.glob("aliases.proposed*.yaml"))  # a stale proposal is removed
    csv_raw = make_tree(tmp_path / "csv", rows)
    ingest.run(csv_raw, tmp_path / "csv_out", key=KEY, measurements=MEASUREMENTS)
    pd.testing.assert_frame_equal(_codes(out), _codes(tmp_path / "csv_out"))


def test_swapped_labels_trust_the_code_and_a_label_on_two_codes_cannot_be_settled(tmp_path):
    rows = valid_rows(24)
    swap = {"ruimte": {1: "Overige ruimtes", 2: "Eigen kamer jongere"}}
    raw = _spss_tree(tmp_path / "a", rows, swap)
    exc = _conflict(raw, tmp_path / "out")
    msg = str(exc)
    assert (
        'ruimte code 1: label "Overige ruimtes" (the codebook\'s label of 2), codebook 1 = "Eigen kamer jongere"'
        in msg
    )
    text = next(iter(exc.proposals)).read_text("utf-8")
    assert "this line makes it 1 in every file of this measurement" in text
    _copy_proposals(exc)
    ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    csv_raw = make_tree(tmp_path / "csv", rows)
    ingest.run(csv_raw, tmp_path / "csv_out", key=KEY, measurements=MEASUREMENTS)
    pd.testing.assert_frame_equal(_codes(tmp_path / "out"), _codes(tmp_path / "csv_out"))
    # One label on two codes: whatever aliases say, one of them disagrees with its label.
    raw = _spss_tree(tmp_path / "b", rows, {"ruimte": {2: "Eigen kamer jongere"}})
    exc = _conflict(raw, tmp_path / "out2")
    msg = str(exc)
    assert "(also the files' label of code 2)" in msg and "(also the files' label of code 1)" in msg
    assert 'the files disagree on ruimte "Eigen kamer jongere" (meting 2): correct those exports' in msg


def test_labels_equal_up_to_case_whitespace_accents_language_or_alias_are_silent(tmp_path):
    rows = valid_rows(30)
    relabel = {
        "aanleiding": {1: "  AGRESSIE ", 3: "Zelfbeschädiging", 4: "Staffing", 5: "Kamermoment"},
        "evaluatie_2": {2: "met_jongere"},
    }
    raw = _spss_tree(tmp_path, rows, relabel)
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    assert rep.totals["registraties"]["rows_quarantined"] == 0
    csv_raw = make_tree(tmp_path / "csv", rows)
    ingest.run(csv_raw, tmp_path / "csv_out", key=KEY, measurements=MEASUREMENTS)
    pd.testing.assert_frame_equal(_codes(tmp_path / "out"), _codes(tmp_path / "csv_out"))


def test_label_on_a_code_that_is_not_a_codebook_code(tmp_path):
    """Code 7 labelled "Agressie" (the codebook's 1) is a conflict; the proposal maps the code;
    code 9 labelled with a missing-value text (n.v.t.) is "not registered", not a conflict."""
    rows = valid_rows(12)
    for r in rows[:3]:
        r["aanleiding"] = "7"
    rows[3]["aanleiding"] = "9"
    raw = _spss_tree(tmp_path, rows, {"aanleiding": {7: "Agressie", 9: "n.v.t."}})
    exc = _conflict(raw, tmp_path / "out")
    assert len(exc.conflicts) == 1
    assert (
        'aanleiding code 7: label "Agressie" (the codebook\'s label of 1), 7 is no codebook code, 3 rows'
        in str(exc)
    )
    text = next(iter(exc.proposals)).read_text("utf-8")
    assert '"7": 1' in text and "code 7 is not a codebook code" in text
    _copy_proposals(exc)
    ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    got = pd.read_parquet(tmp_path / "out" / "registrations.parquet").set_index("bron_rij")["aanleiding"]
    assert got.loc[[1, 2, 3]].tolist() == [1, 1, 1] and pd.isna(got.loc[4]) and len(got) == 12


def test_repeated_text_in_a_csv_is_one_conflict_and_a_one_off_stays_a_quarantine_line(tmp_path):
    rows = valid_rows(40)
    for r in rows[: labels.REPEATED_TEXT_ROWS]:
        r["aanleiding"] = "Agressie naar groepsgenoot"
    for r in rows[10 : 10 + labels.REPEATED_TEXT_ROWS - 1]:
        r["doel"] = "Xqz"  # repeats, but under the threshold: per-row quarantine
    raw = make_tree(tmp_path, rows)
    reg = raw / "meting-2" / "registraties"
    write_csv(reg / "tweede.csv", [valid_row(100, locatie="AA", ruimte="Qwv")] * labels.REPEATED_TEXT_ROWS)
    exc = _conflict(raw, tmp_path / "out")
    assert [(c.column, c.label, c.rows) for c in exc.conflicts] == [
        ("aanleiding", "Agressie naar groepsgenoot", labels.REPEATED_TEXT_ROWS),
        ("ruimte", "Qwv", labels.REPEATED_TEXT_ROWS),
    ]
    msg = str(exc)
    assert '"Agressie naar groepsgenoot" is no code or label of the codebook, 5 rows' in msg
    assert "fill in the entries marked FILL IN first" in msg
    text = next(iter(exc.proposals)).read_text("utf-8")
    assert re.search(
        r"# GUESS - check: closest codebook label is 1 = \"Agressie\"\n\s+\"Agressie naar groepsgenoot\": 1",
        text,
    )
    assert re.search(r"FILL IN: no codebook label is close\n\s+\"Qwv\": null", text)
    # Copied unfilled, ingest says which entry to fill in.
    _copy_proposals(exc)
    with pytest.raises(IngestError, match="'Qwv' for ruimte has no code; fill in"):
        ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    target = next(iter(exc.proposals.values()))
    target.write_text(target.read_text("utf-8").replace('"Qwv": null', '"Qwv": 3'), encoding="utf-8")
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    quar = pd.read_csv(tmp_path / "out" / "quarantine.csv", dtype=str)
    assert (quar["check"] == "bad_code").sum() == labels.REPEATED_TEXT_ROWS - 1
    assert set(quar["value"]) == {"Xqz"} and rep.totals["registraties"]["rows_quarantined"] == 4


def _two_measurements(tmp_path: Path, relabel_1: dict, relabel_2: dict) -> Path:
    rows2 = valid_rows(24)
    raw = _spss_tree(tmp_path, rows2, relabel_2)
    rows1 = [dict(r, datum_start=r["datum_start"].replace(".2020", ".2019")) for r in valid_rows(24, 30)]
    for r in rows1:
        r["datum_eind"] = r["datum_start"]
    write_coded_sav(raw / "meting-1" / "registraties" / "H01.sav", rows1, relabel_1)
    return raw


def test_conflicts_of_several_measurements_that_agree_go_to_the_raw_root(tmp_path):
    raw = _two_measurements(tmp_path, {"aanleiding": {5: "Weglopen"}}, {"aanleiding": {5: "Weglopen"}})
    exc = _conflict(raw, tmp_path / "out")
    assert len(exc.conflicts) == 2 and list(exc.proposals.values()) == [raw / "aliases.yaml"]
    text = next(iter(exc.proposals)).read_text("utf-8")
    assert "meting-1/registraties/H01.sav" in text and "meting-2/registraties/H01.sav" in text
    _copy_proposals(exc)
    rep = ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    assert rep.totals["registraties"]["rows_quarantined"] == 0
    assert not [w for w in rep.warnings if "aliases.yaml" in w]  # part of the contract


def test_measurements_that_disagree_get_a_proposal_each(tmp_path):
    raw = _two_measurements(tmp_path, {"aanleiding": {5: "Weglopen"}}, {"aanleiding": {6: "Weglopen"}})
    exc = _conflict(raw, tmp_path / "out")
    assert sorted(p.name for p in exc.proposals) == [
        "aliases.proposed.meting-1.yaml",
        "aliases.proposed.meting-2.yaml",
    ]
    _copy_proposals(exc)
    ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    got = pd.read_parquet(tmp_path / "out" / "registrations.parquet")
    assert set(got.loc[got["meting"] == 1, "aanleiding"]) >= {5}
    assert set(got.loc[got["meting"] == 2, "aanleiding"]) >= {6}


def test_the_proposal_keeps_the_entries_of_an_existing_aliases_file(tmp_path):
    raw = _spss_tree(tmp_path, valid_rows(12), {"aanleiding": {5: "Weglopen"}})
    existing = raw / "meting-2" / "registraties" / "aliases.yaml"
    existing.write_text(
        "columns:\n  Cliëntnr: nummer_jongere\nlabels:\n  doel:\n    Rust: 4\n", encoding="utf-8"
    )
    exc = _conflict(raw, tmp_path / "out")
    assert list(exc.proposals.values()) == [existing]
    got = readers.parse_aliases(yaml.safe_load(next(iter(exc.proposals)).read_text("utf-8")), "p")
    assert got.columns == {"cliëntnr": "nummer_jongere"}
    assert got.labels == {"doel": {"rust": 4}, "aanleiding": {"weglopen": 5}}


def test_policy_labels_follow_the_same_rule(tmp_path):
    raw = make_tree(tmp_path)
    codes = [f"L{i}" for i in range(6)]
    write_csv(
        raw / "locations.csv",
        [
            {
                "locatie": c,
                "instelling": "I",
                "naam": "N",
                "eerste_maand": "2019-09",
                "laatste_maand": "2021-02",
            }
            for c in (*LOCATIONS, *codes)
        ],
    )
    policy = [
        {
            "locatie": c,
            "gegevens": "Ja",
            "rustmomenten": "2",
            "nacht_deur": "Deur op slot" if c != "AA" else "2",
        }
        for c in (*LOCATIONS, *codes)
    ]
    write_csv(raw / "meting-2" / "beleid.csv", policy)
    exc = _conflict(raw, tmp_path / "out")
    assert [(c.column, c.label, c.rows) for c in exc.conflicts] == [("nacht_deur", "Deur op slot", 7)]
    assert "meting-2/beleid.csv nacht_deur" in str(exc)
    text = next(iter(exc.proposals)).read_text("utf-8")
    assert '"Deur op slot": 2' in text and "GUESS" in text


def _project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A project folder with the 3-conflict SPSS tree and an environment with a key file."""
    from test_leak_build import _copy_project

    root = tmp_path / "proj"
    _copy_project(root)  # a whole project: the build hashes pyproject.toml, notebooks, ...
    raw = _spss_tree(tmp_path / "t", valid_rows(60))
    shutil.move(str(raw), root / "data" / "raw")
    keyfile = tmp_path / "key.txt"
    keyfile.write_bytes(KEY)
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPENDIUM_PSEUDONYM")}
    env.update(
        COMPENDIUM_ROOT=str(root), PYTHONPATH=str(ROOT / "src"), COMPENDIUM_PSEUDONYM_KEY_FILE=str(keyfile)
    )
    return root, env


def _compendium(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis.pipeline.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=600,
    )


def _one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].count("label") >= 3 and "Weglopen" in lines[0]
    return lines[0]


def test_compendium_ingest_and_build_stop_with_one_line_before_any_notebook(tmp_path):
    root, env = _project(tmp_path)
    line = _one_line(_compendium(root, env, "ingest"))
    processed = root / "data" / "processed"
    assert f"review {processed / 'aliases.proposed.yaml'}" in line
    (processed / "aliases.proposed.yaml").unlink()
    shutil.rmtree(processed)  # the build must create it
    line = _one_line(_compendium(root, env, "build"))
    proposal = processed / "aliases.proposed.yaml"
    target = root / "data" / "raw" / "meting-2" / "registraties" / "aliases.yaml"
    assert f"review {proposal} and copy it to {target}" in line
    assert proposal.is_file() and not (processed / "registrations.parquet").exists()
    executed = list((root / "build" / "notebooks").glob("**/*.ipynb")) if (root / "build").exists() else []
    assert executed == []
