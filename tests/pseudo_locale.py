"""A pseudo-locale (#35): every text of the catalog accented, wrapped in ⟦…⟧ and made 40 %
longer — a page that shows a text without the brackets shows a text nobody marked for
translation, and a layout that breaks when a translation runs long breaks here first.

It rides on Esperanto's code ("eo"), a language the portal does not offer, so that Babel's
dates and numbers work; the questionnaire gets the same treatment through its translations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask

from portal import questionnaire_versions
from portal.questionnaire.translation import source_texts

PSEUDO = "eo"
ROOT = Path(__file__).resolve().parent.parent
_KEEP = re.compile(r"(%\(\w+\)[sd]|%[sd]|%%|<[^>]+>|&\w+;|\{\{[^}]*\}\})")
_ACCENTS = str.maketrans("aeiouAEIOUcnyCNY", "áéíóúÁÉÍÓÚçñýÇÑÝ")


def pseudo(text: str) -> str:
    """'Save and continue' -> '⟦Sávé ánd cóntínúé ~~~~~ ~~~⟧': placeholders and markup kept."""
    if not text:
        return text
    parts = _KEEP.split(text)
    changed = "".join(p if _KEEP.fullmatch(p) else p.translate(_ACCENTS) for p in parts)
    extra = math.ceil(len(text) * 0.4)
    padding = " ".join("~" * min(5, extra - i) for i in range(0, extra, 5))
    return f"⟦{changed} {padding}⟧"


def pseudo_catalog(directory: Path) -> None:
    """``directory/eo/LC_MESSAGES/messages.mo``: the Spanish catalog's texts, pseudo-translated
    from their English (the Spanish file names every text the code marks)."""
    with (ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        spanish = read_po(handle, locale="es")
    catalog = Catalog(locale=PSEUDO)
    for message in spanish:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            string: Any = tuple(pseudo(message.id[min(i, 1)]) for i in range(catalog.num_plurals))
        else:
            string = pseudo(message.id)
        catalog.add(message.id, string)
    target = directory / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)


@contextmanager
def pseudo_locale(app: Flask, directory: Path) -> Iterator[None]:
    """The app offers the pseudo-locale (``?lang=eo``) while inside."""
    pseudo_catalog(directory)
    babel = app.extensions["babel"].instance
    domain = babel.domain_instance
    saved_languages = app.config["PORTAL_LANGUAGES"]
    with app.app_context():
        english = questionnaire_versions.current("en")
        documents = app.extensions["portal.questionnaire"][1]
    translations: Any = english.translations
    translations[PSEUDO] = {
        name: {key: pseudo(text) for key, text in source_texts(name, document).items()}
        for name, document in documents.items()
        if "/" not in name
    }
    domain._translation_directories = [
        *app.extensions["babel"].translation_directories,
        str(directory),
    ]
    domain.cache.clear()
    app.config["PORTAL_LANGUAGES"] = (*saved_languages, PSEUDO)
    try:
        yield
    finally:
        app.config["PORTAL_LANGUAGES"] = saved_languages
        domain._translation_directories = None
        domain.cache.clear()
        del translations[PSEUDO]
        english._languages.pop(PSEUDO, None)
