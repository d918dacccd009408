#!/bin/bash
# Multidrop recipients and sender come only from the fields the provider's
# delivering server wrote at the top of the header (above its Received
# field, or that field's "for" clause), never from envelope fields an
# outside sender forged lower down.
# And fetched mail fails closed: this Postfix has no milter at all, and
# every non-local delivery goes to a pipe that records it. The fetcher
# hands sendmail only the placeholder (the account's fallback), so every
# message lands intact with the fallback person, who sees the intended
# recipients in X-Postfetch-Recipients, and nothing reaches the recorder.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
fetch_setup drop

# The recorder: every remote (and relayed) delivery lands in a file.
postfix_recorder ||
    bail "cannot add the recorder to master.cf"
postfix_set "default_transport = recorder" "relay_transport = recorder" \
    "non_smtpd_milters =" "smtpd_milters ="
# It records: a remote recipient submitted directly does reach it.
echo "Subject: control" | $PF_SENDMAIL -i -- control@remote.example
ok "the recorder records remote deliveries" \
    wait_until 30 "grep -q 'to: control@remote.example' '$PF_TMP/recorder/got'"
: >"$PF_TMP/recorder/got"

# What an outside sender wrote below the provider's fields: its own trace
# and forged envelope fields naming other local recipients and a victim
# for the bounces, then the To: given.
forged()
{
	cat <<-EOF
	Received: from evil.example by out.example.org for <mallory@example.com>;
	 Mon, 23 Nov 2026 08:59:00 +0000
	Return-Path: <victim@example.org>
	X-Original-To: mallory@example.com, trudy@example.com
	Envelope-To: mallory@example.com
	Delivered-To: trudy@example.com
	From: Sender <sender@example.org>
	To: $1
	EOF
}

# message FILE ID [TO]: the provider's lines on stdin, then forged() with
# TO (default oscar), then the rest of the message; the body names the id.
message()
{
	{
		cat
		forged "${3:-oscar@example.com}"
		echo "Message-ID: <$2@example.org>"
		echo "Subject: test $2"
		echo
		echo "Body of $2."
	} >"$1"
}

# Postfix local or Dovecot LDA: Return-Path and Delivered-To above the
# Received line of the provider's MX.
message "$PF_TMP/md1" md1 <<EOF
Return-Path: <sender@example.org>
Delivered-To: olivia@example.com
Received: from out.example.org (out.example.org [192.0.2.9])
	by mx.provider.example (Postfix) with ESMTPS id 4XyZ1;
	Mon, 23 Nov 2026 09:00:00 +0000
EOF
# Dovecot LMTP writing only its Received line, with "for".
message "$PF_TMP/md2" md2 <<EOF
Received: from mx.provider.example ([192.0.2.10])
	by imap.provider.example with LMTP id Ab12Cd
	(envelope-from <sender@example.org>)
	for <peggy@example.com>; Mon, 23 Nov 2026 09:00:01 +0000
EOF
# A provider that records no envelope at all: To/Cc, the author's.
message "$PF_TMP/md3" md3 victor@example.com <<EOF
Received: from out.example.org (out.example.org [192.0.2.9])
	by mx.provider.example (Postfix) with ESMTPS id 4XyZ3;
	Mon, 23 Nov 2026 09:00:02 +0000
EOF
# No Received line at all: the topmost envelope field alone.
message "$PF_TMP/md4" md4 <<EOF
Delivered-To: wendy@example.com
EOF

mailbox_fill drop "$PF_TMP/md1" "$PF_TMP/md2" "$PF_TMP/md3" "$PF_TMP/md4"
account_add drop port="$PF_POP3S_PORT" tls="'direct'" \
    fallback="'fallback@example.com'"
fetch_poll drop
is "$PF_RC" 0 "poll exits 0"
log_on_failure "$PF_RC"
is "$(log_count ': delivered$')" 4 "four messages delivered"

ok "no milter: every message lands with the placeholder" \
    wait_for_delivery fallback 4
postfix_wait_idle
is "$(log_count 'nrcpt=1: delivered$')" 4 "one recipient each"
is "$(cd "$PF_TMP/mail" && echo *)" "fallback" \
    "nobody else got a copy, least of all those the forged fields name"
ok "md1: provider's Delivered-To on top: olivia" fetch_carried fallback md1 olivia@example.com
ok "md2: provider's Received for: peggy" fetch_carried fallback md2 peggy@example.com
ok "md3: no envelope recorded: To: victor" fetch_carried fallback md3 victor@example.com
ok "md4: no Received: the topmost Delivered-To: wendy" fetch_carried fallback md4 wendy@example.com
ok "the tags stay visible too (no milter removed them)" \
    maildir_grep fallback -q '^X-Postfetch-Account: drop; t='
is "$(wc -c <"$PF_TMP/recorder/got")" 0 "nothing handed to a non-local transport"
unlike "$(grep -v control@remote.example "$PF_MAILLOG")" 'relay=recorder|status=bounced' \
    "Postfix relayed nothing and bounced nothing"

is "$(log_count 'message-id=<md1@example.org> from=<sender@example.org> ')" 1 \
    "md1: the sender from the provider's Return-Path"
ok "... which Postfix delivered with" \
    maildir_grep fallback -qx 'Return-Path: <sender@example.org>'
is "$(log_count 'message-id=<md2@example.org> from=<postmaster@example.com> ')" 1 \
    "md2: a Return-Path only below Received is ignored: the postmaster is the sender"
is "$(log_count 'message-id=<md3@example.org> from=<postmaster@example.com> ')" 1 \
    "md3: no Return-Path: the postmaster, so that a bounce reaches a person"
unlike "$(cat "$PF_LOG")" 'victim@example.org' "the forged Return-Path is never used"
unlike "$(cat "$PF_MAILLOG")" 'mallory|trudy|oscar|olivia|peggy|victor|wendy' \
    "Postfix never saw a forged recipient, nor any but the placeholder"

done_testing
