#!/bin/sh
# The first start initialises the cluster: the superuser `postgres` with the password in
# POSTGRES_PASSWORD, peer authentication on the socket (the health check), SCRAM for
# every network client, and the settings of /etc/bookiji/postgresql.conf. Every start
# then becomes the server, with the arguments given (e.g. -c name=value).
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    initdb --pgdata="$PGDATA" --username=postgres --pwfile="$pwfile" --encoding=UTF8 \
        --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    cat /etc/bookiji/postgresql.conf >> "$PGDATA/postgresql.conf"
fi
exec postgres -D "$PGDATA" "$@"
