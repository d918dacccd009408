/*
 * The scheduler's view of the accounts in PostgreSQL: which are due (or
 * asked for) and free, taking one for a worker, renewing the leases of
 * the accounts being polled, and when the next one falls due.
 */
#ifndef DUE_H
#define DUE_H

#include <stddef.h>
#include <time.h>

#include "db.h"

/* An account the scheduler may start a worker on. */
struct due {
	long long	 id;
	char		*name;
	char		*host;		/* lower case; "" if none */
	char		*schedule;	/* NULL: the default */
	int		 poll_requested; /* postfetch.poll_now() */
	int		 check_requested; /* inserted or changed */
	int		 poll_due;	/* next_poll is reached */
	int		 stuck;		/* held by a fetcher past its lease */
	char		*holder;	/* lease_owner, or "" */
};

extern const struct db_statement due_statements[];

/*
 * The active accounts that are due, asked to be polled or to be checked,
 * and that no fetcher holds (its lock, or another fetcher's unexpired
 * lease), requests first, then the longest overdue.
 */
int	due_load(struct db *, const char *owner, struct due **list,
	    size_t *count, char **cause);
void	due_free(struct due *list, size_t count);
/*
 * Take the account for a worker of owner: clear the request it serves (a
 * poll clears both, a check only check_requested) and write a short
 * lease (the worker's claim then holds it). Returns 1 taken, 0 if
 * another fetcher took it first, -1 with *cause.
 */
int	due_take(struct db *, long long id, const char *owner, int lease,
	    int check, char **cause);
/* Extend owner's leases of the accounts ids[0..count) to lease seconds. */
int	due_renew(struct db *, const char *owner, const long long *ids,
	    size_t count, int lease, char **cause);
/* Set the account's next_poll to when (its schedule's next window). */
int	due_defer(struct db *, long long id, time_t when, char **cause);
/*
 * End the database sessions holding the claim of account id (a stuck
 * fetcher, past its lease): the claim is free then. Returns how many, or
 * -1 with *cause.
 */
int	due_evict(struct db *, long long id, char **cause);
/* The host of the account called name, lower case, and its id ("" and 0
 * if none or no such account: the worker says so). */
int	due_host(struct db *, const char *name, char **host, long long *id,
	    char **cause);
/* The poll row owner's dead worker left open for account id: 1 with
 * *poll_id, 0 if none, -1 with *cause. */
int	due_orphan(struct db *, long long id, const char *owner,
	    long long *poll_id, char **cause);
/* Seconds until the next active account falls due (at most cap). */
int	due_wake(struct db *, int cap, int *seconds, char **cause);

#endif
