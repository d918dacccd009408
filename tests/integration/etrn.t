#!/bin/bash
# ETRN end to end (RFC 1985): a second private Postfix plays the provider.
# It holds the mail of etrn.example (relay_domains, defer_transports =
# smtp) and flushes it on ETRN (fast_flush_domains) to the test Postfix,
# the collector, whose smtpd hands it to the milter: the recipients at
# etrn.example are rewritten through the ETRN account's aliases. Refused
# ETRNs (a domain the provider does not flush, one its
# smtpd_etrn_restrictions reject) fail the poll with the reply's text;
# STARTTLS as the account's tls says; check runs the same session.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
source "$(dirname "$0")/milter_common.sh"
fetch_setup

# The collector: the milter in smtpd_milters; mail for etrn.example that
# the milter did not rewrite would be held (contrib/main.cf.milter's
# postfetch-held transport).
MILTER_PORT=$(free_port)
fetch_conf "milter_socket = inet:$MILTER_PORT@127.0.0.1"
: >"$PF_TMP/milter.log"
milter_start
harness_at_exit milter_stop
echo "etrn.example postfetch-held:" >"$PF_TMP/transport"
mapfile -t lines < <(milter_postfix_lines)
postfix_set "${lines[@]}" "transport_maps = texthash:$PF_TMP/transport" \
    "defer_transports = postfetch-held"

# The provider: it relays etrn.example to the collector, but only when
# flushed; ETRN is allowed from loopback, except for denied.example.
echo "etrn.example smtp:[127.0.0.1]:$PF_SMTP_PORT" >"$PF_TMP/provider-transport"
echo "denied.example REJECT not yours" >"$PF_TMP/provider-etrn"
postfix_second_start "myhostname = mx.provider.example" \
    "mydestination = localhost" "relay_domains = etrn.example" \
    "transport_maps = texthash:$PF_TMP/provider-transport" \
    "defer_transports = smtp" "fast_flush_domains = etrn.example" \
    "smtpd_etrn_restrictions = check_etrn_access texthash:$PF_TMP/provider-etrn, permit_mynetworks, reject" \
    "smtpd_tls_security_level = may" "smtpd_tls_cert_file = $PF_TLS_CERT" \
    "smtpd_tls_key_file = $PF_TLS_KEY"

# The accounts, and where the milter sends etrn.example's recipients.
account_add etrnacct protocol="'etrn'" domain="'etrn.example'" \
    port="$PF_SECOND_SMTP_PORT" fallback="'fallback@example.com'"
account_add etrnother protocol="'etrn'" domain="'other.example'" \
    port="$PF_SECOND_SMTP_PORT" tls="'starttls'"
account_add etrndenied protocol="'etrn'" domain="'denied.example'" \
    port="$PF_SECOND_SMTP_PORT" tls="'disable'"
sql "INSERT INTO postfetch.alias (account_id, remote, local)
    SELECT id, 'sales@etrn.example', 'frank@example.com'
    FROM postfetch.account WHERE name = 'etrnacct'" >/dev/null

# --- Mail held at the provider.
reply=$(postfix_second smtp_session "EHLO sender.example" \
    "MAIL FROM:<sender@example.org>" "RCPT TO:<sales@etrn.example>" \
    "RCPT TO:<ghost@etrn.example>" "DATA" \
    $'From: <sender@example.org>\nSubject: held for ETRN\nMessage-ID: <held1@example.org>\n\nBody held at the provider.\n.' \
    "QUIT")
like "$reply" "250 2.0.0 Ok: queued" "the provider accepts mail for etrn.example"
postfix_second postfix_wait_idle 20
is "$(postfix_second postfix_deferred_count)" 1 "and holds it (deferred)"
like "$(cat "$PF_SECOND_MAILLOG")" "to=<sales@etrn.example>, relay=none, .*status=deferred \(deferred transport\)" \
    "deferred by defer_transports"
is "$(maildir_count frank)" 0 "nothing at the collector yet"

# --- ETRN: the provider flushes the domain to the collector.
fetch_poll etrnacct
is "$PF_RC" 0 "poll of the ETRN account exits 0"
log_on_failure "$PF_RC"
is "$(log_count '^postfetch: account=etrnacct host=localhost: ETRN etrn\.example: 250 Queuing started$')" 1 \
    "the reply is logged"
is "$(log_count '^postfetch: account=etrnacct host=localhost: 0 messages, 0 bytes in ')" 1 \
    "with the usual summary line"
is "$(last_poll etrnacct)" "0|0|" "poll row: no messages, no error"
is "$(sql "SELECT tls_seen FROM postfetch.account WHERE name = 'etrnacct'")" t \
    "tls = detect used STARTTLS and remembers it"
like "$(log_grep 'TLS negotiated')" "account=etrnacct host=localhost: TLS negotiated, recorded in tls_seen" \
    "and says so"
