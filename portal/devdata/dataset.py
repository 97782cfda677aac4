"""A realistic national-size dataset for benchmarks (``flask generate-dataset``).

The shape follows the order's target population: about 1,800 rural hospitals, 4,000 community
banks and credit unions, 50,000 community water systems and 3,000 small electric utilities,
spread over the 50 states in proportion to their number of counties (small utilities follow
rural geography). Each organization has a latent maturity that drives its answers and improves a
little with every assessment; scores are computed by the real scoring engine, and the stored
aggregates (per-priority scores, critical gaps, latest-submission flag) are written alongside, so
the data looks to every page exactly like data the portal produced itself.

Rows are written with bulk inserts, in chunks of organizations, one transaction per chunk;
answers go through PostgreSQL's COPY when the database is PostgreSQL.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from portal import questionnaire_versions
from portal.assessments.lifecycle import StoredScore
from portal.auth.passwords import hash_password
from portal.counties import County, state_counties
from portal.devdata.inventories import inventory_for
from portal.exposure import catalog as kev_catalog
from portal.extensions import db
from portal.geography import STATES
from portal.models import (
    Assessment,
    AssessmentCriticalGap,
    AssessmentPriorityScore,
    InventoryItem,
    Jurisdiction,
    Organization,
    OrganizationSector,
    StatusChange,
    ToolRequest,
    ToolRequestItem,
    User,
    coordinator_jurisdictions,
    name_key,
    utcnow,
)
from portal.questionnaire.model import (
    DONT_KNOW,
    NOT_APPLICABLE,
    Condition,
    Question,
    Questionnaire,
)
from portal.scoring import score_assessment

PASSWORD = "national-dataset-2026"  # noqa: S105 - benchmark accounts, refused in production
DOMAIN = "national.example.org"
MARKER_EMAIL = f"admin@{DOMAIN}"

# Counties (or equivalents) per state, 2020 census.
COUNTIES = {
    "AL": 67, "AK": 30, "AZ": 15, "AR": 75, "CA": 58, "CO": 64, "CT": 8, "DE": 3, "FL": 67,
    "GA": 159, "HI": 5, "ID": 44, "IL": 102, "IN": 92, "IA": 99, "KS": 105, "KY": 120, "LA": 64,
    "ME": 16, "MD": 24, "MA": 14, "MI": 83, "MN": 87, "MS": 82, "MO": 115, "MT": 56, "NE": 93,
    "NV": 17, "NH": 10, "NJ": 21, "NM": 33, "NY": 62, "NC": 100, "ND": 53, "OH": 88, "OK": 77,
    "OR": 36, "PA": 67, "RI": 5, "SC": 46, "SD": 66, "TN": 95, "TX": 254, "UT": 29, "VT": 14,
    "VA": 133, "WA": 39, "WV": 55, "WI": 72, "WY": 23,
}  # fmt: skip
TOWN_STARTS = [
    "Cedar",
    "Oak",
    "Pine",
    "Maple",
    "Elm",
    "Spring",
    "Mill",
    "River",
    "Lake",
    "Fair",
    "Green",
    "Clear",
    "Rock",
    "Sand",
    "Ash",
    "Willow",
    "Bear",
    "Eagle",
    "Fox",
    "Deer",
    "Silver",
    "Iron",
    "Stone",
    "Red",
    "White",
    "Blue",
    "High",
    "Long",
    "Brook",
    "Hazel",
]
TOWN_ENDS = (
    "ville ton field wood dale burg port ford view ridge haven mont land creek",
    " Falls| Springs| Hill| Valley| Grove| Junction| City",
)
NAME_PATTERNS = {
    "water": ("{town} Water District", "City of {town} Water Works", "{county} Rural Water Supply"),
    "bank": (
        "{town} Community Bank",
        "First National Bank of {town}",
        "{town} Federal Credit Union",
    ),
    "hospital": ("{county} County Memorial Hospital", "{town} Regional Medical Center"),
    "electric": ("{county} Electric Cooperative", "{town} Municipal Light and Power"),
}
# Share of organizations per sector (the order's population), and how they are owned.
SECTOR_SHARE = {"water": 50_000, "bank": 4_000, "electric": 3_000, "hospital": 1_800}
OWNERSHIP = {
    "water": (("public", 80), ("private", 12), ("cooperative", 6), ("tribal", 2)),
    "bank": (("private", 70), ("cooperative", 30)),
    "electric": (("cooperative", 60), ("public", 38), ("tribal", 2)),
    "hospital": (("nonprofit", 55), ("public", 35), ("private", 8), ("tribal", 2)),
}
SIZES = {
    "water": (("micro", 75), ("small", 20), ("medium", 5)),
    "bank": (("small", 55), ("medium", 40), ("micro", 5)),
    "electric": (("small", 60), ("micro", 25), ("medium", 15)),
    "hospital": (("small", 45), ("medium", 45), ("large", 10)),
}
NOT_STARTED_SHARE = 0.08  # registered, nothing started yet
OPEN_DRAFT_SHARE = 0.2  # of started organizations: one assessment still being filled in
RETURNED_SHARE = 0.15  # of those open ones: returned by the coordinator
TOOL_REQUEST_SHARE = 0.15  # of submitted assessments
HISTORY_YEARS = 3


@dataclass
class Counts:
    organizations: int = 0
    users: int = 0
    assessments: int = 0
    answers: int = 0
    tool_requests: int = 0
    inventory_items: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        rate = self.answers / self.seconds if self.seconds else 0
        return (
            f"{self.organizations:,} organizations, {self.users:,} users, "
            f"{self.assessments:,} assessments, {self.answers:,} answers, "
            f"{self.tool_requests:,} tool requests, {self.inventory_items:,} products in use "
            f"in {self.seconds:,.0f} s "
            f"({rate:,.0f} answers/s)"
        )


@dataclass
class _Ids:
    """Next primary key per table: rows are inserted with their ids, so no RETURNING round trip."""

    next: dict[str, int] = field(default_factory=dict)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _counties(state: str) -> list[County]:
    """The state's real counties (portal/counties.py), so the county map has every place."""
    counties = state_counties(state)
    assert counties is not None, state
    return list(counties.counties)


