#!/bin/bash
# Schema privileges: postfetch_fetcher and postfetch_milter can do what their
# program needs and nothing else; PUBLIC can do nothing.
source "$(dirname "$0")/../lib/harness.sh"
harness_init
pg_start
pg_psql -f "$PF_TOP/schema/postfetch.sql" >/dev/null || bail "schema install failed"

pg_psql -c "CREATE ROLE fetcher1 LOGIN IN ROLE postfetch_fetcher;
    CREATE ROLE milter1 LOGIN IN ROLE postfetch_milter;
    CREATE ROLE stranger LOGIN" || bail "cannot create login roles"
pg_psql -c "INSERT INTO postfetch.account (name, protocol, host, username, password, fallback)
    VALUES ('acme', 'pop3', 'pop.example.com', 'acme-user', 'hunter2', 'office@example.com');
    INSERT INTO postfetch.account (name, protocol, host, domain)
    VALUES ('flush', 'etrn', 'mx.provider.example', 'example.org');
    INSERT INTO postfetch.account (name, protocol, host, username, password, deliver_to)
    VALUES ('solo', 'imap', 'imap.example.com', 'solo-user', 'hunter3', 'anna@example.com');
    INSERT INTO postfetch.alias (account_id, remote, local)
    SELECT id, 'p.maly@provider.example', 'pavel.maly@example.com'
    FROM postfetch.account WHERE name = 'acme';
    INSERT INTO postfetch.local_recipient VALUES ('office@example.com')" ||
    bail "cannot insert sample rows"
ID=$(pg_psql -c "SELECT id FROM postfetch.account WHERE name = 'acme'")

# psql as login role $1; the remaining arguments go to psql.
as()
{
	local role=$1
	shift
	PGUSER=$role pg_psql "$@"
}

# One test point: ROLE may run SQL.
allowed()
{
	ok "$2" as "$1" -c "$3"
}

# One test point: ROLE may not run SQL, and the reason is a missing privilege.
denied()
{
	local out
	if out=$(as "$1" -c "$3" 2>&1); then
		fail "$2"
		diag "  $1 was allowed: $3"
		return 1
	fi
	like "$out" "permission denied" "$2"
}

# --- the milter ------------------------------------------------------------------
is "$(as milter1 -c "SELECT id, name, protocol = 'etrn', deliver_to, domain, fallback
    FROM postfetch.account ORDER BY name" | tr '\n' ' ')" \
    "$ID|acme|f|||office@example.com $((ID + 1))|flush|t||example.org| $((ID + 2))|solo|f|anna@example.com|| " \
    "milter reads the account columns it needs"
allowed milter1 "milter reads account.active" "SELECT active FROM postfetch.account"
is "$(as milter1 -c "SELECT deliver_to FROM postfetch.account WHERE deliver_to IS NOT NULL")" \
    "anna@example.com" "milter reads account.deliver_to (single-drop recipient)"
allowed milter1 "milter reads alias" "SELECT account_id, remote, local FROM postfetch.alias"
allowed milter1 "milter reads local_recipient" "SELECT address FROM postfetch.local_recipient"
denied milter1 "milter cannot read account.password" "SELECT password FROM postfetch.account"
denied milter1 "milter cannot read account.username" "SELECT username FROM postfetch.account"
denied milter1 "milter cannot read account.host" "SELECT host FROM postfetch.account"
denied milter1 "milter cannot read whole account rows" "SELECT * FROM postfetch.account"
denied milter1 "milter cannot insert an alias" \
    "INSERT INTO postfetch.alias (account_id, remote, local) VALUES ($ID, 'x@provider.example', 'x@example.com')"
denied milter1 "milter cannot delete aliases" "DELETE FROM postfetch.alias"
denied milter1 "milter cannot insert a local recipient" \
    "INSERT INTO postfetch.local_recipient VALUES ('x@example.com')"
denied milter1 "milter cannot update accounts" \
    "UPDATE postfetch.account SET fallback = 'x@example.com'"
