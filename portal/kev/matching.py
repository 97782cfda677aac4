"""What an organization runs, meeting the KEV catalog: matches, their triage, their urgency,
their order, and the words that tell a one-person IT shop what to do.

Honest limits, said wherever matches are shown (:data:`CAVEATS`): KEV names products, not version
ranges, so a match means "check your version against the vendor's advisory", not "you are
vulnerable"; and a product with no match is not thereby safe. The operator settles each match
(:class:`TriageState`): a match is *open* until they do, and open again when the version they run
changes after they settled it.

Urgency comes from the catalog itself: CISA gives federal agencies a number of days for each
entry (its due date minus the date it was added: 3, 7, 14, 21 …). An internet-facing product
gets the same number of days, counted from when the portal first matched the entry (at most the
plan's 30 days). Entries whose required action asks for hunting, a check for compromise, an
emergency directive's steps or killing sessions — and any open entry on an internet-facing edge
device, remote-access tool, mail or file-transfer server, which attackers often backdoor before
their owners patch — get a check for a break-in alongside the patch (never instead of it).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from portal.kev.catalog import KevEntry
from portal.kev.lifecycle import SupportStatus
from portal.questionnaire.words import N_, _

CAVEATS = (
    N_(
        "KEV lists products, not version ranges: a match means check your version against the "
        "vendor's advisory. You may already have the fix."
    ),
    N_(
        "A product with no match is not proven safe: KEV lists only flaws known to be used in "
        "attacks."
    ),
)

SHOWN_PER_PRODUCT = 5  # entries listed under each product on pages; the rest are counted
MAX_DAYS = 30  # an internet-facing match is due within CISA's days for it, and never later
# Kinds of product on which an open, internet-facing entry calls for a break-in check first.
CHECK_FIRST_CATEGORIES = frozenset({"edge", "remote_support", "email", "file_transfer"})


class TriageState(enum.StrEnum):
    OPEN = "open"  # not settled (or reopened)
    FIXED = "fixed"  # the fix is installed (with the version now running)
    MITIGATED = "mitigated"  # the vendor's workaround, or the product taken off the internet
    NOT_AFFECTED = "not_affected"  # the advisory says the version or setup run is not affected
    END_OF_LIFE = "end_of_life"  # no fix will come: being replaced, or isolated until then


TRIAGE_LABELS = {
    TriageState.OPEN: N_("Open"),
    TriageState.FIXED: N_("Fixed"),
    TriageState.MITIGATED: N_("Mitigated"),
    TriageState.NOT_AFFECTED: N_("Not affected"),
    TriageState.END_OF_LIFE: N_("End of life — replacing or isolated"),
}
# What each settled state asks the person to write down (the form's note label).
TRIAGE_NOTE_PROMPTS = {
    TriageState.FIXED: N_("The version you run now"),
    TriageState.MITIGATED: N_("What you did (the vendor's workaround, off the internet …)"),
    TriageState.NOT_AFFECTED: N_(
        "Why it does not apply (what the advisory says about your version)"
    ),
    TriageState.END_OF_LIFE: N_("What you are doing (replacing it by when, or how it is cut off)"),
}


@dataclass(frozen=True)
class Triage:
    """How a person settled one match."""

    state: TriageState
    note: str
    running_version: str  # for FIXED: the version now running
    item_version: str  # the product's version on the list when it was settled
    by: str
    at: datetime
    revision: int = 1


@dataclass(frozen=True)
class ProductInUse:
    """One line of an organization's "what we run"."""

    id: int
    category: str
    vendor: str
    product: str
    version: str
    internet_facing: bool
    managed_by_msp: bool
    family_key: str | None  # None: matches no catalog product (kept, with the caveat)
    family_label: str | None = None

    @property
    def name(self) -> str:
        return self.family_label or f"{self.vendor} {self.product}".strip()

    @property
    def typed(self) -> str:
        return " ".join(p for p in (self.vendor, self.product, self.version) if p)


