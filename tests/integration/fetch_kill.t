#!/bin/bash
# postfetch SIGKILLed alone (the test signals no child of it) at random
# moments of many polls of one mailbox (refilled when a poll empties it),
# then a clean poll: no message is lost, truncated or altered (compared by
# Message-ID and body hash); duplicates are allowed, and counted. The
# Postfix queue and the spool directory are empty at the end, and a killed
# poll's claim never outlives its database session.
#
# PF_KILL_SEED=N replays a run (message sizes and contents, kill delays;
# where a delay lands still depends on the machine's speed); the seed is
# printed. PF_KILL_POLLS sets the number of polls (default 30).
PF_POSTFIX_EXTRA="message_size_limit = 0"
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
fetch_setup kill

seed=${PF_KILL_SEED:-$RANDOM}
RANDOM=$seed
diag "seed $seed (PF_KILL_SEED=$seed replays the sizes and kill delays)"
polls=${PF_KILL_POLLS:-30}
sent=$PF_TMP/sent
mkdir "$sent" "$PF_TMP/spool"
fetch_conf "spool_directory = $PF_TMP/spool"

# Put batch B of 40 messages on the server, each kept in $sent too: one
# of 2-2.5 MB and five of 200-650 KB among messages of 1-45 KB, the large
# ones early, where most kills land.
fill_batch()
{
	local i size files=()
	for i in $(seq -w 1 40); do
		case $i in
		03) size=$((1500000 + RANDOM * 10)) ;;
		01 | 06 | 13 | 20 | 28) size=$((150000 + RANDOM * 10)) ;;
		*) size=$((500 + RANDOM)) ;;
		esac
		random_message "$sent/k$1-$i" "k$1-$i" "$size" "$seed"
		files+=("$sent/k$1-$i")
	done
	mailbox_fill kill "${files[@]}"
}

# Wait (at most 5 s) until the killed poll's claim is gone with its
# database session; print how many tenths of a second that took.
claim_gone()
{
	local tenths=0
	while [ "$(claim_holders kill)" != - ] && [ "$tenths" -lt 50 ]; do
		sleep 0.1
		tenths=$((tenths + 1))
	done
	echo "$tenths"
}

# Whether the last poll was skipped for another fetcher's claim.
skipped()
{
	[ "$(log_count 'account=kill host=localhost: being polled by another fetcher, skipped')" -gt 0 ]
}

# One poll, SIGKILLed after MS milliseconds if it still runs: killed_poll MS
killed_poll()
{
	fetch_start poll kill
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
	kill -KILL "$PF_PID" 2>/dev/null
	fetch_wait
}

account_add kill port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'grace@example.com'"
batches=1
fill_batch 1
killed=0 finished=0 blocked=0 slowest=0 i=0
# The kill delays adapt to the machine: a poll that ended before its kill
# halves the span the next delays are drawn from, a killed one widens it
# again. Polls go on past PF_KILL_POLLS (to 4 times as many) until a
# quarter of them were killed in flight.
span=400
started=$SECONDS
while ((i < polls || (killed < polls / 4 && i < 4 * polls))); do
	i=$((i + 1))
	tenths=$(claim_gone)
	[ "$tenths" -le "$slowest" ] || slowest=$tenths
	# 0-span ms: connecting, listing, the first messages in and out of
	# the spool. Every fourth poll span to span+1 s: past the batched
	# seen commit (ENGINE_BATCH_MS), into DELE and QUIT.
	if ((i % 4)); then
		delay=$((RANDOM % (span + 1)))
	else
		delay=$((span + RANDOM % 1001))
	fi
	killed_poll "$delay"
	! skipped || blocked=$((blocked + 1))
	if [ "$PF_RC" -eq 137 ]; then
		killed=$((killed + 1))
		span=$((span * 2 > 400 ? 400 : span * 2))
	else
		finished=$((finished + 1))
		span=$((span / 2 < 25 ? 25 : span / 2))
	fi
	echo "poll $i: $delay ms, exit $PF_RC, $(log_count ': delivered$') delivered, $(mailbox_count kill) left" >>"$PF_TMP/polls"
	# Keep the polls busy: a mailbox emptied by a poll that ended
	# before its kill gets the next batch.
	if [ "$(mailbox_count kill)" -eq 0 ]; then
		batches=$((batches + 1))
		fill_batch "$batches"
	fi
done
diag "$killed polls killed, $finished ended before their kill, $batches batches of 40 messages, $((SECONDS - started)) s"
[ "$killed" -ge $((polls / 4)) ] || diag "the polls:" "$(cat "$PF_TMP/polls")"
ok "the kills hit running polls ($killed of $i)" test "$killed" -ge $((polls / 4))
ok "a killed poll's claim went with its session within $slowest tenths of a second (5 s at most)" \
    test "$slowest" -lt 50
is "$blocked" 0 "so no poll after a killed one skipped the account as being polled by another fetcher"

claim_gone >/dev/null
fetch_poll kill
is "$PF_RC" 0 "the clean poll after the kills succeeds"
log_on_failure "$PF_RC"
is "$(mailbox_count kill)" 0 "and empties the server"
ok "Postfix is idle" postfix_wait_idle 60
is "$(postfix_queue_count)" 0 "nothing is left in the Postfix queue"
is "$(maildir_count postmaster)" 0 "nothing bounced to the postmaster"
is "$(find "$PF_TMP/spool" -mindepth 1 | wc -l)" 0 \
    "nothing is left in the spool directory"

fetch_compare "$sent" grace
is "$PF_LOST" 0 "no message lost ($PF_SENT_COUNT sent)"
[ "$PF_LOST" -eq 0 ] ||
    diag "lost (seed $seed), the first ones:" "$(head -n 10 "$PF_TMP/lost")"
is "$PF_ALTERED" 0 \
    "no copy truncated or altered ($PF_DELIVERED_COUNT delivered)"
[ "$PF_ALTERED" -eq 0 ] ||
    diag "altered (seed $seed), the first ones:" "$(head -n 10 "$PF_TMP/altered")"
[ "$PF_LOST$PF_ALTERED" = 00 ] || diag "the polls:" "$(cat "$PF_TMP/polls")"
diag "$PF_DUPS duplicates (allowed: a killed poll's delivered but unrecorded messages come again)"

done_testing
