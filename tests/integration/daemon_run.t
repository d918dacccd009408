#!/bin/bash
# postfetch run, the daemon: an account inserted by SQL is polled and its
# outcome is in its row within seconds (right and wrong password); a
# changed one that is not due is checked without being polled; poll_now;
# the back-off of a failing account; max_per_host and max_parallel; a
# clean stop on SIGTERM; SIGHUP.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"

fetch_setup dgood dnow dchk dh1 dh2 dh3 dh4 dh5 dh6 dstuck dout din dkill \
    ddead dlive

# The row of account NAME: last_result|last_error.
result_of()
{
	sql "SELECT coalesce(last_result, '-') || '|' || coalesce(last_error, '')
	    FROM postfetch.account WHERE name = '$1'"
}

# Wait up to SECONDS for the row of NAME to have a last_result.
wait_result()
{
	wait_until "$2" "[ \"\$(sql \"SELECT last_result IS NOT NULL FROM postfetch.account WHERE name = '$1'\")\" = t ]"
}

# How many poll rows account NAME has.
polls_of()
{
	sql "SELECT count(*) FROM postfetch.poll p JOIN postfetch.account a
	    ON a.id = p.account_id WHERE a.name = '$1'"
}

fetch_conf "max_parallel = 4" "max_per_host = 2"
fetch_start run
daemon=$PF_PID
ok "the daemon runs" wait_until 5 "grep -q 'started: at most 4 accounts at once, 2 per host' '$PF_LOG'"

# --- a new account: polled and reported within 5 s ----------------------
small_message "$PF_TMP/g1" good-1
mailbox_fill dgood "$PF_TMP/g1"
account_add dgood port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'alice@example.com'"
ok "new account: a result within 5 s" wait_result dgood 5
is "$(result_of dgood)" "ok|" "new account: ok"
ok "new account: its mail is delivered" wait_for_delivery alice 1

account_add dbad username="'dgood'" password="'wrong'" port="$PF_POP3S_PORT" \
    tls="'direct'" deliver_to="'bob@example.com'"
ok "wrong password: a result within 5 s" wait_result dbad 5
like "$(result_of dbad)" '^failed\|login failed: ' "wrong password: the error says so"

account_add dnohost host="'nosuch.invalid'" username="'dgood'" \
    port="$PF_POP3S_PORT" tls="'direct'" deliver_to="'bob@example.com'"
ok "unknown host: a result within 5 s" wait_result dnohost 5
like "$(result_of dnohost)" '^failed\|.*nosuch\.invalid' "unknown host: the error names it"
account_add dbadcert host="'127.0.0.1'" username="'dgood'" \
    port="$PF_POP3S_PORT" tls="'direct'" deliver_to="'bob@example.com'"
ok "refused certificate: a result within 5 s" wait_result dbadcert 5
like "$(result_of dbadcert)" '^failed\|.*certificate' "refused certificate: the error says so"
sql "UPDATE postfetch.account SET active = false
    WHERE name IN ('dnohost', 'dbadcert')" >/dev/null

# --- back-off: the delay doubles with each failure ----------------------
sql "UPDATE postfetch.account SET poll_interval = '1 second', next_poll = now()
    WHERE name = 'dbad'" >/dev/null
ok "back-off: four failed polls" \
    wait_until 20 "[ \"\$(polls_of dbad)\" -ge 5 ]"
