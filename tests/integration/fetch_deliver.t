#!/bin/bash
# Fetching into Postfix: keep and delete, second poll, single-drop and
# multidrop recipients, Delivered-To equal to the local recipient, max_size,
# the poll and seen records, status.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
PF_MAIL_USERS="grace heidi ivan judy"
fetch_setup plain keeper multi big claimed leastpriv

# A message: message FILE MESSAGE-ID HEADER... ; the body names the id.
message()
{
	local file=$1 id=$2 header
	shift 2
	{
		echo "Return-Path: <sender@example.org>"
		for header in "$@"; do
			echo "$header"
		done
		echo "From: Sender <sender@example.org>"
		echo "Message-ID: <$id@example.org>"
		echo "Subject: test $id"
		echo
		echo "Body of $id."
	} >"$file"
}

# --- keep = false: delivered, deleted, recorded; a second poll is empty.
mailbox_user plain
for i in 1 2 3; do
	message "$PF_TMP/plain$i" "plain$i" "To: carol@example.com"
done
mailbox_fill plain "$PF_TMP/plain1" "$PF_TMP/plain2" "$PF_TMP/plain3"
account_add plain port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'carol@example.com'"
fetch_poll plain
is "$PF_RC" 0 "poll exits 0"
log_on_failure "$PF_RC"
ok "three messages delivered to carol" wait_for_delivery carol 3
is "$(maildir_count carol)" 3 "exactly three"
is "$(mailbox_count plain)" 0 "deleted on the server"
is "$(seen_count plain)" 0 "their UIDs left seen once QUIT expunged them"
is "$(log_count 'account=plain host=localhost uid=[^ ]+ message-id=<plain[123]@example.org> from=<sender@example.org> size=[0-9]+ nrcpt=1: delivered$')" 3 \
    "one log line per message with message-id, size and nrcpt"
like "$(log_grep ': [0-9]+ messages, ')" \
    '^postfetch: account=plain host=localhost: 3 messages, [0-9]+ bytes in [0-9]+\.[0-9]s$' \
    "summary line in the contract's shape"
bytes=$(sed -n 's/.* size=\([0-9]*\) .*: delivered$/\1/p' "$PF_LOG" |
    awk '{ sum += $1 } END { print sum }')
is "$(last_poll plain)" "3|$bytes|" "poll row: 3 messages, their bytes, no error"
is "$(sql "SELECT last_result, consecutive_failures, messages_total,
    next_poll > now() + interval '4 min', lease_owner IS NULL
    FROM postfetch.account WHERE name = 'plain'")" "ok|0|3|t|t" \
    "account status updated, claim released"
ok "the delivered message has the account tag" \
    maildir_grep carol -q '^X-Postfetch-Account: plain; '
ok "... and our Received line" \
    maildir_grep carol -q '(postfetch, account plain) with POP3 id'
ok "... and the body" maildir_grep carol -q '^Body of plain2\.$'

fetch_poll plain
is "$PF_RC" 0 "second poll exits 0"
like "$(log_grep 'messages, ')" 'account=plain host=localhost: 0 messages, 0 bytes in' \
    "second poll fetches nothing"
is "$(maildir_count carol)" 3 "nothing delivered twice"
is "$(sql "SELECT count(*) FROM postfetch.poll p JOIN postfetch.account a
    ON a.id = p.account_id WHERE a.name = 'plain' AND p.error IS NULL")" 2 \
    "two poll rows"

# --- keep = true: delivered once, left on the server.
mailbox_user keeper
message "$PF_TMP/keep1" keep1 "To: dave@example.com"
message "$PF_TMP/keep2" keep2 "To: dave@example.com"
mailbox_fill keeper "$PF_TMP/keep1" "$PF_TMP/keep2"
account_add keeper port="$PF_POP3S_PORT" tls="'direct'" keep=true \
    deliver_to="'dave@example.com'"
