"""Turn a score's gaps into a plan a one-person IT shop can follow, in the order an expert would
take them (questionnaires/README.md, The order of the plan):

1. **Stop active exposure today**: what attackers can reach from the internet — remote desktop,
   admin pages, control systems — and internet-facing products with known-exploited flaws (a
   check for a break-in first, then the patch or the replacement).
2. **The few controls that stop the sector's most frequent losses**: MFA on remote access and
   email, a backup attackers cannot reach; for banks the payment call-back, dual control and MFA
   for payment approval; for water and electric the remote path to the HMI or SCADA.
3. **Free outside checks that show what you don't know**: CISA's Cyber Hygiene scanning first.
4. **Patch hygiene**: known-exploited flaws on products not facing the internet, by ransomware
   use and how recently attackers turned to them — not by name.
5. **The rest**, by risk reduced per effort and cost.

A question's stage comes from its critical rule (:data:`RULE_STAGE`) unless its file says
otherwise (``stage``). Within a stage: critical first, then quick (``quick``: measured in
hours), then an earlier catalog deadline, then most risk reduced per effort-and-cost point.
**This week** holds the quick steps of stages 1 to 3 (at most :data:`THIS_WEEK`), and the
critical unknowns and unchecked answers to find out first — you find out before you fix; an
answer "we believe so, but have not checked" gets a check step (with how) and its fix is marked
as depending on what the check finds.

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

Only services (catalog entries someone grants) are offered for a tool-access request; resources
(public lists, downloads, programs with no way in) come back separately, as information.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from fractions import Fraction

from portal.kev.lifecycle import SupportStatus
from portal.kev.matching import MAX_DAYS, ProductMatch, cisa_days, is_known_password
from portal.questionnaire import words
from portal.questionnaire.model import Action, AnswerMap, Question, Questionnaire, Resource, Tool
from portal.questionnaire.words import N_, _, ngettext
from portal.scoring.engine import Gap, ScoreResult

EFFORT_POINTS = {"low": 1, "medium": 2, "high": 4}
COST_POINTS = {"free": 0, "low": 1, "medium": 2, "high": 3}
WINDOW_BUDGET = {30: 6, 60: 6, 90: 6}  # effort points per window (see the module docstring)
WINDOWS = (30, 60, 90)
FIRST_STEPS = 5  # "Your first five": the top of the results page and of the plan
THIS_WEEK = 7  # actions in "This week" at most (each is hours, not days)
DUE_SOON_DAYS = 7  # an exposed product due within a week is patched this week
# A critical question's stage from the part of the criticality rule it falls under.
RULE_STAGE = {
    "internet_exposure": 1,
    "remote_access_without_mfa": 2,
    "cannot_recover": 2,
    "fraud_path": 2,
    "default_or_orphan_credentials": 2,
    "known_exploited": 4,  # the routine; the products themselves are planned one by one
}


def stage_of(question: Question) -> int:
    """The plan stage of a question's fix (see the module docstring)."""
    if question.stage is not None:
        return question.stage
    rule = question.critical_rule
    if question.critical and rule is not None and rule in RULE_STAGE:
        return RULE_STAGE[rule]
    return 5


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
    stage: int = 5  # 1-5, see the module docstring
    this_week: bool = False
    conditional: bool = False  # the fix of an unchecked answer: only if the check finds it
    products: tuple[ProductMatch, ...] = ()  # the break-in check: every product it covers


@dataclass(frozen=True)
class FindOutTask:
    question_id: str
    priority: str
    critical: bool
    how_to_check: str
    stage: int = 5
    unchecked: bool = False  # "believed, not checked": a check step, not "I don't know"


