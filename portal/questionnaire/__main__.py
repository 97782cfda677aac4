"""Validate a questionnaire folder without the web app: ``python -m portal.questionnaire DIR``."""

from __future__ import annotations

import sys

from portal.questionnaire.loader import QuestionnaireInvalid, load_directory


def main(argv: list[str]) -> int:
    directory = argv[1] if len(argv) > 1 else "questionnaires"
    try:
        questionnaire = load_directory(directory)
    except QuestionnaireInvalid as invalid:
        print(f"{len(invalid.problems)} problem(s) in {directory}:", file=sys.stderr)
        for problem in invalid.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    count = sum(1 for m in questionnaire.modules for q in m.questions() if q.scored)
    print(
        f"OK: version {questionnaire.version}, {len(questionnaire.modules)} modules, "
        f"{count} scored questions, {len(questionnaire.tools)} tools"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
