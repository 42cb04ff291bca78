"""The docs hold to the code: docs/configuration.md lists every variable bookiji/config.py reads,
with its default; the README stays short and every doc it points at exists; no tracked file names
an absolute path of one machine (a checkout, a home directory) or the team's notes outside the
repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bookiji import config
from bookiji.config import ROOT

# Not in DEFAULTS or SECRET_NAMES, but read from the environment all the same.
OTHER_VARIABLES = (
    "DATABASE_URL",
    "WORKER_DATABASE_URL",
    "WORKER_DIRECT_DATABASE_URL",
    "REALTIME_DATABASE_URL",
    "REALTIME_LISTEN_DATABASE_URL",
    "BOOKIJI_TEST_PG_PORT",
    "JWT_SECRET_PREVIOUS",
    "TRUSTED_PROXIES",
    "READ_ROUTER_DATABASE_URL",
    "READ_ROUTER_REPLICA_URL",
)

CONFIGURATION = ROOT / "docs" / "configuration.md"
README_MAX_LINES = 300


def section(text: str, heading: str) -> str:
    """The body of the `## heading` section of a markdown text (up to the next `## `)."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match is not None, f"no section '## {heading}'"
    return match.group(1)


def table_rows(text: str) -> dict[str, str]:
    """Variable name -> default column, from rows `| `NAME` | default | meaning |`."""
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]*) \|", text, re.M)
    return {name: default.strip() for name, default in rows}


def configuration_table() -> dict[str, str]:
    return table_rows(section(CONFIGURATION.read_text(), "The variables"))


def test_every_variable_is_in_the_configuration_page() -> None:
    documented = configuration_table()
    expected = {*config.DEFAULTS, *config.SECRET_NAMES, *config.OPTIONAL_NAMES, *OTHER_VARIABLES}
    assert expected - set(documented) == set(), "add these to docs/configuration.md's table"
    assert set(documented) - expected == set(), (
        "docs/configuration.md documents variables nothing reads"
    )


def test_the_configuration_page_gives_each_default_as_the_code_has_it() -> None:
    documented = configuration_table()
    for name, default in config.DEFAULTS.items():
        if name == "BOOKIJI_DATA_DIR":
            continue  # an absolute path on each machine
        assert documented[name] == f"`{default}`", name
    for name in config.SECRET_NAMES:
        assert documented[name].startswith("generated"), name
    for name in config.OPTIONAL_NAMES:
        assert documented[name] == "unset", name


def test_the_configuration_page_gives_the_test_clusters_default_port() -> None:
    source = (ROOT / "bookiji" / "scratch.py").read_text()
    default = re.search(r'os\.environ\.get\("BOOKIJI_TEST_PG_PORT", "(\d+)"\)', source)
    assert default is not None
    assert configuration_table()["BOOKIJI_TEST_PG_PORT"] == f"`{default.group(1)}`"


def test_every_tool_variable_documented_is_read_somewhere() -> None:
    documented = table_rows(section(CONFIGURATION.read_text(), "Variables of the tests and tools"))
    assert documented, "the tools' table is empty"
    sources = [*ROOT.glob("scripts/*"), ROOT / "Makefile", *ROOT.glob("tests/**/*.py")]
    text = "\n".join(p.read_text() for p in sources if p.is_file() and p != Path(__file__))
    for name in documented:
        assert name in text, f"{name} is documented but no script or test reads it"


# --- the README --------------------------------------------------------------------------


def test_the_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def local_links(path: Path) -> list[str]:
    """The relative targets of a markdown file's links, anchors included (no URL)."""
    return [t for t in LINK.findall(path.read_text()) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a markdown file's headings (lowercased, punctuation dropped,
    spaces to dashes, repeats numbered), outside fenced code."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        heading = None if fenced else re.match(r"#+ (.*)", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in local_links(path):
        file, _, fragment = target.partition("#")
        linked = (path.parent / file) if file else path
        if not linked.exists() or (
            fragment and linked.suffix == ".md" and fragment not in anchors(linked)
        ):
            broken.append(target)
    return broken


def test_the_readme_points_at_every_doc_and_each_exists() -> None:
    readme = ROOT / "README.md"
    targets = [t.partition("#")[0] for t in local_links(readme)]
    for doc in ("architecture", "configuration", "api", "operations", "performance", "decisions"):
        assert f"docs/{doc}.md" in targets, f"the README does not link docs/{doc}.md"
    assert broken_links(readme) == [], "README.md links to missing files or headings"


@pytest.mark.parametrize(
    "doc",
    sorted(
        p.relative_to(ROOT).as_posix() for p in [*ROOT.glob("docs/*.md"), ROOT / "db" / "README.md"]
    ),
)
def test_every_link_between_the_docs_resolves(doc: str) -> None:
    assert broken_links(ROOT / doc) == [], f"{doc} links to missing files or headings"


