"""Client addresses behind a TLS proxy (TRUSTED_PROXIES, bookiji/gateway.py): nginx takes
the client's address from X-Forwarded-For only when the peer is a trusted proxy, so two
clients behind the proxy get a per-address limit each; without the setting, or from a
peer that is not trusted, a forged X-Forwarded-For changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bookiji import config
from tests.helpers import stack
from tests.helpers.api import client

PROXY = "127.0.0.61"  # the TLS proxy's address, trusted below
STRANGER = "127.0.0.62"  # a peer connecting directly, not trusted


def _statuses(url: str, source: str, forwarded_for: list[str]) -> list[int]:
    """One read per X-Forwarded-For value, from ``source``, at a limit of five a second
    (a burst of ten): forty reads from one address are partly refused, one read from
    each of forty addresses never."""
    with client(url, source=source) as http:
        return [
            http.get("/rpc/health", headers={"X-Forwarded-For": value}).status_code
            for value in forwarded_for
        ]


def _many(template: str) -> list[str]:
    return [template.format(n) for n in range(1, 41)]


@pytest.fixture(scope="module")
def behind_proxy(template_db: str) -> Iterator[stack.PostgREST]:
    with stack.api_over_scratch(
        "bookiji_proxy",
        template_db,
        rate_per_address=5,
        rate_per_token=5,
        trusted_proxies=(f"{PROXY}/32",),
    ) as server:
        yield server


@pytest.fixture(scope="module")
def no_proxy(template_db: str) -> Iterator[stack.PostgREST]:
    with stack.api_over_scratch(
        "bookiji_noproxy", template_db, rate_per_address=5, rate_per_token=5
    ) as server:
        yield server


def test_clients_behind_a_trusted_proxy_get_a_limit_each(
    behind_proxy: stack.PostgREST,
) -> None:
    assert set(_statuses(behind_proxy.url, PROXY, _many("203.0.113.{}"))) == {200}
    # the left-hand addresses are the client's own claim, the right-hand one what the
    # proxy saw: real_ip_recursive takes the right-most address not a trusted proxy
    assert set(_statuses(behind_proxy.url, PROXY, _many("198.51.100.9, 203.0.114.{}"))) == {200}
    one_client = _statuses(behind_proxy.url, PROXY, _many("203.0.115.{}, 198.51.100.7"))
    assert 429 in one_client and one_client[0] == 200
    # the proxy itself, without the header, is one more client
    assert 429 in _statuses(behind_proxy.url, PROXY, [""] * 40)


def test_an_untrusted_peer_cannot_escape_its_limit_with_x_forwarded_for(
    behind_proxy: stack.PostgREST,
) -> None:
    assert 429 in _statuses(behind_proxy.url, STRANGER, _many("203.0.116.{}"))


def test_without_the_setting_a_forged_x_forwarded_for_changes_nothing(
    no_proxy: stack.PostgREST,
) -> None:
    statuses = _statuses(no_proxy.url, PROXY, _many("203.0.117.{}"))
    assert 429 in statuses and statuses[0] == 200
    assert _statuses(no_proxy.url, "127.0.0.63", ["203.0.117.1"]) == [200]


def test_trusted_proxies_parses_networks_and_refuses_garbage() -> None:
    assert config.trusted_proxies("") == ()
    assert config.trusted_proxies("10.0.0.0/8, 192.168.1.7 fd00::/8") == (
        "10.0.0.0/8",
        "192.168.1.7/32",
        "fd00::/8",
    )
    with pytest.raises(ValueError, match="not-an-address"):
        config.trusted_proxies("10.0.0.0/8,not-an-address")
