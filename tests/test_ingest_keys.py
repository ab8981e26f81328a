"""Issue 12 item 3: keys. Minimum length, the public key only for a verified twin, the key's
fingerprint as a build input, and one youth-id normalisation across CSV, XLSX and SPSS."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from analysis import codebook
from analysis.core.paths import Paths, find_root
from analysis.core.provenance import twin_verified
from analysis.ingest import process as ingest
from analysis.ingest import pseudonym
from analysis.pipeline.build import BuildConfig, plan
from ingest_fixtures import KEY, MEASUREMENTS, make_tree, valid_row, write_csv, write_sav, write_xlsx


@pytest.mark.parametrize("key", [b"k", b"0123456789abcde", b"a" * 40, b"abab" * 10])
def test_short_or_trivial_key_is_refused(tmp_path, monkeypatch, key):
    with pytest.raises(pseudonym.MissingKey, match="pseudonymisation key"):
        pseudonym.resolve_key(tmp_path, key)
    monkeypatch.setenv(pseudonym.KEY_ENV, key.decode())
    with pytest.raises(pseudonym.MissingKey, match="at least 16 bytes|fewer than 4"):
        pseudonym.resolve_key(tmp_path)


def test_sixteen_random_bytes_are_enough(tmp_path):
    assert pseudonym.resolve_key(tmp_path, b"0123456789abcdef") == b"0123456789abcdef"


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    from analysis.synth import write_twin

    out = tmp_path_factory.mktemp("twin") / "raw"
    write_twin(out)
    return out


def test_marker_in_a_real_tree_does_not_switch_to_the_public_key(tmp_path, twin, monkeypatch):
    monkeypatch.delenv(pseudonym.KEY_ENV, raising=False)
    monkeypatch.delenv(pseudonym.KEY_FILE_ENV, raising=False)
    assert twin_verified(twin) and pseudonym.resolve_key(twin) == pseudonym.SYNTHETIC_KEY
    real = tmp_path / "real"
    shutil.copytree(twin, real)
    reg = next((real / "meting-2" / "registraties").glob("*.csv"))
    reg.write_bytes(reg.read_bytes() + b"\n")  # one changed export: no longer the twin
    assert not twin_verified(real)
    with pytest.raises(pseudonym.MissingKey):
        pseudonym.resolve_key(real)
    extra = tmp_path / "extra"
    shutil.copytree(twin, extra)
    write_csv(extra / "meting-2" / "registraties" / "echt.csv", [valid_row(1)])
    assert not twin_verified(extra)
    # a real tree with a marker copied into it
    tree = make_tree(tmp_path / "t")
    shutil.copy(twin / "SYNTHETIC", tree / "SYNTHETIC")
    with pytest.raises(pseudonym.MissingKey):
        ingest.run(tree, tmp_path / "out", measurements=MEASUREMENTS)
    rep = ingest.run(tree, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    assert not rep.synthetic and "does not match its manifest" in rep.warnings[0]


def test_new_key_changes_the_ingest_step_digest(tmp_path, monkeypatch):
    raw = make_tree(tmp_path)
    paths = Paths(find_root(), build=tmp_path / "build", raw=raw, processed=tmp_path / "processed")
    cfg = BuildConfig(paths=paths, synthetic=False)

    def ingest_digest() -> str:
        step = next(f for stage in plan(cfg) for f in stage if f.__name__ == "ingest_step")()
        assert pseudonym.fingerprint(pseudonym.resolve_key(raw)) == step.inputs["key"]
        return step.digest

    monkeypatch.setenv(pseudonym.KEY_ENV, "first-key-0123456789abcdef")
    first = ingest_digest()
    monkeypatch.setenv(pseudonym.KEY_ENV, "other-key-0123456789abcdef")
    assert ingest_digest() != first
    assert "first-key" not in repr(first)


def test_youth_ids_normalised_the_same_in_csv_xlsx_and_sav(tmp_path):
    assert [
        pseudonym.normalise_youth_id(v) for v in ["0012", " 12 ", "12", "12.0", "0", "xx 0001", "XX0012"]
    ] == ["12", "12", "12", "12", "0", "XX0001", "XX0012"]
    assert "leading zeros" in codebook.field("nummer_jongere").description
    rows = [valid_row(i, nummer_jongere=v, locatie="AA") for i, v in enumerate(["0012", " 12", "12"])]
    raw = make_tree(tmp_path, rows[:1])
    reg = raw / "meting-2" / "registraties"
    write_xlsx(reg / "b.xlsx", [dict(rows[1], nummer_jongere=12)])
    write_sav(reg / "c.sav", pd.DataFrame([dict(rows[2], nummer_jongere=12.0)]))
    ingest.run(raw, tmp_path / "out", key=KEY, measurements=MEASUREMENTS)
    out = pd.read_parquet(tmp_path / "out" / "registrations.parquet")
    assert len(out) == 3 and out["jongere"].nunique() == 1
    assert out["jongere"].iloc[0] == pseudonym.pseudonym("12", KEY)
