#!/bin/bash
# Torture: SIGKILL the daemon (postfetch run) at random moments of its
# polls, restarting it each time; then SIGKILL one of its workers at
# random moments of polls. Four accounts on Dovecot, refilled as they
# empty. After a clean recovery nothing is lost or truncated (Message-ID
# and body hash), duplicates are counted, nothing is left in the spool
# directory or the Postfix queue, no account stays claimed and no poll
# row open. Two rows of the table; 50 kills each in make torture, 6 in
# make check (more, to 3 times as many, until half of them hit a poll).
source "$(dirname "$0")/faults_common.sh"
faults_setup 4 "max_parallel = 4"
kills=6 batch=16
torture_full && kills=50

# Sleep MS milliseconds.
sleep_ms()
{
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# Wait until the daemon has a worker, then sleep a random part of SPAN
# milliseconds (which adapts: halved when the kill found no poll to hit,
# doubled up to 1000 when it did): kill_moment. Says the delay in DELAY;
# false if no worker started within 10 s.
span=500
kill_moment()
{
	wait_until 10 "[ -n \"\$(faults_workers)\" ]" || return 1
	DELAY=$((RANDOM % (span + 1)))
	sleep_ms "$DELAY"
}

# After a kill: HIT is 1 if it found a poll running.
kill_span()
{
	if [ "$1" = 1 ]; then
		span=$((span * 2 > 1000 ? 1000 : span * 2))
	else
		span=$((span / 2 < 20 ? 20 : span / 2))
	fi
}

# --- the daemon killed, and started again ---------------------------------
# A worker whose scheduler dies gets SIGTERM and ends its poll (the
# messages in sendmail are finished and recorded): it must be gone within
# its timeout, and the next daemon finds the account free.
FAULTS_RSS=0 inflight=0 lingering=0 i=0
while ((i < kills || (inflight < kills / 2 && i < 3 * kills))); do
	i=$((i + 1))
	faults_refill "$batch"
	faults_poll_now
	faults_daemon_start
	DELAY=-
	kill_moment
	workers=$(faults_workers | tr '\n' ' ')
	faults_sample
	kill -KILL "$PF_DAEMON"
	[ -z "$workers" ] || inflight=$((inflight + 1))
	kill_span "$([ -n "$workers" ] && echo 1)"
	# shellcheck disable=SC2086
	if [ -n "$workers" ] && ! wait_until 30 "! pf_alive $workers"; then
		lingering=$((lingering + 1))
		kill -KILL $workers 2>/dev/null
	fi
	# the log, the workers' lines too, goes to all.log
	fetch_wait
	echo "$SECONDS s: daemon kill $i: $DELAY ms, workers: ${workers:-none}" >>"$PF_TMP/kills"
done
PF_DAEMON=
diag "$inflight of $i daemons killed with workers running"
ok "the kills hit running polls ($inflight of $i)" test "$inflight" -ge $((kills / 2))
is "$lingering" 0 "every worker of a killed daemon ended its poll within 30 s"
faults_daemon_start
faults_recover 90 "$PF_TMP/kills"
faults_check faults daemon-sigkill "$FAULTS_RSS" "$FAULTS_SETTLED" \
    "$inflight/$i kills in polls; dups: none expected, a worker ends its poll on its daemon's death" \
    "$FAULTS_RC" "$lingering"

# --- a worker killed ------------------------------------------------------
faults_daemon_start
daemon=$PF_DAEMON
FAULTS_RSS=0 killed=0 i=0
while ((i < kills || (killed < kills / 2 && i < 3 * kills))); do
	i=$((i + 1))
	faults_refill "$batch"
	faults_poll_now
	if ! kill_moment; then
		echo "$SECONDS s: worker kill $i: no worker started" >>"$PF_TMP/kills"
		continue
	fi
	worker=$(faults_workers | shuf -n 1)
	faults_sample
	# (A worker that has just ended is a zombie: a kill would succeed,
	# but it was not killed.)
	if [ -n "$worker" ] && pf_alive "$worker" &&
	    kill -KILL "$worker" 2>/dev/null; then
		killed=$((killed + 1))
		kill_span 1
		wait_until 10 "! pf_alive $worker"
	else
		kill_span 0
	fi
	echo "$SECONDS s: worker kill $i: $DELAY ms, worker ${worker:-none}" >>"$PF_TMP/kills"
done
ok "the daemon survives its workers' deaths" pf_alive "$daemon"
ok "the kills hit running workers ($killed of $i)" test "$killed" -ge $((kills / 2))
# The daemon logs a death when it reaps the worker, a moment after.
wait_until 10 "[ \$(grep -c 'worker [0-9]* killed by signal 9' '$PF_LOG') -ge $killed ]"
like "$(grep -c 'worker [0-9]* killed by signal 9' "$PF_LOG")" "^$killed\$" \
    "each killed worker is logged"
faults_recover 90 "$PF_TMP/kills"
faults_check faults worker-sigkill "$FAULTS_RSS" "$FAULTS_SETTLED" \
    "$killed/$i workers killed; dups: messages sendmail accepted that the killed worker had not committed" \
    "$FAULTS_RC"

done_testing
