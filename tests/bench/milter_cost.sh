#!/bin/bash
# make bench, the milter's cost to the site's own mail (issue 10 item 5):
# smtp-source sends ~4 KB messages over SMTP to a virtual(8) mailbox of a
# domain that is no ETRN account's, through one harness Postfix with three
# smtpd listeners that differ only in smtpd_milters: postfetch-milter,
# null_milter.c (a libmilter filter that does nothing: the least any
# libmilter filter costs) and none, in rotating rounds. Prints msg/s of
# each round, the median of each side and the ratios, the machine's CPU
# a message, and each filter's CPU and write(2) calls (its replies to
# Postfix) a message. Reports; never fails on a figure. See
# tests/bench/README.
#
#   tests/bench/milter_cost.sh         (bench.sh runs it: PF_BENCH_CASES)
#
# Environment: PF_BENCH_MILTER_MESSAGES (2000 a round),
# PF_BENCH_MILTER_ROUNDS (5 of each side), PF_BENCH_MILTER_SESSIONS (4:
# smtp-source -s), PF_BENCH_MILTER_SOCKET (inet: 127.0.0.1, as the
# milter tests; unix: a unix-domain socket), PF_BENCH_REPORT
# (doc/PERFORMANCE.md: its "The milter's cost" section is replaced;
# empty: none), PF_BENCH_NOTE.

source "$(dirname "$0")/../integration/milter_common.sh"
source "$PF_TOP/tests/bench/lib.sh"

MC_N=${PF_BENCH_MILTER_MESSAGES:-2000}
MC_ROUNDS=${PF_BENCH_MILTER_ROUNDS:-5}
MC_SESSIONS=${PF_BENCH_MILTER_SESSIONS:-4}
MC_SOCKET=${PF_BENCH_MILTER_SOCKET:-inet}
MC_REPORT=${PF_BENCH_REPORT-$PF_TOP/doc/PERFORMANCE.md}
MC_SOURCE=/usr/sbin/smtp-source
MC_RCPT=bench@vbench.example

case "$MC_N$MC_ROUNDS$MC_SESSIONS" in
*[!0-9]* | "") echo "PF_BENCH_MILTER_* must be numbers" >&2; exit 2 ;;
esac
case "$MC_SOCKET" in
inet | unix) ;;
*) echo "PF_BENCH_MILTER_SOCKET: inet or unix" >&2; exit 2 ;;
esac
[ -x "$MC_SOURCE" ] || bail "$MC_SOURCE is missing (Debian's postfix package)"

# Figures of each round, by SIDE:ROUND (SIDE: milter, null or plain).
declare -A MC_RATE MC_CPU MC_WRITES MC_BUSY
# Messages delivered so far (their files are removed as they are counted).
MC_DELIVERED=0
# Set when a round was run again (what its first try sent lands too).
MC_RETRIED=0

# A filter's CPU ticks (all its threads, live and gone) and write(2)s,
# and the whole machine's busy ticks (user, nice, system, irq, softirq):
# filter_counters PID (0 0 for no filter: PID 0).
filter_counters()
{
	local ticks=0 writes=0 busy
	if [ "$1" != 0 ]; then
		ticks=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
		writes=$(awk '/^syscw:/ { print $2 }' "/proc/$1/io")
	fi
	busy=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
	echo "$ticks $writes $busy"
}

# Wait until Postfix is idle, then count what landed and remove it.
mc_drain()
{
	postfix_wait_idle 300 || bail "Postfix did not drain its queue"
	MC_DELIVERED=$((MC_DELIVERED + $(maildir_count vbench)))
	find "$PF_TMP/mail/vbench" -type f -delete
}

