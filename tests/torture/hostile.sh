# The hostile-server cases' checks (tests/torture/*_hostile.t), sourced
# after harness.sh, fetch_common.sh and torture.sh.
#
#   hostile_setup                  services, timeout = $TIMEOUT (3 s);
#                                  LONG (a long line: 10 MB, 100 MB in
#                                  full), TLS and OTHER (a peer's arguments
#                                  for the localhost and the other.example
#                                  certificates), $PF_TMP/short (a message
#                                  of empty lines, for a trickle)
#   hostile_store NAME PREFIX [FIRST]  a peer's --store of two messages,
#                                  files PREFIX1 and PREFIX2, their
#                                  Message-IDs and bodies naming NAME-1 and
#                                  NAME-2 (FIRST: the first one's file);
#                                  prints its directory
#   hostile_check AREA NAME EXPECT STORE   after torture_poll poll NAME:
#                                  the log and the account's last_error
#                                  match EXPECT (ERE; "ok:ERE": the poll
#                                  succeeds, its log matching ERE), given
#                                  up within 3
#                                  timeouts, RSS under $RSS_BOUND_KB, and
#                                  every message either still in STORE or
#                                  delivered whole to trent (STORE "-": no
#                                  messages, as with ETRN); one torture_row
TIMEOUT=3
# 128 MiB: a listing at the drivers' cap (1,000,000 messages) takes
# about 100 MB; everything else stays near 10 MB.
RSS_BOUND_KB=$((128 * 1024))
# ASan holds freed memory in quarantine (256 MB by default): the bound
# is for the plain build, this one only catches what grows without end.
case "$PF_BUILD" in */asan) RSS_BOUND_KB=$((512 * 1024)) ;; esac

hostile_setup()
{
	fetch_setup
	fetch_conf "timeout = $TIMEOUT"
	LONG=$((10 * 1024 * 1024))
	torture_full && LONG=$((100 * 1024 * 1024))
	TLS=(--tls-cert "$PF_TLS_CERT" --tls-key "$PF_TLS_KEY")
	OTHER=(--tls-cert "$PF_OTHER_CERT" --tls-key "$PF_OTHER_KEY")
	hostile_short_lines "$PF_TMP/short" trickle-1
}

hostile_store()
{
	local dir=$PF_TMP/store-$1
	mkdir -p "$dir"
	small_message "$dir/${2}1" "$1-1"
	[ -z "$3" ] || cp "$3" "$dir/${2}1"
	small_message "$dir/${2}2" "$1-2"
	echo "$dir"
}

# A message of empty lines (a trickle of a byte a second brings each one
# within the timeout), ending as small_message's do:
# hostile_short_lines FILE ID
hostile_short_lines()
{
	{
		printf '\n%.0s' $(seq 40)
		printf 'Body of %s.\n' "$2"
	} >"$1"
}

hostile_check()
{
	local area=$1 name=$2 expect=$3 store=$4 rc_log rc_time rc_rss rc_kept
	local error last files whole copies left lost dups=0
	last=$(sql "SELECT coalesce(last_error, '') FROM postfetch.account
	    WHERE name = '$name'")
	if [ "${expect#ok:}" != "$expect" ]; then
		# a poll that must succeed, its log saying EXPECT
		expect=${expect#ok:}
		[ "$PF_RC" = 0 ] && [ -z "$last" ] &&
		    grep -Eq "account=$name .*$expect" "$PF_LOG"
	else
		grep -Eq "account=$name .*$expect" "$PF_LOG" &&
		    grep -Eq -- "$expect" <<<"$last"
	fi
	rc_log=$?
	ok "$area $name: the log and the account's last error say why ($last)" \
	    test "$rc_log" -eq 0
	log_on_failure "$rc_log"
	error=$(grep -E "account=$name .*$expect" "$PF_LOG" | tail -n 1 |
	    sed 's/.*account=[^:]*: //')
	awk -v s="$PF_SECS" -v t=$((3 * TIMEOUT)) 'BEGIN { exit !(s <= t) }'
	rc_time=$?
	ok "$area $name: gave up in $PF_SECS s (at most $((3 * TIMEOUT)))" \
	    test "$rc_time" -eq 0
	[ "$PF_RSS_KB" -le "$RSS_BOUND_KB" ] 2>/dev/null
	rc_rss=$?
	ok "$area $name: peak RSS $PF_RSS_KB KiB (at most $RSS_BOUND_KB)" \
	    test "$rc_rss" -eq 0
	# What was delivered (once Postfix is done with it), whole or not.
	[ "$(sql "SELECT count(*) FROM postfetch.seen s JOIN postfetch.account a
	    ON a.id = s.account_id WHERE a.name = '$name'")" = 0 ] ||
	    postfix_wait_idle 20
	files=$(grep -lE "^(Message-ID: <$name-[0-9]@|Body of $name-[0-9]\.\$)" \
	    $(maildir_files trent) /dev/null)
	copies=$(grep -c . <<<"$files")
	whole=$(grep -h "^Body of $name-[0-9]\.\$" $files /dev/null | sort -u |
	    grep -c .)
	dups=$(($(grep -h "^Body of $name-[0-9]\.\$" $files /dev/null |
	    grep -c .) - whole))
	if [ "$store" = - ]; then
		left=2
	else
		left=$(find "$store" -type f | grep -c .)
	fi
	lost=$((2 - left - whole))
	[ "$lost" -lt 0 ] && lost=0
	[ "$lost" -eq 0 ] && [ "$dups" -eq 0 ] &&
	    [ "$copies" -eq $((whole + dups)) ]
	rc_kept=$?
	if [ "$store" = - ]; then
		lost=- dups=-
	else
		ok "$area $name: nothing lost, cut or doubled ($left of 2 left, $whole delivered whole, $copies copies)" \
		    test "$rc_kept" -eq 0
	fi
	torture_row "$area" "$name" \
	    "$(torture_verdict $rc_log $rc_time $rc_rss $rc_kept)" \
	    "$PF_RSS_KB" "$PF_SECS" "$lost" "$dups" "$(cut -c1-120 <<<"${error:-$last}")"
}
