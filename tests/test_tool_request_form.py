"""The tool-access request form: only what the state gives itself is requested from the
coordinator, ranked by the gaps each addresses (critical first) with a "why you" line each; every
other service is shown with how to apply directly; information is never offered; and a pre-filled
reason covers only the services ticked."""

from __future__ import annotations

import re

import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask

from portal.assessments import state as assessment_state
from portal.extensions import db
from portal.models import Assessment, ToolRequest
from portal.questionnaire.model import Question, Questionnaire
from tests.factories import World, submit_assessment
from tests.web import csrf_token, login


def _answer(question: Question) -> str:
    """The factory's answers, and no outside incident help lined up (a gap the state's own
    cyber assistance program helps with)."""
    worst = not question.profile and (question.critical or question.id == "core.outside_help")
    if question.id == "core.kev_tracking":
        return "dont_know"
    if worst:
        return min(question.options, key=lambda o: o.points or 0).value
    return question.options[0].value


def form_page(app: Flask, world: World) -> tuple[int, BeautifulSoup, list]:  # type: ignore[type-arg]
    assessment_id = submit_assessment(app, world, answer=_answer)
    operator = app.test_client()
    login(operator, world.operator_a)
    html = operator.get(f"/assessments/{assessment_id}/tool-requests/new").get_data(as_text=True)
    with app.test_request_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment is not None
        state = assessment_state.load(assessment)
        plan = state.plan
        matches = list(plan.state_services)
        direct = [m.tool.id for m in plan.tools if not m.tool.state_decides]
        information = [m.tool.id for m in plan.information]
    return (
        assessment_id,
        BeautifulSoup(html, "html.parser"),
        [matches, information, operator, direct],
    )


def test_services_are_ranked_critical_first_then_by_gaps_with_a_reason_each(
    app: Flask, world: World
) -> None:
    _, page, (matches, information, _, direct) = form_page(app, world)
    offered = [box["value"] for box in page.select('input[name="tools"]')]
    assert offered == [m.tool.id for m in matches]
    assert set(offered) == {"state_cyber_assistance", "slcgp_grant"}  # a public hospital
    # The coordinator cannot grant the others: each is shown with how to apply directly.
    assert direct and not set(direct) & set(offered)
    for tool_id in direct:
        card = page.select_one(f"#apply-{tool_id}")
        assert card is not None and "decides" in card.get_text(), tool_id
    keys = [(not m.critical, -len(m.gap_question_ids)) for m in matches]
    assert keys == sorted(keys)
    assert not set(offered) & set(information)  # information is never in the form
    for box in page.select('input[name="tools"]'):
        label = page.select_one(f'label[for="{box["id"]}"]').get_text(" ", strip=True)
        assert re.search(
            r"Why you: (it helps with \d+ of your gaps|it is open to organizations like yours)",
            label,
        ), label
    ticked = [box["value"] for box in page.select('input[name="tools"][checked]')]
    assert ticked == ([m.tool.id for m in matches if m.critical] or [matches[0].tool.id])


def test_the_reason_covers_only_the_services_ticked(app: Flask, world: World) -> None:
    assessment_id, page, (matches, _, operator, _) = form_page(app, world)
    questionnaire: Questionnaire
    with app.app_context():
        from portal import questionnaire_versions

        questionnaire = questionnaire_versions.current()

    def titles(tool_ids: list[str]) -> set[str]:
        chosen = [m for m in matches if m.tool.id in tool_ids]
        return {
            questionnaire.question(q).action.title  # type: ignore[union-attr]
            for m in chosen
            for q in m.gap_question_ids
        }

    shown = page.select_one("#justification").get_text()
    ticked = [box["value"] for box in page.select('input[name="tools"][checked]')]
    lines = [line[2:] for line in shown.splitlines() if line.startswith("- ")]
    expected = titles(ticked)
    if len(expected) > 15:  # a long list ends with a count, never silently cut
        assert len(lines) == 16 and set(lines[:15]) <= expected
        assert lines[-1] == f"and {len(expected) - 15} more gaps, listed in our remediation plan"
    elif expected:
        assert set(lines) == expected
    else:
        assert lines == ["none in particular: these services are open to organizations like ours"]
    # Sent with other ticks and the reason untouched: it is rewritten for those ticks.
    other = [matches[-1].tool.id]  # one service only
    assert titles(other) != titles(ticked)
    data = {
        "tools": other,
        "contact_name": "Pat",
        "contact_email": "pat@alpha.example.org",
        "justification": shown,
        "justification_auto": page.select_one("#justification_auto")["value"],
        "csrf_token": csrf_token(str(page)),
    }
    url = f"/assessments/{assessment_id}/tool-requests/new"
    assert operator.post(url, data=data).status_code == 302
    with app.app_context():
        stored = db.session.scalar(sa.select(ToolRequest.justification))
    assert stored is not None
    assert {line[2:] for line in stored.splitlines() if line.startswith("- ")} == (
        titles(other) or {"none in particular: these services are open to organizations like ours"}
    )
    # Edited in the person's own words: kept as typed, whatever is ticked.
    with app.app_context():
        db.session.execute(sa.update(ToolRequest).values(status="denied"))
        db.session.commit()
    data |= {"justification": "We need this, in our own words.", "tools": ticked[:1]}
    assert operator.post(url, data=data).status_code == 302
    with app.app_context():
        newest = db.session.scalars(
            sa.select(ToolRequest.justification).order_by(ToolRequest.id.desc())
        ).first()
    assert newest == "We need this, in our own words."


