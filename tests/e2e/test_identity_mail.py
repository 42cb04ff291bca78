"""Identity mail end to end: sign-up and password reset over HTTP (nginx + PostgREST), the real
worker process (`python -m worker --once`) and a real SMTP server (aiosmtpd) started here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import httpx
import psycopg

from tests.helpers import stack
from tests.helpers.api import PASSWORD, signup
from tests.helpers.mailbox import Mailbox, text_of

CODE = re.compile(r"^    ([A-Za-z0-9_-]{20,})$", re.M)


def run_worker_once(dbname: str, smtp_url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "WORKER_DATABASE_URL": stack.worker_url(dbname),
        "SMTP_URL": smtp_url,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "worker", "--once", "--metrics-port", "0", "--vt", "30"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def code_in(text: str) -> str:
    match = CODE.search(text)
    assert match is not None, text
    return match.group(1)


def test_sign_up_and_password_reset_mail_reach_a_french_speaking_customer_and_work(
    db: psycopg.Connection[Any], mailbox: Mailbox
) -> None:
    dbname = db.info.dbname
    with stack.run_postgrest(dbname) as server:
        acct = signup(server.url, locale="fr", full_name="Élodie Tremblay")
        out = run_worker_once(dbname, mailbox.url)
        assert "type=notify attempt=1 outcome=done" in out.stdout

        (welcome,) = mailbox.to(acct.email)
        assert welcome["Subject"] == "Confirmez votre adresse courriel"
        assert welcome["To"].addresses[0].display_name == "Élodie Tremblay"
        body = text_of(welcome)
        assert body.startswith("Bonjour Élodie Tremblay,")
        confirmed = httpx.post(f"{server.url}/rpc/confirm_email", json={"token": code_in(body)})
        assert confirmed.status_code == 200, confirmed.text
        me = httpx.get(f"{server.url}/rpc/me", headers=acct.headers).json()
        assert me["email_confirmed"] is True

        asked = httpx.post(f"{server.url}/rpc/request_password_reset", json={"email": acct.email})
        assert asked.status_code == 200
        run_worker_once(dbname, mailbox.url)
        reset_mail = [m for m in mailbox.to(acct.email) if m["Message-ID"] != welcome["Message-ID"]]
        (reset_mail_fr,) = reset_mail
        assert reset_mail_fr["Subject"] == "Réinitialisez votre mot de passe Bookiji"
        reset = httpx.post(
            f"{server.url}/rpc/reset_password",
            json={"token": code_in(text_of(reset_mail_fr)), "new_password": "un tout nouveau mot"},
        )
        assert reset.status_code == 200, reset.text
        login = httpx.post(
            f"{server.url}/rpc/login", json={"email": acct.email, "password": PASSWORD}
        )
        assert login.status_code == 401
        login = httpx.post(
            f"{server.url}/rpc/login",
            json={"email": acct.email, "password": "un tout nouveau mot"},
        )
        assert login.status_code == 200

        token = login.json()["access_token"]
        log = httpx.get(
            f"{server.url}/rpc/my_notifications", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert [(r["event"], r["status"]) for r in log] == [
            ("password_reset", "sent"),
            ("email_confirmation", "sent"),
        ]


def test_reset_emails_to_one_inbox_stop_at_three_an_hour_with_the_same_answer(
    db: psycopg.Connection[Any], mailbox: Mailbox
) -> None:
    dbname = db.info.dbname
    with stack.run_postgrest(dbname) as server:
        acct = signup(server.url)
        spellings = [acct.email, acct.email.upper(), f" {acct.email} ", acct.email, acct.email]
        answers = [
            httpx.post(f"{server.url}/rpc/request_password_reset", json={"email": e})
            for e in spellings
        ]
        assert [(a.status_code, a.json()) for a in answers] == [(200, {"requested": True})] * 5
        run_worker_once(dbname, mailbox.url)
        subjects = sorted(m["Subject"] for m in mailbox.to(acct.email))
        assert subjects == ["Confirm your email address"] + ["Reset your Bookiji password"] * 3
