#!/bin/bash
# Smoke test: the harness's private Dovecot serves POP3 and IMAP, plain,
# STARTTLS and implicit TLS with a certificate of the test CA.
source "$(dirname "$0")/../lib/harness.sh"
harness_init
dovecot_add_user alice 'secret one'
printf 'From: a@example.org\r\nSubject: first\r\n\r\nbody one\r\n' >"$PF_TMP/m1"
printf 'From: b@example.org\nSubject: second\n\nbody two\n' >"$PF_TMP/m2"
printf 'Subject: third\r\n\r\n.leading dot\r\nend\r\n' >"$PF_TMP/m3"
mailbox_fill alice "$PF_TMP/m1" "$PF_TMP/m2" "$PF_TMP/m3"
dovecot_start
is "$(mailbox_count alice)" 3 "mailbox_count sees the filled messages"

# TLS handshake with openssl s_client: OUTPUT of the handshake on PORT.
s_client() { openssl s_client -connect "127.0.0.1:$1" "${@:2}" </dev/null 2>&1; }

# POP3, plain.
out=$(mailclient pop3 "$PF_POP3_PORT" "USER alice" "PASS secret one" STAT UIDL QUIT)
ok "POP3 plain: login" grep -q '^S: +OK Logged in' <<<"$out"
like "$out" "S: \+OK 3 [0-9]+" "POP3 STAT sees the 3 messages"
like "$out" "S: 1 [0-9a-fA-F]{16}"$'\n'"S: 2 [0-9a-fA-F]{16}"$'\n'"S: 3 [0-9a-fA-F]{16}" \
    "POP3 UIDL lists them (%08Xu%08Xv)"
uid1=$(sed -n 's/^S: 1 //p' <<<"$out")
ok "POP3 wrong password refused" not mailclient pop3 "$PF_POP3_PORT" "USER alice" "PASS wrong"

out=$(mailclient pop3 "$PF_POP3_PORT" "USER alice" "PASS secret one" "RETR 1" "RETR 3" QUIT)
like "$out" "S: Subject: first"$'\n'"S: "$'\n'"S: body one" "POP3 RETR 1 is the first message filled"
like "$out" "S: \.\.leading dot" "POP3 RETR 3 is the third (dot-stuffed)"

ok "POP3 APOP" mailclient pop3 "$PF_POP3_PORT" "APOP alice secret one" QUIT
ok "POP3 AUTH CRAM-MD5" mailclient pop3 "$PF_POP3_PORT" "CRAM alice secret one" QUIT
ok "POP3 AUTH PLAIN" mailclient pop3 "$PF_POP3_PORT" \
    "AUTH PLAIN $(printf '\0alice\0secret one' | base64 -w0)" QUIT
ok "POP3 AUTH XOAUTH2 (token = password)" mailclient pop3 "$PF_POP3_PORT" \
    "AUTH XOAUTH2 $(printf 'user=alice\001auth=Bearer secret one\001\001' | base64 -w0)" QUIT

# POP3 STARTTLS (STLS) and implicit TLS, verified against the test CA.
ok "POP3 STLS: verified, login, STAT" mailclient --starttls --ca "$PF_TEST_CA" \
    pop3 "$PF_POP3_PORT" "USER alice" "PASS secret one" STAT QUIT
like "$(s_client "$PF_POP3_PORT" -starttls pop3 -CAfile "$PF_TEST_CA" -verify_return_error -verify_hostname localhost)" \
    "Verify return code: 0 \(ok\)" "POP3 STLS: s_client verifies the certificate"
like "$(s_client "$PF_POP3S_PORT" -CAfile "$PF_TEST_CA" -verify_return_error -verify_hostname localhost -servername localhost)" \
    "Verify return code: 0 \(ok\)" "POP3S: s_client verifies the certificate for localhost"
unlike "$(s_client "$PF_POP3S_PORT" -CAfile "$PF_TEST_CA" -verify_return_error -verify_ip 127.0.0.1)" \
    "Verify return code: 0 \(ok\)" "POP3S: the certificate has no IP SAN (127.0.0.1 mismatches)"
like "$(s_client "$PF_POP3S_PORT" -verify_return_error -verify_hostname localhost -CAfile "$PF_SELFSIGNED_CERT" -no-CApath)" \
    "verify error" "POP3S: the certificate is not trusted without the test CA"
ok "POP3S: verified, login, STAT, UIDL" mailclient --tls --ca "$PF_TEST_CA" \
    pop3 "$PF_POP3S_PORT" "USER alice" "PASS secret one" STAT UIDL QUIT
