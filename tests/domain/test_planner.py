"""The remediation planner: order, windows and tool eligibility."""

from __future__ import annotations

from portal.questionnaire import DONT_KNOW, Questionnaire
from portal.remediation import build_plan
from portal.remediation.planner import WINDOW_BUDGET
from portal.scoring import score_assessment
from tests.domain.answers import worst_everything


def test_the_plan_follows_the_stages_and_criticals_are_due_in_30_days(
    questionnaire: Questionnaire,
) -> None:
    """questionnaires/README.md, The order of the plan: this week's quick steps first, then
    stage by stage, critical first within a stage; every critical fix is in the first window."""
    result = score_assessment(
        questionnaire,
        questionnaire.modules_for(["water"]),
        worst_everything(questionnaire, "water"),
    )
    plan = build_plan(questionnaire, result, sectors=["water"], ownership="public")
    week = [a for a in plan.actions if a.this_week]
    critical_quick = [a.rank for a in week if a.critical and a.action.quick]
    others = [a.rank for a in week if not a.critical and not a.conditional]
    assert critical_quick and max(critical_quick) < min(others, default=10**6)
    rest = [a for a in plan.actions if not a.this_week and not (a.stage == 1 and a.critical)]
    keys = [(a.stage, not a.critical) for a in rest]
    assert keys == sorted(keys)
    assert {a.stage for a in plan.actions} >= {1, 2, 3, 5}
    assert all(a.window == 30 for a in plan.actions if a.critical or a.this_week)
    assert [a.rank for a in plan.actions] == list(range(1, len(plan.actions) + 1))


def test_windows_fill_in_order_and_high_effort_never_lands_in_30(
    questionnaire: Questionnaire,
) -> None:
    # Every critical control in place (their fixes alone would fill all three windows), every
    # other one missing: the windows fill in order with what one person can do.
    answers = worst_everything(questionnaire, "bank")
    for question in questionnaire.questions_in(questionnaire.modules_for(["bank"])):
        if question.critical:
            answers[question.id] = max(question.options, key=lambda o: o.points or 0).value
    result = score_assessment(questionnaire, questionnaire.modules_for(["bank"]), answers)
    plan = build_plan(questionnaire, result, sectors=["bank"], ownership="private")
    # A window holds what one person can do; only actions that must be done by then (critical:
    # 30 days; due_within, such as EDR) may push it over its budget.
    for window in (30, 60, 90):
        budgeted = [
            a for a in plan.in_window(window) if not a.critical and a.action.due_within != window
        ]
        assert sum(a.effort_points for a in budgeted) <= WINDOW_BUDGET[window], window
    assert not any(
        a.window == 30 and a.action.effort == "high" and not a.critical for a in plan.actions
    )
    assert {a.window for a in plan.actions} <= {30, 60, 90, None}
    assert plan.in_window(90)
    # What does not fit goes to the backlog, after everything scheduled.
    assert plan.backlog
    assert plan.actions == plan.scheduled + plan.backlog or all(
        a.rank > b.rank for a in plan.backlog for b in plan.scheduled if b.window == 90
    )


def test_tools_follow_eligibility(questionnaire: Questionnaire) -> None:
    answers = worst_everything(questionnaire, "bank")
    result = score_assessment(questionnaire, questionnaire.modules_for(["bank"]), answers)
    private_bank = build_plan(questionnaire, result, sectors=["bank"], ownership="private")
    offered = {m.tool.id for m in private_bank.tools}
    assert "cisa_vuln_scanning" in offered
    # SLTT-only and other-sector services are not offered to a private bank.
    assert "ms_isac_membership" not in offered
    assert "epa_water_ta" not in offered
    for action in private_bank.actions:
        assert set(action.tools) <= offered
    for match in private_bank.tools:
        assert match.tool.is_eligible(["bank"], "private")
        assert match.gap_question_ids


def test_public_water_system_gets_water_and_sltt_services(questionnaire: Questionnaire) -> None:
    answers = worst_everything(questionnaire, "water")
    result = score_assessment(questionnaire, questionnaire.modules_for(["water"]), answers)
    plan = build_plan(questionnaire, result, sectors=["water"], ownership="public")
    offered = {m.tool.id for m in plan.tools}
    assert "epa_water_ta" in offered
    assert "csbs_rsat" not in offered


