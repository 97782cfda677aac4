"""Property-based hostile requests (hypothesis): for every URL rule, random path values, query
strings, form bodies and JSON bodies of any depth, size and type, sent by each kind of actor
with and without a valid CSRF token.

Two properties, on SQLite and on PostgreSQL: no request answers 5xx, and a refused request
(4xx) changes no stored data. Bounded in time: a fixed number of examples per rule, one world
per actor (one test each, so they run side by side under pytest-xdist), no shrinking database
on disk.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import re
import urllib.parse
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage
from werkzeug.routing import IntegerConverter, Rule
from werkzeug.test import encode_multipart

from portal.extensions import db
from portal.models import User
from tests.factories import World
from tests.web import csrf_token, login

EXAMPLES_PER_RULE_AND_ACTOR = 6
# Written by refused requests on purpose: the audit trail of refusals, sign-in throttling
# counts, session activity, answers kept from a post whose login had expired.
NOT_STORED_DATA = {"audit_events", "login_attempts", "user_sessions", "pending_saves"}
ACTORS = ("anonymous", "operator_a", "coordinator_x", "admin")

# --- strategies -----------------------------------------------------------------------------------

nasty_text = st.sampled_from(
    [
        "",
        "0",
        "-1",
        "2147483648",
        "9" * 5000,
        "1e999",
        "NaN",
        "\x00",
        "nul\x00byte",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "' OR '1'='1",
        "[" * 1400 + "]" * 1400,
        base64.urlsafe_b64encode(b"[" * 1400 + b"]" * 1400).decode(),
        "x" * 70_000,
        "goto-99999999999999999999",
        "true",
        "null",
    ]
)
text = st.one_of(nasty_text, st.text(max_size=40))
known_keys = st.sampled_from(
    [
        "after",
        "status",
        "sort",
        "q",
        "state",
        "page",
        "org_page",
        "user_page",
        "restore",
        "progress",
        "before",
        "next",
        "action",
        "tools",
        "body",
        "question_id",
        "reason",
        "email",
        "password",
        "current",
        "confirm",
        "full_name",
        "organization_name",
        "sectors",
        "ownership",
        "size_band",
        "county",
        "jurisdictions",
        "counties",
        "contact_name",
        "contact_email",
        "justification",
        "restore_token",
        "next_url",
        "a__core__security_lead",
        "n__core__security_lead",
        "r__core__security_lead",
        "choice__core.security_lead",
        "mine_value__core.security_lead",
        "theirs_revision__core.security_lead",
    ]
)
keys = st.one_of(known_keys, st.text(min_size=1, max_size=12))
fields = st.dictionaries(keys, st.one_of(text, st.lists(text, max_size=3)), max_size=8)

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_value = st.recursive(
    json_leaf,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.one_of(known_keys, st.text(max_size=8)), children, max_size=4)
    ),
    max_leaves=25,
)


@st.composite
def json_body(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["value", "deep", "deep", "deep", "autosave", "number"]))
    if kind == "deep":
        # Deep enough to exhaust a recursive parser, or just past the portal's own bound.
        depth = draw(st.sampled_from([1400, 5000, 100_000, 21, 3]))
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        return (opener * depth + ("1" if opener != "[" else "") + closer * depth).encode()
    if kind == "autosave":
        return json.dumps(
            {
                "question_id": draw(st.one_of(st.just("core.security_lead"), text)),
                "value": draw(json_value),
                "note": draw(json_value),
                "revision": draw(json_value),
            }
        ).encode()
    if kind == "number":
        digits = draw(st.sampled_from([5000, 4301, 21, 1]))
        return ('{"question_id": "core.security_lead", "organization": {"id": ' + "7" * digits
                + '}, "revision": ' + "7" * digits + "}").encode()  # fmt: skip
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    return json.dumps(draw(json_value)).encode()


@st.composite
def cursor_query(draw: st.DrawFn) -> dict[str, Any]:
    """A page-cursor parameter carrying any JSON (cursors are base64 of JSON), and others."""
    cursor = base64.urlsafe_b64encode(draw(json_body())).decode().rstrip("=")
    return draw(fields) | {"after": cursor}


# --- the test -------------------------------------------------------------------------------------


def _path(rule: Rule, values: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        return str(values[match.group(1)])

    return re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", fill, re.sub(r"<any\([^)]*\):", "<", rule.rule))


# The same few long hostile values come back in thousands of requests; percent-encoding them
# afresh each time (urllib does it a character at a time) was a third of this test's time.
_quote = functools.lru_cache(maxsize=4096)(urllib.parse.quote_plus)


def _urlencoded(values: dict[str, Any]) -> str:
    """``values`` as the test client would encode them (lists as repeated keys)."""
    return urllib.parse.urlencode(values, doseq=True, quote_via=_quote)


def _path_values(rule: Rule, objects: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    real = st.sampled_from(
        [objects["submitted"], objects["draft"], objects["request"], objects["org_a"]]
    )
    # Real objects half the time: small ids exist on a fresh SQLite file but not on a reused
    # PostgreSQL database (sequences carry on), so edge values alone reach different routes.
    ids = st.one_of(
        real,
        real,
        st.sampled_from([0, 1, 2, 2**31 - 1, 2**31, 10**30]),
        st.integers(min_value=0, max_value=10**6),
    )
    strategies: dict[str, st.SearchStrategy[Any]] = {}
    for name, converter in rule._converters.items():
        items = getattr(converter, "items", None)
        if items is not None:  # any(...)
            strategies[name] = st.sampled_from(sorted(items))
        elif isinstance(converter, IntegerConverter):
            strategies[name] = ids
        else:
            strategies[name] = st.one_of(
                st.just(objects["invitation_token"]), st.text(alphabet="abcXYZ-_09", max_size=60)
            )
    return st.fixed_dictionaries(strategies)


_WRITE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?([a-z_]+)", re.IGNORECASE)


class CommittedWrites:
    """The tables that committed writes touched, from the engine's own events: every INSERT,
    UPDATE and DELETE a connection runs (the ORM's flushes included) is noted on it, and kept
    when that connection commits, dropped when it rolls back. A refused request must commit
    none to stored data — stricter than comparing the rows (an UPDATE that leaves a row as it
    was counts too), and cheap enough to check every request (a digest of every row cost
    four times the request itself)."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine
        self.tables: set[str] = set()

    def __enter__(self) -> CommittedWrites:
        sa.event.listen(self.engine, "before_cursor_execute", self._executing)
        sa.event.listen(self.engine, "commit", self._committed)
        sa.event.listen(self.engine, "rollback", self._rolled_back)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._executing)
        sa.event.remove(self.engine, "commit", self._committed)
        sa.event.remove(self.engine, "rollback", self._rolled_back)

    def _executing(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        found = _WRITE.match(statement)
        if found:
            conn.info.setdefault("hostile_writes", set()).add(found.group(1).lower())

    def _committed(self, conn: Any) -> None:
        self.tables |= conn.info.pop("hostile_writes", set())

    def _rolled_back(self, conn: Any) -> None:
        conn.info.pop("hostile_writes", None)

    def take(self) -> set[str]:
        """The tables written and committed since the last call (outside NOT_STORED_DATA)."""
        found, self.tables = self.tables - NOT_STORED_DATA, set()
        return found


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.usefixtures("pdf_cache")  # a plan's PDF rendered once, not at every request for it
def test_no_request_to_any_route_answers_5xx_or_changes_data_when_refused(
    app: Flask, world: World, objects: dict[str, Any], actor: str
) -> None:
    """One actor per test (the four run side by side under pytest-xdist)."""
    clients: dict[str, FlaskClient] = {}
    tokens: dict[str, str] = {}
    roles = {}
    with app.app_context():
        for name in ACTORS[1:]:
            user = db.session.scalar(sa.select(User).where(User.email == getattr(world, name)))
            assert user is not None
            roles[user.id] = user.role

    def sign_everyone_in() -> None:
        """Every account active and in its role again, and this test's actor signed in afresh:
        an earlier allowed request may have signed it out, deactivated someone or changed a
        role (admin routes)."""
        with app.app_context():
            for user_id, role in roles.items():
                db.session.execute(
                    sa.update(User).where(User.id == user_id).values(is_active=True, role=role)
                )
            db.session.commit()
        clients[actor] = app.test_client()
        if actor != "anonymous":
            assert login(clients[actor], getattr(world, actor)).status_code == 302
        page = clients[actor].get("/" if actor != "anonymous" else "/login")
        tokens[actor] = csrf_token(page.get_data(as_text=True))

    rules = sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule
    )
    assert len(rules) > 40

    def hostile_requests_to(rule: Rule, actor: str) -> Any:
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        client, token = clients[actor], tokens[actor]
        # A route that takes a body has more ways to go wrong, so it gets more tries.
        examples = EXAMPLES_PER_RULE_AND_ACTOR * (2 if "POST" in methods else 1)

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        @given(
            method=st.sampled_from(methods),
            values=_path_values(rule, objects),
            query=st.one_of(fields, cursor_query()),
            body_kind=st.sampled_from(["form", "json", "upload"]),
            form=fields,
            body=json_body(),
            with_token=st.sampled_from([True, True, True, False]),
        )
        def check(
            method: str,
            values: dict[str, Any],
            query: dict[str, Any],
            body_kind: str,
            form: dict[str, Any],
            body: bytes,
            with_token: bool,
        ) -> None:
            path = _path(rule, values)
            csrf = {"csrf_token": token} if with_token else {}
            kwargs: dict[str, Any] = {
                "query_string": _urlencoded(query),
                "headers": {"X-CSRFToken": token} if with_token else {},
            }
            if method == "POST" and body_kind == "form":
                kwargs["data"] = _urlencoded(form | csrf)
                kwargs["content_type"] = "application/x-www-form-urlencoded"
            elif method == "POST" and body_kind == "json":
                kwargs["data"] = body
                kwargs["content_type"] = "application/json"
            elif method == "POST" and body_kind == "upload":
                # Encoded in memory (the client spools large bodies to a file it never closes).
                upload = FileStorage(io.BytesIO(body), "export.json")
                boundary, kwargs["data"] = encode_multipart(form | csrf | {"file": upload})
                kwargs["content_type"] = f"multipart/form-data; boundary={boundary}"
            writes.take()
            response = client.open(path, method=method, **kwargs)
            status = response.status_code
            response.close()
            where = f"{method} {path[:120]} as {actor}: {status}"
            assert status < 500, where
            if status < 400:
                answered.add(rule.rule)
            if status >= 400:
                changed = writes.take()
                assert not changed, f"refused, yet stored data changed ({changed}): {where}"

        return check

    answered: set[str] = set()
    with app.app_context():
        engine = db.engine
    with CommittedWrites(engine) as writes:
        for rule in rules:
            sign_everyone_in()
            hostile_requests_to(rule, actor)()
    if actor == "anonymous":
        return  # (its "answers" are redirects to the sign-in page)
    # The requests reached real objects, not only 404s (found in review: ids were once drawn as
    # text, all 404): of the routes taking an id that this actor can reach with a plain request
    # on a real object, most answered a random one too. Measured against what the actor may
    # reach, not all 27, so a coordinator (about 10 reachable) is held to the same share.
    with_ids = [
        r for r in rules if any(isinstance(c, IntegerConverter) for c in r._converters.values())
    ]
    sign_everyone_in()
    reachable = {
        r.rule for r in with_ids if _plainly_reachable(r, objects, clients[actor], tokens[actor])
    }
    assert reachable, f"{actor} reaches no route that takes an id"
    missed = sorted(reachable - answered)
    assert len(reachable & answered) >= 0.7 * len(reachable), missed