@dataclass(frozen=True)
class ProductMatch:
    product: ProductInUse
    entries: tuple[KevEntry, ...]  # every entry of its family, most urgent first
    triage: tuple[tuple[str, Triage], ...] = ()  # (cve id, how it was settled)
    first_matched: tuple[tuple[str, date], ...] = ()  # (cve id, when the portal first matched)
    support: SupportStatus | None = None  # end of support of the line it runs, where known

    def triage_of(self, entry: KevEntry) -> Triage | None:
        return dict(self.triage).get(entry.cve_id)

    def is_stale(self, entry: KevEntry) -> bool:
        """Settled for another version than the one on the list now: asked again."""
        found = self.triage_of(entry)
        return (
            found is not None
            and found.state is not TriageState.OPEN
            and found.item_version != self.product.version
        )

    def is_open(self, entry: KevEntry) -> bool:
        found = self.triage_of(entry)
        return found is None or found.state is TriageState.OPEN or self.is_stale(entry)

    @property
    def open_entries(self) -> tuple[KevEntry, ...]:
        return tuple(e for e in self.entries if self.is_open(e))

    @property
    def settled_entries(self) -> tuple[KevEntry, ...]:
        return tuple(e for e in self.entries if not self.is_open(e))

    @property
    def ransomware(self) -> bool:
        return any(e.known_ransomware for e in self.open_entries)

    @property
    def critical(self) -> bool:
        """A critical gap on its own (questionnaires/README.md, What is critical): open entries
        where attackers reach it (internet-facing), or ransomware-linked entries on a line that
        gets no more fixes. A product inside the network on a supported line is matched by
        name, not version — most such matches are already patched — so it is a patch due
        within 30 days (:attr:`urgent`), not a critical gap, until its version is settled."""
        return bool(self.open_entries) and (
            self.product.internet_facing or (self.ransomware and self.line_unsupported)
        )

    @property
    def urgent(self) -> bool:
        """Due within 30 days: critical, or ransomware gangs use one of its open flaws."""
        return self.critical or (bool(self.open_entries) and self.ransomware)

    @property
    def newest(self) -> date:
        shown = self.open_entries or self.entries
        # (A product listed for its end of support alone may have no entry at all.)
        return max((e.date_added for e in shown), default=date.min)

    @property
    def end_of_life_entries(self) -> tuple[KevEntry, ...]:
        """Open entries whose catalog text says the product itself is end of life — read only
        for a family of one catalog product or one device model ("D-Link DIR-859"). A curated
        family gathers a product line, and an entry for an old kernel, an old plugin or the
        line's predecessor says nothing about the release this organization runs."""
        key = self.product.family_key
        if not key or not key.startswith("kev:") or "|multiple" in key:
            return ()
        return tuple(e for e in self.open_entries if says_end_of_life(e))

    @property
    def line_unsupported(self) -> bool:
        """The release line it runs is past its end of security support (dated snapshot)."""
        return self.support is not None and self.support.unsupported

    @property
    def replace(self) -> bool:
        """No patch will come: the line it runs is past its end of security support, or CISA
        says the product is end of life."""
        return (self.support is not None and self.support.unsupported) or bool(
            self.end_of_life_entries
        )

    @property
    def end_of_life_acknowledged(self) -> bool:
        """The operator settled a flaw as "end of life — replacing or isolated" (for the
        version run now): the replacement is under way, or the product is cut off."""
        return any(
            t.state is TriageState.END_OF_LIFE and not self.is_stale(e)
            for e in self.entries
            if (t := self.triage_of(e)) is not None
        )

    @property
    def replace_is_critical(self) -> bool:
        """No fix will come, attackers reach it (or ransomware gangs use its open flaws), and
        nobody has cut it off yet."""
        return (
            self.replace
            and (self.product.internet_facing or self.ransomware)
            and not self.end_of_life_acknowledged
        )

    @property
    def critical_gap(self) -> bool:
        """A critical gap of its own (the known_exploited rule, questionnaires/README.md): an
        open flaw where attackers reach it or ransomware uses it, or a product past its end
        of support that faces the internet."""
        return self.critical or self.replace_is_critical

    @property
    def check_first(self) -> tuple[KevEntry, ...]:
        """Open entries that call for a check for a break-in before the fix."""
        if self.product.internet_facing and self.product.category in CHECK_FIRST_CATEGORIES:
            return self.open_entries
        return tuple(e for e in self.open_entries if asks_for_compromise_check(e))

    def first_matched_on(self, entry: KevEntry) -> date:
        return dict(self.first_matched).get(entry.cve_id, entry.date_added)

    def deadline(self) -> date | None:
        """When the open entries are due, for an internet-facing product: each entry's CISA
        days from when the portal first matched it (at most 30), the earliest. None when the
        product does not face the internet (the plan's window applies)."""
        if not self.product.internet_facing or not self.open_entries:
            return None
        return min(
            self.first_matched_on(e) + timedelta(days=min(cisa_days(e), MAX_DAYS))
            for e in self.open_entries
        )


def critical_products(matches: tuple[ProductMatch, ...] | list[ProductMatch]) -> tuple[str, ...]:
    """The products that are critical gaps, by name (one each, in the matches' order)."""
    return tuple(dict.fromkeys(m.product.name for m in matches if m.critical_gap))


def unsupported_products(
    matches: tuple[ProductMatch, ...] | list[ProductMatch],
) -> tuple[str, ...]:
    """Of :func:`critical_products`, those critical only because they get no more fixes (no
    open flaw left that makes them critical): said so, not "flaws are open"."""
    return tuple(
        dict.fromkeys(m.product.name for m in matches if m.replace_is_critical and not m.critical)
    )


def cisa_days(entry: KevEntry) -> int:
    """The days CISA gives federal agencies for this entry (due date minus date added)."""
    return max(1, (entry.due_date - entry.date_added).days)


