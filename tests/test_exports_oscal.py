"""The OSCAL 1.1.3 exports of a submitted assessment (portal/exports/oscal.py), held against
compliance-trestle's models of NIST's OSCAL 1.1.3 JSON schemas — which refuse unknown fields,
bad uuids, tokens and strings — and against the schemas' rules those models leave out: no empty
array, every date-time with its timezone, every uuid unique and every reference resolved.

The four operators of tests/domain/operators.py (their answers, and their products matched
against the shipped KEV snapshot) are registered, submitted and exported once for the module:
each export is built twice, and under another namespace, before any test runs (each test ends
with empty tables)."""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from portal import questionnaire_versions
from portal.assessments import lifecycle, reading
from portal.assessments.state import load as load_state
from portal.auth import service
from portal.exports import oscal
from portal.exports.oscal import markdown_text
from portal.exposure import inventory, triage
from portal.extensions import db
from portal.kev.catalog import SNAPSHOT
from portal.kev.matching import TriageState
from portal.models import Answer, Assessment, InventoryItem, Organization, User
from portal.questionnaire import Question
from portal.templating import window_due_date
from tests.domain.answers import answers_for
from tests.domain.operators import BANK, CO_OP, HOSPITAL, OPERATORS, WATER, Operator, answers_of
from tests.factories import PASSWORD
from tests.kev.catalogs import load
from tests.oscal_validator import Invalid, validate, walk

NAMESPACE = oscal.namespace_for("https://readiness.state.example.gov")
OTHER_NAMESPACE = oscal.namespace_for("https://other.example.org")
PORTAL_VERSION = "9.8.7-test"
FIRST = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
SECOND = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
STATES = {HOSPITAL.name: "OH", BANK.name: "IN", CO_OP.name: "MN", WATER.name: "AZ"}
OFFSETS = {"hospital": "T23:59:59-05:00", "water": "T23:59:59-07:00"}  # in December
ZONES = {"hospital": ZoneInfo("America/New_York"), "water": ZoneInfo("America/Phoenix")}
HOSTILE_NOTE = (
    "=cmd|' /C calc'!A0 \u202eevil\u202c 🔥👩🏽‍⚕️ مرحبا ![x](http://canary.invalid/i.png) "
    "<img src=http://canary.invalid/j.png> [click](javascript:alert(1))"
)
# (No NUL: PostgreSQL cannot store one.)
CONTROLS = "".join(chr(c) for c in range(1, 0x20) if c not in (9, 10, 13))

# --- building the assessments -------------------------------------------------------------------


@dataclass
class Exported:
    """One submitted assessment's exports and the facts to check them against."""

    ar: dict[str, Any]
    poam: dict[str, Any]
    ar_again: dict[str, Any]
    poam_again: dict[str, Any]
    ar_other: dict[str, Any]
    poam_other: dict[str, Any]
    questionnaire_version: str
    submitted_at: datetime
    due: dict[int, date]
    plan: list[tuple[str, int | None, date | None]]  # (title, window, due_on) in plan order
    gaps: list[str]
    settled: dict[str, TriageState] = field(default_factory=dict)
    open_cves: set[str] = field(default_factory=set)


def register(name: str, sector: str, state: str, ownership: str = "public") -> tuple[int, int]:
    email = re.sub(r"[^a-z]", "", name.lower())[:30] + "@oscal.example.org"
    user = service.register_organization(
        service.NewOrganization(name, [sector], ownership, "small", state, "Pine"),
        "Test Operator",
        email,
        PASSWORD,
    )
    assert user.organization_id is not None
    return user.organization_id, user.id


def submit(
    organization_id: int,
    user_id: int,
    answer: Callable[[Question], str | None],
    notes: dict[str, str] | None = None,
) -> Assessment:
    organization = db.session.get(Organization, organization_id)
    user = db.session.get(User, user_id)
    assert organization is not None and user is not None
    assessment = lifecycle.start(organization, user)
    for question in reading.questionnaire_of(assessment).questions_in(assessment.modules):
        db.session.add(
            Answer(
                assessment_id=assessment.id,
                question_id=question.id,
                value=answer(question),
                note=(notes or {}).get(question.id, ""),
                updated_by_id=user.id,
            )
        )
    db.session.flush()
    lifecycle.submit(assessment, user)
    db.session.commit()
    return assessment


