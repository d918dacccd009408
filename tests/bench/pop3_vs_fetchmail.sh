#!/bin/bash
# Benchmark: postfetch against fetchmail, POP3 with STLS from the harness
# Dovecot into the harness Postfix, in one run on one machine. It measures
# and prints; the only thing it asserts is that every tool delivered every
# message (exit 1 otherwise). Not run by make check. See tests/bench/README.
#
#   tests/bench/pop3_vs_fetchmail.sh [MESSAGES [SIZE_BYTES]]   (500, 4000)
#
# Environment: PF_POSTFETCH (the binary, default $PF_BUILD/fetcher/postfetch),
# PF_BENCH_TOOLS (default "postfetch fetchmail-mda fetchmail-smtp
# sendmail-only postfetch-sink"; sendmail-only is no fetcher but a shell
# loop that runs sendmail once per message file, the floor for
# one-at-a-time collectors; postfetch-sink is postfetch with a sendmail_path
# that only reads the message (sh + cat), its cost without Postfix's),
# PF_KEEP_TMP=1 keeps the temp dir with every tool's output.

source "$(dirname "$0")/../lib/harness.sh"
source "$PF_TOP/tests/integration/fetch_common.sh"

PF_BENCH_N=${1:-500}
PF_BENCH_SIZE=${2:-4000}
PF_BENCH_TOOLS=${PF_BENCH_TOOLS:-postfetch fetchmail-mda fetchmail-smtp sendmail-only postfetch-sink}

# The local part each tool delivers to, so the counts never mix.
declare -A PF_BENCH_RCPT=([postfetch]=pfbench [fetchmail-mda]=fmmda
    [fetchmail-smtp]=fmsmtp [sendmail-only]=smonly [postfetch-sink]=sink)
# The figures of each tool: seconds to exit and to delivered, CPU seconds
# of the tool and of the services, messages delivered, exit status.
declare -A PF_BENCH_WALL PF_BENCH_DONE PF_BENCH_CPU PF_BENCH_SERVICES \
    PF_BENCH_MACHINE PF_BENCH_COUNT PF_BENCH_RC

# Refuse arguments that are not plain positive numbers.
bench_usage()
{
	echo "usage: $0 [MESSAGES [SIZE_BYTES]]" >&2
	exit 2
}

# Write PF_BENCH_N messages of about PF_BENCH_SIZE bytes to DIR.
bench_messages()
{
	mkdir -p "$1"
	perl -e '
		my ($dir, $n, $size) = @ARGV;
		my $line = join("", map { chr(97 + $_ % 26) } 0 .. 71) . "\n";
		for my $i (1 .. $n) {
			my $id = sprintf("%06d", $i);
			my $m = "Return-Path: <sender\@example.org>\n" .
			    "From: Bench Sender <sender\@example.org>\n" .
			    "To: bench\@example.org\n" .
			    "Date: Mon, 23 Nov 2026 10:00:00 +0000\n" .
			    "Message-ID: <bench$id\@example.org>\n" .
			    "Subject: benchmark message $id\n\n";
			$m .= $line while length($m) + length($line) <= $size;
			$m .= "x" x ($size - length($m) - 1) . "\n"
			    if length($m) < $size - 1;
			open(my $f, ">", sprintf("%s/%06d.eml", $dir, $i)) or die;
			print $f $m;
			close($f) or die;
		}' "$1" "$PF_BENCH_N" "$PF_BENCH_SIZE"
}

