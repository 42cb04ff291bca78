"""Ops suspend and reinstate a provider: it leaves the quote, the free slots and the public
catalogue, cannot make itself active again, keeps its bookings; every step audited with
its reason and request id; only ops may do it. And the ops list of providers."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.helpers import booking as bk
from tests.helpers import catalog
from tests.helpers.db import acting_as, as_user, call_as
from tests.helpers.factories import create_user

SUSPEND = "select api.ops_suspend_provider(%s, %s)"
REINSTATE = "select api.ops_reinstate_provider(%s, %s)"


@pytest.fixture
def start() -> Any:
    return catalog.next_weekday(3, at="11:00")


@pytest.fixture
def shop(db: psycopg.Connection[Any]) -> bk.Shop:
    # alone where it is, so that a quote there offers it or nothing
    return bk.open_shop(db, lat=47.1, lng=-71.2)


@pytest.fixture
def ops(db: psycopg.Connection[Any]) -> uuid.UUID:
    return create_user(db, "ops")


def _offered(db: psycopg.Connection[Any], customer: uuid.UUID, shop: bk.Shop, start: Any) -> bool:
    with acting_as(db, "customer", customer):
        rows = db.execute(
            "select provider_id from api.quote('haircut', %s, %s, %s, 5, 50)",
            (shop.lat, shop.lng, start),
        ).fetchall()
    return shop.provider_id in {r[0] for r in rows}


def _public(db: psycopg.Connection[Any], shop: bk.Shop) -> tuple[bool, bool]:
    """Whether anonymous callers see the provider and its service in the catalogue views."""
    with acting_as(db, "anon"):
        provider = db.execute("select 1 from api.providers where id = %s", (shop.provider_id,))
        p = provider.fetchone() is not None
        service = db.execute("select 1 from api.services where id = %s", (shop.service_id,))
        return p, service.fetchone() is not None


def _slots_answer(db: psycopg.Connection[Any], shop: bk.Shop, start: Any) -> str:
    with acting_as(db, "anon"):
        try:
            db.execute(
                "select count(*) from api.available_slots(%s, %s, %s + interval '1 day')",
                (shop.service_id, start, start),
            )
        except psycopg.Error as e:
            return str(e.diag.message_hint)
    return "ok"


def _refused(db: psycopg.Connection[Any], role: str, sub: Any, sql: str, *args: Any) -> Any:
    with pytest.raises(psycopg.Error) as err:
        call_as(db, role, sub, sql, *args)
    return err.value.sqlstate, err.value.diag.message_hint, err.value.diag.message_primary


def test_a_suspended_provider_leaves_the_quote_and_comes_back_when_reinstated(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any, ops: uuid.UUID
) -> None:
    customer = create_user(db, "customer")
    assert _offered(db, customer, shop, start)
    assert _public(db, shop) == (True, True)
    assert _slots_answer(db, shop, start) == "ok"

    done = call_as(db, "ops", ops, SUSPEND, shop.provider_id, "  chargebacks under review  ")
    assert done["suspended"] is True
    assert done["is_active"] is False
    assert done["suspension_reason"] == "chargebacks under review"
    assert done["suspended_by"] == str(ops)
    assert not _offered(db, customer, shop, start)
    assert _public(db, shop) == (False, False)
    assert _slots_answer(db, shop, start) == "not_found"

    back = call_as(db, "ops", ops, REINSTATE, shop.provider_id, "cleared")
    assert (back["suspended"], back["is_active"], back["suspension_reason"]) == (False, True, None)
    assert _offered(db, customer, shop, start)
    assert _public(db, shop) == (True, True)


def test_the_provider_cannot_lift_its_own_suspension(
    db: psycopg.Connection[Any], shop: bk.Shop, ops: uuid.UUID
) -> None:
    call_as(db, "ops", ops, SUSPEND, shop.provider_id, "fraud check")
    with acting_as(db, "provider", shop.owner_id), db.cursor(row_factory=dict_row) as cur:
        mine = cur.execute("select * from api.my_provider").fetchone()
    assert mine is not None
    assert (mine["is_active"], mine["suspension_reason"]) == (False, "fraud check")
    assert mine["suspended_at"] is not None
    with pytest.raises(psycopg.Error) as err, as_user(db, "provider", shop.owner_id):
        db.execute("update api.my_provider set is_active = true")
    assert (err.value.sqlstate, err.value.diag.message_hint) == ("PT409", "provider_suspended")
    assert "suspended" in str(err.value.diag.message_primary)
    # nor can it write the suspension's columns at all
    for column in ("suspended_at", "suspension_reason"):
        with (
            pytest.raises(psycopg.errors.InsufficientPrivilege),
            as_user(db, "provider", shop.owner_id),
        ):
            db.execute(f"update api.my_provider set {column} = null")
    # other edits still work, and it stays inactive
    with as_user(db, "provider", shop.owner_id):
        db.execute("update api.my_provider set description = 'still here', is_active = false")
    row = db.execute(
        "select is_active, suspended_at is not null from app.providers where id = %s",
        (shop.provider_id,),
    ).fetchone()
    assert row == (False, True)


def test_the_database_refuses_an_active_suspended_provider_even_to_its_owner(
    db: psycopg.Connection[Any], shop: bk.Shop, ops: uuid.UUID
) -> None:
    call_as(db, "ops", ops, SUSPEND, shop.provider_id, "fraud check")
    db.execute("alter table app.providers disable trigger _010_refuse_while_suspended")
    try:
        with pytest.raises(
            psycopg.errors.CheckViolation, match="providers_suspended_inactive_check"
        ):
            db.execute(
                "update app.providers set is_active = true where id = %s", (shop.provider_id,)
            )
    finally:
        db.execute("alter table app.providers enable trigger _010_refuse_while_suspended")


def test_reinstatement_restores_the_activity_the_provider_had_chosen(
    db: psycopg.Connection[Any], ops: uuid.UUID
) -> None:
    provider = catalog.create_provider(db, is_active=False)
    call_as(db, "ops", ops, SUSPEND, provider, "check")
    back = call_as(db, "ops", ops, REINSTATE, provider, "ok")
    assert back["is_active"] is False


def test_existing_bookings_are_kept_and_counted_and_ops_may_still_force_cancel_them(
    db: psycopg.Connection[Any], shop: bk.Shop, start: Any, ops: uuid.UUID
) -> None:
    b = bk.book(db, shop, start)
    bk.pay(db, b)
    done = call_as(db, "ops", ops, SUSPEND, shop.provider_id, "review")
    assert done["live_bookings"] == 1
    assert bk.status(db, b["id"]) == "confirmed"
    cancelled = call_as(
        db,
        "ops",
        ops,
        "select internal.ops_force_cancel(%s, %s, true)",
        b["id"],
        "provider suspended",
    )
    assert cancelled["status"] == "cancelled"


def test_suspension_and_reinstatement_are_audited_with_reason_and_request_id(
    db: psycopg.Connection[Any], shop: bk.Shop, ops: uuid.UUID
) -> None:
    for sql, reason, request in ((SUSPEND, "spam", "req-s-1"), (REINSTATE, "fixed", "req-r-1")):
        with as_user(db, "ops", ops):
            db.execute(
                "select set_config('request.headers', %s, true)",
                (json.dumps({"x-request-id": request}),),
            )
            db.execute(sql, (shop.provider_id, reason))
    rows = db.execute(
        "select action, actor_id, actor_role, reason, request_id, before ->> 'is_active', "
        "after ->> 'is_active' from audit.action_log "
        "where table_name = 'app.providers' and row_id = %s order by id",
        (str(shop.provider_id),),
    ).fetchall()
    assert rows == [
        ("provider.suspended", ops, "ops", "spam", "req-s-1", "true", "false"),
        ("provider.reinstated", ops, "ops", "fixed", "req-r-1", "false", "true"),
    ]


@pytest.mark.parametrize(
    ("args", "state", "hint", "named"),
    [
        ((None, "x"), "PT400", "invalid_input", "provider_id is required"),
        (("{p}", None), "PT400", "invalid_input", "reason is required"),
        (("{p}", "   "), "PT400", "invalid_input", "reason is required"),
        (("{p}", "x" * 501), "PT400", "invalid_input", "reason must be at most 500 characters"),
        ((str(uuid.uuid4()), "x"), "PT404", "not_found", "no such provider"),
    ],
)
def test_bad_inputs_are_refused_naming_the_field(
    db: psycopg.Connection[Any],
    shop: bk.Shop,
    ops: uuid.UUID,
    args: tuple[Any, Any],
    state: str,
    hint: str,
    named: str,
) -> None:
    pid = args[0].format(p=shop.provider_id) if isinstance(args[0], str) else args[0]
    for sql in (SUSPEND, REINSTATE):
        refused = _refused(db, "ops", ops, sql, pid, args[1])
        assert refused[:2] == (state, hint)
        assert named in refused[2]


def test_suspending_twice_or_reinstating_an_unsuspended_provider_is_a_409(
    db: psycopg.Connection[Any], shop: bk.Shop, ops: uuid.UUID
) -> None:
    assert _refused(db, "ops", ops, REINSTATE, shop.provider_id, "x")[:2] == ("PT409", "conflict")
    call_as(db, "ops", ops, SUSPEND, shop.provider_id, "once")
    twice = _refused(db, "ops", ops, SUSPEND, shop.provider_id, "twice")
    assert twice[:2] == ("PT409", "conflict")
    assert "already suspended" in twice[2]


def test_only_ops_may_suspend_or_reinstate(
    db: psycopg.Connection[Any], shop: bk.Shop, ops: uuid.UUID
) -> None:
    customer = create_user(db, "customer")
    for role, sub in (("customer", customer), ("provider", shop.owner_id), ("anon", None)):
        for sql in (SUSPEND, REINSTATE):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                call_as(db, role, sub, sql, shop.provider_id, "x")
    # a token whose role claim is not ops, under the ops database role: the claim decides
    with pytest.raises(psycopg.Error, match="only ops staff"), db.transaction():
        db.execute("set local role ops")
        db.execute("""select set_config('request.jwt.claims', '{"role": "provider"}', true)""")
        db.execute(SUSPEND, (shop.provider_id, "x"))
    row = db.execute("select suspended_at from app.providers where id = %s", (shop.provider_id,))
    assert row.fetchone() == (None,)


# --- the ops list of providers ----------------------------------------------------------------


def _providers(db: psycopg.Connection[Any], ops: uuid.UUID, **args: Any) -> list[dict[str, Any]]:
    names = ", ".join(f'"{k}" => %({k})s' for k in args)
    with acting_as(db, "ops", ops), db.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"select * from api.ops_providers({names})", args).fetchall()


def test_ops_list_every_provider_with_its_owner_search_and_page(
    db: psycopg.Connection[Any], shop: bk.Shop, ops: uuid.UUID
) -> None:
    inactive = catalog.create_provider(db, is_active=False, business_name="Zzz Sleeping Salon")
    call_as(db, "ops", ops, SUSPEND, shop.provider_id, "review")
    everyone = _providers(db, ops, limit=500)
    assert {shop.provider_id, inactive} <= {r["id"] for r in everyone}
    suspended = _providers(db, ops, suspended=True)
    assert [r["id"] for r in suspended] == [shop.provider_id]
    assert suspended[0]["suspension_reason"] == "review"
    owner = db.execute("select email from app.users where id = %s", (shop.owner_id,)).fetchone()
    assert owner is not None
    assert suspended[0]["owner_email"] == owner[0]
    assert [r["id"] for r in _providers(db, ops, search=str(owner[0]).upper())] == [
        shop.provider_id
    ]
    assert [r["id"] for r in _providers(db, ops, search="sleeping")] == [inactive]
    assert _providers(db, ops, search="%") == []  # a pattern character is only itself
    assert shop.provider_id not in {
        r["id"] for r in _providers(db, ops, suspended=False, limit=500)
    }
    seen, after = [], None
    while True:
        page = _providers(db, ops, limit=2, **({"after_id": after} if after else {}))
        if not page:
            break
        seen += [r["id"] for r in page]
        after = page[-1]["id"]
    assert seen == [r["id"] for r in everyone]
    # a name's part with pattern characters (each only itself), a contact email, an id
    odd = catalog.create_provider(db, business_name="100% Nails_Pro \\ Co")
    for part in ("0% n", "_", "\\", "nails_pro"):
        assert [r["id"] for r in _providers(db, ops, search=part)] == [odd], part
    assert _providers(db, ops, search="a_l") == []  # "_" is no wildcard: no "ail" either
    db.execute("update app.providers set contact_email = 'desk@odd.example' where id = %s", (odd,))
    assert [r["id"] for r in _providers(db, ops, search="DESK@odd.example")] == [odd]
    assert [r["id"] for r in _providers(db, ops, search=f" {inactive} ")] == [inactive]
    assert [r["id"] for r in _providers(db, ops, search=str(inactive).upper())] == [inactive]


def test_the_provider_list_refuses_bad_input_and_other_roles(
    db: psycopg.Connection[Any], ops: uuid.UUID
) -> None:
    for args, named in (({"limit": 0}, "limit"), ({"search": "x" * 201}, "search")):
        with pytest.raises(psycopg.Error) as err:
            _providers(db, ops, **args)
        assert err.value.diag.message_hint == "invalid_input"
        assert named in str(err.value.diag.message_primary)
    with pytest.raises(psycopg.Error) as err:
        _providers(db, ops, after_id=uuid.uuid4())
    assert err.value.diag.message_hint == "not_found"
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege),
        acting_as(db, "provider", uuid.uuid4()),
    ):
        db.execute("select * from api.ops_providers()")
