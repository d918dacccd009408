#!/bin/bash
# IMAP against the harness's Dovecot: INBOX on 993 and on 143 with
# STARTTLS, keep (EXAMINE, \Seen unchanged), named and "*" folders with a
# nested one, a \Noselect parent and a non-ASCII one, the receive time on
# the Received line, 8-bit and very long lines, a UIDVALIDITY change that
# refetches nothing already delivered, the user's own \Deleted messages
# surviving our expunge, and check.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"

fetch_setup imbox imkeep imtls imfold imall imvalid imdel

# An IMAP account on Dovecot's IMAPS port delivering to LOCALPART:
# imap_account NAME LOCALPART [COL=VALUE...]
imap_account()
{
	local name=$1 to=$2
	shift 2
	account_add "$name" protocol="'imap'" port="$PF_IMAPS_PORT" \
	    tls="'direct'" deliver_to="'$to@example.com'" "$@"
}

# The body of each message delivered to LOCALPART, hashed, sorted.
delivered_bodies()
{
	local file
	for file in $(maildir_files "$1"); do
		sed '1,/^$/d' "$file" | sha256sum | cut -d' ' -f1
	done | sort
}

# The same for message files as written.
file_bodies()
{
	local file
	for file in "$@"; do
		sed '1,/^$/d' "$file" | sha256sum | cut -d' ' -f1
	done | sort
}

# --- INBOX over 993: 8-bit, a 1 MB line, a second poll -----------------
small_message "$PF_TMP/a1" imap-a1
printf 'From: a@example.org\nTo: kim@example.com\nMessage-ID: <imap-a2@example.org>\nSubject: 8bit\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nZa\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87 g\xc4\x99\xc5\x9bl\xc4\x85 ja\xc5\xba\xc5\x84.\n' \
    >"$PF_TMP/a2"
{
	printf 'From: a@example.org\nMessage-ID: <imap-a3@example.org>\nSubject: long\n\n'
	head -c 1048576 /dev/zero | tr '\0' x
	printf '\nend\n'
} >"$PF_TMP/a3"
mailbox_fill --date "2024-03-05 10:20:30 UTC" imbox "$PF_TMP/a1" \
    "$PF_TMP/a2" "$PF_TMP/a3"
imap_account imbox alice
fetch_poll imbox
is "$PF_RC" 0 "993: the poll succeeds"
ok "993: three messages delivered" wait_for_delivery alice 3
is "$(delivered_bodies alice)" "$(file_bodies "$PF_TMP"/a[123])" \
    "993: bodies intact (8-bit, a 1 MB line)"
is "$(log_count 'account=imbox host=localhost folder=INBOX uid=[123] message-id=<imap-a[123]@example.org> .*: delivered$')" 3 \
    "993: one delivered line each, with the folder"
ok "993: the Received line names the folder and IMAP" \
    maildir_grep alice -q 'account imbox, folder INBOX) with IMAP id 1'
ok "993: the Received date is the server's receive time" \
    maildir_grep alice -q "^	$(LC_ALL=C date -d '2024-03-05 10:20:30 UTC' '+%a, %-d %b %Y %H:%M:%S')"
is "$(mailbox_count imbox)" 0 "993: deleted and expunged on the server"
is "$(seen_count imbox)" 0 "993: expunged UIDs leave the index"
fetch_poll imbox
is "$PF_RC|$(log_count ': delivered$')" "0|0" "993: a second poll fetches nothing"

# --- 143 with STARTTLS, auth plain -------------------------------------
small_message "$PF_TMP/t1" imap-t1
mailbox_fill imtls "$PF_TMP/t1"
account_add imtls protocol="'imap'" port="$PF_IMAP_PORT" tls="'starttls'" \
    auth="'plain'" deliver_to="'bob@example.com'"
fetch_poll imtls
is "$PF_RC" 0 "143 STARTTLS: the poll succeeds"
ok "143 STARTTLS: delivered" wait_for_delivery bob 1
fetch_run check imtls
like "$(cat "$PF_OUT")" "TLSv1\.[23]" "check: TLS after STARTTLS"
like "$(cat "$PF_OUT")" "PLAIN" "check: the method"
like "$(cat "$PF_OUT")" "SORT" "check: the capabilities after login"

# --- keep: EXAMINE, \Seen flags unchanged ------------------------------
for n in 1 2 3; do small_message "$PF_TMP/k$n" "imap-k$n"; done
mailbox_fill imkeep "$PF_TMP/k1" "$PF_TMP/k2" "$PF_TMP/k3"
mailbox_set_flags imkeep INBOX 2 '\Seen'
flags_before=$(mailbox_flags imkeep)
is "$(echo "$flags_before" | grep -c Seen)" 1 "keep: one message \\Seen before"
imap_account imkeep carol keep=true
fetch_poll imkeep
is "$PF_RC" 0 "keep: the poll succeeds"
ok "keep: three delivered" wait_for_delivery carol 3
is "$(mailbox_flags imkeep)" "$flags_before" "keep: the \\Seen flags are unchanged"
is "$(mailbox_count imkeep)" 3 "keep: all stay on the server"
fetch_poll imkeep
is "$PF_RC|$(log_count ': delivered$')" "0|0" "keep: a second poll fetches nothing"
is "$(mailbox_flags imkeep)" "$flags_before" "keep: still unchanged"

