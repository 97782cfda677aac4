"""CISA's Known Exploited Vulnerabilities catalog: read, checked, or refused with the reasons.

The catalog is JSON published by CISA (schema: data/kev/known_exploited_vulnerabilities_schema.json,
shipped beside a snapshot). A document that is too large, not JSON, not valid against the schema,
or that repeats a CVE id or miscounts its entries is refused as a whole: the portal keeps the
catalog it has rather than import half of a broken one.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import jsonschema

from portal.kev import shipped

DATA_DIR = shipped.ROOT / "data" / "kev"
SNAPSHOT = DATA_DIR / "known_exploited_vulnerabilities.json"
SCHEMA = DATA_DIR / "known_exploited_vulnerabilities_schema.json"
FEED_URL = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
MAX_BYTES = 20 * 1024 * 1024  # the whole catalog is 1.6 MB in 2026
MAX_TEXT = 10_000  # characters in any one field
# Names stored in columns of these lengths (portal/models/kev.py); CISA's are far shorter.
FIELD_LENGTHS = {"cveID": 30, "vendorProject": 200, "product": 300}
MAX_VERSION = 40
MAX_REASONS = 10


class CatalogRefused(ValueError):
    """The document is not a catalog the portal will import; ``reasons`` says why, in words."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class KevEntry:
    cve_id: str
    vendor_project: str
    product: str
    vulnerability_name: str
    date_added: date
    short_description: str
    required_action: str
    due_date: date
    known_ransomware: bool
    notes: str
    cwes: tuple[str, ...]


@dataclass(frozen=True)
class KevCatalog:
    version: str
    released_at: datetime
    entries: tuple[KevEntry, ...]


def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return schema


def parse_catalog(raw: bytes, schema: dict[str, Any] | None = None) -> KevCatalog:
    """The catalog in ``raw``, or :class:`CatalogRefused` with every reason found (up to 10)."""
    if len(raw) > MAX_BYTES:
        size, limit = len(raw) / 1e6, MAX_BYTES // 2**20
        raise CatalogRefused([f"The file is {size:.1f} MB; a KEV catalog is under {limit} MB."])
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise CatalogRefused(["The file is not JSON (or not UTF-8 text)."]) from None
    validator = jsonschema.Draft7Validator(schema or load_schema())
    problems = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if problems:
        raise CatalogRefused([_describe(p) for p in problems[:MAX_REASONS]])
    vulnerabilities = document["vulnerabilities"]
    reasons: list[str] = []
    counts = Counter(v["cveID"] for v in vulnerabilities)
    repeated = sorted(cve for cve, n in counts.items() if n > 1)
    if repeated:
        reasons.append(f"CVE ids appear more than once: {', '.join(repeated[:5])}.")
    if document["count"] != len(vulnerabilities):
        reasons.append(
            f"The catalog says it has {document['count']} entries but holds "
            f"{len(vulnerabilities)}: the file may be cut short."
        )
    if not vulnerabilities:
        reasons.append("The catalog has no entries.")
    if len(str(document["catalogVersion"])) > MAX_VERSION:
        reasons.append(f"catalogVersion is longer than {MAX_VERSION} characters.")
    released = _datetime(document["dateReleased"])
    if released is None:
        reasons.append(f"dateReleased {document['dateReleased'][:40]!r} is not a date and time.")
    entries: list[KevEntry] = []
    for index, item in enumerate(vulnerabilities):
        entry, problem = _entry(index, item)
        if problem:
            reasons.append(problem)
        elif entry is not None:
            entries.append(entry)
        if len(reasons) >= MAX_REASONS:
            break
    if reasons or released is None:
        raise CatalogRefused(reasons[:MAX_REASONS])
    return KevCatalog(str(document["catalogVersion"]), released, tuple(entries))


def _entry(index: int, item: dict[str, Any]) -> tuple[KevEntry | None, str | None]:
    where = f"Entry {index + 1} ({str(item['cveID'])[:30]})"
    texts = {k: v for k, v in item.items() if isinstance(v, str)}
    for key, value in texts.items():
        if "\x00" in value:
            return None, f"{where}: {key} contains a NUL character."
        limit = FIELD_LENGTHS.get(key, MAX_TEXT)
        if len(value) > limit:
            return None, f"{where}: {key} is longer than {limit:,} characters."
    added, due = _date(item["dateAdded"]), _date(item["dueDate"])
    if added is None or due is None:
        return None, f"{where}: dateAdded and dueDate must be dates (YYYY-MM-DD)."
    return (
        KevEntry(
            cve_id=item["cveID"],
            vendor_project=" ".join(item["vendorProject"].split()),
            product=" ".join(item["product"].split()),
            vulnerability_name=item["vulnerabilityName"].strip(),
            date_added=added,
            short_description=item["shortDescription"].strip(),
            required_action=item["requiredAction"].strip(),
            due_date=due,
            known_ransomware=str(item.get("knownRansomwareCampaignUse", "")).lower() == "known",
            notes=str(item.get("notes", "")).strip(),
            cwes=tuple(item.get("cwes", ())),
        ),
        None,
    )


def _describe(error: jsonschema.ValidationError) -> str:
    path = "/".join(str(p) for p in error.absolute_path) or "the document"
    return f"At {path}: {error.message[:200]}"


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _datetime(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
