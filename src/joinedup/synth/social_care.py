"""Adult social care as the council's case management system records it (CLD-shaped): requests,
assessments, services (home care, reablement after discharge, permanent residential and nursing
placements, respite, direct payments, carer support), reviews, weekly costs and carers.

A service row is written when the service ends (or at the end of the simulation while still open),
so that the row carries the person's identifiers as the council held them while it ran."""

from __future__ import annotations

import numpy as np

from joinedup.synth import community
from joinedup.synth.people import CONDITIONS, NO_DAY
from joinedup.synth.world import World

# kind: (service_type, service_component, placement_type, delivery_mechanism, weekly cost mean)
KINDS = {
    "home_care": ("LTS_COMMUNITY", "HOME_CARE", None, "COUNCIL_COMMISSIONED", 265.0),
    "direct_payment": ("LTS_COMMUNITY", "DIRECT_PAYMENT", None, "DIRECT_PAYMENT", 290.0),
    "supported_living": ("LTS_COMMUNITY", "SUPPORTED_LIVING", None, "MANAGED_PERSONAL_BUDGET", 910.0),
    "reablement": ("STS_REABLEMENT", "HOME_CARE", None, "COUNCIL_COMMISSIONED", 175.0),
    "residential": ("LTS_RESIDENTIAL", "RESIDENTIAL_PLACEMENT", "PERMANENT", "COUNCIL_COMMISSIONED", 525.0),
    "nursing": ("LTS_NURSING", "NURSING_PLACEMENT", "PERMANENT", "COUNCIL_COMMISSIONED", 655.0),
    "respite": ("LTS_RESIDENTIAL", "RESPITE", "RESPITE", "COUNCIL_COMMISSIONED", 610.0),
    "carer_support": ("CARER_SUPPORT", "OTHER", None, "DIRECT_PAYMENT", 35.0),
    "telecare": ("STS_OTHER", "TELECARE", None, "COUNCIL_COMMISSIONED", 6.0),
}
KIND_NAMES = list(KINDS)
CARE_LEVEL = {"residential": 2, "nursing": 3}
COMMUNITY_LONG_TERM = ("home_care", "direct_payment", "supported_living")
REABLEMENT_DAYS = 42
CARER_KNOWN = 0.05  # a year: older people at home, not alone, whose carer the council comes to know
CARER_AT_START = 0.08  # of the same people, already known when the simulation starts
CARER_STOPS = 0.02  # a month: a known carer stops caring (ill health, strain, moving away)
PACKAGE_GROWS = 0.015  # a month, scaled by need: a home care package is increased
PACKAGE_GROWTH = 1.35  # the increased package's weekly cost against the old one


class ServiceBook:
    """Services currently running, in growable arrays."""

    def __init__(self) -> None:
        self.person = np.zeros(0, np.int32)
        self.kind = np.zeros(0, np.int8)
        self.start = np.zeros(0, np.int32)
        self.end = np.zeros(0, np.int32)  # planned end, NO_DAY when open-ended
        self.cost = np.zeros(0, np.float64)
        self.written = np.zeros(0, bool)

    def add(self, person, kind: str, start, end, cost) -> np.ndarray:
        n = len(person)
        first = len(self.person)
        self.person = np.concatenate([self.person, person.astype(np.int32)])
        self.kind = np.concatenate([self.kind, np.full(n, KIND_NAMES.index(kind), np.int8)])
        self.start = np.concatenate([self.start, np.broadcast_to(start, (n,)).astype(np.int32)])
        self.end = np.concatenate([self.end, np.broadcast_to(end, (n,)).astype(np.int32)])
        self.cost = np.concatenate([self.cost, cost])
        self.written = np.concatenate([self.written, np.zeros(n, bool)])
        return np.arange(first, first + n)


def support_reason(world: World, person: np.ndarray) -> np.ndarray:
    people, day = world.people, world.month_start
    reason = np.where(people.frailty[person] > 0.6, "PHYS_PERSONAL_CARE", "PHYS_MOBILITY").astype(object)
    reason[people.lives_alone[person]] = "SOCIAL_SUPPORT"  # isolation: the lives-alone proxy
    reason[people.has(person, CONDITIONS.index("MH"), day)] = "MENTAL_HEALTH"
    reason[people.has(person, CONDITIONS.index("LD"), day)] = "LEARNING_DISABILITY"
    reason[people.dementia_onset[person] != NO_DAY] = "MEMORY_COGNITION"
    return reason


