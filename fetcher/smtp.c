/*
 * The SMTP reply reader (smtp.h): every line is checked before use and
 * shown safely, so nothing a server says can overrun a buffer, forge a
 * log line, or keep the client reading for ever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printable.h"
#include "smtp.h"
#include "transport.h"
#include "xmalloc.h"

/* Whether line (len octets) starts like a reply line: "NNN" then end,
 * " " or "-", the first digit 2 to 5. */
static int
smtp_line_valid(const char *line, size_t len)
{
	return len >= 3 && line[0] >= '2' && line[0] <= '5' &&
	    line[1] >= '0' && line[1] <= '9' && line[2] >= '0' &&
	    line[2] <= '9' && (len == 3 || line[3] == ' ' || line[3] == '-');
}

int
smtp_reply_read(struct transport *transport, struct smtp_reply *reply,
    void (*each)(void *arg, const char *text), void *arg, char **cause)
{
	const char	*line;
	size_t		 len;
	int		 partial, code;

	reply->code = 0;
	reply->lines = 0;
	reply->text[0] = '\0';
	for (;;) {
		if (transport_getline(transport, &line, &len, &partial,
		    cause) != 0)
			return -1;
		/* the line as shown in a cause, cut if it is too long */
		printable_copy(reply->text, sizeof(reply->text), line, len,
		    partial ? 200 : sizeof(reply->text) - 4);
		if (partial || len + 2 > SMTP_LINE_MAX) {
			*cause = xprintf("reply line too long: %.200s",
			    reply->text);
			return -1;
		}
		if (!smtp_line_valid(line, len)) {
			*cause = xprintf("malformed reply: %s", reply->text);
			return -1;
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (reply->lines > 0 && code != reply->code) {
			*cause = xprintf("malformed reply: code %d after %d: "
			    "%s", code, reply->code, reply->text);
			return -1;
		}
		reply->code = code;
		if (++reply->lines > SMTP_LINES_MAX) {
			*cause = xprintf("reply of more than %d lines: %s",
			    SMTP_LINES_MAX, reply->text);
			return -1;
		}
		if (each != NULL)
			each(arg, reply->text + (len > 3 ? 4 : 3));
		if (len == 3 || line[3] == ' ')
			return code;
	}
}
