"""Unit tests of the chapter-3 targets of the twin and the chapter-3 statuses of appendix D (issue 15)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.verify.calibration import WIDTH_RANGE, chapter3_targets, incoherent_terms
from analysis.verify.reproduction import DIFFERS, IN_CI, OUTSIDE_CI, SAME_CONCLUSION, compare


def _published(
    est: float = 0.91, lo: float = 0.85, hi: float = 0.99, p: float | None = 0.046
) -> pd.DataFrame:
    rows = [
        ("ch3.m.meting2.est", est, "estimate"),
        ("ch3.m.meting2.ci_low", lo, "ci_low"),
        ("ch3.m.meting2.ci_high", hi, "ci_high"),
    ]
    if p is not None:
        rows.append(("ch3.m.meting2.p", p, "p"))
    return pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "chapter": "3",
            "value": [r[1] for r in rows],
            "kind": [r[2] for r in rows],
            "decimals": [2, 2, 2, 3][: len(rows)],
            "unit": "ratio",
            "metingen": "1;2",
            "description": "",
        }
    )


def _values(**kw: float) -> pd.DataFrame:
    return pd.DataFrame(
        {"published_id": [f"ch3.m.meting2.{k}" for k in kw], "value": list(kw.values()), "metingen": "1;2"}
    )


def test_matching_term_bounds_are_same_conclusion_not_differs() -> None:
    # estimate inside, width ratio ~1.1, significant like the published result
    t = compare(_published(), _values(est=0.90, ci_low=0.82, ci_high=0.99, p=0.03)).table.set_index("id")
    assert t.loc["ch3.m.meting2.est", "status"] == IN_CI
    assert t.loc["ch3.m.meting2.ci_low", "status"] == SAME_CONCLUSION
    assert t.loc["ch3.m.meting2.ci_high", "status"] in (SAME_CONCLUSION, "exact", "within rounding")
    assert t.loc["ch3.m.meting2.p", "status"] == SAME_CONCLUSION
    ratio = math.log(0.99 / 0.82) / math.log(0.99 / 0.85)
    assert t.loc["ch3.m.meting2.ci_low", "width_ratio"] == pytest.approx(ratio)


def test_narrow_ci_or_other_conclusion_still_differs() -> None:
    narrow = compare(_published(), _values(est=0.90, ci_low=0.88, ci_high=0.92, p=0.0001)).table.set_index(
        "id"
    )
    assert narrow.loc["ch3.m.meting2.est", "status"] == IN_CI
    assert narrow.loc["ch3.m.meting2.ci_low", "status"] == DIFFERS  # width ratio ~0.29
    assert narrow.loc["ch3.m.meting2.p", "status"] == SAME_CONCLUSION  # both significant
    other = compare(_published(), _values(est=0.93, ci_low=0.84, ci_high=1.03, p=0.17)).table.set_index("id")
    assert other.loc["ch3.m.meting2.ci_low", "status"] == DIFFERS
    assert other.loc["ch3.m.meting2.p", "status"] == DIFFERS
    outside = compare(_published(), _values(est=0.70, ci_low=0.64, ci_high=0.77, p=0.001)).table.set_index(
        "id"
    )
    assert outside.loc["ch3.m.meting2.est", "status"] == OUTSIDE_CI


def test_chapter3_targets_three_criteria() -> None:
    pub = _published()
    ok = chapter3_targets(
        {
            "ch3.m.meting2.est": 0.90,
            "ch3.m.meting2.ci_low": 0.82,
            "ch3.m.meting2.ci_high": 0.99,
            "ch3.m.meting2.p": 0.03,
        },
        pub,
    ).iloc[0]
    assert ok["status"] == "on target" and ok["inside"] and ok["width_ok"] and ok["same_conclusion"]
    bad = chapter3_targets(
        {
            "ch3.m.meting2.est": 0.70,
            "ch3.m.meting2.ci_low": 0.69,
            "ch3.m.meting2.ci_high": 0.71,
            "ch3.m.meting2.p": 0.0001,
        },
        pub,
    ).iloc[0]
    assert not bad["inside"] and not bad["width_ok"] and bad["same_conclusion"]
    assert bad["status"] == "outside CI; CI width"
    assert WIDTH_RANGE == (0.75, 1.33)


def test_incoherent_terms_come_from_the_audit() -> None:
    ex = incoherent_terms()
    # appendix E: isolation vs other room does not follow from the two contrasts with the own room
    assert set(ex) == {"ch3.room_iso_vs_other_month.month", "ch3.room_iso_vs_other_meting.meting2"}
    assert all(v["en"] and v["nl"] for v in ex.values())


def _fit_csv(tmp_path, verdicts: dict[str, str]):
    from analysis.core.paths import Paths

    paths = Paths(tmp_path, build=tmp_path / "build")
    paths.model_results.mkdir(parents=True)
    outcome = ["room" if "room" in m else "count" for m in verdicts]  # the test's own naming
    pd.DataFrame({"model_id": list(verdicts), "verdict": list(verdicts.values()), "outcome": outcome}).to_csv(
        paths.model_results / "ch3_models_fit.csv", index=False
    )
    return paths


def test_appendix_d_names_every_model_that_is_not_interpretable(tmp_path) -> None:
    from analysis.report.appendices import model_verdicts_nl

    paths = _fit_csv(
        tmp_path,
        {"count_month": "ok", "room_a_month": "ok", "room_a_interaction": "not_converged+warnings"},
    )
    s = model_verdicts_nl(paths)
    assert "Van de 3 multilevelmodellen" in s and "zijn er 2 interpreteerbaar" in s
    assert "waaronder 1 van 2 ruimtemodellen" in s
    assert "niet interpreteerbaar: `room_a_interaction` (het model is niet geconvergeerd" in s
    clean = model_verdicts_nl(_fit_csv(tmp_path / "ok", {"count_month": "ok", "room_a_month": "ok"}))
    assert clean.endswith("waaronder 1 van 1 ruimtemodel.") and "niet interpreteerbaar" not in clean
    none = model_verdicts_nl(_fit_csv(tmp_path / "none", {"room_a_month": "singular"}))
    assert "zijn er geen interpreteerbaar" in none and "waaronder geen van 1 ruimtemodel" in none


def test_verdict_summary_of_the_check(tmp_path) -> None:
    from analysis.verify.calibration import verdict_summary

    line, bad = verdict_summary(
        {
            "count_month": "ok",
            "room_iso_vs_own_month": "singular",
            "room_iso_vs_own_meting": "ok",
            "zroom_x": "ok",
        }
    )
    assert bad == ["room_iso_vs_own_month"]
    # "zroom_x" is not a declared room model: the count follows the declaration, not the id's text
    assert line.startswith("fit verdicts (GLMM): 3 of 4 chapter-3 models interpretable (1 of 2 room models)")
    assert line.endswith("not interpretable: room_iso_vs_own_month (singular)")


def test_appendix_d_reports_location_lr_statistics_as_non_targets() -> None:
    from analysis.report.appendices import location_lr_nl

    assert location_lr_nl({}) == ""
    s = location_lr_nl(
        {
            "ch3.count_month.re_location.chibar2": 13.04,
            "ch3.count_month.re_location.p": 1e-4,
            "ch3.dur_month.re_location.chibar2": 0.5,
            "ch3.dur_month.re_location.p": 0.24,
        }
    )
    assert "geen kalibratiedoel" in s
    assert "`count_month` 13,0 tegen 47,24 en `dur_month` 0,5 tegen 918,73" in s
    assert "dezelfde conclusie (p onder de gepubliceerde grens) bij 1 van 2 toetsen" in s
    same = location_lr_nl({"ch3.count_month.re_location.chibar2": 13.0, "ch3.count_month.re_location.p": 0.0})
    assert "grens) is dezelfde." in same
