/*
 * One fetched message on its way into the spool file that sendmail will
 * read: the header section is buffered (bounded), recipients and sender
 * are chosen, and our trace fields, the rewritten header section and then
 * the body are written to the spool. Memory stays bounded whatever the
 * message size.
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <stddef.h>
#include <time.h>
#include <sys/types.h>

#include "tag.h"

#define MESSAGE_HEADER_MAX	(256 * 1024) /* header bytes parsed; the
					      * rest passes as body */

struct message;
struct spool;

struct message_params {
	const char		*account;	/* account name */
	const char		*host;		/* remote host */
	const char		*protocol;	/* "POP3", "IMAP" */
	const char		*folder;	/* IMAP folder (UTF-8), or NULL */
	const char		*uid;		/* for log lines */
	time_t			 received;	/* server's receive time, or 0 */
	const char		*deliver_to;	/* single-drop, or NULL */
	const char		*fallback;	/* multidrop with no rcpt, and
						 * sendmail's placeholder */
	const char		*postmaster;	/* sender without Return-Path */
	const unsigned char	*key;		/* TAG_KEY_LEN bytes */
};

/* What the message is to become, for sendmail and the log line. */
struct message_result {
	char			 message_id[TAG_ID_MAX]; /* without <>; ours
						 * if it had none */
	char			*sender;	/* envelope sender, "" = <> */
	char			**recipients;	/* sendmail's: the one local
						 * deliver_to or placeholder */
	size_t			 count;
	size_t			 intended;	/* recipients in the header */
	unsigned long long	 size;		/* bytes in the spool file */
};

/* Start a message that is written to spool (which stays the caller's). */
struct message	*message_begin(const struct message_params *, struct spool *);
/*
 * Feed a piece of a line; eol = the line ends (a LF is written). Bare CR
 * and NUL bytes are passed on. Returns 0, or -1 with *cause when the
 * message cannot be spooled; further calls are then no-ops.
 */
int		 message_write(struct message *, const char *data, size_t len,
		    int eol, char **cause);
/*
 * Finish: complete the spool file and rewind it. Returns 0 and fills
 * *result (free it with message_result_free), or -1 with *cause. Frees
 * the message.
 */
int		 message_end(struct message *, struct message_result *,
		    char **cause);
/* Give up (the spool file stays the caller's), free. */
void		 message_abort(struct message *);
void		 message_result_free(struct message_result *);

#endif
