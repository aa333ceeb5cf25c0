"""The code groupings (groupings.yaml): each written once, every code one its column allows."""

import pytest

from joinedup import contract, groupings


def test_every_grouping_holds_codes_its_contract_column_allows():
    found = groupings.groupings()
    assert found["emergency_admission"][0] == "21" and "2D" in found["emergency_admission"]
    assert (
        found["maternity_specialty"] + found["mental_health_specialty"]
        == groupings.NOT_GENERAL_AND_ACUTE
    )
    allowed = contract.feed("acute_apc").column("admission_method").allowed_codes()
    assert set(found["emergency_admission"]) | set(found["elective_admission"]) <= allowed


def test_a_code_its_column_does_not_allow_is_refused(tmp_path):
    path = tmp_path / "groupings.yaml"
    path.write_text("emergency:\n  column: acute_apc.admission_method\n  codes: ['21', '99']\n")
    with pytest.raises(
        ValueError, match=r"emergency: codes not in acute_apc.admission_method: \['99'\]"
    ):
        groupings.load(path)
