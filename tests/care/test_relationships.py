"""Legitimate relationships, clause by clause (GOVERNANCE.md): registration, caseload (closing,
90-day expiry after the team's last contact), open episodes of the team's own organisation, the
30-day grace after each, break glass; and who can have none at all."""

import datetime as dt

import pytest
from care_register import write_register

from joinedup.governance.relationships import (
    BreakGlass,
    CaseloadEntry,
    Episode,
    PersonFacts,
    Registration,
    relationship,
)

D = dt.date


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    return write_register(tmp_path_factory.mktemp("rel"))


def decide(register, user, facts, day):
    r = relationship(register, user, facts, day)
    return r.rule if r.allowed else f"refused:{r.rule}"


REGISTERED = PersonFacts(registrations=(Registration("P81001", D(2014, 3, 1), D(2015, 6, 1)),))


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2014, 2, 28), "refused:no_relationship"),  # before registration
        (D(2014, 3, 1), "registration"),  # the registration day
        (D(2015, 5, 31), "registration"),
        (D(2015, 6, 1), "registration_grace"),  # deregistered on this day: grace starts
        (D(2015, 6, 30), "registration_grace"),  # 30th day of grace
        (D(2015, 7, 1), "refused:no_relationship"),  # grace over
    ],
)
def test_registration_holds_until_deregistration_then_thirty_days_of_grace(register, day, expected):
    assert decide(register, "gp.one", REGISTERED, day) == expected


def test_registration_is_with_the_users_practice_only(register):
    assert decide(register, "gp.two", REGISTERED, D(2015, 1, 1)) == "refused:no_relationship"
    assert decide(register, "nurse", REGISTERED, D(2015, 1, 1)) == "refused:no_relationship"
    open_ended = PersonFacts(registrations=(Registration("P81001", D(2014, 3, 1), None),))
    assert decide(register, "gp.one", open_ended, D(2030, 1, 1)) == "registration"


def caseload(**kw):
    entry = dict(team="CT-DN", accepted=D(2015, 1, 10), reason="from the worklist")
    return PersonFacts(caseload=(CaseloadEntry(**{**entry, **kw}),))


@pytest.mark.parametrize(
    "facts, day, expected",
    [
        (caseload(), D(2015, 1, 9), "refused:no_relationship"),  # before acceptance
        (caseload(), D(2015, 1, 10), "caseload"),
        (caseload(), D(2015, 4, 10), "caseload"),  # 90 days after acceptance (no contact since)
        (caseload(), D(2015, 4, 11), "caseload_grace"),
        (caseload(), D(2015, 5, 10), "caseload_grace"),  # 30th day of grace
        (caseload(), D(2015, 5, 11), "refused:no_relationship"),
        (caseload(last_contact=D(2015, 3, 1)), D(2015, 5, 30), "caseload"),  # 90 after contact
        (caseload(last_contact=D(2015, 3, 1)), D(2015, 5, 31), "caseload_grace"),
        (caseload(closed=D(2015, 2, 1)), D(2015, 1, 31), "caseload"),
        (caseload(closed=D(2015, 2, 1)), D(2015, 2, 1), "caseload_grace"),  # closing ends it
        (caseload(closed=D(2015, 2, 1)), D(2015, 3, 3), "refused:no_relationship"),
    ],
)
def test_caseload_ends_when_closed_or_ninety_days_after_the_last_contact(
    register, facts, day, expected
):
    assert decide(register, "nurse", facts, day) == expected


def test_caseload_is_the_users_teams_only(register):
    assert decide(register, "social", caseload(), D(2015, 2, 1)) == "refused:no_relationship"
    assert decide(register, "social", caseload(team="SC-ADULTS"), D(2015, 2, 1)) == "caseload"


SPELL = PersonFacts(episodes=(Episode("hospital_spell", "RZA", D(2015, 2, 1), D(2015, 2, 10)),))
SERVICE = PersonFacts(episodes=(Episode("social_care_service", "E06000033", D(2015, 2, 1), None),))


@pytest.mark.parametrize(
    "user, facts, day, expected",
    [
        ("discharge", SPELL, D(2015, 1, 31), "refused:no_relationship"),
        ("discharge", SPELL, D(2015, 2, 1), "episode"),
        ("discharge", SPELL, D(2015, 2, 10), "episode"),  # the discharge day
        ("discharge", SPELL, D(2015, 2, 11), "episode_grace"),
        ("discharge", SPELL, D(2015, 3, 12), "episode_grace"),
        ("discharge", SPELL, D(2015, 3, 13), "refused:no_relationship"),
        ("nurse", SPELL, D(2015, 2, 5), "refused:no_relationship"),  # not a hospital team
        ("social", SPELL, D(2015, 2, 5), "refused:no_relationship"),
        ("social", SERVICE, D(2016, 2, 5), "episode"),  # an active service, open-ended
        ("discharge", SERVICE, D(2016, 2, 5), "refused:no_relationship"),
    ],
)
def test_open_episodes_of_the_teams_own_organisation(register, user, facts, day, expected):
    assert decide(register, user, facts, day) == expected


def test_an_episode_of_another_organisation_gives_no_relationship(register):
    other = PersonFacts(episodes=(Episode("hospital_spell", "RZC", D(2015, 2, 1), None),))
    assert decide(register, "discharge", other, D(2015, 2, 5)) == "refused:no_relationship"


def test_break_glass_needs_a_reason_opens_that_day_only_and_is_marked(register):
    glass = PersonFacts(break_glass=(BreakGlass("nurse", D(2015, 2, 5), "collapsed at home"),))
    opened = relationship(register, "nurse", glass, D(2015, 2, 5))
    assert (opened.allowed, opened.rule, opened.marked) == (True, "break_glass", True)
    assert opened.audit_rule == "relationship:break_glass"
    assert decide(register, "nurse", glass, D(2015, 2, 6)) == "refused:no_relationship"
    assert decide(register, "social", glass, D(2015, 2, 5)) == "refused:no_relationship"
    blank = PersonFacts(break_glass=(BreakGlass("nurse", D(2015, 2, 5), "   "),))
    assert decide(register, "nurse", blank, D(2015, 2, 5)) == "refused:no_relationship"


def test_a_relationship_comes_before_break_glass_and_is_not_marked(register):
    both = PersonFacts(
        registrations=REGISTERED.registrations,
        break_glass=(BreakGlass("gp.one", D(2015, 1, 1), "emergency"),),
    )
    r = relationship(register, "gp.one", both, D(2015, 1, 1))
    assert (r.rule, r.marked) == ("registration", False)


@pytest.mark.parametrize("user", ["analyst", "ig", "linkage"])
def test_roles_without_tier_i_never_have_one_even_breaking_the_glass(register, user):
    facts = PersonFacts(
        registrations=REGISTERED.registrations,
        break_glass=(BreakGlass(user, D(2015, 1, 1), "emergency"),),
    )
    assert decide(register, user, facts, D(2015, 1, 1)) == "refused:role_without_tier_i"


def test_a_user_past_their_end_date_has_none(register):
    facts = caseload()
    assert decide(register, "left", facts, D(2015, 2, 1)) == "caseload"
    assert decide(register, "left", facts, D(2016, 1, 1)) == "refused:inactive_user"
    assert decide(register, "nobody", facts, D(2015, 2, 1)) == "refused:inactive_user"
