"""The production nginx site (deploy/nginx/readiness-portal.conf) as written, run on this
machine in front of a portal on loopback: TLS with a throwaway certificate, its own host name,
static files from a build. Used by tests/test_deploy_files.py and bench/lighthouse/run.py."""

from __future__ import annotations

import contextlib
import getpass
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

SITE = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "readiness-portal.conf"
HOST = "readiness.state.example.gov"


def self_signed(folder: Path, name: str = HOST) -> tuple[Path, Path]:
    """A certificate and key for ``name``, good for a day."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [shutil.which("openssl") or "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", str(key), "-out", str(certificate), "-days", "1", "-subj", f"/CN={name}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


def site_text(certificate: Path, key: Path) -> str:
    live = f"/etc/letsencrypt/live/{HOST}/"
    return (
        SITE.read_text(encoding="utf-8")
        .replace(live + "fullchain.pem", str(certificate))
        .replace(live + "privkey.pem", str(key))
    )


@contextlib.contextmanager
def running_site(
    folder: Path, port: int, plain_port: int, upstream: int, static_build: Path
) -> Iterator[None]:
    """nginx serving the site on ``port`` (TLS) and ``plain_port``, in front of ``upstream``,
    with Debian's ``gzip on`` in its http block (the site must turn it off for pages)."""
    site = (
        site_text(*self_signed(folder))
        .replace("listen 443", f"listen {port}")
        .replace("listen 80", f"listen {plain_port}")
        .replace("127.0.0.1:8000", f"127.0.0.1:{upstream}")
        .replace("/var/lib/readiness-portal/static-build/", f"{static_build}/")
    )
    # IPv4 only: the ports were chosen there, and a machine may have no IPv6.
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    (folder / "site.conf").write_text(site)
    temp = "".join(
        f"{kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (folder / "nginx.conf").write_text(
        # (user: its workers read files under a private temporary folder)
        f"daemon off; user {getpass.getuser()}; pid {folder}/nginx.pid; "
        f"error_log {folder}/error.log;\n"
        f"events {{}}\nhttp {{ include /etc/nginx/mime.types; access_log off; {temp}\n"
        f"gzip on;  # as Debian's nginx.conf has it\n include {folder}/site.conf; }}\n"
    )
    nginx = subprocess.Popen(
        [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(folder / "nginx.conf")],
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"nginx did not start; see {folder}/error.log")
        yield
    finally:
        nginx.terminate()
        nginx.wait(10)
