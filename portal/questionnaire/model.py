"""The questionnaire as immutable data: what we ask, and what each answer is worth.

Built only by :mod:`portal.questionnaire.loader`, which validates the files first, so code that
receives a :class:`Questionnaire` may trust every cross-reference in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Literal

from portal.questionnaire.sectors import SECTOR_IDS
from portal.questionnaire.words import N_, _

DONT_KNOW = "dont_know"
NOT_APPLICABLE = "na"
RESERVED_VALUES = frozenset({DONT_KNOW, NOT_APPLICABLE})
DONT_KNOW_LABEL = N_("I don't know")
NOT_APPLICABLE_LABEL = N_("Not applicable to us")

SECTORS = SECTOR_IDS  # (portal.questionnaire.sectors defines them)
OWNERSHIPS = ("public", "private", "nonprofit", "cooperative", "tribal")
EFFORTS = ("low", "medium", "high")
COSTS = ("free", "low", "medium", "high")
OWNERS = ("it_lead", "leadership", "all_staff", "vendor", "finance")
# Words for the owner ids, on pages and in PDFs (an id is never shown).
OWNER_LABELS = {
    "it_lead": N_("IT lead"),
    "leadership": N_("Leadership"),
    "all_staff": N_("All staff"),
    "vendor": N_("Your vendor or MSP"),
    "finance": N_("Finance"),
}
# Why a question is critical (questionnaires/README.md, "What is critical"). A critical gap goes
# in the first 30 days of the plan and caps the overall tier.
CRITICAL_RULES = {
    "internet_exposure": N_("reachable from the internet by anyone who scans for it"),
    "remote_access_without_mfa": N_("a way in from outside that a stolen password alone opens"),
    "known_exploited": N_("a flaw attackers are using, left open on an internet-facing system"),
    "default_or_orphan_credentials": N_(
        "passwords attackers try first: defaults, leavers' accounts"
    ),
    "cannot_recover": N_("no way back after an attack: no offline backup, no manual operation"),
    "fraud_path": N_("a direct path to moving money"),
}
TOOL_KINDS = ("service", "resource")
# What a service costs, plainly: free; a membership fee; paid (a discount is still a price); a
# pilot (nobody can count on getting in); a grant (money to apply for).
TOOL_COSTS = ("free", "membership", "paid", "pilot", "grant")
TOOL_COST_WORDS = {
    "free": N_("Free"),
    "membership": N_("Needs a paid membership"),
    "paid": N_("Paid (discounted)"),
    "pilot": N_("A pilot: limited places"),
    "grant": N_("A grant to apply for"),
    "low": N_("Low cost"),  # (2026.2 and earlier)
    "fee": N_("A fee"),  # (2026.2 and earlier)
}
# Who says yes: the state (its coordinator can act on a request in the portal) or the provider
# itself (apply to it directly; a coordinator can only forward a request).
TOOL_DECIDERS = ("state", "provider")
# One plain address: what a mailto: link may carry (no spaces, commas or query characters).
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")

# CISA Cross-Sector Cybersecurity Performance Goals 2.0 (Dec 11, 2025): 34 goals in the six CSF
# 2.0 functions. Titles as two independent encodings of the release agree on them
# (shared/reference/frameworks.md, section 1b; CISA's PDF not read from here). Checked 2026-12-06.
CPG2_TITLES = {
    "1.A": N_("Establish Cybersecurity Responsibilities"),
    "1.B": N_("Manage Cybersecurity Oversight"),
    "1.C": N_("Manage Incident Response Plans"),
    "1.D": N_("Supply Chain Incident Reporting and Vulnerability Disclosure"),
    "1.E": N_("Manage Risks from Managed Service Providers"),
    "2.A": N_("Manage Organizational Assets"),
    "2.B": N_("Mitigate Known Vulnerabilities"),
    "2.C": N_("Obtain Independent Validation of Cybersecurity Controls"),
    "2.D": N_("Maintain Vulnerability Disclosure/Reporting Process"),
    "2.E": N_("Document Network Topology"),
    "3.A": N_("Changing Default Passwords"),
    "3.B": N_("Establish Minimum Password Strength"),
    "3.C": N_("Create Unique Credentials"),
    "3.D": N_("Revoking Credentials for Departing Staff"),
    "3.E": N_("Monitor Unsuccessful (Automated) Login Attempts"),
    "3.F": N_("Implement Multi-factor Authentication"),
    "3.G": N_("Administrators Maintain Separate User and Privileged Accounts"),
    "3.H": N_("Implement the Principles of Least Privilege"),
    "3.I": N_("Implement Logical/Physical Network Segmentation"),
    "3.J": N_("Implement Cybersecurity Training"),
    "3.K": N_("Utilize Strong Encryption"),
    "3.L": N_("Enable Email Security"),
    "3.M": N_("Disable Autorun and Macros by Default"),
    "3.N": N_("Establish Change Management Processes"),
    "3.O": N_("Maintain System Backups and Restoration Ability"),
    "3.P": N_("Maintain Hardware and Software Approval Process"),
    "3.Q": N_("Maintain Log Collection and Storage"),
    "3.R": N_("Prohibit Connection of Unauthorized Devices"),
    "3.S": N_("Secure Internet Facing Devices"),
    "4.A": N_("Establish Malicious Code Detection"),
    "4.B": N_("Identify Adverse Events"),
    "5.A": N_("Establish Incident Communication Procedures"),
    "5.B": N_("Establish Incident Reporting Procedures"),
    "6.A": N_("Incident Planning and Preparedness"),
}
CPG2_GOALS = frozenset(CPG2_TITLES)
# NIST CSF 2.0 categories (22).
CSF2_CATEGORIES = frozenset(
    ["GV.OC", "GV.RM", "GV.RR", "GV.PO", "GV.OV", "GV.SC"]
    + ["ID.AM", "ID.RA", "ID.IM"]
    + ["PR.AA", "PR.AT", "PR.DS", "PR.PS", "PR.IR"]
    + ["DE.CM", "DE.AE"]
    + ["RS.MA", "RS.AN", "RS.CO", "RS.MI"]
    + ["RC.RP", "RC.CO"]
)

AnswerMap = Mapping[str, str | None]


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    points: int | None  # None on profile questions
    # Below full points, yet not a critical gap: the answer already follows the portal's own
    # advice for the risk the question is critical for (a remote tool switched on only when
    # needed; vendor access with MFA and logging that stays on). questionnaires/README.md.
    not_critical: bool = False
    # "We believe so, but have not checked": the plan asks for the check first (with how),
    # then the fix if the check finds something.
    unchecked: bool = False


@dataclass(frozen=True)
class Resource:
    title: str
    url: str


@dataclass(frozen=True)
class Action:
    title: str
    detail: str
    effort: str
    cost: str
    owner: str
    resources: tuple[Resource, ...] = ()
    tools: tuple[str, ...] = ()
    # The latest plan window this action may fall in (30/60/90), whatever its effort: for fixes
    # that must not wait behind cheaper ones (EDR in a hospital). None: the budget decides.
    due_within: int | None = None
    # Core questions whose fix this sector action already includes (the sector's vendor-access
    # fix covers every vendor): when both are gaps, the plan holds this action once, not both.
    supersedes: tuple[str, ...] = ()
    # Done in hours, not days (an email, a firewall rule, a written rule): it belongs in the
    # plan's "This week" when its stage is among the first (questionnaires/README.md).
    quick: bool = False

    @property
    def owner_label(self) -> str:
        return _(OWNER_LABELS[self.owner])


@dataclass(frozen=True)
class Agreement:
    """A fact a later question asks again (DMARC in the core module and in a sector's): the
    answer pairs that cannot both be true. The wizard shows the earlier answer beside the
    later question, and the check-your-answers page asks to change one or confirm both."""

    question_id: str  # the earlier question
    fact: str  # what both ask, in a few words ("whether DMARC is enforced")
    clashes: tuple[tuple[frozenset[str], frozenset[str]], ...]  # (this answer in, that one in)

    def clash(self, this: str | None, that: str | None) -> bool:
        if this is None or that is None:
            return False
        return any(this in mine and that in theirs for mine, theirs in self.clashes)


@dataclass(frozen=True)
class Condition:
    """A show-if rule: a leaf (question in values) or all/any of child conditions."""

    kind: Literal["leaf", "all", "any"]
    question_id: str = ""
    values: frozenset[str] = frozenset()
    children: tuple[Condition, ...] = ()

    # Not answered yet, or "don't know": ask the dependent question rather than hide it — a
    # question asked needlessly costs a click, one hidden wrongly hides a real gap. This rule
    # lives here only: the wizard's script receives it spelled out by as_json().
    SHOWN_WHEN_UNANSWERED: ClassVar[bool] = True

    @property
    def shown_for(self) -> frozenset[str]:
        """A leaf's answers that show the dependent question."""
        return self.values | {DONT_KNOW}

    def holds(self, answers: AnswerMap) -> bool:
        if self.kind == "all":
            return all(child.holds(answers) for child in self.children)
        if self.kind == "any":
            return any(child.holds(answers) for child in self.children)
        answer = answers.get(self.question_id)
        if answer is None:
            return self.SHOWN_WHEN_UNANSWERED
        return answer in self.shown_for

    def as_json(self) -> dict[str, Any]:
        """The rule as static/js/wizard.js evaluates it, with nothing for it to decide itself:
        a leaf names the answers that show the question and what an unanswered one does."""
        if self.kind == "leaf":
            return {
                "question": self.question_id,
                "shown_for": sorted(self.shown_for),
                "unanswered": self.SHOWN_WHEN_UNANSWERED,
            }
        return {self.kind: [child.as_json() for child in self.children]}

    def referenced_questions(self) -> Iterator[str]:
        if self.kind == "leaf":
            yield self.question_id
        for child in self.children:
            yield from child.referenced_questions()


@dataclass(frozen=True)
class References:
    cpg2: tuple[str, ...] = ()
    csf2: tuple[str, ...] = ()
    sector: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    id: str
    module_id: str
    section_id: str
    text: str
    why: str
    how_to_check: str
    options: tuple[Option, ...]
    priority: str | None
    refs: References
    critical: bool = False
    critical_rule: str | None = None  # a key of CRITICAL_RULES when critical
    weight: int = 2
    allows_na: bool = False
    profile: bool = False
    show_if: Condition | None = None
    agrees_with: Agreement | None = None
    action: Action | None = None
    # The plan's stage (questionnaires/README.md, The order of the plan): 1 stop exposure today,
    # 2 the controls that stop the sector's most frequent losses, 3 free outside checks, 4 patch
    # hygiene, 5 the rest. None: from the critical rule (see :func:`stage_of`).
    stage: int | None = None
    # False: a re-assessment starts without last time's answer — one that goes stale with time
    # ("in the last 6 months"), which a copied answer would carry into next year unread.
    prefill: bool = True

    @property
    def scored(self) -> bool:
        return not self.profile

    def option(self, value: str) -> Option | None:
        for option in self.options:
            if option.value == value:
                return option
        return None

    def accepts(self, value: str) -> bool:
        if value == DONT_KNOW:
            return True
        if value == NOT_APPLICABLE:
            return self.allows_na
        return self.option(value) is not None

    def choices(self) -> dict[str, str]:
        """Answer choices as the ``{value: label}`` dict WTForms 3.3 takes without warnings."""
        result = {option.value: option.label for option in self.options}
        result[DONT_KNOW] = _(DONT_KNOW_LABEL)
        if self.allows_na:
            result[NOT_APPLICABLE] = _(NOT_APPLICABLE_LABEL)
        return result

    def label_for(self, value: str | None) -> str:
        if value is None:
            return _("Not answered")
        return self.choices().get(value, value)

    def is_shown(self, answers: AnswerMap) -> bool:
        return self.show_if is None or self.show_if.holds(answers)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    intro: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    version: str
    sectors: tuple[str, ...] | None  # None: every organization (the core)
    sections: tuple[Section, ...]

    def questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions


@dataclass(frozen=True)
class Priority:
    id: str
    title: str
    description: str
    weight: int


@dataclass(frozen=True)
class Tier:
    id: str
    label: str
    min_score: int
    description: str


@dataclass(frozen=True)
class EligibilityRule:
    """Who may have a service: any of these sectors with any of these ownerships, and, when
    ``when_question`` is set, that profile question answered with one of ``when_values`` (a
    rural hospital; a utility that generates power)."""

    sectors: frozenset[str] | None  # None: all sectors
    ownership: frozenset[str] | None  # None: any ownership
    when_question: str | None = None
    when_values: frozenset[str] = frozenset()

    def admits(
        self,
        sectors: tuple[str, ...] | list[str],
        ownership: str,
        answers: AnswerMap | None = None,
    ) -> bool:
        if self.sectors is not None and not self.sectors.intersection(sectors):
            return False
        if self.ownership is not None and ownership not in self.ownership:
            return False
        if self.when_question is None:
            return True
        # Unknown or unanswered: not shown as eligible (the operator cannot claim it yet).
        return (answers or {}).get(self.when_question) in self.when_values


@dataclass(frozen=True)
class Tool:
    """A catalog entry. A *service* is something someone grants or provides: it can be asked
    for in a tool-access request. A *resource* (a public list, a download, a program with no
    published way in) is information: shown, never requested."""

    id: str
    name: str
    provider: str
    cost: str
    summary: str
    addresses: tuple[str, ...]
    rules: tuple[EligibilityRule, ...]  # eligible when any rule admits the organization
    eligibility_note: str
    how_to_request: str
    contact: str
    url: str
    confidence: str
    kind: str = "service"
    checked: date | None = None  # when its facts were last checked against a source
    available_until: date | None = None  # a time-limited offer's end
    decides: str = "provider"  # "state": the coordinator decides; "provider": apply to it
    source: str = ""  # where its facts were checked (a page of the provider or a report)
    mail_subject: str = ""  # the subject the provider asks for, when it takes email

    @property
    def email(self) -> str | None:
        """The contact, when it is one email address (the pre-filled message goes there)."""
        return self.contact if EMAIL_ADDRESS.fullmatch(self.contact or "") else None

    @property
    def requestable(self) -> bool:
        return self.kind == "service"

    @property
    def free(self) -> bool:
        return self.cost == "free"

    @property
    def state_decides(self) -> bool:
        return self.decides == "state"

    @property
    def cost_words(self) -> str:
        words = TOOL_COST_WORDS.get(self.cost)
        return _(words) if words is not None else self.cost

    @property
    def who_decides(self) -> str:
        """Who says yes, for people: "Your state", or the provider ("CISA", "Center for
        Internet Security") without its partners and parentheses."""
        if self.state_decides:
            return _("Your state")
        return re.split(r" \(| with | con ", self.provider)[0]  # (English, Spanish)

    def is_eligible(
        self,
        sectors: tuple[str, ...] | list[str],
        ownership: str,
        answers: AnswerMap | None = None,
    ) -> bool:
        return any(rule.admits(sectors, ownership, answers) for rule in self.rules)


@dataclass(frozen=True)
class Questionnaire:
    """One published version of every module, the priorities, the tiers and the tools."""

    version: str
    content_hash: str
    priorities: tuple[Priority, ...]
    tiers: tuple[Tier, ...]  # lowest first
    critical_gap_cap: str
    modules: tuple[Module, ...]
    tools: tuple[Tool, ...]
    # The highest tier while the only critical questions open are "I don't know" (a tier that
    # tells an unknown from a known gap); the same as critical_gap_cap when a file names none.
    critical_unknown_cap: str = ""
    # Its words in other languages, checked against the English (questionnaire/translation.py):
    # language -> file name -> key -> text. Empty for a version published before a translation.
    translations: Mapping[str, Mapping[str, Mapping[str, str]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    language: str = "en"
    _questions: dict[str, Question] = field(init=False, repr=False, compare=False)
    _languages: dict[str, Questionnaire] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {q.id: q for m in self.modules for q in m.questions()}
        object.__setattr__(self, "_questions", index)
        object.__setattr__(self, "_languages", {})

    # --- lookups -------------------------------------------------------------------------
    def module(self, module_id: str) -> Module:
        for module in self.modules:
            if module.id == module_id:
                return module
        raise KeyError(module_id)

    def question(self, question_id: str) -> Question:
        return self._questions[question_id]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._questions

    def priority(self, priority_id: str) -> Priority:
        for priority in self.priorities:
            if priority.id == priority_id:
                return priority
        raise KeyError(priority_id)

    def tool(self, tool_id: str) -> Tool:
        for tool in self.tools:
            if tool.id == tool_id:
                return tool
        raise KeyError(tool_id)

    def has_tool(self, tool_id: str) -> bool:
        return any(tool.id == tool_id for tool in self.tools)

    def tier(self, tier_id: str) -> Tier:
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        raise KeyError(tier_id)

    def tier_for(self, score: int) -> Tier:
        chosen = self.tiers[0]
        for tier in self.tiers:
            if score >= tier.min_score:
                chosen = tier
        return chosen

    def modules_for(self, sectors: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        """Module ids an organization with these sectors answers, in questionnaire order."""
        return tuple(
            m.id for m in self.modules if m.sectors is None or set(m.sectors) & set(sectors)
        )

    def questions_in(self, module_ids: tuple[str, ...] | list[str]) -> Iterator[Question]:
        for module in self.modules:
            if module.id in module_ids:
                yield from module.questions()

    def clashes(self, module_ids: tuple[str, ...] | list[str], answers: AnswerMap) -> list[Clash]:
        """The answers that contradict each other (:class:`Agreement`), in the wizard's order of
        the later question."""
        found = []
        for question in self.questions_in(module_ids):
            agreement = question.agrees_with
            if agreement is None:
                continue
            this, that = answers.get(question.id), answers.get(agreement.question_id)
            if agreement.clash(this, that):
                found.append(Clash(question, self.question(agreement.question_id), agreement))
        return found


@dataclass(frozen=True)
class Clash:
    """Two answers about the same fact that cannot both be true."""

    question: Question  # the later one
    earlier: Question
    agreement: Agreement

    @property
    def key(self) -> str:
        """The pair, as the person confirms it ("core.email_authentication/hospital.…")."""
        return f"{self.earlier.id}/{self.question.id}"
