#!/bin/bash
# Schema constraints: every CHECK refuses what it should and names itself in
# the error; valid rows of every kind are accepted, with the right defaults.
source "$(dirname "$0")/../lib/harness.sh"
harness_init
pg_start
pg_psql -f "$PF_TOP/schema/postfetch.sql" >/dev/null || bail "schema install failed"

# An INSERT of a valid POP3 account named "probe", with COLUMN=SQL-VALUE
# overrides; the value OMIT leaves the column out.
account_sql()
{
	local -A v=([name]="'probe'" [protocol]="'pop3'"
	    [host]="'pop.example.com'" [username]="'user'"
	    [password]="'secret'")
	local kv k columns='' values=''

	for kv in "$@"; do
		v[${kv%%=*}]=${kv#*=}
	done
	for k in "${!v[@]}"; do
		[ "${v[$k]}" = OMIT ] && continue
		columns="$columns, $k"
		values="$values, ${v[$k]}"
	done
	echo "INSERT INTO postfetch.account (${columns#, }) VALUES (${values#, })"
}

# One test point: SQL (run in a transaction that is rolled back) must fail
# with an error that names CONSTRAINT.
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

# One test point: SQL succeeds (and is committed).
accepted()
{
	ok "$1" pg_psql -c "$2"
}

# --- a baseline: the probe account itself is valid ----------------------------
accepted "the probe account is valid" "BEGIN; $(account_sql); ROLLBACK"

# --- account: one refusal per rule ---------------------------------------------
refused account_protocol_valid "unknown protocol refused" \
    "$(account_sql protocol="'smtp'")"
refused account_protocol_valid "protocol is case-sensitive (POP3 refused)" \
    "$(account_sql protocol="'POP3'")"
refused account_port_range "port 0 refused" "$(account_sql port=0)"
refused account_port_range "port 70000 refused" "$(account_sql port=70000)"
refused account_port_range "port -1 refused" "$(account_sql port=-1)"
refused account_etrn_needs_domain "etrn without domain refused" \
    "$(account_sql protocol="'etrn'" username=OMIT password=OMIT)"
refused account_mailbox_needs_username "pop3 without username refused" \
    "$(account_sql username=OMIT)"
refused account_mailbox_needs_username "imap without username refused" \
    "$(account_sql protocol="'imap'" username=OMIT)"
refused account_mailbox_needs_password "pop3 without password refused" \
    "$(account_sql password=OMIT)"
refused account_mailbox_needs_password "imap with auth plain without password refused" \
    "$(account_sql protocol="'imap'" auth="'plain'" password=OMIT)"
refused account_username_valid "empty username refused" \
    "$(account_sql username="''")"
refused account_tls_valid "bad tls mode refused" "$(account_sql tls="'ssl'")"
refused account_auth_valid "bad auth refused" "$(account_sql auth="'gssapi'")"
refused account_name_valid "name with a space refused" \
    "$(account_sql name="'my account'")"
refused account_name_valid "name with a slash refused" \
    "$(account_sql name="'a/b'")"
refused account_name_valid "name with a newline refused (header injection)" \
    "$(account_sql name="E'acme\\nX-Evil: 1'")"
refused account_name_valid "empty name refused" "$(account_sql name="''")"
refused account_name_valid "name starting with '-' refused (token_command argument)" \
    "$(account_sql name="'-x'")"
refused account_name_valid "65-character name refused" \
    "$(account_sql name="repeat('a', 65)")"
refused account_host_valid "empty host refused" "$(account_sql host="''")"
refused account_host_valid "host with a space refused" \
    "$(account_sql host="'pop example.com'")"
refused account_host_valid "host with a control character refused" \
    "$(account_sql host="E'pop.example.com\\r'")"
refused account_tls_fingerprint_valid "upper-case fingerprint refused" \
    "$(account_sql tls_fingerprint="upper(encode(sha256('x'), 'hex'))")"
refused account_tls_fingerprint_valid "63-digit fingerprint refused" \
    "$(account_sql tls_fingerprint="left(encode(sha256('x'), 'hex'), 63)")"
refused account_tls_fingerprint_valid "fingerprint with colons refused" \
    "$(account_sql tls_fingerprint="'ab:cd'")"
refused account_deliver_to_valid "deliver_to starting with '-' refused" \
    "$(account_sql deliver_to="'-oQ/tmp/x@example.com'")"
refused account_deliver_to_valid "deliver_to without a domain refused" \
    "$(account_sql deliver_to="'pavel'")"
refused account_fallback_valid "fallback with a space refused" \
    "$(account_sql fallback="'post master@example.com'")"
refused account_domain_valid "domain with an underscore refused" \
    "$(account_sql domain="'bad_domain.example'")"
refused account_domain_valid "domain with an empty label refused" \
    "$(account_sql domain="'example..com'")"
refused account_poll_interval_positive "zero poll_interval refused" \
    "$(account_sql poll_interval="'0'")"
refused account_poll_interval_positive "negative poll_interval refused" \
    "$(account_sql poll_interval="'-5 min'")"
refused account_max_size_positive "max_size 0 refused" "$(account_sql max_size=0)"
refused account_mailbox_generation_valid "negative mailbox_generation refused" \
    "$(account_sql mailbox_generation=-1)"
refused account_last_result_valid "unknown last_result refused" \
    "$(account_sql last_result="'maybe'")"
refused account_folders_valid "empty folder list refused" \
    "$(account_sql folders="'{}'")"
refused account_folders_valid "empty folder name refused" \
    "$(account_sql folders="'{INBOX,\"\"}'")"
refused account_folders_valid "NULL folder refused" \
    "$(account_sql folders="ARRAY['INBOX', NULL]")"
out=$(pg_psql -c "BEGIN; $(account_sql host=NULL); ROLLBACK" 2>&1)
like "$out" 'null value in column "host"' "missing host refused"

# --- account: valid rows --------------------------------------------------------
accepted "minimal POP3 account accepted" "$(account_sql name="'pop-min'")"
is "$(pg_psql -c "SELECT concat_ws(' ', active, tls, tls_verify, auth, keep,
    folders, poll_interval, tls_seen, consecutive_failures, messages_total,
    port IS NULL, max_size IS NULL, mailbox_generation)
    FROM postfetch.account WHERE name = 'pop-min'")" \
    "t detect t any f {INBOX} 00:05:00 f 0 0 t t 0" "account defaults"
accepted "full POP3 account accepted" \
    "$(account_sql name="'pop-full'" port=995 tls="'direct'" \
    tls_fingerprint="encode(sha256('cert'), 'hex')" auth="'apop'" \
    keep=true deliver_to="'pavel.maly@example.com'" \
    fallback="'postmaster@example.com'" max_size=10485760 \
    poll_interval="'1 hour'" tls_verify=false)"
accepted "IMAP account with folders accepted" \
    "$(account_sql name="'imap-folders'" protocol="'imap'" tls="'starttls'" \
    auth="'cram-md5'" folders="'{INBOX,Sent,Archive/2024}'")"
accepted "IMAP account with all folders ({*}) accepted" \
    "$(account_sql name="'imap-all'" protocol="'imap'" folders="'{*}'")"
accepted "IMAP xoauth2 account without password accepted" \
    "$(account_sql name="'imap-oauth'" protocol="'imap'" auth="'xoauth2'" \
    password=OMIT)"
accepted "ETRN account with domain and no username accepted" \
    "$(account_sql name="'etrn'" protocol="'etrn'" host="'mx.provider.example'" \
    port=25 domain="'example.org'" username=OMIT password=OMIT)"
accepted "every allowed name character accepted" \
    "$(account_sql name="'Acme.sales-2_x@pop+1'")"
accepted "64-character name accepted" "$(account_sql name="repeat('n', 64)")"
accepted "each auth method accepted" "BEGIN;
    $(account_sql name="'a1'" auth="'password'");
    $(account_sql name="'a2'" auth="'login'");
    $(account_sql name="'a3'" auth="'plain'");
    $(account_sql name="'a4'" tls="'disable'"); ROLLBACK"
refused account_name_unique "duplicate account name refused" \
    "$(account_sql name="'pop-min'")"
refused account_etrn_domain_unique "second ETRN account for the same domain refused" \
    "$(account_sql name="'etrn2'" protocol="'etrn'" domain="'EXAMPLE.org'" \
    username=OMIT password=OMIT)"

POP=$(pg_psql -c "SELECT id FROM postfetch.account WHERE name = 'pop-min'")
IMAP=$(pg_psql -c "SELECT id FROM postfetch.account WHERE name = 'imap-folders'")

# --- alias -----------------------------------------------------------------------
alias_sql()
{
	echo "INSERT INTO postfetch.alias (account_id, remote, local) VALUES ($1, $2, $3)"
}
accepted "exact alias accepted" \
    "$(alias_sql "$POP" "'p.maly@provider.example'" "'pavel.maly@example.com'")"
accepted "catch-all alias accepted" \
    "$(alias_sql "$POP" "'@provider.example'" "'office@example.com'")"
accepted "one remote to several locals accepted" "$(alias_sql "$POP" \
    "'sales@provider.example'" "'anna@example.com'"), ($POP, 'sales@provider.example', 'bob@example.com')"
accepted "the same remote on another account accepted" \
    "$(alias_sql "$IMAP" "'p.maly@provider.example'" "'pavel@example.com'")"
accepted "a local address with a plus tag accepted" \
    "$(alias_sql "$IMAP" "'x@provider.example'" "'pavel+lists@example.com'")"
refused alias_remote_valid "alias remote without '@' refused" \
    "$(alias_sql "$POP" "'nobody'" "'a@example.com'")"
refused alias_remote_valid "alias remote '@' alone refused" \
    "$(alias_sql "$POP" "'@'" "'a@example.com'")"
refused alias_remote_valid "catch-all with a bad domain refused" \
    "$(alias_sql "$POP" "'@bad domain.example'" "'a@example.com'")"
refused alias_remote_valid "alias remote with two '@' refused" \
    "$(alias_sql "$POP" "'a@b@provider.example'" "'a@example.com'")"
refused alias_local_valid "catch-all as local refused" \
    "$(alias_sql "$POP" "'x@provider.example'" "'@example.com'")"
refused alias_local_valid "local part starting with '-' refused" \
    "$(alias_sql "$POP" "'x@provider.example'" "'-oi@example.com'")"
refused alias_local_valid "local with a space refused" \
    "$(alias_sql "$POP" "'x@provider.example'" "'a b@example.com'")"
refused alias_local_valid "local with a trailing newline refused" \
    "$(alias_sql "$POP" "'x@provider.example'" "E'a@example.com\\n'")"
refused alias_local_valid "local with a quote refused" \
    "$(alias_sql "$POP" "'x@provider.example'" "'a\"b@example.com'")"
refused alias_local_valid "local with two dots in a row refused" \
    "$(alias_sql "$POP" "'x@provider.example'" "'a..b@example.com'")"
refused alias_unique "duplicate alias differing only in case refused" \
    "$(alias_sql "$POP" "'P.Maly@Provider.Example'" "'Pavel.Maly@example.com'")"
refused alias_account_id_fkey "alias of an unknown account refused" \
    "$(alias_sql 999999 "'a@provider.example'" "'a@example.com'")"
plan=$(pg_psql -c "SET enable_seqscan = off; EXPLAIN SELECT local FROM postfetch.alias
    WHERE account_id = $POP AND lower(remote) = 'p.maly@provider.example'")
like "$plan" "alias_unique" "lookup by (account_id, lower(remote)) uses an index"

# --- local_recipient ---------------------------------------------------------------
lr_sql()
{
	echo "INSERT INTO postfetch.local_recipient (address) VALUES ($1)"
}
accepted "local recipient accepted" "$(lr_sql "'Pavel.Maly@example.com'")"
accepted "non-ASCII local part accepted" "$(lr_sql "'jiří@example.com'")"
refused local_recipient_address_unique "local recipient differing only in case refused" \
    "$(lr_sql "'pavel.maly@EXAMPLE.COM'")"
refused local_recipient_address_valid "local recipient without domain refused" \
    "$(lr_sql "'pavel'")"
refused local_recipient_address_valid "local recipient starting with '-' refused" \
    "$(lr_sql "'-x@example.com'")"
refused local_recipient_address_valid "local recipient with a control character refused" \
    "$(lr_sql "E'a\\tb@example.com'")"
refused local_recipient_address_valid "local recipient with an address literal refused" \
    "$(lr_sql "'a@[192.0.2.1]'")"
long_domain="$(printf 'a%.0s' {1..63}).$(printf 'b%.0s' {1..63}).$(printf 'c%.0s' {1..61})"
accepted "254-character address accepted" \
    "$(lr_sql "'$(printf 'l%.0s' {1..64})@$long_domain'")"
refused local_recipient_address_valid "255-character address refused" \
    "$(lr_sql "'$(printf 'm%.0s' {1..64})@${long_domain}x'")"
refused local_recipient_address_valid "65-character local part refused" \
    "$(lr_sql "'$(printf 'n%.0s' {1..65})@example.com'")"
refused local_recipient_address_valid "64-character domain label refused" \
    "$(lr_sql "'a@$(printf 'd%.0s' {1..64}).example'")"

# --- seen, skipped, poll ---------------------------------------------------------------
seen_sql()
{
	echo "INSERT INTO postfetch.seen (account_id, folder, uidvalidity, uid) VALUES ($1, $2, $3, $4)"
}
accepted "POP3 seen row with defaults accepted" \
    "INSERT INTO postfetch.seen (account_id, uid) VALUES ($POP, 'UID-1')"
is "$(pg_psql -c "SELECT folder = '' AND uidvalidity = 0 AND fetched_at IS NOT NULL
    AND size IS NULL FROM postfetch.seen WHERE uid = 'UID-1'")" t \
    "POP3 seen defaults: folder '', uidvalidity 0, size unknown"
accepted "seen row with its size accepted" \
    "INSERT INTO postfetch.seen (account_id, uid, size) VALUES ($POP, 'UID-2', 1234)"
accepted "seen row of an empty message accepted" \
    "INSERT INTO postfetch.seen (account_id, uid, size) VALUES ($POP, 'UID-3', 0)"
refused seen_size_valid "seen row with negative size refused" \
    "INSERT INTO postfetch.seen (account_id, uid, size) VALUES ($POP, 'UID-4', -1)"
accepted "IMAP seen row accepted" "$(seen_sql "$IMAP" "'INBOX'" 1700000000 "'42'")"
accepted "70-character UID accepted" "$(seen_sql "$POP" "''" 0 "repeat('u', 70)")"
accepted "the largest UIDVALIDITY accepted" "$(seen_sql "$IMAP" "'INBOX'" 4294967295 "'1'")"
refused seen_uid_valid "empty UID refused" "$(seen_sql "$POP" "''" 0 "''")"
refused seen_uid_valid "71-character UID refused" "$(seen_sql "$POP" "''" 0 "repeat('u', 71)")"
refused seen_uidvalidity_range "negative UIDVALIDITY refused" \
    "$(seen_sql "$IMAP" "'INBOX'" -1 "'1'")"
refused seen_uidvalidity_range "UIDVALIDITY above 32 bits refused" \
    "$(seen_sql "$IMAP" "'INBOX'" 4294967296 "'1'")"
refused seen_pkey "duplicate seen row refused" "$(seen_sql "$IMAP" "'INBOX'" 1700000000 "'42'")"
refused seen_account_id_fkey "seen row of an unknown account refused" \
    "$(seen_sql 999999 "''" 0 "'x'")"

accepted "skipped row accepted" "INSERT INTO postfetch.skipped
    (account_id, uid, size, reason) VALUES ($POP, 'BIG-1', 20971520, 'larger than max_size')"
refused skipped_uid_valid "skipped row with empty UID refused" \
    "INSERT INTO postfetch.skipped (account_id, uid) VALUES ($POP, '')"
refused skipped_size_valid "skipped row with negative size refused" \
    "INSERT INTO postfetch.skipped (account_id, uid, size) VALUES ($POP, 'x', -1)"
refused skipped_pkey "duplicate skipped row refused" \
    "INSERT INTO postfetch.skipped (account_id, uid) VALUES ($POP, 'BIG-1')"

accepted "poll row accepted" "INSERT INTO postfetch.poll (account_id, poller)
    VALUES ($POP, 'mx1/1234')"
is "$(pg_psql -c "SELECT concat_ws(' ', messages, bytes, started IS NOT NULL, ended IS NULL)
    FROM postfetch.poll WHERE poller = 'mx1/1234'")" "0 0 t t" "poll defaults"
refused poll_messages_valid "poll with negative messages refused" \
    "INSERT INTO postfetch.poll (account_id, messages) VALUES ($POP, -1)"
refused poll_bytes_valid "poll with negative bytes refused" \
    "INSERT INTO postfetch.poll (account_id, bytes) VALUES ($POP, -1)"

# --- the status view -----------------------------------------------------------------
is "$(pg_psql -c "SELECT string_agg(column_name, ',' ORDER BY ordinal_position)
    FROM information_schema.columns WHERE table_schema = 'postfetch'
    AND table_name = 'account_status'")" \
    "name,protocol,host,active,last_poll_end,last_result,last_error,messages_total,next_poll,consecutive_failures,skipped" \
    "account_status has the monitoring columns, skipped last"
is "$(pg_psql -c "SELECT protocol || ' ' || host FROM postfetch.account_status
    WHERE name = 'etrn'")" "etrn mx.provider.example" "account_status shows the accounts"
pg_psql -c "INSERT INTO postfetch.skipped (account_id, uid, size, reason)
    VALUES ($POP, 'BIG-2', 30000000, 'message_size_limit'),
    ($IMAP, 'BIG-3', 30000000, 'max_size')" >/dev/null
is "$(pg_psql -c "SELECT string_agg(name || ':' || skipped, ' ' ORDER BY name)
    FROM postfetch.account_status WHERE name IN ('pop-min', 'imap-folders', 'etrn')")" \
    "etrn:0 imap-folders:1 pop-min:2" "account_status counts each account's skipped messages"

# --- a changed mailbox forgets the old index ---------------------------------------------
seen_count()
{
	pg_psql -c "SELECT (SELECT count(*) FROM postfetch.seen WHERE account_id = $POP)
	    + (SELECT count(*) FROM postfetch.skipped WHERE account_id = $POP)"
}
pg_psql -c "INSERT INTO postfetch.seen (account_id, uid) VALUES ($POP, 'u-forget');
    INSERT INTO postfetch.skipped (account_id, uid, size, reason)
    VALUES ($POP, 'u-big', 99, 'max_size');
    UPDATE postfetch.account SET tls_seen = true WHERE id = $POP" >/dev/null
base=$(seen_count)
ok "seen and skipped rows to forget" test "$base" -ge 2
generation()
{
	pg_psql -c "SELECT mailbox_generation FROM postfetch.account WHERE id = $POP"
}
pg_psql -c "UPDATE postfetch.account SET password = 'new', keep = true WHERE id = $POP" >/dev/null
is "$(seen_count)|$(generation)" "$base|0" "a new password keeps the seen index and the generation"
pg_psql -c "BEGIN; SET LOCAL postfetch.keep_seen = on;
    UPDATE postfetch.account SET host = 'pop3.example.com' WHERE id = $POP; COMMIT" >/dev/null
is "$(seen_count)|$(generation)" "$base|0" \
    "a host renamed with postfetch.keep_seen = on keeps the index and the generation"
pg_psql -c "UPDATE postfetch.account SET username = 'other' WHERE id = $POP" >/dev/null
is "$(seen_count)" 0 "another user name: seen and skipped forgotten"
is "$(pg_psql -c "SELECT tls_seen FROM postfetch.account WHERE id = $POP")" f \
    "... and tls_seen too"
is "$(generation)" 1 "... and the mailbox generation raised"
pg_psql -c "UPDATE postfetch.account SET host = 'pop.example.net', port = 995 WHERE id = $POP" >/dev/null
is "$(generation)" 2 "host and port changed in one statement: raised once"

# --- seen rows of a poll of the old mailbox are refused --------------------------------
# The statement postfetch-sql(7) gives for the fetcher: insert only while
# the generation read at the start of the poll is current.
guarded_seen()
{
	echo "INSERT INTO postfetch.seen (account_id, folder, uidvalidity, uid, size)
	    SELECT id, '', 0, '$1', 10 FROM postfetch.account
	    WHERE id = $POP AND mailbox_generation = $2 FOR SHARE
	    ON CONFLICT DO NOTHING"
}
accepted "a seen row of the current generation" "$(guarded_seen g-1 2)"
accepted "a seen row of an old generation" "$(guarded_seen g-2 1)"
is "$(pg_psql -c "SELECT string_agg(uid, ',' ORDER BY uid) FROM postfetch.seen
    WHERE account_id = $POP")" "g-1" "only the current generation's row was inserted"
# An administrator changes the mailbox while the poll inserts: the insert
# waits for the change and then inserts nothing.
go=$PF_TMP/generation.go
{
	echo "BEGIN; UPDATE postfetch.account SET username = 'third' WHERE id = $POP;"
	while [ ! -e "$go" ]; do
		sleep 0.1
	done
	echo "COMMIT;"
} | pg_psql >/dev/null 2>&1 &
admin=$!
wait_until 10 "[ \"\$(pg_psql -c \"SELECT count(*) FROM pg_stat_activity
    WHERE state = 'idle in transaction'\")\" = 1 ]"
pg_psql -c "$(guarded_seen g-3 2)" >"$PF_TMP/guarded.out" 2>&1 &
poller=$!
ok "the insert waits for the change of the mailbox" wait_until 10 \
    "[ \"\$(pg_psql -c \"SELECT count(*) FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO postfetch.seen%'\")\" = 1 ]"
touch "$go"
wait "$admin"
wait "$poller"
is "$?" 0 "and then succeeds" || diag "$(cat "$PF_TMP/guarded.out")"
is "$(pg_psql -c "SELECT count(*) FROM postfetch.seen WHERE account_id = $POP")|$(generation)" \
    "0|3" "without a row: the change's index stays empty"

# --- deleting an account removes its rows -------------------------------------------------
accepted "deleting an account succeeds" \
    "DELETE FROM postfetch.account WHERE id = $POP"
is "$(pg_psql -c "SELECT (SELECT count(*) FROM postfetch.alias WHERE account_id = $POP)
    + (SELECT count(*) FROM postfetch.seen WHERE account_id = $POP)
    + (SELECT count(*) FROM postfetch.skipped WHERE account_id = $POP)
    + (SELECT count(*) FROM postfetch.poll WHERE account_id = $POP)")" 0 \
    "its aliases, seen, skipped and poll rows go with it"
is "$(pg_psql -c "SELECT count(*) FROM postfetch.alias WHERE account_id = $IMAP")" 2 \
    "other accounts' aliases stay"

done_testing
