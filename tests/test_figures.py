"""Shared figure style: stable colours, SVG + PNG with one stem, watermark, formatting."""

from __future__ import annotations

import pandas as pd

from analysis.present import figures
from analysis.present import format as nf
from analysis.describe import categories as cat


def _table():
    reg = pd.DataFrame({"aanleiding": pd.array([1, 1, 2, None], dtype="Int64")})
    return cat.item_distribution(reg, "aanleiding")


def test_category_style_stable_and_missing_grey():
    assert figures.category_style("1", "aanleiding") == figures.category_style(1, "aanleiding")
    assert figures.category_style("na", "aanleiding") == (figures.MISSING_COLOUR, figures.MISSING_HATCH)
    styles = {figures.category_style(c, "aanleiding") for c in range(1, 7)}
    assert len(styles) == 6  # every reason distinct
    assert len({h for _, h in styles}) == 6  # ... also in greyscale (hatches)


def test_category_style_comes_from_the_codebook(monkeypatch):
    # Change a colour in the codebook only: the figure style follows, whatever the code's position.
    from analysis import codebook

    pkg = codebook.load_package()
    reasons = next(
        f for f in codebook.resource("registraties")["schema"]["fields"] if f["name"] == "aanleiding"
    )
    cat6 = next(c for c in reasons["categories"] if c["value"] == 6)
    monkeypatch.setitem(cat6, "colour", "#123456")
    assert pkg is codebook.load_package()
    assert figures.category_style(6, "aanleiding") == ("#123456", cat6["hatch"])
    # Codes are unique within a field only: the same code has another style in another field.
    assert figures.category_style(3, "ruimte") == (
        codebook.field("ruimte").category(3).colour,
        codebook.field("ruimte").category(3).hatch,
    )


def test_every_category_has_a_colour_and_hatch_distinct_within_its_field():
    from analysis import codebook

    for res in ("registraties", "beleid"):
        for f in codebook.categorical_fields(res):
            styles = [(c.colour, c.hatch) for c in f.categories]
            assert all(c.startswith("#") and len(c) == 7 for c, _ in styles), f.name
            assert len(set(styles)) == len(styles), f.name


def test_bar_distribution_needs_the_codebook_field(tmp_path):
    import pytest

    bare = _table().copy()
    bare.attrs.clear()
    with pytest.raises(ValueError, match="field="):
        figures.bar_distribution(bare, tmp_path / "x")
    assert figures.bar_distribution(bare, tmp_path / "y", field="aanleiding").svg.exists()


def test_bar_distribution_saves_svg_and_png(tmp_path):
    p = figures.bar_distribution(_table(), tmp_path / "fig" / "ch2_fig02_reason", synthetic=True)
    assert p.svg.exists() and p.png.exists() and p.svg.stem == p.png.stem
    svg = p.svg.read_text()
    assert "Synthetische data" in svg and "50%" in svg and "Niet ingevuld" in svg


def test_save_svg_only(tmp_path):
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots()
    p = figures.save(fig, tmp_path / "chart", png=False)  # the factsheet chart: SVG only
    assert p.svg.exists() and p.png is None and not (tmp_path / "chart.png").exists()


def test_png_resolution_is_print_quality(tmp_path):
    from PIL import Image

    p = figures.bar_per_month(pd.DataFrame({"maand": ["2020-09", "2020-10"], "n": [3, 4]}), tmp_path / "m")
    with Image.open(p.png) as im:
        dpi = im.info.get("dpi", (0, 0))[0]
    assert round(dpi) >= 200


def test_month_label_and_caption():
    assert nf.month("2021-02") == "feb 2021" and nf.month("2020-10") == "okt 2020"
    assert figures.caption("Titel", n=5, synthetic=True).startswith("Titel (N = 5). Synthetische")


def test_other_figure_types(tmp_path):
    reg = pd.DataFrame(
        {
            "aanleiding": pd.array([1, 3, 3], dtype="Int64"),
            "ruimte": pd.array([1, 3, None], dtype="Int64"),
            "uur": [1, 18, 20],
        }
    )
    from analysis.describe import timing

    assert figures.stacked_by_group(cat.room_by_reason(reg), tmp_path / "r").png.exists()
    assert figures.bar_per_hour(timing.start_hour_distribution(reg), tmp_path / "h").svg.exists()
    assert figures.hour_by_group(timing.start_hour_by_reason(reg), tmp_path / "hr").svg.exists()


def test_svg_is_deterministic(tmp_path):
    a = figures.bar_distribution(_table(), tmp_path / "a").svg.read_text()
    b = figures.bar_distribution(_table(), tmp_path / "b").svg.read_text()
    assert a == b


def test_bar_distribution_with_every_share_hidden_is_an_empty_chart(tmp_path):
    """Disclosure control can hide the denominator, and so every share, while counts stay shown."""
    t = _table()
    t["pct"] = float("nan")
    assert figures.bar_distribution(t, tmp_path / "hidden").svg.exists()
