"""Fetching the catalog from a URL: https only, no redirect to http, a timeout, a size cap —
against a real https server on loopback with a throwaway certificate authority (trustme)."""

from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import trustme

from portal.exposure import catalog
from portal.kev.catalog import CatalogRefused, parse_catalog
from tests.kev.catalogs import raw, small


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        if self.path == "/catalog.json":
            self._send(200, self.body)
        elif self.path == "/to-http":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/catalog.json")
            self.end_headers()
        elif self.path == "/to-https":
            self.send_response(301)
            self.send_header("Location", "/catalog.json")
            self.end_headers()
        elif self.path == "/huge":
            self.send_response(200)
            self.send_header("Content-Length", str(50 * 1024 * 1024))
            self.end_headers()
            self.wfile.write(b"{" * 1024)
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, self.body)
        elif self.path == "/trickle":  # a byte every 0.3 s: each read is quick, the whole is not
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            for byte in self.body[:20]:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.3)
        elif self.path == "/cut-short":
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.body)))
            self.end_headers()
            self.wfile.write(self.body[:100])
        else:
            self._send(404, b"not here")

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _TlsServer(http.server.ThreadingHTTPServer):
    """TLS per connection: a client that refuses the certificate leaves no socket open."""

    context: ssl.SSLContext

    def get_request(self) -> tuple[Any, Any]:
        connection, address = self.socket.accept()
        try:
            return self.context.wrap_socket(connection, server_side=True), address
        except (ssl.SSLError, OSError):
            connection.close()
            raise

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a refused handshake is what the test wants


@pytest.fixture(scope="module")
def https_server() -> Iterator[tuple[str, ssl.SSLContext]]:
    authority = trustme.CA()
    server = _TlsServer(("127.0.0.1", 0), _Handler)
    _Handler.body = raw(small())
    server.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server.context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    yield f"https://127.0.0.1:{server.server_address[1]}", client_context
    server.shutdown()
    server.server_close()


def test_an_https_catalog_is_fetched(https_server: tuple[str, ssl.SSLContext]) -> None:
    base, context = https_server
    data = catalog.fetch(f"{base}/catalog.json", context=context)
    assert parse_catalog(data).entries
    # A redirect that stays on https is followed.
    assert catalog.fetch(f"{base}/to-https", context=context) == data


@pytest.mark.parametrize(
    ("path", "timeout", "reason"),
    [
        ("/to-http", 5.0, "which is not https"),
        ("/huge", 5.0, "over 20 MB"),
        ("/slow", 0.5, "did not answer within 0.5 seconds"),
        ("/trickle", 1.0, "did not answer within 1 seconds"),
        ("/cut-short", 5.0, "The download was cut short"),
        ("/missing", 5.0, "answered 404"),
    ],
)
def test_a_bad_address_is_refused_with_the_reason(
    https_server: tuple[str, ssl.SSLContext], path: str, timeout: float, reason: str
) -> None:
    base, context = https_server
    started = time.monotonic()
    with pytest.raises(CatalogRefused) as refused:
        catalog.fetch(base + path, timeout=timeout, context=context)
    assert reason in refused.value.reasons[0]
    # Refused in about the time allowed: the deadline holds between bytes too (a trickle of a
    # byte every 0.3 s once took until the server stopped, 6 s for a 1-second limit).
    assert time.monotonic() - started < timeout + 2


def test_an_untrusted_certificate_is_refused(https_server: tuple[str, ssl.SSLContext]) -> None:
    base, _ = https_server
    with pytest.raises(CatalogRefused) as refused:
        catalog.fetch(f"{base}/catalog.json", timeout=5)  # the system's CAs do not know ours
    assert "could not be reached" in refused.value.reasons[0]


def test_plain_http_is_refused_before_any_connection(runner: Any) -> None:
    result = runner.invoke(args=["kev", "import", "http://127.0.0.1:9/kev.json"])
    assert result.exit_code != 0 and "Only https addresses are fetched" in result.output
