#!/bin/bash
# make bench, the many-accounts cases (issue 9 item 6): postfetch polling
# many accounts in parallel worker processes (postfetch poll, no names,
# within max_parallel and max_per_host) against fetchmail (one rc file
# with a user entry per account: it polls them one after the other) and
# fdm (one config with an account each), over POP3 with STLS from the
# harness Dovecot (one passwd-file user per account), delivered through
# sendmail into the harness Postfix. Each case runs on plain loopback and
# through delay_proxy.py, which adds PF_BENCH_DELAY ms each way between
# collector and Dovecot, as a remote provider would. Reports; never fails
# on a figure (exit 1 only if a tool lost mail). See tests/bench/README.
#
#   tests/bench/accounts.sh            (bench.sh runs it: PF_BENCH_CASES)
#
# Cases (PF_BENCH_ACCOUNT_CASES, default "empty many busy"):
#   empty   PF_BENCH_ACCOUNTS (1000) accounts, no new mail: polls/s and
#           CPU per poll of one full round
#   many    the same accounts, 2 messages each (PF_BENCH_MANY_MESSAGES)
#   busy    PF_BENCH_BUSY (100) accounts, 20 messages each
#           (PF_BENCH_BUSY_MESSAGES)
# Environment: PF_BENCH_NETS ("loopback delay"), PF_BENCH_DELAY (20 ms
# each way), PF_BENCH_ACCOUNT_TOOLS ("postfetch fetchmail fdm"),
# PF_BENCH_MAX_PARALLEL (20) and PF_BENCH_MAX_PER_HOST (20): postfetch's
# limits; PF_BENCH_SERIAL_MAX (100): fetchmail, which polls one account
# after the other, polls at most this many accounts through the delay
# proxy and its time is scaled to all of them (labelled "scaled"; 0: no
# limit); PF_BENCH_SENDMAIL (2): postfetch's max_sendmail per worker;
# PF_BENCH_REPORT (doc/PERFORMANCE.md: its "Many accounts" section is
# replaced; empty: none), PF_BENCH_NOTE, PF_POSTFETCH, PF_KEEP_TMP=1.

source "$(dirname "$0")/../lib/harness.sh"
source "$PF_TOP/tests/integration/fetch_common.sh"
source "$PF_TOP/tests/bench/lib.sh"

ACC_N=${PF_BENCH_ACCOUNTS:-1000}
ACC_BUSY=${PF_BENCH_BUSY:-100}
ACC_BUSY_M=${PF_BENCH_BUSY_MESSAGES:-20}
ACC_MANY_M=${PF_BENCH_MANY_MESSAGES:-2}
ACC_CASES=${PF_BENCH_ACCOUNT_CASES:-empty many busy}
ACC_NETS=${PF_BENCH_NETS:-loopback delay}
ACC_DELAY=${PF_BENCH_DELAY:-20}
ACC_TOOLS=${PF_BENCH_ACCOUNT_TOOLS:-postfetch fetchmail fdm}
ACC_PARALLEL=${PF_BENCH_MAX_PARALLEL:-20}
ACC_PER_HOST=${PF_BENCH_MAX_PER_HOST:-20}
ACC_SERIAL_MAX=${PF_BENCH_SERIAL_MAX:-100}
ACC_REPORT=${PF_BENCH_REPORT-$PF_TOP/doc/PERFORMANCE.md}

case "$ACC_N$ACC_BUSY$ACC_BUSY_M$ACC_MANY_M$ACC_DELAY$ACC_PARALLEL$ACC_PER_HOST$ACC_SERIAL_MAX" in
*[!0-9]*) echo "PF_BENCH_* must be numbers" >&2; exit 2 ;;
esac
[ "$ACC_BUSY" -le "$ACC_N" ] || ACC_BUSY=$ACC_N

# The local part each tool delivers to.
declare -A ACC_RCPT=([postfetch]=acpf [fetchmail]=acfm [fdm]=acfdm)
# Figures of each run, by CASE:NET:TOOL.
declare -A R_N R_MSGS R_RC R_WALL R_DONE R_TREE R_SELF R_POSTFIX R_DOVECOT \
    R_PG R_MACHINE R_DELIV R_DUP R_LOST R_LEFT R_CONN R_OVERLAP R_POLLS \
    R_ERRORS
ACC_KEYS=()

