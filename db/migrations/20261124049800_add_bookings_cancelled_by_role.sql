-- migrate:up
-- Who cancelled a booking, as a party (customer, provider, ops, system):
-- cancelled_by names the user, but an ops token's subject need not be a user
-- row, and the notification and the policy depend on the party, not the person.
alter table app.bookings add column cancelled_by_role text;
alter table app.bookings add constraint bookings_cancelled_by_role_check check (
    cancelled_by_role in ('customer', 'provider', 'ops', 'system')
);
comment on column app.bookings.cancelled_by_role is
'The party that cancelled the booking: customer, provider, ops or system.';

-- migrate:down
alter table app.bookings drop column cancelled_by_role;