def _towns() -> list[str]:
    ends = TOWN_ENDS[0].split() + TOWN_ENDS[1].split("|")
    return [start + end for start in TOWN_STARTS for end in ends]


class Answerer:
    """Draws answers for an organization of a given maturity (0 = nothing in place, 1 = all)."""

    def __init__(self, questionnaire: Questionnaire, rng: random.Random) -> None:
        self.questionnaire = questionnaire
        self.rng = rng
        # Facts that decide nothing else (no question is shown or service offered on them: the
        # grant-reporting facts of 2026.5) are drawn from a generator of their own, seeded from
        # the main one's state without drawing from it: adding such a question never reshuffles
        # the answers drawn for the rest (the typical operators, the benchmarks' datasets).
        self.facts = random.Random(hash(rng.getstate()))  # noqa: S311 - fake data
        self.deciding = _deciding_questions(questionnaire)
        self._questions: dict[tuple[str, ...], list[tuple[Question, list[str]]]] = {}

    def questions(self, modules: tuple[str, ...]) -> list[tuple[Question, list[str]]]:
        if modules not in self._questions:
            self._questions[modules] = [
                (q, [o.value for o in sorted(q.options, key=lambda o: o.points or 0)])
                for q in self.questionnaire.questions_in(modules)
            ]
        return self._questions[modules]

    def answers(self, modules: tuple[str, ...], maturity: float, share: float) -> dict[str, str]:
        rng = self.rng
        result: dict[str, str] = {}
        for question, values in self.questions(modules):
            if share < 1 and rng.random() > share:
                continue
            if question.profile and question.id not in self.deciding:
                fact = self._fact(question, values, maturity, result)
                if fact is not None:
                    result[question.id] = fact
                continue
            if question.profile:
                result[question.id] = rng.choice(values)
                continue
            roll = rng.random()
            if roll < 0.04:
                result[question.id] = DONT_KNOW
            elif roll < 0.07 and question.allows_na:
                result[question.id] = NOT_APPLICABLE
            else:
                index = round(rng.gauss(maturity * (len(values) - 1), 0.7))
                result[question.id] = values[min(max(index, 0), len(values) - 1)]
        return result

    def _fact(
        self, question: Question, values: list[str], maturity: float, answers: dict[str, str]
    ) -> str | None:
        """A reporting fact, given what was answered before it: asked only where shown, never
        contradicting the earlier answer it agrees with, "yes" about as often as maturity."""
        if question.show_if is not None and not question.show_if.holds(answers):
            return None
        agreement = question.agrees_with
        if agreement is not None:
            earlier = answers.get(agreement.question_id)
            values = [v for v in values if not agreement.clash(v, earlier)]
        if "yes" in values and self.facts.random() < maturity:
            return "yes"
        return self.facts.choice(values)


