"""db/functions/ reads in dependency order: each file uses only what it or an earlier file defines.

Deploy applies the files in lexical order. A plpgsql body is resolved when it runs, so a
forward reference deploys, but a `language sql` body or a view is checked when it is
created, and a reader goes top to bottom: the rule holds for every reference. The names
are parsed from the files (no database needed); the planted cases prove the check fails.
"""

from __future__ import annotations

import re

from bookiji import deploy

FUNCTIONS = deploy.DB_DIR / "functions"
README = deploy.DB_DIR / "README.md"

_DEFINES = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?:function|procedure|view)\s+((?:internal|auth|api)\.\w+)",
    re.IGNORECASE,
)
# a call (or a trigger's `execute function x()`) of a project schema's function
_CALLS = re.compile(r"\b((?:internal|auth|api)\.\w+)\s*\(", re.IGNORECASE)
# what is not code: `comment on ... is '...'` / `$$...$$`, drop statements, line comments
_COMMENT_ON = re.compile(
    r"\bcomment\s+on\s+.*?\bis\s+(?:'(?:[^']|'')*'|\$\$.*?\$\$)\s*;", re.IGNORECASE | re.DOTALL
)
_DROP = re.compile(r"^\s*drop\s+[^;]*;", re.IGNORECASE | re.MULTILINE)
_LINE_COMMENT = re.compile(r"--[^\n]*")
_NUMBER = re.compile(r"^(\d+)_[a-z0-9_]+\.sql$")


def _code(text: str) -> str:
    return _LINE_COMMENT.sub("", _DROP.sub("", _COMMENT_ON.sub("", text)))


def forward_references(files: dict[str, str]) -> list[str]:
    """Each use of a function or view defined only in a later file, as 'file: name (defined in later)'."""
    code = {name: _code(text) for name, text in files.items()}
    defined_in: dict[str, str] = {}
    for name in sorted(code):
        for match in _DEFINES.finditer(code[name]):
            defined_in.setdefault(match.group(1).lower(), name)
    found = []
    for name in sorted(code):
        for used in sorted({m.group(1).lower() for m in _CALLS.finditer(code[name])}):
            where = defined_in.get(used)
            if where is not None and where > name:
                found.append(f"{name}: {used} (defined in {where})")
    return found


def repeated_numbers(names: list[str]) -> list[str]:
    """File names that share their number with another, or that have none."""
    by_number: dict[str, list[str]] = {}
    bad = []
    for name in sorted(names):
        match = _NUMBER.match(name)
        if match is None:
            bad.append(name)
        else:
            by_number.setdefault(match.group(1), []).append(name)
    return bad + [n for group in by_number.values() if len(group) > 1 for n in group]


def _files() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(FUNCTIONS.glob("*.sql"))}


def test_every_file_uses_only_what_it_or_an_earlier_file_defines() -> None:
    assert forward_references(_files()) == []


def test_no_two_files_share_a_number() -> None:
    assert repeated_numbers(list(_files())) == []


def test_the_readme_table_lists_the_files_in_order() -> None:
    section = (
        README.read_text().split("## The files, in dependency order", 1)[1].split("\n## ", 1)[0]
    )
    listed = re.findall(r"^\| `(\d+_[a-z0-9_]+\.sql)` \|", section, re.MULTILINE)
    assert listed == sorted(_files()), "db/README.md's table of db/functions/ is out of date"


# The checks can fail: planted cases.

_LATER = """create or replace function internal.later() returns integer language sql as $$ select 1 $$;
comment on function internal.later() is 'Not a use: internal.earlier() named in a comment.';
"""


def test_a_planted_forward_reference_is_found() -> None:
    files = {
        "10_early.sql": (
            "-- internal.later() in a line comment is not a use\n"
            "create or replace function internal.earlier() returns integer language plpgsql as $$\n"
            "begin return internal.later(); end $$;\n"
        ),
        "20_later.sql": _LATER,
    }
    assert forward_references(files) == ["10_early.sql: internal.later (defined in 20_later.sql)"]


def test_a_use_of_an_earlier_or_the_same_file_or_a_drop_is_not_a_forward_reference() -> None:
    files = {
        "10_early.sql": (
            "drop function if exists internal.later(integer);\n"
            "create or replace function internal.one() returns integer language sql as $$ select 1 $$;\n"
            "create or replace function internal.two() returns integer language sql as $$ select internal.one() $$;\n"
        ),
        "20_later.sql": _LATER + "create view api.v as select internal.two();\n",
    }
    assert forward_references(files) == []


def test_a_planted_repeated_number_is_found() -> None:
    assert repeated_numbers(
        ["45_booking.sql", "45_stripe_status.sql", "46_payments.sql", "notes.sql"]
    ) == [
        "notes.sql",
        "45_booking.sql",
        "45_stripe_status.sql",
    ]
