-- Health: versions of every part and the latest migration.

create or replace function internal.health()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select jsonb_build_object(
        'status', 'ok',
        'postgres', pg_catalog.current_setting('server_version'),
        'postgis', extensions.postgis_lib_version(),
        'pgmq', internal.setting('pgmq_version'),
        'postgrest', jsonb_build_object(
            'version', internal.setting('postgrest_version'),
            -- this function is reached through PostgREST's schema cache, so an
            -- answer means the cache is loaded and holds the deployed api
            'schema_cache', 'loaded',
            'deployed_at', internal.setting('deployed_at')
        ),
        'migration', (select max(m.version) from public.schema_migrations as m),
        -- the streaming replicas this server feeds (docs/operations.md, "Read replica"):
        -- how far each is behind, in bytes of WAL and in time (null once caught up and idle)
        'replicas', coalesce((
            select jsonb_agg(jsonb_build_object(
                'name', r.application_name,
                'state', r.state,
                'replay_lag_bytes', pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.replay_lsn),
                'replay_lag_seconds', extract(epoch from r.replay_lag)
            ) order by r.application_name)
            from pg_catalog.pg_stat_replication as r
        ), '[]'::jsonb),
        'time', pg_catalog.now()
    )
$$;
comment on function internal.health() is
$$Versions, migration state and the streaming replicas' lag. Definer: reads schema_migrations,
settings and pg_stat_replication's positions, which anon cannot.$$;

create or replace function api.health()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
    -- Versions tell an attacker which published bugs to try: only ops see them.
    -- plpgsql, so that internal.health() (granted to ops alone) is only looked
    -- up, and its privilege checked, when the branch runs.
    if current_user = 'ops' then
        return internal.health();
    end if;
    return pg_catalog.jsonb_build_object('status', 'ok');
end
$$;
comment on function api.health() is
$$Health check: {"status": "ok"} when the API and its database answer.

Open to anonymous callers. GET /rpc/health. Called with an ops token it adds the
versions of PostgreSQL, PostGIS, pgmq and PostgREST, the schema cache state, the
latest migration and the streaming replicas' lag (replicas: name, state,
replay_lag_bytes, replay_lag_seconds); every other caller gets the status alone.$$;

create or replace function api.ping()
returns integer
language sql
stable
parallel safe
-- no `set search_path`: the body names nothing, and a function-level setting
-- would stop the planner from inlining it and add a GUC save/restore per call
as $$
    select 1
$$;
comment on function api.ping() is
$$Liveness probe: always 1, reads nothing.

The cheapest possible call through the whole HTTP path (nginx, PostgREST, the
pre-request hook, one SQL statement): `make bench` measures the request overhead
with it. Open to anonymous callers. GET /rpc/ping.$$;
