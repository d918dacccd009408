#!/bin/bash
# Schema install and upgrade: postfetch.sql on an empty database, run again,
# on an older database, with a failing or a too-new migration, concurrently.
source "$(dirname "$0")/../lib/harness.sh"
harness_init
pg_start

SCHEMA=$PF_TOP/schema
# The newest migration, and the list postfetch.sql applies.
LATEST=$(sed -n 's/^\\set schema_latest \([0-9]*\)$/\1/p' "$SCHEMA/postfetch.sql")
MIGRATIONS=$(sed -n 's/^\\set migration_file migrations\/\(.*\)\.sql$/\1/p' "$SCHEMA/postfetch.sql")
NEXT_VERSION=$((LATEST + 1))

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

# List migrations/FILE as VERSION in DIR/postfetch.sql, after the others,
# and make it the latest: add_migration DIR VERSION FILE
add_migration()
{
	V=$2 F=$3 perl -0pi -e 's/\\set schema_latest \d+/\\set schema_latest $ENV{V}/;
	    s/(.*\\ir apply-migration.sql\n)/$1\n\\set migration_version $ENV{V}\n\\set migration_file migrations\/$ENV{F}\n\\ir apply-migration.sql\n/s' \
	    "$1/postfetch.sql"
}

# Make DIR/postfetch.sql the one of an older release that knows the
# migrations up to VERSION only: keep_migrations DIR VERSION
keep_migrations()
{
	V=$2 perl -0pi -e 's/\\set schema_latest \d+/\\set schema_latest $ENV{V}/;
	    s/\n\\set migration_version (\d+)\n[^\n]*\n[^\n]*\n/$1 > $ENV{V} ? "" : $&/ge' \
	    "$1/postfetch.sql"
}

# "1,2,...,N"
versions_upto()
{
	seq -s, 1 "$1"
}

# --- fresh install, from another directory (the includes are relative) ----
ok "postfetch.sql lists migrations 1 to $LATEST" \
    test "$(echo "$MIGRATIONS" | wc -l)" = "$LATEST" -a "$LATEST" -ge 2
out=$(install_schema postfetch 2>&1)
is "$?" 0 "postfetch.sql installs into an empty database"
like "$out" "applied migrations/0001_initial.sql" "it says which migration it applied"
like "$out" "applied migrations/0002_engine.sql" "... each of them"
like "$out" "postfetch schema version $LATEST" "it says the resulting version"
is "$(pg_psql -c "SELECT string_agg(version || ':' || name, ',' ORDER BY version) FROM postfetch.schema_version")" \
    "$(echo "$MIGRATIONS" | awk '{ print NR ":" $0 }' | paste -sd,)" \
    "schema_version records every migration by name"
is "$(pg_psql -c "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'postfetch' AND c.relkind IN ('r', 'v')")" \
    "account,account_sender,account_status,alias,local_recipient,poll,relay,relay_password,relay_sender,relay_tls,schema_version,seen,skipped" \
    "every table and view exists"
is "$(pg_psql -c "SELECT string_agg(rolname || ':' || rolcanlogin, ',' ORDER BY rolname)
    FROM pg_roles WHERE rolname LIKE 'postfetch\_%'")" \
    "postfetch_fetcher:false,postfetch_milter:false,postfetch_postfix:false" \
    "the three group roles exist, NOLOGIN"

# --- a second run changes nothing -------------------------------------------
before=$(dump_schema postfetch)
like "$before" "GRANT SELECT ON TABLE postfetch.alias TO postfetch_milter" \
    "pg_dump shows the schema with its privileges"
versions_before=$(pg_psql -c "SELECT version, applied_at FROM postfetch.schema_version")
out=$(install_schema postfetch 2>&1)
is "$?" 0 "a second run succeeds"
unlike "$out" "applied" "a second run applies nothing"
like "$out" "postfetch schema version $LATEST" "a second run reports the version"
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
is "$(pg_psql -d older -c "SELECT max(version) FROM postfetch.schema_version")" "$LATEST" \
    "it is then at version $LATEST"
ok "the upgraded database has the same schema as a fresh one" \
    test "$(dump_schema older)" = "$before"

# --- version 1 with accounts, seen and skipped rows: upgraded in place ---------
V1=$PF_TMP/v1
cp -r "$SCHEMA" "$V1"
keep_migrations "$V1" 1
ok "the version 1 copy lists migration 0001 only" \
    test "$(grep -c '^\\set migration_file' "$V1/postfetch.sql")" = 1
new_database version1
like "$(install_schema version1 "$V1/postfetch.sql" 2>&1)" "postfetch schema version 1" \
    "a database at version 1"
pg_psql -d version1 -c "INSERT INTO postfetch.account (name, protocol, host, username, password)
    VALUES ('old', 'pop3', 'pop.example.com', 'u', 'p'),
    ('other', 'imap', 'imap.example.com', 'u', 'p');
    INSERT INTO postfetch.seen (account_id, uid)
    SELECT id, 'u-' || i FROM postfetch.account, generate_series(1, 3) i
    WHERE name = 'old';
    INSERT INTO postfetch.skipped (account_id, uid, size, reason)
    SELECT id, 'big-' || i, 99999999, 'max_size'
    FROM postfetch.account, generate_series(1, 2) i WHERE name = 'old'" >/dev/null
