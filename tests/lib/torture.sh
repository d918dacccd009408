# The torture cases' helpers (tests/torture/*.t), sourced after harness.sh
# and tests/integration/fetch_common.sh.
#
# A case reports one row of the reliability table (tests/torture/run
# prints them as one table) with torture_row, and is measured with
# torture_poll: its peak RSS and its wall time.
#
# PF_TORTURE is "quick" (the default, as in make check: cases that fit in
# about a minute per script) or "full" (make torture: every case, the
# long runs at their full size). torture_full says which.

PF_TORTURE=${PF_TORTURE:-quick}

# True in a make torture run.
torture_full()
{
	[ "$PF_TORTURE" = full ]
}

# One row of the table:
# torture_row AREA CASE VERDICT RSS_KB SECONDS LOST DUPLICATES ERROR
# VERDICT is ok or FAIL; RSS_KB, LOST and DUPLICATES may be "-" where they
# mean nothing; ERROR is the error postfetch gave (its log line's cause),
# or what the case observed.
torture_row()
{
	printf '# torture | %s | %s | %s | %s | %s | %s | %s | %s\n' \
	    "$1" "$2" "$3" "$4" "$5" "$6" "$7" "${8//|//}"
}

# The verdict word for a list of commands' exit statuses (0 each: ok).
torture_verdict()
{
	local rc
	for rc in "$@"; do
		[ "$rc" -eq 0 ] || { echo FAIL; return; }
	done
	echo ok
}

# Run postfetch as fetch_run does (ARGS: poll NAME, check NAME, ...), under
# /usr/bin/time: PF_RC, PF_OUT, PF_LOG as after fetch_run, and PF_RSS_KB
# (peak resident set of postfetch and the children it waited for, in KiB)
# and PF_SECS (wall time, seconds with two decimals).
torture_poll()
{
	local rusage=$PF_TMP/rusage
	PF_RUN_PREFIX="/usr/bin/time -q -f %M_%e -o $rusage" fetch_run "$@"
	# time(1) writes "Command terminated by signal N" first on a kill.
	PF_RSS_KB=$(tail -n 1 "$rusage" 2>/dev/null | cut -d_ -f1)
	PF_SECS=$(tail -n 1 "$rusage" 2>/dev/null | cut -d_ -f2)
	PF_RSS_KB=${PF_RSS_KB:--}
	PF_SECS=${PF_SECS:--}
}

# The peak RSS (KiB) of a running process and its descendants, summed
# over what each has now: torture_rss PID. For a daemon sampled in a loop.
torture_rss()
{
	local pid total=0 kb
	for pid in "$1" $(pgrep -P "$1" 2>/dev/null); do
		kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		total=$((total + ${kb:-0}))
	done
	echo "$total"
}
