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
is "$(log_count 'account=detect host=localhost: TLS negotiated, now required')" 1 \
    "detect: logged once"
poll_works disable "tls disable, auth password" port="$PF_POP3_PORT" \
    tls="'disable'" auth="'password'"

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

# --- A server that offers no STLS (tests/integration/pop3_peer.py):
# detect after TLS was seen refuses it, and auth any never sends a
# password in clear text.
peer_start --log "$PF_TMP/peer.log"
account_add seen-before port="$PF_PEER_PORT" tls="'detect'" tls_seen=true \
    username="'user'" deliver_to="'nina@example.com'"
fetch_poll seen-before
is "$PF_RC" 1 "detect after TLS was seen: a server without STLS is refused"
like "$(log_grep 'poll failed')" 'account=seen-before host=localhost: poll failed: .*(TLS|STLS)' \
    "the line says TLS is required"
account_add cleartext port="$PF_PEER_PORT" tls="'detect'" auth="'any'" \
    username="'user'" deliver_to="'nina@example.com'"
fetch_poll cleartext
is "$PF_RC" 1 "auth any without TLS and without a safe method: refused"
ok "no password was ever sent in clear text" \
    not grep -Eq '^(PASS|AUTH|APOP)' "$PF_TMP/peer.log"
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
