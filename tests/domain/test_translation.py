"""The questionnaire in Spanish (#35): words in ``questionnaires/es/``, keyed by id, checked
against the English they translate. A version whose translation lacks a text, has one too many
or changes a placeholder is refused, every problem named; ids, points and the content hash are
the same in both languages, so a score does not depend on the language it was answered in."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import textstat
import yaml

from portal.questionnaire import Questionnaire
from portal.questionnaire.loader import QuestionnaireInvalid, load_directory
from portal.questionnaire.translation import flatten, in_language, source_texts
from portal.scoring.engine import score_assessment
from tests.factories import QUESTIONNAIRE_DIR

SPANISH = Path(QUESTIONNAIRE_DIR) / "es"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "questionnaires"
    shutil.copytree(QUESTIONNAIRE_DIR, target)
    return target


def _edit(directory: Path, name: str, change: object) -> None:
    path = directory / "es" / name
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def _reasons(directory: Path) -> list[str]:
    with pytest.raises(QuestionnaireInvalid) as refused:
        load_directory(directory)
    return [str(problem) for problem in refused.value.problems]


def test_every_text_of_every_file_has_its_spanish(questionnaire: Questionnaire) -> None:
    spanish = in_language(questionnaire, "es")
    assert spanish.language == "es"
    assert spanish.content_hash == questionnaire.content_hash
    for english_question in questionnaire.questions_in([m.id for m in questionnaire.modules]):
        question = spanish.question(english_question.id)
        assert question.text != english_question.text, question.id
        assert [o.value for o in question.options] == [o.value for o in english_question.options]
        assert [o.points for o in question.options] == [o.points for o in english_question.options]
        if english_question.action is not None:
            assert question.action is not None
            assert question.action.title != english_question.action.title, question.id
            assert [r.url for r in question.action.resources] == [
                r.url for r in english_question.action.resources
            ]
    assert spanish.tier("at_risk").label == "En riesgo"
    assert in_language(spanish, "en") is questionnaire
    assert in_language(questionnaire, "es") is spanish  # made once


def test_a_score_is_the_same_in_either_language(questionnaire: Questionnaire) -> None:
    spanish = in_language(questionnaire, "es")
    modules = questionnaire.modules_for(["hospital", "water"])
    answers = {
        q.id: q.options[len(q.options) // 2].value for q in questionnaire.questions_in(modules)
    }
    english_result = score_assessment(questionnaire, modules, answers)
    spanish_result = score_assessment(spanish, modules, answers)
    assert spanish_result.overall_score == english_result.overall_score
    assert spanish_result.overall_tier_id == english_result.overall_tier_id
    assert [g.question_id for g in spanish_result.gaps] == [
        g.question_id for g in english_result.gaps
    ]


def test_a_missing_spanish_text_is_refused_by_name(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "core.yaml", lambda d: d["questions"]["core.mfa_remote_email"].pop("why"))
    _edit(directory, "tools.yaml", lambda d: d["tools"]["cisa_vuln_scanning"].update(summary=" "))
    reasons = _reasons(directory)
    assert "es/core.yaml: questions/core.mfa_remote_email/why: has no translation" in reasons
    assert (
        "es/tools.yaml: tools/cisa_vuln_scanning/summary: is translated as an empty text" in reasons
    )


def test_a_missing_spanish_file_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    (directory / "es" / "water.yaml").unlink()
    (reason,) = _reasons(directory)
    assert reason.startswith("es/water.yaml: file is missing")
    assert "scripts/questionnaire_skeleton.py es" in reason


def test_a_text_for_no_english_one_and_a_changed_placeholder_are_refused(
    tmp_path: Path,
) -> None:
    directory = _copy(tmp_path)
    _edit(
        directory,
        "core.yaml",
        lambda d: d["questions"].update({"core.renamed_question": {"text": "¿Algo?"}}),
    )
    _edit(
        directory,
        "priorities.yaml",
        lambda d: d["tiers"]["advanced"].update(label="Avanzado %(score)s"),
    )
    reasons = _reasons(directory)
    assert any(
        r.startswith("es/core.yaml: questions/core.renamed_question/text: translates nothing")
        for r in reasons
    )
    assert any(
        r.startswith("es/priorities.yaml: tiers/advanced/label: has placeholders") for r in reasons
    )


def test_the_english_files_alone_still_load(tmp_path: Path) -> None:
    """A version with no Spanish folder (older, or a deployment's own questions) reads in
    English in either language."""
    directory = _copy(tmp_path)
    shutil.rmtree(directory / "es")
    questionnaire = load_directory(directory)
    assert in_language(questionnaire, "es") is questionnaire


def test_the_spanish_reads_at_grade_9_or_below() -> None:
    """Fernández-Huerta's reading ease (Flesch's, refitted for Spanish; textstat 0.7.4 with
    Pyphen's Spanish syllables): 60–70 reads at grades 8–9, 70–80 at grades 6–7. Each file,
    its texts read in a row, must read at 65 or easier (each is now 70–80)."""
    textstat.set_lang("es")
    try:
        for path in sorted(SPANISH.glob("*.yaml")):
            texts = flatten(yaml.safe_load(path.read_text(encoding="utf-8")))
            body = " ".join(t if re.search(r"[.?!:]$", t) else t + "." for t in texts.values())
            assert textstat.fernandez_huerta(body) >= 65, path.name
    finally:
        textstat.set_lang("en_US")


def test_the_skeleton_names_exactly_the_texts_the_loader_checks() -> None:
    for path in sorted(SPANISH.glob("*.yaml")):
        english = yaml.safe_load((Path(QUESTIONNAIRE_DIR) / path.name).read_text("utf-8"))
        spanish = flatten(yaml.safe_load(path.read_text(encoding="utf-8")))
        assert set(spanish) == set(source_texts(path.name, english)), path.name
