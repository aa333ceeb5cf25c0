from pathlib import Path

import pytest

from joinedup import contract

# The shared contract sits beside the project root; a clone elsewhere (CI) finds it at /work/shared.
CANDIDATES = [Path(__file__).resolve().parents[2] / "shared" / "contract", Path("/work/shared/contract")]
SHARED = next((p for p in CANDIDATES if p.exists()), None)


@pytest.mark.skipif(SHARED is None, reason="the shared contract folder is not on this machine")
def test_package_contract_equals_shared_contract():
    for name in ("feeds.yaml", "codes.yaml", "README.md"):
        assert (contract.CONTRACT_DIR / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_every_feed_has_its_key_among_its_columns():
    for feed in contract.feeds().values():
        assert feed.columns, feed.name
        assert set(feed.key) <= set(feed.column_names), feed.name


def test_person_identifier_feeds_carry_the_six_identifier_columns():
    apc = contract.feed("acute_apc")
    assert apc.has_person_identifiers
    assert apc.column_names[:6] == (
        "nhs_number", "given_name", "family_name", "date_of_birth", "sex", "postcode",
    )
    assert set(apc.identifying_columns) == {
        "nhs_number", "given_name", "family_name", "date_of_birth", "postcode",
    }


def test_code_and_enum_columns_expose_their_allowed_values():
    apc = contract.feed("acute_apc")
    assert "21" in apc.column("admission_method").allowed_codes()
    assert "2A" in apc.column("admission_method").allowed_codes()
    uc = contract.feed("urgent_care_contacts")
    assert uc.column("service").allowed_codes() == {"AMBULANCE", "NHS111", "OOH"}
    assert apc.column("spell_id").allowed_codes() is None


def test_reference_tables_are_separate_from_feeds():
    names = {f.name for f in contract.reference_tables()}
    assert names == {"population", "postcode_lookup", "unit_costs", "practices"}
    assert "acute_apc" in {f.name for f in contract.event_feeds()}


@pytest.mark.parametrize("raw,expected", [("ss1 2ab", "SS1 2AB"), ("SS12AB", "SS1 2AB"),
                                          (" ss99  9zz ", "SS99 9ZZ")])
def test_postcodes_are_normalised(raw, expected):
    assert contract.normalise_postcode(raw) == expected
