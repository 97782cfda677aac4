"""Words the portal writes about numbers: one place for plurals, used by the domain core and by
the templates alike (portal/templating.py)."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 question', '3 questions', '1,200 entries' ('2 analyses' with plural_form)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"
