#!/bin/bash
# Torture: hostile SMTP servers behind an ETRN account
# (tests/integration/smtp_peer.py). For each case postfetch gives a clear
# error in its log and in the account's last_error, stays under its RSS
# bound and gives up within its timeout (tests/torture/hostile.sh); each
# case is a row of the reliability table (tests/torture/run). ETRN moves
# no message, so nothing can be lost here.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../integration/fetch_common.sh"
source "$(dirname "$0")/../lib/torture.sh"
source "$(dirname "$0")/hostile.sh"
hostile_setup

# etrn NAME EXPECTED TLS PEER_ARGS...: a peer with those faults, an ETRN
# account on it (tls = TLS), one poll.
etrn()
{
	local name=$1 expect=$2 tls=$3
	shift 3
	_peer_launch smtp_peer.py "$@"
	account_add "$name" protocol="'etrn'" domain="'$name.example'" \
	    port="$PF_PEER_PORT" tls="'$tls'"
	torture_poll poll "$name"
	peer_stop
	hostile_check etrn "$name" "$expect" -
}

# (quick form: silence and trickle are pop3_hostile.t's; the waits are
# the same)
torture_full && etrn silent 'timeout' disable --silent
torture_full && etrn trickle 'timeout' disable --trickle
etrn endless 'reply of more than [0-9]+ lines' disable --endless
etrn long-line 'reply line too long' disable --long-line "$LONG"
etrn starttls-refused 'STARTTLS refused' starttls "${TLS[@]}" --starttls-fails
etrn starttls-garbage 'TLS|reply' starttls "${TLS[@]}" --tls-garbage
etrn tls-garbage 'TLS|reply' direct "${TLS[@]}" --tls --tls-garbage
etrn other-host 'certificate verification failed' direct "${OTHER[@]}" --tls

done_testing
