#!/bin/bash
# Smoke test: the harness's private Postfix is real: sendmail -C and SMTP
# deliver to local maildirs through local(8); nothing leaves the host.
source "$(dirname "$0")/../lib/harness.sh"
harness_init
postfix_start

# The body of a delivered message file (everything after the first blank line).
body_of() { sed '1,/^$/d' "$1"; }

printf 'Subject: smoke\nFrom: Sender <sender@example.org>\n\nfirst line\n\tindented line\nFrom the middle\n..two dots\nlast line\n' >"$PF_TMP/msg"

ok "no maildir before the first delivery" not test -e "$PF_TMP/mail/alice"
ok "sendmail -C accepts the message" \
    $PF_SENDMAIL -i -f sender@example.org alice@example.com <"$PF_TMP/msg"
ok "delivered to \$PF_TMP/mail/alice" wait_for_delivery alice 1 20
file=$(maildir_files alice | head -n 1)
is "$(maildir_count alice)" 1 "exactly one message"
ok "the maildir was created by local(8) (new cur tmp)" \
    test -d "$PF_TMP/mail/alice/new" -a -d "$PF_TMP/mail/alice/cur" -a -d "$PF_TMP/mail/alice/tmp"
is "$(grep -m1 '^Delivered-To:' "$file")" "Delivered-To: alice@example.com" \
    "local(8) added Delivered-To"
is "$(grep -m1 '^Return-Path:' "$file")" "Return-Path: <sender@example.org>" \
    "envelope sender kept"
is "$(body_of "$file")" "$(body_of "$PF_TMP/msg")" "body intact"
ok "maildir_grep finds the subject" maildir_grep alice -q '^Subject: smoke$'
like "$(cat "$PF_MAILLOG")" "to=<alice@example.com>, relay=local, .*status=sent \(delivered to maildir\)" \
    "maillog_file has the delivery"

# Nothing leaves: remote domains go to the error transport.
printf 'Subject: remote\n\nbody\n' |
    $PF_SENDMAIL -i -f bob@example.com someone@remote.example
ok "bounce for the remote recipient reaches the sender" wait_for_delivery bob 1 20
ok "the bounce is a non-delivery notification" \
    maildir_grep bob -q 'remote delivery disabled in tests'
like "$(cat "$PF_MAILLOG")" "to=<someone@remote.example>, relay=none, .*status=bounced \(remote delivery disabled in tests\)" \
    "remote recipient bounced by the error transport"
ok "postfix is idle" postfix_wait_idle 20
is "$(postfix_queue_count)" 0 "queue is empty"

# SMTP on the free port, from 127.0.0.1.
reply=$(smtp_session "EHLO client.example" "MAIL FROM:<sender@example.org>" \
    "RCPT TO:<carol@example.com>" "RCPT TO:<nosuchuser@example.com>" "DATA" \
    $'Subject: by smtp\n\nsmtp body\n.' "QUIT")
like "$reply" "250 2.1.5 Ok" "smtpd accepts a local recipient"
like "$reply" "550 5.1.1 <nosuchuser@example.com>: Recipient address rejected" \
    "smtpd rejects an unknown local recipient"
ok "SMTP delivery lands in \$PF_TMP/mail/carol" wait_for_delivery carol 1 20
ok "SMTP-delivered body intact" maildir_grep carol -qx 'smtp body'

postfix_add_mailbox newbie
printf 'Subject: new\n\nbody\n' | $PF_SENDMAIL -i newbie@example.com
ok "postfix_add_mailbox makes a new local part" wait_for_delivery newbie 1 20

# Hooks for the milter tests: change main.cf and reload.
echo '/^Subject: hold me/ HOLD' >"$PF_POSTFIX_CONF/header_checks"
postfix_set "header_checks = regexp:$PF_POSTFIX_CONF/header_checks"

printf 'Subject: hold me\n\nbody\n' | $PF_SENDMAIL -i dave@example.com
postfix_wait_idle 20
is "$(postfix_held_count)" 1 "postfix_set + reload: the message is held"
is "$(maildir_count dave)" 0 "held message not delivered"
done_testing
