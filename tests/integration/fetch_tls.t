#!/bin/bash
# TLS modes, certificate checks and authentication against the harness's
# Dovecot (and a scripted server for what Dovecot will not do), and the
# check command.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
PF_MAIL_USERS="nina"
fetch_setup direct starttls detect disable auth-password auth-apop \
    auth-cram-md5 auth-plain auth-login auth-any auth-xoauth2 auth-token \
    wrongpw wronghost fast strict

# One message in the mailbox of user NAME.
one_message()
{
	printf 'From: a@example.org\nTo: nina@example.com\nMessage-ID: <%s@example.org>\nSubject: %s\n\nhello\n' \
	    "$1" "$1" >"$PF_TMP/$1.eml"
	mailbox_fill "$1" "$PF_TMP/$1.eml"
}

# A poll of a fresh account NAME with the given columns succeeds and
# fetches its one message: poll_works NAME DESCRIPTION COLUMN=VALUE...
poll_works()
{
	local name=$1 what=$2
	shift 2
	mailbox_user "$name"
	one_message "$name"
	account_add "$name" deliver_to="'nina@example.com'" "$@"
	fetch_poll "$name"
	if [ "$PF_RC" -eq 0 ] && [ "$(log_count ': delivered$')" -eq 1 ] &&
	    [ "$(mailbox_count "$name")" -eq 0 ]; then
		pass "$what"
	else
		fail "$what"
		diag "exit $PF_RC; log:"
		diag "$(cat "$PF_LOG")"
	fi
}

# --- TLS modes.
poll_works direct "tls direct (implicit TLS)" port="$PF_POP3S_PORT" tls="'direct'"
poll_works starttls "tls starttls (STLS)" port="$PF_POP3_PORT" tls="'starttls'"
poll_works detect "tls detect on a server offering STLS" port="$PF_POP3_PORT" tls="'detect'"
is "$(sql "SELECT tls_seen FROM postfetch.account WHERE name = 'detect'")" t \
    "detect: tls_seen recorded"
is "$(log_count 'account=detect host=localhost: TLS negotiated, recorded in tls_seen$')" 1 \
    "detect: logged once"
poll_works disable "tls disable, auth password" port="$PF_POP3_PORT" \
    tls="'disable'" auth="'password'"
is "$(log_count '^postfetch: warning: account=disable host=localhost: tls = disable: the credentials cross the network unencrypted$')" 1 \
    "tls disable: one warning in the poll"

# --- Authentication methods Dovecot offers, over TLS.
for pair in password:PLAIN apop:APOP cram-md5:CRAM-MD5 plain:PLAIN \
    login:LOGIN any:CRAM-MD5; do
	method=${pair%:*}
	poll_works "auth-$method" "auth $method" port="$PF_POP3S_PORT" \
	    tls="'direct'" auth="'$method'"
	ok "auth $method: Dovecot saw method ${pair#*:}" grep -q \
	    "Login: user=<auth-$method>, method=${pair#*:}," "$PF_DOVECOT_LOG"
done
# XOAUTH2: Dovecot takes the password as the token; then the token from
# token_command (run as "token_command ACCOUNT"), with no password stored.
poll_works auth-xoauth2 "auth xoauth2, token from the password" \
    port="$PF_POP3S_PORT" tls="'direct'" auth="'xoauth2'"
ok "auth xoauth2: Dovecot saw method XOAUTH2" grep -q \
    "Login: user=<auth-xoauth2>, method=XOAUTH2," "$PF_DOVECOT_LOG"
printf '#!/bin/sh\n[ "$1" = auth-token ] && echo secret\n' >"$PF_TMP/token"
chmod 755 "$PF_TMP/token"
fetch_conf "token_command = $PF_TMP/token"
poll_works auth-token "auth xoauth2, token from token_command" \
    port="$PF_POP3S_PORT" tls="'direct'" auth="'xoauth2'" password=NULL
ok "token_command: Dovecot saw method XOAUTH2" grep -q \
    "Login: user=<auth-token>, method=XOAUTH2," "$PF_DOVECOT_LOG"
fetch_conf
fetch_run check auth-cram-md5
is "$(grep '^auth method:' "$PF_OUT")" "auth method:   CRAM-MD5" \
    "check names the method used"

