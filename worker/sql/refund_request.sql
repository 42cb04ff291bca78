select internal.refund_request(%(refund_id)s::uuid) as request
