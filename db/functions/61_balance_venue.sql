-- The provider marks a booking's balance after a deposit (57_balance.sql) paid at
-- the venue (docs/money.md#the-balance); after 60 for internal.booking_party.
--
--   internal.mark_balance_paid_at_venue  checks, the settlement row, the audit
--   api.mark_balance_paid_at_venue       its API (provider role, own bookings only)

create or replace function internal.mark_balance_paid_at_venue(p_booking_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
    v_party text;
    v_booking app.bookings;
    v_rem record;
    v_existing app.balance_payments;
    v_before jsonb;
    v_after jsonb;
begin
    perform internal.require(p_booking_id, 'booking_id');
    v_party := internal.booking_party(p_booking_id);
    if v_party is null then
        perform internal.fail('not_found', 'no such booking');
    end if;
    if v_party <> 'provider' then
        perform internal.fail('forbidden', 'only the booking''s provider marks its balance paid at the venue');
    end if;
    select * into strict v_booking from app.bookings as b where b.id = p_booking_id for no key update;
    select * into v_existing from app.balance_payments as bp where bp.booking_id = p_booking_id for update;
    if found and v_existing.method = 'venue' then
        -- idempotent: marked already; nothing changes, nothing is audited again
        return pg_catalog.jsonb_build_object('booking_id', p_booking_id) || internal.balance_due_json(p_booking_id);
    end if;
    if found and v_existing.status = 'succeeded' then
        perform internal.fail('conflict', 'the balance was already charged to the customer''s card');
    end if;
    if found and v_existing.status = 'pending' then
        perform internal.fail('conflict', 'the balance is being charged to the customer''s card; look again in a minute');
    end if;
    select * into v_rem from internal.booking_remainder(v_booking);
    if not found then
        perform internal.fail('invalid_transition', 'this booking has no balance: it was paid in full');
    end if;
    if v_booking.status not in ('confirmed', 'completed') then
        perform internal.fail(
            'invalid_transition', pg_catalog.format('a %s booking has no balance to collect', v_booking.status)
        );
    end if;
    if pg_catalog.now() < pg_catalog.lower(v_booking.during) then
        perform internal.fail(
            'invalid_transition', 'the balance can be marked paid at the venue only once the appointment has started'
        );
    end if;
    if not exists (select from app.payments as p where p.booking_id = p_booking_id and p.status = 'succeeded') then
        perform internal.fail('invalid_transition', 'the deposit of this booking was not paid');
    end if;
    v_before := internal.balance_due_json(p_booking_id);
    -- a card charge that failed (due) may still be settled at the venue
    insert into app.balance_payments as bp (
        booking_id, method, status, base_cents, gst_cents, qst_cents, amount_cents, marked_by
    )
    values (
        p_booking_id, 'venue', 'succeeded', v_rem.base_cents, v_rem.gst_cents, v_rem.qst_cents, v_rem.total_cents,
        internal.current_user_id()
    )
    on conflict (booking_id) do update
        set method = 'venue', status = 'succeeded', marked_by = excluded.marked_by, updated_at = pg_catalog.now()
        where bp.status = 'due';
    v_after := pg_catalog.jsonb_build_object('booking_id', p_booking_id) || internal.balance_due_json(p_booking_id);
    perform internal.audit('payment.balance_paid_at_venue', 'app.bookings', p_booking_id::text, v_before, v_after);
    return v_after;
end
$$;
comment on function internal.mark_balance_paid_at_venue(uuid) is
$$The provider's owner marks a started (confirmed or completed) booking's balance paid at the venue: once,
idempotent, audited. Definer: writes app.balance_payments and the audit log.$$;

create or replace function api.mark_balance_paid_at_venue(booking_id uuid default null)
returns jsonb
language sql
volatile
set search_path = ''
as $$
    select internal.mark_balance_paid_at_venue(mark_balance_paid_at_venue.booking_id)
$$;
comment on function api.mark_balance_paid_at_venue(uuid) is
$$Mark the balance of a booking taken with a deposit paid at the venue (role provider, your own bookings).

POST /rpc/mark_balance_paid_at_venue {"booking_id": ...} once the appointment has started (confirmed or
completed). The balance is price - deposit plus its taxes (the booking's GST and QST minus the deposit's).
Calling it again returns the same answer and changes nothing. Returns booking_id, balance_cents,
balance_base_cents, balance_gst_cents, balance_qst_cents, balance_status (paid), balance_method (venue),
balance_paid_cents, balance_paid_at. Audited (payment.balance_paid_at_venue).
Errors: 400 invalid_input (booking_id missing); 401 not_authenticated; 403 forbidden (not the provider);
404 not_found (not your booking); 409 invalid_transition (no deposit, not started, cancelled, expired or
no-show, deposit unpaid); 409 conflict (already charged to the card, or being charged).$$;