out=$(install_schema version1 2>&1)
is "$?" 0 "version 1 is upgraded by postfetch.sql"
like "$out" "applied migrations/0002_engine.sql" "migration 0002 is applied"
unlike "$out" "0001_initial" "migration 0001 is not applied again"
like "$out" "postfetch schema version $LATEST" "it says the new version"
is "$(pg_psql -d version1 -c "SELECT count(*), count(size) FROM postfetch.seen")" "3|0" \
    "the seen rows stay, their size unknown (NULL)"
is "$(pg_psql -d version1 -c "SELECT string_agg(name || ':' || mailbox_generation, ' ' ORDER BY name)
    FROM postfetch.account")" "old:0 other:0" "every account starts at mailbox generation 0"
is "$(pg_psql -d version1 -c "SELECT string_agg(name || ':' || skipped, ' ' ORDER BY name)
    FROM postfetch.account_status")" "old:2 other:0" "the status view counts the skipped rows"
pg_psql -d version1 -c "UPDATE postfetch.account SET host = 'pop.example.net'
    WHERE name = 'old'" >/dev/null
is "$(pg_psql -d version1 -c "SELECT mailbox_generation, tls_seen,
    (SELECT count(*) FROM postfetch.seen) FROM postfetch.account WHERE name = 'old'")" "1|f|0" \
    "the upgraded trigger forgets the index and raises the generation"
ok "the upgraded database has the same schema as a fresh one" \
    test "$(dump_schema version1)" = "$before"

# --- a newer release: a copy of schema/ with one more migration ---------------
NEXT=$PF_TMP/next
PROBE=$(printf '%04d_probe' "$NEXT_VERSION")
cp -r "$SCHEMA" "$NEXT"
cat >"$NEXT/migrations/$PROBE.sql" <<'EOF'
CREATE TABLE postfetch.upgrade_probe (x integer);
INSERT INTO postfetch.upgrade_probe VALUES (42);
EOF
add_migration "$NEXT" "$NEXT_VERSION" "$PROBE.sql"
ok "the test copy lists migration $PROBE" grep -q "$PROBE" "$NEXT/postfetch.sql"

out=$(install_schema postfetch "$NEXT/postfetch.sql" 2>&1)
is "$?" 0 "a version $LATEST database is upgraded by the newer postfetch.sql"
like "$out" "applied migrations/$PROBE.sql" "migration $NEXT_VERSION is applied"
unlike "$out" "0001_initial" "migration 0001 is not applied again"
is "$(pg_psql -c "SELECT string_agg(version::text, ',' ORDER BY version) FROM postfetch.schema_version")" \
    "$(versions_upto "$NEXT_VERSION")" "schema_version records 1 to $NEXT_VERSION"
is "$(pg_psql -c "SELECT x FROM postfetch.upgrade_probe")" 42 \
    "migration $NEXT_VERSION ran exactly once"
out=$(install_schema postfetch "$NEXT/postfetch.sql" 2>&1)
is "$(pg_psql -c "SELECT count(*) FROM postfetch.upgrade_probe")" 1 \
    "running the newer postfetch.sql again does not repeat $NEXT_VERSION"

new_database fromempty
ok "the newer postfetch.sql installs every migration into an empty database" \
    install_schema fromempty "$NEXT/postfetch.sql"
is "$(pg_psql -d fromempty -c "SELECT string_agg(version::text, ',' ORDER BY version) FROM postfetch.schema_version")" \
    "$(versions_upto "$NEXT_VERSION")" "every migration recorded, in order"

# --- the older postfetch.sql refuses a newer database -------------------------
out=$(install_schema postfetch 2>&1)
isnt "$?" 0 "the older postfetch.sql refuses a version $NEXT_VERSION database"
like "$out" "schema version $NEXT_VERSION, newer than this postfetch.sql \(version $LATEST\)" \
    "and says why"

# --- a failing migration leaves nothing behind --------------------------------
BROKEN=$PF_TMP/broken
BROKEN_FILE=$(printf '%04d_broken' "$((NEXT_VERSION + 1))").sql
cp -r "$NEXT" "$BROKEN"
cat >"$BROKEN/migrations/$BROKEN_FILE" <<'EOF'
CREATE TABLE postfetch.half_done (x integer);
ALTER TABLE postfetch.account ADD COLUMN half_done integer;
SELECT 1 / 0;
EOF
add_migration "$BROKEN" "$((NEXT_VERSION + 1))" "$BROKEN_FILE"
ok "the test copy lists the broken migration" grep -q "$BROKEN_FILE" "$BROKEN/postfetch.sql"
out=$( (cd / && psql -X -q -d postfetch -f "$BROKEN/postfetch.sql") 2>&1)
isnt "$?" 0 "a failing migration fails the run, even without -v ON_ERROR_STOP=1"
like "$out" "division by zero" "the error is shown"
is "$(pg_psql -c "SELECT max(version) FROM postfetch.schema_version")" "$NEXT_VERSION" \
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
is "$(cat "$PF_TMP"/concurrent.* | grep -c 'applied migrations/0002_engine.sql')" 1 \
    "exactly one of them applied migration 0002"
is "$(pg_psql -d concurrent -c "SELECT count(*) FROM postfetch.schema_version")" "$LATEST" \
    "one version row per migration"
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
for db in older version1 fromempty concurrent second owned; do
	pg_psql -d postgres -c "DROP DATABASE $db" >/dev/null
done
pg_psql -c "DROP OWNED BY postfetch_fetcher, postfetch_milter, postfetch_postfix;
    DROP ROLE postfetch_fetcher, postfetch_milter, postfetch_postfix" >/dev/null
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
