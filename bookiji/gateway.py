"""nginx in front of PostgREST: per-address and per-token limits for every request
(reads included, which the database cannot count), a body size cap, request ids,
the client's address for the database (X-Real-IP), and a JSON access log that
`bookiji access-log` ships into audit.access_log."""

from __future__ import annotations

import json
import os
import pwd
import resource
import shutil
from dataclasses import dataclass
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NJS_MODULE = "/usr/lib/nginx/modules/ngx_http_js_module.so"
# the njs files, in the top-level gateway/ of the checkout (the image copies it too)
JS_DIR = Path(__file__).resolve().parent.parent / "gateway"
# the built web app (web/, `npm run build`), served at /app/
WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
_MIME_TYPES = "/etc/nginx/mime.types"


@dataclass(frozen=True)
class GatewayConfig:
    listen_host: str
    listen_port: int
    upstream_port: int
    home: Path  # conf, pid, temp files, logs
    rate_per_address: int = 200  # requests per second per client address
    burst_per_address: int = 400
    rate_per_token: int = 50  # requests per second per bearer token
    burst_per_token: int = 100
    # expensive requests (quote, availability, embedding, or=/and= trees) in flight at
    # once: per client address, and for all anonymous callers together (PostgREST's
    # pool has 10 connections: anonymous callers can never hold more than this many)
    costly_per_address: int = 4
    costly_anonymous: int = 6
    max_body: str = "1m"
    max_answer: str = "16m"  # the largest PostgREST answer the gateway reads in memory
    upstream_host: str = "127.0.0.1"
    # further PostgREST processes (`bookiji up --scale api=N`), beside upstream_port
    extra_upstream_ports: tuple[int, ...] = ()
    # passive health checks: a PostgREST that failed max_fails times (refused or reset
    # connection, timeout) within fail_timeout seconds gets no request for fail_timeout
    upstream_max_fails: int = 1
    upstream_fail_timeout: int = 5
    js_dir: Path | None = None  # where jwt.js and upstream.js are; default: gateway/
    user: str | None = None  # nginx's `user` for its workers; default: www-data when root
    # the real-time service (realtime/, docs/realtime.md) behind /realtime; none: no route
    realtime_port: int | None = None
    realtime_host: str = "127.0.0.1"
    realtime_per_address: int = 500  # open WebSocket connections per client address
    # connections nginx's one worker holds (a WebSocket client holds two: its own and
    # the upstream's); above 2048 the worker's file limit is raised to match
    worker_connections: int = 2048
    # the web app (web/, docs/web.md): its built files served at /app/, and the runtime
    # configuration it reads at /app/config.json (no rebuild per environment); none: no app
    web_dir: Path | None = None
    app_config: dict[str, str] | None = None
    # the public catalog's read path (bookiji/readpath.py, docs/operations.md "Read
    # replica", "Caching"): anonymous GETs of the catalog go where the read router's state
    # file says (the replica's PostgREST on replica_port, or the primary's), through
    # nginx's cache for cache_ttl seconds (0: no cache). None: no read path at all.
    read_state: Path | None = None
    replica_port: int | None = None
    # where that PostgREST is: upstream_host unless given (compose: the rest-replica service)
    replica_host: str | None = None
    cache_ttl: int = 0
    # TRUSTED_PROXIES (bookiji/config.py): the TLS proxies in front of nginx, whose
    # X-Forwarded-For nginx believes (the realip module): the client address of the
    # limits and the access log is then the last address no trusted proxy added. Empty:
    # the peer's address, whatever X-Forwarded-For a client sends.
    trusted_proxies: tuple[str, ...] = ()

    @property
    def access_log(self) -> Path:
        return self.home / "access.jsonl"

    @property
    def conf_file(self) -> Path:
        return self.home / "nginx.conf"


def _real_ip(cfg: GatewayConfig) -> str:
    """The client's address from X-Forwarded-For, when the peer is a trusted proxy:
    read from the right, skipping every trusted address (real_ip_recursive)."""
    if not cfg.trusted_proxies:
        return ""
    lines = [f"    set_real_ip_from {cidr};" for cidr in cfg.trusted_proxies]
    lines += ["    real_ip_header X-Forwarded-For;", "    real_ip_recursive on;"]
    return "\n".join(lines) + "\n"


LOG_FORMAT = (
    '{"time":"$time_iso8601","request_id":"$request_id","method":"$request_method",'
    '"path":"$uri","status":$status,"role":"$jwt_role","sub":"$jwt_sub",'
    '"client_addr":"$remote_addr","bytes":$body_bytes_sent,"duration_s":$request_time}'
)


