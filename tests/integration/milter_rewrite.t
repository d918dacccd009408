#!/bin/bash
# The milter through the real Postfix: tagged mail rewritten by the account's
# aliases, local recipients kept, unknown ones to fallback/postmaster, the
# tag removed; forged and stale tags ignored; SMTP mail for an ETRN domain;
# untagged mail untouched; an alias added with SQL used at once; 100
# recipients in one message.
source "$(dirname "$0")/milter_common.sh"

PF_MAIL_USERS="gina henry ivan forgeme staleme sender forger $(seq -f 'user%g' 1 50)"
milter_setup

pg_psql <<'SQL' || bail "cannot insert the test accounts"
INSERT INTO postfetch.account (name, protocol, host, username, password, fallback)
    VALUES ('shop', 'pop3', 'pop.provider.example', 'u', 'p', 'fallback@example.com'),
	   ('plain', 'pop3', 'pop.plain.example', 'u', 'p', NULL),
	   ('bulk', 'pop3', 'pop.bulk.example', 'u', 'p', NULL);
INSERT INTO postfetch.account (name, protocol, host, domain)
    VALUES ('etrn1', 'etrn', 'mx.provider.example', 'etrn.example');
INSERT INTO postfetch.alias (account_id, remote, local)
    SELECT id, r, l FROM postfetch.account, (VALUES
	('shop', 'P.Maly@provider.example', 'pavel.maly@example.com'),
	('shop', 'team@provider.example', 'alice@example.com'),
	('shop', 'team@provider.example', 'bob@example.com'),
	('shop', 'forgeme@example.com', 'erin@example.com'),
	('shop', 'staleme@example.com', 'erin@example.com'),
	('etrn1', 'sales@etrn.example', 'frank@example.com'),
	('bulk', '@bulk.example', 'ivan@example.com')) AS v(a, r, l)
    WHERE name = a;
INSERT INTO postfetch.alias (account_id, remote, local)
    SELECT id, 'r' || i || '@bulk.example', 'user' || i || '@example.com'
    FROM postfetch.account, generate_series(1, 50) AS i WHERE name = 'bulk';
INSERT INTO postfetch.local_recipient (address)
    VALUES ('carol@example.com'), ('erin@example.com'), ('dave@example.com');
SQL

# Tagged: an aliased (mixed case), a one-to-many, a local and an unknown recipient.
ok "sendmail accepts a tagged message" milter_send sender@example.com \
    "$(milter_tag shop)" p.maly@PROVIDER.example team@provider.example \
    carol@example.com nobody@provider.example
ok "alias: delivered to pavel.maly" wait_for_delivery pavel.maly 1
ok "one remote to several locals: alice" wait_for_delivery alice 1
ok "one remote to several locals: bob" wait_for_delivery bob 1
ok "local recipient kept: carol" wait_for_delivery carol 1
ok "unknown recipient to the account's fallback" wait_for_delivery fallback 1
postfix_wait_idle 20
# sendmail's placeholder, "postmaster", reaches the milter qualified.
is "$(maildir_count postmaster)" 0 "the placeholder (postmaster) got no copy"
file=$(maildir_files pavel.maly | head -n 1)
ok "the tag header is gone" not grep -qi '^X-Postfetch-Account:' "$file"
ok "Original-Recipient records the remote address" \
    grep -qx 'Original-Recipient: rfc822;p.maly@PROVIDER.example' "$file"
ok "no tag header in any maildir" not grep -rqi '^X-Postfetch-Account:' "$PF_TMP/mail"
like "$(milter_log)" ": account=shop rcpt=<p.maly@PROVIDER.example> -> <pavel.maly@example.com> \(alias\)" \
    "alias logged with the queue id"
like "$(milter_log)" "[0-9A-F]+: account=shop rcpt=<nobody@provider.example> -> <fallback@example.com> \(fallback\)" \
    "fallback logged"
like "$(milter_log)" "account=shop tag=valid recipients=4 changed=3 added=4" \
    "one summary line per message"
like "$(cat "$PF_MAILLOG")" "to=<pavel.maly@example.com>, relay=local, .*status=sent" \
    "Postfix delivered the rewritten recipient"

# No fallback: the postmaster.
milter_send sender@example.com "$(milter_tag plain)" who@plain.example
ok "unknown recipient of an account without fallback to the postmaster" \
    wait_for_delivery postmaster 1
# (the postmaster may have had mail before: wait for the line itself)
ok "postmaster logged" wait_until 20 \
    "milter_log | grep -q 'account=plain rcpt=<who@plain.example> -> <postmaster> (postmaster)'"

# Forged and stale tags change nothing, and are removed all the same: the
# message stays with the envelope's placeholder (postmaster), who sees in
# X-Postfetch-Recipients whom it was for.
milter_send forger@example.com "$(milter_tag shop "" "$(openssl rand -hex 32)")" \
    forgeme@example.com
milter_send forger@example.com "$(milter_tag shop $(($(date +%s) - 8 * 86400)))" \
    staleme@example.com
ok "forged and stale tags: delivered to the placeholder" \
    wait_for_delivery postmaster 3
postfix_wait_idle 20
is "$(maildir_count erin)" 0 "forged and stale tags: the aliases were not used"
is "$(maildir_count forgeme)$(maildir_count staleme)" 00 \
    "forged and stale tags: not to the recipients they name"
ok "the placeholder sees whom the forged one was for" \
    maildir_grep postmaster -q '<forgeme@example.com>'
