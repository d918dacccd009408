/*
 * The engine: one poll of one account over a protocol driver (claim,
 * fetch the new messages, deliver, record, delete), and the check
 * command over the same driver.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

struct conf;
struct db;

/* What every poll of this process shares. */
struct engine_context {
	const struct conf	*conf;
	struct db		*db;
	const unsigned char	*key;	/* TAG_KEY_LEN bytes of HMAC key */
	const char		*owner;	/* "host:pid", for claims and poll rows */
	size_t			 max_sendmail;	/* sendmails in flight */
	/* Postfix's message_size_limit (0: none): it caps max_size. */
	unsigned long long	 size_limit;
};

/*
 * Set by a signal handler to stop: no other message is started, the
 * messages already in sendmail are waited for and recorded, and the poll
 * ends normally, recorded as failed.
 */
extern volatile sig_atomic_t engine_interrupted;
/* Set engine_interrupted on SIGINT, SIGTERM and SIGHUP; a second one of
 * them kills the process. */
void	engine_catch_signals(void);

#define ENGINE_LEASE	600	/* seconds of the lease shown in the row */
#define ENGINE_RENEW	60	/* renew the claim this often in a poll */
#define ENGINE_BATCH	64	/* seen rows committed at once, at most */
#define ENGINE_BATCH_MS	250	/* and at least this often */
#define ENGINE_RETRY_MS	200	/* a seen commit after a lost database */
#define ENGINE_SIZE_ROOM 4096	/* of message_size_limit, for the header
				 * fields added on the way into Postfix */

/* The sendmails in flight per poll for max_sendmail = 0: one per core,
 * at least 2, at most 8. */
size_t	engine_default_sendmail(void);

/*
 * Poll the account called name once, logging one line per message and a
 * summary. Returns 0 when the poll succeeded (or another fetcher holds the
 * account), -1 when it failed; what failed is logged and recorded.
 */
int	engine_poll_account(const struct engine_context *, const char *name);

/* check.c */
/*
 * Connect, negotiate TLS, authenticate and count the messages of the
 * account called name, printing what was found, or what failed, to out.
 * Returns 0 or -1 (failed; the cause is printed and logged).
 */
int	check_account(const struct engine_context *, const char *name,
	    FILE *out);
/* The same without output, the outcome written into the account's
 * last_result and last_error (the daemon's check of a new account). */
int	check_account_record(const struct engine_context *, const char *name);

#endif
