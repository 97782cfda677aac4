"""Write the skeleton of a questionnaire translation: every text to translate, in English.

    .venv/bin/python scripts/questionnaire_skeleton.py es

writes ``questionnaires/es/<file>`` for each questionnaire file that has none yet, and for one
that has, lists the keys it lacks or has in excess (the English changed since). The translator
replaces each English text with its translation; the loader refuses the version until every
text is there (portal/questionnaire/translation.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from portal.questionnaire import loader
from portal.questionnaire.translation import flatten, nest, problems_with, source_texts

ROOT = Path(__file__).resolve().parent.parent / "questionnaires"


def main(language: str) -> int:
    target = ROOT / language
    target.mkdir(exist_ok=True)
    for name in (loader.PRIORITIES_FILE, loader.TOOLS_FILE, *loader.MODULE_FILES):
        english = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
        source = source_texts(name, english)
        path = target / name
        if path.exists():
            translated = flatten(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
            for key, reason in problems_with(source, translated):
                print(f"{path.relative_to(ROOT.parent)}: {key}: {reason}")
            continue
        header = (
            f"# {language} texts for questionnaires/{name}, keyed by id: only words live here.\n"
            "# Ids, points and links are in the English file. Follow translations/glossary.md.\n"
        )
        body = yaml.safe_dump(nest(source), allow_unicode=True, sort_keys=False, width=98)
        path.write_text(header + body, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT.parent)} ({len(source)} texts)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "es"))