def _error_body(code: str, message: str) -> str:
    status, hint = code.split(":")
    return json.dumps({"code": f"PT{status}", "message": message, "details": None, "hint": hint})


def _postgrest_upstream(cfg: GatewayConfig) -> str:
    # One PostgREST or several. nginx passes a request to the next server after `error`
    # or `timeout` (proxy_next_upstream's default) only while nothing was sent, or for
    # an idempotent method: a POST whose PostgREST died after receiving it is not
    # replayed (nginx's default leaves out `non_idempotent`); the client gets the
    # gateway's 503 `unavailable` (docs/errors.md) and retries it with its own key.
    servers = "".join(
        f"        server {cfg.upstream_host}:{port} max_fails={cfg.upstream_max_fails}"
        f" fail_timeout={cfg.upstream_fail_timeout}s;\n"
        for port in (cfg.upstream_port, *cfg.extra_upstream_ports)
    )
    return f"""
    upstream postgrest {{
{servers}        keepalive 64;
    }}
"""


def _read_path_http(cfg: GatewayConfig) -> str:
    if cfg.read_state is None:
        return ""
    # the replica's PostgREST, and the primary's as backups: a refused connection, a
    # timeout or a 502/503/504 from the replica's (its database stopped) goes on to the
    # primary's; every request here is an anonymous GET, safe to send again
    replica = ""
    if cfg.replica_port is not None:
        backups = "".join(
            f"        server {cfg.upstream_host}:{port} backup;\n"
            for port in (cfg.upstream_port, *cfg.extra_upstream_ports)
        )
        replica = f"""    upstream postgrest_replica {{
        server {cfg.replica_host or cfg.upstream_host}:{cfg.replica_port} max_fails=1 fail_timeout=2s;
{backups}        keepalive 16;
    }}
"""
    cache = (
        f"    proxy_cache_path {cfg.home / 'cache'} levels=1:2 keys_zone=catalog:10m"
        " max_size=256m inactive=10m use_temp_path=off;\n"
        if cfg.cache_ttl > 0
        else ""
    )
    return f"""
    js_var $read_state_file {cfg.read_state};
    js_var $catalog_ttl {cfg.cache_ttl};
    js_var $catalog_upstream postgrest;
    js_var $catalog_key;
{cache}{replica}"""


def _read_path_location(cfg: GatewayConfig) -> str:
    if cfg.read_state is None:
        return ""
    cache = ""
    if cfg.cache_ttl > 0:
        # The key: the scope's version (bumped by the read router when the catalog
        # changes: every older entry becomes unreachable), the URL and each header the
        # answer depends on. Nothing personal: upstream.js sends only requests without
        # Authorization here, and a request with credentials would neither read nor fill it.
        cache = f"""            proxy_cache catalog;
            proxy_cache_key "$catalog_key|$request_uri|$http_accept|$http_prefer|$http_range|$http_accept_profile";
            proxy_cache_valid 200 {cfg.cache_ttl}s;
            # no proxy_cache_lock: its waiters poll every 500 ms (a 0.5 s tail on every
            # purge); concurrent misses go to PostgREST as they would without a cache. An
            # expired entry being refreshed is served to the others meanwhile.
            proxy_cache_use_stale updating;
            proxy_cache_bypass $http_authorization $http_cookie;
            proxy_no_cache $http_authorization $http_cookie;
"""
    return f"""
        # anonymous reads of the public catalog (upstream.js, readRoute)
        location = /_catalog {{
            internal;
            proxy_pass http://$catalog_upstream$request_uri;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Request-Id $request_id;
            proxy_read_timeout 60s;
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 3;
            proxy_buffer_size 16k;
            proxy_buffers 8 16k;
            subrequest_output_buffer_size {cfg.max_answer};
{cache}        }}
"""


def _worker_limits(cfg: GatewayConfig) -> str:
    events = f"events {{ worker_connections {cfg.worker_connections}; }}"
    if cfg.worker_connections <= 2048:
        return events
    # as far as this process may raise it (nginx's master runs as the caller)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    files = cfg.worker_connections * 2 if hard == resource.RLIM_INFINITY else hard
    return f"worker_rlimit_nofile {min(cfg.worker_connections * 2, files)};\n{events}"


def _realtime_upstream(cfg: GatewayConfig) -> str:
    if cfg.realtime_port is None:
        return ""
    return f"""
    upstream realtime {{
        server {cfg.realtime_host}:{cfg.realtime_port};
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        '' close;
    }}
    limit_conn_zone $binary_remote_addr zone=realtime_per_address:10m;
"""


