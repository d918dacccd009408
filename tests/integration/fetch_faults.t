#!/bin/bash
# Failures that must lose nothing: sendmail failing, the connection
# dropped in the middle of a RETR; and messages that are big or malformed
# (20 MB, no header, NUL bytes, bare CR and LF, a 10 MB line).
PF_POSTFIX_EXTRA="message_size_limit = 0"
PF_MAIL_USERS="kim leo mallory mia nick olga pat quinn rita"
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
fetch_setup failing big odd sigterm killed stolen outage

# --- sendmail fails (exit 75): every message stays, nothing in seen.
sendmail_script sendmail-75 'cat >/dev/null' \
    'echo "sendmail: fatal: queue file write error" >&2' 'exit 75'
for i in 1 2 3; do small_message "$PF_TMP/f$i" "fail$i"; done
mailbox_account failing kim@example.com "$PF_TMP/f1" "$PF_TMP/f2" \
    "$PF_TMP/f3"
poll_through sendmail-75 failing
is "$PF_RC" 1 "sendmail failing: poll exits 1"
is "$(log_count 'account=failing host=localhost uid=[^ ]+ size=[0-9]+: not delivered, left on the server: .*75')" 3 \
    "one line per message, with the exit status"
is "$(log_count 'account=failing host=localhost: poll failed: 3 messages not delivered')" 1 \
    "the poll is logged as failed"
is "$(mailbox_count failing)" 3 "all three still on the server"
is "$(seen_count failing)" 0 "nothing in seen"
like "$(last_poll failing)" '^0\|0\|3 messages not delivered' "poll row records the failure"
is "$(sql "SELECT last_result, consecutive_failures FROM postfetch.account
    WHERE name = 'failing'")" "failed|1" "account status: failed once"
fetch_poll failing
is "$PF_RC" 0 "with a working sendmail the next poll succeeds"
ok "all three delivered" wait_for_delivery kim 3
is "$(mailbox_count failing)" 0 "and deleted"
is "$(sql "SELECT consecutive_failures FROM postfetch.account
    WHERE name = 'failing'")" 0 "failures reset"

# --- A 20 MB message: streamed through, intact.
{
	printf 'From: a@example.org\nTo: leo@example.com\nMessage-ID: <big@example.org>\nSubject: twenty megabytes\n\n'
	head -c 15000000 /dev/urandom | base64 -w 76
} >"$PF_TMP/big"
mailbox_account big leo@example.com "$PF_TMP/big"
# sendmail that exits before reading: the writes fail (EPIPE), the
# message stays.
sendmail_script sendmail-early 'exit 75'
poll_through sendmail-early big
is "$PF_RC" 1 "sendmail gone before reading: exit 1"
is "$(log_count 'account=big host=localhost uid=[^ ]+ size=[0-9]+: not delivered, left on the server: .*75')" 1 \
    "the message is logged with sendmail's exit status"
is "$(mailbox_count big)|$(seen_count big)" "1|0" "it stays, nothing recorded"
PF_RUN_PREFIX="/usr/bin/time -o $PF_TMP/rss -f %M"
fetch_run check big
small_rss=$(cat "$PF_TMP/rss")
fetch_run poll big
big_rss=$(cat "$PF_TMP/rss")
PF_RUN_PREFIX=
is "$PF_RC" 0 "20 MB: poll exits 0"
ok "20 MB: memory stays bounded (max RSS $big_rss kB, a check takes $small_rss kB)" \
    test $((big_rss - small_rss)) -lt 8192
log_on_failure "$PF_RC"
ok "20 MB: delivered" wait_for_delivery leo 1 60
is "$(mailbox_count big)" 0 "20 MB: deleted on the server"
file=$(maildir_files leo | head -n 1)
ok "20 MB: the body arrived intact" \
    cmp <(sed '1,/^$/d' "$file") <(sed '1,/^$/d' "$PF_TMP/big")

# --- SIGTERM while sendmail has a message: sendmail has it whole (it
# starts only on a complete spool file), so it is let finish and
# recorded; no other message is started, the poll ends and is recorded.
small_message "$PF_TMP/t2" "term2"
mailbox_account sigterm pat@example.com "$PF_TMP/big" "$PF_TMP/t2"
sendmail_script sendmail-term 'kill -TERM $PPID' "exec $PF_SENDMAIL \"\$@\""
poll_through sendmail-term sigterm "max_sendmail = 1"
is "$PF_RC" 1 "SIGTERM: exit 1"
is "$(log_count 'account=sigterm host=localhost uid=[^ ]+ message-id=<[^>]*> from=<[^>]*> size=[0-9]+ nrcpt=1: delivered$')" 1 \
    "the message in sendmail is finished"
