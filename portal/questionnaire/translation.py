"""The questionnaire in another language: text files beside the English ones, keyed by id.

``questionnaires/<language>/<file>`` (``questionnaires/es/core.yaml``) holds only words: the
question, option, help, action and reference texts of the English file of the same name, keyed
by question, section, option, priority, tier and tool id. Ids, points, rules and links live in
the English file alone, so a score, an answer or a plan is the same in every language and an
organization that switches language loses nothing. (CSET keeps its translations the same way;
a parallel file, not a ``text_es:`` beside each English key, keeps the English files readable to
the people who write questions and lets a translator work through one file of words.)

A translation is checked against the English it translates: every text present, none extra,
none empty, and the same placeholders (``{name}``, ``%(name)s``) on both sides. A version whose
translation fails is refused, with every problem named, the same way an invalid English file is.

Keys are paths joined by ``/`` (question ids hold dots): ``questions/core.mfa_email/text``,
``questions/core.mfa_email/options/yes``, ``questions/core.mfa_email/action/resources/0``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any

from portal.questionnaire.model import (
    Action,
    Agreement,
    Module,
    Option,
    Priority,
    Question,
    Questionnaire,
    Resource,
    Section,
    Tier,
    Tool,
)

# Languages a questionnaire may be translated into (the English files are the source).
TRANSLATED_LANGUAGES = ("es",)
_PLACEHOLDER = re.compile(r"\{[a-z_]*\}|%\([a-z_]+\)[sd]|%[sd]")

Flat = dict[str, str]
Words = Mapping[str, str]


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def source_texts(name: str, document: Mapping[str, Any]) -> Flat:
    """Every text a translation of the English file ``name`` must give, by key, in file order."""
    return dict(_source_items(name, document))


def _source_items(name: str, document: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if name == "priorities.yaml":
        for priority in document.get("priorities") or ():
            yield f"priorities/{priority['id']}/title", _text(priority.get("title"))
            yield f"priorities/{priority['id']}/description", _text(priority.get("description"))
        for tier in document.get("tiers") or ():
            yield f"tiers/{tier['id']}/label", _text(tier.get("label"))
            yield f"tiers/{tier['id']}/description", _text(tier.get("description"))
        return
    if name == "tools.yaml":
        for tool in document.get("tools") or ():
            base = f"tools/{tool['id']}"
            # Names of programs stay as their owners write them (the translation repeats them);
            # a description standing in for a name ("Your state's cyber assistance program")
            # is translated.
            yield f"{base}/name", _text(tool.get("name"))
            yield f"{base}/provider", _text(tool.get("provider"))
            yield f"{base}/summary", _text(tool.get("summary"))
            note = (tool.get("eligibility") or {}).get("note")
            if note:
                yield f"{base}/eligibility_note", _text(note)
            yield f"{base}/how_to_request", _text(tool.get("how_to_request"))
        return
    yield "title", _text(document.get("title"))
    for section in document.get("sections") or ():
        yield f"sections/{section['id']}/title", _text(section.get("title"))
        if section.get("intro"):
            yield f"sections/{section['id']}/intro", _text(section.get("intro"))
        for question in section.get("questions") or ():
            base = f"questions/{question['id']}"
            for field in ("text", "why", "how_to_check"):
                if question.get(field):
                    yield f"{base}/{field}", _text(question[field])
            for option in question.get("options") or ():
                yield f"{base}/options/{option['value']}", _text(option.get("label"))
            agreement = question.get("agrees_with") or {}
            if agreement.get("fact"):
                yield f"{base}/fact", _text(agreement["fact"])
            action = question.get("action")
            if action:
                yield f"{base}/action/title", _text(action.get("title"))
                yield f"{base}/action/detail", _text(action.get("detail"))
                for index, resource in enumerate(action.get("resources") or ()):
                    yield f"{base}/action/resources/{index}", _text(resource.get("title"))


def flatten(nested: Any, prefix: str = "") -> Flat:
    """A translation file's nested mapping as ``key -> text`` (lists by index)."""
    flat: Flat = {}
    if isinstance(nested, Mapping):
        items: Iterator[tuple[Any, Any]] = iter(nested.items())
    elif isinstance(nested, list):
        items = iter(enumerate(nested))
    else:
        flat[prefix] = _text(nested)
        return flat
    for key, value in items:
        flat.update(flatten(value, f"{prefix}/{key}" if prefix else str(key)))
    return flat


def nest(flat: Flat) -> dict[str, Any]:
    """The inverse of :func:`flatten` for a skeleton (resources stay a list)."""
    root: dict[str, Any] = {}
    for key, text in flat.items():
        parts = key.split("/")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = text
    _lists(root)
    return root


def _lists(node: dict[str, Any]) -> None:
    for key, value in node.items():
        if isinstance(value, dict):
            if value and all(k.isdigit() for k in value):
                node[key] = [value[k] for k in sorted(value, key=int)]
            else:
                _lists(value)


