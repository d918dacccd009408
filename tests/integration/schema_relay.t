#!/bin/bash
# Outgoing relay settings (migration 0007): the CHECKs on the smtp_ columns
# and account_sender, the views Postfix reads (relay_sender, relay_password,
# relay_tls) and what they show, and the role postfetch_postfix, which reads
# those views and nothing else.
source "$(dirname "$0")/../lib/harness.sh"
harness_init
pg_start
pg_psql -f "$PF_TOP/schema/postfetch.sql" >/dev/null || bail "schema install failed"

# An INSERT of a valid POP3 account named NAME with COLUMN=SQL-VALUE extras.
account_sql()
{
	local name=$1 columns="name, protocol, host, username, password" kv
	local values="'$name', 'pop3', 'pop.example.com', 'user', 'secret'"
	shift
	for kv in "$@"; do
		columns="$columns, ${kv%%=*}"
		values="$values, ${kv#*=}"
	done
	echo "INSERT INTO postfetch.account ($columns) VALUES ($values)"
}

# One test point: SQL (rolled back) fails naming CONSTRAINT.
refused()
{
	local constraint=$1 name=$2 sql=$3 out
	if out=$(pg_psql -c "BEGIN; $sql; ROLLBACK" 2>&1); then
		fail "$name"
		diag "  accepted: $sql"
		return 1
	fi
	like "$out" "constraint \"$constraint\"" "$name"
}

accepted()
{
	ok "$1" pg_psql -c "BEGIN; $2; ROLLBACK"
}

# --- CHECKs -------------------------------------------------------------------
accepted "an account without an outgoing server is valid" "$(account_sql a)"
accepted "smtp_host alone: STARTTLS, authenticated with the fetch credentials" \
    "$(account_sql a "smtp_host='smtp.example.com'")"
accepted "direct TLS with its own credentials" \
    "$(account_sql a "smtp_host='smtp.example.com'" "smtp_tls='direct'" \
    "smtp_port=465" "smtp_username='out'" "smtp_password='pw2'")"
accepted "plain text without authentication" \
    "$(account_sql a "smtp_host='192.0.2.25'" "smtp_tls='disable'" \
    "smtp_auth=false" "smtp_port=25")"
accepted "an ETRN account authenticates with SMTP credentials of its own" \
    "INSERT INTO postfetch.account (name, protocol, host, domain, smtp_host,
    smtp_username, smtp_password) VALUES ('e', 'etrn', 'mx.example', 'example.org',
    'smtp.example.com', 'out', 'pw')"
refused account_smtp_host_valid "smtp_host with a space refused" \
    "$(account_sql a "smtp_host='smtp example.com'")"
refused account_smtp_host_valid "smtp_host with a port refused" \
    "$(account_sql a "smtp_host='smtp.example.com:25'")"
refused account_smtp_host_valid "smtp_host with a comma refused" \
    "$(account_sql a "smtp_host='a.example,b.example'")"
refused account_smtp_port_range "smtp_port 0 refused" \
    "$(account_sql a "smtp_host='smtp.example.com'" "smtp_port=0")"
refused account_smtp_port_range "smtp_port 65536 refused" \
    "$(account_sql a "smtp_host='smtp.example.com'" "smtp_port=65536")"
refused account_smtp_tls_valid "smtp_tls detect refused (Postfix needs to know)" \
    "$(account_sql a "smtp_host='smtp.example.com'" "smtp_tls='detect'")"
refused account_smtp_username_valid "smtp_username with a colon refused" \
    "$(account_sql a "smtp_host='smtp.example.com'" "smtp_auth=false" "smtp_username='a:b'")"
refused account_smtp_username_valid "empty smtp_username refused" \
    "$(account_sql a "smtp_host='smtp.example.com'" "smtp_auth=false" "smtp_username=''")"
refused account_smtp_password_valid "smtp_password with a newline refused" \
    "$(account_sql a "smtp_host='smtp.example.com'" "smtp_auth=false" "smtp_password=E'a\\nb'")"
refused account_smtp_needs_host "smtp_port without smtp_host refused" \
    "$(account_sql a "smtp_port=587")"
refused account_smtp_needs_host "smtp_password without smtp_host refused" \
    "$(account_sql a "smtp_password='x'")"
refused account_smtp_auth_credentials "fetch user name with a colon cannot stand in" \
    "INSERT INTO postfetch.account (name, protocol, host, username, password,
    smtp_host) VALUES ('a', 'pop3', 'h.example', 'dom:user', 'pw', 'smtp.example.com')"
refused account_smtp_auth_credentials "ETRN without SMTP credentials cannot authenticate" \
    "INSERT INTO postfetch.account (name, protocol, host, domain, smtp_host)
    VALUES ('e', 'etrn', 'mx.example', 'example.org', 'smtp.example.com')"
