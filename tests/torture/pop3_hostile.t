#!/bin/bash
# Torture: hostile POP3 servers (tests/integration/pop3_peer.py). For each
# case postfetch gives a clear error in its log and in the account's
# last_error, stays under its RSS bound, gives up within its timeout and
# deletes nothing it did not deliver whole (tests/torture/hostile.sh);
# each case is a row of the reliability table (tests/torture/run).
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../integration/fetch_common.sh"
source "$(dirname "$0")/../lib/torture.sh"
source "$(dirname "$0")/hostile.sh"
hostile_setup

# pop3 NAME EXPECTED_LOG_REGEX TLS PEER_ARGS...: a peer serving NAME's
# two messages (or FIRST=file as the first) with those faults, an account
# on it (tls = TLS), one poll.
pop3()
{
	local name=$1 expect=$2 tls=$3 store
	shift 3
	store=$(hostile_store "$name" peer- "${FIRST:-}")
	peer_start --store "$store" "$@"
	peer_account "$name" trent@example.com
	sql "UPDATE postfetch.account SET tls = '$tls' WHERE name = '$name'" \
	    >/dev/null
	torture_poll poll "$name"
	peer_stop
	hostile_check pop3 "$name" "$expect" "$store"
}

pop3 silent 'timeout' disable --silent
pop3 stall-in-retr 'timeout' disable --stall-in-retr 1
FIRST=$PF_TMP/short pop3 trickle 'server too slow' disable --trickle-retr 1
pop3 endless-retr 'far more' disable --endless-retr 1
pop3 endless-uidl 'more than [0-9]+ messages in UIDL' disable --endless-uidl
pop3 long-line 'malformed UIDL line' disable --long-line "$LONG"
pop3 drop-in-retr 'connection closed by server' disable --drop-in-retr 1
pop3 lie-size 'size mismatch' disable --lie-size 1:40
pop3 unstuffed-dot 'size mismatch' disable --cut-at-dot 1
pop3 duplicate-uid 'the same UID' disable --uid 2:peer-1
pop3 uid-80 'malformed UIDL line' disable --uid "1:$(printf 'u%.0s' $(seq 80))"
pop3 uid-control 'malformed UIDL line' disable --uid $'1:a\001b'
pop3 stls-refused 'STLS' starttls --stls-refused
pop3 stls-garbage 'TLS|reply' starttls "${TLS[@]}" --tls-garbage
pop3 tls-garbage 'TLS|reply' direct "${TLS[@]}" --tls --tls-garbage
pop3 other-host 'certificate verification failed' direct "${OTHER[@]}" --tls

done_testing
