-- auth.*: credentials, sessions, tokens, throttles. No API role reads or writes
-- them directly; only the definer functions of db/functions/1x/25 do.
do $$
declare
    v_table text;
begin
    foreach v_table in array array[
        'credentials', 'sessions', 'refresh_tokens', 'one_time_tokens', 'login_attempts', 'rate_events',
        'rate_limits'
    ] loop
        execute format('alter table auth.%I enable row level security', v_table);
        execute format('alter table auth.%I force row level security', v_table);
        execute format(
            'revoke all on auth.%I from public, anon, customer, provider, ops, bookiji_worker, authenticator',
            v_table
        );
    end loop;
end
$$;
