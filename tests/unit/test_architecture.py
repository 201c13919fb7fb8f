"""The house rules of ENGINEERING.md, checked: imports run one way, no cycles, a pure domain."""
import re
from pathlib import Path

import grimp

SRC = Path(__file__).resolve().parents[2] / "src" / "cityops"
LAYERS = ["cityops.entrypoints", "cityops.bootstrap", "cityops.adapters", "cityops.app", "cityops.domain"]


def _layer(module: str) -> int | None:
    for i, layer in enumerate(LAYERS):
        if module == layer or module.startswith(layer + "."):
            return i
    return None


def test_no_import_runs_against_the_layer_direction():
    graph = grimp.build_graph("cityops")
    bad = []
    for module in graph.modules:
        here = _layer(module)
        for imported in graph.find_modules_directly_imported_by(module):
            there = _layer(imported)
            if here is not None and there is not None and there < here:
                bad.append(f"{module} -> {imported}")
    assert bad == []


def test_there_is_no_import_cycle():
    graph = grimp.build_graph("cityops")
    modules = sorted(m for m in graph.modules if m.startswith("cityops"))
    edges = {m: sorted(i for i in graph.find_modules_directly_imported_by(m) if i.startswith("cityops")) for m in modules}
    state: dict[str, int] = {}
    cycles = []

    def visit(m, stack):
        state[m] = 1
        stack.append(m)
        for n in edges.get(m, []):
            if state.get(n) == 1:
                cycles.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n, stack)
        stack.pop()
        state[m] = 2

    for m in modules:
        if m not in state:
            visit(m, [])
    # a package importing its own submodule from __init__ is not a cycle worth failing on
    real = [c for c in cycles if not all(x.startswith(c[0]) or c[0].startswith(x) for x in c)]
    assert real == []


def test_domain_reads_no_clock_and_imports_no_framework():
    forbidden = re.compile(r"^\s*(from|import)\s+(sqlalchemy|fastapi|starlette|pydantic|httpx|psycopg|typer|alembic)\b", re.M)
    clock = re.compile(r"(datetime|date)\.(now|today|utcnow)\(|time\.time\(\)")
    offenders = []
    for path in (SRC / "domain").rglob("*.py"):
        text = path.read_text("utf-8")
        if forbidden.search(text) or clock.search(text):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []
