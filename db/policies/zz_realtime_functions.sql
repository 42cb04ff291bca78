-- The real-time service logs in as authenticator (as PostgREST does) and calls
-- these two definers itself, before it switches to a subscriber's role
-- (db/functions/96_realtime.sql). Nobody else may: an API role has no use for
-- a token oracle or the log's bounds.
grant execute on function auth.verify_token(text) to authenticator;
grant execute on function auth.event_log_bounds() to authenticator;
-- helpers the definer calls run as its owner; nobody needs them directly
