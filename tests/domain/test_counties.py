"""The county outlines shipped for the coordinators' map (data/geo, portal/counties.py, #33):
every state's counties, found by the names people type, drawn inside their state's box."""

from __future__ import annotations

import re

import pytest

from portal.counties import HEIGHT, WIDTH, state_counties
from portal.geography import STATES

# Counties per state in the 2017 Census files (Census Bureau, County Population Totals).
KNOWN_COUNTS = {
    **{"TX": 254, "GA": 159, "OH": 88, "CA": 58, "DE": 3, "DC": 1, "VA": 133, "PR": 78},
    **{"AS": 3, "GU": 1, "MP": 4, "VI": 3},
}


def test_every_state_dc_and_territory_has_its_counties() -> None:
    assert all(state_counties(code) is not None for code in STATES)
    assert state_counties("XX") is None
    total = sum(len(s.counties) for c in STATES if (s := state_counties(c)) is not None)
    assert total == 3231
    for code, count in KNOWN_COUNTS.items():
        state = state_counties(code)
        assert state is not None and len(state.counties) == count, code


def test_fips_codes_are_the_states_and_unique() -> None:
    seen: set[str] = set()
    for code in STATES:
        state = state_counties(code)
        if state is None:
            continue
        for county in state.counties:
            assert re.fullmatch(r"\d{5}", county.fips) and county.fips[:2] == state.fips
            assert county.fips not in seen
            seen.add(county.fips)
        names = [c.name for c in state.counties]
        assert len(names) == len(set(names)), code  # each name found once


@pytest.mark.parametrize(
    ("state", "typed", "fips"),
    [
        ("TX", "Harris County", "48201"),
        ("TX", "harris", "48201"),
        ("LA", "Orleans Parish", "22071"),
        ("MO", "Saint Louis", "29189"),
        ("MO", "St. Louis City", "29510"),
        ("VA", "Richmond", "51159"),
        ("VA", "Richmond city", "51760"),
        ("MD", "Baltimore City", "24510"),
        ("NM", "Dona Ana County", "35013"),  # Doña Ana, typed without the tilde
        ("AK", "Juneau City and Borough", "02110"),
        ("PR", "San Juan Municipio", "72127"),
    ],
)
def test_a_county_is_found_as_people_type_it(state: str, typed: str, fips: str) -> None:
    counties = state_counties(state)
    assert counties is not None
    found = counties.find(typed)
    assert found is not None and found.fips == fips
    assert counties.by_fips(fips) == found


@pytest.mark.parametrize(("state", "typed"), [("OH", "Pine"), ("TX", ""), ("VA", "Richmond town")])
def test_a_county_that_does_not_exist_is_not_found(state: str, typed: str) -> None:
    counties = state_counties(state)
    assert counties is not None and counties.find(typed) is None


def test_outlines_are_paths_inside_their_states_box() -> None:
    for code in ("TX", "OH", "AK", "HI", "RI"):
        state = state_counties(code)
        assert state is not None
        xs: list[float] = []
        ys: list[float] = []
        for county in state.counties:
            assert county.outline.startswith("M") and county.outline.rstrip().endswith("Z")
            numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", county.outline)]
            xs += numbers[0::2]
            ys += numbers[1::2]
        # Fitted to the box: touching its edges on one axis, inside it on both.
        assert min(xs) >= -0.5 and max(xs) <= WIDTH + 0.5, code
        assert min(ys) >= -0.5 and max(ys) <= HEIGHT + 0.5, code
        assert max(xs) - min(xs) > WIDTH - 2 or max(ys) - min(ys) > HEIGHT - 2, code


def test_rural_codes_come_with_every_county_but_the_ones_the_2023_codes_lack() -> None:
    """RUCC 2023 (data/geo/rucc-2023.csv): 1-3 metro, 4-9 nonmetro (rural). Its geography is
    2023's, so Connecticut's eight old counties and the former Valdez-Cordova census area have
    no code; every other county of the map has one."""
    import hashlib

    from portal.counties import RUCC_FILE, state_counties

    assert (
        hashlib.sha256(RUCC_FILE.read_bytes()).hexdigest()
        == "915a75d72b0430e04a8e89fd7103d4cbd1d1422a2e286921869dc5903b3956d9"
    )  # the copy data/geo/README.md names, byte for byte
    header = RUCC_FILE.read_text(encoding="mac_roman").splitlines()[0]
    assert header == "FIPS,State,County_Name,Population_2020,RUCC_2023,Description"
    texas, ohio = state_counties("TX"), state_counties("OH")
    assert texas is not None and ohio is not None
    assert texas.find("Harris").rucc == 1 and texas.find("Loving").rucc == 9
    assert ohio.find("Franklin").rural is False and ohio.find("Pike").rural is True
    connecticut = state_counties("CT")
    assert connecticut is not None and all(c.rucc is None for c in connecticut.counties)
    unclassified = [
        c.fips
        for code in ("AK", "CT", "TX", "OH", "PR", "VA")
        if (found := state_counties(code)) is not None
        for c in found.counties
        if c.rucc is None
    ]
    assert sorted(unclassified) == ["02261", *[f"090{n:02d}" for n in range(1, 16, 2)]]
