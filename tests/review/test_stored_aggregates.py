"""Dashboard and peer figures come from SQL over stored scores; they must equal the figures a
straightforward Python computation over each organization's latest ``score_detail`` gives."""

from __future__ import annotations

import random
import statistics
from collections import Counter

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.assessments import lifecycle, reading
from portal.auth import service as accounts
from portal.extensions import db
from portal.figures import queries as stats
from portal.models import (
    Answer,
    Assessment,
    AssessmentCriticalGap,
    AssessmentPriorityScore,
    AssessmentStatus,
    Organization,
    User,
)
from tests.factories import PASSWORD, World

COUNTIES = ("Adams", "Brown", "Clark")


def _register(app: Flask, index: int, sectors: list[str]) -> tuple[int, str]:
    with app.app_context():
        user = accounts.register_organization(
            accounts.NewOrganization(
                f"Stats Org {index}", sectors, "public", "small", "KS", COUNTIES[index % 3]
            ),
            f"Stats {index}",
            f"stats{index}@stats.example.org",
            PASSWORD,
        )
        db.session.commit()
        return user.organization_id, user.email


def _submit_random(app: Flask, org_id: int, email: str, rng: random.Random) -> int:
    with app.test_request_context():
        org = db.session.get(Organization, org_id)
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert org is not None and user is not None
        assessment = lifecycle.start(org, user)
        # A second assessment starts pre-filled from the last one: overwrite those answers.
        existing = {a.question_id: a for a in assessment.answers}
        for question in reading.questionnaire_of(assessment).questions_in(assessment.modules):
            answer = existing.get(question.id) or Answer(
                assessment_id=assessment.id, question_id=question.id, updated_by_id=user.id
            )
            answer.value = rng.choice(question.options).value
            db.session.add(answer)
        db.session.flush()
        lifecycle.submit(assessment, user, confirmed_clashes=lifecycle.clashes_of(assessment))
        db.session.commit()
        return assessment.id


def _latest_details() -> list[tuple[Organization, Assessment]]:
    """The old way: find each organization's newest submission by date, in Python."""
    newest: dict[int, tuple[Organization, Assessment]] = {}
    for assessment in db.session.scalars(
        sa.select(Assessment)
        .where(Assessment.status.in_((AssessmentStatus.SUBMITTED, AssessmentStatus.ACCEPTED)))
        .order_by(Assessment.submitted_at, Assessment.id)
    ):
        newest[assessment.organization_id] = (assessment.organization, assessment)
    return list(newest.values())


@pytest.fixture
def populated(app: Flask, world: World) -> list[int]:
    rng = random.Random(20261125)
    ids = []
    for index in range(11):
        sectors = ["hospital"] if index % 2 else ["water", "electric"]
        org_id, email = _register(app, index, sectors)
        ids.append(_submit_random(app, org_id, email, rng))
        if index % 3 == 0:  # some submit twice: only the newest may count
            ids.append(_submit_random(app, org_id, email, rng))
    return ids


def test_sql_figures_equal_a_python_reference(app: Flask, populated: list[int]) -> None:
    with app.app_context():
        from portal import questionnaire_versions

        priority_ids = [p.id for p in questionnaire_versions.current().priorities]
        latest = _latest_details()
        flagged = set(
            db.session.scalars(sa.select(Assessment.id).where(Assessment.is_latest_submission))
        )
        assert flagged == {a.id for _, a in latest}
        # Across several states the heat map has a row per (sector, state).
        by_state = stats.weakest_priorities(None, priority_ids, "state")
        assert {(r.sector, r.place) for r in by_state} == {
            (s, o.state) for o, _ in latest for s in o.sectors
        }

        by_sector: dict[str, list[int]] = {}
        for org, assessment in latest:
            for sector in org.sectors:
                by_sector.setdefault(sector, []).append(assessment.overall_score or 0)
        table = {row.sector: row for row in stats.sector_scores(None)}
        assert set(table) == set(by_sector)
        for sector, scores in by_sector.items():
            assert table[sector].organizations == len(scores)
            assert table[sector].median == round(statistics.median(scores))
            assert table[sector].bands["0-39"] == sum(1 for s in scores if s <= 39)

        heat = {(r.sector, r.place): r for r in stats.weakest_priorities(None, priority_ids)}
        cells: dict[tuple[str, str], dict[str, list[int]]] = {}
        for org, assessment in latest:
            for sector in org.sectors:
                place = cells.setdefault((sector, f"{org.county}, {org.state}"), {})
                for pid, value in (assessment.score_detail or {})["priorities"].items():
                    if isinstance(value["score"], int):
                        place.setdefault(pid, []).append(value["score"])
        assert set(heat) == set(cells)
        for key, values in cells.items():
            expected = {pid: round(statistics.fmean(values[pid])) for pid in values}
            assert {k: v for k, v in heat[key].scores.items() if v is not None} == expected

        counter: Counter[str] = Counter()
        for _, assessment in latest:
            # The known critical gaps of questions (unknowns are not gaps; products have no row).
            items = (assessment.score_detail or {})["critical_items"]
            counter.update({q for q in items if not q.startswith("product:")})
        got = stats.common_critical_gaps(None, limit=100)
        assert dict(got) == dict(counter)
        assert [n for _, n in got] == sorted((n for _, n in got), reverse=True)

        hospitals = [a for org, a in latest if "hospital" in org.sectors]
        peer = stats.peer_benchmark("hospital", priority_ids)
        assert peer is not None and peer.organizations == len(hospitals)
        assert peer.median == round(statistics.median(a.overall_score or 0 for a in hospitals))
        for pid, median in peer.priority_medians.items():
            values = [a.score_detail["priorities"][pid]["score"] for a in hospitals]  # type: ignore[index]
            assert median == round(statistics.median(v for v in values if isinstance(v, int)))


