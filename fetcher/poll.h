/* One poll of one account: claim, fetch the new messages, deliver, delete. */
#ifndef POLL_H
#define POLL_H

#include <signal.h>
#include <stdio.h>

struct conf;
struct db;

/* What every poll of this process shares. */
struct poll_context {
	const struct conf	*conf;
	struct db		*db;
	const unsigned char	*key;	/* TAG_KEY_LEN bytes of HMAC key */
	const char		*owner;	/* "host:pid", for claims and poll rows */
	/* Postfix's message_size_limit (0: none): it caps max_size. */
	unsigned long long	 size_limit;
};

/*
 * Set by a signal handler to stop: the message in flight is abandoned (its
 * sendmail is killed, so no truncated copy is queued), no other message is
 * started, and the poll ends normally, recorded as failed.
 */
extern volatile sig_atomic_t poll_interrupted;

#define POLL_LEASE	600	/* seconds of the lease shown in the row */
#define POLL_RENEW	60	/* renew the claim this often in a poll */

/*
 * Poll the account called name once, logging one line per message and a
 * summary. Returns 0 when the poll succeeded (or another fetcher holds the
 * account), -1 when it failed; what failed is logged and recorded.
 */
int	poll_account(const struct poll_context *, const char *name);

/* check.c */
/*
 * Connect, negotiate TLS, authenticate and count the messages of the
 * account called name, printing what was found, or what failed, to out.
 * Returns 0 or -1 (failed; the cause is printed and logged).
 */
int	check_account(const struct poll_context *, const char *name,
	    FILE *out);

#endif
