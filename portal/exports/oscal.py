"""One submitted assessment as OSCAL 1.1.3 JSON (NIST's Open Security Controls Assessment
Language), for the tools that state programs and auditors already use: two plain builders that
return JSON-ready dicts, each its own file.

* :func:`assessment_results` — an ``assessment-results`` document: what was asked and answered
  (observations), what is not in place (findings) and what that leaves open (risks), with the
  known-exploited flaws matched in what the organization runs.
* :func:`poam` — a ``plan-of-action-and-milestones`` document: the same risks with the plan's
  actions as planned remediations and milestones, and one POA&M item per plan action, in the
  plan's order.

The OSCAL choices, and why:

* **The assessment plan is the questionnaire.** ``import-ap`` is required; there is no OSCAL
  assessment plan to point at, so its ``href`` is ``#<uuid>`` of a back-matter resource naming
  the questionnaire version (OSCAL resolves a fragment ``href`` against back-matter resources).
* **Controls are the portal's questions.** ``reviewed-controls`` holds one ``control-selection``
  per shown, scored question, ``control-id`` = the question id, and the CPG 2.0 goals and CSF 2.0
  categories it covers as props in the portal's namespace. CPG/CSF ids are not used as
  ``control-id``: a CPG id ("1.A") is not a valid OSCAL token, a question covers several goals
  and categories, and a questionnaire answer does not assess a whole CSF category.
  ``include-controls`` carries no props, hence one selection per question.
* **An answer is an observation** with method ``INTERVIEW`` (a self-assessment answer is what
  the organization says, nobody examined or tested it), collected when the answer was last
  saved; the operator's note is its remarks. The POA&M holds only the observations its findings
  and risks point at.
* **A gap is a finding** targeting the question (``objective-id``, ``not-satisfied``) and **a
  risk** (status ``open``; ``statement`` = the question's "why"; critical or not as a prop — no
  likelihood or impact facets are made up).
* **A KEV catalog entry matched to a product is a risk**, its status from the operator's triage:
  open → ``open``; fixed or mitigated → ``closed``; not affected → ``closed`` (the operator read
  the advisory: the risk does not apply; ``deviation-approved`` would claim an approval by an
  authorizing official that nobody gave); end of life, replacing or isolated → ``remediating``
  (the flaw stays on the device until it is replaced: work under way, not closed).
* **A plan action is a remediation** (``lifecycle`` ``planned``) of each open risk it addresses,
  with one ``milestone`` task: ``within-date-range`` from submission to the end of the due day
  on the organization's clock (its window's day, or the catalog's own date for an
  internet-facing product). A backlog action has no date, hence no milestone.
* **A POA&M without an SSP** names the organization by ``system-id`` (its id under the
  portal's own URI). ``poam-items`` must not be empty: a plan with no action gets one item
  saying so.
* **Identifiers are stable**: every uuid is ``uuid5(namespace, name)`` with a name of its subject
  (``assessment/<id>/observation/<question id>`` …), so a second export of the same assessment
  repeats every uuid, as OSCAL asks ("assigned per-subject").
* **Text**: every human sentence is the questionnaire's, the plan's or the catalog's own; the
  portal's characters that XML-based OSCAL cannot carry (C0 and C1 controls but tab and line
  break, lone surrogates, U+FFFE/U+FFFF) are removed; single-line fields (titles, names, prop
  values) have their whitespace collapsed. Empty arrays are left out (OSCAL wants at least one
  item in any array present).

Validated in tests/test_exports_oscal.py against compliance-trestle's models of the OSCAL 1.1.3
schemas, plus the schema's rules those models do not hold (no empty arrays, timezones).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from portal.assessments.state import AssessmentState
from portal.exports.text import xml_text
from portal.exposure import catalog as kev_catalog
from portal.geography import plan_due_date, time_zone_of_state
from portal.kev.catalog import FEED_URL, KevEntry
from portal.kev.matching import (
    MAX_DAYS,
    TRIAGE_LABELS,
    ProductMatch,
    TriageState,
    cisa_days,
    plain_kind,
)
from portal.questionnaire.model import CRITICAL_RULES, Question
from portal.remediation.document import due_date
from portal.remediation.planner import WINDOWS, PlannedAction
from portal.scoring.engine import Gap

OSCAL_VERSION = "1.1.3"
KEV_PAGE = "https://www.cisa.gov/known-exploited-vulnerabilities-catalog"
CPG_PAGE = "https://www.cisa.gov/cpg"
CSF_PAGE = "https://www.nist.gov/cyberframework"
NVD_DETAIL = "https://nvd.nist.gov/vuln/detail/"

Json = dict[str, Any]

# An OSCAL token (XML NCName), as far as the portal's own ids need.
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def namespace_for(base_url: str) -> uuid.UUID:
    """The uuid namespace of a deployment's OSCAL documents (from its base URL)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, base_url.rstrip("/") + "/oscal")


