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
from portal.questionnaire.words import _, ngettext
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
    points = _(
        "Your answers add up to %(score)s of 100, which would rate %(would)s.",
        score=result.overall_score,
        would=would_rate.label,
    )
    if count:
        sentences = [
            points,
            ngettext(
                "But %(num)s critical gap holds the rating at %(tier)s.",
                "But %(num)s critical gaps hold the rating at %(tier)s.",
                count,
                tier=tier.label,
            ),
            _(
                "A critical gap is a way in that attackers try first, or a safeguard you need to "
                "get through an attack; one is enough to undo the rest."
            ),
            ngettext(
                "Fix it first: the rating rises as soon as it is closed.",
                "Fix them first: the rating rises as soon as they are closed.",
                count,
            ),
        ]
        if unknowns:
            sentences.append(
                ngettext(
                    "%(num)s critical answer is not known yet: find out this week.",
                    "%(num)s critical answers are not known yet: find out this week.",
                    unknowns,
                )
            )
        return Headline(
            ngettext(
                "%(would)s on points, held at %(tier)s by %(num)s critical gap",
                "%(would)s on points, held at %(tier)s by %(num)s critical gaps",
                count,
                would=would_rate.label,
                tier=tier.label,
            ),
            " ".join(sentences),
            True,
            fixes,
            items,
            unknown,
        )
    gap_tier = questionnaire.tier(questionnaire.critical_gap_cap)
    title = ngettext(
        "%(would)s on points, held at %(tier)s until you know %(num)s critical answer",
        "%(would)s on points, held at %(tier)s until you know %(num)s critical answers",
        unknowns,
        would=would_rate.label,
        tier=tier.label,
    )
    if gap_tier.id == tier.id:  # a version published before unknowns had a cap of their own
        sentences = [
            points,
            ngettext(
                "You do not know yet, or have not checked, %(num)s critical answer, and this "
                "version of the questions holds the rating at %(tier)s until you do.",
                "You do not know yet, or have not checked, %(num)s critical answers, and this "
                "version of the questions holds the rating at %(tier)s until you do.",
                unknowns,
                tier=tier.label,
            ),
            _("Find out this week: the plan gets the fix if the answer is no."),
        ]
        return Headline(title, " ".join(sentences), True, fixes, items, unknown)
    sentences = [
        points,
        ngettext(
            "You do not know yet, or have not checked, %(num)s critical answer.",
            "You do not know yet, or have not checked, %(num)s critical answers.",
            unknowns,
        ),
        ngettext(
            "That is not a known gap, so the rating is held at %(tier)s, not at %(gap_tier)s "
            "as a known gap would hold it.",
            "Those are not known gaps, so the rating is held at %(tier)s, not at %(gap_tier)s "
            "as a known gap would hold it.",
            unknowns,
            tier=tier.label,
            gap_tier=gap_tier.label,
        ),
        ngettext(
            "Find out this week: the rating rises as soon as you know it is in place, and the "
            "plan gets the fix if it is not.",
            "Find out this week: the rating rises as soon as you know they are in place, and "
            "the plan gets the fix if they are not.",
            unknowns,
        ),
    ]
    return Headline(title, " ".join(sentences), True, fixes, items, unknown)


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
                    _("%(name)s: it faces the internet and gets no more security fixes", name=name),
                    _("Move %(name)s to a supported release, or replace it", name=name),
                )
            )
        else:
            items.append(
                CriticalItem(
                    None,
                    name,
                    _("%(name)s: flaws that attackers are using are still open on it", name=name),
                    _("Patch or replace %(name)s", name=name),
                )
            )
    return tuple(items)


def critical_fixes(questionnaire: Questionnaire, result: ScoreResult) -> tuple[str, ...]:
    """What to do about each critical gap, in words, one per gap (:func:`critical_list`)."""
    return tuple(item.fix for item in critical_list(questionnaire, result))
