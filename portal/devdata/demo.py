"""A demo that shows a living program (``flask seed-demo``): the demo state's organizations with
a quarter of history and every state of the review loop, so that a new user sees a coordinator's
queue, dashboard, exposure view and plans at once, and the operator logins open on results.

Each demo organization submitted a first assessment about a quarter ago, which the coordinator
accepted; its second one, better answered, stands where a real program's would:

- the hospital's is submitted, waiting for review, with a tool-access request waiting too;
- the bank's was returned with a comment on one answer (a draft again, to revise);
- the water system's and the co-op's are accepted; their requests were approved, denied and
  fulfilled, and the co-op has started its next draft.

Four more organizations of the demo state (in other counties) have one accepted assessment each,
so that the dashboard compares counties. Answers come from the dataset's answer model
(:class:`~portal.devdata.dataset.Answerer`), the maturity rising from the first assessment to
the second. Everything goes through the portal's own services (start, submit, decide, request),
as the pages would; only the dates of the first round are moved back a quarter afterwards.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from portal.assessments import lifecycle, revision
from portal.auth import service
from portal.devdata.dataset import Answerer
from portal.extensions import db
from portal.models import (
    Answer,
    Assessment,
    Organization,
    StatusChange,
    ToolRequest,
    User,
)
from portal.questionnaire_versions import current
from portal.remediation import build_plan
from portal.scoring import score_assessment
from portal.toolrequests import service as tool_requests

QUARTER = timedelta(days=95)
FIRST_MATURITY, SECOND_MATURITY = 0.30, 0.50


@dataclass(frozen=True)
class MoreOrganization:
    name: str
    sector: str
    ownership: str
    size: str
    county: str


# Accepted once, in other counties: the dashboard's counties and sectors are not one each.
MORE = (
    MoreOrganization("Oak Ridge Community Hospital", "hospital", "nonprofit", "small", "Ross"),
    MoreOrganization("Maple Valley Savings Bank", "bank", "private", "micro", "Marion"),
    MoreOrganization("River Bend Water District", "water", "public", "micro", "Scioto"),
    MoreOrganization("Prairie Rural Electric", "electric", "cooperative", "small", "Ross"),
)


def seed_program(operators: dict[str, User], coordinator: User, password: str) -> None:
    """The demo state's program, for the demo organizations whose operators are ``operators``
    (by sector). Flushes; the caller commits. Answers are drawn at random, so two of them may
    disagree (DMARC asked twice): the demo operator confirms them, as a person may."""
    for index, (sector, operator) in enumerate(sorted(operators.items())):
        organization = db.session.get(Organization, operator.organization_id)
        assert organization is not None
        first = _answered(organization, operator, FIRST_MATURITY, seed=10 + index)
        lifecycle.submit(first, operator, confirmed_clashes=lifecycle.clashes_of(first))
        lifecycle.decide(first, "accept", coordinator)
        _move_back(first, QUARTER)
        second = _answered(organization, operator, SECOND_MATURITY, seed=20 + index)
        lifecycle.submit(second, operator, confirmed_clashes=lifecycle.clashes_of(second))
        _second_round(sector, second, operator, coordinator)
    for index, more in enumerate(MORE):
        operator = service.register_organization(
            service.NewOrganization(more.name, [more.sector], more.ownership, more.size, "OH",
                                    more.county),
            f"{more.sector.title()} IT Lead",
            f"{more.sector}-{more.county.lower()}@demo.example.org",
            password,
        )  # fmt: skip
        organization = db.session.get(Organization, operator.organization_id)
        assert organization is not None
        only = _answered(organization, operator, 0.25 + 0.1 * index, seed=30 + index)
        lifecycle.submit(only, operator, confirmed_clashes=lifecycle.clashes_of(only))
        lifecycle.decide(only, "accept", coordinator)
        _move_back(only, timedelta(days=20 + 10 * index))
    db.session.flush()


def _second_round(sector: str, assessment: Assessment, operator: User, coordinator: User) -> None:
    if sector == "hospital":
        _request(assessment, operator)
    elif sector == "bank":
        question = "bank.callback_verification"
        revision.add_comment(
            assessment,
            coordinator,
            question if question in _answers_of(assessment) else None,
            "Is the call-back to a number already on file, or to the number in the request? "
            "Please check with the wire room and answer again.",
        )
        lifecycle.decide(assessment, "return", coordinator)
    else:
        lifecycle.decide(assessment, "accept", coordinator)
        request = _request(assessment, operator)
        if request is not None:
            tool_requests.decide(request, "approve", "", coordinator)
            if sector == "electric":
                tool_requests.decide(request, "fulfil", "", coordinator)
                begun = lifecycle.start(assessment.organization, operator)  # the next round
                _answer_again(begun, assessment, operator)
            else:
                denied = _request(assessment, operator)
                if denied is not None:
                    tool_requests.decide(
                        denied,
                        "deny",
                        "This year's subgrants are committed; apply again in the spring round.",
                        coordinator,
                    )


def _answered(organization: Organization, operator: User, maturity: float, seed: int) -> Assessment:
    """A draft of ``organization`` answered by the answer model at ``maturity``."""
    assessment = lifecycle.start(organization, operator)
    questionnaire = current()
    rng = random.Random(seed)  # noqa: S311 - demo answers, not secrets
    values = Answerer(questionnaire, rng).answers(tuple(assessment.modules), maturity, 1.0)
    existing = _answers_of(assessment)
    for question_id, value in values.items():
        if question_id in existing:
            existing[question_id].value = value
        else:
            db.session.add(Answer(assessment_id=assessment.id, question_id=question_id,
                                  value=value, updated_by_id=operator.id))  # fmt: skip
    db.session.flush()
    return assessment


def _answer_again(draft: Assessment, previous: Assessment, operator: User) -> None:
    """The answers a re-assessment does not pre-fill (``prefill: false``: "in the last 12
    months"), given again by the operator as last time — the begun round can be submitted."""
    given = _answers_of(draft)
    for question_id, row in _answers_of(previous).items():
        if question_id not in given:
            db.session.add(Answer(assessment_id=draft.id, question_id=question_id,
                                  value=row.value, updated_by_id=operator.id))  # fmt: skip
    db.session.flush()


def _answers_of(assessment: Assessment) -> dict[str, Answer]:
    rows = db.session.scalars(sa.select(Answer).where(Answer.assessment_id == assessment.id))
    return {row.question_id: row for row in rows}


def _request(assessment: Assessment, operator: User) -> ToolRequest | None:
    """A request for the first of the state's own services this assessment's gaps qualify for
    and that is not requested already (None when there is none)."""
    questionnaire = current()
    organization = assessment.organization
    values = {qid: row.value for qid, row in _answers_of(assessment).items()}
    result = score_assessment(questionnaire, assessment.modules, values)
    plan = build_plan(
        questionnaire,
        result,
        sectors=organization.sectors,
        ownership=organization.ownership.value,
        answers=values,
    )
    taken = tool_requests.open_requests_by_tool(organization.id)
    choices = [m for m in plan.state_services if m.tool.id not in taken]
    if not choices:
        return None
    return tool_requests.create_request(
        assessment,
        operator,
        [choices[0].tool.id],
        tool_requests.Contact(operator.full_name, operator.email, "555-0100"),
        tool_requests.justification(questionnaire, assessment, choices[:1]),
    )


def _move_back(assessment: Assessment, by: timedelta) -> None:
    """The round happened ``by`` ago: its dates, and its status history's."""
    for field in ("created_at", "submitted_at", "decided_at"):
        moment = getattr(assessment, field)
        if moment is not None:
            setattr(assessment, field, moment - by)
    # (Row by row: the stored times are a UTC type that takes datetimes, not SQL arithmetic.)
    for change in db.session.scalars(
        sa.select(StatusChange).where(StatusChange.assessment_id == assessment.id)
    ):
        change.at -= by
    for request in db.session.scalars(
        sa.select(ToolRequest).where(ToolRequest.assessment_id == assessment.id)
    ):
        request.created_at -= by
    db.session.flush()


def status_counts() -> dict[str, int]:
    """How many assessments stand in each status (what seed-demo reports)."""
    rows = db.session.execute(
        sa.select(Assessment.status, sa.func.count()).group_by(Assessment.status)
    )
    return {status.value: count for status, count in rows}