# One round of one side: mc_round SIDE ROUND.
mc_round()
{
	local side=$1 round=$2 port pid t0 t1 c0 c1 try
	case "$side" in
	milter) port=$PF_SMTP_PORT pid=$MILTER_PID ;;
	null) port=$MC_NULL_PORT pid=$MC_NULL_PID ;;
	plain) port=$MC_PLAIN_PORT pid=0 ;;
	esac
	mc_drain
	# A shared machine's disk may be full for a moment (452 4.3.1):
	# the round is run again, up to three times.
	for try in 1 2 3; do
		c0=$(filter_counters "$pid")
		t0=$(date +%s.%N)
		"$MC_SOURCE" -d -s "$MC_SESSIONS" -l 4000 -m "$MC_N" \
		    -f "$PF_BENCH_SENDER" -t "$MC_RCPT" "127.0.0.1:$port" &&
		    break
		[ "$try" -lt 3 ] || bail "smtp-source failed ($side, round $round)"
		echo "# round $round $side: smtp-source failed, again" >&2
		MC_RETRIED=1
		sleep 5
		mc_drain
	done
	t1=$(date +%s.%N)
	c1=$(filter_counters "$pid")
	read -r "MC_RATE[$side:$round]" "MC_CPU[$side:$round]" \
	    "MC_WRITES[$side:$round]" "MC_BUSY[$side:$round]" < <(awk \
	    -v n="$MC_N" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" \
	    -v hz="$(getconf CLK_TCK)" 'BEGIN {
		split(c0, a); split(c1, b)
		printf "%.1f %.3f %.2f %.3f\n", n / (t1 - t0),
		    1000 * (b[1] - a[1]) / hz / n, (b[2] - a[2]) / n,
		    1000 * (b[3] - a[3]) / hz / n
	}')
	echo "# round $round $side: ${MC_RATE[$side:$round]} msg/s," \
	    "machine ${MC_BUSY[$side:$round]} ms/msg," \
	    "filter ${MC_CPU[$side:$round]} ms/msg," \
	    "${MC_WRITES[$side:$round]} writes/msg" >&2
}

# The median of the numbers given.
median()
{
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2)
			m = v[(NR + 1) / 2]
		else
			m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f\n", m
	}'
}

# The figures of SIDE's rounds: mc_values ARRAY SIDE.
mc_values()
{
	local -n values=$1
	local round
	for round in $(seq "$MC_ROUNDS"); do
		echo "${values[$2:$round]}"
	done
}

# Each round's ratio of SIDE to plain: mc_ratios SIDE.
mc_ratios()
{
	local round
	for round in $(seq "$MC_ROUNDS"); do
		echo "$(bench_calc "${MC_RATE[$1:$round]} / ${MC_RATE[plain:$round]}")"
	done
}

# One cell: ROUND's figure of ARRAY for SIDE, or their median for
# ROUND "median": mc_cell ARRAY SIDE ROUND.
mc_cell()
{
	local -n cells=$1
	if [ "$3" = median ]; then
		# shellcheck disable=SC2046 # one number a line
		median $(mc_values "$1" "$2")
	else
		echo "${cells[$2:$3]}"
	fi
}

# The table: each round, the medians, the ratios (plain text).
mc_table()
{
	local round side r
	local -a row
	printf '%-6s %-26s | %-13s | %-20s | %-11s | %s\n' "" msg/s ratio \
	    "machine ms/msg" "filter ms/msg" writes/msg
	printf '%-6s %8s %8s %8s | %6s %6s | %6s %6s %6s | %5s %5s | %5s %5s\n' \
	    round postf. null plain postf. null postf. null plain postf. null \
	    postf. null
	for round in $(seq "$MC_ROUNDS") median; do
		row=()
		for side in milter null plain; do
			row+=("$(mc_cell MC_RATE "$side" "$round")")
		done
		for side in milter null; do
			if [ "$round" = median ]; then
				# shellcheck disable=SC2046 # one number a line
				row+=("$(median $(mc_ratios "$side"))")
			else
				row+=("$(bench_calc "${MC_RATE[$side:$round]} / ${MC_RATE[plain:$round]}")")
			fi
		done
		for side in milter null plain; do
			row+=("$(mc_cell MC_BUSY "$side" "$round")")
		done
		for side in milter null; do
			row+=("$(mc_cell MC_CPU "$side" "$round")")
		done
		for side in milter null; do
			row+=("$(mc_cell MC_WRITES "$side" "$round")")
		done
		printf '%-6s %8.1f %8.1f %8.1f | %6.2f %6.2f | %6.2f %6.2f %6.2f | %5.3f %5.3f | %5.2f %5.2f\n' \
		    "$round" "${row[@]}"
	done
	# Each round's ratio is of runs side by side: the figure to trust
	# when the machine's load drifts.
	# shellcheck disable=SC2046
	r=$(median $(mc_ratios milter))
	printf 'postfetch-milter: median of the rounds'"'"' ratios %.2f, target >= 0.90: %s\n' \
	    "$r" "$(bench_target "$r" ">=" 0.9)"
	# shellcheck disable=SC2046
	printf 'null_milter (any libmilter filter'"'"'s least): %.2f; postfetch-milter / null_milter: %.2f\n' \
	    "$(median $(mc_ratios null))" "$(median $(for round in $(seq "$MC_ROUNDS"); do
		echo "$(bench_calc "${MC_RATE[milter:$round]} / ${MC_RATE[null:$round]}")"
	    done))"
}

