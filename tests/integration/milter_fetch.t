#!/bin/bash
# End to end: postfetch fetches multidrop mail from Dovecot and reinjects
# it through sendmail; Postfix hands it to the milter, which rewrites the
# remote recipients through the account's aliases and removes the tag.
# The mail of a single-drop account keeps its deliver_to recipient. An
# IMAP account's mail from a non-ASCII folder is rewritten the same way,
# and the milter learns the folder from the signed tag.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
source "$(dirname "$0")/milter_common.sh"
fetch_setup shop solo imapshop

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

# A single-drop account: everything to grace, who is neither aliased nor a
# local_recipient; the remote recipient in the headers plays no part.
{
	echo "Return-Path: <sender@example.org>"
	echo "Delivered-To: solo@provider.example"
	echo "From: Sender <sender@example.org>"
	echo "Message-ID: <solo1@example.org>"
	echo "Subject: single-drop"
	echo
	echo "Body of solo1."
} >"$PF_TMP/solo1"
mailbox_fill solo "$PF_TMP/solo1"
account_add solo port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'Grace@example.com'" fallback="'fallback@example.com'"
is "$(sql "SELECT (SELECT count(*) FROM postfetch.local_recipient
    WHERE lower(address) = 'grace@example.com') + (SELECT count(*)
    FROM postfetch.alias WHERE lower(local) = 'grace@example.com'
    OR lower(remote) = 'grace@example.com')")" 0 \
    "grace is neither a local_recipient nor an alias target"
fetch_poll solo
is "$PF_RC" 0 "postfetch poll of the single-drop account exits 0"
log_on_failure "$PF_RC"
ok "single-drop: delivered to deliver_to's maildir" wait_for_delivery grace 1
postfix_wait_idle 20
ok "grace's copy is the fetched message" maildir_grep grace -q '^Body of solo1\.$'
is "$(maildir_count fallback)" 1 "single-drop: nothing more to the fallback"
ok "single-drop: no Original-Recipient header (the recipient was kept)" \
    not maildir_grep grace -qi '^Original-Recipient:'
like "$(milter_log)" "account=solo tag=valid recipients=1 changed=0 added=0" \
    "the milter kept the single-drop recipient"
unlike "$(milter_log)" "account=solo rcpt=" "and logged no rewrite for it"

# IMAP, multidrop, from a non-ASCII folder.
{
	echo "Return-Path: <sender@example.org>"
	echo "Delivered-To: P.Maly@provider.example"
	echo "From: Sender <sender@example.org>"
	echo "Message-ID: <imapshop1@example.org>"
	echo "Subject: fetched over IMAP"
	echo
	echo "Body of imapshop1."
} >"$PF_TMP/imapshop1"
folder_fill imapshop 'Wysłane' "$PF_TMP/imapshop1"
account_add imapshop protocol="'imap'" port="$PF_IMAPS_PORT" tls="'direct'" \
    "folders='{Wysłane}'" fallback="'fallback@example.com'"
sql "INSERT INTO postfetch.alias (account_id, remote, local)
    SELECT id, 'p.maly@provider.example', 'pavel.maly@example.com'
    FROM postfetch.account WHERE name = 'imapshop'" >/dev/null
fetch_poll imapshop
is "$PF_RC" 0 "IMAP: postfetch poll exits 0"
log_on_failure "$PF_RC"
ok "IMAP: aliased remote recipient: delivered to pavel.maly" \
    wait_for_delivery pavel.maly 2
postfix_wait_idle 20
ok "IMAP: pavel.maly's copy is the fetched message" \
    maildir_grep pavel.maly -q '^Body of imapshop1\.$'
like "$(milter_log)" "account=imapshop tag=valid folder=Wys&AUI-ane recipients=1 changed=1 added=1" \
    "IMAP: the milter knows the folder from the tag"

ok "no tag left in any delivered message after the single-drop poll" \
    not grep -rqi '^X-Postfetch-Account:' "$PF_TMP/mail"
is "$(postfix_queue_count)" 0 "nothing left in the queue"
unlike "$(cat "$PF_MAILLOG")" "status=bounced" "nothing bounced"
done_testing
