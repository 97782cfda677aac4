"""Static files fit for production: content-hashed names, precompressed (gzip and Brotli) and
served with far-future cache headers by WhiteNoise, behind any proxy or none.

``flask static build`` copies ``static/`` into ``STATIC_BUILD_DIR`` (default: the instance
folder's ``static-build``): each file under its own name and under a name carrying a hash of its
content (``css/portal.3f2a1b9c0d4e.css``), with ``.gz`` and ``.br`` beside every file worth
compressing, and a manifest. When the manifest is there, WhiteNoise serves that folder at
``/static/`` — hashed names cached for a year as immutable, the plain names (which USWDS's CSS
uses for its fonts and images) for an hour — and ``url_for('static', …)`` hands out the hashed
names. Without a build (``make run``, the tests) Flask serves ``static/`` as before.

WhiteNoise was chosen over hand-written serving: it picks the smallest encoding the browser
accepts, answers conditional and range requests, and sends the headers right.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
HASH_LENGTH = 12
IMMUTABLE_SECONDS = 365 * 24 * 3600
PLAIN_NAME_SECONDS = 3600


def build_dir(app: Flask) -> Path:
    configured = app.config.get("STATIC_BUILD_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "static-build"


def hashed_name(relative: str, data: bytes) -> str:
    path = Path(relative)
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def build(source: Path, target: Path) -> dict[str, str]:
    """Copy ``source`` into a fresh ``target`` with hashed copies, compressed variants and the
    manifest; return the manifest ({plain name: hashed name})."""
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    manifest: dict[str, str] = {}
    for file in sorted(p for p in source.rglob("*") if p.is_file()):
        relative = file.relative_to(source).as_posix()
        data = file.read_bytes()
        hashed = hashed_name(relative, data)
        manifest[relative] = hashed
        for name in (relative, hashed):
            destination = staging / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(data)
    compressor = Compressor(quiet=True)
    for file in sorted(p for p in staging.rglob("*") if p.is_file()):
        if compressor.should_compress(str(file)):
            for _ in compressor.compress(str(file)):
                pass
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
    # Swap in whole, so a running server never sees half a build.
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return manifest


def init_app(app: Flask, security_headers: dict[str, str]) -> None:
    folder = build_dir(app)
    manifest_file = folder / MANIFEST
    if not manifest_file.is_file():
        if app.config.get("PORTAL_ENV") == "production":
            log.warning(
                "no static build in %s: static files go uncompressed and uncached; run "
                "'flask static build' at each deployment",
                folder,
            )
        return
    manifest: dict[str, str] = json.loads(manifest_file.read_text("utf-8"))
    hashed_urls = {f"/static/{name}" for name in manifest.values()}
    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=str(folder),
        prefix="static/",
        max_age=PLAIN_NAME_SECONDS,
        immutable_file_test=lambda path, url: url in hashed_urls,
        add_headers_function=lambda headers, path, url: [
            headers.setdefault(name, value) for name, value in security_headers.items()
        ],
    )
    app.extensions["portal.static_manifest"] = manifest

    @app.url_defaults
    def hashed_static_names(endpoint: str, values: dict[str, str]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.get(values["filename"], values["filename"])