# The messages per account of CASE, and how many accounts it has.
case_messages()
{
	case "$1" in
	empty) echo 0 ;;
	many) echo "$ACC_MANY_M" ;;
	busy) echo "$ACC_BUSY_M" ;;
	esac
}
case_accounts()
{
	case "$1" in
	busy) echo "$ACC_BUSY" ;;
	*) echo "$ACC_N" ;;
	esac
}

# The Dovecot port TOOL connects to over NET.
net_port()
{
	if [ "$1" = delay ]; then echo "$ACC_PROXY_PORT"; else echo "$PF_POP3_PORT"; fi
}

# How many accounts TOOL polls over NET when the case has N: fetchmail
# through the delay at most PF_BENCH_SERIAL_MAX (its time is scaled).
tool_accounts()
{
	local tool=$1 net=$2 n=$3
	if [ "$tool" = fetchmail ] && [ "$net" = delay ] &&
	    [ "$ACC_SERIAL_MAX" -gt 0 ] && [ "$n" -gt "$ACC_SERIAL_MAX" ]; then
		echo "$ACC_SERIAL_MAX"
	else
		echo "$n"
	fi
}

# fetchmail's rc for users 1..N on PORT: one poll entry, a user entry
# each (fetchmail polls them in turn, one session per user), the same
# TLS and the same MDA as fetchmail-mda of bench.sh.
acc_fetchmail_rc()
{
	local n=$1 port=$2 file=$3 i u
	{
		echo "# fetchmail side of tests/bench/accounts.sh"
		echo "poll localhost protocol pop3 port $port auth password"
		for ((i = 1; i <= n; i++)); do
			printf -v u 'a%04d' "$i"
			cat <<-EOF
			    user "$u" there with password "secret" is ${ACC_RCPT[fetchmail]} here
			    fetchall nokeep sslproto 'TLS1.2+' sslcertck sslcertfile "$PF_TEST_CA"
			    mda "$PF_SENDMAIL -i -f %F -- %T"
			EOF
		done
	} >"$file"
	chmod 600 "$file"
}

# fdm's configuration for users 1..N on PORT: an account each, POP3 with
# STARTTLS, the certificate checked, every message piped to sendmail (as
# fdm-pipe of bench.sh).
acc_fdm_conf()
{
	local n=$1 port=$2 file=$3 i u
	{
		echo "# fdm side of tests/bench/accounts.sh"
		echo "set lock-file \"${file%/*}/fdm.lock\""
		echo "set default-user \"root\""
		echo "set verify-certificates"
		# It forks every account at once; connections Dovecot drops
		# would otherwise wait out fdm's default of 900 s.
		echo "set timeout 60"
		for ((i = 1; i <= n; i++)); do
			printf -v u 'a%04d' "$i"
			echo "account \"$u\" pop3 server \"localhost\" port $port user \"$u\" pass \"secret\" starttls"
		done
		echo "action \"deliver\" pipe \"$PF_SENDMAIL -i -f $PF_BENCH_SENDER -- ${ACC_RCPT[fdm]}@example.com\""
		echo "match all action \"deliver\""
	} >"$file"
	chmod 600 "$file"
}

# The command of TOOL polling users 1..N over NET, in BENCH_CMD and
# BENCH_COLLECTOR.
acc_command()
{
	local tool=$1 net=$2 n=$3 port home=$PF_TMP/acc-$1.home
	port=$(net_port "$net")
	mkdir -p "$home"
	chmod 711 "$home"
	case "$tool" in
	postfetch)
		# Only accounts 1..N active, on this port, all due.
		sql "UPDATE postfetch.account SET port = $port,
		    active = (name <= 'a$(printf %04d "$n")'), next_poll = NULL" \
		    >/dev/null
		BENCH_CMD=(env SSL_CERT_FILE="$PF_TEST_CA" "$PF_POSTFETCH" -v
		    -c "$PF_CONF" poll)
		BENCH_COLLECTOR=postfetch
		;;
	fetchmail)
		acc_fetchmail_rc "$n" "$port" "$home/fetchmailrc"
		rm -f "$home/ids"
		BENCH_CMD=(env FETCHMAILHOME="$home" FETCHMAILUSER=root
		    fetchmail --fetchmailrc "$home/fetchmailrc" --nosyslog -N
		    --idfile "$home/ids")
		BENCH_COLLECTOR=fetchmail
		;;
	fdm)
		acc_fdm_conf "$n" "$port" "$home/fdm.conf"
		mkdir -p "$home/tmp"
		chmod 1777 "$home/tmp"
		BENCH_CMD=(env HOME="$home" TMPDIR="$home/tmp"
		    SSL_CERT_FILE="$PF_TEST_CA" fdm -f "$home/fdm.conf" fetch)
		BENCH_COLLECTOR=fdm
		;;
	esac
}