def kev_catalog_version() -> str | None:
    """The version of the KEV catalog in use (None: none imported yet)."""
    status = kev_catalog.status()
    return status.version if status is not None else None


def assessment_results(
    state: AssessmentState,
    *,
    namespace: uuid.UUID,
    portal_version: str,
    kev_version: str | None,
    generated: datetime,
    base_url: str | None = None,
    time_zone: str | None = None,
) -> Json:
    """The submitted assessment as an OSCAL ``assessment-results`` document. ``base_url`` (the
    props' namespace) and ``time_zone`` (the portal's clock, for organizations in no known
    state) default to the application's PORTAL_BASE_URL and PORTAL_TIME_ZONE."""
    doc = _Document(state, namespace, portal_version, kev_version, generated, base_url, time_zone)
    assessment = state.assessment
    assert assessment.submitted_at is not None
    result: Json = {
        "uuid": doc.uid("result"),
        "title": _("Self-assessment, questionnaire %(version)s", version=doc.questionnaire_version),
        "description": _(
            "The answers of %(name)s to the Readiness Portal questionnaire %(version)s, the gaps "
            "they leave and the known-exploited flaws matched in what it runs.",
            name=markdown_text(doc.org_name),
            version=doc.questionnaire_version,
        ),
        "start": _stamp(assessment.created_at),
        "end": _stamp(assessment.submitted_at),
        "props": _list(
            doc.prop("overall-score", str(state.result.overall_score)),
            doc.prop("tier", state.result.overall_tier_id),
            doc.prop("critical-gaps", str(len(state.result.critical_items))),
        ),
        "reviewed-controls": doc.reviewed_controls(),
        "observations": [doc.observation(q) for q in doc.answered],
        "risks": [doc.gap_risk(g) for g in doc.gaps] + list(doc.kev_risks()),
        "findings": [doc.finding(g) for g in doc.gaps],
    }
    return {
        "assessment-results": _pruned(
            {
                "uuid": doc.uid("assessment-results"),
                "metadata": doc.metadata(
                    _(
                        "Cyber readiness self-assessment — %(name)s",
                        name=markdown_text(doc.org_name),
                    )
                ),
                "import-ap": {
                    "href": "#" + doc.resource_uuid("questionnaire"),
                    "remarks": _(
                        "The assessment plan is the portal's questionnaire, version "
                        "%(version)s (back-matter).",
                        version=doc.questionnaire_version,
                    ),
                },
                "results": [result],
                "back-matter": doc.back_matter(),
            }
        )
    }


def poam(
    state: AssessmentState,
    *,
    namespace: uuid.UUID,
    portal_version: str,
    kev_version: str | None,
    generated: datetime,
    base_url: str | None = None,
    time_zone: str | None = None,
) -> Json:
    """The assessment's remediation plan as an OSCAL ``plan-of-action-and-milestones``
    document (``base_url`` and ``time_zone`` as for :func:`assessment_results`)."""
    doc = _Document(state, namespace, portal_version, kev_version, generated, base_url, time_zone)
    gap_ids = {g.question_id for g in doc.gaps}
    items = [doc.poam_item(a, key) for a, key in doc.actions] or [doc.empty_poam_item()]
    return {
        "plan-of-action-and-milestones": _pruned(
            {
                "uuid": doc.uid("poam"),
                "metadata": doc.metadata(
                    _("Cyber readiness plan — %(name)s", name=markdown_text(doc.org_name))
                ),
                "system-id": {
                    "identifier-type": f"{doc.ns}/organization-id",
                    "id": str(state.assessment.organization_id),
                },
                "observations": [doc.observation(q) for q in doc.answered if q.id in gap_ids],
                "risks": [doc.gap_risk(g, planned=True) for g in doc.gaps]
                + list(doc.kev_risks(planned=True)),
                "findings": [doc.finding(g) for g in doc.gaps],
                "poam-items": items,
                "back-matter": doc.back_matter(),
            }
        )
    }


