select pg_catalog.pg_advisory_unlock(
    pg_catalog.hashtext('bookiji.notification'), pg_catalog.hashtext(%(id)s::text)
) as unlocked
