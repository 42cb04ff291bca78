-- Schema usage and the default lock-down. Grants start from revoke.
revoke all on schema app, auth, audit, internal, extensions from public;
revoke all on schema api from public;
revoke all on all functions in schema api, auth, internal from public;
-- Execute on functions starts from nothing on every deploy, as on a fresh one:
-- each later file grants by name to the roles that may call each function, so
-- a grant deleted from a file really disappears (tests/helpers/lint.py,
-- API_EXECUTE, lists who may execute each api function).
revoke all on all functions in schema api, auth, internal
from anon, customer, provider, ops, bookiji_worker, authenticator;

grant usage on schema api to anon, customer, provider, ops;
-- API roles reach private schemas only through functions and views that need
-- the types and operators of the extensions.
grant usage on schema extensions to anon, customer, provider, ops, bookiji_worker;
grant usage on schema auth to anon, customer, provider, ops, authenticator;
grant usage on schema internal to anon, customer, provider, ops, bookiji_worker;

-- Foundation functions
grant execute on function api.health() to anon, customer, provider, ops;
grant execute on function api.ping() to anon, customer, provider, ops;
-- the versions behind api.health: ops only (everyone else gets the bare status)
grant execute on function internal.health() to ops;

-- Request identity helpers and the pre-request hook
grant execute on function auth.jwt(), auth.uid(), auth.role() to anon, customer, provider, ops;
grant execute on function auth.check_request() to anon, customer, provider, ops;
grant execute on function internal.fail(text, text, text) to anon, customer, provider, ops, bookiji_worker;
grant execute on function internal.error_codes() to anon, customer, provider, ops, bookiji_worker;
-- The guards (db/functions/12_guards.sql): invoker functions that only refuse
grant execute on function
internal.require_role(text, text, text),
internal.require(anyelement, text, text),
internal.require_text(text, text),
internal.require_time(timestamptz, text)
to anon, customer, provider, ops, bookiji_worker;
