"""Where to send someone after they sign in: only ever a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_path(target: str | None) -> str | None:
    """Return ``target`` if it is a plain local path, otherwise None.

    Refuses absolute URLs, scheme-relative ``//host``, backslash tricks browsers normalise to
    ``//`` and anything with control characters.
    """
    if not target or len(target) > 2000:
        return None
    if any(ord(c) < 32 or c == "\\" for c in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
