// nginx njs: what an error answer may show. PostgreSQL's and PostgREST's own error
// messages name the private schema: tables, constraints, relations, candidate
// functions ("duplicate key value violates unique constraint "providers_owner_id_key"",
// "relation "api.users" does not exist", "Perhaps you meant to call api.dlq_list").
// upstream.js hands every answer here; an error that could name something is
// replaced by a registered one (docs/errors.md, "What an error shows"):
//
// - class 23 (a write broke a constraint): the constraint's registered code and
//   message, from constraint_errors.js (generated from internal.constraint_errors()
//   by `make db-dump`); a constraint it does not list gets a neutral message per
//   SQLSTATE.
// - an unknown table, view or function (42P01, 42883, PGRST202, PGRST205): 404 not_found.
// - permission denied (42501): PostgREST's 401/403 with not_authenticated/forbidden.
// - ambiguous or missing embedding (PGRST200, PGRST201): the message stays, the
//   details and hint (which list foreign keys by constraint name) go.
// - any other error that is not the registry's own (PTxxx) and still names a
//   private schema, a relation or a constraint: a neutral message for its status.
//
// Registry errors (code PTxxx, raised by internal.fail) pass untouched.

import CONSTRAINTS from 'constraint_errors.js';

var MAX_ERROR = 65536; // larger answers are not error objects

// A constraint that constraint_errors.js does not know yet (a stale copy).
var BY_SQLSTATE = {
    '23505': [409, 'conflict', 'the request conflicts with an existing record'],
    '23P01': [409, 'conflict', 'the request overlaps an existing record'],
    '23503': [409, 'conflict', 'the request refers to something that does not exist, '
        + 'or something still refers to what it would remove'],
    '23514': [400, 'invalid_input', 'a value is out of its allowed range'],
    '23502': [400, 'invalid_input', 'a required value is missing'],
    '23001': [409, 'conflict', 'something still refers to what the request would remove'],
};

// By status, for an error whose message cannot be shown.
var NEUTRAL = {
    400: ['invalid_input', 'the request is invalid'],
    401: ['not_authenticated', 'this needs a valid access token'],
    403: ['forbidden', 'your role may not do this'],
    404: ['not_found', 'no such endpoint or object; GET / lists the API'],
    405: ['invalid_input', 'this method is not allowed here'],
    406: ['invalid_input', 'the requested representation is not available'],
    409: ['conflict', 'the request conflicts with the current state'],
    500: ['internal_error', 'an unexpected failure; nothing was written'],
};

var NOT_FOUND = 'no such endpoint; GET / lists the API';

// What names the private schema: a qualified name in one of our schemas, a quoted
// relation/constraint/table, or a constraint's name by the house convention.
var LEAK = new RegExp(
    '\\b(app|auth|audit|internal|pgmq|public|extensions)\\.[a-z_]'
    + '|\\b(relation|constraint|table|index|schema) "'
    + '|[a-z0-9]_(pkey|fkey|key|check|excl|idx)\\b'
    + '|\\bpermission denied for\\b',
    'i'
);

function neutral(status) {
    var n = NEUTRAL[status] || (status >= 500 ? NEUTRAL[500] : NEUTRAL[400]);
    return [status, n[0], n[1]];
}

function leaks(err) {
    var parts = [err.message, err.details, err.hint];
    for (var i = 0; i < parts.length; i++) {
        var p = parts[i];
        if (p === null || p === undefined) {
            continue;
        }
        if (LEAK.test(typeof p === 'string' ? p : JSON.stringify(p))) {
            return true;
        }
    }
    return false;
}

function constraintError(err) {
    var m = /constraint "([^"]+)"/.exec(err.message || '');
    var known = m && Object.prototype.hasOwnProperty.call(CONSTRAINTS, m[1]) && CONSTRAINTS[m[1]];
    if (known) {
        return [known[0], known[1], known[2]];
    }
    if (err.code === '23502') {
        var col = /column "([a-z0-9_]+)"/.exec(err.message || '');
        if (col) {
            return [400, 'invalid_input', col[1] + ' is required'];
        }
    }
    return BY_SQLSTATE[err.code] || [409, 'conflict', BY_SQLSTATE['23505'][2]];
}

// [status, hint, message, details] for an answer to replace, or null to pass it on.
function redaction(reply) {
    if (reply.status < 300) { // PGRST201 (ambiguous embedding) is a 300
        return null;
    }
    var body = reply.responseText || '';
    if (body.length > MAX_ERROR || body.indexOf('"code"') < 0) {
        return null;
    }
    var err;
    try {
        err = JSON.parse(body);
    } catch (e) {
        return null;
    }
    if (err === null || typeof err !== 'object' || typeof err.code !== 'string') {
        return null;
    }
    var code = err.code;
    if (code.slice(0, 2) === 'PT') {
        return null; // the registry's own (internal.fail)
    }
    if (code.slice(0, 2) === '23') {
        var c = constraintError(err);
        return [c[0], c[1], c[2], null];
    }
    if (code === '42P01' || code === '42883' || code === 'PGRST202' || code === 'PGRST205') {
        return [404, 'not_found', NOT_FOUND, null];
    }
    if (code === '42501') {
        var n = neutral(reply.status === 401 ? 401 : 403);
        return [n[0], n[1], n[2], null];
    }
    if (code === 'PGRST200' || code === 'PGRST201') {
        var message = LEAK.test(err.message || '') ? neutral(reply.status)[2] : err.message;
        return [reply.status, 'invalid_input', message + '; embed by an api view and column name '
            + '(GET / lists them)', null];
    }
    if (leaks(err)) {
        var x = neutral(reply.status);
        return [x[0], x[1], x[2], null];
    }
    return null;
}

export default { redaction };