@dataclass(frozen=True)
class FirstStep:
    """A step of "This week" or "your first five": an action to take, or something to find
    out or check first."""

    question_id: str
    critical: bool
    find_out: bool
    title: str
    detail: str
    action: Action | None  # None for a find-out step
    stage: int = 5
    conditional: bool = False
    rank: int | None = None  # the action's rank in the plan (None for a find-out step)


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
    this_week: tuple[FirstStep, ...] = ()  # the steps measured in hours, to start now

    @property
    def free_services(self) -> tuple[ToolMatch, ...]:
        """The services that cost nothing: "N free services you can apply for"."""
        return tuple(m for m in self.tools if m.tool.free)

    @property
    def state_services(self) -> tuple[ToolMatch, ...]:
        """The services the state itself gives: what a coordinator can grant in the portal."""
        return tuple(m for m in self.tools if m.tool.state_decides)

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


def _cost_count(cost: str, count: int) -> str:
    """ "3 free", "2 under $1,000": how many actions of a cost band."""
    if cost == "free":
        return ngettext("%(num)s free", "%(num)s free", count)
    if cost == "low":
        return ngettext("%(num)s under $1,000", "%(num)s under $1,000", count)
    if cost == "medium":
        return ngettext("%(num)s $1,000–$10,000", "%(num)s $1,000–$10,000", count)
    return ngettext("%(num)s over $10,000", "%(num)s over $10,000", count)


def spending(actions: tuple[PlannedAction, ...] | list[PlannedAction]) -> str:
    """What a set of actions costs, counted by each action's cost: "3 free · 2 under $1,000"."""
    counts = {cost: 0 for cost in COST_POINTS}
    for planned in actions:
        counts[planned.action.cost] += 1
    parts = [_cost_count(cost, n) for cost, n in counts.items() if n]
    return " · ".join(parts) if parts else _("nothing")


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
    unchecked: set[str] = set()
    for gap in result.gaps:
        question = questionnaire.question(gap.question_id)
        value = answers.get(gap.question_id) if answers else None
        option = question.option(value) if value else None
        if gap.dont_know or (option is not None and option.unchecked):
            find_out.append(
                FindOutTask(
                    gap.question_id,
                    gap.priority,
                    gap.critical,
                    question.how_to_check,
                    stage_of(question),
                    unchecked=not gap.dont_know,
                )
            )
        if not gap.dont_know and question.action is not None:
            candidates.append((gap, question.action))
            if option is not None and option.unchecked:
                unchecked.add(gap.question_id)
    candidates, also_closes, critical_via = _merge_superseded(candidates)

    planned = [
        _Candidate(
            gap.question_id,
            gap.priority,
            # The fix of an answer nobody checked is not a known critical gap (the check is
            # this week's step; questionnaires/README.md, What is critical).
            (gap.critical or gap.question_id in critical_via) and gap.question_id not in unchecked,
            gap.severity,
            action,
            also_closes.get(gap.question_id, ()),
            stage=stage_of(questionnaire.question(gap.question_id)),
            quick=action.quick,
            conditional=gap.question_id in unchecked,
        )
        for gap, action in candidates
    ]
    planned += [candidate for m in exploited for candidate in _product_candidates(m, today)]
    check = _break_in_check(exploited)
    if check is not None:
        planned.append(check)
    if any(task.stage == 1 for task in find_out):
        # What is exposed is not known: the free outside checks that show it are this week's
        # (questionnaires/README.md, The order of the plan, stage 3).
        planned = [replace(c, reveals=True) if c.stage == 3 and c.quick else c for c in planned]
    planned.sort(key=_rank_key)
    this_week_ids = _this_week_of(planned)
    # Eligible steps that did not fit in the week take their place by stage.
    planned.sort(key=lambda c: _rank_key(c, this_week_ids))
    spent = dict.fromkeys(WINDOWS, 0)
    actions: list[PlannedAction] = []
    for rank, item in enumerate(planned, start=1):
        effort = EFFORT_POINTS[item.action.effort]
        if id(item) in this_week_ids:
            window: int | None = 30  # a step of this week is in the first window, always
        else:
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
                why=_kev_why(item.kev, item.kind) if item.kev else _check_why(item),
                kev=item.kev,
                kind=item.kind,
                due_on=item.due_on,
                stage=item.stage,
                this_week=id(item) in this_week_ids,
                conditional=item.conditional,
                products=item.products,
            )
        )
    week = this_week(questionnaire, actions, find_out)
    return Plan(
        tuple(actions),
        tuple(find_out),
        _match_tools(questionnaire, result, services, open_tools),
        _match_tools(questionnaire, result, resources),
        first_steps(questionnaire, actions, find_out, week),
        week,
    )