def test_plan_is_deterministic(questionnaire: Questionnaire) -> None:
    answers = worst_everything(questionnaire, "electric")
    result = score_assessment(questionnaire, questionnaire.modules_for(["electric"]), answers)
    first = build_plan(questionnaire, result, sectors=["electric"], ownership="cooperative")
    again = build_plan(questionnaire, result, sectors=["electric"], ownership="cooperative")
    assert first == again


def test_edr_is_due_within_60_days_however_many_cheaper_actions_there_are(
    questionnaire: Questionnaire,
) -> None:
    """The expert's hospital had antivirus only and got EDR last, in day 90. EDR stops
    ransomware spreading: ``due_within: 60`` puts it in the first 60 days whatever the budget."""
    answers = worst_everything(questionnaire, "hospital")
    result = score_assessment(questionnaire, questionnaire.modules_for(["hospital"]), answers)
    plan = build_plan(questionnaire, result, sectors=["hospital"], ownership="nonprofit")
    (edr,) = [a for a in plan.actions if a.question_id == "core.endpoint_protection"]
    assert edr.window in (30, 60)


def test_resources_are_information_never_offered_as_a_service(
    questionnaire: Questionnaire,
) -> None:
    """The KEV list and the Treasury clearinghouse cannot be requested: they come back as
    information, never among the services, never as the fix an action offers."""
    answers = worst_everything(questionnaire, "water")
    result = score_assessment(questionnaire, questionnaire.modules_for(["water"]), answers)
    plan = build_plan(questionnaire, result, sectors=["water"], ownership="public")
    services = {m.tool.id for m in plan.tools}
    information = {m.tool.id for m in plan.information}
    assert {"cisa_kev_catalog"} <= information
    assert not services & information
    assert all(m.tool.requestable for m in plan.tools)
    assert not any(m.tool.requestable for m in plan.information)
    for action in plan.actions:
        assert set(action.tools) <= services


def test_an_offer_that_has_ended_is_not_offered(questionnaire: Questionnaire) -> None:
    from datetime import date

    answers = worst_everything(questionnaire, "hospital")
    result = score_assessment(questionnaire, questionnaire.modules_for(["hospital"]), answers)
    before = build_plan(
        questionnaire,
        result,
        sectors=["hospital"],
        ownership="public",
        today=date(2025, 1, 1),
        answers=answers,
    )
    after = build_plan(
        questionnaire,
        result,
        sectors=["hospital"],
        ownership="public",
        today=date(2026, 12, 1),
        answers=answers,
    )
    ended = "rural_hospital_free_year"
    assert answers["hospital.rural"] == "yes"
    assert ended in {m.tool.id for m in before.tools}
    assert ended not in {m.tool.id for m in after.tools}
    # Without a date the planner uses today's: an ended offer is never made by default.
    assert ended not in {
        m.tool.id
        for m in build_plan(
            questionnaire, result, sectors=["hospital"], ownership="public", answers=answers
        ).tools
    }


def test_rural_only_offers_go_to_rural_hospitals_only(questionnaire: Questionnaire) -> None:
    answers = worst_everything(questionnaire, "hospital")
    result = score_assessment(questionnaire, questionnaire.modules_for(["hospital"]), answers)

    def offered(rural: str) -> set[str]:
        plan = build_plan(
            questionnaire,
            result,
            sectors=["hospital"],
            ownership="nonprofit",
            answers={**answers, "hospital.rural": rural},
        )
        return {m.tool.id for m in plan.tools}

    assert "rural_hospital_program" in offered("yes")
    assert "rural_hospital_program" not in offered("no")
    assert "rural_hospital_program" not in offered("dont_know")


