#!/bin/bash
# Smoke test of the IMAP test infrastructure: the folder and flag helpers
# of lib/dovecot.sh against the harness Dovecot, and the modes and faults
# of imap_peer.py, talked to with mailclient.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
harness_init
certs_make
dovecot_add_user alice 'secret "one"'
m=$PF_TMP
printf 'From: a@example.org\nMessage-ID: <m1@example.org>\nSubject: one\n\nbody one\n' >"$m/m1"
printf 'Subject: two\r\n\r\n{5}\r\na9 OK not a reply\r\n' >"$m/m2"
printf 'Subject: three\n\n8-bit \303\244\n' >"$m/m3"
mailbox_fill --date '2021-03-04 05:06:07 UTC' alice "$m/m1" "$m/m2" "$m/m3"
folder_fill alice Archive.2024 "$m/m1" "$m/m2"
folder_fill alice 'Wysłane' "$m/m3"
folder_fill alice Empty
harness_start dovecot

# --- The Dovecot helpers.
is "$(mutf7 'Wysłane')|$(mutf7 'a&b Ö')" 'Wys&AUI-ane|a&-b &ANY-' "mutf7"
is "$(folder_dir alice 'Wysłane')" "$(mailbox_dir alice)/.Wys&AUI-ane" \
    "folder_dir: a UTF-8 name is stored in modified UTF-7"
is "$(folder_dir alice 'Wys&AUI-ane')" "$(folder_dir alice 'Wysłane')" \
    "folder_dir: the modified UTF-7 name is the same folder"
out=$(dovecot_imap alice 'LIST "" "*"' LOGOUT)
like "$out" 'S: \* LIST \(\\Noselect \\HasChildren\) "\." Archive' \
    "a parent never created is listed \\Noselect"
like "$out" 'S: \* LIST \(\\HasNoChildren\) "\." Archive\.2024' "the nested folder is listed"
like "$out" 'S: \* LIST \(\\HasNoChildren\) "\." Wys&AUI-ane' "the non-ASCII folder is listed in modified UTF-7"
like "$out" 'S: \* LIST \(\\HasNoChildren\) "\." Empty' "an empty folder is listed"
is "$(mailbox_count alice)|$(folder_count alice INBOX)|$(folder_count alice Archive.2024)|$(folder_count alice Wysłane)|$(folder_count alice Empty)" \
    "3|3|2|1|0" "mailbox_count, folder_count"
is "$(mailbox_uids alice | paste -sd,)|$(mailbox_uids alice Archive.2024 | paste -sd,)" \
    "1,2,3|1,2" "mailbox_uids: UIDs in fill order"
out=$(dovecot_imap alice 'EXAMINE INBOX' 'UID FETCH 1:* (INTERNALDATE BODY.PEEK[])' LOGOUT)
like "$out" 'INTERNALDATE "04-Mar-2021 05:06:07 \+0000"' "--date sets the INTERNALDATE"
like "$out" 'S: a9 OK not a reply'$'\n''S: \)'$'\n''S: \* 3 FETCH' \
    "mailclient reads a literal as a literal"
is "$(mailbox_flags alice | paste -sd,)" ",," "mailbox_flags: no flags yet (no \\Recent)"
ok "mailbox_set_flags: \\Deleted \\Seen on UID 2" \
    mailbox_set_flags alice INBOX 2 '\Deleted' '\Seen'
ok "mailbox_set_flags: \\Seen on all of a folder" \
    mailbox_set_flags alice 'Wysłane' 1:* '\Seen'
is "$(mailbox_flags alice | paste -sd,)" ',\Deleted \Seen,' "mailbox_flags shows them"
is "$(mailbox_flags alice 'Wysłane')" '\Seen' "mailbox_flags of a folder"
ok "mailbox_set_flags: -\\Deleted removes" mailbox_set_flags alice INBOX 1:* '-\Deleted'
is "$(mailbox_flags alice | paste -sd,)" ',\Seen,' "only \\Seen left"
ok "mailbox_flags fails on a missing folder" not mailbox_flags alice Nowhere

