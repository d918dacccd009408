#!/bin/bash
# Outgoing mail through an account's provider, done by Postfix with the
# maps of contrib/ (main.cf.relay, master.cf.relay, relay-*.cf) over the
# views of the test database (postfix-pgsql). A second private Postfix is
# the provider's submission server: STARTTLS on its smtpd port (587's
# part), implicit TLS on another (465), AUTH through the harness Dovecot's
# auth socket (smtpd_sasl_type = dovecot), relaying only for authenticated
# clients; it delivers remote.example locally. The test Postfix relays mail
# from an account's address through it, authenticated as the account, and
# mail from any other sender its normal way (here: bounced). SQL changes
# act without a reload; postfetch check tests the outgoing server too.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
command -v postconf >/dev/null && postconf -m 2>/dev/null | grep -qx pgsql ||
    [ -e /usr/lib/postfix/postfix-pgsql.so ] ||
    skip_all "no pgsql: tables in Postfix (tests/deps.sh: postfix-pgsql)"
fetch_setup biuro kasa

# --- the provider: submission with SASL, 587 (STARTTLS) and 465 (TLS) ---------
PORT465=$(free_port)
postfix_second_start "myhostname = mx.provider.example" \
    "mydestination = remote.example localhost" "mynetworks = 127.0.0.2/32" \
    "smtpd_sasl_auth_enable = yes" "smtpd_sasl_type = dovecot" \
    "smtpd_sasl_path = $PF_DOVECOT_AUTH" "smtpd_tls_auth_only = yes" \
    "smtpd_relay_restrictions = permit_sasl_authenticated, reject" \
    "smtpd_tls_security_level = may" "smtpd_tls_cert_file = $PF_TLS_CERT" \
    "smtpd_tls_key_file = $PF_TLS_KEY"
postconf -c "$PF_SECOND_CONF" -M -e \
    "127.0.0.1:$PORT465/inet = 127.0.0.1:$PORT465 inet n - n - - smtpd -o smtpd_tls_wrappermode=yes" ||
    bail "cannot add the provider's port 465 service"
postfix_second postfix_reload
wait_port "$PORT465" 10 || bail "the provider's implicit TLS port does not answer"
reply=$(postfix_second smtp_session "EHLO probe.example" \
    "MAIL FROM:<x@example.org>" "RCPT TO:<walter@remote.example>" "QUIT")
like "$reply" "554 5\.7\.1 .*Relay access denied|Access denied" \
    "the provider refuses unauthenticated mail"

# --- the test Postfix: the contrib maps, pointed at the test database ----------
pg_psql -c "CREATE ROLE pf_lookup LOGIN PASSWORD 'lookup-pw' IN ROLE postfetch_postfix" \
    >/dev/null || bail "cannot create the lookup role"
for f in "$PF_TOP"/contrib/relay-*.cf; do
	sed -e "s,^hosts = .*,hosts = inet:127.0.0.1:$PF_PG_PORT," \
	    -e "s,^user = .*,user = pf_lookup," \
	    -e "s,^password = .*,password = lookup-pw," \
	    -e "s,^dbname = .*,dbname = $PGDATABASE," \
	    "$f" >"$PF_TMP/${f##*/}"
done
mapfile -t lines < <(sed -e '/^#/d' -e '/^$/d' -e "s,/etc/postfix/,$PF_TMP/," \
    -e 's,^smtp_tls_CApath = .*,smtp_tls_CAfile = '"$PF_TEST_CA"',' \
    "$PF_TOP/contrib/main.cf.relay")
is "${#lines[@]}" 9 "main.cf.relay has its nine settings"
# master.cf.relay's service, without the chroot of a real installation.
sed -e '/^#/d' -e 's/^\(postfetch-smtps *unix *- *- *\)y/\1n/' \
    "$PF_TOP/contrib/master.cf.relay" >>"$PF_POSTFIX_CONF/master.cf"
# No DNS here: [localhost] from /etc/hosts.
postfix_set "${lines[@]}" "smtp_tls_loglevel = 1" "smtp_host_lookup = native"
is "$(postconf -c "$PF_POSTFIX_CONF" -h sender_dependent_relayhost_maps)" \
    "proxy:pgsql:$PF_TMP/relay-host.cf" "the test Postfix uses the contrib maps"

