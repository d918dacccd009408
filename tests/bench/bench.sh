#!/bin/bash
# make bench: postfetch against fetchmail (MDA and SMTP mode), fdm (SMTP
# and pipe) and the injection bound, POP3 with STLS from the harness
# Dovecot into the harness Postfix, each in turn on the same refilled
# mailbox of a deterministic corpus; then postfetch's peak RSS with one big
# message, and its own CPU with a sink sendmail. Prints a table and writes
# doc/PERFORMANCE.md. It reports; it never fails on a figure: it exits 1
# only if a tool lost mail (by Message-ID and body hash) or exited
# non-zero. See tests/bench/README.
#
#   tests/bench/bench.sh [MESSAGES]                 (default 2000)
#
# Environment: PF_BENCH_MESSAGES (MESSAGES, if not given), PF_BENCH_SENDMAIL
# (sendmails in flight: postfetch's max_sendmail and the injection bound's
# N; default 2), PF_BENCH_SEED (the corpus, default 1), PF_BENCH_TOOLS
# (default "postfetch fetchmail-mda fetchmail-smtp fdm-smtp fdm-pipe inject
# postfetch-sink"), PF_BENCH_BIG (bytes of the big message, default
# 52428800; 0: no such run), PF_BENCH_REPORT (default doc/PERFORMANCE.md;
# empty: none), PF_BENCH_NOTE (a paragraph for the report: how busy the
# machine was, what was being changed), PF_POSTFETCH, PF_KEEP_TMP=1.

source "$(dirname "$0")/../lib/harness.sh"
source "$PF_TOP/tests/integration/fetch_common.sh"
source "$PF_TOP/tests/bench/lib.sh"

PF_BENCH_N=${1:-${PF_BENCH_MESSAGES:-2000}}
PF_BENCH_SEED=${PF_BENCH_SEED:-1}
PF_BENCH_BIG=${PF_BENCH_BIG:-52428800}
PF_BENCH_TOOLS=${PF_BENCH_TOOLS:-postfetch fetchmail-mda fetchmail-smtp fdm-smtp fdm-pipe inject inject-i postfetch-sink}
PF_BENCH_REPORT=${PF_BENCH_REPORT-$PF_TOP/doc/PERFORMANCE.md}

# The local part each tool delivers to, so the counts never mix.
# (postfetch-big is the same account: its maildir is emptied before.)
declare -A PF_BENCH_RCPT=([postfetch]=pfbench [postfetch-big]=pfbench
    [fetchmail-mda]=fmmda [fetchmail-smtp]=fmsmtp [fdm-smtp]=fdmsmtp
    [fdm-pipe]=fdmpipe [inject]=inject [inject-i]=injecti
    [postfetch-sink]=sink)
# What verify.py found in each tool's maildir.
declare -A PF_BENCH_DELIVERED PF_BENCH_DUPLICATED PF_BENCH_LOST \
    PF_BENCH_ALTERED PF_BENCH_FOREIGN

# Refuse arguments that are not plain positive numbers.
bench_usage()
{
	echo "usage: $0 [MESSAGES]  (or PF_BENCH_MESSAGES=N)" >&2
	exit 2
}

# Check what landed for TOOL against MANIFEST, then free its maildir.
bench_verify()
{
	local tool=$1 manifest=$2 rcpt=${PF_BENCH_RCPT[$1]} n figures
	n=$(wc -l <"$manifest")
	if [ "$rcpt" = sink ]; then
		# Nothing lands: only the count of what the sink read.
		figures=$(awk -v n="$n" -v got="${PF_BENCH_COUNT[$tool]}" 'BEGIN {
			d = got < n ? got : n
			printf "delivered %d duplicated %d lost %d altered 0 foreign 0\n",
			    d, got - d, n - d
		}')
	else
		figures=$(python3 "$PF_BENCH_LIB/verify.py" "$manifest" \
		    "$PF_TMP/mail/$rcpt" "$PF_TMP/$tool.lost") ||
		    bail "$tool: verify.py failed"
	fi
	read -r _ "PF_BENCH_DELIVERED[$tool]" _ "PF_BENCH_DUPLICATED[$tool]" \
	    _ "PF_BENCH_LOST[$tool]" _ "PF_BENCH_ALTERED[$tool]" \
	    _ "PF_BENCH_FOREIGN[$tool]" <<<"$figures"
	echo "# $tool: $figures" >&2
	[ "${PF_KEEP_TMP:-0}" = 1 ] || rm -rf "${PF_TMP:?}/mail/$rcpt"
}