old=$(folder_uidvalidity alice Archive.2024)
like "$old" '^[0-9]+$' "folder_uidvalidity"
mailbox_set_flags alice Archive.2024 2 '\Seen'
ok "folder_recreate Archive.2024" folder_recreate alice Archive.2024
isnt "$(folder_uidvalidity alice Archive.2024)" "$old" "a new UIDVALIDITY"
is "$(mailbox_uids alice Archive.2024 | paste -sd,)|$(mailbox_flags alice Archive.2024 | paste -sd,)|$(folder_count alice Archive.2024)" \
    '1,2|,\Seen|2' "the same messages, order and flags"
old=$(folder_uidvalidity alice INBOX)
ok "folder_recreate INBOX" folder_recreate alice INBOX
isnt "$(folder_uidvalidity alice INBOX)" "$old" "INBOX: a new UIDVALIDITY"
is "$(mailbox_flags alice | paste -sd,)|$(mailbox_count alice)" ',\Seen,|3' "INBOX: flags and messages kept"
out=$(dovecot_imap alice 'EXAMINE "Archive.2024"' 'UID FETCH 1 (BODY.PEEK[])' LOGOUT)
like "$out" "Message-ID: <m1@example.org>" "the recreated folder serves the messages"

# With separator "/" (a restart with another configuration).
dovecot_stop
export PF_DOVECOT_SEPARATOR=/
folder_fill alice 'Wysłane/2024' "$m/m1"
dovecot_start
out=$(dovecot_imap alice 'LIST "" "*"' LOGOUT)
like "$out" 'S: \* LIST \(\\HasNoChildren\) "/" Wys&AUI-ane/2024' "separator /: nested non-ASCII folder"
like "$out" 'S: \* LIST \(\\HasNoChildren\) "/" Archive/2024' "separator /: the same folders, renamed"
is "$(folder_dir alice Archive/2024)|$(folder_count alice 'Wys&AUI-ane/2024')" \
    "$(mailbox_dir alice)/.Archive.2024|1" "separator /: folder_dir, folder_count"
ok "separator /: a \".\" in a name is refused" not folder_dir alice a.b
unset PF_DOVECOT_SEPARATOR

# --- imap_peer.py
plog=$PF_TMP/peer.log
imap_peer_start --message "$m/m1" --message "$m/m2" --message "$m/m3" \
    --uidvalidity 42 --flags '3:\Deleted' --log "$plog"
out=$(mailclient --user user --password secret imap "$PF_PEER_PORT" \
    CAPABILITY 'LIST "" "*"' 'SELECT INBOX' 'UID SEARCH ALL' 'UID SEARCH DELETED' \
    'UID SEARCH UID 2:*' 'UID SEARCH UID 9:*' \
    'UID FETCH 1:* (UID RFC822.SIZE INTERNALDATE BODY.PEEK[])' 'UID FETCH 1:* (FLAGS)' \
    'UID FETCH 1 BODY[]' 'UID STORE 2 +FLAGS.SILENT (\Deleted)' 'UID EXPUNGE 2' \
    'UID SEARCH ALL' LOGOUT)
is "$?" 0 "peer: every command answered OK"
like "$out" 'CAPABILITY IMAP4rev1 .*UIDPLUS.*AUTH=XOAUTH2' "peer: CAPABILITY"
like "$out" 'S: \* LIST \(\\HasNoChildren\) "/" INBOX' "peer: LIST"
like "$out" 'S: \* 3 EXISTS.*UIDVALIDITY 42.*UIDNEXT 4' "peer: SELECT (EXISTS, UIDVALIDITY, UIDNEXT)"
like "$out" 'S: \* SEARCH 1 2 3'$'\n''S: a5 OK.*'$'\n''S: \* SEARCH 3'$'\n' "peer: UID SEARCH ALL, DELETED"
like "$out" 'S: \* SEARCH 2 3'$'\n''S: a7 OK.*'$'\n''S: \* SEARCH 3'$'\n' "peer: UID ranges (n:* past the end is the last)"
like "$out" "S: \\* 1 FETCH \\(UID 1 RFC822.SIZE $(($(wc -c <"$m/m1") + 5)) INTERNALDATE \"[0-9]{2}-[A-Z][a-z]{2}-[0-9]{4} [0-9:]{8} \\+0000\" BODY\\[\\] \\{$(($(wc -c <"$m/m1") + 5))\\}" \
    "peer: UID FETCH (size with CRLF)"
