-- The real-time service logs in as authenticator (as PostgREST does) and calls
-- these three definers itself, before it switches to a subscriber's role
-- (db/functions/96_realtime.sql); the read router (also authenticator) polls the
-- log's ids and kinds. Nobody else may: an API role has no use for a token
-- oracle, the log's bounds or its ids.
grant execute on function auth.verify_token(text) to authenticator;
grant execute on function auth.event_log_bounds() to authenticator;
grant execute on function auth.event_ids_after(bigint, bigint[], integer) to authenticator;
-- helpers the definer calls run as its owner; nobody needs them directly
