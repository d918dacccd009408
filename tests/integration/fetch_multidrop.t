#!/bin/bash
# Multidrop recipients and sender come only from the fields the provider's
# delivering server wrote at the top of the header (above its Received
# field, or that field's "for" clause), never from envelope fields an
# outside sender forged lower down.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
fetch_setup drop

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

ok "provider's Delivered-To on top: olivia" wait_for_delivery olivia 1
ok "provider's Received for: peggy" wait_for_delivery peggy 1
ok "no envelope recorded: To: victor" wait_for_delivery victor 1
ok "no Received: the topmost Delivered-To: wendy" wait_for_delivery wendy 1
postfix_wait_idle
is "$(log_count 'nrcpt=1: delivered$')" 4 "one recipient each"
is "$(cd "$PF_TMP/mail" && echo *)" "olivia peggy victor wendy" \
    "nobody named by the forged fields got a copy"
ok "olivia's copy is md1" maildir_grep olivia -q '^Body of md1\.$'
ok "peggy's copy is md2" maildir_grep peggy -q '^Body of md2\.$'
ok "wendy's copy is md4" maildir_grep wendy -q '^Body of md4\.$'

is "$(log_count 'message-id=<md1@example.org> from=<sender@example.org> ')" 1 \
    "md1: the sender from the provider's Return-Path"
ok "... which Postfix delivered with" \
    maildir_grep olivia -qx 'Return-Path: <sender@example.org>'
is "$(log_count 'message-id=<md2@example.org> from=<postmaster@example.com> ')" 1 \
    "md2: a Return-Path only below Received is ignored: the postmaster is the sender"
is "$(log_count 'message-id=<md3@example.org> from=<postmaster@example.com> ')" 1 \
    "md3: no Return-Path: the postmaster, so that a bounce reaches a person"
unlike "$(cat "$PF_LOG")" 'victim@example.org' "the forged Return-Path is never used"
unlike "$(cat "$PF_MAILLOG")" 'mallory|trudy|oscar' \
    "Postfix never saw a forged recipient"

done_testing
