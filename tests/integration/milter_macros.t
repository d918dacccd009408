#!/bin/bash
# A Postfix that does not send {daemon_port}: the milter cannot ask for it
# (smfi_setsymlist fails, as with an MTA that does not take the request:
# a Postfix 3.7 honours it whatever milter_protocol says) and the
# milter_*_macros are Postfix's defaults, which lack it. A fetched (tagged)
# message is neither trusted nor waved through to the placeholder but
# deferred, with a log line naming the fix; with the milter_mail_macros
# line of contrib/main.cf.milter it is delivered, rewritten.
source "$(dirname "$0")/milter_common.sh"

PF_MAIL_USERS="gina sender"
milter_setup
milter_outage_accounts

# The milter again, with smfi_setsymlist failing.
cat >"$PF_TMP/nosymlist.c" <<'C'
/* smfi_setsymlist refused, as by an MTA that does not take the request. */
#include <libmilter/mfapi.h>

int
smfi_setsymlist(SMFICTX *ctx, int stage, char *macros)
{
	(void)ctx;
	(void)stage;
	(void)macros;
	return MI_FAILURE;
}
C
${CC:-cc} -shared -fPIC -o "$PF_TMP/nosymlist.so" "$PF_TMP/nosymlist.c" ||
    bail "cannot build the smfi_setsymlist shim"
milter_stop
# (An ASan build wants its runtime first; the shim needs none.)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    LD_PRELOAD=$PF_TMP/nosymlist.so milter_start

# Every macro list back to Postfix's default, which lacks {daemon_port}.
macros=(milter_connect_macros milter_helo_macros milter_mail_macros
    milter_rcpt_macros milter_data_macros milter_end_of_header_macros
    milter_end_of_data_macros)
postconf -c "$PF_POSTFIX_CONF" -X "${macros[@]}"
postfix_reload
unlike "$(postconf -c "$PF_POSTFIX_CONF" "${macros[@]}")" "daemon_port" \
    "no milter_*_macros names {daemon_port}"

tempfail='milter-reject: END-OF-MESSAGE .*: 4\.3\.0 postfetch: the \{daemon_port\} macro is missing'
milter_send sender@example.com "$(milter_tag shop)" p.maly@provider.example
ok "the fetched message is refused for now" \
    wait_until 60 "grep -Eq '$tempfail' '$PF_MAILLOG' && ! postfix_busy"
is "$(postfix_queue | grep -c '"queue_name": "maildrop"')" 1 \
    "it waits in the maildrop queue"
is "$(maildir_count pavel.maly)" 0 "not trusted: not delivered to the alias"
is "$(maildir_count postmaster)" 0 "not waved through to the placeholder"
like "$(milter_log)" "cannot ask for the \{daemon_port\} macro" \
    "the milter could not ask for the macro"
like "$(milter_log)" "X-Postfetch-Account header but no \{daemon_port\} macro: deferred; add \{daemon_port\} to milter_mail_macros or set milter_protocol = 6" \
    "the log line names the fix"
milter_send sender@example.com "" gina@example.com
ok "mail of no account still flows" wait_for_delivery gina 1

# The line of contrib/main.cf.milter (with its continuation).
line=$(awk '/^milter_mail_macros/ { print; more = 1; next }
    more && /^[ \t]/ { print; next } { more = 0 }' \
    "$PF_TOP/contrib/main.cf.milter" | tr -s ' \t\n' ' ')
like "$line" "\{daemon_port\}" "contrib: milter_mail_macros names {daemon_port}"
postfix_set "$line" || bail "cannot set $line"
postfix_flush
ok "with it: delivered, rewritten" wait_for_delivery pavel.maly 1 90
ok "the tag is gone" not maildir_grep pavel.maly -qi '^X-Postfetch-Account:'
# The placeholder "postmaster" (unqualified, as in this configuration)
# keeps its copy: Postfix does not take the milter's delete of it.
is "$(maildir_count postmaster)" 0 "nothing for the placeholder"
is "$(maildir_count sender)" 0 "nothing bounced"
done_testing
