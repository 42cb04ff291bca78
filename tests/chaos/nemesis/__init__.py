"""The nemesis run's parts (tests/chaos/test_nemesis.py reads them in order): the fault
schedule (schedule.py), the clients and what they were promised (clients.py), the nemesis
that applies the schedule (faults.py), and the checks afterwards (checks.py)."""