like "$out" 'S: \* 1 FETCH \(UID 1 FLAGS \(\)\).*S: \* 3 FETCH \(UID 3 FLAGS \(\\Deleted\)\)' "peer: BODY.PEEK[] sets no \\Seen"
like "$out" 'S: \* 1 FETCH \(UID 1 FLAGS \(\\Seen\) BODY\[\] \{77\}' "peer: BODY[] (sets \\Seen)"
like "$out" 'S: \* 2 EXPUNGE'$'\n''S: a13 OK' "peer: UID EXPUNGE removes only UID 2"
like "$out" 'S: \* SEARCH 1 3'$'\n''S: a14 OK' "peer: UIDs 1 and 3 stay"
out=$(mailclient --user user --password secret imap "$PF_PEER_PORT" 'EXAMINE INBOX' 'UID FETCH 1:* FLAGS' LOGOUT)
like "$out" 'UID 1 FLAGS \(\\Seen\)' "peer: BODY[] set \\Seen, kept for the next session"
grep -q '^a12 UID STORE 2 +FLAGS.SILENT (\\Deleted)$' "$plog"
is "$?" 0 "peer: --log has the client lines"

# Pipelining and a client literal, in one write.
out=$(python3 - "$PF_PEER_PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
f.readline()
s.sendall(b"p1 LOGIN {4+}\r\nuser secret\r\np2 SELECT INBOX\r\np3 NOOP\r\np4 LOGOUT\r\n")
print(b"".join(f.readlines()).decode())
EOF
)
like "$out" 'p1 OK .*p2 OK .*p3 OK .*p4 OK' "peer: pipelined commands, a LITERAL+ argument"

# AUTHENTICATE PLAIN, LOGIN, CRAM-MD5.
ok "peer: AUTHENTICATE PLAIN (SASL-IR)" mailclient imap "$PF_PEER_PORT" \
    "AUTHENTICATE PLAIN $(printf '\0user\0secret' | base64 -w0)" LOGOUT
out=$(mailclient imap "$PF_PEER_PORT" "AUTHENTICATE LOGIN" "RAW $(printf user | base64)" \
    "RAW $(printf secret | base64)" LOGOUT)
like "$out" 'S: \+ VXNlcm5hbWU6'$'\n''S: \+ UGFzc3dvcmQ6'$'\n''S: a1 OK' "peer: AUTHENTICATE LOGIN"
ok "peer: AUTHENTICATE CRAM-MD5" mailclient imap "$PF_PEER_PORT" "CRAM user secret" LOGOUT
ok "peer: a wrong password is refused" not mailclient --user user --password nope imap "$PF_PEER_PORT" LOGOUT
peer_stop

# XOAUTH2: the first attempt expires; the JSON challenge, an empty line, NO.
xo() { printf 'user=user\001auth=Bearer %s\001\001' "$1" | base64 -w0; }
imap_peer_start --message "$m/m1" --xoauth2-expire-once
out=$(mailclient imap "$PF_PEER_PORT" "AUTHENTICATE XOAUTH2 $(xo secret)" RAW \
    "AUTHENTICATE XOAUTH2 $(xo wrong)" RAW "AUTHENTICATE XOAUTH2" "RAW $(xo secret)" LOGOUT)
challenge=$(sed -n 's/^S: + \(..*\)/\1/p' <<<"$out" | head -n 1 | base64 -d)
like "$challenge" '^\{"status":"401",' "peer: XOAUTH2 challenge is the base64 JSON error"
like "$out" 'S: a1 NO \[AUTHENTICATIONFAILED\]' "peer: first XOAUTH2 (right token) fails as expired"
like "$out" 'S: a3 NO \[AUTHENTICATIONFAILED\]' "peer: a wrong token fails"
like "$out" 'S: a5 OK .*Logged in' "peer: the right token then works (no SASL-IR too)"
peer_stop