def ensure_council_ids(world: World, person: np.ndarray) -> None:
    people = world.people
    new = np.unique(person[people.council_id[person] == NO_DAY])
    first = max(int(people.council_id.max(initial=0)), 2_000_000) + 1
    people.council_id[new] = first + world.rng.permutation(len(new))


def write_events(world: World, person: np.ndarray, day: np.ndarray, event_type: str,
                 outcome: np.ndarray, route: np.ndarray | None = None, duration: int = 0) -> None:
    n = len(person)
    if n == 0:
        return
    ensure_council_ids(world, person)
    day = np.broadcast_to(day, (n,)).astype(np.int32)
    if event_type == "ASSESSMENT":
        world.people.assessed_on[person] = np.maximum(world.people.assessed_on[person], day)
    end = day + world.rng.integers(0, duration + 1, n) if duration else day
    end = np.where(end >= world.end_day, NO_DAY, end)
    world.writer.write("social_care_events", {
        "event_id": world.ids("E", n), "client_type": np.full(n, "SERVICE_USER"),
        "primary_support_reason": support_reason(world, person), "event_type": np.full(n, event_type),
        "event_start_date": day.astype("datetime64[D]"),
        "event_end_date": np.where(end == NO_DAY, np.datetime64("NaT"), end.astype("datetime64[D]")),
        "request_route": route if route is not None else np.full(n, None, object),
        "event_outcome": outcome,
    }, person, day)


def start_services(world: World, person: np.ndarray, kind: str, start, end=NO_DAY,
                   cost: np.ndarray | None = None) -> None:
    if len(person) == 0:
        return
    ensure_council_ids(world, person)
    if cost is None:
        cost = np.round(KINDS[kind][4] * world.rng.lognormal(0, 0.25, len(person)), 2)
    world.services.add(person, kind, start, end, cost)
    _refresh_care(world, person)


def _refresh_care(world: World, person: np.ndarray) -> None:
    """care = 3 nursing, 2 residential, 1 long-term community support, 0 none (open services)."""
    book, people = world.services, world.people
    people.care[person] = 0
    running = ~book.written & np.isin(book.person, person)
    for kind, level in (*((k, 1) for k in COMMUNITY_LONG_TERM), *CARE_LEVEL.items()):
        holders = book.person[running & (book.kind == KIND_NAMES.index(kind))]
        people.care[holders] = np.maximum(people.care[holders], level)


def write_services(world: World, rows: np.ndarray, ended_on: np.ndarray, outcome: np.ndarray) -> None:
    """Write service rows (ended or still open) and mark them written."""
    book = world.services
    rows = rows[~book.written[rows]]
    if len(rows) == 0:
        return
    n = len(rows)
    book.written[rows] = True
    person = book.person[rows]
    kinds = [KINDS[KIND_NAMES[k]] for k in book.kind[rows]]
    column = lambda i: np.array([k[i] for k in kinds], dtype=object)  # noqa: E731
    end = np.where(ended_on >= world.end_day, NO_DAY, ended_on)
    carer = book.kind[rows] == KIND_NAMES.index("carer_support")
    ensure_council_ids(world, person)
    world.writer.write("social_care_events", {
        "event_id": world.ids("E", n),
        "client_type": np.where(carer, "CARER", "SERVICE_USER"),
        "primary_support_reason": np.where(carer, None, support_reason(world, person)),
        "event_type": np.full(n, "SERVICE"),
        "event_start_date": book.start[rows].astype("datetime64[D]"),
        "event_end_date": np.where(end == NO_DAY, np.datetime64("NaT"), end.astype("datetime64[D]")),
        "service_type": column(0), "service_component": column(1), "placement_type": column(2),
        "delivery_mechanism": column(3),
        "event_outcome": np.where(end == NO_DAY, None, outcome).astype(object),
        "weekly_cost": book.cost[rows],
    }, person, book.start[rows])


def end_services(world: World, person: np.ndarray, day: np.ndarray, outcome: str,
                 kinds: tuple[str, ...] | None = None) -> None:
    """End every open service of these people on `day` (death, moving away, a new placement)."""
    book = world.services
    day_of = dict(zip(person.tolist(), np.broadcast_to(day, person.shape).tolist(), strict=True))
    open_rows = np.flatnonzero(~book.written & np.isin(book.person, person))
    if kinds is not None:
        open_rows = open_rows[np.isin(book.kind[open_rows], [KIND_NAMES.index(k) for k in kinds])]
    if len(open_rows) == 0:
        return
    ends = np.array([day_of[p] for p in book.person[open_rows]], dtype=np.int32)
    planned = book.end[open_rows]
    ends = np.where((planned != NO_DAY) & (planned < ends), planned, ends)
    ends = np.maximum(ends, book.start[open_rows])
    write_services(world, open_rows, ends, np.full(len(open_rows), outcome, dtype=object))
    _refresh_care(world, person)


