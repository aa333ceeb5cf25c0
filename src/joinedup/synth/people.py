"""Everyone the simulation knows: identity, where they live, their practice, and latent health.

State is held as parallel numpy arrays (one slot per person, grown as people are born or move in);
dates are day numbers (days since 1970-01-01, int32). Identity values are synthetic but are
handled as identifiable: this module never logs them.
"""

from __future__ import annotations

import numpy as np

from joinedup.identifiers import valid_nhs_numbers
from joinedup.synth.geography import Geography
from joinedup.synth.names import FAMILY, FEMALE, MALE

NO_DAY = -1
CONDITIONS = ("AF", "AST", "CAN", "CHD", "CKD", "COPD", "DEM", "DEP", "DM", "EP", "HF", "HYP",
              "LD", "MH", "OST", "PAD", "PC", "RA", "STIA")
DEM = CONDITIONS.index("DEM")
PC = CONDITIONS.index("PC")
MED_SLOTS = 8
TWIN_SHARE = 0.015  # of people under 60, in pairs
NAMESAKE_SHARE = 0.002  # in pairs: same given and family name, sex and date of birth
MARRIED_NAME_SHARE = 0.25  # of women 25 and over: a former family name some feeds still send
# Single-year-of-age weights (ages 0..100) shaped like a seaside borough: 65+ ~18%, 75+ ~5.3%.
_AGE_BANDS = ((0, 18, 21.3), (18, 65, 60.4), (65, 75, 13.0), (75, 85, 3.9), (85, 101, 1.4))
# within a band, the share of each single year falls from first to last (fewer turn 75 each year)
_BAND_SLOPE = {18: (1.25, 0.8), 65: (1.5, 0.55), 75: (1.3, 0.7)}


def age_weights() -> np.ndarray:
    weights = np.zeros(101)
    for low, high, share in _AGE_BANDS:
        span = np.arange(low, high)
        shape = np.linspace(*_BAND_SLOPE[low], len(span)) if low in _BAND_SLOPE else np.ones(len(span))
        if low == 85:
            shape = np.exp(-0.18 * (span - 85))
        weights[span] = share * shape / shape.sum()
    return weights / weights.sum()