is "$(log_count 'account=sigterm host=localhost: poll failed: interrupted by a signal$')" 1 \
    "the poll ends, failed"
like "$(last_poll sigterm)" '^1\|[0-9]+\|interrupted by a signal$' "and is recorded"
is "$(mailbox_count sigterm)|$(seen_count sigterm)" "1|0" \
    "the delivered one is deleted, the other one stays"
ok "the delivered copy arrives" wait_for_delivery pat 1
file=$(maildir_files pat | head -n 1)
ok "whole" cmp <(sed '1,/^$/d' "$file") <(sed '1,/^$/d' "$PF_TMP/big")

# --- postfetch SIGKILLed while sendmail has a message: sendmail reads a
# complete spool file, so whatever it queues is whole (it is killed with
# postfetch, or finishes); the message stays on the server (no QUIT, no
# seen row) and comes again whole at the next poll.
mailbox_account killed quinn@example.com "$PF_TMP/big"
sendmail_script sendmail-kill 'kill -KILL $PPID' "exec $PF_SENDMAIL \"\$@\""
{ poll_through sendmail-kill killed; } 2>/dev/null	# no "Killed" from bash
is "$PF_RC" 137 "SIGKILL: postfetch is gone"
is "$(mailbox_count killed)|$(seen_count killed)" "1|0" \
    "the message stays on the server, nothing recorded"
postfix_wait_idle
intact=0
for file in $(maildir_files quinn); do
	cmp -s <(sed '1,/^$/d' "$file") <(sed '1,/^$/d' "$PF_TMP/big") &&
	    intact=$((intact + 1))
done
is "$(maildir_count quinn)|$(postfix_queue_count)" "$intact|0" \
    "no truncated copy was delivered or queued ($intact whole)"

# --- The connection dropped in the middle of a RETR (scripted server).
for i in 1 2 3; do small_message "$PF_TMP/d$i" "drop$i"; done
peer_start --drop-in-retr 2 --message "$PF_TMP/d1" --message "$PF_TMP/d2" \
    --message "$PF_TMP/d3"
peer_account dropped mallory@example.com
fetch_poll dropped
is "$PF_RC" 1 "dropped connection: poll exits 1"
is "$(log_count 'message-id=<drop1@example.org>.*: delivered$')" 1 \
    "the first message was delivered"
is "$(log_count 'account=dropped host=localhost uid=peer-2 size=[0-9]+: not delivered, left on the server: retrieval incomplete')" 1 \
    "the second one is logged as incomplete"
is "$(log_count 'account=dropped host=localhost: poll failed: ')" 1 "the poll failed"
is "$(seen_count dropped)" 1 "only the first one is in seen"
is "$(server_count dropped)" 3 "nothing deleted on a broken session"
fetch_poll dropped
is "$PF_RC" 0 "the next poll succeeds"
log_on_failure "$PF_RC"
is "$(log_count ': delivered$')" 2 "it delivers the other two"
is "$(server_count dropped)" 0 "and deletes all three, the first one too"
ok "three in the maildir" wait_for_delivery mallory 3
postfix_wait_idle
is "$(maildir_count mallory)" 3 "each message exactly once"
peer_stop

# --- A refused RETR: that message stays, the others go on.
peer_start --err-retr 1 --message "$PF_TMP/d1" --message "$PF_TMP/d2"
peer_account refused nick@example.com
fetch_poll refused
is "$PF_RC" 1 "refused RETR: poll exits 1"
is "$(log_count 'uid=peer-1 size=[0-9]+: not delivered, left on the server: refused by the server: -ERR no such message')" 1 \
    "the refused one is logged with the server's reply"
is "$(log_count 'message-id=<drop2@example.org>.*: delivered$')" 1 "the next one is delivered"
is "$(server_count refused)" 1 "only the delivered one is deleted"
fetch_poll refused
is "$(log_count 'uid=peer-1 size=[0-9]+: not delivered, left on the server: refused by the server')|$(log_count ': delivered$')" \
    "1|0" "the one left on the server is the refused one"
