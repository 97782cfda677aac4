"""Screenshot the portal's pages with two builds of the USWDS stylesheet and count the pixels
that differ — run by hand after scripts/build-uswds.sh changed what it keeps:

    .venv/bin/python scripts/compare_css.py OLD.css NEW.css [--out DIR]

e.g. OLD from ``git show HEAD:static/uswds/css/uswds-portal.min.css > /tmp/old.css``. The
signed-out pages (token pages and the error page too), the operator's (a draft's wizard and
check-your-answers too), the coordinator's and the admin's main pages — 43 pages and states at
1280×800 and 360×740 — with the states USWDS's script or a person brings about (the phone menu
open, an accordion open, a radio chosen, a focused button, a form refused, the official banner
open). It shows what the pages look like; states no step reaches (hover, a disabled control)
are not in it. The stylesheet is
swapped in the browser (Playwright answers its request), so the working tree is not touched.
Writes both screenshots and a diff image for each page that differs to --out; exits 1 if any
page differs. Needs Debian's Chromium (`make test-packages`).
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
VIEWPORTS = {"desktop": (1280, 800), "phone": (360, 740)}

# A step: (name, who signs in or None, path, what to do on the page before the screenshot).
Action = Callable[[Any], None] | None


def _click(selector: str) -> Callable[[Any], None]:
    def act(page: Any) -> None:
        page.locator(selector).first.click()
        page.wait_for_timeout(150)

    return act


def _focus(selector: str) -> Callable[[Any], None]:
    return lambda page: page.locator(selector).first.focus()


def _refused_sign_in(page: Any) -> None:
    page.fill("#email", "nobody@example.org")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _same_reference(page: Any) -> None:
    # The error page names its request's id, a new one each time: the same text for both.
    page.evaluate("document.querySelectorAll('main code').forEach(c => c.textContent = 'x')")


def _phone_menu(page: Any) -> None:
    if page.locator(".usa-menu-btn").first.is_visible():
        _click(".usa-menu-btn")(page)


def prepare(workdir: Path) -> tuple[Any, dict[str, Any]]:
    """The portal on a throwaway SQLite database with the access tests' world in it."""
    os.environ["PORTAL_INSTANCE_PATH"] = str(workdir / "instance")
    from flask_migrate import upgrade

    from portal import create_app
    from tests.factories import TEST_SECRET, World, access_objects

    app = create_app(
        {
            "SECRET_KEY": TEST_SECRET,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'compare.sqlite3'}",
            "PASSWORD_HASH_FOR_TESTS": True,
            "MAIL_BACKEND": "dummy",
            "PDF_PRERENDER": False,
            "PORTAL_OFFICIAL_GOV": True,  # the banner is part of what is compared
        }
    )
    with app.app_context():
        upgrade()
    world = World(app)
    ids = access_objects(app, world)
    return app, {"world": world, **ids}


def steps(ids: dict[str, Any]) -> list[tuple[str, str | None, str, Action]]:
    world = ids["world"]
    op, coord, admin = world.operator_a, world.coordinator_x, world.admin
    submitted, draft = ids["submitted"], ids["draft"]
    return [
        ("home", None, "/", None),
        ("home-banner-open", None, "/", _click(".usa-banner__button")),
        ("sign-in", None, "/login", None),
        ("sign-in-refused", None, "/login", _refused_sign_in),
        ("sign-in-focus", None, "/login", _focus("button[type=submit]")),
        ("register", None, "/register", None),
        ("forgot", None, "/password/forgot", None),
        ("reset", None, f"/password/reset/{ids['reset_token']}", None),
        ("invitation", None, f"/invitations/{ids['invitation_token']}", None),
        ("not-found", None, "/no-such-page", _same_reference),
        ("operator-home", op, "/", None),
        ("operator-menu", op, "/", _phone_menu),
        ("assessments", op, "/assessments/", None),
        ("assessment", op, f"/assessments/{submitted}", None),
        ("wizard-start", op, f"/assessments/{draft}/steps/0", None),
        ("wizard-step", op, f"/assessments/{draft}/steps/1", None),
        ("wizard-chosen", op, f"/assessments/{draft}/steps/1", _click(".usa-radio__label")),
        ("check-answers", op, f"/assessments/{draft}/review", None),
        ("results", op, f"/assessments/{submitted}/results", None),
        (
            "results-open",
            op,
            f"/assessments/{submitted}/results",
            _click("main .usa-accordion__button"),
        ),
        ("tool-request", op, f"/assessments/{submitted}/tool-requests/new", None),
        ("organization", op, "/organization/", None),
        ("products", op, "/organization/products/", None),
        ("product-edit", op, f"/organization/products/{ids['product']}/edit", None),
        ("tool-request-view", op, f"/tool-requests/{ids['request']}", None),
        ("account", op, "/account/", None),
        ("password", op, "/account/password", None),
        ("email", op, "/account/email", None),
        ("notifications", op, "/account/notifications", None),
        ("queue", coord, "/review/", None),
        ("review", coord, f"/review/assessments/{submitted}", None),
        ("return", coord, f"/review/assessments/{submitted}/return", None),
        ("tool-requests", coord, "/review/tool-requests", None),
        ("dashboard", coord, "/review/dashboard", None),
        ("exposure", coord, "/review/exposure/", None),
        ("admin", admin, "/admin/", None),
        ("audit", admin, "/admin/audit", None),
        ("mail", admin, "/admin/mail", None),
        ("catalog", admin, "/admin/catalog", None),
        ("new-coordinator", admin, "/admin/coordinators/new", None),
        ("new-jurisdiction", admin, "/admin/jurisdictions/new", None),
        ("new-organization", admin, "/admin/organizations/new", None),
        ("invite", admin, f"/admin/organizations/{ids['org_a']}/invite", None),
    ]


