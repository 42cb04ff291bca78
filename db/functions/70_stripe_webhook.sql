-- Stripe's webhook, received through PostgREST and verified in SQL.
--
-- api.stripe_webhook takes a single unnamed json parameter: PostgREST hands it
-- the request body byte for byte (json keeps the text; jsonb would re-serialise
-- it and the signature would no longer match).

create or replace function internal.stripe_signature_valid(
    p_header text,
    p_body text,
    p_secret text,
    p_tolerance_seconds integer default 300
)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
declare
    v_timestamp bigint;
    v_expected text;
    v_part text;
    v_found boolean := false;
begin
    if p_header is null or p_secret is null or p_body is null then
        return false;
    end if;
    -- Stripe-Signature: t=<unix time>,v1=<hex>[,v1=<hex>...][,v0=...]
    foreach v_part in array pg_catalog.string_to_array(p_header, ',') loop
        if pg_catalog.btrim(v_part) ~ '^t=[0-9]{1,12}$' then
            v_timestamp := pg_catalog.substr(pg_catalog.btrim(v_part), 3)::bigint;
        end if;
    end loop;
    if v_timestamp is null
        or pg_catalog.abs(extract(epoch from pg_catalog.now()) - v_timestamp) > p_tolerance_seconds then
        return false;
    end if;
    v_expected := pg_catalog.encode(
        extensions.hmac(
            pg_catalog.convert_to(v_timestamp::text || '.' || p_body, 'utf8'),
            pg_catalog.convert_to(p_secret, 'utf8'),
            'sha256'
        ),
        'hex'
    );
    foreach v_part in array pg_catalog.string_to_array(p_header, ',') loop
        -- compare every candidate; no early exit on the first mismatch
        if pg_catalog.btrim(v_part) = 'v1=' || v_expected then
            v_found := true;
        end if;
    end loop;
    return v_found;
end
$$;
comment on function internal.stripe_signature_valid(text, text, text, integer) is
'Verify a Stripe-Signature header (HMAC-SHA256 of "<t>.<raw body>", any v1, within the tolerance).';

create or replace function internal.receive_stripe_webhook(p_body json)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_headers jsonb := coalesce(nullif(pg_catalog.current_setting('request.headers', true), '')::jsonb, '{}');
    v_event jsonb;
    v_id text;
    v_outcome text;
begin
    if not internal.stripe_signature_valid(
        v_headers ->> 'stripe-signature', p_body::text, internal.setting('stripe_webhook_secret')
    ) then
        perform internal.fail('invalid_signature', 'the Stripe-Signature header is missing, wrong or stale');
    end if;
    perform pg_catalog.set_config('bookiji.actor', 'stripe', true);
    v_event := p_body::jsonb;
    v_id := v_event ->> 'id';
    if v_id is null or v_event ->> 'type' is null or v_id !~ '^evt_[A-Za-z0-9_]+$' then
        perform internal.fail('invalid_input', 'the event has no valid id or type');
    end if;
    insert into app.stripe_events (id, type, payload)
    values (v_id, v_event ->> 'type', v_event)
    on conflict (id) do nothing;
    if not found then
        return pg_catalog.jsonb_build_object('received', true, 'duplicate', true);
    end if;
    -- Connect's account events (55_connect.sql); everything else: payments and refunds
    v_outcome := case
        when v_event ->> 'type' like 'account.%' then internal.apply_account_event(v_event)
        -- the balance charged to the saved card (63_balance_card.sql)
        when v_event ->> 'type' like 'payment_intent.%' and (v_event -> 'data' -> 'object' -> 'metadata') ? 'balance_of'
            then internal.apply_balance_intent_event(v_event ->> 'type', v_event -> 'data' -> 'object')
        else internal.process_stripe_event(v_event)
    end;
    update app.stripe_events as e set processed_at = pg_catalog.now(), outcome = v_outcome where e.id = v_id;
    return pg_catalog.jsonb_build_object('received', true, 'duplicate', false, 'outcome', v_outcome);
end
$$;
comment on function internal.receive_stripe_webhook(json) is
'Verify, store once and apply a Stripe webhook delivery. Definer: Stripe calls as anon.';

create or replace function api.stripe_webhook(json)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.receive_stripe_webhook($1)
$$;
comment on function api.stripe_webhook(json) is
$$Stripe's webhook endpoint (POST the event as Stripe sends it, with its Stripe-Signature header).

The signature is checked over the exact body. Each event is stored once: a repeated delivery answers 200 and changes nothing.
Errors: 400 invalid_signature (unsigned, badly signed or older than 5 minutes; nothing is stored).$$;