# What was measured and what the columns mean (plain text).
mc_legend()
{
	cat <<-EOF
	smtp-source -d -s $MC_SESSIONS -l 4000 -m $MC_N ($MC_SESSIONS SMTP
	sessions at once, each sending message after message) to <$MC_RCPT>,
	a virtual(8) maildir of a domain that is no ETRN account's (one ETRN
	account with 50 aliases and a local recipient are in the database).
	The same Postfix has three smtpd listeners on loopback that differ
	only in smtpd_milters: postfetch-milter (postf.), null_milter (a
	libmilter filter of the same protocol steps that accepts every
	message at the end of its headers and does nothing else: the least
	any libmilter filter costs) or none (plain); milter_protocol 6, no
	-v, $MC_SOCKET sockets. Rounds rotate the order of the three; each
	run starts with an empty queue. msg/s: messages over smtp-source's
	wall time (what smtpd accepted; virtual(8) delivers meanwhile).
	ratio: msg/s over plain's of the same round; the target is on the
	median of postfetch-milter's. machine ms/msg: the CPU time of the
	whole machine (every process) a message while smtp-source ran.
	filter ms/msg: the filter's own CPU (every thread) a message.
	writes/msg: its write(2) calls a message: its replies to Postfix
	(one a protocol round trip) and libmilter's hand-offs of an idle
	connection between its threads.
	EOF
}

# The section of the report (Markdown).
mc_section()
{
	bench_section_head milter_cost.sh "The milter's cost to the site's own mail" \
	    "$MC_LOAD0"
	echo "- postfetch $(git -C "$PF_TOP" rev-parse --short HEAD 2>/dev/null), postfix $(dpkg-query -W -f '${Version}' postfix 2>/dev/null), libmilter $(dpkg-query -W -f '${Version}' libmilter1.0.1 2>/dev/null)"
	echo
	echo '```'
	mc_table
	echo '```'
	echo
	mc_legend | fmt -w 76
	echo "<!-- /milter_cost.sh -->"
}

MC_LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
milter_setup
echo "$MC_RCPT vbench/" >"$PF_POSTFIX_CONF/vmailbox"
# The milter as a site runs it: not verbose; on a unix socket if asked.
milter_stop
if [ "$MC_SOCKET" = unix ]; then
	sed -i "s|^milter_socket = .*|milter_socket = unix:$PF_TMP/milter.sock|" \
	    "$PF_TMP/postfetch.conf"
fi
"$MILTER_BIN" -d -c "$PF_TMP/postfetch.conf" >>"$PF_TMP/milter.log" 2>&1 &
MILTER_PID=$!
if [ "$MC_SOCKET" = unix ]; then
	wait_until 10 "[ -S '$PF_TMP/milter.sock' ]" ||
	    bail "the milter does not listen"
	# Postfix's smtpd (user postfix) is in no group of the milter's user.
	chmod 666 "$PF_TMP/milter.sock"
	postconf -c "$PF_POSTFIX_CONF" -e \
	    "smtpd_milters = unix:$PF_TMP/milter.sock" \
	    "non_smtpd_milters = unix:$PF_TMP/milter.sock" ||
	    bail "cannot point Postfix at the unix socket"
else
	wait_port "$MILTER_PORT" 10 || bail "the milter does not listen"
fi
# The reference filter, built here (libmilter-dev is a build dependency).
MC_NULL_BIN=$PF_TMP/null_milter
cc -std=c11 -O2 -Wall -Wextra -Werror -I/usr/include/libmilter \
    -o "$MC_NULL_BIN" "$PF_TOP/tests/bench/null_milter.c" -lmilter -lpthread ||
    bail "cannot build null_milter"
if [ "$MC_SOCKET" = unix ]; then
	MC_NULL_SOCKET=unix:$PF_TMP/null_milter.sock
	MC_NULL_POSTFIX=$MC_NULL_SOCKET
else
	MC_NULL_MILTER_PORT=$(free_port)
	MC_NULL_SOCKET=inet:$MC_NULL_MILTER_PORT@127.0.0.1
	MC_NULL_POSTFIX=inet:127.0.0.1:$MC_NULL_MILTER_PORT
