#!/bin/bash
# Torture: postfetch run polls 20 well-behaved Dovecot accounts, every 3 s,
# beside a hostile POP3 server that greets and then says nothing (each of
# its polls hangs until the timeout, 8 s), and in the full form also
# beside servers that trickle, never end a message, or answer an IMAP
# command for ever. The 20 keep their schedule:
# no gap between two of an account's polls comes near the timeout, and
# each is polled about as often as its interval allows; the hostile
# account's polls end within their timeout, as failures that say why; the
# daemon's memory stays bounded. One row of the reliability table.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../integration/fetch_common.sh"
source "$(dirname "$0")/../lib/torture.sh"
source "$(dirname "$0")/hostile.sh"

GOOD=20
INTERVAL=3
TIMEOUT=8
DURATION=15
torture_full && DURATION=120
users=
for n in $(seq -w 1 $GOOD); do users="$users good$n"; done
fetch_setup $users
fetch_conf "timeout = $TIMEOUT" "max_parallel = 8" "max_per_host = 8"

values=
for user in $users; do
	values="$values${values:+,}('$user', 'pop3', 'localhost', $PF_POP3S_PORT,
	    'direct', '$user', 'secret', 'trent@example.com',
	    '$INTERVAL seconds')"
done
sql "INSERT INTO postfetch.account (name, protocol, host, port, tls, username,
    password, deliver_to, poll_interval) VALUES $values" >/dev/null
# hostile_account NAME PROTOCOL PEER_ARGS...: a hostile server (pop3 or
# imap) and its account, polled as often as the good ones.
peers=()
hostile_account()
{
	local name=$1 protocol=$2
	shift 2
	if [ "$protocol" = imap ]; then
		imap_peer_start "$@"
	else
		peer_start "$@"
	fi
	peers+=("$PF_PEER_PID")
	account_add "$name" protocol="'$protocol'" host="'127.0.0.1'" \
	    port="$PF_PEER_PORT" tls="'disable'" auth="'password'" \
	    username="'user'" deliver_to="'trent@example.com'" \
	    poll_interval="'$INTERVAL seconds'"
}
store=$(hostile_store silent-peer peer-)
hostile_account silent-peer pop3 --store "$store" --silent
# The full form adds, beside it, servers that trickle a byte a second,
# never end a message, and answer one IMAP command for ever.
others=0
if torture_full; then
	hostile_short_lines "$PF_TMP/short" trickle-1
	hostile_account trickle-peer pop3 --message "$PF_TMP/short" \
	    --trickle-retr 1
	small_message "$PF_TMP/endless" endless-1
	hostile_account endless-peer pop3 --message "$PF_TMP/endless" \
	    --endless-retr 1
	small_message "$PF_TMP/untagged" untagged-1
	hostile_account untagged-peer imap --message "$PF_TMP/untagged" \
	    --endless-untagged
	others=3
fi

started=$(sql "SELECT now()")
fetch_start run
daemon=$PF_PID
rss=0
end=$((SECONDS + DURATION))
while [ $SECONDS -lt $end ]; do
	now=$(torture_rss "$daemon")
	[ "$now" -gt "$rss" ] && rss=$now
	sleep 1
done
stopped=$(sql "SELECT now()")
kill -TERM "$daemon"
fetch_wait
kill "${peers[@]}" 2>/dev/null
wait "${peers[@]}" 2>/dev/null

# The longest gap between the starts of two polls of one good account,
# or between the start of the run and its first poll, or its last poll
# and the end of the run (seconds); and the fewest polls one had.
gap=$(sql "SELECT coalesce(round(max(g)::numeric, 1), 0) FROM (
    SELECT extract(epoch FROM t - lag(t) OVER (PARTITION BY id ORDER BY t))
	AS g FROM (
	SELECT p.account_id AS id, p.started AS t FROM postfetch.poll p
	UNION ALL SELECT id, '$started' FROM postfetch.account
	UNION ALL SELECT id, '$stopped' FROM postfetch.account) y
    JOIN postfetch.account a USING (id) WHERE a.name LIKE 'good%') x")