def _this_week_eligible(c: _Candidate) -> bool:
    return (c.quick and c.stage <= 3) or c.due_soon or c.reveals


def _this_week_of(ranked: list[_Candidate]) -> set[int]:
    """The first :data:`THIS_WEEK` eligible steps, in rank order (ids). The fix of an unchecked
    answer goes with its check and takes no place of its own."""
    chosen: set[int] = set()
    counted = 0
    for candidate in ranked:
        if not _this_week_eligible(candidate):
            continue
        if candidate.conditional:
            chosen.add(id(candidate))
        elif counted < THIS_WEEK:
            chosen.add(id(candidate))
            counted += 1
    return chosen


def _bucket(c: _Candidate) -> int:
    """The order before the stages (questionnaires/README.md, The order of the plan): this
    week's critical steps measured in hours (an unchecked answer's fix right after its check);
    exposed products due within the week; the other critical fixes of what is exposed that take
    days, not weeks; this week's other quick steps (free outside checks, payment rules); then
    the rest, stage by stage."""
    if (c.quick and c.stage <= 3 and (c.critical or c.conditional)) or c.reveals:
        return 0
    if c.due_soon:
        return 1
    if c.stage == 1 and c.critical and c.action.effort != "high":
        return 2
    if _this_week_eligible(c):
        return 3
    return 4


def _step(action: PlannedAction) -> FirstStep:
    title = action.action.title
    if action.conditional:
        step = title[:1].lower() + title[1:]
        title = _("If the check finds it: %(step)s", step=step)
    return FirstStep(
        action.question_id,
        action.critical,
        False,
        title,
        action.action.detail,
        action.action,
        action.stage,
        action.conditional,
        action.rank,
    )


def _find_out_step(questionnaire: Questionnaire, task: FindOutTask) -> FirstStep:
    question = questionnaire.question(task.question_id)
    if task.unchecked:
        title = _("Check: %(question)s", question=question.text)
    else:
        title = _("Find out: %(question)s", question=question.text)
    return FirstStep(
        task.question_id,
        task.critical,
        True,
        title,
        task.how_to_check,
        None,
        task.stage,
    )


def this_week(
    questionnaire: Questionnaire,
    actions: list[PlannedAction],
    find_out: list[FindOutTask],
) -> tuple[FirstStep, ...]:
    """The steps measured in hours, to start now, in the plan's order, with what to find out
    or check first (critical unknowns, unchecked answers) each placed just before the first
    action of its stage or a later one — a check before the fix that depends on it."""
    pending = sorted((t for t in find_out if t.critical or t.unchecked), key=lambda t: t.stage)
    steps: list[FirstStep] = []
    for action in actions:
        if not action.this_week:
            continue
        while pending and pending[0].stage <= action.stage:
            steps.append(_find_out_step(questionnaire, pending.pop(0)))
        steps.append(_step(action))
    steps += [_find_out_step(questionnaire, t) for t in pending]
    return tuple(steps)


def _break_in_check(exploited: tuple[ProductMatch, ...] | list[ProductMatch]) -> _Candidate | None:
    """One check for a break-in covering every product that calls for one (a person checks
    their devices in one sitting, not one plan step each)."""
    matches = tuple(m for m in exploited if m.check_first)
    if not matches:
        return None
    facing = tuple(m for m in matches if m.product.internet_facing)
    deadlines = [d for m in facing if (d := m.deadline()) is not None]
    return _Candidate(
        KEV_QUESTION,
        "vulnerabilities",
        bool(facing),
        Fraction(0),
        check_action(matches),
        stage=1 if facing else 4,
        quick=True,
        kind="check",
        due_on=min(deadlines) if deadlines else None,
        products=matches,
    )