denied milter1 "milter cannot read seen" "SELECT * FROM postfetch.seen"
denied milter1 "milter cannot read poll" "SELECT * FROM postfetch.poll"
denied milter1 "milter cannot read the status view" "SELECT * FROM postfetch.account_status"
allowed milter1 "milter can LISTEN for configuration changes" "LISTEN postfetch_config"

# --- the fetcher: the statements fetcher/store.c and fetcher/seen.c prepare ---------
allowed fetcher1 "fetcher reads whole accounts, password included" \
    "SELECT id, name, active, protocol, host, port, tls, tls_verify, tls_seen,
    tls_fingerprint, username, password, auth, keep, folders, deliver_to,
    fallback, domain, poll_interval, max_size, mailbox_generation, schedule
    FROM postfetch.account"
# The claim as fetcher/store.c takes it: the advisory lock unless this
# session holds it (pg_locks), then the lease; and lets it go.
held="EXISTS (SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory'
    AND pid = pg_catalog.pg_backend_pid() AND classid = 1885757795
    AND objid = $ID::int4::oid AND objsubid = 2 AND granted)"
is "$(as fetcher1 -c "SELECT CASE WHEN $held THEN true
    ELSE pg_catalog.pg_try_advisory_lock(1885757795, $ID) END" \
    -c "SELECT CASE WHEN $held THEN true
    ELSE pg_catalog.pg_try_advisory_lock(1885757795, $ID) END" \
    -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
    AND pid = pg_backend_pid()" \
    -c "SELECT CASE WHEN $held
    THEN pg_catalog.pg_advisory_unlock(1885757795, $ID) ELSE false END" \
    -c "SELECT $held" | tr '\n' ' ')" "t t 1 t f " \
    "fetcher takes the account's advisory lock once, and releases it"
is "$(as fetcher1 -c "UPDATE postfetch.account
    SET lease_owner = 'mx1/42', lease_until = now() + make_interval(secs => 300)
    WHERE id = $ID RETURNING id")" "$ID" "fetcher writes its lease"
allowed fetcher1 "fetcher can claim due accounts with FOR UPDATE SKIP LOCKED" \
    "SELECT id FROM postfetch.account WHERE active
    AND (next_poll IS NULL OR next_poll <= now()) FOR UPDATE SKIP LOCKED"