fetch_poll keeper
is "$PF_RC" 0 "keep: poll exits 0"
ok "keep: two messages delivered" wait_for_delivery dave 2
is "$(mailbox_count keeper)" 2 "keep: both still on the server"
fetch_poll keeper
is "$(log_count ': delivered$')" 0 "keep: the second poll delivers nothing"
postfix_wait_idle
is "$(maildir_count dave)" 2 "keep: still two delivered"
message "$PF_TMP/keep3" keep3 "To: dave@example.com"
mailbox_fill keeper "$PF_TMP/keep3"
fetch_poll keeper
is "$(log_count 'message-id=<keep3@example.org>.*: delivered$')" 1 \
    "keep: only the new message is fetched"
is "$(mailbox_count keeper)" 3 "keep: all three still on the server"
is "$(log_count '^postfetch: account=keeper host=localhost: 1 messages, [0-9]+ bytes in [0-9]+\.[0-9]s$')" 1 \
    "the summary keeps the contract's shape for one message"

# --- multidrop: envelope headers of the remote server, else To/Cc.
mailbox_user multi
message "$PF_TMP/multi1" multi1 "Delivered-To: erin@example.com" \
    "To: someone@example.org"
message "$PF_TMP/multi2" multi2 "X-Original-To: frank@example.com" \
    "Delivered-To: frank@example.com" "To: someone@example.org"
message "$PF_TMP/multi3" multi3 "To: grace@example.com" \
    "Cc: heidi@example.com"
message "$PF_TMP/multi4" multi4 "To: Undisclosed recipients:;"
mailbox_fill multi "$PF_TMP/multi1" "$PF_TMP/multi2" "$PF_TMP/multi3" \
    "$PF_TMP/multi4"
account_add multi port="$PF_POP3S_PORT" tls="'direct'" \
    fallback="'ivan@example.com'"
fetch_poll multi
is "$PF_RC" 0 "multidrop: poll exits 0"
log_on_failure "$PF_RC"
# No milter here: every message lands with the placeholder, the fallback
# ivan, and carries the recipients it is for.
ok "no milter: all four to the placeholder ivan" wait_for_delivery ivan 4
postfix_wait_idle
ok "Delivered-To: erin" fetch_carried ivan multi1 erin@example.com
ok "X-Original-To/Delivered-To: frank, once" fetch_carried ivan multi2 frank@example.com
ok "To: grace, Cc: heidi" fetch_carried ivan multi3 grace@example.com heidi@example.com
ok "no recipient: the fallback ivan" fetch_carried ivan multi4 ivan@example.com
is "$(cd "$PF_TMP/mail" && ls -d erin frank grace heidi someone 2>/dev/null)" "" \
    "nobody but the placeholder got a copy"
is "$(log_count 'message-id=<multi3@example.org> .*nrcpt=2: delivered$')" 1 \
    "two recipients counted"
ok "erin's message went through local(8) without a loop bounce" \
    maildir_grep ivan -q '^Body of multi1\.$'
