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

from portal.kev.exposure import ProductMatch, cisa_days
from portal.questionnaire.model import Action, AnswerMap, Questionnaire, Resource, Tool
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
    why: str | None = None  # instead of the question's "why" (a known-exploited product's)
    kev: ProductMatch | None = None  # the product and its KEV entries, for a product's action
    # A product's action: "check" (for a break-in first), "patch", "replace" (no more fixes on
    # the line it runs), "extended" (fixes only through paid extended support).
    kind: str = ""
    due_on: date | None = None  # a date from the catalog's own urgency (internet-facing KEV)


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
    exploited: tuple[ProductMatch, ...] | list[ProductMatch] = (),
) -> Plan:
    """Plan the actions for ``result``'s gaps for an organization of these sectors and ownership.

    ``today`` (default: the date today): offers that ended before it (``available_until``) are
    left out. ``answers``: the profile answers some eligibility rules depend on (a rural
    hospital); without them such offers are not made. ``exploited``: products the organization
    runs that are in CISA's KEV catalog; each becomes a patch action (see :func:`kev_action`).
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

    planned = [
        _Candidate(
            gap.question_id,
            gap.priority,
            gap.critical or gap.question_id in critical_via,
            gap.severity,
            action,
            also_closes.get(gap.question_id, ()),
        )
        for gap, action in candidates
    ]
    planned += [candidate for m in exploited for candidate in _product_candidates(m, today)]
    # Critical first, known-exploited products leading them (attackers are using those flaws
    # now); then most risk reduced per effort-and-cost point; then the id, so ties always break
    # the same way.
    planned.sort(key=_rank_key)
    spent = dict.fromkeys(WINDOWS, 0)
    actions: list[PlannedAction] = []
    for rank, item in enumerate(planned, start=1):
        effort = EFFORT_POINTS[item.action.effort]
        window = _window_for(item.critical, item.action, effort, spent)
        if window is not None:
            spent[window] += effort
        actions.append(
            PlannedAction(
                rank=rank,
                question_id=item.question_id,
                priority=item.priority,
                critical=item.critical,
                window=window,
                action=item.action,
                risk_reduction=item.severity,
                effort_points=effort,
                tools=tuple(t for t in item.action.tools if t in services),
                also_closes=item.also_closes,
                why=_kev_why(item.kev, item.kind) if item.kev else None,
                kev=item.kev,
                kind=item.kind,
                due_on=item.due_on,
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


@dataclass(frozen=True)
class _Candidate:
    question_id: str
    priority: str
    critical: bool
    severity: Fraction
    action: Action
    also_closes: tuple[str, ...] = ()
    kev: ProductMatch | None = None
    kind: str = ""
    due_on: date | None = None


_KIND_ORDER = {"check": 0, "replace": 1, "patch": 2, "extended": 3, "": 4}


def _rank_key(c: _Candidate) -> tuple[bool, bool, Fraction, bool, str, str, int]:
    cost = _cost_of(c.action)
    value = c.severity / cost if cost else c.severity * 2
    return (
        not c.critical,
        c.kev is None,
        -value,
        c.action.effort != "low",
        c.question_id,
        c.kev.product.name.lower() if c.kev else "",
        _KIND_ORDER[c.kind],
    )


# The scoring question a patch action for a known-exploited product belongs to.
KEV_QUESTION = "core.kev_internet_patched"
KEV_RESOURCE = Resource(
    "CISA Known Exploited Vulnerabilities Catalog",
    "https://www.cisa.gov/known-exploited-vulnerabilities-catalog",
)
CISA_REPORT = Resource("CISA: Report a cyber incident", "https://www.cisa.gov/report")


def _product_candidates(match: ProductMatch, today: date) -> list[_Candidate]:
    """A product's actions: a check for a break-in first where the catalog or the product's
    exposure calls for one, then either the patch or — when no fix will come on the line it
    runs — its replacement (or a move to a supported release)."""
    found: list[_Candidate] = []
    due_on = match.deadline()
    facing = match.product.internet_facing

    def add(kind: str, action: Action, critical: bool) -> None:
        found.append(
            _Candidate(
                KEV_QUESTION,
                "vulnerabilities",
                critical,
                Fraction(0),
                action,
                kev=match,
                kind=kind,
                due_on=due_on if critical else None,
            )
        )

    if match.check_first:
        add("check", check_action(match), facing)
    if match.replace:
        add("replace", replace_action(match), facing)
    elif match.open_entries:
        add("patch", kev_action(match), match.critical)
    elif match.support is not None and match.support.state == "extended":
        add("extended", extended_support_action(match), False)
    return found


def _who(match: ProductMatch) -> str:
    return "Ask your IT provider to" if match.product.managed_by_msp else "Then"


def kev_action(match: ProductMatch) -> Action:
    """Patch one product the organization runs that has open entries in CISA's KEV catalog.

    Internet-facing or ransomware-linked: critical, due by the catalog's own days for it
    (questionnaires/README.md, What is critical: known_exploited). Otherwise due within 60
    days whatever the budget: attackers are using these flaws now.
    """
    product = match.product
    entries = match.open_entries
    count = len(entries)
    flaws = "1 flaw" if count == 1 else f"{count} flaws"
    runs = (
        f"You run version {product.version}. "
        if product.version
        else ("Write down the version you run (on the product's About or status page). ")
    )
    newer = ""
    if match.support is not None and match.support.behind_latest and match.support.latest:
        newer = (
            f"A newer release of your line is out: {match.support.latest} "
            f"(as of {match.support.snapshot:%b %-d, %Y}). "
        )
    return Action(
        title=f"Patch {product.name}: {flaws} attackers are using",
        detail=(
            f"{runs}{newer}Open the vendor's advisory for each flaw (linked on the portal) and "
            "find the fixed version for your line. If you already run it, mark the flaw Fixed "
            f"on the portal. {_who(match)} install the fix or the vendor's workaround. If there "
            "is neither, take it off the internet until there is."
        ),
        effort="medium" if count > 3 else "low",
        cost="free",
        owner="vendor" if product.managed_by_msp else "it_lead",
        resources=(KEV_RESOURCE,),
        tools=("cisa_vuln_scanning",) if product.internet_facing else (),
        due_within=30 if match.critical else 60,
    )


def check_action(match: ProductMatch) -> Action:
    """Before the patch: look for signs of a break-in. A patch does not remove a backdoor that
    attackers left while the flaw was open, and several of these flaws were used before a fix
    existed."""
    product = match.product
    return Action(
        title=f"Check {product.name} for signs of a break-in before you patch",
        detail=(
            "Attackers used these flaws before fixes came out, and a patch does not remove what "
            "they left behind. Today, look at its admin accounts, its remote logins and its "
            "settings for anything you do not know. Run the vendor's check tool if the advisory "
            "names one. If something looks wrong, or you cannot tell, get help before you "
            "patch: report it to CISA (cisa.gov/report), call your state's cyber office, or the "
            "vendor. After the patch, change every password it holds and end all its sessions."
        ),
        effort="low",
        cost="free",
        owner="vendor" if product.managed_by_msp else "it_lead",
        resources=(CISA_REPORT,),
        due_within=30 if match.critical else 60,
    )


def replace_action(match: ProductMatch) -> Action:
    """No fix will come for the line the product runs: move to a supported release (firmware,
    an application) or replace it (an operating system, a server generation, a device CISA
    calls end of life). Critical when it faces the internet."""
    product = match.product
    support = match.support
    open_count = len(match.open_entries)
    flaws = (
        f" {open_count} known-exploited flaw{'s' if open_count != 1 else ''} on it will not be "
        "fixed."
        if open_count
        else ""
    )
    when = ""
    if support is not None and support.unsupported:
        when = (
            f"{support.line} stopped getting security fixes"
            + (f" on {support.ends:%b %-d, %Y}" if support.ends else "")
            + (
                f" (paid extended fixes ended {support.extended_until:%b %-d, %Y})"
                if support.extended_until
                else ""
            )
            + f", as of {support.snapshot:%b %-d, %Y}."
        )
    else:
        when = "CISA says this product is at its end of life: its maker fixes nothing more."
    supported = ""
    if support is not None and support.supported_lines:
        supported = f" Releases still supported: {', '.join(support.supported_lines[:3])}."
    cut_off = (
        " Until then, take it off the internet and keep it apart from the rest of the network."
    )
    if support is not None and support.unsupported and support.remedy == "upgrade":
        return Action(
            title=f"Move {product.name} to a supported release: no more fixes for yours",
            detail=f"{when}{flaws}{supported} An upgrade is often free with a support "
            f"contract.{cut_off}",
            effort="medium",
            cost="low",
            owner="vendor" if product.managed_by_msp else "it_lead",
            resources=(KEV_RESOURCE,),
            due_within=30 if product.internet_facing else 90,
        )
    return Action(
        title=f"Replace or cut off {product.name}: it gets no more security fixes",
        detail=f"{when}{flaws}{supported} Plan its replacement now.{cut_off}",
        effort="high",
        cost="medium",
        owner="vendor" if product.managed_by_msp else "it_lead",
        resources=(KEV_RESOURCE,),
        due_within=30 if product.internet_facing else 90,
    )


def extended_support_action(match: ProductMatch) -> Action:
    support = match.support
    assert support is not None
    until = f" until {support.extended_until:%b %-d, %Y}" if support.extended_until else ""
    return Action(
        title=f"Check that {match.product.name} still gets its paid security fixes",
        detail=(
            f"{support.line} now gets security fixes only through a paid extended support "
            f"plan{until}. Check that you pay for it and that the fixes install. Plan its "
            "replacement before the plan ends."
        ),
        effort="low",
        cost="free",
        owner="vendor" if match.product.managed_by_msp else "it_lead",
        due_within=60,
    )


def _kev_why(match: ProductMatch, kind: str) -> str:
    if kind == "replace":
        return (
            "A product that gets no fixes stays open to every flaw found from now on, and "
            "attackers keep lists of them."
        )
    if kind == "extended":
        return "Without the paid plan, no fixes arrive at all."
    reasons = ["CISA lists these flaws because attackers are using them now."]
    if match.ransomware:
        reasons.append("Ransomware gangs use at least one of them.")
    if match.product.internet_facing:
        shortest = min((cisa_days(e) for e in match.open_entries), default=0)
        reasons.append(
            "This product faces the internet, where attackers scan for it within days."
            + (
                f" CISA gives its own agencies {shortest} days for the most urgent one."
                if shortest
                else ""
            )
        )
    if kind == "check":
        reasons.append("A backdoor left behind survives the patch.")
    return " ".join(reasons)


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
