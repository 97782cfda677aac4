"""The remediation plan as a document: every sentence, heading, list and table of the plan, in
the order it is read, as plain data. Renderers only lay it out — the PDF
(templates/reports/plan.html), and the editable documents that come next — so the plan's wording
is written once, here, and every format says the same thing in the same order.

Strings are plain text (renderers escape them). A few parts carry structure a renderer shows
differently: tags (CRITICAL), a bold part (a due date), links, table cells.

Plain Python: no Flask, no database. :func:`plan_document` takes what the plan is made of (the
questionnaire, score, plan, board summary, headline, matched products) and the facts about the
organization as the caller words them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from portal.kev.catalog import KevEntry
from portal.kev.lifecycle import SupportStatus
from portal.kev.matching import (
    CAVEATS,
    ProductMatch,
    cisa_days,
    newest_first,
    plain_kind,
)
from portal.questionnaire.model import Question, Questionnaire, Tool
from portal.questionnaire.words import plural
from portal.remediation.board import BoardSummary
from portal.remediation.planner import (
    KEV_QUESTION,
    WINDOW_BUDGET,
    WINDOWS,
    FirstStep,
    Plan,
    PlannedAction,
    ToolMatch,
    spending,
)
from portal.scoring.engine import ScoreResult
from portal.scoring.headline import Headline

# Open flaws listed per product (newest first) and in the appendix; the rest are counted and
# are on the portal — a hospital running ten matched products had 10 of 21 pages on them.
KEV_SHOWN = 5
FLAWS_IN_ACTION = 6  # CVE ids named in a product's action before "and N more"
NOTE_LIMIT = 2000  # characters of an answer's note in the appendix
DAYS = {"low": "about a day", "medium": "about 2 days", "high": "about 4 days or more"}
CRITICAL = "CRITICAL"
OVER_BUDGET = "OVER BUDGET"
MARKING = "SENSITIVE — NOT FOR PUBLIC RELEASE"
KICKER = "Readiness Portal · Cyber readiness"


def _critical(critical: bool) -> tuple[str, ...]:
    return (CRITICAL,) if critical else ()


Row = TypeVar("Row")


@dataclass(frozen=True)
class Table(Generic[Row]):
    """A part of the plan shown as a table: a heading, a sentence or none, headed columns."""

    heading: str
    intro: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Listing(Generic[Row]):
    """A part of the plan shown as a list: a heading, a sentence, its items."""

    heading: str
    intro: str
    items: tuple[Row, ...]


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Fact:
    """A line of the cover: "Organization — Pine Valley Hospital"."""

    label: str
    value: str
    key: str = ""  # a stable name for the value (tests and stylesheets find it by it)


@dataclass(frozen=True)
class Cover:
    kicker: str
    title: str
    facts: tuple[Fact, ...]
    contents_label: str
    contents: tuple[str, ...]  # the parts in this plan
    contents_note: str
    marking: str  # the handling caveat


@dataclass(frozen=True)
class Step:
    """A step of "Your first five" or "This week"."""

    title: str
    tags: tuple[str, ...]  # CRITICAL
    effort: str = ""  # "Effort: about a day · cost free · IT lead" (first five)
    how_to_check: str = ""  # "How to check: …" on a line of its own (a find-out step)
    see: str = ""  # "— action 3 below" after the title


@dataclass(frozen=True)
class Column:
    label: str
    numeric: bool = False
    width: int = 0  # per cent of the table


@dataclass(frozen=True)
class GlanceRow:
    window: str
    tags: tuple[str, ...]  # OVER BUDGET
    actions: int
    staff_time: str
    cost: str


@dataclass(frozen=True)
class BoardPart:
    heading: str
    score: int
    tier_id: str
    tier_label: str
    critical_count: str  # "3 critical gaps"
    unknown_count: str  # "2 critical answers not known yet", or ""
    headline_title: str  # only when the score is capped
    headline_text: str
    risks_heading: str
    risks: tuple[str, ...]
    decisions_heading: str
    decisions: tuple[str, ...]
    budget_note: str
    done_heading: str
    done: tuple[str, ...]
    first_five_heading: str
    first_five: tuple[Step, ...]
    no_gaps: str  # instead of the first five when there is nothing to do
    critical_heading: str
    critical: tuple[str, ...]
    find_out_note: str
    glance_heading: str
    glance_columns: tuple[Column, ...]
    glance: tuple[GlanceRow, ...]  # empty when nothing is planned
    glance_note: str


@dataclass(frozen=True)
class ScoreRow:
    priority: str
    score: str
    rating: str


@dataclass(frozen=True)
class ActionEntry:
    number: int
    title: str
    tags: tuple[str, ...]
    meta: str  # "Effort low · cost free · IT lead"
    detail: str
    flaws: str  # "Open flaws: CVE-…, … and 3 more." or ""
    due: str  # "Due by Dec 5, 2026" (bold), or ""
    due_reason: str  # what follows the due date
    note: str  # where a product's own actions are, for the KEV routine's action
    why: str
    help_label: str
    help: tuple[Link, ...]  # free resources
    services_label: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class Window:
    heading: str
    note: str  # "— about 6 working days: over budget, because …"
    actions: tuple[ActionEntry, ...]


@dataclass(frozen=True)
class SchedulePart:
    heading: str
    intro: str
    this_week_heading: str
    this_week_note: str
    this_week: tuple[Step, ...]
    windows: tuple[Window, ...]  # the windows with actions in them


@dataclass(frozen=True)
class FlawLine:
    cve_id: str
    text: str


@dataclass(frozen=True)
class ProductPart:
    name: str
    tags: tuple[str, ...]
    listed: str  # how it is on the list, and its counts
    due: str  # bold, or ""
    support: str
    flaws: tuple[FlawLine, ...]
    more: str  # "And 4 older ones: …", or ""


@dataclass(frozen=True)
class FindOutItem:
    question: str
    tags: tuple[str, ...]
    how_to_check: str


@dataclass(frozen=True)
class ServiceRow:
    name: str
    terms: str  # "free · CISA · CISA decides"
    summary: str  # empty in "also open to"
    helps: str  # "Helps with 3 of your gaps." (bold), empty in "also open to"
    who_can_get_it: str
    how_to_apply: str
    link: Link | None


@dataclass(frozen=True)
class ServicesPart:
    heading: str
    intro: str
    columns: tuple[Column, ...]
    linked: tuple[ServiceRow, ...]
    others_heading: str
    others: tuple[ServiceRow, ...]


@dataclass(frozen=True)
class InformationItem:
    name: str
    provider: str
    link: Link | None
    summary: str


@dataclass(frozen=True)
class BacklogRow:
    number: int
    action: str
    effort_cost: str
    who: str


@dataclass(frozen=True)
class CatalogRow:
    cve_id: str
    product: str
    text: str


@dataclass(frozen=True)
class AnswerRow:
    question: str
    tags: tuple[str, ...]
    note: str  # "Note: …", or ""
    answer: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class Running:
    """A page's running head and foot (the PDF's are in static/css/print.css, from the cover's
    facts; the editable documents write these)."""

    head: str  # "Pine Valley Hospital — Remediation plan · Dec 6, 2026, 4:27 AM CST"
    marking: str  # "SENSITIVE — NOT FOR PUBLIC RELEASE"
    foot: str  # "Questionnaire 2026.3" (the page number follows)


@dataclass(frozen=True)
class PlanDocument:
    """The plan, part by part in reading order; a part is None when it has nothing to say."""

    title: str  # the document's title (PDF metadata, Word's title)
    board_title: str  # the title of the summary for the board on its own
    description: str
    running: Running  # what every page but the cover carries
    cover: Cover
    board_cover: Cover  # the cover of the summary for the board on its own
    board: BoardPart
    scores: Table[ScoreRow]
    schedule: SchedulePart | None
    exploited: Listing[ProductPart] | None
    find_out: Listing[FindOutItem] | None
    services: ServicesPart | None
    information: Listing[InformationItem] | None
    backlog: Table[BacklogRow] | None
    catalog: Table[CatalogRow] | None  # with the answers only
    answers: Table[AnswerRow] | None


@dataclass(frozen=True)
class Subject:
    """The organization and assessment as the caller words them (labels are the web layer's)."""

    organization: str
    sectors: str  # "Hospital, Water and wastewater"
    county: str
    state: str
    assessment_id: int
    status: str
    submitted_on: date | None
    generated: str  # when the document was made, in words


def plan_document(
    questionnaire: Questionnaire,
    result: ScoreResult,
    plan: Plan,
    board: BoardSummary,
    lead: Headline,
    subject: Subject,
    *,
    exploited: Sequence[ProductMatch] = (),
    answers: AnswersInput | None = None,
) -> PlanDocument:
    """The plan as a document; ``answers`` appends every answer and the catalog's words."""
    open_matches = tuple(m for m in exploited if m.open_entries)
    with_answers = answers is not None
    numbers = action_numbers(plan)
    return PlanDocument(
        title=f"Cyber readiness remediation plan — {subject.organization}",
        board_title=f"Cyber readiness summary for the board — {subject.organization}",
        description="Self-assessment results and 30/60/90-day remediation plan",
        running=Running(
            head=f"{subject.organization} — Remediation plan · {subject.generated}",
            marking=MARKING,
            foot=f"Questionnaire {questionnaire.version}",
        ),
        cover=_cover(questionnaire, plan, subject, open_matches, with_answers),
        board_cover=_board_cover(questionnaire, subject),
        board=_board(questionnaire, result, plan, board, lead),
        scores=_scores(questionnaire, result),
        schedule=_schedule(questionnaire, plan, board, numbers, bool(exploited))
        if plan.scheduled
        else None,
        exploited=_exploited(open_matches, with_answers) if open_matches else None,
        find_out=_find_out(questionnaire, plan) if plan.find_out else None,
        services=_services(plan) if plan.tools else None,
        information=_information(plan) if plan.information else None,
        backlog=_backlog(plan, numbers) if plan.backlog else None,
        catalog=_catalog(open_matches) if open_matches and with_answers else None,
        answers=_answers(questionnaire, answers) if answers is not None else None,
    )


@dataclass(frozen=True)
class AnswersInput:
    """What the answers appendix shows: the modules answered, the questions shown, the answers
    and notes, and each question's references in the organization's sectors."""

    modules: tuple[str, ...]
    shown: frozenset[str]
    values: Mapping[str, str | None]
    notes: Mapping[str, str]
    sector_references: Callable[[Question], Sequence[str]]


def _date(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _days(count: int) -> str:
    return f"{count} working day{'' if count == 1 else 's'}"


def action_numbers(plan: Plan) -> dict[int, int]:
    """Actions are numbered in the order the pages show them: window by window, then the
    backlog."""
    shown = [a for w in WINDOWS for a in plan.in_window(w)] + list(plan.backlog)
    return {a.rank: n for n, a in enumerate(shown, start=1)}


def _cover(
    questionnaire: Questionnaire,
    plan: Plan,
    subject: Subject,
    open_matches: Sequence[ProductMatch],
    with_answers: bool,
) -> Cover:
    parts = ["a summary for the board", "scores by priority"]
    for present, part in (
        (plan.scheduled, "the 30/60/90-day plan"),
        (open_matches, "known-exploited flaws in what you run"),
        (plan.find_out, "things to find out first"),
        (plan.tools, "services you can apply for"),
        (plan.information, "useful information"),
        (plan.backlog, "the backlog"),
        (with_answers, "every answer"),
    ):
        if present:
            parts.append(part)
    return Cover(
        kicker=KICKER,
        title="Remediation plan",
        facts=_facts(questionnaire, subject),
        contents_label="In this plan:",
        contents=tuple(parts),
        contents_note=""
        if with_answers
        else (
            "Every answer, with its references to CISA's CPGs and NIST CSF 2.0, is in the "
            "portal and in the version of this plan with the answers appended."
        ),
        marking=_marking(),
    )


def _facts(questionnaire: Questionnaire, subject: Subject) -> tuple[Fact, ...]:
    submitted = f" {_long_date(subject.submitted_on)}" if subject.submitted_on else ""
    return (
        Fact("Organization", subject.organization, "org-name"),
        Fact("Sector", subject.sectors),
        Fact("Location", f"{subject.county} County, {subject.state}"),
        Fact("Assessment", f"#{subject.assessment_id}, {subject.status}{submitted}"),
        Fact("Questionnaire version", questionnaire.version, "qversion"),
        Fact("Generated", subject.generated, "generated"),
    )


def _board_cover(questionnaire: Questionnaire, subject: Subject) -> Cover:
    """The cover of the summary for the board handed out on its own: the plan's facts, and no
    list of parts it does not hold."""
    return Cover(
        kicker=KICKER,
        title="Summary for the board",
        facts=_facts(questionnaire, subject),
        contents_label="",
        contents=(),
        contents_note="The full plan — the 30/60/90-day actions, the services to apply for and "
        "every answer — is in the portal and in the remediation plan.",
        marking=_marking(),
    )


def _marking() -> str:
    return (
        f"{MARKING}. This plan describes weaknesses in the organization's defences. Share it "
        "only with people who need it: leadership, the board, your insurer, grant office or "
        "state coordinator."
    )


def _board(
    questionnaire: Questionnaire,
    result: ScoreResult,
    plan: Plan,
    board: BoardSummary,
    lead: Headline,
) -> BoardPart:
    tier = questionnaire.tier(result.overall_tier_id)
    risks = len(board.risks)
    count = board.critical_count
    budget = board.budget
    return BoardPart(
        heading="Summary for the board",
        score=result.overall_score,
        tier_id=tier.id,
        tier_label=tier.label,
        critical_count=plural(count, "critical gap"),
        unknown_count=f"{plural(board.unknown_count, 'critical answer')} not known yet"
        if board.unknown_count
        else "",
        headline_title=lead.title if lead.capped else "",
        headline_text=lead.text,
        risks_heading=f"{'The risk' if risks == 1 else f'The {risks} risks'} to know about",
        risks=board.risks,
        decisions_heading="What we ask of the board",
        decisions=board.decisions,
        budget_note=(
            f"The budget adds up each planned action's cost band ({budget.free} of them free); "
            "applying for a service costs nothing unless it is marked paid or membership."
        )
        if budget.high or budget.open_ended
        else "",
        done_heading="Done since last time",
        done=board.done,
        first_five_heading="Your first five",
        first_five=tuple(_first_five_step(step) for step in plan.first_steps),
        no_gaps="No gaps were found. Keep testing and improving what is in place.",
        critical_heading="The critical gap: close it first"
        if count == 1
        else f"The {count} critical gaps: close these first",
        critical=tuple(item.fix for item in lead.critical),
        find_out_note=f"Not known yet, so not counted as gaps: {'; '.join(lead.find_out)}. "
        "Find out this week."
        if lead.find_out
        else "",
        glance_heading="The plan at a glance",
        glance_columns=(
            Column("Window", width=25),
            Column("Actions", numeric=True, width=15),
            Column("Staff time", width=25),
            Column("Cost per action", width=35),
        ),
        glance=_glance(plan) if plan.actions else (),
        glance_note=_glance_note(plan),
    )


def _first_five_step(step: FirstStep) -> Step:
    if step.find_out or step.action is None:
        effort = "Effort: a few hours · free"
    else:
        action = step.action
        effort = f"Effort: {DAYS[action.effort]} · cost {action.cost} · {action.owner_label}"
    return Step(step.title, _critical(step.critical), effort=effort)


def _glance(plan: Plan) -> tuple[GlanceRow, ...]:
    rows = []
    for window in WINDOWS:
        items = plan.in_window(window)
        if items:
            staff = f"about {_days(plan.effort_in(window))}"
        elif plan.overrun_before(window):
            staff = "none: the first weeks' overrun uses it"
        else:
            staff = "—"
        over = (OVER_BUDGET,) if items and plan.over_budget(window) else ()
        rows.append(GlanceRow(f"Within {window} days", over, len(items), staff, spending(items)))
    backlog = plan.backlog
    rows.append(
        GlanceRow(
            "Backlog, after 90 days", (), len(backlog), "for the next plan", spending(backlog)
        )
    )
    return tuple(rows)


def _glance_note(plan: Plan) -> str:
    first = WINDOW_BUDGET[30]
    over = (
        f": here about {_days(plan.effort_in(30))} against {first}, so get help with them (the "
        "services below, your IT provider or your state coordinator), and expect little else "
        "to fit in the 90 days"
        if plan.over_budget(30)
        else ""
    )
    return (
        "Beside daily work, one IT person can give a plan about a day and a half a week: "
        f"{first} working days in each 30-day window, counted from day one. Critical fixes and "
        f"this week's steps go in the first 30 days even over budget{over}. What does not fit "
        "waits in the backlog."
    )


def _scores(questionnaire: Questionnaire, result: ScoreResult) -> Table[ScoreRow]:
    rows = []
    for score in result.priorities:
        rows.append(
            ScoreRow(
                questionnaire.priority(score.priority_id).title,
                str(score.score) if score.score is not None else "n/a",
                questionnaire.tier(score.tier_id).label if score.tier_id else "—",
            )
        )
    return Table(
        heading="Scores by priority",
        intro="",
        columns=(
            Column("Priority", width=45),
            Column("Score", numeric=True, width=15),
            Column("Rating", width=40),
        ),
        rows=tuple(rows),
    )


def _schedule(
    questionnaire: Questionnaire,
    plan: Plan,
    board: BoardSummary,
    numbers: Mapping[int, int],
    any_exploited: bool,
) -> SchedulePart:
    count = board.critical_count
    if count == 1:
        critical = " The 1 critical gap is closed by the action marked CRITICAL."
    elif count:
        critical = f" The {count} critical gaps are closed by the actions marked CRITICAL."
    else:
        critical = ""
    week = []
    for step in plan.this_week:
        if step.find_out:
            week.append(
                Step(
                    step.title,
                    _critical(step.critical),
                    how_to_check=f"How to check: {step.detail}",
                )
            )
        elif step.rank is not None and step.rank in numbers:
            week.append(
                Step(
                    step.title, _critical(step.critical), see=f"— action {numbers[step.rank]} below"
                )
            )
        else:
            week.append(Step(step.title, _critical(step.critical)))
    windows = []
    for window in WINDOWS:
        items = plan.in_window(window)
        if not items:
            continue
        windows.append(
            Window(
                heading=f"Within {window} days",
                note=_window_note(plan, window, items),
                actions=tuple(_action(questionnaire, a, numbers, any_exploited) for a in items),
            )
        )
    return SchedulePart(
        heading="The 30/60/90-day plan",
        intro=(
            "In the order an expert would take them: first stop what is exposed today; then the "
            "few controls that stop the most common losses; then free outside checks that show "
            "what you do not know; then patches, by how much attackers use them; then the rest."
            f"{critical} Effort is staff time: low about a day, medium about two days, high about "
            "four days or more. Cost: free, low (under $1,000), medium ($1,000–$10,000), high "
            "(over $10,000). Who: the person or team who does it."
        ),
        this_week_heading="This week",
        this_week_note="— steps measured in hours",
        this_week=tuple(week),
        windows=tuple(windows),
    )


def _window_note(plan: Plan, window: int, items: Sequence[PlannedAction]) -> str:
    note = f"— about {_days(plan.effort_in(window))}"
    budget = WINDOW_BUDGET[window]
    overrun = plan.overrun_before(window)
    if plan.over_budget(window):
        reason = "critical gaps" if any(a.critical for a in items) else "fixes with a deadline"
        return f"{note}: over budget, because {reason} cannot wait"
    if overrun:
        left = budget - overrun if budget > overrun else 0
        return f"{note}; the first weeks' overrun leaves {left} of this window's {budget}"
    return note


def _action(
    questionnaire: Questionnaire,
    planned: PlannedAction,
    numbers: Mapping[int, int],
    any_exploited: bool,
) -> ActionEntry:
    action = planned.action
    question = questionnaire.question(planned.question_id)
    flaws = ""
    if planned.kev and planned.kev.open_entries:
        entries = planned.kev.open_entries
        named = ", ".join(
            e.cve_id + (" (ransomware)" if e.known_ransomware else "")
            for e in entries[:FLAWS_IN_ACTION]
        )
        more = (
            f" and {len(entries) - FLAWS_IN_ACTION} more" if len(entries) > FLAWS_IN_ACTION else ""
        )
        flaws = f"Open flaws: {named}{more}."
    why = f"Why: {planned.why or question.why}"
    if planned.also_closes:
        closes = "; ".join(questionnaire.question(c).text for c in planned.also_closes)
        why += f" This also closes: {closes}"
    tags = _critical(planned.critical) + ("THIS WEEK",) * planned.this_week
    return ActionEntry(
        number=numbers[planned.rank],
        title=("If the check finds it: " if planned.conditional else "") + action.title,
        tags=tags,
        meta=f"Effort {action.effort} · cost {action.cost} · {action.owner_label}",
        detail=action.detail,
        flaws=flaws,
        due=f"Due by {_date(planned.due_on)}" if planned.due_on else "",
        due_reason=": as many days as CISA gives its own agencies." if planned.due_on else "",
        note='Your products with known-exploited flaws are listed under "Known-exploited flaws '
        'in what you run", each with its own action in this plan.'
        if planned.question_id == KEV_QUESTION and not planned.kev and any_exploited
        else "",
        why=why,
        help_label="Free help: ",
        help=tuple(Link(r.title, r.url) for r in action.resources),
        services_label="Services: ",
        services=tuple(questionnaire.tool(t).name for t in planned.tools),
    )


def support_sentence(support: SupportStatus) -> str:
    """Where the line a product runs stands with its maker, in a sentence ("" when current)."""
    if support.state == "unsupported":
        ended = f" (they ended {_date(support.ends)})" if support.ends else ""
        return f"{support.line} gets no more security fixes{ended}."
    if support.state == "extended":
        until = f", until {_date(support.extended_until)}" if support.extended_until else ""
        return f"{support.line} gets fixes only through paid extended support{until}."
    if support.behind_latest:
        return f"A newer release of your line is out: {support.latest}."
    return ""


def _exploited(open_matches: Sequence[ProductMatch], with_answers: bool) -> Listing[ProductPart]:
    where = (
        " and in the appendix"
        if with_answers
        else " and in the version of this plan with every answer"
    )
    return Listing(
        heading="Known-exploited flaws in what you run",
        intro=(
            "From CISA's list of flaws attackers are using now, in products on your list: the "
            f"ones still open, newest first. {CAVEATS[0]} Mark each one on the portal when it is "
            f"settled. CISA's own words for each are on the portal{where}."
        ),
        items=tuple(_product(m) for m in open_matches),
    )


def _product(match: ProductMatch) -> ProductPart:
    product = match.product
    listed = " ".join(part for part in (product.vendor, product.product) if part)
    version = f", version {product.version}" if product.version else ""
    msp = "; looked after by your IT provider" if product.managed_by_msp else ""
    settled = f", {len(match.settled_entries)} settled" if match.settled_entries else ""
    opened = match.open_entries
    deadline = match.deadline()
    return ProductPart(
        name=product.name,
        tags=("RANSOMWARE",) * match.ransomware + ("FACES THE INTERNET",) * product.internet_facing,
        listed=f"On your list as “{listed}”{version}{msp}. "
        f"{plural(len(opened), 'open flaw')}{settled}.",
        due=f"Due by {_date(deadline)}." if deadline else "",
        support=support_sentence(match.support) if match.support else "",
        flaws=tuple(_flaw(e) for e in newest_first(opened)[:KEV_SHOWN]),
        more=f"And {len(opened) - KEV_SHOWN} older ones: see and settle them on the portal."
        if len(opened) > KEV_SHOWN
        else "",
    )


def _flaw(entry: KevEntry) -> FlawLine:
    days = cisa_days(entry)
    ransomware = "; used by ransomware" if entry.known_ransomware else ""
    return FlawLine(
        entry.cve_id,
        f"{plain_kind(entry)}. Added {_date(entry.date_added)}{ransomware}. "
        f"CISA gives {days} day{'' if days == 1 else 's'}.",
    )


def _find_out(questionnaire: Questionnaire, plan: Plan) -> Listing[FindOutItem]:
    return Listing(
        heading="Find out first",
        intro="These were answered “I don't know”. They count as not in place until you know.",
        items=tuple(
            FindOutItem(
                questionnaire.question(task.question_id).text,
                _critical(task.critical),
                f"How to check: {task.how_to_check}",
            )
            for task in plan.find_out
        ),
    )


def _terms(tool: Tool) -> str:
    decides = (
        "your state decides (request it in the portal)"
        if tool.state_decides
        else f"{tool.who_decides} decides"
    )
    verify = " · check current terms" if tool.confidence == "verify" else ""
    return f"{tool.cost_words} · {tool.provider} · {decides}{verify}"


def _who_can_get_it(tool: Tool) -> str:
    if not tool.eligibility_note:
        return ""
    checked = (
        f" (checked {_date(tool.checked)})"
        if tool.checked and "checked" not in tool.eligibility_note
        else ""
    )
    return f"Who can get it: {tool.eligibility_note}{checked}"


def _services(plan: Plan) -> ServicesPart:
    free = len(plan.free_services)
    others = len(plan.tools) - free
    more = f" and {others} paid, membership or grant" if others else ""
    linked = []
    for match in plan.tools:
        if not match.gap_question_ids:
            continue
        tool = match.tool
        critical = ", including a critical one" if match.critical else ""
        contact = f" {tool.contact}" if tool.contact else ""
        linked.append(
            ServiceRow(
                name=tool.name,
                terms=_terms(tool),
                summary=tool.summary,
                helps=f"Helps with {len(match.gap_question_ids)} of your gaps{critical}.",
                who_can_get_it=_who_can_get_it(tool),
                how_to_apply=f"How to apply: {tool.how_to_request}{contact}",
                link=Link(tool.url, tool.url) if tool.url else None,
            )
        )
    return ServicesPart(
        heading="Services you can apply for",
        intro=f"{plural(free, 'free service')}{more}. Most are given by their provider: apply "
        "to it directly. Only what your state gives itself can be requested through the portal; "
        "your coordinator decides those.",
        columns=(
            Column("Service", width=30),
            Column("What it does, who can get it and how to apply", width=70),
        ),
        linked=tuple(linked),
        others_heading="Also open to organizations like yours",
        others=tuple(_other_service(m) for m in plan.tools if not m.gap_question_ids),
    )


def _other_service(match: ToolMatch) -> ServiceRow:
    tool = match.tool
    return ServiceRow(
        name=tool.name,
        terms=_terms(tool),
        summary="",
        helps="",
        who_can_get_it=_who_can_get_it(tool),
        how_to_apply="" if tool.url else tool.how_to_request,
        link=Link(tool.url, tool.url) if tool.url else None,
    )


def _information(plan: Plan) -> Listing[InformationItem]:
    return Listing(
        heading="Useful information",
        intro="Public lists, guides and programs that help with your gaps. There is nothing to "
        "request: read or download them.",
        items=tuple(
            InformationItem(
                m.tool.name,
                m.tool.provider,
                Link(m.tool.url, m.tool.url) if m.tool.url else None,
                m.tool.summary,
            )
            for m in plan.information
        ),
    )


def _backlog(plan: Plan, numbers: Mapping[int, int]) -> Table[BacklogRow]:
    return Table(
        heading="Appendix: the backlog",
        intro=f"{plural(len(plan.backlog), 'more action')} that do not fit in 90 days beside "
        "daily work. Start them when the plan above is done, or sooner with help; the next "
        "self-assessment ranks them again.",
        columns=(
            Column("#", numeric=True, width=5),
            Column("Action", width=55),
            Column("Effort · cost", width=20),
            Column("Who", width=20),
        ),
        rows=tuple(
            BacklogRow(
                numbers[a.rank],
                a.action.title,
                f"{a.action.effort} · {a.action.cost}",
                a.action.owner_label,
            )
            for a in plan.backlog
        ),
    )


def shorten(text: str, length: int, end: str = "...", *, whole_words: bool = True) -> str:
    """``text`` cut to ``length`` characters with ``end`` (Jinja's ``truncate``: whole words
    with 5 characters of leeway, or cut mid-word)."""
    if whole_words:
        if len(text) <= length + 5:
            return text
        return text[: length - len(end)].rsplit(" ", 1)[0] + end
    if len(text) <= length:
        return text
    return text[: length - len(end)] + end


def _catalog(open_matches: Sequence[ProductMatch]) -> Table[CatalogRow]:
    return Table(
        heading="Appendix: what CISA's catalog says",
        intro="The catalog's own words for each open flaw above, as CISA wrote them for "
        "federal agencies.",
        columns=(Column("Flaw", width=25), Column("Name and required action", width=75)),
        rows=tuple(
            CatalogRow(
                e.cve_id,
                m.product.name,
                f"{e.vulnerability_name}. {shorten(e.required_action, 160)}",
            )
            for m in open_matches
            for e in newest_first(m.open_entries)[:KEV_SHOWN]
        ),
    )


def _answers(questionnaire: Questionnaire, answers: AnswersInput) -> Table[AnswerRow]:
    rows = []
    for module in questionnaire.modules:
        if module.id not in answers.modules:
            continue
        for question in module.questions():
            if question.id not in answers.shown:
                continue
            note = answers.notes.get(question.id)
            references = []
            if question.refs.cpg2:
                references.append(f"CPG 2.0 {', '.join(question.refs.cpg2)}")
            if question.refs.csf2:
                references.append(f"CSF 2.0 {', '.join(question.refs.csf2)}")
            own = answers.sector_references(question)
            if own:
                references.append(", ".join(own))
            rows.append(
                AnswerRow(
                    question=question.text,
                    tags=_critical(question.critical),
                    note="Note: "
                    + shorten(
                        note,
                        NOTE_LIMIT,
                        " … (shortened here; the full note is in the portal)",
                        whole_words=False,
                    )
                    if note
                    else "",
                    answer=question.label_for(answers.values.get(question.id)),
                    references=tuple(references),
                )
            )
    return Table(
        heading="Appendix: every answer",
        intro="",
        columns=(
            Column("Question", width=55),
            Column("Answer", width=20),
            Column("References", width=25),
        ),
        rows=tuple(rows),
    )


# --- the plan as rows (a spreadsheet of the actions) ---------------------------------------


def due_date(action: PlannedAction, window_ends: Mapping[int, date]) -> date | None:
    """The day an action is due: the last day of its window or, when earlier, the date CISA's
    catalog gives an internet-facing product's flaw; None for the backlog."""
    days = [d for d in (window_ends.get(action.window or 0), action.due_on) if d is not None]
    return min(days) if days else None


@dataclass(frozen=True)
class PlanRow:
    number: int
    action: str
    window: str
    critical: str
    owner: str
    effort: str
    cost: str
    due: date | None
    status: str
    question_id: str


PLAN_ROW_LABELS = (
    "#", "Action", "Window", "Critical", "Owner", "Effort", "Cost", "Due date", "Status",
    "Question",
)  # fmt: skip


def plan_rows(plan: Plan, window_ends: Mapping[int, date]) -> tuple[PlanRow, ...]:
    """Each action of the plan as a row, numbered and ordered as the plan shows them (window by
    window, then the backlog). A known-exploited product's action says how many of its flaws are
    settled."""
    numbers = action_numbers(plan)
    rows = []
    for planned in sorted(plan.actions, key=lambda a: numbers[a.rank]):
        status = "Open"
        if planned.kev and planned.kev.entries:
            settled = len(planned.kev.settled_entries)
            status = f"Open: {settled} of {plural(len(planned.kev.entries), 'flaw')} settled"
        rows.append(
            PlanRow(
                number=numbers[planned.rank],
                action=("If the check finds it: " if planned.conditional else "")
                + planned.action.title,
                window=f"Within {planned.window} days" if planned.window else "Backlog",
                critical="Critical" if planned.critical else "",
                owner=planned.action.owner_label,
                effort=planned.action.effort,
                cost=planned.action.cost,
                due=due_date(planned, window_ends),
                status=status,
                question_id=planned.question_id,
            )
        )
    return tuple(rows)