def _plainly_reachable(
    rule: Rule, objects: dict[str, Any], client: FlaskClient, token: str
) -> bool:
    """Whether a plain request (GET, or an empty POST with the token) on one of the real objects
    answers below 400."""
    real = (objects["submitted"], objects["draft"], objects["request"], objects["org_a"])
    methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
    for object_id in real:
        values: dict[str, Any] = {}
        for name, converter in rule._converters.items():
            items = getattr(converter, "items", None)
            if items is not None:
                values[name] = sorted(items)[0]
            elif isinstance(converter, IntegerConverter):
                values[name] = object_id
            else:
                values[name] = objects["invitation_token"]
        path = _path(rule, values)
        if "GET" in methods:
            response = client.get(path)
        else:
            response = client.post(path, data={"csrf_token": token})
        status = response.status_code
        response.close()
        if status < 400:
            return True
    return False


def test_the_write_detector_sees_committed_writes_and_not_rolled_back_ones(
    app: Flask, world: World
) -> None:
    """The detector the property rests on, both ways: a committed change to stored data is
    seen (through the ORM's flush, in the table's name), a rolled-back one is not, and the
    tables kept on purpose (NOT_STORED_DATA) are left out."""
    from portal.models import AuditEvent, Organization

    with app.app_context(), CommittedWrites(db.engine) as writes:
        organization = db.session.get(Organization, world.org_a)
        assert organization is not None
        organization.county = "Elsewhere"
        db.session.flush()
        db.session.rollback()
        assert writes.take() == set()
        organization = db.session.get(Organization, world.org_a)
        assert organization is not None
        organization.county = "Elsewhere"
        db.session.add(AuditEvent(action="test.only", object_type="Organization"))
        db.session.commit()
        assert writes.take() == {"organizations"}
