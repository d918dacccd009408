#!/bin/bash
# make demo: a throwaway PostgreSQL, Postfix (with postfetch-milter) and
# Dovecot on 127.0.0.1, a sample remote POP3 mailbox with a few messages
# and aliases, one postfetch poll, and what happened: postfetch's and the
# milter's log lines, Postfix's lines for those messages and where each
# message was delivered. Everything is stopped afterwards.
set -u
cd "$(dirname "$0")/.." || exit 2
source tests/lib/harness.sh
source tests/integration/fetch_common.sh

# Print a heading.
section()
{
	printf '\n=== %s\n\n' "$*"
}

# A sample message: sample FILE SUBJECT HEADER... (body on stdin).
sample()
{
	local file=$1 subject=$2 header
	shift 2
	{
		echo "Return-Path: <news@provider.example>"
		for header in "$@"; do
			echo "$header"
		done
		echo "From: Provider News <news@provider.example>"
		echo "Subject: $subject"
		echo "Message-ID: <$(basename "$file").$$@provider.example>"
		echo "Date: $(date -R)"
		echo
		cat
	} >"$file"
}

# Start postfetch-milter on a free port and put it into Postfix.
milter_up()
{
	local milter=$PF_BUILD/milter/postfetch-milter pid
	MILTER_PORT=$(free_port)
	fetch_conf "milter_socket = inet:$MILTER_PORT@127.0.0.1"
	"$milter" -d -v -c "$PF_CONF" >"$PF_TMP/milter.log" 2>&1 &
	pid=$!
	harness_at_exit "kill $pid; wait $pid"
	wait_port "$MILTER_PORT" 10 ||
	    bail "postfetch-milter does not start: $(cat "$PF_TMP/milter.log")"
	postfix_set "smtpd_milters = inet:127.0.0.1:$MILTER_PORT" \
	    "non_smtpd_milters = inet:127.0.0.1:$MILTER_PORT" \
	    "milter_default_action = tempfail" >/dev/null
}

fetch_setup demo >/dev/null
milter_up

section "Services (all on 127.0.0.1, under $PF_TMP)"
echo "PostgreSQL        port $PF_PG_PORT, database postfetch (schema loaded)"
echo "Postfix           port $PF_SMTP_PORT, delivering into $PF_TMP/mail/USER/"
echo "postfetch-milter  port $MILTER_PORT (smtpd_milters, non_smtpd_milters)"
echo "Dovecot           POP3 port $PF_POP3_PORT (STARTTLS), $PF_POP3S_PORT (TLS):"
echo "                  plays the provider, with the mailbox \"demo\""

sample "$PF_TMP/m1" "Welcome, Alice" "Delivered-To: a.smith@provider.example" \
    "To: Alice <a.smith@provider.example>" \
    <<<"Hello Alice, this came from the provider's mailbox."
sample "$PF_TMP/m2" "Team lunch" "To: bob@provider.example" \
    "Cc: carol@provider.example" \
    <<<"A multidrop message to two people: Bob and Carol."
sample "$PF_TMP/m3" "Invoice 42" "Delivered-To: billing@provider.example" \
    "To: billing@provider.example" \
    <<<"One remote address, two local people."
sample "$PF_TMP/m4" "Who is this for?" \
    "Delivered-To: someone@provider.example" \
    <<<"No alias and not local: goes to the account's fallback."
mailbox_fill demo "$PF_TMP/m1" "$PF_TMP/m2" "$PF_TMP/m3" "$PF_TMP/m4"

account_add demo port="$PF_POP3_PORT" tls="'starttls'" \
    fallback="'postmaster@example.com'"
sql "INSERT INTO postfetch.alias (account_id, remote, local)
    SELECT id, remote, local FROM postfetch.account, (VALUES
    ('a.smith@provider.example', 'alice@example.com'),
    ('bob@provider.example', 'bob@example.com'),
    ('carol@provider.example', 'carol@example.com'),
    ('billing@provider.example', 'alice@example.com'),
    ('billing@provider.example', 'bob@example.com')) AS a(remote, local)
    WHERE name = 'demo';
    INSERT INTO postfetch.local_recipient (address) VALUES
    ('alice@example.com'), ('bob@example.com'), ('carol@example.com'),
    ('postmaster@example.com')" >/dev/null

section "The account, its aliases and the local recipients (SQL)"
sql "SELECT format('    %s: %s://%s@%s:%s tls=%s auth=%s keep=%s %s fallback=%s',
    name, protocol, username, host, port, tls, auth, keep,
    coalesce('deliver_to=' || deliver_to, 'multidrop'), fallback)
    FROM postfetch.account"
sql "SELECT '    alias ' || remote || ' -> ' || local FROM postfetch.alias
    ORDER BY remote, local"
sql "SELECT '    local ' || string_agg(address, ', ' ORDER BY address)
    FROM postfetch.local_recipient"
echo "    $(mailbox_count demo) messages waiting in the remote mailbox"

section "postfetch -v poll demo"
fetch_poll demo
cat "$PF_LOG"
poll_rc=$PF_RC
echo "(exit status $poll_rc)"
postfix_wait_idle 30 >/dev/null

section "Postfix's mail log for these messages (and the milter's lines)"
ids=$(grep -ho '^Message-ID: <[^>]*>' "$PF_TMP"/m[0-9] |
    sed 's/^Message-ID: //')
queue_ids=$(for id in $ids; do
	grep -F "message-id=$id" "$PF_MAILLOG" |
	    sed -n 's/.* \([0-9A-Za-z]\{6,\}\): message-id=.*/\1/p'
done | sort -u)
for q in $queue_ids; do
	grep -F " $q: " "$PF_MAILLOG"
	grep -F "$q: " "$PF_TMP/milter.log" | grep -F 'account='
done | sed "s|$PF_TMP/||g"

section "Where each message was delivered"
for f in $(find "$PF_TMP/mail" -type f -path '*/new/*' | sort); do
	printf '%-48s %s\n' "${f#"$PF_TMP"/}" "$(grep -m1 '^Subject:' "$f")"
done

section "Left on the server"
echo "$(mailbox_count demo) messages; postfetch status:"
fetch_run status
sed 's/^/    /' "$PF_OUT"
echo
echo "Stopping everything (the temp dir goes away; PF_KEEP_TMP=1 keeps it)."
[ "$poll_rc" -eq 0 ]
