/*
 * A long-lived "sendmail -bs" session: Postfix's stand-alone SMTP server
 * on a pipe, the cheapest way through the sendmail interface (the same
 * postdrop, pickup and cleanup with non_smtpd_milters as "sendmail -i",
 * without a process start per message). It answers 250 only once postdrop
 * has the message; a session that dies in the middle queues nothing.
 */
#ifndef SUBMIT_H
#define SUBMIT_H

#include <poll.h>
#include <stddef.h>

#define SUBMIT_GREETING		5	/* seconds to wait for the greeting */

struct submit;

/* Start "ARGV... -bs" and greet it (EHLO). NULL with *cause, also when
 * it says nothing within SUBMIT_GREETING seconds (no SMTP: not -bs). */
struct submit	*submit_start(char *const *argv, int timeout, char **cause);
/*
 * Send one message: MAIL, RCPT for each recipient, DATA, the file open at
 * fd (LF line ends, as the spool holds it) with CRLF line ends and dots
 * stuffed, and the final ".". Its final reply comes later: submit_poll.
 * Returns 0, or -1 with *cause when the message was refused before its
 * data (then RSET, so that it never spoils the next message) or the
 * session broke (submit_usable says which).
 */
int		 submit_send(struct submit *, const char *sender,
		    char *const *recipients, size_t count, int fd,
		    char **cause);
/* The final reply of the message sent, without waiting: INJECT_RUNNING,
 * INJECT_DELIVERED, or INJECT_FAILED with *cause. */
int		 submit_poll(struct submit *, char **cause);
/* Two pollfd entries that become readable when submit_poll has news. */
void		 submit_pollfds(const struct submit *, struct pollfd *fds);
/* Whether a message awaits its final reply. */
int		 submit_busy(const struct submit *);
/* Whether the session can take another message (an idle one that the
 * server closed, e.g. after smtpd_timeout, cannot). */
int		 submit_usable(struct submit *);
/* QUIT when idle, then wait for it (killed after the timeout), free. */
void		 submit_free(struct submit *);

#endif