def first_steps(
    questionnaire: Questionnaire,
    actions: list[PlannedAction],
    find_out: list[FindOutTask],
    week: tuple[FirstStep, ...] = (),
) -> tuple[FirstStep, ...]:
    """The five things to do first: this week's steps in order, then the next actions by rank,
    then the other unknowns."""
    steps = list(week)
    taken = {(s.question_id, s.title) for s in steps}
    later = [_step(a) for a in actions]
    later += [_find_out_step(questionnaire, t) for t in find_out if not t.critical]
    steps += [s for s in later if (s.question_id, s.title) not in taken]
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
    stage: int = 5
    quick: bool = False
    conditional: bool = False
    products: tuple[ProductMatch, ...] = ()
    # An internet-facing product whose catalog deadline falls within the week: this week,
    # right after the critical steps measured in hours.
    due_soon: bool = False
    # A free outside check (stage 3) while what is exposed is not known: this week, first.
    reveals: bool = False


_KIND_ORDER = {"check": 0, "replace": 1, "patch": 2, "extended": 3, "": 4}
_EFFORT_ORDER = {"low": 0, "medium": 1, "high": 2}


def _rank_key(c: _Candidate, week: set[int] | None = None) -> tuple[object, ...]:
    """This week first (:func:`_bucket`), then by stage; within a stage critical first, then
    quick, then the earliest catalog deadline; known-exploited products by how attackers use
    them (ransomware, then backup servers — the first thing ransomware goes for — then the
    most recently exploited), never by name; then most risk removed per effort and cost."""
    cost = _cost_of(c.action)
    value = c.severity / cost if cost else c.severity * 2
    product = c.kev
    exploitation = (
        (
            not product.ransomware,
            product.product.category != "backup",
            -product.newest.toordinal(),
        )
        if product is not None
        else (False, False, 0)
    )
    bucket = _bucket(c)
    if week is not None and _this_week_eligible(c) and id(c) not in week:
        bucket = 4  # eligible, but the week is full: in its stage's place
    return (
        bucket,
        c.stage,
        not c.critical,
        not c.quick,
        c.due_on or date.max,
        exploitation,
        -value,
        _EFFORT_ORDER[c.action.effort],
        _KIND_ORDER[c.kind],
        c.question_id,
        product.product.id if product is not None else 0,
    )


# The scoring question a patch action for a known-exploited product belongs to.
KEV_QUESTION = "core.kev_internet_patched"
KEV_RESOURCE = Resource(
    "CISA Known Exploited Vulnerabilities Catalog",
    "https://www.cisa.gov/known-exploited-vulnerabilities-catalog",
)
CISA_REPORT = Resource(N_("CISA: Report a cyber incident"), "https://www.cisa.gov/report")


def _product_candidates(match: ProductMatch, today: date) -> list[_Candidate]:
    """A product's actions (its break-in check is one step for all products, see
    :func:`_break_in_check`). Stage 1 when it faces the internet, else patch hygiene (4).

    - Open flaws, supported line: the patch.
    - A line past its end of support that an upgrade of the same product fixes (firmware, an
      application): one step, the move to a supported release — it is the patch too.
    - An operating system or server generation past its end of support: the patch (its last
      updates fix most of the listed flaws) and, beside it, the replacement.
    - A line on paid extended support only: the patch, and a check that the paid fixes come.
    - A device CISA says is end of life: the replacement (or cutting it off) only.
    """
    found: list[_Candidate] = []
    due_on = match.deadline()
    stage = 1 if match.product.internet_facing else 4

    def add(kind: str, action: Action, critical: bool) -> None:
        soon = (
            critical
            and due_on is not None
            and due_on <= today + timedelta(days=DUE_SOON_DAYS)
            and kind in ("patch", "replace")
            and action.effort != "high"
        )
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
                stage=stage if kind != "extended" else 5,
                due_soon=soon,
            )
        )

    support = match.support
    if match.replace:
        device_end_of_life = bool(match.end_of_life_entries)
        upgrade = (
            not device_end_of_life
            and support is not None
            and support.unsupported
            and support.remedy == "upgrade"
        )
        if upgrade:
            add("replace", replace_action(match), match.critical or match.replace_is_critical)
        else:
            if match.open_entries and not device_end_of_life:
                add("patch", kev_action(match, today), match.critical)
            add("replace", replace_action(match), match.replace_is_critical)
    elif match.open_entries:
        add("patch", kev_action(match, today), match.critical)
        if support is not None and support.state == "extended":
            add("extended", extended_support_action(match), False)
    elif support is not None and support.state == "extended":
        add("extended", extended_support_action(match), False)
    return found


