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
// An error that would name the private schema (a table, a constraint, a function
// the caller may not see) is replaced by a registered one: errors.js.
//
// Every other answer passes through unchanged: status, headers and body.
//
// Before that, a request PostgREST 12 cannot read is refused here with a 400 that
// names the problem: a header value or a query string that is not valid UTF-8 (after
// percent-decoding) makes PostgREST fail with a bare 500 "Something went wrong", or
// drop the connection (Accept).

import errors from 'errors.js';
import fs from 'fs';
import crypto from 'crypto';

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

// --- Cost: what a request may ask for (docs/security.md, "Cost") -------------------
//
// PostgREST 12 cannot be told to bound embedding, select width, or= trees, offsets or
// exact counts, and each of those makes a short URL cost the database a great deal
// (an anonymous 164-character select nesting services and providers six deep answered
// 10.8 MB; ten deep ran to the statement timeout, holding one of the pool's ten
// connections all along). The API needs none of it beyond one level of embedding
// (a service with its provider, a provider with its services), so the gateway refuses
// the rest with 400 too_costly and a message that names the limit.

var LIMITS = {
    embedDepth: 1, // select=*,providers(*) but not *,providers(*,services(*))
    embeds: 2, // embedded resources in one select, aliases included
    selectItems: 40, // columns and embeds in one select, all levels
    logicDepth: 3, // or=(a,and(b,or(c,d))): groups nested in one or=/and=
    logicTerms: 20, // conditions in one or=/and=
    offset: 10000, // offset=, <embed>.offset=, Range: <first>-
};

