"""The one sentence a score leads with, on the results page and in the board summary.

An uncapped score leads with its tier's description. A capped one must not: a bank at 89 held
at "At risk" by two critical gaps is not a bank whose "basic protections are missing". Its
headline says what the total would rate, which critical gaps hold it down, and to fix those first.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.questionnaire.model import Questionnaire
from portal.scoring.engine import Gap, ScoreResult


@dataclass(frozen=True)
class Headline:
    title: str
    text: str
    capped: bool
    critical_fixes: tuple[str, ...]  # what to do about each critical gap, in words


def headline(questionnaire: Questionnaire, result: ScoreResult) -> Headline:
    tier = questionnaire.tier(result.overall_tier_id)
    fixes = critical_fixes(questionnaire, result)
    if not result.capped:
        return Headline(tier.label, tier.description, False, fixes)
    would_rate = questionnaire.tier(result.uncapped_tier_id)
    gaps = result.critical_gaps
    count = len(gaps)
    unknown_only = all(g.dont_know for g in gaps)
    held = "1 critical gap holds" if count == 1 else f"{count} critical gaps hold"
    it, they = ("it", "it is") if count == 1 else ("them", "they are")
    next_step = (
        f"Find {'it' if count == 1 else 'these'} out first: the rating rises as soon as you know "
        f"{'it is' if count == 1 else 'they are'} in place, or have closed {it}."
        if unknown_only
        else f"Fix {it} first; the rating rises as soon as {they} closed."
    )
    return Headline(
        f"{would_rate.label} on points, held at {tier.label} by {held.rsplit(' ', 1)[0]}",
        f"Your answers add up to {result.overall_score} of 100, which would rate "
        f"{would_rate.label}. But {held} the rating at {tier.label}. A critical gap is a way in "
        f"that attackers try first, or a safeguard you need to get through an attack; one is "
        f"enough to undo the rest. {next_step}",
        True,
        fixes,
    )


def critical_fixes(questionnaire: Questionnaire, result: ScoreResult) -> tuple[str, ...]:
    """What to do about the critical gaps, in words, once each: a core gap whose fix a sector
    action already includes (``supersedes``) is not listed again."""
    open_ids = {g.question_id for g in result.gaps}
    covered = {
        core_id
        for gap in result.gaps
        if not gap.dont_know
        for core_id in _supersedes(questionnaire, gap.question_id)
        if core_id in open_ids
    }
    return tuple(
        dict.fromkeys(
            _fix_for(questionnaire, gap)
            for gap in result.critical_gaps
            if gap.question_id not in covered or gap.dont_know
        )
    )


def _supersedes(questionnaire: Questionnaire, question_id: str) -> tuple[str, ...]:
    action = questionnaire.question(question_id).action
    return action.supersedes if action is not None else ()


def _fix_for(questionnaire: Questionnaire, gap: Gap) -> str:
    question = questionnaire.question(gap.question_id)
    if gap.dont_know or question.action is None:
        return f"Find out: {question.text}" if gap.dont_know else question.text
    return question.action.title