# True if the machine was busy with other work while TOOL ran: it spent
# over 30% (and 1 ms a message) more CPU than our process trees did.
busy()
{
	[ -n "${PF_BENCH_MACHINE[$1]:-}" ] || return 1
	awk "BEGIN { exit !(${PF_BENCH_MACHINE[$1]} > 1.3 * (${PF_BENCH_CPU[$1]} + ${PF_BENCH_SERVICES[$1]}) + 0.001 * $PF_BENCH_N) }"
}

# The table of every tool's figures (plain text, also in the report).
bench_table()
{
	local tool n=$PF_BENCH_N
	printf '%-15s %7s %7s %7s %9s %9s %8s %7s %7s %6s %9s %4s %4s\n' tool \
	    msg/s "done s" "exit s" collector "+sendmail" "+Postfix" total \
	    machine "RSS" delivered dup lost
	printf '%-15s %7s %7s %7s %9s %9s %8s %7s %7s %6s\n' "" "" "" "" \
	    "ms/msg" "ms/msg" "ms/msg" "ms/msg" "ms/msg" "MB"
	for tool in $PF_BENCH_TOOLS; do
		awk -v t="$tool" -v n="$n" -v w="${PF_BENCH_WALL[$tool]}" \
		    -v d="${PF_BENCH_DONE[$tool]}" -v c="${PF_BENCH_CPU[$tool]}" \
		    -v self="${PF_BENCH_SELF[$tool]}" \
		    -v p="${PF_BENCH_POSTFIX[$tool]}" \
		    -v s="${PF_BENCH_SERVICES[$tool]}" \
		    -v m="${PF_BENCH_MACHINE[$tool]}" -v r="${PF_BENCH_RSS[$tool]}" \
		    -v got="${PF_BENCH_DELIVERED[$tool]}" \
		    -v dup="${PF_BENCH_DUPLICATED[$tool]}" \
		    -v lost="${PF_BENCH_LOST[$tool]}" \
		    -v flag="$(busy "$tool" && echo "*")" 'BEGIN {
			printf "%-15s %7.1f %7.2f %7.2f %9.2f %9.2f %8.2f %7.2f %7.2f%1s %5.1f %9s %4d %4d\n",
			    t, n / d, d, w, 1000 * self / n, 1000 * c / n,
			    1000 * (c + p) / n, 1000 * (c + s) / n, 1000 * m / n,
			    flag, r / 1024, got "/" n, dup, lost
		}'
	done
}

# What the columns mean (plain text, also in the report).
bench_legend()
{
	cat <<-EOF
	msg/s and done s: from the tool's start until local(8) had delivered
	the last message to the tool's maildir; exit s: until the tool exited.
	CPU per message: collector, the fetcher's own processes alone (not
	the sh, sendmail, postdrop they run); +sendmail, the collector and
	every process it waited for; +Postfix, that and Postfix's daemons;
	total, that and Dovecot and PostgreSQL; machine, the busy CPU of the
	whole machine over the same time, whatever else ran on it; a * marks
	a row where it was over 30% above total: other work competed with
	that tool, so its msg/s is less sure than its CPU columns. RSS:
	the peak resident set of the largest collector process (sampled every
	20 ms). delivered, dup, lost: by Message-ID and a SHA-256 of the body
	of each file that landed (postfetch-sink: by count, nothing lands).
	inject is the injection bound: no retrieval, the corpus files straight
	to the same sendmail the way postfetch's sendmail_mode $(bench_mode)
	does it (session: long-lived sendmail -bs; message: sendmail -i -f
	SENDER -- RCPT each), $(bench_inflight) in flight; its collector is
	the small Python loop that drives them. inject-i is the same with
	one sendmail -i per message, $(bench_inflight) in flight: the figures
	that chose sendmail_mode session as postfetch's default.
	EOF
}

