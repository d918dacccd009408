# shellcheck shell=bash disable=SC2034,SC2153 # the PF_BENCH_* arrays are read, and PF_BENCH_RCPT set, by the scripts
# Shared by the benchmarks (tests/bench/bench.sh, pop3_vs_fetchmail.sh),
# sourced after tests/lib/harness.sh and tests/integration/fetch_common.sh:
# the tools' command lines, one measured run of a tool, and the CPU
# accounting of the services and of the machine. See tests/bench/README.
#
#   bench_setup                the postfetch account "bench" (POP3 user
#                              "bench", STLS, keep = false), and
#                              "bench-imap" (the same user over IMAPS) if
#                              PF_BENCH_RCPT names imap:postfetch; the sink
#                              sendmail and its postfetch config
#   bench_run TOOL             refill the mailbox with PF_BENCH_FILES, run
#                              TOOL once, wait for Postfix, record figures
#   bench_inflight             PF_BENCH_SENDMAIL: sendmails in flight
#   bench_proto TOOL           pop3 or imap: what TOOL fetches over
#   bench_name TOOL            TOOL without its imap: prefix
#
# A TOOL is a name below (over POP3 with STLS), or imap:NAME: the same
# tool over IMAP with implicit TLS (the harness Dovecot's IMAPS port),
# from the same Dovecot user "bench". The script sets, before
# bench_setup: PF_BENCH_RCPT (associative: tool -> the local part it
# delivers to; "sink" for the sink), PF_BENCH_FILES (the message files, in
# mailbox order). bench_run records, per tool, in the associative arrays
# PF_BENCH_<FIGURE>[TOOL]:
#   RC        exit status          COUNT     messages that arrived
#   WALL      s until it exited    DONE      s until the last arrival
#   CPU       CPU s of the tool and of all it waited for (sh, sendmail,
#             postdrop): bash's "times" of it
#   SELF      CPU s of the collector's own processes alone
#   RSS       peak RSS of one collector process, kB
#   POSTFIX   CPU s of the Postfix process tree over the run and delivery
#   OTHERS    the same of Dovecot and PostgreSQL
#   SERVICES  POSTFIX + OTHERS
#   MACHINE   busy CPU s of the whole machine over that time
#
# Tools: postfetch (postfetch poll bench, or bench-imap; postfetch-big is
# the same, for a
# mailbox of one big message), postfetch-sink (its sendmail only reads
# the message), fetchmail-mda, fetchmail-smtp, fdm-smtp,
# fdm-pipe, inject (no retrieval: the files straight to sendmail, N in
# flight) and sendmail-only (inject with one at a time).

PF_BENCH_LIB=$PF_TOP/tests/bench
PF_BENCH_SENDER=sender@example.org

declare -A PF_BENCH_RC PF_BENCH_COUNT PF_BENCH_WALL PF_BENCH_DONE \
    PF_BENCH_CPU PF_BENCH_SELF PF_BENCH_RSS PF_BENCH_POSTFIX PF_BENCH_OTHERS \
    PF_BENCH_SERVICES PF_BENCH_MACHINE

# The number of sendmails in flight: postfetch's max_sendmail and the
# injection bound's N.
bench_inflight()
{
	echo "${PF_BENCH_SENDMAIL:-2}"
}

# How postfetch and the injection bound hand messages to sendmail:
# session (sendmail -bs, postfetch's default) or message (sendmail -i).
bench_mode()
{
	echo "${PF_BENCH_MODE:-session}"
}

# pop3 or imap: the protocol TOOL fetches over (inject and sendmail-only
# fetch nothing: pop3, the default).
bench_proto()
{
	case "$1" in
	imap:*) echo imap ;;
	*) echo pop3 ;;
	esac
}

# TOOL without its protocol prefix.
bench_name()
{
	echo "${1#imap:}"
}

# True if this tree's postfetch knows the max_sendmail key.
bench_has_max_sendmail()
{
	grep -q max_sendmail "$PF_TOP/common/conf.c"
}

# The postfetch account, its configuration (with max_sendmail when the
# tree knows it) and the sink: a sendmail_path that only reads the
# messages and counts them (sink.py).
bench_setup()
{
	account_add bench port="$PF_POP3_PORT" tls="'starttls'" \
	    auth="'password'" keep=false \
	    deliver_to="'${PF_BENCH_RCPT[postfetch]}@example.com'"
	# The same Dovecot user over IMAP with implicit TLS (INBOX).
	if [ -n "${PF_BENCH_RCPT[imap:postfetch]:-}" ]; then
		account_add bench-imap username="'bench'" protocol="'imap'" \
		    port="$PF_IMAPS_PORT" tls="'direct'" auth="'password'" \
		    keep=false \
		    deliver_to="'${PF_BENCH_RCPT[imap:postfetch]}@example.com'"
	fi
	if bench_has_max_sendmail; then
		fetch_conf "max_sendmail = $(bench_inflight)" \
		    "sendmail_mode = $(bench_mode)"
	fi
	# The sink reads each message (sendmail -i, or a -bs session, as
	# postfetch's sendmail_mode says) and counts it.
	: >"$PF_TMP/sink.count"
	sed "s|^sendmail_path = .*|sendmail_path = $PF_BENCH_LIB/sink.py $PF_TMP/sink.count|" \
	    "$PF_CONF" >"$PF_TMP/postfetch-sink.conf"
}

