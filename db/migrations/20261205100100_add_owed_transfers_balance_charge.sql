-- migrate:up
-- A balance charged to the saved card for a provider without Connect gets paid (issue 22;
-- docs/connect.md, "Paying what the platform owes"): the platform collected it, as it did the
-- deposit, and owes the provider its share. A booking can now have two live owed transfers:
-- the deposit's (sourced from the deposit's charge, key owed:<booking>) and the balance's
-- (sourced from the balance's charge, key owed_balance:<booking>); refunds of the balance
-- charge take their share back from the second.
alter table app.owed_transfers
add column balance_charge boolean not null default false,
drop constraint owed_transfers_booking_id_attempt_key,
add constraint owed_transfers_booking_id_balance_charge_attempt_key unique (booking_id, balance_charge, attempt);
comment on column app.owed_transfers.balance_charge is
'The transfer pays the provider''s share of the balance charged to the card (source: the balance''s charge), not the deposit''s.';
drop index app.owed_transfers_live_key;
create unique index owed_transfers_live_key on app.owed_transfers (booking_id, balance_charge) where status <> 'failed';

-- migrate:down
-- a booking's balance transfers go first: one live (and one per attempt) per booking again
update app.refunds as r
set owed_transfer_id = null, owed_reversal_cents = 0, stripe_owed_reversal_id = null
where r.owed_transfer_id in (select t.id from app.owed_transfers as t where t.balance_charge);
delete from app.owed_transfers where balance_charge;
drop index app.owed_transfers_live_key;
create unique index owed_transfers_live_key on app.owed_transfers (booking_id) where status <> 'failed';
alter table app.owed_transfers
drop constraint owed_transfers_booking_id_balance_charge_attempt_key,
add constraint owed_transfers_booking_id_attempt_key unique (booking_id, attempt),
drop column balance_charge cascade;
