#!/bin/bash
# The milter started while PostgreSQL is down. Each directory it reads
# leaves the ETRN domains in its state file (mode 0600, the milter's user,
# replaced whole). Started on that file: SMTP mail of no ETRN domain passes
# untouched, SMTP mail for an ETRN domain gets a temporary failure, fetched
# mail waits in the maildrop queue and is rewritten once PostgreSQL is back.
# Without the file (the very first start), or with one that others may
# write, every SMTP message waits.
source "$(dirname "$0")/milter_common.sh"

PF_MAIL_USERS="gina sender"
milter_setup

milter_outage_accounts

# The domains of the state file.
state_domains()
{
	grep -v '^#' "$MILTER_STATE" | tr '\n' ' '
}

# --- The database answers: each read keeps the ETRN domains.
like "$(smtp_mail gina@example.com)" "250 2.0.0 Ok: queued" \
    "database up: SMTP mail accepted"
ok "and delivered" wait_for_delivery gina 1
is "$(stat -c '%a %U' "$MILTER_STATE" 2>&1)" "600 $PF_USER" \
    "state file written: mode 0600, the milter's user"
is "$(state_domains)" "etrn.example " "it holds the ETRN domain"
notified=$(grep -c 'listener: account changed' "$PF_TMP/milter.log")
pg_psql -c "INSERT INTO postfetch.account (name, protocol, host, domain)
    VALUES ('etrn2', 'etrn', 'mx.provider.example', 'Second.Example')" >/dev/null
ok "the milter hears of the change" wait_until 20 \
    "[ \$(grep -c 'listener: account changed' '$PF_TMP/milter.log') -gt $notified ]"
like "$(smtp_mail gina@example.com)" "250 2.0.0 Ok: queued" \
    "SMTP mail after a change of the accounts"
ok "delivered" wait_for_delivery gina 2
is "$(state_domains)" "etrn.example second.example " \
    "the state file follows the change (lower case, sorted)"
is "$(find "$PF_TMP/state" -type f | wc -l)" 1 "no temporary file left"

# Mail for second.example is accepted too (and would wait, as etrn.example's).
echo "second.example postfetch-held:" >>"$PF_TMP/transport"
postfix_reload

# --- The very first start, PostgreSQL down: no state file, SMTP mail waits.
milter_stop
pg_stop
mv "$MILTER_STATE" "$PF_TMP/saved.state"
milter_start
like "$(smtp_mail gina@example.com)" "451 4.3.0 postfetch: recipient database unavailable" \
    "no state file: SMTP mail of no ETRN domain waits too"
like "$(milter_log)" "no state file $MILTER_STATE yet: SMTP mail waits" \
    "the milter says why"

# --- A state file that others may write is not trusted.
milter_stop
cp "$PF_TMP/saved.state" "$MILTER_STATE"
chown "$PF_USER" "$MILTER_STATE"
chmod 622 "$MILTER_STATE"
milter_start
like "$(smtp_mail gina@example.com)" "451 4.3.0 " \
    "state file writable by others: SMTP mail waits"
like "$(milter_log)" "state file ignored: $MILTER_STATE: not a regular file of uid" \
    "and it is logged"

# --- Started on the state file of the earlier run, PostgreSQL still down.
milter_stop
chmod 600 "$MILTER_STATE"
milter_start
like "$(smtp_mail gina@example.com)" "250 2.0.0 Ok: queued" \
    "state file: SMTP mail of no ETRN domain accepted"
ok "and delivered" wait_for_delivery gina 3
last=$(maildir_files gina | tail -n 1)
ok "untouched: no Original-Recipient header" not grep -qi '^Original-Recipient:' "$last"
ok "untouched: still for gina" grep -q '^Subject: by smtp to gina@example.com$' "$last"
like "$(smtp_mail sales@etrn.example)" "451 4.3.0 postfetch: recipient database unavailable" \
    "SMTP mail for an ETRN domain: temporary failure"
like "$(smtp_mail someone@second.example)" "451 4.3.0 " \
    "SMTP mail for the other ETRN domain (any case): temporary failure"
like "$(smtp_mail gina@example.com sales@etrn.example)" "451 4.3.0 " \
    "SMTP mail with one recipient in an ETRN domain: temporary failure"
tempfail='milter-reject: END-OF-MESSAGE .*: 4\.3\.0 postfetch: .*; from=<sender@example\.com> '
refused=$(grep -cE "$tempfail" "$PF_MAILLOG")
milter_send sender@example.com "$(milter_tag shop)" p.maly@provider.example
ok "fetched mail: offered and refused for now" \
    wait_until 90 "[ \$(grep -cE '$tempfail' '$PF_MAILLOG') -gt $refused ] && ! postfix_busy"
is "$(postfix_queue | grep -c '"queue_name": "maildrop"')" 1 \
    "it waits in the maildrop queue"
is "$(maildir_count pavel.maly)" 0 "not delivered"
is "$(maildir_count postmaster)" 0 "not delivered to the placeholder either"

# --- PostgreSQL back: the waiting mail is rewritten and delivered.
pg_start
postkick -c "$PF_POSTFIX_CONF" public pickup W 2>/dev/null
ok "PostgreSQL back: fetched mail rewritten and delivered" \
    wait_for_delivery pavel.maly 1 90
like "$(smtp_mail sales@etrn.example)" "250 2.0.0 Ok: queued" \
    "SMTP mail for the ETRN domain accepted again"
ok "and rewritten" wait_for_delivery frank 1
is "$(maildir_count sender)" 0 "nothing bounced"
postfix_wait_idle 30
is "$(postfix_queue_count)" 0 "nothing left in the queue"
done_testing
