"""The one sentence a score leads with, on the results page and in the board summary.

An uncapped score leads with its tier's description. A capped one must not: a bank at 89 held
at "At risk" by two critical gaps is not a bank whose "basic protections are missing". Its
headline says what the total would rate, which critical gaps hold it down, and to fix those first.
An "I don't know" on a critical question is not a known gap (questionnaires/README.md, What is
critical): alone, it holds the rating a tier higher, and the headline says to find out.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.questionnaire.model import Questionnaire
from portal.questionnaire.words import plural
from portal.scoring.engine import ScoreResult


@dataclass(frozen=True)
class CriticalItem:
    """One critical gap as every surface lists it: a critical question answered below full
    points (counted once with the sector action that includes it), or a product with a
    known-exploited flaw open where attackers reach it."""

    question_id: str | None  # None for a product
    product: str | None  # the product's name, for a product
    what: str  # what is wrong, in the question's or the product's words
    fix: str  # what to do about it


@dataclass(frozen=True)
class Headline:
    title: str
    text: str
    capped: bool
    critical_fixes: tuple[str, ...]  # what to do about each critical gap, in words, one each
    critical: tuple[CriticalItem, ...] = ()  # the critical gaps (their count is *the* count)
    find_out: tuple[str, ...] = ()  # critical questions answered "I don't know", in words


def headline(questionnaire: Questionnaire, result: ScoreResult) -> Headline:
    tier = questionnaire.tier(result.overall_tier_id)
    items = critical_list(questionnaire, result)
    fixes = tuple(item.fix for item in items)
    unknown = tuple(questionnaire.question(g.question_id).text for g in result.critical_unknowns)
    if not result.capped:
        return Headline(tier.label, tier.description, False, fixes, items, unknown)
    would_rate = questionnaire.tier(result.uncapped_tier_id)
    count, unknowns = len(items), len(unknown)
    points = (
        f"Your answers add up to {result.overall_score} of 100, which would rate "
        f"{would_rate.label}."
    )
    if count:
        held = plural(count, "critical gap")
        verb = "holds" if count == 1 else "hold"
        also = (
            f" {plural(unknowns, 'critical answer')} {'is' if unknowns == 1 else 'are'} not "
            "known yet: find out this week."
            if unknowns
            else ""
        )
        return Headline(
            f"{would_rate.label} on points, held at {tier.label} by {held}",
            f"{points} But {held} {verb} the rating at {tier.label}. A critical gap is a way "
            "in that attackers try first, or a safeguard you need to get through an attack; "
            f"one is enough to undo the rest. Fix {'it' if count == 1 else 'them'} first: the "
            f"rating rises as soon as {'it is' if count == 1 else 'they are'} closed.{also}",
            True,
            fixes,
            items,
            unknown,
        )
    gap_tier = questionnaire.tier(questionnaire.critical_gap_cap)
    answers = plural(unknowns, "critical answer")
    if gap_tier.id == tier.id:  # a version published before unknowns had a cap of their own
        return Headline(
            f"{would_rate.label} on points, held at {tier.label} until you know {answers}",
            f"{points} You do not know yet, or have not checked, {answers}, and this version "
            f"of the questions holds the rating at {tier.label} until you do. Find out this "
            "week: the plan gets the fix if the answer is no.",
            True,
            fixes,
            items,
            unknown,
        )
    return Headline(
        f"{would_rate.label} on points, held at {tier.label} until you know {answers}",
        f"{points} You do not know yet, or have not checked, {answers}. "
        f"{'That is not a known gap' if unknowns == 1 else 'Those are not known gaps'}, so "
        f"the rating is held at {tier.label}, not at {gap_tier.label} as a known gap would "
        "hold it. Find out this week: the rating rises as soon as you know "
        f"{'it is' if unknowns == 1 else 'they are'} in place, and the plan gets the fix if "
        f"{'it is' if unknowns == 1 else 'they are'} not.",
        True,
        fixes,
        items,
        unknown,
    )


def critical_list(questionnaire: Questionnaire, result: ScoreResult) -> tuple[CriticalItem, ...]:
    """The critical gaps, one item each, in the order of :attr:`ScoreResult.critical_items`:
    its length is the count every page, the plan and the board summary show."""
    items = []
    for gap in result.critical_questions:
        question = questionnaire.question(gap.question_id)
        fix = question.action.title if question.action is not None else question.text
        items.append(CriticalItem(gap.question_id, None, question.text, fix))
    for name in result.product_gaps:
        if name in result.unsupported_products:
            items.append(
                CriticalItem(
                    None,
                    name,
                    f"{name}: it faces the internet and gets no more security fixes",
                    f"Move {name} to a supported release, or replace it",
                )
            )
        else:
            items.append(
                CriticalItem(
                    None,
                    name,
                    f"{name}: flaws that attackers are using are still open on it",
                    f"Patch or replace {name}",
                )
            )
    return tuple(items)


def critical_fixes(questionnaire: Questionnaire, result: ScoreResult) -> tuple[str, ...]:
    """What to do about each critical gap, in words, one per gap (:func:`critical_list`)."""
    return tuple(item.fix for item in critical_list(questionnaire, result))
