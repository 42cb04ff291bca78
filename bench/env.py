"""The benchmark's own world: a database deployed for it, accounts and a token,
PostgREST (with and without the request hook) and nginx on free loopback ports.

Everything is started on first use and stopped when the environment closes; the
embedded cluster is stopped too if the benchmark was the one to start it.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

import bookiji_seed as seed
from bench.tools import PGBENCH, CpuProbe, pgbench_init
from bookiji import config, deploy, gateway, procs, stack, stripe_setup
from bookiji.config import Settings

BENCH_DB = "bookiji_bench"
PGBENCH_DB = "bookiji_pgbench"
PASSWORD = "bench password 0123"  # noqa: S105 - the benchmark accounts, in a throwaway database
LOGIN_ACCOUNTS = 8  # api.login serialises attempts per email: spread them
# The limits are raised for the benchmark: it measures the cost of a request, not
# the limits, and every request comes from 127.0.0.1 with one token. nginx's
# limit_req and the hook's write counter still run on every request.
NO_LIMIT = 1_000_000


@dataclasses.dataclass(frozen=True)
class Account:
    id: str
    email: str
    session_id: str | None
    url: str  # the database it lives in


@dataclasses.dataclass(frozen=True)
class Worker:
    """``python -m worker`` over one database, with its own localstripe and SMTP sink."""

    db_url: str
    stripe_url: str
    log: Path
    process: subprocess.Popen[bytes]


def dataset_name(providers: int, days: int = seed.ACTIVITY_DAYS) -> str:
    """The database of a dataset: ``bookiji_bench_p<N>``, ``_d<days>`` for a window of another
    length than the seed's two weeks (each length is a dataset of its own, kept)."""
    name = f"bookiji_bench_p{providers}"
    return name if days == seed.ACTIVITY_DAYS else f"{name}_d{days}"


