#!/bin/bash
# The no-loss edges of the delivery engine (issue 7), against the real
# services and the scripted server (pop3_peer.py): a refused DELE, a UID
# reused for another message, seen rows of a mailbox that changed during
# the poll, a retrieved size that disagrees with LIST, and a leading mbox
# "From " line.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
fetch_setup moved kept

# The UIDs (file names) left in the peer's --store directory, on one line.
store_uids()
{
	find "$1" -type f -printf '%f\n' | sort | paste -sd' '
}

# The seen rows of account NAME: uid|size, one a line, by UID.
seen_rows()
{
	sql "SELECT s.uid, s.size FROM postfetch.seen s
	    JOIN postfetch.account a ON a.id = s.account_id
	    WHERE a.name = '$1' ORDER BY s.uid"
}

# Octets of FILE (the size LIST announces for it).
octets()
{
	wc -c <"$1" | tr -d ' '
}

# The other size in the log line of a message not delivered for a size
# that disagrees with LIST: size_mismatch UID ANNOUNCED. Nothing unless the
# line has ANNOUNCED (in its size= field and its cause) and another size.
size_mismatch()
{
	local cause
	cause=$(log_grep "uid=$1 size=$2: not delivered, left on the server: " |
	    sed 's/.*left on the server: //')
	grep -qw "$2" <<<"$cause" &&
	    grep -o '[0-9]\+' <<<"$cause" | grep -vx "$2" | head -n 1
}

# The line number in the peer's log of its first line matching ERE.
peer_line()
{
	grep -nE -- "$2" "$1" | head -n 1 | cut -d: -f1
}

# --- A refused DELE. The peer keeps its messages in a directory, so that
# it can be started again, without the fault, on the same messages.
store=$PF_TMP/store
peer_log=$PF_TMP/dele.log
mkdir "$store"
for i in 1 2 3 4; do small_message "$store/u$i" "dele$i"; done
peer_start --store "$store" --log "$peer_log" --err-dele 2 --err-dele 3
peer_account refused erin@example.com
fetch_poll refused
log_on_failure "$PF_RC"
is "$(log_count 'account=refused .*: delivered$')" 4 "refused DELE: all four delivered"
is "$(log_count 'account=refused host=localhost uid=u2: delivered, but the server refused to delete it: -ERR \[IN-USE\] message 2 is locked$')|$(log_count 'uid=u3: delivered, but the server refused to delete it: -ERR \[IN-USE\] message 3 is locked$')" \
    "1|1" "each refusal is logged with the server's reply"
is "$(grep -c '^DELE ' "$peer_log")|$(grep -c '^QUIT' "$peer_log")" "4|1" \
    "the other DELEs and QUIT were still sent"
is "$(store_uids "$store")" "u2 u3" \
    "the others are gone from the server, the refused ones stay"
is "$(seen_rows refused)" "u2|$(octets "$store/u2")
u3|$(octets "$store/u3")" "the refused ones keep their seen rows, with their sizes"
like "$PF_RC|$(last_poll refused)" \
    '^1\|4\|[0-9]+\|2 delivered messages not deleted, the server refused: -ERR \[IN-USE\] message 2 is locked$' \
    "the poll is recorded as failed, so that status shows a mailbox that does not empty"

: >"$peer_log"
fetch_poll refused
is "$(log_count ': delivered$')" 0 "next poll: the refused ones are not delivered again"
is "$(log_count 'uid=u[23]: delivered, but the server refused to delete it')" 2 \
    "their DELE is tried again (and refused again)"
is "$(grep -c '^RETR ' "$peer_log")" 0 "they are not even retrieved"
is "$(store_uids "$store")" "u2 u3" "both still on the server"

# --- A UID reused for another message: u3 now holds a longer message.
# The peer now takes DELE 1 (u2) and still refuses DELE 2 (u3), so that
# u3's seen row can be looked at after the poll.
small_message "$store/u3" reused3
printf 'A longer body than the message u3 was before.\n' >>"$store/u3"
peer_restart --store "$store" --log "$peer_log" --err-dele 2
: >"$peer_log"
fetch_poll refused
log_on_failure "$PF_RC"
is "$(log_count 'message-id=<dele2@example.org>')" 0 \
    "once DELE is accepted the refused message is not delivered again"
