"""The section wizard: a step page, saving it (form and autosave), resolving conflicts, the
review page and submitting."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from portal import safe_json
from portal.assessment_views import expired_login
from portal.assessment_views.blueprint import bp, load_for_editing
from portal.assessment_views.forms import (
    AutosaveRefused,
    autosave_submission,
    conflict_choices,
    field_name,
    section_form,
)
from portal.assessments import lifecycle, pending, reading, revision, saving
from portal.assessments import state as assessment_state
from portal.assessments.errors import AnswersDisagree, AssessmentError, InvalidSubmission
from portal.assessments.reading import Step
from portal.auth.decorators import role_required
from portal.extensions import db
from portal.models import Answer, Assessment, AssessmentStatus, Role
from portal.questionnaire.model import DONT_KNOW, Question, Questionnaire
from portal.readonly import read_only
from portal.reports import prerender
from portal.templating import format_time, viewer_time_zone

_FIELD_PREFIXES = ("a__", "n__", "r__")
# One answer and a note of at most 2,000 characters, even if every character is sent as a
# 12-byte JSON escape (a surrogate pair), fits in 32 KiB.
AUTOSAVE_MAX_BYTES = 32 * 1024


def _step_or_404(steps: list[Step], number: int) -> Step:
    if not 0 <= number < len(steps):
        abort(404)
    return steps[number]


def _shown_values(
    rows: dict[str, Answer], posted: MultiDict[str, str] | None
) -> dict[str, str | None]:
    """Stored answers, overlaid with what this page posted (for show-if on the same page)."""
    values = reading.answer_values(rows)
    if posted:
        for key, value in posted.items():
            if key.startswith("a__") and value:
                values[key[3:].replace("__", ".")] = value
    return values


def _render_step(
    assessment: Assessment,
    steps: list[Step],
    step: Step,
    form: Any,
    *,
    status: int = 200,
    overlay: MultiDict[str, str] | None = None,
    rows: dict[str, Answer] | None = None,
    restored: pending.Restored | None = None,
) -> tuple[str, int]:
    """The step page. ``rows``: the answers as just read, when nothing was saved since;
    ``restored``: a save kept while signed out, filled in and marked for checking."""
    if rows is None:
        rows = reading.answer_rows(assessment)
    stored = reading.answer_values(rows)
    # Which questions show: the stored answers plus what the person typed (a form shown again
    # with errors, or answers restored after signing in).
    if overlay is None and request.method == "POST":
        overlay = request.form
    values = _shown_values(rows, overlay)
    per_step, overall = reading.progress(steps, stored)
    referenced = {
        qid for q in step.section.questions if q.show_if for qid in q.show_if.referenced_questions()
    }
    conditions = {q.id: q.show_if.as_json() for q in step.section.questions if q.show_if}
    questionnaire = reading.questionnaire_of(assessment)
    return render_template(
        "assess/step.html",
        assessment=assessment,
        steps=steps,
        step=step,
        form=form,
        field_name=field_name,
        shown={q.id: q.is_shown(values) for q in step.section.questions},
        per_step=per_step,
        overall=overall,
        questionnaire=questionnaire,
        asked_before=_asked_before(questionnaire, steps, step, stored, values),
        revision=revision.revision_of(assessment, rows),
        # JSON for a non-executed data block; "<" is escaped so it cannot close the element.
        client_data=Markup(  # noqa: S704
            json.dumps(
                {
                    "answers": {qid: stored.get(qid) for qid in referenced},
                    "conditions": conditions,
                    "saveUrl": url_for("assess.autosave", assessment_id=assessment.id),
                    # "Saved at 9:14 AM CST" on the organization's clock, as every other time
                    # on the page (#34: it was the device's, with no zone).
                    "timeZone": viewer_time_zone().key,
                }
            ).replace("<", "\\u003c")
        ),
        updated={qid: rows[qid] for qid in rows},
        restored=restored,
    ), status


@dataclass(frozen=True)
class AskedBefore:
    """An earlier question that asks part of the same fact (DMARC in core and a sector), as
    the wizard shows it beside the later one: its answer, where to change it, whether the two
    answers disagree."""

    question: Question
    answer: str
    step_number: int
    fact: str
    clash: bool


def _asked_before(
    questionnaire: Questionnaire,
    steps: list[Step],
    step: Step,
    stored: dict[str, str | None],
    values: dict[str, str | None],
) -> dict[str, AskedBefore]:
    step_of = reading.step_numbers(steps)
    found = {}
    for question in step.section.questions:
        agreement = question.agrees_with
        if agreement is None or stored.get(agreement.question_id) is None:
            continue
        if agreement.question_id not in step_of:  # a module this organization does not answer
            continue
        earlier = questionnaire.question(agreement.question_id)
        that = stored[agreement.question_id]
        found[question.id] = AskedBefore(
            earlier,
            earlier.label_for(that),
            step_of[earlier.id],
            agreement.fact,
            agreement.clash(values.get(question.id), that),
        )
    return found


def _form_for(step: Step, rows: dict[str, Any], formdata: Any = None) -> Any:
    data: dict[str, Any] = {}
    for question in step.section.questions:
        row = rows.get(question.id)
        data[field_name("a", question.id)] = row.value if row else None
        data[field_name("n", question.id)] = row.note if row else ""
        data[field_name("r", question.id)] = str(row.revision) if row else "0"
    return section_form(list(step.section.questions), formdata=formdata, data=data)


def _check_no_tampering(step: Step) -> None:
    expected = {field_name(p, q.id) for q in step.section.questions for p in ("a", "n", "r")}
    for key in request.form:
        if key.startswith(_FIELD_PREFIXES) and key not in expected:
            abort(400)


@bp.get("/<int:assessment_id>/steps/<int:number>")
@read_only
@login_required
def step(assessment_id: int, number: int) -> Response | tuple[str, int]:
    assessment = load_for_editing(assessment_id)
    if not assessment.is_editable:
        return redirect(url_for("assess.results", assessment_id=assessment.id))
    steps = reading.steps_of(assessment)
    current = _step_or_404(steps, number)
    rows = reading.answer_rows(assessment)
    token = request.args.get("restore")
    restored = pending.restore(token, assessment, current_user, number, rows) if token else None
    if restored is not None:
        fields = MultiDict(restored.fields)
        form = _form_for(current, rows, formdata=fields)
        for question in current.section.questions:  # a kept note too long to save says so
            form.note_field(question).validate(form)
        return _render_step(
            assessment,
            steps,
            current,
            form,
            overlay=fields,
            rows=rows,
            restored=restored,
        )
    return _render_step(assessment, steps, current, _form_for(current, rows), rows=rows)


@bp.post("/<int:assessment_id>/steps/<int:number>")
def save_step(assessment_id: int, number: int) -> Response | tuple[str, int]:
    # No login_required: a save that arrives after the session expired is kept, not dropped.
    if not current_user.is_authenticated:
        return expired_login.keep_and_sign_in(assessment_id, number)
    assessment = load_for_editing(assessment_id)
    if not assessment.is_editable:
        flash(_("This assessment has been submitted; answers can no longer change."), "warning")
        return redirect(url_for("assess.results", assessment_id=assessment.id))
    steps = reading.steps_of(assessment)
    current = _step_or_404(steps, number)
    _check_no_tampering(current)
    rows = reading.answer_rows(assessment)
    form = _form_for(current, rows, formdata=request.form)
    if not form.validate():
        if any(form.answer_field(q).errors for q in current.section.questions):
            abort(400)  # a radio value no page offers: tampering, nothing written
        return _render_step(assessment, steps, current, form, status=400)
    # InvalidSubmission (400) and AssessmentError (locked) are handled for the whole blueprint.
    outcome = saving.save_section(assessment, form.submissions(request.form), current_user)
    pending.discard(request.form.get("restore_token"), assessment, number)
    db.session.commit()
    if outcome.conflicts:
        return render_template(
            "assess/conflicts.html",
            assessment=assessment,
            step=current,
            outcome=outcome,
            questionnaire=reading.questionnaire_of(assessment),
            next_url=_destination(assessment, steps, number),
        ), 409
    return redirect(_destination(assessment, steps, number))


def _destination(assessment: Assessment, steps: list[Step], number: int) -> str:
    action = request.form.get("action", "next")
    target = reading.small_int(action[5:]) if action.startswith("goto-") else None
    if target is not None and target < len(steps):
        return url_for("assess.step", assessment_id=assessment.id, number=target)
    if action == "previous" and number > 0:
        return url_for("assess.step", assessment_id=assessment.id, number=number - 1)
    if action == "stay":
        return url_for("assess.step", assessment_id=assessment.id, number=number)
    if action == "review" or number + 1 >= len(steps):
        return url_for("assess.review", assessment_id=assessment.id)
    return url_for("assess.step", assessment_id=assessment.id, number=number + 1)


@bp.post("/<int:assessment_id>/answers")
def autosave(assessment_id: int) -> Response | tuple[Response, int]:
    """JSON autosave of one answer: {question_id, value, note, revision}."""
    if not current_user.is_authenticated:
        return jsonify(error="signed_out", message=_("You were signed out. Sign in to save.")), 401
    assessment = load_for_editing(assessment_id)
    try:
        payload = safe_json.parse(request.get_data(), max_bytes=AUTOSAVE_MAX_BYTES, max_depth=1)
        item = autosave_submission(payload)
    except safe_json.JsonRefused as refusal:
        return jsonify(
            error="invalid",
            message=_("That request could not be read. %(reason)s", reason=str(refusal)),
        ), 400
    except AutosaveRefused as refusal:
        return jsonify(error=refusal.code, message=str(refusal)), 400
    try:
        outcome = saving.save_answers(assessment, [item], current_user)
    except InvalidSubmission as error:
        db.session.rollback()
        return jsonify(error="invalid", message=str(error)), 400
    except AssessmentError as error:
        db.session.rollback()
        return jsonify(error="locked", message=str(error)), 409
    db.session.commit()
    if outcome.conflicts:
        conflict = outcome.conflicts[0]
        question = reading.questionnaire_of(assessment).question(conflict.question_id)
        return jsonify(
            error="conflict",
            message=_(
                "%(name)s changed this answer at %(time)s: “%(answer)s”. Press “Save and "
                "continue” to choose which to keep.",
                name=conflict.theirs_by,
                time=format_time(conflict.theirs_at),
                answer=question.label_for(conflict.theirs_value),
            ),
            revision=conflict.theirs_revision,
        ), 409
    # No time in the answer: the page says "Saved at" the time of the response's Date header,
    # on the zone the step page gave it (looking it up here would cost the hottest request
    # three queries).
    return jsonify(saved=bool(outcome.saved), revision=outcome.revisions.get(item.question_id))


@bp.post("/<int:assessment_id>/conflicts")
@role_required(Role.OPERATOR)
def resolve_conflicts(assessment_id: int) -> Response | tuple[str, int]:
    """Apply the person's choice for each conflicting answer ("mine" or "theirs")."""
    assessment = load_for_editing(assessment_id)
    questionnaire = reading.questionnaire_of(assessment)
    keep_mine = conflict_choices(request.form, questionnaire)
    outcome = saving.save_answers(assessment, keep_mine, current_user)
    db.session.commit()
    # Only ever back into this assessment's own pages, rebuilt rather than echoed.
    match = re.fullmatch(
        r"/assessments/\d+/(steps/(\d{1,4})|review)", request.form.get("next_url", "")
    )
    if match and match.group(2) is not None:
        next_url = url_for("assess.step", assessment_id=assessment.id, number=int(match.group(2)))
    elif match:
        next_url = url_for("assess.review", assessment_id=assessment.id)
    else:
        next_url = url_for("assess.show", assessment_id=assessment.id)
    if outcome.conflicts:  # changed yet again while they were choosing
        return render_template(
            "assess/conflicts.html",
            assessment=assessment,
            step=None,
            outcome=outcome,
            questionnaire=questionnaire,
            next_url=next_url,
        ), 409
    flash(_("Your choices are saved."), "success")
    return redirect(next_url)