class BenchEnv:
    def __init__(
        self,
        settings: Settings,
        db_url: str,
        home: Path,
        stack_: ExitStack,
        fresh: bool,
        activity_days: int = seed.ACTIVITY_DAYS,
    ) -> None:
        self.settings = settings
        self.db_url = db_url
        self.home = home
        self._stack = stack_
        self._fresh = fresh
        self.activity_days = activity_days
        self._apis: dict[str, procs.ApiServer] = {}
        self._workers: dict[str, Worker] = {}
        self._forgotten: set[str] = set()  # the datasets cleared of earlier runs' bookings

    # --- the database ------------------------------------------------------

    def prepare(self) -> None:
        """Deploy the schema (into a new database unless one was given) and make accounts."""
        if self._fresh:
            _drop(self.settings, config.dbname_of(self.db_url))
        deploy.deploy(self.settings, url=self.db_url)
        _make_accounts(self.db_url)

    def dataset(self, providers: int) -> str:
        """A database of ``providers`` seeded Montreal providers, their next two
        weeks (time off, bookings: ``seed.load_activity``; ``activity_days`` others)
        and the benchmark accounts (``bookiji_bench_p<N>``, ``_d<days>`` for another
        number of days, on the same server, kept between runs; the days are made
        again when the dataset is used on another day)."""
        name = dataset_name(providers, self.activity_days)
        url = self.server_url(name)
        deploy.ensure_database(self.server_url("postgres"), name)
        deploy.deploy(self.settings, url=url)
        _make_accounts(url)
        # once a run, before its first sample, and before a new window is written (whose
        # bookings would otherwise go around the earlier runs' holds)
        if url not in self._forgotten:
            forgot = forget_activity(url)
            if forgot.bookings or forgot.quotes:
                print(f"    {forgot.summary()}", flush=True)
            self._forgotten.add(url)
        with psycopg.connect(url) as conn:
            loaded = seed.load(conn, providers)
            activity = seed.load_activity(conn, providers, days=self.activity_days)
        print(f"    {loaded.summary()}\n    {activity.summary()}", flush=True)
        with psycopg.connect(url, autocommit=True) as conn:
            print(f"    {seed.cluster_services(conn, force=not loaded.skipped)}", flush=True)
        if not (loaded.skipped and activity.skipped):
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    "vacuum analyze app.providers, app.services, app.weekly_hours, "
                    "app.time_off, app.bookings, app.payments"
                )
        return url

    def accounts_of(
        self, url: str, count: int = LOGIN_ACCOUNTS, prefix: str = "bench"
    ) -> list[Account]:
        """``count`` customer accounts in the database at ``url`` (made if missing)."""
        if prefix != "bench" or count != LOGIN_ACCOUNTS:
            _make_accounts(url, count, prefix)
        return _accounts(url, prefix)[:count]

    def token_for(self, account: Account) -> str:
        return self.tokens_for([account])[0]

    def tokens_for(self, accounts: list[Account]) -> list[str]:
        """Access tokens as api.login issues them: signed by the database
        (auth.issue_session), each carrying its account's session (a new one if it has none),
        valid for the bench's jwt_ttl_seconds."""
        tokens: list[str] = []
        by_url: dict[str, list[Account]] = {}
        for a in accounts:
            by_url.setdefault(a.url, []).append(a)
        issued: dict[str, str] = {}
        for url, group in by_url.items():
            with psycopg.connect(url, autocommit=True) as conn:
                for a in group:
                    row = conn.execute(
                        "select auth.issue_session(%s, %s) ->> 'access_token'", (a.id, a.session_id)
                    ).fetchone()
                    assert row is not None and row[0]
                    issued[a.id] = str(row[0])
        tokens = [issued[a.id] for a in accounts]
        return tokens

    def api_for(self, url: str) -> procs.ApiServer:
        """nginx → PostgREST (with the hook) over another database of the server."""
        if url not in self._apis:
            name = "api-" + config.dbname_of(url)
            self._apis[url] = self._run_api(name, pre_request=True, with_nginx=True, db_url=url)
        return self._apis[url]

    def api_variant(self, url: str, *, pooled: bool, replicas: int = 1) -> procs.ApiServer:
        """nginx → ``replicas`` PostgREST (with the hook) over the database at ``url``,
        through PgBouncer (transaction mode) when ``pooled``; started once."""
        key = f"{url}#pooled={pooled}#replicas={replicas}"
        if key not in self._apis:
            name = f"api-{config.dbname_of(url)}-{'pgb' if pooled else 'direct'}-{replicas}"
            self._apis[key] = self._run_api(
                name,
                pre_request=True,
                with_nginx=True,
                db_url=url,
                pooled=pooled,
                replicas=replicas,
            )
        return self._apis[key]

    def cached_api(self, url: str, ttl: int = 60) -> procs.ApiServer:
        """nginx (with the catalog cache and the read router, no replica) → PostgREST over
        the database at ``url``; started once."""
        key = f"{url}#cached"
        if key not in self._apis:
            dbname = config.dbname_of(url)
            read_path = procs.ReadPath(
                primary_url=config.with_credentials(
                    url, "authenticator", self.settings.authenticator_password, dbname
                ),
                cache_ttl=ttl,
            )
            self._apis[key] = self._run_api(
                f"api-{dbname}-cached",
                pre_request=True,
                with_nginx=True,
                db_url=url,
                read_path=read_path,
            )
        return self._apis[key]

    def realtime_api_for(self, url: str, clients: int) -> procs.ApiServer:
        """nginx → PostgREST and the real-time service over another database, for
        ``clients`` WebSocket clients from 127.0.0.1: the per-address caps (nginx's
        limit_conn, the service's own) lifted, nginx's worker and file limits raised."""
        key = f"{url}#realtime"
        if key not in self._apis:
            name = "api-rt-" + config.dbname_of(url)
            db_url = url
            dbname = config.dbname_of(db_url)
            self._apis[key] = self._stack.enter_context(
                procs.run_api(
                    self.settings,
                    db_url=db_url,
                    authenticator_url=config.with_credentials(
                        db_url, "authenticator", self.settings.authenticator_password, dbname
                    ),
                    home=self.home / name,
                    rate_per_address=NO_LIMIT,
                    rate_per_token=NO_LIMIT,
                    costly_per_address=NO_LIMIT,
                    costly_anonymous=NO_LIMIT,
                    realtime_env={"REALTIME_MAX_CONNECTIONS_PER_ADDRESS": str(NO_LIMIT)},
                    realtime_per_address=65535,
                    # two per client (its own and the upstream's), and room: nginx warned
                    # "worker_connections are not enough" at 2 per client + 512 with 5,000
                    worker_connections=max(2048, 3 * clients + 1024),
                )
            )
        return self._apis[key]

    def worker_for(self, url: str) -> Worker:
        """The worker over the database at ``url``, with localstripe and an SMTP sink
        of its own on free loopback ports, localstripe's webhook pointed at that
        database's API (started once; stopped when the environment closes)."""
        if url not in self._workers:
            self._workers[url] = self._stack.enter_context(self._run_worker(url))
        return self._workers[url]

    @contextmanager
    def _run_worker(self, url: str) -> Iterator[Worker]:
        name = "worker-" + config.dbname_of(url)
        home = self.home / name
        home.mkdir(parents=True, exist_ok=True)
        stripe_port, smtp_port = procs.free_port(), procs.free_port()
        stripe_url = f"http://127.0.0.1:{stripe_port}"
        started: list[subprocess.Popen[bytes]] = []
        logs: list[Any] = []

        def spawn(cmd: list[str], log_name: str, env: dict[str, str] | None = None) -> None:
            log = (home / log_name).open("wb")
            logs.append(log)
            started.append(
                subprocess.Popen(
                    cmd, cwd=config.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )

        try:
            spawn(
                [sys.executable, "-m", "bookiji.cli", "localstripe", "--port", str(stripe_port)],
                "localstripe.log",
            )
            spawn(
                [
                    sys.executable,
                    "-c",
                    "import sys; from pathlib import Path; from bookiji import services; "
                    "services.run_smtp_sink('127.0.0.1', int(sys.argv[1]), Path(sys.argv[2]))",
                    str(smtp_port),
                    str(home / "mail"),
                ],
                "smtp.log",
            )
            stripe_settings = dataclasses.replace(self.settings, stripe_api_base=stripe_url)
            deadline = time.monotonic() + 30
            while True:
                try:
                    stripe_setup.register_webhook(
                        stripe_settings, f"{self.api_for(url).url}/rpc/stripe_webhook"
                    )
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or started[0].poll() is not None:
                        raise
                    time.sleep(0.1)
            worker_env = dict(
                os.environ,
                WORKER_DATABASE_URL=config.with_credentials(
                    url, "bookiji_worker", self.settings.worker_db_password, config.dbname_of(url)
                ),
                STRIPE_API_BASE=stripe_url,
                SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
                PYTHONUNBUFFERED="1",
            )
            spawn(
                [
                    sys.executable,
                    "-m",
                    "worker",
                    "--metrics-port",
                    "0",
                    "--reconcile-interval",
                    "0",
                    "--log-level",
                    "WARNING",
                ],
                "worker.log",
                worker_env,
            )
            yield Worker(url, stripe_url, home / "worker.log", started[-1])
        finally:
            for proc in reversed(started):
                procs.stop(proc)
            for log in logs:
                log.close()

    @cached_property
    def accounts(self) -> list[Account]:
        return _accounts(self.db_url)

    @cached_property
    def token(self) -> str:
        """A customer's access token as login issues it (with its session), for an hour."""
        return self.token_for(self.accounts[0])

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def pgbench_url(self, scale: int) -> str:
        """A database of pgbench's own tables at ``scale`` (kept between runs)."""
        url = self.server_url(PGBENCH_DB)
        deploy.ensure_database(self.server_url("postgres"), PGBENCH_DB)
        with psycopg.connect(url) as conn:
            present = conn.execute("select to_regclass('pgbench_branches') is not null").fetchone()
            branches = (
                conn.execute("select count(*) from pgbench_branches").fetchone()
                if present and present[0]
                else (0,)
            )
        if not branches or branches[0] != scale:
            pgbench_init(url, scale)
        with psycopg.connect(url, autocommit=True) as conn:
            # a cluster that has just started reads from the OS cache: the first sample
            # would measure the warm-up, not the machine
            conn.execute("create extension if not exists pg_prewarm")
            conn.execute(
                "select pg_prewarm('pgbench_accounts'), pg_prewarm('pgbench_accounts_pkey')"
            )
        return url

    def server_url(self, dbname: str) -> str:
        """Another database on the benchmark database's server, as the same superuser."""
        parts = urlsplit(self.db_url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", parts.query, parts.fragment))

    # --- processes -----------------------------------------------------------

    def _run_api(
        self,
        name: str,
        *,
        pre_request: bool,
        with_nginx: bool,
        db_url: str | None = None,
        pooled: bool = False,
        replicas: int = 1,
        read_path: procs.ReadPath | None = None,
    ) -> procs.ApiServer:
        db_url = db_url or self.db_url
        dbname = config.dbname_of(db_url)
        return self._stack.enter_context(
            procs.run_api(
                self.settings,
                db_url=db_url,
                authenticator_url=config.with_credentials(
                    db_url, "authenticator", self.settings.authenticator_password, dbname
                ),
                home=self.home / name,
                pre_request=pre_request,
                with_nginx=with_nginx,
                rate_per_address=NO_LIMIT,
                rate_per_token=NO_LIMIT,
                costly_per_address=NO_LIMIT,
                costly_anonymous=NO_LIMIT,
                pooled=pooled,
                replicas=replicas,
                read_path=read_path,
            )
        )

    @cached_property
    def api(self) -> procs.ApiServer:
        """PostgREST with the pre-request hook, nginx in front: the real path."""
        return self._run_api("api", pre_request=True, with_nginx=True)

    @cached_property
    def api_without_hook(self) -> procs.ApiServer:
        """A second PostgREST over the same database, without db-pre-request (no nginx)."""
        return self._run_api("api-no-hook", pre_request=False, with_nginx=False)

    # --- CPU probes ----------------------------------------------------------

    @cached_property
    def postmaster_pid(self) -> int | None:
        """The cluster's postmaster, when it runs on this machine (None otherwise)."""
        with psycopg.connect(self.db_url) as conn:
            row = conn.execute("select pg_backend_pid()").fetchone()
            try:  # while the backend lives
                status = Path(f"/proc/{row[0] if row else 0}/status").read_text()
            except OSError:
                return None  # another machine (DATABASE_URL)
        ppid = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:")
        )
        try:
            is_postgres = Path(f"/proc/{ppid}/comm").read_text().startswith("postgres")
        except OSError:
            return None
        return ppid if is_postgres else None

    def probes(
        self, server: procs.ApiServer | None = None, *, nginx: bool = False
    ) -> list[CpuProbe]:
        found = []
        if server is not None:
            found.append(CpuProbe("postgrest", server.process.pid))
            if nginx and server.nginx is not None:
                found.append(CpuProbe("nginx", server.nginx.pid, with_children=True))
        if self.postmaster_pid is not None:
            found.append(CpuProbe("postgres", self.postmaster_pid, with_children=True))
        return found

    # --- the machine ---------------------------------------------------------

    def machine(self) -> dict[str, Any]:
        def first_line(cmd: list[str]) -> str:
            try:
                res = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
            except OSError:
                return "not installed"
            return ((res.stdout or res.stderr).strip().splitlines() or ["?"])[0]

        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.machine(),
        )
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        pg: dict[str, str] = {}
        with psycopg.connect(self.db_url) as conn:
            for name in ("server_version", "shared_buffers", "fsync", "synchronous_commit"):
                row = conn.execute(sql.SQL("show {}").format(sql.Identifier(name))).fetchone()
                pg[name] = str(row[0]) if row else "?"
        return {
            "cores": os.cpu_count(),
            "cpu": cpu,
            "memory_gib": round(mem_kib / 1024 / 1024, 1),
            "kernel": platform.release(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "postgres": pg.pop("server_version").split()[0],
            "postgres_settings": pg,
            "postgrest": deploy.postgrest_version(),
            "nginx": first_line([gateway.NGINX, "-v"]).removeprefix("nginx version: nginx/"),
            "wrk": first_line(["wrk", "-v"]).split(" [")[0],
            "hey": first_line(["dpkg-query", "-W", "-f=${Version}", "hey"]),
            "pgbench": first_line([PGBENCH, "--version"]),
            "python": platform.python_version(),
            "postgrest_db_pool": self.settings.pgrst_db_pool,
        }


def _make_accounts(url: str, count: int = LOGIN_ACCOUNTS, prefix: str = "bench") -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for i in range(count):
            email = f"{prefix}-{i}@bookiji.test"
            if conn.execute("select 1 from app.users where email = %s", (email,)).fetchone():
                continue
            conn.execute(
                "select auth.signup(%s, %s, %s, 'customer', 'en')",
                (email, PASSWORD, f"Bench Customer {i}"),
            )


# the benchmark's own accounts (``accounts_of``'s prefixes: bench, race), never the seed's
ACCOUNT_EMAILS = r"^(bench|race)-[^@]+@bookiji\.test$"


@dataclasses.dataclass(frozen=True)
class Forgotten:
    bookings: int
    quotes: int
    seconds: float

    def summary(self) -> str:
        return (
            f"earlier runs: {self.bookings:,} bookings and {self.quotes:,} quotes of the benchmark's "
            f"accounts deleted in {self.seconds:.0f} s"
        )


def forget_activity(url: str, batch: int = 20_000) -> Forgotten:
    """Delete what the benchmark's own accounts made in a kept dataset: their bookings (with
    their payments) and their quotes, ``batch`` at a time, every trigger on, so that the
    analytics rollups follow; then fold the rollups' deltas. A sample's confirms are kept
    until the scenario ends (expired by ``confirm.sweep``), and a dataset serves many runs:
    without this, each run's holds stayed, and a day of runs left 900,000 expired holds
    beside the 107,000 bookings the 10,000-provider dataset was built with, which every
    later figure read. A booking an owed transfer names (none of a hold's) is kept."""
    started = time.monotonic()
    counts = {"bookings": 0, "quotes": 0}
    with psycopg.connect(url, autocommit=True) as conn:
        ids = [
            r[0]
            for r in conn.execute("select id from app.users where email ~ %s", (ACCOUNT_EMAILS,))
        ]
        for table, keep in (
            (
                "bookings",
                "and not exists (select from app.owed_transfers o where o.booking_id = t.id)",
            ),
            ("quotes", ""),
        ):
            while True:
                cur = conn.execute(
                    sql.SQL(
                        "delete from app.{t} where id in (select t.id from app.{t} as t "
                        "where t.customer_id = any(%s) {keep} limit %s)"
                    ).format(t=sql.Identifier(table), keep=sql.SQL(keep)),
                    (ids, batch),
                )
                counts[table] += cur.rowcount
                if cur.rowcount < batch:
                    break
        if counts["bookings"] or counts["quotes"]:
            conn.execute("select internal.analytics_compact()")
    return Forgotten(counts["bookings"], counts["quotes"], time.monotonic() - started)


def _accounts(url: str, prefix: str = "bench") -> list[Account]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """
            select u.id, u.email::text,
                   (select s.id from auth.sessions s where s.user_id = u.id
                    and s.revoked_at is null order by s.created_at limit 1)
            from app.users u where u.email like %s order by u.email
            """,
            (f"{prefix}-%@bookiji.test",),
        ).fetchall()
    return [Account(str(r[0]), str(r[1]), str(r[2]) if r[2] else None, url) for r in rows]


