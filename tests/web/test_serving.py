"""nginx serves the built app at /app/: the single-page fallback, a year's cache for hashed
assets, the runtime configuration, PostgREST where it was; and localstripe's Stripe.js
stand-in with bookiji's additions, which refuses a confirmation without the right secret."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from bookiji import gateway
from tests.helpers.browser import WebStack


def test_the_app_and_its_deep_links_are_the_same_page_revalidated_each_visit(
    web: WebStack,
) -> None:
    home = httpx.get(web.app)
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert home.headers["cache-control"] == "no-cache"
    assert '<div id="root">' in home.text
    deep = httpx.get(f"{web.app}bookings/0b7f0e55-5a5e-4bb4-9c1d-1f1d0d2c3e4f")
    assert deep.status_code == 200 and deep.text == home.text
    bare = httpx.get(f"{web.url}/app")
    assert bare.status_code == 301 and bare.headers["location"].endswith("/app/")


def test_hashed_assets_are_cached_for_a_year_and_a_missing_one_is_404(
    web: WebStack, web_dist: Path
) -> None:
    script = re.search(r'src="(/app/assets/[^"]+\.js)"', httpx.get(web.app).text)
    assert script is not None
    asset = httpx.get(web.url + script.group(1))
    assert asset.status_code == 200
    assert "javascript" in asset.headers["content-type"]
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.content == (web_dist / script.group(1).removeprefix("/app/")).read_bytes()
    assert httpx.get(f"{web.app}assets/nothing-here.js").status_code == 404


def test_the_runtime_configuration_names_stripe_js_and_the_stream(web: WebStack) -> None:
    conf = httpx.get(f"{web.app}config.json")
    assert conf.status_code == 200
    assert conf.headers["content-type"].startswith("application/json")
    assert conf.headers["cache-control"] == "no-store"
    assert conf.json() == {
        "realtime_path": "/realtime",
        "stripe_js_url": f"{web.stripe.url}/js.stripe.com/v3/",
        "stripe_publishable_key": "pk_test_bookiji_local",
    }
    # the API is where it was
    assert httpx.get(f"{web.url}/rpc/health").json()["status"] == "ok"


def test_the_configuration_cannot_smuggle_an_nginx_variable(tmp_path: Path) -> None:
    cfg = gateway.GatewayConfig(
        listen_host="127.0.0.1",
        listen_port=1,
        upstream_port=2,
        home=tmp_path,
        web_dir=tmp_path,
        app_config={"stripe_js_url": "https://example.test/$request_uri"},
    )
    with pytest.raises(ValueError, match=r"\$"):
        gateway.render(cfg)


def test_the_stripe_js_stand_in_carries_bookijis_additions(web: WebStack) -> None:
    js = httpx.get(f"{web.stripe.url}/js.stripe.com/v3/")
    assert js.status_code == 200
    assert "localstripe" in js.text and "bookiji's additions" in js.text


def test_a_browser_confirmation_needs_the_publishable_key_and_the_client_secret(
    web: WebStack,
) -> None:
    auth = ("sk_test_bookiji_local", "")
    intent = httpx.post(
        f"{web.stripe.url}/v1/payment_intents",
        data={"amount": 1000, "currency": "cad"},
        auth=auth,
    ).json()
    card = {
        "type": "card",
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
    }
    url = f"{web.stripe.url}/v1/payment_intents/{intent['id']}/confirm"
    wrong = httpx.post(
        url,
        json={"key": "pk_test_x", "client_secret": "pi_x_secret_y", "payment_method_data": card},
    )
    assert wrong.status_code == 401
    no_key = httpx.post(
        url, json={"client_secret": intent["client_secret"], "payment_method_data": card}
    )
    assert no_key.status_code == 401
    paid = httpx.post(
        url,
        json={
            "key": "pk_test_x",
            "client_secret": intent["client_secret"],
            "payment_method_data": card,
        },
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "succeeded"