ok "POP3S: python refuses name 127.0.0.1" not mailclient --tls --ca "$PF_TEST_CA" --name 127.0.0.1 pop3 "$PF_POP3S_PORT" QUIT
like "$(s_client "$PF_POP3S_PORT" -tls1_2 -CAfile "$PF_TEST_CA")" "Protocol *: TLSv1\.2" \
    "POP3S: TLS 1.2 accepted"
like "$(s_client "$PF_POP3S_PORT" -tls1_1 -cipher DEFAULT@SECLEVEL=0 -CAfile "$PF_TEST_CA")" "Cipher is \(NONE\)" \
    "POP3S: TLS 1.1 refused (ssl_min_protocol TLSv1.2)"

# IMAP, plain, STARTTLS and implicit TLS.
out=$(mailclient imap "$PF_IMAP_PORT" 'LOGIN alice "secret one"' "SELECT INBOX" "UID FETCH 1:* (UID)" LOGOUT)
like "$out" "S: a1 OK" "IMAP plain: login"
like "$out" "S: \* 3 EXISTS" "IMAP SELECT sees the 3 messages"
like "$out" "S: \* OK \[UIDVALIDITY [0-9]+\]" "IMAP SELECT reports UIDVALIDITY"
ok "IMAP STARTTLS: verified, login, SELECT" mailclient --starttls --ca "$PF_TEST_CA" \
    imap "$PF_IMAP_PORT" 'LOGIN alice "secret one"' "SELECT INBOX" LOGOUT
out=$(mailclient --tls --ca "$PF_TEST_CA" imap "$PF_IMAPS_PORT" 'LOGIN alice "secret one"' "SELECT INBOX" LOGOUT)
like "$out" "S: \* 3 EXISTS" "IMAPS: verified, login, SELECT sees the messages"
like "$(s_client "$PF_IMAPS_PORT" -CAfile "$PF_TEST_CA" -verify_return_error -verify_hostname localhost)" \
    "Verify return code: 0 \(ok\)" "IMAPS: s_client verifies the certificate"
ok "IMAP AUTHENTICATE CRAM-MD5" mailclient imap "$PF_IMAP_PORT" "CRAM alice secret one" LOGOUT

# Users added after the start; deletion shows in mailbox_count.
dovecot_add_user bob hunter2
mailbox_fill bob "$PF_TMP/m2"
ok "dovecot_add_user after start" mailclient pop3 "$PF_POP3_PORT" "USER bob" "PASS hunter2" STAT QUIT
ok "POP3 DELE + QUIT" mailclient pop3 "$PF_POP3_PORT" "USER alice" "PASS secret one" "DELE 1" QUIT
is "$(mailbox_count alice)" 2 "mailbox_count after DELE"
out=$(mailclient pop3 "$PF_POP3_PORT" "USER alice" "PASS secret one" UIDL QUIT)
unlike "$out" "S: [0-9]+ $uid1" "deleted UID gone"

# Killing a session mid-way: the client sees the connection drop.
mailclient pop3 "$PF_POP3_PORT" "USER alice" "PASS secret one" "SLEEP 2" STAT \
    >"$PF_TMP/killed.out" 2>&1 &
client=$!
ok "dovecot_kill_sessions kills the user's POP3 process" \
    wait_until 10 "dovecot_kill_sessions alice pop3"
wait "$client"
is "$?" 2 "the client saw the connection drop"
like "$(cat "$PF_TMP/killed.out")" "E: connection closed" "... as end of file"

# The self-signed certificate is not vouched for by the test CA.
dovecot_stop
ok "after dovecot_stop, POP3 is closed" not wait_port "$PF_POP3_PORT" 0
dovecot_start --selfsigned
like "$(s_client "$PF_POP3S_PORT" -CAfile "$PF_TEST_CA" -verify_return_error -verify_hostname localhost)" \
    "Verify return code: 18 \(self-signed certificate\)" \
    "--selfsigned: s_client does not verify it against the test CA"
ok "--selfsigned: python refuses it too" not mailclient --tls --ca "$PF_TEST_CA" pop3 "$PF_POP3S_PORT" QUIT
ok "--selfsigned: same ports, login works without verification" \
    mailclient --tls --noverify pop3 "$PF_POP3S_PORT" "USER alice" "PASS secret one" STAT QUIT
ok "self-signed cert does not verify against the CA" \
    not openssl verify -CAfile "$PF_TEST_CA" "$PF_SELFSIGNED_CERT"
ok "server cert verifies against the CA" \
    openssl verify -CAfile "$PF_TEST_CA" "$PF_TLS_CERT"
done_testing
