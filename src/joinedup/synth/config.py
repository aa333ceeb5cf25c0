"""The synthetic area's parameters. Defaults describe a Southend-on-Sea-like borough
(`../shared/calibration.md`); every rate here is a calibration knob, named for what it drives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

DEFAULT_PEOPLE = 175_000
REFERENCE_PEOPLE = 175_000  # counts below (wards, practices, care homes) are for this size


@dataclass(frozen=True)
class AreaSpec:
    people: int = DEFAULT_PEOPLE
    seed: int = 1
    start: date = date(2013, 4, 1)
    months: int = 36
    wards: int = 17
    practices: int = 37
    largest_practice_list: int = 14_000
    share_65_plus: float = 0.183
    registered_non_residents: float = 0.063  # 186k registered for 175k residents
    localities: tuple[str, ...] = ("Central", "East Central", "West", "Shoebury")

    @property
    def scale(self) -> float:
        return self.people / REFERENCE_PEOPLE

    @property
    def practice_count(self) -> int:
        """37 practices at the reference size; more for a larger area (Kent)."""
        return max(3, round(self.practices * max(1.0, self.scale)))

    @property
    def ward_count(self) -> int:
        return max(3, round(self.wards * max(1.0, self.scale)))


@dataclass(frozen=True)
class Rates:
    """Yearly rates and effect sizes of the hazard model (per person-year unless said)."""

    births: float = 0.0115
    move_out: float = 0.035
    move_in: float = 0.036  # slightly above move-out so that the area stays near its size
    move_within: float = 0.05
    practice_change: float = 0.01
    ae_walk_in: float = 0.215
    ambulance_incident: float = 0.082
    ambulance_conveyed: float = 0.68
    nhs111_call: float = 0.22
    ooh_contact: float = 0.07
    direct_emergency: float = 0.0035
    elective: float = 0.085
    day_case_share: float = 0.62
    gp_appointment: float = 3.2
    community_contact: float = 0.75
    mh_contact: float = 0.20
    terminal_base: float = 0.04
    readmission_30d: float = 0.085
    reablement_after_discharge_65: float = 0.115
    placement_from_hospital: float = 0.0135  # share of older people's emergency discharges
    placement_from_community_65: float = 90 / 32_000  # placements a year per resident aged 65+
    home_care_entry: float = 0.0039
    care_request_community: float = 0.0075
    home_care_ending: float = 0.012  # a month
    mdt_review_share: float = 0.03
    survey_positive: float = 0.635
    objections: dict[str, float] = field(
        default_factory=lambda: {"TYPE1": 0.02, "NDOO": 0.028, "DIRECT": 0.003}
    )


@dataclass(frozen=True)
class FlawRates:
    """Share of rows carrying each identifier flaw, and of rows that break the contract."""

    missing_nhs: dict[str, float] = field(
        default_factory=lambda: {
            "social_care_events": 0.33, "acute_ae": 0.25, "urgent_care_contacts": 0.06,
            "delayed_transfers": 0.02, "acute_apc": 0.01, "community_contacts": 0.02,
            "mental_health_contacts": 0.02,
        }
    )
    mistyped_nhs: float = 0.02
    # someone else's valid NHS number, most often a household member's (share of rows with one)
    wrong_valid_nhs: float = 0.002
    household_share_of_wrong_nhs: float = 0.7
    misspelt_name: float = 0.015
    nickname: float = 0.03  # in social care, A&E and urgent care rows
    swapped_names: float = 0.004  # given and family name the wrong way round
    initial: float = 0.01  # given name as an initial, in social care, A&E and urgent care rows
    former_family_name: float = 0.3  # share of a married woman's rows with her former name
    swapped_dob: float = 0.004
    # 1 January of the right year, and 1900-01-01 (in social care, A&E and urgent care rows)
    placeholder_dob: dict[str, float] = field(default_factory=lambda: {"0101": 0.006, "1900": 0.003})
    old_postcode_after_move: float = 0.3  # share of a mover's later rows still on the old postcode
    broken_rows: float = 0.001


# Mean risk of each hazard in the reference area (175,000 people, seed 1) when the simulation
# starts. A rate is turned into a per-person hazard by dividing by this mean, so that areas of
# every size share one calibrated model (their own first month's mix would make small areas drift).
REFERENCE_MEAN_RISK = {
    "initial_care": 0.9131936738065105,
    "initial_home_care": 0.21887806113260888,
    "ambulance": 1.715783854329112,
    "ae_walk_in": 1.3496574729491202,
    "ae_admit": 5.501461935908345,
    "placement_from_hospital": 2.214266986761657,
    "direct_emergency": 1.0984970036713613,
    "nhs111": 1.012043712542477,
    "ooh": 1.012043712542477,
    "elective": 1.9008658531081848,
    "request": 0.11611291820605249,
    "placement": 0.48844033883977195,
    "gp": 1.5159797971153357,
    "acute_medicine": 1.2681154452594778,
    "mdt": 0.17912211312607706,
    "mh": 0.07574838326363656,
}