# --- accounts: biuro through 587 (STARTTLS), kasa through 465 --------------------
account_add biuro port="$PF_POP3_PORT" smtp_host="'localhost'" smtp_port="$PF_SECOND_SMTP_PORT"
account_add kasa port="$PF_POP3_PORT" smtp_host="'localhost'" smtp_port="$PORT465" smtp_tls="'direct'"
sender()
{
	sql "INSERT INTO postfetch.account_sender (account_id, address)
	    SELECT id, '$2' FROM postfetch.account WHERE name = '$1'" >/dev/null
}
sender biuro biuro@infirma.example
sender kasa kasa@infirma.example
is "$(sql "SELECT transport FROM postfetch.relay_sender ORDER BY sender")" \
"smtp:[localhost]:$PF_SECOND_SMTP_PORT
postfetch-smtps:[localhost]:$PORT465" "the views name both ways out"
like "$(postmap -c "$PF_POSTFIX_CONF" -q biuro@infirma.example \
    "pgsql:$PF_TMP/relay-password.cf" 2>&1)" "^biuro:secret$" \
    "postmap reads the credentials through the lookup role"

# send FROM TO SUBJECT: mail submitted locally.
send()
{
	printf 'From: <%s>\nTo: <%s>\nSubject: %s\n\nBody of %s.\n' \
	    "$1" "$2" "$3" "$3" | $PF_SENDMAIL -i -f "$1" "$2"
}

# --- 587: relayed through the provider, authenticated as the account ------------
send biuro@infirma.example walter@remote.example "via 587"
ok "mail from biuro@ arrives through the provider" wait_for_delivery walter 1 30
ok "it came from the test Postfix, over TLS and authenticated (ESMTPSA)" \
    maildir_grep walter -q '^[[:space:]]*by mx\.provider\.example (Postfix) with ESMTPSA'
like "$(cat "$PF_SECOND_MAILLOG")" "client=localhost\[127\.0\.0\.1\], sasl_method=[A-Z0-9-]+, sasl_username=biuro" \
    "the provider logged the SASL login of the account"
like "$(cat "$PF_MAILLOG")" "to=<walter@remote\.example>, relay=localhost\[127\.0\.0\.1\]:$PF_SECOND_SMTP_PORT, .*status=sent" \
    "the test Postfix logged the relay through 587"
like "$(cat "$PF_MAILLOG")" "Verified TLS connection established to localhost\[127\.0\.0\.1\]:$PF_SECOND_SMTP_PORT" \
    "over verified TLS (relay_tls: secure)"

# --- 465: the postfetch-smtps transport ------------------------------------------
send kasa@infirma.example wendy@remote.example "via 465"
ok "mail from kasa@ arrives through the provider's port 465" \
    wait_for_delivery wendy 1 30
like "$(cat "$PF_SECOND_MAILLOG")" "sasl_username=kasa" "authenticated as kasa"
like "$(cat "$PF_MAILLOG")" "to=<wendy@remote\.example>, relay=localhost\[127\.0\.0\.1\]:$PORT465, .*status=sent" \
    "the test Postfix logged the relay through 465"