# --- the document being built -------------------------------------------------------------------


@dataclass
class _Document:
    state: AssessmentState
    namespace: uuid.UUID
    portal_version: str
    kev_version: str | None
    generated: datetime
    base_url: str | None
    time_zone: str | None
    ns: str = field(init=False)
    zone: ZoneInfo = field(init=False)
    actions: list[tuple[PlannedAction, str]] = field(init=False)
    critical_ids: set[str] = field(init=False)

    def __post_init__(self) -> None:
        if self.state.assessment.submitted_at is None:
            raise ValueError("Only a submitted assessment is exported as OSCAL.")
        base = self.base_url or current_app.config["PORTAL_BASE_URL"]
        self.ns = base.rstrip("/") + "/ns/oscal"
        fallback = self.time_zone or current_app.config["PORTAL_TIME_ZONE"]
        self.zone = ZoneInfo(
            time_zone_of_state(self.state.assessment.organization.state) or fallback
        )
        actions = self.state.plan.actions
        self.actions = list(zip(actions, _action_keys(actions), strict=True))
        # Gaps that are critical: the known critical gaps (the one count every page shows) and
        # the critical questions not yet known to be in place.
        result = self.state.result
        self.critical_ids = set(result.critical_items) | {
            g.question_id for g in result.critical_unknowns
        }

    # -- identities

    def uid(self, *parts: str) -> str:
        """The uuid of a subject of this assessment."""
        name = "/".join(("assessment", str(self.state.assessment.id), *parts))
        return str(uuid.uuid5(self.namespace, name))

    def resource_uuid(self, key: str) -> str:
        return str(uuid.uuid5(self.namespace, f"resource/{key}"))

    @property
    def party_uuid(self) -> str:
        return str(
            uuid.uuid5(self.namespace, f"organization/{self.state.assessment.organization_id}")
        )

    @property
    def org_name(self) -> str:
        return _line(self.state.assessment.organization.name, _("The organization"))

    @property
    def questionnaire_version(self) -> str:
        return _line(self.state.questionnaire.version, _("unknown"))

    def prop(self, name: str, value: str | None) -> Json | None:
        """A property in the portal's namespace (None for an empty value: left out)."""
        text = _line(value or "", "")
        return {"name": name, "ns": self.ns, "value": text} if text else None

    # -- what was asked

    @property
    def gaps(self) -> tuple[Gap, ...]:
        return self.state.result.gaps

    @property
    def answered(self) -> list[Question]:
        """The shown questions with an answer, in the questionnaire's order."""
        shown = self.state.shown
        values = self.state.values
        return [
            q
            for q in self.state.questionnaire.questions_in(self.state.assessment.modules)
            if q.id in shown and values.get(q.id) is not None
        ]

    def ref_props(self, question: Question) -> list[Json | None]:
        return [self.prop("cpg2-goal", goal) for goal in question.refs.cpg2] + [
            self.prop("csf2-category", category) for category in question.refs.csf2
        ]

    def reviewed_controls(self) -> Json:
        selections: list[Json] = [
            {
                "props": _list(*self.ref_props(q)),
                "include-controls": [{"control-id": _token(q.id)}],
            }
            for q in self.state.questionnaire.questions_in(self.state.assessment.modules)
            if q.id in self.state.shown and not q.profile
        ]
        return {
            "description": _(
                "The questions of questionnaire %(version)s shown to this organization, each "
                "with the CISA CPG 2.0 goals and NIST CSF 2.0 categories it covers.",
                version=self.questionnaire_version,
            ),
            # (At least one selection: a submitted assessment always shows questions.)
            "control-selections": selections or [{"description": _("No question was shown.")}],
        }

    def observation(self, question: Question) -> Json:
        value = self.state.values.get(question.id)
        row = self.state.rows.get(question.id)
        collected = row.updated_at if row is not None else self.state.assessment.submitted_at
        assert collected is not None
        return {
            "uuid": self.uid("observation", question.id),
            "title": _line(question.text, question.id),
            "description": _text(
                question.text + "\n\n" + _("Answer: %(answer)s", answer=question.label_for(value))
            ),
            "props": _list(
                self.prop("question", question.id),
                self.prop("answer", value),
                self.prop("profile", "true") if question.profile else None,
            ),
            "methods": ["INTERVIEW"],
            "origins": [{"actors": [{"type": "party", "actor-uuid": self.party_uuid}]}],
            "collected": _stamp(collected),
            "remarks": markdown_text(_text(self.state.notes.get(question.id, ""))),
        }

    # -- what is not in place

    def finding(self, gap: Gap) -> Json:
        question = self.state.questionnaire.question(gap.question_id)
        value = self.state.values.get(gap.question_id)
        return {
            "uuid": self.uid("finding", gap.question_id),
            "title": _line(question.text, question.id),
            "description": _text(_("Answer: %(answer)s", answer=question.label_for(value))),
            "props": _list(*self.gap_props(gap), *self.ref_props(question)),
            "target": {
                "type": "objective-id",
                "target-id": _token(gap.question_id),
                "status": {
                    "state": "not-satisfied",
                    # "other": not known to be in place (I don't know, not checked).
                    "reason": "other" if gap.not_known or gap.unanswered else "fail",
                },
            },
            "related-observations": (
                [{"observation-uuid": self.uid("observation", gap.question_id)}]
                if value is not None and gap.question_id in self.state.shown
                else []
            ),
            "related-risks": [{"risk-uuid": self.uid("risk", gap.question_id)}],
        }

    def gap_props(self, gap: Gap) -> list[Json | None]:
        return [
            self.prop("priority", gap.priority),
            self.prop("critical", _bool(gap.question_id in self.critical_ids)),
            self.prop("unknown", "true") if gap.not_known else None,
        ]

    def gap_risk(self, gap: Gap, *, planned: bool = False) -> Json:
        question = self.state.questionnaire.question(gap.question_id)
        value = self.state.values.get(gap.question_id)
        rule = CRITICAL_RULES.get(question.critical_rule or "") if question.critical else None
        key = ("risk", gap.question_id)
        remediations = (
            [self.remediation(a, k, key) for a, k in self.actions_for_question(gap.question_id)]
            if planned
            else []
        )
        return {
            "uuid": self.uid(*key),
            "title": _line(question.text, question.id),
            "description": _text(
                _("Answer: %(answer)s", answer=question.label_for(value))
                + ("\n\n" + _("Critical: %(rule)s", rule=_(rule)) if rule else "")
            ),
            "statement": _text(question.why) or _line(question.text, question.id),
            "props": _list(*self.gap_props(gap), *self.ref_props(question)),
            "status": "open",
            "deadline": self.earliest(
                a for a, _unused in self.actions_for_question(gap.question_id)
            )
            if planned
            else None,
            "remediations": remediations,
            "related-observations": (
                [{"observation-uuid": self.uid("observation", gap.question_id)}]
                if value is not None and gap.question_id in self.state.shown
                else []
            ),
        }

    def kev_risks(self, *, planned: bool = False) -> Iterator[Json]:
        """A risk for each catalog entry matched to a product, open or settled."""
        for match in self.state.exploited:
            for entry in match.entries:
                yield self.kev_risk(match, entry, planned=planned)

    def kev_risk(self, match: ProductMatch, entry: KevEntry, *, planned: bool) -> Json:
        product = match.product
        key = ("risk", f"product-{product.id}", entry.cve_id)
        is_open = match.is_open(entry)
        triage = None if is_open else match.triage_of(entry)
        status = _status(match, entry)
        actions = self.actions_for_product(match) if planned and status != "closed" else []
        nvd = NVD_DETAIL + entry.cve_id
        log = []
        if triage is not None:
            log.append(
                {
                    "uuid": self.uid(*key, "triage"),
                    "title": _(TRIAGE_LABELS[triage.state]),
                    "description": markdown_text(_text(triage.note)),
                    "start": _stamp(triage.at),
                    "status-change": status,
                }
            )
        # When it must be closed: CISA's own days for an open entry on an internet-facing
        # product (counted from when the portal first matched it), and in the POA&M the plan's
        # earliest date for the product, whichever comes first.
        days = [d for a, _unused in actions if (d := self.due_on(a)) is not None]
        if is_open and product.internet_facing:
            days.append(
                match.first_matched_on(entry) + timedelta(days=min(cisa_days(entry), MAX_DAYS))
            )
        deadline = self.end_of(min(days)) if days and status != "closed" else None
        return {
            "uuid": self.uid(*key),
            "title": markdown_text(
                _line(f"{entry.cve_id}: {entry.vulnerability_name}", entry.cve_id)
            ),
            "description": markdown_text(_text(entry.short_description)) or entry.cve_id,
            "statement": _text(f"{entry.cve_id} {plain_kind(entry)}."),
            "props": _list(
                self.prop("cve-id", entry.cve_id),
                self.prop("product", product.name),
                self.prop("product-version", product.version),
                self.prop("internet-facing", _bool(product.internet_facing)),
                self.prop("known-ransomware", _bool(entry.known_ransomware)),
                self.prop("critical", _bool(is_open and match.critical_gap)),
                self.prop("triage", triage.state.value if triage else TriageState.OPEN.value),
                self.prop("running-version", triage.running_version if triage else None),
            ),
            "links": [{"href": nvd, "rel": "reference"}],
            "status": status,
            "threat-ids": [{"system": KEV_PAGE, "id": nvd}],
            "deadline": deadline,
            "remediations": [self.remediation(a, k, key) for a, k in actions],
            "risk-log": {"entries": log} if log else None,
        }

    # -- the plan

    def actions_for_question(self, question_id: str) -> list[tuple[PlannedAction, str]]:
        """The plan's actions that close a question's gap (a product's actions close its
        catalog entries' risks instead)."""
        return [
            (a, k)
            for a, k in self.actions
            if a.kev is None and not a.products and question_id in (a.question_id, *a.also_closes)
        ]

    def actions_for_product(self, match: ProductMatch) -> list[tuple[PlannedAction, str]]:
        pid = match.product.id
        return [
            (a, k)
            for a, k in self.actions
            if (a.kev is not None and a.kev.product.id == pid)
            or any(m.product.id == pid for m in a.products)
        ]

    def risks_of(self, action: PlannedAction) -> list[tuple[str, ...]]:
        """The keys of the risks a plan action addresses."""
        matches = (action.kev,) if action.kev is not None else action.products
        if matches:
            return [
                ("risk", f"product-{m.product.id}", e.cve_id)
                for m in matches
                for e in m.entries
                if _status(m, e) != "closed"
            ]
        gaps = {g.question_id for g in self.gaps}
        return [("risk", q) for q in (action.question_id, *action.also_closes) if q in gaps]

    @cached_property
    def window_ends(self) -> dict[int, date]:
        """The last day of each window on the organization's clock."""
        submitted = self.state.assessment.submitted_at
        assert submitted is not None
        return {w: plan_due_date(submitted, w, None, self.zone.key) for w in WINDOWS}

    def due_on(self, action: PlannedAction) -> date | None:
        """The day an action is due, as the plan's rows give it (None: the backlog)."""
        return due_date(action, self.window_ends)

    def end_of(self, day: date) -> str:
        """The last second of ``day`` on the organization's clock (RFC 3339, with its offset)."""
        return datetime.combine(day, time(23, 59, 59), tzinfo=self.zone).isoformat()

    def earliest(self, actions: Iterable[PlannedAction]) -> str | None:
        days = [d for a in actions if (d := self.due_on(a)) is not None]
        return self.end_of(min(days)) if days else None

    def action_props(self, action: PlannedAction) -> list[Json | None]:
        due = self.due_on(action)
        return [
            self.prop("window", f"{action.window}-day" if action.window else "backlog"),
            self.prop("due-date", due.isoformat() if due else None),
            self.prop("critical", _bool(action.critical)),
            self.prop("effort", action.action.effort),
            self.prop("cost", action.action.cost),
            self.prop("owner", action.action.owner),
            self.prop("rank", str(action.rank)),
            self.prop("this-week", "true") if action.this_week else None,
            self.prop("conditional", "true") if action.conditional else None,
            self.prop("kind", action.kind),
        ]

    def remediation(self, action: PlannedAction, action_key: str, risk: tuple[str, ...]) -> Json:
        name = (*risk, "response", action_key)
        due = self.due_on(action)
        submitted = self.state.assessment.submitted_at
        assert submitted is not None
        task = None
        if due is not None:
            end = datetime.combine(due, time(23, 59, 59), tzinfo=self.zone)
            start = min(_aware(submitted), end - timedelta(days=1) + timedelta(seconds=1))
            task = {
                "uuid": self.uid(*name, "milestone"),
                "type": "milestone",
                "title": _("Due by %(date)s", date=due.isoformat()),
                "timing": {"within-date-range": {"start": _stamp(start), "end": end.isoformat()}},
            }
        return {
            "uuid": self.uid(*name),
            "lifecycle": "planned",
            "title": _line(action.action.title, action.question_id),
            "description": _text(action.action.detail) or _line(action.action.title, "-"),
            "tasks": [task] if task else [],
        }

    def poam_item(self, action: PlannedAction, key: str) -> Json:
        risks = self.risks_of(action)
        gaps = {g.question_id for g in self.gaps}
        questions = [q for q in (action.question_id, *action.also_closes) if q in gaps]
        if action.kev is not None or action.products:
            questions = []
        observed = [q for q in questions if self.state.values.get(q) is not None]
        return {
            "uuid": self.uid("poam-item", key),
            "title": _line(action.action.title, action.question_id),
            "description": _text(action.action.detail) or _line(action.action.title, "-"),
            "props": _list(*self.action_props(action)),
            "related-findings": [{"finding-uuid": self.uid("finding", q)} for q in questions],
            "related-observations": [
                {"observation-uuid": self.uid("observation", q)} for q in observed
            ],
            "related-risks": [{"risk-uuid": self.uid(*r)} for r in risks],
        }

    def empty_poam_item(self) -> Json:
        """OSCAL requires at least one POA&M item: a plan with no action says so in one."""
        return {
            "uuid": self.uid("poam-item", "none"),
            "title": _("No actions in the plan"),
            "description": _("The remediation plan of this assessment has no actions."),
        }

    # -- metadata and references

    def metadata(self, title: str) -> Json:
        organization = self.state.assessment.organization
        submitted = self.state.assessment.submitted_at
        assert submitted is not None
        kev = _line(self.kev_version or "", "")
        return {
            "title": _line(title, _("Readiness Portal export")),
            "last-modified": _stamp(self.generated),
            "version": _stamp(submitted),
            "oscal-version": OSCAL_VERSION,
            "props": _list(
                self.prop("portal-version", self.portal_version),
                self.prop("questionnaire-version", self.state.questionnaire.version),
                self.prop("kev-catalog-version", kev),
            ),
            "parties": [
                {
                    "uuid": self.party_uuid,
                    "type": "organization",
                    "name": self.org_name,
                    "props": _list(
                        *(self.prop("sector", s) for s in organization.sectors),
                        self.prop("state", organization.state),
                    ),
                }
            ],
            # What the document rests on, pointed at in its back-matter (a tool lists them).
            "links": [
                {"href": f"#{self.resource_uuid(name)}", "rel": "reference"}
                for name in ("questionnaire", "cpg2", "csf2", "kev")
            ],
            "remarks": _(
                "Readiness Portal %(portal)s; questionnaire %(questionnaire)s; CISA KEV catalog "
                "%(kev)s.",
                portal=_line(self.portal_version, "-"),
                questionnaire=self.questionnaire_version,
                kev=kev or _("not imported"),
            )
            + " "
            + _("The document's version is the assessment's submission time."),
        }

    def back_matter(self) -> Json:
        kev = _line(self.kev_version or "", "")
        questionnaire = self.state.questionnaire
        return {
            "resources": [
                {
                    "uuid": self.resource_uuid("questionnaire"),
                    "title": _(
                        "Readiness Portal questionnaire %(version)s",
                        version=self.questionnaire_version,
                    ),
                    "description": _(
                        "The self-assessment questionnaire the organization answered: the "
                        "assessment plan of these results."
                    ),
                    "props": _list(
                        self.prop("questionnaire-version", questionnaire.version),
                        self.prop("content-hash", questionnaire.content_hash),
                    ),
                },
                {
                    "uuid": self.resource_uuid("cpg2"),
                    "title": _("CISA Cross-Sector Cybersecurity Performance Goals (CPG) 2.0"),
                    "rlinks": [{"href": CPG_PAGE}],
                },
                {
                    "uuid": self.resource_uuid("csf2"),
                    "title": _("NIST Cybersecurity Framework (CSF) 2.0"),
                    "rlinks": [{"href": CSF_PAGE}],
                },
                {
                    "uuid": self.resource_uuid("kev"),
                    "title": _("CISA Known Exploited Vulnerabilities Catalog"),
                    "props": _list(self.prop("catalog-version", kev)),
                    "rlinks": [
                        {"href": KEV_PAGE},
                        {"href": FEED_URL, "media-type": "application/json"},
                    ],
                },
            ]
        }


