#!/bin/bash
# Torture: hostile IMAP servers (tests/integration/imap_peer.py). For each
# case postfetch gives a clear error in its log and in the account's
# last_error (or, where the server is odd but not wrong, delivers each
# message once), stays under its RSS bound, gives up within its timeout
# and expunges nothing it did not deliver whole (tests/torture/hostile.sh);
# each case is a row of the reliability table (tests/torture/run).
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../integration/fetch_common.sh"
source "$(dirname "$0")/../lib/torture.sh"
source "$(dirname "$0")/hostile.sh"
hostile_setup

# imap NAME EXPECTED TLS PEER_ARGS...: a peer serving NAME's two messages
# (or FIRST=file as the first) with those faults, an account on it (tls =
# TLS; KEEP=1: keep = true), POLLS polls (default 1), the last measured.
imap()
{
	local name=$1 expect=$2 tls=$3 store
	shift 3
	store=$(hostile_store "$name" "" "${FIRST:-}")
	imap_peer_start --store "$store" "$@"
	account_add "$name" protocol="'imap'" port="$PF_PEER_PORT" \
	    username="'user'" deliver_to="'trent@example.com'" tls="'$tls'" \
	    keep="${KEEP:-false}"
	for _ in $(seq "${POLLS:-1}"); do
		torture_poll poll "$name"
	done
	peer_stop
	hostile_check imap "$name" "$expect" "$store"
}

# (quick form: a silent server is pop3_hostile.t's; the wait is the same)
torture_full && imap silent 'timeout' disable --silent
FIRST=$PF_TMP/short imap trickle 'server too slow' disable --trickle-fetch 1
imap endless-untagged 'more than [0-9]+ responses to one command' disable --endless-untagged
imap long-line 'response longer than [0-9]+ octets' disable --long-line "$LONG"
imap huge-literal 'literal of [0-9]+ octets over the limit' disable --huge-literal 1
imap drop-in-fetch 'connection closed by server' disable --drop-in-fetch 1
imap lie-size 'size mismatch' disable --lie-size 1:40
imap duplicate-uid 'listed UID 1 twice' disable --say-uid 2:1
imap uid-80 'number out of range' disable --say-uid "1:$(printf '9%.0s' $(seq 80))"
imap uid-control 'unexpected character' disable --say-uid $'1:1\001'
KEEP=true POLLS=2 imap uidvalidity-per-session 'ok:UIDVALIDITY changed' \
    disable --uidvalidity-per-session
imap exists-in-fetch 'ok:' disable --exists-in-fetch
imap starttls-refused 'STARTTLS' starttls "${TLS[@]}" --starttls-fails
imap starttls-garbage 'TLS|reply|response' starttls "${TLS[@]}" --tls-garbage
imap tls-garbage 'TLS|reply|response' direct "${TLS[@]}" --tls --tls-garbage
imap other-host 'certificate verification failed' direct "${OTHER[@]}" --tls

done_testing
