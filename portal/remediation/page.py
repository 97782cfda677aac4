"""Where the results page writes out each part of the plan — once.

The page has four places an action could appear: the critical gaps (what is wrong), "Your first
five", the plan's "This week" and its 30/60/90-day windows. Each action, and each thing to find
out, is written out in full at the first of them that has it; the later places point back to it
by its step number, and the critical gaps point forward to their fix. (#34: the page had repeated
a hospital's critical fixes four times — as the gap's "Fix:", as a first-five heading, in "This
week" and in the 30-day window.)

Steps are numbered down the page: the first five are steps 1-5, then the rest of this week's
steps go on from 6 (the first five *are* the start of this week whenever the week has more).

Plain Python: no Flask. The template lays this out; the plan's words come from the plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from portal.questionnaire.words import _, ngettext
from portal.remediation.planner import WINDOWS, FindOutTask, FirstStep, Plan, PlannedAction
from portal.scoring.headline import CriticalItem

# Actions written out per window (never hiding a critical one); the rest are in the plan PDF.
SHOWN_PER_WINDOW = 6

_Key = tuple[str, object]  # ("action", rank) or ("find_out", question id)


def _step_key(step: FirstStep) -> _Key:
    if step.action is not None and step.rank is not None:
        return ("action", step.rank)
    return ("find_out", step.question_id)


@dataclass(frozen=True)
class NumberedStep:
    number: int
    step: FirstStep

    @property
    def anchor(self) -> str:
        return f"step-{self.number}"


@dataclass(frozen=True)
class Pointer:
    """Where something is written out: a link target and the words for a link to it."""

    anchor: str | None  # None: not on the page (the backlog, in the PDF)
    words: str


@dataclass(frozen=True)
class Above:
    """Steps of a list that are written out higher up, named by number."""

    numbers: tuple[int, ...]

    @property
    def words(self) -> str:
        return step_words(self.numbers)

    def __bool__(self) -> bool:
        return bool(self.numbers)


@dataclass(frozen=True)
class WindowPart:
    window: int
    actions: tuple[PlannedAction, ...]  # all of the window's actions
    above: Above  # of them, those written out as steps
    shown: tuple[PlannedAction, ...]  # written out here
    more: int  # neither: in the plan PDF


@dataclass(frozen=True)
class ResultsPage:
    first_five: tuple[NumberedStep, ...]
    week_above: Above  # this week's steps among the first five
    week_rest: tuple[NumberedStep, ...]  # this week's other steps, numbered on from the five
    windows: tuple[WindowPart, ...]
    find_out_above: Above
    find_out_rest: tuple[FindOutTask, ...]
    fixes: dict[str, Pointer]  # by question id, or "product:<name>"
    step_of: dict[_Key, int]  # the number of each action or thing to find out written as a step

    def fix_for(self, item: CriticalItem) -> Pointer | None:
        """Where the fix of a critical gap is written out (None: nowhere in the plan)."""
        key = item.question_id if item.question_id is not None else f"product:{item.product}"
        return self.fixes.get(key)

    def unknowns(self, question_ids: Iterable[str]) -> Above | None:
        """The steps that find out these answers; None when one of them is not a step."""
        numbers = [self.step_of.get(("find_out", q)) for q in question_ids]
        if any(n is None for n in numbers):
            return None
        return Above(tuple(sorted(n for n in numbers if n is not None)))


def results_page(plan: Plan) -> ResultsPage:
    first_five = tuple(NumberedStep(n, s) for n, s in enumerate(plan.first_steps, start=1))
    in_five = {_step_key(s.step): s.number for s in first_five}
    week_keys = [_step_key(s) for s in plan.this_week]
    rest = [s for s in plan.this_week if _step_key(s) not in in_five]
    week_rest = tuple(NumberedStep(n, s) for n, s in enumerate(rest, start=len(first_five) + 1))
    step_of = in_five | {_step_key(s.step): s.number for s in week_rest}

    windows = tuple(_window(w, plan.in_window(w), step_of) for w in WINDOWS if plan.in_window(w))
    find_out_rest = tuple(t for t in plan.find_out if ("find_out", t.question_id) not in step_of)
    fixes = _fixes(plan, step_of, windows)
    return ResultsPage(
        first_five=first_five,
        week_above=Above(tuple(sorted(in_five[k] for k in week_keys if k in in_five))),
        week_rest=week_rest,
        windows=windows,
        find_out_above=_above((("find_out", t.question_id) for t in plan.find_out), step_of),
        find_out_rest=find_out_rest,
        fixes=fixes,
        step_of=step_of,
    )


def _above(keys: Iterable[_Key], step_of: dict[_Key, int]) -> Above:
    return Above(tuple(sorted(step_of[k] for k in keys if k in step_of)))


def _window(
    window: int, actions: tuple[PlannedAction, ...], step_of: dict[_Key, int]
) -> WindowPart:
    listed = [a for a in actions if ("action", a.rank) not in step_of]
    critical = [a for a in listed if a.critical]
    limit = max(SHOWN_PER_WINDOW, len(critical))
    chosen = {a.rank for a in (critical + [a for a in listed if not a.critical])[:limit]}
    shown = tuple(a for a in listed if a.rank in chosen)
    return WindowPart(
        window,
        actions,
        _above((("action", a.rank) for a in actions), step_of),
        shown,
        len(listed) - len(shown),
    )


def _fixes(
    plan: Plan, step_of: dict[_Key, int], windows: Sequence[WindowPart]
) -> dict[str, Pointer]:
    """For each gap (question id, or "product:<name>"), where its first fix is written out: the
    action on that question (or one that includes it), or the product's own patch or
    replacement — not the break-in check that covers many products."""
    on_page = {a.rank: w.window for w in windows for a in w.shown}
    fixes: dict[str, Pointer] = {}
    for action in plan.actions:  # in rank order: the first one wins
        keys = [action.question_id, *action.also_closes]
        if action.kev is not None and action.kind != "check":
            keys.append(f"product:{action.kev.product.name}")
        pointer = _pointer(action, step_of, on_page)
        for key in keys:
            fixes.setdefault(key, pointer)
    return fixes


def _pointer(action: PlannedAction, step_of: dict[_Key, int], on_page: dict[int, int]) -> Pointer:
    number = step_of.get(("action", action.rank))
    if number is not None:
        return Pointer(f"step-{number}", _("step %(number)s below", number=number))
    if action.rank in on_page:
        return Pointer(
            f"action-{action.rank}",
            _("in your plan, within %(days)s days", days=on_page[action.rank]),
        )
    if action.window is None:
        return Pointer(None, _("in the plan's backlog (the PDF lists it)"))
    return Pointer(None, _("in the plan PDF, within %(days)s days", days=action.window))


def step_words(numbers: Sequence[int]) -> str:
    """ "step 3", "steps 1-4 and 6" (runs of three or more as a range, with an en dash)."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{run[0]}–{run[-1]}")
        else:
            parts.extend(str(n) for n in run)
    if not parts:
        return ""
    if len(parts) == 1:
        joined = parts[0]
    else:
        joined = _("%(first)s and %(last)s", first=", ".join(parts[:-1]), last=parts[-1])
    return ngettext("step %(steps)s", "steps %(steps)s", len(numbers), steps=joined)