# STARTTLS; capabilities before TLS; plain text injected after STARTTLS.
tls=(--tls-cert "$PF_TLS_CERT" --tls-key "$PF_TLS_KEY")
imap_peer_start --message "$m/m1" "${tls[@]}" --capability-before-tls "X-PRE AUTH=EVIL" --log "$plog"
out=$(mailclient imap "$PF_PEER_PORT" CAPABILITY LOGOUT)
like "$out" 'S: \* CAPABILITY .*STARTTLS X-PRE AUTH=EVIL' "peer: pre-TLS capabilities in plain text"
out=$(mailclient --starttls --ca "$PF_TEST_CA" --user user --password secret imap "$PF_PEER_PORT" CAPABILITY 'SELECT INBOX' LOGOUT)
is "$?" 0 "peer: STARTTLS verified with the test CA, login, SELECT"
like "$out" 'S: \* CAPABILITY IMAP4rev1' "peer: CAPABILITY after TLS"
unlike "$out" 'S: \* CAPABILITY .*(X-PRE|STARTTLS)' "peer: ... without the pre-TLS extras and STARTTLS"
: >"$plog"
python3 - "$PF_PEER_PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
f.readline()
s.sendall(b"i1 STARTTLS\r\ni2 LOGIN user secret\r\n")
f.readline()
EOF
wait_until 5 "grep -q DISCARDED '$plog'"
is "$(cat "$plog")" $'i1 STARTTLS\nDISCARDED: i2 LOGIN user secret' "peer: injected plain text after STARTTLS discarded and logged"
peer_stop
imap_peer_start --message "$m/m1" "${tls[@]}" --tls
ok "peer: --tls (implicit TLS)" mailclient --tls --ca "$PF_TEST_CA" --user user --password secret imap "$PF_PEER_PORT" 'SELECT INBOX' LOGOUT
peer_stop

# PREAUTH; STARTTLS refused; LOGINDISABLED.
imap_peer_start --message "$m/m1" "${tls[@]}" --preauth
out=$(mailclient imap "$PF_PEER_PORT" STARTTLS LOGOUT)
like "$out" '^S: \* PREAUTH \[CAPABILITY [^]]*STARTTLS' "peer: --preauth greets PREAUTH, advertises STARTTLS"
like "$out" 'S: a1 BAD' "peer: ... and refuses STARTTLS once authenticated"
peer_stop
imap_peer_start --message "$m/m1" --starttls-fails
like "$(mailclient imap "$PF_PEER_PORT" CAPABILITY STARTTLS)" 'STARTTLS.*S: a2 NO' "peer: --starttls-fails: advertised, answered NO"
peer_stop
imap_peer_start --message "$m/m1" --starttls-fails BAD
like "$(mailclient imap "$PF_PEER_PORT" STARTTLS)" 'S: a1 BAD' "peer: --starttls-fails BAD"
peer_stop
imap_peer_start --message "$m/m1" "${tls[@]}" --logindisabled
out=$(mailclient --user user --password secret imap "$PF_PEER_PORT" \
    "AUTHENTICATE PLAIN $(printf '\0user\0secret' | base64 -w0)")
like "$out" 'LOGINDISABLED' "peer: --logindisabled advertised"
unlike "$out" 'AUTH=' "peer: ... with no AUTH= in plain text"
like "$out" 'S: a1 NO \[PRIVACYREQUIRED\].*S: a2 NO \[PRIVACYREQUIRED\]' "peer: LOGIN and AUTHENTICATE refused in plain text"
ok "peer: LOGIN after STARTTLS works" mailclient --starttls --ca "$PF_TEST_CA" \
    --user user --password secret imap "$PF_PEER_PORT" LOGOUT
peer_stop

