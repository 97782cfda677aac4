"""An assessment as a JSON document: exported with its scores, imported into a new draft."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal import audit
from portal.assessments.errors import AssessmentError
from portal.assessments.lifecycle import new_draft
from portal.assessments.reading import NOTE_MAX_LENGTH, questionnaire_of, storable
from portal.assessments.state import AssessmentState
from portal.exposure import inventory
from portal.extensions import db
from portal.models import Answer, Assessment, Organization, User, utcnow
from portal.questionnaire.words import _

EXPORT_FORMAT = "readiness-portal.assessment/1"


def export(state: AssessmentState) -> dict[str, Any]:
    assessment = state.assessment
    version = assessment.questionnaire_version
    return {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "organization": {"id": assessment.organization_id, "name": assessment.organization.name},
        "assessment": {
            "id": assessment.id,
            "status": assessment.status.value,
            "modules": list(assessment.modules),
            "submitted_at": assessment.submitted_at.isoformat()
            if assessment.submitted_at
            else None,
        },
        "questionnaire": {"version": version.label, "content_hash": version.content_hash},
        "answers": {
            qid: {"value": row.value, "note": row.note} for qid, row in sorted(state.rows.items())
        },
        "scores": state.result.as_dict(),
        # What the organization runs (kept across assessments; restored on import).
        "inventory": [item.as_json() for item in inventory.items_of(assessment.organization_id)],
    }


@dataclass
class ImportReport:
    assessment: Assessment
    imported: int
    skipped: list[str]
    products_added: int = 0
    products_skipped: int = 0


def import_into_new_draft(organization: Organization, user: User, data: Any) -> ImportReport:
    """Start a draft from an exported JSON document; answers that no longer fit are listed."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise AssessmentError(_("This file is not an assessment exported from the portal."))
    org = data.get("organization")
    if not isinstance(org, dict) or org.get("id") != organization.id:
        raise AssessmentError(
            _("This file belongs to another organization; it cannot be imported.")
        )
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise AssessmentError(_("The file has no answers section."))
    assessment = new_draft(organization, user, prefill=False)
    questionnaire = questionnaire_of(assessment)
    in_scope = {q.id: q for q in questionnaire.questions_in(assessment.modules)}
    imported, skipped = 0, []
    for qid, entry in answers.items():
        value = entry.get("value") if isinstance(entry, dict) else None
        note = entry.get("note", "") if isinstance(entry, dict) else ""
        question = in_scope.get(str(qid))
        if (
            question is None
            or not isinstance(note, str)
            or len(note) > NOTE_MAX_LENGTH
            or not storable(note)
            or (value is not None and (not isinstance(value, str) or not question.accepts(value)))
        ):
            skipped.append(str(qid)[:120])
            continue
        db.session.add(
            Answer(
                assessment_id=assessment.id,
                question_id=question.id,
                value=value,
                note=note,
                updated_by_id=user.id,
            )
        )
        imported += 1
    db.session.flush()
    products_added, products_skipped = inventory.restore(organization, user, data.get("inventory"))
    audit.record_for(
        assessment,
        "assessment.imported",
        actor=user,
        imported=imported,
        skipped=len(skipped),
        products=products_added,
    )
    return ImportReport(assessment, imported, skipped, products_added, products_skipped)
