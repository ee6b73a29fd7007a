"""Routes parse, call a service and return: no module of the JSON API (`api/v1`) or of the pages
(`web/`) asks the database anything itself.

A query in a route is a second service layer: the API's trend once built a dashboard per round
in the route, and the same `select(Unit)` stood in three places. So the modules under api/v1 and
web/ may not call `select(...)`, `text(...)` or a session's `exec`, `execute`, `scalar(s)`,
`query` or `get`; the services in api/ do.
"""

from __future__ import annotations

import ast
from pathlib import Path

from api.platform.settings import ROOT

QUERY_BUILDERS = {"select", "text"}  # select(...), sa.select(...), sqlalchemy.text(...)
SESSION_CALLS = {"exec", "execute", "scalar", "scalars", "query"}  # on any receiver
SESSION_NAMES = {"session", "db_session", "db"}  # whose .get(Model, id) is a query too

# (module, function) -> why it may still query. Keep it short and explain every line.
ALLOWED: dict[tuple[str, str], str] = {}  # (module, function) -> why it must query; none now


def queries_in(path: Path) -> list[tuple[str, int, str]]:
    """(function, line, call) of every query-issuing call in a module; '' at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, function or child.name)
                continue
            if isinstance(child, ast.Call):
                call = _query_call(child.func)
                if call:
                    found.append((function, child.lineno, call))
            visit(child, function)

    visit(tree, "")
    return found


def _query_call(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name) and func.id in QUERY_BUILDERS:
        return f"{func.id}("
    if isinstance(func, ast.Attribute):
        if func.attr in QUERY_BUILDERS | SESSION_CALLS:
            return f".{func.attr}("
        if (func.attr == "get" and isinstance(func.value, ast.Name)
                and func.value.id in SESSION_NAMES):
            return f"{func.value.id}.get("
    return None


def route_modules() -> list[Path]:
    folders = (ROOT / "api" / "v1", ROOT / "web")
    return sorted(p for folder in folders for p in folder.rglob("*.py")
                  if "__pycache__" not in p.parts)


def test_no_route_module_of_the_api_or_the_pages_issues_a_query():
    offenders = [f"{path.relative_to(ROOT)}:{line} {function or '<module>'} calls {call}"
                 for path in route_modules()
                 for function, line, call in queries_in(path)
                 if (str(path.relative_to(ROOT)), function) not in ALLOWED]
    assert offenders == []


def test_the_check_sees_every_way_a_route_could_query(tmp_path):
    """The test above can fail: each spelling of a query in a route is seen, in its function."""
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "import sqlalchemy as sa\n"
        "from sqlmodel import select\n"
        "def page(session):\n"
        "    session.exec(select(Unit))\n"
        "    session.execute(sa.text('select 1'))\n"
        "    session.scalars(sa.select(Unit))\n"
        "    return session.get(Unit, 1)\n"
        "async def other(db):\n"
        "    def inner():\n"
        "        return db.query(Unit).all()\n"
        "    return inner()\n")
    assert [(f, c) for f, _, c in queries_in(sneaky)] == [
        ("page", ".exec("), ("page", "select("), ("page", ".execute("), ("page", ".text("),
        ("page", ".scalars("), ("page", ".select("), ("page", "session.get("),
        ("other", ".query(")]


def test_a_route_that_reads_through_a_service_passes(tmp_path):
    """Calling a service, or `.get` on a dict or a request's query string, is no query."""
    fine = tmp_path / "fine.py"
    fine.write_text(
        "def page(session, request, settings):\n"
        "    found = units.list_units(session=session, institution=None)\n"
        "    return request.query_params.get('lang'), {}.get('x'), settings.get('k'), found\n")
    assert queries_in(fine) == []


def test_every_allowed_query_still_names_a_function_that_exists():
    """An allow-list line for a route that was renamed or removed is a stale excuse."""
    for module, function in ALLOWED:
        tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
        assert function in {n.name for n in ast.walk(tree)
                            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}, module
