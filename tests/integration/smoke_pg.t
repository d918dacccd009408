#!/bin/bash
# Smoke test: the harness's PostgreSQL is real, reachable and restartable.
source "$(dirname "$0")/../lib/harness.sh"
harness_init
pg_start

is "$(pg_psql -c 'SELECT 6 * 7')" 42 "psql query returns a value"
is "$(pg_psql -c 'SELECT current_database()')" postfetch "database postfetch exists"
like "$PF_DB" "^host=127\.0\.0\.1 port=$PGPORT dbname=postfetch user=postgres$" "PF_DB is a conninfo string"
is "$(psql -X -A -t "$PF_DB" -c 'SELECT 1')" 1 "PF_DB works as a conninfo"
is "$(pg_psql -c "SELECT setting FROM pg_settings WHERE name = 'listen_addresses'")" 127.0.0.1 \
    "listens on 127.0.0.1 only"
ok "server runs as $PF_USER, not root" \
    test "$(stat -c %U "$PF_PG_DATA")" = "$PF_USER"
ok "a table can be created and written" \
    pg_psql -c 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)'

pg_stop
ok "after pg_stop, connections are refused" \
    not psql -X -A -t -c "SELECT 1"
pg_restart
is "$(pg_psql -c 'SELECT count(*) FROM t')" 1 "pg_restart keeps port and data"

ok "a bad query fails" not pg_psql -c "SELECT nosuchcolumn"
done_testing
