select internal.balance_charge_action(%(booking_id)s::uuid) as step
