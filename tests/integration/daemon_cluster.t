#!/bin/bash
# Two daemons on one database, 200 accounts: every message delivered
# exactly once and
# no account polled by both at once; one daemon killed with SIGKILL in
# the middle of its polls and its accounts taken over by the other with
# nothing lost; SIGTERM while a 20 MB message is being fetched.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"

ACCOUNTS=200
# The pass under ASan+UBSan is several times slower: the same with fewer.
case "$PF_BUILD" in */asan) ACCOUNTS=60 ;; esac
users=
for n in $(seq 1 $ACCOUNTS); do users="$users c$n"; done
fetch_setup $users big

# Start a daemon with the current configuration; its pid in $1's name.
daemon_start()
{
	local log=$PF_TMP/daemon.$1.log
	SSL_CERT_FILE=$PF_TEST_CA "$PF_POSTFETCH" -v -c "$PF_CONF" run \
	    >/dev/null 2>"$log" &
	eval "DAEMON_$1=$!"
}

# Message-IDs delivered to LOCALPART, one a line, sorted.
delivered_ids()
{
	maildir_grep "$1" -h -i '^Message-ID:' | tr -d '\r' | sort
}

# Polls of one account that overlapped in time (should be none).
overlapping_polls()
{
	sql "SELECT count(*) FROM postfetch.poll p JOIN postfetch.poll q
	    ON q.account_id = p.account_id AND q.id > p.id
	    AND q.started < coalesce(p.ended, now())
	    AND coalesce(q.ended, now()) > p.started"
}

for n in $(seq 1 $ACCOUNTS); do
	for m in 1 2; do small_message "$PF_TMP/c$n.$m" "c$n-$m"; done
	mailbox_fill "c$n" "$PF_TMP/c$n.1" "$PF_TMP/c$n.2"
	values="$values${values:+,}('c$n', 'pop3', 'localhost', $PF_POP3S_PORT,
	    'direct', 'c$n', 'secret', 'user$((n % 9 + 1))@example.com',
	    '2 seconds')"
done
fetch_conf "max_parallel = 8" "max_per_host = 8"
sql "INSERT INTO postfetch.account (name, protocol, host, port, tls, username,
    password, deliver_to, poll_interval) VALUES $values" >/dev/null

# --- two daemons, every message once ------------------------------------
daemon_start a
daemon_start b
total=$((ACCOUNTS * 2))
count_all()
{
	local n sum=0
	for n in 1 2 3 4 5 6 7 8 9; do
		sum=$((sum + $(maildir_count "user$n")))
	done
	echo "$sum"
}
ok "two daemons: all $total messages arrive" \
    wait_until 120 "[ \$(count_all) -ge $total ]"
sleep 3	# polls go on every second: a duplicate would show now
postfix_wait_idle 20
is "$(count_all)" "$total" "two daemons: each exactly once"
all_ids=$(for n in 1 2 3 4 5 6 7 8 9; do delivered_ids "user$n"; done | sort)
is "$(echo "$all_ids" | uniq -d | wc -l)" 0 "two daemons: no Message-ID twice"
is "$(overlapping_polls)" 0 "two daemons: no account polled by both at once"
is "$(sql "SELECT count(DISTINCT poller) FROM postfetch.poll")" 2 \
    "two daemons: both took part"

# --- SIGKILL one daemon in the middle of its polls -----------------------
sendmail_script slow 'sleep 0.3; exec '"$PF_SENDMAIL"' "$@"'
fetch_conf "max_parallel = 8" "max_per_host = 8" \
    "sendmail_path = $PF_TMP/slow" "sendmail_mode = message"
kill -HUP "$DAEMON_a" "$DAEMON_b"
sleep 1
for n in $(seq 1 $ACCOUNTS); do
	small_message "$PF_TMP/k$n" "k$n"
	mailbox_fill "c$n" "$PF_TMP/k$n"
done
ok "SIGKILL: daemon a is polling" wait_until 20 \
    "[ \"\$(sql \"SELECT count(*) FROM postfetch.poll WHERE ended IS NULL AND poller LIKE '%:$DAEMON_a'\")\" -gt 0 ]"
kill -KILL "$DAEMON_a"
wait "$DAEMON_a" 2>/dev/null
total=$((total + ACCOUNTS))
ok "SIGKILL: the other daemon delivers everything" \
    wait_until 180 "[ \$(count_all) -ge $total ]"
sleep 3
postfix_wait_idle 20
all_ids=$(for n in 1 2 3 4 5 6 7 8 9; do delivered_ids "user$n"; done | sort)
is "$(echo "$all_ids" | sort -u | wc -l)" "$total" "SIGKILL: nothing lost"
diag "duplicates after the SIGKILL: $(echo "$all_ids" | uniq -d | wc -l) (only a kill between sendmail and the commit may make one)"
is "$(overlapping_polls)" 0 "SIGKILL: still no account polled twice at once"
kill -TERM "$DAEMON_b"
wait "$DAEMON_b"
is "$?" 0 "daemon b stops cleanly"
sql "UPDATE postfetch.account SET active = false WHERE name LIKE 'c%'" >/dev/null

# --- SIGTERM while a 20 MB message is fetched ---------------------------
{
	printf 'From: a@example.org\nMessage-ID: <big@example.org>\nSubject: big\n\n'
	for i in $(seq 1 20); do head -c 786432 /dev/urandom | base64 -w 76; done
} >"$PF_TMP/big.eml"
mailbox_fill big "$PF_TMP/big.eml"
postfix_set "message_size_limit = 0"
fetch_conf
account_add big port="$PF_POP3S_PORT" tls="'direct'" poll_interval="'1 second'" \
    deliver_to="'frank@example.com'"
fetch_conf "max_parallel = 2"
daemon_start c
ok "SIGTERM: the big poll started" wait_until 20 \
    "[ \"\$(sql \"SELECT count(*) FROM postfetch.poll p JOIN postfetch.account a ON a.id = p.account_id WHERE a.name = 'big'\")\" -gt 0 ]"
kill -TERM "$DAEMON_c"
start=$(date +%s)
wait "$DAEMON_c"
rc=$?
is "$rc" 0 "SIGTERM mid-message: exit 0"
ok "SIGTERM mid-message: within a few seconds" test $(( $(date +%s) - start )) -le 10
if [ "$(maildir_count frank)" = 0 ]; then
	is "$(mailbox_count big)" 1 "SIGTERM mid-message: not delivered, still on the server"
	daemon_start d
	ok "SIGTERM mid-message: the next daemon delivers it" \
	    wait_for_delivery frank 1 60
	kill -TERM "$DAEMON_d"
	wait "$DAEMON_d"
else
	pass "SIGTERM mid-message: finished before the signal landed"
	pass "(nothing to deliver again)"
fi
postfix_wait_idle 20
is "$(maildir_count frank)" 1 "SIGTERM mid-message: delivered once"
is "$(sed '1,/^$/d' "$(maildir_files frank)" | sha256sum | cut -d' ' -f1)" \
    "$(sed '1,/^$/d' "$PF_TMP/big.eml" | sha256sum | cut -d' ' -f1)" \
    "SIGTERM mid-message: intact"
done_testing
