"""Static files fit for production: content-hashed names, precompressed (gzip and Brotli) and
served with far-future cache headers by WhiteNoise, behind any proxy or none.

``flask static build`` copies ``static/`` into a new folder under ``STATIC_BUILD_DIR`` (default:
the instance folder's ``static-build``): each file under its own name and under a name carrying
a hash of its content (``css/portal.3f2a1b9c0d4e.css``), with ``.gz`` and ``.br`` beside every
file worth compressing. The previous build's hashed files are carried over, so pages an older
server is still handing out keep working; ``current`` (a symlink, swapped atomically) names the
newest build, and each build's manifest sits beside its folder (not served). A server started
after a build serves it: WhiteNoise at ``/static/`` — hashed names cached as immutable, the plain
names for an hour — and ``url_for('static', …)`` hands out the hashed names. Style sheets are
rewritten so that their url()s name the hashed fonts and images too. A server keeps the build
it started with until it restarts.

Used in production, or wherever ``STATIC_BUILD_DIR`` is set; ``make run`` and the tests serve
``static/`` through Flask as before (a build left in a development instance folder is ignored).

WhiteNoise was chosen over hand-written serving: it picks the smallest encoding the browser
accepts, answers conditional and range requests, and sends the headers right.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import posixpath
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

log = logging.getLogger(__name__)

CURRENT = "current"
HASH_LENGTH = 12
PLAIN_NAME_SECONDS = 3600
KEEP_BUILDS = 3


def build_dir(app: Flask) -> Path:
    configured = app.config.get("STATIC_BUILD_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "static-build"


def hashed_name(relative: str, data: bytes) -> str:
    path = Path(relative)
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def build(source: Path, target: Path) -> dict[str, str]:
    """A new build of ``source`` under ``target``, made current; returns its manifest
    ({plain name: hashed name}). Two builds at once wait for each other."""
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        staging = Path(tempfile.mkdtemp(prefix="build-", dir=target))
        staging.chmod(0o755)  # mkdtemp makes it private; a proxy serving it must read it
        previous = _current(target)
        if previous is not None:  # hashed names never change content: carry them over
            previous_manifest = json.loads(_manifest_file(previous).read_text("utf-8"))
            for hashed in previous_manifest.values():
                for name in (hashed, hashed + ".gz", hashed + ".br"):
                    if (previous / name).is_file():
                        (staging / name).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(previous / name, staging / name)
        manifest: dict[str, str] = {}
        files = sorted(p for p in source.rglob("*") if p.is_file())
        # Style sheets last: their url()s name the hashed fonts and images (#34: under their
        # plain names those were cached for an hour, and fetched again on every visit after).
        for file in [f for f in files if f.suffix != ".css"] + [
            f for f in files if f.suffix == ".css"
        ]:
            relative = file.relative_to(source).as_posix()
            data = file.read_bytes()
            if file.suffix == ".css":
                data = hashed_urls(data.decode("utf-8"), relative, manifest).encode("utf-8")
            manifest[relative] = hashed_name(relative, data)
            for name in (relative, manifest[relative]):
                destination = staging / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(data)
        compressor = Compressor(quiet=True)
        for file in sorted(p for p in staging.rglob("*") if p.is_file()):
            if compressor.should_compress(str(file)) and not Path(f"{file}.gz").exists():
                for _ in compressor.compress(str(file)):
                    pass
        _manifest_file(staging).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        link = target / f".{CURRENT}-{staging.name}"
        os.symlink(staging.name, link)
        os.replace(link, target / CURRENT)  # atomic: a reader sees the old build or the new
        _prune(target, keep=staging)
    return manifest


_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


def hashed_urls(css: str, css_path: str, manifest: Mapping[str, str]) -> str:
    """``css`` (the file at ``css_path`` under static/) with each url() of a file already in
    ``manifest`` pointing at its hashed name, still relative; other urls (data:, absolute, a
    file the build does not have) as they were."""

    def swap(match: re.Match[str]) -> str:
        quote, target = match.group(1), match.group(2)
        if ":" in target or target.startswith(("/", "#")):
            return match.group(0)
        path, _, rest = target.partition("?")
        path, hash_mark, fragment = path.partition("#")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(css_path), path))
        hashed = manifest.get(resolved)
        if hashed is None:
            return match.group(0)
        new = posixpath.join(posixpath.dirname(path), posixpath.basename(hashed))
        tail = (f"#{fragment}" if hash_mark else "") + (f"?{rest}" if rest else "")
        return f"url({quote}{new}{tail}{quote})"

    return _CSS_URL.sub(swap, css)


def _manifest_file(build_folder: Path) -> Path:
    return build_folder.with_name(build_folder.name + ".json")


def _current(target: Path) -> Path | None:
    link = target / CURRENT
    if not link.is_symlink():
        return None
    folder = link.resolve()
    return folder if _manifest_file(folder).is_file() else None


def _prune(target: Path, keep: Path) -> None:
    """Keep the newest builds (servers not yet restarted may still be serving them)."""
    builds = sorted(
        (p for p in target.glob("build-*") if p.is_dir()), key=lambda p: p.stat().st_mtime
    )
    for old in builds[:-KEEP_BUILDS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
            _manifest_file(old).unlink(missing_ok=True)


def init_app(app: Flask, security_headers: Mapping[str, str]) -> None:
    use = app.config.get("PORTAL_ENV") == "production" or app.config.get("STATIC_BUILD_DIR")
    if not use:
        return
    folder = _current(build_dir(app))
    if folder is None:
        # Said when the portal serves its first request, not when any command starts: `flask
        # static build` itself would otherwise begin by asking for itself.
        warned: list[bool] = []

        @app.before_request
        def no_static_build() -> None:
            if not warned:
                warned.append(True)
                log.warning(
                    "no static build in %s: static files go uncompressed and uncached; run "
                    "'flask static build' at each deployment",
                    build_dir(app),
                )

        return
    manifest: dict[str, str] = json.loads(_manifest_file(folder).read_text("utf-8"))
    hashed_urls = {f"/static/{name}" for name in manifest.values()}

    def add_headers(headers: Any, path: str, url: str) -> None:
        for name, value in security_headers.items():
            headers.setdefault(name, value)

    # The folder itself, not the symlink: this server keeps serving the build it started with.
    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=str(folder),
        prefix="static/",
        max_age=PLAIN_NAME_SECONDS,
        immutable_file_test=lambda path, url: url in hashed_urls,
        add_headers_function=add_headers,
    )
    app.extensions["portal.static_manifest"] = manifest

    @app.url_defaults
    def hashed_static_names(endpoint: str, values: dict[str, str]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.get(values["filename"], values["filename"])
