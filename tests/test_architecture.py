"""The layers of ARCHITECTURE.md, held against the code: no module imports a higher layer, no
two packages import each other (directly or round a loop), no import hides inside a function,
and the assessment layer imports no Flask."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent / "portal"

# Lowest first. A module belongs to the layer of the longest prefix that names it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "domain core",
        ("portal.questionnaire", "portal.scoring", "portal.remediation", "portal.kev"),
    ),
    (
        "foundation",
        (
            "portal.config",
            "portal.models",
            "portal.extensions",
            "portal.safe_json",
            "portal.geography",
            "portal.counties",
            "portal.client",
            "portal.origin",
            "portal.forms",
            "portal.readonly",
            "portal.jobs",
            "portal.templating",
            "portal.i18n",
            "portal.transitions",
            "portal.ops.requests",
            "portal.ops.instruments",
        ),
    ),
    (
        "shared services",
        (
            "portal.audit",
            "portal.access",
            "portal.questionnaire_versions",
            "portal.figures",
            "portal.auth.passwords",
            "portal.auth.sessions",
            "portal.auth.throttle",
            "portal.auth.second_factor",
            "portal.auth.passkeys",
            "portal.auth.service",
            "portal.auth.redirects",
            "portal.auth.decorators",
            "portal.auth.tokens",
            "portal.mail",
        ),
    ),
    (
        "services",
        (
            "portal.assessments",
            "portal.toolrequests.service",
            "portal.review.queue",
            "portal.admin.directory",
            "portal.admin.service",
            "portal.exposure",
        ),
    ),
    ("documents", ("portal.reports", "portal.exports")),
    (
        "web",
        (
            "portal.assessment_views",
            "portal.review",
            "portal.toolrequests",
            "portal.admin",
            "portal.auth",
            "portal.organizations",
            "portal.main",
            "portal.devmail",
            "portal.inventory",
            "portal.ops",
        ),
    ),
    (
        "application",
        (
            "portal.app",
            "portal.cli",
            "portal.devdata",
            "portal.worker",
            "portal.rq_settings",
            "portal",
        ),
    ),
]
# Lazy on purpose, not to dodge a cycle: the domain core imports without Flask (portal/__init__).
ALLOWED_LAZY = {("portal", "portal.app")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PORTAL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PORTAL.rglob("*.py")):
        yield module_name(path), path


def layer_of(module: str) -> int:
    best, best_length = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS and ARCHITECTURE.md"
    return best


def imports(path: Path) -> Iterator[tuple[str, bool]]:
    """(imported portal module, whether the import sits inside a function), skipping imports
    under ``if TYPE_CHECKING:`` (annotations only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = module_name(path)

    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[str, bool]]:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, in_function
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative
                package = name.split(".")[: -node.level or None]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                yield (
                    f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base,
                    (in_function),
                )
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            yield from visit(child, nested)

    for target, in_function in visit(tree, False):
        if target == "portal" or target.startswith("portal."):
            yield target, in_function


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split("."))
    return (PORTAL.parent / relative).with_suffix(".py").exists() or (
        PORTAL.parent / relative / "__init__.py"
    ).exists()


def unit(module: str) -> str:
    """The package (or top-level module) a module belongs to: portal.assessments.saving ->
    portal.assessments."""
    return ".".join(module.split(".")[:2])


def test_no_module_imports_a_higher_layer() -> None:
    wrong = []
    for name, path in modules():
        own = layer_of(name)
        for target, _ in imports(path):
            if layer_of(target) > own and (name, target) not in ALLOWED_LAZY:
                wrong.append(
                    f"{name} ({LAYERS[own][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
                )
    assert not wrong, "\n".join(wrong)


def test_no_import_hides_inside_a_function() -> None:
    hidden = [
        f"{name} imports {target} inside a function"
        for name, path in modules()
        for target, in_function in imports(path)
        if in_function and (name, target) not in ALLOWED_LAZY
    ]
    assert not hidden, "\n".join(hidden)