# No UIDPLUS.
imap_peer_start --message "$m/m1" --message "$m/m2" --no-uidplus --flags '2:\Deleted \Seen'
out=$(mailclient --user user --password secret imap "$PF_PEER_PORT" CAPABILITY 'SELECT INBOX' \
    'UID SEARCH DELETED' 'UID STORE 1 +FLAGS.SILENT (\Deleted)' 'UID EXPUNGE 1' EXPUNGE 'UID SEARCH ALL')
unlike "$out" 'UIDPLUS' "peer: --no-uidplus: not advertised"
like "$out" 'S: \* SEARCH 2'$'\n''S: a4 OK' "peer: --flags: the user's own \\Deleted message"
like "$out" 'S: a6 BAD' "peer: UID EXPUNGE is BAD"
like "$out" 'S: \* 2 EXPUNGE'$'\n''S: \* 1 EXPUNGE'$'\n''S: a7 OK' "peer: EXPUNGE removes both (sequence numbers from the top)"
peer_stop

# Faults in FETCH.
fetch='UID FETCH 1:* (UID RFC822.SIZE BODY.PEEK[])'
imap_peer_start --message "$m/m1" --message "$m/m2" --drop-in-fetch 1 --lie-size 2:99999 --exists-in-fetch
out=$(mailclient --user user --password secret imap "$PF_PEER_PORT" 'SELECT INBOX' "$fetch")
is "$?" 2 "peer: --drop-in-fetch: the connection drops"
like "$out" 'S: From: a@example.org'$'\n''S: Message-ID: <m1@e'$'\n''E: connection closed' "peer: ... halfway through the literal"
out=$(mailclient --user user --password secret imap "$PF_PEER_PORT" 'SELECT INBOX' "$fetch" 'UID SEARCH ALL' LOGOUT)
like "$out" 'S: body one' "peer: the next session gets it whole"
like "$out" 'S: \* 2 FETCH \(UID 2 RFC822.SIZE 99999 BODY\[\] \{40\}' "peer: --lie-size"
like "$out" 'S: \)'$'\n''S: \* 3 EXISTS'$'\n''S: \* 2 FETCH' "peer: --exists-in-fetch: EXISTS amid the FETCH responses"
like "$out" 'S: \* SEARCH 1 2 3' "peer: ... and the new message is there (UID 3)"
peer_stop
imap_peer_start --message "$m/m1" --message "$m/m2" --huge-literal 2 --uidvalidity 7 --uidvalidity-per-session
out=$(mailclient --timeout 2 --user user --password secret imap "$PF_PEER_PORT" 'SELECT INBOX' "$fetch")
like "$out" 'UIDVALIDITY 7\]' "peer: --uidvalidity-per-session: first session"
like "$out" 'S: \* 2 FETCH \(UID 2 RFC822.SIZE 40 BODY\[\] \{10737418240\}'$'\n''S: Subject: two'$'\n''(.*'$'\n'')*E: (timed out|The read operation timed out)' \
    "peer: --huge-literal announces 10 GB, sends a few bytes, hangs"
like "$(mailclient --user user --password secret imap "$PF_PEER_PORT" 'EXAMINE INBOX' LOGOUT)" \
    'UIDVALIDITY 8\]' "peer: ... a new UIDVALIDITY in the next session"
peer_stop

# --store: files named by UID; an expunge removes the file.
store=$PF_TMP/store
mkdir "$store"
cp "$m/m1" "$store/5"
cp "$m/m2" "$store/9"
imap_peer_start --store "$store"
out=$(mailclient --user user --password secret imap "$PF_PEER_PORT" 'SELECT INBOX' \
    'UID STORE 5 +FLAGS.SILENT (\Deleted)' 'UID EXPUNGE 5' LOGOUT)
like "$out" 'UIDNEXT 10\]' "peer: --store: UIDs are the file names"
is "$(ls "$store")" 9 "peer: --store: the expunged message's file is gone"
cp "$m/m3" "$store/12"
peer_restart --store "$store"
like "$(mailclient --user user --password secret imap "$PF_PEER_PORT" 'SELECT INBOX' 'UID SEARCH ALL' LOGOUT)" \
    'S: \* SEARCH 9 12' "peer: --store: restarted, the same UIDs and a new file"
peer_stop
done_testing