def serve(app: Any) -> str:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def _serving(stylesheet: bytes) -> Callable[[Any], None]:
    # One argument: Playwright passes the request as well to a handler that takes two.
    return lambda route: route.fulfill(body=stylesheet, content_type="text/css")


def shoot(
    browser: Any, base: str, sheets: dict[str, bytes], ids: dict[str, Any], out: Path
) -> None:
    """Each step once per stylesheet, one right after the other, so that what the pages show
    (a sign-in time, the audit log) is the same for both."""
    from tests.factories import PASSWORD

    for viewport, (width, height) in VIEWPORTS.items():
        pages: dict[tuple[str | None, str], Any] = {}
        for name, who, path, action in steps(ids):
            for label, stylesheet in sheets.items():
                if (who, label) not in pages:
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        is_mobile=viewport == "phone",
                        reduced_motion="reduce",
                    )
                    context.route(
                        re.compile(r".*/uswds-portal\.min\.css.*"),
                        _serving(stylesheet),
                    )
                    page = context.new_page()
                    if who:
                        page.goto(base + "/login")
                        page.fill("#email", who)
                        page.fill("#password", PASSWORD)
                        page.click("button[type=submit]")
                        page.wait_for_load_state()
                    pages[(who, label)] = page
                page = pages[(who, label)]
                page.goto(base + path)
                page.evaluate("document.fonts.ready")
                if action:
                    action(page)
                page.screenshot(
                    path=str(out / label / f"{viewport}-{name}.png"),
                    full_page=True,
                    animations="disabled",
                    caret="hide",
                )
        for page in pages.values():
            page.context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "compare-css")
    parser.add_argument(
        "--tolerance",
        type=int,
        default=1,
        help="channel levels (0-255) a pixel may differ by and count as the same; Chromium's "
        "anti-aliasing of a rounded border moves by one now and then (default 1)",
    )
    args = parser.parse_args()
    from PIL import Image, ImageChops
    from playwright.sync_api import sync_playwright

    logging.disable(logging.INFO)  # the portal's request log, one line per file served

    app, ids = prepare(Path(tempfile.mkdtemp(prefix="compare-css-")))
    base = serve(app)
    for label in ("old", "new"):
        shutil.rmtree(args.out / label, ignore_errors=True)
        (args.out / label).mkdir(parents=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        sheets = {"old": args.old.read_bytes(), "new": args.new.read_bytes()}
        shoot(browser, base, sheets, ids, args.out)
        browser.close()
    old = sorted((args.out / "old").glob("*.png"))
    differing = 0
    for before in old:
        after = args.out / "new" / before.name
        a, b = Image.open(before).convert("RGB"), Image.open(after).convert("RGB")
        if a.size != b.size:
            print(f"{before.stem}: size {a.size} -> {b.size}")
            differing += 1
            continue
        # A pixel differs when any channel differs by more than --tolerance (converting to grey
        # first would round small colour changes away).
        diff = (
            ImageChops.difference(a, b)
            .point(lambda v: 255 if v > args.tolerance else 0)
            .convert("L")
        )
        box = diff.getbbox()
        if box is None:
            continue
        pixels = sum(diff.histogram()[1:])
        diff.save(args.out / f"diff-{before.name}")
        print(f"{before.stem}: {pixels} pixels differ in {box}")
        differing += 1
    print(f"{len(old)} screenshots, {differing} differ ({args.out})")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
