"""A validator of OSCAL 1.1.3 JSON for the tests: compliance-trestle's models of NIST's OSCAL 1.1.3
JSON schemas (pydantic, generated from the schemas: unknown fields, bad uuids, tokens and strings
refused), and the schemas' rules those models leave out — no empty array, every date-time with its
timezone, every uuid unique and every reference resolved."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from pydantic.v1 import ValidationError
from trestle.common.err import TrestleError
from trestle.oscal import assessment_results as oscal_ar
from trestle.oscal import poam as oscal_poam

# OSCAL 1.1.3's DateTimeWithTimezoneDatatype (its JSON schemas' pattern).
DATE_TIME = re.compile(
    r"^(((2000|2400|2800|(19|2[0-9](0[48]|[2468][048]|[13579][26])))-02-29)|(((19|2[0-9])[0-9]{2})"
    r"-02-(0[1-9]|1[0-9]|2[0-8]))|(((19|2[0-9])[0-9]{2})-(0[13578]|10|12)-(0[1-9]|[12][0-9]|3[01]))"
    r"|(((19|2[0-9])[0-9]{2})-(0[469]|11)-(0[1-9]|[12][0-9]|30)))T(2[0-3]|[01][0-9]):([0-5][0-9]):"
    r"([0-5][0-9])(\.[0-9]+)?(Z|(-((0[0-9]|1[0-2]):00|0[39]:30)|\+((0[0-9]|1[0-4]):00|(0[34569]|10)"
    r":30|(0[58]|12):45)))$"
)
DATE_TIME_KEYS = {"last-modified", "published", "collected", "expires", "deadline"}
DATE_TIME_KEYS |= {"start", "end", "date"}  # (results, risk logs, milestones' timing)
REFERENCES = {
    "observation-uuid": "observations",
    "risk-uuid": "risks",
    "finding-uuid": "findings",
    "actor-uuid": "parties",
}


class Invalid(Exception):
    """Not valid OSCAL 1.1.3."""


def validate(document: dict[str, Any]) -> None:
    """Raise :class:`Invalid` unless ``document`` is valid OSCAL 1.1.3 JSON (assessment results
    or POA&M), as written to a file."""
    (name,) = document
    model = {
        "assessment-results": oscal_ar.Model,
        "plan-of-action-and-milestones": oscal_poam.Model,
    }[name]
    as_written = json.loads(json.dumps(document))
    try:
        model.parse_obj(as_written)  # trestle's models: pydantic v1, unknown fields forbidden
    except (ValidationError, TrestleError) as error:  # (a wrong oscal-version: TrestleError)
        raise Invalid(str(error)) from None
    schema_rules(as_written)


def walk(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every member of every object in ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, key, item
            yield from walk(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}/{index}")


def schema_rules(document: dict[str, Any]) -> None:
    """The OSCAL schemas' rules trestle's models do not hold."""
    defined: dict[str, set[str]] = {kind: set() for kind in REFERENCES.values()}
    defined["resources"] = set()
    uuids: list[str] = []
    for path, key, value in walk(document):
        if isinstance(value, list) and not value:
            raise Invalid(f"{path}/{key}: an empty array (OSCAL: minItems 1)")
        if key in DATE_TIME_KEYS and not (isinstance(value, str) and DATE_TIME.match(value)):
            raise Invalid(f"{path}/{key}: {value!r} is not a date-time with a timezone")
        if key == "uuid":
            uuids.append(value)
            kind = path.rsplit("/", 2)[-2] if path.count("/") >= 2 else ""
            if kind in defined:
                defined[kind].add(value)
    duplicates = {u for u, count in Counter(uuids).items() if count > 1}
    if duplicates:
        raise Invalid(f"uuids used twice: {sorted(duplicates)[:3]}")
    for path, key, value in walk(document):
        if key in REFERENCES and value not in defined[REFERENCES[key]]:
            raise Invalid(f"{path}/{key}: {value} names no {REFERENCES[key][:-1]}")
        if key == "href" and value.startswith("#") and value[1:] not in defined["resources"]:
            raise Invalid(f"{path}/{key}: {value} names no back-matter resource")
