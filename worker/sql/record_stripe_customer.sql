select internal.record_stripe_customer(%(user_id)s::uuid, %(customer_id)s::text) as customer
