"""``flask`` commands: admins and demo data. Database commands come from Flask-Migrate."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

import click
import redis
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import with_appcontext

from portal import questionnaire_versions, static_files
from portal.assessments import reminders
from portal.auth import second_factor, service
from portal.auth.passwords import ON_THE_COMMON_LIST, is_common
from portal.config import PROJECT_ROOT, mail_enabled
from portal.devdata import dataset, demo
from portal.exposure import catalog as kev_catalog
from portal.exposure import inventory, updates
from portal.extensions import db
from portal.kev.catalog import SNAPSHOT, CatalogRefused
from portal.mail import digest, outbox
from portal.models import Jurisdiction, Organization, Role, User, utcnow
from portal.questionnaire import QuestionnaireInvalid, load_directory
from portal.questionnaire.outline import outline

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed for the demo, refused in production

DEMO_ORGANIZATIONS = [
    ("Pine County Memorial Hospital", ["hospital"], "public", "small", "Pike"),
    ("First Farmers Community Bank", ["bank"], "private", "small", "Pike"),
    ("Town of Cedar Falls Water and Sewer", ["water"], "public", "micro", "Clinton"),
    ("Lakeland Electric Cooperative", ["electric"], "cooperative", "small", "Lake"),
]

# What the demo organizations run (category, vendor, product, version, internet-facing, MSP):
# products with real KEV entries, so the demo shows matches, the exposure view and the plan's
# patch actions once the shipped catalog is imported.
DEMO_PRODUCTS: dict[str, list[tuple[str, str, str, str, bool, bool]]] = {
    "hospital": [
        ("edge", "Fortinet", "FortiGate", "7.0.12", True, False),
        ("remote_support", "ConnectWise", "ScreenConnect", "23.9", True, True),
        ("email", "Microsoft", "Exchange Server", "2016 CU23", True, False),
        ("backup", "Veeam", "Backup & Replication", "12.0", False, False),
    ],
    "bank": [
        ("edge", "Palo Alto Networks", "PAN-OS", "10.2", True, True),
        ("file_transfer", "Progress", "MOVEit Transfer", "2023.0", True, True),
    ],
    "water": [
        ("control_systems", "Unitronics", "Vision PLC", "", True, False),
        ("edge", "SonicWall", "SonicOS", "7.0", True, False),
    ],
    "electric": [
        ("edge", "Ivanti", "Connect Secure", "22.7", True, False),
        ("remote_support", "TeamViewer", "TeamViewer", "15", False, False),
    ],
}


def register(app: Flask) -> None:
    # Only for a `flask` command (never a web or job process), and once per process.
    in_a_command = click.get_current_context(silent=True) is not None
    if in_a_command and not app.testing and not getattr(sys.excepthook, "portal", False):
        sys.excepthook = _one_line_for_services(sys.excepthook, app)
    app.cli.add_command(mail_group)
    app.cli.add_command(reminders_group)
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(questionnaire_group)
    app.cli.add_command(generate_dataset)
    app.cli.add_command(kev_group)
    app.cli.add_command(static_group)
    app.cli.add_command(second_factor_group)


def _one_line_for_services(
    default: Callable[[type[BaseException], BaseException, TracebackType | None], Any], app: Flask
) -> Callable[[type[BaseException], BaseException, TracebackType | None], Any]:
    """A command that cannot reach the database (or finds it empty) or Redis says so in one line
    naming the setting (with no password), instead of a hundred-line traceback. Anything else —
    a migration that dies half-way on a lock or a full disk — keeps its traceback."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> Any:
        unreachable = isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError) and (
            error.statement is None or "no such table" in str(error.orig)
        )
        if unreachable:
            assert isinstance(error, sa.exc.DBAPIError)
            url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(
                hide_password=True
            )
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            if "no such table" in reason:
                reason += " (a new database: run `flask db upgrade` first)"
            click.echo(f"Error: cannot use the database of DATABASE_URL ({url}): {reason}",
                       err=True)  # fmt: skip
            raise SystemExit(1)
        if isinstance(error, redis.exceptions.ConnectionError):
            click.echo(f"Error: cannot reach Redis at REDIS_URL: {error}", err=True)
            raise SystemExit(1)
        return default(kind, error, trace)

    hook.portal = True  # type: ignore[attr-defined]
    return hook


