"""Loading and validating processed tables; chapter writers and published-id coverage."""

from __future__ import annotations


import pandas as pd
import pytest

from analysis.describe import chapter1, chapter2, load_measurement
from analysis.describe.load import ContractError, validate_registrations
from analysis.describe.suppress import suppress_counts
from analysis.core.paths import default_paths
from test_describe_fixture import MONTHS_1, MONTHS_2, build_processed, registrations

#: Published ids that are context from interviews or inventories, not registration data.
NOT_FROM_DATA = ("ch1.context.", "ch2.s2_5.", "ch2.s2_6.time.", "ch2.s2_9.", "ch2.s2_10_2.")


def test_load_measurement_filters_meting_and_reads_flag(tmp_path):
    p = build_processed(tmp_path / "p")
    d = load_measurement(p, 2, MONTHS_2)
    assert len(d.registrations) == 1613 and d.synthetic and d.policy is not None
    assert d.registrations["aanleiding"].dtype == "Int64"
    d1 = load_measurement(p, 1, MONTHS_1)
    assert d1.policy is None and (d1.registrations["meting"] == 1).all()


def test_period_restriction_counts_left_out(tmp_path):
    d = load_measurement(build_processed(tmp_path / "p"), 2, MONTHS_2[:3])
    assert d.n_outside_period == 1613 - (300 + 285 + 270)


def test_missing_column_and_bad_code_are_contract_errors():
    reg = registrations()
    with pytest.raises(ContractError, match="missing column"):
        validate_registrations(reg.drop(columns="ruimte"))
    reg.loc[0, "ruimte"] = 7
    with pytest.raises(ContractError, match="ruimte"):
        validate_registrations(reg)


def test_synthetic_defaults_false(tmp_path):
    p = build_processed(tmp_path / "p")
    (p / "ingest_report.json").write_text("{}")
    assert load_measurement(p, 2, MONTHS_2).synthetic is False


def test_chapters_write_results_and_cover_published_ids(tmp_path):
    p = build_processed(tmp_path / "p")
    d = load_measurement(p, 2, MONTHS_2)
    results = tmp_path / "build" / "results"
    r2 = chapter2(d, results)
    r1 = chapter1(d.policy, results)
    assert (results / "ch2_fig02_reason.csv").exists() and (results / "ch1_rest_moments.csv").exists()
    index = pd.read_csv(results / "index.csv")
    assert set(index["name"]) == set(r1) | set(r2)
    values = pd.read_csv(results / "values.csv")
    pub_path = default_paths().published_figures
    if not pub_path.exists():
        pytest.skip("published_figures.csv not present")
    pub = pd.read_csv(pub_path)
    ids = pub.loc[pub["id"].str.match(r"ch[12]\.") & ~pub["id"].str.startswith(NOT_FROM_DATA), "id"]
    missing = sorted(set(ids) - set(values["published_id"]))
    assert missing == []
    # Where the fixture copies the report's margins, the values are exact.
    v = dict(zip(values["published_id"], values["value"]))
    for pid in [
        "ch2.s2_1.n.registrations",
        "ch2.fig03.n.3",
        "ch2.fig11.n.total",
        "ch1.rest_moments.n.one_day",
        "ch2.fig01.n.2020-09",
        "ch2.tab02.n.4",
    ]:
        assert v[pid] == float(pub.loc[pub["id"] == pid, "value"].item())


def test_suppression_primary_and_secondary():
    t = pd.DataFrame({"n": [2, 10, 30], "pct": [4.8, 23.8, 71.4]})
    s = suppress_counts(t, 5)
    assert s["suppressed"].tolist() == [True, True, False]  # 10 hidden too: else 2 = total - 40
    assert s["n"].isna().tolist() == [True, True, False]
    assert suppress_counts(t, 0)["suppressed"].sum() == 0
