#!/bin/bash
# Claims: an account is polled by one fetcher at a time, and a claim does
# not outlive its holder. The unit program tests/unit/fetcher_store against
# a database of its own (locks, renewal, lost sessions, release on every
# path), then postfetch itself: killed with SIGKILL in the middle of a poll,
# the next poll takes over at once; two polls of one account at once, one
# delivers and the other says it is busy.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
fetch_setup killed twice

# --- fetcher/store.c against PostgreSQL -------------------------------------
prog=$PF_BUILD/tests/unit/fetcher_store
if [ -x "$prog" ]; then
	pg_psql -c "CREATE DATABASE store" >/dev/null
	pg_psql -d store -f "$PF_TOP/schema/postfetch.sql" >/dev/null ||
	    bail "schema install into database store failed"
	out=$(PF_DB="${PF_DB/dbname=postfetch/dbname=store}" "$prog" 2>&1)
	rc=$?
	is "$rc" 0 "fetcher_store passes against PostgreSQL"
	[ "$rc" -eq 0 ] || diag "$out"
	like "$out" "1\.\.[1-9]" "fetcher_store ran its tests"
else
	skip "$prog not built (make tests)"
	skip "$prog not built (make tests)"
fi

# Start postfetch poll NAME in the background with sendmail_path SCRIPT:
# its log goes to $PF_TMP/LOG.log, its pid into PF_BG_PID.
poll_background()
{
	local script=$1 name=$2 log=$3
	fetch_conf "sendmail_path = $PF_TMP/$script"
	SSL_CERT_FILE=$PF_TEST_CA "$PF_POSTFETCH" -v -c "$PF_CONF" poll "$name" \
	    >/dev/null 2>"$PF_TMP/$log.log" &
	PF_BG_PID=$!
}

# --- SIGKILL while the claim is held: the next poll takes over at once ------
for i in 1 2; do
	small_message "$PF_TMP/k$i" "killed$i"
done
mailbox_fill killed "$PF_TMP/k1" "$PF_TMP/k2"
account_add killed port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'bob@example.com'"
# The stalled sendmail writes its pid (sleep keeps it) into the temp dir.
sendmail_script sendmail-stall "echo \$\$ >$PF_TMP/stall.pid" \
    "touch $PF_TMP/stalled" "exec sleep 60"
poll_background sendmail-stall killed killed
ok "the poll is in the middle of a message, holding the claim" \
    wait_until 20 "[ -e $PF_TMP/stalled ] && [ \"\$(claim_holders killed)\" != - ]"
owner=$(sql "SELECT lease_owner FROM postfetch.account WHERE name = 'killed'")
like "$owner" ":$PF_BG_PID\$" "the lease names the polling process"
kill -KILL "$PF_BG_PID"
wait "$PF_BG_PID" 2>/dev/null
lost_poll=$(sql "SELECT max(p.id) FROM postfetch.poll p
    JOIN postfetch.account a ON a.id = p.account_id WHERE a.name = 'killed'")
stall_pid=$(cat "$PF_TMP/stall.pid")
ok "its sendmail dies with it" wait_until 5 "[ -n '$stall_pid' ] && ! pf_alive $stall_pid"
fetch_conf
ok "the killed fetcher's claim is gone within seconds" \
    wait_until 5 "[ \"\$(claim_holders killed)\" = - ]"
is "$(sql "SELECT lease_owner FROM postfetch.account WHERE name = 'killed'")" "$owner" \
    "its lease is left behind, unexpired"
fetch_poll killed
is "$PF_RC" 0 "the next poll succeeds"
log_on_failure "$PF_RC"
is "$(log_count 'being polled by another fetcher')" 0 "it is not told the account is busy"
like "$(sql "SELECT ended IS NOT NULL, error FROM postfetch.poll WHERE id = $lost_poll")" \
    '^t\|its end was not recorded: the fetcher died or lost the database$' \
    "it closes the killed poll's row, saying its end was not recorded"
is "$(log_count 'account=killed .*: delivered$')" 2 "it delivers both messages"
ok "both reach bob" wait_for_delivery bob 2
is "$(mailbox_count killed)" 0 "and deletes them on the server"
is "$(sql "SELECT coalesce(lease_owner, '-') FROM postfetch.account WHERE name = 'killed'")" - \
    "the stale lease was taken over and released"

# --- Two polls of one account at once: one delivers, the other is busy ------
for i in 1 2 3; do
	small_message "$PF_TMP/t$i" "twice$i"
done
mailbox_fill twice "$PF_TMP/t1" "$PF_TMP/t2" "$PF_TMP/t3"
account_add twice port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'carol@example.com'"
# A second per message: the first poll still holds the claim when the
# second one asks for it.
sendmail_script sendmail-slow 'sleep 1' "exec $PF_SENDMAIL \"\$@\""
poll_background sendmail-slow twice first
first=$PF_BG_PID
poll_background sendmail-slow twice second
second=$PF_BG_PID
wait "$first"
rc_first=$?
wait "$second"
rc_second=$?
fetch_conf
is "$rc_first|$rc_second" "0|0" "both polls exit 0"
busy=$(cat "$PF_TMP/first.log" "$PF_TMP/second.log" |
    grep -c '^postfetch: account=twice host=localhost: being polled by another fetcher, skipped$')
delivered=$(cat "$PF_TMP/first.log" "$PF_TMP/second.log" |
    grep -c 'account=twice .*: delivered$')
is "$busy|$delivered" "1|3" "one is told the account is busy, the other delivers all three"
for log in first second; do
	if grep -q 'being polled by another fetcher' "$PF_TMP/$log.log"; then
		is "$(grep -c 'account=twice' "$PF_TMP/$log.log")" 1 \
		    "the busy one does nothing else"
	fi
done
ok "carol gets the three" wait_for_delivery carol 3
postfix_wait_idle
is "$(maildir_count carol)" 3 "each exactly once"
is "$(sql "SELECT count(*) FROM postfetch.poll p JOIN postfetch.account a
    ON a.id = p.account_id WHERE a.name = 'twice'")" 1 "one poll row"
is "$(claim_holders twice)" - "no claim left"

done_testing