_END_OF_LIFE = re.compile(
    # (Not CISA's hedge "could be end-of-life": that is an "if", and the patch still stands.)
    r"impacted products? (?:is|are) end[- ]of[- ]life"
    r"|hardware revisions have reached their end[- ]of[- ]life"
    r"|has reached end[- ]of[- ]life status"
    r"|users should discontinue (?:product )?utilization",
    re.IGNORECASE,
)
# Words of a required action that ask for a look for intruders, not only a patch. Not
# "forensic": since BOD 26-04 (2026) CISA's standard action names its "Forensics Triage
# Requirements" for every new entry, whatever the product.
_COMPROMISE = re.compile(
    r"\bhunt|emergency directive|\bED \d\d-\d\d|compromise|kill all active"
    r"|persistent sessions",
    re.IGNORECASE,
)


def says_end_of_life(entry: KevEntry) -> bool:
    """CISA's required action or description says the product is end of life (not "if it
    is")."""
    return bool(_END_OF_LIFE.search(f"{entry.required_action} {entry.short_description}"))


def asks_for_compromise_check(entry: KevEntry) -> bool:
    """The entry's required action asks for hunting, an emergency directive's steps, a check
    for compromise or ending sessions: a patch alone is not enough."""
    return bool(_COMPROMISE.search(entry.required_action))


_URL = re.compile(r"https?://[^\s;,]+")


def advisory_url(entry: KevEntry) -> str | None:
    """The vendor's advisory, from the entry's notes: the first address that is not NVD's or
    CISA's own. None when the notes name none."""
    url: str
    for url in _URL.findall(entry.notes):
        host = url.split("/")[2].lower() if url.count("/") >= 2 else ""
        if not host.endswith(("nvd.nist.gov", "cisa.gov")):
            return url.rstrip(".)")
    return None


# The kind of flaw, in plain words, from the words of CISA's name for it (first that fits).
_KINDS = (
    (
        r"authentication bypass|missing authentication|improper authentication|auth\w* bypass",
        N_("lets attackers skip the login"),
    ),
    (r"default password|default credential", N_("has a default password attackers already know")),
    (
        r"hard-coded|insufficient protected credentials",
        N_("has a built-in password attackers know (only an update removes it)"),
    ),
    (r"sql injection", N_("lets attackers read or change its database")),
    (r"cross-site scripting|xss", N_("lets attackers run scripts in a user's browser")),
    (
        r"privilege escalation|privilege management|elevation of privilege",
        N_("lets a user take admin rights"),
    ),
    (
        r"path traversal|file read|file download|information disclosure|exposure of sensitive",
        N_("lets attackers read files or data they should not"),
    ),
    (r"denial[- ]of[- ]service|resource|memory exhaustion", N_("lets attackers crash it")),
    (r"server-side request forgery|ssrf", N_("lets attackers make it send requests for them")),
    (
        r"code injection|command injection|remote code|code execution|deserialization|overflow"
        r"|out-of-bound|use-after-free|double free|upload|format string|write",
        N_("lets attackers run their own commands on it"),
    ),
)


def is_known_password(entry: KevEntry) -> bool:
    """The flaw is a default password attackers already know: changing it is the fix. (A
    hard-coded one is not: only the vendor's update removes it.)"""
    return _kind(entry) == _KINDS[1][1]  # a default one: changing it closes the flaw


def _kind(entry: KevEntry) -> str:
    """What the flaw lets attackers do, in plain English words (compared, then translated)."""
    name = entry.vulnerability_name.lower()
    for pattern, words in _KINDS:
        if re.search(pattern, name):
            return words
    return N_("is a flaw attackers are using")


def plain_kind(entry: KevEntry) -> str:
    """What the flaw lets attackers do, in plain words (in the reader's language)."""
    return _(_kind(entry))


def rank_entries(entries: list[KevEntry] | tuple[KevEntry, ...]) -> tuple[KevEntry, ...]:
    """Known ransomware use first, then the most recently added (attackers' current favourites),
    then the CVE id so the order never wobbles."""
    return tuple(
        sorted(entries, key=lambda e: (not e.known_ransomware, -e.date_added.toordinal(), e.cve_id))
    )


def newest_first(entries: tuple[KevEntry, ...]) -> tuple[KevEntry, ...]:
    """The plan's order: the newest entries first (what attackers turned to most recently)."""
    return tuple(sorted(entries, key=lambda e: (-e.date_added.toordinal(), e.cve_id)))


def rank_matches(matches: list[ProductMatch]) -> tuple[ProductMatch, ...]:
    """Products with open entries first; among them ransomware-linked, then internet-facing,
    then by the newest entry added."""
    return tuple(
        sorted(
            matches,
            key=lambda m: (
                not m.open_entries,
                not m.ransomware,
                not m.product.internet_facing,
                -m.newest.toordinal(),
                m.product.name.lower(),
                m.product.id,
            ),
        )
    )