def _translated(resource: Resource) -> Resource:
    """A resource of this module, its title in the reader's language."""
    return replace(resource, title=_(resource.title))


ENDS_SOON_DAYS = 90  # free fixes ending within this many days are said in the patch step
MANY_ENTRIES = 20  # past this, "install the latest cumulative update", not one advisory each


def _day(day: date) -> str:
    return words.day(day)


def kev_action(match: ProductMatch, today: date | None = None) -> Action:
    """Patch one product the organization runs that has open entries in CISA's KEV catalog.

    Critical (internet-facing, or ransomware-linked on a line past its support): due by the
    catalog's own days for it (questionnaires/README.md, What is critical: known_exploited).
    Ransomware-linked: due within 30 days; otherwise 60, whatever the budget: attackers are
    using these flaws now. A default password is closed by changing it, said first; a line past
    its end of support is patched to its last update, its replacement a step of its own; a line
    on paid extended support, or whose free fixes end soon, says so.
    """
    product = match.product
    entries = match.open_entries
    count = len(entries)
    runs = (
        _("You run version %(version)s.", version=product.version)
        if product.version
        else _("Write down the version you run (on the product's About or status page).")
    )
    support = match.support
    newer: list[str] = []
    if support is not None and support.unsupported:
        newer.append(
            _(
                "%(line)s gets no more fixes, but its last updates fix many of these flaws: "
                "install the last one now, and plan the replacement (the next step).",
                line=support.line,
            )
        )
    elif support is not None and support.state == "extended":
        if support.extended_until:
            newer.append(
                _(
                    "%(line)s gets fixes only through paid extended support until %(date)s.",
                    line=support.line,
                    date=_day(support.extended_until),
                )
            )
        else:
            newer.append(
                _("%(line)s gets fixes only through paid extended support.", line=support.line)
            )
        if support.ends:
            newer.append(
                _(
                    "Unless you pay for it, it has had no fixes since %(date)s: buy it now, or "
                    "move to a supported release.",
                    date=_day(support.ends),
                )
            )
        else:
            newer.append(
                _(
                    "Unless you pay for it, it has had no fixes: buy it now, or move to a "
                    "supported release."
                )
            )
    elif (
        support is not None
        and support.ends is not None
        and today is not None
        and support.ends <= today + timedelta(days=ENDS_SOON_DAYS)
    ):
        newer.append(
            _(
                "Free fixes for %(line)s end on %(date)s: plan the move to a supported release "
                "now.",
                line=support.line,
                date=_day(support.ends),
            )
        )
    elif support is not None and support.behind_latest and support.latest:
        newer.append(
            _(
                "A newer release of your line is out: %(version)s (as of %(date)s).",
                version=support.latest,
                date=_day(support.snapshot),
            )
        )
    passwords = [e for e in entries if is_known_password(e)]
    if passwords and len(passwords) == count:
        return Action(
            title=_(
                "Change the default password on %(name)s: attackers know it", name=product.name
            ),
            detail=" ".join(
                [
                    _(
                        "The flaw is the password itself: change it now (it takes minutes), and "
                        "keep its admin page off the internet."
                    ),
                    runs,
                    _(
                        "Then check the vendor's advisory for anything else it asks, and mark "
                        "the flaw Fixed on the portal."
                    ),
                ]
            ),
            effort="low",
            cost="free",
            owner="vendor" if product.managed_by_msp else "it_lead",
            resources=(KEV_RESOURCE,),
            tools=("cisa_vuln_scanning",) if product.internet_facing else (),
            due_within=30,
            quick=True,
        )
    sentences: list[str] = []
    if passwords:
        sentences.append(
            _("First change its default password and keep its admin page off the internet.")
        )
    sentences += [runs, *newer]
    if count > MANY_ENTRIES:
        sentences.append(
            _(
                "With this many flaws, install the latest cumulative update, check the build "
                "number it shows, then mark the older flaws Fixed at once on the portal "
                "(“Already patched the older ones?”)."
            )
        )
    else:
        sentences += [
            _(
                "Open the vendor's advisory for each flaw (linked on the portal) and find the "
                "fixed version for your line."
            ),
            _("If you already run it, mark the flaw Fixed on the portal."),
            _("Ask your IT provider to install the fix or the vendor's workaround.")
            if product.managed_by_msp
            else _("Then install the fix or the vendor's workaround."),
        ]
    if product.internet_facing:
        sentences.append(
            _("If there is neither fix nor workaround, take it off the internet until there is.")
        )
    return Action(
        title=ngettext(
            "Patch %(name)s: %(num)s flaw attackers are using",
            "Patch %(name)s: %(num)s flaws attackers are using",
            count,
            name=product.name,
        ),
        detail=" ".join(sentences),
        effort="medium" if count > 3 else "low",
        cost="free",
        owner="vendor" if product.managed_by_msp else "it_lead",
        resources=(KEV_RESOURCE,),
        tools=("cisa_vuln_scanning",) if product.internet_facing else (),
        due_within=30 if match.urgent else 60,
    )


