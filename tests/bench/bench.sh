#!/bin/bash
# make bench: postfetch against fetchmail (MDA and SMTP mode), fdm (SMTP
# and pipe) and the injection bound, over POP3 with STLS and over IMAP
# with implicit TLS from the harness Dovecot into the harness Postfix,
# each in turn on the same refilled mailbox of a deterministic corpus;
# then postfetch's peak RSS with one big message, and its own CPU with a
# sink sendmail, over each protocol. Prints a table per protocol and
# writes doc/PERFORMANCE.md. It reports; it never fails on a figure: it exits 1
# only if a tool lost mail (by Message-ID and body hash) or exited
# non-zero. See tests/bench/README.
#
#   tests/bench/bench.sh [MESSAGES]                 (default 2000)
#
# Environment: PF_BENCH_MESSAGES (MESSAGES, if not given), PF_BENCH_SENDMAIL
# (sendmails in flight: postfetch's max_sendmail and the injection bound's
# N; default 2), PF_BENCH_SEED (the corpus, default 1), PF_BENCH_TOOLS
# (default "postfetch fetchmail-mda fetchmail-smtp fdm-smtp fdm-pipe inject
# postfetch-sink"; inject and inject-i run once, with the first protocol),
# PF_BENCH_PROTOCOLS (default "pop3 imap": a table for each), PF_BENCH_BIG (bytes of the big message, default
# 52428800; 0: no such run), PF_BENCH_REPORT (default doc/PERFORMANCE.md;
# empty: none), PF_BENCH_NOTE (a paragraph for the report: how busy the
# machine was, what was being changed), PF_POSTFETCH, PF_KEEP_TMP=1,
# PF_BENCH_CASES (default "mailbox accounts milter": this script's cases,
# then the many-accounts ones of tests/bench/accounts.sh, then the
# milter's cost of tests/bench/milter_cost.sh; without "mailbox": only
# the others).

source "$(dirname "$0")/../lib/harness.sh"
source "$PF_TOP/tests/integration/fetch_common.sh"
source "$PF_TOP/tests/bench/lib.sh"

PF_BENCH_N=${1:-${PF_BENCH_MESSAGES:-2000}}
PF_BENCH_SEED=${PF_BENCH_SEED:-1}
PF_BENCH_BIG=${PF_BENCH_BIG:-52428800}
PF_BENCH_TOOLS=${PF_BENCH_TOOLS:-postfetch fetchmail-mda fetchmail-smtp fdm-smtp fdm-pipe inject inject-i postfetch-sink}
PF_BENCH_REPORT=${PF_BENCH_REPORT-$PF_TOP/doc/PERFORMANCE.md}
PF_BENCH_PROTOCOLS=${PF_BENCH_PROTOCOLS:-pop3 imap}
PF_BENCH_CASES=${PF_BENCH_CASES:-mailbox accounts milter}

for case in $PF_BENCH_CASES; do
	case "$case" in
	mailbox | accounts | milter) ;;
	*) echo "PF_BENCH_CASES: mailbox, accounts, milter, not $case" >&2; exit 2 ;;
	esac
done

# The cases of PF_BENCH_CASES that other scripts run, each on services
# of its own (those of this script stopped first); false if one failed.
bench_other_cases()
{
	local s failed=0
	for s in $PF_SERVICES; do
		"${s}_stop" >/dev/null 2>&1
	done
	case " $PF_BENCH_CASES " in
	*" accounts "*) "$PF_TOP/tests/bench/accounts.sh" || failed=1 ;;
	esac
	case " $PF_BENCH_CASES " in
	*" milter "*) "$PF_TOP/tests/bench/milter_cost.sh" || failed=1 ;;
	esac
	return "$failed"
}

case " $PF_BENCH_CASES " in
*" mailbox "*) ;;
*) bench_other_cases; exit ;;
esac

