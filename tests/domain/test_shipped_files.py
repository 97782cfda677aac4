"""The questionnaire files we ship: they load, and they cover what the product promises."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import RadioField

from portal.questionnaire import Questionnaire, load_directory
from portal.questionnaire.model import CPG2_GOALS, DONT_KNOW, NOT_APPLICABLE
from tests.factories import QUESTIONNAIRE_DIR


def test_every_shipped_file_loads() -> None:
    questionnaire = load_directory(QUESTIONNAIRE_DIR)
    assert [m.id for m in questionnaire.modules] == [
        "core",
        "hospital",
        "bank",
        "water",
        "electric",
    ]
    assert questionnaire.version == "2026.5"


def test_core_covers_every_cpg2_goal_and_priority(questionnaire: Questionnaire) -> None:
    core = [q for q in questionnaire.module("core").questions() if q.scored]
    assert len(core) >= 45
    covered = {goal for q in core for goal in q.refs.cpg2}
    assert covered == CPG2_GOALS, f"missing: {sorted(CPG2_GOALS - covered)}"
    assert len(CPG2_GOALS) == 34
    assert {q.priority for q in core} == {p.id for p in questionnaire.priorities}
    for question in core:
        assert question.refs.cpg2, question.id
        assert question.refs.csf2, question.id


@pytest.mark.parametrize("sector", ["hospital", "bank", "water", "electric"])
def test_sector_modules_are_substantial_and_referenced(
    questionnaire: Questionnaire, sector: str
) -> None:
    module = questionnaire.module(sector)
    scored = [q for q in module.questions() if q.scored]
    assert len(scored) >= 12
    assert module.sectors == (sector,)
    assert all(q.refs.sector for q in scored)
    assert any(q.critical for q in scored)
    assert questionnaire.modules_for([sector]) == ("core", sector)


def test_tools_catalog(questionnaire: Questionnaire) -> None:
    assert len(questionnaire.tools) >= 15
    ids = {t.id for t in questionnaire.tools}
    for expected in (
        "cisa_vuln_scanning",
        "cisa_web_app_scanning",
        "cisa_phishing_assessment",
        "cisa_kev_catalog",
        "cisa_protective_dns",
        "treasury_ai_clearinghouse",
        "sector_isac",
        "sltt_edr_program",
        "cisa_training",
    ):
        assert expected in ids
    for tool in questionnaire.tools:
        assert tool.how_to_request and tool.summary and tool.addresses
    referenced = {
        t for m in questionnaire.modules for q in m.questions() if q.action for t in q.action.tools
    }
    assert referenced <= ids


def test_every_scored_question_has_an_action_and_help(questionnaire: Questionnaire) -> None:
    for module in questionnaire.modules:
        for question in module.questions():
            if question.profile:
                assert question.action is None and question.priority is None
                continue
            assert question.action is not None, question.id
            assert question.why and question.how_to_check, question.id
            assert max(o.points or 0 for o in question.options) == 100


def test_choices_work_in_wtforms_without_deprecation_warnings(
    questionnaire: Questionnaire,
) -> None:
    # pytest runs with warnings as errors: a deprecated choices format would fail here.
    question = questionnaire.question("core.guest_wifi")
    choices = question.choices()
    assert list(choices)[-2:] == [DONT_KNOW, NOT_APPLICABLE]

    class Form(FlaskForm):
        class Meta:
            csrf = False

    Form.answer = RadioField(choices=choices)
    from flask import Flask

    with Flask(__name__).test_request_context():
        form = Form(formdata=MultiDict({"answer": DONT_KNOW}))
        assert form.validate(), form.errors
        bad = Form(formdata=MultiDict({"answer": "maybe"}))
        assert not bad.validate()
        rendered = str(form.answer)
        assert "I don&#39;t know" in rendered or "I don't know" in rendered


def test_content_hash_changes_with_content(questionnaire: Questionnaire, documents: dict) -> None:
    from portal.questionnaire import load_documents

    assert load_documents(documents).content_hash == questionnaire.content_hash
    documents["core.yaml"]["sections"][0]["title"] = "Changed"
    assert load_documents(documents).content_hash != questionnaire.content_hash


def test_the_published_coverage_table_is_the_data(questionnaire: Questionnaire) -> None:
    """questionnaires/README.md's sector coverage table is generated from the files; after a
    change, paste the output of portal.questionnaire.coverage.markdown() between its markers."""
    from portal.questionnaire.coverage import REFERENCES, covering, markdown

    readme = (QUESTIONNAIRE_DIR / "README.md").read_text(encoding="utf-8")
    published = readme.split("<!-- coverage:start -->\n", 1)[1].split("\n<!-- coverage:end -->")[0]
    assert published == markdown(questionnaire)
    found = covering(questionnaire)
    missing = [item for items in REFERENCES.values() for item in items if item not in found]
    assert not missing, f"reference items no question covers: {missing}"


@pytest.mark.parametrize(
    ("core", "hospital", "clash"),
    [
        ("no", "yes", True),  # no DMARC at all, and DMARC at quarantine or reject
        ("yes", "no", False),  # DMARC at reject; "No" to filtering and tags: can be true
        ("yes", "partly", False),  # reject; basic filtering only here: both can be true
        ("partly", "yes", False),  # quarantine in both
        ("no", "dont_know", False),  # an unknown contradicts nothing
    ],
)
def test_dmarc_asked_twice_clashes_only_when_both_cannot_be_true(
    questionnaire: Questionnaire, core: str, hospital: str, clash: bool
) -> None:
    answers = {"core.email_authentication": core, "hospital.clinician_email_protection": hospital}
    found = questionnaire.clashes(("core", "hospital"), answers)
    assert bool(found) is clash
    if found:
        assert found[0].earlier.id == "core.email_authentication"
        assert "DMARC" in found[0].agreement.fact
    # A hospital-only organization never sees the bank's question: no clash from it.
    assert not questionnaire.clashes(("core",), answers)