_DIRECTIVE = re.compile(r"Emergency Directive (\d\d-\d\d)|\bED (\d\d-\d\d)")


def emergency_directives(matches: tuple[ProductMatch, ...]) -> dict[str, list[str]]:
    """CISA emergency directives the open entries' required actions name: directive → the
    products it is about ("25-03" → ["Cisco ASA …"])."""
    found: dict[str, list[str]] = {}
    for match in matches:
        for entry in match.open_entries:
            for groups in _DIRECTIVE.findall(entry.required_action):
                directive = groups[0] or groups[1]
                names = found.setdefault(directive, [])
                if match.product.name not in names:
                    names.append(match.product.name)
    return found


def check_action(matches: tuple[ProductMatch, ...]) -> Action:
    """Alongside the patches: look for signs of a break-in. A patch does not remove a backdoor
    that attackers left while the flaw was open. "Cannot tell" is never a reason to wait with
    the patch; a device found broken into is cut off and rebuilt, not just patched (patching
    wipes the evidence and can leave the intruder in)."""
    names = ", ".join(m.product.name for m in matches[:6])
    if len(matches) > 6:
        names = ngettext(
            "%(names)s and %(num)s more",
            "%(names)s and %(num)s more",
            len(matches) - 6,
            names=names,
        )
    msp = all(m.product.managed_by_msp for m in matches)
    directives: list[str] = []
    for directive, products in sorted(emergency_directives(matches).items()):
        directives += [
            _(
                "For %(products)s, CISA issued Emergency Directive %(directive)s: follow its hunt "
                "steps, or have your IT provider or the vendor's support do it.",
                products=", ".join(products),
                directive=directive,
            ),
            _("A simple look does not find what it describes."),
        ]
    return Action(
        title=_("Check your exposed devices for signs of a break-in as you patch"),
        detail=" ".join(
            [
                _("Check %(names)s.", names=names),
                _(
                    "Attackers often get into devices like these before their owners patch, and "
                    "a patch does not remove what they left behind."
                ),
                _(
                    "Look at each one's admin accounts, remote logins and settings for anything "
                    "you do not know, and run the vendor's check tool if the advisory names one."
                ),
                *directives,
                _("If you cannot tell, do not wait: patch now, then check again."),
                _(
                    "If you find signs of a break-in, do not just patch: cut the device off or "
                    "block outside access, save its settings and logs, call your cyber insurer's "
                    "hotline and report it to CISA (cisa.gov/report), then rebuild or replace it."
                ),
                _(
                    "After the patch, change every password the device holds and end all its "
                    "sessions."
                ),
            ]
        ),
        effort="low",
        cost="free",
        owner="vendor" if msp else "it_lead",
        resources=(_translated(CISA_REPORT),),
        due_within=30,
        quick=True,
    )


