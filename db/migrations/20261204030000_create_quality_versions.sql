-- migrate:up
-- Quality predictions (db/functions/37_quality.sql, docs/quality.md): the
-- probability that a booking with a provider at a time ends with the provider
-- cancelling or as a no-show, by a logistic regression whose coefficients are
-- versioned here like the ranking's weights (app.ranking_versions). Exactly one
-- version is active; a trained version carries its offline metrics (held-out
-- log-loss, Brier score, calibration by decile) and becomes active only when it
-- beat the active version on the same held-out bookings.
--
-- The outcome data: a booking's status, cancelled_by_role and no_show status
-- are stored, and app.providers keeps the provider-cancellation and no-show
-- counts over all ended bookings (73_reliability.sql). What was missing is how
-- many of those ended with the customer (or ops) cancelling: a booking the
-- customer cancelled says nothing of whether the provider would have honoured
-- it, so the model's rates are over the bookings the provider was put to the
-- test on (ended minus those), kept by the same trigger in
-- app.providers.other_cancellations.
create table app.quality_versions (
    version integer not null,
    features text[] not null,
    coefficients double precision[] not null,
    is_active boolean not null default false,
    source text not null,
    metrics jsonb not null default '{}',
    note text,
    created_at timestamptz not null default now(),
    activated_at timestamptz,
    constraint quality_versions_pkey primary key (version),
    constraint quality_versions_version_check check (version >= 1),
    constraint quality_versions_coefficients_check check (
        cardinality(coefficients) = cardinality(features) + 1
    ),
    constraint quality_versions_source_check check (source in ('fixed', 'trained')),
    constraint quality_versions_note_check check (char_length(note) <= 500)
);
comment on table app.quality_versions is
$$The quality model's coefficients, one row per version (intercept first, then one per feature);
exactly one active (internal.activate_quality_version).$$;
create unique index quality_versions_is_active_idx on app.quality_versions (is_active) where is_active;

-- version 1: no model, the reliability prior (2% provider cancellations + 2% no-shows)
insert into app.quality_versions (version, features, coefficients, is_active, source, note, activated_at)
values (
    1,
    array[
        'provider_cancel_logit', 'no_show_logit', 'log_volume', 'morning', 'evening', 'weekend',
        'log_lead_hours', 'duration_hours'
    ],
    array[ln(0.04 / 0.96), 0, 0, 0, 0, 0, 0, 0, 0],
    true,
    'fixed',
    'no model: the reliability prior, 4% for every booking',
    now()
);

alter table app.providers add column other_cancellations integer not null default 0;
comment on column app.providers.other_cancellations is
'Ended bookings cancelled by someone other than the provider (customer, ops, system). Kept by a trigger.';
update app.providers as p
set other_cancellations = c.n
from (
    select
        b.provider_id,
        count(*)::integer as n
    from app.bookings as b
    where b.status = 'cancelled' and b.cancelled_by_role is distinct from 'provider'
    group by b.provider_id
) as c
where p.id = c.provider_id;

-- migrate:down
alter table app.providers drop column other_cancellations;
-- the functions taking a version row (db/functions/37_quality.sql) would hold the drop back
drop table app.quality_versions cascade;
