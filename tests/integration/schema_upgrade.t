#!/bin/bash
# The upgrade path end to end: the first release's database (schema_v1.sql,
# a pg_dump with rows) is upgraded in place by the current postfetch.sql,
# and every row of account, alias, local_recipient, seen, skipped and poll
# keeps the values of its version 1 columns. postfetch refuses a schema
# older or newer than it knows, or none, naming the versions and what to
# do (as a superuser and as a login role of postfetch_fetcher), and works
# once the database is upgraded.
source "$(dirname "$0")/../lib/harness.sh"
harness_init
pg_start

POSTFETCH=$PF_BUILD/fetcher/postfetch
[ -x "$POSTFETCH" ] || bail "$POSTFETCH is not built (make)"
(umask 077 && openssl rand -hex 32 >"$PF_TMP/secret")
LATEST=$(sed -n 's/^\\set schema_latest \([0-9]*\)$/\1/p' "$PF_TOP/schema/postfetch.sql")
TABLES="account alias local_recipient seen skipped poll"

# postfetch COMMAND against database $1 as role $2; prints its output and
# "exit N".
postfetch_as()
{
	local db=$1 role=$2 conf=$PF_TMP/$1-$2.conf
	shift 2
	printf '%s\n' "database = host=127.0.0.1 port=$PF_PG_PORT dbname=$db user=$role" \
	    "user = root" "secret_file = $PF_TMP/secret" "message_size_limit = 0" \
	    >"$conf"
	"$POSTFETCH" -c "$conf" "$@" 2>&1
	echo "exit $?"
}

# The rows of table $2 in database $1, in the columns it had at version 1
# (saved in $PF_TMP/columns.TABLE by the first call), sorted.
rows()
{
	local db=$1 table=$2 columns=$PF_TMP/columns.$2
	[ -s "$columns" ] || pg_psql -d "$db" -c "SELECT string_agg(column_name, ', '
	    ORDER BY ordinal_position) FROM information_schema.columns
	    WHERE table_schema = 'postfetch' AND table_name = '$table'" >"$columns"
	pg_psql -d "$db" -c "SELECT $(cat "$columns") FROM postfetch.$table" | sort
}

ok "the release's DB_SCHEMA_VERSION is postfetch.sql's schema_latest ($LATEST)" \
    grep -Eq "^#define[[:space:]]+DB_SCHEMA_VERSION[[:space:]]+$LATEST\$" "$PF_TOP/common/db.h"

# --- the first release's database ----------------------------------------------
pg_psql -d postgres -c "CREATE ROLE postfetch_fetcher NOLOGIN;
    CREATE ROLE postfetch_milter NOLOGIN;
    CREATE ROLE fetcher LOGIN IN ROLE postfetch_fetcher" >/dev/null &&
    pg_psql -d postgres -c "CREATE DATABASE release1" >/dev/null ||
    bail "cannot create the roles and the database"
ok "the first release's database loads" \
    pg_psql -d release1 -f "$PF_TOP/tests/integration/schema_v1.sql"
is "$(pg_psql -d release1 -c 'SELECT string_agg(version::text, $$,$$) FROM postfetch.schema_version')" \
    1 "it is at version 1"
for table in $TABLES; do
	rows release1 "$table" >"$PF_TMP/before.$table"
	ok "version 1: $table has rows" test -s "$PF_TMP/before.$table"
done

# --- postfetch refuses it --------------------------------------------------------
older="the postfetch schema is at version 1, this postfetch needs version $LATEST: upgrade the database with postfetch.sql \(postfetch-sql\(7\)\)"
like "$(postfetch_as release1 postgres status)" "^postfetch: error: database: 127\.0\.0\.1:$PF_PG_PORT/release1: $older"$'\n'"exit 1$" \
    "status refuses version 1: which versions, and what to do"
like "$(postfetch_as release1 postgres poll)" "$older"$'\n'"exit 1$" \
    "poll refuses it too"
like "$(postfetch_as release1 fetcher status)" \
    "postfetch.schema_version is not readable: a schema older than version 4, this postfetch needs version $LATEST: upgrade"$'.*\n'"exit 1$" \
    "as a login role of postfetch_fetcher too (version 1 did not grant it the version table)"

# --- the upgrade -------------------------------------------------------------------
out=$(cd / && psql -X -q -v ON_ERROR_STOP=1 -d release1 -f "$PF_TOP/schema/postfetch.sql" 2>&1)
is "$?" 0 "postfetch.sql upgrades the first release's database"
like "$out" "applied migrations/0002_engine.sql" "it applies the later migrations"
unlike "$out" "0001_initial" "not the first one again"
like "$out" "postfetch schema version $LATEST\$" "it says the new version"
for table in $TABLES; do
	rows release1 "$table" >"$PF_TMP/after.$table"
	ok "upgraded: every $table row keeps its version 1 values" \
	    diff "$PF_TMP/before.$table" "$PF_TMP/after.$table"
done

out=$(postfetch_as release1 postgres status)
like "$out" $'\n'"exit 0\$" "status works on the upgraded database"
like "$out" "shop +active +pop3 .*team +active +imap .*queue +inactive +etrn|queue.*shop.*team" \
    "and lists the first release's accounts"
like "$(postfetch_as release1 fetcher status)" $'\n'"exit 0\$" \
    "also as a login role of postfetch_fetcher"

# --- newer, or none ---------------------------------------------------------------------
pg_psql -d release1 -c "INSERT INTO postfetch.schema_version (version, name)
    VALUES ($((LATEST + 1)), 'from_a_newer_release')" >/dev/null
like "$(postfetch_as release1 fetcher status)" \
    "the postfetch schema is at version $((LATEST + 1)), newer than this postfetch knows \(version $LATEST\): install the newer postfetch"$'\n'"exit 1$" \
    "a schema newer than it knows is refused"
pg_psql -d postgres -c "CREATE DATABASE empty" >/dev/null
like "$(postfetch_as empty postgres status)" \
    "no postfetch schema in this database: create it with postfetch.sql"$'.*\n'"exit 1$" \
    "a database without the schema is refused"

done_testing
