-- The API describes itself: an OpenAPI 3.1 document generated from the catalogue
-- for the caller's role (GET /rpc/openapi; the gateway also serves it at
-- GET /openapi.json). PostgREST's own Swagger 2.0 document stays at GET /.
--
-- What each part comes from:
--   paths        every api function the role may execute (/rpc/<name>: POST, and GET
--                when it is stable) and every api view it may read or write
--                (GET, POST, PATCH, DELETE as its privileges allow)
--   texts        COMMENT ON: the first line is the summary, the whole the description
--   arguments    names and types from pg_proc; required vs optional below
--   results      the return type: scalar, json (any JSON), setof / table / view
--                rows as arrays of objects typed from the columns
--   errors       per operation, the registered codes its comment's "Errors:" part
--                names, plus those any request can get (malformed input, a bad token,
--                limits, unavailability); grouped by HTTP status, each described
--                from internal.error_codes()
--   security     a bearer JWT scheme; operations anon may call also work without it
--   servers      the public URL deploy writes into internal.settings (public_api_url)
--
-- Required arguments: every api argument has a default (a lint keeps it so, so that
-- PostgREST never answers a call with a missing argument with 404 PGRST202), and
-- the function answers 400 invalid_input naming a missing one itself. So the rule:
-- an argument whose default is a value (limit 50, refund true) is optional, with that
-- default in its schema; an argument whose default is null is required, unless
-- internal.openapi_optional_arguments() lists it (null then means "not given":
-- update_me's fields, dlq_list's error_class, ...). A lint checks that every entry
-- of that registry names a real argument with a null default.

create or replace function internal.openapi_optional_arguments()
returns table (function_name text, argument_name text)
language sql
immutable
parallel safe
set search_path = ''
as $$
    select v.function_name, v.argument_name
    from (
        values
        ('analytics_areas', 'category'),
        ('analytics_bookings', 'after_id'),
        ('analytics_bookings', 'after_start'),
        ('analytics_bookings', 'area'),
        ('analytics_bookings', 'bucket_start'),
        ('analytics_bookings', 'category'),
        ('analytics_bookings', 'currency'),
        ('analytics_bookings', 'figure'),
        ('analytics_bookings', 'provider_id'),
        ('analytics_bookings', 'status'),
        ('analytics_bookings', 'tz'),
        ('analytics_funnel', 'category'),
        ('analytics_performance', 'after_id'),
        ('analytics_performance', 'provider_id'),
        ('analytics_provider', 'provider_id'),
        ('analytics_provider', 'tz'),
        ('analytics_revenue', 'provider_id'),
        ('analytics_revenue', 'tz'),
        ('analytics_today', 'provider_id'),
        ('analytics_today', 'tz'),
        ('confirm_booking', 'save_card'),
        ('dlq_list', 'error_class'),
        ('dlq_replay', 'msg_id'),
        ('edit_review', 'body'),
        ('edit_review', 'stars'),
        ('my_booking_history', 'before_id'),
        ('my_booking_history', 'status'),
        ('my_provider_bookings', 'after_id'),
        ('my_provider_bookings', 'booking_id'),
        ('my_provider_bookings', 'customer_id'),
        ('my_provider_bookings', 'from'),
        ('my_provider_bookings', 'service_id'),
        ('my_provider_bookings', 'status'),
        ('my_provider_bookings', 'to'),
        ('ops_audit_trail', 'actor_id'),
        ('ops_audit_trail', 'before_id'),
        ('ops_audit_trail', 'booking_id'),
        ('ops_audit_trail', 'from'),
        ('ops_audit_trail', 'to'),
        ('ops_bookings', 'before_id'),
        ('ops_bookings', 'customer_email'),
        ('ops_bookings', 'customer_id'),
        ('ops_bookings', 'from'),
        ('ops_bookings', 'provider_id'),
        ('ops_bookings', 'status'),
        ('ops_bookings', 'to'),
        ('ops_providers', 'after_id'),
        ('ops_providers', 'search'),
        ('ops_providers', 'suspended'),
        ('review_booking', 'body'),
        ('set_notification_preference', 'email'),
        ('set_notification_preference', 'sms'),
        ('set_tax_registration', 'gst_number'),
        ('set_tax_registration', 'qst_number'),
        ('update_me', 'full_name'),
        ('update_me', 'locale'),
        ('update_me', 'phone')
    ) as v (function_name, argument_name)
