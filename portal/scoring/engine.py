"""Turn answers into scores an operator can act on.

Rules (also in questionnaires/README.md):

* A shown, scored question answered with an option earns ``weight × points / 100`` of ``weight``.
* "Not applicable" and hidden questions (show-if false) leave the denominator.
* "I don't know" earns nothing **and** becomes a find-out task; an unanswered question earns
  nothing too (a draft can be scored; submission requires every shown question answered).
* A priority's score is its earned share, 0-100. The overall score is the priority-weighted mean
  of the priorities that have anything counted. Both are rounded once, at the end, so improving
  an answer can never lower a number.
* A critical question answered below full points is a critical gap — unless the answer already
  follows the portal's advice (an option marked ``not_critical``) — and so is a product the
  organization runs with a known-exploited flaw left open where attackers reach it (passed in as
  ``product_gaps``: the KEV rule decides, portal/kev/matching.py). A critical gap caps the
  overall tier at ``critical_gap_cap``, whatever the total.
* A critical question answered "I don't know", or "we believe so, but have not checked" (an
  option marked ``unchecked``), is not yet a known gap: it caps the tier at
  ``critical_unknown_cap`` (a step above), until it is found out or checked.
* :attr:`ScoreResult.critical_items` is *the* count of critical gaps that every page shows: one
  per critical question (a core gap whose fix a sector action includes counts once, with it) and
  one per product; :attr:`ScoreResult.critical_unknowns` counts the unknowns apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Literal

from portal.questionnaire.model import DONT_KNOW, NOT_APPLICABLE, Question, Questionnaire, Tier

Status = Literal["answered", "dont_know", "not_applicable", "unanswered", "hidden"]


class InvalidAnswer(ValueError):
    """An answer that is not one of the question's choices, or names no question at all."""

    def __init__(self, question_id: str, value: str, reason: str) -> None:
        super().__init__(f"{question_id}: {value!r} {reason}")
        self.question_id = question_id
        self.value = value


@dataclass(frozen=True)
class QuestionResult:
    """How one question counted: the raw material of every explanation."""

    question_id: str
    priority: str
    status: Status
    value: str | None
    points: int | None
    weight: int
    # Kept in whole hundredths of a weight unit (weight × points): integer sums are exact and
    # far cheaper than summing Fractions, which made scoring ten times slower.
    earned_hundredths: int
    possible_hundredths: int

    @property
    def earned(self) -> Fraction:
        return Fraction(self.earned_hundredths, 100)

    @property
    def possible(self) -> Fraction:
        return Fraction(self.possible_hundredths, 100)

    @property
    def lost(self) -> Fraction:
        return Fraction(self.possible_hundredths - self.earned_hundredths, 100)


@dataclass(frozen=True)
class PriorityScore:
    priority_id: str
    score: int | None  # None when nothing in the priority applies
    tier_id: str | None
    earned: Fraction
    possible: Fraction
    results: tuple[QuestionResult, ...]

    def drivers(self, limit: int = 5) -> list[tuple[QuestionResult, int]]:
        """The answers that cost this priority the most, with the points each cost (0-100)."""
        if not self.possible:
            return []
        costly = sorted(
            (r for r in self.results if r.lost > 0), key=lambda r: (-r.lost, r.question_id)
        )
        return [(r, round(100 * r.lost / self.possible)) for r in costly[:limit]]


@dataclass(frozen=True)
class Gap:
    question_id: str
    priority: str
    critical: bool
    dont_know: bool
    unanswered: bool
    points: int
    weight: int
    severity: Fraction  # weight × missing share × the priority's weight
    # "We believe so, but have not checked" (an option marked ``unchecked``): not known to be
    # a gap, so counted with the unknowns until the check is done.
    unchecked: bool = False

    @property
    def not_known(self) -> bool:
        return self.dont_know or self.unchecked


