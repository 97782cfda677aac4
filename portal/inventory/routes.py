"""What we run: the organization's products, kept across assessments, and their KEV matches.

Works without JavaScript: a product typed by a name the catalog does not know comes back with
suggestions to pick from (or to keep as typed); the product field offers the catalog's names
through a plain HTML datalist.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import access
from portal.auth.decorators import role_required
from portal.exposure import catalog, inventory, triage
from portal.extensions import db
from portal.inventory.forms import OlderFixedForm, ProductForm, TriageForm
from portal.kev.matching import (
    CAVEATS,
    TRIAGE_LABELS,
    TriageState,
    advisory_url,
    cisa_days,
    plain_kind,
)
from portal.kev.products import CATEGORIES, Family
from portal.models import InventoryItem, Organization, Role, utcnow
from portal.readonly import read_only

bp = Blueprint("inventory", __name__, url_prefix="/organization/products")

KEEP_AS_TYPED = "none"


def _page(
    form: ProductForm, *, suggestions: list | None = None, status: int = 200
) -> tuple[str, int]:
    organization = access.get_or_404(Organization, current_user.organization_id)
    items = inventory.items_of(organization.id)
    today = utcnow().date()
    return render_template(
        "inventory/index.html",
        organization=organization,
        items=items,
        in_use={i.id: inventory.in_use(i) for i in items},
        support={i.id: inventory.support_of(i, today) for i in items},
        counts=inventory.match_counts(organization.id),
        matches=inventory.matches_for(organization.id),
        form=form,
        suggestions=suggestions,
        names=inventory.family_labels(),
        categories={key: _(label) for key, label in CATEGORIES.items()},
        caveats=CAVEATS,  # translated where shown (macros/kev.html)
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
        item = inventory.add_item(organization, current_user, fields, key, _picked(form))
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
            decided, key, picked = True, item.family_key, item.family_picked
        else:
            decided, key, suggestions = _family_for(form, fields)
            picked = _picked(form)
        if decided:
            try:
                inventory.update_item(item, current_user, fields, key, picked)
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
    flash(_("Removed %(name)s from your list.", name=name), "success")
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


def _picked(form: ProductForm) -> bool:
    """The person chose a family from the suggestions. ("Keep it as I typed it" is not a pick:
    it says none of those is the product, and a catalog that lists the product by that very
    name later matches it — and tells them.)"""
    choice = form.choice.data or ""
    return choice != KEEP_AS_TYPED and inventory.family(choice) is not None


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
        KEEP_AS_TYPED: _("None of these: keep it as I typed it")
    }
    return False, None, suggestions


def _say_what_matched(item: InventoryItem) -> None:
    count = inventory.match_counts(item.organization_id).get(item.id, 0)
    name = inventory.in_use(item).name
    if item.family_key is None:
        flash(
            _(
                "Saved %(name)s. It matches no product in CISA's KEV list — that does not prove "
                "it is safe: KEV lists only flaws known to be used in attacks.",
                name=name,
            ),
            "info",
        )
    elif count:
        flash(
            ngettext(
                "Saved %(name)s: CISA lists %(num)d flaw attackers are using in it. Check your "
                "version against each one below.",
                "Saved %(name)s: CISA lists %(num)d flaws attackers are using in it. Check your "
                "version against each one below.",
                count,
                name=name,
            ),
            "warning",
        )
    else:
        flash(_("Saved %(name)s. No flaw in it is on CISA's KEV list today.", name=name), "success")


# --- settling a known-exploited match ----------------------------------------------------------

_CVE = re.compile(r"^CVE-\d{4}-\d{4,7}$")


def _back(form_next: str | None, item: InventoryItem) -> str:
    """Where to go after settling: the page the person came from (results or products)."""
    target = form_next or ""
    if re.fullmatch(r"/assessments/\d+/results", target):
        return f"{target}#kev-{item.id}"
    return url_for("inventory.index") + f"#kev-{item.id}"


@bp.route("/<int:item_id>/flaws/<cve_id>", methods=["GET", "POST"])
@role_required(Role.OPERATOR)
def settle(item_id: int, cve_id: str) -> Response | tuple[str, int]:
    """One flaw of one product: how it stands, and the form to settle it."""
    item = access.get_or_404(InventoryItem, item_id)
    if not _CVE.match(cve_id):
        abort(404)
    entry = triage.entry_of(item, cve_id)
    if entry is None:
        return render_template(
            "errors/error.html",
            code=404,
            title=_("This flaw is not matched to this product any more"),
            message=_(
                "The product, its version or the catalog changed since the page you came "
                "from was made. Nothing was saved. Go back to your products to see what is open "
                "now."
            ),
        ), 404
    row = triage.current(item, cve_id)
    form = TriageForm()
    version_changed: str | None = None
    if request.method == "GET":
        form.state.data = row.state if row else TriageState.FIXED.value
        form.running_version.data = row.running_version if row else item.version
        form.note.data = row.note if row else ""
        form.revision.data = str(row.revision if row else 0)
        form.item_version.data = item.version
        form.next.data = request.args.get("next", "")
    conflict = None
    status = 200
    if request.method == "POST":
        if form.validate():
            decision = triage.Decision(
                TriageState(form.state.data),
                form.note.data or "",
                form.running_version.data or "",
            )
            shown = form.revision.data or "0"
            try:
                triage.settle(
                    item,
                    cve_id,
                    decision,
                    current_user,
                    int(shown) if re.fullmatch(r"[0-9]{1,8}", shown) else -1,
                    form.item_version.data,
                )
            except triage.TriageError as refusal:
                db.session.rollback()
                field = getattr(form, refusal.field, None) if refusal.field else None
                (field.errors if field is not None else form.form_errors).append(str(refusal))
                status = 400
            except triage.TriageConflict as changed:
                db.session.rollback()
                if changed.version_now is not None:
                    version_changed = changed.version_now
                    form.item_version.data = changed.version_now
                    if decision.state is TriageState.FIXED:
                        form.running_version.data = changed.version_now
                    conflict = triage.current(item, cve_id)
                else:
                    conflict = changed.current
                form.revision.data = str(conflict.revision if conflict else 0)
                status = 409
            else:
                db.session.commit()
                flash(_settled(decision.state, cve_id, inventory.in_use(item).name), "success")
                return redirect(_back(form.next.data, item))
        else:
            status = 400
        row = triage.current(item, cve_id) if conflict is None else conflict
    kev = inventory.as_entry(entry)
    return render_template(
        "inventory/settle.html",
        item=item,
        product=inventory.in_use(item),
        entry=kev,
        kind=plain_kind(kev),
        days=cisa_days(kev),
        advisory=advisory_url(kev),
        row=row,
        labels={state: _(label) for state, label in TRIAGE_LABELS.items()},
        form=form,
        conflict=conflict,
        version_changed=version_changed,
        support=inventory.support_of(item, utcnow().date()),
    ), status


def _settled(state: TriageState, cve_id: str, name: str) -> str:
    """What the person is told after settling a flaw: one whole sentence per state."""
    sentences = {
        TriageState.OPEN: _("%(cve)s on %(name)s: open.", cve=cve_id, name=name),
        TriageState.FIXED: _("%(cve)s on %(name)s: fixed.", cve=cve_id, name=name),
        TriageState.MITIGATED: _("%(cve)s on %(name)s: mitigated.", cve=cve_id, name=name),
        TriageState.NOT_AFFECTED: _("%(cve)s on %(name)s: not affected.", cve=cve_id, name=name),
        TriageState.END_OF_LIFE: _("%(cve)s on %(name)s: end of life.", cve=cve_id, name=name),
    }
    return sentences[state]


@bp.post("/<int:item_id>/flaws/older-fixed")
@role_required(Role.OPERATOR)
def settle_older(item_id: int) -> Response:
    """Every open flaw added on or before a date: fixed in the version run."""
    item = access.get_or_404(InventoryItem, item_id)
    form = OlderFixedForm()
    back = _back(form.next.data, item)
    before_text = form.before.data or ""
    try:
        before = date.fromisoformat(before_text) if len(before_text) == 10 else None
    except ValueError:
        before = None
    if not form.validate() or before is None:
        messages = [m for errors in form.errors.values() for m in errors]
        flash(messages[0] if messages else _("Choose a date from the list."), "error")
        return redirect(back)
    try:
        changed = triage.settle_older(
            item, before, form.running_version.data or "", current_user, form.item_version.data
        )
    except triage.TriageError as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return redirect(back)
    except triage.TriageConflict as moved:
        db.session.rollback()
        if moved.version_now is not None:
            flash(
                _(
                    "Someone changed this product's version to %(version)s since the page was "
                    "shown. Nothing was saved: look again and save again.",
                    version=moved.version_now or _("(none)"),
                ),
                "error",
            )
        else:
            flash(
                _("Someone settled some of these a moment ago. Look again and save again."),
                "error",
            )
        return redirect(back)
    db.session.commit()
    flash(
        ngettext(
            "%(num)d flaw on %(name)s marked fixed in %(version)s.",
            "%(num)d flaws on %(name)s marked fixed in %(version)s.",
            len(changed),
            name=inventory.in_use(item).name,
            version=item.version,
        ),
        "success",
    )
    return redirect(back)
