-- The web app's provider dashboard, ops console and account page
-- (db/functions/74_provider_bookings.sql .. 78_customer_bookings.sql): who may call
-- what. The definers behind the api wrappers check the role claim again and
-- refuse everyone else with a registered code. Their helpers
-- (provider_may_contact, ops_provider_check, provider_suspension_json,
-- account_open_business) run only inside those definers: no API role calls them.

-- a provider's bookings with its customers
grant execute on function
internal.my_provider_bookings(timestamptz, timestamptz, text, uuid, uuid, uuid, integer, uuid),
api.my_provider_bookings(timestamptz, timestamptz, text, uuid, uuid, uuid, integer, uuid)
to provider;

-- ops: providers (list, suspend, reinstate), bookings (search, story)
grant execute on function
internal.ops_suspend_provider(uuid, text),
internal.ops_reinstate_provider(uuid, text),
internal.ops_providers(text, boolean, integer, uuid),
internal.ops_bookings(text, uuid, text, timestamptz, timestamptz, uuid, integer, uuid),
internal.ops_booking_story(uuid),
api.ops_suspend_provider(uuid, text),
api.ops_reinstate_provider(uuid, text),
api.ops_providers(text, boolean, integer, uuid),
api.ops_bookings(text, uuid, text, timestamptz, timestamptz, uuid, integer, uuid),
api.ops_booking_story(uuid)
to ops;

-- each signed-in person's own data; deletion is for customers and providers
-- (ops accounts are made and removed with the command line)
grant execute on function internal.export_my_data(), api.export_my_data() to customer, provider, ops;
grant execute on function
internal.delete_my_account(text),
api.delete_my_account(text)
to customer, provider;

-- a customer's booking history with names and money
grant execute on function
internal.my_booking_history(text, integer, uuid),
api.my_booking_history(text, integer, uuid)
to customer;
