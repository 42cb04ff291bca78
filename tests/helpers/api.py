"""HTTP helpers for API tests: sign up real accounts through the API, call RPCs, and a
postgrest-py client for the tests where it reads better than raw HTTP."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from postgrest import SyncPostgrestClient

PASSWORD = "a long enough password"


def client(base_url: str, source: str | None = None) -> httpx.Client:
    """An HTTP client; ``source`` picks the loopback address it connects from (127.x.y.z)."""
    transport = httpx.HTTPTransport(local_address=source) if source else None
    return httpx.Client(base_url=base_url, transport=transport, timeout=30)


def answers(base_url: str) -> bool:
    """Whether PostgREST answers a database call (/rpc/ping) now: after a restart, once
    it has its connections back."""
    try:
        return httpx.get(f"{base_url}/rpc/ping", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def pgrst(base_url: str, token: str | None = None) -> SyncPostgrestClient:
    """A postgrest-py client on schema `api` (its default, `public`, is answered PGRST106),
    as the bearer of ``token`` when given. A refusal raises ``postgrest.APIError`` with the
    status in ``code`` (``PT409``) and the registry's code in ``hint``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return SyncPostgrestClient(base_url, schema="api", headers=headers)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.test"


@dataclass
class Account:
    id: str
    email: str
    password: str
    role: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def signup(base_url: str, role: str = "customer", *, locale: str = "en", **fields: Any) -> Account:
    body = {
        "email": unique_email(role),
        "password": PASSWORD,
        "full_name": f"Test {role.title()}",
        "role": role,
        "locale": locale,
        **fields,
    }
    resp = httpx.post(f"{base_url}/rpc/signup", json=body, timeout=30)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    return Account(
        id=data["user"]["id"],
        email=body["email"],
        password=body["password"],
        role=role,
        access_token=data["access_token"],
        refresh_token=data["refresh_token"],
    )
