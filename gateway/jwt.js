// nginx njs: read (not verify) the JWT claims for the access log. PostgREST
// verifies the signature; a row with status 401 shows claims that were refused.
function claims(r) {
    var header = r.headersIn['Authorization'] || '';
    var m = header.match(/^\s*bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\./i);
    if (!m) {
        return null;
    }
    try {
        return JSON.parse(Buffer.from(m[2], 'base64url').toString());
    } catch (e) {
        return null;
    }
}

// The bearer token itself, the key of nginx's per-token limit: the scheme's case and
// the spaces around it do not make a new bucket (RFC 9110: the scheme is
// case-insensitive). Any other Authorization value is its own key, trimmed.
function token(r) {
    var header = r.headersIn['Authorization'] || '';
    var m = header.match(/^\s*bearer\s+(\S+)\s*$/i);
    return m ? m[1] : header.trim();
}

function sub(r) {
    var c = claims(r);
    return c && typeof c.sub === 'string' ? c.sub.slice(0, 64) : '';
}

function role(r) {
    if (!r.headersIn['Authorization']) {
        return 'anon';
    }
    var c = claims(r);
    return c && typeof c.role === 'string' ? c.role.slice(0, 32) : 'invalid';
}

export default { sub, role, token };
