-- a retry: visible again after a delay in (fractional) seconds
select msg_id from pgmq.set_vt(
    %(queue)s, %(id)s::bigint, clock_timestamp() + make_interval(secs => %(seconds)s::float8)
)