def imports_inside_functions(source: str) -> Iterator[tuple[int, str]]:
    """(line, statement) of every import, of any package, inside a function."""

    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[int, str]]:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if nested and isinstance(child, ast.Import | ast.ImportFrom):
                yield child.lineno, ast.unparse(child)
            yield from visit(child, nested)

    yield from visit(ast.parse(source), False)


def test_no_library_import_hides_inside_a_function_either() -> None:
    """Redis, RQ, Prometheus and the standard library are imported at the top like the rest:
    a late import hides what a module needs and saves nothing once the app runs."""
    hidden = [
        f"{name}:{line} {statement}"
        for name, path in modules()
        for line, statement in imports_inside_functions(path.read_text(encoding="utf-8"))
        if not any(name == lazy and target in statement for lazy, target in ALLOWED_LAZY)
    ]
    assert not hidden, "\n".join(hidden)
    planted = "def f():\n    from redis.exceptions import TimeoutError\n    return TimeoutError\n"
    assert list(imports_inside_functions(planted)) == [
        (2, "from redis.exceptions import TimeoutError")
    ]


def test_no_two_packages_import_each_other() -> None:
    graph: dict[str, set[str]] = {}
    for name, path in modules():
        for target, _ in imports(path):
            if unit(target) != unit(name) and (name, target) not in ALLOWED_LAZY:
                graph.setdefault(unit(name), set()).add(unit(target))
    loops = []
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                loops.append(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not loops, "package loops:\n" + "\n".join(loops)


def test_the_assessment_layer_imports_no_flask() -> None:
    direct = [
        f"{name} imports {alias.name}"
        for name, path in modules()
        if name.startswith("portal.assessments")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
        if alias.name.split(".")[0] in ("flask", "flask_login", "flask_wtf", "werkzeug")
    ]
    assert not direct, "\n".join(direct)


def test_the_check_itself_sees_a_wrong_import(tmp_path: Path) -> None:
    """The walker finds an upward import and one inside a function (so the tests above can
    fail)."""
    sample = PORTAL / "scoring" / "engine.py"
    found = {target for target, _ in imports(sample)}
    assert "portal.questionnaire.model" in found
    assert layer_of("portal.assessment_views.wizard") > layer_of("portal.assessments.saving")
    assert layer_of("portal.auth.routes") > layer_of("portal.auth.service")


# Who may change an object's status: its owner, through its transition table. (The development
# dataset generator writes a made-up history in bulk, statuses included, and is the one other.)
STATUS_OWNERS = {
    "AssessmentStatus": "portal.assessments.lifecycle",
    "ToolRequestStatus": "portal.toolrequests.service",
}
STATUS_WRITERS_ALLOWED = {"portal.devdata.dataset"}


def status_writes(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) for each place that may set an assessment's or a tool request's status: an
    assignment to ``….status``, ``setattr(…, "status", …)``, and a ``status=`` argument that
    names a status enum's member or stands in ``.values(…)`` or in ``Assessment(…)`` /
    ``ToolRequest(…)`` (whatever its value)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    yield node.lineno, f"{ast.unparse(target)} = {ast.unparse(node.value)}"
        elif isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            if (
                called == "setattr"
                and len(node.args) > 1
                and ast.unparse(node.args[1])
                in (
                    "'status'",
                    '"status"',
                )
            ):
                yield node.lineno, ast.unparse(node)[:100]
            for keyword in node.keywords:
                if keyword.arg != "status":
                    continue
                names = {n.id for n in ast.walk(keyword.value) if isinstance(n, ast.Name)}
                enums = sorted(names & set(STATUS_OWNERS))
                model = called.rsplit(".", 1)[-1]
                if enums or model in ("values", "Assessment", "ToolRequest"):
                    what = ", ".join(enums) or model
                    yield keyword.value.lineno, f"status={ast.unparse(keyword.value)} ({what})"


def _status_writes_out_of_place(name: str, source: str) -> list[str]:
    wrong = []
    for line, what in status_writes(source):
        enums = [e for e in STATUS_OWNERS if e in what]
        owners = {STATUS_OWNERS[e] for e in enums} or set(STATUS_OWNERS.values())
        if name in owners | STATUS_WRITERS_ALLOWED:
            continue
        # An assignment to some other model's status (the outbox's own rows) is not ours.
        if not enums and "OutboxStatus" in source and name == "portal.mail.outbox":
            continue
        wrong.append(f"{name}:{line} sets a status outside its owner: {what}")
    return wrong


def test_only_the_owner_changes_an_assessment_or_tool_request_status() -> None:
    wrong = [
        problem
        for name, path in modules()
        for problem in _status_writes_out_of_place(name, path.read_text(encoding="utf-8"))
    ]
    assert not wrong, "\n".join(wrong)


def test_the_status_check_itself_sees_a_view_that_moves_a_status() -> None:
    view = (
        "def accept(item):\n"
        "    item.status = AssessmentStatus.ACCEPTED\n"
        "    db.session.add(ToolRequest(status=ToolRequestStatus.APPROVED))\n"
    )
    found = _status_writes_out_of_place("portal.review.routes", view)
    assert len(found) == 2 and "item.status" in found[0] and "ToolRequestStatus" in found[1]
    # The same lines in their owners pass.
    owner = "def submit(a):\n    a.status = AssessmentStatus(assessment_transition(a, 's'))\n"
    assert _status_writes_out_of_place("portal.assessments.lifecycle", owner) == []
    sneaky = (
        "def f(a, new):\n"
        "    db.session.execute(sa.update(Assessment).values(status=new))\n"
        "    setattr(a, 'status', 'accepted')\n"
        "    db.session.add(ToolRequest(status='approved'))\n"
    )
    assert len(_status_writes_out_of_place("portal.review.routes", sneaky)) == 3


# A view parses, calls a service, commits once and renders: it writes no row itself and audits
# no change (the service that makes a change writes its audit row). What a view may audit is
# what was read or refused where it happened: an export, a throttled attempt.
_ROW_STATEMENTS = {"insert", "update", "delete"}
_AUDITS = {"record", "record_for"}
_READ_OR_REFUSED = re.compile(r"(exported|throttled)$")


def view_writes(source: str) -> Iterator[tuple[int, str]]:
    """(line, call) for each row write and each audit of a change in ``source``, however the
    call is spelled: ``db.session.add``/``session.add``, ``sa.insert``/``insert`` (as
    imported), ``audit.record``/``record``."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
        if (
            name in ("add", "add_all", "delete", "merge", "bulk_save_objects")
            and owner.endswith("session")
        ) or (name in _ROW_STATEMENTS and owner in ("", "sa", "sqlalchemy")):
            yield node.lineno, ast.unparse(node)[:100]
        elif name in _AUDITS and owner in ("", "audit"):
            action = next(
                (a for a in node.args if isinstance(a, ast.Constant | ast.JoinedStr)), None
            )
            text = ast.unparse(action) if action is not None else ""
            if not _READ_OR_REFUSED.search(text.strip("'\"")):
                yield node.lineno, ast.unparse(node)[:100]


def test_no_view_writes_a_row_or_audits_a_change() -> None:
    web = next(i for i, (layer, _) in enumerate(LAYERS) if layer == "web")
    wrong = [
        f"{name}:{line} {call}"
        for name, path in modules()
        if layer_of(name) == web
        for line, call in view_writes(path.read_text(encoding="utf-8"))
    ]
    assert not wrong, "a view writes what its service should:\n" + "\n".join(wrong)


def test_the_view_check_itself_sees_a_planted_write() -> None:
    view = (
        "def approve(item):\n"
        "    db.session.add(Note(item))\n"
        "    audit.record_for(item, 'tool_request.approved')\n"
        "    audit.record(f'admin.user_{change}')\n"
        "    audit.record('review.queue_exported', rows=3)\n"
        "    audit.record('auth.reset_throttled', outcome='denied')\n"
        "    session.delete(item)\n"
        "    db.session.execute(insert(Note).values(x=1))\n"
        "    record('invitation.revoked')\n"
        "    values.update({'a': 1})\n"
    )
    assert sorted(line for line, _ in view_writes(view)) == [2, 3, 4, 7, 8, 9]