def _deciding_questions(questionnaire: Questionnaire) -> frozenset[str]:
    """Profile questions that another question's show-if or a service's eligibility reads."""
    found: set[str] = set()

    def walk(condition: Condition | None) -> None:
        if condition is None:
            return
        if condition.question_id:
            found.add(condition.question_id)
        for child in condition.children:
            walk(child)

    for question in questionnaire.questions_in([m.id for m in questionnaire.modules]):
        walk(question.show_if)
    for tool in questionnaire.tools:
        found.update(r.when_question for r in tool.rules if r.when_question)
    return frozenset(found)


def _assessment_counts(rng: random.Random, organizations: int, total: int) -> list[int]:
    """How many assessments each organization has, summing to ``total``."""
    started = [i for i in range(organizations) if rng.random() >= NOT_STARTED_SHARE]
    counts = [0] * organizations
    if not started:
        return counts
    mean = total / len(started)
    for i in started:
        counts[i] = max(1, round(rng.gauss(mean, max(mean / 3, 0.5))))
    difference = total - sum(counts)
    while difference:
        i = rng.choice(started)
        if difference > 0:
            counts[i] += 1
            difference -= 1
        elif counts[i] > 1:
            counts[i] -= 1
            difference += 1
    return counts


def generate(
    organizations: int,
    assessments: int,
    *,
    seed: int = 2026,
    chunk: int = 2_000,
    report: Callable[[str], None] = print,
) -> Counts:
    """Add ``organizations`` organizations with ``assessments`` assessments in all."""
    if db.session.scalar(sa.select(User.id).where(User.email == MARKER_EMAIL)):
        raise ValueError("This database already holds a generated dataset.")
    started_at = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - reproducible fake data, not secrets
    questionnaire = questionnaire_versions.current()
    version = questionnaire_versions.publish_current()
    counts = Counts()
    ids = _Ids({t: _next_id(t) for t in ("organizations", "users", "assessments", "tool_requests")})
    password_hash = hash_password(PASSWORD)  # one hash for every generated account (argon2 is slow)
    coordinators = _staff(password_hash, ids)
    counts.users += len(coordinators) + 1
    db.session.commit()

    states = list(COUNTIES)
    state_weights = [COUNTIES[s] for s in states]
    sectors = list(SECTOR_SHARE)
    sector_weights = [SECTOR_SHARE[s] for s in sectors]
    counties = {s: _counties(s) for s in states}
    towns = _towns()
    answerer = Answerer(questionnaire, rng)
    per_org = _assessment_counts(rng, organizations, assessments)
    used_names: set[tuple[str, str]] = set()
    now = datetime.now(UTC)
    tools = [t.id for t in questionnaire.tools]
    # Inventories draw from their own generator, so adding them left every other table as the
    # same seed made it before. Names resolve against the catalog in the database (the curated
    # families alone if none is imported yet; `flask kev import` matches the rest later).
    inventory_rng = random.Random(seed + 1)  # noqa: S311 - fake data
    families = kev_catalog.product_catalog()
    family_of: dict[tuple[str, str], str | None] = {}

    for first in range(0, organizations, chunk):
        rows: dict[str, list[dict[str, Any]]] = {
            "organizations": [],
            "organization_sectors": [],
            "users": [],
            "assessments": [],
            "assessment_priority_scores": [],
            "assessment_critical_gaps": [],
            "status_changes": [],
            "tool_requests": [],
            "tool_request_items": [],
            "inventory_items": [],
        }
        answers: list[tuple[int, str, str, str, int, datetime, int]] = []
        for index in range(first, min(first + chunk, organizations)):
            sector = rng.choices(sectors, weights=sector_weights)[0]
            org_sectors = [sector]
            if sector == "water" and rng.random() < 0.03:  # a town running water and power
                org_sectors.append("electric")
            state = rng.choices(states, weights=state_weights)[0]
            county = rng.choice(counties[state])
            name = rng.choice(NAME_PATTERNS[sector]).format(
                town=rng.choice(towns), county=county.name.removesuffix(" city")
            )
            while (state, name_key(name)) in used_names:
                name = f"{name.split(' No. ')[0]} No. {rng.randint(2, 999)}"
            used_names.add((state, name_key(name)))
            org_id = ids.take("organizations")
            joined = now - timedelta(days=rng.uniform(30, 365 * HISTORY_YEARS + 30))
            rows["organizations"].append(
                {
                    "id": org_id,
                    "name": name,
                    "name_key": name_key(name),
                    "state": state,
                    "county": county.name,
                    "county_fips": county.fips,
                    "ownership": _weighted(rng, OWNERSHIP[sector]),
                    "size_band": _weighted(rng, SIZES[sector]),
                    "is_active": True,
                    "created_at": joined,
                }
            )
            rows["organization_sectors"] += [
                {"organization_id": org_id, "sector": s} for s in org_sectors
            ]
            user_id = ids.take("users")
            rows["users"].append(
                {
                    "id": user_id,
                    "email": f"it{org_id}@{DOMAIN}",
                    "full_name": f"IT Lead {org_id}",
                    "password_hash": password_hash,
                    "role": "operator",
                    "organization_id": org_id,
                    "is_active": True,
                    "created_at": joined,
                    "password_changed_at": joined,
                    "email_confirmed_at": joined,
                }
            )
            counts.organizations += 1
            counts.users += 1
            for item in inventory_for(org_sectors, inventory_rng):
                typed = (item.vendor, item.product)
                if typed not in family_of:
                    known = families.resolve(*typed)
                    family_of[typed] = known.key if known else None
                rows["inventory_items"].append(
                    {
                        "organization_id": org_id,
                        "category": item.category,
                        "vendor": item.vendor,
                        "product": item.product,
                        "version": item.version,
                        "internet_facing": item.internet_facing,
                        "managed_by_msp": item.managed_by_msp,
                        "family_key": family_of[typed],
                        "match_name": families.lookup_name(*typed),
                        "created_at": joined,
                        "updated_at": joined,
                        "updated_by_id": user_id,
                    }
                )
                counts.inventory_items += 1
            modules = tuple(questionnaire.modules_for(org_sectors))
            maturity = rng.betavariate(2, 2.5)
            n = per_org[index]
            open_last = n > 0 and rng.random() < OPEN_DRAFT_SHARE
            slot = (now - joined) / (n + 0.5)
            previous_id: int | None = None
            for k in range(n):
                assessment_id = ids.take("assessments")
                # Each assessment lives in its own time slot, so dates follow the order of k.
                created = joined + slot * (k + rng.random() * 0.3)
                is_open = open_last and k == n - 1
                returned = is_open and rng.random() < RETURNED_SHARE
                share = 1.0 if not is_open or returned else rng.uniform(0.2, 0.95)
                given = answerer.answers(modules, min(maturity + 0.06 * k, 1.0), share)
                row: dict[str, Any] = {
                    "id": assessment_id,
                    "organization_id": org_id,
                    "questionnaire_version_id": version.id,
                    "modules": list(modules),
                    "status": "draft",
                    "lock_version": 1,
                    "previous_assessment_id": previous_id,
                    "created_by_id": user_id,
                    "created_at": created,
                    "updated_at": created,
                    "is_latest_submission": False,
                    "submitted_at": None,
                    "submitted_by_id": None,
                    "decided_at": None,
                    "overall_score": None,
                    "overall_tier": None,
                    "critical_gap_count": None,
                    "score_detail": None,
                }
                changes: list[tuple[str | None, str, datetime]] = [(None, "draft", created)]
                if not is_open or returned:
                    submitted = created + slot * rng.uniform(0.05, 0.3)
                    # Scored by the real engine and stored as a submission stores it.
                    stored = StoredScore.of(score_assessment(questionnaire, modules, given))
                    row.update(
                        submitted_at=submitted,
                        submitted_by_id=user_id,
                        updated_at=submitted,
                        status="submitted",
                        **stored.columns,
                    )
                    changes.append(("draft", "submitted", submitted))
                    # The newest submission is often still waiting for review; older ones
                    # were accepted (or returned, for the open one).
                    waiting = k >= n - 2 and rng.random() < 0.45
                    decision = "returned" if returned else None if waiting else "accepted"
                    if decision:
                        decided = submitted + slot * rng.uniform(0.05, 0.3)
                        row.update(status=decision, decided_at=decided)
                        changes.append(("submitted", decision, decided))
                    rows["assessment_priority_scores"] += [
                        {"assessment_id": assessment_id, "priority_id": pid, "score": score}
                        for pid, score in stored.priority_scores
                    ]
                    rows["assessment_critical_gaps"] += [
                        {"assessment_id": assessment_id, "question_id": qid}
                        for qid in stored.critical_gaps
                    ]
                    if not returned and rng.random() < TOOL_REQUEST_SHARE:
                        _tool_request(rows, ids, rng, tools, org_id, assessment_id, user_id,
                                      submitted, coordinators.get(state))  # fmt: skip
                        counts.tool_requests += 1
                rows["assessments"].append(row)
                rows["status_changes"] += [
                    {"assessment_id": assessment_id, "from_status": a, "to_status": b,
                     "actor_id": user_id, "at": at}
                    for a, b, at in changes
                ]  # fmt: skip
                answers += [
                    (assessment_id, qid, value, "", 1, row["updated_at"], user_id)
                    for qid, value in given.items()
                ]
                counts.assessments += 1
                if row["status"] in ("submitted", "accepted"):
                    previous_id = assessment_id
            if previous_id is not None:
                for row in reversed(rows["assessments"]):
                    if row["id"] == previous_id:
                        row["is_latest_submission"] = True
                        break
        _write(rows, answers)
        counts.answers += len(answers)
        db.session.commit()
        counts.seconds = time.perf_counter() - started_at
        report(counts.line())
    _reset_sequences()
    # Planner statistics: until autovacuum gets round to the new rows, PostgreSQL plans with
    # empty ones (a Texas queue page 2 took 224 s right after loading, 19 ms after ANALYZE).
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    counts.seconds = time.perf_counter() - started_at
    return counts


