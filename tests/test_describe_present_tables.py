"""Display tables of chapter 2 keep every registration."""

import pandas as pd

from analysis.present.describe_tables import location_month_table


def test_location_month_table_keeps_every_count() -> None:
    t = pd.DataFrame(
        {"locatie": ["L01", "L01", "L02", "L02"], "maand": ["2020-09", "2020-10"] * 2, "n": [3, 0, 5, 7]}
    )
    out = location_month_table(t)
    assert out.columns.tolist() == ["Locatie", "sep 2020", "okt 2020", "Totaal"]
    assert out["Totaal"].tolist() == [3, 12]
    assert int(out[["sep 2020", "okt 2020"]].to_numpy().sum()) == t["n"].sum()