unlike "$(cat "$PF_MAILLOG")" "mail forwarding loop" "no forwarding loop in the mail log"
file=$(grep -l '^Body of multi1\.$' "$PF_TMP"/mail/ivan/new/*)
is "$(grep -c '^Delivered-To:' "$file")" 1 "only local(8)'s own Delivered-To is left"
ok "the remote one was renamed" \
    grep -q '^X-Original-Delivered-To: erin@example.com$' "$file"

# --- max_size: left on the server, logged once.
mailbox_user big
message "$PF_TMP/small" small "To: judy@example.com"
{ message /dev/stdout large "To: judy@example.com"; head -c 20000 /dev/zero | tr '\0' 'x' | fold -w 70; } >"$PF_TMP/large"
mailbox_fill big "$PF_TMP/small" "$PF_TMP/large"
account_add big port="$PF_POP3S_PORT" tls="'direct'" max_size=10000 \
    deliver_to="'judy@example.com'"
fetch_poll big
is "$PF_RC" 0 "max_size: poll exits 0"
is "$(log_count 'left on the server: larger than max_size 10000')" 1 "logged at the first poll"
fetch_poll big
is "$(log_count 'larger than max_size')" 0 "not logged at the second poll"
is "$(mailbox_count big)" 1 "the large one is still on the server"
ok "the small one was delivered" wait_for_delivery judy 1
postfix_wait_idle
is "$(maildir_count judy)" 1 "only the small one"
is "$(sql "SELECT reason FROM postfetch.skipped")" max_size "recorded in skipped"

# --- The least-privilege role postfetch_fetcher is enough for a poll.
sql "CREATE ROLE fetcher_login LOGIN IN ROLE postfetch_fetcher" >/dev/null
mailbox_user leastpriv
message "$PF_TMP/leastpriv1" leastpriv1 "To: carol@example.com"
mailbox_fill leastpriv "$PF_TMP/leastpriv1"
account_add leastpriv port="$PF_POP3_PORT" tls="'detect'" max_size=100 \
    deliver_to="'carol@example.com'"
fetch_conf "database = ${PF_DB/user=postgres/user=fetcher_login}"
fetch_poll leastpriv
is "$PF_RC" 0 "as postfetch_fetcher: poll exits 0"
log_on_failure "$PF_RC"
is "$(sql "SELECT count(*) FROM postfetch.skipped s JOIN postfetch.account a
    ON a.id = s.account_id WHERE a.name = 'leastpriv'")" 1 \
    "as postfetch_fetcher: skipped written"
sql "UPDATE postfetch.account SET max_size = NULL WHERE name = 'leastpriv'" >/dev/null
fetch_poll leastpriv
is "$PF_RC" 0 "as postfetch_fetcher: seen, poll, status and tls_seen written"
log_on_failure "$PF_RC"
is "$(log_count ': delivered$')|$(mailbox_count leastpriv)|$(seen_count leastpriv)" "1|0|0" \
    "as postfetch_fetcher: delivered, deleted, seen trimmed"
fetch_run status
is "$PF_RC" 0 "as postfetch_fetcher: status"
fetch_conf

# --- Claims: an account another fetcher holds is skipped, not failed.
mailbox_user claimed
message "$PF_TMP/claimed1" claimed1 "To: carol@example.com"
mailbox_fill claimed "$PF_TMP/claimed1"
account_add claimed port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'carol@example.com'"
claim_hold claimed
fetch_poll claimed
is "$PF_RC" 0 "claimed elsewhere: exit 0"
is "$(log_count '^postfetch: account=claimed host=localhost: being polled by another fetcher, skipped$')" 1 \
    "claimed elsewhere: logged"
is "$(mailbox_count claimed)" 1 "claimed elsewhere: not fetched"
is "$(sql "SELECT count(*) FROM postfetch.poll p JOIN postfetch.account a
    ON a.id = p.account_id WHERE a.name = 'claimed'")" 0 "claimed elsewhere: no poll row"
is "$(sql "SELECT lease_owner FROM postfetch.account WHERE name = 'claimed'")" \
    elsewhere:1 "claimed elsewhere: the other fetcher's lease stays"
claim_drop
fetch_poll claimed
is "$(log_count 'account=claimed .*: delivered$')" 1 \
    "once the other fetcher's session is gone, the claim is taken over"

# --- Every active account when no name is given; inactive ones are left.
sql "UPDATE postfetch.account SET active = false WHERE name = 'keeper'" >/dev/null
fetch_poll
is "$PF_RC" 0 "poll without names exits 0"
is "$(log_count ': [0-9]+ messages, [0-9]+ bytes in ')" 5 \
    "it polls the five active accounts"
is "$(log_count 'account=keeper')" 0 "not the inactive one"
fetch_poll keeper
is "$PF_RC" 1 "naming an inactive account fails"
is "$(log_count '^postfetch: warning: account=keeper: inactive, not polled$')" 1 \
    "and says so"
fetch_poll nosuch
is "$PF_RC" 1 "naming an unknown account fails"
is "$(log_count '^postfetch: warning: account=nosuch: no such account$')" 1 \
    "and says so"

# --- An ETRN account whose server does not speak SMTP (Dovecot's IMAPS
# port): one line naming the account and what failed, poll recorded.
account_add etrnacct protocol="'etrn'" domain="'etrn.example'" port="$PF_IMAPS_PORT" tls="'direct'"
fetch_poll etrnacct
is "$PF_RC" 1 "etrn account on an IMAP server: exit 1"
is "$(log_count '^postfetch: warning: account=etrnacct host=localhost: poll failed: greeting: malformed reply: \* OK ')" 1 \
    "etrn account: one line naming the account"
like "$(last_poll etrnacct)" '^0\|0\|greeting: malformed reply: \* OK ' \
    "etrn account: poll row"

# --- Command line and configuration errors exit 2.
fetch_run
is "$PF_RC" 2 "no command: exit 2"
like "$(cat "$PF_LOG")" '^usage: postfetch' "usage on stderr"
fetch_run bogus
is "$PF_RC" 2 "unknown command: exit 2"
fetch_run check
is "$PF_RC" 2 "check without a name: exit 2"
fetch_run run extra
is "$PF_RC" 2 "run with an argument: exit 2"
"$PF_POSTFETCH" -c "$PF_TMP/nonexistent.conf" poll >"$PF_OUT" 2>"$PF_LOG"
is "$?" 2 "missing configuration file: exit 2"
like "$(cat "$PF_LOG")" '^postfetch: error: .*nonexistent\.conf' \
    "the diagnostic names the file"
fetch_conf "nosuchkey = 1"
fetch_poll plain
is "$PF_RC" 2 "unknown configuration key: exit 2"
chmod 644 "$PF_TMP/secret"
fetch_conf
fetch_poll plain
is "$PF_RC" 2 "a secret file readable by others: exit 2"
chmod 600 "$PF_TMP/secret"
chown 4242 "$PF_TMP/secret"
fetch_poll plain
is "$PF_RC" 2 "a secret file of another user than root or user: exit 2"
like "$(cat "$PF_LOG")" "secret: owned by uid 4242; it must belong to root or to the postfetch user \\(uid 0\\)" \
    "the diagnostic says whose it must be"
chown root "$PF_TMP/secret"
fetch_conf "database = host=127.0.0.1 port=$(free_port) dbname=postfetch user=postgres"
fetch_poll plain
is "$PF_RC" 1 "database unreachable: exit 1"
like "$(cat "$PF_LOG")" '^postfetch: error: database: ' "with one clear line"

# --- Privileges: started as root, it becomes the configured user.
fetch_conf "user = nobody"
fetch_run check plain
is "$PF_RC" 0 "check runs as user nobody"
log_on_failure "$PF_RC"
fetch_conf "user = no-such-user-here"
fetch_run check plain
is "$PF_RC" 2 "an unknown user: exit 2"
fetch_conf

# --- status: one line per account.
fetch_run status
is "$PF_RC" 0 "status exits 0"
is "$(grep -c '^' "$PF_OUT")" 8 "a title and seven accounts"
like "$(head -n 1 "$PF_OUT")" '^ACCOUNT +STATE +PROTOCOL +HOST +LAST POLL +RESULT +MESSAGES +SKIPPED +FAILURES +HOLDER +NEXT POLL$' \
    "status title line"
like "$(grep '^plain ' "$PF_OUT")" '^plain +active +pop3 +localhost +[0-9-]+ [0-9:]+ +ok +3 +0 +0 +- +[0-9-]+ [0-9:]+$' \
    "status line of plain"
like "$(grep '^big ' "$PF_OUT")" '^big +active +pop3 +localhost +[0-9-]+ [0-9:]+ +ok +1 +1 +0 +- +[0-9-]+ [0-9:]+$' \
    "status counts the message left on the server (max_size)"
like "$(grep '^keeper ' "$PF_OUT")" '^keeper +inactive +pop3 .* -$' \
    "an inactive account has no next poll"
like "$(grep '^etrnacct ' "$PF_OUT")" ' failed +0 +0 +1 .*\(greeting: malformed reply: \* OK .*\)$' \
    "a failed account shows its error"

done_testing
