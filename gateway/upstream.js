// nginx njs: hand each API request to PostgREST as an in-memory subrequest and read
// its whole answer before answering the client, so that the two answers PostgREST 12
// gets wrong for a client can be put right (see docs/errors.md, "Gateway"):
//
// - HTTP 400 with an empty error ({"code":"","details":null,"hint":null,"message":""}):
//   PostgREST's answer when the pooled connection it picked died in a Postgres
//   restart. libpq's own "connection lost" result carries no SQLSTATE, and PostgREST
//   maps an unknown code to 400. Nothing ran: it is a 503, retry shortly.
// - SQLSTATE 57014 (the API roles' statement_timeout cancelled the statement):
//   PostgREST maps all of class 57 to 500. The request was too expensive to finish
//   in time; nothing was written (the transaction rolled back): a 503 that says so.
//
// Every other answer passes through unchanged: status, headers and body.
//
// Before that, a request PostgREST 12 cannot read is refused here with a 400 that
// names the problem: a header value or a query string that is not valid UTF-8 (after
// percent-decoding) makes PostgREST fail with a bare 500 "Something went wrong", or
// drop the connection (Accept).

var DROP = {
    'connection': 1,
    'keep-alive': 1,
    'transfer-encoding': 1,
    'content-length': 1,
    'server': 1,
    'date': 1,
};

var RESTARTING = 'the database is restarting; retry shortly';
var TOO_LONG = 'the request ran longer than the API allows (statement timeout) and was '
    + 'cancelled; nothing was changed. Narrow it (a smaller range, radius or limit) '
    + 'or retry later';

function problem(r, status, code, hint, message, retryAfter) {
    r.headersOut['Content-Type'] = 'application/json; charset=utf-8';
    if (retryAfter) {
        r.headersOut['Retry-After'] = String(retryAfter);
    }
    r.return(status, JSON.stringify({code: code, details: null, hint: hint, message: message}));
}

// Which of PostgREST's errors to correct: null for an answer to pass through.
function correction(reply) {
    if (reply.status !== 400 && reply.status !== 500) {
        return null;
    }
    var body = reply.responseText || '';
    if (body.length > 200 || body.indexOf('"code"') < 0) {
        return null;
    }
    var err;
    try {
        err = JSON.parse(body);
    } catch (e) {
        return null;
    }
    if (reply.status === 400 && err.code === '' && err.message === '') {
        return [503, 'PT503', 'unavailable', RESTARTING, 2];
    }
    if (err.code === '57014') {
        return [503, 'PT503', 'statement_timeout', TOO_LONG, 5];
    }
    return null;
}

// njs holds header values and the request line as byte strings: encodeURIComponent
// spells out their bytes, and decodeURIComponent refuses a sequence that is not UTF-8.
function utf8(text) {
    try {
        decodeURIComponent(encodeURIComponent(text));
        // percent escapes too; a stray '%' stays literal, as PostgREST reads it
        decodeURIComponent(text.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
        return true;
    } catch (e) {
        return false;
    }
}

function unreadable(r) {
    if (!utf8(r.variables.request_uri)) {
        return 'the URL (path or query string) is not valid UTF-8 once percent-decoded';
    }
    var raw = r.rawHeadersIn;
    for (var i = 0; i < raw.length; i++) {
        if (!utf8(raw[i][1])) {
            return 'the ' + raw[i][0].slice(0, 64) + ' header is not valid UTF-8';
        }
    }
    return null;
}

async function pass(r) {
    var refusal = unreadable(r);
    if (refusal) {
        problem(r, 400, 'PT400', 'invalid_input', refusal, 0);
        return;
    }
    var reply;
    try {
        reply = await r.subrequest('/_postgrest', {method: r.method});
    } catch (e) {
        r.error('PostgREST subrequest failed: ' + e);
        problem(r, 503, 'PT503', 'unavailable', 'the API is restarting; retry shortly', 2);
        return;
    }
    if (reply.status === 502 || reply.status === 504) {
        problem(r, 503, 'PT503', 'unavailable', 'the API is restarting; retry shortly', 2);
        return;
    }
    var fix = correction(reply);
    if (fix) {
        r.warn('corrected PostgREST ' + reply.status + ' ' + reply.responseText + ' to ' + fix[0]);
        problem(r, fix[0], fix[1], fix[2], fix[3], fix[4]);
        return;
    }
    var h = reply.headersOut;
    for (var name in h) {
        if (!DROP[name.toLowerCase()]) {
            r.headersOut[name] = h[name];
        }
    }
    var body = reply.responseBuffer;
    if (body === undefined || body === null) {
        r.return(reply.status);
    } else {
        r.return(reply.status, body);
    }
}

export default { pass };