# Messages still on the server, in every user's mailbox.
server_left()
{
	find "$PF_TMP"/dovecot/mail/a[0-9]*/Maildir/new \
	    "$PF_TMP"/dovecot/mail/a[0-9]*/Maildir/cur -type f 2>/dev/null | wc -l
}

# Sample, every 0.1 s until the file STOP exists, the connections
# established to Dovecot's POP3 port (server side, whatever the client
# or the proxy); the largest count goes to OUT.
conn_sampler()
{
	local stop=$1 out=$2 max=0 c
	while [ ! -e "$stop" ]; do
		c=$(ss -Htn state established "( sport = :$PF_POP3_PORT )" | wc -l)
		[ "$c" -le "$max" ] || max=$c
		sleep 0.1
	done
	echo "$max" >"$out"
}

# One run: TOOL polls the accounts of CASE over NET once.
acc_run()
{
	local case=$1 net=$2 tool=$3 key=$1:$2:$3 n m out rcpt figures hz
	local ticks0 ticks1 machine0 machine1 start last_poll want sampler
	n=$(tool_accounts "$tool" "$net" "$(case_accounts "$case")")
	m=$(case_messages "$case")
	rcpt=${ACC_RCPT[$tool]}
	out=$PF_TMP/acc-$case-$net-$tool
	hz=$(getconf CLK_TCK)
	# Every user's mailbox emptied, then M messages for each of 1..N.
	python3 "$PF_BENCH_LIB/accounts.py" fill "$PF_TMP/dovecot/mail" \
	    "$ACC_N" 0 x "$out.none" "$(id -u "$PF_USER")" \
	    "$(id -g "$PF_USER")" || bail "accounts.py fill failed"
	python3 "$PF_BENCH_LIB/accounts.py" fill "$PF_TMP/dovecot/mail" \
	    "$n" "$m" "$case-$net-$tool" "$out.manifest" \
	    "$(id -u "$PF_USER")" "$(id -g "$PF_USER")" ||
	    bail "accounts.py fill failed"
	want=$((n * m))
	[ "$(server_left)" -eq "$want" ] || bail "$key: mailboxes not filled"
	rm -rf "${PF_TMP:?}/mail/$rcpt"
	postfix_wait_idle 60 || bail "$key: Postfix is busy before the run"
	acc_command "$tool" "$net" "$n"
	last_poll=$(sql "SELECT coalesce(max(id), 0) FROM postfetch.poll")
	echo "# $key: $n accounts x $m messages: ${BENCH_CMD[*]:0:8}" >&2
	sync
	rm -f "$out.stop"
	conn_sampler "$out.stop" "$out.conn" &
	sampler=$!
	read -ra ticks0 <<<"$(services_ticks)"
	machine0=$(machine_ticks)
	python3 "$PF_BENCH_LIB/measure.py" -t 1800 "$out.figures" \
	    "$BENCH_COLLECTOR" "${BENCH_CMD[@]}" >"$out.out" 2>"$out.log" </dev/null
	start=$(awk '$1 == "start" { print $2 }' "$out.figures")
	bench_wait_delivered "$rcpt" "$want" $((60 + want / 5))
	postfix_wait_idle 60
	read -ra ticks1 <<<"$(services_ticks)"
	machine1=$(machine_ticks)
	touch "$out.stop"
	wait "$sampler"
	R_N[$key]=$n
	R_MSGS[$key]=$want
	R_RC[$key]=$(awk '$1 == "rc" { print $2 }' "$out.figures")
	R_WALL[$key]=$(awk '$1 == "wall" { print $2 }' "$out.figures")
	R_TREE[$key]=$(awk '$1 == "tree" { print $2 }' "$out.figures")
	R_SELF[$key]=$(awk '$1 == "collector" { print $2 }' "$out.figures")
	if [ "$want" -gt 0 ]; then
		R_DONE[$key]=$(bench_calc "$BENCH_LAST - $start")
	else
		R_DONE[$key]=${R_WALL[$key]}
	fi
	R_POSTFIX[$key]=$(bench_calc "($((ticks1[0] - ticks0[0]))) / $hz")
	R_DOVECOT[$key]=$(bench_calc "($((ticks1[1] - ticks0[1]))) / $hz")
	R_PG[$key]=$(bench_calc "($((ticks1[2] - ticks0[2]))) / $hz")
	R_MACHINE[$key]=$(bench_calc "($((machine1 - machine0))) / $hz")
	R_CONN[$key]=$(cat "$out.conn")
	R_LEFT[$key]=$(server_left)
	figures=$(python3 "$PF_BENCH_LIB/verify.py" "$out.manifest" \
	    "$PF_TMP/mail/$rcpt") || bail "$key: verify.py failed"
	read -r _ "R_DELIV[$key]" _ "R_DUP[$key]" _ "R_LOST[$key]" _ _ _ _ \
	    <<<"$figures"
	R_OVERLAP[$key]=- R_POLLS[$key]=- R_ERRORS[$key]=-
	if [ "$tool" = postfetch ]; then
		# The largest number of polls at once, from the poll rows
		# (an end before a start at the same instant).
		R_OVERLAP[$key]=$(sql "SELECT coalesce(max(c), 0) FROM
		    (SELECT sum(d) OVER (ORDER BY t, d ROWS UNBOUNDED PRECEDING) c
		    FROM (SELECT started t, 1 d FROM postfetch.poll WHERE id > $last_poll
		    UNION ALL SELECT ended, -1 FROM postfetch.poll
		    WHERE id > $last_poll AND ended IS NOT NULL) e) x")
		R_POLLS[$key]=$(sql "SELECT count(*) FROM postfetch.poll WHERE id > $last_poll")
		R_ERRORS[$key]=$(sql "SELECT count(*) FROM postfetch.poll WHERE id > $last_poll AND error IS NOT NULL")
	fi
	echo "# $key: exit ${R_RC[$key]}, $(bench_calc "${R_WALL[$key]}") s," \
	    "$figures, ${R_LEFT[$key]} left on the server," \
	    "at most ${R_CONN[$key]} connections to Dovecot," \
	    "polls ${R_POLLS[$key]} (${R_ERRORS[$key]} failed, at most ${R_OVERLAP[$key]} at once)" >&2
	ACC_KEYS+=("$key")
	[ "${PF_KEEP_TMP:-0}" = 1 ] || rm -rf "${PF_TMP:?}/mail/$rcpt"
}

# The factor by which KEY's times are scaled (all accounts / polled).
scale()
{
	local case=${1%%:*}
	bench_calc "$(case_accounts "$case") / ${R_N[$1]}"
}

# The table of CASE (plain text, also in the report).
acc_table()
{
	local case=$1 net tool key m
	m=$(case_messages "$case")
	printf '%-9s %-9s %5s %8s %8s %9s %8s %8s %8s %8s %6s %5s %10s %4s %4s %4s\n' \
	    net tool polled "round s" "exit s" \
	    "$([ "$m" -eq 0 ] && echo polls/s || echo msg/s)" collector \
	    +sendmail +Dovecot machine conns rc delivered dup lost left
	printf '%-9s %-9s %5s %8s %8s %9s %8s %8s %8s %8s\n' "" "" "" "" "" "" \
	    ms/poll ms/poll ms/poll ms/poll
	for net in $ACC_NETS; do
		for tool in $ACC_TOOLS; do
			key=$case:$net:$tool
			[ -n "${R_N[$key]:-}" ] || continue
			awk -v net="$net" -v tool="$tool" -v n="${R_N[$key]}" \
			    -v all="$(case_accounts "$case")" \
			    -v msgs="${R_MSGS[$key]}" -v w="${R_WALL[$key]}" \
			    -v d="${R_DONE[$key]}" -v self="${R_SELF[$key]}" \
			    -v tree="${R_TREE[$key]}" -v dc="${R_DOVECOT[$key]}" \
			    -v pg="${R_PG[$key]}" -v mach="${R_MACHINE[$key]}" \
			    -v conn="${R_CONN[$key]}" -v rc="${R_RC[$key]}" \
			    -v got="${R_DELIV[$key]}" -v dup="${R_DUP[$key]}" \
			    -v lost="${R_LOST[$key]}" -v left="${R_LEFT[$key]}" 'BEGIN {
				s = all / n
				rate = msgs > 0 ? msgs / d : n / d
				printf "%-9s %-9s %5d %7.1f%1s %8.1f %9.1f %8.2f %8.2f %8.2f %8.2f %6d %5d %10s %4d %4d %4d\n",
				    net, tool, n, d * s, (s > 1 ? "~" : " "), w,
				    rate, 1000 * self / n, 1000 * tree / n,
				    1000 * (tree + dc + pg) / n, 1000 * mach / n,
				    conn, rc, got "/" msgs, dup, lost, left
			}'
		done
	done
}