# How a settled match stands as an OSCAL risk (see the module docstring): not affected is
# "closed" (it does not apply, on the operator's reading of the advisory), not
# "deviation-approved" (nobody approved anything); end of life is "remediating" (the flaw stays
# until the product is replaced: under way, not closed).
_SETTLED_STATUS = {
    TriageState.FIXED: "closed",
    TriageState.MITIGATED: "closed",
    TriageState.NOT_AFFECTED: "closed",
    TriageState.END_OF_LIFE: "remediating",
    TriageState.OPEN: "open",
}


def _status(match: ProductMatch, entry: KevEntry) -> str:
    """The OSCAL risk status of one matched catalog entry, from its triage."""
    triage = None if match.is_open(entry) else match.triage_of(entry)
    return "open" if triage is None else _SETTLED_STATUS[triage.state]


def _action_keys(actions: Iterable[PlannedAction]) -> list[str]:
    """A name for each plan action that stays the same across exports: its question, its kind
    and its product (the rank would shift as the plan changes)."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for action in actions:
        key = "/".join(
            [action.question_id]
            + ([action.kind] if action.kind else [])
            + ([f"product-{action.kev.product.id}"] if action.kev is not None else [])
        )
        seen[key] = seen.get(key, 0) + 1
        keys.append(key if seen[key] == 1 else f"{key}/{seen[key]}")
    return keys


# --- values -------------------------------------------------------------------------------------


def _text(value: str) -> str:
    """Text as OSCAL (and its XML form) can carry it: line breaks kept (carriage returns become
    line feeds), controls removed."""
    return xml_text(value.replace("\r\n", "\n").replace("\r", "\n")).strip()


# OSCAL's titles, descriptions and remarks are Markdown: in text the portal did not write (a
# note, the organization's name, the KEV catalog's words), the characters that would make a
# link, a picture, HTML, emphasis, code, a heading or a table are escaped, so a viewer shows
# them as written and fetches nothing.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>!#|~])")


def markdown_text(value: str) -> str:
    """Text from outside the portal, as Markdown that renders as written."""
    return _MARKDOWN.sub(r"\\\1", value)


def _line(value: str, fallback: str) -> str:
    """One line of text (a title, a name, a property's value): whitespace collapsed."""
    return " ".join(_text(value).split()) or fallback


def _token(value: str) -> str:
    """An OSCAL token from one of the portal's ids (question ids already are)."""
    if _TOKEN.fullmatch(value):
        return value
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]", "_", value)
    return cleaned if _TOKEN.fullmatch(cleaned) else "_" + cleaned


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _aware(moment: datetime) -> datetime:
    """A stored time (naive means UTC) with its timezone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _stamp(moment: datetime) -> str:
    """RFC 3339 in UTC, to the second."""
    return _aware(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _list(*items: Json | None) -> list[Json]:
    return [item for item in items if item is not None]


def _pruned(value: Any) -> Any:
    """``value`` without empty arrays, empty strings, None and objects left empty: OSCAL wants
    an array present to hold at least one item, and an optional field absent, not blank."""
    if isinstance(value, dict):
        kept = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        items = [_pruned(v) for v in value]
        return [v for v in items if v not in (None, "", [], {})]
    return value
