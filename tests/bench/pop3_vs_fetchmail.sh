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
# sendmail-only postfetch-sink"; sendmail-only is no fetcher but a loop
# (tests/bench/inject.py) that runs sendmail once per message file, one at
# a time, the floor for one-at-a-time collectors; postfetch-sink is
# postfetch with a sendmail_path that only reads the message (sh + cat),
# its cost without Postfix's), PF_BENCH_SENDMAIL (postfetch's max_sendmail,
# where it has that key; default 2), PF_KEEP_TMP=1 keeps the temp dir with
# every tool's output. The tools' command lines and the measuring are
# tests/bench/lib.sh's, shared with bench.sh.

source "$(dirname "$0")/../lib/harness.sh"
source "$PF_TOP/tests/integration/fetch_common.sh"
source "$PF_TOP/tests/bench/lib.sh"

PF_BENCH_N=${1:-500}
PF_BENCH_SIZE=${2:-4000}
PF_BENCH_TOOLS=${PF_BENCH_TOOLS:-postfetch fetchmail-mda fetchmail-smtp sendmail-only postfetch-sink}

# The local part each tool delivers to, so the counts never mix.
declare -A PF_BENCH_RCPT=([postfetch]=pfbench [fetchmail-mda]=fmmda
    [fetchmail-smtp]=fmsmtp [sendmail-only]=smonly [postfetch-sink]=sink)

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
bench_setup
bench_messages "$PF_TMP/messages"
PF_BENCH_FILES=("$PF_TMP"/messages/*.eml)
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
