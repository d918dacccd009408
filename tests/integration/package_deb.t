#!/bin/bash
# PF_SERIAL: installs a system package; tests/run-tests runs it alone.
# The Debian package as an administrator meets it: make deb (lintian without
# errors), installed with apt on this machine: files, conffile, the
# postfetch user, the secret, the units (systemd-analyze verify; the daemon
# and the milter enabled, the poll timer not; none started while no
# database answers); reinstalled over itself once a
# database answers: the secret and the edited configuration unchanged, no
# "not started", but "not started" and why with a schema not yet upgraded;
# purged: nothing left of it. Skipped where postfetch is
# already installed or configured (never touches an administrator's setup),
# and in the passes over another build (the package is built from the tree).
source "$(dirname "$0")/../lib/harness.sh"
harness_init

PKG=postfetch
CONF=/etc/postfetch/postfetch.conf
SECRET=/etc/postfetch/secret
APT=(apt-get -y -q --no-install-recommends -o DPkg::Lock::Timeout=120)

[ "$PF_BUILD" = "$PF_TOP" ] ||
    skip_all "the package is built from the tree: tested in the pass over it"
[ "$(id -u)" -eq 0 ] || skip_all "installs a package: needs root"
if dpkg-query -W -f '${db:Status-Abbrev}' "$PKG" 2>/dev/null | grep -q '^[a-z]i' ||
    [ -e /etc/postfetch ] || getent passwd postfetch >/dev/null ||
    getent group postfetch >/dev/null; then
	skip_all "postfetch is installed or configured on this machine"
fi
for tool in dpkg-buildpackage dh lintian systemd-analyze deb-systemd-helper; do
	command -v "$tool" >/dev/null || bail "$tool missing (run tests/deps.sh)"
done

# Paths named *postfetch* where a package puts things, to compare before
# and after (what was there before, e.g. a make install, does not count).
leftovers()
{
	find /etc /lib /usr /var/lib /var/cache/apt /run -xdev \
	    -name '*postfetch*' 2>/dev/null | sort
}
leftovers >"$PF_TMP/before"

# Purge on any exit, so that a failed run leaves the machine as it was.
harness_at_exit "dpkg-query -W $PKG >/dev/null 2>&1 && dpkg --purge $PKG >/dev/null 2>&1"

# Build -----------------------------------------------------------------------
if ! make -C "$PF_TOP" -s deb >"$PF_TMP/build.log" 2>&1; then
	fail "make deb"
	tail -n 30 "$PF_TMP/build.log" | sed 's/^/#   /'
	bail "no package to test"
fi
pass "make deb"
unlike "$(grep -E '^E: ' "$PF_TMP/build.log")" . "lintian: no errors"
deb=$(ls "$PF_TOP"/build/deb/postfetch_*_*.deb 2>/dev/null | head -n 1)
[ -f "$deb" ] || bail "make deb made no postfetch_*.deb"

# Install ---------------------------------------------------------------------
out=$("${APT[@]}" install "$deb" 2>&1) || { diag "$out"; bail "apt-get install failed"; }
pass "apt-get install"
like "$out" "postfetch: not started: .*database" \
    "postinst: units not started while no database answers, and why"
like "$out" "README.Debian" "postinst: names the next steps"

for f in /usr/sbin/postfetch /usr/sbin/postfetch-milter; do
	ok "installed: $f" test -x "$f"
done
for f in /usr/share/man/man8/postfetch.8.gz /usr/share/man/man8/postfetch-milter.8.gz \
    /usr/share/man/man5/postfetch.conf.5.gz /usr/share/man/man7/postfetch-sql.7.gz \
    /usr/share/postfetch/schema/postfetch.sql \
    /usr/share/postfetch/schema/migrations/0001_initial.sql \
    /usr/share/postfetch/contrib/main.cf.milter /usr/share/doc/postfetch/README.Debian; do
	ok "installed: $f" test -s "$f"
done
like "$(dpkg-query -W -f '${Conffiles}' "$PKG")" "^ $CONF [0-9a-f]{32}$" \
    "$CONF is the one conffile"
ok "$CONF: the sample configuration" cmp "$CONF" "$PF_TOP/contrib/postfetch.conf"
like "$(/usr/sbin/postfetch 2>&1; echo "exit $?")" "^usage: postfetch .*exit 2$" \
    "the installed postfetch runs (usage)"

# The user, group and secret
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd postfetch)
ok "user postfetch is a system user" test "${uid:-1000}" -lt 1000
is "$(getent group postfetch | cut -d: -f3)" "$gid" "group postfetch is its group"
is "$home $shell" "/var/lib/postfetch /usr/sbin/nologin" "home and shell"
is "$(stat -c '%a %U %G' "$SECRET" 2>&1)" "600 postfetch postfetch" \
    "$SECRET: mode 0600, owner postfetch"
like "$(cat "$SECRET")" '^[0-9a-f]{64}$' "$SECRET: 64 hex characters"
is "$(wc -c <"$SECRET")" 65 "$SECRET: and a newline"

# The units
UNITS=/lib/systemd/system
units=($UNITS/postfetch.service $UNITS/postfetch-milter.service
    $UNITS/postfetch-poll.service $UNITS/postfetch-poll.timer)
