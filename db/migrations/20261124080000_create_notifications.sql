-- migrate:up
-- Notifications: one row per message a person is sent (an event, a recipient,
-- a channel), written by internal.notify in the transaction of the state change
-- that caused it, and moved through queued -> sending -> sent | failed |
-- skipped by the worker. The unique (event_key, recipient_id, channel) is what
-- makes a repeated or redelivered event send nothing twice.
-- Preferences: per person and category, whether to use email and SMS; security
-- mail (email confirmation, password reset) has no row here: it cannot be
-- turned off.
create table app.notifications (
    id uuid primary key default extensions.gen_random_uuid(),
    event text not null,
    event_key text not null,
    recipient_id uuid not null references app.users (id) on delete cascade,
    channel text not null,
    data jsonb not null default '{}',
    status text not null default 'queued',
    provider_message_id text,
    attempts integer not null default 0,
    last_error text,
    delivery_unknown boolean not null default false,
    created_at timestamptz not null default now(),
    sent_at timestamptz,
    constraint notifications_event_key_recipient_id_channel_key unique (event_key, recipient_id, channel),
    constraint notifications_channel_check check (channel in ('email', 'sms')),
    constraint notifications_status_check check (status in ('queued', 'sending', 'sent', 'failed', 'skipped')),
    constraint notifications_event_key_check check (length(event_key) between 1 and 200),
    constraint notifications_data_check check (jsonb_typeof(data) = 'object'),
    constraint notifications_attempts_check check (attempts >= 0),
    constraint notifications_sent_at_check check ((status = 'sent') = (sent_at is not null)),
    constraint notifications_delivery_unknown_check check (not delivery_unknown or status = 'failed')
);
comment on table app.notifications is
'Every email and SMS sent or to be sent: event, recipient, channel, rendering data, delivery status and log.';
comment on column app.notifications.event_key is
'Identifies the occurrence of the event (for example booking_confirmed:<booking id>); with recipient and channel, unique.';
comment on column app.notifications.data is
'What the message is rendered from (the producer''s data contract); a one-time token is removed once delivered.';
comment on column app.notifications.delivery_unknown is
'True when an attempt was interrupted mid-send: it may have been delivered, so it is never sent again.';
create index notifications_recipient_id_created_at_idx on app.notifications (recipient_id, created_at);

create table app.notification_preferences (
    user_id uuid not null references app.users (id) on delete cascade,
    category text not null,
    email boolean not null default true,
    sms boolean not null default false,
    updated_at timestamptz not null default now(),
    primary key (user_id, category),
    constraint notification_preferences_category_check check (category in ('reminders', 'booking_updates'))
);
comment on table app.notification_preferences is
'Which channels a person wants per category; no row means the defaults (email on, SMS off).';

-- migrate:down
drop table app.notification_preferences;
drop table app.notifications;
