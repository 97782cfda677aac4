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
    fixes = tuple(_fix_for(questionnaire, gap) for gap in result.critical_gaps)
    if not result.capped:
        return Headline(tier.label, tier.description, False, fixes)
    would_rate = questionnaire.tier(result.uncapped_tier_id)
    count = len(fixes)
    gaps = "1 critical gap holds" if count == 1 else f"{count} critical gaps hold"
    return Headline(
        f"{would_rate.label} on points, held at {tier.label} by {gaps.rsplit(' ', 1)[0]}",
        f"Your answers add up to {result.overall_score} of 100, which would rate "
        f"{would_rate.label}. But {gaps} the rating at {tier.label}: these are the weak spots "
        f"attackers try first, so one of them is enough to get in. Fix "
        f"{'it' if count == 1 else 'them'} first; the rating rises as soon as "
        f"{'it is' if count == 1 else 'they are'} closed.",
        True,
        fixes,
    )


def _fix_for(questionnaire: Questionnaire, gap: Gap) -> str:
    question = questionnaire.question(gap.question_id)
    if gap.dont_know or question.action is None:
        return f"Find out: {question.text}" if gap.dont_know else question.text
    return question.action.title
