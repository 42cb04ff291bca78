select internal.analytics_compact() as folded
