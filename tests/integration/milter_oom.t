#!/bin/bash
# Out of memory as a message begins: MAIL FROM wants no reply, so the
# milter that cannot set the message up answers at the end of its headers,
# 451; the message waits (sendmail's in the maildrop queue, an SMTP client
# gets 4xx) and the milter goes on. A preloaded calloc fails for the size
# of the milter's message record while a flag file exists.
source "$(dirname "$0")/milter_common.sh"

PF_MAIL_USERS="gina sender"
milter_setup
if ldd "$MILTER_BIN" | grep -q libasan; then
	skip_all "AddressSanitizer replaces calloc too: the shim cannot stand in"
fi

# The size of struct message, as the milter was built.
cat >"$PF_TMP/size.c" <<'C'
#include <stdio.h>
#include "message.h"

int
main(void)
{
	printf("%zu\n", sizeof(struct message));
	return 0;
}
C
${CC:-cc} -I"$PF_TOP/common" -I"$PF_TOP/milter" -o "$PF_TMP/size" \
    "$PF_TMP/size.c" || bail "cannot build the size probe"
size=$("$PF_TMP/size")

# calloc(1, size) fails while the flag file exists.
flag=$PF_TMP/nomem
cat >"$PF_TMP/nomem.c" <<C
/* calloc(1, $size) fails while $flag exists. */
#include <stddef.h>
#include <unistd.h>

void	*__libc_calloc(size_t, size_t);

void *
calloc(size_t count, size_t size)
{
	if (count == 1 && size == $size && access("$flag", F_OK) == 0)
		return NULL;
	return __libc_calloc(count, size);
}
C
${CC:-cc} -shared -fPIC -o "$PF_TMP/nomem.so" "$PF_TMP/nomem.c" ||
    bail "cannot build the calloc shim"
milter_stop
LD_PRELOAD=$PF_TMP/nomem.so milter_start

touch "$flag"
milter_send sender@example.com "" gina@example.com
ok "sendmail's message is refused for now" \
    wait_until 60 "grep -q 'NOQUEUE: out of memory: deferred' '$PF_TMP/milter.log' && ! postfix_busy"
is "$(postfix_queue | grep -c '"queue_name": "maildrop"')" 1 \
    "it waits in the maildrop queue"
like "$(smtp_mail gina@example.com)" "451 4.3.0 postfetch: out of memory, try again later" \
    "an SMTP client is told to try again"
is "$(maildir_count gina)" 0 "nothing delivered meanwhile"

rm -f "$flag"
postfix_flush
ok "memory back: sendmail's message is delivered" wait_for_delivery gina 1 90
like "$(smtp_mail gina@example.com)" "250 2.0.0 Ok: queued" \
    "SMTP mail is accepted again"
ok "and delivered" wait_for_delivery gina 2
ok "the same milter all along" kill -0 "$MILTER_PID"
is "$(maildir_count sender)" 0 "nothing bounced"
done_testing
