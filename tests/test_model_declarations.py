"""Model specifications and their variants are data; results carry the declaration as columns.

No reader takes a ``model_id`` apart: labels, sections and pairings come from the declaration
columns (outcome, contrast, kind, variant, subset) the results tables carry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.models import sensitivity as sens
from analysis.models.frames import ROOM_CONTRASTS
from analysis.models.spec import (
    KINDS,
    OUTCOMES,
    PRIMARY,
    SPEC_COLUMNS,
    VARIANTS,
    declared_specs,
    primary_specs,
)
from analysis.models.tables import with_spec_columns
from analysis.present import models as present


def test_every_primary_model_is_declared_by_outcome_contrast_and_kind() -> None:
    specs = primary_specs()
    keys = [(s.group, s.contrast, s.kind) for s in specs]
    assert len(set(keys)) == len(keys)  # the declaration identifies the model
    assert {s.group for s in specs} == set(OUTCOMES) and {s.kind for s in specs} == set(KINDS)
    assert {s.contrast for s in specs if s.group == "room"} == set(ROOM_CONTRASTS)
    assert all(s.variant == PRIMARY and s.subset == "" and s.primary_model == s.model_id for s in specs)


def test_variants_are_built_from_their_declaration() -> None:
    primary = {s.model_id: s for s in primary_specs()}
    youth = next(v for v in VARIANTS if v.analysis == "youth")
    dur = next(s for s in primary.values() if (s.group, s.kind) == ("duration", "meting"))
    v = youth.apply(dur)
    assert (v.variant, v.subset, v.primary_model, v.frame) == (
        "youth",
        "youth",
        dur.model_id,
        "duration|youth",
    )
    assert v.random == "(1 | locatie/jongere)" and (v.group, v.kind) == (dur.group, dur.kind)
    occ = next(v for v in VARIANTS if v.analysis == "occupancy_cov").apply(primary["count_month"])
    assert occ.rhs == "month + log_occ" and occ.offset == ""
    # every variant fit names its primary model and analysis; the ids stay unique keys
    variants = [s for s in declared_specs() if s.variant != PRIMARY]
    assert all(s.primary_id in primary and s.variant in sens.ANALYSES for s in variants)
    ids = [s.model_id for s in declared_specs()]
    assert len(ids) == len(set(ids))


def test_random_slope_targets_the_month_models_in_run_order() -> None:
    slope = next(v for v in VARIANTS if v.analysis == "random_slope")
    targets = slope.targets(primary_specs())
    assert [s.group for s in targets[:3]] == ["count", "duration", "isoduration"]
    assert [s.contrast for s in targets[3:]] == list(ROOM_CONTRASTS)
    assert {s.kind for s in targets} == {"month"}


def test_results_tables_get_the_declaration_columns_and_keep_their_own() -> None:
    specs = {s.model_id: s for s in primary_specs()}
    room = next(s for s in specs.values() if s.contrast == "iso_vs_own" and s.kind == "meting")
    table = pd.DataFrame({"model_id": [room.model_id, "not_declared"], "kind": ["mine", "mine"]})
    out = with_spec_columns(table, specs)
    assert list(out.columns) == ["model_id", "kind", *[c for c in SPEC_COLUMNS if c != "kind"]]
    assert out["kind"].tolist() == ["mine", "mine"]  # an existing column is kept as it is
    assert out.loc[0, "outcome"] == "room" and out.loc[0, "contrast"] == "iso_vs_own"
    assert out.loc[1, "outcome"] == ""


def test_labels_come_from_the_declaration_not_the_id() -> None:
    row = {"model_id": "x1", "outcome": "room", "contrast": "iso_vs_own", "kind": "interaction"}
    assert present.model_label(row).startswith("Ruimte: ") and present.model_label(row).endswith(
        ", maand × meting"
    )
    assert present.compact_label(row).startswith("Ruimte ") and present.short_label(row).endswith(
        ", maand × meting"
    )
    dur = {"model_id": "x2", "outcome": "duration", "contrast": np.nan, "kind": "month"}
    assert present.model_label(dur) == "Duur, maand" and present.compact_label(dur) == "Duur, maand"
    # an opaque id whose text says otherwise: the columns decide
    table = pd.DataFrame([{**row, "model_id": "count_month"}, dur])
    assert present.labels(table, "short").tolist() == [present.short_label(row), "maand"]
    assert list(present.by_outcome(table)) == ["duration", "room"]


def test_a_table_without_the_columns_is_looked_up_by_its_key() -> None:
    table = pd.DataFrame({"model_id": ["count_month~slope", "isodur_reason_meting"]})
    d = present.declared(table)
    assert d["outcome"].tolist() == ["count", "isoduration"]
    assert d["variant"].tolist() == ["random_slope", PRIMARY]
    assert d["kind"].tolist() == ["month", "reason_meting"]


def _tables(status: str = "ok") -> dict[str, pd.DataFrame]:
    ids = ["m1", "m2", "m3"]
    fit = pd.DataFrame(
        {
            "model_id": ids,
            "status": ["ok", "ok", status],
            "verdict": ["ok", "singular", "failed" if status == "failed" else "ok"],
            "outcome": "count",
            "contrast": "",
            "kind": ["month", "meting", "interaction"],
        }
    )
    fixed = pd.DataFrame(
        {
            "model_id": ["m1", "m1", "m2", "m2"] + (["m3", "m3"] if status != "failed" else []),
            "term": ["intercept", "month", "intercept", "meting2"]
            + (["month", "month_x_meting2"] if status != "failed" else []),
        }
    )
    fixed = fixed.assign(exp_est=1.5, exp_ci_low=1.2, exp_ci_high=1.9, p=0.0004)
    lr = pd.DataFrame({"model_id": ["m1"], "lr": [3.25], "p": [0.036]})
    return {"ch3_models_fit": fit, "ch3_models_fixed": fixed, "ch3_models_lrtests": lr}


def test_estimates_table_renders_the_report_rows_from_the_results_tables() -> None:
    published = pd.DataFrame(columns=["value", "kind", "decimals"])
    t = present.estimates_table(_tables(), "count", published, reference=1)
    assert t["Term"].tolist() == [
        present.term_label("month"),
        present.RE_LABEL,
        present.term_label("meting2"),
        present.term_label("month_x_meting2"),
    ]
    assert (
        t.loc[0, "exp(b)"] == "1,50"
        and t.loc[0, "p"] == present.fmt_pvalue(0.0004)
        and t.loc[1, "exp(b)"] == "3,25"
    )
    assert t["Oordeel"].tolist() == ["", "", "n.i.", ""]  # the singular measurement model
    failed = present.estimates_table(_tables("failed"), "count", published, reference=1)
    assert failed["Term"].iloc[-1] == "Model niet geschat" and failed["Oordeel"].iloc[-1] == "n.i."
    assert present.estimates_table(_tables(), "duration", published).empty
