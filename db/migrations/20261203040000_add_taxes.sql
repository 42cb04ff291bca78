-- migrate:up
-- Quebec's sales taxes (GST 5%, QST 9.975%; db/functions/39_taxes.sql,
-- docs/money.md). A provider charges a tax only while registered for it: its
-- registration numbers live in their own table (one row per provider, either
-- number may be null: a small supplier below the threshold is registered for
-- neither and charges none). The format is checked here; the GST number's
-- check digit (Luhn over the 9-digit business number) by
-- internal.set_tax_registration, which answers 400 naming the field.
-- A booking snapshots, when it is made, the rates and numbers in force and the
-- taxes on its price (per line, half-up to the cent, each tax separately), so
-- a later change of registration or rate never changes what it charged.
create table app.provider_tax_registrations (
    provider_id uuid primary key references app.providers (id) on delete cascade,
    gst_number text,
    qst_number text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint provider_tax_registrations_gst_number_check check (gst_number ~ '^[0-9]{9}RT[0-9]{4}$'),
    constraint provider_tax_registrations_qst_number_check check (qst_number ~ '^[0-9]{10}TQ[0-9]{4}$')
);
comment on table app.provider_tax_registrations is
'A provider''s sales-tax registrations: GST (123456789RT0001) and QST (1234567890TQ0001); null: not registered.';

alter table app.bookings
add column gst_rate numeric(6, 5) not null default 0,
add column qst_rate numeric(6, 5) not null default 0,
add column gst_number text,
add column qst_number text,
add column gst_cents integer not null default 0,
add column qst_cents integer not null default 0,
add constraint bookings_taxes_check check (
    gst_rate >= 0 and qst_rate >= 0 and gst_cents >= 0 and qst_cents >= 0
    and (gst_rate = 0) = (gst_number is null)
    and (qst_rate = 0) = (qst_number is null)
);
comment on column app.bookings.gst_rate is 'GST rate in force when booked (0: the provider was not registered).';
comment on column app.bookings.qst_rate is 'QST rate in force when booked (0: the provider was not registered).';
comment on column app.bookings.gst_number is 'The provider''s GST registration number when booked.';
comment on column app.bookings.qst_number is 'The provider''s QST registration number when booked.';
comment on column app.bookings.gst_cents is 'GST on price_cents: round half up of price_cents * gst_rate.';
comment on column app.bookings.qst_cents is 'QST on price_cents: round half up of price_cents * qst_rate.';

-- migrate:down
-- cascade: the declarative views and functions that read the columns; deploy recreates them.
-- The triggers that write and guard the columns (db/functions/39_taxes.sql) go too.
drop trigger if exists _100_snapshot_taxes on app.bookings;
drop trigger if exists _100_taxes_fixed on app.bookings;
alter table app.bookings
drop constraint bookings_taxes_check,
drop column gst_rate cascade,
drop column qst_rate cascade,
drop column gst_number cascade,
drop column qst_number cascade,
drop column gst_cents cascade,
drop column qst_cents cascade;
drop table app.provider_tax_registrations cascade;
