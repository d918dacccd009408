# Shared part of the faults_*.t torture cases, which source it first (it
# sources harness.sh, tests/integration/fetch_common.sh and
# tests/lib/torture.sh): accounts on the harness's Dovecot whose mailboxes
# are refilled with random messages, the daemon, and the end of a case
# (everything delivered, then compared with what was sent, and nothing
# left behind).
#
#   faults_setup N [fetch_conf LINE...]  fetch_setup with N accounts f1..fN
#                      (poll_interval 1 s, single-drop to user1..userN),
#                      spool_directory $PF_TMP/spool; PF_FAULTS_SEED seeds
#                      the sizes and contents (printed; set it to replay)
#   faults_refill [COUNT]   a batch of COUNT (default 8) messages of 1-33 KB
#                      for every account whose mailbox is empty; copies in
#                      $PF_TMP/sent
#   faults_daemon_start / faults_daemon_stop   postfetch run as
#                      PF_DAEMON; stop: SIGTERM, 0 expected
#   faults_poll_now    every account due now (postfetch.poll_now)
#   faults_settle T    wait up to T s until every mailbox is empty, no poll
#                      is open and Postfix is idle; FAULTS_SETTLED is the
#                      seconds it took
#   faults_workers     the daemon's children (its workers), one a line
#   faults_sample      FAULTS_RSS: the peak of the daemon's RSS with its
#                      workers' (KiB) over the samples so far
#   faults_recover T DIAG   with the daemon running: every account due
#                      now, faults_settle T, sample, stop the daemon; one
#                      TAP point each; FAULTS_RC 0 if all went well; DIAG
#                      (a file) is shown if they did not
#   faults_check AREA CASE RSS_KB SECONDS CAUSE [RC...]   compare and check
#                      what is left; one TAP point each, and the table row
#                      (failed if any RC is non-zero); the duplicates are
#                      counted since the last faults_check (copies
#                      delivered, and how many of them postfetch handed
#                      to sendmail twice: the rest Postfix made), CAUSE
#                      says where they may come from; with "dups: none
#                      expected" in CAUSE postfetch must hand none twice
#                      (a TODO point if CAUSE goes on with "# TODO why")

source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../integration/fetch_common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/torture.sh"

PF_FAULTS_ACCOUNTS=
PF_DAEMON=
FAULTS_DUPS=0
FAULTS_HANDED=0
FAULTS_RSS=0

faults_setup()
{
	local n=$1 i users=()
	shift
	for ((i = 1; i <= n; i++)); do
		users+=("f$i")
	done
	fetch_setup "${users[@]}"
	PF_FAULTS_SEED=${PF_FAULTS_SEED:-$RANDOM}
	RANDOM=$PF_FAULTS_SEED
	diag "seed $PF_FAULTS_SEED (PF_FAULTS_SEED=$PF_FAULTS_SEED replays the sizes and delays)"
	mkdir -p "$PF_TMP/sent" "$PF_TMP/spool"
	fetch_conf "spool_directory = $PF_TMP/spool" "$@"
	for ((i = 1; i <= n; i++)); do
		account_add "f$i" port="$PF_POP3S_PORT" tls="'direct'" \
		    deliver_to="'user$i@example.com'" \
		    "poll_interval='1 second'"
	done
	PF_FAULTS_ACCOUNTS=${users[*]}
	FAULTS_BATCHES=0
}

faults_refill()
{
	local name i id files
	for name in $PF_FAULTS_ACCOUNTS; do
		[ "$(mailbox_count "$name")" -eq 0 ] || continue
		FAULTS_BATCHES=$((FAULTS_BATCHES + 1))
		files=()
		for ((i = 1; i <= ${1:-8}; i++)); do
			id=$name-b$FAULTS_BATCHES-$i
			random_message "$PF_TMP/sent/$id" "$id" \
			    $((1000 + RANDOM)) "$PF_FAULTS_SEED"
			files+=("$PF_TMP/sent/$id")
		done
		mailbox_fill "$name" "${files[@]}"
	done
}

faults_daemon_start()
{
	fetch_start run
	PF_DAEMON=$PF_PID
	wait_until 10 "grep -q 'started: at most' '$PF_LOG'"
}

faults_daemon_stop()
{
	kill -TERM "$PF_DAEMON" 2>/dev/null
	fetch_wait
	PF_DAEMON=
}

faults_poll_now()
{
	local name
	for name in $PF_FAULTS_ACCOUNTS; do
		sql "SELECT postfetch.poll_now('$name')" >/dev/null
	done
}

faults_workers()
{
	[ -n "$PF_DAEMON" ] && pgrep -P "$PF_DAEMON"
}