@click.group("questionnaire")
def questionnaire_group() -> None:
    """Check and read the questionnaire files."""


@questionnaire_group.command("validate")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder to check (default: the app's QUESTIONNAIRE_DIR).",
)
@with_appcontext
def validate_questionnaire(directory: str | None) -> None:
    """Validate every questionnaire file; list each problem with file, id and reason."""
    folder = directory or current_app.config["QUESTIONNAIRE_DIR"]
    try:
        questionnaire = load_directory(folder)
    except QuestionnaireInvalid as invalid:
        for problem in invalid.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{len(invalid.problems)} problem(s) in {folder}") from None
    scored = sum(1 for m in questionnaire.modules for q in m.questions() if q.scored)
    click.echo(
        f"OK: version {questionnaire.version} ({questionnaire.content_hash[:12]}), "
        f"{len(questionnaire.modules)} modules, {scored} scored questions, "
        f"{len(questionnaire.tools)} tools"
    )


@questionnaire_group.command("outline")
@click.argument("modules", nargs=-1)
@with_appcontext
def outline_questionnaire(modules: tuple[str, ...]) -> None:
    """Print the questionnaire (or only MODULES, e.g. core water) as a readable outline."""
    questionnaire = questionnaire_versions.current()
    known = [m.id for m in questionnaire.modules]
    unknown = [m for m in modules if m not in known]
    if unknown:
        raise click.ClickException(
            f"No module {', '.join(unknown)}: the modules are {', '.join(known)}."
        )
    for line in outline(questionnaire, modules or None):
        click.echo(line)


@click.command("create-admin")
@with_appcontext
@click.option("--email", prompt=True)
@click.option("--name", "full_name", prompt="Full name")
@click.password_option()
def create_admin(email: str, full_name: str, password: str) -> None:
    """Create an administrator account."""
    full_name = " ".join(full_name.split())
    if not full_name:
        raise click.ClickException("Give the admin's full name (--name).")
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise click.ClickException(f"{email!r} is not an email address: {error}") from None
    if len(password) < 12:
        raise click.ClickException("Use a password of at least 12 characters.")
    if is_common(password):
        raise click.ClickException(ON_THE_COMMON_LIST)
    try:
        user = service.create_staff_user(Role.ADMIN, full_name, email, password)
    except service.AccountError as error:
        raise click.ClickException(str(error)) from error
    user.email_confirmed_at = utcnow()  # typed by the person who runs the server
    db.session.commit()
    click.echo(f"Admin {user.email} created.")


@click.group("second-factor")
def second_factor_group() -> None:
    """Second factors of accounts."""


