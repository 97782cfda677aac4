"""Turn a score's gaps into a plan a one-person IT shop can follow.

Order: critical gaps first, then by risk reduced per unit of effort and cost.

The budget, in words: an *effort point* is about a day of staff time (low effort 1, medium 2,
high 4). Beside their daily work one person can give a plan about a day and a half a week: 6
points in each 30-day window (:data:`WINDOW_BUDGET`). The budget is counted from day one: what
the first window overruns is taken from the next ones, so the 90 days never hold more than 18
points unless something cannot wait. Windows are filled in order of rank; what does not fit
goes to the *backlog*, for the next plan.

- A critical gap is always due within 30 days, over budget if need be (the plan says so, and to
  get help).
- An action with ``due_within`` (EDR, say) is due no later than that window, over budget if
  need be, so it never waits behind cheaper actions.
- A sector action that ``supersedes`` a core question (the hospital's vendor-access fix covers
  every vendor) stands for both when both are gaps: one action, not two.
- A high-effort action that is neither never lands in the first 30 days: it cannot be finished
  there.
- "I don't know" answers become find-out tasks for the first 30 days instead of actions — you
  find out before you fix.

Only services (catalog entries someone grants) are offered for a tool-access request; resources
(public lists, downloads, programs with no way in) come back separately, as information.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from portal.questionnaire.model import Action, AnswerMap, Questionnaire, Tool
from portal.scoring.engine import Gap, ScoreResult

EFFORT_POINTS = {"low": 1, "medium": 2, "high": 4}
COST_POINTS = {"free": 0, "low": 1, "medium": 2, "high": 3}
WINDOW_BUDGET = {30: 6, 60: 6, 90: 6}  # effort points per window (see the module docstring)
WINDOWS = (30, 60, 90)
COST_WORDS = {
    "free": "free",
    "low": "under $1,000",
    "medium": "$1,000–$10,000",
    "high": "over $10,000",
}
FIRST_STEPS = 5  # "Your first five": the top of the results page and of the plan


@dataclass(frozen=True)
class PlannedAction:
    rank: int
    question_id: str
    priority: str
    critical: bool
    window: int | None  # 30, 60 or 90; None: the backlog (beyond what one person can do)
    action: Action
    risk_reduction: Fraction  # the gap's severity
    effort_points: int
    tools: tuple[str, ...]  # eligible catalog tools this gap qualifies the organization for
    also_closes: tuple[str, ...] = ()  # gaps of core questions this action's fix includes


@dataclass(frozen=True)
class FindOutTask:
    question_id: str
    priority: str
    critical: bool
    how_to_check: str


@dataclass(frozen=True)
class FirstStep:
    """One of "your first five": an action to take, or an unknown to find out first."""

    question_id: str
    critical: bool
    find_out: bool
    title: str
    detail: str
    action: Action | None  # None for a find-out step


@dataclass(frozen=True)
class ToolMatch:
    tool: Tool
    gap_question_ids: tuple[str, ...]
    critical: bool


@dataclass(frozen=True)
class Plan:
    actions: tuple[PlannedAction, ...]
    find_out: tuple[FindOutTask, ...]
    tools: tuple[ToolMatch, ...]  # services that can be requested, best match first
    information: tuple[ToolMatch, ...] = ()  # resources that help with the gaps: no request

    def in_window(self, window: int) -> tuple[PlannedAction, ...]:
        return tuple(a for a in self.actions if a.window == window)

    @property
    def scheduled(self) -> tuple[PlannedAction, ...]:
        return tuple(a for a in self.actions if a.window is not None)

    @property
    def backlog(self) -> tuple[PlannedAction, ...]:
        return tuple(a for a in self.actions if a.window is None)

    first_steps: tuple[FirstStep, ...] = ()  # "your first five" (see :func:`first_steps`)

    def effort_in(self, window: int) -> int:
        return sum(a.effort_points for a in self.in_window(window))

    def effort_through(self, window: int) -> int:
        """Effort of every window up to and including ``window``."""
        return sum(self.effort_in(w) for w in WINDOWS if w <= window)

    def over_budget(self, window: int) -> bool:
        """More work by the end of ``window`` than one person's budget up to then."""
        return self.effort_through(window) > budget_through(window)

    def overrun_before(self, window: int) -> int:
        """Days the earlier windows ran over, which this window's budget has to absorb."""
        earlier = [w for w in WINDOWS if w < window]
        if not earlier:
            return 0
        return max(0, self.effort_through(earlier[-1]) - budget_through(earlier[-1]))

    @property
    def effort_in_90_days(self) -> int:
        return self.effort_through(WINDOWS[-1])


def budget_through(window: int) -> int:
    """One person's budget from day one to the end of ``window``."""
    return sum(WINDOW_BUDGET[w] for w in WINDOWS if w <= window)


def spending(actions: tuple[PlannedAction, ...] | list[PlannedAction]) -> str:
    """What a set of actions costs, counted by each action's cost: "3 free · 2 under $1,000"."""
    counts = {cost: 0 for cost in COST_WORDS}
    for planned in actions:
        counts[planned.action.cost] += 1
    parts = [f"{n} {COST_WORDS[cost]}" for cost, n in counts.items() if n]
    return " · ".join(parts) if parts else "nothing"


