"""A render child leaves nothing behind: no temporary folders (WeasyPrint's font files), no
listening socket held after its server died, no process outliving its parent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from portal.reports.pdf import RenderTimeout, render_bounded

# A document with a web font: WeasyPrint writes the font into a temporary folder (the case that
# leaked a 156 KB folder per render).
HTML = """<!doctype html><html><head><style>
@font-face { font-family: T; src: url(uswds/fonts/source-sans-pro/FONT); }
body { font-family: T; }
</style></head><body><h1>Plan</h1><p>Close remote desktop to the internet.</p></body></html>"""


def _static(project_root: Path) -> Path:
    return project_root / "static"


def test_renders_leave_no_temporary_folders(
    project_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    font = _static(project_root) / "uswds/fonts/source-sans-pro/sourcesanspro-regular-webfont.woff2"
    assert font.is_file()
    html = HTML.replace("FONT", font.name)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for _ in range(3):
        assert render_bounded(html, _static(project_root), timeout=30).startswith(b"%PDF")
    assert list(tmp_path.iterdir()) == []
    # A render stopped for taking too long cleans up too.
    with pytest.raises(RenderTimeout):
        render_bounded(html, _static(project_root), timeout=0.001)
    assert list(tmp_path.iterdir()) == []


CHILD_SCRIPT = textwrap.dedent(
    """
    import os, socket, sys, time
    from pathlib import Path
    from portal.reports import pdf

    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    print(server.getsockname()[1], flush=True)

    def stuck(*args, **kwargs):  # a render that never ends, in the child
        print(os.getpid(), flush=True)
        time.sleep(120)

    pdf.render_pdf = stuck
    pdf.render_bounded("<p>x</p>", Path("."), timeout=120)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by init) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_a_server_killed_mid_render_leaves_nothing_holding_its_port(project_root: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", CHILD_SCRIPT],
        cwd=project_root,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        child = int(server.stdout.readline())  # the render child is running
        assert child != server.pid and _alive(child)
        os.kill(server.pid, signal.SIGKILL)  # the server dies mid-render
        server.wait(10)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the render child outlived its server"
        # A new server starts on the same port (as gunicorn would: SO_REUSEADDR).
        with socket.socket() as again:
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", port))
            again.listen()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(10)
        if server.stdout is not None:
            server.stdout.close()


def test_the_render_child_does_not_hold_the_servers_listening_socket(
    project_root: Path,
) -> None:
    """Even while it runs: a stuck child cannot keep the port from a restarted server."""
    script = CHILD_SCRIPT.replace(
        "time.sleep(120)",
        "print(len([1 for fd in os.listdir('/proc/self/fd')]), flush=True); time.sleep(120)",
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script], cwd=project_root, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        child = int(server.stdout.readline())
        server.stdout.readline()
        listening = _listening_inodes(port)
        held = {os.readlink(f"/proc/{child}/fd/{fd}") for fd in os.listdir(f"/proc/{child}/fd")}
        assert not {f"socket:[{inode}]" for inode in listening} & held
    finally:
        server.kill()
        server.wait(10)
        if server.stdout is not None:
            server.stdout.close()


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "0A" and int(local.split(":")[1], 16) == port:  # 0A: LISTEN
            inodes.add(inode)
    return inodes
