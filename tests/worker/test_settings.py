"""The consumer's own settings (worker/settings.py): where it logs in, Stripe, its defaults."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bookiji import config
from worker import settings
from worker.errors import ConfigError


def test_the_worker_logs_in_with_worker_database_url_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKER_DATABASE_URL", "postgresql://bookiji_worker:w@db:5432/bookiji")
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:p@other:5432/x")
    monkeypatch.setenv("WORKER_DB_PASSWORD", "ignored")
    assert settings.database_url() == "postgresql://bookiji_worker:w@db:5432/bookiji"


def test_or_with_database_url_as_bookiji_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKER_DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:p@db:5432/bookiji")
    monkeypatch.setenv("WORKER_DB_PASSWORD", "s/cret")
    assert settings.database_url() == "postgresql://bookiji_worker:s%2Fcret@db:5432/bookiji"


def test_without_either_it_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WORKER_DATABASE_URL", "DATABASE_URL", "WORKER_DB_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="WORKER_DATABASE_URL"):
        settings.database_url()


def test_the_worker_process_refuses_to_start_without_a_database() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "worker", "--once", "--metrics-port", "0"],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "WORKER_DATABASE_URL" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_tooling_agrees_with_the_worker_on_its_defaults() -> None:
    for name, default in settings.DEFAULTS.items():
        assert config.DEFAULTS[name] == default, name
    assert config.OPTIONAL_NAMES == settings.OPTIONAL_NAMES


def test_stripe_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setenv("STRIPE_API_BASE", "http://stripe:12111")
    account = settings.stripe_account()
    assert (account.stripe_secret_key, account.stripe_api_base) == (
        "sk_test_x",
        "http://stripe:12111",
    )
    assert "sk_test_x" not in repr(account)
