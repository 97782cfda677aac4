"""U.S. counties: their FIPS codes, names and outlines, from data/geo/counties.json.

The file is built by scripts/build-county-map.sh from us-atlas 3.0.1 (ISC licence), a
redistribution of the Census Bureau's cartographic boundary files, 2017 edition, 1:10,000,000
(public domain): every county and county equivalent of the 50 states, DC and the five inhabited
territories, its outline as SVG path data drawn per state in a 600 x 400 box
(data/geo/README.md). It is the
ground the coordinators' county map stands on (#33): an organization's county, as typed, is
found here by name within its state.

Plain Python: no Flask.
"""

from __future__ import annotations

import csv
import difflib
import functools
import json
import re
import unicodedata
from dataclasses import dataclass

from portal.geography import STATES
from portal.kev.shipped import ROOT
from portal.questionnaire.words import N_, _

COUNTIES_FILE = ROOT / "data" / "geo" / "counties.json"
# USDA ERS Rural-Urban Continuum Codes, 2023 (public domain; data/geo/README.md says where the
# copy comes from): 1-3 metro counties, 4-9 nonmetro.
RUCC_FILE = ROOT / "data" / "geo" / "rucc-2023.csv"
RURAL_CODES = range(4, 10)
RURAL_DEFINITION = N_(
    "Rural: a nonmetro county, Rural-Urban Continuum Code 4 to 9 (USDA Economic Research "
    "Service, 2023 codes). The grant's own test (49 U.S.C. 5302: a place of under 50,000 people "
    "outside an urbanized area) works below the county; a county's code is the nearest "
    "classification published for every county. The codes are a copy of the ERS file not yet "
    "checked against ERS's own download (data/geo/README.md)."
)
WIDTH, HEIGHT = 600, 400  # the box each state's outlines are drawn in

# What people add to a county's name, and the file leaves off ("Harris County", "Orleans Parish",
# "Juneau City and Borough", "Bethel Census Area"): compared without them.
_SUFFIXES = re.compile(
    r"\s+(county|parish|borough|city and borough|census area|municipality|municipio)$"
)


# The Census Bureau's names where the portal's list (portal/geography.py) says it shorter.
_CENSUS_NAMES = {
    "Commonwealth of the Northern Mariana Islands": "MP",
    "United States Virgin Islands": "VI",
}


# Virginia's independent cities, Baltimore and St. Louis: county equivalents whose county code
# is 510 or more, named in the file as the county beside them is ("Richmond" twice). Census
# calls them "Richmond city"; so does the portal, and so each name is found once.
_INDEPENDENT_CITIES = frozenset({"51", "24", "29"})


# Alaska (boroughs and census areas, named without either in the file), DC, Puerto Rico's
# municipios and the territories' islands and districts: named bare.
_NO_SUFFIX = frozenset({"02", "11", "60", "66", "69", "72", "78"})


@dataclass(frozen=True)
class County:
    fips: str  # five digits: the state's two, then the county's three
    name: str  # as the Census Bureau writes it, without "County" ("Harris", "St. Louis")
    outline: str  # SVG path data in its state's 600 x 400 box
    # Rural-Urban Continuum Code 2023 (1-9); None where the 2023 codes have no such county
    # (Connecticut's old counties: its 2023 codes are for the planning regions).
    rucc: int | None = None

    @property
    def label(self) -> str:
        """How a person writes it: "Harris County", "Orleans Parish", "Richmond city", "Juneau"."""
        state = self.fips[:2]
        if self.name.endswith(" city") or state in _NO_SUFFIX:
            return self.name
        return f"{self.name} Parish" if state == "22" else f"{self.name} County"

    @property
    def rural(self) -> bool | None:
        """Nonmetro (RUCC 4-9); None when not classified."""
        return None if self.rucc is None else self.rucc in RURAL_CODES


@dataclass(frozen=True)
class StateCounties:
    code: str  # USPS ("TX")
    fips: str  # "48"
    counties: tuple[County, ...]  # by FIPS code

    def find(self, typed: str) -> County | None:
        """The county a person typed ("Harris", "harris county", "St Louis"), or None."""
        return self._by_plain_name.get(_plain(typed))

    def by_fips(self, fips: str) -> County | None:
        return self._by_fips.get(fips)

    # Looked up once per organization in a state's figures (4,700 for Texas): by key, not a scan.
    @functools.cached_property
    def _by_plain_name(self) -> dict[str, County]:
        return {_plain(c.name): c for c in reversed(self.counties)}  # the first of a name wins

    @functools.cached_property
    def _by_fips(self) -> dict[str, County]:
        return {c.fips: c for c in self.counties}


def _plain(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.replace("saint ", "st ")).split())
    return _SUFFIXES.sub("", text)


@functools.cache
def _atlas() -> dict[str, StateCounties]:
    raw = json.loads(COUNTIES_FILE.read_text(encoding="utf-8"))
    codes = {name: code for code, name in STATES.items()} | _CENSUS_NAMES
    rucc = _rucc()
    found: dict[str, StateCounties] = {}
    for state_fips, state in raw.items():
        code = codes[state["name"]]
        counties = tuple(
            County(fips, _census_name(fips, county["name"]), county["d"], rucc.get(fips))
            for fips, county in sorted(state["counties"].items())
        )
        found[code] = StateCounties(code, state_fips, counties)
    return found


def _rucc() -> dict[str, int]:
    # The copy as it came, saved from a Mac ("Doña Ana" in Mac Roman); only codes are read.
    # American Samoa's two uninhabited islands have no code.
    with RUCC_FILE.open(encoding="mac_roman", newline="") as handle:
        rows = csv.DictReader(handle)
        return {row["FIPS"]: int(row["RUCC_2023"]) for row in rows if row["RUCC_2023"]}


def _census_name(fips: str, name: str) -> str:
    if fips[:2] in _INDEPENDENT_CITIES and int(fips[2:]) >= 510:
        return f"{name} city"
    return name


def state_counties(code: str) -> StateCounties | None:
    """The counties (or county equivalents) of a state, DC or territory by USPS code; None for
    a code the file does not hold."""
    return _atlas().get(code)


def unknown_county_message(code: str, typed: str) -> str | None:
    """Why ``typed`` is not a county of the state ``code``, in words, naming the nearest names;
    None when it is one (or the state is not one the file holds: nothing to check against)."""
    counties = state_counties(code)
    if counties is None or counties.find(typed) is not None:
        return None
    names = {_plain(c.name): c.name for c in counties.counties}
    near = difflib.get_close_matches(_plain(typed), list(names), n=3, cutoff=0.6)
    state = STATES.get(code, code)
    if near:
        return _(
            "%(state)s has no county named “%(typed)s”. Did you mean %(names)s?",
            state=state,
            typed=typed,
            names=_either([names[n] for n in near]),
        )
    return _(
        "%(state)s has no county named “%(typed)s”. Enter the county's name as it is written "
        "on a map, such as “Franklin”.",
        state=state,
        typed=typed,
    )


def _either(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return _("%(names)s or %(last)s", names=", ".join(names[:-1]), last=names[-1])


def county_fips(code: str, typed: str) -> str | None:
    """The FIPS code of the county ``typed`` in the state ``code``; None when not found."""
    counties = state_counties(code)
    county = counties.find(typed) if counties else None
    return county.fips if county else None
