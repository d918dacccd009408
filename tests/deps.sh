#!/bin/sh
# Install the Debian packages that building and testing postfetch need, if
# any is missing (a no-op otherwise). Non-interactive; run as root (CI).
# Services in the packages are not started: the tests run their own.

PACKAGES="gcc make pkg-config clang libssl-dev libpq-dev libmilter-dev
libbsd-dev postgresql postfix dovecot-core dovecot-pop3d dovecot-imapd
openssl mandoc perl python3 valgrind fetchmail libclang-rt-14-dev procps
iproute2 ca-certificates cppcheck fdm debhelper dpkg-dev lintian systemd
postfix-pgsql libsasl2-modules time"

# Print the packages that are not installed (one dpkg-query for all).
missing()
{
	# shellcheck disable=SC2086
	installed=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' \
	    $PACKAGES 2>/dev/null | awk '$1 == "ii" { print $2 }')
	for p in $PACKAGES; do
		echo "$installed" | grep -qx -- "$p" || echo "$p"
	done
}

MISSING=$(missing | tr '\n' ' ')
MISSING=${MISSING% }
[ -n "$MISSING" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: $MISSING" >&2
	echo "deps.sh: run as root (or: sudo apt-get install $MISSING)" >&2
	exit 1
fi

echo "deps.sh: installing $MISSING"
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections

# Keep the packages from starting their services (policy-rc.d 101).
POLICY=/usr/sbin/policy-rc.d
CREATED=
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\n# Made by postfetch tests/deps.sh during an install.\nexit 101\n' >"$POLICY"
	chmod 755 "$POLICY"
	CREATED=1
fi
trap '[ -n "$CREATED" ] && rm -f "$POLICY"' EXIT
trap 'exit 1' INT TERM HUP

# apt-get's output is shown only if it fails.
LOG=$(mktemp) || exit 1
# shellcheck disable=SC2086
apt-get update -q </dev/null >"$LOG" 2>&1 &&
    apt-get install -y -q --no-install-recommends $MISSING </dev/null \
    >>"$LOG" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
	cat "$LOG" >&2
	rm -f "$LOG"
	echo "deps.sh: apt-get failed (exit $rc)" >&2
	exit "$rc"
fi
rm -f "$LOG"
STILL=$(missing | tr '\n' ' ')
if [ -n "$STILL" ]; then
	echo "deps.sh: still missing after install: $STILL" >&2
	exit 1
fi
exit 0