def _staff(password_hash: str, ids: _Ids) -> dict[str, int]:
    """An admin and one statewide coordinator per state; returns state -> coordinator id."""
    admin_id = ids.take("users")
    db.session.execute(
        sa.insert(User),
        [
            {
                "id": admin_id,
                "email": MARKER_EMAIL,
                "full_name": "National Admin",
                "password_hash": password_hash,
                "role": "admin",
                "email_confirmed_at": utcnow(),
            }
        ],
    )
    coordinators = {}
    for state in COUNTIES:
        jurisdiction = Jurisdiction(name=f"{STATES[state]} (national dataset)", state=state)
        db.session.add(jurisdiction)
        db.session.flush()
        user_id = ids.take("users")
        db.session.execute(
            sa.insert(User),
            [
                {
                    "id": user_id,
                    "email": f"coordinator-{state.lower()}@{DOMAIN}",
                    "full_name": f"{STATES[state]} Coordinator",
                    "password_hash": password_hash,
                    "role": "coordinator",
                    "email_confirmed_at": utcnow(),
                }
            ],
        )
        db.session.execute(
            sa.insert(coordinator_jurisdictions),
            [{"user_id": user_id, "jurisdiction_id": jurisdiction.id}],
        )
        coordinators[state] = user_id
    return coordinators


