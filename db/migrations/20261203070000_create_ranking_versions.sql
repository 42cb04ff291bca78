-- migrate:up
-- The quote's ranking weights in one place, versioned (db/functions/36_ranking.sql,
-- docs/ranking.md). score = w_distance * D + w_rating * R + w_price * P
-- + w_reliability * Q (+ w_personal * U for a customer with a history), with
-- the four main weights summing to 1 so the quote's thresholds keep their
-- scale. Exactly one version is active; each quote records the version that
-- ranked it, and each offer its terms (app.quote_items.explanation: the
-- features logged for learning and the explanation shown to the customer).
-- A trained version (`bookiji rank train`) carries its offline metrics and
-- becomes active only when they beat the active version's.
create table app.ranking_versions (
    version integer not null,
    w_distance double precision not null,
    w_rating double precision not null,
    w_price double precision not null,
    w_reliability double precision not null,
    w_personal double precision not null,
    position_bias double precision[] not null default '{}',
    is_active boolean not null default false,
    source text not null,
    metrics jsonb not null default '{}',
    note text,
    created_at timestamptz not null default now(),
    activated_at timestamptz,
    constraint ranking_versions_pkey primary key (version),
    constraint ranking_versions_version_check check (version >= 1),
    constraint ranking_versions_weights_check check (
        w_distance > 0 and w_rating >= 0 and w_price >= 0 and w_reliability >= 0
        and w_personal between 0 and 1
    ),
    constraint ranking_versions_weights_sum_check check (
        abs(w_distance + w_rating + w_price + w_reliability - 1) < 1e-9
    ),
    constraint ranking_versions_source_check check (source in ('fixed', 'trained')),
    constraint ranking_versions_note_check check (char_length(note) <= 500)
);
comment on table app.ranking_versions is
'The quote''s ranking weights, one row per version; exactly one active (internal.activate_ranking_version).';
create unique index ranking_versions_is_active_idx on app.ranking_versions (is_active) where is_active;

insert into app.ranking_versions (
    version, w_distance, w_rating, w_price, w_reliability, w_personal, is_active, source, note, activated_at
) values
(1, 0.5, 0.3, 0.2, 0, 0, false, 'fixed', 'the formula before reliability and personal terms', null),
(2, 0.5, 0.2, 0.2, 0.1, 0.15, true, 'fixed', 'reliability and the customer''s own history added', now());

alter table app.quotes add column ranking_version integer;
alter table app.quotes add constraint quotes_ranking_version_fkey
foreign key (ranking_version) references app.ranking_versions (version) on delete restrict;
create index quotes_ranking_version_idx on app.quotes (ranking_version);
comment on column app.quotes.ranking_version is 'The ranking version that ordered this quote''s offers.';

alter table app.quote_items add column explanation jsonb;
comment on column app.quote_items.explanation is
'Why this offer ranks where it does: each term''s feature, weight and contribution (the features the learnt ranking is fitted on).';

-- The search key's third coordinate becomes the offer's quality term under the
-- active version: w_rating * R + w_reliability * Q (it was 0.3 * R). Written
-- here with the key's trigger off (the trigger of the previous deploy, where there
-- is one, would compute the old term); the new trigger computes the same.
do $$
begin
    if exists (select from pg_trigger where tgname = '_050_search_key' and tgrelid = 'app.services'::regclass) then
        alter table app.services disable trigger _050_search_key;
    end if;
end
$$;
update app.services as s
set
    search_key = extensions.st_setsrid(
        extensions.st_makepoint(
            p.lng, p.lat,
            (0.2 * ((5 * 4.0 + p.rating_count * coalesce(p.rating_avg, 0)) / (5 + p.rating_count) - 1) / 4)::double precision
            + 0.1 * greatest(0, 1 - p.provider_cancellation_rate - p.no_show_rate)::double precision,
            s.price_cents
        ),
        4326
    )
from app.providers as p
where s.provider_id = p.id and s.search_key is not null;
do $$
begin
    if exists (select from pg_trigger where tgname = '_050_search_key' and tgrelid = 'app.services'::regclass) then
        alter table app.services enable trigger _050_search_key;
    end if;
end
$$;

-- migrate:down
do $$
begin
    if exists (select from pg_trigger where tgname = '_050_search_key' and tgrelid = 'app.services'::regclass) then
        alter table app.services disable trigger _050_search_key;
    end if;
end
$$;
update app.services as s
set
    search_key = extensions.st_setsrid(
        extensions.st_makepoint(
            p.lng, p.lat,
            (0.3 * ((5 * 4.0 + p.rating_count * coalesce(p.rating_avg, 0)) / (5 + p.rating_count) - 1) / 4)::double precision,
            s.price_cents
        ),
        4326
    )
from app.providers as p
where s.provider_id = p.id and s.search_key is not null;
do $$
begin
    if exists (select from pg_trigger where tgname = '_050_search_key' and tgrelid = 'app.services'::regclass) then
        alter table app.services enable trigger _050_search_key;
    end if;
end
$$;
-- the declarative view over both new columns, and the functions taking a version row
-- (db/functions/36_ranking.sql, 40_quote.sql) would hold the drops back; deploy
-- recreates what the code defines
drop view if exists api.my_quote_offers cascade;
alter table app.quote_items drop column explanation;
alter table app.quotes drop column ranking_version;
drop table app.ranking_versions cascade;