# The local part each tool delivers to, so the counts never mix.
# (postfetch-big is the same account: its maildir is emptied before.)
# Over IMAP (imap:TOOL, tests/bench/lib.sh), the same with an i before.
declare -A PF_BENCH_RCPT=([postfetch]=pfbench [postfetch-big]=pfbench
    [fetchmail-mda]=fmmda [fetchmail-smtp]=fmsmtp [fdm-smtp]=fdmsmtp
    [fdm-pipe]=fdmpipe [inject]=inject [inject-i]=injecti
    [postfetch-sink]=sink
    [imap:postfetch]=ipfbench [imap:postfetch-big]=ipfbench
    [imap:fetchmail-mda]=ifmmda [imap:fetchmail-smtp]=ifmsmtp
    [imap:fdm-smtp]=ifdmsmtp [imap:fdm-pipe]=ifdmpipe
    [imap:postfetch-sink]=sink)
# The tools run, in order (bench_key of each), and the rows of each
# protocol's table.
PF_BENCH_RUN=()
declare -A PF_BENCH_ROWS
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

# The key of TOOL over PROTO: TOOL itself over POP3 and for the tools
# that fetch nothing, imap:TOOL over IMAP.
bench_key()
{
	case "$1:$2" in
	pop3:* | *:inject | *:inject-i) echo "$2" ;;
	*) echo "$1:$2" ;;
	esac
}

# The protocol's title: POP3 or IMAP and how TLS is used.
proto_title()
{
	case "$1" in
	pop3) echo "POP3 (STLS)" ;;
	imap) echo "IMAP (IMAPS: implicit TLS)" ;;
	esac
}

