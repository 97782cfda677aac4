from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reports.canary import Canary


@pytest.fixture
def canary() -> Iterator[Canary]:
    server = Canary()
    yield server
    server.close()
