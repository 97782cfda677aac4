"""Exposure: which known-exploited products the organizations of a jurisdiction run.

Coordinators see their jurisdiction only (admins every organization), scoped like the queue; a
product's affected organizations, a CSV, and "notify affected organizations" — each of them gets
a message naming its own products and entries, never another organization's.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import audit
from portal.auth.decorators import role_required
from portal.exports import spreadsheet
from portal.exports.download import download
from portal.exposure import catalog, inventory, jurisdiction
from portal.extensions import db
from portal.kev.exposure import CAVEATS
from portal.models import Role, utcnow
from portal.readonly import read_only

bp = Blueprint("exposure", __name__, url_prefix="/review/exposure")

REVIEWERS = (Role.COORDINATOR, Role.ADMIN)


def _page_number() -> int:
    value = request.args.get("page", "")
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) <= 5 else 1


def _product() -> str | None:
    # A POST acts on what its form says, never on a product slipped into the address.
    key = (request.form if request.method == "POST" else request.args).get("product", "")
    return key if inventory.family(key) is not None else None


@bp.get("/")
@read_only
@role_required(*REVIEWERS)
def index() -> str:
    product = _product()
    page = _page_number()
    organizations, more = jurisdiction.affected_organizations(current_user, product, page)
    latest, new_entries = jurisdiction.new_entries_in_scope(current_user)
    status = catalog.status()
    return render_template(
        "review/exposure.html",
        products=jurisdiction.products_in_scope(current_user),
        new_entries=new_entries,
        latest=latest,
        organizations=organizations,
        more=more,
        page=page,
        product=inventory.family(product),
        status=status,
        now=utcnow(),
        caveats=CAVEATS,
    )


@bp.get("/affected.csv")
@role_required(*REVIEWERS)
def export() -> Response:
    rows = list(jurisdiction.all_affected(current_user))
    audit.record("exposure.exported", object_type="Exposure", rows=len(rows))
    db.session.commit()
    body = spreadsheet.to_csv(
        [
            "organization_id",
            "organization",
            "state",
            "county",
            "exploited_products",
            "internet_facing",
            "looked_after_by_msp",
        ],
        (
            [
                o.id,
                o.name,
                o.state,
                o.county,
                "; ".join(o.products),
                "yes" if o.internet_facing else "no",
                "yes" if o.managed_by_msp else "no",
            ]
            for o in rows
        ),
    )
    return download(body, "exploited-products.csv", "text/csv")


@bp.get("/notify")
@read_only
@role_required(*REVIEWERS)
def confirm_notify() -> Response | str:
    product = _product()
    if product is None:
        flash("Choose a product first.", "info")
        return redirect(url_for("exposure.index"))
    organizations, more = jurisdiction.affected_organizations(current_user, product, 1, 1000)
    return render_template(
        "review/exposure_notify.html",
        product=inventory.family(product),
        organizations=organizations,
        more=more,
    )


@bp.post("/notify")
@role_required(*REVIEWERS)
def notify() -> Response:
    product = _product()
    if product is None:
        flash("Choose a product first.", "info")
        return redirect(url_for("exposure.index"))
    try:
        count = jurisdiction.notify_affected(current_user, product)
    except jurisdiction.NotifyRefused as refusal:
        db.session.rollback()
        flash(str(refusal), "warning")
        return redirect(url_for("exposure.index", product=product))
    db.session.commit()
    flash(
        f"Wrote to {count} organization{'s' if count != 1 else ''}: each message names only "
        "that organization's own products and entries.",
        "success",
    )
    return redirect(url_for("exposure.index", product=product))
