"""pandera schemas of the processed tables are derived from the codebook and checked on load."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import codebook
from analysis.codebook import schemas
from analysis.describe.load import ContractError, check, validate_policy, validate_registrations
from test_describe_fixture import policy, registrations


def test_registration_columns_are_the_codebook_resource() -> None:
    names = [f.name for f in codebook.fields("registraties_verwerkt")]
    assert schemas.columns("registrations") == names
    assert schemas.code_columns("registrations") == [
        f.name for f in codebook.categorical_fields() if f.name in names
    ]


@pytest.mark.parametrize(
    "column,value,needle",
    [
        ("maand", "2020/11", "registrations.maand"),
        ("uur", 24, "registrations.uur"),
        ("aanleiding", 9, "registrations.aanleiding"),
        ("vlag_dubbel", "ja", "registrations.vlag_dubbel"),
    ],
)
def test_a_broken_registration_is_a_contract_error(column: str, value: object, needle: str) -> None:
    reg = registrations()
    reg[column] = reg[column].astype(object)
    reg.loc[3, column] = value
    with pytest.raises(ContractError, match=needle):
        validate_registrations(reg)


def test_policy_lists_hold_codebook_codes() -> None:
    pol = policy(2)
    validate_policy(pol)
    pol.loc[0, "belemmerende_factoren"] = "1|9"
    with pytest.raises(ContractError, match="belemmerende_factoren.*'1\\|9'"):
        validate_policy(pol)


def test_negative_occupancy_is_a_contract_error() -> None:
    occ = pd.DataFrame(
        {"meting": [2], "locatie": ["L01"], "maand": ["2020-09"], "gemiddelde_bezetting": [-1.0]}
    )
    with pytest.raises(ContractError, match="occupancy.gemiddelde_bezetting"):
        check(occ, "occupancy")


def test_the_schema_follows_the_codebook(monkeypatch: pytest.MonkeyPatch) -> None:
    # Drop code 6 ("Anders") from the codebook: the same data now breaks the contract.
    reg = registrations()
    reg.loc[0, "aanleiding"] = 6
    validate_registrations(reg)
    field = next(
        f for f in codebook.resource("registraties")["schema"]["fields"] if f["name"] == "aanleiding"
    )
    monkeypatch.setitem(field, "categories", [c for c in field["categories"] if c["value"] != 6])
    schemas.schema.cache_clear()
    try:
        with pytest.raises(ContractError, match="aanleiding"):
            check(reg.astype({"aanleiding": "Int64"}), "registrations")
    finally:
        monkeypatch.undo()
        schemas.schema.cache_clear()


def test_codes_by_label_come_from_the_codebook() -> None:
    """Code that selects categories names them by label; a renamed label fails loudly."""
    from analysis import codebook

    cats = {c.label_en: c.value for c in codebook.field("evaluatie_1").categories}
    assert codebook.codes("evaluatie_1", "Debrief planned", "Debrief held") == (
        cats["Debrief planned"],
        cats["Debrief held"],
    )
    with pytest.raises(KeyError, match="Debrief cancelled"):
        codebook.codes("evaluatie_1", "Debrief cancelled")