def problems_with(source: Flat, translated: Flat) -> list[tuple[str, str]]:
    """What is wrong with a translation of ``source``: ``(key, reason)`` pairs."""
    found: list[tuple[str, str]] = []
    for key, english in source.items():
        if key not in translated:
            found.append((key, "has no translation"))
            continue
        text = translated[key]
        if not text.strip():
            found.append((key, "is translated as an empty text"))
        elif sorted(_PLACEHOLDER.findall(text)) != sorted(_PLACEHOLDER.findall(english)):
            found.append(
                (
                    key,
                    f"has placeholders {sorted(_PLACEHOLDER.findall(text))} where the English "
                    f"has {sorted(_PLACEHOLDER.findall(english))}",
                )
            )
    for key in translated:
        if key not in source:
            found.append((key, "translates nothing in the English file (a renamed id?)"))
    return found


def in_language(questionnaire: Questionnaire, language: str) -> Questionnaire:
    """The same questions, points and ids in ``language``'s words (made once per version and
    language); the English when the version has no translation to that language (published
    before there was one)."""
    if language == questionnaire.language:
        return questionnaire
    english = questionnaire._languages.get("en", questionnaire)
    if language == "en" or language not in english.translations:
        return english
    cached = english._languages.get(language)
    if cached is None:
        cached = english._languages[language] = translate(english, language)
    return cached


def translate(questionnaire: Questionnaire, language: str) -> Questionnaire:
    """The same questionnaire in ``language``'s checked words (its ``translations``).

    Everything but words is kept: ids, points, rules, links, the content hash."""
    texts = questionnaire.translations[language]
    priorities_text = texts.get("priorities.yaml", {})
    tools_text = texts.get("tools.yaml", {})

    def priority(item: Priority) -> Priority:
        base = f"priorities/{item.id}"
        return dataclasses.replace(
            item,
            title=priorities_text.get(f"{base}/title", item.title),
            description=priorities_text.get(f"{base}/description", item.description),
        )

    def tier(item: Tier) -> Tier:
        base = f"tiers/{item.id}"
        return dataclasses.replace(
            item,
            label=priorities_text.get(f"{base}/label", item.label),
            description=priorities_text.get(f"{base}/description", item.description),
        )

    def tool(item: Tool) -> Tool:
        base = f"tools/{item.id}"
        return dataclasses.replace(
            item,
            name=tools_text.get(f"{base}/name", item.name),
            provider=tools_text.get(f"{base}/provider", item.provider),
            summary=tools_text.get(f"{base}/summary", item.summary),
            eligibility_note=tools_text.get(f"{base}/eligibility_note", item.eligibility_note),
            how_to_request=tools_text.get(f"{base}/how_to_request", item.how_to_request),
        )

    def module(item: Module) -> Module:
        words = texts.get(f"{item.id}.yaml", {})
        return dataclasses.replace(
            item,
            title=words.get("title", item.title),
            sections=tuple(section(s, words) for s in item.sections),
        )

    def section(item: Section, words: Words) -> Section:
        base = f"sections/{item.id}"
        return dataclasses.replace(
            item,
            title=words.get(f"{base}/title", item.title),
            intro=words.get(f"{base}/intro", item.intro),
            questions=tuple(question(q, words) for q in item.questions),
        )

    def question(item: Question, words: Words) -> Question:
        base = f"questions/{item.id}"
        agreement: Agreement | None = item.agrees_with
        if agreement is not None:
            agreement = dataclasses.replace(
                agreement, fact=words.get(f"{base}/fact", agreement.fact)
            )
        return dataclasses.replace(
            item,
            text=words.get(f"{base}/text", item.text),
            why=words.get(f"{base}/why", item.why),
            how_to_check=words.get(f"{base}/how_to_check", item.how_to_check),
            options=tuple(option(o, words, base) for o in item.options),
            agrees_with=agreement,
            action=action(item.action, words, base),
        )

    def option(item: Option, words: Words, base: str) -> Option:
        return dataclasses.replace(
            item, label=words.get(f"{base}/options/{item.value}", item.label)
        )

    def action(item: Action | None, words: Words, base: str) -> Action | None:
        if item is None:
            return None
        resources = tuple(
            Resource(words.get(f"{base}/action/resources/{index}", resource.title), resource.url)
            for index, resource in enumerate(item.resources)
        )
        return dataclasses.replace(
            item,
            title=words.get(f"{base}/action/title", item.title),
            detail=words.get(f"{base}/action/detail", item.detail),
            resources=resources,
        )

    translated = dataclasses.replace(
        questionnaire,
        language=language,
        priorities=tuple(priority(p) for p in questionnaire.priorities),
        tiers=tuple(tier(t) for t in questionnaire.tiers),
        modules=tuple(module(m) for m in questionnaire.modules),
        tools=tuple(tool(t) for t in questionnaire.tools),
    )
    translated._languages["en"] = questionnaire  # back to English without a second copy
    return translated
