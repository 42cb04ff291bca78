-- Deploy-time settings (written by `bookiji deploy` from the environment).

create or replace function internal.setting(p_key text)
returns text
language sql
stable
security definer
set search_path = ''
as $$
    select s.value from internal.settings as s where s.key = p_key
$$;
comment on function internal.setting(text) is
'Read one deploy-time setting. Definer: internal.settings holds secrets no API role may read.';
