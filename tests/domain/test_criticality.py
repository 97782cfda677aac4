"""What is critical follows one written rule (questionnaires/README.md, "What is critical"),
applied across all modules: a test per part of the rule, with the cases the expert named."""

from __future__ import annotations

import re

import pytest

from portal.questionnaire import Questionnaire
from portal.questionnaire.model import CRITICAL_RULES
from portal.remediation import build_plan
from portal.scoring import score_assessment
from tests.factories import QUESTIONNAIRE_DIR

# Each part of the rule, with questions it must cover (the expert's cases among them).
RULE_CASES = {
    "internet_exposure": [
        "core.no_exposed_services",
        # Control equipment or medical devices reachable from the internet (the 2023 attacks on
        # internet-exposed Unitronics PLCs at water systems).
        "core.ot_not_on_internet",
        "water.scada_internet_exposure",
        "electric.scada_internet_exposure",
        "water.cellular_modems",
    ],
    "remote_access_without_mfa": [
        "core.mfa_remote_email",
        "core.vendor_remote_access",
        "core.msp_access",
        # Direct remote access to SCADA without a VPN and MFA.
        "water.remote_access_mfa",
        "electric.remote_access_mfa",
        "water.remote_tools_left_on",
        "electric.vendor_remote_access",
        "hospital.device_vendor_remote_access",
        "hospital.ehr_remote_access_mfa",
        "bank.vendor_remote_access",
    ],
    "known_exploited": ["core.kev_internet_patched"],
    "default_or_orphan_credentials": [
        "core.default_passwords",
        "core.offboarding",
        "water.plc_default_passwords",
        "electric.field_default_passwords",
    ],
    "cannot_recover": [
        "core.offline_backups",
        "water.manual_operation",
        "electric.manual_operation",
        "hospital.ehr_downtime_procedures",
    ],
    "fraud_path": ["bank.callback_verification", "bank.online_banking_admin_mfa"],
}


def test_the_rule_is_written_down_part_by_part() -> None:
    readme = (QUESTIONNAIRE_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What is critical", 1)[1].split("\n## ", 1)[0]
    for rule in CRITICAL_RULES:
        assert f"`{rule}`" in section, rule
    assert set(RULE_CASES) == set(CRITICAL_RULES)


@pytest.mark.parametrize("rule", sorted(CRITICAL_RULES))
def test_each_part_of_the_rule_makes_its_questions_critical(
    questionnaire: Questionnaire, rule: str
) -> None:
    for question_id in RULE_CASES[rule]:
        question = questionnaire.question(question_id)
        assert question.critical, question_id
        assert question.critical_rule == rule, question_id


def test_every_critical_question_names_its_rule_and_no_other_is_critical(
    questionnaire: Questionnaire,
) -> None:
    named = {qid for ids in RULE_CASES.values() for qid in ids}
    critical = {q.id for m in questionnaire.modules for q in m.questions() if q.critical}
    assert critical == named


def test_questions_about_internet_reachable_equipment_are_all_critical(
    questionnaire: Questionnaire,
) -> None:
    """The rule applied by reading, not only by list: a question asking whether control or
    plant equipment can be reached from the internet is critical wherever it is asked."""
    pattern = re.compile(r"(reach(ed|able)?|off the open) .*internet|from the internet", re.I)
    for module in questionnaire.modules:
        for question in module.questions():
            if question.profile or not pattern.search(question.text):
                continue
            if re.search(r"SCADA|PLC|HMI|control|medical|relay|RTU|modem", question.text):
                assert question.critical, question.id


@pytest.mark.parametrize("sector", ["hospital", "bank", "water", "electric"])
def test_every_critical_gap_is_due_in_the_first_30_days(
    questionnaire: Questionnaire, sector: str
) -> None:
    answers: dict[str, str | None] = {}
    for question in questionnaire.questions_in(questionnaire.modules_for([sector])):
        if question.profile:
            answers[question.id] = "yes" if question.option("yes") else question.options[0].value
        else:
            answers[question.id] = min(question.options, key=lambda o: o.points or 0).value
    result = score_assessment(questionnaire, questionnaire.modules_for([sector]), answers)
    plan = build_plan(questionnaire, result, sectors=[sector], ownership="public")
    critical = [a for a in plan.actions if a.critical]
    assert critical and all(a.window == 30 for a in critical)
