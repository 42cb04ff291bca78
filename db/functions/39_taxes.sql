-- Quebec's sales taxes: GST (federal, 5%) and QST (Quebec, 9.975%) on the
-- service price, charged by a provider only while it is registered for them
-- (a small supplier below the $30,000 threshold need not register and
-- charges none). docs/money.md is the reader's version.
--
-- Rounding: per line (one booking is one line), each tax separately, half up
-- to the cent: gst_cents = round(price_cents * 0.05), qst_cents =
-- round(price_cents * 0.09975), round() of numeric rounding halves away from
-- zero (amounts are never negative). QST is on the price, not on price + GST
-- (Quebec has not stacked them since 2013).
--
-- A booking snapshots, when it is inserted, the rates and registration
-- numbers in force and its taxes (the _100_snapshot_taxes trigger); nothing
-- changes them after (_100_taxes_fixed). The quote's offers show the same
-- computation (api.my_quote_offers), from the provider's registration at the
-- time they are read.
--
-- Deposits: a deposit is a part payment of the price, so it carries the
-- taxes of its own amount (the same rule applied to deposit_cents); the
-- balance carries the rest (the booking's taxes minus the deposit's), so the
-- parts always add up to the booking's taxes to the cent. internal.price_parts
-- is that split, the one computation behind the booking's two charges and the
-- balance the quote's offers show (api.my_quote_offers.balance_cents).

