"""The PDF renderer on its own: what it fetches (nothing but our static files), bounded time."""

from __future__ import annotations

import logging
import time
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from portal.config import PROJECT_ROOT
from portal.reports.pdf import (
    STATIC_PREFIX,
    PdfCache,
    RenderTimeout,
    StaticOnlyFetcher,
    render_bounded,
    render_pdf,
)
from tests.reports.canary import Canary, hostile_strings

STATIC = PROJECT_ROOT / "static"


def test_fetcher_serves_only_static_files() -> None:
    fetcher = StaticOnlyFetcher(STATIC)
    css = fetcher.fetch(STATIC_PREFIX + "css/print.css")
    assert b"@page" in css.read()
    refused = [
        "file:///etc/passwd",
        "http://127.0.0.1:1/x",
        "https://example.org/static/css/print.css",
        STATIC_PREFIX + "../pyproject.toml",
        STATIC_PREFIX + "..%2f..%2fpyproject.toml",
        STATIC_PREFIX + "css/../../portal/config.py",
        STATIC_PREFIX + "js/wizard.js",  # not a type the PDFs use
        "data:text/css,body{}",
        "ftp://127.0.0.1/x",
    ]
    for url in refused:
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)


def test_raw_hostile_html_fetches_nothing_and_attaches_nothing(
    canary: Canary, caplog: pytest.LogCaptureFixture
) -> None:
    # Not escaped on purpose: even if a template ever let markup through, the fetcher holds.
    body = "".join(hostile_strings(canary.url))
    html = (
        f'<html lang="en"><head><title>Hostile</title>'
        f'<link rel="stylesheet" href="{canary.url}/style.css"></head><body>'
        f"<p>Text</p>{body}<object data='file:///etc/passwd'></object></body></html>"
    )
    with caplog.at_level(logging.WARNING):
        pdf = render_pdf(html, STATIC, f"@import url({canary.url}/sheet.css);")
    assert canary.requests == []
    reader = PdfReader(BytesIO(pdf))
    assert reader.attachments == {}
    assert "refused by the portal's PDF fetcher" in caplog.text
    assert "file:///etc/passwd" in caplog.text


def test_render_is_bounded_in_time(tmp_path: Path) -> None:
    # ~4,000 table rows take seconds; a 0.2 s limit must stop the child and say so.
    rows = "".join(f"<tr><td>{i}</td><td>{'word ' * 20}</td></tr>" for i in range(4000))
    html = (
        f'<html lang="en"><head><title>Big</title></head><body><table>{rows}</table></body></html>'
    )
    started = time.monotonic()
    with pytest.raises(RenderTimeout):
        render_bounded(html, STATIC, timeout=0.2)
    assert time.monotonic() - started < 5


def test_bounded_render_returns_the_same_document_as_in_process() -> None:
    html = '<html lang="en"><head><title>Small</title></head><body><p>Hello</p></body></html>'
    pdf = render_bounded(html, STATIC, timeout=30)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(BytesIO(pdf))
    assert reader.metadata is not None and reader.metadata.title == "Small"
    assert "Hello" in reader.pages[0].extract_text()


def test_cache_round_trip(tmp_path: Path) -> None:
    cache = PdfCache(tmp_path / "c")
    key = PdfCache.key("a", "b")
    assert key != PdfCache.key("ab")
    assert cache.get(key) is None
    cache.put(key, b"%PDF-1.7 test")
    assert cache.get(key) == b"%PDF-1.7 test"
    assert not list((tmp_path / "c").glob("*.part"))