def _tool_request(
    rows: dict[str, list[dict[str, Any]]],
    ids: _Ids,
    rng: random.Random,
    tools: list[str],
    org_id: int,
    assessment_id: int,
    user_id: int,
    submitted: datetime,
    coordinator_id: int | None,
) -> None:
    request_id = ids.take("tool_requests")
    status = _weighted(rng, (("submitted", 35), ("approved", 45), ("denied", 5), ("fulfilled", 15)))
    decided = status != "submitted"
    rows["tool_requests"].append(
        {
            "id": request_id,
            "organization_id": org_id,
            "assessment_id": assessment_id,
            "status": status,
            "lock_version": 1,
            "contact_name": f"IT Lead {org_id}",
            "contact_email": f"it{org_id}@{DOMAIN}",
            "contact_phone": "",
            "justification": "Gaps named in our readiness assessment.",
            "decision_reason": "Eligible." if decided else "",
            "created_by_id": user_id,
            "decided_by_id": coordinator_id if decided else None,
            "created_at": submitted,
            "updated_at": submitted,
        }
    )
    rows["tool_request_items"] += [
        {"request_id": request_id, "tool_id": t} for t in rng.sample(tools, rng.randint(1, 3))
    ]


TABLES: dict[str, type[Any]] = {
    "organizations": Organization,
    "organization_sectors": OrganizationSector,
    "users": User,
    "assessments": Assessment,
    "assessment_priority_scores": AssessmentPriorityScore,
    "assessment_critical_gaps": AssessmentCriticalGap,
    "status_changes": StatusChange,
    "tool_requests": ToolRequest,
    "tool_request_items": ToolRequestItem,
    "inventory_items": InventoryItem,
}
ANSWER_COLUMNS = ("assessment_id", "question_id", "value", "note", "revision", "updated_at",
                  "updated_by_id")  # fmt: skip


