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
from portal.questionnaire import words
from portal.questionnaire.model import Question, Questionnaire, Tool
from portal.questionnaire.words import N_, _, ngettext
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
DAYS = {"low": N_("about a day"), "medium": N_("about 2 days"), "high": N_("about 4 days or more")}
# An action's effort and cost level, in words (the ids are never shown).
LEVEL_WORDS = {"free": N_("free"), "low": N_("low"), "medium": N_("medium"), "high": N_("high")}
CRITICAL = N_("CRITICAL")
OVER_BUDGET = N_("OVER BUDGET")
MARKING = N_("SENSITIVE — NOT FOR PUBLIC RELEASE")
KICKER = N_("Readiness Portal · Cyber readiness")


def _critical(critical: bool) -> tuple[str, ...]:
    return (_(CRITICAL),) if critical else ()


def _level(level: str) -> str:
    """An effort or cost level in words ("low")."""
    words = LEVEL_WORDS.get(level)
    return _(words) if words is not None else level


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
        title=_(
            "Cyber readiness remediation plan — %(organization)s",
            organization=subject.organization,
        ),
        board_title=_(
            "Cyber readiness summary for the board — %(organization)s",
            organization=subject.organization,
        ),
        description=_("Self-assessment results and 30/60/90-day remediation plan"),
        running=Running(
            head=_(
                "%(organization)s — Remediation plan · %(generated)s",
                organization=subject.organization,
                generated=subject.generated,
            ),
            marking=_(MARKING),
            foot=_("Questionnaire %(version)s", version=questionnaire.version),
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
    return words.day(day)


def _long_date(day: date) -> str:
    return words.long_day(day)


def _about_days(count: int) -> str:
    return ngettext("about %(num)s working day", "about %(num)s working days", count)


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
    parts = [_("a summary for the board"), _("scores by priority")]
    for present, part in (
        (plan.scheduled, _("the 30/60/90-day plan")),
        (open_matches, _("known-exploited flaws in what you run")),
        (plan.find_out, _("things to find out first")),
        (plan.tools, _("services you can apply for")),
        (plan.information, _("useful information")),
        (plan.backlog, _("the backlog")),
        (with_answers, _("every answer")),
    ):
        if present:
            parts.append(part)
    return Cover(
        kicker=_(KICKER),
        title=_("Remediation plan"),
        facts=_facts(questionnaire, subject),
        contents_label=_("In this plan:"),
        contents=tuple(parts),
        contents_note=""
        if with_answers
        else _(
            "Every answer, with its references to CISA's CPGs and NIST CSF 2.0, is in the "
            "portal and in the version of this plan with the answers appended."
        ),
        marking=_marking(),
    )


def _facts(questionnaire: Questionnaire, subject: Subject) -> tuple[Fact, ...]:
    if subject.submitted_on:
        assessment = _(
            "#%(id)s, %(status)s %(date)s",
            id=subject.assessment_id,
            status=subject.status,
            date=_long_date(subject.submitted_on),
        )
    else:
        assessment = _("#%(id)s, %(status)s", id=subject.assessment_id, status=subject.status)
    return (
        Fact(_("Organization"), subject.organization, "org-name"),
        Fact(_("Sector"), subject.sectors),
        Fact(
            _("Location"),
            _("%(county)s County, %(state)s", county=subject.county, state=subject.state),
        ),
        Fact(_("Assessment"), assessment),
        Fact(_("Questionnaire version"), questionnaire.version, "qversion"),
        Fact(_("Generated"), subject.generated, "generated"),
    )


def _board_cover(questionnaire: Questionnaire, subject: Subject) -> Cover:
    """The cover of the summary for the board handed out on its own: the plan's facts, and no
    list of parts it does not hold."""
    return Cover(
        kicker=_(KICKER),
        title=_("Summary for the board"),
        facts=_facts(questionnaire, subject),
        contents_label="",
        contents=(),
        contents_note=_(
            "The full plan — the 30/60/90-day actions, the services to apply for and every "
            "answer — is in the portal and in the remediation plan."
        ),
        marking=_marking(),
    )


def _marking() -> str:
    return _(
        "%(marking)s. This plan describes weaknesses in the organization's defences. Share it "
        "only with people who need it: leadership, the board, your insurer, grant office or "
        "state coordinator.",
        marking=_(MARKING),
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
        heading=_("Summary for the board"),
        score=result.overall_score,
        tier_id=tier.id,
        tier_label=tier.label,
        critical_count=ngettext("%(num)s critical gap", "%(num)s critical gaps", count),
        unknown_count=ngettext(
            "%(num)s critical answer not known yet",
            "%(num)s critical answers not known yet",
            board.unknown_count,
        )
        if board.unknown_count
        else "",
        headline_title=lead.title if lead.capped else "",
        headline_text=lead.text,
        risks_heading=ngettext("The risk to know about", "The %(num)s risks to know about", risks),
        risks=board.risks,
        decisions_heading=_("What we ask of the board"),
        decisions=board.decisions,
        budget_note=_(
            "The budget adds up each planned action's cost band (%(free)s of them free); "
            "applying for a service costs nothing unless it is marked paid or membership.",
            free=budget.free,
        )
        if budget.high or budget.open_ended
        else "",
        done_heading=_("Done since last time"),
        done=board.done,
        first_five_heading=_("Your first five"),
        first_five=tuple(_first_five_step(step) for step in plan.first_steps),
        no_gaps=_("No gaps were found. Keep testing and improving what is in place."),
        critical_heading=ngettext(
            "The critical gap: close it first",
            "The %(num)s critical gaps: close these first",
            count,
        ),
        critical=tuple(item.fix for item in lead.critical),
        find_out_note=_(
            "Not known yet, so not counted as gaps: %(questions)s.",
            questions="; ".join(lead.find_out),
        )
        + " "
        + _("Find out this week.")
        if lead.find_out
        else "",
        glance_heading=_("The plan at a glance"),
        glance_columns=(
            Column(_("Window"), width=25),
            Column(_("Actions"), numeric=True, width=15),
            Column(_("Staff time"), width=25),
            Column(_("Cost per action"), width=35),
        ),
        glance=_glance(plan) if plan.actions else (),
        glance_note=_glance_note(plan),
    )


def _first_five_step(step: FirstStep) -> Step:
    if step.find_out or step.action is None:
        effort = _("Effort: a few hours · free")
    else:
        action = step.action
        effort = _(
            "Effort: %(days)s · cost %(cost)s · %(owner)s",
            days=_(DAYS[action.effort]),
            cost=_level(action.cost),
            owner=action.owner_label,
        )
    return Step(step.title, _critical(step.critical), effort=effort)


def _glance(plan: Plan) -> tuple[GlanceRow, ...]:
    rows = []
    for window in WINDOWS:
        items = plan.in_window(window)
        if items:
            staff = _about_days(plan.effort_in(window))
        elif plan.overrun_before(window):
            staff = _("none: the first weeks' overrun uses it")
        else:
            staff = "—"
        over = (_(OVER_BUDGET),) if items and plan.over_budget(window) else ()
        rows.append(GlanceRow(_within(window), over, len(items), staff, spending(items)))
    backlog = plan.backlog
    rows.append(
        GlanceRow(
            _("Backlog, after 90 days"),
            (),
            len(backlog),
            _("for the next plan"),
            spending(backlog),
        )
    )
    return tuple(rows)


def _glance_note(plan: Plan) -> str:
    first = WINDOW_BUDGET[30]
    if plan.over_budget(30):
        over = ngettext(
            "Critical fixes and this week's steps go in the first 30 days even over budget: here "
            "about %(num)s working day against %(first)s, so get help with them (the services "
            "below, your IT provider or your state coordinator), and expect little else to fit "
            "in the 90 days.",
            "Critical fixes and this week's steps go in the first 30 days even over budget: here "
            "about %(num)s working days against %(first)s, so get help with them (the services "
            "below, your IT provider or your state coordinator), and expect little else to fit "
            "in the 90 days.",
            plan.effort_in(30),
            first=first,
        )
    else:
        over = _("Critical fixes and this week's steps go in the first 30 days even over budget.")
    return " ".join(
        [
            _(
                "Beside daily work, one IT person can give a plan about a day and a half a week: "
                "%(first)s working days in each 30-day window, counted from day one.",
                first=first,
            ),
            over,
            _("What does not fit waits in the backlog."),
        ]
    )


def _scores(questionnaire: Questionnaire, result: ScoreResult) -> Table[ScoreRow]:
    rows = []
    for score in result.priorities:
        rows.append(
            ScoreRow(
                questionnaire.priority(score.priority_id).title,
                str(score.score) if score.score is not None else _("n/a"),
                questionnaire.tier(score.tier_id).label if score.tier_id else "—",
            )
        )
    return Table(
        heading=_("Scores by priority"),
        intro="",
        columns=(
            Column(_("Priority"), width=45),
            Column(_("Score"), numeric=True, width=15),
            Column(_("Rating"), width=40),
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
    critical = (
        [
            ngettext(
                "The %(num)s critical gap is closed by the action marked CRITICAL.",
                "The %(num)s critical gaps are closed by the actions marked CRITICAL.",
                count,
            )
        ]
        if count
        else []
    )
    week = []
    for step in plan.this_week:
        if step.find_out:
            week.append(
                Step(
                    step.title,
                    _critical(step.critical),
                    how_to_check=_("How to check: %(how)s", how=step.detail),
                )
            )
        elif step.rank is not None and step.rank in numbers:
            week.append(
                Step(
                    step.title,
                    _critical(step.critical),
                    see=_("— action %(number)s below", number=numbers[step.rank]),
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
                heading=_within(window),
                note=_window_note(plan, window, items),
                actions=tuple(_action(questionnaire, a, numbers, any_exploited) for a in items),
            )
        )
    return SchedulePart(
        heading=_("The 30/60/90-day plan"),
        intro=" ".join(
            [
                _(
                    "In the order an expert would take them: first stop what is exposed today; "
                    "then the few controls that stop the most common losses; then free outside "
                    "checks that show what you do not know; then patches, by how much attackers "
                    "use them; then the rest."
                ),
                *critical,
                _(
                    "Effort is staff time: low about a day, medium about two days, high about "
                    "four days or more."
                ),
                _("Cost: free, low (under $1,000), medium ($1,000–$10,000), high (over $10,000)."),
                _("Who: the person or team who does it."),
            ]
        ),
        this_week_heading=_("This week"),
        this_week_note=_("— steps measured in hours"),
        this_week=tuple(week),
        windows=tuple(windows),
    )


def _within(window: int) -> str:
    return _("Within %(days)s days", days=window)


def _window_note(plan: Plan, window: int, items: Sequence[PlannedAction]) -> str:
    days = plan.effort_in(window)
    budget = WINDOW_BUDGET[window]
    overrun = plan.overrun_before(window)
    if plan.over_budget(window):
        if any(a.critical for a in items):
            return ngettext(
                "— about %(num)s working day: over budget, because critical gaps cannot wait",
                "— about %(num)s working days: over budget, because critical gaps cannot wait",
                days,
            )
        return ngettext(
            "— about %(num)s working day: over budget, because fixes with a deadline cannot wait",
            "— about %(num)s working days: over budget, because fixes with a deadline cannot wait",
            days,
        )
    if overrun:
        return ngettext(
            "— about %(num)s working day; the first weeks' overrun leaves %(left)s of this "
            "window's %(budget)s",
            "— about %(num)s working days; the first weeks' overrun leaves %(left)s of this "
            "window's %(budget)s",
            days,
            left=budget - overrun if budget > overrun else 0,
            budget=budget,
        )
    return ngettext("— about %(num)s working day", "— about %(num)s working days", days)


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
            _("%(cve)s (ransomware)", cve=e.cve_id) if e.known_ransomware else e.cve_id
            for e in entries[:FLAWS_IN_ACTION]
        )
        if len(entries) > FLAWS_IN_ACTION:
            flaws = ngettext(
                "Open flaws: %(flaws)s and %(num)s more.",
                "Open flaws: %(flaws)s and %(num)s more.",
                len(entries) - FLAWS_IN_ACTION,
                flaws=named,
            )
        else:
            flaws = _("Open flaws: %(flaws)s.", flaws=named)
    why = _("Why: %(why)s", why=planned.why or question.why)
    if planned.also_closes:
        closes = "; ".join(questionnaire.question(c).text for c in planned.also_closes)
        why += " " + _("This also closes: %(questions)s", questions=closes)
    tags = _critical(planned.critical) + (_("THIS WEEK"),) * planned.this_week
    return ActionEntry(
        number=numbers[planned.rank],
        title=_("If the check finds it: %(step)s", step=action.title)
        if planned.conditional
        else action.title,
        tags=tags,
        meta=_(
            "Effort %(effort)s · cost %(cost)s · %(owner)s",
            effort=_level(action.effort),
            cost=_level(action.cost),
            owner=action.owner_label,
        ),
        detail=action.detail,
        flaws=flaws,
        due=_("Due by %(date)s", date=_date(planned.due_on)) if planned.due_on else "",
        due_reason=_(": as many days as CISA gives its own agencies.") if planned.due_on else "",
        note=_(
            'Your products with known-exploited flaws are listed under "Known-exploited flaws '
            'in what you run", each with its own action in this plan.'
        )
        if planned.question_id == KEV_QUESTION and not planned.kev and any_exploited
        else "",
        why=why,
        help_label=_("Free help: "),
        help=tuple(Link(r.title, r.url) for r in action.resources),
        services_label=_("Services: "),
        services=tuple(questionnaire.tool(t).name for t in planned.tools),
    )


def support_sentence(support: SupportStatus) -> str:
    """Where the line a product runs stands with its maker, in a sentence ("" when current)."""
    if support.state == "unsupported":
        if support.ends:
            return _(
                "%(line)s gets no more security fixes (they ended %(date)s).",
                line=support.line,
                date=_date(support.ends),
            )
        return _("%(line)s gets no more security fixes.", line=support.line)
    if support.state == "extended":
        if support.extended_until:
            return _(
                "%(line)s gets fixes only through paid extended support, until %(date)s.",
                line=support.line,
                date=_date(support.extended_until),
            )
        return _("%(line)s gets fixes only through paid extended support.", line=support.line)
    if support.behind_latest:
        return _("A newer release of your line is out: %(version)s.", version=support.latest)
    return ""


def _exploited(open_matches: Sequence[ProductMatch], with_answers: bool) -> Listing[ProductPart]:
    where = (
        _("CISA's own words for each are on the portal and in the appendix.")
        if with_answers
        else _(
            "CISA's own words for each are on the portal and in the version of this plan with "
            "every answer."
        )
    )
    return Listing(
        heading=_("Known-exploited flaws in what you run"),
        intro=" ".join(
            [
                _(
                    "From CISA's list of flaws attackers are using now, in products on your "
                    "list: the ones still open, newest first."
                ),
                _(CAVEATS[0]),
                _("Mark each one on the portal when it is settled."),
                where,
            ]
        ),
        items=tuple(_product(m) for m in open_matches),
    )


def _product(match: ProductMatch) -> ProductPart:
    product = match.product
    listed = " ".join(part for part in (product.vendor, product.product) if part)
    opened = match.open_entries
    deadline = match.deadline()
    return ProductPart(
        name=product.name,
        tags=(_("RANSOMWARE"),) * match.ransomware
        + (_("FACES THE INTERNET"),) * product.internet_facing,
        listed=f"{_listed(listed, product.version, product.managed_by_msp)} "
        f"{_open_flaws(len(opened), len(match.settled_entries))}",
        due=_("Due by %(date)s.", date=_date(deadline)) if deadline else "",
        support=support_sentence(match.support) if match.support else "",
        flaws=tuple(_flaw(e) for e in newest_first(opened)[:KEV_SHOWN]),
        more=ngettext(
            "And %(num)s older ones: see and settle them on the portal.",
            "And %(num)s older ones: see and settle them on the portal.",
            len(opened) - KEV_SHOWN,
        )
        if len(opened) > KEV_SHOWN
        else "",
    )


def _listed(listed: str, version: str, msp: bool) -> str:
    """How a product is on the organization's list, in a sentence."""
    if version and msp:
        return _(
            "On your list as “%(name)s”, version %(version)s; looked after by your IT provider.",
            name=listed,
            version=version,
        )
    if version:
        return _("On your list as “%(name)s”, version %(version)s.", name=listed, version=version)
    if msp:
        return _("On your list as “%(name)s”; looked after by your IT provider.", name=listed)
    return _("On your list as “%(name)s”.", name=listed)


def _open_flaws(opened: int, settled: int) -> str:
    if settled:
        return ngettext(
            "%(num)s open flaw, %(settled)s settled.",
            "%(num)s open flaws, %(settled)s settled.",
            opened,
            settled=settled,
        )
    return ngettext("%(num)s open flaw.", "%(num)s open flaws.", opened)


def _flaw(entry: KevEntry) -> FlawLine:
    if entry.known_ransomware:
        added = _(
            "%(kind)s. Added %(date)s; used by ransomware.",
            kind=plain_kind(entry),
            date=_date(entry.date_added),
        )
    else:
        added = _("%(kind)s. Added %(date)s.", kind=plain_kind(entry), date=_date(entry.date_added))
    days = ngettext("CISA gives %(num)s day.", "CISA gives %(num)s days.", cisa_days(entry))
    return FlawLine(entry.cve_id, f"{added} {days}")


def _find_out(questionnaire: Questionnaire, plan: Plan) -> Listing[FindOutItem]:
    return Listing(
        heading=_("Find out first"),
        intro=_("These were answered “I don't know”. They count as not in place until you know."),
        items=tuple(
            FindOutItem(
                questionnaire.question(task.question_id).text,
                _critical(task.critical),
                _("How to check: %(how)s", how=task.how_to_check),
            )
            for task in plan.find_out
        ),
    )


def _terms(tool: Tool) -> str:
    decides = (
        _("your state decides (request it in the portal)")
        if tool.state_decides
        else _("%(who)s decides", who=tool.who_decides)
    )
    parts = [tool.cost_words, tool.provider, decides]
    if tool.confidence == "verify":
        parts.append(_("check current terms"))
    return " · ".join(parts)


def _who_can_get_it(tool: Tool) -> str:
    if not tool.eligibility_note:
        return ""
    if tool.checked and "checked" not in tool.eligibility_note:
        return _(
            "Who can get it: %(note)s (checked %(date)s)",
            note=tool.eligibility_note,
            date=_date(tool.checked),
        )
    return _("Who can get it: %(note)s", note=tool.eligibility_note)


def _services(plan: Plan) -> ServicesPart:
    free = len(plan.free_services)
    others = len(plan.tools) - free
    if others:
        count = ngettext(
            "%(num)s free service and %(others)s paid, membership or grant.",
            "%(num)s free services and %(others)s paid, membership or grant.",
            free,
            others=others,
        )
    else:
        count = ngettext("%(num)s free service.", "%(num)s free services.", free)
    linked = []
    for match in plan.tools:
        if not match.gap_question_ids:
            continue
        tool = match.tool
        gaps = len(match.gap_question_ids)
        helps = (
            _("Helps with %(count)s of your gaps, including a critical one.", count=gaps)
            if match.critical
            else _("Helps with %(count)s of your gaps.", count=gaps)
        )
        how = (
            _(
                "How to apply: %(how)s %(contact)s",
                how=tool.how_to_request,
                contact=tool.contact,
            )
            if tool.contact
            else _("How to apply: %(how)s", how=tool.how_to_request)
        )
        linked.append(
            ServiceRow(
                name=tool.name,
                terms=_terms(tool),
                summary=tool.summary,
                helps=helps,
                who_can_get_it=_who_can_get_it(tool),
                how_to_apply=how,
                link=Link(tool.url, tool.url) if tool.url else None,
            )
        )
    return ServicesPart(
        heading=_("Services you can apply for"),
        intro=" ".join(
            [
                count,
                _("Most are given by their provider: apply to it directly."),
                _(
                    "Only what your state gives itself can be requested through the portal; "
                    "your coordinator decides those."
                ),
            ]
        ),
        columns=(
            Column(_("Service"), width=30),
            Column(_("What it does, who can get it and how to apply"), width=70),
        ),
        linked=tuple(linked),
        others_heading=_("Also open to organizations like yours"),
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
        heading=_("Useful information"),
        intro=_(
            "Public lists, guides and programs that help with your gaps. There is nothing to "
            "request: read or download them."
        ),
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
        heading=_("Appendix: the backlog"),
        intro=" ".join(
            [
                ngettext(
                    "%(num)s more action that do not fit in 90 days beside daily work.",
                    "%(num)s more actions that do not fit in 90 days beside daily work.",
                    len(plan.backlog),
                ),
                _(
                    "Start them when the plan above is done, or sooner with help; the next "
                    "self-assessment ranks them again."
                ),
            ]
        ),
        columns=(
            Column("#", numeric=True, width=5),
            Column(_("Action"), width=55),
            Column(_("Effort · cost"), width=20),
            Column(_("Who"), width=20),
        ),
        rows=tuple(
            BacklogRow(
                numbers[a.rank],
                a.action.title,
                f"{_level(a.action.effort)} · {_level(a.action.cost)}",
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
        heading=_("Appendix: what CISA's catalog says"),
        intro=_(
            "The catalog's own words for each open flaw above, as CISA wrote them for federal "
            "agencies."
        ),
        columns=(Column(_("Flaw"), width=25), Column(_("Name and required action"), width=75)),
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
    shortened = " " + _("… (shortened here; the full note is in the portal)")
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
                    note=_(
                        "Note: %(note)s",
                        note=shorten(note, NOTE_LIMIT, shortened, whole_words=False),
                    )
                    if note
                    else "",
                    answer=question.label_for(answers.values.get(question.id)),
                    references=tuple(references),
                )
            )
    return Table(
        heading=_("Appendix: every answer"),
        intro="",
        columns=(
            Column(_("Question"), width=55),
            Column(_("Answer"), width=20),
            Column(_("References"), width=25),
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
    "#", N_("Action"), N_("Window"), N_("Critical"), N_("Owner"), N_("Effort"), N_("Cost"),
    N_("Due date"), N_("Status"), N_("Question"),
)  # fmt: skip


def plan_rows(plan: Plan, window_ends: Mapping[int, date]) -> tuple[PlanRow, ...]:
    """Each action of the plan as a row, numbered and ordered as the plan shows them (window by
    window, then the backlog). A known-exploited product's action says how many of its flaws are
    settled."""
    numbers = action_numbers(plan)
    rows = []
    for planned in sorted(plan.actions, key=lambda a: numbers[a.rank]):
        status = _("Open")
        if planned.kev and planned.kev.entries:
            status = ngettext(
                "Open: %(settled)s of %(num)s flaw settled",
                "Open: %(settled)s of %(num)s flaws settled",
                len(planned.kev.entries),
                settled=len(planned.kev.settled_entries),
            )
        rows.append(
            PlanRow(
                number=numbers[planned.rank],
                action=_("If the check finds it: %(step)s", step=planned.action.title)
                if planned.conditional
                else planned.action.title,
                window=_within(planned.window) if planned.window else _("Backlog"),
                critical=_("Critical") if planned.critical else "",
                owner=planned.action.owner_label,
                effort=_level(planned.action.effort),
                cost=_level(planned.action.cost),
                due=due_date(planned, window_ends),
                status=status,
                question_id=planned.question_id,
            )
        )
    return tuple(rows)