def _stopped_fixes(support: SupportStatus) -> str:
    """When the line a product runs stopped getting security fixes, in a sentence."""
    values = {"line": support.line, "snapshot": _day(support.snapshot)}
    if support.ends and support.extended_until:
        return _(
            "%(line)s stopped getting security fixes on %(ends)s (paid extended fixes ended "
            "%(extended)s), as of %(snapshot)s: flaws found from now on will not be fixed.",
            ends=_day(support.ends),
            extended=_day(support.extended_until),
            **values,
        )
    if support.ends:
        return _(
            "%(line)s stopped getting security fixes on %(ends)s, as of %(snapshot)s: flaws "
            "found from now on will not be fixed.",
            ends=_day(support.ends),
            **values,
        )
    if support.extended_until:
        return _(
            "%(line)s stopped getting security fixes (paid extended fixes ended %(extended)s), "
            "as of %(snapshot)s: flaws found from now on will not be fixed.",
            extended=_day(support.extended_until),
            **values,
        )
    return _(
        "%(line)s stopped getting security fixes, as of %(snapshot)s: flaws found from now on "
        "will not be fixed.",
        **values,
    )


def replace_action(match: ProductMatch) -> Action:
    """No fix will come for the line the product runs: move to a supported release (firmware,
    an application) or replace it (an operating system, a server generation, a device CISA
    calls end of life). Critical when attackers reach it or ransomware gangs use its flaws.
    Within the window: contain it; the replacement itself is a project to price."""
    product = match.product
    support = match.support
    line_ended = match.line_unsupported and not match.end_of_life_entries
    name = support.line if line_ended and support is not None and support.line else product.name
    if line_ended:
        assert support is not None
        when = _stopped_fixes(support)
    else:
        when = _(
            "CISA says this device is at its end of life: its maker fixes nothing more, and "
            "flaws found from now on stay open."
        )
    supported: list[str] = []
    if support is not None and support.supported_lines:
        supported.append(
            _(
                "Releases still supported: %(releases)s.",
                releases=", ".join(support.supported_lines[:3]),
            )
        )
    if product.family_key == "microsoft-office":
        # Office runs on every desktop: its replacement is Microsoft 365 Apps or a newer Office.
        meanwhile = [
            _("Microsoft 365 Apps is supported too."),
            _("Until then, block macros in files from the internet."),
        ]
    elif not product.internet_facing:
        meanwhile = [_("Until then, limit what can reach it and watch it closely.")]
    elif product.category == "edge":
        # An organization's only firewall or VPN cannot simply come off the internet.
        meanwhile = [
            _(
                "Until then, allow its admin pages and VPN only from known addresses, and turn "
                "off what you do not use."
            )
        ]
    elif product.category == "email":
        # Taking the mail server off the internet would stop the organization's email.
        meanwhile = [
            _(
                "Until then, put webmail and its admin pages behind the VPN with MFA, so only "
                "mail itself reaches it from outside."
            )
        ]
    else:
        meanwhile = [
            _(
                "Until then, take it off the internet and keep it apart from the rest of the "
                "network."
            )
        ]
    if support is not None and support.unsupported and support.remedy == "upgrade":
        fixes = (
            [
                _(
                    "Supported releases fix the known-exploited flaws listed for it: check each "
                    "advisory."
                )
            ]
            if match.open_entries
            else []
        )
        return Action(
            title=_(
                "Move %(name)s to a supported release: no more fixes for yours", name=product.name
            ),
            detail=" ".join(
                [
                    when,
                    *fixes,
                    *supported,
                    _(
                        "Check whether your hardware and licence allow it: some need new "
                        "hardware or a new subscription."
                    ),
                    *meanwhile,
                ]
            ),
            effort="medium",
            cost="medium",
            owner="vendor" if product.managed_by_msp else "it_lead",
            resources=(KEV_RESOURCE,),
            due_within=30 if product.internet_facing else 90,
        )
    return Action(
        title=_("Replace or cut off %(name)s: it gets no more security fixes", name=name),
        detail=" ".join(
            [when, *supported, *meanwhile, _("Price the replacement as a project now.")]
        ),
        effort="high",
        cost="medium",
        owner="vendor" if product.managed_by_msp else "it_lead",
        resources=(KEV_RESOURCE,),
        due_within=30 if product.internet_facing else 90,
    )


