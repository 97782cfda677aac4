"""Fixtures for the domain core: no app, no database — plain data in, plain data out."""

from __future__ import annotations

from typing import Any

import pytest

from portal.questionnaire import Questionnaire, load_directory
from portal.questionnaire.loader import read_documents
from tests.factories import QUESTIONNAIRE_DIR


@pytest.fixture(scope="session")
def questionnaire() -> Questionnaire:
    return load_directory(QUESTIONNAIRE_DIR)


@pytest.fixture
def documents() -> dict[str, Any]:
    """A fresh, mutable copy of the shipped files, for building broken variants."""
    # As the app reads them (dates stay text: the documents are stored as JSON).
    return read_documents(QUESTIONNAIRE_DIR)
