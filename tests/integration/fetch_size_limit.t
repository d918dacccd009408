#!/bin/bash
# Postfix's message_size_limit caps max_size. postfetch reads it at start
# with the postconf beside sendmail_path (for sendmail's -C directory), or
# takes message_size_limit from postfetch.conf. A larger message is left
# on the server, logged once, counted in status and never fetched again;
# the smaller ones are delivered. When postconf cannot be run: one
# warning, and nothing is capped.
PF_POSTFIX_EXTRA="message_size_limit = 20000"
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
fetch_setup capped loose tight override nocap

# A message of about SIZE bytes: message FILE ID SIZE
message()
{
	{
		printf 'From: a@example.org\nTo: dave@example.com\nMessage-ID: <%s@example.org>\nSubject: %s\n\n' \
		    "$2" "$2"
		head -c "$3" /dev/zero | tr '\0' 'x' | fold -w 70
	} >"$1"
}
message "$PF_TMP/small1" small1 100
message "$PF_TMP/small2" small2 300
message "$PF_TMP/medium" medium 8000
message "$PF_TMP/big" big 30000

# --- Postfix's limit, read with postconf -c: the big one stays ---------------
mailbox_fill capped "$PF_TMP/small1" "$PF_TMP/big" "$PF_TMP/small2"
account_add capped port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'dave@example.com'"
fetch_poll capped
is "$PF_RC" 0 "poll exits 0"
log_on_failure "$PF_RC"
is "$(log_count 'message_size_limit is not known')" 0 \
    "postconf beside sendmail answered for sendmail's -C directory"
is "$(log_count '^postfetch: account=capped host=localhost uid=[^ ]+ size=[0-9]+: left on the server: too large for message_size_limit 20000$')" 1 \
    "the big message: one line naming account, uid, size and the limit"
is "$(log_count 'account=capped .*: delivered$')" 2 "the two small ones are delivered"
is "$(log_count 'not delivered')" 0 "nothing was refused by Postfix"
ok "dave gets them" wait_for_delivery dave 2
is "$(mailbox_count capped)" 1 "the big one stays on the server"
is "$(sql "SELECT s.reason, s.size > 20000 FROM postfetch.skipped s
    JOIN postfetch.account a ON a.id = s.account_id WHERE a.name = 'capped'")" \
    "message_size_limit|t" "it is recorded in skipped with its size and reason"
fetch_poll capped
is "$PF_RC" 0 "second poll exits 0"
is "$(log_count 'left on the server')" 0 "the second poll does not log it again"
is "$(log_count 'delivered')" 0 "nor fetches it"
is "$(last_poll capped)" "0|0|" "the second poll moved nothing"
is "$(mailbox_count capped)" 1 "it is still on the server"
fetch_run status
like "$(grep '^capped ' "$PF_OUT")" ' ok +2 +1 +0 ' "status: 2 fetched, 1 skipped"
postfix_wait_idle
is "$(maildir_count dave)" 2 "dave has the two small ones only"

# --- The smaller of max_size and message_size_limit wins --------------------
mailbox_fill loose "$PF_TMP/big"
account_add loose port="$PF_POP3S_PORT" tls="'direct'" max_size=100000 \
    deliver_to="'dave@example.com'"
mailbox_fill tight "$PF_TMP/medium" "$PF_TMP/small1"
account_add tight port="$PF_POP3S_PORT" tls="'direct'" max_size=5000 \
    deliver_to="'dave@example.com'"
fetch_poll loose tight
is "$PF_RC" 0 "max_size polls exit 0"
is "$(log_count 'account=loose .*: left on the server: too large for message_size_limit 20000$')" 1 \
    "max_size above Postfix's limit: Postfix's limit applies"
is "$(log_count 'account=tight .*: left on the server: larger than max_size 5000$')" 1 \
    "max_size below Postfix's limit: max_size applies"
is "$(log_count 'account=tight .*: delivered$')" 1 "the small one is delivered"
is "$(sql "SELECT string_agg(a.name || ':' || s.reason, ' ' ORDER BY a.name)
    FROM postfetch.skipped s JOIN postfetch.account a ON a.id = s.account_id
    WHERE a.name IN ('loose', 'tight')")" "loose:message_size_limit tight:max_size" \
    "each skipped row has its reason"

# --- message_size_limit in postfetch.conf: postconf is not asked -------------
# (sendmail_path is a wrapper with no postconf beside it)
sendmail_script sendmail-wrap "exec $PF_SENDMAIL \"\$@\""
mailbox_fill override "$PF_TMP/medium" "$PF_TMP/small2"
account_add override port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'dave@example.com'"
fetch_conf "sendmail_path = $PF_TMP/sendmail-wrap" "message_size_limit = 5000"
fetch_poll override
is "$PF_RC" 0 "configured limit: poll exits 0"
is "$(log_count 'message_size_limit is not known')" 0 "no warning: postconf is not needed"
is "$(log_count 'account=override .*: left on the server: too large for message_size_limit 5000$')" 1 \
    "the configured limit applies"
is "$(log_count 'account=override .*: delivered$')" 1 "the small one is delivered"
fetch_conf "message_size_limit = 0"
fetch_poll override
is "$(log_count 'account=override .*: delivered$')" 1 \
    "the limit lifted: the skipped one is fetched"
is "$(sql "SELECT count(*) FROM postfetch.skipped s JOIN postfetch.account a
    ON a.id = s.account_id WHERE a.name = 'override'")" 0 \
    "and leaves the skipped index, so status no longer counts it"

# --- postconf cannot be run: one warning, nothing capped ---------------------
mailbox_fill nocap "$PF_TMP/medium"
account_add nocap port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'dave@example.com'"
fetch_conf "sendmail_path = $PF_TMP/sendmail-wrap"
fetch_poll nocap capped
is "$(log_count "^postfetch: warning: Postfix's message_size_limit is not known, no message is left on the server for it: postconf $PF_TMP/postconf: No such file or directory\$")" 1 \
    "one warning for the whole run, naming the postconf it looked for"
is "$(log_count 'account=nocap .*: delivered$')" 1 "the account's message is delivered"
is "$(log_count 'account=capped .*: not delivered, left on the server: ')" 1 \
    "uncapped, the big message is fetched and Postfix refuses it (what the cap spares)"
is "$PF_RC" 1 "so that poll fails"
is "$(mailbox_count capped)" 1 "the big one is still on the server"
fetch_conf

done_testing
