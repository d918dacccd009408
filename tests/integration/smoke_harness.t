#!/bin/bash
# Smoke test of the harness itself: services started in parallel are all
# stopped and the temp dir removed when a test script ends, fails, is
# timed out or is killed; two harnesses run side by side.
source "$(dirname "$0")/../lib/harness.sh"
harness_init

# A child test script: starts everything, writes its environment, then
# does $1 (sleep | fail | pass).
cat >"$PF_TMP/child.t" <<CHILD
source "$PF_LIB/harness.sh"
harness_init
harness_start pg postfix dovecot
echo "\$PF_TMP \$PGPORT \$PF_SMTP_PORT \$PF_POP3_PORT \$PF_IMAPS_PORT" >"\$1.tmp"
mv "\$1.tmp" "\$1"
case "\$2" in
sleep) sleep 300 ;;
fail) ok "a failing test" false; done_testing ;;
pass) ok "a passing test" true; done_testing ;;
esac
CHILD

# True if anything listens on one of the ports.
listening()
{
	local port
	for port in "$@"; do
		wait_port "$port" 0 && return 0
	done
	return 1
}

# Run the child with MODE, under COMMAND...; sets ENVFILE.
child()
{
	local mode=$1
	shift
	ENVFILE=$PF_TMP/env.$mode
	"$@" bash "$PF_TMP/child.t" "$ENVFILE" "$mode" >"$PF_TMP/out.$mode" 2>&1
}

# The checks after a child is gone: nothing left behind.
left_nothing()
{
	local what=$1 dir ports
	read -r dir ports <"$ENVFILE" || { fail "$what: child started"; return; }
	ok "$what: temp dir removed" not test -e "$dir"
	is "$(pf_pids_under "$dir" | wc -l)" 0 "$what: no process left"
	# shellcheck disable=SC2086
	ok "$what: no port still listening" not listening $ports
}

start=$(date +%s)
child pass
is "$?" 0 "a passing child exits 0"
like "$(cat "$PF_TMP/out.pass")" "ok 1 - a passing test" "... and prints its TAP"
left_nothing "passing child"
diag "start + stop of pg, postfix, dovecot: $(($(date +%s) - start)) s"

child fail
is "$?" 1 "a failing child exits 1"
left_nothing "failing child"

child sleep timeout -k 5 8
is "$?" 124 "a child killed by timeout(1)"
left_nothing "timed-out child"

# SIGKILL: no trap runs; run-tests sweeps with pf_kill_under.
bash "$PF_TMP/child.t" "$PF_TMP/env.kill" sleep >"$PF_TMP/out.kill" 2>&1 &
pid=$!
ok "child started" wait_until 30 "[ -e '$PF_TMP/env.kill' ]"
read -r dir ports <"$PF_TMP/env.kill"
# shellcheck disable=SC2086
ok "its services listen" listening $ports
kill -KILL "$pid"
wait "$pid" 2>/dev/null
ok "after SIGKILL, processes are left" test "$(pf_pids_under "$dir" | wc -l)" -gt 0
pf_kill_under "$dir"
is "$(pf_pids_under "$dir" | wc -l)" 0 "pf_kill_under kills them"
rm -rf "$dir"

# Two harnesses at once get different dirs and ports.
child pass &
pid=$!
ENVFILE=$PF_TMP/env.second
bash "$PF_TMP/child.t" "$ENVFILE" pass >"$PF_TMP/out.second" 2>&1
second=$?
wait "$pid"
is "$?/$second" "0/0" "two harnesses side by side both pass"
isnt "$(cut -d' ' -f2- "$PF_TMP/env.pass")" "$(cut -d' ' -f2- "$PF_TMP/env.second")" \
    "... on different ports"
done_testing
