"""Turn a score's gaps into a plan a one-person IT shop can follow.

Order: critical gaps first (always in the first 30 days), then by risk reduced per unit of
effort. Windows are filled greedily: the first 30 days take about :data:`WINDOW_BUDGET` [30]
effort points of the best actions, the next 30 the following, the rest go to day 90. A
high-effort action that is not critical never lands in the first 30 days: it cannot be finished
there. "I don't know" answers become find-out tasks for the first 30 days instead of actions —
you find out before you fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from portal.questionnaire.model import Action, Questionnaire, Tool
from portal.scoring.engine import Gap, ScoreResult

EFFORT_POINTS = {"low": 1, "medium": 2, "high": 4}
COST_POINTS = {"free": 0, "low": 1, "medium": 2, "high": 3}
WINDOW_BUDGET = {30: 6, 60: 10}  # effort points per window; day 90 takes the rest
WINDOWS = (30, 60, 90)


@dataclass(frozen=True)
class PlannedAction:
    rank: int
    question_id: str
    priority: str
    critical: bool
    window: int  # 30, 60 or 90
    action: Action
    risk_reduction: Fraction  # the gap's severity
    effort_points: int
    tools: tuple[str, ...]  # eligible catalog tools this gap qualifies the organization for


@dataclass(frozen=True)
class FindOutTask:
    question_id: str
    priority: str
    critical: bool
    how_to_check: str


@dataclass(frozen=True)
class ToolMatch:
    tool: Tool
    gap_question_ids: tuple[str, ...]
    critical: bool


@dataclass(frozen=True)
class Plan:
    actions: tuple[PlannedAction, ...]
    find_out: tuple[FindOutTask, ...]
    tools: tuple[ToolMatch, ...]

    def in_window(self, window: int) -> tuple[PlannedAction, ...]:
        return tuple(a for a in self.actions if a.window == window)


def _cost_of(action: Action) -> int:
    return EFFORT_POINTS[action.effort] + COST_POINTS[action.cost]


def build_plan(
    questionnaire: Questionnaire,
    result: ScoreResult,
    *,
    sectors: list[str] | tuple[str, ...],
    ownership: str,
) -> Plan:
    """Plan the actions for ``result``'s gaps for an organization of these sectors and ownership."""
    eligible = {t.id for t in questionnaire.tools if t.is_eligible(tuple(sectors), ownership)}
    find_out: list[FindOutTask] = []
    candidates: list[tuple[Gap, Action]] = []
    for gap in result.gaps:
        question = questionnaire.question(gap.question_id)
        if gap.dont_know:
            find_out.append(
                FindOutTask(gap.question_id, gap.priority, gap.critical, question.how_to_check)
            )
        elif question.action is not None:
            candidates.append((gap, question.action))

    # Critical first; then most risk reduced per effort-and-cost point; then the id, so ties
    # always break the same way.
    candidates.sort(
        key=lambda c: (
            not c[0].critical,
            -(c[0].severity / _cost_of(c[1]) if _cost_of(c[1]) else c[0].severity * 2),
            c[1].effort != "low",
            c[0].question_id,
        )
    )
    spent = {30: 0, 60: 0}
    actions: list[PlannedAction] = []
    for rank, (gap, action) in enumerate(candidates, start=1):
        effort = EFFORT_POINTS[action.effort]
        window = _window_for(gap.critical, action.effort, effort, spent)
        if window in spent:
            spent[window] += effort
        actions.append(
            PlannedAction(
                rank=rank,
                question_id=gap.question_id,
                priority=gap.priority,
                critical=gap.critical,
                window=window,
                action=action,
                risk_reduction=gap.severity,
                effort_points=effort,
                tools=tuple(t for t in action.tools if t in eligible),
            )
        )
    return Plan(tuple(actions), tuple(find_out), _match_tools(questionnaire, result, eligible))


def _window_for(critical: bool, effort_name: str, effort: int, spent: dict[int, int]) -> int:
    if critical:
        return 30
    for window in (30, 60):
        if window == 30 and effort_name == "high":
            continue
        if spent[window] + effort <= WINDOW_BUDGET[window]:
            return window
    return 90


def _match_tools(
    questionnaire: Questionnaire, result: ScoreResult, eligible: set[str]
) -> tuple[ToolMatch, ...]:
    """Catalog tools the organization may request, with the gaps each would help close."""
    gaps_by_tool: dict[str, list[Gap]] = {}
    for gap in result.gaps:
        action = questionnaire.question(gap.question_id).action
        for tool_id in action.tools if action else ():
            if tool_id in eligible:
                gaps_by_tool.setdefault(tool_id, []).append(gap)
    matches = [
        ToolMatch(
            questionnaire.tool(tool_id),
            tuple(g.question_id for g in gaps),
            any(g.critical for g in gaps),
        )
        for tool_id, gaps in gaps_by_tool.items()
    ]
    matches.sort(key=lambda m: (not m.critical, -len(m.gap_question_ids), m.tool.id))
    return tuple(matches)
