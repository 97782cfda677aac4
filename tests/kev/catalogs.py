"""KEV catalogs for tests: the shipped snapshot, and small documents cut from it."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from portal.exposure import updates
from portal.exposure.catalog import ImportReport
from portal.extensions import db
from portal.kev.catalog import SNAPSHOT
from portal.questionnaire.model import Question
from tests.domain.operators import HOSPITAL, Operator, Product, answers_of
from tests.factories import World, submit_assessment
from tests.web import login, post_form

# Vendors small operators run (the families tests match against), a small catalog to import fast.
SMALL_VENDORS = {
    "Fortinet",
    "Ivanti",
    "Unitronics",
    "ConnectWise",
    "Progress",
    "Veeam",
    "Synacor",
    "Palo Alto Networks",
}


@functools.cache
def _snapshot_text() -> str:
    return SNAPSHOT.read_text(encoding="utf-8")


def snapshot() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(_snapshot_text())
    return document


def small(
    *,
    version: str = "2026.08.21",
    add: list[dict[str, Any]] | None = None,
    drop: set[str] | None = None,
) -> dict[str, Any]:
    document = snapshot()
    kept = [
        v
        for v in document["vulnerabilities"]
        if v["vendorProject"].strip() in SMALL_VENDORS and v["cveID"] not in (drop or set())
    ]
    kept += [copy.deepcopy(v) for v in add or []]
    document["vulnerabilities"] = kept
    document["count"] = len(kept)
    document["catalogVersion"] = version
    return document


def entry(cve: str, vendor: str, product: str, *, ransomware: bool = False) -> dict[str, Any]:
    return {
        "cveID": cve,
        "vendorProject": vendor,
        "product": product,
        "vulnerabilityName": f"{vendor} {product} Remote Code Execution Vulnerability",
        "dateAdded": "2026-11-30",
        "shortDescription": f"{product} lets an unauthenticated attacker run code.",
        "requiredAction": "Apply mitigations per vendor instructions or discontinue use.",
        "dueDate": "2026-12-21",
        "knownRansomwareCampaignUse": "Known" if ransomware else "Unknown",
        "notes": "https://example.com/advisory",
        "cwes": ["CWE-78"],
    }


def raw(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


def load(app: Flask, document: dict[str, Any] | bytes, source: str = "test") -> ImportReport:
    data = document if isinstance(document, bytes) else raw(document)
    with app.app_context():
        return updates.import_and_notify(data, source, commit=db.session.commit)


PRODUCTS = "/organization/products/"


def add_product(client: FlaskClient, **fields: Any) -> Any:
    """Post the "Add a product" form as a person fills it (the page first, for its token)."""
    data = {
        "category": "edge",
        "vendor": "",
        "product": "",
        "version": "",
        "internet_facing": "no",
        "managed_by": "us",
        **fields,
    }
    return post_form(client, PRODUCTS, data, page=PRODUCTS)


def type_products(client: FlaskClient, products: Iterable[Product]) -> list[Any]:
    """Each of an operator's products typed into the "Add a product" form; the responses."""
    return [
        add_product(
            client,
            category=item.category,
            vendor=item.vendor,
            product=item.product,
            version=item.version,
            internet_facing="yes" if item.internet_facing else "no",
            managed_by="msp" if item.managed_by_msp else "us",
        )
        for item in products
    ]


def submit_hospital(
    app: Flask, client: FlaskClient, world: World, operator: Operator = HOSPITAL, **kwargs: Any
) -> int:
    """The 25-bed hospital of tests/domain/operators.py (or a variant of it): its products typed
    into the form (the KEV snapshot loaded), its answers submitted."""
    load(app, SNAPSHOT.read_bytes(), source=str(SNAPSHOT))
    login(client, world.operator_a)
    for response in type_products(client, operator.products):
        assert response.status_code == 302
    with app.app_context():
        from portal import questionnaire_versions

        answers = answers_of(questionnaire_versions.current(), operator)

    def answer(question: Question) -> str:
        return answers[question.id]

    return submit_assessment(app, world, answer=answer, **kwargs)
