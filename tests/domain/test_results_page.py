"""Where the results page writes out each part of the plan (portal/remediation/page.py, #34): each
action and each thing to find out once, at the first place that has it; every critical gap
pointing at its fix; no critical action left unwritten."""

from __future__ import annotations

import dataclasses

import pytest

from portal.questionnaire import Questionnaire, load_directory
from portal.remediation.page import ResultsPage, results_page, step_words
from portal.remediation.planner import Plan
from portal.scoring import ScoreResult
from portal.scoring.headline import critical_list
from tests.domain.operators import HOSPITAL, OPERATORS, Operator, assess
from tests.factories import QUESTIONNAIRE_DIR

# The hospital, unsure of three critical answers: its first five opens with finding out.
UNSURE_HOSPITAL = dataclasses.replace(
    HOSPITAL,
    answers={
        **HOSPITAL.answers,
        "core.offline_backups": "dont_know",
        "core.mfa_remote_email": "dont_know",
        "hospital.ehr_downtime_procedures": "dont_know",
    },
)
# A hospital that lists no products and does not know any of its critical answers (every other
# control in place): no actions yet, and more things to find out this week than five.
UNKNOWING_HOSPITAL = dataclasses.replace(
    HOSPITAL,
    products=(),
    answers={
        q.id: "dont_know"
        for q in load_directory(QUESTIONNAIRE_DIR).questions_in(("core", "hospital"))
        if q.critical
    },
)
CASES = (*OPERATORS, UNSURE_HOSPITAL, UNKNOWING_HOSPITAL)


def written(page: ResultsPage) -> list[tuple[str, object]]:
    """Every action (by rank) and thing to find out (by question) the page writes out in full."""
    out: list[tuple[str, object]] = []
    for numbered in (*page.first_five, *page.week_rest):
        step = numbered.step
        out.append(
            ("action", step.rank) if step.action is not None else ("find_out", step.question_id)
        )
    out += [("action", a.rank) for part in page.windows for a in part.shown]
    out += [("find_out", t.question_id) for t in page.find_out_rest]
    return out


def laid_out(
    questionnaire: Questionnaire, operator: Operator
) -> tuple[ScoreResult, Plan, ResultsPage]:
    result, plan = assess(questionnaire, operator)
    return result, plan, results_page(plan)


@pytest.mark.parametrize("operator", CASES, ids=lambda o: o.name.split(",")[0])
def test_each_action_is_written_out_once_and_none_critical_is_left_out(
    questionnaire: Questionnaire, operator: Operator
) -> None:
    _, plan, page = laid_out(questionnaire, operator)
    keys = written(page)
    assert len(keys) == len(set(keys))
    for part in page.windows:
        above = {
            page.step_of[("action", a.rank)]
            for a in part.actions
            if ("action", a.rank) in page.step_of
        }
        assert set(part.above.numbers) == above
        assert len(part.above.numbers) + len(part.shown) + part.more == len(part.actions)
        assert all(
            a in part.shown
            for a in part.actions
            if a.critical and ("action", a.rank) not in page.step_of
        )
    # Every thing to find out is written out: as a step or in the "find out first" list.
    assert {("find_out", t.question_id) for t in plan.find_out} <= set(keys)
    # Steps are numbered 1, 2, 3… down the page.
    numbers = [s.number for s in (*page.first_five, *page.week_rest)]
    assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.parametrize("operator", CASES, ids=lambda o: o.name.split(",")[0])
def test_every_critical_gap_points_at_its_fix(
    questionnaire: Questionnaire, operator: Operator
) -> None:
    result, _, page = laid_out(questionnaire, operator)
    items = critical_list(questionnaire, result)
    assert items or operator is UNKNOWING_HOSPITAL
    anchors = {s.anchor for s in (*page.first_five, *page.week_rest)} | {
        f"action-{a.rank}" for part in page.windows for a in part.shown
    }
    for item in items:
        pointer = page.fix_for(item)
        assert pointer is not None, item.what
        assert pointer.anchor in anchors, (item.what, pointer)


def test_the_hospitals_gaps_point_at_its_first_steps(questionnaire: Questionnaire) -> None:
    result, _, page = laid_out(questionnaire, HOSPITAL)
    by_what = {item.what: page.fix_for(item) for item in critical_list(questionnaire, result)}
    titles = {s.anchor: s.step.title for s in page.first_five}
    remote = next(p for w, p in by_what.items() if w.startswith("Is anything that attackers"))
    backup = next(p for w, p in by_what.items() if w.startswith("Do you keep offline"))
    assert remote is not None and titles[remote.anchor or ""].startswith("Close remote desktop")
    assert backup is not None and "offline" in titles[backup.anchor or ""]
    assert remote.words == f"step {remote.anchor.removeprefix('step-')} below"  # type: ignore[union-attr]


def test_with_no_actions_yet_every_unknown_is_still_a_step(questionnaire: Questionnaire) -> None:
    result, plan, page = laid_out(questionnaire, UNKNOWING_HOSPITAL)
    unknown = [g.question_id for g in result.critical_unknowns]
    assert len(unknown) > 5 and not plan.scheduled
    steps = page.unknowns(unknown)
    assert steps is not None and len(steps.numbers) == len(unknown)
    assert len(page.first_five) == 5 and len(page.week_rest) == len(unknown) - 5


def test_unknown_critical_answers_are_named_by_the_steps_that_find_them_out(
    questionnaire: Questionnaire,
) -> None:
    result, _, page = laid_out(questionnaire, UNSURE_HOSPITAL)
    unknown = [g.question_id for g in result.critical_unknowns]
    assert len(unknown) == 3
    steps = page.unknowns(unknown)
    assert steps is not None and len(steps.numbers) == 3
    by_number = {s.number: s.step for s in (*page.first_five, *page.week_rest)}
    assert {by_number[n].question_id for n in steps.numbers} == set(unknown)
    assert all(by_number[n].find_out for n in steps.numbers)
    assert page.unknowns(["core.no_such_question"]) is None


@pytest.mark.parametrize(
    ("numbers", "words"),
    [
        ((3,), "step 3"),
        ((1, 2), "steps 1 and 2"),
        ((1, 2, 3, 4, 6), "steps 1–4 and 6"),
        ((6, 1, 3, 2), "steps 1–3 and 6"),
        ((1, 3, 5), "steps 1, 3 and 5"),
        ((), ""),
    ],
)
def test_step_words(numbers: tuple[int, ...], words: str) -> None:
    assert step_words(numbers) == words