gaps=$(sql "SELECT string_agg(round(extract(epoch FROM g))::text, ',' ORDER BY n)
    FROM (SELECT row_number() OVER (ORDER BY p.started) AS n,
	 p.started - lag(p.ended) OVER (ORDER BY p.started) AS g
	 FROM postfetch.poll p JOIN postfetch.account a ON a.id = p.account_id
	 WHERE a.name = 'dbad' ORDER BY p.started OFFSET 2 LIMIT 3) x")
like "$gaps" '^[0-9]+,[0-9]+,[0-9]+$' "back-off: three gaps measured ($gaps)"
IFS=, read -r g1 g2 g3 <<<"$gaps"
ok "back-off: each gap is about twice the one before ($gaps)" \
    test "$g2" -ge $((g1 + 1)) -a "$g3" -ge $((g2 + 1))
is "$(sql "SELECT consecutive_failures >= 4 FROM postfetch.account WHERE name = 'dbad'")" t \
    "back-off: the failures in a row are counted"
sql "UPDATE postfetch.account SET active = false WHERE name = 'dbad'" >/dev/null

# --- poll_now: at once, whatever next_poll says --------------------------
account_add dnow port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'carol@example.com'"
ok "poll_now: first poll" wait_result dnow 5
sql "UPDATE postfetch.account SET next_poll = now() + interval '1 day'
    WHERE name = 'dnow'" >/dev/null
small_message "$PF_TMP/n1" now-1
mailbox_fill dnow "$PF_TMP/n1"
sleep 2
is "$(maildir_count carol)" 0 "poll_now: not due, nothing fetched"
is "$(sql "SELECT postfetch.poll_now('dnow')")" t "poll_now: accepted"
ok "poll_now: delivered within 5 s" wait_for_delivery carol 1 5
is "$(sql "SELECT postfetch.poll_now('nosuch')")" f "poll_now of no such account: false"

# --- a changed account that is not due: checked, not polled --------------
account_add dchk port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'dave@example.com'"
ok "check: first poll" wait_result dchk 5
sql "UPDATE postfetch.account SET next_poll = now() + interval '1 day'
    WHERE name = 'dchk'" >/dev/null
before=$(polls_of dchk)
small_message "$PF_TMP/c1" check-1
mailbox_fill dchk "$PF_TMP/c1"
sql "UPDATE postfetch.account SET password = 'wrong', last_result = NULL
    WHERE name = 'dchk'" >/dev/null
ok "check: a new password is checked within 5 s" wait_result dchk 5
like "$(result_of dchk)" '^failed\|login failed: ' "check: the wrong password is reported"
sql "UPDATE postfetch.account SET password = 'secret', last_result = NULL
    WHERE name = 'dchk'" >/dev/null
ok "check: the right one too" wait_result dchk 5
is "$(result_of dchk)" "ok|" "check: ok"
is "$(polls_of dchk)" "$before" "check: no poll"
is "$(maildir_count dave)" 0 "check: nothing fetched"

# --- schedules: outside its windows not polled, poll_now still ----------
today=$(LC_ALL=C date +%a | tr 'A-Z' 'a-z')
other=$(LC_ALL=C date -d tomorrow +%a | tr 'A-Z' 'a-z')
small_message "$PF_TMP/o1" out-1
mailbox_fill dout "$PF_TMP/o1"
small_message "$PF_TMP/i1" in-1
mailbox_fill din "$PF_TMP/i1"
account_add dout port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'judy@example.com'" "schedule='$other 00:00-24:00'"
account_add din port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'mike@example.com'" "schedule='$today 00:00-24:00'"
ok "schedule: one that includes now is polled" wait_for_delivery mike 1 10
is "$(sql "SELECT next_poll::date = (current_date + 1) FROM postfetch.account WHERE name = 'dout'")" t \
    "schedule: one that excludes now is due at its next window"
is "$(maildir_count judy)|$(polls_of dout)" "0|0" "schedule: and not polled"
"$PF_POSTFETCH" -c "$PF_CONF" status >"$PF_TMP/status.out" 2>&1
like "$(grep '^dout ' "$PF_TMP/status.out")" "$(LC_ALL=C date -d tomorrow +%Y-%m-%d) 00:00:00\$" \
    "schedule: status shows the next window"
is "$(sql "SELECT last_result FROM postfetch.account WHERE name = 'dout'")" ok \
    "schedule: a new account outside its window is still checked"
sql "SELECT postfetch.poll_now('dout')" >/dev/null
ok "schedule: poll_now polls it anyway" wait_for_delivery judy 1 10

# --- a fetcher stuck past its lease is taken over -----------------------
account_add dstuck port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'ivan@example.com'" "next_poll=now() + interval '1 day'"
claim_hold dstuck stuck:42
small_message "$PF_TMP/s1" stuck-1
mailbox_fill dstuck "$PF_TMP/s1"
sql "UPDATE postfetch.account SET next_poll = now() WHERE name = 'dstuck'" \
    >/dev/null
sleep 3
is "$(maildir_count ivan)" 0 "stuck: a live claim with a running lease is respected"
sql "UPDATE postfetch.account SET lease_until = now() - interval '1 second'
    WHERE name = 'dstuck'" >/dev/null
sql "SELECT postfetch.poll_now('dstuck')" >/dev/null
ok "stuck: past its lease, the account is taken over" \
    wait_for_delivery ivan 1 15
ok "stuck: says so" grep -q 'account=dstuck host=localhost: stuck:42 let its lease expire while holding the account: its database session was ended, taken over' "$PF_LOG"
is "$(claim_holders dstuck)" - "stuck: the stuck session is gone"
claim_drop

# --- a lease without a claim: its fetcher's sessions say if it lives ------
# (a daemon killed between taking an account and its worker's claim)
small_message "$PF_TMP/l1" lease-1
mailbox_fill ddead "$PF_TMP/l1"
account_add ddead port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'olivia@example.com'" "next_poll=now() + interval '1 day'"
sql "UPDATE postfetch.account SET lease_owner = 'gone:1', next_poll = now(),
    lease_until = now() + interval '10 min' WHERE name = 'ddead'" >/dev/null
ok "dead lease: a lease whose fetcher has no session is taken over at once" \
    wait_for_delivery olivia 1 10
small_message "$PF_TMP/l2" lease-2
mailbox_fill dlive "$PF_TMP/l2"
account_add dlive port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'peggy@example.com'" "next_poll=now() + interval '1 day'"
PGAPPNAME='postfetch alive:2' pg_psql -c 'SELECT pg_sleep(600)' \
    >/dev/null 2>&1 &
alive=$!
wait_until 10 "[ \"\$(sql \"SELECT count(*) FROM pg_stat_activity WHERE application_name = 'postfetch alive:2'\")\" = 1 ]"
sql "UPDATE postfetch.account SET lease_owner = 'alive:2', next_poll = now(),
    lease_until = now() + interval '10 min' WHERE name = 'dlive'" >/dev/null
sleep 3
is "$(maildir_count peggy)" 0 "live lease: respected while its fetcher has a session"
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
    WHERE application_name = 'postfetch alive:2'" >/dev/null
wait "$alive" 2>/dev/null
sql "SELECT postfetch.poll_now('dlive')" >/dev/null
ok "live lease: taken over once that session is gone" wait_for_delivery peggy 1 30

# --- max_per_host and max_parallel ---------------------------------------
sendmail_script slow 'cat >/dev/null; sleep 1'
fetch_conf "max_parallel = 4" "max_per_host = 2" \
    "sendmail_path = $PF_TMP/slow" "sendmail_mode = message"
kill -HUP "$daemon"
ok "SIGHUP: the configuration is read again" \
    wait_until 5 "grep -q 'configuration read again' '$PF_LOG'"
for n in 1 2 3 4 5 6; do
	small_message "$PF_TMP/h$n" "host-$n"
	mailbox_fill "dh$n" "$PF_TMP/h$n"
done
# Two hosts: localhost (written in two cases) and 127.0.0.1.
for n in 1 2 3; do
	[ "$n" = 3 ] && host=LOCALHOST || host=localhost
	account_add "dh$n" host="'$host'" port="$PF_POP3S_PORT" \
	    tls="'direct'" deliver_to="'erin@example.com'"
done
for n in 4 5 6; do
	account_add "dh$n" host="'127.0.0.1'" port="$PF_POP3S_PORT" \
	    tls="'direct'" tls_verify=false deliver_to="'erin@example.com'"
done
ok "limits: six accounts polled" wait_until 30 \
    "[ \"\$(sql \"SELECT count(DISTINCT a.id) FROM postfetch.poll p JOIN postfetch.account a ON a.id = p.account_id WHERE a.name LIKE 'dh%' AND p.ended IS NOT NULL AND p.error IS NULL AND p.messages = 1\")\" = 6 ]"
# The most polls of the dh accounts running at one time (at the start of
# one of them, the others that had started and not ended), with extra
# conditions (same host).
overlap()
{
	sql "SELECT coalesce(max(n), 0) FROM (SELECT p.id, count(*) AS n
	    FROM postfetch.poll p JOIN postfetch.account a ON a.id = p.account_id
	    JOIN postfetch.poll q ON q.started <= p.started AND q.ended > p.started
	    JOIN postfetch.account b ON b.id = q.account_id
	    WHERE a.name LIKE 'dh%' AND b.name LIKE 'dh%' $1
	    GROUP BY p.id) x"
}
is "$(overlap "AND lower(a.host) = lower(b.host)")" 2 \
    "max_per_host: two polls of one host at a time, not more"
