#!/bin/bash
# End to end: postfetch fetches multidrop mail from Dovecot and reinjects
# it through sendmail; Postfix hands it to the milter, which rewrites the
# remote recipients through the account's aliases and removes the tag.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
source "$(dirname "$0")/milter_common.sh"
fetch_setup shop

MILTER_PORT=$(free_port)
fetch_conf "milter_socket = inet:$MILTER_PORT@127.0.0.1"
: >"$PF_TMP/milter.log"
milter_start
harness_at_exit milter_stop
mapfile -t lines < <(milter_postfix_lines)
postfix_set "${lines[@]}"
sleep 1

# Two messages as the provider stored them: the envelope recipient in
# Delivered-To, remote addresses only.
for i in 1 2; do
	{
		echo "Return-Path: <sender@example.org>"
		[ "$i" = 1 ] && echo "Delivered-To: P.Maly@provider.example"
		[ "$i" = 2 ] && echo "To: carol@example.com, nobody@provider.example"
		echo "From: Sender <sender@example.org>"
		echo "Message-ID: <shop$i@example.org>"
		echo "Subject: fetched $i"
		echo
		echo "Body of shop$i."
	} >"$PF_TMP/shop$i"
done
mailbox_fill shop "$PF_TMP/shop1" "$PF_TMP/shop2"
account_add shop port="$PF_POP3S_PORT" tls="'direct'" \
    fallback="'fallback@example.com'"
sql "INSERT INTO postfetch.alias (account_id, remote, local)
    SELECT id, 'p.maly@provider.example', 'pavel.maly@example.com'
    FROM postfetch.account WHERE name = 'shop';
    INSERT INTO postfetch.local_recipient (address) VALUES ('carol@example.com')" \
    >/dev/null

fetch_poll shop
is "$PF_RC" 0 "postfetch poll exits 0"
log_on_failure "$PF_RC"
ok "aliased remote recipient: delivered to pavel.maly" wait_for_delivery pavel.maly 1
ok "local recipient kept: carol" wait_for_delivery carol 1
ok "unknown remote recipient: to the account's fallback" wait_for_delivery fallback 1
postfix_wait_idle 20
ok "pavel.maly's copy is the fetched message" maildir_grep pavel.maly -q '^Body of shop1\.$'
ok "the tag is gone from every delivered message" \
    not grep -rqi '^X-Postfetch-Account:' "$PF_TMP/mail"
ok "Original-Recipient keeps the remote address" \
    maildir_grep pavel.maly -qx 'Original-Recipient: rfc822;P.Maly@provider.example'
like "$(milter_log)" "account=shop rcpt=<P.Maly@provider.example> -> <pavel.maly@example.com> \(alias\)" \
    "the milter logged the rewrite"
like "$(milter_log)" "account=shop rcpt=<nobody@provider.example> -> <fallback@example.com> \(fallback\)" \
    "the milter logged the fallback"
is "$(postfix_queue_count)" 0 "nothing left in the queue"
unlike "$(cat "$PF_MAILLOG")" "status=bounced" "nothing bounced"
done_testing
