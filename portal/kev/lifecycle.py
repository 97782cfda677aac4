"""End of security support: is the release line a product runs still getting security fixes?

Reads the dated endoflife.date snapshot shipped in data/eol/ (release lines, end of security
support, paid extended support, the newest version of each line) and the map of which KEV
product family each file describes (data/eol/families.yaml). A version people typed is read
against the lines honestly: a line is named only when the typed words name it ("7.0.12" is in
7.0; "Windows Server 2012 R2" is 2012 R2); where they do not, or the lines it could be disagree
("Windows 10", whose editions end years apart), the answer is *unknown* — never a guess.

Plain Python: no Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from portal.kev import shipped

EOL_DIR = shipped.ROOT / "data" / "eol"

State = Literal["supported", "extended", "unsupported", "unknown"]
# Words in a line's name that say which edition it is, not which version ("10-22h2-e": the
# Enterprise edition): typed words need not repeat them.
_EDITION_WORDS = frozenset({"e", "w", "lts", "ltsc", "iot", "sac", "ac", "acp"})


@dataclass(frozen=True)
class Release:
    line: str  # the release line ("7.0", "2016", "2012-r2")
    label: str  # its name for people ("Windows Server 2012 R2")
    ends: date | None  # end of security support (None: not announced, or no date given)
    ended: bool  # security support has ended as of the snapshot's data (a date or "true")
    extended_until: date | None  # paid extended security updates, where they exist
    latest: str | None  # the newest version of the line at snapshot time
    name_words: frozenset[str]  # the words that name this line in what people type
    name: str = ""  # the line's name as people know it ("2012-r2"; "2014" for SQL's 12.0)

    def state_on(self, today: date) -> State:
        ended = self.ended if self.ends is None else self.ends <= today
        if not ended:
            return "supported"
        if self.extended_until is not None and self.extended_until > today:
            return "extended"
        return "unsupported"


@dataclass(frozen=True)
class LifecycleProduct:
    key: str
    title: str
    lines: Literal["dotted", "named", "label"]
    remedy: Literal["upgrade", "replace"]
    releases: tuple[Release, ...]
    typed: str = ""  # a regular expression on what was typed ("server"); empty: any item


@dataclass(frozen=True)
class SupportStatus:
    """What the snapshot says about the line a product runs."""

    state: State
    product: str  # the endoflife.date product's title ("Microsoft Exchange")
    line: str  # the line's label; "" when unknown
    ends: date | None
    extended_until: date | None
    latest: str | None  # the newest version of this line
    behind_latest: bool  # the typed version is older than ``latest`` (comparable ones only)
    supported_lines: tuple[str, ...]  # lines still supported, newest first
    remedy: Literal["upgrade", "replace"]
    snapshot: date

    @property
    def unsupported(self) -> bool:
        return self.state == "unsupported"


@dataclass(frozen=True)
class Snapshot:
    taken: date
    source: str
    by_family: dict[str, tuple[LifecycleProduct, ...]]

    def status(
        self, family_key: str | None, product: str, version: str, today: date
    ) -> SupportStatus | None:
        """The support status of what was typed (``product``, ``version``) for a family the
        snapshot covers; None for a family it does not cover."""
        if family_key is None:
            return None
        typed = f"{product} {version}".lower()
        for candidate in self.by_family.get(family_key, ()):
            if candidate.typed and not re.search(candidate.typed, typed):
                continue
            return _status(candidate, product, version, today, self.taken)
        return None


def _status(
    product: LifecycleProduct, typed_product: str, version: str, today: date, taken: date
) -> SupportStatus:
    found = _lines_named(product, typed_product, version)
    states = {r.state_on(today) for r in found}
    supported = tuple(
        r.label for r in product.releases if r.state_on(today) == "supported" and r.label
    )
    if len(found) != 1 and (len(states) != 1 or not found):
        # Nothing named, or several lines that disagree: say so, never guess.
        return SupportStatus(
            "unknown", product.title, "", None, None, None, False, supported, product.remedy, taken
        )
    release = found[0]
    state = release.state_on(today) if len(found) == 1 else states.pop()
    return SupportStatus(
        state,
        product.title,
        release.label if len(found) == 1 else _common_label(found),
        release.ends if len(found) == 1 else None,
        release.extended_until if len(found) == 1 else None,
        release.latest if len(found) == 1 else None,
        len(found) == 1 and _older(version, release.latest),
        supported,
        product.remedy,
        taken,
    )


def _common_label(found: list[Release]) -> str:
    return " / ".join(r.label for r in found[:3]) + (" …" if len(found) > 3 else "")


_VERSION = re.compile(r"\d+(?:\.\d+)*")


def _unpadded(number: str) -> str:
    """ "17.03.04" → "17.3.4": Cisco writes its versions zero-padded, endoflife.date does not."""
    return ".".join(str(int(part)) for part in number.split("."))


def typed_words(text: str) -> set[str]:
    """The words of what was typed, letters and digits apart as well as together ("2012R2"
    is "2012r2", "2012" and "r2")."""
    found = set(re.findall(r"[a-z0-9]+", text.lower()))
    for word in list(found):
        found.update(re.findall(r"[a-z]+\d*|\d+", word))
    return found


def _lines_named(product: LifecycleProduct, typed_product: str, version: str) -> list[Release]:
    if product.lines == "dotted":
        for text in (version, typed_product):
            numbers = _VERSION.findall(text)
            for number in dict.fromkeys([*numbers, *map(_unpadded, numbers)]):
                best = [
                    r
                    for r in product.releases
                    if number == r.line or number.startswith(r.line + ".")
                ]
                if best:
                    longest = max(len(r.line) for r in best)
                    return [r for r in best if len(r.line) == longest]
        return []
    typed = typed_words(f"{typed_product} {version}")
    full = [
        r for r in product.releases if r.name_words and (r.name_words - _EDITION_WORDS) <= typed
    ]
    if full:
        most = max(len(r.name_words - _EDITION_WORDS) for r in full)
        best = [r for r in full if len(r.name_words - _EDITION_WORDS) == most]
        # Lines named more precisely than the typed words ("SQL Server 2016" could be 2016 or
        # 2016 SP3) are candidates too: the caller answers only if they all agree.
        named = set().union(*(r.name_words - _EDITION_WORDS for r in best))
        return best + [r for r in product.releases if r not in best and named < r.name_words]
    # Only the first word of a line named ("Windows 10", "SQL Server 2016"): every line it
    # could be — the caller answers only if they all agree.
    return [r for r in product.releases if r.name_words and _first_word(r) in typed]


def _first_word(release: Release) -> str:
    """The first word of the line's name ("2014" for SQL Server's line 12.0-sp3)."""
    found = re.findall(r"[a-z0-9]+", (release.name or release.line).lower())
    return found[0] if found else ""


def _numbers(text: str) -> tuple[int, ...]:
    match = _VERSION.search(text)
    return tuple(int(n) for n in match.group(0).split(".")) if match else ()


def _older(version: str, latest: str | None) -> bool:
    """Is the typed ``version`` older than ``latest``? Only for versions of the same form with
    three numbers or more ("7.0.12" against "7.0.17"): anything else is not compared."""
    if not latest:
        return False
    mine, newest = _numbers(version), _numbers(latest)
    if len(mine) < 3 or len(newest) < 3 or mine[:2] != newest[:2]:
        return False
    return mine < newest[: len(mine)]


# --- loading ------------------------------------------------------------------------------------


@cache
def load_snapshot(directory: Path = EOL_DIR) -> Snapshot:
    with open(directory / "families.yaml", encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    by_family: dict[str, list[LifecycleProduct]] = {}
    for row in document["map"]:
        product = _product(directory, row)
        by_family.setdefault(row["family"], []).append(product)
    return Snapshot(
        taken=document["snapshot"],
        source=str(document["source"]),
        by_family={k: tuple(v) for k, v in by_family.items()},
    )


def _pretty(name: str) -> str:
    """A line's name for people: "2012-r2" → "2012 R2", "subscription" → "Subscription"."""
    return " ".join(
        w.upper() if re.search(r"[a-z]", w) and len(w) <= 4 else w[:1].upper() + w[1:]
        for w in name.replace("-", " ").split()
    )


def _product(directory: Path, row: dict[str, Any]) -> LifecycleProduct:
    with open(directory / "products" / f"{row['product']}.yaml", encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    title = str(document["title"])
    releases = []
    for item in document["releases"]:
        line = str(item["releaseCycle"])
        if row["lines"] == "label":  # lines known by their names ("2019"), not their numbers
            name = re.sub(r"\s*'?__CODENAME__'?", "", str(item.get("releaseLabel") or line))
        else:
            name = line
        eol, extended = item.get("eol"), item.get("eoes")
        releases.append(
            Release(
                line=line,
                label=f"{title} {_pretty(name)}",
                ends=eol if isinstance(eol, date) else None,
                ended=eol is True,
                extended_until=extended if isinstance(extended, date) else None,
                latest=str(item["latest"]) if item.get("latest") else None,
                name_words=frozenset(re.findall(r"[a-z0-9]+", name.lower())),
                name=name,
            )
        )
    return LifecycleProduct(
        key=str(row["product"]),
        title=title,
        lines=row["lines"],
        remedy=row["remedy"],
        releases=tuple(releases),
        typed=str(row.get("typed") or ""),
    )