is "$(log_count 'account=refused host=localhost uid=u3 message-id=<reused3@example.org> .*: delivered$')" 1 \
    "reused UID with another size: the new message is delivered, not skipped"
retr=$(peer_line "$peer_log" '^RETR 2')
dele=$(peer_line "$peer_log" '^DELE 2')
ok "it is retrieved (RETR 2 at line ${retr:-none}) before any DELE of it (line ${dele:-none})" \
    test -n "$retr" -a "${dele:-0}" -gt "${retr:-0}"
is "$(seen_rows refused)" "u3|$(octets "$store/u3")" \
    "u2 is deleted and forgotten; u3's seen row now holds the new size"
is "$(store_uids "$store")" "u3" "u2 is gone from the server"

peer_restart --store "$store" --log "$peer_log"
fetch_poll refused
is "$PF_RC|$(log_count ': delivered$')" "0|0" \
    "with the new size recorded, the new u3 is not delivered again"
is "$(store_uids "$store")|$(seen_count refused)" "|0" \
    "it is deleted, and the seen index is empty"
ok "erin has five messages" wait_for_delivery erin 5
postfix_wait_idle
is "$(maildir_count erin)" 5 "each exactly once: four, then the reused UID's"
peer_stop

# --- The account's mailbox changes while a poll runs (a sendmail that
# first gives the account another user name, without keep_seen): the
# poll's seen rows must not land in the new mailbox's index, and nothing
# is deleted on the old server.

# An account NAME on Dovecot holding three messages, and a sendmail
# $PF_TMP/sendmail-NAME that gives it another user name first.
moved_account()
{
	local i
	for i in 1 2 3; do small_message "$PF_TMP/$1.$i" "$1$i"; done
	mailbox_account "$1" ivan@example.com "$PF_TMP/$1.1" "$PF_TMP/$1.2" \
	    "$PF_TMP/$1.3"
	sendmail_script "sendmail-$1" \
	    "psql -qAt -c \"UPDATE postfetch.account SET username = 'elsewhere' WHERE name = '$1'\" >/dev/null" \
	    "exec $PF_SENDMAIL \"\$@\""
}

moved_account moved
moved_account kept
# With keep, the rows of a poll are not forgotten after QUIT: a row that
# got into the index would stay there.
sql "UPDATE postfetch.account SET keep = true WHERE name = 'kept'" >/dev/null
poll_through sendmail-moved moved
is "$PF_RC" 1 "mailbox changed during the poll: exit 1"
is "$(seen_count moved)" 0 "no seen row of the old mailbox lands in the new one's index"
delivered=$(log_count 'account=moved .*: delivered$')
ok "sendmail took at least one message ($delivered)" test "$delivered" -ge 1
is "$(log_count 'account=moved host=localhost uid=[^ ]+: delivered but not recorded, left on the server \(it may be delivered again\): the account.s mailbox changed during the poll$')" \
    "$delivered" "each delivered message is logged as not recorded"
is "$(log_count 'account=moved host=localhost: poll failed: the account.s mailbox \(host, port, username or protocol\) changed during the poll$')" 1 \
    "the poll says the mailbox changed during the poll"
is "$(mailbox_count moved)" 3 "nothing was deleted on the old server"
is "$(sql "SELECT mailbox_generation FROM postfetch.account WHERE name = 'moved'")" 1 \
    "the change raised mailbox_generation from 0 to 1"
poll_through sendmail-kept kept
is "$PF_RC|$(seen_count kept)" "1|0" \
    "keep: no seen row lands in the new mailbox's index either"
kept=$(log_count 'account=kept .*: delivered$')
ok "what sendmail took arrives ($delivered + $kept)" \
    wait_for_delivery ivan $((delivered + kept))

# --- A retrieved size that disagrees with LIST: message 2 ends at a lone
# "." halfway (an unstuffed dot line), message 3 is longer than LIST says.
small_message "$PF_TMP/s1" size1
small_message "$PF_TMP/s2" size2
seq -f 'line %g of a message cut short' 20 >>"$PF_TMP/s2"
small_message "$PF_TMP/s3" size3
small_message "$PF_TMP/s4" size4
peer_start --cut-at-dot 2 --lie-size 3:40 --message "$PF_TMP/s1" \
    --message "$PF_TMP/s2" --message "$PF_TMP/s3" --message "$PF_TMP/s4"