POLL=$(as fetcher1 -c "INSERT INTO postfetch.poll (account_id, poller, started)
    VALUES ($ID, 'mx1/42', now()) RETURNING id")
like "$POLL" '^[0-9]+$' "fetcher inserts a poll row"
allowed fetcher1 "fetcher updates its poll row" \
    "UPDATE postfetch.poll SET ended = now(), messages = 2, bytes = 300, error = NULL WHERE id = $POLL"
allowed fetcher1 "fetcher records a UID in seen" \
    "INSERT INTO postfetch.seen (account_id, folder, uidvalidity, uid)
    VALUES ($ID, '', 0, 'UID-1') ON CONFLICT DO NOTHING"
is "$(as fetcher1 -c "INSERT INTO postfetch.seen (account_id, folder, uidvalidity, uid, size)
    SELECT id, '', 0, 'UID-2', 1234 FROM postfetch.account
    WHERE id = $ID AND mailbox_generation = 0 FOR SHARE
    ON CONFLICT DO NOTHING RETURNING size")" 1234 \
    "fetcher records a UID with its size, guarded by the mailbox generation"
allowed fetcher1 "fetcher reads seen" \
    "SELECT uid FROM postfetch.seen WHERE account_id = $ID AND folder = '' AND uidvalidity = 0"
allowed fetcher1 "fetcher records a skipped message" \
    "INSERT INTO postfetch.skipped (account_id, folder, uidvalidity, uid, size, reason)
    VALUES ($ID, '', 0, 'BIG', 99999999, 'larger than max_size') ON CONFLICT DO NOTHING"
allowed fetcher1 "fetcher prunes seen" \
    "DELETE FROM postfetch.seen WHERE account_id = $ID AND folder = ''
    AND uidvalidity = 0 AND NOT (uid = ANY ('{UID-1}'::text[]))"
allowed fetcher1 "fetcher deletes skipped rows" \
    "DELETE FROM postfetch.skipped WHERE account_id = $ID AND uid = 'nothing'"
allowed fetcher1 "fetcher updates the status columns after a poll" \
    "UPDATE postfetch.account SET
    last_poll_start = (SELECT started FROM postfetch.poll WHERE id = $POLL),
    last_poll_end = now(), last_result = 'ok', last_error = NULL,
    consecutive_failures = 0, messages_total = messages_total + 2,
    next_poll = now() + poll_interval, lease_owner = NULL, lease_until = NULL
    WHERE id = $ID AND lease_owner = 'mx1/42'"
is "$(pg_psql -c "SELECT concat_ws(' ', last_result, messages_total, lease_owner IS NULL)
    FROM postfetch.account WHERE id = $ID")" "ok 2 t" "the status update took effect"
allowed fetcher1 "fetcher records that TLS was seen" \
    "UPDATE postfetch.account SET tls_seen = true WHERE id = $ID"
denied fetcher1 "fetcher cannot change account.password" \
    "UPDATE postfetch.account SET password = 'x' WHERE id = $ID"
denied fetcher1 "fetcher cannot change account.host" \
    "UPDATE postfetch.account SET host = 'evil.example' WHERE id = $ID"
denied fetcher1 "fetcher cannot change account.active" \
    "UPDATE postfetch.account SET active = false WHERE id = $ID"
denied fetcher1 "fetcher cannot change account.mailbox_generation" \
    "UPDATE postfetch.account SET mailbox_generation = 0 WHERE id = $ID"
denied fetcher1 "fetcher cannot insert accounts" \
    "INSERT INTO postfetch.account (name, protocol, host, domain) VALUES ('x', 'etrn', 'h', 'x.example')"
denied fetcher1 "fetcher cannot delete accounts" "DELETE FROM postfetch.account"
denied fetcher1 "fetcher cannot read aliases" "SELECT * FROM postfetch.alias"
denied fetcher1 "fetcher cannot insert an alias" \
    "INSERT INTO postfetch.alias (account_id, remote, local) VALUES ($ID, 'x@provider.example', 'x@example.com')"
denied fetcher1 "fetcher cannot change local recipients" "DELETE FROM postfetch.local_recipient"
denied fetcher1 "fetcher cannot delete poll history" "DELETE FROM postfetch.poll"
denied fetcher1 "fetcher cannot update seen rows" "UPDATE postfetch.seen SET uid = 'x'"
denied fetcher1 "fetcher cannot change schema_version" "DELETE FROM postfetch.schema_version"

# --- everyone else -------------------------------------------------------------------------
denied stranger "a role without grants cannot read accounts" "SELECT name FROM postfetch.account"
denied stranger "a role without grants cannot call the validators" \
    "SELECT postfetch.valid_address('a@example.com')"
denied stranger "a role without grants cannot create objects in the schema" \
    "CREATE TABLE postfetch.mine (x integer)"
is "$(pg_psql -c "SELECT count(*) FROM information_schema.role_table_grants
    WHERE table_schema = 'postfetch' AND grantee = 'PUBLIC'")" 0 \
    "PUBLIC has no table privileges in the schema"
is "$(pg_psql -c "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'postfetch' AND has_function_privilege('public', p.oid, 'EXECUTE')")" 0 \
    "PUBLIC cannot execute the schema's functions"
denied milter1 "the milter cannot create objects in the schema" \
    "CREATE TABLE postfetch.mine (x integer)"

# --- a re-run keeps the grants ----------------------------------------------------------------
pg_psql -f "$PF_TOP/schema/postfetch.sql" >/dev/null
denied milter1 "after a re-run the milter still cannot read passwords" \
    "SELECT password FROM postfetch.account"
allowed milter1 "after a re-run the milter still reads deliver_to" \
    "SELECT deliver_to FROM postfetch.account"
allowed milter1 "after a re-run the milter still reads aliases" "SELECT * FROM postfetch.alias"

done_testing
