select internal.sweep() as result
