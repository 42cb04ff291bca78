"""The development stack's Stripe fake keeps its objects across a restart (`make down`
then `make up`): without it, every payment the database knows about would be missing
at Stripe after a restart, and the worker would dead-letter their follow-ups."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.helpers.stripe_fake import run_localstripe

AUTH = {"Authorization": "Bearer sk_test_state"}


def test_objects_survive_a_restart_with_a_state_file(tmp_path: Path) -> None:
    state = tmp_path / "stripe" / "localstripe.pickle"
    with run_localstripe(state) as fake:
        created = httpx.post(
            f"{fake.url}/v1/customers", data={"email": "kept@bookiji.test"}, headers=AUTH
        )
        assert created.status_code == 200, created.text
        customer = created.json()["id"]
    assert state.exists()  # written at shutdown at the latest
    with run_localstripe(state) as fake:
        again = httpx.get(f"{fake.url}/v1/customers/{customer}", headers=AUTH)
        assert again.status_code == 200, again.text
        assert again.json()["email"] == "kept@bookiji.test"


def test_without_a_state_file_nothing_is_kept(tmp_path: Path) -> None:
    with run_localstripe() as fake:
        created = httpx.post(f"{fake.url}/v1/customers", data={}, headers=AUTH)
        customer = created.json()["id"]
    with run_localstripe() as fake:
        assert httpx.get(f"{fake.url}/v1/customers/{customer}", headers=AUTH).status_code == 404
