"""Demo data and demo tokens for the development stack."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import psycopg

from bookiji.config import ROOT, Settings
from worker.errors import ConfigError

DEMO_CUSTOMER = "demo.customer@bookiji.test"


def token_for_email(settings: Settings, email: str) -> str:
    """An access token for the account ``email``, minted by the database as api.login mints
    it (auth.issue_session: a session row, its ``sid`` claim, the database's JWT secret), so
    logout and ``bookiji ops revoke-sessions`` end it like any other."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        if conn.execute("select to_regclass('app.users')").fetchone() == (None,):
            raise ConfigError("there are no accounts yet (app.users is missing)")
        row = conn.execute("select id from app.users where email = %s", (email,)).fetchone()
        if row is None:
            raise ConfigError(f"no account with email {email}")
        signed_with = conn.execute("select internal.setting('jwt_secret')").fetchone()
        check_jwt_secret(settings, signed_with[0] if signed_with else None)
        token = conn.execute(
            "select auth.issue_session(%s) ->> 'access_token'", (row[0],)
        ).fetchone()
    assert token is not None and token[0]
    return str(token[0])


def check_jwt_secret(settings: Settings, database_secret: str | None) -> None:
    """Refuse when the database signs with another secret than this shell's JWT_SECRET (or
    .data/secrets.json): a PostgREST started from here would answer 401 JWSInvalidSignature."""
    if database_secret != settings.jwt_secret:
        origin = (
            "JWT_SECRET in the environment"
            if os.environ.get("JWT_SECRET")
            else f"{settings.data_dir / 'secrets.json'} (JWT_SECRET is unset)"
        )
        raise ConfigError(
            "the database signs tokens with another JWT secret than "
            f"{origin}: PostgREST would answer 401 JWSInvalidSignature. Give every command "
            "the same JWT_SECRET (or none, for .data/secrets.json) and run `bookiji deploy`"
        )


def ensure_demo(settings: Settings) -> str | None:
    """Load the Montreal demo data once; return a demo customer token if accounts exist."""
    import bookiji_seed as seed

    seed.ensure_demo(settings)
    try:
        return token_for_email(settings, DEMO_CUSTOMER)
    except ConfigError:
        return None


# --- the README's walk-through, run as it is written ----------------------------------------

README = ROOT / "README.md"
WALKTHROUGH = "Five minutes with the API"
SAVE = "_bookiji_walkthrough_save"  # the function that keeps a block's variables for the next


def walkthrough_blocks(readme: Path = README) -> list[str]:
    """The ```sh blocks of the README's walk-through section, verbatim."""
    text = readme.read_text()
    match = re.search(rf"^## {re.escape(WALKTHROUGH)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    if match is None:
        raise ConfigError(f"README.md has no section '## {WALKTHROUGH}'")
    return re.findall(r"^```sh\n(.*?)^```", match.group(1), re.M | re.S)


def assigned_names(block: str) -> list[str]:
    """The shell variables a block sets (NAME=... and for NAME in), to carry to the next one."""
    names = re.findall(r"(?:^|[\s;(])([A-Z][A-Z0-9_]*)=", block, re.M)
    names += re.findall(r"\bfor ([A-Za-z_]\w*) in\b", block)
    return sorted(set(names))


def run_block(
    block: str, state: Path, env: dict[str, str], *, echo: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run one block with bash -e, after the variables and functions the earlier blocks left
    in ``state``; leave its own there. ``echo`` prints each line as bash reads it, with its
    output (the demo); otherwise the output is captured (the test)."""
    names = " ".join(assigned_names(block))
    keep = f"declare -p {names} 2>/dev/null || true; " if names else ""
    script = (
        f'[ -f "{state}" ] && . "{state}"\n'
        f'{SAVE}() {{ {{ {keep}declare -f; }} >> "{state}"; }}\n'
        f"trap {SAVE} EXIT\n"  # after the block, whatever its end, keeping its exit status
        + ("set -v\n" if echo else "")
        + block
    )
    cmd = ["bash", "-e", "-c", script]
    if not echo:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    # bash -v writes each line to stderr as it reads it: one stream, in order, printed as it
    # comes, less the trap's own line
    with subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() != SAVE:
                print(line, end="", flush=True)
    return subprocess.CompletedProcess(cmd, proc.returncode)


def walkthrough_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("API", settings.api_url)
    env.setdefault("STRIPE", settings.stripe_api_base or "http://127.0.0.1:12111")
    env.update(extra)
    return env


def run_walkthrough(settings: Settings) -> int:
    """`bookiji demo`: the README's walk-through against the running stack, every command and
    its answer printed; stops at the first block that fails."""
    blocks = walkthrough_blocks()
    env = walkthrough_env(settings)
    try:
        httpx.get(f"{env['API']}/rpc/health", timeout=5)
    except httpx.HTTPError as exc:
        raise ConfigError(
            f"no API answers at {env['API']} ({exc}): start the stack with `make up` "
            "in another shell (or point API at one)"
        ) from exc
    with tempfile.TemporaryDirectory(prefix="bookiji-demo-") as tmp:
        state = Path(tmp) / "state.sh"
        for n, block in enumerate(blocks, 1):
            print(f"\n### README walk-through, block {n} of {len(blocks)}\n", flush=True)
            code = run_block(block, state, env, echo=True).returncode
            if code != 0:
                print(f"bookiji demo: block {n} failed (exit {code})", file=sys.stderr)
                return code
    return 0
