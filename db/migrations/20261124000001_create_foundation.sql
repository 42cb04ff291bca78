-- migrate:up
-- The foundation every later migration stands on: extensions in their own
-- schema, one schema per job, and the deploy bookkeeping.
--   extensions  postgis, btree_gist, pgcrypto, citext (never exposed)
--   app         private tables
--   api         the only schema PostgREST exposes: views and functions
--   auth        credentials, tokens, request identity helpers
--   audit       append-only action and access logs
--   internal    security definer helpers called by api and the worker
create schema extensions;
create extension if not exists postgis with schema extensions;
create extension if not exists btree_gist with schema extensions;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists citext with schema extensions;

create schema app;
create schema api;
create schema auth;
create schema audit;
create schema internal;

-- Nobody creates objects in public; functions are not executable by default.
revoke create on schema public from public;
alter default privileges revoke execute on functions from public;

-- Values the deploy step writes from the environment (JWT secret, webhook
-- secret, versions). Read only through security definer helpers.
create table internal.settings (
    key text primary key,
    value text not null,
    updated_at timestamptz not null default now()
);
comment on table internal.settings is
'Deploy-time configuration (secrets, versions); written by deploy, read by definer helpers only.';

-- migrate:down
drop table internal.settings;
drop schema internal cascade;
drop schema audit cascade;
drop schema auth cascade;
drop schema api cascade;
drop schema app cascade;
alter default privileges grant execute on functions to public;
grant create on schema public to public;
drop extension citext;
drop extension pgcrypto;
drop extension btree_gist;
drop extension postgis;
drop schema extensions;
