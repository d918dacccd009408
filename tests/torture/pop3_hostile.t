#!/bin/bash
# Torture: hostile POP3 servers (tests/integration/pop3_peer.py). For each
# case postfetch gives a clear error, stays under its RSS bound, gives up
# within its timeout and deletes nothing it did not deliver; each case is
# a row of the reliability table (tests/torture/run).
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../integration/fetch_common.sh"
source "$(dirname "$0")/../lib/torture.sh"
fetch_setup
TIMEOUT=3
RSS_BOUND_KB=$((64 * 1024))
fetch_conf "timeout = $TIMEOUT"

# A case: hostile CASE EXPECTED_LOG_REGEX PEER_ARGS... against messages
# m1 and m2; the poll must fail with that log line, within 3 timeouts and
# the RSS bound, and leave both messages on the server.
hostile()
{
	local name=$1 expect=$2 rc_log rc_time rc_rss rc_kept error left
	shift 2
	peer_start "$@" --message "$PF_TMP/m1" --message "$PF_TMP/m2"
	peer_account "$name" nick@example.com
	torture_poll poll "$name"
	grep -Eq "account=$name .*$expect" "$PF_LOG"
	rc_log=$?
	ok "$name: the log says why ($expect)" test "$rc_log" -eq 0
	log_on_failure "$rc_log"
	error=$(grep -E "account=$name .*$expect" "$PF_LOG" | tail -n 1 |
	    sed 's/.*account=[^:]*: //')
	awk -v s="$PF_SECS" -v t=$((3 * TIMEOUT)) 'BEGIN { exit !(s <= t) }'
	rc_time=$?
	ok "$name: gave up in $PF_SECS s (at most $((3 * TIMEOUT)))" test "$rc_time" -eq 0
	[ "$PF_RSS_KB" -le "$RSS_BOUND_KB" ]
	rc_rss=$?
	ok "$name: peak RSS $PF_RSS_KB KiB (at most $RSS_BOUND_KB)" test "$rc_rss" -eq 0
	left=$(server_count "$name")
	[ "$left" = 2 ]
	rc_kept=$?
	ok "$name: nothing deleted ($left of 2 left)" test "$rc_kept" -eq 0
	peer_stop
	torture_row pop3 "$name" "$(torture_verdict $rc_log $rc_time $rc_rss $rc_kept)" \
	    "$PF_RSS_KB" "$PF_SECS" 0 0 "$error"
}

small_message "$PF_TMP/m1" m1
small_message "$PF_TMP/m2" m2
hostile stall-in-retr 'poll failed: timeout' --stall-in-retr 1

done_testing
