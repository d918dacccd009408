#!/bin/bash
# Start-up of the milter: configuration errors exit 2 naming file:line, a
# key file others can read or that belongs to neither root nor the user is
# refused, a unix socket is handed to the user
# (mode 0660) and the process runs as that user, not root.
source "$(dirname "$0")/../lib/harness.sh"
harness_init

MILTER_BIN=$PF_BUILD/milter/postfetch-milter
[ -x "$MILTER_BIN" ] || bail "$MILTER_BIN not built"
openssl rand -hex 32 >"$PF_TMP/secret"
chmod 600 "$PF_TMP/secret"
mkdir -p "$PF_TMP/run"

# Write a configuration; extra lines come from the arguments.
conf()
{
	{
		echo "database = host=127.0.0.1 port=1 dbname=none connect_timeout=1"
		echo "secret_file = $PF_TMP/secret"
		echo "milter_socket = unix:$PF_TMP/run/milter.sock"
		echo "milter_state_file = $PF_TMP/run/milter.state"
		echo "user = $PF_USER"
		printf '%s\n' "$@"
	} >"$PF_TMP/postfetch.conf"
}

conf "no_such_key = 1"
out=$("$MILTER_BIN" -d -c "$PF_TMP/postfetch.conf" 2>&1)
is "$?" 2 "unknown key: exit 2"
like "$out" "postfetch.conf:6: .*no_such_key" "unknown key: file:line named"

conf
chmod 644 "$PF_TMP/secret"
out=$("$MILTER_BIN" -d -c "$PF_TMP/postfetch.conf" 2>&1)
is "$?" 2 "key file readable by others: exit 2"
like "$out" "$PF_TMP/secret" "key file named"
chmod 600 "$PF_TMP/secret"
chown 4242 "$PF_TMP/secret"
out=$("$MILTER_BIN" -d -c "$PF_TMP/postfetch.conf" 2>&1)
is "$?" 2 "key file of neither root nor the user: exit 2"
like "$out" "owned by uid 4242; it must belong to root or to the postfetch user \\(uid $(id -u "$PF_USER")\\)" \
    "key file of another user: says whose it must be"
# the user's own key file is fine (the start below)
chown "$PF_USER" "$PF_TMP/secret"

out=$("$MILTER_BIN" -x 2>&1)
is "$?" 2 "bad option: exit 2"
like "$out" "usage: postfetch-milter" "usage printed"

conf
"$MILTER_BIN" -d -c "$PF_TMP/postfetch.conf" >"$PF_TMP/milter.log" 2>&1 &
pid=$!
ok "the unix socket appears" wait_until 10 "[ -S '$PF_TMP/run/milter.sock' ]"
is "$(stat -c '%U %a' "$PF_TMP/run/milter.sock")" "$PF_USER 660" \
    "socket owned by the user, mode 0660"
is "$(awk '/^Uid:/ { print $2, $3, $4 }' "/proc/$pid/status")" \
    "$(id -u "$PF_USER") $(id -u "$PF_USER") $(id -u "$PF_USER")" \
    "root dropped: real, effective and saved uid are the user's"
is "$(awk '/^Groups:/ { print $2 }' "/proc/$pid/status")" "$(id -g "$PF_USER")" \
    "supplementary groups dropped"
ok "still running without a database" kill -0 "$pid"
kill "$pid"
wait "$pid"
is "$?" 0 "SIGTERM: clean stop, exit 0"
like "$(cat "$PF_TMP/milter.log")" "stopped" "the stop is logged"
done_testing
