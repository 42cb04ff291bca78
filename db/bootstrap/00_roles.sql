-- Cluster-level roles, idempotent. Run by every deploy before the migrations.
-- Roles are cluster-wide, so they cannot live in a per-database migration.
--
--   authenticator   PostgREST logs in as it; NOINHERIT, it only switches roles
--   anon            requests without a token
--   customer        people who book
--   provider        businesses offering services
--   ops             Bookiji staff
--   bookiji_worker  the pgmq consumer (Stripe, notifications); least privilege
--
-- Passwords are not set here: deploy sets them from the environment with
-- properly quoted literals.
do $$
declare
    v_role text;
begin
    if not exists (select from pg_catalog.pg_roles where rolname = 'authenticator') then
        create role authenticator login noinherit nocreatedb nocreaterole nosuperuser;
    end if;
    foreach v_role in array array['anon', 'customer', 'provider', 'ops'] loop
        if not exists (select from pg_catalog.pg_roles where rolname = v_role) then
            execute format('create role %I nologin noinherit', v_role);
        end if;
    end loop;
    if not exists (select from pg_catalog.pg_roles where rolname = 'bookiji_worker') then
        create role bookiji_worker login noinherit nocreatedb nocreaterole nosuperuser;
    end if;
    grant anon, customer, provider, ops to authenticator;
end
$$;

-- Every API request runs under a statement budget: PostgREST applies these
-- impersonated-role settings in each request's transaction, so a query that
-- would scan for minutes is cancelled (SQLSTATE 57014, see docs/errors.md)
-- instead of holding a connection of the pool. Idempotent: alter role set
-- replaces the value. Anonymous callers, who cost an attacker nothing, get a
-- fifth of the others' budget: nothing anonymous needs more (login's bcrypt,
-- 31 days of availability: tens of milliseconds), and each of them holds one of
-- PostgREST's pool connections for at most 1 s (docs/security.md, "Cost").
-- deploy tells PostgREST to reload its config, which rereads these settings.
alter role anon set statement_timeout = '1s';
alter role customer set statement_timeout = '5s';
alter role provider set statement_timeout = '5s';
alter role ops set statement_timeout = '5s';
