"""A broken questionnaire file is rejected with its file, its question and a reason."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from portal.questionnaire import QuestionnaireInvalid, load_directory, load_documents
from tests.factories import QUESTIONNAIRE_DIR


def first_question(documents: dict[str, Any], module: str = "core") -> dict[str, Any]:
    """The first scored question of the module's first section (after its profile questions)."""
    questions = documents[f"{module}.yaml"]["sections"][0]["questions"]
    return next(q for q in questions if not q.get("profile"))


def problems_of(documents: dict[str, Any]) -> list[str]:
    with pytest.raises(QuestionnaireInvalid) as excinfo:
        load_documents(documents)
    return [str(p) for p in excinfo.value.problems]


def assert_problem(problems: list[str], *fragments: str) -> None:
    assert any(all(f in p for f in fragments) for p in problems), problems


def test_missing_id(documents: dict[str, Any]) -> None:
    del first_question(documents)["id"]
    assert_problem(problems_of(documents), "core.yaml", "has no 'id'", "core.government_level")


def test_duplicate_id_within_and_across_modules(documents: dict[str, Any]) -> None:
    documents["bank.yaml"]["sections"][0]["questions"][2]["id"] = "core.security_lead"
    assert_problem(
        problems_of(documents), "bank.yaml", "core.security_lead", "id must look like 'bank."
    )
    questions = documents["bank.yaml"]["sections"][0]["questions"]
    questions[2]["id"] = questions[3]["id"]
    assert_problem(problems_of(documents), "bank.yaml", questions[3]["id"], "used twice")


def test_unknown_priority(documents: dict[str, Any]) -> None:
    first_question(documents)["priority"] = "morale"
    assert_problem(
        problems_of(documents), "core.yaml: core.security_lead", "unknown priority 'morale'"
    )


def test_condition_naming_a_missing_question(documents: dict[str, Any]) -> None:
    first_question(documents)["show_if"] = {"question": "core.no_such_thing", "in": ["yes"]}
    assert_problem(
        problems_of(documents),
        "core.yaml: core.security_lead",
        "'core.no_such_thing', which is not an earlier question",
    )


def test_condition_looking_forward_is_rejected_so_no_cycles(documents: dict[str, Any]) -> None:
    # core.runs_ot is the very first question; pointing it at a later one would allow a cycle.
    documents["core.yaml"]["sections"][0]["questions"][0]["show_if"] = {
        "question": "core.security_lead",
        "in": ["yes"],
    }
    assert_problem(problems_of(documents), "core.runs_ot", "not an earlier question")


def test_condition_on_a_value_the_question_does_not_have(documents: dict[str, Any]) -> None:
    first_question(documents)["show_if"] = {"question": "core.runs_ot", "in": ["sometimes"]}
    assert_problem(
        problems_of(documents),
        "core.security_lead",
        "'sometimes' is not an option of 'core.runs_ot'",
    )


@pytest.mark.parametrize("points", [101, -5, "lots", True])
def test_points_out_of_range(documents: dict[str, Any], points: Any) -> None:
    first_question(documents)["options"][1]["points"] = points
    assert_problem(problems_of(documents), "core.security_lead", "points")


def test_unquoted_yes_becomes_a_boolean_and_is_explained(documents: dict[str, Any]) -> None:
    first_question(documents)["options"][0]["value"] = True
    assert_problem(problems_of(documents), "core.security_lead", "quote it")


def test_no_full_marks_option(documents: dict[str, Any]) -> None:
    first_question(documents)["options"][0]["points"] = 90
    assert_problem(problems_of(documents), "core.security_lead", "worth 100")


def test_unknown_tool_and_cpg_goal(documents: dict[str, Any]) -> None:
    question = first_question(documents)
    question["action"]["tools"] = ["magic_firewall"]
    question["refs"]["cpg2"] = ["9.Z"]
    problems = problems_of(documents)
    assert_problem(problems, "core.security_lead", "unknown tool 'magic_firewall'")
    assert_problem(problems, "core.security_lead", "unknown CPG 2.0 goal '9.Z'")


def test_reserved_option_value(documents: dict[str, Any]) -> None:
    first_question(documents)["options"][2]["value"] = "dont_know"
    assert_problem(problems_of(documents), "core.security_lead", "reserved")


def test_typo_key_is_reported(documents: dict[str, Any]) -> None:
    first_question(documents)["crtical"] = True
    assert_problem(problems_of(documents), "core.security_lead", "unknown key 'crtical'")


def test_all_problems_are_collected(documents: dict[str, Any]) -> None:
    first_question(documents)["priority"] = "morale"
    documents["tools.yaml"]["tools"][0]["addresses"] = ["nothing"]
    problems = problems_of(documents)
    assert len(problems) >= 2


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "q"
    shutil.copytree(QUESTIONNAIRE_DIR, folder)
    (folder / "water.yaml").write_text("module: water\nsections: [\n  - id: x\n", "utf-8")
    (folder / "electric.yaml").unlink()
    with pytest.raises(QuestionnaireInvalid) as excinfo:
        load_directory(folder)
    messages = [str(p) for p in excinfo.value.problems]
    assert_problem(messages, "water.yaml", "is not valid YAML at line")
    assert_problem(messages, "electric.yaml", "file is missing")
    assert "Traceback" not in str(excinfo.value)


def _hospital_email(documents: dict[str, Any]) -> dict[str, Any]:
    return next(
        q
        for section in documents["hospital.yaml"]["sections"]
        for q in section["questions"]
        if q["id"] == "hospital.clinician_email_protection"
    )


def test_agrees_with_names_an_earlier_question_and_real_answers(documents: dict[str, Any]) -> None:
    question = _hospital_email(documents)
    question["agrees_with"]["question"] = "hospital.no_such_question"
    assert_problem(problems_of(documents), "hospital.yaml", "'agrees_with' names", "not an earlier")
    question["agrees_with"]["question"] = "core.email_authentication"
    question["agrees_with"]["clash"] = [{"this": ["yes"], "that": ["reject"]}]
    assert_problem(
        problems_of(documents), "'reject' is not an option of 'core.email_authentication'"
    )
    question["agrees_with"]["clash"] = [{"this": ["maybe"], "that": ["no"]}]
    assert_problem(problems_of(documents), "'maybe' is not an option here")
    question["agrees_with"]["clash"] = []
    assert_problem(problems_of(documents), "'agrees_with.clash' must list")
    question["agrees_with"] = {"question": "core.email_authentication", "clash": [], "why": "x"}
    assert_problem(problems_of(documents), "unknown key 'agrees_with.why'")