def test_a_long_reason_ends_with_a_count_not_a_silent_cut() -> None:
    from datetime import datetime
    from types import SimpleNamespace

    from portal.questionnaire import load_directory
    from portal.remediation import build_plan
    from portal.scoring import score_assessment
    from portal.toolrequests import service
    from tests.factories import QUESTIONNAIRE_DIR

    questionnaire = load_directory(QUESTIONNAIRE_DIR)
    modules = questionnaire.modules_for(["water"])
    worst = {
        q.id: (
            ("yes" if q.option("yes") else q.options[0].value)
            if q.profile
            else min(q.options, key=lambda o: o.points or 0).value
        )
        for q in questionnaire.questions_in(modules)
    }
    result = score_assessment(questionnaire, modules, worst)
    plan = build_plan(questionnaire, result, sectors=["water"], ownership="public")
    assessment = SimpleNamespace(
        submitted_at=datetime(2026, 12, 1),
        overall_score=0,
        overall_tier="at_risk",
        organization=SimpleNamespace(state="OH"),  # its day on Ohio's clock
    )
    text = service.justification(questionnaire, assessment, list(plan.tools))  # type: ignore[arg-type]
    gaps = [line for line in text.splitlines() if line.startswith("- ")]
    every = {t for m in plan.tools for t in service.gap_titles(questionnaire, m)}
    assert len(every) > service.MAX_GAP_LINES
    assert len(gaps) == service.MAX_GAP_LINES + 1
    assert gaps[-1] == (
        f"- and {len(every) - service.MAX_GAP_LINES} more gaps, listed in our remediation plan"
    )


def test_the_pre_filled_email_carries_no_header_a_name_could_add(app: Flask, world: World) -> None:
    """An organization name with a line break and an address in it: the mailto link keeps it on
    one line (no "Bcc:" header), defanged, with the body's lines as RFC 6068 writes them."""
    from urllib.parse import parse_qs, unquote, urlsplit

    from portal.models import Organization

    with app.app_context():
        organization = db.session.get(Organization, world.org_a)
        assert organization is not None
        organization.name = "Acme\r\nBcc: spy@evil.example"
        db.session.commit()
    _, page, _ = form_page(app, world)
    link = page.select_one("#apply-cisa_vuln_scanning a[href^='mailto:']")["href"]
    parts = urlsplit(link)
    assert parts.path == "vulnerability@cisa.dhs.gov"
    query = parse_qs(parts.query)
    assert query["subject"] == ["Requesting Cyber Hygiene Services"]  # what CISA asks for
    assert "%0D%0ABcc" not in link and "%0ABcc" not in link
    body = query["body"][0]
    assert "Organization: Acme Bcc: spy[at]evil[.]example" in body
    assert "\r\n" in body and "\n\n" not in body.replace("\r\n", "")
    # Services taken on their page only get no email link.
    assert page.select_one("#apply-cisa_crr") is not None
    assert page.select_one("#apply-cisa_crr a[href^='mailto:']") is None
    assert unquote(link).count("@") >= 1