# Busy CPU ticks of the whole machine so far (all processes, all cores).
machine_ticks()
{
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# CPU ticks used so far by the services (Postfix, Dovecot, PostgreSQL):
# their master processes and all descendants, those alive and those reaped
# (utime + stime + cutime + cstime of every live process in the trees).
# Other work on the machine is not counted.
services_ticks()
{
	local roots
	roots="$(tr -d ' ' <"$PF_TMP/postfix/queue/pid/master.pid")
	    $(cat "$PF_TMP/dovecot/run/master.pid") $(head -n 1 "$PF_PG_DATA/postmaster.pid")"
	# shellcheck disable=SC2086
	perl -e '
		my (%parent, %ticks);
		opendir(my $d, "/proc") or die "/proc: $!\n";
		for my $pid (grep { /^\d+$/ } readdir $d) {
			open(my $f, "<", "/proc/$pid/stat") or next;
			my $stat = <$f> // next;
			my @field = split(" ", substr($stat, rindex($stat, ")") + 2));
			# Fields 4, 14-17 of proc(5), counted from the state (3).
			$parent{$pid} = $field[1];
			$ticks{$pid} = $field[11] + $field[12] + $field[13] + $field[14];
		}
		my %root = map { $_ => 1 } @ARGV;
		my $sum = 0;
		for my $pid (keys %ticks) {
			for (my $p = $pid; $p > 1; $p = $parent{$p} // 0) {
				if ($root{$p}) { $sum += $ticks{$pid}; last }
			}
		}
		print "$sum\n";' $roots
}

# Messages local(8) delivered to LOCALPART (for "sink": that the sink
# read), counted without forking.
delivered_count()
{
	local dir=$PF_TMP/mail/$1 files
	if [ "$1" = sink ]; then
		files=$(wc -l 2>/dev/null <"$PF_TMP/sink.count")
		echo "${files:-0}"
		return
	fi
	shopt -s nullglob
	files=("$dir"/new/* "$dir"/cur/*)
	shopt -u nullglob
	echo "${#files[@]}"
}

# The postfetch account and configuration: STLS, USER/PASS, keep = false.
setup_postfetch()
{
	account_add bench port="$PF_POP3_PORT" tls="'starttls'" \
	    auth="'password'" keep=false \
	    deliver_to="'${PF_BENCH_RCPT[postfetch]}@example.com'"
	printf '#!/bin/sh\n# Reads one message, counts it.\ncat >/dev/null && echo >>%s\n' \
	    "$PF_TMP/sink.count" >"$PF_TMP/sink"
	chmod 755 "$PF_TMP/sink"
	: >"$PF_TMP/sink.count"
	sed "s|^sendmail_path = .*|sendmail_path = $PF_TMP/sink|" "$PF_CONF" \
	    >"$PF_TMP/postfetch-sink.conf"
}

# Write the fetchmail run control file for MODE (mda or smtp) to FILE.
fetchmail_rc()
{
	local mode=$1 file=$2 deliver
	if [ "$mode" = mda ]; then
		deliver="mda \"$PF_SENDMAIL -i -f %F -- %T\""
	else
		deliver="smtphost 127.0.0.1/$PF_SMTP_PORT
	    smtpname ${PF_BENCH_RCPT[fetchmail-smtp]}@example.com"
	fi
	cat >"$file" <<-EOF
	# fetchmail side of tests/bench/pop3_vs_fetchmail.sh ($mode mode)
	poll localhost protocol pop3 port $PF_POP3_PORT auth password
	    user "bench" there with password "secret"
	    is ${PF_BENCH_RCPT[fetchmail-$mode]} here
	    fetchall nokeep sslproto 'TLS1.2+' sslcertck
	    sslcertfile "$PF_TEST_CA"
	    $deliver
	EOF
	chmod 600 "$file"
}

# The command line of TOOL, as words in the array BENCH_CMD.
bench_command()
{
	local tool=$1 home=$PF_TMP/fetchmail
	case "$tool" in
	postfetch)
		BENCH_CMD=(env SSL_CERT_FILE="$PF_TEST_CA" "$PF_POSTFETCH" -v
		    -c "$PF_CONF" poll bench)
		;;
	postfetch-sink)
		BENCH_CMD=(env SSL_CERT_FILE="$PF_TEST_CA" "$PF_POSTFETCH" -v
		    -c "$PF_TMP/postfetch-sink.conf" poll bench)
		;;
	fetchmail-mda | fetchmail-smtp)
		mkdir -p "$home"
		chmod 700 "$home"
		fetchmail_rc "${tool#fetchmail-}" "$home/$tool.rc"
		rm -f "$home/$tool.ids"
		# FETCHMAILUSER=root: as root, fetchmail runs the MDA as this
		# user, and sendmail -C works only for root.
		BENCH_CMD=(env FETCHMAILHOME="$home" FETCHMAILUSER=root
		    fetchmail --fetchmailrc "$home/$tool.rc" --nosyslog -N
		    --idfile "$home/$tool.ids")
		;;
	sendmail-only)
		# shellcheck disable=SC2016 # expanded by that bash
		BENCH_CMD=(bash -c 'for file in "$1"/*.eml; do
		    $2 -i -f sender@example.org -- "$3" <"$file" || exit 1
		    done' sendmail-only "$PF_TMP/messages" "$PF_SENDMAIL"
		    "${PF_BENCH_RCPT[$tool]}@example.com")
		;;
	*)
		bail "unknown tool $tool (PF_BENCH_TOOLS)"
		;;
	esac
}

# Seconds in bash's "times" notation (1m2.345s) as a plain number.
times_seconds()
{
	awk '{ split($0, t, "m"); sub("s", "", t[2]); printf "%.3f\n", t[1] * 60 + t[2] }' <<<"$1"
}

# Fill the mailbox, run TOOL, wait for Postfix, record the figures.
bench_run()
{
	local tool=$1 rcpt=${PF_BENCH_RCPT[$1]} out=$PF_TMP/$1 start end done_at
	local ticks0 ticks1 machine0 machine1 cpu rc timeout
	if [ "$tool" != sendmail-only ]; then
		mailbox_fill bench "$PF_TMP"/messages/*.eml ||
		    bail "$tool: cannot fill the mailbox"
		[ "$(mailbox_count bench)" -eq "$PF_BENCH_N" ] ||
		    bail "$tool: the mailbox does not hold $PF_BENCH_N messages"
	fi
	postfix_wait_idle 60 || bail "$tool: Postfix is busy before the run"
	bench_command "$tool"
	echo "# $tool: ${BENCH_CMD[*]}" | tr -s '\n\t' '  ' >&2
	echo >&2
	sync
	ticks0=$(services_ticks)
	machine0=$(machine_ticks)
	start=$EPOCHREALTIME
	# In a subshell, so "times" gives the CPU of the tool and of every
	# process it waited for (sh, sendmail, postdrop), and nothing else.
	# ("times" not in a pipe: a forked shell starts with no children.)
	(
		"${BENCH_CMD[@]}" >"$out.out" 2>"$out.log" </dev/null
		echo "rc $?" >"$out.times"
		times >>"$out.times"
	)
	end=$EPOCHREALTIME
	rc=$(sed -n 's/^rc //p' "$out.times")
	cpu=$(sed -n 3p "$out.times")
	timeout=$((60 + PF_BENCH_N / 10))
	wait_until "$timeout" \
	    "[ \$(delivered_count $rcpt) -ge $PF_BENCH_N ]"
	done_at=$EPOCHREALTIME
	postfix_wait_idle 60
	ticks1=$(services_ticks)
	machine1=$(machine_ticks)
	PF_BENCH_RC[$tool]=$rc
	PF_BENCH_WALL[$tool]=$(awk "BEGIN { printf \"%.3f\", $end - $start }")
	PF_BENCH_DONE[$tool]=$(awk "BEGIN { printf \"%.3f\", $done_at - $start }")
	PF_BENCH_CPU[$tool]=$(awk -v u="$(times_seconds "${cpu% *}")" \
	    -v s="$(times_seconds "${cpu#* }")" 'BEGIN { printf "%.3f", u + s }')
	PF_BENCH_SERVICES[$tool]=$(awk -v t="$((ticks1 - ticks0))" \
	    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }')
	PF_BENCH_MACHINE[$tool]=$(awk -v t="$((machine1 - machine0))" \
	    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }')
	PF_BENCH_COUNT[$tool]=$(delivered_count "$rcpt")
	echo "# $tool: exit $rc, ${PF_BENCH_COUNT[$tool]} delivered," \
	    "$(mailbox_count bench) left on the server" >&2
	if [ "$(mailbox_count bench)" -ne 0 ]; then
		# The next tool must start from the same, full mailbox.
		rm -f "$(mailbox_dir bench)"/new/* "$(mailbox_dir bench)"/cur/*
	fi
}

# Print the table of every tool's figures.
bench_table()
{
	local tool n=$PF_BENCH_N
	printf '\n%s messages of %s bytes, POP3+STLS, %s cores, load %s, %s\n\n' \
	    "$n" "$PF_BENCH_SIZE" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
	    "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf '%-15s %8s %7s %9s %7s %8s %8s %8s %8s %8s %9s\n' tool \
	    "fetch s" "msg/s" "deliver s" "msg/s" "tool s" "ms/msg" \
	    "services" "total" machine delivered
	printf '%-15s %8s %7s %9s %7s %8s %8s %8s %8s %8s\n' "" "" "" "" "" \
	    "CPU" "CPU" "ms/msg" "ms/msg" "ms/msg"
	for tool in $PF_BENCH_TOOLS; do
		awk -v t="$tool" -v n="$n" -v w="${PF_BENCH_WALL[$tool]}" \
		    -v d="${PF_BENCH_DONE[$tool]}" -v c="${PF_BENCH_CPU[$tool]}" \
		    -v s="${PF_BENCH_SERVICES[$tool]}" \
		    -v m="${PF_BENCH_MACHINE[$tool]}" \
		    -v got="${PF_BENCH_COUNT[$tool]}" 'BEGIN {
			printf "%-15s %8.2f %7.1f %9.2f %7.1f %8.2f %8.1f %8.1f %8.1f %8.1f %9s\n",
			    t, w, n / w, d, n / d, c, 1000 * c / n,
			    1000 * s / n, 1000 * (c + s) / n, 1000 * m / n,
			    got "/" n
		}'
	done
	cat <<-EOF

	fetch s: the tool's run, until it exits; deliver s: until local(8) has
	delivered the last message. tool CPU: user+system of the tool and of the
	processes it waited for (sh, sendmail, postdrop). services: CPU of the
	Postfix, Dovecot and PostgreSQL process trees over the same time (the
	run and the rest of the delivery). total = tool + services. machine:
	busy CPU of the whole machine over that time, whatever else runs on it
	(well above total: the machine was not quiet; compare with care).
	EOF
}

# Print postfetch's figures divided by each other tool's.
bench_ratios()
{
	local tool
	case " $PF_BENCH_TOOLS " in *" postfetch "*) ;; *) return 0 ;; esac
	echo
	echo "Ratios postfetch/other (messages/s: >1 = postfetch faster;" \
	    "CPU: <1 = postfetch cheaper):"
	for tool in $PF_BENCH_TOOLS; do
		case "$tool" in postfetch | postfetch-sink) continue ;; esac
		awk -v t="$tool" \
		    -v pw="${PF_BENCH_WALL[postfetch]}" -v ow="${PF_BENCH_WALL[$tool]}" \
		    -v pd="${PF_BENCH_DONE[postfetch]}" -v od="${PF_BENCH_DONE[$tool]}" \
		    -v pc="${PF_BENCH_CPU[postfetch]}" -v oc="${PF_BENCH_CPU[$tool]}" \
		    -v ps="${PF_BENCH_SERVICES[postfetch]}" \
		    -v os="${PF_BENCH_SERVICES[$tool]}" 'BEGIN {
			printf "  vs %-15s msg/s fetched %5.2fx  delivered %5.2fx   CPU tool %5.2fx  total %5.2fx\n",
			    t, ow / pw, od / pd, pc / oc, (pc + ps) / (oc + os)
		}'
	done
}

case "$PF_BENCH_N$PF_BENCH_SIZE" in
*[!0-9]* | "") bench_usage ;;
esac
if [ "$PF_BENCH_N" -eq 0 ] || [ "$PF_BENCH_SIZE" -lt 300 ]; then
	bench_usage
fi
command -v fetchmail >/dev/null ||
    case " $PF_BENCH_TOOLS " in
    *" fetchmail-"*) bail "fetchmail is not installed (tests/deps.sh)" ;;
    esac

[ -x "$PF_POSTFETCH" ] || bail "$PF_POSTFETCH is not built (make)"

# shellcheck disable=SC2034 # read by tests/lib/postfix.sh
PF_MAIL_USERS="${PF_BENCH_RCPT[*]}"
fetch_setup bench
setup_postfetch
bench_messages "$PF_TMP/messages"
for tool in $PF_BENCH_TOOLS; do
	bench_run "$tool"
done
bench_table
bench_ratios

failed=0
for tool in $PF_BENCH_TOOLS; do
	[ "${PF_BENCH_COUNT[$tool]}" -eq "$PF_BENCH_N" ] &&
	    [ "${PF_BENCH_RC[$tool]}" -eq 0 ] && continue
	echo "FAILED: $tool delivered ${PF_BENCH_COUNT[$tool]} of" \
	    "$PF_BENCH_N and exited ${PF_BENCH_RC[$tool]}; the end of its log:"
	tail -n 5 "$PF_TMP/$tool.log"
	failed=1
done
exit "$failed"