def finish_planned(world: World) -> None:
    """Write services whose planned end (reablement, respite) has passed."""
    book = world.services
    due = np.flatnonzero(~book.written & (book.end != NO_DAY) & (book.end < world.month_end))
    outcome = np.where(book.kind[due] == KIND_NAMES.index("reablement"), "NO_SERVICES", "NFA_OTHER")
    write_services(world, due, book.end[due], outcome.astype(object))


def initial_social_care(world: World, who: np.ndarray, age: np.ndarray) -> None:
    """The services already running when the simulation starts."""
    people, rng, today = world.people, world.rng, world.month_start
    old = (age >= 65) & people.resident(who)
    dementia = people.dementia_onset[who] != NO_DAY
    need = people.frailty[who] * (1 + 2.5 * dementia) * np.exp(0.04 * np.clip(age - 65, 0, 40))
    in_care = old & (rng.random(len(who)) < world.probability("initial_care", need * old, 0.022))
    since = today - rng.integers(30, 1500, in_care.sum())
    nursing = rng.random(in_care.sum()) < 0.4
    move_to_care_home(world, who[in_care])
    start_services(world, who[in_care][nursing], "nursing", since[nursing])
    start_services(world, who[in_care][~nursing], "residential", since[~nursing])
    community = ~in_care & people.resident(who) & (rng.random(len(who)) < world.probability(
        "initial_home_care", need * old + 0.5 * _working_age_need(world, who, age), 0.0118))
    since = today - rng.integers(30, 1500, community.sum())
    kind = rng.choice(3, community.sum(), p=[0.7, 0.22, 0.08])
    for k, name in enumerate(("home_care", "direct_payment", "supported_living")):
        start_services(world, who[community][kind == k], name, since[kind == k])
    _one_person_known_twice(world, who[community])
    cared_for = _carer_candidates(world, who, age)
    weight = _carer_weight(world, cared_for)
    known = cared_for[world.chance(CARER_AT_START * weight, len(cared_for))]
    start_services(world, known, "carer_support", today - rng.integers(30, 1500, len(known)))


def _one_person_known_twice(world: World, clients: np.ndarray) -> None:
    """The council's one duplicate record: the youngest client, with years of support ahead."""
    people = world.people
    if len(clients):
        people.two_council_ids = int(clients[np.argmax(people.born[clients])])
        people.second_council_id = int(people.council_id.max()) + 500


def _working_age_need(world: World, who, age) -> np.ndarray:
    people, day = world.people, world.month_start
    ld = people.has(who, CONDITIONS.index("LD"), day)
    mh = people.has(who, CONDITIONS.index("MH"), day)
    return ((age >= 18) & (age < 65)) * (3.0 * ld + 1.5 * mh + 0.02)


def move_to_care_home(world: World, person: np.ndarray) -> None:
    homes = world.geo.care_home_postcode
    chosen = homes[world.rng.integers(0, len(homes), len(person))]
    world.people.move(person, chosen, world.month_start)


def place_permanently(world: World, person: np.ndarray, day: np.ndarray, from_hospital: bool) -> None:
    """A permanent residential or nursing placement: request, assessment, end of home care."""
    if len(person) == 0:
        return
    route = np.full(len(person), "HOSPITAL_DISCHARGE" if from_hospital else "COMMUNITY")
    write_events(world, person, day - 14, "REQUEST", np.full(len(person), "LONG_TERM_SUPPORT"), route)
    write_events(world, person, day - 10, "ASSESSMENT", np.full(len(person), "LONG_TERM_SUPPORT"),
                 duration=8)
    end_services(world, person, day - 1, "LONG_TERM_SUPPORT",
                 ("home_care", "direct_payment", "supported_living", "reablement"))
    move_to_care_home(world, person)
    nursing = world.rng.random(len(person)) < 0.4
    start_services(world, person[nursing], "nursing", day[nursing])
    start_services(world, person[~nursing], "residential", day[~nursing])