like "$(grep "postfix/postfetch-smtps/smtp\[" "$PF_MAILLOG")" "to=<wendy@remote\.example>" \
    "by the postfetch-smtps transport"

# --- another sender: the normal route (the test Postfix bounces remote mail) ----
before=$(grep -c "sasl_username=" "$PF_SECOND_MAILLOG")
send chuck@example.com walter@remote.example "normal route"
ok "mail from another sender takes default_transport" wait_until 20 \
    "grep -q 'to=<walter@remote.example>, relay=none, .*status=bounced (remote delivery disabled in tests)' '$PF_MAILLOG'"
is "$(grep -c "sasl_username=" "$PF_SECOND_MAILLOG")" "$before" \
    "the provider saw no login for it"
is "$(maildir_count walter)" 1 "and walter got nothing more"

# --- a change in SQL acts without a reload -----------------------------------------
master=$(tr -d ' ' <"$PF_TMP/postfix/queue/pid/master.pid")
sender biuro erin@infirma.example
send erin@infirma.example trent@remote.example "new sender"
ok "a sender added in SQL relays at once" wait_for_delivery trent 1 30
like "$(grep -c "sasl_username=biuro" "$PF_SECOND_MAILLOG")" "^2$" \
    "as biuro, through biuro's account"
sql "UPDATE postfetch.account SET smtp_password = 'wrong-pw' WHERE name = 'biuro'" >/dev/null
send biuro@infirma.example ted@remote.example "wrong password"
ok "a wrong SMTP password in SQL defers the mail at once" wait_until 30 \
    "grep -q 'to=<ted@remote.example>, relay=localhost.*status=deferred.*SASL authentication failed' '$PF_MAILLOG'"
is "$(tr -d ' ' <"$PF_TMP/postfix/queue/pid/master.pid")" "$master" \
    "the same Postfix master, never reloaded"

# --- postfetch check tests the outgoing server --------------------------------------
fetch_run check biuro
is "$PF_RC" 1 "check with a wrong SMTP password exits 1"
like "$(cat "$PF_OUT")" "messages: +0, 0 bytes" "the mailbox part still ran"
like "$(cat "$PF_OUT")" "smtp TLS: +TLSv1\.[23]" "STARTTLS to the outgoing server"
like "$(cat "$PF_OUT")" "result: +failed: smtp localhost:$PF_SECOND_SMTP_PORT: AUTH (PLAIN|LOGIN) as biuro: 535 5\.7\.8 " \
    "the failure names the server, the step, the user and the reply"
sql "UPDATE postfetch.account SET smtp_password = NULL WHERE name = 'biuro'" >/dev/null
ok "the deferred mail goes once the password is right" postfix_flush
ok "and arrives" wait_for_delivery ted 1 40
fetch_run check biuro
is "$PF_RC" 0 "check with the right password exits 0"
like "$(cat "$PF_OUT")" "smtp auth: +(PLAIN|LOGIN) as biuro" "it logged in"
like "$(cat "$PF_OUT")" "result: +ok" "result ok"
fetch_run check kasa
is "$PF_RC" 0 "check over implicit TLS exits 0"
like "$(cat "$PF_OUT")" "smtp server: +localhost:$PORT465 \(tls direct" "on port 465"
is "$(grep -c "sasl_username=kasa" "$PF_SECOND_MAILLOG")" 1 \
    "check sent no mail (only the one message logged in)"
unlike "$(grep 'postfix2/smtpd' "$PF_SECOND_MAILLOG" | grep -E ' mail=|rcpt=[1-9]' | grep -v 'rcpt=1 data=1' )" \
    "." "no MAIL FROM in the check sessions"

# --- the daemon's check on change records the outcome ----------------------------
# An account polled before (a due poll would go first, and a poll does
# not test the outgoing server): only the check is due.
sql "UPDATE postfetch.account SET next_poll = now() + interval '1 hour'" >/dev/null
sql "UPDATE postfetch.account SET smtp_username = 'nobody' WHERE name = 'kasa'" >/dev/null
is "$(sql "SELECT check_requested FROM postfetch.account WHERE name = 'kasa'")" t \
    "an SMTP change asks the daemon for a check"
fetch_start run
ok "the daemon checks it and records the SMTP failure in the row" wait_until 30 \
    "[ \"\$(sql \"SELECT last_result FROM postfetch.account WHERE name = 'kasa'
    AND NOT check_requested\")\" = failed ]"
like "$(sql "SELECT last_error FROM postfetch.account WHERE name = 'kasa'")" \
    "^smtp localhost:$PORT465: AUTH (PLAIN|LOGIN) as nobody: 535 " "last_error says what failed"
kill -TERM "$PF_PID"
fetch_wait

# --- POP before SMTP: the mailbox login at least every pop_before_smtp ---------
sql "UPDATE postfetch.account SET poll_interval = '1 hour',
    pop_before_smtp = '2 min' WHERE name = 'biuro'" >/dev/null
fetch_poll biuro
is "$PF_RC" 0 "a poll of the account"
is "$(sql "SELECT next_poll > now() AND next_poll <= now() + interval '2 min'
    FROM postfetch.account WHERE name = 'biuro'")" t \
    "schedules the next login within pop_before_smtp, not poll_interval"

# --- secrets ----------------------------------------------------------------------
for log in "$PF_MAILLOG" "$PF_SECOND_MAILLOG" "$PF_TMP/all.log" "$PF_OUT"; do
	is "$(grep -c -e secret -e wrong-pw -e lookup-pw "$log")" 0 \
	    "no password in ${log#"$PF_TMP"/}"
done
like "$(PGUSER=pf_lookup pg_psql -c "SELECT password FROM postfetch.account" 2>&1)" \
    "permission denied for table account" "the lookup role cannot read the account table"

done_testing
