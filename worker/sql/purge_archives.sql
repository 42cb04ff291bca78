select internal.purge_archives(%(days)s::integer * interval '1 day') as deleted
