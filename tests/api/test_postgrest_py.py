"""postgrest-py against the API, as docs/clients.md shows it: the schema must be `api`; then
login, an RPC, a view with filters and a refresh work through nginx like any other client."""

from __future__ import annotations

import pytest
from postgrest import APIError, SyncPostgrestClient

from tests.helpers import stack
from tests.helpers.api import PASSWORD, pgrst, signup


def test_postgrest_py_left_on_its_default_schema_is_answered_406_pgrst106(
    api: stack.PostgREST,
) -> None:
    with SyncPostgrestClient(api.url) as public, pytest.raises(APIError) as refused:
        public.rpc("health", {}, get=True).execute()
    assert refused.value.code == "PGRST106"
    assert "api" in str(refused.value.message)
    with pgrst(api.url) as client:
        assert client.rpc("health", {}, get=True).execute().data["status"] == "ok"


def test_the_client_logs_in_calls_an_rpc_reads_a_view_and_refreshes_as_docs_clients_md_shows(
    api: stack.PostgREST,
) -> None:
    account = signup(api.url)
    anon = pgrst(api.url)
    session = anon.rpc("login", {"email": account.email, "password": PASSWORD}).execute().data
    me = pgrst(api.url, session["access_token"])
    assert me.rpc("me", {}).execute().data["email"] == account.email
    categories = me.from_("service_categories").select("id, slug").order("id").limit(2).execute()
    assert [c["id"] for c in categories.data] == sorted(c["id"] for c in categories.data)
    assert len(categories.data) == 2

    renewed = anon.rpc("refresh", {"refresh_token": session["refresh_token"]}).execute().data
    assert renewed["refresh_token"] != session["refresh_token"]
    me.auth(renewed["access_token"])
    assert me.rpc("me", {}).execute().data["email"] == account.email
    with pytest.raises(APIError) as reused:  # the old refresh token is spent
        anon.rpc("refresh", {"refresh_token": session["refresh_token"]}).execute()
    assert reused.value.code == "PT401"
