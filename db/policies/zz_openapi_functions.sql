-- Execute grants for the audit trail (db/functions/16_audit_trail.sql) and the
-- OpenAPI 3.1 document (db/functions/97_openapi.sql).
revoke all on function
api.ops_audit_trail(uuid, uuid, timestamptz, timestamptz, integer, bigint),
internal.ops_audit_trail(uuid, uuid, timestamptz, timestamptz, integer, bigint),
internal.openapi_optional_arguments(),
internal.openapi_components(),
internal.openapi_result_schemas(),
internal.openapi_type(oid),
internal.openapi_nullable(jsonb),
internal.openapi_info(),
internal.openapi(name),
api.openapi()
from public, anon, customer, provider, ops, bookiji_worker;

-- The audit trail: ops only (the function checks the role claim too).
grant execute on function
api.ops_audit_trail(uuid, uuid, timestamptz, timestamptz, integer, bigint),
internal.ops_audit_trail(uuid, uuid, timestamptz, timestamptz, integer, bigint)
to ops;

-- The document: every API role gets the one that lists what it may call.
grant execute on function
internal.openapi_optional_arguments(),
internal.openapi_components(),
internal.openapi_result_schemas(),
internal.openapi_type(oid),
internal.openapi_nullable(jsonb),
internal.openapi_info(),
internal.openapi(name),
api.openapi()
to anon, customer, provider, ops;

-- The codes a write to a view can be answered with come from the constraint
-- registry: its entries are what clients are told anyway (no secret in it).
grant execute on function internal.constraint_errors() to anon, customer, provider, ops;
