#!/bin/bash
# make demo: a throwaway PostgreSQL, Postfix and Dovecot on 127.0.0.1, a
# sample remote POP3 mailbox with a few messages, one postfetch poll, and
# what happened: postfetch's log lines, Postfix's lines for those messages
# and where each message was delivered. Everything is stopped afterwards.
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

PF_MAIL_USERS="billing"
fetch_setup demo >/dev/null
section "Services (all on 127.0.0.1, under $PF_TMP)"
echo "PostgreSQL  port $PF_PG_PORT, database postfetch (schema loaded)"
echo "Postfix     port $PF_SMTP_PORT, delivering into $PF_TMP/mail/USER/"
echo "Dovecot     POP3 port $PF_POP3_PORT (STARTTLS), $PF_POP3S_PORT (TLS)"

sample "$PF_TMP/m1" "Welcome, Alice" "Delivered-To: alice@example.com" \
    "To: Alice <alice@example.com>" <<<"Hello Alice, this came from the provider's mailbox."
sample "$PF_TMP/m2" "Team lunch" "To: bob@example.com" \
    "Cc: carol@example.com" <<<"A multidrop message to two people: Bob and Carol."
sample "$PF_TMP/m3" "Invoice 42" "Delivered-To: billing@example.com" \
    "To: billing@example.com" <<<"Billing gets its own copy."
sample "$PF_TMP/m4" "Who is this for?" "To: Undisclosed recipients:;" \
    <<<"No recipient found: goes to the postmaster."
mailbox_fill demo "$PF_TMP/m1" "$PF_TMP/m2" "$PF_TMP/m3" "$PF_TMP/m4"

account_add demo port="$PF_POP3_PORT" tls="'starttls'"
sql "INSERT INTO postfetch.alias (account_id, remote, local)
    SELECT id, 'billing@example.com', 'alice@example.com'
    FROM postfetch.account WHERE name = 'demo'" >/dev/null 2>&1

section "The account (SQL)"
sql "SELECT format('    %s: %s://%s@%s:%s tls=%s auth=%s keep=%s %s', name,
    protocol, username, host, port, tls, auth, keep,
    coalesce('deliver_to=' || deliver_to, 'multidrop')) FROM postfetch.account"
echo "    $(mailbox_count demo) messages waiting in the remote mailbox"
echo "    aliases (applied by postfetch-milter, which is not part of the demo yet):"
sql "SELECT '      ' || remote || ' -> ' || local FROM postfetch.alias"

section "postfetch -v poll demo"
fetch_poll demo
cat "$PF_LOG"
poll_rc=$PF_RC
echo "(exit status $poll_rc)"
postfix_wait_idle 30 >/dev/null

section "Postfix's mail log for these messages"
ids=$(grep -ho '^Message-ID: <[^>]*>' "$PF_TMP"/m[0-9] | sed 's/^Message-ID: //')
queue_ids=$(for id in $ids; do
	grep -F "message-id=$id" "$PF_MAILLOG" |
	    sed -n 's/.*: \([0-9A-F]\{6,\}\|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]\{10,\}\): message-id=.*/\1/p'
done | sort -u)
for q in $queue_ids; do
	grep -F " $q: " "$PF_MAILLOG"
done | sort -k1,3 -s | sed "s|$PF_TMP/||g"

section "Where each message was delivered"
for f in $(find "$PF_TMP/mail" -type f -path '*/new/*' | sort); do
	printf '%-40s %s\n' "${f#"$PF_TMP"/}" \
	    "$(grep -m1 '^Subject:' "$f")"
done

section "Left on the server"
echo "$(mailbox_count demo) messages; postfetch status:"
fetch_run status
sed 's/^/    /' "$PF_OUT"
echo
echo "Stopping everything (the temp dir goes away; PF_KEEP_TMP=1 keeps it)."
[ "$poll_rc" -eq 0 ]