def _realtime_location(cfg: GatewayConfig) -> str:
    if cfg.realtime_port is None:
        return ""
    # The WebSocket upgrade, under the per-address request limit (each connection is
    # one request) and a cap on open connections per address; the service applies its
    # own limits (per token, subscriptions, frame size) and pings every
    # REALTIME_PING_SECONDS, well inside the read timeout below.
    return f"""
        location = /realtime {{
            limit_req zone=per_address burst={cfg.burst_per_address} nodelay;
            limit_conn realtime_per_address {min(cfg.realtime_per_address, 65535)};
            proxy_pass http://realtime;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Request-Id $request_id;
            proxy_buffering off;
            proxy_read_timeout 75s;
            proxy_send_timeout 75s;
            add_header X-Request-Id $request_id always;
            error_page 429 = @rate_limited;
        }}
"""


def _nginx_string(text: str) -> str:
    """``text`` as one single-quoted nginx string (no variables expanded)."""
    if "$" in text or "\\" in text:
        raise ValueError(f"the web app's configuration cannot hold '$' or a backslash: {text!r}")
    return "'" + text.replace("'", "\\'") + "'"


def _app_locations(cfg: GatewayConfig) -> str:
    if cfg.web_dir is None:
        return ""
    dist = str(cfg.web_dir).rstrip("/")
    config = _nginx_string(json.dumps(cfg.app_config or {}, sort_keys=True))
    # Hashed assets never change under one name: cached for a year. index.html and every
    # route of the single-page app (the fallback) are revalidated on each visit, so a
    # new build is seen at once. The configuration is rendered here, per environment.
    return f"""
        location = /app {{
            return 301 /app/;
        }}
        location = /app/config.json {{
            limit_req zone=per_address burst={cfg.burst_per_address} nodelay;
            add_header Cache-Control "no-store" always;
            add_header X-Request-Id $request_id always;
            return 200 {config};
        }}
        location /app/assets/ {{
            limit_req zone=per_address burst={cfg.burst_per_address} nodelay;
            alias {dist}/assets/;
            default_type application/octet-stream;
            add_header Cache-Control "public, max-age=31536000, immutable" always;
            add_header X-Content-Type-Options nosniff always;
            error_page 429 = @rate_limited;
        }}
        location /app/ {{
            limit_req zone=per_address burst={cfg.burst_per_address} nodelay;
            alias {dist}/;
            default_type text/html;
            try_files $uri /app/index.html;
            add_header Cache-Control "no-cache" always;
            add_header X-Content-Type-Options nosniff always;
            add_header X-Frame-Options DENY always;
            add_header Referrer-Policy same-origin always;
            error_page 429 = @rate_limited;
        }}
"""


