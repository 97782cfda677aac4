"""Text as a file format can carry it. Notes and names are typed by people and pasted from
anywhere: a control character or a lone surrogate is legal in the database and in JSON but not in
XML, which Word and Excel files are made of (python-docx and openpyxl refuse such a string, and a
whole download would fail for one stray character). They are dropped; everything else — right-to-
left text, emoji, text that looks like a formula — is kept as the person typed it."""

from __future__ import annotations

import re

# What XML 1.0 allows (its "Char" production) less the invisible controls DEL and C1; tab, line
# feed and carriage return stay.
_NOT_XML = re.compile("[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold, nor the invisible controls."""
    return _NOT_XML.sub("", text)
