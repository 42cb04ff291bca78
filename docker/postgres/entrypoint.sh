#!/bin/sh
# The first start initialises the cluster: the superuser `postgres` with the password in
# POSTGRES_PASSWORD, peer authentication on the socket (the health check), SCRAM for
# every network client, and the settings of /etc/bookiji/postgresql.conf. Every start
# then becomes the server, with the arguments given (e.g. -c name=value).
#
# With BOOKIJI_REPLICA_OF=host:port (docker-compose.yml's db-replica) the first start
# copies that primary instead, as bookiji/readpath.py does for the embedded cluster:
# `pg_basebackup -R` as postgres through the physical replication slot bookiji_replica
# (made by the copy when the primary has none), and the replica's own settings; the
# copy then starts as a hot standby streaming from the primary. A data directory that
# is there already (a restart) is reused as it is; a copy that fails half-way is
# removed and tried again (five attempts, 2 s apart), and after the last the container
# exits with nothing left, so the next start copies again.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
slot=bookiji_replica

copy_primary() {
    : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD (the primary superuser password)}"
    host=${BOOKIJI_REPLICA_OF%:*}
    port=${BOOKIJI_REPLICA_OF##*:}
    [ "$port" != "$BOOKIJI_REPLICA_OF" ] || port=5432
    export PGPASSWORD="$POSTGRES_PASSWORD"
    # the primary may still be starting (compose tools that ignore depends_on conditions)
    tries=0
    until pg_isready -q -h "$host" -p "$port" -U postgres -d postgres; do
        tries=$((tries + 1))
        if [ "$tries" -ge 120 ]; then
            echo "bookiji-postgres: the primary $host:$port did not become ready" >&2
            exit 1
        fi
        sleep 1
    done
    # a copy that fails is removed and tried again, a few times: a name lookup of the primary
    # can fail while the container network comes up, after pg_isready has already answered
    attempt=1
    while :; do
        has_slot=$(psql -h "$host" -p "$port" -U postgres -d postgres -Atc \
            "select count(*) from pg_replication_slots where slot_name = '$slot'") || has_slot=
        if [ -n "$has_slot" ]; then
            create=-C
            [ "$has_slot" = 0 ] || create=
            echo "bookiji-postgres: copying the primary $host:$port (pg_basebackup, slot $slot)"
            # shellcheck disable=SC2086
            if pg_basebackup -h "$host" -p "$port" -U postgres --no-password -D "$PGDATA" \
                    -X stream -c fast -R -S "$slot" $create; then
                break
            fi
            [ ! -d "$PGDATA" ] || find "$PGDATA" -mindepth 1 -delete
        fi
        if [ "$attempt" -ge 5 ]; then
            echo "bookiji-postgres: pg_basebackup of the primary failed $attempt times" >&2
            exit 1
        fi
        echo "bookiji-postgres: the copy of the primary failed (attempt $attempt of 5); trying again" >&2
        attempt=$((attempt + 1))
        sleep 2
    done
    unset PGPASSWORD
    # as bookiji/readpath.py's REPLICA_SETTINGS: no replica query is cancelled by the
    # primary's vacuum, and none delays replay past 5 s (the lag bound is smaller)
    cat >> "$PGDATA/postgresql.auto.conf" <<CONF
# bookiji read replica
hot_standby_feedback = on
max_standby_streaming_delay = '5s'
CONF
}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -n "${BOOKIJI_REPLICA_OF:-}" ]; then
        copy_primary
    else
        : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
        pwfile=$(mktemp)
        printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
        initdb --pgdata="$PGDATA" --username=postgres --pwfile="$pwfile" --encoding=UTF8 \
            --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 >/dev/null
        rm -f "$pwfile"
        echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
        cat /etc/bookiji/postgresql.conf >> "$PGDATA/postgresql.conf"
    fi
fi
# the read replica (db-replica) copies and streams as postgres over the network: on
# every start, so that a data directory made before the replica existed allows it too
# ("all" in pg_hba's database column does not cover replication connections)
if [ ! -f "$PGDATA/standby.signal" ] \
        && ! grep -q '^host replication postgres all scram-sha-256' "$PGDATA/pg_hba.conf"; then
    echo "host replication postgres all scram-sha-256" >> "$PGDATA/pg_hba.conf"
fi
exec postgres -D "$PGDATA" "$@"
