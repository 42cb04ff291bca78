-- migrate:up
-- Accounts and sessions. app.users is the account and profile that RLS lets a
-- user see; auth.* holds what nobody reads over the API: password hashes,
-- refresh token hashes, one-time token hashes and the login throttle.
create table app.users (
    id uuid primary key default extensions.gen_random_uuid(),
    email extensions.citext not null,
    role text not null,
    full_name text not null,
    locale text not null default 'en',
    phone text,
    email_confirmed_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint users_email_key unique (email),
    constraint users_role_check check (role in ('customer', 'provider', 'ops')),
    constraint users_locale_check check (locale in ('en', 'fr')),
    constraint users_email_check check (
        length(email) <= 254 and email::text ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'
    ),
    constraint users_full_name_check check (length(btrim(full_name)) between 1 and 200),
    constraint users_phone_check check (phone ~ '^\+[1-9][0-9]{6,14}$')
);
comment on table app.users is 'Accounts: one row per person (customer, provider or ops), with the editable profile.';

create table auth.credentials (
    user_id uuid primary key references app.users (id) on delete cascade,
    password_hash text not null,
    updated_at timestamptz not null default now()
);
comment on table auth.credentials is 'bcrypt password hashes (pgcrypto crypt/gen_salt(bf)).';

create table auth.sessions (
    id uuid primary key default extensions.gen_random_uuid(),
    user_id uuid not null references app.users (id) on delete cascade,
    created_at timestamptz not null default now(),
    last_refreshed_at timestamptz,
    revoked_at timestamptz,
    revoked_reason text
);
comment on table auth.sessions is
'One row per login; access tokens carry its id (sid), so revoking it ends every token at once.';
create index sessions_user_id_idx on auth.sessions (user_id);

create table auth.refresh_tokens (
    id bigint generated always as identity primary key,
    user_id uuid not null references app.users (id) on delete cascade,
    family_id uuid not null references auth.sessions (id) on delete cascade,
    token_hash bytea not null,
    issued_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz,
    revoked_at timestamptz,
    constraint refresh_tokens_token_hash_key unique (token_hash)
);
comment on table auth.refresh_tokens is
'Opaque refresh tokens, stored as SHA-256 hashes; a family (session) is one login''s chain of rotations.';
create index refresh_tokens_user_id_idx on auth.refresh_tokens (user_id);
create index refresh_tokens_family_id_idx on auth.refresh_tokens (family_id);

create table auth.one_time_tokens (
    id bigint generated always as identity primary key,
    user_id uuid not null references app.users (id) on delete cascade,
    purpose text not null,
    token_hash bytea not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz,
    constraint one_time_tokens_token_hash_key unique (token_hash),
    constraint one_time_tokens_purpose_check check (purpose in ('confirm_email', 'reset_password'))
);
comment on table auth.one_time_tokens is 'Single-use email confirmation and password reset tokens (hashes).';
create index one_time_tokens_user_id_idx on auth.one_time_tokens (user_id);

create table auth.login_attempts (
    id bigint generated always as identity primary key,
    attempted_at timestamptz not null default now(),
    email extensions.citext not null,
    client_addr text,
    succeeded boolean not null
);
comment on table auth.login_attempts is 'Every login attempt, for throttling by email and by client address.';
create index login_attempts_email_attempted_at_idx on auth.login_attempts (email, attempted_at);
create index login_attempts_client_addr_attempted_at_idx on auth.login_attempts (client_addr, attempted_at);

create table auth.rate_counters (
    bucket text not null,
    window_start timestamptz not null,
    hits integer not null default 0,
    primary key (bucket, window_start)
);
comment on table auth.rate_counters is 'Fixed-window request counters per identity (pre-request hook, writes).';

-- migrate:down
drop table auth.rate_counters;
drop table auth.login_attempts;
drop table auth.one_time_tokens;
drop table auth.refresh_tokens;
drop table auth.sessions;
drop table auth.credentials;
drop table app.users;