out=$(systemd-analyze verify "${units[@]}" 2>&1)
is "$?:$out" "0:" "systemd-analyze verify: the four units"
while read -r unit cmd; do
	is "$(grep '^ExecStart=' "$UNITS/$unit")" "ExecStart=$cmd" "$unit runs $cmd"
done <<-END
	postfetch.service /usr/sbin/postfetch run
	postfetch-milter.service /usr/sbin/postfetch-milter
	postfetch-poll.service /usr/sbin/postfetch poll
END
is "$(grep -H '^RuntimeDirectory=' "${units[@]}")" \
    "$UNITS/postfetch-milter.service:RuntimeDirectory=postfetch" \
    "/run/postfetch comes from the milter unit (and only from it)"
# What a stop of the daemon needs: SIGTERM to the scheduler alone, which
# gives its workers 120 s, and the time for it before systemd's SIGKILL.
is "$(grep -E '^(KillSignal|KillMode|TimeoutStopSec|ExecReload)=' \
    $UNITS/postfetch.service | sort | tr '\n' ' ')" \
    'ExecReload=/bin/kill -HUP $MAINPID KillMode=mixed KillSignal=SIGTERM TimeoutStopSec=150s ' \
    "the daemon unit: reload is SIGHUP; SIGTERM to the scheduler only, 150 s to stop"
wants=/etc/systemd/system/multi-user.target.wants
ok "enabled: postfetch.service" test -L "$wants/postfetch.service"
ok "enabled: postfetch-milter.service" test -L "$wants/postfetch-milter.service"
ok "not enabled: postfetch-poll.timer (the daemon's alternative)" \
    test ! -e /etc/systemd/system/timers.target.wants/postfetch-poll.timer
is "$(find /etc/systemd/system -path '*.wants/*postfetch*' -printf '%f\n' |
    LC_ALL=C sort)" \
    "$(printf 'postfetch-milter.service\npostfetch.service')" \
    "enabled: those two, nothing else of postfetch"
if [ -d /run/systemd/system ]; then
	is "$(systemctl is-active postfetch.service postfetch-milter.service \
	    postfetch-poll.timer)" \
	    "$(printf 'inactive\ninactive\ninactive')" "not started"
else
	skip "systemd is not running here: nothing could have been started"
fi

# Reinstall, once a database answers ------------------------------------------
pg_start
pg_psql -f "$PF_TOP/schema/postfetch.sql" >/dev/null || bail "schema install failed"
# The administrator's edit of the conffile; postfetch.conf(5): keys once.
echo "database = $PF_DB" >>"$CONF"
conf_sum=$(sha256sum <"$CONF")
secret_sum=$(sha256sum <"$SECRET")
secret_inode=$(stat -c %i "$SECRET")
ok "postfetch status works against the database" /usr/sbin/postfetch status

out=$("${APT[@]}" install --reinstall "$deb" 2>&1) ||
    { diag "$out"; bail "apt-get install --reinstall failed"; }
pass "apt-get install --reinstall"
unlike "$out" "not started" "postinst: starts the units once the database answers"
is "$(sha256sum <"$SECRET")" "$secret_sum" "reinstall: the secret is unchanged"
is "$(stat -c '%i %a %U' "$SECRET")" "$secret_inode 600 postfetch" \
    "reinstall: the same file, mode and owner"
is "$(sha256sum <"$CONF")" "$conf_sum" "reinstall: the edited configuration is kept"

# An upgrade whose schema is not yet applied: the units stay stopped, and
# postinst says why (README.Debian: run postfetch.sql, then start them).
latest=$(pg_psql -c 'SELECT max(version) FROM postfetch.schema_version')
pg_psql -c "UPDATE postfetch.schema_version SET version = -version
    WHERE version = $latest" >/dev/null
out=$("${APT[@]}" install --reinstall "$deb" 2>&1) ||
    { diag "$out"; bail "apt-get install --reinstall failed"; }
like "$out" "postfetch: not started: .*schema is at version $((latest - 1)), this postfetch needs version $latest: upgrade the database with postfetch.sql" \
    "postinst: an older schema leaves the units stopped, and says what to do"
pg_psql -c "UPDATE postfetch.schema_version SET version = -version
    WHERE version < 0" >/dev/null

# Purge -----------------------------------------------------------------------
out=$("${APT[@]}" purge "$PKG" 2>&1) || { diag "$out"; bail "apt-get purge failed"; }
pass "apt-get purge"
ok "purge: the package is gone" not dpkg-query -W "$PKG"
ok "purge: no user postfetch" not getent passwd postfetch
ok "purge: no group postfetch" not getent group postfetch
ok "purge: no /etc/postfetch" test ! -e /etc/postfetch
ok "purge: no /var/lib/postfetch" test ! -e /var/lib/postfetch
leftovers >"$PF_TMP/after"
is "$(comm -13 "$PF_TMP/before" "$PF_TMP/after")" "" \
    "purge: nothing named postfetch left in /etc /lib /usr /var/lib /run"
like "$(pg_psql -c 'SELECT count(*) FROM postfetch.schema_version')" '^[1-9]' \
    "purge: the database is kept"

done_testing