# The round time of KEY, scaled to all the case's accounts.
round_time()
{
	bench_calc "${R_DONE[$1]} * $(scale "$1")"
}

# The ratios of CASE and its target (plain text, also in the report).
acc_ratios()
{
	local case=$1 net pf fm fdm r target
	for net in $ACC_NETS; do
		pf=$case:$net:postfetch fm=$case:$net:fetchmail fdm=$case:$net:fdm
		[ -n "${R_N[$pf]:-}" ] || continue
		for other in "$fm" "$fdm"; do
			[ -n "${R_N[$other]:-}" ] || continue
			r=$(bench_calc "$(round_time "$other") / $(round_time "$pf")")
			target=
			if [ "$other" = "$fm" ]; then
				case "$case:$net" in
				busy:*) target="target >= 4x: $(bench_target "$r" ">=" 4)" ;;
				empty:delay) target="target >= 10x: $(bench_target "$r" ">=" 10)" ;;
				esac
			fi
			printf '  %-8s one round, %-9s time / postfetch time: %7.2fx%s %s\n' \
			    "$net" "${other##*:}" "$r" \
			    "$(awk "BEGIN { if ($(scale "$other") > 1) print \"~\" }")" "$target"
		done
		if [ "$case" = many ]; then
			printf '  %-8s postfetch: %s polls (%s failed), at most %s at once (max_parallel %s), at most %s connections to the one host (max_per_host %s), %s/%s delivered, %s duplicated: %s\n' \
			    "$net" "${R_POLLS[$pf]}" "${R_ERRORS[$pf]}" \
			    "${R_OVERLAP[$pf]}" "$ACC_PARALLEL" "${R_CONN[$pf]}" \
			    "$ACC_PER_HOST" "${R_DELIV[$pf]}" "${R_MSGS[$pf]}" \
			    "${R_DUP[$pf]}" \
			    "$(awk -v o="${R_OVERLAP[$pf]}" -v c="${R_CONN[$pf]}" \
			    -v p="${R_POLLS[$pf]}" -v n="${R_N[$pf]}" \
			    -v d="${R_DELIV[$pf]}" -v m="${R_MSGS[$pf]}" \
			    -v u="${R_DUP[$pf]}" -v rc="${R_RC[$pf]}" \
			    'BEGIN { print (o <= '"$ACC_PARALLEL"' && c <= '"$ACC_PER_HOST"' && p == n && d == m && u == 0 && rc == 0) ? "target met" : "target not met" }')"
		fi
	done
}