class People:
    """Parallel arrays of person state with room to grow."""

    FIELDS = {
        "person_id": np.int64, "sex": np.int8, "born": np.int32, "nhs_number": np.int64,
        "given_idx": np.int16, "family_idx": np.int16, "postcode": np.int32,
        "previous_postcode": np.int32, "moved_on_day": np.int32, "practice": np.int16,
        "registered_on": np.int32, "present": np.bool_, "alive": np.bool_, "died_on": np.int32,
        "council_id": np.int32, "frailty": np.float32, "propensity": np.float32,
        "terminal_until": np.int32, "eol_added": np.int32, "dementia_onset": np.int32,
        "care": np.int8,
        "last_discharge": np.int32, "recent_admissions": np.float32, "in_hospital_until": np.int32,
        "n_meds": np.int8, "med_phase": np.int8, "mdt_month": np.int16, "resident_at_start": np.bool_,
        "former_family_idx": np.int16,
        # the social care signal (synth/signal.py): living alone, the days a known carer stopped
        # caring, a home care package last grew and a social care assessment was last made, and
        # this month's relative hazards of a permanent placement and of an emergency admission
        "lives_alone": np.bool_, "carer_stopped_on": np.int32, "package_grew_on": np.int32,
        "assessed_on": np.int32, "placement_signal": np.float32, "emergency_signal": np.float32,
        "readmission_on": np.int32,  # the day of the latest readmission drawn (hazards.py)
    }

    def __init__(self, capacity: int, geography: Geography) -> None:
        self.size = 0
        self.capacity = capacity
        for name, dtype in self.FIELDS.items():
            setattr(self, name, np.zeros(capacity, dtype=dtype))
        self.condition_on = np.full((capacity, len(CONDITIONS)), NO_DAY, dtype=np.int32)
        self.meds = np.zeros((capacity, MED_SLOTS), dtype=np.int16)
        self.postcode_strings = np.concatenate([geography.postcodes, geography.outside_postcodes])
        self.in_area_postcodes = len(geography.postcodes)
        self.given_names = np.array(MALE + FEMALE, dtype=object)
        self.male_names = len(MALE)
        self.family_names = np.array(FAMILY, dtype=object)
        self.nhs_used: set[int] = set()
        self.registrations: list[tuple[np.ndarray, ...]] = []  # closed: person, practice, from, to, postcode
        self.two_council_ids: int = -1  # the one person known to the council twice
        self.second_council_id: int = 0

    # ---- identity ---------------------------------------------------------------------------
    def date_of_birth(self, person: np.ndarray) -> np.ndarray:
        return self.born[person].astype("datetime64[D]")

    def given_name(self, person: np.ndarray) -> np.ndarray:
        return self.given_names[self.given_idx[person]]

    def family_name(self, person: np.ndarray) -> np.ndarray:
        return self.family_names[self.family_idx[person]]

    def former_family_name(self, person: np.ndarray) -> np.ndarray:
        """The family name before marriage (None for people without one)."""
        former = self.former_family_idx[person]
        return np.where(former >= 0, self.family_names[np.maximum(former, 0)], None)

    def add_lookalikes(self, who: np.ndarray, rng: np.random.Generator, on_day: int,
                       postcode_ward: np.ndarray) -> None:
        """People whose identifiers are easily confused, as in any real population: twins (same
        family name, date of birth and address), same-name same-birthday strangers, and married
        women still known to some services by their former family name. Pairs are people already
        born on the same day (twins: in the same ward, neither in care), so only names and
        addresses within a ward change: nothing the simulation's hazards read."""
        who = who[self.resident(who)]
        age = self.age_on(who, on_day)
        young = who[(age < 60) & (self.care[who] == 0)]
        first, second = _same_key_pairs(rng, young, postcode_ward[self.postcode[young]],
                                        self.born[young], TWIN_SHARE)
        self.family_idx[second] = self.family_idx[first]
        self.postcode[second] = self.postcode[first]
        first, second = _same_key_pairs(rng, who, self.sex[who], self.born[who], NAMESAKE_SHARE)
        self.given_idx[second] = self.given_idx[first]
        self.family_idx[second] = self.family_idx[first]
        women = who[(self.sex[who] == 2) & (age >= 25)]
        married = women[rng.random(len(women)) < MARRIED_NAME_SHARE]
        former = _zipf_pick(rng, len(self.family_names), len(married), skew=0.9)
        self.former_family_idx[married] = np.where(former == self.family_idx[married], -1, former)

    def postcode_text(self, person: np.ndarray) -> np.ndarray:
        return self.postcode_strings[self.postcode[person]].astype(object)

    def council_id_text(self, person: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        ids = self.council_id[person]
        second = (person == self.two_council_ids) & (rng.random(len(person)) < 0.5)
        ids = np.where(second, self.second_council_id, ids)
        return np.char.add("C", np.char.zfill(ids.astype(str), 7)).astype(object)

    def is_second_council_id(self, person: np.ndarray, text: np.ndarray) -> np.ndarray:
        return (person == self.two_council_ids) & (text == f"C{self.second_council_id:07d}")

    def move(self, person: np.ndarray, postcode: np.ndarray, day: int) -> None:
        """A change of address: the old postcode is kept, as some feeds go on sending it."""
        self.previous_postcode[person] = self.postcode[person]
        self.postcode[person] = postcode
        self.moved_on_day[person] = day

    def close_registration(self, person: np.ndarray, day: np.ndarray | int) -> None:
        """Record the registrations that end on `day` (a move of practice, moving away, death)."""
        if len(person):
            self.registrations.append((person.copy(), self.practice[person].copy(),
                                       self.registered_on[person].copy(),
                                       np.maximum(day, self.registered_on[person]).astype(np.int32),
                                       self.postcode[person].copy()))

    def resident(self, person: np.ndarray) -> np.ndarray:
        return self.postcode[person] < self.in_area_postcodes

    def age_on(self, person: np.ndarray, day: int | np.ndarray) -> np.ndarray:
        """Whole years at `day`."""
        return whole_years(self.born[person], np.broadcast_to(day, person.shape))

    def conditions_count(self, person: np.ndarray, day: int) -> np.ndarray:
        onset = self.condition_on[person]
        return ((onset != NO_DAY) & (onset <= day)).sum(axis=1)

    def has(self, person: np.ndarray, condition: int, day: int) -> np.ndarray:
        onset = self.condition_on[person, condition]
        return (onset != NO_DAY) & (onset <= day)

    # ---- growth -----------------------------------------------------------------------------
    def add(self, count: int) -> np.ndarray:
        """Reserve `count` new slots, growing the arrays when needed; return their indices."""
        if self.size + count > self.capacity:
            self._grow(max(self.capacity // 4, count))
        new = np.arange(self.size, self.size + count)
        self.size += count
        return new

    def _grow(self, extra: int) -> None:
        for name in self.FIELDS:
            setattr(self, name, np.concatenate([getattr(self, name),
                                                np.zeros(extra, getattr(self, name).dtype)]))
        self.condition_on = np.concatenate(
            [self.condition_on, np.full((extra, len(CONDITIONS)), NO_DAY, np.int32)])
        self.meds = np.concatenate([self.meds, np.zeros((extra, MED_SLOTS), np.int16)])
        self.capacity += extra

    def new_nhs_numbers(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """Distinct valid NHS numbers in the 9xx range (not issued to real people in England)."""
        chosen: list[np.ndarray] = [np.zeros(0, np.int64)]
        needed = count
        while needed > 0:
            first = rng.integers(0, 10, size=(needed * 2, 9))
            first[:, 0] = 9
            check = valid_nhs_numbers(first)
            ok = check >= 0
            digits = np.concatenate([first[ok], check[ok, None]], axis=1)
            numbers = digits @ (10 ** np.arange(9, -1, -1))
            numbers = numbers[(digits != digits[:, :1]).any(axis=1)]
            fresh = [n for n in dict.fromkeys(numbers.tolist()) if n not in self.nhs_used]
            fresh = fresh[:needed]
            self.nhs_used.update(fresh)
            chosen.append(np.array(fresh, dtype=np.int64))
            needed -= len(fresh)
        return np.concatenate(chosen)

    def set_identity(self, new: np.ndarray, rng: np.random.Generator, sex: np.ndarray) -> None:
        self.person_id[new] = new + 1
        self.sex[new] = sex
        self.nhs_number[new] = self.new_nhs_numbers(rng, len(new))
        male = sex == 1
        self.given_idx[new] = np.where(
            male, _zipf_pick(rng, self.male_names, len(new)),
            self.male_names + _zipf_pick(rng, len(self.given_names) - self.male_names, len(new)))
        self.family_idx[new] = _zipf_pick(rng, len(self.family_names), len(new), skew=0.9)
        self.alive[new] = True
        self.present[new] = True
        for field in ("died_on", "previous_postcode", "terminal_until", "eol_added",
                      "dementia_onset", "council_id",
                      "last_discharge", "in_hospital_until", "moved_on_day", "former_family_idx",
                      "carer_stopped_on", "package_grew_on", "assessed_on", "readmission_on"):
            getattr(self, field)[new] = NO_DAY
        self.mdt_month[new] = -1
        self.placement_signal[new] = 1
        self.emergency_signal[new] = 1


def whole_years(born_day: np.ndarray, on_day: np.ndarray) -> np.ndarray:
    """Whole years between two arrays of day numbers (age at a date), leap-year safe."""
    born = np.asarray(born_day).astype("datetime64[D]")
    on = np.asarray(on_day).astype("datetime64[D]")
    born_month, on_month = born.astype("datetime64[M]"), on.astype("datetime64[M]")
    months = on_month.astype(int) - born_month.astype(int)
    day_before = (on - on_month).astype(int) < (born - born_month).astype(int)
    return (months - day_before) // 12


def _same_key_pairs(rng: np.random.Generator, who: np.ndarray, key: np.ndarray, born: np.ndarray,
                    share: float) -> tuple[np.ndarray, np.ndarray]:
    """About share * len(who) / 2 disjoint pairs of people with the same key and birth day."""
    order = np.lexsort((born, key))
    same = (key[order][1:] == key[order][:-1]) & (born[order][1:] == born[order][:-1])
    starts = np.flatnonzero(same)
    starts = starts[np.concatenate([[True], np.diff(starts) > 1])] if len(starts) else starts
    chosen = rng.choice(starts, size=min(len(starts), int(len(who) * share / 2)), replace=False)
    return who[order[chosen]], who[order[chosen + 1]]


def _zipf_pick(rng: np.random.Generator, n: int, size: int, skew: float = 0.7) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** skew
    return rng.choice(n, size=size, p=weights / weights.sum())