-- The helpers below that a confirm or a quote calls per row are either SQL without a
-- search_path (tax_rates, tax_cents: pure arithmetic, inlined into the caller's query) or
-- PL/pgSQL (the rest): a SQL function with its own search_path is never inlined and is
-- planned again by every statement that calls it; PL/pgSQL keeps its plans for the session.
create or replace function internal.tax_rates()
returns table (gst_rate numeric, qst_rate numeric)
language sql
immutable
parallel safe
-- No `set search_path` (nothing to look up): a set clause would stop the
-- planner from inlining it into internal.provider_taxes' query, where it ran
-- as a SQL function planned again on every call (issue 24).
as $$
    -- GST 5% (Excise Tax Act, since 2008), QST 9.975% (since 2013)
    select 0.05000::numeric, 0.09975::numeric
$$;
comment on function internal.tax_rates() is
'The sales-tax rates charged by registered providers: GST 5%, QST 9.975%.';

create or replace function internal.tax_cents(p_amount_cents integer, p_rate numeric)
returns integer
language sql
immutable
parallel safe
-- No `set search_path` (every name is qualified): inlined into its callers'
-- queries instead of running as a SQL function planned on each call (issue 24).
as $$
    select pg_catalog.round(p_amount_cents::numeric * coalesce(p_rate, 0))::integer
$$;
comment on function internal.tax_cents(integer, numeric) is
'The tax on an amount at a rate, rounded half up to the cent (one line, one tax).';

create or replace function internal.tax_number(p_number text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- written as printed ("123456789 RT 0001", "1234567890-TQ-0001"): no spaces,
    -- dashes or dots, upper case; empty means none
    select nullif(pg_catalog.upper(pg_catalog.regexp_replace(p_number, '[\s.-]', '', 'g')), '')
$$;
comment on function internal.tax_number(text) is
'A registration number normalised: spaces, dashes and dots removed, upper case; null when empty.';

create or replace function internal.gst_number_valid(p_number text)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
-- 9 digits (the CRA business number), RT (the GST/HST program), a 4-digit
-- reference; the business number's ninth digit is its Luhn check digit.
declare
    v_sum integer := 0;
    v_digit integer;
begin
    if p_number is null or p_number !~ '^[0-9]{9}RT[0-9]{4}$' then
        return false;
    end if;
    for v_i in 1..9 loop
        v_digit := pg_catalog.substr(p_number, v_i, 1)::integer;
        if v_i % 2 = 0 then
            v_digit := v_digit * 2;
            if v_digit > 9 then
                v_digit := v_digit - 9;
            end if;
        end if;
        v_sum := v_sum + v_digit;
    end loop;
    return v_sum % 10 = 0;
end
$$;
comment on function internal.gst_number_valid(text) is
'Whether a normalised GST number is 9 digits (a Luhn-valid business number), RT and 4 digits.';

create or replace function internal.qst_number_valid(p_number text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    -- Revenu Québec publishes no check-digit rule: the form only
    select coalesce(p_number ~ '^[0-9]{10}TQ[0-9]{4}$', false)
$$;
comment on function internal.qst_number_valid(text) is
'Whether a normalised QST number is 10 digits, TQ and 4 digits.';

create or replace function internal.provider_taxes(p_provider_id uuid, p_price_cents integer)
returns table (
    gst_rate numeric,
    qst_rate numeric,
    gst_number text,
    qst_number text,
    gst_cents integer,
    qst_cents integer
)
language plpgsql
stable
security definer
-- exactly one row (the planner's default guess for a function is 1,000)
rows 1
set search_path = ''
-- PL/pgSQL, not SQL: a definer is never inlined, and as a SQL function its
-- body was planned again for every statement calling it (each quote's offers,
-- issue 24); PL/pgSQL keeps its plan for the session.
as $$
begin
    return query
    select
        case when t.gst_number is not null then r.gst_rate else 0 end,
        case when t.qst_number is not null then r.qst_rate else 0 end,
        t.gst_number,
        t.qst_number,
        case when t.gst_number is not null then internal.tax_cents(p_price_cents, r.gst_rate) else 0 end,
        case when t.qst_number is not null then internal.tax_cents(p_price_cents, r.qst_rate) else 0 end
    from internal.tax_rates() as r
    left join app.provider_tax_registrations as t on t.provider_id = p_provider_id;
end
$$;
comment on function internal.provider_taxes(uuid, integer) is
$$The taxes a provider charges now on a price: the rates and numbers it is registered for (0 and null
otherwise) and each tax in cents. Definer: customers see the numbers on quotes and receipts, not the table.$$;

create or replace function internal.bookings_snapshot_taxes()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    select t.gst_rate, t.qst_rate, t.gst_number, t.qst_number, t.gst_cents, t.qst_cents
    into new.gst_rate, new.qst_rate, new.gst_number, new.qst_number, new.gst_cents, new.qst_cents
    from internal.provider_taxes(new.provider_id, new.price_cents) as t;
    return new;
end
$$;
comment on function internal.bookings_snapshot_taxes() is
'Trigger: a new booking takes the taxes its provider charges now on its price (rates, numbers, cents).';

drop trigger if exists _100_snapshot_taxes on app.bookings;
create trigger _100_snapshot_taxes before insert on app.bookings
for each row execute function internal.bookings_snapshot_taxes();

create or replace function internal.bookings_check_taxes()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
    if (new.gst_rate, new.qst_rate, new.gst_number, new.qst_number, new.gst_cents, new.qst_cents)
        is distinct from (old.gst_rate, old.qst_rate, old.gst_number, old.qst_number, old.gst_cents, old.qst_cents) then
        perform internal.fail('invalid_input', 'a booking''s taxes never change');
    end if;
    return new;
end
$$;
comment on function internal.bookings_check_taxes() is 'Trigger: refuse any change to a booking''s tax snapshot.';

drop trigger if exists _100_taxes_fixed on app.bookings;
create trigger _100_taxes_fixed before update on app.bookings
for each row execute function internal.bookings_check_taxes();

create or replace function internal.price_parts(
    p_price_cents integer,
    p_deposit_cents integer,
    p_gst_rate numeric,
    p_qst_rate numeric,
    p_gst_cents integer,
    p_qst_cents integer
)
returns table (
    first_base_cents integer,
    first_gst_cents integer,
    first_qst_cents integer,
    first_total_cents integer,
    balance_base_cents integer,
    balance_gst_cents integer,
    balance_qst_cents integer,
    balance_total_cents integer
)
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    -- the first charge: the deposit with the taxes of its own amount or, without one, the
    -- price with its taxes; the balance: the rest of the price and of its taxes (0 without
    -- a deposit), so the two parts add up to the price's taxes to the cent
    return query
    select
        f.base, f.gst, f.qst, f.base + f.gst + f.qst,
        p_price_cents - f.base, p_gst_cents - f.gst, p_qst_cents - f.qst,
        (p_price_cents - f.base) + (p_gst_cents - f.gst) + (p_qst_cents - f.qst)
    from (
        select
            case when p_deposit_cents > 0 then p_deposit_cents else p_price_cents end,
            case when p_deposit_cents > 0 then internal.tax_cents(p_deposit_cents, p_gst_rate) else p_gst_cents end,
            case when p_deposit_cents > 0 then internal.tax_cents(p_deposit_cents, p_qst_rate) else p_qst_cents end
    ) as f (base, gst, qst);
end
$$;
comment on function internal.price_parts(integer, integer, numeric, numeric, integer, integer) is
$$A price split into what is charged first and the balance after it, each with its taxes: the deposit
with the taxes of its own amount (each rounded half up) or, without a deposit, the price with its
taxes; the balance carries the rest of the price and of its taxes (0 without a deposit). The one
computation behind a booking's charges (booking_first_charge, booking_remainder) and the quote's offers.$$;

create or replace function internal.booking_first_charge(p_booking app.bookings)
returns table (base_cents integer, gst_cents integer, qst_cents integer, total_cents integer)
language plpgsql
immutable
set search_path = ''
as $$
begin
    -- the deposit (with its own taxes) or, without one, the price (with the booking's)
    return query
    select p.first_base_cents, p.first_gst_cents, p.first_qst_cents, p.first_total_cents
    from internal.price_parts(
        p_booking.price_cents, p_booking.deposit_cents, p_booking.gst_rate, p_booking.qst_rate,
        p_booking.gst_cents, p_booking.qst_cents
    ) as p;
end
$$;
comment on function internal.booking_first_charge(app.bookings) is
$$What a booking charges first: its deposit plus the deposit's taxes or, without a deposit, its price plus
its taxes (internal.price_parts). The balance (price - deposit) carries the booking's taxes minus the deposit's.$$;

create or replace function internal.booking_first_charge_cents(p_booking_id uuid)
returns integer
language plpgsql
stable
set search_path = ''
as $$
begin
    return (
        select c.total_cents
        from app.bookings as b
        cross join internal.booking_first_charge(b) as c
        where b.id = p_booking_id
    );
end
$$;
comment on function internal.booking_first_charge_cents(uuid) is
'The amount (taxes included) of a booking''s first payment: what its PaymentIntent asks for.';

-- No `set search_path`: pure arithmetic with nothing to resolve, inlined into the reads that
-- call it once a refunded booking (revenue's refunded taxes: internal.analytics_refund_taxes).
create or replace function internal.refund_tax_cents(p_tax_cents integer, p_refunded_cents bigint, p_charged_cents integer)
returns integer
language sql
immutable
parallel safe
as $$
    -- the tax share of what was refunded: tax x refunded / charged, half up to the cent, on
    -- the booking's refunds added up (each refund's share is the difference the refund makes),
    -- so a full refund gives all the tax back and the shares add up exactly
    select case
        when p_charged_cents <= 0 or p_refunded_cents <= 0 then 0
        when p_refunded_cents >= p_charged_cents then p_tax_cents
        else ((2 * p_tax_cents::bigint * p_refunded_cents + p_charged_cents) / (2 * p_charged_cents::bigint))::integer
    end
$$;
comment on function internal.refund_tax_cents(integer, bigint, integer) is
'A tax''s share of a charge''s refunds: tax x refunded / charged rounded half up (all of it once fully refunded).';

-- --- a provider's registration --------------------------------------------------------

create or replace function internal.tax_registration_json(p_provider_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'provider_id', p_provider_id,
        'gst_number', t.gst_number,
        'qst_number', t.qst_number,
        'gst_rate', t.gst_rate,
        'qst_rate', t.qst_rate,
        'charges_taxes', t.gst_number is not null or t.qst_number is not null,
        -- the rates a registration makes one charge, registered or not (what the form says)
        'rates', pg_catalog.jsonb_build_object('gst', r.gst_rate, 'qst', r.qst_rate)
    )
    from internal.provider_taxes(p_provider_id, 0) as t
    cross join internal.tax_rates() as r
$$;
comment on function internal.tax_registration_json(uuid) is
$$A provider's registration as the API returns it: numbers, the rates they make it charge, whether it charges
any, and the rates in force (rates: gst, qst) that registering for each tax makes it charge.$$;

create or replace function internal.set_tax_registration(p_gst_number text, p_qst_number text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_provider_id uuid;
    v_gst text := internal.tax_number(p_gst_number);
    v_qst text := internal.tax_number(p_qst_number);
    v_before jsonb;
begin
    perform internal.require_role(
        'provider', 'only providers register for sales taxes', 'registering for sales taxes needs a signed-in provider'
    );
    select p.id into v_provider_id from app.providers as p where p.owner_id = auth.uid();
    if not found then
        perform internal.fail('not_found', 'create your provider profile first (POST /my_provider)');
    end if;
    if v_gst is not null and not internal.gst_number_valid(v_gst) then
        perform internal.fail(
            'invalid_input',
            'gst_number must be a GST registration number: 9 digits of a valid business number, RT and 4 digits '
            || '(123456782RT0001)'
        );
    end if;
    if v_qst is not null and not internal.qst_number_valid(v_qst) then
        perform internal.fail(
            'invalid_input', 'qst_number must be a QST registration number: 10 digits, TQ and 4 digits (1234567890TQ0001)'
        );
    end if;
    v_before := internal.tax_registration_json(v_provider_id);
    if v_gst is null and v_qst is null then
        delete from app.provider_tax_registrations as t where t.provider_id = v_provider_id;
    else
        insert into app.provider_tax_registrations as t (provider_id, gst_number, qst_number)
        values (v_provider_id, v_gst, v_qst)
        on conflict (provider_id) do update
            set gst_number = excluded.gst_number, qst_number = excluded.qst_number, updated_at = pg_catalog.now();
    end if;
    perform internal.audit(
        'provider.tax_registration', 'app.provider_tax_registrations', v_provider_id::text,
        v_before, internal.tax_registration_json(v_provider_id)
    );
    return internal.tax_registration_json(v_provider_id);
end
$$;
comment on function internal.set_tax_registration(text, text) is
$$Record the caller's provider's GST and QST registration numbers (null or empty: not registered).
Definer: providers have no rights on app.provider_tax_registrations; the numbers are checked here.$$;

create or replace function api.set_tax_registration(gst_number text default null, qst_number text default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.set_tax_registration(set_tax_registration.gst_number, set_tax_registration.qst_number)
$$;
comment on function api.set_tax_registration(text, text) is
$$Register your business for Quebec's sales taxes: your GST and QST numbers (role provider).

POST /rpc/set_tax_registration {"gst_number": "123456782RT0001", "qst_number": "1234567890TQ0001"}.
Send both every time: an omitted, null or empty number means you are not registered for that tax (a
small supplier registered for neither charges no tax). Spaces and dashes are ignored. From then on
new quotes and bookings charge GST 5% and QST 9.975% on the price for each tax you are registered for;
existing bookings keep the taxes they were made with.
Returns your registration (gst_number, qst_number, gst_rate, qst_rate, charges_taxes, and rates: {gst, qst}, the
rates in force, registered or not). Idempotent.
Errors: 400 invalid_input (gst_number not 9 digits of a valid business number + RT + 4 digits,
qst_number not 10 digits + TQ + 4 digits); 401 not_authenticated; 403 forbidden (not a provider);
404 not_found (no provider profile yet).$$;

create or replace function internal.my_tax_registration()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
    v_provider_id uuid;
begin
    perform internal.require_role(
        'provider', 'only providers have a tax registration', 'reading a tax registration needs a signed-in provider'
    );
    select p.id into v_provider_id from app.providers as p where p.owner_id = auth.uid();
    if not found then
        perform internal.fail('not_found', 'create your provider profile first (POST /my_provider)');
    end if;
    return internal.tax_registration_json(v_provider_id);
end
$$;
comment on function internal.my_tax_registration() is
'The caller''s provider''s tax registration. Definer: providers have no rights on the table.';

create or replace function api.my_tax_registration()
returns jsonb
language sql
stable
set search_path = ''
as $$
    select internal.my_tax_registration()
$$;
comment on function api.my_tax_registration() is
$$Your business's sales-tax registration (role provider): gst_number, qst_number (null: not registered),
the rates they make you charge (0 when not registered), charges_taxes, and rates: {gst, qst}, the rates
in force that registering for each tax makes you charge.

Errors: 401 not_authenticated; 403 forbidden (not a provider); 404 not_found (no provider profile yet).$$;