fewest=$(sql "SELECT min(n) FROM (SELECT count(p.id) AS n
    FROM postfetch.account a LEFT JOIN postfetch.poll p ON p.account_id = a.id
    WHERE a.name LIKE 'good%' GROUP BY a.id) x")
failed=$(sql "SELECT count(*) FROM postfetch.poll p JOIN postfetch.account a
    ON a.id = p.account_id WHERE a.name LIKE 'good%' AND p.error IS NOT NULL")
# The hostile account: its polls, the longest, its last error.
hostile=$(sql "SELECT count(*) FROM postfetch.poll p JOIN postfetch.account a
    ON a.id = p.account_id WHERE a.name = 'silent-peer'")
longest=$(sql "SELECT coalesce(round(max(extract(epoch FROM p.ended -
    p.started))::numeric, 2), 0) FROM postfetch.poll p
    JOIN postfetch.account a ON a.id = p.account_id
    WHERE a.name = 'silent-peer' AND p.ended IS NOT NULL")
last=$(sql "SELECT coalesce(last_error, '') FROM postfetch.account
    WHERE name = 'silent-peer'")

# The other hostile accounts: how many had a poll that ended in an error.
failing=$(sql "SELECT count(DISTINCT a.id) FROM postfetch.poll p
    JOIN postfetch.account a ON a.id = p.account_id
    WHERE a.name LIKE '%-peer' AND a.name <> 'silent-peer'
    AND p.ended IS NOT NULL AND p.error IS NOT NULL")

# The bound on a gap: the interval plus half the hostile's hang. A
# scheduler held up by the hostile account would show the whole timeout.
bound=$((INTERVAL + TIMEOUT / 2))
want=$((DURATION / (INTERVAL + TIMEOUT / 2)))
awk -v g="$gap" -v b="$bound" 'BEGIN { exit !(g <= b) }'
rc_gap=$?
ok "the $GOOD good accounts: longest gap between polls $gap s (at most $bound)" \
    test "$rc_gap" -eq 0
[ "$fewest" -ge "$want" ] && [ "$failed" = 0 ]
rc_polls=$?
ok "the $GOOD good accounts: at least $fewest polls each in $DURATION s (at least $want), $failed failed" \
    test "$rc_polls" -eq 0
[ "$failed" = 0 ] || diag "$(sql "SELECT a.name, p.error FROM postfetch.poll p
    JOIN postfetch.account a ON a.id = p.account_id
    WHERE a.name LIKE 'good%' AND p.error IS NOT NULL")"
[ "$hostile" -ge 1 ] && grep -q 'timeout' <<<"$last"
rc_log=$?
ok "the hostile account: $hostile polls, its error says why ($last)" \
    test "$rc_log" -eq 0
awk -v s="$longest" -v t=$((2 * TIMEOUT)) 'BEGIN { exit !(s <= t) }'
rc_time=$?
ok "the hostile account: its longest poll $longest s (at most $((2 * TIMEOUT)))" \
    test "$rc_time" -eq 0
[ "$rss" -le "$RSS_BOUND_KB" ]
rc_rss=$?
ok "the daemon and its workers: peak RSS $rss KiB (at most $RSS_BOUND_KB)" \
    test "$rc_rss" -eq 0
[ "$failing" = "$others" ]
rc_others=$?
[ "$others" = 0 ] ||
    is "$failing" "$others" "the other hostile accounts ($others): each gave up with an error"
[ "$others" = 0 ] || diag "$(sql "SELECT name, last_error FROM postfetch.account
    WHERE name LIKE '%-peer'")"
left=$(find "$store" -type f | grep -c .)
is "$left" 2 "the hostile server: nothing deleted"
beside=silent
[ "$others" = 0 ] || beside="silent+$others-more"
torture_row daemon "$GOOD-good-beside-$beside" \
    "$(torture_verdict $rc_gap $rc_polls $rc_log $rc_time $rc_rss $rc_others)" \
    "$rss" "$longest" "$((2 - left))" - \
    "good: max gap ${gap}s (interval ${INTERVAL}s), >=$fewest polls each; hostile: $hostile polls, $last"

done_testing
