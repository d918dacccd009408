#!/bin/bash
# PostgreSQL stopped: fetched mail (sendmail) and SMTP mail for an ETRN
# domain wait (nothing bounces, nothing goes out), the outage is logged
# once, mail of no account still flows; PostgreSQL back: Postfix offers
# the waiting mail again by itself and it is rewritten and delivered.
source "$(dirname "$0")/milter_common.sh"

PF_MAIL_USERS="gina sender"
milter_setup

# Lines of the Postfix log that match the ERE.
maillog_count()
{
	grep -cE "$1" "$PF_MAILLOG"
}

milter_outage_accounts

milter_send sender@example.com "$(milter_tag shop)" p.maly@provider.example
ok "before the outage: delivered" wait_for_delivery pavel.maly 1

pg_stop
milter_send sender@example.com "$(milter_tag shop)" p.maly@provider.example
milter_send sender@example.com "$(milter_tag shop)" a@provider.example
tempfail='milter-reject: END-OF-MESSAGE .*: 4\.3\.0 postfetch: .*; from=<sender@example\.com> '
refused=$(maillog_count "$tempfail")
milter_send sender@example.com "" gina@example.com
ok "mail of no account still flows" wait_for_delivery gina 1
reply=$(smtp_session "EHLO mx.provider.example" "MAIL FROM:<someone@elsewhere.example>" \
    "RCPT TO:<sales@etrn.example>" "DATA" $'Subject: by smtp\n\nsmtp body\n.' "QUIT")
like "$reply" "451 4.3.0 postfetch: recipient database unavailable" \
    "SMTP mail for the ETRN domain: temporary failure"
# Not a fixed sleep: wait until Postfix offered each message to the milter
# and was told to try later, and nothing it accepted is in flight. The log
# does not say which message (both go to postmaster): pickup tries every
# file of the maildrop in a scan, and of three refusals after both were
# there, at most one is of a scan that began before; the others are of a
# scan that tried both.
ok "during the outage: both messages offered and refused for now" \
    wait_until 30 "[ \$(maillog_count '$tempfail') -ge $((refused + 3)) ] &&
    ! postfix_busy"
is "$(maildir_count pavel.maly)" 1 "during the outage: not delivered"
is "$(maildir_count alice)" 0 "during the outage: not delivered (2)"
is "$(maildir_count sender)" 0 "during the outage: nothing bounced"
is "$(postfix_queue | grep -c '"queue_name": "maildrop"')" 2 \
    "both messages wait in the maildrop queue"
like "$(cat "$PF_MAILLOG")" "milter-reject: END-OF-MESSAGE from localhost\[127.0.0.1\]: 4.3.0 postfetch" \
    "Postfix logged the temporary failure"
is "$(grep -c 'database unavailable, mail waits' "$PF_TMP/milter.log")" 1 \
    "the outage is logged once"

pg_start
ok "after the outage: delivered (pickup retries within 60 s)" \
    wait_for_delivery pavel.maly 2 90
ok "after the outage: delivered (2)" wait_for_delivery alice 1 30
postfix_wait_idle 20
like "$(milter_log)" "database available again" "the recovery is logged"
ok "the tag of the retried message is gone" \
    not maildir_grep alice -qi '^X-Postfetch-Account:'
reply=$(smtp_session "EHLO mx.provider.example" "MAIL FROM:<someone@elsewhere.example>" \
    "RCPT TO:<sales@etrn.example>" "DATA" $'Subject: by smtp\n\nsmtp body\n.' "QUIT")
like "$reply" "250 2.0.0 Ok: queued" "SMTP mail accepted again"
ok "SMTP mail rewritten again" wait_for_delivery frank 1
is "$(maildir_count sender)" 0 "nothing bounced"
is "$(postfix_queue_count)" 0 "nothing left in the queue"

# The milter itself down: milter_default_action = tempfail keeps the mail.
milter_stop
refused=$(maillog_count 'milter-reject: CONNECT .*: 4\.7\.1 ')
milter_send sender@example.com "$(milter_tag shop)" p.maly@provider.example
ok "milter down: Postfix cannot reach it and keeps the message" \
    wait_until 30 "[ \$(maillog_count 'milter-reject: CONNECT .*: 4\.7\.1 ') -gt $refused ] &&
    ! postfix_busy"
is "$(maildir_count pavel.maly)" 2 "milter down: not delivered"
milter_start
postkick -c "$PF_POSTFIX_CONF" public pickup W 2>/dev/null
ok "milter back: delivered" wait_for_delivery pavel.maly 3 90
is "$(maildir_count sender)" 0 "still nothing bounced"
done_testing