refused account_smtp_auth_credentials "xoauth2 without a password cannot stand in" \
    "INSERT INTO postfetch.account (name, protocol, host, username, auth,
    smtp_host) VALUES ('a', 'imap', 'h.example', 'u', 'xoauth2', 'smtp.example.com')"
refused account_smtp_auth_needs_tls "authentication over plain text refused" \
    "$(account_sql a "smtp_host='smtp.example.com'" "smtp_tls='disable'")"
refused account_pop_before_smtp_positive "pop_before_smtp 0 refused" \
    "$(account_sql a "pop_before_smtp='0'")"
refused account_pop_before_smtp_mailbox "pop_before_smtp on ETRN refused" \
    "INSERT INTO postfetch.account (name, protocol, host, domain, pop_before_smtp)
    VALUES ('e', 'etrn', 'mx.example', 'example.org', '10 min')"

pg_psql -c "$(account_sql acme "smtp_host='SMTP.Example.com'");
    $(account_sql direct "smtp_host='smtps.example.net'" "smtp_tls='direct'" \
	"tls_verify=false" "smtp_username='out'" "smtp_password='pw2'");
    $(account_sql plain "smtp_host='relay.example.org'" "smtp_tls='disable'" \
	"smtp_auth=false");
    $(account_sql shared "smtp_host='smtp.example.com'" "tls_verify=false");
    $(account_sql off "smtp_host='smtp.example.com'" "active=false");
    $(account_sql none)" >/dev/null || bail "cannot insert the accounts"
sender()
{
	pg_psql -c "INSERT INTO postfetch.account_sender (account_id, address)
	    SELECT id, '$2' FROM postfetch.account WHERE name = '$1'"
}
for pair in acme:biuro@acme.example acme:@sales.acme.example \
    direct:Out@Direct.example plain:news@plain.example \
    shared:shared@acme.example off:old@off.example none:x@none.example; do
	sender "${pair%%:*}" "${pair#*:}" >/dev/null ||
	    bail "cannot add sender $pair"
done
ok "a sender of an address and of a whole domain" true
refused account_sender_address_valid "a sender without @ refused" \
    "INSERT INTO postfetch.account_sender SELECT id, 'biuro' FROM postfetch.account WHERE name = 'acme'"
refused account_sender_address_valid "a sender @ without a domain refused" \
    "INSERT INTO postfetch.account_sender SELECT id, '@' FROM postfetch.account WHERE name = 'acme'"
refused account_sender_unique "one sender, one way out (case-insensitive)" \
    "INSERT INTO postfetch.account_sender SELECT id, 'BIURO@acme.example' FROM postfetch.account WHERE name = 'direct'"

# --- the views -----------------------------------------------------------------
is "$(pg_psql -c "SELECT sender || ' ' || relayhost || ' ' || transport
    FROM postfetch.relay_sender ORDER BY sender")" \
"@sales.acme.example [smtp.example.com]:587 smtp:[smtp.example.com]:587
biuro@acme.example [smtp.example.com]:587 smtp:[smtp.example.com]:587
news@plain.example [relay.example.org]:587 smtp:[relay.example.org]:587
out@direct.example [smtps.example.net]:465 postfetch-smtps:[smtps.example.net]:465
shared@acme.example [smtp.example.com]:587 smtp:[smtp.example.com]:587" \
    "relay_sender: lower-case senders of active accounts with a server, next hop and transport"
is "$(pg_psql -c "SELECT sender || ' ' || credentials
    FROM postfetch.relay_password ORDER BY sender")" \
"@sales.acme.example user:secret
biuro@acme.example user:secret
out@direct.example out:pw2
shared@acme.example user:secret" \
    "relay_password: the SMTP credentials, else the fetch ones; none without smtp_auth"
is "$(pg_psql -c "SELECT relayhost || ' ' || policy FROM postfetch.relay_tls
    ORDER BY relayhost")" \
"[relay.example.org]:587 none
[smtp.example.com]:587 secure
[smtps.example.net]:465 encrypt" \
    "relay_tls: one policy per relay, the strictest of its accounts"
is "$(pg_psql -c "UPDATE postfetch.account SET smtp_port = 2525 WHERE name = 'acme';
    SELECT relayhost FROM postfetch.relay_sender WHERE sender = 'biuro@acme.example'")" \
    "[smtp.example.com]:2525" "a change shows at once"

# --- the check on change ---------------------------------------------------------
pg_psql -c "UPDATE postfetch.account SET check_requested = false" >/dev/null
for change in "smtp_host = 'other.example'" "smtp_port = 25" \
    "smtp_tls = 'starttls'" "smtp_auth = false" "smtp_username = 'u2'" \
    "smtp_password = 'pw3'"; do
	is "$(pg_psql -c "UPDATE postfetch.account SET $change WHERE name = 'direct';
	    SELECT check_requested FROM postfetch.account WHERE name = 'direct';
	    UPDATE postfetch.account SET check_requested = false WHERE name = 'direct'")" t \
	    "SET $change asks for a check"