@bp.get("/<int:assessment_id>/review")
@read_only
@login_required
def review(assessment_id: int) -> str:
    assessment = load_for_editing(assessment_id)
    steps = reading.steps_of(assessment)
    state = assessment_state.load(assessment)
    per_step, overall = reading.progress(steps, state.values)
    # Both lists in the wizard's order (#34: "I don't know" came in the order answers were
    # stored), each question with the step it is on.
    in_order = [(q, s.number) for s in steps for q in s.section.questions if q.id in state.shown]
    missing = set(state.answers_result.unanswered)
    unanswered = [(q, n) for q, n in in_order if q.id in missing]
    dont_know = [(q, n) for q, n in in_order if state.values.get(q.id) == DONT_KNOW]
    step_of = {q.id: n for q, n in in_order}
    return render_template(
        "assess/review.html",
        assessment=assessment,
        steps=steps,
        per_step=per_step,
        overall=overall,
        unanswered=unanswered,
        dont_know=dont_know,
        clashes=state.clashes,
        step_of=step_of,
        shown=state.shown,
        values=state.values,
        notes=state.notes,
        revision=revision.revision_of(assessment, state.rows)
        if assessment.status is AssessmentStatus.RETURNED
        else None,
    )


@bp.post("/<int:assessment_id>/submit")
@role_required(Role.OPERATOR)
def submit(assessment_id: int) -> Response:
    assessment = load_for_editing(assessment_id)
    try:
        lifecycle.submit(
            assessment,
            current_user,
            # The pairs the page listed, when the person ticked "both are right".
            confirmed_clashes=request.form.getlist("clash")
            if request.form.get("clashes_confirmed") == "yes"
            else (),
        )
    except AssessmentError as error:
        db.session.rollback()  # nothing changes: the answers stay as they are
        flash(str(error), "error")
        anchor = "clashes" if isinstance(error, AnswersDisagree) else None
        return redirect(url_for("assess.review", assessment_id=assessment_id, _anchor=anchor))
    db.session.commit()
    prerender.plan_after_submission(assessment)  # the first download comes from the cache
    flash(_("Submitted. Your coordinator can now see this assessment."), "success")
    return redirect(url_for("assess.results", assessment_id=assessment.id))