# What the columns mean.
acc_legend()
{
	cat <<-EOF
	round s: from the tool's start until the last message was delivered
	to its maildir (no mail: until it exited), for all the case's
	accounts; a ~ marks a time scaled from the accounts it polled
	(polled) to all of them. exit s: until it exited, unscaled. polls/s
	or msg/s: over what it polled. CPU per account polled: collector, the
	fetcher's own processes; +sendmail, those and all they waited for
	(sh, sendmail, postdrop): user+sys from wait4, as measure.py counts
	it; +Dovecot, that and Dovecot and PostgreSQL (not Postfix); machine,
	the busy CPU of the whole machine, shared with other work and with
	the delay proxy. conns: the most connections established to
	Dovecot's POP3 port at once (sampled every 0.1 s, server side).
	left: messages still on the server after it.
	EOF
}

# The section of the report (Markdown).
acc_section()
{
	local case
	bench_section_head accounts.sh "Many accounts" "$ACC_LOAD0"
	echo "- postfetch $(git -C "$PF_TOP" rev-parse --short HEAD 2>/dev/null), fetchmail $(dpkg-query -W -f '${Version}' fetchmail 2>/dev/null), fdm $(dpkg-query -W -f '${Version}' fdm 2>/dev/null), dovecot $(dpkg-query -W -f '${Version}' dovecot-core 2>/dev/null), postfix $(dpkg-query -W -f '${Version}' postfix 2>/dev/null)"
	echo "- postfetch: \`postfetch poll\` (no names: every active account, in worker processes), max_parallel = $ACC_PARALLEL, max_per_host = $ACC_PER_HOST (every account on host localhost: one provider), max_sendmail = $(bench_inflight), sendmail_mode = $(bench_mode)"
	echo "- fetchmail: one rc file, one poll entry with a user entry per account (polled one after the other), mda sendmail -i; through the delay it polls at most $ACC_SERIAL_MAX accounts and its time is scaled (~)"
	echo "- fdm: one config, an account each, action pipe to sendmail -i. fdm $(dpkg-query -W -f '${Version}' fdm 2>/dev/null | cut -d+ -f1) has no setting for parallel accounts: it forks one child per account, all at once, with no limit"
	echo "- POP3 with STLS, USER/PASS, TLS 1.2+, certificate checked; ~4 KB messages; delay: $ACC_DELAY ms each way (delay_proxy.py)"
	for case in $ACC_CASES; do
		echo
		echo "### $case: $(case_accounts "$case") accounts x $(case_messages "$case") messages"
		echo
		echo '```'
		acc_table "$case"
		acc_ratios "$case"
		echo '```'
	done
	echo
	acc_legend | fold -s -w 76 | sed 's/ *$//'
	echo "<!-- /accounts.sh -->"
}

