"""Fill a language's catalog from tables of translations (YAML: English -> translation).

    .venv/bin/python scripts/fill_catalog.py es translations/work/*.yaml

A plural's value is a list [singular, plural]; for a language with more plural forms than two
(Spanish's CLDR rule has a third, for millions) the plural fills the rest. A text already
translated in the catalog is replaced, and its ``fuzzy`` flag dropped. Prints texts of the
tables the catalog does not have (not marked in the code: a stale table or a typo).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def main(language: str, tables: list[str]) -> int:
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    unknown = 0
    for table_path in tables:
        table = yaml.safe_load(Path(table_path).read_text(encoding="utf-8")) or {}
        for english, translated in table.items():
            message = catalog.get(english)
            if message is None:
                print(f"{table_path}: not in the catalog: {english!r}")
                unknown += 1
                continue
            if isinstance(message.id, tuple):
                forms = translated if isinstance(translated, list) else [translated]
                forms = forms + [forms[-1]] * (catalog.num_plurals - len(forms))
                message.string = tuple(forms[: catalog.num_plurals])
            else:
                message.string = translated[0] if isinstance(translated, list) else translated
            message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, width=0, include_previous=False)
    print(f"{path.relative_to(ROOT)}: filled from {len(tables)} table(s); {unknown} unknown")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
