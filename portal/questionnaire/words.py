"""Words the domain core writes: the hook its sentences, plurals, dates and counts go through.

The domain core imports no Flask, yet its sentences (a plan's headline, an owner's label) are
read in Spanish too (#35). It marks them with :func:`_` / :func:`ngettext` (which ``pybabel
extract`` collects, as from any other module) and the app installs the real translator at start
(:func:`install`, portal/i18n.py). Without one — the domain's own tests, a script — the English
comes back unchanged. :func:`N_` marks a text to translate later (a label in a table built at
import): translate it with :func:`_` where it is shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any


def _english(message: str) -> str:
    return message


def _english_plural(singular: str, plural_form: str, count: int) -> str:
    return singular if count == 1 else plural_form


def _english_day(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _english_long_day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


_translate: Callable[[str], str] = _english
_translate_plural: Callable[[str, str, int], str] = _english_plural
_format_day: Callable[[date], str] = _english_day
_format_long_day: Callable[[date], str] = _english_long_day
_format_number: Callable[[int], str] = "{:,}".format


def install(
    translate: Callable[[str], str],
    translate_plural: Callable[[str, str, int], str],
    format_day: Callable[[date], str] = _english_day,
    format_long_day: Callable[[date], str] = _english_long_day,
    format_number: Callable[[int], str] = "{:,}".format,
) -> None:
    """Route the domain's words through the app's catalogs (called once at app start)."""
    global _translate, _translate_plural, _format_day, _format_long_day, _format_number
    _translate, _translate_plural = translate, translate_plural
    _format_day, _format_long_day, _format_number = format_day, format_long_day, format_number


def day(value: date) -> str:
    """'Dec 2, 2026' ('2 dic 2026'): a day in the reader's language."""
    return _format_day(value)


def long_day(value: date) -> str:
    """'December 2, 2026' ('2 de diciembre de 2026')."""
    return _format_long_day(value)


def _(message: str, **values: Any) -> str:
    """``message`` in the reader's language, ``%(name)s`` filled from ``values``."""
    text = _translate(message)
    return text % values if values else text  # as Flask-Babel: no values, no formatting


def ngettext(singular: str, plural_form: str, count: int, **values: Any) -> str:
    """The singular or plural ``%(num)s`` sentence in the reader's language (Spanish has its
    own rules; never "(s)")."""
    text = _translate_plural(singular, plural_form, count)
    return text % {"num": _format_number(count), **values}


def N_(message: str) -> str:
    return message
