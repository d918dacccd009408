/*
 * Running the local MTA's sendmail for one message: fork and execv
 * (never a shell) "ARGV... -i -f SENDER -- RCPT...", feed its standard
 * input through a large buffer, and collect its exit status and the first
 * line it printed.
 */
#ifndef INJECT_H
#define INJECT_H

#include <stddef.h>

#define INJECT_BUFFER	(64 * 1024)	/* bytes per write to sendmail */
#define INJECT_TIMEOUT	600		/* default seconds sendmail may stall */

struct inject;

/*
 * Start sendmail. sender "" is the null sender (passed as "<>");
 * recipients must be non-empty and none may start with '-'. timeout
 * bounds each stall of sendmail (0 = INJECT_TIMEOUT). Returns NULL with
 * *cause when sendmail cannot be started (including a failed exec).
 */
struct inject	*inject_start(char *const *argv, const char *sender,
		    char *const *recipients, size_t count, int timeout,
		    char **cause);
/* Queue bytes for sendmail's input, writing out full buffers. Returns 0,
 * or -1 with *cause (sendmail died: its status and complaint). */
int		 inject_write(struct inject *, const void *data, size_t len,
		    char **cause);
/*
 * Flush, close sendmail's input and wait for it. Returns 0 only when it
 * exited 0; else -1 with *cause. *status is its exit status (128 + the
 * signal number if killed, -1 if never known). Frees the inject.
 */
int		 inject_finish(struct inject *, int *status, char **cause);
/* Its exit status once it ended (after a failed write), else -1. */
int		 inject_status(const struct inject *);
/* Kill sendmail (TERM, then KILL), reap it, free: nothing is queued. */
void		 inject_abort(struct inject *);

#endif
