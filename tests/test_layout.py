"""The packages by role, read from the imports (ast, nothing imported).

- worker/ is the production consumer: it imports nothing from the tooling (bookiji),
  the seed generator, the benchmarks or the tests.
- Nothing outside tests/ imports tests: not the product, not bench/, not scripts/.
- bench/ has no import cycle between its modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from bookiji.config import ROOT


def sources(*dirs: str) -> Iterator[Path]:
    for d in dirs:
        yield from sorted((ROOT / d).rglob("*.py"))


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in ``path``, lazy ones inside functions included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def offenders(dirs: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sources(*dirs):
        for line, module in imported(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    return found


def test_the_worker_imports_nothing_from_the_tooling() -> None:
    assert offenders(("worker",), ("bookiji", "bookiji_seed", "bench", "tests")) == []


def test_nothing_outside_the_tests_imports_the_tests() -> None:
    assert offenders(("worker", "bookiji", "db/seed", "bench", "scripts"), ("tests",)) == []


def test_the_check_sees_imports_at_any_depth(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "import os\ndef f():\n    from bookiji import config\n    import tests.helpers\n"
    )
    modules = {m for _, m in imported(tmp_path / "m.py")}
    assert {"os", "bookiji", "bookiji.config", "tests.helpers"} <= modules


def bench_graph() -> dict[str, set[str]]:
    """bench's modules -> the bench modules each imports (at any depth, TYPE_CHECKING too).

    ``from bench.scenarios import quote`` depends on bench.scenarios.quote; a module's
    own package (whose __init__ imports it) is no dependency of the module.
    """
    trees = {}
    for path in sources("bench"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        trees[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = ast.parse(
            path.read_text()
        )
    graph: dict[str, set[str]] = {}
    for name, tree in trees.items():
        deps: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                deps.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    deps.add(sub if sub in trees else node.module)
        graph[name] = {d for d in deps if d in trees and d != name and not name.startswith(d + ".")}
    return graph


def test_bench_has_no_import_cycle() -> None:
    edges = bench_graph()

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in edges[node]:
                if nxt == start:
                    return [*trail, start]
                if nxt not in trail:
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = [c for c in (cycle_from(n) for n in sorted(edges)) if c]
    assert cycles == [], " ; ".join(" -> ".join(c) for c in cycles)
