-- Waitlist (db/functions/41_waitlist.sql): who may call what. The api wrappers
-- are granted to customers only; the definers behind them check the role again.
revoke all on function
internal.waitlist_entry_json(app.waitlist_entries),
internal.join_waitlist(uuid, uuid, text, double precision, double precision, numeric, timestamptz, timestamptz),
internal.my_waitlist(integer),
internal.leave_waitlist(uuid),
internal.waitlist_on_booking_freed(),
api.join_waitlist(uuid, uuid, text, double precision, double precision, numeric, timestamptz, timestamptz),
api.my_waitlist(integer),
api.leave_waitlist(uuid)
from public;

grant execute on function
internal.join_waitlist(uuid, uuid, text, double precision, double precision, numeric, timestamptz, timestamptz),
internal.my_waitlist(integer),
internal.leave_waitlist(uuid)
to customer, provider, ops;

grant execute on function
api.join_waitlist(uuid, uuid, text, double precision, double precision, numeric, timestamptz, timestamptz),
api.my_waitlist(integer),
api.leave_waitlist(uuid)
to customer;
