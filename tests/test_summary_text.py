"""Generated narrative of the summary and chapters 1-2 follows the data (issue 13 items 1-2)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.core.measurements import Measurement
from analysis.core.results import write_result
from analysis.present import describe_text as tx
from analysis.present import summary


def _ms(n: int) -> dict[int, Measurement]:
    return {
        k: Measurement(
            meting=k,
            folder=f"meting-{k}",
            first_month=f"{2018 + k}-09",
            last_month=f"{2019 + k}-02",
            expected_locations=18,
        )
        for k in range(1, n + 1)
    }


def _results(
    tmp: Path,
    meting: int,
    reasons: dict[str, tuple[str, int]],
    months: list[int],
    n_locations: int = 18,
    policy_meting: int | None = 2,
) -> Path:
    res = tmp / "results"
    ym = [f"{2018 + meting}-{m:02d}" for m in (9, 10, 11, 12)][: len(months)]
    write_result(
        res,
        "ch2_fig01_per_month",
        pd.DataFrame({"maand": ym, "n": months}),
        chapter="2",
        title="t",
        values={"ch2.fig01.n.x": 1},
        metingen=[meting],
    )
    write_result(
        res,
        "ch2_s2_1_coverage",
        pd.DataFrame(
            {
                "locatie": [f"L{i}" for i in range(n_locations)],
                "months_registered": 6,
                "months_period": 6,
                "late_start": False,
                "ended_early": False,
            }
        ),
        chapter="2",
        title="t",
        values={"ch2.s2_1.n.locations": n_locations},
        metingen=[meting],
    )
    total = sum(n for _, n in reasons.values())
    write_result(
        res,
        "ch2_fig02_reason",
        pd.DataFrame(
            {
                "code": list(reasons),
                "label": [lab for lab, _ in reasons.values()],
                "n": [n for _, n in reasons.values()],
                "pct": [100 * n / total for _, n in reasons.values()],
            }
        ),
        chapter="2",
        title="t",
        values={"ch2.fig02.n.1": 1},
        metingen=[meting],
    )
    write_result(
        res,
        "ch2_fig03_goal",
        pd.DataFrame({"code": ["3"], "label": ["Consequentie op gedrag"], "n": [5], "pct": [100.0]}),
        chapter="2",
        title="t",
        values={"ch2.fig03.n.3": 5},
        metingen=[meting],
    )
    if policy_meting is not None:
        write_result(
            res,
            "ch1_data_supplied",
            pd.DataFrame({"code": ["1", "0"], "label": ["ja", "nee"], "n": [17, 1], "pct": [94.4, 5.6]}),
            chapter="1",
            title="t",
            values={"ch1.data.n.with_data": 17},
            metingen=[policy_meting],
        )
    return res


def _fixed(tmp: Path, metingen: list[int], verdict: str = "ok") -> Path:
    rows = [
        {
            "model_id": "count_month",
            "term": "month",
            "exp_est": 0.92,
            "exp_ci_low": 0.9,
            "exp_ci_high": 0.94,
            "verdict": verdict,
        }
    ]
    rows += [
        {
            "model_id": "count_meting",
            "term": f"meting{k}",
            "exp_est": 0.5 + k / 10,
            "exp_ci_low": 0.4,
            "exp_ci_high": 0.99,
            "verdict": verdict,
        }
        for k in metingen[1:]
    ]
    folder = tmp / "results" / "models"
    write_result(
        folder,
        "ch3_models_fixed",
        pd.DataFrame(rows),
        chapter="3",
        title="t",
        metingen=metingen,
        values={"ch3.count_month.month.est": 0.92},
    )
    return folder


def test_summary_for_three_measurements(tmp_path: Path) -> None:
    # Measurement 3: agressie is now more frequent than orde/regels; 1213 registrations.
    res = _results(
        tmp_path,
        3,
        {"1": ("Agressie", 500), "2": ("Orde/regels", 470), "na": ("Niet ingevuld", 243)},
        [300, 320, 310, 283],
    )
    md = summary.summary_md(res, _fixed(tmp_path, [1, 2, 3]), _ms(3))
    assert "In meting 3 registreerden 18 locaties samen 1213 ongeplande gedwongen afzonderingen." in md
    assert "Per maand daalde het aantal van 300 in september 2021 naar 283 in december 2021." in md
    assert "aanleidingen waren agressie (41%) en orde/regels (39%)" in md
    assert (
        "Hoofdstuk 1 beschrijft het beleid van meting 2, de laatste meting met een beleidsbestand "
        "(meting 3 heeft er geen): 17 van de 18 locaties beschreven hun beleid." in md
    )
    assert "Over meting 1 t/m 3 samen" in md
    assert "ten opzichte van meting 1 was het niveau in meting 2 0,70 keer zo groot" in md
    assert "en in meting 3 0,80 keer zo groot" in md
    assert "meting 1 en 2 samen" not in md


def test_summary_for_two_measurements_and_small_numbers(tmp_path: Path) -> None:
    res = _results(tmp_path, 2, {"1": ("Agressie", 1), "2": ("Orde/regels", 2)}, [1, 1], n_locations=1)
    md = summary.summary_md(res, _fixed(tmp_path, [1, 2]), _ms(2))
    assert "In meting 2 registreerde 1 locatie samen 2 ongeplande gedwongen afzonderingen." in md
    assert "Per maand bleef het aantal van 1 in september 2020 en was het 1 in oktober 2020 ook." in md
    assert "orde/regels (67%) en agressie (33%)" in md
    assert "Over meting 1 en 2 samen" in md and "Hoofdstuk 1 beschrijft het beleid van meting 2:" in md


def test_summary_does_not_report_uninterpretable_models(tmp_path: Path) -> None:
    res = _results(tmp_path, 2, {"1": ("Agressie", 3)}, [3])
    md = summary.summary_md(res, _fixed(tmp_path, [1, 2], verdict="singular"), _ms(2))
    assert "keer zo groot" not in md and "niet interpreteerbaar (singular)" in md


def test_method_paragraph_and_title_page(tmp_path: Path) -> None:
    res = _results(tmp_path, 3, {"1": ("Agressie", 3)}, [3])
    md = summary.measurements_md(_ms(3), res)
    assert md.startswith(
        "Een meting beslaat 6 maanden: meting 1 van september 2019 tot en met februari 2020, "
        "meting 2 van september 2020 tot en met februari 2021 en meting 3 van september 2021"
    )
    assert (
        "Hoofdstuk 1 beschrijft het beleid van meting 2, hoofdstuk 2 de ongeplande afzonderingen van "
        "meting 3 en hoofdstuk 3 toetst veranderingen over meting 1 t/m 3, met meting 1 als referentie." in md
    )
    assert summary.measurements_title(_ms(3)).count("meting") == 3
    assert summary.described_title(res) == "hoofdstuk 1: meting 2; hoofdstuk 2: meting 3"


def test_no_policy_at_all(tmp_path: Path) -> None:
    res = _results(tmp_path, 3, {"1": ("Agressie", 3)}, [3], policy_meting=None)
    assert "Voor meting 3 en de metingen daarvoor is geen beleid" in summary.summary_md(
        res, tmp_path / "x", _ms(3)
    )


def test_chapter_1_fallback_sentence() -> None:
    assert tx.policy_fallback(3, 2) == (
        "Voor meting 3 is geen beleidsbestand (`beleid.csv`) aangeleverd; dit "
        "hoofdstuk beschrijft daarom meting 2, de laatste meting met een "
        "beleidsbestand."
    )
    assert "kan daarom niet worden berekend" in tx.policy_fallback(1, None)


def test_chapter_2_grammar_on_small_numbers() -> None:
    pm = pd.DataFrame({"maand": ["2021-09", "2021-10"], "n": [0, 1]})
    cov = pd.DataFrame(
        {
            "locatie": ["L1"],
            "months_registered": [1],
            "months_period": [2],
            "late_start": [True],
            "ended_early": [False],
        }
    )
    s = tx.totals(3, 1, pm, cov, 2)
    assert s.startswith(
        "In meting 3 is 1 ongeplande gedwongen afzondering vastgelegd door 1 locatie. In de eerste "
        "maand (sep 2021) waren het er geen, in de laatste (okt 2021) 1, meer dan in de eerste."
    )
    assert "1 locatie registreerde minder dan 2 maanden: 1 begon later." in s
    assert "0 begon" not in s and "stopte" not in s
    assert tx.period(3, ["2021-09", "2021-10"], 1).endswith(
        "1 registratie van deze meting valt buiten die periode en telt niet mee."
    )
    assert tx.totals(3, 0, pm.iloc[:0], cov, 2) == (
        "In meting 3 is geen enkele ongeplande gedwongen afzondering vastgelegd (1 locatie)."
    )


def test_distribution_order_is_computed() -> None:
    t = pd.DataFrame(
        {
            "code": ["1", "2", "na"],
            "label": ["Agressie", "Orde/regels", "Niet ingevuld"],
            "n": [41, 39, 0],
            "pct": [51.25, 48.75, 0.0],
        }
    )
    s = tx.distribution("Lead.", t)
    assert s.index("Agressie") < s.index("Orde/regels") and s.endswith("Niets bleef leeg.")