@dataclass(frozen=True)
class ScoreResult:
    questionnaire_version: str
    overall_score: int
    overall_tier_id: str
    uncapped_tier_id: str
    capped: bool
    priorities: tuple[PriorityScore, ...]
    gaps: tuple[Gap, ...]  # most severe first; critical gaps lead
    unanswered: tuple[str, ...]
    shown_question_ids: tuple[str, ...]
    # Products with a critical known-exploited flaw open (their names), and the critical core
    # gaps a sector gap's action includes (counted once, with the sector gap).
    product_gaps: tuple[str, ...] = ()
    # Of product_gaps, those critical because their line gets no more fixes (no open flaw).
    unsupported_products: tuple[str, ...] = ()
    superseded: tuple[str, ...] = ()
    # Sector gaps that stand for a critical core gap they supersede: critical with it.
    critical_via: tuple[str, ...] = ()

    @property
    def critical_gaps(self) -> tuple[Gap, ...]:
        """Critical questions not in place: known gaps and "I don't know" alike."""
        return tuple(g for g in self.gaps if g.critical)

    @property
    def critical_questions(self) -> tuple[Gap, ...]:
        """Critical questions answered below full points (known, not superseded)."""
        return tuple(
            g
            for g in self.gaps
            if not g.not_known
            and (
                (g.critical and g.question_id not in self.superseded)
                or g.question_id in self.critical_via
            )
        )

    @property
    def critical_items(self) -> tuple[str, ...]:
        """The one count of critical gaps: question ids, then "product:<name>" items."""
        return tuple(g.question_id for g in self.critical_questions) + tuple(
            f"product:{name}" for name in self.product_gaps
        )

    @property
    def critical_unknowns(self) -> tuple[Gap, ...]:
        """Critical questions answered "I don't know" or "believed, not checked": to find out
        or check in the first week."""
        return tuple(g for g in self.gaps if g.critical and g.not_known)

    @property
    def find_out(self) -> tuple[str, ...]:
        return tuple(g.question_id for g in self.gaps if g.dont_know)

    def priority(self, priority_id: str) -> PriorityScore:
        for priority in self.priorities:
            if priority.priority_id == priority_id:
                return priority
        raise KeyError(priority_id)

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready summary (stored with a submitted assessment)."""
        return {
            "questionnaire_version": self.questionnaire_version,
            "overall_score": self.overall_score,
            "overall_tier": self.overall_tier_id,
            "uncapped_tier": self.uncapped_tier_id,
            "capped": self.capped,
            "priorities": {
                p.priority_id: {"score": p.score, "tier": p.tier_id} for p in self.priorities
            },
            "critical_gaps": [g.question_id for g in self.critical_gaps],
            "critical_items": list(self.critical_items),
            "critical_unknowns": [g.question_id for g in self.critical_unknowns],
            "gaps": [g.question_id for g in self.gaps],
            "find_out": list(self.find_out),
        }


def validate_answers(
    questionnaire: Questionnaire, module_ids: Iterable[str], answers: Mapping[str, str | None]
) -> None:
    """Raise :class:`InvalidAnswer` for any answer that is not a choice of its question."""
    in_scope = {q.id for q in questionnaire.questions_in(tuple(module_ids))}
    for question_id, value in answers.items():
        if question_id not in in_scope:
            raise InvalidAnswer(question_id, value or "", "is an answer to no question asked here")
        if value is not None and not questionnaire.question(question_id).accepts(value):
            raise InvalidAnswer(question_id, value, "is not one of the question's choices")


def score_assessment(
    questionnaire: Questionnaire,
    module_ids: Iterable[str],
    answers: Mapping[str, str | None],
) -> ScoreResult:
    """Score ``answers`` (question id → value) against the given modules. Pure and deterministic.
    The organization's products are counted afterwards (:func:`with_product_gaps`)."""
    modules = tuple(module_ids)
    validate_answers(questionnaire, modules, answers)
    by_priority: dict[str, list[QuestionResult]] = {p.id: [] for p in questionnaire.priorities}
    priority_weights = {p.id: p.weight for p in questionnaire.priorities}
    gaps: list[Gap] = []
    severity_key: dict[str, int] = {}
    unanswered: list[str] = []
    shown: list[str] = []
    for question in questionnaire.questions_in(modules):
        is_shown = question.is_shown(answers)
        value = answers.get(question.id)
        if is_shown:
            shown.append(question.id)
            if value is None:
                unanswered.append(question.id)
        if question.profile:
            continue
        result = _result_for(question, value, is_shown)
        assert question.priority is not None
        by_priority[question.priority].append(result)
        lost = result.possible_hundredths - result.earned_hundredths
        if result.status in ("answered", "dont_know", "unanswered") and lost > 0:
            priority_weight = priority_weights[question.priority]
            # Sorted by integer severity (same order as the Fraction, much cheaper to compare).
            severity_key[question.id] = lost * priority_weight
            gaps.append(
                Gap(
                    question_id=question.id,
                    priority=question.priority,
                    critical=question.critical and not _follows_advice(question, value),
                    dont_know=result.status == "dont_know",
                    unanswered=result.status == "unanswered",
                    points=result.points or 0,
                    weight=question.weight,
                    severity=Fraction(lost * priority_weight, 100),
                    unchecked=_unchecked(question, value),
                )
            )

    priority_scores = []
    weighted_sum = Fraction(0)
    weight_total = 0
    for priority in questionnaire.priorities:
        results = tuple(by_priority[priority.id])
        earned = sum(r.earned_hundredths for r in results)
        possible = sum(r.possible_hundredths for r in results)
        if possible:
            exact = Fraction(100 * earned, possible)
            score: int | None = _round(exact)
            tier_id: str | None = questionnaire.tier_for(_round(exact)).id
            weighted_sum += priority.weight * exact
            weight_total += priority.weight
        else:
            score, tier_id = None, None
        priority_scores.append(
            PriorityScore(
                priority.id,
                score,
                tier_id,
                Fraction(earned, 100),
                Fraction(possible, 100),
                results,
            )
        )

    overall = _round(weighted_sum / weight_total) if weight_total else 0
    uncapped = questionnaire.tier_for(overall)
    superseded, critical_via = _superseded(questionnaire, gaps)
    tier = _capped(questionnaire, overall, gaps, ())
    gaps.sort(key=lambda g: (not g.critical, -severity_key[g.question_id], g.question_id))
    return ScoreResult(
        questionnaire_version=questionnaire.version,
        overall_score=overall,
        overall_tier_id=tier.id,
        uncapped_tier_id=uncapped.id,
        capped=tier.id != uncapped.id,
        priorities=tuple(priority_scores),
        gaps=tuple(gaps),
        unanswered=tuple(unanswered),
        shown_question_ids=tuple(shown),
        superseded=tuple(sorted(superseded)),
        critical_via=tuple(sorted(critical_via)),
    )


