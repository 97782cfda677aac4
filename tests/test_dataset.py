"""The national dataset generator, at a small size: shape, consistency with the app, usability."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.assessments import lifecycle
from portal.assessments import state as assessment_state
from portal.auth import service as accounts
from portal.devdata import dataset
from portal.extensions import db
from portal.models import (
    EDITABLE_STATUSES,
    Answer,
    Assessment,
    AssessmentPriorityScore,
    AssessmentStatus,
    InventoryItem,
    Organization,
    OrganizationSector,
    ToolRequest,
    User,
)
from tests.factories import PASSWORD
from tests.web import login


@pytest.fixture
def generated(app: Flask) -> dataset.Counts:
    with app.app_context():
        return dataset.generate(240, 1000, seed=7, chunk=100, report=lambda line: None)


def test_shape_matches_what_was_asked(app: Flask, generated: dataset.Counts) -> None:
    assert generated.organizations == 240 and generated.assessments == 1000
    with app.app_context():
        count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        assert count(Organization) == 240
        assert count(Assessment) == 1000
        assert count(Answer) == generated.answers > 1000 * 10
        assert count(ToolRequest) == generated.tool_requests > 0
        states = db.session.scalar(sa.select(sa.func.count(sa.distinct(Organization.state))))
        assert states is not None and states >= 40
        sectors = dict(
            db.session.execute(
                sa.select(OrganizationSector.sector, sa.func.count()).group_by(
                    OrganizationSector.sector
                )
            ).all()
        )
        assert sectors["water"] > sectors["bank"] > 0  # the order's population: mostly water
        # At most one open assessment per organization (the unique index would have refused).
        open_per_org = db.session.execute(
            sa.select(Assessment.organization_id, sa.func.count())
            .where(Assessment.status.in_(EDITABLE_STATUSES))
            .group_by(Assessment.organization_id)
            .having(sa.func.count() > 1)
        ).all()
        assert open_per_org == []


def test_organizations_run_products_that_match_the_catalog(
    app: Flask, generated: dataset.Counts
) -> None:
    with app.app_context():
        items = db.session.scalars(sa.select(InventoryItem)).all()
        assert len(items) == generated.inventory_items > 240 * 3
        assert {i.category for i in items} >= {"edge", "remote_support", "control_systems"}
        resolved = [i for i in items if i.family_key]
        # Most names are ones the curated families know; some (Microsoft 365) match nothing.
        assert 0.5 * len(items) < len(resolved) < len(items)
        assert {i.family_key for i in resolved} >= {"fortinet-fortios", "unitronics-vision"}
        assert all(i.match_name for i in items)


def test_rows_agree_with_what_the_app_would_store(app: Flask, generated: dataset.Counts) -> None:
    with app.test_request_context():
        submitted = list(
            db.session.scalars(
                sa.select(Assessment)
                .where(
                    Assessment.status.in_((AssessmentStatus.SUBMITTED, AssessmentStatus.ACCEPTED))
                )
                .order_by(Assessment.id)
            )
        )
        assert len(submitted) > 500
        for assessment in submitted[::25]:
            result = assessment_state.load(assessment).result  # recomputed from the answer rows
            assert result.overall_score == assessment.overall_score
            assert result.overall_tier_id == assessment.overall_tier
            assert result.unanswered == ()
            stored = dict(
                db.session.execute(
                    sa.select(
                        AssessmentPriorityScore.priority_id, AssessmentPriorityScore.score
                    ).where(AssessmentPriorityScore.assessment_id == assessment.id)
                ).all()
            )
            assert stored == {
                p.priority_id: p.score for p in result.priorities if p.score is not None
            }
        # The flag marks exactly the newest submission of every organization that submitted.
        for organization_id in {a.organization_id for a in submitted}:
            expected = db.session.scalar(sa.select(lifecycle.latest_submission_id(organization_id)))
            flagged = db.session.scalars(
                sa.select(Assessment.id).where(
                    Assessment.organization_id == organization_id, Assessment.is_latest_submission
                )
            ).all()
            assert flagged == [expected]


def test_generated_accounts_work_and_the_app_goes_on_adding_rows(
    app: Flask, generated: dataset.Counts
) -> None:
    with app.app_context():
        state = db.session.scalar(
            sa.select(Organization.state)
            .group_by(Organization.state)
            .order_by(sa.func.count().desc())
        )
        assert state is not None
    coordinator = app.test_client()
    login(coordinator, f"coordinator-{state.lower()}@{dataset.DOMAIN}", dataset.PASSWORD)
    queue = coordinator.get("/review/")
    assert queue.status_code == 200 and "Submitted:" in queue.get_data(as_text=True)
    assert coordinator.get("/review/dashboard").status_code == 200
    with app.app_context():
        # Ids were given explicitly; the sequences must have moved past them (PostgreSQL).
        user = accounts.register_organization(
            accounts.NewOrganization(
                "After Generation Water", ["water"], "public", "micro", "OH", "Pine"
            ),
            "After",
            "after@after.example.org",
            PASSWORD,
        )
        db.session.commit()
        assert user.organization_id is not None and user.organization_id > 240
        assert db.session.scalar(sa.select(sa.func.max(User.id))) == user.id
    with app.app_context(), pytest.raises(ValueError, match="already holds"):
        dataset.generate(10, 10, report=lambda line: None)


def test_the_cli_command_generates_and_refuses_in_production(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["generate-dataset", "--organizations", "20", "--assessments", "50"]
    )
    assert result.exit_code == 0, result.output
    assert "Done: 20 organizations" in result.output and "50 assessments" in result.output
    again = runner.invoke(args=["generate-dataset", "--organizations", "5", "--assessments", "5"])
    assert again.exit_code != 0 and "already holds a generated dataset" in again.output
    app.config["PORTAL_ENV"] = "production"
    try:
        refused = runner.invoke(args=["generate-dataset", "--organizations", "5"])
        assert refused.exit_code != 0 and "Refusing" in refused.output
    finally:
        app.config["PORTAL_ENV"] = "development"
