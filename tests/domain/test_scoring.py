"""Scoring rules, one at a time, and the properties that must hold for any answers."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.questionnaire import DONT_KNOW, NOT_APPLICABLE, Questionnaire, load_directory
from portal.questionnaire.model import Question
from portal.scoring import InvalidAnswer, score_assessment
from tests.factories import QUESTIONNAIRE_DIR

SECTORS = ["hospital", "bank", "water", "electric"]
# Loaded once for the property tests (hypothesis does not mix with function-scoped fixtures).
QUESTIONNAIRE = load_directory(QUESTIONNAIRE_DIR)


def best(question: Question) -> str:
    return max(question.options, key=lambda o: o.points or 0).value


def worst(question: Question) -> str:
    return min(question.options, key=lambda o: o.points or 0).value


def all_best(q: Questionnaire, modules: tuple[str, ...]) -> dict[str, str | None]:
    answers: dict[str, str | None] = {}
    for question in q.questions_in(modules):
        answers[question.id] = (
            "yes"
            if question.profile and question.option("yes")
            else (question.options[0].value if question.profile else best(question))
        )
    return answers


def test_invalid_answer_is_an_error_not_a_zero(questionnaire: Questionnaire) -> None:
    modules = questionnaire.modules_for(["bank"])
    with pytest.raises(InvalidAnswer, match=r"core\.security_lead: 'sometimes' is not one of"):
        score_assessment(questionnaire, modules, {"core.security_lead": "sometimes"})
    with pytest.raises(InvalidAnswer, match="no question asked here"):
        score_assessment(questionnaire, modules, {"water.manual_operation": "practised"})
    with pytest.raises(InvalidAnswer, match="not one of"):  # N/A where it is not offered
        score_assessment(questionnaire, modules, {"core.security_lead": NOT_APPLICABLE})


def test_na_leaves_the_denominator(questionnaire: Questionnaire) -> None:
    modules = questionnaire.modules_for(["water"])
    answers = all_best(questionnaire, modules)
    answers["core.guest_wifi"] = worst(questionnaire.question("core.guest_wifi"))
    priority = questionnaire.question("core.guest_wifi").priority
    assert priority is not None
    with_gap = score_assessment(questionnaire, modules, answers)
    answers["core.guest_wifi"] = NOT_APPLICABLE
    with_na = score_assessment(questionnaire, modules, answers)
    assert with_gap.priority(priority).score is not None
    assert with_gap.priority(priority).score < 100
    assert with_na.priority(priority).score == 100
    assert (
        with_na.priority(priority).possible
        == with_gap.priority(priority).possible - questionnaire.question("core.guest_wifi").weight
    )


def test_dont_know_scores_zero_and_becomes_a_find_out_task(questionnaire: Questionnaire) -> None:
    modules = questionnaire.modules_for(["hospital"])
    answers = all_best(questionnaire, modules)
    answers["core.security_lead"] = DONT_KNOW
    result = score_assessment(questionnaire, modules, answers)
    answers["core.security_lead"] = worst(questionnaire.question("core.security_lead"))
    as_no = score_assessment(questionnaire, modules, answers)
    assert result.priority("workforce").score == as_no.priority("workforce").score
    assert result.find_out == ("core.security_lead",)
    assert as_no.find_out == ()


def test_hidden_questions_do_not_count(questionnaire: Questionnaire) -> None:
    modules = questionnaire.modules_for(["water"])
    answers = all_best(questionnaire, modules)
    answers["core.runs_ot"] = "no"
    for question in questionnaire.questions_in(modules):
        if question.show_if and not question.is_shown(answers):
            answers[question.id] = worst(question)  # stale answers from before the change
    result = score_assessment(questionnaire, modules, answers)
    assert "water.scada_internet_exposure" not in result.shown_question_ids
    assert result.overall_score == 100
    assert result.gaps == ()


def test_unanswered_profile_question_shows_its_dependants(questionnaire: Questionnaire) -> None:
    question = questionnaire.question("water.scada_internet_exposure")
    assert question.is_shown({})
    assert question.is_shown({"core.runs_ot": DONT_KNOW})
    assert not question.is_shown({"core.runs_ot": "no"})


def test_unanswered_counts_as_not_in_place_and_is_listed(questionnaire: Questionnaire) -> None:
    modules = questionnaire.modules_for(["bank"])
    result = score_assessment(questionnaire, modules, {})
    assert result.overall_score == 0
    assert set(result.unanswered) == set(result.shown_question_ids)
    assert result.overall_tier_id == "at_risk"


def test_critical_gap_caps_the_tier(questionnaire: Questionnaire) -> None:
    modules = questionnaire.modules_for(["electric"])
    answers = all_best(questionnaire, modules)
    answers["core.offline_backups"] = worst(questionnaire.question("core.offline_backups"))
    result = score_assessment(questionnaire, modules, answers)
    assert result.overall_score >= 90
    assert result.uncapped_tier_id == "advanced"
    assert result.overall_tier_id == "at_risk"
    assert result.capped
    assert [g.question_id for g in result.critical_gaps] == ["core.offline_backups"]
    assert result.gaps[0].question_id == "core.offline_backups"


def test_explanation_names_the_answers_that_cost_points(questionnaire: Questionnaire) -> None:
    modules = questionnaire.modules_for(["hospital"])
    answers = all_best(questionnaire, modules)
    answers["core.mfa_remote_email"] = "no"
    answers["core.offboarding"] = worst(questionnaire.question("core.offboarding"))
    access = score_assessment(questionnaire, modules, answers).priority("access")
    drivers = access.drivers()
    assert {r.question_id for r, _ in drivers} == {"core.mfa_remote_email", "core.offboarding"}
    assert all(cost > 0 for _, cost in drivers)
    assert sum(cost for _, cost in drivers) in range(
        100 - (access.score or 0) - 1, 100 - (access.score or 0) + 2
    )


# --- properties --------------------------------------------------------------------------


@st.composite
def answer_sets(draw: st.DrawFn) -> tuple[tuple[str, ...], dict[str, str | None]]:
    questionnaire = QUESTIONNAIRE
    sector = draw(st.sampled_from(SECTORS))
    modules = questionnaire.modules_for([sector])
    answers: dict[str, str | None] = {}
    for question in questionnaire.questions_in(modules):
        choices: list[str | None] = [*question.choices(), None]
        answers[question.id] = draw(st.sampled_from(choices))
    return modules, answers


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(answer_sets())
def test_scores_stay_between_0_and_100(case: tuple[tuple[str, ...], dict[str, str | None]]) -> None:
    modules, answers = case
    result = score_assessment(QUESTIONNAIRE, modules, answers)
    assert 0 <= result.overall_score <= 100
    for priority in result.priorities:
        assert priority.score is None or 0 <= priority.score <= 100


@PROPERTY_SETTINGS
@given(answer_sets(), st.data())
def test_improving_an_answer_never_lowers_a_score(
    case: tuple[tuple[str, ...], dict[str, str | None]], data: st.DataObject
) -> None:
    modules, answers = case
    q = QUESTIONNAIRE
    before = score_assessment(q, modules, answers)
    candidates = [
        x
        for x in q.questions_in(modules)
        if x.scored and x.id in before.shown_question_ids and answers.get(x.id) != NOT_APPLICABLE
    ]
    question = data.draw(st.sampled_from(candidates))
    current = question.option(answers.get(question.id) or "")
    current_points = current.points if current and current.points is not None else 0
    better = [o.value for o in question.options if (o.points or 0) > current_points]
    if not better:
        return
    answers[question.id] = data.draw(st.sampled_from(better))
    after = score_assessment(q, modules, answers)
    assert after.overall_score >= before.overall_score
    for b, a in zip(before.priorities, after.priorities, strict=True):
        assert (a.score or 0) >= (b.score or 0)
    assert len(after.critical_gaps) <= len(before.critical_gaps)


@PROPERTY_SETTINGS
@given(answer_sets(), st.data())
def test_na_never_lowers_a_score_compared_with_not_in_place(
    case: tuple[tuple[str, ...], dict[str, str | None]], data: st.DataObject
) -> None:
    modules, answers = case
    q = QUESTIONNAIRE
    allowing = [x for x in q.questions_in(modules) if x.allows_na]
    question = data.draw(st.sampled_from(allowing))
    answers[question.id] = data.draw(st.sampled_from([worst(question), DONT_KNOW, None]))
    not_in_place = score_assessment(q, modules, answers)
    answers[question.id] = NOT_APPLICABLE
    not_applicable = score_assessment(q, modules, answers)
    assert not_applicable.overall_score >= not_in_place.overall_score


@PROPERTY_SETTINGS
@given(answer_sets())
def test_a_critical_gap_always_caps_the_tier(
    case: tuple[tuple[str, ...], dict[str, str | None]],
) -> None:
    modules, answers = case
    q = QUESTIONNAIRE
    result = score_assessment(q, modules, answers)
    cap = q.tier(q.critical_gap_cap)
    if result.critical_gaps:
        assert q.tier(result.overall_tier_id).min_score <= cap.min_score
    else:
        assert result.overall_tier_id == q.tier_for(result.overall_score).id


@PROPERTY_SETTINGS
@given(answer_sets())
def test_scoring_is_deterministic(case: tuple[tuple[str, ...], dict[str, str | None]]) -> None:
    modules, answers = case
    q = QUESTIONNAIRE
    first = score_assessment(q, modules, answers)
    reordered = dict(reversed(list(answers.items())))
    assert score_assessment(q, modules, reordered) == first
    assert score_assessment(q, modules, answers).as_dict() == first.as_dict()