ok "forged and stale tags removed" \
    not maildir_grep postmaster -qi '^X-Postfetch-Account:'
like "$(milter_log)" "X-Postfetch-Account header ignored and removed" \
    "forged tag logged"
milter_send sender@example.com "$(milter_tag shop)" forgeme@example.com
ok "the same message with a valid tag is rewritten" wait_for_delivery erin 1

# SMTP mail for the ETRN domain, matched by recipient domain.
reply=$(smtp_session "EHLO mx.provider.example" "MAIL FROM:<someone@elsewhere.example>" \
    "RCPT TO:<sales@etrn.example>" "RCPT TO:<ghost@etrn.example>" "DATA" \
    $'Subject: by smtp\n\nsmtp body\n.' "QUIT")
like "$reply" "250 2.0.0 Ok: queued" "smtpd accepts mail for the ETRN domain"
ok "ETRN domain alias: delivered to frank" wait_for_delivery frank 1
ok "ETRN domain unknown recipient: to the postmaster" wait_for_delivery postmaster 4
like "$(milter_log)" "account=etrn1 rcpt=<sales@etrn.example> -> <frank@example.com> \(alias\)" \
    "ETRN rewrite logged"

# A valid tag that arrives by SMTP is a replayed copy: removed, not trusted.
reply=$(smtp_session "EHLO mx.provider.example" "MAIL FROM:<someone@elsewhere.example>" \
    "RCPT TO:<forgeme@example.com>" "DATA" \
    "X-Postfetch-Account: $(milter_tag shop)"$'\nSubject: replayed tag\n\nbody\n.' "QUIT")
like "$reply" "250 2.0.0 Ok: queued" "smtpd accepts mail with a replayed tag"
ok "replayed tag over SMTP: delivered as addressed" wait_for_delivery forgeme 1
is "$(maildir_count erin)" 1 "replayed tag over SMTP: the aliases were not used"
ok "replayed tag removed" not maildir_grep forgeme -qi '^X-Postfetch-Account:'
like "$(milter_log)" "X-Postfetch-Account header in mail received by SMTP: removed, not trusted" \
    "replayed tag logged"

# Only SMTP mail is matched by domain: the same recipient submitted with
# sendmail and without a tag is not the account's mail (it is deferred by
# the test transport of the ETRN domain instead).
milter_send sender@example.com "" sales@etrn.example
ok "sendmail mail for the ETRN domain is not rewritten" \
    wait_until 20 '[ "$(postfix_deferred_count)" -eq 1 ]'
is "$(maildir_count frank)" 1 "... and not delivered to the alias"
postsuper -c "$PF_POSTFIX_CONF" -d ALL deferred 2>/dev/null

# Mail of no account passes untouched.
milter_send sender@example.com "" gina@example.com
ok "untagged mail delivered" wait_for_delivery gina 1
ok "untagged mail not rewritten (no Original-Recipient)" \
    not maildir_grep gina -q '^Original-Recipient:'
unlike "$(milter_log)" "rcpt=<gina@example.com>" "untagged mail not logged as rewritten"

# An alias inserted with SQL applies to the very next message.
pg_psql -c "INSERT INTO postfetch.alias (account_id, remote, local)
    SELECT id, 'new@provider.example', 'henry@example.com'
    FROM postfetch.account WHERE name = 'shop'"
milter_send sender@example.com "$(milter_tag shop)" new@provider.example
ok "alias added with SQL used by the next message" wait_for_delivery henry 1
is "$(maildir_count fallback)" 1 "... and not the fallback"

# 100 recipients: 50 exact aliases, 50 to one catch-all.
mapfile -t many < <(seq -f 'r%g@bulk.example' 1 100)
ok "sendmail accepts 100 recipients" milter_send sender@example.com \
    "$(milter_tag bulk)" "${many[@]}"
ok "catch-all delivered" wait_for_delivery ivan 1
ok "all 50 aliased users got it" \
    wait_until 30 '[ $(ls -d "$PF_TMP"/mail/user*/new 2>/dev/null | wc -l) -eq 50 ]'
postfix_wait_idle 30
is "$(maildir_count ivan)" 1 "50 recipients to one catch-all: collapsed into one delivery"
is "$(grep -c 'account=bulk rcpt=' "$PF_TMP/milter.log")" 100 "100 rewrites logged"
is "$(grep -c '^Original-Recipient:' "$(maildir_files ivan | head -n 1)")" 100 \
    "each original recipient recorded once"

# Many messages at once (Postfix runs several cleanup processes, the milter
# several threads) while the alias table keeps changing under them.
before=$(maildir_count pavel.maly)
senders=()
for i in $(seq 1 20); do
	milter_send sender@example.com "$(milter_tag shop)" p.maly@provider.example &
	senders+=($!)
done
for i in $(seq 1 10); do
	pg_psql -c "INSERT INTO postfetch.alias (account_id, remote, local)
	    SELECT id, 'churn$i@provider.example', 'alice@example.com'
	    FROM postfetch.account WHERE name = 'shop'"
done
wait "${senders[@]}"
ok "20 messages sent at once, aliases changing: all rewritten" \
    wait_for_delivery pavel.maly $((before + 20)) 60

# Nothing bounced, nothing left.
is "$(maildir_count sender)" 0 "no bounce to the sender"
is "$(maildir_count forger)" 0 "no bounce to the forger"
is "$(postfix_queue_count)" 0 "queue empty"
done_testing
