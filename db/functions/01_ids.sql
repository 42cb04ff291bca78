-- Identifiers.
--
-- The ids written on every booking (the quote, the booking, its payment) are UUIDs of version 7
-- (RFC 9562): the first 48 bits are the Unix time in milliseconds, the rest random (74 bits
-- after the version and variant). An id made later sorts after, so the B-tree indexes keyed by
-- them (bookings', payments', the analytics facts', the quote's items, the audit trail's row
-- ids) take each new entry on their rightmost leaves instead of on a random leaf of an index of
-- hundreds of megabytes: at 10,000-100,000 providers a confirm wrote ~30% less WAL (fewer
-- full-page images) and spent ~25% less CPU (docs/performance.md, session 26). PostgreSQL 15
-- has no uuidv7() (18 has), and Debian 12 packages no extension for it.
--
-- No SET clause: a SQL function without one is inlined where it is called, every name in it
-- qualified (overlay, substring and extract are the grammar's, always pg_catalog's).
create or replace function internal.uuid_v7()
returns uuid
language sql
volatile
parallel safe
as $$
    select pg_catalog.encode(
        -- the version's nibble 0100 (4) becomes 0111 (7); the variant's bits stay 10
        pg_catalog.set_bit(pg_catalog.set_bit(
            overlay(
                pg_catalog.uuid_send(pg_catalog.gen_random_uuid())
                placing substring(pg_catalog.int8send(
                    (extract(epoch from pg_catalog.clock_timestamp()) * 1000)::bigint
                ) from 3)
                from 1 for 6
            ),
            52, 1), 53, 1),
        'hex')::uuid
$$;
comment on function internal.uuid_v7() is
'A new UUID of version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then random. Ids made '
'later sort after, so the indexes keyed by them grow on their right edge. Used for quotes, bookings '
'and payments.';