@second_factor_group.command("reset")
@with_appcontext
@click.argument("email")
@click.option("--reason", required=True, help="Why, for the audit log (a ticket number).")
def reset_second_factor(email: str, reason: str) -> None:
    """Remove EMAIL's second factors and recovery codes, for a person who lost their phone and
    codes (check who they are first: by phone, in person). Their logins end, they are told by
    mail, and they enrol again at their next sign-in."""
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No account has the address {email!r}.")
    removed = second_factor.reset(user, by=f"command line: {reason}"[:200])
    db.session.commit()
    click.echo(
        f"{user.email}: {removed} second factor(s) and the recovery codes removed, every login "
        "ended; they add a new one at their next sign-in."
    )


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Add a demo jurisdiction, coordinator, admin and one organization per sector."""
    if current_app.config.get("PORTAL_ENV") == "production":
        raise click.ClickException(
            "Refusing to add demo accounts with known passwords in production."
        )
    if db.session.scalar(sa.select(User.id).where(User.email == "admin@demo.example.org")):
        click.echo("Demo data is already there.")
        _print_logins()
        return
    # Not into a database people use (whatever PORTAL_ENV says): demo accounts have a published
    # password.
    if db.session.scalar(sa.select(User.id).where(~User.email.like("%@demo.example.org")).limit(1)):
        raise click.ClickException(
            "Refusing to add demo accounts with known passwords to a database that has real "
            "accounts."
        )
    jurisdiction = Jurisdiction(name="Demo State of Ohio", state="OH")
    db.session.add(jurisdiction)
    db.session.flush()
    service.create_staff_user(Role.ADMIN, "Demo Admin", "admin@demo.example.org", DEMO_PASSWORD)
    coordinator = service.create_staff_user(
        Role.COORDINATOR,
        "Casey Coordinator",
        "coordinator@demo.example.org",
        DEMO_PASSWORD,
        [jurisdiction],
    )
    operators = {}
    for name, sectors, ownership, size, county in DEMO_ORGANIZATIONS:
        email = f"{sectors[0]}@demo.example.org"
        operator = service.register_organization(
            service.NewOrganization(name, sectors, ownership, size, "OH", county),
            f"{sectors[0].title()} IT Lead",
            email,
            DEMO_PASSWORD,
        )
        operators[sectors[0]] = operator
        organization = db.session.get(Organization, operator.organization_id)
        assert organization is not None
        for category, vendor, product, version, facing, msp in DEMO_PRODUCTS[sectors[0]]:
            known = inventory.resolve(vendor, product)  # None until a catalog is imported
            inventory.add_item(
                organization,
                operator,
                inventory.ProductFields(category, vendor, product, version, facing, msp),
                known.key if known else None,
            )
    # A quarter of history and every state of the review loop (portal/devdata/demo.py).
    demo.seed_program(operators, coordinator, DEMO_PASSWORD)
    # Demo addresses cannot receive mail: count them as confirmed, so no banner nags.
    db.session.execute(sa.update(User).values(email_confirmed_at=utcnow()))
    db.session.commit()
    counts = ", ".join(f"{n} {status}" for status, n in sorted(demo.status_counts().items()))
    click.echo(f"Demo data added: assessments {counts}.")
    _print_logins()


def _print_logins() -> None:
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    rows = db.session.execute(
        sa.select(User.email, User.role, Organization.name)
        .join(Organization, User.organization_id == Organization.id, isouter=True)
        .where(User.email.like("%@demo.example.org"))
        .order_by(User.role, User.email)
    ).all()
    for email, role, org in rows:
        click.echo(f"  {role.value:<12} {email:<26} {org or ''}")


@click.command("generate-dataset")
@click.option("--organizations", default=60_000, show_default=True, type=click.IntRange(1))
@click.option("--assessments", default=250_000, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=2026, show_default=True, help="Same seed, same data.")
@with_appcontext
def generate_dataset(organizations: int, assessments: int, seed: int) -> None:
    """Fill the database with a realistic national-size dataset (for benchmarks).

    Accounts: admin@national.example.org, coordinator-<state>@national.example.org (statewide)
    and it<organization id>@national.example.org, all with the password national-dataset-2026.
    """
    if current_app.config.get("PORTAL_ENV") == "production":
        raise click.ClickException("Refusing to add generated accounts in production.")
    try:
        counts = dataset.generate(organizations, assessments, seed=seed, report=click.echo)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Done: {counts.line()}")
    click.echo(f"Sign in as {dataset.MARKER_EMAIL} (password {dataset.PASSWORD}).")


@click.group("static")
def static_group() -> None:
    """Static files for production: hashed names, gzip and Brotli (run at each deployment)."""


@static_group.command("build")
@with_appcontext
def static_build() -> None:
    """Build STATIC_BUILD_DIR from static/; restart the app servers to serve it."""
    target = static_files.build_dir(current_app)
    manifest = static_files.build(PROJECT_ROOT / "static", target)
    click.echo(f"{len(manifest)} static files built into {target} (hashed names, .gz and .br)")


@click.group("mail")
def mail_group() -> None:
    """The outbox: deliver what is waiting (run from cron every few minutes)."""


@mail_group.command("send-pending")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1))
@with_appcontext
def send_pending(limit: int) -> None:
    """Send every message that is due (new, or waiting to be tried again)."""
    if not mail_enabled(current_app.config):
        click.echo("Mail is off (no MAIL_SERVER): nothing to send.")
        return
    counts = outbox.deliver(limit=limit)
    click.echo(
        f"sent {counts['sent']}, failed for good {counts['failed']}, "
        f"to try again later {counts['retry']}, withdrawn (link no longer live) "
        f"{counts['withdrawn']}"
    )


@click.group("reminders")
def reminders_group() -> None:
    """Scheduled reminders and daily digests (run from cron once a day)."""


@reminders_group.command("send")
@with_appcontext
def send_reminders() -> None:
    """Queue the reminders that are due and the daily digests, then send them. Run it as often
    as you like: each reminder goes once per event and person."""
    sent = reminders.send_all()
    digests = digest.send_digests()
    db.session.commit()
    click.echo(f"{sent.line()}; {digests} digest(s)")
    if mail_enabled(current_app.config):
        counts = outbox.deliver()
        click.echo(f"sent {counts['sent']}, failed {counts['failed']}, later {counts['retry']}")


@click.group("kev")
def kev_group() -> None:
    """CISA's Known Exploited Vulnerabilities catalog (import it daily from cron)."""


