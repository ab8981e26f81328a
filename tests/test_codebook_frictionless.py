"""The codebook is a valid Frictionless Data Package and describes the twin's raw exports.

The ``frictionless`` library itself (pinned in ``pyproject.toml``) checks the descriptor and
validates every raw export of the synthetic twin against the codebook's schema, dialect and
formats (Dutch dates ``DD.MM.JJJJ``, times ``HH:MM``, decimal comma, ``|``-separated lists).
The codebook's resource paths are patterns (``meting-<N>/registraties/*.csv``); each
matching file is validated as a resource with the codebook's descriptor and that file's path.
SPSS ``.sav`` files have no reader in frictionless without an extra plugin, so their rows
(read with pyreadstat, as ingest does) are validated as inline data against the same schema.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

frictionless = pytest.importorskip("frictionless")

from analysis import codebook  # noqa: E402
from analysis.synth import write_twin  # noqa: E402

SEED = 20210531


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fl-twin") / "raw"
    write_twin(out, SEED)
    return out


def _descriptor(name: str, **extra: Any) -> dict[str, Any]:
    desc = copy.deepcopy(codebook.resource(name))
    desc.pop("path", None)
    desc.pop("format", None)
    desc.update(extra)
    return desc


def _errors(report: Any) -> Counter:
    return Counter(row[0] for row in report.flatten(["type"]))


def _validate_file(root: Path, path: Path, name: str) -> tuple[Counter, list]:
    rel = path.relative_to(root).as_posix()
    res = frictionless.Resource.from_descriptor(_descriptor(name, path=rel), basepath=str(root))
    report = res.validate()
    return _errors(report), report.flatten(["rowNumber", "fieldName", "note"])[:3]


def _validate_sav(path: Path) -> tuple[Counter, list]:
    import pyreadstat

    df, _ = pyreadstat.read_sav(str(path))
    rows: list[list[Any]] = [list(df.columns)]
    for rec in df.itertuples(index=False, name=None):
        # SPSS stores every number as a double; whole codes are integers in the codebook.
        rows.append(
            [
                None
                if v is None or v != v or v == ""
                else int(v)
                if isinstance(v, float) and v.is_integer()
                else v
                for v in rec
            ]
        )
    desc = _descriptor("registraties", data=rows)
    desc.pop("dialect", None)
    report = frictionless.Resource.from_descriptor(desc).validate()
    return _errors(report), report.flatten(["rowNumber", "fieldName", "note"])[:3]


def _descriptor_errors(desc: dict[str, Any]) -> list[str]:
    """Notes of frictionless' descriptor check (some problems raise instead of being listed)."""
    try:
        return [e.note for e in frictionless.Package.metadata_validate(desc)]
    except frictionless.FrictionlessException as exc:
        return [str(exc)]


def test_descriptor_is_a_valid_data_package() -> None:
    errors = _descriptor_errors(codebook.load_package())
    assert not errors, errors[:5]


def test_descriptor_check_can_fail() -> None:
    broken = copy.deepcopy(codebook.load_package())
    broken["resources"][0]["schema"]["fields"][0]["type"] = "datum"
    assert _descriptor_errors(broken)


def test_every_twin_export_validates_against_the_codebook(twin: Path) -> None:
    checked: Counter = Counter()
    problems = {}
    for path in sorted(twin.glob("meting-*/registraties/*")):
        errs, first = (
            _validate_sav(path) if path.suffix == ".sav" else _validate_file(twin, path, "registraties")
        )
        checked[path.suffix] += 1
        if errs:
            problems[path.relative_to(twin).as_posix()] = (dict(errs), first)
    for name, pattern in [
        ("locaties", "locations.csv"),
        ("bezetting", "meting-*/bezetting.csv"),
        ("beleid", "meting-*/beleid.csv"),
    ]:
        for path in sorted(twin.glob(pattern)):
            errs, first = _validate_file(twin, path, name)
            checked[name] += 1
            if errs:
                problems[path.relative_to(twin).as_posix()] = (dict(errs), first)
    assert checked[".csv"] and checked[".xlsx"] and checked[".sav"] and checked["bezetting"], checked
    assert not problems, f"{len(problems)} exports break the codebook, e.g. {list(problems.items())[:3]}"


def test_validation_catches_an_iso_date(tmp_path: Path, twin: Path) -> None:
    # The Dutch format is part of the contract: an ISO date in a CSV export is a type error.
    src = sorted(twin.glob("meting-*/registraties/*.csv"))[0]
    text = src.read_bytes()
    lines = text.splitlines(keepends=True)
    cells = lines[1].split(b";")
    d, m, y = cells[2].split(b".")
    cells[2] = b"-".join([y, m, d])
    lines[1] = b";".join(cells)
    (tmp_path / "bad.csv").write_bytes(b"".join(lines))
    errs, _ = _validate_file(tmp_path, tmp_path / "bad.csv", "registraties")
    assert errs == Counter({"type-error": 1})