faults_sample()
{
	local kb
	[ -n "$PF_DAEMON" ] || return 0
	kb=$(torture_rss "$PF_DAEMON")
	[ "$kb" -le "$FAULTS_RSS" ] || FAULTS_RSS=$kb
}

faults_recover()
{
	local rc
	faults_poll_now
	faults_settle "$1"
	rc=$?
	ok "everything is delivered, in $FAULTS_SETTLED s" test "$rc" -eq 0
	[ "$rc" -eq 0 ] || diag "what happened, the end:" "$(tail -n 40 "$2")"
	faults_sample
	faults_daemon_stop
	is "$PF_RC" 0 "the daemon stops cleanly"
	FAULTS_RC=$((rc + PF_RC))
}

# True when every mailbox is empty and no poll is open.
_faults_empty()
{
	local name
	for name in $PF_FAULTS_ACCOUNTS; do
		[ "$(mailbox_count "$name")" -eq 0 ] || return 1
	done
	[ "$(sql "SELECT count(*) FROM postfetch.poll WHERE ended IS NULL")" = 0 ]
}

faults_settle()
{
	local start=$SECONDS rc
	wait_until "$1" _faults_empty && postfix_wait_idle 30
	rc=$?
	FAULTS_SETTLED=$((SECONDS - start))
	return "$rc"
}

faults_check()
{
	local area=$1 case=$2 rss=$3 secs=$4 cause=$5 name users=() rc
	local held leases open left dups queued bounced verdict rc_dups=0
	local handed
	shift 5
	for name in $PF_FAULTS_ACCOUNTS; do
		users+=("user${name#f}")
	done
	fetch_compare "$PF_TMP/sent" "${users[@]}"
	dups=$((PF_DUPS - FAULTS_DUPS))
	FAULTS_DUPS=$PF_DUPS
	is "$PF_LOST" 0 "$case: no message lost ($PF_SENT_COUNT sent so far)"
	[ "$PF_LOST" -eq 0 ] || diag "lost, the first ones:" "$(head -n 10 "$PF_TMP/lost")"
	is "$PF_ALTERED" 0 "$case: no copy truncated or altered ($PF_DELIVERED_COUNT delivered)"
	[ "$PF_ALTERED" -eq 0 ] || diag "altered, the first ones:" "$(head -n 10 "$PF_TMP/altered")"
	# messages postfetch handed to sendmail more than once, so far
	handed=$(grep -ao 'message-id=<[^>]*>.*: delivered$' "$PF_TMP/all.log" |
	    sed 's/ .*//' | sort | uniq -c | awk '{ n += $1 - 1 } END { print n + 0 }')
	diag "$case: $dups duplicates, $((handed - FAULTS_HANDED)) handed to sendmail twice by postfetch ($cause)"
	case $cause in
	*"dups: none expected"*"# TODO "*)
		# A known gap: counted and shown, failing nothing.
		is "$((handed - FAULTS_HANDED))" 0 "$case: postfetch handed no message to sendmail twice # TODO ${cause#*# TODO }"
		;;
	*"dups: none expected"*)
		is "$((handed - FAULTS_HANDED))" 0 "$case: postfetch handed no message to sendmail twice"
		rc_dups=$((handed - FAULTS_HANDED))
		[ "$dups" -eq 0 ] ||
		    cause="$cause (Postfix itself delivered $dups again)"
		;;
	esac
	FAULTS_HANDED=$handed
	left=$(find "$PF_TMP/spool" -mindepth 1 | wc -l)
	is "$left" 0 "$case: nothing left in the spool directory"
	held=0
	for name in $PF_FAULTS_ACCOUNTS; do
		[ "$(claim_holders "$name")" = - ] || held=$((held + 1))
	done
	leases=$(sql "SELECT count(*) FROM postfetch.account
	    WHERE lease_owner IS NOT NULL")
	is "$held|$leases" "0|0" "$case: no account stays claimed (no lock, no lease)"
	open=$(sql "SELECT count(*) FROM postfetch.poll WHERE ended IS NULL")
	is "$open" 0 "$case: no poll row left open"
	queued=$(postfix_queue_count)
	is "$queued" 0 "$case: nothing left in the Postfix queue"
	bounced=$(maildir_count postmaster)
	is "$bounced" 0 "$case: nothing bounced to the postmaster"
	rc=$((PF_LOST + PF_ALTERED + rc_dups + left + held + leases + open +
	    queued + bounced))
	verdict=$(torture_verdict "$rc" "$@")
	torture_row faults "$case" "$verdict" "$rss" "$secs" "$PF_LOST" \
	    "$dups" "$cause"
}