# The table of every tool's figures over PROTO (plain text, also in the
# report): bench_table PROTO.
bench_table()
{
	local tool n=$PF_BENCH_N
	printf '%-15s %7s %7s %7s %9s %9s %8s %7s %7s %6s %9s %4s %4s\n' tool \
	    msg/s "done s" "exit s" collector "+sendmail" "+Postfix" total \
	    machine "RSS" delivered dup lost
	printf '%-15s %7s %7s %7s %9s %9s %8s %7s %7s %6s\n' "" "" "" "" \
	    "ms/msg" "ms/msg" "ms/msg" "ms/msg" "ms/msg" "MB"
	for tool in ${PF_BENCH_ROWS[$1]}; do
		awk -v t="$(bench_name "$tool")" -v n="$n" -v w="${PF_BENCH_WALL[$tool]}" \
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

# postfetch's messages/s (postfetch over the protocol of BENCH_PF, the
# key of that postfetch row) divided by OTHER's, or "n/a".
ratio()
{
	local pf=$BENCH_PF
	if [ -z "${PF_BENCH_DONE[$pf]:-}" ] || [ -z "${PF_BENCH_DONE[$1]:-}" ]; then
		echo n/a
		return
	fi
	awk "BEGIN { printf \"%.2f\", ${PF_BENCH_DONE[$1]} / ${PF_BENCH_DONE[$pf]} }"
}

# That postfetch's CPU per message with Postfix divided by OTHER's, or
# "n/a".
cpu_ratio()
{
	local pf=$BENCH_PF
	if [ -z "${PF_BENCH_CPU[$pf]:-}" ] || [ -z "${PF_BENCH_CPU[$1]:-}" ]; then
		echo n/a
		return
	fi
	awk "BEGIN { printf \"%.2f\", (${PF_BENCH_CPU[$pf]} + ${PF_BENCH_POSTFIX[$pf]}) / (${PF_BENCH_CPU[$1]} + ${PF_BENCH_POSTFIX[$1]}) }"
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
	    "$({ busy "$BENCH_PF" || busy "$1"; } && echo "*")"
	[ $# -gt 2 ] &&
	    printf '   msg/s %s %sx%s: %s' "$4" "$5" "$3" "$(bench_target "$r" "$4" "$5")"
	echo
}

# The ratios over PROTO and the issue's targets (plain text, also in the
# report): bench_ratios PROTO. Each ratio is to the other tools over the
# same protocol, and to the injection bound (no protocol).
bench_ratios()
{
	local proto=$1 fm other r k target=7 key
	BENCH_PF=$(bench_key "$proto" postfetch)
	fm=$(bench_key "$proto" fetchmail-mda)
	k=$(bench_key "$proto" fetchmail-smtp)
	if [ -n "${PF_BENCH_DONE[$k]:-}" ] &&
	    { [ -z "${PF_BENCH_DONE[$fm]:-}" ] ||
	    awk "BEGIN { exit !(${PF_BENCH_DONE[$k]} < ${PF_BENCH_DONE[$fm]}) }"; }; then
		fm=$k
	fi
	[ "$proto" = pop3 ] || target="7, as POP3"
	printf '%-36s %7s %10s    %s\n' "postfetch / other" msg/s \
	    "CPU+Postfix" "target (issue $target)"
	ratio_line "$fm" "$(bench_name "$fm") (faster fetchmail)" "" ">=" 2
	ratio_line inject "inject (injection bound)" " (within 1.25x)" ">=" 0.8
	ratio_line "$(bench_key "$proto" fdm-smtp)" fdm-smtp
	ratio_line inject-i "inject-i (sendmail -i, no retrieval)"
	for other in fetchmail-mda fetchmail-smtp fdm-pipe; do
		k=$(bench_key "$proto" "$other")
		[ "$k" = "$fm" ] || ratio_line "$k" "$other"
	done
	if [ "$proto" != pop3 ] && [ -n "${PF_BENCH_DONE[postfetch]:-}" ]; then
		ratio_line postfetch "postfetch over POP3"
	fi
	echo "(msg/s: >1 = postfetch faster; CPU per message with Postfix:"
	echo "<1 = postfetch cheaper; *: one of the two rows ran on a busy machine)"
	key=$(bench_key "$proto" postfetch-sink)
	if [ -n "${PF_BENCH_SELF[$key]:-}" ]; then
		r=$(bench_calc "1000 * ${PF_BENCH_SELF[$key]} / $PF_BENCH_N")
		printf "postfetch's own CPU, sink sendmail: %.2f ms/msg      target < 0.5 ms: %s\n" \
		    "$r" "$(bench_target "$r" "<" 0.5)"
	fi
	key=$(bench_key "$proto" postfetch-big)
	if [ -n "${PF_BENCH_RSS[$key]:-}" ]; then
		r=$(bench_calc "${PF_BENCH_RSS[$key]} / 1024")
		printf 'postfetch, one %.0f MB message: peak RSS %.1f MB     target < 16 MB: %s\n' \
		    "$(bench_calc "$PF_BENCH_BIG / 1048576")" "$r" \
		    "$(bench_target "$r" "<" 16)"
		printf '  (%.2f s to deliver it, %.0f ms CPU of its own, delivered %s/1, exit %s)\n' \
		    "${PF_BENCH_DONE[$key]}" \
		    "$(bench_calc "1000 * ${PF_BENCH_SELF[$key]}")" \
		    "${PF_BENCH_DELIVERED[$key]}" \
		    "${PF_BENCH_RC[$key]}"
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

# The protocols, in words: "POP3 and IMAP".
bench_protocols_text()
{
	local words
	read -ra words <<<"${PF_BENCH_PROTOCOLS^^}"
	words=("${words[*]}")
	echo "${words[0]// / and }"
}

# The order of the runs, when there are several protocols.
bench_order_text()
{
	local words
	read -ra words <<<"${PF_BENCH_PROTOCOLS^^}"
	[ "${#words[@]}" -gt 1 ] || return 0
	echo " (every tool over ${words[0]} first, then over ${words[*]:1})"
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
		bench_note
		echo "## Machine and versions"
		echo
		bench_environment
		echo
		echo "## What was measured"
		echo
		cat <<-EOF | fmt -w 72
		One mailbox on the harness Dovecot, over $(bench_protocols_text),
		refilled before each tool with the same corpus, delivered into the
		harness Postfix on loopback (local(8) into a maildir per tool), one
		tool after the other, each once$(bench_order_text). POP3: STLS,
		USER/PASS. IMAP: implicit TLS on the IMAPS port, INBOX, LOGIN (fdm:
		AUTHENTICATE CRAM-MD5, its preference). TLS 1.2+, the certificate
		checked against the test CA. Every fetcher deletes what it
		delivered (IMAP: fetchmail expunges after each message, its
		default; fdm at CLOSE; postfetch with UID STORE and UID EXPUNGE once
		the folder is fetched).
		Corpus (seed $PF_BENCH_SEED): $(corpus_summary).
		EOF
		for proto in $PF_BENCH_PROTOCOLS; do
			echo
			echo "## $(proto_title "$proto")"
			echo
			echo '```'
			bench_table "$proto"
			echo
			bench_ratios "$proto"
			echo '```'
		done
		echo
		echo "## The columns"
		echo
		bench_legend | fold -s -w 76 | sed 's/ *$//'
		# The sections of accounts.sh and milter_cost.sh stay.
		for section in accounts.sh milter_cost.sh; do
			if [ -f "$PF_BENCH_REPORT" ] &&
			    grep -q "^<!-- $section -->\$" "$PF_BENCH_REPORT"; then
				echo
				sed -n "/^<!-- $section -->\$/,/^<!-- \/$section -->\$/p" \
				    "$PF_BENCH_REPORT"
			fi
		done
	} >"$PF_BENCH_REPORT.new"
	mv "$PF_BENCH_REPORT.new" "$PF_BENCH_REPORT"
}

case "$PF_BENCH_N${PF_BENCH_SENDMAIL:-}$PF_BENCH_SEED$PF_BENCH_BIG" in
*[!0-9]* | "") bench_usage ;;
esac
for proto in $PF_BENCH_PROTOCOLS; do
	case "$proto" in
	pop3 | imap) ;;
	*) echo "PF_BENCH_PROTOCOLS: pop3, imap or both, not $proto" >&2; exit 2 ;;
	esac
