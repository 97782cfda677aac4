"""The order of the plan as an expert would sign it (issue #28, questionnaires/README.md, The
order of the plan), on the four operators the expert drove: a 25-bed rural hospital with remote
desktop port-forwarded for a vendor, no MFA on the VPN and backups only on the network; a bank
whose call-back is a habit and whose business customers approve payments with a password; a
co-op whose SCADA VPN takes a password only; a water district whose HMI is reachable through an
always-on remote tool (tests/domain/operators.py).

Before 2026.3 each of these plans opened with version-blind "Patch …" actions sorted by name,
put the hospital's remote desktop at #11, its offline backup at #15 and its VPN MFA at #16, the
bank's call-back at #6, the co-op's SCADA VPN MFA at #7, and Cyber Hygiene sign-up after 90 days
in all four.
"""

from __future__ import annotations

import re

import pytest
import textstat

from portal.questionnaire import Questionnaire
from portal.remediation.board import board_summary
from portal.scoring import score_assessment
from portal.scoring.headline import critical_list, headline
from tests.domain.answers import answers_for
from tests.domain.operators import BANK, CO_OP, HOSPITAL, OPERATORS, WATER, Operator, assess

CYBER_HYGIENE = "Sign up for CISA's free Cyber Hygiene scanning"
BREAK_IN = "Check your exposed devices for signs of a break-in as you patch"


def titles(steps: tuple) -> list[str]:  # type: ignore[type-arg]
    return [step.title for step in steps]


def test_the_hospital_closes_remote_desktop_turns_on_mfa_and_backs_up_offline_first(
    questionnaire: Questionnaire,
) -> None:
    _, plan = assess(questionnaire, HOSPITAL)
    assert titles(plan.first_steps) == [
        BREAK_IN,  # its FortiGate and Exchange face the internet
        "Close remote desktop and admin pages to the internet",
        "Require multifactor sign-in for all remote EHR and email access",  # the VPN
        "Keep an offline or immutable backup and test a full restore",
        # FortiOS 7.0 gets no more fixes and CISA gives days, not weeks: this week too.
        "Move Fortinet FortiOS (FortiGate firewall and SSL-VPN) to a supported release: no "
        "more fixes for yours",
    ]
    assert titles(plan.this_week)[:5] == titles(plan.first_steps)
    assert CYBER_HYGIENE in titles(plan.this_week)
    # Then the exposed products, by CISA's own deadline; internal patches after the controls
    # that stop the most common losses; never a "Patch" before them.
    first_patch = next(a.rank for a in plan.actions if a.kind == "patch")
    assert first_patch > 5
    exchange = next(a for a in plan.actions if a.kind == "patch" and "Exchange" in a.action.title)
    assert exchange.stage == 1 and exchange.due_on is not None and exchange.window == 30
    internal = [a for a in plan.actions if a.kind == "patch" and not a.kev.product.internet_facing]
    controls = [a for a in plan.actions if a.stage == 2]
    assert internal and controls
    assert max(a.rank for a in controls) < min(a.rank for a in internal)


def test_the_bank_checks_its_exposure_and_sets_the_payment_rules_this_week(
    questionnaire: Questionnaire,
) -> None:
    _, plan = assess(questionnaire, BANK)
    first = titles(plan.first_steps)
    # "We believe not, but have not checked from outside": the check first, with how, then
    # the fix only if the check finds something.
    assert first[0].startswith("Check: Is anything that attackers often exploit open")
    assert plan.first_steps[0].find_out and "Cyber Hygiene" in plan.first_steps[0].detail
    assert "If the check finds it: close remote desktop and admin pages to the internet" in first
    assert "Require recorded call-backs to a known number for wires and changes" in first
    assert "Require MFA for online banking admins and business payments" in first
    week = titles(plan.this_week)
    assert "Enforce dual approval and limits in wire and ACH systems" in week  # not the backlog
    assert CYBER_HYGIENE in week
    callback = next(a for a in plan.actions if a.question_id == "bank.callback_verification")
    assert callback.rank < min(a.rank for a in plan.actions if a.kind == "patch")
    # Its firewall is due in days: this week, before the quick steps that are not critical.
    asa = next(a for a in plan.actions if a.kind == "patch" and "ASA" in a.action.title)
    dual = next(a for a in plan.actions if a.question_id == "bank.payment_dual_control")
    assert asa.this_week and asa.rank < dual.rank
    # "Believed, not checked" is not reported as a known gap, to the board or anyone.
    result, _ = assess(questionnaire, BANK)
    assert "core.no_exposed_services" not in result.critical_items
    assert [g.question_id for g in result.critical_unknowns] == ["core.no_exposed_services"]
    board = board_summary(questionnaire, result, plan, sectors=["bank"])
    assert not any("reach some of our systems" in r for r in board.risks)
    assert any("stolen customer login" in r for r in board.risks)


