#!/bin/bash
# Torture: the file system of the private Postfix queue fills up in the
# middle of a poll (a small tmpfs mounted on its queue directory, filled
# once a few messages are in), so that sendmail fails for lack of space;
# then space is freed and the next poll delivers the rest. Nothing lost
# or truncated, duplicates counted, nothing left in the spool directory or
# the Postfix queue, no account claimed, no poll row open. One row; 4
# rounds in make torture, 1 in make check (more if a poll ended before the
# queue was full).
source "$(dirname "$0")/faults_common.sh"
faults_setup 2 "max_parallel = 2"
rounds=1 batch=30
torture_full && rounds=4

# Postfix again, its queue on a tmpfs of 8 MB (unmounted at exit, after
# Postfix is stopped).
queue=$PF_TMP/postfix/queue
postfix_stop
mount -t tmpfs -o size=8m,mode=755 tmpfs "$queue" ||
    skip_all "cannot mount a tmpfs on the Postfix queue"
harness_at_exit "postfix_stop; umount -l '$queue'"
postfix_start

# The number of messages delivered in the last run's log.
delivered()
{
	grep -c ': delivered$' "$PF_LOG"
}

# A poll may end before the file system is full (a fast machine, or one
# where the fill came late): then rounds are added, three at most, until
# one met the full queue.
refused=0 full=0 error= round=0
while [ "$round" -lt "$rounds" ] ||
    { [ "$refused" -eq 0 ] && [ "$round" -lt $((rounds + 3)) ]; }; do
	round=$((round + 1))
	faults_refill "$batch"
	fetch_start poll f1 f2
	wait_until 20 "[ \$(delivered) -ge 3 ]"
	# Fill what is left: postdrop and cleanup fail from now on (until
	# Postfix delivers and removes a queue file: then the next one).
	dd if=/dev/zero of="$queue/filler" bs=64k 2>"$PF_TMP/dd.err"
	grep -q 'No space left' "$PF_TMP/dd.err" && full=$((full + 1))
	fetch_wait
	echo "round $round: exit $PF_RC, $(delivered) delivered, $(mailbox_count f1)+$(mailbox_count f2) left" >>"$PF_TMP/rounds"
	if grep -q 'not delivered, left on the server: ' "$PF_LOG"; then
		refused=$((refused + 1))
		error=$(grep 'not delivered, left on the server: ' "$PF_LOG" |
		    tail -n 1 | sed 's/.*left on the server: //')
	fi
	rm -f "$queue/filler"
	postfix_flush >/dev/null 2>&1
	torture_poll poll f1 f2
	echo "round $round, after: exit $PF_RC, $(delivered) delivered" >>"$PF_TMP/rounds"
done
is "$full" "$round" "the queue's file system was filled in each round"
rc_full=$?
ok "sendmail failed for lack of space in the middle of a poll ($refused of $round rounds): $error" \
    test "$refused" -ge 1
rc_refused=$?
is "$PF_RC" 0 "with space again, the next poll succeeds"
log_on_failure "$PF_RC"
faults_settle 60
rc=$?
ok "everything is delivered, in $FAULTS_SETTLED s" test "$rc" -eq 0
[ "$rc" -eq 0 ] || diag "the rounds:" "$(cat "$PF_TMP/rounds")"
faults_check faults queue-full "$PF_RSS_KB" "$PF_SECS" \
    "$error; dups: none expected" "$rc" "$PF_RC" "$rc_full" "$rc_refused"

done_testing