def _write(rows: dict[str, list[dict[str, Any]]], answers: list[tuple[Any, ...]]) -> None:
    connection = db.session.connection()
    for name, table in TABLES.items():  # in foreign-key order
        for batch in _batches(rows[name], 5_000):
            connection.execute(sa.insert(table), batch)
    if connection.dialect.name == "postgresql":
        # COPY is several times faster than multi-row INSERT for the ~80 answers per assessment.
        raw = connection.connection.driver_connection
        assert raw is not None
        naive = [(*a[:5], a[5].astimezone(UTC).replace(tzinfo=None), a[6]) for a in answers]
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY answers ({', '.join(ANSWER_COLUMNS)}) FROM STDIN") as copy,
        ):
            for answer in naive:
                copy.write_row(answer)
    else:
        # SQLite: the driver's executemany, with timestamps in the text form SQLAlchemy stores
        # (its per-row type processing tripled the time of this step).
        raw = connection.connection.driver_connection
        assert raw is not None
        stamp = "%Y-%m-%d %H:%M:%S.%f"
        raw.executemany(
            "INSERT INTO answers (assessment_id, question_id, value, note, revision, updated_at,"
            " updated_by_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(*a[:5], a[5].astimezone(UTC).strftime(stamp), a[6]) for a in answers],
        )


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _next_id(table: str) -> int:
    return (db.session.scalar(sa.text(f"SELECT MAX(id) FROM {table}")) or 0) + 1  # noqa: S608


def _reset_sequences() -> None:
    """PostgreSQL: rows were inserted with explicit ids, so move each id sequence past them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ("organizations", "users", "assessments", "tool_requests", "jurisdictions"):
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )
