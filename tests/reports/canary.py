"""A loopback HTTP server that records every request it receives, and strings that would make
a careless PDF renderer fetch from it: the PDFs must never call it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Canary:
    """A loopback HTTP server that records every request it receives."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"body { color: red }")

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def hostile_strings(canary_url: str) -> list[str]:
    return [
        f'<img src="{canary_url}/img">',
        '<img src="file:///etc/passwd">',
        f'<link rel="attachment" href="{canary_url}/attach"><link rel="attachment" '
        'href="file:///etc/hostname">',
        f"<style>@import url({canary_url}/import.css); body {{ background: "
        f"url({canary_url}/bg.png) }}</style>",
        f"url({canary_url}/css-url)",
    ]