# --- named folders: nested, non-ASCII ----------------------------------
for n in 1 2 3; do small_message "$PF_TMP/f$n" "imap-f$n"; done
mailbox_fill imfold "$PF_TMP/f1"
folder_fill imfold Archive.2024 "$PF_TMP/f2"
folder_fill imfold 'Wysłane' "$PF_TMP/f3"
imap_account imfold dave "folders='{INBOX,Archive/2024,Wysłane}'"
fetch_poll imfold
is "$PF_RC" 0 "folders: the poll succeeds"
ok "folders: three delivered" wait_for_delivery dave 3
is "$(log_count 'account=imfold host=localhost folder=Archive/2024 uid=1 .*: delivered$')" 1 \
    "folders: a nested folder, written with /"
is "$(log_count 'account=imfold host=localhost folder=Wysłane uid=1 .*: delivered$')" 1 \
    "folders: a non-ASCII folder, in UTF-8 in the log"
ok "folders: the Received line has the folder in modified UTF-7" \
    maildir_grep dave -q 'account imfold, folder Wys&AUI-ane)'
is "$(folder_count imfold 'Wysłane')|$(folder_count imfold Archive.2024)" "0|0" \
    "folders: emptied"

# --- "*": every selectable folder ---------------------------------------
for n in 1 2 3 4; do small_message "$PF_TMP/s$n" "imap-s$n"; done
mailbox_fill imall "$PF_TMP/s1"
folder_fill imall Lists.Deep.Inner "$PF_TMP/s2"
folder_fill imall 'Śmieci' "$PF_TMP/s3"
folder_fill imall Sent "$PF_TMP/s4"
imap_account imall erin "folders='{*}'"
fetch_poll imall
is "$PF_RC" 0 "*: the poll succeeds"
ok "*: four delivered" wait_for_delivery erin 4
for f in INBOX Lists/Deep/Inner Śmieci Sent; do
	is "$(log_count "account=imall host=localhost folder=$f uid=1 .*: delivered\$")" 1 \
	    "*: $f polled"
done
is "$(log_count 'folder=Lists(/Deep)? ')" 0 "*: \\Noselect parents skipped"

# --- UIDVALIDITY change: nothing delivered twice -----------------------
for n in 1 2 3 4; do small_message "$PF_TMP/v$n" "imap-v$n"; done
mailbox_fill imvalid "$PF_TMP/v1" "$PF_TMP/v2" "$PF_TMP/v3"
imap_account imvalid frank keep=true
fetch_poll imvalid
ok "UIDVALIDITY: first poll delivers three" wait_for_delivery frank 3
old=$(folder_uidvalidity imvalid INBOX)
mailbox_fill imvalid "$PF_TMP/v4"
folder_recreate imvalid INBOX
new=$(folder_uidvalidity imvalid INBOX)
isnt "$new" "$old" "UIDVALIDITY: the folder was made again ($old -> $new)"
fetch_poll imvalid
is "$PF_RC" 0 "UIDVALIDITY: the poll after the change succeeds"
is "$(log_count "account=imvalid host=localhost folder=INBOX: UIDVALIDITY changed from $old to $new: 3 of 4 messages delivered before")" 1 \
    "UIDVALIDITY: logged once, with what matched"
is "$(log_grep ': delivered$' | grep -c 'message-id=<imap-v4@')|$(log_count ': delivered$')" "1|1" \
    "UIDVALIDITY: only the new message is delivered"
postfix_wait_idle 20
is "$(maildir_count frank)" 4 "UIDVALIDITY: frank has each message once"
is "$(sql "SELECT count(*) FROM postfetch.seen s JOIN postfetch.account a
    ON a.id = s.account_id WHERE a.name = 'imvalid' AND uidvalidity = $new")|$(sql "SELECT count(*) FROM postfetch.seen s JOIN postfetch.account a
    ON a.id = s.account_id WHERE a.name = 'imvalid' AND uidvalidity <> $new")" "4|0" \
    "UIDVALIDITY: the index moved to the new UIDVALIDITY"
fetch_poll imvalid
is "$PF_RC|$(log_count 'UIDVALIDITY changed')|$(log_count ': delivered$')" "0|0|0" \
    "UIDVALIDITY: the next poll says nothing and fetches nothing"

# --- the user's own \Deleted messages survive our expunge ---------------
for n in 1 2 3; do small_message "$PF_TMP/d$n" "imap-d$n"; done
mailbox_fill imdel "$PF_TMP/d1" "$PF_TMP/d2" "$PF_TMP/d3"
mailbox_set_flags imdel INBOX 2 '\Deleted'
imap_account imdel grace
fetch_poll imdel
is "$PF_RC" 0 "\\Deleted: the poll succeeds"
ok "\\Deleted: the two others delivered" wait_for_delivery grace 2
postfix_wait_idle 20
is "$(maildir_count grace)" 2 "\\Deleted: the user's deleted message is not fetched"
is "$(mailbox_count imdel)" 1 "\\Deleted: UID EXPUNGE removed only ours"
is "$(mailbox_flags imdel)" '\Deleted' "\\Deleted: the user's message is still there, still \\Deleted"

done_testing
