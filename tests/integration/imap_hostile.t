#!/bin/bash
# IMAP against the scripted server (imap_peer.py), for what Dovecot will
# not do: a PREAUTH greeting behind STARTTLS (CVE-2021-39272), capabilities
# said before TLS, LOGINDISABLED, an XOAUTH2 token that expired, no
# UIDPLUS with and without someone else's \Deleted message, a connection
# dropped in the middle of a message literal, a 10 GB literal, EXISTS in
# the middle of a FETCH.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"

fetch_setup

# An account NAME on the peer delivering to LOCALPART:
# peer_imap_account NAME LOCALPART [COL=VALUE...]
peer_imap_account()
{
	local name=$1 to=$2
	shift 2
	case " $* " in *" tls="*) ;; *) set -- tls="'disable'" "$@" ;; esac
	account_add "$name" protocol="'imap'" port="$PF_PEER_PORT" \
	    username="'user'" deliver_to="'$to@example.com'" "$@"
}

# What the client said to the peer (its --log).
peer_said()
{
	cat "$PF_TMP/peer.log" 2>/dev/null
}

for n in 1 2 3; do small_message "$PF_TMP/m$n" "hostile-$n"; done
TLS_ARGS=(--tls-cert "$PF_TLS_CERT" --tls-key "$PF_TLS_KEY")

# --- PREAUTH behind starttls: refused before anything is said -----------
: >"$PF_TMP/peer.log"
imap_peer_start --preauth "${TLS_ARGS[@]}" --log "$PF_TMP/peer.log" \
    --message "$PF_TMP/m1"
peer_imap_account preauth alice tls="'starttls'"
fetch_poll preauth
is "$PF_RC" 1 "PREAUTH + starttls: the poll fails"
is "$(log_count 'account=preauth host=localhost: poll failed: server greeted PREAUTH on an unencrypted connection')" 1 \
    "PREAUTH + starttls: says why"
unlike "$(peer_said)" 'SELECT|EXAMINE|FETCH|LOGIN' \
    "PREAUTH + starttls: no folder opened, nothing fetched"
sql "UPDATE postfetch.account SET tls = 'detect' WHERE name = 'preauth'" \
    >/dev/null
fetch_poll preauth
is "$PF_RC" 1 "PREAUTH + detect (TLS never seen): refused too"
is "$(log_count "account=preauth host=localhost: poll failed: server greeted PREAUTH on an unencrypted connection, so TLS cannot be started: plain text refused \\(tls = detect\\); set tls = 'disable' to allow it\$")" 1 \
    "PREAUTH + detect: says plain text was refused and how to allow it"
unlike "$(peer_said)" 'SELECT|EXAMINE|FETCH|LOGIN' \
    "PREAUTH + detect: no folder opened, nothing fetched"
sql "UPDATE postfetch.account SET tls = 'disable' WHERE name = 'preauth'" \
    >/dev/null
fetch_poll preauth
is "$PF_RC" 0 "PREAUTH + tls = disable (the admin's choice): polled"
ok "PREAUTH + tls = disable: delivered" wait_for_delivery alice 1
peer_stop

# --- detect and STARTTLS refused or missing: nothing credential-like -----
# (the peer offers AUTH=CRAM-MD5 in plain text: no hash is sent either)
for refusal in --starttls-fails ""; do
	: >"$PF_TMP/peer.log"
	# shellcheck disable=SC2086
	imap_peer_start $refusal --log "$PF_TMP/peer.log" --message "$PF_TMP/m1"
	name=detect${refusal:-nostarttls}
	peer_imap_account "$name" alice tls="'detect'"
	fetch_poll "$name"
	is "$PF_RC" 1 "$name: refused"
	like "$(log_grep "account=$name host=localhost: poll failed: ")" \
	    "(STARTTLS refused: NO .*|server does not offer STARTTLS): plain text refused \(tls = detect\); set tls = 'disable' to allow it\$" \
	    "$name: says plain text was refused and how to allow it"
	unlike "$(peer_said)" 'LOGIN|AUTHENTICATE|SELECT|EXAMINE' \
	    "$name: nothing credential-like sent, no folder opened"
	peer_stop
done

# --- STARTTLS: what was said before TLS is forgotten --------------------
: >"$PF_TMP/peer.log"
imap_peer_start "${TLS_ARGS[@]}" --capability-before-tls LOGINDISABLED \
    --log "$PF_TMP/peer.log" --message "$PF_TMP/m1"
peer_imap_account stripped bob tls="'starttls'" auth="'password'"
fetch_poll stripped
is "$PF_RC" 0 "STARTTLS: LOGINDISABLED said in plain text is forgotten"
ok "STARTTLS: delivered" wait_for_delivery bob 1
like "$(peer_said)" 'STARTTLS' "STARTTLS: sent"
is "$(peer_said | sed -n '/STARTTLS/,$p' | grep -c CAPABILITY)" 1 \
    "STARTTLS: capabilities asked again after it"
peer_stop

# --- LOGINDISABLED is honoured -----------------------------------------
: >"$PF_TMP/peer.log"
imap_peer_start --logindisabled --log "$PF_TMP/peer.log" --message "$PF_TMP/m1"
peer_imap_account disabled carol auth="'password'"
fetch_poll disabled
is "$PF_RC" 1 "LOGINDISABLED: the poll fails"
is "$(log_count 'poll failed: auth = password: the server disables LOGIN \(LOGINDISABLED\)$')" 1 \
    "LOGINDISABLED: says why"
unlike "$(peer_said)" 'LOGIN "' "LOGINDISABLED: no LOGIN sent"
peer_stop

