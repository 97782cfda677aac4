"""The summary for the board: what a board of a small hospital, bank or utility reads in two
minutes and decides on — in its own terms, at grade 9 or below (the portal's own words; the
names of actions and services are quoted as they are).

- the three risks, one sentence each (the critical gaps by the plan's stages, then what is not
  known, then the weakest priorities);
- the decisions asked of the board: staff time, a budget line in dollars, the rules only
  leadership can set, the services to apply for, a report in 90 days;
- staff days and a budget line from the actions' cost bands (free; under $1,000; $1,000 to
  $10,000; over $10,000 — the last open-ended, said so);
- what was done since last time: known-exploited flaws settled, answers improved.

Plain Python: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from portal.kev.matching import ProductMatch, TriageState
from portal.questionnaire import words
from portal.questionnaire.model import Questionnaire
from portal.questionnaire.words import N_, _, ngettext
from portal.remediation.planner import RULE_STAGE, WINDOWS, Plan, PlannedAction
from portal.scoring.engine import ScoreResult
from portal.scoring.headline import critical_list

# Each action's cost band in dollars (its lowest and highest); None: no upper bound.
COST_DOLLARS: dict[str, tuple[int, int | None]] = {
    "free": (0, 0),
    "low": (0, 1_000),
    "medium": (1_000, 10_000),
    "high": (10_000, None),
}
# One sentence per part of the criticality rule (questionnaires/README.md, What is critical).
RULE_RISKS = {
    "internet_exposure": N_(
        "Attackers can reach some of our systems straight from the internet, the way most "
        "ransomware gets in."
    ),
    "remote_access_without_mfa": N_(
        "One stolen password is enough for an attacker to log in to our systems from anywhere."
    ),
    "cannot_recover": N_(
        "If ransomware hits, we may not be able to get our systems and data back."
    ),
    "fraud_path": N_(
        "A fake email or call, or a stolen customer login, could move money to criminals."
    ),
    "default_or_orphan_credentials": N_(
        "Some logins still use passwords attackers know, or belong to people who have left."
    ),
    "known_exploited": N_("We run products with flaws that criminals are using right now."),
    "unsupported": N_("Some of our systems that face the internet get no more security fixes."),
}
# The same risks in a sector's own terms, where its board would read them differently.
SECTOR_RISKS = {
    ("water", "internet_exposure"): N_(
        "Someone on the internet could reach the plant's control screens and change how the "
        "water is treated."
    ),
    ("water", "remote_access_without_mfa"): N_(
        "With one stolen password, someone could take over the plant's control screens from "
        "anywhere."
    ),
    ("electric", "internet_exposure"): N_(
        "Someone on the internet could reach the systems that switch our power lines."
    ),
    ("electric", "remote_access_without_mfa"): N_(
        "With one stolen password, someone could reach the systems that switch our power "
        "lines from anywhere."
    ),
    ("hospital", "cannot_recover"): N_(
        "If ransomware hits, we could lose patient records and be unable to restore them, "
        "and staff have not practised care on paper."
    ),
}
# When fewer than three critical gaps: the weakest priority, in the board's terms.
PRIORITY_RISKS = {
    "vulnerabilities": N_("Known flaws in our software are not found and fixed fast enough."),
    "access": N_("We do not control well enough who can log in to our systems."),
    "exposure": N_("Too much of our network can be reached by attackers."),
    "detection": N_("An attack could go on for days before anyone notices."),
    "response": N_("We are not ready to respond to an attack and keep working through it."),
    "workforce": N_("Staff are not trained to spot and report attacks."),
    "governance": N_("Cyber risk is not yet run as a business risk, with vendors held to it."),
}
RISKS = 3


@dataclass(frozen=True)
class Budget:
    """A budget line from the cost bands of the actions planned for the next 90 days."""

    low: int  # dollars
    high: int  # dollars, of the bounded bands
    open_ended: int  # actions "over $10,000": quotes needed
    free: int  # actions at no cost

    def words(self) -> str:
        if self.high == 0 and not self.open_ended:
            return _("no spending: every planned action is free")
        if self.open_ended:
            return ngettext(
                "at least %(low)s: up to %(high)s for the smaller items, and %(num)s larger item "
                "over $10,000 each to be quoted",
                "at least %(low)s: up to %(high)s for the smaller items, and %(num)s larger "
                "items over $10,000 each to be quoted",
                self.open_ended,
                low=_dollars(self.low + 10_000 * self.open_ended),
                high=_dollars(self.high),
            )
        if self.low == self.high:
            return _("about %(amount)s", amount=_dollars(self.high))
        return _("%(low)s to %(high)s", low=_dollars(self.low), high=_dollars(self.high))

    def decision(self) -> str:
        """The budget the board is asked to approve, in a sentence."""
        if self.open_ended:
            return ngettext(
                "Approve a budget of at least %(low)s: up to %(high)s for the smaller items, and "
                "%(num)s larger item over $10,000 each to be quoted for the next 90 days.",
                "Approve a budget of at least %(low)s: up to %(high)s for the smaller items, and "
                "%(num)s larger items over $10,000 each to be quoted for the next 90 days.",
                self.open_ended,
                low=_dollars(self.low + 10_000 * self.open_ended),
                high=_dollars(self.high),
            )
        if self.low == self.high:
            return _(
                "Approve a budget of about %(amount)s for the next 90 days.",
                amount=_dollars(self.high),
            )
        return _(
            "Approve a budget of %(low)s to %(high)s for the next 90 days.",
            low=_dollars(self.low),
            high=_dollars(self.high),
        )


@dataclass(frozen=True)
class BoardSummary:
    risks: tuple[str, ...]
    decisions: tuple[str, ...]
    staff_days: int
    staff_days_30: int
    budget: Budget
    critical_count: int  # the one count (ScoreResult.critical_items)
    unknown_count: int
    done: tuple[str, ...]


def _dollars(amount: int) -> str:
    return f"${amount:,}"


def budget_of(actions: Sequence[PlannedAction]) -> Budget:
    low = high = open_ended = free = 0
    for planned in actions:
        band_low, band_high = COST_DOLLARS[planned.action.cost]
        if band_high is None:
            open_ended += 1
            continue
        low += band_low
        high += band_high
        free += planned.action.cost == "free"
    return Budget(low, high, open_ended, free)


def board_summary(
    questionnaire: Questionnaire,
    result: ScoreResult,
    plan: Plan,
    *,
    exploited: Sequence[ProductMatch] = (),
    improved: int = 0,
    previous: date | None = None,
    sectors: Sequence[str] = (),
) -> BoardSummary:
    """What the board reads and decides: see the module docstring. ``improved``: answers
    better than at the ``previous`` submission; ``sectors``: the organization's, for the
    risks in its own terms."""
    scheduled = [a for a in plan.actions if a.window in WINDOWS]
    budget = budget_of(scheduled)
    return BoardSummary(
        risks=_risks(questionnaire, result, sectors),
        decisions=_decisions(plan, budget),
        staff_days=plan.effort_in_90_days,
        staff_days_30=plan.effort_in(30),
        budget=budget,
        critical_count=len(result.critical_items),
        unknown_count=len(result.critical_unknowns),
        done=_done(exploited, improved, previous),
    )


def _risks(
    questionnaire: Questionnaire, result: ScoreResult, sectors: Sequence[str] = ()
) -> tuple[str, ...]:
    found: list[str] = []
    rules: list[str] = []
    for item in critical_list(questionnaire, result):
        if item.question_id is None:
            unsupported = item.product in result.unsupported_products
            rules.append("unsupported" if unsupported else "known_exploited")
        else:
            rule = questionnaire.question(item.question_id).critical_rule
            rules.append(rule or "")
    for rule in sorted(dict.fromkeys(rules), key=lambda r: RULE_STAGE.get(r, 4)):
        own = next((SECTOR_RISKS[(s, rule)] for s in sectors if (s, rule) in SECTOR_RISKS), None)
        if own or rule in RULE_RISKS:
            found.append(_(own or RULE_RISKS[rule]))
    if result.critical_unknowns and len(found) < RISKS:
        found.append(
            ngettext(
                "We do not yet know whether %(num)s key safeguard is in place.",
                "We do not yet know whether %(num)s key safeguards are in place.",
                len(result.critical_unknowns),
            )
        )
    weakest = sorted(
        (p for p in result.priorities if p.score is not None and p.score < 100),
        key=lambda p: (p.score, p.priority_id),
    )
    for priority in weakest:
        if len(found) >= RISKS:
            break
        sentence = PRIORITY_RISKS.get(priority.priority_id)
        if sentence and _(sentence) not in found:
            found.append(_(sentence))
    return tuple(found[:RISKS])


def _decisions(plan: Plan, budget: Budget) -> tuple[str, ...]:
    decisions: list[str] = []
    days = plan.effort_in_90_days
    if days:
        if plan.over_budget(30):
            decisions.append(
                ngettext(
                    "Give staff about %(num)s working day over 90 days, %(first)s of them in the "
                    "first 30 days.",
                    "Give staff about %(num)s working days over 90 days, %(first)s of them in the "
                    "first 30 days.",
                    days,
                    first=plan.effort_in(30),
                )
                + " "
                + _(
                    "That is more than one person can do beside daily work, so approve outside "
                    "help for the urgent fixes."
                )
            )
        else:
            decisions.append(
                ngettext(
                    "Give staff about %(num)s working day over 90 days.",
                    "Give staff about %(num)s working days over 90 days.",
                    days,
                )
            )
    if budget.high or budget.open_ended:
        decisions.append(budget.decision())
    rules = [
        a.action.title
        for a in plan.actions
        if a.window in WINDOWS and a.action.owner in ("leadership", "finance")
    ]
    if rules:
        decisions.append(
            _("Back the steps that need leadership: %(steps)s.", steps=_some(rules, 3))
        )
    free = [m.tool.name for m in plan.tools if m.tool.free]
    if free:
        decisions.append(
            ngettext(
                "Let staff apply for %(num)s free service: %(names)s.",
                "Let staff apply for %(num)s free services: %(names)s.",
                len(free),
                names=_some(free, 3),
            )
        )
    paid = [m.tool.name for m in plan.tools if m.tool.cost in ("membership", "paid")]
    if paid:
        decisions.append(
            ngettext(
                "Decide on %(num)s paid service or membership once you know the price: %(names)s.",
                "Decide on %(num)s paid services or memberships once you know the price: "
                "%(names)s.",
                len(paid),
                names=_some(paid, 2),
            )
        )
    decisions.append(_("Hear a progress report in 90 days, and a new self-assessment in a year."))
    return tuple(decisions)


def _some(names: Sequence[str], shown: int) -> str:
    """The first ``shown`` names, and how many more."""
    listed = "; ".join(names[:shown])
    if len(names) <= shown:
        return listed
    return ngettext(
        "%(names)s; and %(num)s more",
        "%(names)s; and %(num)s more",
        len(names) - shown,
        names=listed,
    )


def _done(
    exploited: Sequence[ProductMatch], improved: int, previous: date | None
) -> tuple[str, ...]:
    done = []
    fixed = settled = 0
    for match in exploited:
        for entry in match.settled_entries:
            triage = match.triage_of(entry)
            settled += 1
            fixed += triage is not None and triage.state is TriageState.FIXED
    still_open = sum(len(match.open_entries) for match in exploited)
    if settled:
        left = (
            _("None is open.")
            if not still_open
            else ngettext("%(num)s is still open.", "%(num)s are still open.", still_open)
        )
        done.append(
            ngettext(
                "%(num)s known-exploited flaw on our products is settled, %(fixed)s of them fixed.",
                "%(num)s known-exploited flaws on our products are settled, %(fixed)s of them "
                "fixed.",
                settled,
                fixed=fixed,
            )
            + " "
            + left
        )
    if improved and previous is not None:
        when = words.long_day(previous)
        done.append(
            ngettext(
                "%(num)s answer improved since the assessment of %(date)s.",
                "%(num)s answers improved since the assessment of %(date)s.",
                improved,
                date=when,
            )
        )
    return tuple(done)
