"""The security lint: catalogue queries that fail the suite when a rule is broken,
and proof that each can fail."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

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


def _defined_in_files() -> tuple[set[str], set[str]]:
    """Function and policy names that some file under db/ creates."""
    import re

    from bookiji.config import ROOT

    text = "\n".join(p.read_text() for p in (ROOT / "db").rglob("*.sql") if p.name != "schema.sql")
    funcs = {
        m.lower()
        for m in re.findall(
            r"create\s+(?:or\s+replace\s+)?function\s+([a-z_]+\.[a-z_0-9]+)", text, re.I
        )
    }
    policies = {
        f"{t.lower()}:{n.lower()}"
        for n, t in re.findall(
            r"create\s+policy\s+([a-z_0-9]+)\s+on\s+([a-z_]+\.[a-z_0-9]+)", text, re.I
        )
    }
    return funcs, policies


def test_no_function_or_policy_exists_that_no_file_under_db_defines(
    db: psycopg.Connection[Any],
) -> None:
    funcs, policies = _defined_in_files()
    in_db = {
        r[0]
        for r in db.execute(
            "select p.pronamespace::regnamespace::text || '.' || p.proname from pg_proc p "
            "where p.pronamespace::regnamespace::text in ('app', 'api', 'auth', 'audit', 'internal')"
        )
    }
    assert in_db - funcs == set(), "functions in the database that no file under db/ creates"
    in_db_policies = {
        f"{r[0]}.{r[1]}:{r[2]}"
        for r in db.execute("select schemaname, tablename, policyname from pg_policies")
        if r[0] in ("app", "auth", "audit", "internal")
    }
    assert in_db_policies - policies == set(), (
        "policies in the database that no file under db/ creates"
    )


def test_the_lint_flags_a_function_made_by_hand(db: psycopg.Connection[Any]) -> None:
    db.execute("create function internal.stray() returns int language sql as 'select 1'")
    with pytest.raises(AssertionError, match="functions in the database"):
        test_no_function_or_policy_exists_that_no_file_under_db_defines(db)


# --- What errors show: every constraint maps to a registered error ------------------


def test_every_app_constraint_maps_to_a_registered_error(db: psycopg.Connection[Any]) -> None:
    assert lint.constraints_without_registered_error(db) == []


def test_the_lint_flags_a_constraint_the_registry_does_not_map(
    db: psycopg.Connection[Any],
) -> None:
    db.execute("create schema scratch")
    db.execute(
        "create table scratch.t (id int constraint t_pkey primary key, "
        "n int constraint t_n_check check (n > 0), "
        "parent int constraint t_parent_fkey references scratch.t (id), "
        "u int constraint t_u_key unique)"
    )
    assert lint.constraints_without_registered_error(db, ["scratch"]) == [
        "scratch.t t_n_check",
        "scratch.t t_parent_fkey",
        "scratch.t t_pkey",
        "scratch.t t_u_key",
    ]


def test_every_registry_entry_names_an_app_constraint_and_a_registered_code(
    db: psycopg.Connection[Any],
) -> None:
    assert lint.constraint_errors_out_of_step(db) == []


def test_the_lint_flags_a_stale_or_leaky_registry_entry(db: psycopg.Connection[Any]) -> None:
    db.execute("alter function internal.constraint_errors() rename to real_constraint_errors")
    db.execute(
        """
        create function internal.constraint_errors()
        returns table (constraint_name text, code text, message text)
        language sql as $$
            select * from internal.real_constraint_errors()
            union all values
            ('gone_check', 'invalid_input', 'x'),
            ('users_email_check', 'nonsense', 'x'),
            ('users_phone_check', 'invalid_input', 'users_phone_check failed')
        $$
        """
    )
    assert lint.constraint_errors_out_of_step(db) == [
        "gone_check: no such constraint in app",
        "users_email_check: listed twice",
        "users_email_check: listed twice",
        "users_email_check: unregistered code nonsense",
        "users_phone_check: listed twice",
        "users_phone_check: listed twice",
        "users_phone_check: names the constraint in its message",
    ]


# --- Grants: each api function is executable by the roles listed for it, no others --


def test_every_api_function_is_executable_by_exactly_the_roles_listed_for_it(
    db: psycopg.Connection[Any],
) -> None:
    assert lint.api_functions_off_their_execute_list(db) == []


def test_ops_functions_are_executable_by_ops_alone(db: psycopg.Connection[Any]) -> None:
    ops_named = [
        name for name in lint.API_EXECUTE if name.startswith(("api.ops_", "api.dlq_", "api.queue_"))
    ]
    assert (
        len(ops_named) == 20
    )  # ops_audit_trail, ops_disputes, ops_set_commission_rate, ops_ranking_versions, ops_quality_versions among them
    assert all(lint.API_EXECUTE[name] == {"ops"} for name in ops_named)


def test_the_lint_flags_an_ops_function_granted_to_customers(
    db: psycopg.Connection[Any],
) -> None:
    db.execute("grant execute on function api.dlq_list(text, text, integer) to customer")
    assert lint.api_functions_off_their_execute_list(db) == [
        "api.dlq_list(text,text,integer): executable by ['customer', 'ops'], listed ['ops']"
    ]


def test_the_lint_flags_a_grant_to_public_and_an_unlisted_function(
    db: psycopg.Connection[Any],
) -> None:
    db.execute("create function api.oops() returns int language sql as 'select 1'")
    db.execute("grant execute on function api.ping() to public")
    assert lint.api_functions_off_their_execute_list(db) == [
        "api.oops(): not listed in API_EXECUTE (executable by [])",
        "api.ping(): executable by PUBLIC",
    ]


def test_every_api_view_grants_exactly_the_privileges_listed_for_it(
    db: psycopg.Connection[Any],
) -> None:
    assert lint.api_views_off_their_privilege_list(db) == []


def test_the_lint_flags_a_view_privilege_nobody_listed(db: psycopg.Connection[Any]) -> None:
    db.execute("grant select on api.my_bookings to anon")
    db.execute("grant update (name) on api.my_services to customer")
    db.execute("create view api.stray as select 1 as one")
    assert lint.api_views_off_their_privilege_list(db) == [
        "api.my_bookings: anon has ['select'], listed []",
        "api.my_services: customer has ['update'], listed []",
        "api.stray: not listed in API_VIEW_PRIVILEGES",
    ]


# --- Every api argument has a default: a missing one is a 400, never a 404 ---------


def test_every_api_argument_has_a_default(db: psycopg.Connection[Any]) -> None:
    assert lint.api_arguments_without_default(db) == []


def test_the_lint_flags_an_api_argument_without_a_default(db: psycopg.Connection[Any]) -> None:
    db.execute(
        "create function api.oops(queue text, n int default null) returns int "
        "language sql as 'select 1'"
    )
    db.execute("create function api.whole_body(jsonb) returns int language sql as 'select 1'")
    db.execute("create function api.two_bodies(json, json) returns int language sql as 'select 1'")
    assert lint.api_arguments_without_default(db) == [
        "api.oops(text,integer) queue",
        "api.two_bodies(json,json) $1",
        "api.two_bodies(json,json) $2",
    ]


def test_every_registered_optional_argument_defaults_to_null(db: psycopg.Connection[Any]) -> None:
    assert lint.optional_arguments_out_of_step(db) == []


def test_the_lint_flags_an_optional_argument_that_does_not_default_to_null(
    db: psycopg.Connection[Any],
) -> None:
    # dlq_list's limit defaults to 50: the registry may not list it, nor a missing name
    db.execute(
        "create or replace function internal.openapi_optional_arguments() "
        "returns table (function_name text, argument_name text) language sql as "
        "$$ values ('dlq_list', 'error_class'), ('dlq_list', 'limit'), ('nope', 'x') $$"
    )
    assert lint.optional_arguments_out_of_step(db) == ["dlq_list.limit", "nope.x"]
