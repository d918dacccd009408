/*
 * The fetcher's side of PostgreSQL: accounts (account.c), claims, poll
 * rows and account status (store.c). Every statement is prepared once per
 * connection and run with parameters only.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "db.h"

struct account;
struct schedule;

/* account.c */
extern const struct db_statement account_statements[];
/*
 * Load the account called name. Returns 1 and fills *account and *active,
 * 0 if there is no such account, -1 with *cause on a database error.
 */
int	account_get(struct db *, const char *name, struct account *,
	    int *active, char **cause);
/*
 * account_get for a command (verb: "poll", "check"), logging what went
 * wrong. Returns 0, or -1 when there is no such account or the database
 * failed.
 */
int	account_find(struct db *, const char *name, const char *verb,
	    struct account *, int *active);
/* The names of all active accounts, sorted, NULL-terminated. */
int	account_names(struct db *, char ***names, char **cause);
/*
 * The names of the active accounts whose schedule (or default_schedule,
 * for those with none) allows time now, sorted, NULL-terminated; each
 * one left out is logged at debug level.
 */
int	account_names_allowed(struct db *, const char *default_schedule,
	    time_t now, char ***names, char **cause);
/*
 * The schedule of an account: its own text (the schedule column), or if
 * that is NULL default_schedule. Returns 0, or -1 with *cause naming the
 * text, and then a schedule that allows any time.
 */
int	account_schedule(const char *own, const char *default_schedule,
	    struct schedule *, char **cause);
void	account_names_free(char **);

/* store.c */
extern const struct db_statement store_statements[];

/*
 * A database handle with every statement of the fetcher, that refuses a
 * schema other than DB_SCHEMA_VERSION. Its sessions are named (as
 * application_name) STORE_APPLICATION followed by owner, the name its
 * leases carry: a lease whose owner has no session left is not running.
 */
#define STORE_APPLICATION	"postfetch "
struct db *store_db_new(const char *conninfo, const char *owner);
/*
 * Claim the account: hold its advisory lock on this database session
 * (kept if held, taken if free), then write owner and lease seconds from
 * now into its lease columns for people to read. The lock decides, not
 * the lease: a stale lease is overwritten. Called again during a poll to
 * renew it, it finds out whether the session lost the lock (a reconnect
 * starts a session without it) and takes it again if it is still free.
 * Returns 1 claimed, 0 busy (another session holds the lock), -1 error.
 */
int	store_claim(struct db *, long long account_id, const char *owner,
	    int lease, char **cause);
/*
 * Give up the claim without recording a poll (a failure before or
 * instead of store_account_done): clear the lease if owner has it and
 * release the lock. Best effort; a failure means the session is gone,
 * and the lock with it.
 */
void	store_release(struct db *, long long account_id, const char *owner);
/* Insert the poll row; *poll_id is its id. */
int	store_poll_begin(struct db *, long long account_id, const char *owner,
	    long long *poll_id, char **cause);
/* Close the poll row (error NULL = success). */
int	store_poll_end(struct db *, long long poll_id, size_t messages,
	    unsigned long long bytes, const char *error, char **cause);
/*
 * Record the result in the account's status columns, schedule the next
 * poll after poll_interval (after a failure, poll_interval doubled for
 * each failure in a row, up to an hour or poll_interval if longer) and
 * release the claim of owner: its lease and, whatever the outcome, its
 * lock.
 */
int	store_account_done(struct db *, long long account_id,
	    const char *owner, long long poll_id, size_t messages,
	    const char *error, char **cause);
/* The outcome of a check (error NULL = success) into last_result and
 * last_error; nothing else changes. */
int	store_check_done(struct db *, long long account_id, const char *error,
	    char **cause);
/* Remember that the account negotiated TLS (tls = detect). */
int	store_tls_seen(struct db *, long long account_id, char **cause);

/* status.c */
extern const struct db_statement status_statements[];
/*
 * Print one line per account: state, last poll, result, counts (messages
 * fetched, messages skipped, failed polls in a row), next poll (the first
 * time from next_poll on, and not before now, that its schedule, or
 * default_schedule, allows). Times are local.
 */
int	status_print(struct db *, const char *default_schedule, FILE *,
	    char **cause);
/* t as local "YYYY-MM-DD HH:MM:SS" in buf; -1 is "never". */
const char *status_time(time_t t, char *buf, size_t size);

#endif
