"""Read and validate the questionnaire files.

Every problem is reported with its file, the question (or tool, or priority) id and a reason a
question author understands; all problems of a load are collected, not just the first. Nothing
here raises anything but :class:`QuestionnaireInvalid`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from portal.questionnaire.model import (
    COSTS,
    CPG2_GOALS,
    CRITICAL_RULES,
    CSF2_CATEGORIES,
    EFFORTS,
    EMAIL_ADDRESS,
    OWNERS,
    OWNERSHIPS,
    RESERVED_VALUES,
    SECTORS,
    TOOL_COSTS,
    TOOL_DECIDERS,
    TOOL_KINDS,
    Action,
    Agreement,
    Condition,
    EligibilityRule,
    Module,
    Option,
    Priority,
    Question,
    Questionnaire,
    References,
    Resource,
    Section,
    Tier,
    Tool,
)
from portal.questionnaire.sectors import SECTORS as SECTORS_DEFINED
from portal.questionnaire.translation import (
    TRANSLATED_LANGUAGES,
    flatten,
    problems_with,
    source_texts,
)

PRIORITIES_FILE = "priorities.yaml"
TOOLS_FILE = "tools.yaml"
# Modules in the order they are asked; a show-if may only look back along this order.
MODULE_FILES = ("core.yaml", *(sector.module_file for sector in SECTORS_DEFINED))

_ID = re.compile(r"^[a-z0-9_]+$")
_QUESTION_ID = re.compile(r"^[a-z0-9_]+\.[a-z0-9_.]+$")


@dataclass(frozen=True)
class Problem:
    file: str
    item: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.item}" if self.item else self.file
        return f"{where}: {self.reason}"


OLD_TOOL_COSTS = ("low", "fee")  # before 2026.3, for stored versions
# Versions before 2026.3 said nothing of who decides: these two the state gave itself.
STATE_GIVEN_BEFORE_2026_3 = frozenset({"state_cyber_assistance", "slcgp_grant"})


class QuestionnaireInvalid(Exception):
    """The files are not a valid questionnaire; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_directory(directory: str | Path) -> Questionnaire:
    """Load and validate every questionnaire file in ``directory``. A file that is not valid
    YAML does not hide the other files' problems: they are checked too and listed with it."""
    documents, problems = _parse_documents(directory)
    if not problems:
        return load_documents(documents)
    unreadable = {p.file for p in problems}
    # Modules refer to priorities and tools: without those two files every reference would fail.
    if not unreadable & {PRIORITIES_FILE, TOOLS_FILE}:
        try:
            load_documents(documents)
        except QuestionnaireInvalid as invalid:
            problems += [p for p in invalid.problems if p.file not in unreadable]
    raise QuestionnaireInvalid(problems)