# --- Wrong password: one clear line, poll recorded failed, nothing deleted.
mailbox_user wrongpw
one_message wrongpw
account_add wrongpw port="$PF_POP3S_PORT" tls="'direct'" password="'not-it'" \
    deliver_to="'nina@example.com'"
fetch_poll wrongpw
is "$PF_RC" 1 "wrong password: exit 1"
is "$(log_count '^postfetch: warning: account=wrongpw host=localhost: poll failed: .*(-ERR|[Aa]uth)')" 1 \
    "wrong password: one line with account, host and the server's reply"
is "$(mailbox_count wrongpw)" 1 "wrong password: the message stays"
like "$(last_poll wrongpw)" '^0\|0\|.+' "wrong password: poll row with the error"
is "$(sql "SELECT last_result FROM postfetch.account WHERE name = 'wrongpw'")" failed \
    "wrong password: account status failed"

# --- Certificate for another host name.
mailbox_user wronghost
one_message wronghost
account_add wronghost host="'127.0.0.1'" port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'nina@example.com'"
fetch_poll wronghost
is "$PF_RC" 1 "certificate for localhost, host 127.0.0.1: refused"
like "$(log_grep 'poll failed')" 'account=wronghost host=127\.0\.0\.1: poll failed: .*(certificate|host|verif)' \
    "the line says why"
is "$(mailbox_count wronghost)" 1 "nothing fetched"

# --- check prints what it found, or what failed.
fetch_run check direct
is "$PF_RC" 0 "check exits 0"
like "$(grep '^connected to:' "$PF_OUT")" "localhost.*$PF_POP3S_PORT" "check: connected to"
like "$(grep '^TLS:' "$PF_OUT")" 'TLSv1\.[23]' "check: TLS version and cipher"
like "$(grep '^certificate:' "$PF_OUT")" 'CN ?= ?localhost.*\(verified\)' "check: subject, verified"
like "$(grep '^capabilities:' "$PF_OUT")" 'UIDL' "check: capabilities"
like "$(grep '^messages:' "$PF_OUT")" '^messages: +0, 0 bytes$' "check: message count and size"
fp=$(openssl x509 -in "$PF_TLS_CERT" -outform DER | sha256sum | cut -d' ' -f1)
is "$(sed -n 's/^fingerprint: *//p' "$PF_OUT")" "$fp" "check: the certificate's SHA-256 fingerprint"

# --- A pinned fingerprint decides alone, whatever the CA store says.
PF_RUN_PREFIX="env SSL_CERT_FILE=/nonexistent" fetch_run check direct
is "$PF_RC" 1 "unknown CA, no pin: refused"
sql "UPDATE postfetch.account SET tls_fingerprint = '$fp' WHERE name = 'direct'" >/dev/null
PF_RUN_PREFIX="env SSL_CERT_FILE=/nonexistent" fetch_run check direct
is "$PF_RC" 0 "unknown CA, the pinned fingerprint: accepted"
like "$(grep '^fingerprint:' "$PF_OUT")" '\(pinned\)$' "check: the certificate is pinned"
sql "UPDATE postfetch.account SET tls_fingerprint = repeat('0', 64) WHERE name = 'direct'" >/dev/null
fetch_run check direct
is "$PF_RC" 1 "another fingerprint pinned: refused, though the CA is known"
sql "UPDATE postfetch.account SET tls_fingerprint = NULL WHERE name = 'direct'" >/dev/null
fetch_run check wrongpw
is "$PF_RC" 1 "check with a wrong password exits 1"
like "$(grep '^result:' "$PF_OUT")" '^result: +failed: ' "check says what failed"
fetch_run check nosuchaccount
is "$PF_RC" 1 "check of an unknown account exits 1"