$$;
comment on function internal.openapi_optional_arguments() is
'The api arguments that default to null and are optional (null means not given); every other null-defaulted argument is required.';

-- The JSON Schema of a PostgreSQL type as PostgREST writes it in JSON.
create or replace function internal.openapi_type(p_type oid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
    v_oid oid := p_type;
    v_kind "char";
    v_category "char";
    v_elem oid;
    v_base oid;
    v_name text;
begin
    loop
        select t.typtype, t.typcategory, t.typelem, t.typbasetype, t.typname::text
        into v_kind, v_category, v_elem, v_base, v_name
        from pg_catalog.pg_type as t
        where t.oid = v_oid;
        exit when v_kind is distinct from 'd';
        v_oid := v_base;
    end loop;
    if v_category = 'A' and v_elem <> 0 then
        return pg_catalog.jsonb_build_object('type', 'array', 'items', internal.openapi_type(v_elem));
    end if;
    if v_kind = 'e' then
        return pg_catalog.jsonb_build_object(
            'type', 'string',
            'enum', (
                select pg_catalog.jsonb_agg(e.enumlabel order by e.enumsortorder)
                from pg_catalog.pg_enum as e where e.enumtypid = v_oid
            )
        );
    end if;
    return case v_name
        when 'int2' then '{"type": "integer", "minimum": -32768, "maximum": 32767}'
        when 'int4' then
            '{"type": "integer", "format": "int32", "minimum": -2147483648, "maximum": 2147483647}'
        when 'int8' then '{"type": "integer", "format": "int64"}'
        when 'float4' then '{"type": "number", "format": "float"}'
        when 'float8' then '{"type": "number", "format": "double"}'
        when 'numeric' then '{"type": "number"}'
        when 'bool' then '{"type": "boolean"}'
        when 'uuid' then '{"type": "string", "format": "uuid"}'
        when 'timestamptz' then '{"type": "string", "format": "date-time"}'
        when 'date' then '{"type": "string", "format": "date"}'
        when 'json' then '{}'
        when 'jsonb' then '{}'
        else '{"type": "string"}'
    end::jsonb;
end
$$;
comment on function internal.openapi_type(oid) is
'The JSON Schema of a PostgreSQL type as PostgREST writes it (domains resolved, arrays, enums; json is any JSON).';

-- The same schema, null allowed (JSON Schema 2020-12: a type array; any JSON already is).
create or replace function internal.openapi_nullable(p_schema jsonb)
returns jsonb
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case
        when coalesce(pg_catalog.jsonb_typeof(p_schema -> 'type'), '') <> 'string' then p_schema
        when p_schema ? 'enum' then p_schema || pg_catalog.jsonb_build_object(
            'type', pg_catalog.jsonb_build_array(p_schema -> 'type', 'null'),
            'enum', (p_schema -> 'enum') || 'null'::jsonb
        )
        else p_schema || pg_catalog.jsonb_build_object(
            'type', pg_catalog.jsonb_build_array(p_schema -> 'type', 'null')
        )
    end
$$;
comment on function internal.openapi_nullable(jsonb) is
'A JSON Schema that also allows null (a type array), as PostgREST writes a null column.';

-- The shapes of json results: a jsonb function's answer is any JSON to the catalogue,
-- so the ones clients read first are described here, as named schemas and the results
-- that use them. tests/api/test_openapi.py checks real answers against them.
create or replace function internal.openapi_components()
returns table (name text, schema jsonb)
language sql
immutable
parallel safe
set search_path = ''
as $$
    select v.name, v.schema::jsonb
    from (
        values
        (
            'User', $j${
                "type": "object",
                "description": "An account, as the caller may see it",
                "required": ["id", "email", "role", "full_name", "locale", "phone", "email_confirmed", "created_at"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "email": {"type": "string"},
                    "role": {"type": "string", "enum": ["customer", "provider", "ops"]},
                    "full_name": {"type": "string"},
                    "locale": {"type": "string", "enum": ["en", "fr"]},
                    "phone": {"type": ["string", "null"]},
                    "email_confirmed": {"type": "boolean"},
                    "created_at": {"type": "string", "format": "date-time"}
                }
            }$j$
        ),
        (
            'Session', $j${
                "type": "object",
                "description": "A session: send access_token as a bearer token; exchange refresh_token at POST /rpc/refresh",
                "required": ["access_token", "token_type", "expires_in", "refresh_token", "user"],
                "properties": {
                    "access_token": {"type": "string", "description": "A JWT, valid expires_in seconds"},
                    "token_type": {"type": "string", "const": "bearer"},
                    "expires_in": {"type": "integer"},
                    "refresh_token": {"type": "string"},
                    "user": {"$ref": "#/components/schemas/User"}
                }
            }$j$
        )
    ) as v (name, schema)
$$;
comment on function internal.openapi_components() is
'Named JSON Schemas of json results (the OpenAPI document''s components), for internal.openapi_result_schemas().';

create or replace function internal.openapi_result_schemas()
returns table (function_name text, schema jsonb)
language sql
immutable
parallel safe
set search_path = ''
as $$
    select v.function_name, v.schema::jsonb
    from (
        values
        ('signup', '{"$ref": "#/components/schemas/Session"}'),
        ('login', '{"$ref": "#/components/schemas/Session"}'),
        ('refresh', '{"$ref": "#/components/schemas/Session"}'),
        ('me', '{"anyOf": [{"$ref": "#/components/schemas/User"}, {"type": "null"}]}'),
        (
            'health',
            '{"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}}'
        ),
        (
            'openapi',
            '{"type": "object", "required": ["openapi", "info", "paths"], '
            '"properties": {"openapi": {"const": "3.1.0"}}}'
        )
    ) as v (function_name, schema)
$$;
comment on function internal.openapi_result_schemas() is
'The JSON Schema of the answer of api functions that return json, where the catalogue cannot tell it.';

-- The deploy-time facts the document names: the public URL and the schema version.
create or replace function internal.openapi_info()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'server_url', coalesce(nullif(internal.setting('public_api_url'), ''), '/'),
        'version', coalesce((select max(m.version) from public.schema_migrations as m), '0')
    )
