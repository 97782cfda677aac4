"""Static files under the production setup: `flask static build` → hashed names in the pages and
in the style sheets' url()s, Brotli or gzip by what the browser accepts, a year's immutable
caching for hashed names, an hour for plain ones, the portal's security headers on every file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import Result

from portal import create_app, static_files
from portal.config import PROJECT_ROOT


@pytest.fixture
def built_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")  # plain http in the test client
    unbuilt = create_app()
    result: Result = unbuilt.test_cli_runner().invoke(args=["static", "build"])
    assert result.exit_code == 0, result.output
    assert "static files built" in result.output
    return create_app()  # a new process after deployment: it finds the build


def test_pages_name_the_hashed_files_and_they_come_compressed_and_immutable(built_app) -> None:  # type: ignore[no-untyped-def]
    client = built_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    css = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', page)
    assert css, "the page names the content-hashed file"
    assert re.search(r'src="/static/js/portal\.[0-9a-f]{12}\.js"', page)
    assert 'href="/static/css/portal.css"' not in page

    brotli = client.get(css.group(1), headers={"Accept-Encoding": "gzip, br"})
    assert brotli.status_code == 200
    assert brotli.headers["Content-Encoding"] == "br"
    assert "immutable" in brotli.headers["Cache-Control"]
    assert (
        "max-age=315360000" in brotli.headers["Cache-Control"]
        or "max-age=31536000" in brotli.headers["Cache-Control"]
    )
    assert brotli.headers["Vary"] == "Accept-Encoding"
    assert brotli.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in brotli.headers
    original = (PROJECT_ROOT / "static/css/portal.css").read_bytes()
    assert len(brotli.get_data()) < len(original) / 2
    brotli.close()  # WhiteNoise streams the file: the response holds it open until closed

    gzip = client.get(css.group(1), headers={"Accept-Encoding": "gzip"})
    assert gzip.headers["Content-Encoding"] == "gzip"
    gzip.close()
    plain = client.get(css.group(1))
    assert "Content-Encoding" not in plain.headers and plain.get_data() == original
    plain.close()

    # A plain name (no page or style sheet uses one): still served, cached for an hour only.
    font = next((PROJECT_ROOT / "static/uswds/fonts").rglob("*.woff2"))
    relative = font.relative_to(PROJECT_ROOT / "static").as_posix()
    served = client.get(f"/static/{relative}")
    served.close()
    assert served.status_code == 200 and served.headers["Cache-Control"] == "max-age=3600, public"


def test_style_sheets_name_the_hashed_fonts_and_images(built_app) -> None:  # type: ignore[no-untyped-def]
    """#34: USWDS's CSS named its fonts and icons by their plain names, cached for an hour."""
    folder = (Path(built_app.instance_path) / "static-build" / "current").resolve()
    manifest = json.loads(folder.with_name(folder.name + ".json").read_text())
    rewritten = 0
    for plain, hashed in manifest.items():
        if not plain.endswith(".css"):
            continue
        css = (folder / hashed).read_text("utf-8")
        for target in re.findall(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""", css):
            if ":" in target or target.startswith("/"):
                continue
            resolved = (folder / hashed).parent.joinpath(target.split("#")[0].split("?")[0])
            name = resolved.resolve().relative_to(folder).as_posix()
            if name in manifest:  # a file under its plain name
                raise AssertionError(f"{plain} names {target}, not its hashed file")
            if name in manifest.values():
                rewritten += 1
    assert rewritten >= 30  # the USWDS build's fonts and icons


def test_hashed_urls_keep_what_they_cannot_resolve() -> None:
    manifest = {"img/a.svg": "img/a.0123456789ab.svg"}
    css = (
        'a{b:url("../img/a.svg")} c{d:url(../img/a.svg#x)} e{f:url("")} '
        "g{h:url(data:image/png;base64,AA==)} i{j:url(../img/missing.svg)} k{l:url(/abs.svg)}"
    )
    assert static_files.hashed_urls(css, "css/x.css", manifest) == (
        'a{b:url("../img/a.0123456789ab.svg")} c{d:url(../img/a.0123456789ab.svg#x)} '
        'e{f:url("")} g{h:url(data:image/png;base64,AA==)} i{j:url(../img/missing.svg)} '
        "k{l:url(/abs.svg)}"
    )


def test_the_build_covers_every_static_file(built_app) -> None:  # type: ignore[no-untyped-def]
    folder = (Path(built_app.instance_path) / "static-build" / "current").resolve()
    manifest = json.loads(folder.with_name(folder.name + ".json").read_text())
    sources = {
        p.relative_to(PROJECT_ROOT / "static").as_posix()
        for p in (PROJECT_ROOT / "static").rglob("*")
        if p.is_file()
    }
    assert set(manifest) == sources
    assert all((folder / hashed).is_file() for hashed in manifest.values())
    assert (folder / (manifest["uswds/css/uswds-portal.min.css"] + ".br")).is_file()
    assert folder.stat().st_mode & 0o755 == 0o755, "a proxy running as another user reads it"
    served = built_app.test_client().get("/static/manifest.json")
    served.close()
    assert served.status_code == 404  # the manifest sits beside the served folder


def test_a_new_build_leaves_running_servers_and_old_pages_working(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = tmp_path / "static"
    shutil.copytree(PROJECT_ROOT / "static" / "css", source / "css")
    target = tmp_path / "build"
    monkeypatch.setenv("STATIC_BUILD_DIR", str(target))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    first = static_files.build(source, target)
    running = create_app({"SECRET_KEY": "x" * 64})  # started before the next deployment
    (source / "css" / "portal.css").write_text("/* the next release */ body { color: #111; }")
    second = static_files.build(source, target)
    assert second["css/portal.css"] != first["css/portal.css"]
    restarted = create_app({"SECRET_KEY": "x" * 64})
    for app, name, body in (
        (running, first["css/portal.css"], (PROJECT_ROOT / "static/css/portal.css").read_bytes()),
        (restarted, first["css/portal.css"], None),  # an old page's link still works
        (restarted, second["css/portal.css"], b"/* the next release */ body { color: #111; }"),
    ):
        response = app.test_client().get(f"/static/{name}")
        data = response.get_data()
        response.close()
        assert response.status_code == 200, name
        assert int(response.headers["Content-Length"]) == len(data)
        if body is not None:
            assert data == body
    # Builds pile up no further than a few.
    for _ in range(5):
        static_files.build(source, target)
    assert len([p for p in target.glob("build-*") if p.is_dir()]) == static_files.KEEP_BUILDS


def test_a_build_left_in_a_development_instance_folder_is_not_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    static_files.build(PROJECT_ROOT / "static", tmp_path / "static-build")
    page = create_app().test_client().get("/login").get_data(as_text=True)
    assert 'href="/static/css/portal.css"' in page


def test_without_a_build_flask_serves_static_files_as_before(app) -> None:  # type: ignore[no-untyped-def]
    page = app.test_client().get("/login").get_data(as_text=True)
    assert 'href="/static/css/portal.css"' in page


def test_pages_use_the_portal_build_of_uswds_and_nothing_blocks_in_the_head(app) -> None:  # type: ignore[no-untyped-def]
    page = app.test_client().get("/login").get_data(as_text=True)
    head = page.split("</head>")[0]
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', head)
    assert stylesheets == [
        "/static/uswds/css/uswds-portal.min.css",
        "/static/css/portal.css",
        "/static/css/noscript.css",  # inside <noscript>: opens the accordions without JavaScript
    ], stylesheets
    assert "<script" not in head, "no render-blocking script in the head"
    assert not (PROJECT_ROOT / "static/uswds/css/uswds.min.css").exists()
    # The compiled USWDS stays within its budget, 80 KB of the 527 KB full build
    # (see scripts/build-uswds.sh).
    assert (PROJECT_ROOT / "static/uswds/css/uswds-portal.min.css").stat().st_size <= 80_000