def after_discharge(world: World, person: np.ndarray, day: np.ndarray) -> None:
    """Reablement or intermediate care for some older people going home from hospital."""
    people = world.people
    terminal = people.terminal_until[person] != NO_DAY
    settled = ((people.care[person] == 0) | (people.care[person] == 1)) & people.resident(person)
    p = world.rates.reablement_after_discharge_65 * np.where(terminal, 1.3, 1.0) * settled
    chosen = world.chance(p, len(person))
    who, start = person[chosen], (day[chosen] + world.rng.integers(0, 6, chosen.sum())).astype(np.int32)
    via_council = world.rng.random(len(who)) < 0.6
    council, council_start = who[via_council], start[via_council]
    write_events(world, council, council_start - 1, "REQUEST", np.full(len(council), "SHORT_TERM_SUPPORT"),
                 np.full(len(council), "HOSPITAL_DISCHARGE"))
    write_events(world, council, council_start - 1, "ASSESSMENT", np.full(len(council), "SHORT_TERM_SUPPORT"))
    start_services(world, council, "reablement", council_start, council_start + REABLEMENT_DAYS)
    community.after_discharge(world, who[~via_council], start[~via_council])
    long_term = world.rng.random(len(council)) < 0.22
    start_services(world, council[long_term], "home_care", council_start[long_term] + REABLEMENT_DAYS + 1)


def month_of_social_care(world: World, who: np.ndarray, age: np.ndarray) -> None:
    people, rng, rates = world.people, world.rng, world.rates
    resident = people.resident(who)  # the council serves its own residents
    who, age = who[resident], age[resident]
    dementia = people.dementia_onset[who] != NO_DAY
    need = care_need(world, who, age)
    asking = (people.care[who] == 0) & world.chance(world.probability("request", need, rates.care_request_community / 12), len(who))
    requesters = who[asking]
    day = world.days(len(requesters))
    write_events(world, requesters, day, "REQUEST", np.full(len(requesters), None, object),
                 np.full(len(requesters), "COMMUNITY"))
    outcome = np.array(["LONG_TERM_SUPPORT", "UNIVERSAL_SIGNPOSTING", "NO_SERVICES", "ONGOING_LOW_LEVEL"])[
        rng.choice(4, len(requesters), p=[0.45, 0.25, 0.2, 0.1])]
    write_events(world, requesters, day + 7, "ASSESSMENT", outcome, duration=20)
    supported = outcome == "LONG_TERM_SUPPORT"
    start_services(world, requesters[supported], "home_care", day[supported] + 28)
    low_level = outcome == "ONGOING_LOW_LEVEL"
    start_services(world, requesters[low_level], "telecare", day[low_level] + 21, day[low_level] + 201)
    _community_placements(world, who, age)
    _home_care_endings(world)
    _packages_grow(world)
    _care_home_moves(world)
    _respite_and_carers(world, who, age, dementia)
    _reviews(world)


def care_need(world: World, who: np.ndarray, age: np.ndarray) -> np.ndarray:
    people = world.people
    dementia = people.dementia_onset[who] != NO_DAY
    return people.frailty[who] * (1 + 2 * dementia) * (age >= 65) + _working_age_need(world, who, age) * 0.2


