"""Model cards (analysis.models.cards): one per chapter-3 model, and their R code refits the model.

The snippet test runs every card's R code with ``Rscript --vanilla`` (real R, the project's
``.r-lib``), in the build folder, each snippet in its own ``local()`` scope of one R process
(one start-up of R instead of one per model), and compares R's fixed effects with the card's:
``|b_R - b_card| <= 1e-6 * max(1, |b_card|)``, i.e. absolute for |b| <= 1 and relative above.
The card's values come from the results CSV (10 significant digits), far below that tolerance.
The LR statistic of the location variance is held to the same tolerance.

Two data sets: the synthetic twin of the session's full build (``built``), and held-out
three-measurement data in which several locations never use an isolation room (the twin with a
third measurement, its raw tree edited so that two more locations place no one in an isolation
room; edited, the tree is no longer the twin, so it is read as real data and the frames go to the
secure build folder).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from analysis.core.paths import Paths, default_paths
from analysis.models import cards
from analysis.models.choices import CHOICES, INFERRED, STATED, check, choices_for
from analysis.models.fit import clean_term
from analysis.models.frames import ROOM_CODES
from analysis.models.spec import primary_specs

ROOT = default_paths().root
SPECS = {s.model_id: s for s in primary_specs()}
TOLERANCE = 1e-6
KEY = "cards-test-key-0123456789abcdef0123456789"


# --- declarations (no R) -------------------------------------------------------------------
def test_choices_declaration_is_complete() -> None:
    assert check() == []
    assert {c.status for c in CHOICES} == {STATED, INFERRED}
    for spec in SPECS.values():
        keys = {c.key for c in choices_for(spec)}
        assert {"random_intercept", "ml_laplace", "wald_inference"} <= keys, spec.model_id
        assert ("month_calendar_gap" in keys) == ("month" in spec.rhs), spec.model_id


def test_stated_quotes_stand_at_their_lines_in_the_report() -> None:
    default = ROOT.parent / "shared" / "reference" / "003_0472573b8203218f.txt"
    path = Path(os.environ.get("PUBLISHED_REPORT_TXT") or default)
    if not path.is_file():
        pytest.skip("plain-text report not available (set PUBLISHED_REPORT_TXT)")
    lines = path.read_text(encoding="utf-8").split("\n")
    norm = lambda s: re.sub(r"\s+", " ", s).strip()  # noqa: E731
    for c in (c for c in CHOICES if c.quote):
        a, b = re.search(r"L(\d+)(?:-(\d+))?$", c.where).groups()
        text = norm(" ".join(lines[int(a) - 1 : int(b or a)]))
        assert norm(c.quote) in text, (c.key, c.where, c.quote)


def test_docs_list_every_choice_with_its_status() -> None:
    doc = (ROOT / "docs" / "models.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z0-9_]+)` \| (stated|inferred) \|", doc, re.M))
    assert rows == {c.key: c.status for c in CHOICES}


def test_glmer_controls_on_the_cards_are_those_of_the_fits() -> None:
    helpers = re.sub(r"\s+", " ", (ROOT / "src" / "analysis" / "models" / "helpers.R").read_text("utf-8"))
    for control in (cards.GLMER_CONTROL, cards.GLMER_RESTART):
        args = control[control.index("optCtrl") :].rstrip(")")
        assert args in helpers, args


def test_snippet_lines_fit_a_page() -> None:
    for spec in SPECS.values():
        text = cards.r_snippet(spec, "results/models/frames/x.csv", ["1", "2", "3"], "bobyqa")
        assert max(len(line) for line in text.splitlines()) <= cards.SNIPPET_WIDTH, spec.model_id
        assert "jongere" not in text


# --- running the snippets ------------------------------------------------------------------
def run_snippets(build: Path, card_list: list[dict]) -> tuple[dict, dict, float]:
    """Run every card's snippet with Rscript in ``build``; (fixed effects, LR statistics, seconds)."""
    import time

    parts = []
    for c in card_list:
        mid = c["model_id"]
        parts.append(
            "tryCatch(local({\n"
            + c["r_snippet"]
            + f'cat(sprintf("B\\t{mid}\\t%s\\t%.17g\\n", names(b), b), sep = "")\n'
            + f'if (exists("lr")) cat(sprintf("LR\\t{mid}\\t%.17g\\n", lr))\n'
            + f'}}), error = function(e) cat("ERROR\\t{mid}\\t", conditionMessage(e), "\\n"))\n'
        )
    script = build / "cards_check.R"
    script.write_text("\n".join(parts), encoding="utf-8")
    env = {**os.environ, "R_LIBS_USER": str(ROOT / ".r-lib")}
    t = time.perf_counter()
    out = subprocess.run(
        ["Rscript", "--vanilla", str(script)], cwd=build, capture_output=True, text=True, env=env, timeout=900
    )
    seconds = time.perf_counter() - t
    assert out.returncode == 0, out.stderr[-3000:]
    fixed: dict[str, dict[str, float]] = {}
    lr: dict[str, float] = {}
    for line in out.stdout.splitlines():
        f = line.split("\t")
        if f[0] == "B":
            term = clean_term(f[2], dict(SPECS[f[1]].term_map))
            fixed.setdefault(f[1], {})[term] = float(f[3])
        elif f[0] == "LR":
            lr[f[1]] = float(f[2])
        elif f[0] == "ERROR":
            fixed.setdefault(f[1], {})["__error__"] = line
    return fixed, lr, seconds


