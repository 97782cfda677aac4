"""The Spanish catalog is whole (#35): every text marked in the code and the templates is in
it, translated, not fuzzy, with the same placeholders as the English — so a page cannot show an
English sentence because someone marked a new text and forgot the catalog."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
}
JINJA = {"newstyle_gettext": "true", "silent": "false"}  # as babel.cfg reads the templates
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
_TAG = re.compile(r"</?[a-z][^>]*>")


def _marked() -> set[str]:
    """What `make translations` would extract (babel.cfg), read afresh from the files."""
    found: set[str] = set()
    for folder, method in (("portal", "python"), ("templates", "jinja2")):
        method_map = (
            [("**.py", "python")]
            if method == "python"
            else [
                ("**.html", "jinja2"),
                ("**.txt", "jinja2"),
            ]
        )
        options = {"**.html": JINJA, "**.txt": JINJA}
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT / folder), method_map=method_map, options_map=options, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog() -> dict[str, object]:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    return {(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}


def test_every_marked_text_is_in_the_catalog() -> None:
    missing = sorted(_marked() - set(_catalog()))
    assert not missing, (
        f"{len(missing)} text(s) marked but not in {CATALOG.relative_to(ROOT)} "
        f"(run `make translations`): {missing[:10]}"
    )


def test_every_text_is_translated_and_none_is_fuzzy() -> None:
    untranslated, fuzzy = [], []
    for key, message in _catalog().items():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)  # type: ignore[attr-defined]
        if not all(s and s.strip() for s in strings):
            untranslated.append(key)
        if message.fuzzy:  # type: ignore[attr-defined]
            fuzzy.append(key)
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (check, then drop the flag): {fuzzy[:10]}"


def test_translations_keep_the_placeholders_and_the_markup() -> None:
    wrong = []
    for key, message in _catalog().items():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)  # type: ignore[attr-defined]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)  # type: ignore[attr-defined]
        wanted = set(_PLACEHOLDER.findall(ids[-1]))
        tags = sorted(re.sub(r"\s+", " ", t) for t in _TAG.findall(ids[0]))
        for index, text in enumerate(strings):
            found = set(_PLACEHOLDER.findall(text))
            # A plural's singular may say "one" in words ("La brecha crítica") instead of
            # %(num)s; the other forms, and every plain text, keep every placeholder.
            singular = len(ids) > 1 and index == 0
            if found - wanted or (not singular and found != wanted):
                wrong.append(f"placeholders: {key!r} -> {text!r}")
            if sorted(re.sub(r"\s+", " ", t) for t in _TAG.findall(text)) != tags:
                wrong.append(f"markup: {key!r} -> {text!r}")
    assert not wrong, "\n".join(wrong[:10])
