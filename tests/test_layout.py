"""The packages by role, read from the imports (ast, nothing imported).

- worker/ is the production consumer: it imports nothing from the tooling (bookiji),
  the seed generator, the benchmarks or the tests.
- Nothing outside tests/ imports tests: not the product, not bench/, not scripts/.
- bench/ has no import cycle between its modules.
- What runs in production imports only the runtime lock, and the image installs only that.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
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


def test_the_realtime_service_imports_nothing_from_the_tooling_or_the_worker() -> None:
    assert offenders(("realtime",), ("bookiji", "bookiji_seed", "bench", "tests", "worker")) == []


def test_nothing_outside_the_tests_imports_the_tests() -> None:
    assert (
        offenders(("worker", "realtime", "bookiji", "db/seed", "bench", "scripts"), ("tests",))
        == []
    )


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


def runtime_lock() -> set[str]:
    """The distributions of requirements.lock (the runtime set the image installs)."""
    names = re.findall(r"^([A-Za-z0-9_.-]+)==", (ROOT / "requirements.lock").read_text(), re.M)
    return {n.lower().replace("_", "-") for n in names}


def third_party(path: Path, *, lazy: bool) -> Iterator[tuple[int, str]]:
    """(line, top-level module) of the imports outside the project and the standard library."""
    tree = ast.parse(path.read_text())
    nodes = ast.walk(tree) if lazy else iter(tree.body)
    for node in nodes:
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and top not in PROJECT:
                yield node.lineno, top


PROJECT = {"worker", "realtime", "bookiji", "bookiji_seed", "bench", "tests", "__future__"}
# Development tooling built on a dev-only package at module level (localstripe's classes
# are subclassed): allowed only while no module of the
# command line imports it at module level (checked below), so that it loads only inside
# the command that uses it.
DEV_ONLY_MODULES = {
    "bookiji/stripe_connect.py": "bookiji.stripe_connect",
    "bookiji/stripe_disputes.py": "bookiji.stripe_disputes",
}


def test_what_runs_in_production_needs_only_the_runtime_lock() -> None:
    """Every import of the worker (lazy ones too), and every module-level import of the
    command line, comes from requirements.lock; the dev-only side services (localstripe,
    the SMTP sink, honcho) are imported inside the commands that start them."""
    dists = importlib.metadata.packages_distributions()
    lock = runtime_lock()
    missing = []
    for d, lazy in (("worker", True), ("realtime", True), ("bookiji", False), ("db/seed", False)):
        for path in sources(d):
            if str(path.relative_to(ROOT)) in DEV_ONLY_MODULES:
                continue
            for line, top in third_party(path, lazy=lazy):
                owners = {n.lower().replace("_", "-") for n in dists.get(top, [top])}
                if not owners & lock:
                    missing.append(f"{path.relative_to(ROOT)}:{line}: {top}")
    assert missing == []


def test_dev_only_modules_are_imported_only_inside_commands() -> None:
    eager = []
    for d in ("worker", "realtime", "bookiji", "db/seed"):
        for path in sources(d):
            if path.relative_to(ROOT).as_posix() in DEV_ONLY_MODULES:
                continue  # one dev-only module may build on another (disputes on Connect's helpers)
            for node in ast.parse(path.read_text()).body:
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                eager += [
                    f"{path.relative_to(ROOT)}:{node.lineno}: {n}"
                    for n in names
                    if n in DEV_ONLY_MODULES.values()
                ]
    assert eager == []


def test_the_image_installs_only_the_runtime_lock() -> None:
    dockerfile = (ROOT / "docker" / "app" / "Dockerfile").read_text()
    default = dockerfile.rsplit("\nFROM ", 1)[1]
    assert default.startswith("runtime AS app"), "the last stage (the default target) is runtime"
    # every stage the default target is built from: runtime, then its parents
    stages = {
        m.group(2): (m.group(1), m.group(3))
        for m in re.finditer(r"^FROM (\S+) AS (\S+)\n(.*?)(?=^FROM |\Z)", dockerfile, re.M | re.S)
    }
    chain, stage = "", "runtime"
    while stage in stages:
        parent, body = stages[stage]
        chain += body
        stage = parent
    assert "--require-hashes -r requirements.lock" in chain
    assert "-r requirements-dev.lock" not in chain
    assert "-r requirements-dev.lock" in stages["dev-deps"][1]  # the dev target's, apart


def test_the_dev_lock_holds_the_runtime_lock_at_the_same_versions() -> None:
    def pins(name: str) -> set[str]:
        return set(re.findall(r"^([A-Za-z0-9_.-]+==\S+)", (ROOT / name).read_text(), re.M))

    assert pins("requirements.lock") <= pins("requirements-dev.lock")


def test_every_package_is_in_pyprojects_list() -> None:
    """[tool.setuptools] lists the packages by hand (bookiji_seed is mapped to db/seed)."""
    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("worker", "realtime", "bookiji", "bench")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert setup["package-dir"] == {"bookiji_seed": "db/seed"}
    assert set(setup["packages"]) == {*found, "bookiji_seed"}


RUNTIME = ("worker/retry.py", "worker/runner.py", "worker/registry.py")
VENDORS = ("stripe", "twilio", "smtplib")


def vendor_imports(paths: tuple[str, ...]) -> list[str]:
    found = []
    for rel in paths:
        for line, module in imported(ROOT / rel):
            if any(module == v or module.startswith(v + ".") for v in VENDORS):
                found.append(f"{rel}:{line}: {module}")
    return found


def test_the_worker_runtime_imports_no_vendor_sdk() -> None:
    """Each task family brings its vendor's retry classifier (registry.classifier): the
    runtime (the loop, the retry verdict, the registry) imports no Stripe, Twilio or smtplib."""
    assert vendor_imports(RUNTIME) == []
