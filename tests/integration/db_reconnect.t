#!/bin/bash
# common/db.c against a real PostgreSQL: the unit program tests/unit/common_db
# (statements, errors, reconnect after pg_terminate_backend, back-off,
# unreachable server, wrong database), then a full server restart between
# two statements of one handle.
source "$(dirname "$0")/../lib/harness.sh"

prog=$PF_BUILD/tests/unit/common_db
[ -x "$prog" ] || skip_all "$prog not built (make tests)"
harness_init
pg_start

out=$("$prog" 2>&1)
rc=$?
is "$rc" 0 "common_db passes against PostgreSQL"
[ "$rc" -eq 0 ] || diag "$out"
like "$out" "1\.\.[1-9]" "common_db ran its tests"

# The program runs a statement, says "ready", and runs another after we
# restart the server: the second must succeed on a new connection.
coproc WAITER { "$prog" wait 2>"$PF_TMP/wait.log"; }
waiter=$WAITER_PID	# bash unsets WAITER_PID when the coprocess ends
to_waiter=${WAITER[1]} from_waiter=${WAITER[0]}
read -r -t 30 line <&"$from_waiter"
is "$line" ready "connected and ran a statement"
pg_restart
echo go >&"$to_waiter"
read -r -t 60 line <&"$from_waiter"
is "$line" "3 generation 2" "after a server restart: reconnected, re-prepared, ran"
wait "$waiter"
is "$?" 0 "the waiting program exits 0"
like "$(cat "$PF_TMP/wait.log")" "^common_db: 127\.0\.0\.1:$PGPORT/postfetch: add_one: .*; reconnecting$" \
    "the lost connection is logged once, naming the server"

# With the server down the cause names the server and the refusal.
pg_stop
out=$("$prog" wait </dev/null 2>&1)
like "$out" "^error: 127\.0\.0\.1:$PGPORT/postfetch: .*(refused|failed)" \
    "server down: the cause names host:port/dbname"
done_testing
