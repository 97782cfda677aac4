"""A readable plain-text outline of a questionnaire (for `flask questionnaire outline`)."""

from __future__ import annotations

from collections.abc import Iterator

from portal.questionnaire.model import Questionnaire


def outline(
    questionnaire: Questionnaire,
    module_ids: tuple[str, ...] | None = None,
) -> Iterator[str]:
    yield f"Questionnaire {questionnaire.version} ({questionnaire.content_hash[:12]})"
    yield "Priorities: " + ", ".join(f"{p.id} ({p.weight})" for p in questionnaire.priorities)
    for module in questionnaire.modules:
        if module_ids and module.id not in module_ids:
            continue
        sectors = "all organizations" if module.sectors is None else ", ".join(module.sectors)
        scored = sum(1 for q in module.questions() if q.scored)
        yield ""
        yield f"== {module.title} [{module.id}] — {scored} scored questions, for {sectors}"
        for section in module.sections:
            yield f"  -- {section.title}"
            for question in section.questions:
                flags = []
                if question.profile:
                    flags.append("profile")
                if question.critical:
                    flags.append("CRITICAL")
                if question.show_if is not None:
                    flags.append(
                        "if " + ", ".join(sorted(set(question.show_if.referenced_questions())))
                    )
                refs = " ".join(question.refs.cpg2 + question.refs.csf2 + question.refs.sector)
                head = f"    {question.id}"
                if question.priority:
                    head += f" [{question.priority} w{question.weight}]"
                if flags:
                    head += " (" + "; ".join(flags) + ")"
                yield head
                yield f"      {question.text}"
                options = " | ".join(
                    o.label if o.points is None else f"{o.label} = {o.points}"
                    for o in question.options
                )
                yield f"      {options}"
                if refs:
                    yield f"      refs: {refs}"
