"""The headline a score leads with: a capped tier says why it is capped, never the tier's blurb."""

from __future__ import annotations

from portal.questionnaire import DONT_KNOW, Questionnaire
from portal.scoring import score_assessment
from portal.scoring.headline import headline
from tests.domain.answers import answers_for


def test_an_uncapped_score_leads_with_its_tier(questionnaire: Questionnaire) -> None:
    answers = answers_for(questionnaire, "bank", "yes")
    result = score_assessment(questionnaire, questionnaire.modules_for(["bank"]), answers)
    lead = headline(questionnaire, result)
    assert (lead.title, lead.text, lead.capped, lead.critical_fixes) == (
        "Advanced",
        questionnaire.tier("advanced").description,
        False,
        (),
    )


def test_a_bank_at_89_held_down_says_what_it_would_rate_and_what_holds_it(
    questionnaire: Questionnaire,
) -> None:
    """The expert's case: a bank scoring high, capped at "At risk" by two critical gaps, must not
    read "Basic protections are missing; an ordinary attack is likely to succeed"."""
    answers = answers_for(questionnaire, "bank", "yes")
    answers["core.mfa_remote_email"] = "no"
    answers["bank.vendor_remote_access"] = "no"
    answers["core.offline_backups"] = DONT_KNOW
    result = score_assessment(questionnaire, questionnaire.modules_for(["bank"]), answers)
    assert result.capped and result.overall_tier_id == "at_risk"
    assert result.uncapped_tier_id in {"established", "advanced"}
    lead = headline(questionnaire, result)
    assert lead.capped
    would_rate = questionnaire.tier(result.uncapped_tier_id).label
    # Two known gaps hold it at At risk; the backup answer not known is counted apart.
    assert lead.title == f"{would_rate} on points, held at At risk by 2 critical gaps"
    assert questionnaire.tier("at_risk").description not in lead.text
    assert f"add up to {result.overall_score} of 100, which would rate {would_rate}" in lead.text
    assert "2 critical gaps hold the rating at At risk" in lead.text
    assert "Fix them first" in lead.text
    assert "one is enough to undo the rest" in lead.text
    assert "1 critical answer is not known yet: find out this week" in lead.text
    mfa = questionnaire.question("core.mfa_remote_email").action
    assert mfa is not None
    assert mfa.title in lead.critical_fixes
    backups = questionnaire.question("core.offline_backups").text
    assert lead.find_out == (backups,)
    assert len(lead.critical_fixes) == 2 == len(result.critical_items) == len(lead.critical)


def test_one_critical_gap_is_singular(questionnaire: Questionnaire) -> None:
    answers = answers_for(questionnaire, "water", "yes")
    answers["core.mfa_remote_email"] = "no"
    result = score_assessment(questionnaire, questionnaire.modules_for(["water"]), answers)
    lead = headline(questionnaire, result)
    assert lead.title.endswith("held at At risk by 1 critical gap")
    assert "1 critical gap holds the rating" in lead.text and "Fix it first" in lead.text


def test_an_uncapped_score_at_the_bottom_still_names_its_critical_fixes(
    questionnaire: Questionnaire,
) -> None:
    answers = answers_for(questionnaire, "hospital", "yes")
    for question_id in answers:
        question = questionnaire.question(question_id)
        if not question.profile:
            answers[question_id] = min(question.options, key=lambda o: o.points or 0).value
    result = score_assessment(questionnaire, questionnaire.modules_for(["hospital"]), answers)
    lead = headline(questionnaire, result)
    assert not lead.capped and lead.title == "At risk"
    assert lead.text == questionnaire.tier("at_risk").description
    # 12 critical gaps, 10 fixes: the EHR and medical-device vendor fixes include the core MFA
    # and vendor-access fixes.
    assert len(result.critical_gaps) == 12 and len(lead.critical_fixes) == 10


def test_a_gap_you_are_unsure_of_says_find_out(questionnaire: Questionnaire) -> None:
    answers = answers_for(questionnaire, "water", "yes")
    answers["core.offline_backups"] = DONT_KNOW
    result = score_assessment(questionnaire, questionnaire.modules_for(["water"]), answers)
    lead = headline(questionnaire, result)
    # An unknown is not a known gap: held one tier higher (Developing, not At risk), and said.
    assert result.overall_tier_id == "developing" and not result.critical_items
    assert lead.capped and "Find out this week" in lead.text and "Fix it first" not in lead.text
    assert lead.title.endswith("held at Developing until you know 1 critical answer")
    assert "not at At risk as a known gap would hold it" in lead.text


def test_a_fix_a_sector_action_includes_is_listed_once(questionnaire: Questionnaire) -> None:
    """A hospital without MFA anywhere has two critical gaps (core MFA, EHR remote MFA) but one
    fix to make: the EHR fix covers email and every remote way in."""
    answers = answers_for(questionnaire, "hospital", "yes")
    answers["core.mfa_remote_email"] = "no"
    answers["hospital.ehr_remote_access_mfa"] = "no"
    result = score_assessment(questionnaire, questionnaire.modules_for(["hospital"]), answers)
    lead = headline(questionnaire, result)
    assert len(result.critical_gaps) == 2
    ehr = questionnaire.question("hospital.ehr_remote_access_mfa").action
    assert ehr is not None
    assert lead.critical_fixes == (ehr.title,)