def export(assessment: Assessment, **facts: Any) -> Exported:
    """Both documents of ``assessment``, built twice and under another namespace."""
    kev_version = oscal.kev_catalog_version()

    def build(namespace: uuid.UUID, generated: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        state = load_state(assessment)
        kwargs: dict[str, Any] = {
            "namespace": namespace,
            "portal_version": PORTAL_VERSION,
            "kev_version": kev_version,
            "generated": generated,
        }
        return oscal.assessment_results(state, **kwargs), oscal.poam(state, **kwargs)

    ar, plan_of_action = build(NAMESPACE, FIRST)
    ar_again, poam_again = build(NAMESPACE, SECOND)
    ar_other, poam_other = build(OTHER_NAMESPACE, FIRST)
    state = load_state(assessment)
    assert assessment.submitted_at is not None
    return Exported(
        ar,
        plan_of_action,
        ar_again,
        poam_again,
        ar_other,
        poam_other,
        state.questionnaire.version,
        assessment.submitted_at,
        {w: window_due_date(assessment, w) for w in (30, 60, 90)},
        [(a.action.title, a.window, a.due_on) for a in state.plan.actions],
        [g.question_id for g in state.result.gaps],
        open_cves={e.cve_id for m in state.exploited for e in m.open_entries},
        **facts,
    )


def operator_assessment(operator: Operator) -> Exported:
    """``operator`` registered in its sector with its products, answered and submitted; the
    hospital also settles three of its matches (mitigated, not affected, end of life)."""
    organization_id, user_id = register(operator.name, operator.sector, STATES[operator.name])
    user = db.session.get(User, user_id)
    organization = db.session.get(Organization, organization_id)
    assert user is not None and organization is not None
    for product in operator.products:
        family = inventory.resolve(product.vendor, product.product)
        fields = inventory.ProductFields(
            product.category,
            product.vendor,
            product.product,
            product.version,
            product.internet_facing,
            product.managed_by_msp,
        )
        inventory.add_item(organization, user, fields, family.key if family else None)
    db.session.commit()
    settled: dict[str, TriageState] = {}
    if operator is HOSPITAL:
        matches = [m for m in inventory.exposure_of(organization_id) if len(m.entries) >= 3]
        decisions = [
            triage.Decision(TriageState.MITIGATED, "Taken off the internet on Dec 2."),
            triage.Decision(TriageState.NOT_AFFECTED, "The advisory names 6.x only; we run 7.0."),
            triage.Decision(TriageState.END_OF_LIFE, "Replacing in March."),
        ]
        for entry, decision in zip(matches[0].entries, decisions, strict=False):
            item = db.session.get(InventoryItem, matches[0].product.id)
            assert item is not None
            triage.settle(item, entry.cve_id, decision, user, 0)
            settled[entry.cve_id] = decision.state
        db.session.commit()
    answers = answers_of(questionnaire_versions.current(), operator)
    assessment = submit(organization_id, user_id, lambda q: answers.get(q.id))
    return export(assessment, settled=settled)


def best_assessment() -> Exported:
    """Every question answered with its best option (profile questions "yes"); no products."""
    organization_id, user_id = register("Best Practice Clinic", "hospital", "OH")
    answers = answers_for(questionnaire_versions.current(), "hospital", "yes")
    return export(submit(organization_id, user_id, lambda q: answers.get(q.id)))


@pytest.fixture(scope="module")
def exported(app: Flask) -> dict[str, Exported]:
    """The four operators' assessments and the best-answered one, exported (built once)."""
    load(app, SNAPSHOT.read_bytes(), source=str(SNAPSHOT))
    with app.test_request_context():
        built = {operator.sector: operator_assessment(operator) for operator in OPERATORS}
        built["best"] = best_assessment()
    return built


# --- the tests ----------------------------------------------------------------------------------


def root(document: dict[str, Any]) -> dict[str, Any]:
    """The one member of a document (its model's root)."""
    value: dict[str, Any] = next(iter(document.values()))
    return value


def all_uuids(document: dict[str, Any]) -> list[str]:
    return [v for _, k, v in walk(document) if k == "uuid" or k.endswith("-uuid")]


def prop(item: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in item.get("props", []) if p["name"] == name]


@pytest.mark.parametrize("sector", [o.sector for o in OPERATORS])
def test_each_operator_exports_valid_oscal(exported: dict[str, Exported], sector: str) -> None:
    found = exported[sector]
    validate(found.ar)
    validate(found.poam)
    result = root(found.ar)["results"][0]
    # Every gap is a finding targeting its question, with its risk; every answer an interview.
    assert [f["target"]["target-id"] for f in result["findings"]] == found.gaps
    assert {f["target"]["status"]["state"] for f in result["findings"]} == {"not-satisfied"}
    assert {tuple(o["methods"]) for o in result["observations"]} == {("INTERVIEW",)}
    controls = [
        c["include-controls"][0]["control-id"]
        for c in result["reviewed-controls"]["control-selections"]
    ]
    assert set(found.gaps) <= set(controls)
    refs = {
        p["name"] for c in result["reviewed-controls"]["control-selections"] for p in c["props"]
    }
    assert refs == {"cpg2-goal", "csf2-category"}
    # The products' catalog entries are risks too, with CISA's words.
    kev_risks = [r for r in result["risks"] if prop(r, "cve-id")]
    assert kev_risks and {prop(r, "cve-id")[0] for r in kev_risks} >= found.open_cves
    assert len(root(found.poam)["poam-items"]) == len(found.plan)


def test_settled_matches_are_closed_or_remediating_risks_open_ones_open(
    exported: dict[str, Exported],
) -> None:
    found = exported["hospital"]
    assert len(found.settled) == 3
    for document in (found.ar, found.poam):
        risks = {
            prop(r, "cve-id")[0]: r
            for r in (
                root(document)["results"][0]["risks"]
                if "results" in root(document)
                else root(document)["risks"]
            )
            if prop(r, "cve-id")
        }
        expected = {
            TriageState.MITIGATED: "closed",
            TriageState.NOT_AFFECTED: "closed",
            TriageState.END_OF_LIFE: "remediating",
        }
        for cve, settled in found.settled.items():
            assert risks[cve]["status"] == expected[settled]
            assert prop(risks[cve], "triage") == [settled.value]
            (entry,) = risks[cve]["risk-log"]["entries"]
            assert entry["status-change"] == expected[settled]
        for cve in found.open_cves:
            assert risks[cve]["status"] == "open", cve
    closed = next(r for r in root(found.poam)["risks"] if r["status"] == "closed")
    assert "remediations" not in closed  # nothing left to plan
    remediating = next(r for r in root(found.poam)["risks"] if r["status"] == "remediating")
    assert remediating["remediations"]  # the replacement the plan holds
    open_risk = next(
        r for r in root(found.poam)["risks"] if prop(r, "cve-id") and r["status"] == "open"
    )
    assert open_risk["remediations"][0]["lifecycle"] == "planned"


def test_the_same_assessment_exported_twice_keeps_every_uuid(
    exported: dict[str, Exported],
) -> None:
    for found in exported.values():
        for first, again, other in (
            (found.ar, found.ar_again, found.ar_other),
            (found.poam, found.poam_again, found.poam_other),
        ):
            assert all_uuids(first) == all_uuids(again)
            # Only the time of the export differs.
            assert root(first)["metadata"]["last-modified"] == "2026-12-07T15:00:00Z"
            assert root(again)["metadata"]["last-modified"] == "2026-12-08T09:30:00Z"
            again = copy.deepcopy(again)
            root(again)["metadata"]["last-modified"] = "2026-12-07T15:00:00Z"
            assert first == again
            # Another deployment's namespace: no uuid in common but the fixed ones of OSCAL.
            assert not set(all_uuids(first)) & set(all_uuids(other))
            assert all(uuid.UUID(u).version == 5 for u in set(all_uuids(first)))


def test_metadata_names_the_versions_and_back_matter_links_cpg_csf_and_kev(
    exported: dict[str, Exported],
) -> None:
    found = exported["bank"]
    for document in (found.ar, found.poam):
        metadata = root(document)["metadata"]
        assert metadata["oscal-version"] == "1.1.3"
        assert prop(metadata, "portal-version") == [PORTAL_VERSION]
        assert prop(metadata, "questionnaire-version") == [found.questionnaire_version]
        assert prop(metadata, "kev-catalog-version") == [
            json.loads(SNAPSHOT.read_bytes())["catalogVersion"]
        ]
        assert BANK.name in metadata["title"]
        assert metadata["parties"][0]["name"] == BANK.name
        assert metadata["version"] == found.submitted_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        resources = root(document)["back-matter"]["resources"]
        links = {link["href"] for r in resources for link in r.get("rlinks", [])}
        assert {"https://www.cisa.gov/cpg", "https://www.nist.gov/cyberframework"} <= links
        assert "https://www.cisa.gov/known-exploited-vulnerabilities-catalog" in links
        kev = next(r for r in resources if "Known Exploited" in r["title"])
        assert prop(kev, "catalog-version") == prop(metadata, "kev-catalog-version")
    # The assessment plan is the questionnaire, in the back-matter.
    href = root(found.ar)["import-ap"]["href"]
    plan = next(r for r in root(found.ar)["back-matter"]["resources"] if "#" + r["uuid"] == href)
    assert found.questionnaire_version in plan["title"]


def test_poam_items_follow_the_plan_with_milestones_at_30_60_90_days(
    exported: dict[str, Exported],
) -> None:
    for sector in ("hospital", "water"):
        found = exported[sector]
        document = root(found.poam)
        items = document["poam-items"]
        assert [i["title"] for i in items] == [" ".join(t.split()) for t, _, _ in found.plan]
        assert [int(prop(i, "rank")[0]) for i in items] == list(range(1, len(items) + 1))
        windows = {prop(i, "window")[0] for i in items}
        assert windows <= {"30-day", "60-day", "90-day", "backlog"}
        assert {"30-day", "60-day"} <= windows and (sector != "water" or "90-day" in windows)
        responses = {
            r["uuid"]: r for risk in document["risks"] for r in risk.get("remediations", [])
        }
        checked = 0
        for item, (_, window, due_on) in zip(items, found.plan, strict=True):
            assert {"critical", "effort", "cost", "owner"} <= {p["name"] for p in item["props"]}
            due = due_on or (found.due[window] if window else None)
            assert prop(item, "due-date") == ([due.isoformat()] if due else [])
            mine = [r for r in responses.values() if r["title"] == item["title"]]
            for response in mine:
                if due is None:
                    assert "tasks" not in response
                    continue
                (task,) = response["tasks"]
                assert task["type"] == "milestone"
                span = task["timing"]["within-date-range"]
                assert datetime.fromisoformat(span["end"]).date() == due
                # The end of the due day on the organization's clock (Ohio, Arizona).
                assert span["end"].endswith(OFFSETS[sector]), span
                assert datetime.fromisoformat(span["start"]) <= datetime.fromisoformat(span["end"])
                checked += 1
            assert item.get("related-risks"), item["title"]
        assert checked
        # The windows' days are counted from the day of submission on the organization's clock.
        submitted = found.submitted_at.replace(tzinfo=UTC).astimezone(ZONES[sector]).date()
        assert [(found.due[w] - submitted).days for w in (30, 60, 90)] == [30, 60, 90]


def test_an_assessment_with_no_gaps_is_valid_and_short(exported: dict[str, Exported]) -> None:
    found = exported["best"]
    assert found.gaps == [] and found.plan == []
    validate(found.ar)
    validate(found.poam)
    result = root(found.ar)["results"][0]
    assert "findings" not in result and "risks" not in result
    document = root(found.poam)
    assert "risks" not in document and "observations" not in document
    (item,) = document["poam-items"]
    assert item["title"] == "No actions in the plan"
    assert len(json.dumps(found.poam)) < 4_000
    assert len(json.dumps(found.ar)) < len(json.dumps(exported["hospital"].ar)) / 2


def test_hostile_text_still_validates_and_stays_text(app: Flask) -> None:
    note = f"{HOSTILE_NOTE}{CONTROLS}\r\nsecond line\t tabbed\x7f\x85"
    long_note = "long " * 20_480  # 100 KB
    name = f"  Evil\x01 Clinic \u202e{HOSTILE_NOTE}\x1b[31m\n "
    with app.test_request_context():
        organization_id, user_id = register("Hostile Clinic", "hospital", "OH")
        organization = db.session.get(Organization, organization_id)
        assert organization is not None
        organization.name = name
        db.session.flush()
        questionnaire = questionnaire_versions.current()
        questions = [
            q
            for q in questionnaire.questions_in(questionnaire.modules_for(["hospital"]))
            if q.show_if is None and not q.profile
        ]
        notes = {questions[0].id: note, questions[1].id: long_note}
        assessment = submit(
            organization_id,
            user_id,
            lambda q: min(q.options, key=lambda o: o.points or 0).value,
            notes,
        )
        found = export(assessment)
    for document in (found.ar, found.poam):
        validate(document)
        metadata = root(document)["metadata"]
        expected_name = f"Evil Clinic \u202e{HOSTILE_NOTE}[31m"
        assert metadata["parties"][0]["name"] == expected_name
        # Titles, descriptions and remarks are Markdown: what a person typed renders as typed.
        assert markdown_text(expected_name) in metadata["title"]
    observations = {prop(o, "question")[0]: o for o in root(found.ar)["results"][0]["observations"]}
    assert observations[questions[0].id]["remarks"] == markdown_text(
        f"{HOSTILE_NOTE}\nsecond line\t tabbed"
    )
    assert observations[questions[1].id]["remarks"] == markdown_text(long_note.strip())
    # No Markdown picture, link or HTML a viewer would fetch or follow.
    remarks = observations[questions[0].id]["remarks"]
    assert "\\!\\[x\\](http://canary.invalid" in remarks and "\\<img" in remarks
    assert "\\[click\\](javascript" in remarks
    strings = [v for _, _, v in walk([found.ar, found.poam]) if isinstance(v, str)]
    assert not [v for v in strings if re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", v)]


BREAKAGES: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("extra fields not permitted", lambda d: root(d).update({"unknown-field": 1})),
    (
        "observations -> 0 -> colour",
        lambda d: root(d)["results"][0]["observations"][0].update({"colour": "red"}),
    ),
    ("uuid\n  string does not match regex", lambda d: root(d).update({"uuid": "not-a-uuid"})),
    (
        "findings -> 0 -> uuid",  # a version-1 uuid: OSCAL takes versions 4 and 5 only
        lambda d: root(d)["results"][0]["findings"][0].update({"uuid": str(uuid.uuid1())}),
    ),
    ("field required", lambda d: root(d)["metadata"].pop("oscal-version")),
    (
        "not a valid enumeration member",
        lambda d: root(d)["results"][0]["findings"][0]["target"].update({"type": "control"}),
    ),
    (
        "target-id\n  string does not match regex",  # CPG's "1.A" is no OSCAL token
        lambda d: root(d)["results"][0]["findings"][0]["target"].update({"target-id": "1.A"}),
    ),
    (
        r"value\n  string does not match regex \"\^\\S",
        lambda d: root(d)["results"][0]["risks"][0]["props"][0].update({"value": " padded "}),
    ),
    ("statement\n  field required", lambda d: root(d)["results"][0]["risks"][0].pop("statement")),
    # What trestle's models let through, and the schemas do not.
    (
        "not a date-time with a timezone",
        lambda d: root(d)["metadata"].update({"last-modified": "2026-12-07T15:00:00"}),
    ),
    ("an empty array", lambda d: root(d)["results"][0].update({"attestations": []})),
    ("an empty array", lambda d: root(d)["results"][0]["observations"][0].update({"props": []})),
    (
        "names no risk",
        lambda d: root(d)["results"][0]["findings"][0]["related-risks"][0].update(
            {"risk-uuid": str(uuid.uuid4())}
        ),
    ),
    (
        "uuids used twice",
        lambda d: root(d)["results"][0]["observations"].append(
            copy.deepcopy(root(d)["results"][0]["observations"][0])
        ),
    ),
]


@pytest.mark.parametrize(("reason", "breakage"), BREAKAGES, ids=[r for r, _ in BREAKAGES])
def test_a_broken_document_fails_the_validator(
    exported: dict[str, Exported], reason: str, breakage: Callable[[dict[str, Any]], Any]
) -> None:
    broken = copy.deepcopy(exported["water"].ar)
    validate(broken)
    breakage(broken)
    with pytest.raises(Invalid, match=reason):
        validate(broken)


def test_a_poam_needs_an_item(exported: dict[str, Exported]) -> None:
    broken = copy.deepcopy(exported["best"].poam)
    root(broken)["poam-items"] = []
    with pytest.raises(Invalid, match="an empty array"):
        validate(broken)
    del root(broken)["poam-items"]
    with pytest.raises(Invalid, match="poam-items\n  field required"):
        validate(broken)
