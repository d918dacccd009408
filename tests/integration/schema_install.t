#!/bin/bash
# Schema install and upgrade: postfetch.sql on an empty database, run again,
# on an older database, with a failing or a too-new migration, concurrently.
source "$(dirname "$0")/../lib/harness.sh"
harness_init
pg_start

SCHEMA=$PF_TOP/schema

# Run postfetch.sql (or another entry point) against database $1.
install_schema()
{
	local db=$1 file=${2:-$SCHEMA/postfetch.sql}
	(cd / && psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$file")
}

# The schema, privileges included, as pg_dump prints it.
dump_schema()
{
	pg_dump --schema-only --schema=postfetch -d "$1" |
	    grep -v -e '^--' -e '^$' -e '^\\restrict' -e '^\\unrestrict'
}

# Create an empty database.
new_database()
{
	pg_psql -d postgres -c "CREATE DATABASE $1" >/dev/null
}

# --- fresh install, from another directory (the includes are relative) ----
out=$(install_schema postfetch 2>&1)
is "$?" 0 "postfetch.sql installs into an empty database"
like "$out" "applied migrations/0001_initial.sql" "it says which migration it applied"
like "$out" "postfetch schema version 1" "it says the resulting version"
is "$(pg_psql -c "SELECT string_agg(version || ':' || name, ',' ORDER BY version) FROM postfetch.schema_version")" \
    "1:0001_initial" "schema_version records migration 1 by name"
is "$(pg_psql -c "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'postfetch' AND c.relkind IN ('r', 'v')")" \
    "account,account_status,alias,local_recipient,poll,schema_version,seen,skipped" \
    "every table and the view exist"
is "$(pg_psql -c "SELECT string_agg(rolname || ':' || rolcanlogin, ',' ORDER BY rolname)
    FROM pg_roles WHERE rolname LIKE 'postfetch\_%'")" \
    "postfetch_fetcher:false,postfetch_milter:false" "both group roles exist, NOLOGIN"

# --- a second run changes nothing -------------------------------------------
before=$(dump_schema postfetch)
like "$before" "GRANT SELECT ON TABLE postfetch.alias TO postfetch_milter" \
    "pg_dump shows the schema with its privileges"
versions_before=$(pg_psql -c "SELECT version, applied_at FROM postfetch.schema_version")
out=$(install_schema postfetch 2>&1)
is "$?" 0 "a second run succeeds"
unlike "$out" "applied" "a second run applies nothing"
like "$out" "postfetch schema version 1" "a second run reports the version"
after=$(dump_schema postfetch)
ok "a second run leaves the schema and privileges identical" test "$before" = "$after"
is "$(pg_psql -c "SELECT version, applied_at FROM postfetch.schema_version")" \
    "$versions_before" "a second run leaves schema_version alone"

# --- an older database: the version table exists at version 0 --------------
new_database older
pg_psql -d older -c "CREATE SCHEMA postfetch;
    CREATE TABLE postfetch.schema_version (version integer PRIMARY KEY,
    name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
    applied_by text NOT NULL DEFAULT current_user)" >/dev/null
ok "a database with an empty version table is upgraded" install_schema older
is "$(pg_psql -d older -c "SELECT max(version) FROM postfetch.schema_version")" 1 \
    "it is then at version 1"
ok "the upgraded database has the same schema as a fresh one" \
    test "$(dump_schema older)" = "$before"

# --- a newer release: a copy of schema/ with a migration 0002 ---------------
NEXT=$PF_TMP/next
cp -r "$SCHEMA" "$NEXT"
cat >"$NEXT/migrations/0002_probe.sql" <<'EOF'
CREATE TABLE postfetch.upgrade_probe (x integer);
INSERT INTO postfetch.upgrade_probe VALUES (42);
EOF
perl -0pi -e 's/\\set schema_latest 1/\\set schema_latest 2/;
    s/(\\ir apply-migration.sql\n)/$1\n\\set migration_version 2\n\\set migration_file migrations\/0002_probe.sql\n\\ir apply-migration.sql\n/' \
    "$NEXT/postfetch.sql"
ok "the test copy lists migration 0002" grep -q 0002_probe "$NEXT/postfetch.sql"

out=$(install_schema postfetch "$NEXT/postfetch.sql" 2>&1)
is "$?" 0 "a version 1 database is upgraded by the newer postfetch.sql"
like "$out" "applied migrations/0002_probe.sql" "migration 0002 is applied"
unlike "$out" "0001_initial" "migration 0001 is not applied again"
is "$(pg_psql -c "SELECT string_agg(version::text, ',' ORDER BY version) FROM postfetch.schema_version")" \
    "1,2" "schema_version records 1 and 2"
is "$(pg_psql -c "SELECT x FROM postfetch.upgrade_probe")" 42 \
    "migration 0002 ran exactly once"
out=$(install_schema postfetch "$NEXT/postfetch.sql" 2>&1)
is "$(pg_psql -c "SELECT count(*) FROM postfetch.upgrade_probe")" 1 \
    "running the newer postfetch.sql again does not repeat 0002"

new_database fromempty
ok "the newer postfetch.sql installs 0001 and 0002 into an empty database" \
    install_schema fromempty "$NEXT/postfetch.sql"
is "$(pg_psql -d fromempty -c "SELECT string_agg(version::text, ',' ORDER BY version) FROM postfetch.schema_version")" \
    "1,2" "both migrations recorded, in order"

# --- the older postfetch.sql refuses a newer database -------------------------
out=$(install_schema postfetch 2>&1)
isnt "$?" 0 "the older postfetch.sql refuses a version 2 database"
like "$out" "schema version 2, newer than this postfetch.sql \(version 1\)" \
    "and says why"

# --- a failing migration leaves nothing behind --------------------------------
BROKEN=$PF_TMP/broken
cp -r "$NEXT" "$BROKEN"
cat >"$BROKEN/migrations/0003_broken.sql" <<'EOF'
CREATE TABLE postfetch.half_done (x integer);
ALTER TABLE postfetch.account ADD COLUMN half_done integer;
SELECT 1 / 0;
EOF
perl -0pi -e 's/\\set schema_latest 2/\\set schema_latest 3/;
    s/(\\set migration_file migrations\/0002_probe.sql\n\\ir apply-migration.sql\n)/$1\n\\set migration_version 3\n\\set migration_file migrations\/0003_broken.sql\n\\ir apply-migration.sql\n/' \
    "$BROKEN/postfetch.sql"
ok "the test copy lists migration 0003" grep -q 0003_broken "$BROKEN/postfetch.sql"
out=$( (cd / && psql -X -q -d postfetch -f "$BROKEN/postfetch.sql") 2>&1)
isnt "$?" 0 "a failing migration fails the run, even without -v ON_ERROR_STOP=1"
like "$out" "division by zero" "the error is shown"
is "$(pg_psql -c "SELECT max(version) FROM postfetch.schema_version")" 2 \
    "the failed migration is not recorded"
is "$(pg_psql -c "SELECT to_regclass('postfetch.half_done') IS NULL
    AND NOT EXISTS (SELECT 1 FROM information_schema.columns
    WHERE table_schema = 'postfetch' AND column_name = 'half_done')")" t \
    "the failed migration's changes are rolled back"

# --- concurrent runs ------------------------------------------------------------
new_database concurrent
pids=()
for i in 1 2 3 4; do
	install_schema concurrent >"$PF_TMP/concurrent.$i" 2>&1 &
	pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do
	wait "$pid" || failed=$((failed + 1))
done
is "$failed" 0 "four concurrent runs on an empty database all succeed"
is "$(cat "$PF_TMP"/concurrent.* | grep -c 'applied migrations/0001_initial.sql')" 1 \
    "exactly one of them applied migration 0001"
is "$(pg_psql -d concurrent -c "SELECT count(*) FROM postfetch.schema_version")" 1 \
    "one version row"
ok "the concurrently built schema equals a fresh one" \
    test "$(dump_schema concurrent)" = "$before"

# --- another database of the same cluster: the roles already exist -----------
new_database second
ok "a second database in the same cluster installs (roles reused)" \
    install_schema second
is "$(pg_psql -d second -c "SELECT has_table_privilege('postfetch_milter',
    'postfetch.alias', 'SELECT')")" t "the roles get their grants there too"

# --- a database owner without CREATEROLE can install once the roles exist ----
pg_psql -d postgres -c "CREATE ROLE owner1 LOGIN" -c "CREATE DATABASE owned OWNER owner1" >/dev/null
out=$(PGUSER=owner1 install_schema owned 2>&1)
is "$?" 0 "a plain database owner installs the schema"
ok "the owner can add an account (the CHECKs' functions are its own)" \
    env PGUSER=owner1 psql -X -q -v ON_ERROR_STOP=1 -d owned -c "INSERT INTO
    postfetch.account (name, protocol, host, domain) VALUES ('e', 'etrn', 'mx.example', 'example.org')"

# --- the roles are made by two databases at once --------------------------------
for db in older fromempty concurrent second owned; do
	pg_psql -d postgres -c "DROP DATABASE $db" >/dev/null
done
pg_psql -c "DROP OWNED BY postfetch_fetcher, postfetch_milter;
    DROP ROLE postfetch_fetcher, postfetch_milter" >/dev/null
is "$(pg_psql -c "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'postfetch\_%'")" 0 \
    "the group roles are gone"
# Another session creates a role and commits only once the install waits
# for it: the install's CREATE ROLE then fails, which it must survive.
go=$PF_TMP/race.go
{
	echo "BEGIN; CREATE ROLE postfetch_fetcher NOLOGIN;"
	while [ ! -e "$go" ]; do
		sleep 0.1
	done
	echo "COMMIT;"
} | pg_psql -d postgres >/dev/null 2>&1 &
holder=$!
new_database race_a
install_schema race_a >"$PF_TMP/race_a.out" 2>&1 &
installer=$!
ok "the install waits for the other session's CREATE ROLE" wait_until 20 \
    "[ \"\$(pg_psql -c \"SELECT count(*) FROM pg_stat_activity
    WHERE datname = 'race_a' AND wait_event_type = 'Lock'\")\" = 1 ]"
touch "$go"
wait "$holder"
wait "$installer"
is "$?" 0 "the install succeeds when the role appears under its feet" ||
    diag "$(cat "$PF_TMP/race_a.out")"
is "$(pg_psql -d race_a -c "SELECT has_table_privilege('postfetch_milter', 'postfetch.alias', 'SELECT')
    AND has_table_privilege('postfetch_fetcher', 'postfetch.seen', 'INSERT')")" t \
    "and grants to both roles"

pg_psql -d race_a -c "DROP OWNED BY postfetch_fetcher, postfetch_milter;
    DROP ROLE postfetch_fetcher, postfetch_milter" >/dev/null
new_database race_b
new_database race_c
install_schema race_b >"$PF_TMP/race_b.out" 2>&1 &
pid_b=$!
install_schema race_c >"$PF_TMP/race_c.out" 2>&1 &
pid_c=$!
failed=0
wait "$pid_b" || failed=$((failed + 1))
wait "$pid_c" || failed=$((failed + 1))
is "$failed" 0 "installs into two new databases at once both succeed"
is "$(pg_psql -d race_c -c "SELECT has_table_privilege('postfetch_milter', 'postfetch.alias', 'SELECT')")" t \
    "and both grant to the roles"

# --- the helper file is not an entry point ------------------------------------
out=$(cd / && psql -X -q -v ON_ERROR_STOP=1 -d race_c -f "$SCHEMA/apply-migration.sql" 2>&1)
like "$out" "run postfetch.sql instead" "apply-migration.sql alone does nothing but say so"

done_testing
