# Test harness for the integration tests: sourced by tests/integration/*.t.
#
# Throwaway PostgreSQL, Postfix and Dovecot instances on 127.0.0.1 and free
# ports, all under one temp dir per test script, always stopped on exit
# (also when a test fails or the script is interrupted). See tests/README.
#
#   source "$(dirname "$0")/../lib/harness.sh"
#   harness_init
#   pg_start; postfix_start; dovecot_start     (or: harness_start pg postfix dovecot)

PF_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PF_TOP=${PF_TOP:-$(cd "$PF_LIB/../.." && pwd)}
PF_BUILD=${PF_BUILD:-$PF_TOP}
export PF_TOP PF_BUILD

# Services run as this unprivileged user (PostgreSQL, mail delivery).
PF_USER=${PF_USER:-nobody}
PF_GROUP=$(id -gn "$PF_USER")

# shellcheck source=tests/lib/tap.sh
source "$PF_LIB/tap.sh"
# shellcheck source=tests/lib/procs.sh
source "$PF_LIB/procs.sh"
# shellcheck source=tests/lib/pg.sh
source "$PF_LIB/pg.sh"
# shellcheck source=tests/lib/certs.sh
source "$PF_LIB/certs.sh"
# shellcheck source=tests/lib/postfix.sh
source "$PF_LIB/postfix.sh"
# shellcheck source=tests/lib/dovecot.sh
source "$PF_LIB/dovecot.sh"

PF_TMP=
PF_SERVICES=
PF_AT_EXIT=

# Make the temp dir and install the cleanup trap. Call once, first.
harness_init()
{
	[ "$(id -u)" -eq 0 ] || bail "the integration tests must run as root"
	PF_TMP=$(mktemp -d "${PF_TMP_ROOT:-${TMPDIR:-/tmp}}/pf.XXXXXXXX") ||
	    bail "mktemp failed"
	chmod 755 "$PF_TMP"
	export PF_TMP
	trap harness_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# Run CMD (a string, eval'd) at exit, before the services are stopped.
harness_at_exit()
{
	PF_AT_EXIT="$1
$PF_AT_EXIT"
}

# Remember a started service; cleanup calls NAME_stop.
_harness_started()
{
	case " $PF_SERVICES " in
	*" $1 "*) ;;
	*) PF_SERVICES="$1 $PF_SERVICES" ;;
	esac
}

# Forget a stopped service.
_harness_stopped()
{
	local s list=
	for s in $PF_SERVICES; do
		[ "$s" = "$1" ] || list="$list $s"
	done
	PF_SERVICES=${list# }
}

# Stop every service, kill leftovers, remove (or keep) the temp dir.
harness_cleanup()
{
	local rc=$? s pids=
	trap - EXIT INT TERM HUP
	[ -n "$PF_TMP" ] || exit "$rc"
	cd / || true
	[ -n "$PF_AT_EXIT" ] && eval "$PF_AT_EXIT"
	for s in $PF_SERVICES; do
		"${s}_stop" --fast >/dev/null 2>&1 &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	[ -z "$pids" ] || wait $pids
	pf_kill_under "$PF_TMP"
	if [ "${PF_KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $PF_TMP" >&2
	else
		rm -rf "$PF_TMP"
	fi
	exit "$rc"
}

# Print a TCP port that is free on 127.0.0.1 and was not handed out before
# by this harness (remembered in $PF_TMP/.ports, so it works in $(...)),
# nor by another script of the run (tests/run-tests: $PF_PORTS_FILE, under
# a lock, since scripts may run at once).
free_port()
{
	local port used=${PF_PORTS_FILE:-$PF_TMP/.ports}
	exec 8>>"$used.lock"
	flock 8
	port=$(perl -MIO::Socket::INET -e '
		my %used;
		if (open(my $f, "<", $ARGV[0])) {
			%used = map { chomp; $_ => 1 } <$f>;
		}
		for (1 .. 1000) {
			# Below the ephemeral range, so outgoing connections
			# cannot take it before the service binds it.
			my $p = 10000 + int(rand(22000));
			next if $used{$p};
			my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
			    LocalPort => $p, Proto => "tcp", Listen => 1)
			    or next;
			close $s;
			print "$p\n";
			exit 0;
		}
		exit 1;' "$used") || { exec 8>&-; bail "no free port found"; }
	echo "$port" >>"$used"
	exec 8>&-
	echo "$port"
}

# Poll CMD (eval'd) until it succeeds or TIMEOUT seconds pass.
wait_until()
{
	local timeout=$1 cmd=$2 i
	for ((i = 0; i < timeout * 10; i++)); do
		eval "$cmd" && return 0
		sleep 0.1
	done
	eval "$cmd"
}

# Wait until something listens on 127.0.0.1:PORT (TIMEOUT seconds, default 10).
wait_port()
{
	wait_until "${2:-10}" "perl -MIO::Socket::INET -e 'IO::Socket::INET->new(PeerAddr => \"127.0.0.1:$1\") or exit 1' 2>/dev/null"
}

# Start several services at once, in parallel:
#   harness_start pg postfix dovecot [--selfsigned]
# (extra main.cf lines for Postfix go in $PF_POSTFIX_EXTRA).
harness_start()
{
	local s services= pids= failed=0 pid
	for s in "$@"; do
		case "$s" in
		--selfsigned) PF_DOVECOT_SELFSIGNED=1 ;;
		pg | postfix | dovecot) services="$services $s" ;;
		*) bail "harness_start: unknown service $s" ;;
		esac
	done
	for s in $services; do
		"_${s}_prepare" || bail "$s: cannot prepare"
	done
	for s in $services; do
		_harness_started "$s"
		"_${s}_launch" &
		pids="$pids $!"
	done
	for pid in $pids; do
		wait "$pid" || failed=1
	done
	[ "$failed" -eq 0 ] || bail "harness_start: starting$services failed"
	for s in $services; do
		"_${s}_ready" || bail "$s: not ready"
	done
}

# Mail from the Postfix instance: messages in $PF_TMP/mail/LOCALPART.
maildir_count()
{
	maildir_files "$1" | wc -l
}

# The message files delivered to LOCALPART, oldest first.
maildir_files()
{
	local d="$PF_TMP/mail/$1"
	[ -d "$d" ] || return 0
	find "$d/new" "$d/cur" -type f -printf '%T@ %p\n' 2>/dev/null |
	    sort -n | cut -d' ' -f2-
}

# grep [OPTIONS] PATTERN over the messages of LOCALPART: maildir_grep LOCALPART ARGS...
maildir_grep()
{
	local user=$1 files
	shift
	files=$(maildir_files "$user")
	[ -n "$files" ] || return 1
	# shellcheck disable=SC2046
	grep "$@" -- $(printf '%s\n' "$files")
}

# Wait until LOCALPART has at least N messages (TIMEOUT seconds, default 30).
wait_for_delivery()
{
	wait_until "${3:-30}" "[ \$(maildir_count '$1') -ge '$2' ]"
}