def test_the_co_op_puts_mfa_on_its_scada_vpn_in_the_first_five(
    questionnaire: Questionnaire,
) -> None:
    _, plan = assess(questionnaire, CO_OP)
    first = titles(plan.first_steps)
    assert "Require a VPN with multifactor sign-in for all remote SCADA access" in first
    assert CYBER_HYGIENE in titles(plan.this_week)
    scada = next(a for a in plan.actions if a.question_id == "electric.remote_access_mfa")
    assert scada.critical and scada.window == 30 and scada.stage == 2 and scada.this_week
    # E-ISAC costs an electric utility nothing: it is not among the paid memberships.
    tools = {m.tool.id: m.tool for m in plan.tools}
    assert tools["e_isac"].free and "sector_isac" not in tools


def test_the_water_district_switches_off_the_always_on_remote_tool_first(
    questionnaire: Questionnaire,
) -> None:
    _, plan = assess(questionnaire, WATER)
    first = titles(plan.first_steps)
    assert first[:2] == [BREAK_IN, "Do not leave remote-control apps running on plant computers"]
    remote = next(a for a in plan.actions if a.question_id == "water.remote_tools_left_on")
    assert remote.action.detail.startswith("First save the tool's connection log")
    # The PLC's default password (the 2023 attacks on U.S. water systems) within 30 days.
    plc = next(a for a in plan.actions if a.kev is not None and "Unitronics" in a.kev.product.name)
    assert plc.action.title.startswith("Change the default password") and plc.window == 30
    assert CYBER_HYGIENE in titles(plan.this_week)
    # The system's required risk assessment and its incident plan are not left in the backlog.
    for question_id in ("water.cyber_assessment", "core.incident_plan"):
        action = next(a for a in plan.actions if a.question_id == question_id)
        assert action.window in (30, 60, 90), question_id


@pytest.mark.parametrize("operator", OPERATORS, ids=lambda o: o.sector)
def test_free_outside_checks_come_in_the_first_week_and_nothing_is_alphabetical(
    questionnaire: Questionnaire, operator: Operator
) -> None:
    _, plan = assess(questionnaire, operator)
    scan = next(a for a in plan.actions if a.action.title == CYBER_HYGIENE)
    assert scan.this_week and scan.window == 30
    # This week's critical steps lead; an exposed product due within the week before the
    # quick steps that are not critical; after this week and the exposed fixes, stage by stage.
    week = [a for a in plan.actions if a.this_week]
    assert all(
        a.rank < b.rank
        for a in week
        if a.critical and a.action.quick
        for b in week
        if not b.critical and not b.conditional
    )
    rest = [a for a in plan.actions if not a.this_week and not (a.stage == 1 and a.critical)]
    assert [a.stage for a in rest] == sorted(a.stage for a in rest)
    # Known-exploited products are ordered by exposure and exploitation, not by name.
    patches = [a for a in plan.actions if a.kind == "patch" and a.kev is not None]
    exposure = [(not a.kev.product.internet_facing, not a.kev.ransomware) for a in patches]
    stage_of = [a.stage for a in patches]
    assert stage_of == sorted(stage_of)
    assert all(
        exposure[i] <= exposure[i + 1]
        for i in range(len(patches) - 1)
        if stage_of[i] == stage_of[i + 1]
    )