done
[ -n "${PF_BENCH_PROTOCOLS// /}" ] || bench_usage
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
echo "# corpus: $(corpus_summary)" >&2
if [ "$PF_BENCH_BIG" -gt 0 ]; then
	python3 "$PF_BENCH_LIB/corpus.py" --big "$PF_TMP/big" "$PF_BENCH_BIG" \
	    "$PF_BENCH_SEED" || bail "corpus.py --big failed"
fi

# Every tool over each protocol in turn (inject and inject-i, which fetch
# nothing, once), then the big message over that protocol.
for proto in $PF_BENCH_PROTOCOLS; do
	PF_BENCH_FILES=("$PF_TMP"/corpus/*.eml)
	for tool in $PF_BENCH_TOOLS; do
		key=$(bench_key "$proto" "$tool")
		[ -z "${PF_BENCH_RC[$key]:-}" ] || continue
		bench_run "$key"
		bench_verify "$key" "$PF_TMP/corpus/manifest"
		PF_BENCH_RUN+=("$key")
		PF_BENCH_ROWS[$proto]="${PF_BENCH_ROWS[$proto]:-} $key"
	done
	if [ "$PF_BENCH_BIG" -gt 0 ]; then
		key=$(bench_key "$proto" postfetch-big)
		PF_BENCH_FILES=("$PF_TMP/big/000001.eml")
		bench_run "$key"
		bench_verify "$key" "$PF_TMP/big/manifest"
		PF_BENCH_RUN+=("$key")
	fi
done

echo
echo "$PF_BENCH_N messages, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(bench_inflight) sendmails in flight"
echo "corpus: $(corpus_summary)"
for proto in $PF_BENCH_PROTOCOLS; do
	echo
	proto_title "$proto"
	echo
	bench_table "$proto"
	echo
	bench_ratios "$proto"
done
echo
bench_legend
echo
echo "The whole run took $(elapsed)."
if [ -n "$PF_BENCH_REPORT" ]; then
	bench_report
	echo "# wrote $PF_BENCH_REPORT"
fi

failed=0
for tool in "${PF_BENCH_RUN[@]}"; do
	[ "${PF_BENCH_LOST[$tool]}" -eq 0 ] && [ "${PF_BENCH_RC[$tool]}" -eq 0 ] &&
	    continue
	echo "FAILED: $tool lost ${PF_BENCH_LOST[$tool]} messages" \
	    "(${PF_BENCH_ALTERED[$tool]} altered copies, ${PF_BENCH_FOREIGN[$tool]}" \
	    "unknown) and exited ${PF_BENCH_RC[$tool]}; the end of its log:"
	tail -n 5 "$PF_TMP/$tool.log"
	failed=1
done
# Then the many-accounts cases and the milter's cost.
bench_other_cases || failed=1
exit "$failed"
