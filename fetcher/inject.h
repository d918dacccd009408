/*
 * Running the local MTA's sendmail: fork and execv (never a shell) either
 * "ARGV... -i -f SENDER -- RCPT..." with one complete spool file as its
 * standard input, then poll it for its end, so that several run at once;
 * or "ARGV... -bs" for a session of many messages. Its exit status and
 * the first line it printed make the cause of a failure.
 */
#ifndef INJECT_H
#define INJECT_H

#include <poll.h>
#include <stddef.h>

#define INJECT_TIMEOUT	600	/* default seconds sendmail may stall */

enum {
	INJECT_FAILED = -1,	/* ended badly, or killed: see *cause */
	INJECT_RUNNING = 0,
	INJECT_DELIVERED = 1	/* exited 0: the MTA has the message */
};

struct inject;

/*
 * Start sendmail reading the file open at input (from its current
 * offset; the caller keeps it open until the end). sender "" is the null
 * sender (passed as "<>"); recipients must be non-empty and none may
 * start with '-'. timeout: seconds sendmail may go without reading
 * (0 = INJECT_TIMEOUT). NULL with *cause when it cannot be started
 * (including a failed exec).
 */
/* Whether the command line would be safe: an absolute program, and no
 * sender or recipient that sendmail could take for an option. */
int		 inject_check(char *const *argv, const char *sender,
		    char *const *recipients, size_t count, char **cause);
struct inject	*inject_start(char *const *argv, const char *sender,
		    char *const *recipients, size_t count, int input,
		    int timeout, char **cause);
/*
 * Whether sendmail ended, without waiting: INJECT_RUNNING,
 * INJECT_DELIVERED, or INJECT_FAILED with *cause (status and complaint;
 * a sendmail stalled past its timeout is killed).
 */
int		 inject_poll(struct inject *, char **cause);
/* Read what it printed so far (kept for the cause), without waiting. */
void		 inject_drain(struct inject *);
/* Two pollfd entries that become readable when inject_poll has news. */
void		 inject_pollfds(const struct inject *, struct pollfd *fds);
/*
 * Start "ARGV... -bs", Postfix's stand-alone SMTP server on its standard
 * input and output, for a session of many messages (submit.c speaks to
 * it): *to_child and *from_child are our ends of its input and output.
 */
struct inject	*inject_start_session(char *const *argv, int timeout,
		    int *to_child, int *from_child, char **cause);
/* It went away: wait for it (killed after two seconds) and say how it
 * ended ("PROGRAM exited with status N (NAME): first line printed"). */
char		*inject_ended(struct inject *);
/* Kill sendmail if it still runs (TERM, then KILL), reap it, free. */
void		 inject_free(struct inject *);

#endif