$$;
comment on function internal.openapi_info() is
'The public API URL (internal.settings public_api_url, else "/") and the latest migration. '
'Definer: both are in tables the API roles cannot read.';

create or replace function internal.openapi(p_role name)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
    -- what any request may be answered, whatever the operation
    c_everywhere constant text [] := array[
        'invalid_input', 'invalid_token', 'payload_too_large', 'uri_too_long', 'rate_limited',
        'internal_error', 'unavailable', 'statement_timeout'
    ];
    c_reserved constant text [] := array[
        'select', 'order', 'limit', 'offset', 'on_conflict', 'columns', 'and', 'or', 'not'
    ];
    v_info jsonb := internal.openapi_info();
    v_paths jsonb := '{}'::jsonb;
    v_schemas jsonb;
    v_fn record;
    v_view record;
    v_arg record;
    v_codes text [];
    v_errors text;
    v_props jsonb;
    v_required text [];
    v_query jsonb;
    v_result jsonb;
    v_success jsonb;
    v_security jsonb;
    v_default jsonb;
    v_schema jsonb;
    v_item jsonb;
    v_filters jsonb;
    v_body jsonb;
    v_cols jsonb;
begin
    v_schemas := pg_catalog.jsonb_build_object(
        'Error', pg_catalog.jsonb_build_object(
            'type', 'object',
            'description',
            'A refusal. hint carries the machine code of the error registry (docs/errors.md) '
            || 'when the API refused; PostgREST''s own refusals (a malformed request) leave it null '
            || 'and put their code (PGRSTnnn or an SQLSTATE) in code.',
            'required', pg_catalog.jsonb_build_array('code', 'message'),
            'properties', pg_catalog.jsonb_build_object(
                'code', '{"type": "string", "description": "PT<status> for a registered refusal"}'::jsonb,
                'message', '{"type": "string", "description": "For people: names the field or the problem"}'::jsonb,
                'details', '{"type": ["string", "null"]}'::jsonb,
                'hint', pg_catalog.jsonb_build_object(
                    'type', pg_catalog.jsonb_build_array('string', 'null'),
                    'description', 'The registered machine code',
                    'examples', (select pg_catalog.jsonb_agg(e.code) from internal.error_codes() as e)
                )
            )
        )
    );

    v_schemas := v_schemas || (
        select pg_catalog.jsonb_object_agg(c.name, c.schema) from internal.openapi_components() as c
    );

    -- functions: /rpc/<name>
    for v_fn in
        select
            p.oid, p.proname::text as name, p.provolatile, p.proretset, p.prorettype,
            coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), p.proname::text) as doc,
            pg_catalog.has_function_privilege('anon', p.oid, 'execute') as for_anon
        from pg_catalog.pg_proc as p
        where
            p.pronamespace = 'api'::regnamespace
            and pg_catalog.has_function_privilege(p_role, p.oid, 'execute')
        order by p.proname
    loop
        -- the arguments, and the JSON body / query parameters they make
        v_props := '{}'::jsonb;
        v_required := '{}'::text [];
        v_query := '[]'::jsonb;
        v_body := null;
        for v_arg in
            select
                a.name, a.type, a.pos,
                pg_catalog.pg_get_function_arg_default(v_fn.oid, a.pos::integer) as def
            from pg_catalog.pg_proc as p,
                lateral unnest(
                    coalesce(p.proallargtypes, p.proargtypes::oid []),
                    p.proargmodes,
                    p.proargnames
                ) with ordinality as a (type, mode, name, pos)
            where p.oid = v_fn.oid and coalesce(a.mode, 'i') in ('i', 'b', 'v')
            order by a.pos
        loop
            if coalesce(v_arg.name, '') = '' then
                -- a single unnamed json argument: the whole body
                v_body := pg_catalog.jsonb_build_object(
                    'required', true,
                    'content', pg_catalog.jsonb_build_object(
                        'application/json', pg_catalog.jsonb_build_object('schema', '{}'::jsonb)
                    )
                );
                continue;
            end if;
            v_schema := internal.openapi_type(v_arg.type);
            -- a default that is a literal (50, true, 'en'::text) becomes the schema's default
            if v_arg.def ~ '^(-?[0-9.]+|true|false)$' then
                v_default := v_arg.def::jsonb;
            elsif v_arg.def ~ '^''.*''::[a-z ]+$' then
                v_default := pg_catalog.to_jsonb(pg_catalog.replace(
                    pg_catalog.substring(v_arg.def, '^''(.*)''::[a-z ]+$'), '''''', ''''
                ));
            else
                v_default := null;
            end if;
            if v_default is not null then
                v_schema := v_schema || pg_catalog.jsonb_build_object('default', v_default);
            end if;
            if v_arg.def is null or (
                v_arg.def like 'NULL::%' and not exists (
                    select from internal.openapi_optional_arguments() as o
                    where o.function_name = v_fn.name and o.argument_name = v_arg.name
                )
            ) then
                v_required := v_required || v_arg.name;
            end if;
            v_props := v_props || pg_catalog.jsonb_build_object(v_arg.name, v_schema);
            if not v_arg.name = any(c_reserved) then
                v_query := v_query || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                    'name', v_arg.name,
                    'in', 'query',
                    'required', v_arg.name = any(v_required),
                    'schema', v_schema
                ));
            end if;
        end loop;
        if v_body is null then
            v_body := pg_catalog.jsonb_build_object(
                'required', true,
                'content', pg_catalog.jsonb_build_object(
                    'application/json', pg_catalog.jsonb_build_object(
                        'schema', pg_catalog.jsonb_build_object(
                            'type', 'object',
                            'properties', v_props,
                            'required', pg_catalog.to_jsonb(v_required),
                            'additionalProperties', false
                        )
                    )
                )
            );
        end if;

        -- the result
        select pg_catalog.jsonb_object_agg(a.name, internal.openapi_nullable(internal.openapi_type(a.type)))
        into v_cols
        from pg_catalog.pg_proc as p,
            lateral unnest(p.proallargtypes, p.proargmodes, p.proargnames) as a (type, mode, name)
        where p.oid = v_fn.oid and a.mode = 't';
        if v_cols is null then
            select pg_catalog.jsonb_object_agg(
                att.attname, internal.openapi_nullable(internal.openapi_type(att.atttypid))
            )
            into v_cols
            from pg_catalog.pg_type as t
            join pg_catalog.pg_attribute as att on att.attrelid = t.typrelid
            where t.oid = v_fn.prorettype and t.typrelid <> 0 and att.attnum > 0 and not att.attisdropped;
        end if;
        if v_cols is not null then
            v_item := pg_catalog.jsonb_build_object('type', 'object', 'properties', v_cols);
        else
            v_item := internal.openapi_nullable(internal.openapi_type(v_fn.prorettype));
        end if;
        v_result := case when v_fn.proretset
            then pg_catalog.jsonb_build_object('type', 'array', 'items', v_item)
            else v_item
        end;
        v_result := coalesce(
            (select r.schema from internal.openapi_result_schemas() as r where r.function_name = v_fn.name),
            v_result
        );
        if v_fn.prorettype = 'pg_catalog.void'::pg_catalog.regtype then
            v_success := '{"204": {"description": "Done; no content"}}';
        else
            v_success := pg_catalog.jsonb_build_object('200', pg_catalog.jsonb_build_object(
                'description', 'OK',
                'content', pg_catalog.jsonb_build_object(
                    'application/json', pg_catalog.jsonb_build_object('schema', v_result)
                )
            ));
        end if;

        -- the errors: the codes the comment's "Errors:" part names, and everyone's
        v_errors := pg_catalog.substring(v_fn.doc, 'Errors:(.*)$');
        select pg_catalog.array_agg(e.code) into v_codes
        from internal.error_codes() as e
        where
            e.code = any(c_everywhere)
            -- a key that names no argument: PostgREST finds no such function (PGRST202)
            or e.code = 'not_found'
            or (e.code = 'not_authenticated' and not v_fn.for_anon)
            or v_errors ~ ('\m' || e.code || '\M');
        v_security := case when v_fn.for_anon
            then '[{}, {"bearerAuth": []}]'::jsonb
            else '[{"bearerAuth": []}]'::jsonb
        end;
        v_success := v_success || (
            select pg_catalog.jsonb_object_agg(
                s.http_status::text,
                pg_catalog.jsonb_build_object(
                    'description', s.description,
                    'x-error-codes', s.codes,
                    'content', '{"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}'::jsonb
                )
            )
            from (
                select
                    e.http_status,
                    pg_catalog.string_agg(e.code || ': ' || e.description, ' ' order by e.code) as description,
                    pg_catalog.jsonb_agg(e.code order by e.code) as codes
                from internal.error_codes() as e
                where e.code = any(v_codes)
                group by e.http_status
            ) as s
        );

        v_paths := v_paths || pg_catalog.jsonb_build_object(
            '/rpc/' || v_fn.name,
            pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                'get', case when v_fn.provolatile in ('s', 'i') and pg_catalog.jsonb_typeof(v_body #> '{content,application/json,schema,properties}') = 'object' then
                    pg_catalog.jsonb_build_object(
                        'operationId', v_fn.name,
                        'summary', pg_catalog.split_part(v_fn.doc, e'\n', 1),
                        'description', v_fn.doc,
                        'parameters', v_query,
                        'security', v_security,
                        'responses', v_success
                    )
                end,
                'post', pg_catalog.jsonb_build_object(
                    'operationId', v_fn.name || case when v_fn.provolatile in ('s', 'i') then '_post' else '' end,
                    'summary', pg_catalog.split_part(v_fn.doc, e'\n', 1),
                    'description', v_fn.doc,
                    'requestBody', v_body,
                    'security', v_security,
                    'responses', v_success
                )
            ))
        );
    end loop;

    -- views: /<name>
    for v_view in
        select
            c.oid, c.relname::text as name,
            coalesce(pg_catalog.obj_description(c.oid, 'pg_class'), c.relname::text) as doc,
            pg_catalog.has_table_privilege(p_role, c.oid, 'select') as can_read,
            pg_catalog.has_any_column_privilege(p_role, c.oid, 'insert') as can_insert,
            pg_catalog.has_any_column_privilege(p_role, c.oid, 'update') as can_update,
            pg_catalog.has_table_privilege(p_role, c.oid, 'delete') as can_delete,
            pg_catalog.has_table_privilege('anon', c.oid, 'select, insert, update, delete') as for_anon
        from pg_catalog.pg_class as c
        where
            c.relnamespace = 'api'::regnamespace and c.relkind in ('v', 'm')
            and pg_catalog.has_table_privilege(p_role, c.oid, 'select, insert, update, delete')
        order by c.relname
    loop
        v_props := '{}'::jsonb;
        v_filters := pg_catalog.jsonb_build_array(
            '{"name": "select", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Columns to return (PostgREST select=)"}'::jsonb,
            '{"name": "order", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Ordering (PostgREST order=)"}'::jsonb,
            '{"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0}}'::jsonb,
            '{"name": "offset", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "maximum": 10000}}'::jsonb
        );
        for v_arg in
            select
                att.attname::text as name, att.atttypid as type,
                pg_catalog.col_description(c.oid, att.attnum) as doc,
                pg_catalog.has_column_privilege(p_role, c.oid, att.attnum, 'insert') as can_insert,
                pg_catalog.has_column_privilege(p_role, c.oid, att.attnum, 'update') as can_update
            from pg_catalog.pg_class as c
            join pg_catalog.pg_attribute as att on att.attrelid = c.oid
            where c.oid = v_view.oid and att.attnum > 0 and not att.attisdropped
            order by att.attnum
        loop
            v_schema := internal.openapi_nullable(internal.openapi_type(v_arg.type));
            if v_arg.doc is not null then
                v_schema := v_schema || pg_catalog.jsonb_build_object('description', v_arg.doc);
            end if;
            v_props := v_props || pg_catalog.jsonb_build_object(v_arg.name, v_schema);
            v_filters := v_filters || pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                'name', v_arg.name, 'in', 'query', 'required', false,
                'schema', '{"type": "string"}'::jsonb,
                'description', 'A PostgREST filter on ' || v_arg.name || ': <operator>.<value>, such as eq.x'
            ));
        end loop;
        v_schemas := v_schemas || pg_catalog.jsonb_build_object(v_view.name, pg_catalog.jsonb_build_object(
            'type', 'object', 'description', v_view.doc, 'properties', v_props
        ));
        -- writes break constraints: the codes the constraint registry answers with
        select pg_catalog.array_agg(e.code) into v_codes
        from internal.error_codes() as e
        where
            e.code = any(c_everywhere) or e.code in ('too_costly', 'forbidden', 'not_found')
            or (e.code = 'not_authenticated' and not v_view.for_anon)
            or (
                (v_view.can_insert or v_view.can_update or v_view.can_delete)
                and e.code in (select r.code from internal.constraint_errors() as r)
            );
        v_success := (
            select pg_catalog.jsonb_object_agg(
                s.http_status::text,
                pg_catalog.jsonb_build_object(
                    'description', s.description,
                    'x-error-codes', s.codes,
                    'content', '{"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}'::jsonb
                )
            )
            from (
                select
                    e.http_status,
                    pg_catalog.string_agg(e.code || ': ' || e.description, ' ' order by e.code) as description,
                    pg_catalog.jsonb_agg(e.code order by e.code) as codes
                from internal.error_codes() as e
                where e.code = any(v_codes)
                group by e.http_status
            ) as s
        );
        v_security := case when v_view.for_anon
            then '[{}, {"bearerAuth": []}]'::jsonb
            else '[{"bearerAuth": []}]'::jsonb
        end;
        v_paths := v_paths || pg_catalog.jsonb_build_object(
            '/' || v_view.name,
            pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                'get', case when v_view.can_read then pg_catalog.jsonb_build_object(
                    'operationId', 'list_' || v_view.name,
                    'summary', pg_catalog.split_part(v_view.doc, e'\n', 1),
                    'description', v_view.doc,
                    'parameters', v_filters,
                    'security', v_security,
                    'responses', v_success || pg_catalog.jsonb_build_object('416', pg_catalog.jsonb_build_object(
                        'description',
                        'PostgREST''s own refusal PGRST103 (hint null): a negative limit, or an offset past the rows.',
                        'content', '{"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}'::jsonb
                    )) || pg_catalog.jsonb_build_object('200', pg_catalog.jsonb_build_object(
                        'description', 'The rows visible to the caller',
                        'content', pg_catalog.jsonb_build_object('application/json', pg_catalog.jsonb_build_object(
                            'schema', pg_catalog.jsonb_build_object(
                                'type', 'array',
                                'items', pg_catalog.jsonb_build_object('$ref', '#/components/schemas/' || v_view.name)
                            )
                        ))
                    ))
                ) end,
                'post', case when v_view.can_insert then pg_catalog.jsonb_build_object(
                    'operationId', 'create_' || v_view.name,
                    'summary', 'Add a row to ' || v_view.name,
                    'description', v_view.doc,
                    'requestBody', pg_catalog.jsonb_build_object(
                        'required', true,
                        'content', pg_catalog.jsonb_build_object('application/json', pg_catalog.jsonb_build_object(
                            'schema', pg_catalog.jsonb_build_object(
                                'type', 'object',
                                'properties', (
                                    select coalesce(pg_catalog.jsonb_object_agg(k.key, k.value), '{}')
                                    from pg_catalog.jsonb_each(v_props) as k
                                    where pg_catalog.has_column_privilege(p_role, v_view.oid, k.key, 'insert')
                                ),
                                'additionalProperties', false
                            )
                        ))
                    ),
                    'security', v_security,
                    'responses', v_success || '{"201": {"description": "Created"}}'::jsonb
                ) end,
                'patch', case when v_view.can_update then pg_catalog.jsonb_build_object(
                    'operationId', 'update_' || v_view.name,
                    'summary', 'Change the rows of ' || v_view.name || ' the filters select',
                    'description', v_view.doc,
                    'parameters', v_filters - 0 - 0 - 0 - 0,
                    'requestBody', pg_catalog.jsonb_build_object(
                        'required', true,
                        'content', pg_catalog.jsonb_build_object('application/json', pg_catalog.jsonb_build_object(
                            'schema', pg_catalog.jsonb_build_object(
                                'type', 'object',
                                'properties', (
                                    select coalesce(pg_catalog.jsonb_object_agg(k.key, k.value), '{}')
                                    from pg_catalog.jsonb_each(v_props) as k
                                    where pg_catalog.has_column_privilege(p_role, v_view.oid, k.key, 'update')
                                ),
                                'additionalProperties', false
                            )
                        ))
                    ),
                    'security', v_security,
                    'responses', v_success || '{"204": {"description": "Done"}}'::jsonb
                ) end,
                'delete', case when v_view.can_delete then pg_catalog.jsonb_build_object(
                    'operationId', 'delete_' || v_view.name,
                    'summary', 'Delete the rows of ' || v_view.name || ' the filters select',
                    'description', v_view.doc,
                    'parameters', v_filters - 0 - 0 - 0 - 0,
                    'security', v_security,
                    'responses', v_success || '{"204": {"description": "Done"}}'::jsonb
                ) end
            ))
        );
    end loop;

    return pg_catalog.jsonb_build_object(
        'openapi', '3.1.0',
        'info', pg_catalog.jsonb_build_object(
            'title', 'Bookiji API',
            'version', v_info ->> 'version',
            'description',
            'Bookings near you: the catalogue, quotes, bookings and payments, and the tools of ops. '
            || 'This document is generated from the database for the role ' || p_role
            || ' and lists only what that role may call; call GET /rpc/openapi (or /openapi.json) '
            || 'with another role''s token for its document. Errors carry a machine code in hint '
            || '(docs/errors.md).'
        ),
        'servers', pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('url', v_info ->> 'server_url')
        ),
        'paths', v_paths,
        'components', pg_catalog.jsonb_build_object(
            'schemas', v_schemas,
            'securitySchemes', pg_catalog.jsonb_build_object(
                'bearerAuth', pg_catalog.jsonb_build_object(
                    'type', 'http', 'scheme', 'bearer', 'bearerFormat', 'JWT',
                    'description', 'An access token from POST /rpc/login or /rpc/signup'
                )
            )
        )
    );
end
$$;
comment on function internal.openapi(name) is
'The OpenAPI 3.1 document of the api schema as the role p_role may use it (see the header of db/functions/97_openapi.sql).';

create or replace function api.openapi()
returns jsonb
language sql
stable
set search_path = ''
as $$
    select internal.openapi(current_user)
$$;
comment on function api.openapi() is
$$The API's own description: an OpenAPI 3.1 document of what the caller's role may call.

Generated from the database: function signatures and results, view columns, the comment
on each, required arguments, the registered error codes each operation can answer, a
bearer JWT security scheme and the public URL. Anonymous callers get the operations open
to everyone; a token's role gets its own. Also at GET /openapi.json.
Errors: none of its own.$$;
