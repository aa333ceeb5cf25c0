"""The area's places: localities, wards with IMD deciles, LSOAs, postcodes, care homes and GP
practices, plus postcodes just outside the area for people who live beyond its boundary."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from joinedup.synth.config import REFERENCE_PEOPLE, AreaSpec

INWARD_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
PEOPLE_PER_POSTCODE = 38
PEOPLE_PER_LSOA = 1_600
PEOPLE_PER_CARE_HOME = 4_000


@dataclass
class Geography:
    locality_names: list[str]
    ward_codes: np.ndarray  # str
    ward_names: np.ndarray
    ward_locality: np.ndarray  # index into locality_names
    ward_imd: np.ndarray  # decile 1..10
    ward_weight: np.ndarray  # share of residents
    lsoa_codes: np.ndarray
    lsoa_ward: np.ndarray
    postcodes: np.ndarray  # in-area postcodes (str)
    postcode_lsoa: np.ndarray
    outside_postcodes: np.ndarray
    care_home_postcode: np.ndarray  # index into postcodes
    practice_codes: np.ndarray
    practice_names: np.ndarray
    practice_locality: np.ndarray
    practice_weight: np.ndarray  # share of registrations

    @property
    def postcode_ward(self) -> np.ndarray:
        return self.lsoa_ward[self.postcode_lsoa]

    @property
    def postcode_imd(self) -> np.ndarray:
        return self.ward_imd[self.postcode_ward]


def _postcodes(rng: np.random.Generator, count: int, area: str, districts: range) -> np.ndarray:
    """`count` distinct, sorted postcodes like 'SS1 4AB' drawn from the districts given."""
    letters = len(INWARD_LETTERS)
    combos = len(districts) * 10 * letters**2
    chosen = np.sort(rng.choice(combos, size=min(count, combos), replace=False))
    district, rest = np.divmod(chosen, 10 * letters**2)
    sector, pair = np.divmod(rest, letters**2)
    first, second = np.divmod(pair, letters)
    return np.array([f"{area}{districts[d]} {s}{INWARD_LETTERS[a]}{INWARD_LETTERS[b]}"
                     for d, s, a, b in zip(district, sector, first, second, strict=True)])


def build_geography(spec: AreaSpec, rng: np.random.Generator) -> Geography:
    wards = spec.ward_count
    ward_locality = np.sort(np.arange(wards) % len(spec.localities))
    ward_imd = np.clip(np.round(rng.uniform(1, 10.99, wards)), 1, 10).astype(int)
    ward_weight = rng.lognormal(0, 0.25, wards)
    ward_weight /= ward_weight.sum()

    lsoas = max(wards * 2, round(spec.people / PEOPLE_PER_LSOA))
    lsoa_ward = np.sort(rng.choice(wards, size=lsoas, p=ward_weight))
    lsoa_ward[:wards] = np.arange(wards)  # every ward has at least one LSOA
    lsoa_ward.sort()
    postcode_count = max(lsoas * 3, round(spec.people / PEOPLE_PER_POSTCODE))
    districts = range(0, 10) if spec.scale <= 1.5 else range(0, 10 * round(spec.scale))
    postcodes = _postcodes(rng, postcode_count, "SS", districts)
    postcode_lsoa = np.sort(rng.integers(0, lsoas, size=len(postcodes)))
    postcode_lsoa[:lsoas] = np.arange(lsoas)
    postcode_lsoa.sort()
    outside = _postcodes(rng, max(200, postcode_count // 8), "CM", range(1, 10))

    care_homes = max(3, round(spec.people / PEOPLE_PER_CARE_HOME))
    practices = spec.practice_count
    registered = max(spec.people, REFERENCE_PEOPLE) * (1 + spec.registered_non_residents)
    largest_share = spec.largest_practice_list / registered
    practice_weight = rng.lognormal(0, 0.45, practices)
    practice_weight[0] = 0
    practice_weight *= (1 - largest_share) / practice_weight.sum()
    practice_weight[0] = largest_share
    return Geography(
        locality_names=list(spec.localities),
        ward_codes=np.array([f"E05{900_001 + w:06d}" for w in range(wards)]),
        ward_names=np.array([f"{spec.localities[ward_locality[w]]} Ward {w + 1}" for w in range(wards)]),
        ward_locality=ward_locality,
        ward_imd=ward_imd,
        ward_weight=ward_weight,
        lsoa_codes=np.array([f"E01{900_001 + i:06d}" for i in range(lsoas)]),
        lsoa_ward=lsoa_ward,
        postcodes=postcodes,
        postcode_lsoa=postcode_lsoa,
        outside_postcodes=outside,
        care_home_postcode=rng.choice(len(postcodes), size=care_homes, replace=False),
        practice_codes=np.array([f"Y0{1000 + p:04d}" for p in range(practices)]),
        practice_names=np.array([f"{spec.localities[p % len(spec.localities)]} Surgery {p + 1}"
                                 for p in range(practices)]),
        practice_locality=np.arange(practices) % len(spec.localities),
        practice_weight=practice_weight,
    )
