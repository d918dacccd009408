/*
 * The delivery sink of a poll: each message the driver retrieves is
 * rewritten into a spool file; once it is complete and its size agrees
 * with what the server announced, it goes to sendmail: a long-lived
 * "sendmail -bs" session, or a "sendmail -i" of its own; up to
 * max_sendmail at once while retrieval goes on. The outcome of each
 * message goes back to the engine through callbacks, in any order.
 */
#ifndef DELIVERY_H
#define DELIVERY_H

#include <stddef.h>

#include "driver.h"
#include "message.h"

struct delivery;

struct delivery_params {
	struct message_params		 message;  /* uid is set per message */
	char *const			*sendmail_argv;
	const char			*spool_directory;
	int				 timeout;	/* sendmail stall, s */
	size_t				 max_sendmail;	/* >= 1 */
	int				 sessions;	/* -bs, else -i */
	int				 size_mismatch_ok; /* deliver */
	const struct driver_message	*list;		/* the folder's */
	/* sendmail exited 0 for list[index]. */
	void	(*delivered)(void *arg, size_t index,
		    const struct message_result *);
	/* list[index] was not delivered, and why. */
	void	(*failed)(void *arg, size_t index, const char *cause);
	/* Called often while messages come and go (claim renewal);
	 * non-zero = start no more messages. */
	int	(*tick)(void *arg);
	void	*arg;
};

/* The sink for the driver's fetch; its arg is the struct delivery. */
extern const struct driver_sink delivery_sink;

struct delivery	*delivery_new(const struct delivery_params *);
/* Wait until every sendmail started has ended (each bounded by the
 * timeout) and its outcome was reported. */
void		 delivery_drain(struct delivery *);
/* Drain, then free. */
void		 delivery_free(struct delivery *);

/* Whether a retrieval of octets bytes in lines lines (line ends not
 * counted) agrees with the size the server announced: counted with LF or
 * with CRLF line ends, the last line perhaps without its end. */
int		 delivery_size_agrees(unsigned long long announced,
		    unsigned long long octets, unsigned long long lines);

#endif