peer_stop

# --- Another fetcher takes the claim during the poll: the poll does not
# overwrite its status, and says so.
sendmail_script sendmail-steal 'cat >/dev/null' \
    "psql -qAt -c \"UPDATE postfetch.account SET lease_owner = 'other/1', lease_until = now() + interval '1 hour' WHERE name = 'stolen'\" >/dev/null" \
    'exit 0'
small_message "$PF_TMP/st1" "steal1"
mailbox_account stolen kim@example.com "$PF_TMP/st1"
poll_through sendmail-steal stolen
is "$(log_count 'account=stolen host=localhost: poll not recorded: the claim was lost to another fetcher')" 1 \
    "a claim lost during the poll is logged"
is "$(sql "SELECT lease_owner FROM postfetch.account WHERE name = 'stolen'")" "other/1" \
    "the other fetcher keeps its claim"

# --- PostgreSQL stops right after sendmail accepted a message and comes
# back 2 s later: the seen commit is retried after a reconnect, so the
# message is recorded and deleted, not left to be delivered again.
pg_ctl="cd $PF_TMP && runuser -u $PF_USER -- $PF_PG_BIN/pg_ctl -D $PF_PG_DATA"
sendmail_script sendmail-outage "cat >>$PF_TMP/outage.got" \
    "$pg_ctl -m fast -w -t 30 stop >/dev/null 2>&1" \
    "setsid bash -c 'sleep 2; $pg_ctl -l $PF_PG_LOG -w -t 60 start' </dev/null >/dev/null 2>&1 &" \
    'exit 0'
small_message "$PF_TMP/out1" "outage1"
mailbox_account outage kim@example.com "$PF_TMP/out1"
poll_through sendmail-outage outage
for i in $(seq 60); do _pg_ready && break; sleep 1; done
is "$PF_RC" 0 "database outage after sendmail: poll exits 0"
log_on_failure "$PF_RC"
is "$(grep -c '^Message-ID: <outage1@example.org>' "$PF_TMP/outage.got")" 1 \
    "the message is handed to sendmail once"
is "$(log_count 'account=outage .*not recorded')" 0 \
    "nothing is logged as not recorded"
is "$(log_count 'account=outage host=localhost: 1 delivered messages recorded after a reconnect$')" 1 \
    "it is recorded after the reconnect"
is "$(mailbox_count outage)" 0 "and deleted on the server"
is "$(last_poll outage)|$(sql "SELECT last_result FROM postfetch.account WHERE name = 'outage'")" \
    "1|115||ok" "the poll's end and the account's result are recorded"

# --- A server that gives a new message the UID of an expunged one: the
# UID left the seen index at QUIT, so the new message is fetched, not
# skipped and deleted unread.
peer_start --message "$PF_TMP/d1"
peer_account reused rita@example.com
fetch_poll reused
is "$PF_RC" 0 "reused UID: the first poll exits 0"
is "$(seen_count reused)" 0 "expunged UIDs leave the seen index at QUIT"
peer_stop
peer_start --message "$PF_TMP/d2"
sql "BEGIN; SET LOCAL postfetch.keep_seen = on;
    UPDATE postfetch.account SET port = $PF_PEER_PORT WHERE name = 'reused';
    COMMIT" >/dev/null
fetch_poll reused
is "$(log_count 'uid=peer-1 message-id=<drop2@example.org>.*: delivered$')" 1 \
    "the new message under the old UID is delivered"
ok "both messages reach rita" wait_for_delivery rita 2
peer_stop

# --- The seen commit fails after sendmail accepted a message: the
# messages of that batch are not deleted (they may come again, they are
# never lost), and the poll stops delivering.
sql "CREATE FUNCTION public.refuse_peer2() RETURNS trigger LANGUAGE plpgsql
    AS \$\$ BEGIN IF NEW.uid = 'peer-2' THEN
    RAISE EXCEPTION 'test: seen refused'; END IF; RETURN NEW; END \$\$;
    CREATE TRIGGER refuse_peer2 BEFORE INSERT ON postfetch.seen
    FOR EACH ROW EXECUTE FUNCTION public.refuse_peer2()" >/dev/null