# postfetch's messages/s divided by OTHER's, or "n/a".
ratio()
{
	if [ -z "${PF_BENCH_DONE[postfetch]:-}" ] || [ -z "${PF_BENCH_DONE[$1]:-}" ]; then
		echo n/a
		return
	fi
	awk "BEGIN { printf \"%.2f\", ${PF_BENCH_DONE[$1]} / ${PF_BENCH_DONE[postfetch]} }"
}

# postfetch's CPU per message with Postfix divided by OTHER's, or "n/a".
cpu_ratio()
{
	if [ -z "${PF_BENCH_CPU[postfetch]:-}" ] || [ -z "${PF_BENCH_CPU[$1]:-}" ]; then
		echo n/a
		return
	fi
	awk "BEGIN { printf \"%.2f\", (${PF_BENCH_CPU[postfetch]} + ${PF_BENCH_POSTFIX[postfetch]}) / (${PF_BENCH_CPU[$1]} + ${PF_BENCH_POSTFIX[$1]}) }"
}

# "met" or "not met": bench_target VALUE OP LIMIT (awk comparison).
bench_target()
{
	awk "BEGIN { print ($1 $2 $3) ? \"met\" : \"not met\" }"
}

# One line of the ratios: ratio_line OTHER LABEL [TARGET OP LIMIT].
ratio_line()
{
	local r
	r=$(ratio "$1")
	if [ "$r" = n/a ]; then
		# A tool that was not run: only a target says so.
		[ $# -gt 2 ] && printf '  %-34s %7s %10s    msg/s %s %sx%s: not measured\n' \
		    "$2" - - "$4" "$5" "$3"
		return 0
	fi
	printf '  %-34s %6sx %9sx%1s' "$2" "$r" "$(cpu_ratio "$1")" \
	    "$({ busy postfetch || busy "$1"; } && echo "*")"
	[ $# -gt 2 ] &&
	    printf '   msg/s %s %sx%s: %s' "$4" "$5" "$3" "$(bench_target "$r" "$4" "$5")"
	echo
}

# The ratios and the issue's targets (plain text, also in the report).
bench_ratios()
{
	local fm=fetchmail-mda other r
	if [ -n "${PF_BENCH_DONE[fetchmail-smtp]:-}" ] &&
	    { [ -z "${PF_BENCH_DONE[$fm]:-}" ] ||
	    awk "BEGIN { exit !(${PF_BENCH_DONE[fetchmail-smtp]} < ${PF_BENCH_DONE[$fm]}) }"; }; then
		fm=fetchmail-smtp
	fi
	printf '%-36s %7s %10s    %s\n' "postfetch / other" msg/s \
	    "CPU+Postfix" "target (issue 7)"
	ratio_line "$fm" "$fm (faster fetchmail)" "" ">=" 2
	ratio_line inject "inject (injection bound)" " (within 1.25x)" ">=" 0.8
	ratio_line fdm-smtp fdm-smtp
	ratio_line inject-i "inject-i (sendmail -i, no retrieval)"
	for other in fetchmail-mda fetchmail-smtp fdm-pipe; do
		[ "$other" = "$fm" ] || ratio_line "$other" "$other"
	done
	echo "(msg/s: >1 = postfetch faster; CPU per message with Postfix:"
	echo "<1 = postfetch cheaper; *: one of the two rows ran on a busy machine)"
	if [ -n "${PF_BENCH_SELF[postfetch-sink]:-}" ]; then
		r=$(bench_calc "1000 * ${PF_BENCH_SELF[postfetch-sink]} / $PF_BENCH_N")
		printf "postfetch's own CPU, sink sendmail: %.2f ms/msg      target < 0.5 ms: %s\n" \
		    "$r" "$(bench_target "$r" "<" 0.5)"
	fi
	if [ -n "${PF_BENCH_RSS[postfetch-big]:-}" ]; then
		r=$(bench_calc "${PF_BENCH_RSS[postfetch-big]} / 1024")
		printf 'postfetch, one %.0f MB message: peak RSS %.1f MB     target < 16 MB: %s\n' \
		    "$(bench_calc "$PF_BENCH_BIG / 1048576")" "$r" \
		    "$(bench_target "$r" "<" 16)"
		printf '  (%.2f s to deliver it, %.0f ms CPU of its own, delivered %s/1, exit %s)\n' \
		    "${PF_BENCH_DONE[postfetch-big]}" \
		    "$(bench_calc "1000 * ${PF_BENCH_SELF[postfetch-big]}")" \
		    "${PF_BENCH_DELIVERED[postfetch-big]}" \
		    "${PF_BENCH_RC[postfetch-big]}"
	fi
}

# One line on the corpus: count, bytes, median, large ones.
corpus_summary()
{
	sort -n -k3 "$PF_TMP/corpus/manifest" | awk '
		{ size[NR] = $3; total += $3 }
		$3 >= 102400 && $3 < 1048576 { large++ }
		$3 >= 1048576 { huge++ }
		END {
			printf "%d messages, %.1f MB in all, median %.1f KB, %d of 100 KB-1 MB, %d of 1 MB or more (largest %.1f MB)\n",
			    NR, total / 1048576, size[int((NR + 1) / 2)] / 1024,
			    large, huge, size[NR] / 1048576
		}'
}

# Versions of a Debian package.
package_version()
{
	dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo "not installed"
}

# The machine and the versions, as Markdown list items.
bench_environment()
{
	local rev
	rev=$(git -C "$PF_TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
	[ -n "$(git -C "$PF_TOP" status --porcelain -- common fetcher 2>/dev/null)" ] &&
	    rev="$rev + uncommitted changes"
	cat <<-EOF
	- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) memory
	- kernel: $(uname -sr); Debian $(cat /etc/debian_version 2>/dev/null)
	- load average before / after: $PF_BENCH_LOAD0 / $(cut -d' ' -f1-3 /proc/loadavg)
	- postfix $(package_version postfix), dovecot $(package_version dovecot-core), postgresql $(package_version postgresql), openssl $(package_version openssl)
	- fetchmail $(package_version fetchmail), fdm $(package_version fdm), postfetch $rev ($(bench_has_max_sendmail && echo "max_sendmail = $(bench_inflight)" || echo "no max_sendmail key yet: one sendmail at a time"))
	EOF
}

# How long the whole run has taken so far.
elapsed()
{
	printf '%d min %02d s' $((SECONDS / 60)) $((SECONDS % 60))
}

# Write the report (Markdown) to PF_BENCH_REPORT.
bench_report()
{
	{
		echo "# postfetch performance"
		echo
		echo "Written by \`make bench\` (tests/bench/bench.sh; see tests/bench/README)"
		echo "on $(date -u '+%Y-%m-%d %H:%M UTC'), in $(elapsed). Run it again to replace it."
		echo
		if [ -n "${PF_BENCH_NOTE:-}" ]; then
			echo "$PF_BENCH_NOTE" | fold -s -w 76 | sed 's/ *$//'
			echo
		fi
		echo "## Machine and versions"
		echo
		bench_environment
		echo
		echo "## What was measured"
		echo
		cat <<-EOF | fold -s -w 76 | sed 's/ *$//'
		One POP3 mailbox on the harness Dovecot (STLS, TLS 1.2+, the
		certificate checked against the test CA), refilled before each tool
		with the same corpus, delivered into the harness Postfix on loopback
		(local(8) into a maildir per tool), one tool after the other, each
		once. Every fetcher logs in with USER/PASS and deletes what it
		delivered. Corpus (seed $PF_BENCH_SEED): $(corpus_summary).
		EOF
		echo
		echo '```'
		bench_table
		echo '```'
		echo
		bench_legend | fold -s -w 76 | sed 's/ *$//'
		echo
		echo "## Ratios and targets (issue 7)"
		echo
		echo '```'
		bench_ratios
		echo '```'
	} >"$PF_BENCH_REPORT.new"
	mv "$PF_BENCH_REPORT.new" "$PF_BENCH_REPORT"
}

case "$PF_BENCH_N$PF_BENCH_SENDMAIL$PF_BENCH_SEED$PF_BENCH_BIG" in
*[!0-9]* | "") bench_usage ;;
esac
[ "$PF_BENCH_N" -gt 0 ] || bench_usage
[ "$(bench_inflight)" -gt 0 ] || bench_usage
case " $PF_BENCH_TOOLS " in
*" fetchmail-"*)
	command -v fetchmail >/dev/null ||
	    bail "fetchmail is not installed (tests/deps.sh)" ;;