peer_account sizes frank@example.com
fetch_poll sizes
is "$PF_RC" 1 "size check: the poll exits 1"
announced=$(octets "$PF_TMP/s2")
retrieved=$(size_mismatch peer-2 "$announced")
ok "cut at a dot: not delivered, logged with both sizes ($announced, and ${retrieved:-no} octets retrieved)" \
    test -n "$retrieved"
ok "the retrieved size is the smaller one" \
    test "${retrieved:-0}" -gt 0 -a "${retrieved:-0}" -lt "$announced"
retrieved=$(size_mismatch peer-3 40)
ok "longer than LIST said: not delivered, logged with both sizes (40, and ${retrieved:-no} octets retrieved)" \
    test "${retrieved:-0}" -gt 40
is "$(log_count 'message-id=<size[14]@example.org> .*: delivered$')|$(log_count ': delivered$')" \
    "2|2" "the other two are delivered"
is "$(log_count 'account=sizes host=localhost: poll failed: 2 messages not delivered: ')" 1 \
    "the poll is logged as failed"
is "$(server_count sizes)" 2 "the two that disagree stay on the server"
fetch_poll sizes
is "$PF_RC|$(log_count ': delivered$')|$(log_count 'uid=peer-[23] .*: not delivered')" \
    "1|0|2" "the next poll leaves them again, delivering nothing"
ok "frank has the two" wait_for_delivery frank 2
postfix_wait_idle
is "$(maildir_count frank)" 2 "and no copy of the two that disagree"
fetch_conf "size_mismatch = deliver"
fetch_poll sizes
fetch_conf
is "$PF_RC|$(log_count 'uid=peer-[23]: size mismatch: .*; delivered \(size_mismatch = deliver\)$')" \
    "0|2" "size_mismatch = deliver: both are delivered, each with a warning"
is "$(server_count sizes)" 0 "and deleted"
ok "frank has all four" wait_for_delivery frank 4
peer_stop

# --- A leading mbox "From " line, on a multidrop account: the line is
# dropped, and the header section below it is parsed (recipient from
# Delivered-To, sender from Return-Path).
{
	echo "From sender@example.org Mon Nov 30 09:00:00 2026"
	echo "Return-Path: <sender@example.org>"
	echo "Delivered-To: heidi@example.com"
	echo "Received: from out.example.org (out.example.org [192.0.2.9])"
	echo "	by mx.provider.example (Postfix) with ESMTPS id 4XyZ9;"
	echo "	Mon, 30 Nov 2026 09:00:00 +0000"
	echo "From: Sender <sender@example.org>"
	echo "To: heidi@provider.example"
	echo "Message-ID: <mbox@example.org>"
	echo "Subject: an mbox separator first"
	echo
	echo "Body of the mbox message."
} >"$PF_TMP/mbox"
peer_start --message "$PF_TMP/mbox"
peer_account mbox
sql "UPDATE postfetch.account SET fallback = 'judy@example.com' WHERE name = 'mbox'" >/dev/null
fetch_poll mbox
is "$PF_RC" 0 "mbox From line: poll exits 0"
log_on_failure "$PF_RC"
is "$(log_count 'account=mbox host=localhost uid=peer-1 message-id=<mbox@example.org> from=<sender@example.org> size=[0-9]+ nrcpt=1: delivered$')" 1 \
    "Message-ID and Return-Path are read from the header below the From line"
# (No milter here: the message lands with the placeholder, the fallback.)
ok "delivered to the placeholder" wait_for_delivery judy 1
postfix_wait_idle
file=$(maildir_files judy | head -n 1)
header=$(sed '/^$/q' "$file")
like "$header" $'\nX-Postfetch-Recipients: <heidi@example.com>\n' \
    "for the Delivered-To recipient"
is "$(head -n 1 "$file")" "Return-Path: <sender@example.org>" \
    "the envelope sender is the message's Return-Path"
like "$header" $'\nSubject: an mbox separator first\n' "the Subject is in the delivered header section"
like "$header" $'\nX-Original-Delivered-To: heidi@example.com\n' \
    "the provider's Delivered-To was read as a header field (renamed)"
is "$(grep -c '^From sender@example.org' "$file")" 0 "the From line is gone"
is "$(sed '1,/^$/d' "$file")" "Body of the mbox message." "the body is intact"
peer_stop

done_testing