def render(cfg: GatewayConfig) -> str:
    js_dir = cfg.js_dir or JS_DIR
    tmp = cfg.home / "tmp"
    user = f"user {cfg.user};" if cfg.user else ""
    if cfg.user is None and os.geteuid() == 0:
        user = "user www-data www-data;" if _has_user("www-data") else "user nobody nogroup;"
    return f"""# generated by bookiji: do not edit
load_module {NJS_MODULE};
{user}
daemon off;
worker_processes 1;
pid {cfg.home / "nginx.pid"};
error_log {cfg.home / "error.log"} warn;
{_worker_limits(cfg)}
http {{
    js_path "{js_dir}";
    js_import jwt from jwt.js;
    js_set $jwt_sub jwt.sub;
    js_set $jwt_role jwt.role;
    js_set $jwt_token jwt.token;
    js_import upstream from upstream.js;
    js_set $costly_address upstream.costlyAddress;
    js_set $costly_anon upstream.costlyAnon;

    client_body_temp_path {tmp / "body"};
    proxy_temp_path {tmp / "proxy"};
    fastcgi_temp_path {tmp / "fastcgi"};
    uwsgi_temp_path {tmp / "uwsgi"};
    scgi_temp_path {tmp / "scgi"};

    include {_MIME_TYPES};
    log_format bookiji escape=json '{LOG_FORMAT}';
    access_log {cfg.access_log} bookiji buffer=64k flush=1s;
    server_tokens off;
    client_max_body_size {cfg.max_body};
    keepalive_requests 10000;
{_real_ip(cfg)}
    limit_req_zone $binary_remote_addr zone=per_address:10m rate={cfg.rate_per_address}r/s;
    limit_req_zone $jwt_token zone=per_token:20m rate={cfg.rate_per_token}r/s;
    limit_req_status 429;
    limit_conn_zone $costly_address zone=costly_per_address:10m;
    limit_conn_zone $costly_anon zone=costly_anonymous:64k;
    limit_conn_status 429;
{_postgrest_upstream(cfg)}{_realtime_upstream(cfg)}{_read_path_http(cfg)}
    server {{
        listen {cfg.listen_host}:{cfg.listen_port};
        default_type application/json;
        # a request line over large_client_header_buffers (8k): the API's JSON error,
        # not nginx's HTML page (the OpenAPI documents 414 on every operation). A URI,
        # not a named location: nginx has no URI yet to redirect with at this point.
        error_page 414 /_too_long;
        # a header line over the same buffers (nginx's 494): 400 invalid_input naming it
        error_page 494 =400 /_header_too_long;

        location / {{
            limit_req zone=per_address burst={cfg.burst_per_address} nodelay;
            limit_req zone=per_token burst={cfg.burst_per_token} nodelay;
            limit_conn costly_per_address {min(cfg.costly_per_address, 65535)};
            limit_conn costly_anonymous {min(cfg.costly_anonymous, 65535)};
            # upstream.js reads PostgREST's whole answer (a subrequest) and corrects
            # the two it gets wrong for clients (docs/errors.md, "Gateway").
            js_content upstream.pass;
            add_header X-Request-Id $request_id always;
            error_page 429 = @rate_limited;
            error_page 413 = @too_large;
        }}
{_realtime_location(cfg)}{_app_locations(cfg)}{_read_path_location(cfg)}
        # the OpenAPI 3.1 document (api.openapi(), docs/api.md) at a stable path
        location = /openapi.json {{
            limit_req zone=per_address burst={cfg.burst_per_address} nodelay;
            limit_req zone=per_token burst={cfg.burst_per_token} nodelay;
            proxy_pass http://postgrest/rpc/openapi;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Request-Id $request_id;
            add_header X-Request-Id $request_id always;
            error_page 429 = @rate_limited;
        }}
        location = /_postgrest {{
            internal;
            proxy_pass http://postgrest$request_uri;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Request-Id $request_id;
            proxy_read_timeout 60s;
            # a dead PostgREST: the next one, for idempotent requests (see the upstream)
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 3;
            # PostgREST echoes the query string in Content-Location: a request line
            # near nginx's 8k limit needs a response-header buffer larger than the
            # 4k/8k default, or nginx fails it as a 502 ("upstream sent too big header").
            proxy_buffer_size 16k;
            proxy_buffers 8 16k;
            # the largest answer (db-max-rows rows, the OpenAPI document) fits in memory
            subrequest_output_buffer_size {cfg.max_answer};
        }}
        location @rate_limited {{
            add_header Retry-After 1 always;
            add_header X-Request-Id $request_id always;
            return 429 '{_error_body("429:rate_limited", "too many requests from this client; retry in 1 second")}';
        }}
        location = /_header_too_long {{
            internal;
            add_header X-Request-Id $request_id always;
            return 400 '{_error_body("400:invalid_input", "a request header is too long (limit 8 KB)")}';
        }}
        location = /_too_long {{
            internal;
            add_header X-Request-Id $request_id always;
            return 414 '{_error_body("414:uri_too_long", "the request line is too long (limit 8 KB): send fewer or shorter query parameters")}';
        }}
        location @too_large {{
            add_header X-Request-Id $request_id always;
            return 413 '{_error_body("413:payload_too_large", "the request body is too large (limit " + cfg.max_body + "B)")}';
        }}
    }}
}}
"""


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def prepare(cfg: GatewayConfig) -> Path:
    """Write the config and make the directories nginx needs; return the config path."""
    cfg.home.mkdir(parents=True, exist_ok=True)
    tmp = cfg.home / "tmp"
    tmp.mkdir(exist_ok=True)
    if cfg.js_dir is not None:
        cfg.js_dir.mkdir(parents=True, exist_ok=True)
        for name in (
            "jwt.js",
            "upstream.js",
            "errors.js",
            "constraint_errors.js",
            "rpc_arguments.js",
        ):
            shutil.copyfile(
                JS_DIR / name,
                cfg.js_dir / name,
            )
    if cfg.user is not None:
        tmp.chmod(0o777)  # another image's nginx user writes its temp files here
    elif os.geteuid() == 0:
        who = pwd.getpwnam("www-data") if _has_user("www-data") else pwd.getpwnam("nobody")
        os.chown(tmp, who.pw_uid, who.pw_gid)
    cfg.conf_file.write_text(render(cfg))
    return cfg.conf_file


def command(cfg: GatewayConfig) -> list[str]:
    return [NGINX, "-e", str(cfg.home / "error.log"), "-c", str(cfg.conf_file)]
