/*
 * The SMTP reply reader shared by the two SMTP clients of the fetcher:
 * submit.c (a "sendmail -bs" session) and etrn.c (ETRN to a provider).
 * One reply, continuation lines ("250-") first, read through the
 * transport's bounded line reader with its timeout, and bounded itself:
 * a line of at most SMTP_LINE_MAX octets, a reply of at most
 * SMTP_LINES_MAX lines, the same code on every line (RFC 5321 4.2.1).
 */
#ifndef SMTP_H
#define SMTP_H

#include <stddef.h>

struct transport;

#define SMTP_LINE_MAX	512	/* octets of a reply line, CRLF included */
#define SMTP_LINES_MAX	100	/* lines of one reply */

/* One reply as read. */
struct smtp_reply {
	int	 code;			/* 200 to 599 */
	size_t	 lines;
	/* the last line, code included, non-printable bytes as '?' */
	char	 text[SMTP_LINE_MAX + 4];
};

/*
 * Read one reply into *reply. each (or NULL) is called for every line
 * with its text after the code and separator (printable, NUL-
 * terminated). Returns the code, or -1 with *cause: the connection
 * failed or closed, or the reply was malformed, too long or had too many
 * lines (the session is then out of step and must end).
 */
int	smtp_reply_read(struct transport *, struct smtp_reply *reply,
	    void (*each)(void *arg, const char *text), void *arg,
	    char **cause);

#endif
