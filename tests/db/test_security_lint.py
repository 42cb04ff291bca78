"""The security lint: catalogue queries that fail the suite when a rule is broken,
and proof that each can fail."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.helpers import lint


def test_every_private_table_has_forced_row_level_security(db: psycopg.Connection[Any]) -> None:
    assert lint.tables_without_forced_rls(db) == []


def test_the_lint_flags_a_table_without_rls(db: psycopg.Connection[Any]) -> None:
    db.execute("create schema scratch")
    db.execute("create table scratch.leaky (id int)")
    db.execute("create table scratch.half (id int)")
    db.execute("alter table scratch.half enable row level security")
    assert lint.tables_without_forced_rls(db, ["scratch"]) == ["scratch.half", "scratch.leaky"]


def test_every_security_definer_function_pins_its_search_path(db: psycopg.Connection[Any]) -> None:
    assert lint.definer_functions_without_pinned_search_path(db) == []


def test_the_lint_flags_an_unpinned_definer_function(db: psycopg.Connection[Any]) -> None:
    db.execute("create schema scratch")
    db.execute(
        "create function scratch.f() returns int language sql security definer as 'select 1'"
    )
    assert lint.definer_functions_without_pinned_search_path(db, ["scratch"]) == ["scratch.f()"]


def test_api_functions_are_invoker_wrappers(db: psycopg.Connection[Any]) -> None:
    assert lint.definer_functions_outside_internal_and_auth(db) == []


def test_anon_reaches_only_the_allow_listed_api_endpoints(db: psycopg.Connection[Any]) -> None:
    reachable = set(lint.api_objects_reachable_by_anon(db))
    assert reachable - lint.ANON_ALLOWED == set()


def test_the_lint_flags_an_api_function_granted_to_anon_by_mistake(
    db: psycopg.Connection[Any],
) -> None:
    db.execute("create function api.oops() returns int language sql as 'select 1'")
    db.execute("grant execute on function api.oops() to anon")
    assert "api.oops()" in lint.api_objects_reachable_by_anon(db)


def test_no_api_view_bypasses_rls_without_saying_why(db: psycopg.Connection[Any]) -> None:
    assert lint.api_views_bypassing_rls(db) == []


def test_the_lint_flags_a_definer_view(db: psycopg.Connection[Any]) -> None:
    db.execute("create view api.leaky as select id from app.users")
    assert lint.api_views_bypassing_rls(db) == ["api.leaky"]
    db.execute(
        "comment on view api.leaky is 'Public list; bypasses RLS because it shows no private column.'"
    )
    assert lint.api_views_bypassing_rls(db) == []


def test_api_holds_no_tables(db: psycopg.Connection[Any]) -> None:
    assert lint.tables_in_api(db) == []


def test_every_api_object_is_documented(db: psycopg.Connection[Any]) -> None:
    assert lint.undocumented_api_objects(db) == []


def test_every_foreign_key_is_indexed(db: psycopg.Connection[Any]) -> None:
    assert lint.foreign_keys_without_index(db) == []


def test_nothing_of_ours_is_executable_by_public(db: psycopg.Connection[Any]) -> None:
    assert lint.functions_executable_by_public(db) == []