def extended_support_action(match: ProductMatch) -> Action:
    support = match.support
    assert support is not None
    if support.extended_until:
        paid = _(
            "%(line)s now gets security fixes only through a paid extended support plan until "
            "%(date)s.",
            line=support.line,
            date=_day(support.extended_until),
        )
    else:
        paid = _(
            "%(line)s now gets security fixes only through a paid extended support plan.",
            line=support.line,
        )
    return Action(
        title=_("Check that %(name)s still gets its paid security fixes", name=match.product.name),
        detail=" ".join(
            [
                paid,
                _("Check that you pay for it and that the fixes install."),
                _("Plan its replacement before the plan ends."),
            ]
        ),
        effort="low",
        cost="free",
        owner="vendor" if match.product.managed_by_msp else "it_lead",
        due_within=60,
    )


def _kev_why(match: ProductMatch, kind: str) -> str:
    if kind == "replace":
        return _(
            "A product that gets no fixes stays open to every flaw found from now on, and "
            "attackers keep lists of them."
        )
    if kind == "extended":
        return _("Without the paid plan, no fixes arrive at all.")
    reasons = [_("CISA lists these flaws because attackers are using them now.")]
    if match.ransomware:
        reasons.append(_("Ransomware gangs use at least one of them."))
    if match.product.internet_facing:
        shortest = min((cisa_days(e) for e in match.open_entries), default=0)
        reasons.append(
            _("This product faces the internet, where attackers scan for it within days.")
        )
        if 0 < shortest <= MAX_DAYS:
            reasons.append(
                ngettext(
                    "CISA gives its own agencies %(num)s day to fix the most urgent one.",
                    "CISA gives its own agencies %(num)s days to fix the most urgent one.",
                    shortest,
                )
            )
    return " ".join(reasons)


def _check_why(item: _Candidate) -> str | None:
    if item.kind != "check":
        return None
    return " ".join(
        [
            _("CISA lists these flaws because attackers are using them now."),
            _("A backdoor left behind survives the patch."),
        ]
    )


def _merge_superseded(
    candidates: list[tuple[Gap, Action]],
) -> tuple[list[tuple[Gap, Action]], dict[str, tuple[str, ...]], set[str]]:
    """Drop core gaps whose fix a sector action present in the plan already includes.

    Returns the remaining candidates, the core gaps each sector action also closes, and the
    sector actions that become critical because a gap they close is.
    """
    by_id = {gap.question_id: gap for gap, _action in candidates}
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
    questionnaire: Questionnaire,
    result: ScoreResult,
    eligible: set[str],
    everything: list[Tool] | None = None,
) -> tuple[ToolMatch, ...]:
    """Catalog tools the organization may ask for, with the gaps each would help close —
    critical first, then most gaps — and, when ``everything`` is given, the other services it
    is eligible for after them (memberships, grants and programs open to it whatever its gaps)."""
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
    if everything is not None:
        general = sorted(
            (t for t in everything if t.id in eligible and t.id not in gaps_by_tool),
            key=lambda t: (not t.free, not t.state_decides, t.name.lower()),
        )
        matches += [ToolMatch(t, (), False) for t in general]
    return tuple(matches)