def _capped(
    questionnaire: Questionnaire,
    overall: int,
    gaps: Iterable[Gap],
    products: tuple[str, ...],
) -> Tier:
    """The tier of ``overall``, held at the cap while a critical gap is open — at
    ``critical_unknown_cap`` when the only critical questions open are unknowns."""
    gaps = list(gaps)
    uncapped = questionnaire.tier_for(overall)
    known = any(g.critical and not g.not_known for g in gaps) or bool(products)
    unknown = any(g.critical and g.not_known for g in gaps)
    if not (known or unknown):
        return uncapped
    cap_id = questionnaire.critical_gap_cap if known else questionnaire.critical_unknown_cap
    cap = questionnaire.tier(cap_id or questionnaire.critical_gap_cap)
    return cap if cap.min_score < uncapped.min_score else uncapped


def with_product_gaps(
    questionnaire: Questionnaire,
    result: ScoreResult,
    product_gaps: Iterable[str],
    unsupported: Iterable[str] = (),
) -> ScoreResult:
    """``result`` with the organization's critical product gaps counted (and capping);
    ``unsupported``: those of them critical because they get no more fixes."""
    products = tuple(dict.fromkeys(product_gaps))
    if products == result.product_gaps:
        return result
    tier = _capped(questionnaire, result.overall_score, result.gaps, products)
    return replace(
        result,
        product_gaps=products,
        unsupported_products=tuple(n for n in dict.fromkeys(unsupported) if n in products),
        overall_tier_id=tier.id,
        capped=tier.id != result.uncapped_tier_id,
    )


def _unchecked(question: Question, value: str | None) -> bool:
    option = question.option(value) if value is not None else None
    return option is not None and option.unchecked


def _follows_advice(question: Question, value: str | None) -> bool:
    """The answer is below full points but already what the portal advises (``not_critical``)."""
    option = question.option(value) if value is not None else None
    return option is not None and option.not_critical


def _superseded(questionnaire: Questionnaire, gaps: list[Gap]) -> tuple[set[str], set[str]]:
    """(core gaps whose fix a sector gap's action already includes — both known gaps — and the
    sector gaps that stand for a critical one of them): counted once, with the sector gap, as
    the plan holds one action for both (portal/remediation/planner.py)."""
    by_id = {g.question_id: g for g in gaps if not g.dont_know}
    superseded: set[str] = set()
    via: set[str] = set()
    for gap in by_id.values():
        action = questionnaire.question(gap.question_id).action
        for core_id in action.supersedes if action is not None else ():
            if core_id in by_id and core_id not in superseded:
                superseded.add(core_id)
                if by_id[core_id].critical:
                    via.add(gap.question_id)
    return superseded, via


def _result_for(question: Question, value: str | None, is_shown: bool) -> QuestionResult:
    """How one question counts, in hundredths: ``weight × points`` earned of ``weight × 100``."""
    assert question.priority is not None
    full = question.weight * 100

    def result(status: Status, points: int | None, earned: int, possible: int) -> QuestionResult:
        return QuestionResult(
            question.id,
            question.priority or "",
            status,
            value,
            points,
            question.weight,
            earned,
            possible,
        )

    if not is_shown:
        return result("hidden", None, 0, 0)
    if value is None:
        return result("unanswered", 0, 0, full)
    if value == NOT_APPLICABLE:
        return result("not_applicable", None, 0, 0)
    if value == DONT_KNOW:
        return result("dont_know", 0, 0, full)
    option = question.option(value)
    assert option is not None and option.points is not None  # validated above
    return result("answered", option.points, question.weight * option.points, full)


def _round(value: Fraction) -> int:
    """Round half up, exactly (no float drift, no banker's rounding surprises)."""
    return int((value * 2 + 1) // 2)
