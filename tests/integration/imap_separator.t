#!/bin/bash
# IMAP folders on a server whose hierarchy delimiter is "/" (the harness
# Dovecot with an inbox namespace): the same names as with ".", nested
# folders named with "/" in the account, and "*" with a \Noselect parent.
# Also a large message over IMAP: streamed, so postfetch's memory stays
# small whatever the message's size.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"

export PF_DOVECOT_SEPARATOR=/
fetch_setup slash big

for n in 1 2 3; do small_message "$PF_TMP/m$n" "slash-$n"; done
folder_fill slash Archive/2024 "$PF_TMP/m1"
folder_fill slash 'Archiwum/Wysłane' "$PF_TMP/m2"
mailbox_fill slash "$PF_TMP/m3"
account_add slash protocol="'imap'" port="$PF_IMAPS_PORT" tls="'direct'" \
    deliver_to="'alice@example.com'" "folders='{Archive/2024}'"
fetch_poll slash
is "$PF_RC" 0 "delimiter /: a named nested folder"
is "$(log_count 'account=slash host=localhost folder=Archive/2024 uid=1 .*: delivered$')" 1 \
    "delimiter /: delivered from Archive/2024"
sql "UPDATE postfetch.account SET folders = '{*}' WHERE name = 'slash'" >/dev/null
fetch_poll slash
is "$PF_RC" 0 "delimiter /: every folder"
is "$(log_count 'account=slash host=localhost folder=Archiwum/Wysłane uid=1 .*: delivered$')|$(log_count 'folder=INBOX uid=1 .*: delivered$')" "1|1" \
    "delimiter /: the nested non-ASCII folder and INBOX"
is "$(log_count 'folder=Archiwum uid=|folder=Archive uid=')" 0 \
    "delimiter /: the \\Noselect parents are skipped"
ok "delimiter /: three delivered in all" wait_for_delivery alice 3

# A 40 MB message: streamed into the spool, never held whole.
{
	printf 'From: a@example.org\nMessage-ID: <big@example.org>\nSubject: big\n\n'
	for i in $(seq 1 40); do
		head -c 786432 /dev/urandom | base64 -w 76
	done
} >"$PF_TMP/big"
mailbox_fill big "$PF_TMP/big"
account_add big protocol="'imap'" port="$PF_IMAPS_PORT" tls="'direct'" \
    deliver_to="'bob@example.com'"
postfix_set "message_size_limit = 0"
PF_RUN_PREFIX="/usr/bin/time -f %M -o $PF_TMP/big.rss" fetch_poll big
is "$PF_RC" 0 "40 MB over IMAP: the poll succeeds"
ok "40 MB over IMAP: delivered" wait_for_delivery bob 1 60
rss=$(tail -n 1 "$PF_TMP/big.rss")
ok "40 MB over IMAP: postfetch's RSS stays small (${rss} KB < 30 MB)" \
    test "$rss" -lt 30720
is "$(sed '1,/^$/d' "$(maildir_files bob)" | sha256sum | cut -d' ' -f1)" \
    "$(sed '1,/^$/d' "$PF_TMP/big" | sha256sum | cut -d' ' -f1)" \
    "40 MB over IMAP: the body is intact"
done_testing
