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

import functools
import json
import re
import unicodedata
from dataclasses import dataclass

from portal.geography import STATES
from portal.kev.shipped import ROOT

COUNTIES_FILE = ROOT / "data" / "geo" / "counties.json"
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


@dataclass(frozen=True)
class County:
    fips: str  # five digits: the state's two, then the county's three
    name: str  # as the Census Bureau writes it, without "County" ("Harris", "St. Louis")
    outline: str  # SVG path data in its state's 600 x 400 box


@dataclass(frozen=True)
class StateCounties:
    code: str  # USPS ("TX")
    fips: str  # "48"
    counties: tuple[County, ...]  # by FIPS code

    def find(self, typed: str) -> County | None:
        """The county a person typed ("Harris", "harris county", "St Louis"), or None."""
        wanted = _plain(typed)
        return next((c for c in self.counties if _plain(c.name) == wanted), None)

    def by_fips(self, fips: str) -> County | None:
        return next((c for c in self.counties if c.fips == fips), None)


def _plain(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.replace("saint ", "st ")).split())
    return _SUFFIXES.sub("", text)


@functools.cache
def _atlas() -> dict[str, StateCounties]:
    raw = json.loads(COUNTIES_FILE.read_text(encoding="utf-8"))
    codes = {name: code for code, name in STATES.items()} | _CENSUS_NAMES
    found: dict[str, StateCounties] = {}
    for state_fips, state in raw.items():
        code = codes[state["name"]]
        counties = tuple(
            County(fips, _census_name(fips, county["name"]), county["d"])
            for fips, county in sorted(state["counties"].items())
        )
        found[code] = StateCounties(code, state_fips, counties)
    return found


def _census_name(fips: str, name: str) -> str:
    if fips[:2] in _INDEPENDENT_CITIES and int(fips[2:]) >= 510:
        return f"{name} city"
    return name


def state_counties(code: str) -> StateCounties | None:
    """The counties (or county equivalents) of a state, DC or territory by USPS code; None for
    a code the file does not hold."""
    return _atlas().get(code)
