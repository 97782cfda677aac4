"""`flask kev import`: the shipped snapshot, idempotency, changes, and every refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.exposure import catalog
from portal.extensions import db
from portal.kev.catalog import CatalogRefused, parse_catalog
from portal.models import KevEntry, KevEntryFamily, KevImport
from tests.kev.catalogs import entry, load, raw, small, snapshot


def _families_of(app: Flask, cve: str) -> set[str]:
    with app.app_context():
        return set(
            db.session.scalars(
                sa.select(KevEntryFamily.family_key).where(KevEntryFamily.cve_id == cve)
            )
        )


def test_the_shipped_snapshot_imports_with_its_real_entries(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["kev", "import"])
    assert result.exit_code == 0, result.output
    assert "Imported catalog 2026.08.21" in result.output and "1674 entries" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KevEntry)) == 1674
        unitronics = db.session.scalars(
            sa.select(KevEntry).where(KevEntry.vendor_project == "Unitronics")
        ).all()
        assert [e.product for e in unitronics] == ["Vision PLC and HMI"]
        status = catalog.status()
        assert status is not None and status.version == "2026.08.21" and status.entries == 1674
    assert _families_of(app, unitronics[0].cve_id) == {"unitronics-vision"}
    fortios = _real_cve("Fortinet", "FortiOS")
    assert "fortinet-fortios" in _families_of(app, fortios)
    ivanti = _real_cve("Ivanti", "Connect Secure")
    assert "ivanti-connect-secure" in _families_of(app, ivanti)
    # The same file again: nothing changes, no second import is recorded.
    again = runner.invoke(args=["kev", "import"])
    assert again.exit_code == 0 and "already the one in use" in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KevImport)) == 1


def _real_cve(vendor: str, product_contains: str) -> str:
    return next(
        v["cveID"]
        for v in snapshot()["vulnerabilities"]
        if v["vendorProject"] == vendor and product_contains in v["product"]
    )


def test_a_new_catalog_adds_changes_and_removes_in_place(app: Flask) -> None:
    first = load(app, small())
    assert first.import_id is not None and len(first.added) == first.entries
    document = small(version="2026.08.22", add=[entry("CVE-2026-99001", "Fortinet", "FortiOS")])
    changed_cve = document["vulnerabilities"][0]["cveID"]
    document["vulnerabilities"][0]["requiredAction"] = "Apply the new fix."
    dropped = document["vulnerabilities"].pop(1)["cveID"]
    document["count"] = len(document["vulnerabilities"])
    second = load(app, document)
    assert second.added == ["CVE-2026-99001"]
    assert second.changed == [changed_cve] and second.removed == [dropped]
    with app.app_context():
        kept = db.session.get(KevEntry, changed_cve)
        assert kept is not None and kept.required_action == "Apply the new fix."
        assert kept.first_import_id == first.import_id  # added by the first import
        assert kept.changed_import_id == second.import_id
        assert db.session.get(KevEntry, dropped) is None
        new = db.session.get(KevEntry, "CVE-2026-99001")
        assert new is not None and new.first_import_id == second.import_id
    assert "fortinet-fortios" in _families_of(app, "CVE-2026-99001")


def _broken(kind: str) -> bytes:
    document = small()
    if kind == "not json":
        return b"<html>Service unavailable</html>"
    if kind == "wrong schema":
        document["vulnerabilities"][0]["cveID"] = "CVE-XXXX"
    if kind == "missing field":
        del document["vulnerabilities"][3]["requiredAction"]
    if kind == "duplicate":
        document["vulnerabilities"].append(dict(document["vulnerabilities"][0]))
        document["count"] += 1
    if kind == "cut short":
        document["vulnerabilities"] = document["vulnerabilities"][:5]
    if kind == "50 MB":
        return raw(document) + b" " * (50 * 1024 * 1024)
    if kind == "NUL":
        document["vulnerabilities"][0]["product"] = "Forti\x00OS"
    if kind == "long vendor":
        document["vulnerabilities"][0]["vendorProject"] = "V" * 201
    if kind == "older":
        document["dateReleased"] = "2025-01-02T03:04:05.000Z"
    if kind == "shrunk":
        document["vulnerabilities"] = document["vulnerabilities"][:3]
        document["count"] = 3
    return raw(document)


REASONS = {
    "not json": "not JSON",
    "wrong schema": "does not match",
    "missing field": "'requiredAction' is a required property",
    "duplicate": "CVE ids appear more than once",
    "cut short": "may be cut short",
    "50 MB": "The file is 52.5 MB; a KEV catalog is under 20 MB",
    "NUL": "NUL character",
    "long vendor": "vendorProject is longer than 200 characters",
    "older": "older than the one in use",
    "shrunk": "would remove",
}


@pytest.mark.parametrize("kind", list(REASONS))
def test_a_broken_catalog_is_refused_and_the_catalog_in_use_stays(
    app: Flask, runner: Any, tmp_path: Any, kind: str
) -> None:
    load(app, small())
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(KevEntry))
    path = tmp_path / "catalog.json"
    path.write_bytes(_broken(kind))
    result = runner.invoke(args=["kev", "import", str(path)])
    assert result.exit_code != 0
    assert "Catalog refused; the catalog in use is unchanged" in result.output
    assert REASONS[kind] in result.output, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KevEntry)) == before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(KevImport)) == 1


def test_the_domain_parser_lists_several_reasons_at_once() -> None:
    document = small()
    document["vulnerabilities"][0]["dueDate"] = "soon"
    document["vulnerabilities"][1]["dateAdded"] = "2026-13-45"
    with pytest.raises(CatalogRefused) as refused:
        parse_catalog(json.dumps(document).encode())
    assert len(refused.value.reasons) == 2
    assert all("must be dates" in r for r in refused.value.reasons)


def test_a_missing_file_is_a_clear_message(runner: Any) -> None:
    result = runner.invoke(args=["kev", "import", "/nonexistent/kev.json"])
    assert result.exit_code != 0 and "The file cannot be read" in result.output


def test_force_takes_an_older_catalog_and_if_empty_leaves_a_loaded_one(
    app: Flask, runner: Any, tmp_path: Any
) -> None:
    load(app, small())
    older = small(version="2025.01.02")
    older["dateReleased"] = "2025-01-02T03:04:05.000Z"
    path = tmp_path / "older.json"
    path.write_bytes(raw(older))
    assert runner.invoke(args=["kev", "import", str(path)]).exit_code != 0
    forced = runner.invoke(args=["kev", "import", "--force", str(path)])
    assert forced.exit_code == 0, forced.output
    assert "Imported catalog 2025.01.02" in forced.output
    kept = runner.invoke(args=["kev", "import", "--if-empty"])
    assert "loaded already" in kept.output
    with app.app_context():
        assert catalog.status() is not None and catalog.status().version == "2025.01.02"  # type: ignore[union-attr]


def test_after_an_import_postgresql_plans_with_the_new_tables_size(app: Flask) -> None:
    """Statistics taken while the catalog tables were empty (a fresh database, or an ANALYZE
    before the first import) made PostgreSQL plan the matching joins for empty tables: an
    inventory's page took 2-14 s a query. The import refreshes them."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("planner statistics are PostgreSQL's")
        db.session.execute(sa.text("ANALYZE kev_entries, kev_entry_families"))  # while empty
        db.session.commit()
    load(app, snapshot())
    with app.app_context():
        estimated = dict(
            db.session.execute(
                sa.text(
                    "SELECT relname, reltuples FROM pg_class "
                    "WHERE relname IN ('kev_entries', 'kev_entry_families')"
                )
            ).all()
        )
        actual = db.session.scalar(sa.select(sa.func.count()).select_from(KevEntryFamily))
    assert actual and actual > 1000
    assert estimated["kev_entry_families"] >= 0.9 * actual, estimated
    assert estimated["kev_entries"] > 1000, estimated
