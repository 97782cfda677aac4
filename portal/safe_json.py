"""The one way the portal reads JSON it did not write itself: autosave bodies, imported files,
page cursors, and any ``request.get_json()`` (see :class:`GuardedRequest`).

Python's parser has no limits of its own that a stranger cannot trip over: a body nested a few
thousand levels deep raises ``RecursionError``, an integer of more than 4,300 digits raises a
plain ``ValueError`` (not ``JSONDecodeError``), ``NaN`` and ``Infinity`` are accepted. Here size
and nesting are bounded *before* parsing (a linear scan, no recursion), numbers while parsing,
and every failure is one :class:`JsonRefused` with a sentence a person can read.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from flask import Request
from werkzeug.exceptions import BadRequest

from portal.questionnaire.words import _

# Every document the portal reads is shallow: an export nests 4 levels, a cursor 1, an autosave 1.
DEFAULT_MAX_DEPTH = 20
# Larger than any id, score or revision the portal issues; far below Python's 4,300-digit limit.
MAX_NUMBER_CHARS = 20

# The closing quote is optional: an unterminated string then runs to the end once, instead of
# being re-scanned from every quote inside it (quadratic: 3 s for a 32 KB body of escaped quotes).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class JsonRefused(ValueError):
    """The document cannot be read safely; ``str(error)`` is a message for the person."""


def parse(data: bytes | str, *, max_bytes: int, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse ``data`` as JSON within ``max_bytes`` and ``max_depth`` levels of nesting."""
    if isinstance(data, bytes):
        if len(data) > max_bytes:
            raise JsonRefused(_too_large(max_bytes))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise JsonRefused(_("This is not text in UTF-8, so it cannot be read.")) from None
    else:
        text = data
        if len(text) > max_bytes:  # characters ≤ bytes: a cheap first check
            raise JsonRefused(_too_large(max_bytes))
    if nesting_depth(text) > max_depth:
        raise JsonRefused(
            _(
                "This is nested more than %(depth)s levels deep; nothing the portal writes is. "
                "It cannot be read.",
                depth=max_depth,
            )
        )
    try:
        return json.loads(
            text,
            parse_int=_number(int),
            parse_float=_number(float),
            parse_constant=_no_constant,
        )
    except JsonRefused:
        raise
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise JsonRefused(_("This is not valid JSON, so it cannot be read.")) from None


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (brackets inside strings do not count).

    Never recurses; an unterminated string only makes the count larger, never smaller.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub('""', text))
    if not brackets:
        return 0
    return max(0, *accumulate(_STEP[b] for b in brackets))


def _number(kind: type[int] | type[float]) -> Any:
    def convert(literal: str) -> int | float:
        if len(literal) > MAX_NUMBER_CHARS:
            raise JsonRefused(_("A number in this is far too long to be real. It cannot be read."))
        value = kind(literal)
        if not math.isfinite(value):  # 1e999 parses as infinity
            raise JsonRefused(_("A number in this is too large to be real. It cannot be read."))
        return value

    return convert


def _no_constant(name: str) -> Any:
    raise JsonRefused(
        _("%(name)s is not a number the portal accepts. It cannot be read.", name=name)
    )


def _too_large(max_bytes: int) -> str:
    return _(
        "This is larger than %(bytes)s bytes, more than the portal accepts.",
        bytes=f"{max_bytes:,}",
    )


class GuardedRequest(Request):
    """Flask's request, with ``get_json`` (and ``request.json``) going through :func:`parse`.

    The portal's own JSON endpoints call :func:`parse` with their own, tighter bounds; this
    makes any other reader of a JSON body safe too.
    """

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if not (force or self.is_json):
            return None if silent else self.on_json_loading_failed(None)
        limit = self.max_content_length or 2 * 1024 * 1024
        try:
            return parse(self.get_data(cache=cache), max_bytes=limit)
        except JsonRefused as refusal:
            if silent:
                return None
            raise BadRequest(str(refusal)) from None
