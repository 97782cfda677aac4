"""HTML → PDF with WeasyPrint, safe by construction, bounded in time, cached by content.

* :class:`StaticOnlyFetcher` is the only way WeasyPrint may load anything: it serves files from
  the app's ``static/`` folder under a fixed fake origin and refuses everything else — other
  hosts, ``file://``, ``data:``, redirects (none are followed), ``..`` escapes. It is passed to
  every ``HTML`` and ``CSS`` object; stylesheets are never given to ``write_pdf`` as URLs
  (CVE-2026-55073).
* :func:`render_bounded` renders in a forked child process and kills it after ``timeout``
  seconds, so a pathological document cannot hang a web worker. Forking inherits the already
  imported WeasyPrint, so the bound costs milliseconds, not an interpreter start. The child
  first freezes the garbage collector's view of what it inherited: otherwise its collections
  walk the web worker's whole heap and copy every page they touch (a render took ~30 % longer;
  measured in bench/RESULTS.md).
* The child leaves nothing behind and nothing holding on: WeasyPrint writes the fonts of a
  document into a temporary folder it removes only when the process ends normally — a forked
  child never does — so each render gets a folder of its own that the parent removes, whatever
  became of the child. The child closes the listening sockets it inherited from the server
  (a stuck child must not keep the port when the server is restarted) and is killed by the
  kernel if its parent dies (PR_SET_PDEATHSIG), so it never outlives the server.
* :class:`PdfCache` keeps rendered files by a content hash, shared by every worker on the host.

No Flask here: callers pass the HTML and the static folder.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import hashlib
import logging
import mimetypes
import multiprocessing
import os
import shutil
import signal
import socket
import stat
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from portal.ops.instruments import PDF_RENDER_SECONDS

log = logging.getLogger(__name__)

# A host that can never resolve (RFC 2606): links to it only ever reach our fetcher.
ASSET_ORIGIN = "https://portal-assets.invalid"
STATIC_PREFIX = f"{ASSET_ORIGIN}/static/"
SERVED_SUFFIXES = {".css", ".woff2", ".woff", ".ttf", ".otf", ".svg", ".png", ".jpg"}


class RenderTimeout(Exception):
    """The document took longer than allowed; the child rendering it was stopped."""


class RenderFailed(Exception):
    """WeasyPrint could not render the document."""


class StaticOnlyFetcher(URLFetcher):
    """Serve the app's own static files; refuse every other URL."""

    def __init__(self, static_root: Path) -> None:
        super().__init__(
            timeout=2, allowed_protocols={"https"}, allow_redirects=False, fail_on_errors=False
        )
        self.static_root = static_root.resolve()

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        if not url.startswith(STATIC_PREFIX):
            log.warning("PDF fetcher refused %r", url[:200])
            raise ValueError(f"refused by the portal's PDF fetcher: {url[:200]}")
        relative = unquote(urlsplit(url).path)[len("/static/") :]
        path = (self.static_root / relative).resolve()
        if (
            not path.is_relative_to(self.static_root)
            or not path.is_file()
            or path.suffix.lower() not in SERVED_SUFFIXES
        ):
            log.warning("PDF fetcher refused %r", url[:200])
            raise ValueError(f"refused by the portal's PDF fetcher: {url[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def render_pdf(html: str, static_root: Path, stylesheet: str | None = None) -> bytes:
    """Render in this process (the child of :func:`render_bounded`, or a benchmark)."""
    fetcher = StaticOnlyFetcher(static_root)
    fonts = FontConfiguration()
    stylesheets = []
    if stylesheet is not None:
        stylesheets.append(
            CSS(string=stylesheet, base_url=STATIC_PREFIX, url_fetcher=fetcher, font_config=fonts)
        )
    document = HTML(string=html, base_url=STATIC_PREFIX, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(
        stylesheets=stylesheets,
        font_config=fonts,
        pdf_variant="pdf/ua-1",
        attachments=[],
        presentational_hints=False,
    )
    return pdf


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent() -> None:
    """Ask the kernel to kill this process when the thread that forked it ends (Linux only;
    elsewhere the render's own time limit is the bound)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return


def _close_listening_sockets(keep: int) -> None:
    """Close every inherited socket that listens (a server's port), leaving ``keep`` (the pipe
    to the parent) and every other descriptor alone."""
    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return
    for fd in descriptors:
        if fd == keep or fd <= 2:
            continue
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            probe = socket.socket(fileno=os.dup(fd))
            try:
                listening = probe.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            finally:
                probe.close()
            if listening:
                os.close(fd)
        except OSError:
            continue


def _child(
    conn: Connection,
    html: str,
    static_root: str,
    stylesheet: str | None,
    folder: str,
    parent: int,
) -> None:
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    _close_listening_sockets(keep=conn.fileno())
    # WeasyPrint's font files go to this render's own folder (the parent removes it).
    tempfile.tempdir = folder
    # The parent's objects are never freed in this short-lived child; without this, each
    # collection of the oldest generation walks them all (and copies-on-write their pages).
    gc.freeze()
    try:
        conn.send(("ok", render_pdf(html, Path(static_root), stylesheet)))
    except BaseException as error:  # report anything to the parent; the child exits next
        conn.send(("error", f"{type(error).__name__}: {error}"[:500]))
    finally:
        conn.close()


def render_bounded(
    html: str, static_root: Path, stylesheet: str | None = None, *, timeout: float = 30.0
) -> bytes:
    """Render in a forked child; stop it and raise :class:`RenderTimeout` after ``timeout``."""
    with PDF_RENDER_SECONDS.time():
        return _render_in_child(html, static_root, stylesheet, timeout)


def _render_in_child(html: str, static_root: Path, stylesheet: str | None, timeout: float) -> bytes:
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    folder = tempfile.mkdtemp(prefix=FOLDER_PREFIX)
    child = context.Process(
        target=_child,
        args=(send, html, str(static_root), stylesheet, folder, os.getpid()),
        daemon=True,
    )
    try:
        child.start()
    except BaseException:
        receive.close()
        send.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    send.close()
    try:
        if not receive.poll(timeout):
            raise RenderTimeout(f"rendering took longer than {timeout:g} s")
        status, payload = receive.recv()
    except EOFError:
        raise RenderFailed("the renderer stopped without an answer") from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(5)
        shutil.rmtree(folder, ignore_errors=True)
    if status != "ok":
        raise RenderFailed(str(payload))
    assert isinstance(payload, bytes)
    return payload


FOLDER_PREFIX = "portal-pdf-"


def sweep_stale_folders(older_than: float = 3600.0) -> int:
    """Remove render folders left by a server killed mid-render (its parent is what removes
    them); returns how many. Called when the app starts."""
    removed = 0
    now = time.time()
    for path in Path(tempfile.gettempdir()).glob(FOLDER_PREFIX + "*"):
        try:
            if now - path.stat().st_mtime > older_than:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def render_job(html: str, static_root: str, stylesheet: str | None, timeout: float) -> bytes:
    """The RQ job: render (still bounded) and return the bytes, which RQ keeps in Redis.

    The web process that next asks for the PDF stores them in its own cache, so workers need
    no shared disk with the web servers.
    """
    return render_bounded(html, Path(static_root), stylesheet, timeout=timeout)


class PdfCache:
    """Rendered PDFs on disk by content hash; atomic writes, safe across worker processes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def key(*parts: str) -> str:
        digest = hashlib.sha256()
        for part in parts:
            digest.update(part.encode())
            digest.update(b"\x00")
        return digest.hexdigest()

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.pdf"

    def get(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: str, data: bytes) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".part")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, self.path(key))

    # A marker beside the PDF while a pre-render makes it (portal/reports/prerender.py), so a
    # download reaching any worker process of this host shows "preparing" instead of rendering
    # it a second time. A marker older than the render's time limit is a render that died.
    def mark_rendering(self, key: str) -> bool:
        """Claim the render of ``key``; False when another process holds a live claim."""
        marker = self.directory / f"{key}.rendering"
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            return False
        return True

    def rendering(self, key: str, within: float) -> bool:
        marker = self.directory / f"{key}.rendering"
        try:
            return time.time() - marker.stat().st_mtime < within
        except FileNotFoundError:
            return False

    def unmark_rendering(self, key: str) -> None:
        (self.directory / f"{key}.rendering").unlink(missing_ok=True)