def assert_refits(build: Path, card_list: list[dict]) -> float:
    """Every card with estimates is refitted by its snippet to :data:`TOLERANCE`; returns seconds."""
    fixed, lr, seconds = run_snippets(build, card_list)
    checked = 0
    for c in card_list:
        mid = c["model_id"]
        if not c["fixed"]:  # R could not fit the model: the card says so, there is nothing to compare
            continue
        got = fixed.get(mid, {})
        assert "__error__" not in got, got.get("__error__")
        want = {r["term"]: r["estimate"] for r in c["fixed"]}
        assert set(got) == set(want), (mid, sorted(got), sorted(want))
        for term, b in want.items():
            assert abs(got[term] - b) <= TOLERANCE * max(1.0, abs(b)), (mid, term, got[term], b)
        if c["lr_test"].get("lr") is not None:
            ref = c["lr_test"]["lr"]
            assert abs(lr[mid] - ref) <= TOLERANCE * max(1.0, abs(ref)), (mid, lr[mid], ref)
        checked += 1
    assert checked, "no card with estimates"
    return seconds


# --- the twin (the session's full build) ----------------------------------------------------
def test_twin_build_has_a_card_per_model_and_every_snippet_refits_it(built: tuple[Paths, list]) -> None:
    paths, _ = built
    card_list = cards.read_cards(paths.model_results)
    assert [c["model_id"] for c in card_list] == list(SPECS)
    index = pd.read_csv(paths.model_results / "index.csv")
    assert cards.NAME in set(index["name"])
    flat = pd.read_csv(paths.model_results / f"{cards.NAME}.csv")
    assert set(flat["model_id"]) == set(SPECS)
    for c in card_list:
        assert not c["data"]["frame_secure"]
        assert (paths.build / c["data"]["frame_file"]).is_file()
        assert {x["status"] for x in c["choices"]} == {STATED, INFERRED}
        assert c["published_ids"] or not SPECS[c["model_id"]].published
    assert not paths.secure_frames.exists()
    seconds = assert_refits(paths.build, card_list)
    print(f"twin: {len(card_list)} snippets refitted in {seconds:.1f} s")
    appendix = paths.build / "report-project" / "_generated" / "_appendix_a.md"
    if appendix.exists():  # the renderer's staged copy (offline path)
        text = appendix.read_text("utf-8")
        assert all(f"(`{m}`)" in text for m in SPECS) and text.count("```r") == len(SPECS)


# --- held-out data: three measurements, more locations without an isolation room --------------
def _read(path: Path) -> tuple[list[list[str]], str]:
    """Rows of a registration CSV and its encoding (the twin writes UTF-8 with BOM and cp1252)."""
    data = path.read_bytes()
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return list(csv.reader(data.decode(enc).splitlines(), delimiter=";")), enc
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"cannot decode {path}")


def _drop_isolation(raw: Path, locations: list[str]) -> int:
    """Recode every isolation-room registration of ``locations`` to another room; rows changed."""
    iso, other = str(ROOM_CODES["iso"]), str(ROOM_CODES["other"])
    changed = 0
    for path in sorted(raw.glob("meting-*/registraties/*.csv")):
        rows, enc = _read(path)
        col = rows[0].index("ruimte")
        for r in rows[1:]:
            if r and r[0] in locations and r[col] == iso:
                r[col] = other
                changed += 1
        with open(path, "w", encoding=enc, newline="") as fh:
            csv.writer(fh, delimiter=";", lineterminator="\n").writerows(rows)
    return changed


