"""The remediation planner: order, windows and tool eligibility."""

from __future__ import annotations

from portal.questionnaire import Questionnaire
from portal.remediation import build_plan
from portal.remediation.planner import WINDOW_BUDGET
from portal.scoring import score_assessment


def worst_everything(q: Questionnaire, sector: str) -> dict[str, str | None]:
    answers: dict[str, str | None] = {}
    for question in q.questions_in(q.modules_for([sector])):
        if question.profile:
            answers[question.id] = "yes" if question.option("yes") else question.options[0].value
        else:
            answers[question.id] = min(question.options, key=lambda o: o.points or 0).value
    return answers


def test_critical_first_and_in_the_first_30_days(questionnaire: Questionnaire) -> None:
    result = score_assessment(
        questionnaire,
        questionnaire.modules_for(["water"]),
        worst_everything(questionnaire, "water"),
    )
    plan = build_plan(questionnaire, result, sectors=["water"], ownership="public")
    criticals = [a for a in plan.actions if a.critical]
    assert criticals
    assert plan.actions[: len(criticals)] == tuple(criticals)
    assert all(a.window == 30 for a in criticals)
    assert [a.rank for a in plan.actions] == list(range(1, len(plan.actions) + 1))


def test_windows_fill_in_order_and_high_effort_never_lands_in_30(
    questionnaire: Questionnaire,
) -> None:
    result = score_assessment(
        questionnaire, questionnaire.modules_for(["bank"]), worst_everything(questionnaire, "bank")
    )
    plan = build_plan(questionnaire, result, sectors=["bank"], ownership="private")
    in_30 = plan.in_window(30)
    if any(not a.critical for a in in_30):
        # A non-critical action only joins the first 30 days while the budget allows.
        assert sum(a.effort_points for a in in_30) <= WINDOW_BUDGET[30]
    assert sum(a.effort_points for a in plan.in_window(60)) <= WINDOW_BUDGET[60]
    assert not any(
        a.window == 30 and a.action.effort == "high" and not a.critical for a in plan.actions
    )
    assert {a.window for a in plan.actions} <= {30, 60, 90}
    assert plan.in_window(90)


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
