-- migrate:up
-- Deleted accounts (api.delete_my_account, db/functions/77_account_data.sql):
-- the row stays, because bookings, payments and refunds are financial records
-- that refer to it, but its personal data is replaced and it can no longer sign
-- in. deleted_at says when; a deleted account is never edited again.
alter table app.users
add column deleted_at timestamptz;
comment on column app.users.deleted_at is
'When the person deleted the account: email, name and phone were replaced, sign-in ended (null: live).';

-- migrate:down
alter table app.users
drop column deleted_at;
