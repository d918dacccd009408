# TAP output for the bash integration tests (sourced by harness.sh).
#
#   plan N                  announce N test points up front (optional)
#   ok NAME CMD [ARG...]    passes if CMD exits 0; its output is shown only on failure
#   is GOT WANT NAME        string equality
#   isnt GOT WANT NAME      string inequality
#   like GOT ERE NAME       bash [[ =~ ]] match
#   unlike GOT ERE NAME
#   pass NAME / fail NAME   an unconditional result
#   not CMD [ARG...]        exits 0 if CMD fails (for: ok NAME not CMD...)
#   diag MSG...             "# MSG" on stdout
#   skip REASON [N]         N skipped test points
#   skip_all REASON         "1..0 # SKIP REASON" and exit 0
#   bail REASON             "Bail out! REASON" and exit 1
#   done_testing            prints "1..N" unless planned; exits 1 if any failed

TAP_COUNT=0
TAP_FAILED=0
TAP_PLANNED=

# Announce the number of test points.
plan()
{
	TAP_PLANNED=$1
	echo "1..$1"
}

# Print one result line; $1 is 0 for pass. A name ending in "# TODO why"
# marks a known defect: its failure is reported but fails nothing (TAP).
_tap_result()
{
	TAP_COUNT=$((TAP_COUNT + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_COUNT - $2"
	else
		[[ $2 =~ \#\ *TODO ]] || TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok $TAP_COUNT - $2"
		diag "  Failed test '$2'"
		diag "  at ${BASH_SOURCE[2]:-?} line ${BASH_LINENO[1]:-?}"
	fi
	return "$1"
}

# Print every line of the arguments as a TAP comment.
diag()
{
	local line
	printf '%s\n' "$*" | while IFS= read -r line; do
		echo "# $line"
	done
}

pass() { _tap_result 0 "$1"; }
fail() { _tap_result 1 "$1"; }

# Invert a command's exit status: ok "refused" not psql -c ...
not()
{
	! "$@"
}

# Run a command; pass if it exits 0. Its output is a diagnostic on failure.
ok()
{
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		_tap_result 0 "$name"
		return 0
	fi
	_tap_result 1 "$name"
	diag "  command: $* (exit $rc)"
	[ -n "$out" ] && diag "$out"
	return 1
}

# String equality.
is()
{
	if [ "$1" = "$2" ]; then
		_tap_result 0 "$3"
		return 0
	fi
	_tap_result 1 "$3"
	diag "       got: '$1'"
	diag "  expected: '$2'"
	return 1
}

# String inequality.
isnt()
{
	if [ "$1" != "$2" ]; then
		_tap_result 0 "$3"
		return 0
	fi
	_tap_result 1 "$3"
	diag "       got: '$1'"
	diag "  expected anything else"
	return 1
}

# Extended regular expression match.
like()
{
	if [[ $1 =~ $2 ]]; then
		_tap_result 0 "$3"
		return 0
	fi
	_tap_result 1 "$3"
	diag "                  '$1'"
	diag "  doesn't match '$2'"
	return 1
}

# Extended regular expression non-match.
unlike()
{
	if ! [[ $1 =~ $2 ]]; then
		_tap_result 0 "$3"
		return 0
	fi
	_tap_result 1 "$3"
	diag "                '$1'"
	diag "  matches '$2'"
	return 1
}

# Skip N (default 1) test points.
skip()
{
	local i n=${2:-1}
	for ((i = 0; i < n; i++)); do
		TAP_COUNT=$((TAP_COUNT + 1))
		echo "ok $TAP_COUNT # SKIP $1"
	done
}

# Skip the whole script.
skip_all()
{
	echo "1..0 # SKIP $1"
	exit 0
}

# Stop the script: something the tests depend on is broken.
bail()
{
	echo "Bail out! $*"
	exit 1
}

# Print the plan (if not given up front) and exit: 0 only if all passed.
done_testing()
{
	if [ -z "$TAP_PLANNED" ]; then
		echo "1..$TAP_COUNT"
	elif [ "$TAP_PLANNED" -ne "$TAP_COUNT" ]; then
		diag "planned $TAP_PLANNED tests but ran $TAP_COUNT"
		exit 1
	fi
	[ "$TAP_FAILED" -eq 0 ] || diag "failed $TAP_FAILED of $TAP_COUNT tests"
	[ "$TAP_FAILED" -eq 0 ] && exit 0
	exit 1
}
