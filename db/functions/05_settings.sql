-- Deploy-time settings (written by `bookiji deploy` from the environment).

-- PL/pgSQL, not SQL: a SQL function with its own search_path is never inlined, and its
-- body is planned again on every statement that calls it (a confirm called this from
-- nine places, nine plans); PL/pgSQL keeps the plan for the session.
create or replace function internal.setting(p_key text)
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
    return (select s.value from internal.settings as s where s.key = p_key);
end
$$;
comment on function internal.setting(text) is
'Read one deploy-time setting. Definer: internal.settings holds secrets no API role may read.';