// One query-string key or value as PostgREST reads it: '+' is a space, a stray '%'
// is literal (unreadable() has already refused what is not UTF-8).
function queryText(text) {
    try {
        return decodeURIComponent(
            text.replace(/\+/g, ' ').replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
    } catch (e) {
        return text;
    }
}

function queryPairs(r) {
    var uri = r.variables.request_uri || '';
    var at = uri.indexOf('?');
    var pairs = [];
    if (at < 0) {
        return pairs;
    }
    var parts = uri.slice(at + 1).split('&');
    for (var i = 0; i < parts.length; i++) {
        if (parts[i] === '') {
            continue;
        }
        var eq = parts[i].indexOf('=');
        var key = eq < 0 ? parts[i] : parts[i].slice(0, eq);
        var value = eq < 0 ? '' : parts[i].slice(eq + 1);
        pairs.push([queryText(key), queryText(value)]);
    }
    return pairs;
}

// select=a,b:rel!hint(c,...other(d)): parentheses are embedded resources (quoted
// identifiers aside), commas separate items at every level.
function selectShape(text) {
    var shape = {depth: 0, embeds: 0, items: 1};
    var depth = 0;
    var quoted = false;
    for (var i = 0; i < text.length; i++) {
        var c = text.charAt(i);
        if (c === '"') {
            quoted = !quoted;
        } else if (quoted) {
            continue;
        } else if (c === '(') {
            depth++;
            shape.embeds++;
            shape.depth = Math.max(shape.depth, depth);
        } else if (c === ')') {
            depth--;
        } else if (c === ',') {
            shape.items++;
        }
    }
    return shape;
}

// or=(a.eq.1,and(b.eq.2,c.in.(3,4))): a parenthesis opens a group when it follows
// nothing, or, and, not.or or not.and; any other (in.(...), ov.(...)) is a value list,
// whose commas are not conditions.
function logicShape(text) {
    var shape = {depth: 0, terms: 1};
    var depth = 0;
    var lists = 0;
    var token = '';
    var quoted = false;
    for (var i = 0; i < text.length; i++) {
        var c = text.charAt(i);
        if (c === '"') {
            quoted = !quoted;
        } else if (quoted) {
            continue;
        } else if (c === '(') {
            if (lists === 0 && (token === '' || /(^|\.)(or|and)$/.test(token))) {
                depth++;
                shape.depth = Math.max(shape.depth, depth);
            } else {
                lists++;
            }
            token = '';
        } else if (c === ')') {
            if (lists > 0) {
                lists--;
            } else {
                depth--;
            }
            token = '';
        } else if (c === ',') {
            if (lists === 0) {
                shape.terms++;
            }
            token = '';
        } else {
            token += c;
        }
    }
    return shape;
}

var LOGIC_KEY = /^(.*\.)?(not\.)?(or|and)$/;
var OFFSET_KEY = /^(.*\.)?offset$/;

// Why this request costs more than the API allows, or null.
function tooCostly(r) {
    var pairs = queryPairs(r);
    var embeds = 0;
    for (var i = 0; i < pairs.length; i++) {
        var key = pairs[i][0];
        var value = pairs[i][1];
        if (key === 'select') {
            var s = selectShape(value);
            embeds += s.embeds;
            if (s.depth > LIMITS.embedDepth) {
                return 'select nests embedded resources ' + s.depth + ' levels deep; the API '
                    + 'allows at most ' + LIMITS.embedDepth + ' (e.g. select=*,providers(*))';
            }
            if (embeds > LIMITS.embeds) {
                return 'select embeds ' + embeds + ' resources; the API allows at most '
                    + LIMITS.embeds;
            }
            if (s.items > LIMITS.selectItems) {
                return 'select lists ' + s.items + ' columns and embedded resources; the API '
                    + 'allows at most ' + LIMITS.selectItems;
            }
        } else if (LOGIC_KEY.test(key)) {
            var l = logicShape(value);
            if (l.depth > LIMITS.logicDepth) {
                return key + '= nests groups ' + l.depth + ' levels deep; the API allows at most '
                    + LIMITS.logicDepth;
            }
            if (l.terms > LIMITS.logicTerms) {
                return key + '= holds ' + l.terms + ' conditions; the API allows at most '
                    + LIMITS.logicTerms;
            }
        } else if (OFFSET_KEY.test(key) && /^\s*\d+\s*$/.test(value)
                   && Number(value) > LIMITS.offset) {
            return key + '=' + value.trim().slice(0, 20) + ' is over the API\'s limit of '
                + LIMITS.offset + '; filter on a column instead (e.g. id=gt.<last id seen>)';
        }
    }
    var raw = r.rawHeadersIn;
    for (var j = 0; j < raw.length; j++) {
        var name = raw[j][0].toLowerCase();
        var header = raw[j][1];
        var range = /^\s*(\d+)\s*-/.exec(header);
        if (name === 'range' && range && Number(range[1]) > LIMITS.offset) {
            return 'the Range header starts at row ' + range[1].slice(0, 20) + ', over the '
                + 'API\'s limit of ' + LIMITS.offset + '; filter on a column instead';
        }
        if (name === 'prefer' && /(^|[\s,;])count\s*=\s*exact/i.test(header)) {
            return 'Prefer: count=exact counts every matching row and is not offered; use '
                + 'count=planned or count=estimated';
        }
    }
    return null;
}

// The expensive paths: the quote, availability, and reads that embed, filter with
// or=/and= trees or match text (like, ilike, regular expressions, full text: a scan
// that no index serves). nginx counts them per client address (and, for anonymous
// callers, all together) with limit_conn: an empty key is not counted.
var EXPENSIVE_PATH = /^\/rpc\/(quote|available_slots)\/?$/;
var TEXT_MATCH = /^(not\.)?(like|ilike|match|imatch|fts|plfts|phfts|wfts)[.(]/;

function expensive(r) {
    if (EXPENSIVE_PATH.test(r.uri)) {
        return true;
    }
    var pairs = queryPairs(r);
    for (var i = 0; i < pairs.length; i++) {
        if ((pairs[i][0] === 'select' && pairs[i][1].indexOf('(') >= 0)
            || LOGIC_KEY.test(pairs[i][0]) || TEXT_MATCH.test(pairs[i][1])) {
            return true;
        }
    }
    return false;
}

function costlyAddress(r) {
    return expensive(r) ? r.variables.remote_addr : '';
}

function costlyAnon(r) {
    return !r.headersIn['Authorization'] && expensive(r) ? 'anon' : '';
}

// --- The public catalog's read path (docs/operations.md, "Read replica", "Caching") --
//
// An anonymous GET or HEAD of the public catalog gets the same answer whoever asks: it
// may be read from the replica and from nginx's cache (location /_catalog). The read
// router (bookiji/readpath.py) writes, several times a second, whether the replica is
// within its lag bound and the versions of the cache's two scopes; a state file older
// than STALE_AFTER seconds (no router) sends the read to the primary, uncached. Anything
// with an Authorization header (a user's own view: a provider sees only its own profile
// in /providers) and every other path and method go to the primary, never cached.

var CATALOG = /^\/(providers|services|service_categories|rpc\/available_slots)\/?$/;
var SLOTS = /^\/rpc\/available_slots\/?$/;
var STALE_AFTER = 3;

function readState(r) {
    var path = r.variables.read_state_file;
    if (!path) {
        return null;
    }
    try {
        var state = JSON.parse(fs.readFileSync(path, 'utf8'));
        if (typeof state.at !== 'number' || Math.abs(Date.now() / 1000 - state.at) > STALE_AFTER) {
            return null;
        }
        return state;
    } catch (e) {
        return null;
    }
}

function readRoute(r) {
    if ((r.method !== 'GET' && r.method !== 'HEAD') || r.headersIn['Authorization']
        || !CATALOG.test(r.uri)) {
        return null;
    }
    return readState(r);
}

function etagOf(body) {
    return '"' + crypto.createHash('sha1').update(body).digest('base64url') + '"';
}

function matches(header, etag) {
    if (!header) {
        return false;
    }
    var tags = header.split(',');
    for (var i = 0; i < tags.length; i++) {
        var t = tags[i].trim().replace(/^W\//, '');
        if (t === etag || t === '*') {
            return true;
        }
    }
    return false;
}

// The answer of a public read: from the replica, else the primary (a failed replica
// read is sent again to the primary, so the client never sees the replica's failure).
async function publicRead(r, route) {
    r.variables.catalog_upstream = route.replica ? 'postgrest_replica' : 'postgrest';
    r.variables.catalog_key = String(SLOTS.test(r.uri) ? route.slots : route.catalog);
    var reply = await r.subrequest('/_catalog', {method: r.method});
    if (route.replica && (reply.status >= 500 || correction(reply))) {
        r.warn('replica read failed (' + reply.status + '): read from the primary');
        reply = await r.subrequest('/_postgrest', {method: r.method});
    }
    return reply;
}

// Cache headers for a catalog path: public with an ETag for an anonymous 200 (the answer
// is the same for everyone), never stored for a caller with credentials.
function cacheHeaders(r, reply, route) {
    if (!CATALOG.test(r.uri)) {
        return false;
    }
    r.headersOut['Vary'] = 'Authorization, Accept, Prefer, Range, Accept-Profile';
    if (!route) {
        if (r.headersIn['Authorization']) {
            r.headersOut['Cache-Control'] = 'private, no-store';
        }
        return false;
    }
    r.headersOut['X-Cache-Status'] = reply.variables.upstream_cache_status || 'BYPASS';
    r.headersOut['X-Read-From'] = route.replica ? 'replica' : 'primary';
    var ttl = Number(r.variables.catalog_ttl) || 0;
    if (reply.status !== 200 || ttl <= 0) {
        return false;
    }
    r.headersOut['Cache-Control'] = 'public, max-age=' + ttl;
    if (r.method !== 'GET' || reply.responseBuffer === undefined) {
        return false;
    }
    var etag = etagOf(reply.responseBuffer);
    r.headersOut['ETag'] = etag;
    return matches(r.headersIn['If-None-Match'], etag);
}

async function pass(r) {
    var refusal = unreadable(r);
    if (refusal) {
        problem(r, 400, 'PT400', 'invalid_input', refusal, 0);
        return;
    }
    var cost = tooCostly(r);
    if (cost) {
        problem(r, 400, 'PT400', 'too_costly', cost, 0);
        return;
    }
    var reply;
    var route = readRoute(r);
    try {
        reply = route ? await publicRead(r, route)
            : await r.subrequest('/_postgrest', {method: r.method});
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
    // an error that would name a table, constraint or function (errors.js)
    var red = errors.redaction(reply);
    if (red) {
        r.warn('redacted PostgREST ' + reply.status + ' ' + reply.responseText.slice(0, 500));
        if (red[0] === 401) {
            r.headersOut['WWW-Authenticate'] = 'Bearer';
        }
        problem(r, red[0], 'PT' + red[0], red[1], red[2], 0);
        return;
    }
    var h = reply.headersOut;
    for (var name in h) {
        if (!DROP[name.toLowerCase()]) {
            r.headersOut[name] = h[name];
        }
    }
    if (cacheHeaders(r, reply, route)) {
        r.return(304);
        return;
    }
    var body = reply.responseBuffer;
    if (body === undefined || body === null) {
        r.return(reply.status);
    } else {
        r.return(reply.status, body);
    }
}

export default { pass, costlyAddress, costlyAnon };
