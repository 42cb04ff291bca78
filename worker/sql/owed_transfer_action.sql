select internal.owed_transfer_action(%(owed_transfer_id)s::uuid) as step