@kev_group.command("import")
@click.argument("source", default=str(SNAPSHOT))
@click.option(
    "--if-empty", is_flag=True, help="Only when no catalog is loaded yet (make run uses this)."
)
@click.option(
    "--force", is_flag=True, help="Accept an older catalog, or one that removes many entries."
)
@with_appcontext
def kev_import(source: str, if_empty: bool, force: bool) -> None:
    """Import the KEV catalog from a file or an https URL (default: the shipped snapshot).

    CISA's feed: https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json
    A document that is not a valid catalog is refused and the catalog in use stays as it was.
    """
    if if_empty and kev_catalog.latest_import() is not None:
        click.echo("A KEV catalog is loaded already: nothing to do.")
        return
    try:
        if source.lower().startswith(("http://", "https://")):
            raw = kev_catalog.fetch(source)
        else:
            raw = _read_catalog_file(source)
        report = updates.import_and_notify(raw, source, commit=db.session.commit, force=force)
    except CatalogRefused as refusal:
        db.session.rollback()
        raise click.ClickException(
            "Catalog refused; the catalog in use is unchanged:\n  - "
            + "\n  - ".join(refusal.reasons)
        ) from None
    if report.unchanged:
        click.echo(
            f"Catalog {report.version} ({report.entries} entries) is already the one in use: "
            "nothing changed."
        )
        return
    click.echo(
        f"Imported catalog {report.version}, released {report.released_at:%Y-%m-%d %H:%M} UTC: "
        f"{report.entries} entries; {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed."
    )
    for label, ids in (
        ("added", report.added),
        ("changed", report.changed),
        ("removed", report.removed),
    ):
        if 0 < len(ids) <= 20:
            click.echo(f"  {label}: {', '.join(ids)}")
    click.echo(
        f"{report.resolved_items} inventory item(s) matched a product for the first time; "
        f"{report.organizations_notified} organization(s) told of new matches."
    )


def _read_catalog_file(path: str) -> bytes:
    try:
        size = os.path.getsize(path)
        if size > kev_catalog.MAX_BYTES:
            limit = kev_catalog.MAX_BYTES // 2**20
            raise CatalogRefused(
                [f"The file is {size / 1e6:.1f} MB; a KEV catalog is under {limit} MB."]
            )
        with open(path, "rb") as handle:
            return handle.read(kev_catalog.MAX_BYTES + 1)
    except OSError as error:
        raise CatalogRefused([f"The file cannot be read: {error.strerror}."]) from None


@kev_group.command("notify")
@with_appcontext
def kev_notify() -> None:
    """Finish the notices of new matches an import left unwritten (it stopped part-way)."""
    waiting = updates.pending()
    if not waiting:
        click.echo("Every import's notices are written.")
        return
    for import_id in waiting:
        told = updates.finish_notices(import_id, db.session.commit)
        click.echo(f"Import {import_id}: {told} organization(s) told of new matches.")
