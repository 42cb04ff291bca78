-- Taxes (39_taxes.sql): a provider registers and reads its own numbers; the
-- quote's offers (api.my_quote_offers, read by customers) show the taxes.
grant execute on function
api.set_tax_registration(text, text),
internal.set_tax_registration(text, text),
api.my_tax_registration(),
internal.my_tax_registration()
to provider;
grant execute on function internal.provider_taxes(uuid, integer) to customer;
