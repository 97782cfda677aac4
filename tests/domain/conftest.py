"""Fixtures for the domain core: no app, no database — plain data in, plain data out."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from portal.questionnaire import Questionnaire, load_directory
from portal.questionnaire.loader import MODULE_FILES, PRIORITIES_FILE, TOOLS_FILE
from tests.factories import QUESTIONNAIRE_DIR


@pytest.fixture(scope="session")
def questionnaire() -> Questionnaire:
    return load_directory(QUESTIONNAIRE_DIR)


@pytest.fixture
def documents() -> dict[str, Any]:
    """A fresh, mutable copy of the shipped files, for building broken variants."""
    return {
        name: yaml.safe_load((QUESTIONNAIRE_DIR / name).read_text(encoding="utf-8"))
        for name in (PRIORITIES_FILE, TOOLS_FILE, *MODULE_FILES)
    }