# libyaml's parser when PyYAML was built with it (its wheels are): the questionnaires parse in
# 0.1 s instead of 0.7 s, paid by every `flask` command and every app the tests build.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _PlainLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """YAML's safe loader, but dates stay text ("2026-12-01"): the documents are stored as JSON
    with each questionnaire version, and the loader checks the dates itself."""


_PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_documents(directory: str | Path) -> dict[str, Any]:
    """Parse every questionnaire file in ``directory`` (YAML only; no validation yet)."""
    documents, problems = _parse_documents(directory)
    if problems:
        raise QuestionnaireInvalid(problems)
    return documents


def _parse_documents(directory: str | Path) -> tuple[dict[str, Any], list[Problem]]:
    root = Path(directory)
    documents: dict[str, Any] = {}
    problems: list[Problem] = []
    english = (PRIORITIES_FILE, TOOLS_FILE, *MODULE_FILES)
    # A language's folder, once there, must translate every file (questionnaire/translation.py).
    translated = [
        f"{language}/{name}"
        for language in TRANSLATED_LANGUAGES
        if (root / language).is_dir()
        for name in english
    ]
    for name in (*english, *translated):
        path = root / name
        if not path.is_file():
            hint = ""
            if "/" in name:
                language = name.split("/")[0]
                hint = f" (scripts/questionnaire_skeleton.py {language} writes its skeleton)"
            problems.append(Problem(name, "", f"file is missing from {root}{hint}"))
            continue
        try:
            # A SafeLoader subclass (no arbitrary objects), only without the date resolver.
            text = path.read_text(encoding="utf-8")
            documents[name] = yaml.load(text, Loader=_PlainLoader)  # noqa: S506
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f" at line {mark.line + 1}" if mark is not None else ""
            problems.append(Problem(name, "", f"is not valid YAML{line}: {_yaml_reason(error)}"))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(name, "", f"cannot be read: {error}"))
    return documents, problems


def load_documents(documents: Mapping[str, Any], *, stored: bool = False) -> Questionnaire:
    """Validate already-parsed documents (from files, or a snapshot stored in the database).

    ``stored``: a version published earlier, read back to show its assessments. It was valid
    under the rules of its day; fields added to the format since (a tool's ``kind``,
    ``checked`` and ``decides``, a critical question's ``critical_rule``) take their defaults
    instead of failing, and its old cost words (low, fee) are read as they were.
    """
    return _Builder(documents, stored=stored).build()


def content_hash(documents: Mapping[str, Any]) -> str:
    """Of the English files only: a corrected translation is not a new questionnaire (the same
    questions, scored the same), so it does not start a new version."""
    english = {name: doc for name, doc in documents.items() if "/" not in name}
    canonical = json.dumps(english, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _yaml_reason(error: yaml.YAMLError) -> str:
    return str(getattr(error, "problem", None) or error).splitlines()[0]


class _Builder:
    def __init__(self, documents: Mapping[str, Any], *, stored: bool = False) -> None:
        self.documents = documents
        self.stored = stored
        self.problems: list[Problem] = []
        self.file = ""
        self.item = ""
        self.built_questions: dict[str, Question] = {}

    # --- reporting helpers -----------------------------------------------------------------
    def fail(self, reason: str, item: str | None = None) -> None:
        self.problems.append(Problem(self.file, self.item if item is None else item, reason))

    def mapping(self, value: Any, what: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(f"{what} must be a mapping of keys to values, not {_kind(value)}")
            return None
        return value

    def text(
        self, data: Mapping[str, Any], key: str, *, required: bool = True, max_length: int = 2000
    ) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(f"'{key}' is missing")
            return ""
        if not isinstance(value, str):
            self.fail(f"'{key}' must be text, not {_kind(value)} (quote it)")
            return ""
        value = " ".join(value.split()) if "\n" in value else value.strip()
        if required and not value:
            self.fail(f"'{key}' is empty")
        if len(value) > max_length:
            self.fail(f"'{key}' is longer than {max_length} characters")
        return value

    def integer(
        self, data: Mapping[str, Any], key: str, low: int, high: int, default: int | None = None
    ) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"'{key}' must be a whole number from {low} to {high}, not {value!r}")
            return low
        if not low <= value <= high:
            self.fail(f"'{key}' is {value}; it must be from {low} to {high}")
        return value

    def choice(self, data: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> str:
        value = data.get(key)
        if value not in allowed:
            self.fail(f"'{key}' is {value!r}; it must be one of {', '.join(allowed)}")
            return allowed[0]
        return str(value)

    def string_list(self, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"'{key}' must be a list of text values")
            return ()
        return tuple(value)

    def all_or_list(
        self, data: Mapping[str, Any], key: str, allowed: tuple[str, ...]
    ) -> frozenset[str] | None:
        value = data.get(key, "all")
        if value == "all":
            return None
        if not isinstance(value, list) or not value or not all(v in allowed for v in value):
            self.fail(f"'{key}' must be 'all' or a list among {', '.join(allowed)}; got {value!r}")
            return None
        return frozenset(value)

    # --- building ---------------------------------------------------------------------------
    def build(self) -> Questionnaire:
        priorities, tiers, (cap, unknown_cap), version = self.priorities()
        priority_ids = {p.id for p in priorities}
        tools = self.tools(priority_ids)
        tool_ids = {t.id for t in tools}
        modules: list[Module] = []
        seen_questions: dict[str, str] = {}
        for name in MODULE_FILES:
            if name in self.documents:
                module = self.module(name, priority_ids, tool_ids, seen_questions)
                if module is not None:
                    modules.append(module)
        self.check_cross_references(tools, modules)
        # Words are checked against English that is itself valid (a broken file is reported
        # once, as English, not again as every translation of it).
        translations = {} if self.problems else self.translations()
        if self.problems:
            raise QuestionnaireInvalid(self.problems)
        return Questionnaire(
            translations=translations,
            version=version,
            content_hash=content_hash(self.documents),
            priorities=priorities,
            tiers=tiers,
            critical_gap_cap=cap,
            critical_unknown_cap=unknown_cap,
            modules=tuple(modules),
            tools=tools,
        )

    def translations(self) -> dict[str, dict[str, dict[str, str]]]:
        """Each language's words, checked against the English files they translate: every text
        there, none empty or extra, the same placeholders."""
        found: dict[str, dict[str, dict[str, str]]] = {}
        broken: set[str] = set()
        for key, document in self.documents.items():
            if "/" not in key:
                continue
            language, name = key.split("/", 1)
            english = self.documents.get(name)
            if language not in TRANSLATED_LANGUAGES or not isinstance(english, Mapping):
                self.problems.append(Problem(key, "", "translates no questionnaire file"))
                continue
            texts = flatten(document or {})
            wrong = problems_with(source_texts(name, english), texts)
            if wrong and self.stored:
                # Valid when published; read today by rules that changed: the version reads in
                # English rather than not at all.
                broken.add(language)
            for item, reason in [] if self.stored else wrong:
                self.problems.append(Problem(key, item, reason))
            found.setdefault(language, {})[name] = texts
        return {language: files for language, files in found.items() if language not in broken}

    def priorities(
        self,
    ) -> tuple[tuple[Priority, ...], tuple[Tier, ...], tuple[str, str], str]:
        """Priorities, tiers, (the cap of a known critical gap, the cap of an unknown one) and
        the version."""
        self.file, self.item = PRIORITIES_FILE, ""
        doc = self.mapping(self.documents.get(PRIORITIES_FILE), "the file")
        if doc is None:
            return (), (), ("", ""), ""
        version = self.text(doc, "version", max_length=40)
        priorities: list[Priority] = []
        raw_priorities = doc.get("priorities")
        if not isinstance(raw_priorities, list) or not raw_priorities:
            self.fail("'priorities' must be a non-empty list")
            raw_priorities = []
        for raw in raw_priorities:
            self.item = str(raw.get("id", "?")) if isinstance(raw, dict) else "?"
            data = self.mapping(raw, "a priority")
            if data is None:
                continue
            pid = self.identifier(data, "id", [p.id for p in priorities])
            priorities.append(
                Priority(
                    id=pid,
                    title=self.text(data, "title", max_length=120),
                    description=self.text(data, "description"),
                    weight=self.integer(data, "weight", 1, 100),
                )
            )
        self.item = ""
        tiers: list[Tier] = []
        raw_tiers = doc.get("tiers")
        if not isinstance(raw_tiers, list) or not raw_tiers:
            self.fail("'tiers' must be a non-empty list")
            raw_tiers = []
        for raw in raw_tiers:
            self.item = str(raw.get("id", "?")) if isinstance(raw, dict) else "?"
            data = self.mapping(raw, "a tier")
            if data is None:
                continue
            tiers.append(
                Tier(
                    id=self.identifier(data, "id", [t.id for t in tiers]),
                    label=self.text(data, "label", max_length=60),
                    min_score=self.integer(data, "min_score", 0, 100),
                    description=self.text(data, "description", required=False),
                )
            )
        self.item = ""
        if tiers and (
            tiers[0].min_score != 0
            or any(a.min_score >= b.min_score for a, b in itertools.pairwise(tiers))
        ):
            self.fail("tiers must start at min_score 0 and rise strictly")
        cap = str(doc.get("critical_gap_cap", ""))
        if cap not in {t.id for t in tiers}:
            self.fail(f"'critical_gap_cap' is {cap!r}; it must name one of the tiers")
        # Optional (versions published before 2026.3 have none: an unknown capped as a gap).
        unknown_cap = str(doc.get("critical_unknown_cap", cap))
        if unknown_cap not in {t.id for t in tiers}:
            self.fail(f"'critical_unknown_cap' is {unknown_cap!r}; it must name one of the tiers")
        return tuple(priorities), tuple(tiers), (cap, unknown_cap), version

    def identifier(
        self, data: Mapping[str, Any], key: str, taken: list[str], pattern: re.Pattern[str] = _ID
    ) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            self.fail(f"'{key}' is missing")
            return "?"
        if not pattern.match(value):
            self.fail(f"'{key}' {value!r} may use only lower-case letters, digits and _")
        if value in taken:
            self.fail(f"'{key}' {value!r} is used twice")
        return value

    def tools(self, priority_ids: set[str]) -> tuple[Tool, ...]:
        self.file, self.item = TOOLS_FILE, ""
        doc = self.mapping(self.documents.get(TOOLS_FILE), "the file")
        if doc is None:
            return ()
        self.text(doc, "version", max_length=40)
        raw_tools = doc.get("tools")
        if not isinstance(raw_tools, list) or not raw_tools:
            self.fail("'tools' must be a non-empty list")
            return ()
        tools: list[Tool] = []
        for raw in raw_tools:
            self.item = str(raw.get("id", "?")) if isinstance(raw, dict) else "?"
            data = self.mapping(raw, "a tool")
            if data is None:
                continue
            tool_id = self.identifier(data, "id", [t.id for t in tools])
            addresses = self.string_list(data, "addresses")
            for pid in addresses:
                if pid not in priority_ids:
                    self.fail(f"'addresses' names unknown priority {pid!r}")
            eligibility = self.mapping(data.get("eligibility", {}), "'eligibility'") or {}
            contact = self.text(data, "contact", required=False, max_length=200)
            if "@" in contact and not EMAIL_ADDRESS.fullmatch(contact):
                self.fail(f"'contact' {contact!r} is not one plain email address")
            tools.append(
                Tool(
                    id=tool_id,
                    name=self.text(data, "name", max_length=160),
                    provider=self.text(data, "provider", max_length=120),
                    cost=self.choice(
                        data, "cost", TOOL_COSTS + (OLD_TOOL_COSTS if self.stored else ())
                    ),
                    decides=self.choice(data, "decides", TOOL_DECIDERS)
                    if "decides" in data or not self.stored
                    else ("state" if tool_id in STATE_GIVEN_BEFORE_2026_3 else "provider"),
                    source=self.url(data.get("source")) if data.get("source") else "",
                    mail_subject=self.text(data, "mail_subject", required=False, max_length=120),
                    summary=self.text(data, "summary"),
                    addresses=addresses,
                    rules=self.eligibility_rules(eligibility),
                    eligibility_note=self.text(eligibility, "note", required=False),
                    how_to_request=self.text(data, "how_to_request"),
                    contact=contact,
                    url=self.url(data.get("url")),
                    confidence=self.choice(data, "confidence", ("verified", "secondary", "verify")),
                    kind=self.choice(data, "kind", TOOL_KINDS)
                    if "kind" in data or not self.stored
                    else "service",
                    checked=self.date(data, "checked", required=not self.stored),
                    available_until=self.date(data, "available_until", required=False),
                )
            )
        self.item = ""
        return tuple(tools)

    def eligibility_rules(self, eligibility: Mapping[str, Any]) -> tuple[EligibilityRule, ...]:
        """Either one rule (``sectors`` and ``ownership`` at the top) or ``any_of`` several."""
        if "any_of" in eligibility:
            if "sectors" in eligibility or "ownership" in eligibility:
                self.fail("'eligibility' has either 'any_of' or 'sectors'/'ownership', not both")
            raw_rules = eligibility["any_of"]
            if not isinstance(raw_rules, list) or not raw_rules:
                self.fail("'eligibility.any_of' must be a non-empty list of rules")
                return ()
            rules = []
            for raw in raw_rules:
                rule = self.mapping(raw, "an eligibility rule")
                if rule is not None:
                    rules.append(self.eligibility_rule(rule))
            return tuple(rules)
        return (self.eligibility_rule(eligibility),)

    def eligibility_rule(self, rule: Mapping[str, Any]) -> EligibilityRule:
        """Sectors, ownership, and optionally ``when: {question: <profile id>, in: [values]}``
        (checked against the modules once they are read: :meth:`check_cross_references`)."""
        when = rule.get("when")
        question, values = None, frozenset[str]()
        if when is not None:
            data = self.mapping(when, "'when'")
            if data is not None:
                question = data.get("question")
                raw_values = data.get("in")
                if not isinstance(question, str) or not isinstance(raw_values, list):
                    self.fail("'when' needs 'question' (a profile question id) and 'in' (values)")
                    question = None
                else:
                    values = frozenset(str(v) for v in raw_values)
        return EligibilityRule(
            self.all_or_list(rule, "sectors", SECTORS),
            self.all_or_list(rule, "ownership", OWNERSHIPS),
            question,
            values,
        )

    def check_cross_references(self, tools: tuple[Tool, ...], modules: list[Module]) -> None:
        """What can only be checked with every module read: eligibility conditions name profile
        questions and their options; an action supersedes core questions that exist."""
        questions = {q.id: q for m in modules for q in m.questions()}
        self.file = TOOLS_FILE
        for tool in tools:
            for rule in tool.rules:
                if rule.when_question is None:
                    continue
                self.item = tool.id
                target = questions.get(rule.when_question)
                if target is None or not target.profile:
                    self.fail(
                        f"'when' names {rule.when_question!r}, which is not a profile question"
                    )
                elif not rule.when_values or not all(target.option(v) for v in rule.when_values):
                    self.fail(f"'when.in' must list options of {rule.when_question!r}")
        for question in questions.values():
            if question.action is None:
                continue
            self.file, self.item = f"{question.module_id}.yaml", question.id
            for target_id in question.action.supersedes:
                target = questions.get(target_id)
                if target is None or target.module_id != "core" or target_id == question.id:
                    self.fail(
                        f"'action.supersedes' names {target_id!r}: it must be a core question"
                    )
                elif target.action is None:
                    self.fail(f"'action.supersedes' names {target_id!r}, which has no action")
        self.item = ""

    def date(self, data: Mapping[str, Any], key: str, *, required: bool) -> date | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(f"'{key}' is required (a date, YYYY-MM-DD)")
            return None
        if isinstance(value, date):  # YAML reads an unquoted 2026-11-30 as a date
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"'{key}' {value!r} is not a date (YYYY-MM-DD)")
            return None

    def url(self, value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str) or not value.startswith("https://"):
            self.fail(f"url {value!r} must start with https://")
            return ""
        return value

    def module(
        self, name: str, priority_ids: set[str], tool_ids: set[str], seen_questions: dict[str, str]
    ) -> Module | None:
        self.file, self.item = name, ""
        doc = self.mapping(self.documents.get(name), "the file")
        if doc is None:
            return None
        module_id = self.identifier(doc, "module", [])
        expected = name.removesuffix(".yaml")
        if module_id != expected:
            self.fail(f"'module' is {module_id!r} but the file name says {expected!r}")
        title = self.text(doc, "title", max_length=120)
        version = self.text(doc, "version", max_length=40)
        sectors = self.all_or_list(doc, "sectors", SECTORS)
        raw_sections = doc.get("sections")
        if not isinstance(raw_sections, list) or not raw_sections:
            self.fail("'sections' must be a non-empty list")
            return None
        sections: list[Section] = []
        for raw_section in raw_sections:
            self.item = str(raw_section.get("id", "?")) if isinstance(raw_section, dict) else "?"
            data = self.mapping(raw_section, "a section")
            if data is None:
                continue
            section_id = self.identifier(data, "id", [s.id for s in sections])
            raw_questions = data.get("questions")
            if not isinstance(raw_questions, list) or not raw_questions:
                self.fail("'questions' must be a non-empty list")
                continue
            questions = []
            for raw_question in raw_questions:
                question = self.question(
                    raw_question, module_id, section_id, priority_ids, tool_ids, seen_questions
                )
                if question is not None:
                    questions.append(question)
                    seen_questions[question.id] = name
                    self.built_questions[question.id] = question
            sections.append(
                Section(
                    id=section_id,
                    title=self.text(data, "title", max_length=120),
                    intro=self.text(data, "intro", required=False),
                    questions=tuple(questions),
                )
            )
        self.item = ""
        return Module(
            module_id,
            title,
            version,
            None if sectors is None else tuple(sorted(sectors, key=SECTORS.index)),
            tuple(sections),
        )

    def question(
        self,
        raw: Any,
        module_id: str,
        section_id: str,
        priority_ids: set[str],
        tool_ids: set[str],
        seen: dict[str, str],
    ) -> Question | None:
        self.item = "(question without an id)"
        data = self.mapping(raw, "a question")
        if data is None:
            return None
        raw_id = data.get("id")
        if not isinstance(raw_id, str) or not raw_id:
            self.fail(
                "a question has no 'id' (it follows "
                f"{next(reversed(seen), 'the start of the file')})"
            )
            return None
        self.item = raw_id
        if not _QUESTION_ID.match(raw_id) or not raw_id.startswith(module_id + "."):
            self.fail(f"id must look like '{module_id}.some_name' (lower-case, digits, _)")
        if raw_id in seen:
            self.fail(f"id is used twice (also in {seen[raw_id]})")
        known_keys = {
            "id",
            "text",
            "why",
            "how_to_check",
            "priority",
            "refs",
            "critical",
            "critical_rule",
            "weight",
            "na",
            "options",
            "show_if",
            "agrees_with",
            "action",
            "profile",
            "stage",
            "prefill",
        }
        for key in data:
            if key not in known_keys:
                self.fail(f"unknown key {key!r} (typo?)")
        profile = data.get("profile", False) is True
        options = self.options(data.get("options"), profile)
        if profile:
            for key in ("priority", "refs", "action", "critical", "critical_rule"):
                if key in data:
                    self.fail(f"a profile question cannot have '{key}'")
            priority: str | None = None
            refs = References()
            action = None
        else:
            priority = str(data.get("priority"))
            if priority not in priority_ids:
                self.fail(
                    f"unknown priority {data.get('priority')!r}; "
                    f"use one of {', '.join(sorted(priority_ids))}"
                )
            refs = self.references(data.get("refs"), module_id)
            action = self.action(data.get("action"), tool_ids)
        show_if = None
        if "show_if" in data:
            show_if = self.condition(data["show_if"], seen)
        agrees_with = None
        if "agrees_with" in data:
            agrees_with = self.agreement(data["agrees_with"], seen, options)
        critical = data.get("critical", False)
        if not isinstance(critical, bool):
            self.fail("'critical' must be true or false")
        critical_rule = data.get("critical_rule")
        if critical is True and critical_rule is None and self.stored:
            pass  # published before critical questions named their rule
        elif critical is True and critical_rule not in CRITICAL_RULES:
            self.fail(
                "a critical question needs 'critical_rule': one of "
                + ", ".join(CRITICAL_RULES)
                + " (questionnaires/README.md, What is critical)"
            )
        if critical is not True and critical_rule is not None:
            self.fail("'critical_rule' is only for critical questions")
        allows_na = data.get("na", False)
        if not isinstance(allows_na, bool):
            self.fail("'na' must be true or false")
        stage = data.get("stage")
        if stage is not None and (isinstance(stage, bool) or stage not in (1, 2, 3, 4, 5)):
            self.fail("'stage' must be 1 to 5 (questionnaires/README.md, The order of the plan)")
            stage = None
        if not critical and any(o.not_critical for o in options):
            self.fail("'not_critical' is for options of critical questions only")
        prefill = data.get("prefill", True)
        if not isinstance(prefill, bool):
            self.fail("'prefill' must be true or false")
        return Question(
            id=raw_id,
            module_id=module_id,
            section_id=section_id,
            text=self.text(data, "text", max_length=400),
            why=self.text(data, "why", required=not profile),
            how_to_check=self.text(data, "how_to_check", required=not profile),
            options=options,
            priority=priority,
            refs=refs,
            critical=critical is True,
            critical_rule=critical_rule if critical is True else None,
            weight=self.integer(data, "weight", 1, 3, default=2),
            allows_na=allows_na is True,
            profile=profile,
            show_if=show_if,
            agrees_with=agrees_with,
            action=action,
            stage=stage,
            prefill=prefill is True,
        )

    def options(self, raw: Any, profile: bool) -> tuple[Option, ...]:
        if not isinstance(raw, list) or not 2 <= len(raw) <= 6:
            self.fail("'options' must be a list of 2 to 6 options")
            return ()
        options: list[Option] = []
        for entry in raw:
            data = self.mapping(entry, "an option")
            if data is None:
                continue
            value = data.get("value")
            if not isinstance(value, str):
                self.fail(
                    f"option value {value!r} must be text; quote it (YAML reads "
                    "yes/no/on/off as true/false)"
                )
                continue
            if not _ID.match(value):
                self.fail(f"option value {value!r} may use only lower-case letters, digits and _")
            if value in RESERVED_VALUES:
                self.fail(f"option value {value!r} is reserved: the portal adds it itself")
            if any(o.value == value for o in options):
                self.fail(f"option value {value!r} is used twice")
            label = self.text(data, "label", max_length=200)
            if profile:
                if "points" in data:
                    self.fail(f"option {value!r}: a profile question's options have no points")
                points = None
            else:
                points = data.get("points")
                if isinstance(points, bool) or not isinstance(points, int):
                    self.fail(f"option {value!r}: points must be a whole number from 0 to 100")
                    points = 0
                elif not 0 <= points <= 100:
                    self.fail(f"option {value!r}: points {points} are out of range 0 to 100")
            flags = {}
            for flag in ("not_critical", "unchecked"):
                if flag in data:
                    if not isinstance(data[flag], bool) or profile:
                        self.fail(
                            f"option {value!r}: '{flag}' must be true or false, on a scored "
                            "question"
                        )
                    flags[flag] = data[flag] is True
            if flags.get("not_critical") and points == 100:
                self.fail(f"option {value!r}: 'not_critical' is for answers below full points")
            options.append(Option(value, label, points, **flags))
        if not profile and options and max(o.points or 0 for o in options) != 100:
            self.fail("no option is worth 100 points; the best answer must be worth 100")
        return tuple(options)

    def references(self, raw: Any, module_id: str) -> References:
        data = self.mapping(raw, "'refs'")
        if data is None:
            return References()
        cpg2 = self.string_list(data, "cpg2")
        csf2 = self.string_list(data, "csf2")
        sector = self.string_list(data, "sector")
        for goal in cpg2:
            if goal not in CPG2_GOALS:
                self.fail(f"unknown CPG 2.0 goal {goal!r}")
        for category in csf2:
            if category not in CSF2_CATEGORIES:
                self.fail(f"unknown CSF 2.0 category {category!r}")
        if not cpg2 or not csf2:
            self.fail("'refs' needs at least one cpg2 goal and one csf2 category")
        if module_id != "core" and not sector:
            self.fail("a sector question needs at least one 'sector' reference")
        return References(cpg2, csf2, sector)

    def action(self, raw: Any, tool_ids: set[str]) -> Action | None:
        data = self.mapping(raw, "'action'")
        if data is None:
            return None
        resources = []
        raw_resources = data.get("resources", [])
        if not isinstance(raw_resources, list):
            self.fail("'action.resources' must be a list")
            raw_resources = []
        for entry in raw_resources:
            res = self.mapping(entry, "a resource")
            if res is not None:
                resources.append(
                    Resource(self.text(res, "title", max_length=200), self.url(res.get("url")))
                )
        tools = self.string_list(data, "tools")
        for tool_id in tools:
            if tool_id not in tool_ids:
                self.fail(f"action names unknown tool {tool_id!r} (not in tools.yaml)")
        due_within = data.get("due_within")
        if due_within is not None and due_within not in (30, 60, 90):
            self.fail("'action.due_within' must be 30, 60 or 90 (days)")
            due_within = None
        quick = data.get("quick", False)
        if not isinstance(quick, bool):
            self.fail("'action.quick' must be true or false")
        return Action(
            due_within=due_within,
            quick=quick is True,
            supersedes=self.string_list(data, "supersedes"),
            title=self.text(data, "title", max_length=120),
            detail=self.text(data, "detail", required=False),
            effort=self.choice(data, "effort", EFFORTS),
            cost=self.choice(data, "cost", COSTS),
            owner=self.choice(data, "owner", OWNERS),
            resources=tuple(resources),
            tools=tools,
        )

    def agreement(
        self, raw: Any, seen: dict[str, str], options: tuple[Option, ...]
    ) -> Agreement | None:
        """``agrees_with``: an earlier question that asks part of the same fact, and the answer
        pairs that contradict each other (questionnaires/README.md)."""
        data = self.mapping(raw, "'agrees_with'")
        if data is None:
            return None
        for key in data:
            if key not in ("question", "fact", "clash"):
                self.fail(f"unknown key 'agrees_with.{key}' (typo?)")
        target = data.get("question")
        if not isinstance(target, str) or target not in seen or target == self.item:
            self.fail(f"'agrees_with' names {target!r}, which is not an earlier question")
            return None
        fact = data.get("fact")
        if not isinstance(fact, str) or not fact.strip() or len(fact) > 80:
            self.fail("'agrees_with.fact' must say in a few words what both questions ask")
            return None
        raw_clashes = data.get("clash")
        if not isinstance(raw_clashes, list) or not raw_clashes:
            self.fail("'agrees_with.clash' must list the answer pairs that contradict each other")
            return None
        mine = {o.value for o in options}
        other = self.built_questions.get(target)
        theirs = {o.value for o in other.options} if other is not None else set()
        clashes = []
        for entry in raw_clashes:
            pair = self.mapping(entry, "an 'agrees_with.clash' entry")
            if pair is None:
                continue
            this, that = pair.get("this"), pair.get("that")
            if (
                not isinstance(this, list)
                or not isinstance(that, list)
                or set(pair) != {"this", "that"}
                or not this
                or not that
            ):
                self.fail("each 'agrees_with.clash' entry is {this: [values], that: [values]}")
                continue
            for value in this:
                if value not in mine:
                    self.fail(f"'agrees_with.clash' value {value!r} is not an option here")
            for value in that:
                if value not in theirs:
                    self.fail(f"'agrees_with.clash' value {value!r} is not an option of {target!r}")
            clashes.append((frozenset(map(str, this)), frozenset(map(str, that))))
        return Agreement(target, " ".join(fact.split()), tuple(clashes))

    def condition(self, raw: Any, seen: dict[str, str]) -> Condition | None:
        data = self.mapping(raw, "'show_if'")
        if data is None:
            return None
        for combinator in ("all", "any"):
            if combinator in data:
                children = data[combinator]
                if not isinstance(children, list) or not children:
                    self.fail(f"'show_if.{combinator}' must be a non-empty list of conditions")
                    return None
                parsed = [self.condition(child, seen) for child in children]
                return Condition(
                    kind="all" if combinator == "all" else "any",
                    children=tuple(c for c in parsed if c is not None),
                )
        target = data.get("question")
        values = data.get("in")
        if not isinstance(target, str):
            self.fail("'show_if' needs 'question' (an earlier question id) and 'in' (values)")
            return None
        if target == self.item:
            self.fail("'show_if' refers to the question itself")
            return None
        if target not in seen:
            self.fail(
                f"'show_if' names {target!r}, which is not an earlier question "
                "(conditions may only look back, so they cannot form a cycle)"
            )
            return None
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            self.fail("'show_if.in' must be a non-empty list of option values (quote yes/no)")
            return None
        target_question = self.built_questions.get(target)
        if target_question is not None:
            for value in values:
                if not target_question.accepts(value) or value == "dont_know":
                    self.fail(f"'show_if' value {value!r} is not an option of {target!r}")
        return Condition(kind="leaf", question_id=target, values=frozenset(values))


def _kind(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        int: "a number",
        bool: "true/false",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)
