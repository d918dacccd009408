#!/bin/bash
# ETRN with the milter down, the lines of contrib/main.cf.milter in place:
# a second private Postfix plays the provider and flushes etrn.example to
# the test Postfix (the collector), whose other remote mail goes to a pipe
# that records it. With milter_default_action = accept for the site and
# the milter down, the mail accepted for etrn.example is held (the
# postfetch-held transport: deferred, and again after a flush), never
# relayed. With the milter's own default_action = tempfail the collector
# refuses the mail and the provider keeps it; once the milter is back the
# next ETRN delivers it, rewritten.
source "$(dirname "$0")/milter_common.sh"

PF_MAIL_USERS="frank sender"
milter_setup
milter_outage_accounts
CONTRIB=$PF_TOP/contrib/main.cf.milter

# The shipped lines, as an administrator would uncomment them.
held_line=$(sed -n 's/^#   \(etrn\.example .*\)$/\1/p' "$CONTRIB")
defer_line=$(sed -n 's/^#\(defer_transports = .*\)$/\1/p' "$CONTRIB")
milter_line=$(sed -n 's/^\(smtpd_milters = .*\)$/\1/p' "$CONTRIB" |
    sed "s|unix:/run/postfetch/milter.sock|inet:127.0.0.1:$MILTER_PORT|")
is "$held_line" "etrn.example    postfetch-held:" "contrib: the transport line"
is "$defer_line" "defer_transports = postfetch-held" "contrib: defer_transports"
like "$milter_line" "default_action=tempfail" "contrib: the milter's own default action"
echo "$held_line" >"$PF_TMP/transport"
postfix_recorder || bail "cannot add the recorder to master.cf"
postfix_set "relay_domains = etrn.example" "$defer_line" \
    "default_transport = recorder" "relay_transport = recorder" \
    "milter_default_action = accept" ||
    bail "cannot configure the collector"

# The provider: it relays etrn.example to the collector when flushed.
echo "etrn.example smtp:[127.0.0.1]:$PF_SMTP_PORT" >"$PF_TMP/provider-transport"
postfix_second_start "myhostname = mx.provider.example" \
    "mydestination = localhost" "relay_domains = etrn.example" \
    "transport_maps = texthash:$PF_TMP/provider-transport" \
    "defer_transports = smtp" "fast_flush_domains = etrn.example" \
    "smtpd_etrn_restrictions = permit_mynetworks, reject"

# Mail held at the provider for etrn.example, subject $1.
provider_mail()
{
	postfix_second smtp_session "EHLO sender.example" \
	    "MAIL FROM:<sender@example.org>" "RCPT TO:<sales@etrn.example>" \
	    "DATA" $'From: <sender@example.org>\nSubject: '"$1"$'\n\nheld\n.' \
	    "QUIT"
}

# ETRN etrn.example at the provider; prints its reply.
provider_etrn()
{
	postfix_second smtp_session "EHLO collector.example" \
	    "ETRN etrn.example" "QUIT"
}

# The delay reasons of the collector's queue, one a line.
collector_reasons()
{
	postfix_queue | grep -o '"delay_reason": *"[^"]*"' | sed 's/.*: *//'
}

# It records: a remote recipient submitted directly does reach it.
echo "Subject: control" | $PF_SENDMAIL -i -- control@remote.example
ok "the recorder records remote deliveries" \
    wait_until 30 "grep -q 'to: control@remote.example' '$PF_TMP/recorder/got'"
: >"$PF_TMP/recorder/got"

# --- The milter down, milter_default_action = accept: held, not relayed.
milter_stop
like "$(provider_mail 'first')" "250 2.0.0 Ok: queued" "the provider holds mail for etrn.example"
postfix_second postfix_wait_idle 20
like "$(provider_etrn)" "250 Queuing started" "ETRN: the provider flushes"
ok "the collector accepted it (milter down, default accept)" \
    wait_until 30 "grep -q 'status=sent' '$PF_SECOND_MAILLOG'"
postfix_wait_idle 30
is "$(collector_reasons)" '"deferred transport"' \
    "held in the collector's queue: deferred transport"
postfix_flush
ok "a flush tries it" wait_until 30 \
    "collector_reasons | grep -q 'mail transport unavailable'"
postfix_wait_idle 30
is "$(postfix_deferred_count)" 1 "after the flush: still deferred"
is "$(wc -c <"$PF_TMP/recorder/got")" 0 "nothing handed to the relay transport"
unlike "$(grep -v control@remote.example "$PF_MAILLOG")" 'relay=recorder|status=bounced|status=sent' \
    "no relay, no bounce, nothing sent"
is "$(maildir_count frank)" 0 "not delivered unrewritten"

# --- The milter's own default_action = tempfail: the provider keeps it.
postfix_set "$milter_line" || bail "cannot set smtpd_milters"
like "$(provider_mail 'second')" "250 2.0.0 Ok: queued" "more mail at the provider"
postfix_second postfix_wait_idle 20
sent=$(grep -c 'status=sent' "$PF_SECOND_MAILLOG")
like "$(provider_etrn)" "250 Queuing started" "ETRN while the milter is down"
ok "the collector refuses it for now" wait_until 30 \
    "grep -q 'relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PF_SMTP_PORT, .*status=deferred' '$PF_SECOND_MAILLOG'"
postfix_second postfix_wait_idle 20
is "$(grep -c 'status=sent' "$PF_SECOND_MAILLOG")" "$sent" "the provider sent nothing"
is "$(postfix_second postfix_deferred_count)" 1 "the provider keeps it"
is "$(postfix_deferred_count)" 1 "the collector still holds only the first"

# --- The milter back: the next ETRN delivers it, rewritten.
milter_start
like "$(provider_etrn)" "250 Queuing started" "ETRN with the milter back"
ok "delivered, rewritten to frank" wait_for_delivery frank 1 60
ok "it is the second message" maildir_grep frank -q '^Subject: second$'
like "$(milter_log)" "account=etrn1 rcpt=<sales@etrn\.example> -> <frank@example\.com> \(alias\)" \
    "the milter rewrote it"
postfix_second postfix_wait_idle 20
is "$(postfix_second postfix_queue_count)" 0 "the provider's queue is empty"
postfix_wait_idle 30
is "$(wc -c <"$PF_TMP/recorder/got")" 0 "still nothing handed to the relay transport"
is "$(maildir_count sender)" 0 "nothing bounced"
done_testing
