"""What we run: the organization's products, kept across assessments, and their KEV matches.

Works without JavaScript: a product typed by a name the catalog does not know comes back with
suggestions to pick from (or to keep as typed); the product field offers the catalog's names
through a plain HTML datalist.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import access
from portal.auth.decorators import role_required
from portal.exposure import catalog, inventory
from portal.extensions import db
from portal.inventory.forms import ProductForm
from portal.kev.exposure import CAVEATS
from portal.kev.products import CATEGORIES, Family
from portal.models import InventoryItem, Organization, Role
from portal.readonly import read_only

bp = Blueprint("inventory", __name__, url_prefix="/organization/products")

KEEP_AS_TYPED = "none"


def _page(
    form: ProductForm, *, suggestions: list | None = None, status: int = 200
) -> tuple[str, int]:
    organization = access.get_or_404(Organization, current_user.organization_id)
    items = inventory.items_of(organization.id)
    return render_template(
        "inventory/index.html",
        organization=organization,
        items=items,
        in_use={i.id: inventory.in_use(i) for i in items},
        counts=inventory.match_counts(organization.id),
        matches=inventory.matches_for(organization.id),
        form=form,
        suggestions=suggestions,
        names=inventory.family_labels(),
        categories=CATEGORIES,
        caveats=CAVEATS,
        catalog_status=catalog.status(),
        next_url=_next_url(),
    ), status


def _next_url() -> str | None:
    """Where "Back to the assessment" leads (only a page of this portal)."""
    target = request.values.get("next", "")
    return target if target.startswith("/assessments/") and "//" not in target else None


@bp.get("/")
@read_only
@role_required(Role.OPERATOR)
def index() -> tuple[str, int]:
    return _page(ProductForm(formdata=None))


@bp.post("/")
@role_required(Role.OPERATOR)
def add() -> Response | tuple[str, int]:
    organization = access.get_or_404(Organization, current_user.organization_id)
    form = ProductForm()
    if not form.validate():
        return _page(form, status=400)
    fields = _fields(form)
    decided, key, suggestions = _family_for(form, fields)
    if not decided:
        return _page(form, suggestions=suggestions)
    try:
        item = inventory.add_item(organization, current_user, fields, key)
    except inventory.InventoryError as refusal:
        db.session.rollback()
        form.form_errors.append(str(refusal))
        return _page(form, status=400)
    db.session.commit()
    _say_what_matched(item)
    return redirect(url_for("inventory.index", next=_next_url()) + f"#item-{item.id}")


@bp.route("/<int:item_id>/edit", methods=["GET", "POST"])
@role_required(Role.OPERATOR)
def edit(item_id: int) -> Response | str | tuple[str, int]:
    item = access.get_or_404(InventoryItem, item_id)
    form = ProductForm(obj=None) if request.method == "POST" else ProductForm(formdata=None)
    suggestions = None
    if request.method == "GET":
        form.category.data = item.category
        form.vendor.data = item.vendor
        form.product.data = item.product
        form.version.data = item.version
        form.internet_facing.data = "yes" if item.internet_facing else "no"
        form.managed_by.data = "msp" if item.managed_by_msp else "us"
        form.family.data = item.family_key or KEEP_AS_TYPED
    elif form.validate():
        fields = _fields(form)
        unchanged_name = (fields.vendor, fields.product) == (item.vendor, item.product)
        # The same name keeps what it was matched to — unless the catalog no longer has that.
        still_known = item.family_key is None or inventory.family(item.family_key) is not None
        if unchanged_name and not form.choice.data and still_known:
            decided, key = True, item.family_key
        else:
            decided, key, suggestions = _family_for(form, fields)
        if decided:
            try:
                inventory.update_item(item, current_user, fields, key)
            except inventory.InventoryError as refusal:
                db.session.rollback()
                form.form_errors.append(str(refusal))
            else:
                db.session.commit()
                _say_what_matched(item)
                return redirect(url_for("inventory.index") + f"#item-{item.id}")
    status = 400 if request.method == "POST" and (form.errors or form.form_errors) else 200
    return render_template(
        "inventory/edit.html",
        item=item,
        form=form,
        suggestions=suggestions,
        names=inventory.family_labels(),
    ), status


@bp.post("/<int:item_id>/delete")
@role_required(Role.OPERATOR)
def delete(item_id: int) -> Response:
    item = access.get_or_404(InventoryItem, item_id)
    name = inventory.in_use(item).name
    inventory.delete_item(item, current_user)
    db.session.commit()
    flash(f"Removed {name} from your list.", "success")
    return redirect(url_for("inventory.index"))


def _fields(form: ProductForm) -> inventory.ProductFields:
    return inventory.ProductFields(
        category=form.category.data or "other",
        vendor=form.vendor.data or "",
        product=form.product.data or "",
        version=form.version.data or "",
        internet_facing=form.internet_facing.data == "yes",
        managed_by_msp=form.managed_by.data == "msp",
    )


def _family_for(
    form: ProductForm, fields: inventory.ProductFields
) -> tuple[bool, str | None, list[Family] | None]:
    """(decided, family key, suggestions to offer when not decided)."""
    picked = form.choice.data or ""
    if picked == KEEP_AS_TYPED:
        return True, None, None
    if picked and inventory.family(picked) is not None:
        return True, picked, None
    known = inventory.resolve(fields.vendor, fields.product)
    if known is not None:
        return True, known.key, None
    suggestions = inventory.suggest(fields.vendor, fields.product)
    if not suggestions:
        return True, None, None
    form.choice.choices = {f.key: f.label for f in suggestions} | {
        KEEP_AS_TYPED: "None of these: keep it as I typed it"
    }
    return False, None, suggestions


def _say_what_matched(item: InventoryItem) -> None:
    count = inventory.match_counts(item.organization_id).get(item.id, 0)
    name = inventory.in_use(item).name
    if item.family_key is None:
        flash(
            f"Saved {name}. It matches no product in CISA's KEV list — that does not prove it is "
            "safe: KEV lists only flaws known to be used in attacks.",
            "info",
        )
    elif count:
        flash(
            f"Saved {name}: CISA lists {count} flaw{'s' if count > 1 else ''} attackers are "
            "using in it. Check your version against each one below.",
            "warning",
        )
    else:
        flash(f"Saved {name}. No flaw in it is on CISA's KEV list today.", "success")
