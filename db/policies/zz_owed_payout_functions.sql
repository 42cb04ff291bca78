-- Paying what the platform owes (db/functions/65_owed_payouts.sql): the worker's entry points.
-- The requests themselves come from triggers and the sweep (definers), never from a role.
grant execute on function
internal.owed_transfer_action(uuid),
internal.record_owed_transfer(uuid, text, text),
internal.record_owed_transfer_failure(uuid, text),
internal.owed_reversal_action(uuid),
internal.record_owed_reversal(uuid, text)
to bookiji_worker;