ok "max_parallel: at most four at a time" test "$(overlap)" -le 4
ok "max_parallel: hosts in parallel" test "$(overlap)" -ge 3

# --- a worker killed mid-poll: its poll is recorded as failed -----------
for n in 1 2 3; do small_message "$PF_TMP/w$n" "kill-$n"; done
mailbox_fill dkill "$PF_TMP/w1" "$PF_TMP/w2" "$PF_TMP/w3"
account_add dkill port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'niaj@example.com'" "next_poll=now() + interval '1 day'"
ok "killed worker: checked first" wait_result dkill 10
sql "SELECT postfetch.poll_now('dkill')" >/dev/null
ok "killed worker: its poll started" wait_until 10 \
    "[ \"\$(sql \"SELECT count(*) FROM postfetch.poll p JOIN postfetch.account a ON a.id = p.account_id WHERE a.name = 'dkill' AND p.ended IS NULL\")\" = 1 ]"
pkill -KILL -P "$daemon"
ok "killed worker: the poll row is closed" wait_until 10 \
    "[ \"\$(sql \"SELECT count(*) FROM postfetch.poll p JOIN postfetch.account a ON a.id = p.account_id WHERE a.name = 'dkill' AND p.ended IS NULL\")\" = 0 ]"
like "$(sql "SELECT p.error FROM postfetch.poll p JOIN postfetch.account a
    ON a.id = p.account_id WHERE a.name = 'dkill' ORDER BY p.id DESC LIMIT 1")" \
    'killed by signal 9' "killed worker: the poll says why"
like "$(result_of dkill)" '^failed\|.*killed by signal 9' "killed worker: so does the account"
ok "killed worker: logged" grep -q 'account=dkill host=localhost: worker [0-9]* killed by signal 9' "$PF_LOG"
is "$(sql "SELECT lease_owner IS NULL FROM postfetch.account WHERE name = 'dkill'")" t \
    "killed worker: no lease left"

# --- SIGTERM: a clean stop -----------------------------------------------
kill -TERM "$daemon"
fetch_wait
is "$PF_RC" 0 "SIGTERM: exit 0"
ok "SIGTERM: says it stopped" grep -q 'stopped$' "$PF_LOG"
is "$(sql "SELECT count(*) FROM postfetch.account WHERE lease_owner IS NOT NULL")" 0 \
    "SIGTERM: no lease left behind"
done_testing