# Write the fetchmail run control file for TOOL (fetchmail-mda or
# fetchmail-smtp, imap: prefixed or not) to FILE. POP3: STLS (fetchmail
# uses it when offered; sslcertck makes it required). IMAP: implicit TLS
# (ssl), and fetchmail's default expunge (after every deletion).
_bench_fetchmail_rc()
{
	local tool=$1 file=$2 mode server tls='' deliver
	mode=${tool##*-}
	if [ "$(bench_proto "$tool")" = imap ]; then
		server="protocol imap port $PF_IMAPS_PORT auth password"
		tls="ssl "
	else
		server="protocol pop3 port $PF_POP3_PORT auth password"
	fi
	if [ "$mode" = mda ]; then
		deliver="mda \"$PF_SENDMAIL -i -f %F -- %T\""
	else
		deliver="smtphost 127.0.0.1/$PF_SMTP_PORT
	    smtpname ${PF_BENCH_RCPT[$tool]}@example.com"
	fi
	cat >"$file" <<-EOF
	# fetchmail side of the benchmarks ($tool)
	poll localhost $server
	    user "bench" there with password "secret"
	    is ${PF_BENCH_RCPT[$tool]} here
	    fetchall nokeep ${tls}sslproto 'TLS1.2+' sslcertck
	    sslcertfile "$PF_TEST_CA"
	    $deliver
	EOF
	chmod 600 "$file"
}

# Write the fdm configuration for TOOL (fdm-smtp or fdm-pipe, imap:
# prefixed or not) to FILE: the same Dovecot user (POP3 with STARTTLS, or
# IMAPS: INBOX, implicit TLS; the certificate checked), every message to
# one action, delivered messages deleted; a private lock file.
_bench_fdm_conf()
{
	local tool=$1 file=$2 mode account action
	mode=${tool##*-}
	if [ "$(bench_proto "$tool")" = imap ]; then
		account="imaps server \"localhost\" port $PF_IMAPS_PORT
	    user \"bench\" pass \"secret\""
	else
		account="pop3 server \"localhost\" port $PF_POP3_PORT
	    user \"bench\" pass \"secret\" starttls"
	fi
	if [ "$mode" = smtp ]; then
		action="smtp server \"127.0.0.1\" port $PF_SMTP_PORT
	    from \"$PF_BENCH_SENDER\" to \"${PF_BENCH_RCPT[$tool]}@example.com\""
	else
		# Run by fdm through /bin/sh -c, as root (default-user).
		action="pipe \"$PF_SENDMAIL -i -f $PF_BENCH_SENDER -- ${PF_BENCH_RCPT[$tool]}@example.com\""
	fi
	cat >"$file" <<-EOF
	# fdm side of the benchmarks ($tool)
	set lock-file "${file%/*}/fdm-$mode.lock"
	set default-user "root"
	set verify-certificates
	account "bench" $account
	action "deliver" $action
	match all action "deliver"
	EOF
	chmod 600 "$file"
}

# The command line of TOOL in the array BENCH_CMD, and in BENCH_COLLECTOR
# the process name (comm) of its collector.
bench_command()
{
	local tool=$1 home=$PF_TMP/$1.home
	mkdir -p "$home"
	chmod 711 "$home"
	case "$(bench_name "$tool")" in
	postfetch | postfetch-big | postfetch-sink)
		local conf=$PF_CONF account=bench
		[ "$(bench_name "$tool")" = postfetch-sink ] &&
		    conf=$PF_TMP/postfetch-sink.conf
		[ "$(bench_proto "$tool")" = imap ] && account=bench-imap
		BENCH_CMD=(env SSL_CERT_FILE="$PF_TEST_CA" "$PF_POSTFETCH" -v
		    -c "$conf" poll "$account")
		BENCH_COLLECTOR=postfetch
		;;
	fetchmail-mda | fetchmail-smtp)
		_bench_fetchmail_rc "$tool" "$home/fetchmailrc"
		rm -f "$home/ids"
		# FETCHMAILUSER=root: as root, fetchmail runs the MDA as this
		# user, and sendmail -C works only for root.
		BENCH_CMD=(env FETCHMAILHOME="$home" FETCHMAILUSER=root
		    fetchmail --fetchmailrc "$home/fetchmailrc" --nosyslog -N
		    --idfile "$home/ids")
		BENCH_COLLECTOR=fetchmail
		;;
	fdm-smtp | fdm-pipe)
		_bench_fdm_conf "$tool" "$home/fdm.conf"
		# As root, fdm fetches in a child running as an unprivileged
		# user, which keeps each message in a file under TMPDIR.
		mkdir -p "$home/tmp"
		chmod 1777 "$home/tmp"
		BENCH_CMD=(env HOME="$home" TMPDIR="$home/tmp"
		    SSL_CERT_FILE="$PF_TEST_CA" fdm -v -f "$home/fdm.conf" fetch)
		BENCH_COLLECTOR=fdm
		;;
	inject | inject-i | sendmail-only)
		local inflight=1 mode=()
		[ "$tool" = sendmail-only ] || inflight=$(bench_inflight)
		if [ "$tool" = inject ] && [ "$(bench_mode)" = session ]; then
			mode=(-bs)
		fi
		BENCH_CMD=(python3 "$PF_BENCH_LIB/inject.py" "${mode[@]}" "$inflight"
		    "$PF_BENCH_SENDER" "${PF_BENCH_RCPT[$tool]}@example.com"
		    "$PF_SENDMAIL" "${PF_BENCH_FILES[@]}")
		BENCH_COLLECTOR=python3
		;;
	*)
		bail "unknown tool $tool"
		;;
	esac
}

