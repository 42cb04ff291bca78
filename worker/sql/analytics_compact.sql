select internal.analytics_compact() as folded, internal.analytics_offered_advance() as offered_days
