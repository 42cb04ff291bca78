"""Point localstripe's webhook at PostgREST's /rpc/stripe_webhook (development only)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from bookiji.config import Settings


def is_local(settings: Settings) -> bool:
    """True when STRIPE_API_BASE points at a fake on this machine (localstripe)."""
    host = urlsplit(settings.stripe_api_base).hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


def register_webhook(settings: Settings, target: str | None = None) -> None:
    url = target or f"{settings.api_url}/rpc/stripe_webhook"
    resp = httpx.post(
        f"{settings.stripe_api_base}/_config/webhooks/bookiji",
        data={"url": url, "secret": settings.stripe_webhook_secret},
        headers={"Authorization": f"Bearer {settings.stripe_secret_key}"},
        timeout=5,
    )
    resp.raise_for_status()