def placement_risk(world: World, who: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Relative risk of a permanent placement from the community (older residents at home)."""
    people = world.people
    eligible = (age >= 65) & (people.care[who] < 2) & people.resident(who)
    return (care_need(world, who, age) * eligible * (1 + (people.care[who] == 1))
            * people.placement_signal[who])


def _community_placements(world: World, who, age) -> None:
    people = world.people
    out_of_hospital = people.in_hospital_until[who] < world.month_start
    p = world.probability("placement", placement_risk(world, who, age) * out_of_hospital,
                          world.rates.placement_from_community_65 / 12)
    placed = who[world.chance(p, len(who))]
    place_permanently(world, placed, world.days(len(placed)) + 14, from_hospital=False)


def _home_care_endings(world: World) -> None:
    """Some long-term community support ends: needs change, families take over."""
    book = world.services
    running = ~book.written & np.isin(book.kind, [KIND_NAMES.index(k) for k in COMMUNITY_LONG_TERM])
    ending = np.flatnonzero(running & world.chance(world.rates.home_care_ending, len(book.kind)))
    person = book.person[ending]
    day = world.days(len(ending))
    write_services(world, ending, np.maximum(day, book.start[ending]), np.full(len(ending), "NFA_OTHER", object))
    _refresh_care(world, person)


def _care_home_moves(world: World) -> None:
    """A few residents move between homes or from residential to nursing care: not admissions."""
    people = world.people
    residents = np.flatnonzero((people.care[: people.size] >= 2) & people.alive[: people.size])
    moving = residents[world.chance(0.02 / 12, len(residents))]
    if len(moving) == 0:
        return
    day = world.days(len(moving))
    to_nursing = (people.care[moving] == 2) & world.chance(0.5, len(moving))
    end_services(world, moving, day - 1, "LONG_TERM_SUPPORT", ("residential", "nursing"))
    move_to_care_home(world, moving)
    start_services(world, moving[to_nursing], "nursing", day[to_nursing])
    start_services(world, moving[~to_nursing], "residential", day[~to_nursing])


def _respite_and_carers(world: World, who, age, dementia) -> None:
    at_home = (world.people.care[who] <= 1) & (age >= 65)
    respite = who[at_home & dementia & world.chance(0.12 / 12, len(who))]
    day = world.days(len(respite))
    start_services(world, respite, "respite", day, day + world.rng.integers(6, 15, len(respite)))
    _carers(world, who, age)


def _carer_candidates(world: World, who, age) -> np.ndarray:
    """Older people at home, not living alone, with some need, whose carer is not yet known."""
    people, book = world.people, world.services
    known = book.person[~book.written & (book.kind == KIND_NAMES.index("carer_support"))]
    at_home = (age >= 65) & (people.care[who] <= 1) & ~people.lives_alone[who] & people.resident(who)
    chosen = who[at_home & (care_need(world, who, age) > 0)]
    return chosen[~np.isin(chosen, known)]


def _carer_weight(world: World, person: np.ndarray) -> np.ndarray:
    """Need relative to its mean: carers come to the council's notice as needs grow."""
    need = world.people.frailty[person] * (1 + 2 * (world.people.dementia_onset[person] != NO_DAY))
    return need / need.mean() if len(need) and need.mean() > 0 else need


def _carers(world: World, who, age) -> None:
    """A carer becomes known (a CARER client of the cared-for person: carer support on their
    record); a known carer stops caring, which ends the support."""
    cared_for = _carer_candidates(world, who, age)
    p = CARER_KNOWN / 12 * _carer_weight(world, cared_for)
    known = cared_for[world.chance(p, len(cared_for))]
    start_services(world, known, "carer_support", world.days(len(known)))
    book = world.services
    running = np.flatnonzero(~book.written & (book.kind == KIND_NAMES.index("carer_support"))
                             & (book.start < world.month_start))
    stopping = running[world.chance(CARER_STOPS, len(running))]
    day = np.maximum(world.days(len(stopping)), book.start[stopping])
    write_services(world, stopping, day, np.full(len(stopping), "NFA_OTHER", object))
    world.people.carer_stopped_on[book.person[stopping]] = day


def _packages_grow(world: World) -> None:
    """Some home care packages are increased as needs grow: the old package ends and a larger
    one starts the next day (a change of package is a new service row)."""
    book, people = world.services, world.people
    running = np.flatnonzero(~book.written & (book.kind == KIND_NAMES.index("home_care"))
                             & (book.start < world.month_start))
    need = 0.5 + np.minimum(people.frailty[book.person[running]], 2)
    growing = running[world.chance(PACKAGE_GROWS * need, len(running))]
    if len(growing) == 0:
        return
    person, cost = book.person[growing], book.cost[growing]
    day = np.maximum(np.minimum(world.days(len(growing)), world.month_end - 2), book.start[growing])
    write_services(world, growing, day, np.full(len(growing), "LONG_TERM_SUPPORT", object))
    start_services(world, person, "home_care", day + 1, cost=np.round(cost * PACKAGE_GROWTH, 2))
    people.package_grew_on[person] = day + 1


def _reviews(world: World) -> None:
    book = world.services
    long_term = ~book.written & np.isin(book.kind, [KIND_NAMES.index(k) for k in
                                                    ("home_care", "direct_payment", "supported_living",
                                                     "residential", "nursing")])
    due = np.flatnonzero(long_term & world.chance(1 / 12, len(book.kind)))
    person = np.unique(book.person[due])
    person = person[world.people.alive[person]]
    outcome = np.array(["LONG_TERM_SUPPORT", "ONGOING_LOW_LEVEL"])[world.rng.choice(2, len(person), p=[0.85, 0.15])]
    write_events(world, person, world.days(len(person)), "REVIEW", outcome)


def close_all(world: World) -> None:
    """At the end of the simulation, write every service still running (open-ended)."""
    book = world.services
    rows = np.flatnonzero(~book.written)
    ends = np.where(book.end[rows] == NO_DAY, world.end_day, book.end[rows])
    write_services(world, rows, ends, np.full(len(rows), "NFA_OTHER", dtype=object))