# Replace the section in the report (or add it at the end).
acc_report()
{
	[ -z "$ACC_REPORT" ] ||
	    bench_replace_section accounts.sh acc_section "$ACC_REPORT"
}

for tool in $ACC_TOOLS; do
	command -v "$tool" >/dev/null || [ "$tool" = postfetch ] ||
	    bail "$tool is not installed (tests/deps.sh)"
done
[ -x "$PF_POSTFETCH" ] || bail "$PF_POSTFETCH is not built (make)"
ACC_LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

# shellcheck disable=SC2034 # read by tests/lib/postfix.sh
PF_MAIL_USERS="${ACC_RCPT[*]}"
fetch_setup
python3 "$PF_BENCH_LIB/accounts.py" users "$ACC_N" >>"$PF_TMP/dovecot/users"
sleep 1.1 # Dovecot re-reads the passwd-file at most once a second
fetch_conf "max_parallel = $ACC_PARALLEL" "max_per_host = $ACC_PER_HOST" \
    "max_sendmail = $(bench_inflight)" "sendmail_mode = $(bench_mode)"
sql "INSERT INTO postfetch.account (name, protocol, host, port, username,
    password, tls, auth, keep, deliver_to)
    SELECT u, 'pop3', 'localhost', $PF_POP3_PORT, u, 'secret', 'starttls',
    'password', false, '${ACC_RCPT[postfetch]}@example.com'
    FROM (SELECT 'a' || lpad(i::text, 4, '0') u
    FROM generate_series(1, $ACC_N) i) s" >/dev/null

case " $ACC_NETS " in
*" delay "*)
	python3 "$PF_BENCH_LIB/delay_proxy.py" "$PF_POP3_PORT" "$ACC_DELAY" \
	    >"$PF_TMP/proxy.out" 2>"$PF_TMP/proxy.log" &
	ACC_PROXY_PID=$!
	harness_at_exit "kill $ACC_PROXY_PID 2>/dev/null"
	wait_until 10 "grep -q '^ready' '$PF_TMP/proxy.out'" ||
	    bail "delay_proxy.py did not start"
	ACC_PROXY_PORT=$(awk '/^ready/ { print $2 }' "$PF_TMP/proxy.out")
	;;
esac

# Every mailbox created and opened once (Dovecot's indexes), so that no
# tool pays for the first login: one unmeasured postfetch round.
python3 "$PF_BENCH_LIB/accounts.py" fill "$PF_TMP/dovecot/mail" "$ACC_N" 0 \
    x "$PF_TMP/none" "$(id -u "$PF_USER")" "$(id -g "$PF_USER")"
SSL_CERT_FILE=$PF_TEST_CA "$PF_POSTFETCH" -c "$PF_CONF" poll \
    >"$PF_TMP/warmup.log" 2>&1 || echo "# warm-up poll: exit $?" >&2

for case in $ACC_CASES; do
	for net in $ACC_NETS; do
		for tool in $ACC_TOOLS; do
			acc_run "$case" "$net" "$tool"
		done
	done
done

echo
for case in $ACC_CASES; do
	echo "$case: $(case_accounts "$case") accounts x $(case_messages "$case") messages"
	acc_table "$case"
	acc_ratios "$case"
	echo
done
acc_legend
acc_report

failed=0
for key in "${ACC_KEYS[@]}"; do
	[ "${R_LOST[$key]}" -eq 0 ] && continue
	echo "FAILED: $key lost ${R_LOST[$key]} messages; $PF_TMP/acc-${key//:/-}.log:"
	tail -n 5 "$PF_TMP/acc-${key//:/-}.log"
	failed=1
done
exit "$failed"