def test_latest_flag_follows_return_resubmit_and_accept(app: Flask, world: World) -> None:
    rng = random.Random(7)
    org_id, email = _register(app, 50, ["hospital"])
    first = _submit_random(app, org_id, email, rng)
    second = _submit_random(app, org_id, email, rng)

    def flagged() -> set[int]:
        with app.app_context():
            return set(
                db.session.scalars(
                    sa.select(Assessment.id).where(
                        Assessment.organization_id == org_id, Assessment.is_latest_submission
                    )
                )
            )

    assert flagged() == {second}
    with app.test_request_context():
        admin = db.session.scalar(sa.select(User).where(User.email == world.admin))
        assessment = db.session.get(Assessment, second)
        assert admin is not None and assessment is not None
        lifecycle.decide(assessment, "return", admin)
        db.session.commit()
    assert flagged() == {first}  # the returned one is a draft again: the older submission counts
    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assessment = db.session.get(Assessment, second)
        assert user is not None and assessment is not None
        lifecycle.submit(assessment, user, confirmed_clashes=lifecycle.clashes_of(assessment))
        db.session.commit()
        # Resubmitting replaces the stored score rows instead of adding a second set.
        priorities = db.session.scalar(
            sa.select(sa.func.count()).where(AssessmentPriorityScore.assessment_id == second)
        )
        gaps = db.session.scalar(
            sa.select(sa.func.count()).where(AssessmentCriticalGap.assessment_id == second)
        )
        detail = assessment.score_detail or {}
        assert priorities == sum(1 for v in detail["priorities"].values() if v["score"] is not None)
        assert gaps == len({q for q in detail["critical_items"] if not q.startswith("product:")})
    assert flagged() == {second}
    with app.test_request_context():
        admin = db.session.scalar(sa.select(User).where(User.email == world.admin))
        assessment = db.session.get(Assessment, second)
        assert admin is not None and assessment is not None
        lifecycle.decide(assessment, "accept", admin)
        db.session.commit()
    assert flagged() == {second}


def test_returning_the_only_submission_clears_the_flag_and_two_flags_are_refused(
    app: Flask, world: World
) -> None:
    from sqlalchemy.exc import IntegrityError

    rng = random.Random(11)
    org_id, email = _register(app, 51, ["water"])
    first = _submit_random(app, org_id, email, rng)
    with app.test_request_context():
        admin = db.session.scalar(sa.select(User).where(User.email == world.admin))
        assessment = db.session.get(Assessment, first)
        assert admin is not None and assessment is not None
        lifecycle.decide(assessment, "return", admin)
        db.session.commit()
        flags = sa.select(sa.func.count()).where(
            Assessment.organization_id == org_id, Assessment.is_latest_submission
        )
        assert db.session.scalar(flags) == 0  # nothing submitted any more: no latest
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user is not None
        lifecycle.submit(assessment, user, confirmed_clashes=lifecycle.clashes_of(assessment))
        db.session.commit()
        assert db.session.scalar(flags) == 1
    second = _submit_random(app, org_id, email, rng)
    with app.app_context():
        # The unique index is the safety net behind the in-transaction flag moves.
        with pytest.raises(IntegrityError):
            db.session.execute(
                sa.update(Assessment)
                .where(Assessment.id.in_((first, second)))
                .values(is_latest_submission=True)
            )
        db.session.rollback()
