select internal.payment_cancel_action(%(payment_id)s::uuid, %(status)s::text, %(refused)s::boolean) as step