# Busy CPU ticks of the whole machine so far (all processes, all cores).
machine_ticks()
{
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}

# CPU ticks used so far by the services, as "POSTFIX DOVECOT POSTGRESQL":
# each master process and all its descendants, those alive and those
# reaped (utime + stime + cutime + cstime of every live process in the
# tree). Other work on the machine is not counted.
services_ticks()
{
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
		my %root;
		@root{@ARGV} = (0 .. $#ARGV);
		my @sum = (0) x @ARGV;
		for my $pid (keys %ticks) {
			for (my $p = $pid; $p > 1; $p = $parent{$p} // 0) {
				next unless defined $root{$p};
				$sum[$root{$p}] += $ticks{$pid};
				last;
			}
		}
		print "@sum\n";' \
	    "$(tr -d ' ' <"$PF_TMP/postfix/queue/pid/master.pid")" \
	    "$(cat "$PF_TMP/dovecot/run/master.pid")" \
	    "$(head -n 1 "$PF_PG_DATA/postmaster.pid")"
}

# Messages that arrived for LOCALPART ("sink": that the sink read),
# counted without forking.
delivered_count()
{
	local files
	if [ "$1" = sink ]; then
		files=$(wc -l 2>/dev/null <"$PF_TMP/sink.count")
		echo "${files:-0}"
		return
	fi
	shopt -s nullglob
	files=("$PF_TMP/mail/$1"/new/* "$PF_TMP/mail/$1"/cur/*)
	shopt -u nullglob
	echo "${#files[@]}"
}

# Wait until COUNT messages arrived for LOCALPART, or until nothing is in
# flight in Postfix and none arrived for 3 s (mail was lost), or TIMEOUT
# seconds. BENCH_LAST: the time (EPOCHREALTIME) of the last arrival.
bench_wait_delivered()
{
	local rcpt=$1 want=$2 timeout=$3 seen=-1 count quiet=0 i
	BENCH_LAST=$EPOCHREALTIME
	for ((i = 0; i < timeout * 10; i++)); do
		count=$(delivered_count "$rcpt")
		if [ "$count" -ne "$seen" ]; then
			seen=$count
			BENCH_LAST=$EPOCHREALTIME
			quiet=0
		fi
		[ "$count" -ge "$want" ] && return 0
		if ((i % 10 == 9)); then
			if postfix_wait_idle 0; then
				quiet=$((quiet + 1))
				[ "$quiet" -ge 3 ] && return 1
			else
				quiet=0
			fi
		fi
		sleep 0.1
	done
	return 1
}

# One figure (seconds, a ratio) with three decimals: bench_calc EXPR.
bench_calc()
{
	awk "BEGIN { printf \"%.3f\", $1 }"
}

# "met" or "not met": bench_target VALUE OP LIMIT (awk comparison).
bench_target()
{
	awk "BEGIN { print ($1 $2 $3) ? \"met\" : \"not met\" }"
}

# The paragraph of PF_BENCH_NOTE, if any, for a report (Markdown).
bench_note()
{
	[ -n "${PF_BENCH_NOTE:-}" ] || return 0
	echo "$PF_BENCH_NOTE" | fold -s -w 76 | sed 's/ *$//'
	echo
}

# The start of a script's section of the report: its marker, TITLE, when
# and how long, the note, the CPU and the load (LOAD0 before, now after):
# bench_section_head SCRIPT TITLE LOAD0.
bench_section_head()
{
	echo "<!-- $1 -->"
	echo "## $2 (tests/bench/$1)"
	echo
	echo "Written by tests/bench/$1 on $(date -u '+%Y-%m-%d %H:%M UTC'), in $(printf '%d min %02d s' $((SECONDS / 60)) $((SECONDS % 60)))."
	echo
	bench_note
	echo "- CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; load before / after: $3 / $(cut -d' ' -f1-3 /proc/loadavg)"
}

# Replace the section NAME of the report FILE (between the lines
# <!-- NAME --> and <!-- /NAME -->) with what FUNCTION prints, or add it
# at the end: bench_replace_section NAME FUNCTION FILE.
bench_replace_section()
{
	local name=$1 function=$2 f=$3
	touch "$f"
	{
		sed "/^<!-- $name -->\$/,/^<!-- \/$name -->\$/d" "$f" |
		    sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
		echo
		"$function"
	} >"$f.new"
	mv "$f.new" "$f"
	echo "# wrote $f" >&2
}

# Fill the mailbox with PF_BENCH_FILES (unless TOOL retrieves nothing),
# run TOOL once under measure.py, wait until Postfix has delivered what
# it will, and record the figures (see the head of this file).
bench_run()
{
	local tool=$1 rcpt=${PF_BENCH_RCPT[$1]} out=$PF_TMP/$1 n=${#PF_BENCH_FILES[@]}
	local ticks0 ticks1 machine0 machine1 start hz
	hz=$(getconf CLK_TCK)
	case "$tool" in
	inject | inject-i | sendmail-only) ;;
	*)
		mailbox_fill bench "${PF_BENCH_FILES[@]}" ||
		    bail "$tool: cannot fill the mailbox"
		[ "$(mailbox_count bench)" -eq "$n" ] ||
		    bail "$tool: the mailbox does not hold $n messages"
		;;
	esac
	postfix_wait_idle 60 || bail "$tool: Postfix is busy before the run"
	# The sink counts what it read in one file: from 0 for each run.
	[ "$rcpt" != sink ] || : >"$PF_TMP/sink.count"
	bench_command "$tool"
	echo "# $tool: ${BENCH_CMD[*]:0:12}" | tr -s '\n\t' '  ' >&2
	echo >&2
	sync
	read -ra ticks0 <<<"$(services_ticks)"
	machine0=$(machine_ticks)
	python3 "$PF_BENCH_LIB/measure.py" -t $((600 + n)) "$out.figures" \
	    "$BENCH_COLLECTOR" "${BENCH_CMD[@]}" >"$out.out" 2>"$out.log" </dev/null
	start=$(awk '$1 == "start" { print $2 }' "$out.figures")
	bench_wait_delivered "$rcpt" "$n" $((60 + n / 5))
	postfix_wait_idle 60
	read -ra ticks1 <<<"$(services_ticks)"
	machine1=$(machine_ticks)
	PF_BENCH_RC[$tool]=$(awk '$1 == "rc" { print $2 }' "$out.figures")
	PF_BENCH_WALL[$tool]=$(awk '$1 == "wall" { print $2 }' "$out.figures")
	PF_BENCH_CPU[$tool]=$(awk '$1 == "tree" { print $2 }' "$out.figures")
	PF_BENCH_SELF[$tool]=$(awk '$1 == "collector" { print $2 }' "$out.figures")
	PF_BENCH_RSS[$tool]=$(awk '$1 == "rss_kb" { print $2 }' "$out.figures")
	PF_BENCH_DONE[$tool]=$(bench_calc "$BENCH_LAST - $start")
	PF_BENCH_POSTFIX[$tool]=$(bench_calc "($((ticks1[0] - ticks0[0]))) / $hz")
	PF_BENCH_OTHERS[$tool]=$(bench_calc \
	    "($((ticks1[1] + ticks1[2] - ticks0[1] - ticks0[2]))) / $hz")
	PF_BENCH_SERVICES[$tool]=$(bench_calc \
	    "${PF_BENCH_POSTFIX[$tool]} + ${PF_BENCH_OTHERS[$tool]}")
	PF_BENCH_MACHINE[$tool]=$(bench_calc "($((machine1 - machine0))) / $hz")
	PF_BENCH_COUNT[$tool]=$(delivered_count "$rcpt")
	echo "# $tool: exit ${PF_BENCH_RC[$tool]}, ${PF_BENCH_COUNT[$tool]}" \
	    "arrived, $(mailbox_count bench) left on the server" >&2
	if [ "$(mailbox_count bench)" -ne 0 ]; then
		# The next tool must start from the same, full mailbox.
		rm -f "$(mailbox_dir bench)"/new/* "$(mailbox_dir bench)"/cur/*
	fi
}