def test_the_link_checker_finds_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Title\n\n## The deploy path (`bookiji/deploy.py`)\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#the-deploy-path-bookijideploypy) [ok](#here) [ok](https://x.test/a)\n"
        "## Here\n[gone](missing.md) [no heading](other.md#the-deploy-path)\n"
    )
    assert broken_links(page) == ["missing.md", "other.md#the-deploy-path"]


def test_the_docs_that_moved_out_of_the_readme_have_their_homes() -> None:
    """Each section the README used to hold, by a heading in the page it moved to."""
    homes = {
        "architecture.md": ("Components", "Roles", "The life of one booking"),
        "operations.md": ("The make verbs", "The deploy path", "Data and logs", "Docker", "Tests"),
        "api.md": ("Calling the API", "The main endpoints"),
        "performance.md": ("Method", "Current figures", "Where the targets stand", "Lessons"),
        "decisions.md": ("Where the code differs from the design",),
    }
    for doc, headings in homes.items():
        text = (ROOT / "docs" / doc).read_text()
        for heading in headings:
            assert re.search(rf"^#+ {re.escape(heading)}", text, re.M), f"{doc}: {heading}"


def test_the_docker_section_names_every_compose_service() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    services = re.findall(r"^  ([a-z][a-z0-9-]*):\n", section_of_yaml(compose, "services"), re.M)
    assert len(services) >= 5
    docker = section((ROOT / "docs" / "operations.md").read_text(), "Docker")
    missing = [s for s in services if f"`{s}`" not in docker]
    assert missing == [], f"docs/operations.md's Docker section omits {missing}"


def section_of_yaml(text: str, key: str) -> str:
    match = re.search(rf"^{key}:\n(.*?)(?=^\S|\Z)", text, re.M | re.S)
    assert match is not None
    return match.group(1)


# --- no machine's paths -------------------------------------------------------------------

# An absolute path that only exists on one machine: a checkout or a scratch directory
# (/work/..., /tmp/...), a home directory (/home/..., /root/..., /Users/...), a mount.
# System paths of the packages the code runs (/usr/..., /etc/..., /var/..., /proc/...,
# /var/tmp/... under /var) are the same on every Debian machine and are fine.
MACHINE_PATH = re.compile(
    r"(?<![\w.~/-])/(?:work|home|root|tmp|Users|mnt|media|scratch)/[\w.~-][\w.~/-]*"
)
# The team's notes live next to the repository, not in it: the product never points there.
SHARED_NOTES = re.compile(r"\.\./shared\b|(?<![\w.-])shared/(?:DESIGN|STYLE)\.md")
EXEMPT = ("tests/", ".ci/")


def machine_paths(text: str) -> list[str]:
    found = [m.group(0) for m in MACHINE_PATH.finditer(text)]
    return found + [m.group(0) for m in SHARED_NOTES.finditer(text)]


@pytest.mark.parametrize(
    "planted",
    [
        "The target design is `/work/shared/DESIGN.md`'s.",
        '"command": "/work/main/.venv/bin/python3 -m worker"',
        "cd /home/alice/bookiji && make up",
        "the checkout under /root/bookiji",
        "written to /tmp/bookiji-bench.json",
        "see ../shared/STYLE.md",
        "the house rules (shared/STYLE.md)",
    ],
)
def test_the_checker_finds_a_planted_machine_path(planted: str) -> None:
    assert machine_paths(f"some text\n{planted}\nmore text") != []


@pytest.mark.parametrize(
    "legitimate",
    [
        "nginx_binary = '/usr/sbin/nginx'",
        "/usr/lib/postgresql/15/bin/pgbench -n -c 4",
        "include /etc/nginx/modules-enabled/*.conf;",
        "the cluster's directory is /var/tmp/bookiji-pg-<hash>",
        "--home /var/lib/bookiji/gateway",
        "cat /proc/sys/kernel/random/uuid",
        "relative: .data/pg, worker/tasks/, docs/operations.md",
        "http://127.0.0.1:3000/rpc/health and https://example.com/home/x",
    ],
)
def test_the_checker_lets_system_paths_through(legitimate: str) -> None:
    assert machine_paths(legitimate) == []


def tracked_text_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [p for p in out.split("\0") if p and not p.startswith(EXEMPT)]


def test_no_tracked_file_names_a_machine_path() -> None:
    offenders = {}
    for rel in tracked_text_files():
        path = ROOT / rel
        if not path.is_file():
            continue  # deleted in the work tree
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary (the benchmark charts)
        found = machine_paths(data.decode("utf-8", errors="replace"))
        if found:
            offenders[rel] = sorted(set(found))[:3]
    assert offenders == {}, f"machine-specific paths in tracked files: {offenders}"
