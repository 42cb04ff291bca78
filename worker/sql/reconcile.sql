select internal.reconcile(
    %(intents)s::jsonb, %(refunds)s::jsonb, %(since)s::timestamptz, %(grace)s::interval, %(repair)s::boolean
) as report