def _drop(settings: Settings, dbname: str) -> None:
    with psycopg.connect(settings.admin_url("postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname))
        )


def bench_settings() -> Settings:
    """The environment's settings, with the per-minute write limits out of the way."""
    return dataclasses.replace(
        config.load(),
        rate_limit_writes_per_minute=NO_LIMIT,
        rate_limit_anon_writes_per_minute=NO_LIMIT,
        # tokens (signed by the database, auth.issue_session) outlive a long run
        jwt_ttl_seconds=3600,
    )


def start_server(s: Settings, es: ExitStack) -> None:
    """The database server up: the embedded cluster started if need be, and stopped again
    when ``es`` closes if this started it."""
    cluster = stack.embedded_cluster(s) if s.embedded else None
    was_running = cluster.running() if cluster else True
    stack.ensure_database_server(s)
    if cluster is not None and not was_running:
        es.callback(cluster.stop)


def dataset_url(es: ExitStack, size: int, database_url: str | None) -> str:
    """The database a tool measures: ``database_url``, or the benchmark's dataset of ``size``
    providers on the embedded cluster (started if need be, stopped again with ``es``)."""
    if database_url is not None:
        return database_url
    s = bench_settings()
    start_server(s, es)
    return s.admin_url(f"bookiji_bench_p{size}")


@contextmanager
def open_env(
    database_url: str | None = None, activity_days: int = seed.ACTIVITY_DAYS
) -> Iterator[BenchEnv]:
    """The benchmark environment. Without ``database_url``: the embedded cluster
    (started if need be, and stopped again after) and a new ``bookiji_bench``
    database; with it: that database, deployed, left in place."""
    s = bench_settings()
    with ExitStack() as es:
        if database_url is None:
            start_server(s, es)
        home = Path(tempfile.mkdtemp(prefix="run-", dir=_bench_dir(s)))
        home.chmod(0o755)  # nginx's workers (www-data when run as root) reach their temp files
        es.callback(shutil.rmtree, home, True)
        env = BenchEnv(
            s,
            database_url or s.admin_url(BENCH_DB),
            home,
            es,
            fresh=database_url is None,
            activity_days=activity_days,
        )
        env.prepare()
        yield env


def _bench_dir(s: Settings) -> Path:
    path = s.data_dir / "bench"
    path.mkdir(parents=True, exist_ok=True)
    return path