def test_a_sector_fix_that_includes_a_core_fix_is_planned_once(
    questionnaire: Questionnaire,
) -> None:
    """The hospital's vendor-access fix covers every vendor: with both gaps open, the plan holds
    one action that also closes the core gap, and it stays critical."""
    answers = worst_everything(questionnaire, "hospital")
    result = score_assessment(questionnaire, questionnaire.modules_for(["hospital"]), answers)
    plan = build_plan(questionnaire, result, sectors=["hospital"], ownership="public")
    planned = {a.question_id: a for a in plan.actions}
    assert "core.vendor_remote_access" not in planned
    assert "core.mfa_remote_email" not in planned
    vendor = planned["hospital.device_vendor_remote_access"]
    assert vendor.also_closes == ("core.vendor_remote_access",)
    assert vendor.critical and vendor.window == 30
    assert planned["hospital.ehr_remote_access_mfa"].also_closes == ("core.mfa_remote_email",)
    # With the sector gap closed, the core gap gets its own action again.
    answers["hospital.device_vendor_remote_access"] = max(
        questionnaire.question("hospital.device_vendor_remote_access").options,
        key=lambda o: o.points or 0,
    ).value
    result = score_assessment(questionnaire, questionnaire.modules_for(["hospital"]), answers)
    plan = build_plan(questionnaire, result, sectors=["hospital"], ownership="public")
    assert "core.vendor_remote_access" in {a.question_id for a in plan.actions}


def test_what_the_first_30_days_overrun_is_taken_from_the_later_windows(
    questionnaire: Questionnaire,
) -> None:
    """The budget counts from day one: critical fixes that overrun the first window use up the
    later ones, so nothing that could wait is scheduled on top of them."""
    answers = worst_everything(questionnaire, "water")
    result = score_assessment(questionnaire, questionnaire.modules_for(["water"]), answers)
    plan = build_plan(questionnaire, result, sectors=["water"], ownership="public")
    assert plan.effort_in(30) > sum(WINDOW_BUDGET.values())  # criticals alone exceed 90 days
    assert plan.over_budget(30) and plan.over_budget(90)
    waiting = [a for a in plan.actions if a.window in (60, 90)]
    assert all(a.action.due_within is not None for a in waiting)  # only what cannot wait
    assert plan.overrun_before(60) == plan.effort_in(30) - WINDOW_BUDGET[30]


def test_the_first_steps_are_the_top_of_the_ranking(questionnaire: Questionnaire) -> None:
    answers = worst_everything(questionnaire, "bank")
    result = score_assessment(questionnaire, questionnaire.modules_for(["bank"]), answers)
    plan = build_plan(questionnaire, result, sectors=["bank"], ownership="private")
    assert len(plan.first_steps) == 5
    assert [s.question_id for s in plan.first_steps] == [a.question_id for a in plan.actions[:5]]
    assert all(s.critical and not s.find_out for s in plan.first_steps)  # criticals lead


def test_a_critical_unknown_is_found_out_this_week_before_the_fixes_of_its_stage(
    questionnaire: Questionnaire,
) -> None:
    """You find out before you fix: "don't know" on a critical control is in this week's
    block, in its stage's place (after closing what is exposed), before any fix of that stage;
    an unknown that is not critical waits behind the actions."""
    answers = worst_everything(questionnaire, "water")
    answers["core.offline_backups"] = DONT_KNOW  # critical
    answers["core.asset_inventory"] = DONT_KNOW  # not critical
    assert questionnaire.question("core.offline_backups").critical
    assert not questionnaire.question("core.asset_inventory").critical
    result = score_assessment(questionnaire, questionnaire.modules_for(["water"]), answers)
    plan = build_plan(questionnaire, result, sectors=["water"], ownership="public")
    week = list(plan.this_week)
    backups = next(s for s in week if s.question_id == "core.offline_backups")
    assert (backups.find_out, backups.action) == (True, None)
    assert backups.title.startswith("Find out: ")
    assert backups.detail == questionnaire.question("core.offline_backups").how_to_check
    before = week[: week.index(backups)]
    after = week[week.index(backups) + 1 :]
    assert all(s.stage <= 2 for s in before) and any(s.stage == 1 for s in before)
    assert all(s.stage >= 2 for s in after)
    assert "core.offline_backups" not in {a.question_id for a in plan.actions}  # no fix yet
    assert "core.asset_inventory" not in {s.question_id for s in plan.first_steps}
    assert "core.asset_inventory" not in {s.question_id for s in week}
