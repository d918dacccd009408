#!/bin/bash
# "postfetch check NAME" and "postfetch status" warn when the test
# Postfix's non_smtpd_milters (read with the postconf beside sendmail_path,
# against its -C config directory) does not name milter_socket, and say
# nothing of it when it does, in any of the forms Postfix takes.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
fetch_setup alice

PORT=$(free_port)
fetch_conf "milter_socket = inet:$PORT@127.0.0.1"
account_add alice port="$PF_POP3S_PORT" tls="'direct'"
warning="Postfix's non_smtpd_milters does not name milter_socket inet:$PORT@127.0.0.1"

# Run check and status with non_smtpd_milters set to $1; $2: warned or not.
both()
{
	local value=$1 want=$2 command
	postconf -c "$PF_POSTFIX_CONF" -e "non_smtpd_milters = $value" ||
	    bail "postconf -e non_smtpd_milters"
	for command in "check alice" status; do
		# shellcheck disable=SC2086
		fetch_run $command
		is "$PF_RC" 0 "non_smtpd_milters = '$value': $command exits 0"
		if [ "$want" = warned ]; then
			like "$(cat "$PF_LOG")" "$warning" \
			    "non_smtpd_milters = '$value': $command warns"
		else
			unlike "$(cat "$PF_LOG")" "non_smtpd_milters" \
			    "non_smtpd_milters = '$value': $command says nothing of it"
		fi
	done
}

both "" warned
both "inet:127.0.0.1:$((PORT + 1))" warned
postconf -c "$PF_POSTFIX_CONF" -e "smtpd_milters = inet:127.0.0.1:$PORT"
both "unix:/run/postfetch/milter.sock" warned
both "inet:127.0.0.1:$PORT" quiet
both "{ inet:127.0.0.1:$PORT, default_action=tempfail }" quiet
both "unix:/run/other.sock, inet:127.0.0.1:$PORT" quiet
is "$(postconf -c "$PF_POSTFIX_CONF" -h non_smtpd_milters)" \
    "unix:/run/other.sock, inet:127.0.0.1:$PORT" \
    "what postconf -h shows for the test Postfix is what was set"
done_testing