for i in 4 5 6 7 8; do small_message "$PF_TMP/d$i" "drop$i"; done
peer_start --log "$PF_TMP/unrecorded.log" --message "$PF_TMP/d1" \
    --message "$PF_TMP/d2" --message "$PF_TMP/d3" --message "$PF_TMP/d4" \
    --message "$PF_TMP/d5" --message "$PF_TMP/d6" --message "$PF_TMP/d7" \
    --message "$PF_TMP/d8"
peer_account unrecorded olga@example.com
fetch_poll unrecorded
is "$PF_RC" 1 "seen not recorded: poll exits 1"
is "$(log_count 'account=unrecorded host=localhost uid=peer-2: delivered but not recorded, left on the server .*seen refused')" 1 \
    "the message is logged as delivered but not recorded"
delivered=$(log_count 'account=unrecorded .*: delivered$')
unrecorded=$(log_count 'account=unrecorded .*: delivered but not recorded')
is "$(server_count unrecorded)" "$((8 - delivered + unrecorded))" \
    "only the recorded ones were deleted ($delivered delivered, $unrecorded not recorded)"
sql "DROP TRIGGER refuse_peer2 ON postfetch.seen" >/dev/null
fetch_poll unrecorded
is "$PF_RC" 0 "the next poll succeeds"
is "$(server_count unrecorded)" 0 "and deletes the rest"
ok "olga has $((8 + unrecorded)) copies: the unrecorded ones came twice, none was lost" \
    wait_for_delivery olga $((8 + unrecorded))
peer_stop

# --- A server that stops sending: the timeout fires, nothing is lost.
peer_start --stall-in-retr 1 --message "$PF_TMP/d1"
peer_account stalled nick@example.com
fetch_conf "timeout = 2"
fetch_poll stalled
is "$PF_RC" 1 "stalled server: poll exits 1 after the timeout"
like "$(log_grep 'poll failed')" 'account=stalled host=localhost: poll failed: .*(time|out)' \
    "the line names the timeout"
is "$(seen_count stalled)" 0 "nothing recorded"
fetch_conf
peer_stop

# --- A sendmail that stalls: the same timeout fires (not a 10 minute
# default), it is killed, the message stays.
sendmail_script sendmail-stall 'sleep 20' 'cat >/dev/null'
peer_start --message "$PF_TMP/d1"
peer_account slow nick@example.com
started=$SECONDS
poll_through sendmail-stall slow "timeout = 2"
is "$PF_RC" 1 "stalled sendmail: poll exits 1"
ok "within the timeout, not after sendmail woke up ($((SECONDS - started)) s)" \
    test $((SECONDS - started)) -lt 12
is "$(log_count 'account=slow host=localhost uid=peer-1 size=[0-9]+: not delivered, left on the server: .*sendmail-stall timed out')" 1 \
    "the message is logged as timed out"
is "$(seen_count slow)|$(server_count slow)" "0|1" "nothing recorded, it stays"
peer_stop

# --- Malformed messages are delivered, the poll goes on.
printf 'no header at all, just text\nand a second line\n' >"$PF_TMP/o1"
printf 'Subject: nul\nMessage-ID: <nul@example.org>\n\nbefore\0after\n' >"$PF_TMP/o2"
printf 'Subject: bare cr\nMessage-ID: <cr@example.org>\n\none\rtwo\nthree\n' >"$PF_TMP/o3"
{
	printf 'Subject: long line\nMessage-ID: <long@example.org>\n\n'
	head -c 10485760 /dev/zero | tr '\0' 'y'
	printf '\nend\n'
} >"$PF_TMP/o4"
mailbox_account odd mia@example.com "$PF_TMP/o1" "$PF_TMP/o2" "$PF_TMP/o3" \
    "$PF_TMP/o4"
fetch_poll odd
is "$PF_RC" 0 "malformed messages: poll exits 0"
log_on_failure "$PF_RC"
is "$(log_count 'account=odd .*: delivered$')" 4 "all four delivered"
ok "all four in the maildir" wait_for_delivery mia 4 60
is "$(mailbox_count odd)" 0 "and deleted on the server"
ok "the headerless text is kept as body" maildir_grep mia -q '^and a second line$'
ok "the NUL byte message arrived" maildir_grep mia -q '^Subject: nul$'
file=$(maildir_grep mia -l '^Subject: long line$')
is "$(sed '1,/^$/d' "$file" | tr -cd y | wc -c)" 10485760 "the 10 MB line arrived whole"

done_testing