@pytest.mark.parametrize("operator", OPERATORS, ids=lambda o: o.sector)
def test_one_count_of_critical_gaps(questionnaire: Questionnaire, operator: Operator) -> None:
    """The results page, the plan and the board summary all show len(critical_items)."""
    result, plan = assess(questionnaire, operator)
    lead = headline(questionnaire, result)
    board = board_summary(questionnaire, result, plan)
    count = len(result.critical_items)
    assert count == len(critical_list(questionnaire, result)) == len(lead.critical)
    assert count == board.critical_count == len(lead.critical_fixes)
    assert f"by {count} critical gap" in lead.title


def test_answers_that_follow_the_portal_s_advice_are_not_critical(
    questionnaire: Questionnaire,
) -> None:
    """A remote tool switched on only when needed is the plan's own advice: full points. Vendor
    access with MFA and logging that stays on costs points but holds nothing at the bottom."""
    answers = answers_for(questionnaire, "water", "yes")
    answers["water.remote_tools_left_on"] = "on_demand"
    result = score_assessment(questionnaire, questionnaire.modules_for(["water"]), answers)
    assert result.overall_score == 100 and not result.gaps and not result.capped
    for sector, question_id in (
        ("hospital", "hospital.device_vendor_remote_access"),
        ("bank", "core.vendor_remote_access"),
        ("electric", "electric.vendor_remote_access"),
    ):
        answers = answers_for(questionnaire, sector, "yes")
        answers[question_id] = "always_on_mfa"
        result = score_assessment(questionnaire, questionnaire.modules_for([sector]), answers)
        assert [g.question_id for g in result.gaps] == [question_id], sector
        assert not result.critical_items and not result.capped, sector
    # The option that does not follow it is still critical.
    answers = answers_for(questionnaire, "water", "yes")
    answers["water.remote_tools_left_on"] = "yes"
    result = score_assessment(questionnaire, questionnaire.modules_for(["water"]), answers)
    assert result.critical_items == ("water.remote_tools_left_on",)


def test_an_unknown_on_a_critical_question_is_told_apart_from_a_known_gap(
    questionnaire: Questionnaire,
) -> None:
    """The co-op at 97 with one "I don't know" (does the MSP's remote access use MFA?) is not put
    beside organizations with remote desktop open to the internet: Developing, not At risk,
    with a find-out step in this week."""
    from portal.remediation import build_plan

    answers = answers_for(questionnaire, "electric", "yes")
    answers["core.msp_access"] = "dont_know"
    result = score_assessment(questionnaire, questionnaire.modules_for(["electric"]), answers)
    assert result.overall_score >= 97
    assert result.overall_tier_id == "developing" and not result.critical_items
    assert [g.question_id for g in result.critical_unknowns] == ["core.msp_access"]
    plan = build_plan(questionnaire, result, sectors=["electric"], ownership="cooperative")
    assert plan.this_week[0].find_out and plan.this_week[0].question_id == "core.msp_access"
    # A known gap on the same question holds it at the bottom.
    answers["core.msp_access"] = "no"
    known = score_assessment(questionnaire, questionnaire.modules_for(["electric"]), answers)
    assert known.overall_tier_id == "at_risk"


@pytest.mark.parametrize("operator", OPERATORS, ids=lambda o: o.sector)
def test_the_board_summary_reads_at_grade_9_or_below(
    questionnaire: Questionnaire, operator: Operator
) -> None:
    """The portal's own words in the board summary: the three risks, the decisions (the names
    of actions and services they quote set aside), what was done, the headline."""
    result, plan = assess(questionnaire, operator)
    board = board_summary(questionnaire, result, plan)
    lead = headline(questionnaire, result)
    assert len(board.risks) == 3
    texts = list(board.risks) + list(board.done) + [lead.text]
    texts += [re.sub(r":.*", ".", decision) for decision in board.decisions]
    too_hard = [
        f"{textstat.flesch_kincaid_grade(t):.1f} {t}"
        for t in texts
        if textstat.flesch_kincaid_grade(t) > 9.0
    ]
    assert not too_hard, "\n".join(too_hard)
    # In the board's terms: staff days and a budget line in dollars.
    assert board.staff_days > 0
    assert "$" in board.budget.words()
    assert any(d.startswith("Approve a budget of $") for d in board.decisions)
