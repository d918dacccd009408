#!/bin/bash
# sendmail_mode session ("sendmail -bs") against message ("sendmail -i"):
# nasty messages come out of the real Postfix the same way both ways (NUL
# bytes, bare CR, CR LF inside the data, a line of several MB, 8-bit
# headers, no header section, dot lines, a sender that needs quoting), and
# a message Postfix refuses in a session never spoils the next one.
PF_POSTFIX_EXTRA="message_size_limit = 6000000"
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
fetch_setup viasession viamessage refusing

n=0
# A message file from printf FORMAT [ARG...]: nasty FORMAT [ARG...]
nasty()
{
	n=$((n + 1))
	# shellcheck disable=SC2059
	printf "$@" >"$PF_TMP/n$n"
}
nasty 'Subject: nul\nMessage-ID: <n1@example.org>\n\nbefore\0after\n\0\n'
nasty 'Subject: bare cr\nMessage-ID: <n2@example.org>\n\none\rtwo\r\nthree\r\r\nfour\n'
nasty 'Subject: dots\nMessage-ID: <n3@example.org>\n\n.\n..\n.x\n. \nend\n.'
nasty 'Subject: =?utf-8?q?x?= \303\244\303\266\303\274 Gr\374\337e\nFrom: J\303\266rg <j@example.org>\nMessage-ID: <n4@example.org>\n\n8-bit body \377\376\n'
nasty 'no header section at all\nn5\n'
nasty 'Return-Path: <"john,doe"@example.org>\nSubject: quoted sender\nMessage-ID: <n6@example.org>\n\nbody\n'
n=$((n + 1))
{
	printf 'Subject: long line\nMessage-ID: <n7@example.org>\n\n'
	head -c 5000000 /dev/zero | tr '\0' 'z'
	printf '\nafter the long line\n'
} >"$PF_TMP/n$n"
files=$(for i in $(seq 1 "$n"); do echo "$PF_TMP/n$i"; done)

# shellcheck disable=SC2086
mailbox_fill viasession $files
# shellcheck disable=SC2086
mailbox_fill viamessage $files
account_add viasession port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'sybil@example.com'"
account_add viamessage port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'mike@example.com'"
quoted='message-id=<n6@example.org> from=<"john,doe"@example.org> '
fetch_poll viasession
is "$PF_RC" 0 "session: poll exits 0"
log_on_failure "$PF_RC"
is "$(log_count "$quoted")" 1 "session: the sender that needs quoting is used"
fetch_conf "sendmail_mode = message"
fetch_poll viamessage
is "$PF_RC" 0 "message: poll exits 0"
log_on_failure "$PF_RC"
is "$(log_count "$quoted")" 1 "message: the sender that needs quoting is used"
fetch_conf
ok "session: all $n delivered" wait_for_delivery sybil "$n" 60
ok "message: all $n delivered" wait_for_delivery mike "$n" 60

# A delivered file without the fields that differ between the two ways
# (trace, tag, the local recipient; the Date Postfix adds and the
# Message-ID postfetch adds when there are none) and with its header section and body kept byte for
# byte. Postfix completes a missing From: with the envelope sender, and
# through sendmail -i with the full name of the user who ran it ("root"):
# that name is taken out too. comparable FILE
comparable()
{
	perl -0777 -ne '
	    my ($h, $b) = /\A(.*?\n)(\n.*)\z/s ? ($1, $2) : ($_, "");
	    $h =~ s/^(Received|X-Postfetch-Account|X-Postfetch-Recipients|Delivered-To|X-Original-To|Date):.*\n(?:[ \t].*\n)*//mg;
	    $h =~ s/^Message-Id: <[^>]*\@mx\.example\.com>\n//mg;
	    $h =~ s/^Message-ID: <postfetch\.[^>]*>\n//mg;
	    $h =~ s/^From: root <(.*)>$/From: $1/mg;
	    print $h, $b' "$1"
}
# The delivered file of maildir USER that holds the text: find_by USER TEXT
find_by()
{
	maildir_grep "$1" -l -F -e "$2" | head -n 1
}
for i in $(seq 1 "$n"); do
	key=$(grep -a -m 1 -o 'Message-ID: <[^>]*>' "$PF_TMP/n$i" || echo n5)
	a=$(find_by sybil "$key")
	b=$(find_by mike "$key")
	ok "n$i ($key) arrived both ways" test -n "$a" -a -n "$b"
	ok "n$i: the same bytes through sendmail -bs as through sendmail -i" \
	    cmp -s <(comparable "$a") <(comparable "$b")
done
file=$(find_by sybil 'n1@example.org')
ok "the NUL bytes arrived" grep -qaP 'before\x00after' "$file"
file=$(find_by sybil 'n7@example.org')
is "$(sed '1,/^$/d' "$file" | head -n 1 | tr -cd z | wc -c)" 5000000 \
    "the 5 MB line arrived whole"
ok "Postfix delivered with the quoted sender" \
    maildir_grep sybil -qF 'Return-Path: <"john,doe"@example.org>'

# --- A message Postfix refuses does not spoil the next in the session ----
{
	printf 'Subject: too big\nMessage-ID: <big@example.org>\n\n'
	head -c 7000000 /dev/zero | tr '\0' 'b' | fold -w 76
} >"$PF_TMP/big"
printf 'Subject: r1\nMessage-ID: <r1@example.org>\n\nr1\n' >"$PF_TMP/r1"
printf 'Subject: r2\nMessage-ID: <r2@example.org>\n\nr2\n' >"$PF_TMP/r2"
mailbox_fill refusing "$PF_TMP/r1" "$PF_TMP/big" "$PF_TMP/r2"
account_add refusing port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'rupert@example.com'"
fetch_conf "max_sendmail = 1" "message_size_limit = 0"
fetch_poll refusing
fetch_conf
is "$PF_RC" 1 "a refused message: poll exits 1"
is "$(log_count 'account=refusing host=localhost uid=[^ ]+ size=[0-9]+: not delivered, left on the server: sendmail -bs refused the message: 552')" 1 \
    "the refused one is logged with Postfix's reply"
is "$(log_count 'account=refusing .*message-id=<r[12]@example.org>.*: delivered$')" 2 \
    "the one before and the one after it in the same session are delivered"
is "$(mailbox_count refusing)" 1 "only the refused one stays on the server"
ok "rupert gets the two" wait_for_delivery rupert 2
postfix_wait_idle
is "$(maildir_count rupert)" 2 "and nothing else"

done_testing