done
is "$(pg_psql -c "UPDATE postfetch.account SET pop_before_smtp = '10 min' WHERE name = 'acme';
    SELECT check_requested FROM postfetch.account WHERE name = 'acme'")" f \
    "pop_before_smtp asks for no check"

# --- the role of Postfix's lookups ------------------------------------------------
pg_psql -c "CREATE ROLE postfix1 LOGIN IN ROLE postfetch_postfix;
    CREATE ROLE fetcher1 LOGIN IN ROLE postfetch_fetcher;
    CREATE ROLE milter1 LOGIN IN ROLE postfetch_milter" >/dev/null ||
    bail "cannot create login roles"
as()
{
	local role=$1
	shift
	PGUSER=$role pg_psql "$@"
}
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
is "$(as postfix1 -c "SELECT relayhost FROM postfetch.relay_sender
    WHERE sender = lower('Out@Direct.example')")" "[other.example]:25" \
    "postfix reads relay_sender as the map's query does"
is "$(as postfix1 -c "SELECT credentials FROM postfetch.relay_password
    WHERE sender = 'biuro@acme.example'")" "user:secret" "postfix reads relay_password"
is "$(as postfix1 -c "SELECT policy FROM postfetch.relay_tls
    WHERE relayhost = '[smtp.example.com]:2525'")" "secure" "postfix reads relay_tls"
denied postfix1 "postfix cannot read the account table" "SELECT name FROM postfetch.account"
denied postfix1 "postfix cannot read passwords from it" "SELECT password FROM postfetch.account"
denied postfix1 "postfix cannot read account_sender" "SELECT * FROM postfetch.account_sender"
denied postfix1 "postfix cannot read the inner view relay" "SELECT * FROM postfetch.relay"
denied postfix1 "postfix cannot read aliases" "SELECT * FROM postfetch.alias"
denied postfix1 "postfix cannot read the status view" "SELECT * FROM postfetch.account_status"
denied postfix1 "postfix cannot read poll" "SELECT * FROM postfetch.poll"
denied postfix1 "postfix cannot change senders" \
    "INSERT INTO postfetch.account_sender VALUES (1, 'x@example.org')"
denied milter1 "the milter cannot read relay_password" "SELECT * FROM postfetch.relay_password"
denied fetcher1 "the fetcher cannot read relay_password" "SELECT * FROM postfetch.relay_password"
ok "the fetcher reads the smtp_ columns (check)" as fetcher1 -c \
    "SELECT smtp_host, smtp_port, smtp_tls, smtp_auth, smtp_username,
    smtp_password, pop_before_smtp FROM postfetch.account"
is "$(pg_psql -c "SELECT count(*) FROM information_schema.role_table_grants
    WHERE table_schema = 'postfetch' AND grantee = 'postfetch_postfix'")" 3 \
    "postfetch_postfix holds exactly three grants"
is "$(pg_psql -c "SELECT count(*) FROM information_schema.role_table_grants
    WHERE table_schema = 'postfetch' AND grantee = 'PUBLIC'")" 0 \
    "PUBLIC still has no table privileges in the schema"

# --- every new column, constraint and view is documented ---------------------------
is "$(pg_psql -c "SELECT string_agg(attname, ' ' ORDER BY attname)
    FROM pg_attribute WHERE attrelid IN ('postfetch.account'::regclass,
    'postfetch.account_sender'::regclass, 'postfetch.relay'::regclass,
    'postfetch.relay_sender'::regclass, 'postfetch.relay_password'::regclass,
    'postfetch.relay_tls'::regclass) AND attnum > 0 AND NOT attisdropped
    AND (attname LIKE 'smtp%' OR attname = 'pop_before_smtp'
	OR attrelid <> 'postfetch.account'::regclass)
    AND col_description(attrelid, attnum) IS NULL")" "" \
    "every new column has a COMMENT"
is "$(pg_psql -c "SELECT string_agg(conname, ' ' ORDER BY conname)
    FROM pg_constraint WHERE conrelid IN ('postfetch.account'::regclass,
    'postfetch.account_sender'::regclass) AND contype = 'c'
    AND (conname LIKE '%smtp%' OR conname LIKE 'account_sender%')
    AND obj_description(oid, 'pg_constraint') IS NULL")" "" \
    "every new CHECK has a COMMENT"
for word in smtp_host smtp_port smtp_tls smtp_auth smtp_username smtp_password \
    pop_before_smtp account_sender relay_sender relay_password relay_tls \
    postfetch_postfix account_smtp_auth_needs_tls account_smtp_auth_credentials; do
	ok "postfetch-sql(7) or postfetch-relay(7) names $word" \
	    grep -q -- "$word" "$PF_TOP/doc/postfetch-sql.7" "$PF_TOP/doc/postfetch-relay.7"
done

done_testing
