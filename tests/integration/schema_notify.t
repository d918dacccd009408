#!/bin/bash
# Schema triggers: changes to alias, local_recipient and the account columns
# the milter reads send NOTIFY postfetch_config (payload: the table name);
# the fetcher's status updates do not.
source "$(dirname "$0")/../lib/harness.sh"
harness_init
pg_start
pg_psql -f "$PF_TOP/schema/postfetch.sql" >/dev/null || bail "schema install failed"
pg_psql -c "CREATE ROLE milter1 LOGIN IN ROLE postfetch_milter;
    INSERT INTO postfetch.account (name, protocol, host, username, password)
    VALUES ('acme', 'pop3', 'pop.example.com', 'u', 'p')" || bail "setup failed"
ID=$(pg_psql -c "SELECT id FROM postfetch.account WHERE name = 'acme'")

# The payloads of the notifications a session gets when it LISTENs and then
# runs SQL, one per line.
notifications()
{
	printf 'LISTEN postfetch_config;\n%s;\n' "$1" | pg_psql 2>&1 |
	    sed -n 's/^Asynchronous notification "postfetch_config" with payload "\([a-z_]*\)".*/\1/p'
}

is "$(notifications "INSERT INTO postfetch.alias (account_id, remote, local)
    VALUES ($ID, 'p.maly@provider.example', 'pavel.maly@example.com')")" \
    alias "inserting an alias notifies 'alias'"
is "$(notifications "UPDATE postfetch.alias SET local = 'pavel@example.com'")" \
    alias "updating an alias notifies 'alias'"
is "$(notifications "INSERT INTO postfetch.alias (account_id, remote, local)
    SELECT $ID, 'user' || i || '@provider.example', 'user' || i || '@example.com'
    FROM generate_series(1, 100) i")" \
    alias "inserting 100 aliases in one statement notifies once"
is "$(notifications "DELETE FROM postfetch.alias WHERE remote LIKE 'user%'")" \
    alias "deleting aliases notifies 'alias'"
is "$(notifications "INSERT INTO postfetch.local_recipient VALUES ('office@example.com')")" \
    local_recipient "inserting a local recipient notifies 'local_recipient'"
is "$(notifications "DELETE FROM postfetch.local_recipient")" \
    local_recipient "deleting local recipients notifies 'local_recipient'"
is "$(notifications "TRUNCATE postfetch.local_recipient")" \
    local_recipient "truncating local_recipient notifies"
is "$(notifications "INSERT INTO postfetch.account (name, protocol, host, domain)
    VALUES ('flush', 'etrn', 'mx.provider.example', 'example.org')")" \
    account "inserting an account notifies 'account'"
is "$(notifications "UPDATE postfetch.account SET fallback = 'office@example.com' WHERE id = $ID")" \
    account "changing an account's fallback notifies 'account'"
is "$(notifications "UPDATE postfetch.account SET deliver_to = 'anna@example.com' WHERE id = $ID")" \
    account "making an account single-drop notifies 'account'"
is "$(notifications "UPDATE postfetch.account SET deliver_to = NULL WHERE id = $ID")" \
    account "making it multidrop again notifies 'account'"
is "$(notifications "UPDATE postfetch.account SET active = false WHERE id = $ID")" \
    account "deactivating an account notifies 'account'"
is "$(notifications "UPDATE postfetch.account SET domain = 'example.net' WHERE name = 'flush'")" \
    account "changing an account's domain notifies 'account'"
is "$(notifications "UPDATE postfetch.account SET last_poll_end = now(), last_result = 'ok',
    messages_total = messages_total + 1, next_poll = now() + poll_interval,
    lease_owner = NULL, lease_until = NULL, tls_seen = true WHERE id = $ID")" \
    "" "the fetcher's status updates do not notify"
is "$(notifications "BEGIN; INSERT INTO postfetch.alias (account_id, remote, local)
    VALUES ($ID, 'gone@provider.example', 'x@example.com'); ROLLBACK")" \
    "" "a rolled-back change does not notify"
like "$(notifications "DELETE FROM postfetch.account WHERE name = 'flush'" | sort | tr '\n' ' ')" \
    "^account " "deleting an account notifies 'account'"
is "$(notifications "DELETE FROM postfetch.account WHERE id = $ID" | sort | tr '\n' ' ')" \
    "account alias " "deleting an account with aliases also notifies 'alias' (cascade)"

# --- another session, as the milter role, is told ---------------------------------
go=$PF_TMP/notify.go
{
	echo "LISTEN postfetch_config;"
	while [ ! -e "$go" ]; do
		sleep 0.1
	done
	echo "SELECT 1;"
} | PGUSER=milter1 pg_psql >"$PF_TMP/listener.out" 2>&1 &
listener=$!
ok "the milter role's session is listening" wait_until 10 \
    "[ \"\$(pg_psql -c \"SELECT count(*) FROM pg_stat_activity
    WHERE usename = 'milter1' AND query LIKE 'LISTEN%' AND state = 'idle'\")\" = 1 ]"
pg_psql -c "INSERT INTO postfetch.account (name, protocol, host, username, password)
    VALUES ('acme2', 'imap', 'imap.example.com', 'u', 'p');
    INSERT INTO postfetch.alias (account_id, remote, local)
    SELECT id, '@provider.example', 'office@example.com' FROM postfetch.account
    WHERE name = 'acme2'" >/dev/null
touch "$go"
wait "$listener"
like "$(cat "$PF_TMP/listener.out")" \
    'Asynchronous notification "postfetch_config" with payload "alias" received' \
    "a listening milter session gets the notification of another session's change"

done_testing
