#!/bin/bash
# Run a unit test program against a throwaway PostgreSQL: tests/run-tests
# runs every unit program that reads PF_DB through this (as root, like the
# integration tests), so that it runs instead of skipping itself.
#
#   tests/lib/with-pg.sh CMD [ARG...]
#
# Starts PostgreSQL under a temp dir (pg_start of tests/lib/pg.sh), loads
# schema/postfetch.sql into its database "postfetch", runs CMD with PF_DB,
# PGHOST, PGPORT, PGUSER and PGDATABASE naming it, and exits with CMD's
# status; the server and the temp dir go at exit. CMD's output is its TAP:
# this script prints nothing else unless the start fails ("Bail out!").
# Not as root (PostgreSQL runs as $PF_USER, through runuser), CMD runs as
# it is, with the caller's PF_DB if any.
source "$(dirname "$0")/harness.sh"

[ $# -gt 0 ] || { echo "usage: with-pg.sh CMD [ARG...]" >&2; exit 2; }
# Not root: a PF_DB given by the caller, else the program skips itself.
[ "$(id -u)" -eq 0 ] || exec "$@"
harness_init
pg_start
pg_psql -f "$PF_TOP/schema/postfetch.sql" >"$PF_TMP/schema.log" 2>&1 ||
    bail "schema/postfetch.sql does not load: $(tail -n 3 "$PF_TMP/schema.log")"
"$@"
