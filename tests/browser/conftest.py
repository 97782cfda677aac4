"""Real-browser tests: Debian's Chromium driven by Playwright against the app served on loopback.

Chromium comes from Debian (``/usr/bin/chromium``; `.ci/run` installs the package when it is
missing) — Playwright's own browser download is not used. Screenshots of the key pages are kept
in ``BROWSER_ARTIFACTS`` (default ``tests/artifacts/browser``) for people to look at.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get("BROWSER_ARTIFACTS", Path(__file__).parent.parent / "artifacts" / "browser")
)


def _whole_responses(app: Flask) -> Any:
    """The app with each response read whole and closed before it is sent. Werkzeug's server
    skips closing a response when the browser drops the connection mid-way (its cleanup reads
    the closed socket first and raises): a static file left open then surfaces as a
    ResourceWarning in whichever test runs next (it failed an unrelated CI run once)."""

    def serve(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    return serve


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, _whole_responses(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (CI does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def shots() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def serious_violations(page: Any) -> list[str]:
    """axe-core (bundled by axe-playwright-python) on the page: moderate, serious and critical
    findings (minor ones are advice, such as a heading order that a page's design chose)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("moderate", "serious", "critical")
    ]


# Chromium drops a connection now and then while the development server is still sending a
# static file (a font it has cached meanwhile); werkzeug then leaves the file to the garbage
# collector. That is the test server's, not the portal's (production serves static files through
# the proxy), so for these tests only that warning is not an error.
STATIC_FILE_LEFT_OPEN = (
    r"ignore:Exception ignored in. <_io\.(FileIO|BufferedReader) name='[^']*/static/"
    ":pytest.PytestUnraisableExceptionWarning"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.filterwarnings(STATIC_FILE_LEFT_OPEN))