def _isolation_users(raw: Path) -> dict[str, int]:
    iso = str(ROOM_CODES["iso"])
    counts: dict[str, int] = {}
    for path in sorted(raw.glob("meting-*/registraties/*.csv")):
        rows, _ = _read(path)
        col = rows[0].index("ruimte")
        for r in rows[1:]:
            if r and r[col] == iso:
                counts[r[0]] = counts.get(r[0], 0) + 1
    return counts


METING_3 = """meting: 3
folder: meting-3
first_month: "2021-09"
last_month: "2022-02"
expected_locations: 18
label: "Meting 3 (synthetisch)"
"""


@pytest.fixture(scope="module")
def held_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Paths, object, list[str]]:
    from analysis import synth
    from analysis.ingest import process as ingest
    from analysis.core import measurements
    from analysis.models import chapter3
    from analysis.models.frames import load_frames

    tmp = tmp_path_factory.mktemp("cards3")
    params = tmp / "params"
    params.mkdir()
    for p in (ROOT / "params").glob("meting-*.yaml"):
        shutil.copy(p, params / p.name)
    (params / "meting-3.yaml").write_text(METING_3, encoding="utf-8")
    raw = tmp / "raw"
    synth.write_twin(raw, extra_measurements=[3])
    users = _isolation_users(raw)
    # locations exported as CSV only (the twin writes some institutions' files as XLSX or SAV)
    files = list(raw.glob("meting-*/registraties/*.*"))
    csv_only = {p.name.split("_")[0] for p in files} - {
        p.name.split("_")[0] for p in files if p.suffix != ".csv"
    }
    candidates = sorted((k for k in users if k in csv_only), key=lambda k: (users[k], k))
    dropped = candidates[:2]  # the two smallest users among them
    assert len(dropped) == 2
    assert _drop_isolation(raw, dropped) > 0
    paths = Paths(ROOT, build=tmp / "build", raw=raw, processed=tmp / "processed", params_dir=params)
    report = ingest.run(raw, paths.processed, key=KEY.encode(), measurements=measurements.load_all(paths))
    assert report.exit_code == 0
    ch3 = chapter3.run(paths.processed, paths.model_results, params_dir=params, workers=0)
    assert sorted(ch3.frames.meting_levels) == ["1", "2", "3"]
    frames = load_frames(paths.processed, params_dir=params)
    cards.write_cards(
        paths.model_results, frames, paths, synthetic=ch3.synthetic, reference=paths.published_figures
    )
    return paths, ch3, dropped


def test_held_out_three_measurements_every_model_has_a_card(held_out) -> None:
    paths, ch3, dropped = held_out
    card_list = cards.read_cards(paths.model_results)
    assert [c["model_id"] for c in card_list] == list(SPECS)
    iso_frame = ch3.frames.registrations
    iso_frame = iso_frame[pd.to_numeric(iso_frame["ruimte"], errors="coerce") == ROOM_CODES["iso"]]
    assert not set(dropped) & set(iso_frame["locatie"])  # they never use an isolation room
    without = set(ch3.frames.registrations["locatie"]) - set(iso_frame["locatie"])
    assert len(without) >= len(dropped) + 1  # several locations
    for c in card_list:
        assert c["data"]["measurements"] == ["1", "2", "3"]
        assert c["data"]["frame_secure"] is (not ch3.synthetic)
        if c["model_id"].startswith(("room_iso", "isodur")):
            assert c["data"]["locations"] is None or c["data"]["locations"] <= len(set(iso_frame["locatie"]))
    if not ch3.synthetic:  # the edited tree is not the twin: frames stay on the secure side
        assert not paths.model_frames.exists() and any(paths.secure_frames.glob("*.csv"))
        assert all(c["data"]["frame_file"].startswith("secure/frames/") for c in card_list)
        json_text = (paths.model_results / f"{cards.NAME}.json").read_text("utf-8")
        pseudonyms = set(pd.read_parquet(paths.processed / "registrations.parquet")["jongere"].dropna())
        assert not any(p in json_text for p in list(pseudonyms)[:200])


def test_held_out_snippets_refit_their_models(held_out) -> None:
    paths, _, _ = held_out
    card_list = cards.read_cards(paths.model_results)
    seconds = assert_refits(paths.build, card_list)
    print(f"held-out: {len(card_list)} snippets in {seconds:.1f} s")


def test_cards_json_and_csv_hold_the_same_cards(held_out) -> None:
    paths, _, _ = held_out
    card_list = json.loads((paths.model_results / f"{cards.NAME}.json").read_text("utf-8"))["cards"]
    flat = pd.read_csv(paths.model_results / f"{cards.NAME}.csv", keep_default_na=False)
    mine = cards.flatten(card_list)
    assert len(flat) == len(mine)
    assert list(flat["item"]) == list(mine["item"])