# --- Plain text only with tls = 'disable' (tests/integration/pop3_peer.py,
# which offers CRAM-MD5 and APOP): detect on a server without STLS (a man
# in the middle stripped it) or one that refuses it fails, and nothing
# credential-like reaches the server, whatever auth says or tls_seen.
credentials='^(USER|PASS|APOP|AUTH)'
small_message "$PF_TMP/plain.eml" plain
peer_said()
{
	cat "$PF_TMP/peer.log"
}
plain_refused()
{
	local name=$1 why=$2
	shift 2
	: >"$PF_TMP/peer.log"
	account_add "$name" port="$PF_PEER_PORT" username="'user'" \
	    deliver_to="'nina@example.com'" "$@"
	fetch_poll "$name"
	is "$PF_RC" 1 "$name: refused"
	is "$(log_count "^postfetch: warning: account=$name host=localhost: poll failed: $why: plain text refused \(tls = (detect|starttls)\); set tls = 'disable' to allow it\$")" 1 \
	    "$name: the line says plain text was refused and how to allow it"
	is "$(peer_said | grep -Ec "$credentials")" 0 \
	    "$name: nothing credential-like was sent"
	is "$(log_count ': delivered$')" 0 "$name: nothing fetched"
}
peer_start --apop --sasl CRAM-MD5 --log "$PF_TMP/peer.log" \
    --message "$PF_TMP/plain.eml"
plain_refused detect-stripped "server does not offer STLS" tls="'detect'"
plain_refused detect-seen "server does not offer STLS" tls="'detect'" \
    tls_seen=true
plain_refused detect-apop "server does not offer STLS" tls="'detect'" \
    auth="'apop'"
plain_refused detect-cram "server does not offer STLS" tls="'detect'" \
    auth="'cram-md5'"
plain_refused starttls-stripped "server does not offer STLS" \
    tls="'starttls'"
fetch_run check detect-stripped
is "$PF_RC" 1 "check of detect without STLS: exit 1"
like "$(grep '^result:' "$PF_OUT")" "^result: +failed: server does not offer STLS: plain text refused" \
    "check: says plain text was refused"
is "$(peer_said | grep -Ec "$credentials")" 0 \
    "check: nothing credential-like was sent"
peer_restart --apop --sasl CRAM-MD5 --stls-refused \
    --log "$PF_TMP/peer.log" --message "$PF_TMP/plain.eml"
plain_refused detect-refused "STLS refused: -ERR TLS not available" \
    tls="'detect'"
like "$(peer_said)" 'STLS' "detect-refused: STLS was asked for"

# tls = 'disable': the admin allows plain text; auth any then picks APOP
# (never the password itself), and every poll and check warns once.
peer_restart --apop --log "$PF_TMP/peer.log" --message "$PF_TMP/plain.eml"
: >"$PF_TMP/peer.log"
account_add plain-allowed port="$PF_PEER_PORT" tls="'disable'" \
    username="'user'" deliver_to="'nina@example.com'"
fetch_poll plain-allowed
is "$PF_RC" 0 "tls disable on a plain server: polled"
is "$(log_count ': delivered$')" 1 "tls disable: delivered"
ok "tls disable, auth any: APOP" grep -q '^APOP user ' "$PF_TMP/peer.log"
is "$(peer_said | grep -Ec '^(PASS|AUTH)')" 0 "tls disable, auth any: no password itself"
is "$(log_count '^postfetch: warning: account=plain-allowed host=localhost: tls = disable: the credentials cross the network unencrypted$')" 1 \
    "tls disable: one warning in the poll"
fetch_poll plain-allowed
is "$(log_count 'tls = disable: the credentials cross')" 1 \
    "tls disable: one warning in the next poll too"
fetch_run check plain-allowed
is "$PF_RC" 0 "check of the tls disable account: exit 0"
is "$(grep -c '^warning: *tls = disable: the credentials cross the network unencrypted$' "$PF_OUT")" 1 \
    "check: says plain text is allowed"
peer_stop

# --- The warning for tls_verify false is logged at every poll (Dovecot
# with a certificate our CA does not vouch for comes last).
dovecot_stop
dovecot_start --selfsigned
poll_works fast "self-signed, tls_verify false: accepted" port="$PF_POP3S_PORT" \
    tls="'direct'" tls_verify=false
is "$(log_count '^postfetch: warning: account=fast host=localhost: TLS certificate verification disabled$')" 1 \
    "self-signed, tls_verify false: warning logged"
mailbox_user strict
one_message strict
account_add strict port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'nina@example.com'"
fetch_poll strict
is "$PF_RC" 1 "self-signed, tls_verify true: refused"
is "$(mailbox_count strict)" 1 "self-signed, tls_verify true: nothing fetched"

done_testing