ok "the alias recipient's copy arrives: frank" wait_for_delivery frank 1 30
ok "the unknown recipient's copy goes to the account's fallback" \
    wait_for_delivery fallback 1 30
ok "frank's copy is the held message" maildir_grep frank -q '^Body held at the provider\.$'
ok "it came by SMTP from the provider" \
    maildir_grep frank -q '^Received: from mx\.provider\.example'
like "$(milter_log)" "account=etrnacct rcpt=<sales@etrn\.example> -> <frank@example\.com> \(alias\)" \
    "the milter rewrote it by its domain"
like "$(milter_log)" "account=etrnacct rcpt=<ghost@etrn\.example> -> <fallback@example\.com> \(fallback\)" \
    "and the unknown recipient to the fallback"
postfix_second postfix_wait_idle 20
is "$(postfix_second postfix_queue_count)" 0 "the provider's queue is empty"
like "$(cat "$PF_SECOND_MAILLOG")" "smtpd\[[0-9]+\]: disconnect from localhost\[127\.0\.0\.1\] ehlo=2 starttls=1 etrn=1 quit=1 commands=5" \
    "the provider saw EHLO, STARTTLS, EHLO, ETRN and QUIT"

# --- Refused: a domain the provider does not flush, one it rejects.
fetch_poll etrnother
is "$PF_RC" 1 "ETRN for a domain not in fast_flush_domains: exit 1"
is "$(log_count '^postfetch: warning: account=etrnother host=localhost: poll failed: ETRN other\.example: 459 <other\.example>: service unavailable$')" 1 \
    "one line with the provider's reply"
is "$(last_poll etrnother)" "0|0|ETRN other.example: 459 <other.example>: service unavailable" \
    "poll row: the reply as error"
fetch_poll etrndenied
is "$PF_RC" 1 "ETRN rejected by smtpd_etrn_restrictions: exit 1"
like "$(last_poll etrndenied)" '^0\|0\|ETRN denied\.example: 554 5\.7\.1 <denied\.example>: .*not yours$' \
    "poll row: the reply as error"
is "$(log_count "^postfetch: warning: account=etrndenied host=localhost: tls = disable: the session is not encrypted\$")" 1 \
    "tls = disable: one warning in the poll"
is "$(sql "SELECT last_error FROM postfetch.account WHERE name = 'etrndenied'")" \
    "$(last_poll etrndenied | cut -d'|' -f3)" "the account's status has it too"

# --- check: the same session, printed.
fetch_run check etrnacct
is "$PF_RC" 0 "check of the ETRN account exits 0"
like "$(cat "$PF_OUT")" "TLS: +TLSv1\.[23]" "check shows TLS"
like "$(cat "$PF_OUT")" "capabilities: .*ETRN" "and the EHLO keywords"
like "$(cat "$PF_OUT")" "ETRN etrn\.example: 250 Queuing started" "and the reply"
like "$(cat "$PF_OUT")" "result: +ok" "result ok"
fetch_run check etrndenied
is "$PF_RC" 1 "check of a refused ETRN exits 1"
like "$(cat "$PF_OUT")" "result: +failed: ETRN denied\.example: 554 " "and prints the reply"

# --- The provider without STARTTLS: starttls and detect fail alike (detect
# is TLS or nothing, whatever tls_seen says); disable goes on, warned.
postfix_second postfix_set "smtpd_tls_security_level = none"
fetch_poll etrnother
is "$PF_RC" 1 "tls = starttls without STARTTLS: exit 1"
is "$(last_poll etrnother)" "0|0|server does not offer STARTTLS: plain text refused (tls = starttls); set tls = 'disable' to allow it" \
    "poll row says so"
sql "UPDATE postfetch.account SET tls_seen = false WHERE name = 'etrnacct'" \
    >/dev/null
fetch_poll etrnacct
is "$PF_RC" 1 "tls = detect without STARTTLS: exit 1"
is "$(last_poll etrnacct)" "0|0|server does not offer STARTTLS: plain text refused (tls = detect); set tls = 'disable' to allow it" \
    "poll row says so"
ok "neither sent ETRN in plain text (the provider saw EHLO and QUIT)" \
    wait_until 10 "[ \"\$(grep -c 'disconnect from localhost.* ehlo=1 quit=1 commands=2\$' '$PF_SECOND_MAILLOG')\" = 2 ]"

# --- Nothing listens: the cause names the address.
sql "UPDATE postfetch.account SET port = 9 WHERE name = 'etrndenied'" >/dev/null
fetch_poll etrndenied
is "$PF_RC" 1 "nothing listening: exit 1"
like "$(last_poll etrndenied)" '^0\|0\|connect to localhost\[127\.0\.0\.1\]:9: Connection refused$' \
    "poll row names the address"

done_testing