# --- XOAUTH2: an expired token is fetched again, once --------------------
: >"$PF_TMP/peer.log"
imap_peer_start --xoauth2-expire-once "${TLS_ARGS[@]}" \
    --log "$PF_TMP/peer.log" --message "$PF_TMP/m1"
printf '#!/bin/sh\necho run >>%s\necho secret\n' "$PF_TMP/token.runs" \
    >"$PF_TMP/token"
chmod 755 "$PF_TMP/token"
chmod 755 "$PF_TMP"
peer_imap_account oauth dave tls="'starttls'" auth="'xoauth2'" password=NULL
fetch_conf "token_command = $PF_TMP/token"
fetch_poll oauth
fetch_conf
is "$PF_RC" 0 "XOAUTH2: logged in with the second token"
ok "XOAUTH2: delivered" wait_for_delivery dave 1
is "$(wc -l <"$PF_TMP/token.runs")" 2 "XOAUTH2: token_command ran twice"
is "$(log_count 'account=oauth host=localhost: the server refused the OAuth2 token .*; fetching a new one$')" 1 \
    "XOAUTH2: says so"
peer_stop

# --- no UIDPLUS: EXPUNGE only when no one else's \Deleted would go -------
: >"$PF_TMP/peer.log"
imap_peer_start --no-uidplus --log "$PF_TMP/peer.log" \
    --message "$PF_TMP/m1" --message "$PF_TMP/m2"
peer_imap_account plain eve auth="'password'"
fetch_poll plain
is "$PF_RC" 0 "no UIDPLUS: the poll succeeds"
ok "no UIDPLUS: delivered" wait_for_delivery eve 2
like "$(peer_said)" 'UID SEARCH DELETED' "no UIDPLUS: looks for other \\Deleted messages"
is "$(peer_said | grep -Ec '^a[0-9]+ EXPUNGE$')" 1 "no UIDPLUS, only ours: EXPUNGE"
peer_stop

: >"$PF_TMP/peer.log"
imap_peer_start --no-uidplus --log "$PF_TMP/peer.log" --flags '2:\Deleted' \
    --message "$PF_TMP/m1" --message "$PF_TMP/m2" --message "$PF_TMP/m3"
peer_imap_account others erin auth="'password'"
fetch_poll others
is "$PF_RC" 0 "no UIDPLUS, another's \\Deleted: the poll succeeds"
ok "no UIDPLUS, another's \\Deleted: ours delivered" wait_for_delivery erin 2
is "$(peer_said | grep -Ec 'EXPUNGE')" 0 "no UIDPLUS, another's \\Deleted: no EXPUNGE"
is "$(log_count 'account=others host=localhost folder=INBOX: not expunged: 1 other message is marked \\Deleted would go too, and the server has no UIDPLUS; 2 of ours stay marked$')" 1 \
    "no UIDPLUS, another's \\Deleted: says why"
peer_stop

# --- a connection dropped in the middle of a message literal ------------
mkdir -p "$PF_TMP/store"
cp "$PF_TMP/m1" "$PF_TMP/store/1"
cp "$PF_TMP/m2" "$PF_TMP/store/2"
cp "$PF_TMP/m3" "$PF_TMP/store/3"
imap_peer_start --store "$PF_TMP/store" --drop-in-fetch 2
peer_imap_account dropped frank auth="'password'"
fetch_poll dropped
is "$PF_RC" 1 "dropped in a literal: the poll fails"
is "$(log_count 'account=dropped host=localhost folder=INBOX uid=2 .*not delivered, left on the server')" 1 \
    "dropped in a literal: that message is not delivered"
postfix_wait_idle 20
ok "dropped in a literal: nothing truncated reached frank" \
    not maildir_grep frank -q 'hostile-2'
ls "$PF_TMP/store" | sort | paste -sd, >"$PF_TMP/left"
like "$(cat "$PF_TMP/left")" '2' "dropped in a literal: message 2 is still on the server"
peer_restart --store "$PF_TMP/store"
fetch_poll dropped
is "$PF_RC" 0 "dropped in a literal: the next poll succeeds"
ok "dropped in a literal: everything arrives" wait_for_delivery frank 3
postfix_wait_idle 20
is "$(maildir_count frank)" 3 "dropped in a literal: each message once"
is "$(maildir_grep frank -l 'Body of hostile-' | wc -l)" 3 \
    "dropped in a literal: all three intact"
is "$(ls "$PF_TMP/store" | wc -l)" 0 "dropped in a literal: the server is empty"
peer_stop

# --- a 10 GB literal: an error, not an allocation -----------------------
imap_peer_start --huge-literal 1 --message "$PF_TMP/m1"
peer_imap_account huge grace auth="'password'"
fetch_conf "timeout = 3"
PF_RUN_PREFIX="/usr/bin/time -f %M -o $PF_TMP/huge.rss" fetch_poll huge
fetch_conf
is "$PF_RC" 1 "10 GB literal: the poll fails"
ok "10 GB literal: within its memory (< 64 MB RSS)" \
    test "$(tail -n 1 "$PF_TMP/huge.rss")" -lt 65536
is "$(log_count 'account=huge host=localhost folder=INBOX uid=1 .*not delivered, left on the server')" 1 \
    "10 GB literal: the message is left on the server"
peer_stop

# --- EXISTS in the middle of a FETCH ------------------------------------
imap_peer_start --exists-in-fetch --message "$PF_TMP/m1" --message "$PF_TMP/m2"
peer_imap_account exists heidi auth="'password'"
fetch_poll exists
is "$PF_RC" 0 "EXISTS in a FETCH: the poll succeeds"
ok "EXISTS in a FETCH: both delivered" wait_for_delivery heidi 2
peer_stop

done_testing
