"""docs/extending.md's guides, followed as written: each guide's SQL blocks applied in order to
a fresh database (as deploy applies migrations, functions and policies), then what the guide
promises checked over HTTP: the endpoint answers a number, and 400 invalid_input without its
argument, and is in the OpenAPI document with its argument required; the table's view lets a
customer add and read their own favourites only, each change in the audit trail."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from bookiji.config import ROOT
from tests.helpers import booking, stack
from tests.helpers.auth import bearer, mint
from tests.helpers.factories import create_user
from tests.test_docs import section

GUIDE = ROOT / "docs" / "extending.md"


def blocks(heading: str, lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", section(GUIDE.read_text(), heading), re.M | re.S)


@pytest.fixture(scope="module")
def extended_api(template_db: str) -> Iterator[stack.PostgREST]:
    name = f"bookiji_extend_{uuid.uuid4().hex[:8]}"
    stack.create_db(name, template_db)
    try:
        with psycopg.connect(stack.admin_url(name), autocommit=True) as conn:
            for heading in ("Add an endpoint", "Add a table"):
                for sql in blocks(heading, "sql"):
                    conn.execute(sql)  # type: ignore[arg-type]  # the guide's text, as written
        with stack.run_postgrest(name) as server:
            yield server
    finally:
        stack.drop_db(name)


def test_the_guide_has_its_function_and_grant() -> None:
    sql = blocks("Add an endpoint", "sql")
    assert len(sql) == 2
    assert "default null" in sql[0] and sql[1].startswith("grant execute")


def test_the_new_endpoint_answers_as_the_guide_says(extended_api: stack.PostgREST) -> None:
    url = f"{extended_api.url}/rpc/category_provider_count"
    ok = httpx.get(url, params={"category": "haircut"})
    assert ok.status_code == 200, ok.text
    assert isinstance(ok.json(), int)
    missing = httpx.get(url)
    assert missing.status_code == 400, missing.text
    assert missing.json()["hint"] == "invalid_input"
    assert "category" in missing.json()["message"]
    assert httpx.post(url, json={}).status_code == 400


def test_the_new_endpoint_is_in_each_granted_roles_openapi_with_its_argument_required(
    extended_api: stack.PostgREST,
) -> None:
    doc = httpx.get(f"{extended_api.url}/rpc/openapi").json()
    op = doc["paths"]["/rpc/category_provider_count"]["post"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["category"]
    assert op["summary"] == "How many active providers offer a category."
    assert "invalid_input" in op["responses"]["400"]["x-error-codes"]


def test_the_new_table_keeps_each_customers_favourites_to_themselves_and_audits_them(
    extended_api: stack.PostgREST,
) -> None:
    with psycopg.connect(extended_api.db_url, autocommit=True) as admin:
        shop = booking.open_shop(admin)
        alice, bob = create_user(admin, "customer"), create_user(admin, "customer")
    url = f"{extended_api.url}/my_favourites"
    added = httpx.post(
        url,
        json={"provider_id": str(shop.provider_id)},
        headers={**bearer(mint("customer", alice)), "Prefer": "return=representation"},
    )
    assert added.status_code == 201, added.text
    favourite = added.json()[0]["id"]
    mine = httpx.get(url, headers=bearer(mint("customer", alice))).json()
    assert [f["provider_id"] for f in mine] == [str(shop.provider_id)]
    assert httpx.get(url, headers=bearer(mint("customer", bob))).json() == []
    assert httpx.get(url).status_code in (401, 403)  # anon: not granted
    removed = httpx.delete(f"{url}?id=eq.{favourite}", headers=bearer(mint("customer", bob)))
    assert removed.status_code in (200, 204)
    assert httpx.get(url, headers=bearer(mint("customer", alice))).json() != []  # not bob's
    with psycopg.connect(extended_api.db_url, autocommit=True) as admin:
        logged = admin.execute(
            "select action, actor_id from audit.action_log where table_name = 'app.favourites'"
        ).fetchall()
    assert logged == [("favourite.added", alice)]
