-- migrate:up
-- Absolute periods when a provider does not work (holidays, appointments
-- elsewhere). Finite, non-empty, and never overlapping for one provider.
create table app.time_off (
    id uuid primary key default extensions.gen_random_uuid(),
    provider_id uuid not null references app.providers (id) on delete cascade,
    during tstzrange not null,
    reason text not null default '',
    created_at timestamptz not null default now(),
    constraint time_off_during_check check (
        not isempty(during) and not lower_inf(during) and not upper_inf(during)
    ),
    constraint time_off_reason_check check (length(reason) <= 500),
    -- the leading provider_id of this GiST index also serves the foreign key
    constraint time_off_provider_id_during_excl exclude using gist (
        provider_id with =,
        during with &&
    )
);
comment on table app.time_off is 'Periods when a provider is unavailable (absolute time ranges), never overlapping.';

-- migrate:down
-- cascade: the declarative api views (and functions returning their rows)
-- depend on the table; deploy recreates them.
drop table app.time_off cascade;
