-- migrate:up
-- An active waitlist entry whose window has ended is never matched, but it
-- stayed `active` for ever: the sweep (internal.sweep) now marks it `expired`
-- (and later purges finished entries), so the status must allow it. An expired
-- entry is done, like a notified or cancelled one.
alter table app.waitlist_entries drop constraint waitlist_entries_status_check;
alter table app.waitlist_entries add constraint waitlist_entries_status_check
check (status in ('active', 'notified', 'cancelled', 'expired'));
comment on column app.waitlist_entries.status is
$$active (waiting), notified (told once, done), cancelled (left by the customer), expired (the window
ended unmatched: set by the sweep; an active entry past its window is shown as expired until then).$$;
-- the sweep's search: active entries by the end of their window
create index waitlist_entries_wanted_end_idx on app.waitlist_entries (upper(wanted)) where (status = 'active');

-- migrate:down
drop index app.waitlist_entries_wanted_end_idx;
update app.waitlist_entries set status = 'active' where status = 'expired';
alter table app.waitlist_entries drop constraint waitlist_entries_status_check;
alter table app.waitlist_entries add constraint waitlist_entries_status_check
check (status in ('active', 'notified', 'cancelled'));
comment on column app.waitlist_entries.status is
'active (waiting), notified (told once, done), cancelled (left by the customer); expired = active and the window has ended.';