fi
"$MC_NULL_BIN" "$MC_NULL_SOCKET" >>"$PF_TMP/null_milter.log" 2>&1 &
MC_NULL_PID=$!
harness_at_exit 'kill "$MC_NULL_PID" 2>/dev/null; wait "$MC_NULL_PID" 2>/dev/null'
if [ "$MC_SOCKET" = unix ]; then
	wait_until 10 "[ -S '$PF_TMP/null_milter.sock' ]" ||
	    bail "null_milter does not listen"
	chmod 666 "$PF_TMP/null_milter.sock"
else
	wait_port "$MC_NULL_MILTER_PORT" 10 || bail "null_milter does not listen"
fi

# What a site using postfetch has: an ETRN account, its aliases, a local
# recipient (the milter reads them all; none is for vbench.example).
pg_psql -c "INSERT INTO postfetch.account (name, protocol, host, domain)
    VALUES ('etrn1', 'etrn', 'mx.etrn.example', 'etrn.example')" \
    >/dev/null || bail "cannot add the account"
pg_psql -c "INSERT INTO postfetch.alias (account_id, remote, local)
    SELECT id, 'a' || i || '@etrn.example', 'user' || (i % 9 + 1)
    || '@example.com' FROM postfetch.account, generate_series(1, 50) i" \
    >/dev/null || bail "cannot add the aliases"
pg_psql -c "INSERT INTO postfetch.local_recipient (address)
    VALUES ('alice@example.com')" >/dev/null || bail "cannot add a local recipient"
# A virtual(8) mailbox domain (smtpd wants 1.5 times message_size_limit
# free on the disk: 1 MB is plenty), and two more listeners: the same
# smtpd with null_milter and without a filter.
MC_NULL_PORT=$(free_port)
MC_PLAIN_PORT=$(free_port)
postconf -c "$PF_POSTFIX_CONF" -e "virtual_mailbox_domains = vbench.example" \
    "virtual_mailbox_maps = texthash:$PF_POSTFIX_CONF/vmailbox" \
    "virtual_mailbox_base = $PF_TMP/mail" \
    "virtual_uid_maps = static:$(id -u "$PF_USER")" \
    "virtual_gid_maps = static:$(id -g "$PF_USER")" \
    "message_size_limit = 1048576" ||
    bail "cannot add the virtual domain"
postconf -c "$PF_POSTFIX_CONF" -M \
    "127.0.0.1:$MC_NULL_PORT/inet=127.0.0.1:$MC_NULL_PORT inet n - n - - smtpd -o smtpd_milters=$MC_NULL_POSTFIX" \
    "127.0.0.1:$MC_PLAIN_PORT/inet=127.0.0.1:$MC_PLAIN_PORT inet n - n - - smtpd -o smtpd_milters=" \
    "virtual/unix=virtual unix - n n - - virtual" ||
    bail "cannot add the listener"
postfix_reload
wait_port "$MC_NULL_PORT" 10 || bail "the null_milter smtpd does not answer"
wait_port "$MC_PLAIN_PORT" 10 || bail "the plain smtpd does not answer"

# Twenty unmeasured messages each way: the processes and the directory
# ready.
for port in "$PF_SMTP_PORT" "$MC_NULL_PORT" "$MC_PLAIN_PORT"; do
	"$MC_SOURCE" -m 20 -f "$PF_BENCH_SENDER" -t "$MC_RCPT" \
	    "127.0.0.1:$port" || bail "smtp-source failed"
done
# The order rotates: each side runs first, second and last in turn.
for round in $(seq "$MC_ROUNDS"); do
	case $((round % 3)) in
	1) order="milter null plain" ;;
	2) order="plain milter null" ;;
	0) order="null plain milter" ;;
	esac
	for side in $order; do
		mc_round "$side" "$round"
	done
done
mc_drain
expected=$((3 * MC_N * MC_ROUNDS + 60))

echo
mc_table
echo "delivered $MC_DELIVERED of $expected"
echo
mc_legend
if [ -n "$MC_REPORT" ]; then
	bench_replace_section milter_cost.sh mc_section "$MC_REPORT"
fi
[ "$MC_DELIVERED" -eq "$expected" ] ||
    { [ "$MC_RETRIED" = 1 ] && [ "$MC_DELIVERED" -gt "$expected" ]; } || {
	echo "FAILED: $((expected - MC_DELIVERED)) messages did not land"
	tail -n 5 "$PF_MAILLOG"
	exit 1
}
exit 0
