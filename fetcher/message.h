/*
 * One fetched message on its way into the local MTA: the header section
 * is buffered (bounded), recipients are chosen, sendmail is started with
 * argv (no shell), the rewritten header section and then the body are
 * streamed to it. Memory stays bounded whatever the message size.
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <stddef.h>
#include <sys/types.h>

#include "tag.h"

#define MESSAGE_HEADER_MAX	(256 * 1024) /* header bytes parsed; the
					      * rest passes as body */

struct message;

struct message_params {
	const char		*account;	/* account name */
	const char		*host;		/* remote host */
	const char		*protocol;	/* "POP3", "IMAP" */
	const char		*uid;		/* for log lines */
	const char		*deliver_to;	/* single-drop, or NULL */
	const char		*fallback;	/* multidrop with no rcpt */
	const unsigned char	*key;		/* TAG_KEY_LEN bytes */
	char *const		*sendmail_argv;	/* from conf */
	int			 timeout;	/* seconds sendmail may stall;
						 * 0 = INJECT_TIMEOUT (600) */
};

/* What happened to a message, for the log line and the poll record. */
struct message_result {
	char			 message_id[256]; /* without <>, or "" */
	char			 sender[256];	/* envelope sender used */
	size_t			 recipients;	/* count */
	unsigned long long	 size;		/* bytes written to sendmail */
	int			 status;	/* sendmail's exit status */
};

struct message	*message_begin(const struct message_params *);
/*
 * Feed a piece of a line; eol = the line ends (a LF is written). Bare CR
 * and NUL bytes are passed on. Returns 0, or -1 with *cause when sendmail
 * could not be started or died; further calls are then no-ops.
 */
int		 message_write(struct message *, const char *data, size_t len,
		    int eol, char **cause);
/*
 * Finish: close sendmail's input and wait for it. Returns 0 only if
 * sendmail exited 0 (delivered), else -1 with *cause (exit status and
 * the first line sendmail printed). Frees the message.
 */
int		 message_end(struct message *, struct message_result *,
		    char **cause);
/* Give up: kill sendmail if started (nothing is delivered), free. */
void		 message_abort(struct message *);

#endif
