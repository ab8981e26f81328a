"""One rule for 'same conclusion'; failed or degenerate fits are 'niet te beoordelen'; the summary
sentence gives the three numbers and names the analyses that change a conclusion (issue 14 item 3);
every failing residual test is counted (item 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.models.diagnostics import Diagnostics
from analysis.present import models as present
from analysis.present import narrative


def _rows(analysis, model, term, prim, var):
    (pe, pp, pv), (ve, vp, vv) = prim, var
    base = {
        "analysis": analysis,
        "model_id": model,
        "term": term,
        "status": "ok",
        "estimate": 0.0,
        "se": 0.1,
        "exp_ci_low": np.nan,
        "exp_ci_high": np.nan,
        "warnings": "",
    }
    return [
        {**base, "variant": "primary", "exp_est": pe, "p": pp, "verdict": pv},
        {
            **base,
            "variant": analysis,
            "exp_est": ve,
            "p": vp,
            "verdict": vv,
            "status": "ok" if vv == "ok" else "warning",
        },
    ]


def _estimates() -> pd.DataFrame:
    rows = (
        _rows("gamma", "dur_month", "month", (0.9, 0.01, "ok"), (0.92, 0.02, "ok"))  # same
        + _rows("gamma", "dur_meting", "meting2", (0.9, 0.01, "ok"), (1.05, 0.30, "ok"))  # different
        + _rows("random_slope", "count_month", "month", (0.9, 0.01, "ok"), (1.12, 0.0001, "warnings"))
        + _rows("poisson", "count_month", "month", (0.9, 0.20, "ok"), (1.1, 0.30, "ok"))
    )  # side differs
    return pd.DataFrame(rows)


def test_summary_counts_same_different_not_assessable() -> None:
    c = present.conclusion_counts(_estimates())
    assert (c["same"], c["different"], c["not_assessable"], c["total"]) == (1, 2, 1, 4)
    assert c["changed"] == [present.SENSITIVITY_LABELS["gamma"], present.SENSITIVITY_LABELS["poisson"]]
    table = present.sensitivity_summary(_estimates()).set_index("Analyse")
    slope = table.loc[present.SENSITIVITY_LABELS["random_slope"]]
    assert (slope["Zelfde"], slope["Anders"], slope["Niet te beoordelen"]) == (0, 0, 1)


def test_sentence_gives_three_numbers_and_names_the_analyses() -> None:
    text = narrative.sensitivity_sentence(_estimates(), {"no_duplicates": 0})
    assert "4 schattingen" in text and "1 keer dezelfde conclusie" in text and "2 keer een andere" in text
    assert "1 vergelijking is niet te beoordelen" in text
    assert "gamma-model" in text and "poisson" in text.lower() and "random helling" not in text.lower()
    assert "dubbel" in text


def test_every_failing_residual_test_is_counted() -> None:
    d = [
        Diagnostics("count_month", 10, ks_p=0.5, dispersion_p=0.2, zero_p=0.008, zero_ratio=17.0),
        Diagnostics("dur_month", 10, ks_p=0.01, dispersion_p=0.03),
        Diagnostics("room_iso_vs_own_month", 10, ks_p=0.4),
    ]
    assert d[0].failed_tests() == ["zeros"] and d[1].failed_tests() == ["ks", "dispersion"]
    text = narrative.diagnostics_sentence(d, {})
    assert text.startswith("Bij 2 van de 3 modellen")
    assert "uniformiteitstoets bij 1 van de 3" in text and "dispersietoets bij 1 van de 2" in text
    assert "nultoets bij 1 van de 1" in text
    zi = narrative.zero_inflation_sentence(
        d, pd.DataFrame(_rows("zero_inflated", "count_month", "month", (0.9, 0.01, "ok"), (0.91, 0.01, "ok")))
    )
    assert "bij 1 van de 1 telmodellen" in zi and "17,00" in zi and "1 van de 1 schattingen dezelfde" in zi
