"""After each catalog import, products are looked up again by name — as a new one is, the most
specific name first — except where a person picked the family from the suggestions: that pick
survives every import (unless the catalog drops the family). "Keep it as I typed it" is matched
once a catalog lists that very name (tests/kev/test_exposure.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from portal.exposure import inventory
from portal.extensions import db
from portal.models import InventoryItem, Organization, User
from tests.factories import World
from tests.kev.catalogs import entry, load, small


def _add(app: Flask, world: World, vendor: str, product: str, key: str | None, picked: bool) -> int:
    with app.test_request_context():
        organization = db.session.get(Organization, world.org_a)
        user = db.session.scalar(sa.select(User).where(User.email == world.operator_a))
        assert organization is not None and user is not None
        item = inventory.add_item(
            organization,
            user,
            inventory.ProductFields("edge", vendor, product, "", True, False),
            key,
            picked,
        )
        db.session.commit()
        return item.id


def _family(app: Flask, item: int) -> tuple[str | None, bool]:
    with app.app_context():
        row = db.session.get(InventoryItem, item)
        assert row is not None
        return row.family_key, row.family_picked


def test_an_item_matched_before_a_family_split_moves_at_the_next_import(
    app: Flask, world: World
) -> None:
    """ "SonicWall SMA 1000" saved while "1000" was read as a version (on the SMA 100's
    family), not picked by anyone: the next import moves it to the SMA 1000."""
    load(app, small())
    item = _add(app, world, "SonicWall", "SMA 1000", "sonicwall-sma", picked=False)
    load(app, small(version="2026.12.01"))
    assert _family(app, item) == ("sonicwall-sma-1000", False)


def test_a_person_s_pick_survives_a_later_import(app: Flask, world: World) -> None:
    load(app, small())
    # Picked from the suggestions: Fortinet's FortiOS for a name the catalog did not know.
    picked = _add(app, world, "Acmecorp", "Widgetron", "fortinet-fortios", picked=True)
    # Matched by name, nobody chose: follows the catalog.
    by_name = _add(app, world, "Acmecorp", "Gizmo 1000", None, picked=False)
    new = [
        entry("CVE-2026-99911", "Acmecorp", "Widgetron"),
        entry("CVE-2026-99912", "Acmecorp", "Gizmo"),  # a family of its own, "gizmo"
        entry("CVE-2026-99913", "Acmecorp", "Gizmo 1000"),
    ]
    load(app, small(version="2026.12.01", add=new))
    assert _family(app, picked) == ("fortinet-fortios", True)
    # The most specific name, as the form's lookup finds it: "gizmo 1000", not "gizmo".
    key, _ = _family(app, by_name)
    assert key is not None and key.endswith("gizmo 1000"), key
