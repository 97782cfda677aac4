"""Where the portal's own files are: beside the package in a checkout (or an editable install),
in ``portal/_files`` in an installed wheel (pyproject.toml maps the top-level folders there).
Plain Python, so the domain core finds its data files as the application finds its templates."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # portal/
_CHECKOUT = _PACKAGE.parent

FROM_CHECKOUT = (_CHECKOUT / "questionnaires").is_dir() and (_CHECKOUT / "portal").is_dir()
ROOT = _CHECKOUT if FROM_CHECKOUT else _PACKAGE / "_files"
