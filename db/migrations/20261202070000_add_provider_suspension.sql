-- migrate:up
-- Provider suspension by ops (api.ops_suspend_provider / api.ops_reinstate_provider,
-- db/functions/75_provider_suspension.sql). A suspended provider is inactive:
-- the quote, available_slots and the public catalogue already skip inactive
-- providers, so suspension is is_active = false plus who, when and why, and
-- what is_active was before (reinstatement puts it back). The provider cannot
-- make itself active while suspended: a trigger refuses it with a clear
-- provider_suspended, and the check below holds even for a definer.
alter table app.providers
add column suspended_at timestamptz,
add column suspended_by uuid references app.users (id) on delete set null,
add column suspension_reason text,
add column active_before_suspension boolean,
add constraint providers_suspension_check check (
    (suspended_at is null) = (suspension_reason is null)
    and (suspended_at is null) = (active_before_suspension is null)
    and (suspension_reason is null or length(btrim(suspension_reason)) between 1 and 500)
),
add constraint providers_suspended_inactive_check check (suspended_at is null or not is_active);
comment on column app.providers.suspended_at is 'When ops suspended the provider (null: not suspended).';
comment on column app.providers.suspended_by is 'The ops account that suspended it.';
comment on column app.providers.suspension_reason is 'Why ops suspended it (shown to the provider).';
comment on column app.providers.active_before_suspension is 'is_active before the suspension: reinstatement restores it.';

create index providers_suspended_by_idx on app.providers (suspended_by);
-- ops list the suspended providers
create index providers_suspended_at_idx on app.providers (suspended_at) where suspended_at is not null;

-- migrate:down
-- cascade: the declarative api view that shows the suspension (api.my_provider)
-- depends on the columns; deploy recreates it. The trigger that reads them
-- (db/functions/75_provider_suspension.sql) goes too: code older than this
-- migration does not know it.
drop trigger if exists _010_refuse_while_suspended on app.providers;
drop index app.providers_suspended_at_idx;
drop index app.providers_suspended_by_idx;
alter table app.providers
drop constraint providers_suspended_inactive_check,
drop constraint providers_suspension_check,
drop column active_before_suspension cascade,
drop column suspension_reason cascade,
drop column suspended_by cascade,
drop column suspended_at cascade;