def _cost_of(action: Action) -> int:
    return EFFORT_POINTS[action.effort] + COST_POINTS[action.cost]


def build_plan(
    questionnaire: Questionnaire,
    result: ScoreResult,
    *,
    sectors: list[str] | tuple[str, ...],
    ownership: str,
    today: date | None = None,
    answers: AnswerMap | None = None,
) -> Plan:
    """Plan the actions for ``result``'s gaps for an organization of these sectors and ownership.

    ``today`` (default: the date today): offers that ended before it (``available_until``) are
    left out. ``answers``: the profile answers some eligibility rules depend on (a rural
    hospital); without them such offers are not made.
    """
    today = today or date.today()
    open_tools = [
        t
        for t in questionnaire.tools
        if t.is_eligible(tuple(sectors), ownership, answers)
        and (t.available_until is None or t.available_until >= today)
    ]
    services = {t.id for t in open_tools if t.requestable}
    resources = {t.id for t in open_tools if not t.requestable}
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
    candidates, also_closes, critical_via = _merge_superseded(candidates)

    # Critical first; then most risk reduced per effort-and-cost point; then the id, so ties
    # always break the same way.
    candidates.sort(
        key=lambda c: (
            not (c[0].critical or c[0].question_id in critical_via),
            -(c[0].severity / _cost_of(c[1]) if _cost_of(c[1]) else c[0].severity * 2),
            c[1].effort != "low",
            c[0].question_id,
        )
    )
    spent = dict.fromkeys(WINDOWS, 0)
    actions: list[PlannedAction] = []
    for rank, (gap, action) in enumerate(candidates, start=1):
        effort = EFFORT_POINTS[action.effort]
        critical = gap.critical or gap.question_id in critical_via
        window = _window_for(critical, action, effort, spent)
        if window is not None:
            spent[window] += effort
        actions.append(
            PlannedAction(
                rank=rank,
                question_id=gap.question_id,
                priority=gap.priority,
                critical=critical,
                window=window,
                action=action,
                risk_reduction=gap.severity,
                effort_points=effort,
                tools=tuple(t for t in action.tools if t in services),
                also_closes=also_closes.get(gap.question_id, ()),
            )
        )
    return Plan(
        tuple(actions),
        tuple(find_out),
        _match_tools(questionnaire, result, services),
        _match_tools(questionnaire, result, resources),
        first_steps(questionnaire, actions, find_out),
    )


def first_steps(
    questionnaire: Questionnaire,
    actions: list[PlannedAction],
    find_out: list[FindOutTask],
) -> tuple[FirstStep, ...]:
    """The five things to do first.

    Critical unknowns lead (you find out before you fix, and finding out takes hours), then the
    actions in rank order (critical gaps lead the ranking); other unknowns fill any room left.
    """

    def unknown(task: FindOutTask) -> FirstStep:
        question = questionnaire.question(task.question_id)
        return FirstStep(
            task.question_id,
            task.critical,
            True,
            f"Find out: {question.text}",
            task.how_to_check,
            None,
        )

    steps = [unknown(t) for t in find_out if t.critical]
    steps += [
        FirstStep(a.question_id, a.critical, False, a.action.title, a.action.detail, a.action)
        for a in actions
    ]
    steps += [unknown(t) for t in find_out if not t.critical]
    return tuple(steps[:FIRST_STEPS])


def _merge_superseded(
    candidates: list[tuple[Gap, Action]],
) -> tuple[list[tuple[Gap, Action]], dict[str, tuple[str, ...]], set[str]]:
    """Drop core gaps whose fix a sector action present in the plan already includes.

    Returns the remaining candidates, the core gaps each sector action also closes, and the
    sector actions that become critical because a gap they close is.
    """
    by_id = {gap.question_id: gap for gap, _ in candidates}
    closes: dict[str, list[str]] = {}
    dropped: set[str] = set()
    for gap, action in candidates:
        for core_id in action.supersedes:
            if core_id in by_id and core_id not in dropped:
                closes.setdefault(gap.question_id, []).append(core_id)
                dropped.add(core_id)
    critical_via = {
        sector_id
        for sector_id, core_ids in closes.items()
        if any(by_id[c].critical for c in core_ids)
    }
    kept = [(gap, action) for gap, action in candidates if gap.question_id not in dropped]
    return kept, {k: tuple(v) for k, v in closes.items()}, critical_via


def _window_for(critical: bool, action: Action, effort: int, spent: dict[int, int]) -> int | None:
    """The first window ``action`` fits in, counting the budget from day one: it fits window w
    when, for w and every later window, the work scheduled up to then stays within budget."""
    if critical:
        return 30
    latest = action.due_within or WINDOWS[-1]
    for window in WINDOWS:
        if window > latest:
            break
        if window == 30 and action.effort == "high":
            continue
        if all(
            sum(spent[w] for w in WINDOWS if w <= later) + effort <= budget_through(later)
            for later in WINDOWS
            if later >= window
        ):
            return window
    if action.due_within is not None:
        return action.due_within  # due by then, whatever the budget says
    return None


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