esac
case " $PF_BENCH_TOOLS " in
*" fdm-"*)
	command -v fdm >/dev/null || bail "fdm is not installed (tests/deps.sh)" ;;
esac
[ -x "$PF_POSTFETCH" ] || bail "$PF_POSTFETCH is not built (make)"

PF_BENCH_LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
# shellcheck disable=SC2034 # read by tests/lib/postfix.sh
# Room for the big message (Postfix's default limit is 10 MB).
PF_POSTFIX_EXTRA="message_size_limit = $((PF_BENCH_BIG + 16 * 1048576))"
# shellcheck disable=SC2034 # read by tests/lib/postfix.sh
PF_MAIL_USERS="${PF_BENCH_RCPT[*]}"
fetch_setup bench
bench_setup
python3 "$PF_BENCH_LIB/corpus.py" "$PF_TMP/corpus" "$PF_BENCH_N" \
    "$PF_BENCH_SEED" || bail "corpus.py failed"
PF_BENCH_FILES=("$PF_TMP"/corpus/*.eml)
echo "# corpus: $(corpus_summary)" >&2

for tool in $PF_BENCH_TOOLS; do
	bench_run "$tool"
	bench_verify "$tool" "$PF_TMP/corpus/manifest"
done
if [ "$PF_BENCH_BIG" -gt 0 ]; then
	python3 "$PF_BENCH_LIB/corpus.py" --big "$PF_TMP/big" "$PF_BENCH_BIG" \
	    "$PF_BENCH_SEED" || bail "corpus.py --big failed"
	PF_BENCH_FILES=("$PF_TMP/big/000001.eml")
	bench_run postfetch-big
	bench_verify postfetch-big "$PF_TMP/big/manifest"
fi

echo
echo "$PF_BENCH_N messages, POP3+STLS, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(bench_inflight) sendmails in flight"
echo "corpus: $(corpus_summary)"
echo
bench_table
echo
bench_legend
echo
bench_ratios
echo
echo "The whole run took $(elapsed)."
if [ -n "$PF_BENCH_REPORT" ]; then
	bench_report
	echo "# wrote $PF_BENCH_REPORT"
fi

failed=0
for tool in $PF_BENCH_TOOLS ${PF_BENCH_RC[postfetch-big]+postfetch-big}; do
	[ "${PF_BENCH_LOST[$tool]}" -eq 0 ] && [ "${PF_BENCH_RC[$tool]}" -eq 0 ] &&
	    continue
	echo "FAILED: $tool lost ${PF_BENCH_LOST[$tool]} messages" \
	    "(${PF_BENCH_ALTERED[$tool]} altered copies, ${PF_BENCH_FOREIGN[$tool]}" \
	    "unknown) and exited ${PF_BENCH_RC[$tool]}; the end of its log:"
	tail -n 5 "$PF_TMP/$tool.log"
	failed=1
done
exit "$failed"
