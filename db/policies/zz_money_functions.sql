-- Taxes (39_taxes.sql): a provider registers and reads its own numbers; the
-- quote's offers (api.my_quote_offers, read by customers) show the taxes.
grant execute on function
api.set_tax_registration(text, text),
internal.set_tax_registration(text, text),
api.my_tax_registration(),
internal.my_tax_registration()
to provider;
grant execute on function internal.provider_taxes(uuid, integer) to customer;
-- the offers' balance after the deposit (internal.price_parts and the rounding it uses): pure
-- arithmetic, called by the invoker view for the customer reading it
grant execute on function
internal.price_parts(integer, integer, numeric, numeric, integer, integer),
internal.tax_cents(integer, numeric)
to customer;

-- Receipts and statements (87_receipts.sql): a customer's own receipt, a provider's own statement.
grant execute on function api.booking_receipt(uuid), internal.booking_receipt(uuid) to customer;
grant execute on function api.provider_statement(date, date), internal.provider_statement(date, date) to provider;

-- Disputes (71_disputes.sql): ops only (row-level security on app.disputes agrees).
grant execute on function api.ops_disputes(boolean) to ops;

-- The balance after a deposit (57_balance.sql): the provider marks it paid at the venue (61_balance_venue.sql).
grant execute on function
api.mark_balance_paid_at_venue(uuid),
internal.mark_balance_paid_at_venue(uuid)
to provider;

-- The balance charged to the saved card (63_balance_card.sql): the worker charges it, the
-- customer pays it on session when that failed.
grant execute on function
internal.record_stripe_customer(uuid, text),
internal.balance_charge_action(uuid),
internal.record_balance_intent(uuid, jsonb)
to bookiji_worker;
grant execute on function api.pay_balance(uuid), internal.pay_balance(uuid) to customer;
