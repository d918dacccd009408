/*
 * Poll bookkeeping in PostgreSQL: claiming an account (a session-level
 * advisory lock, so several processes and hosts can share one database,
 * and a lease in its row for people to read), the postfetch.poll row of
 * each poll and the account's status columns.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "due.h"
#include "seen.h"
#include "smtp_check.h"
#include "store.h"
#include "xmalloc.h"

/*
 * The claim of an account is the advisory lock (STORE_LOCK_CLASS, key)
 * of the two-int4 form, key being the low 32 bits of the account id. A
 * session-level lock ends with its session: a fetcher that is killed
 * leaves no claim behind. Taking a lock the session already holds would
 * stack it (one unlock would not free it), so pg_locks is asked first.
 */
#define STORE_LOCK_CLASS	"1885757795"	/* 0x70666163, "pfac" */
#define STORE_LOCK_HELD \
	"EXISTS (SELECT 1 FROM pg_catalog.pg_locks"			\
	" WHERE locktype = 'advisory' AND pid = pg_catalog.pg_backend_pid()" \
	" AND classid = " STORE_LOCK_CLASS " AND objid = $1::int4::oid"	\
	" AND objsubid = 2 AND granted)"

const struct db_statement store_statements[] = {
	{ "store_lock",
	  "SELECT CASE WHEN " STORE_LOCK_HELD " THEN true"
	  " ELSE pg_catalog.pg_try_advisory_lock(" STORE_LOCK_CLASS ", $1)"
	  " END", 1 },
	{ "store_unlock",
	  "SELECT CASE WHEN " STORE_LOCK_HELD
	  " THEN pg_catalog.pg_advisory_unlock(" STORE_LOCK_CLASS ", $1)"
	  " ELSE false END", 1 },
	{ "store_claim",
	  "UPDATE postfetch.account"
	  " SET lease_owner = $2, lease_until = now() + make_interval(secs => $3)"
	  " WHERE id = $1 RETURNING id", 3 },
	{ "store_release",
	  "UPDATE postfetch.account SET lease_owner = NULL, lease_until = NULL"
	  " WHERE id = $1 AND lease_owner = $2", 2 },
	/* Under the claim no other poll of the account runs: one still
	 * open ended without recording its end, and is closed first. */
	{ "store_poll_begin",
	  "WITH lost AS (UPDATE postfetch.poll SET ended = now(),"
	  "  error = 'its end was not recorded: the fetcher died or lost"
	  " the database'"
	  "  WHERE account_id = $1 AND ended IS NULL)"
	  " INSERT INTO postfetch.poll (account_id, poller, started)"
	  " VALUES ($1, $2, now()) RETURNING id", 2 },
	{ "store_poll_end",
	  "UPDATE postfetch.poll SET ended = now(), messages = $2, bytes = $3,"
	  " error = $4 WHERE id = $1", 4 },
	{ "store_account_done",
	  "UPDATE postfetch.account SET"
	  " last_poll_start = (SELECT started FROM postfetch.poll"
	  "  WHERE id = $3),"
	  " last_poll_end = now(),"
	  " last_result = CASE WHEN $5::text IS NULL THEN 'ok' ELSE 'failed'"
	  "  END,"
	  " last_error = $5,"
	  " consecutive_failures = CASE WHEN $5::text IS NULL THEN 0"
	  "  ELSE consecutive_failures + 1 END,"
	  " messages_total = messages_total + $4,"
	  /* a failing account backs off: the interval doubles with each
	   * failure in a row, up to an hour (or the interval, if longer);
	   * POP before SMTP logs in at least every pop_before_smtp */
	  " next_poll = now() + CASE WHEN $5::text IS NULL THEN"
	  "  least(poll_interval, pop_before_smtp)"
	  "  ELSE least(poll_interval * power(2, least(consecutive_failures,"
	  "  10)), greatest(poll_interval, interval '1 hour')) END,"
	  " lease_owner = NULL, lease_until = NULL"
	  " WHERE id = $1 AND lease_owner = $2", 5 },
	{ "store_check_done",
	  "UPDATE postfetch.account SET"
	  " last_result = CASE WHEN $2::text IS NULL THEN 'ok' ELSE 'failed'"
	  "  END,"
	  " last_error = $2"
	  " WHERE id = $1", 2 },
	{ "store_tls_seen",
	  "UPDATE postfetch.account SET tls_seen = true WHERE id = $1", 1 },
	{ NULL, NULL, 0 }
};

/* Append the statements of table to *all (count so far in *n). */
static void
statements_append(struct db_statement **all, size_t *n,
    const struct db_statement *table)
{
	size_t	 i;

	for (i = 0; table[i].name != NULL; i++) {
		*all = xreallocarray(*all, *n + 2, sizeof(**all));
		(*all)[(*n)++] = table[i];
	}
	memset(&(*all)[*n], 0, sizeof(**all));
}

struct db *
store_db_new(const char *conninfo, const char *owner)
{
	static struct db_statement	*all;
	struct db			*db;
	size_t				 n = 0;
	char				*name;

	if (all == NULL) {
		statements_append(&all, &n, account_statements);
		statements_append(&all, &n, store_statements);
		statements_append(&all, &n, seen_statements);
		statements_append(&all, &n, status_statements);
		statements_append(&all, &n, due_statements);
		statements_append(&all, &n, smtp_check_statements);
	}
	db = db_new(conninfo, all);
	db_require_schema(db, DB_SCHEMA_VERSION);
	/* due.c tells a live fetcher's lease by its sessions' name */
	name = xprintf(STORE_APPLICATION "%s", owner);
	db_set_application(db, name);
	free(name);
	return db;
}

/* Run a statement; returns the number of rows it returned or changed. */
static int
store_exec(struct db *db, const char *name, int nparams,
    const char *const *params, char **value, char **cause)
{
	PGresult	*res;
	int		 rows;

	if ((res = db_exec(db, name, nparams, params, cause)) == NULL)
		return -1;
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		rows = PQntuples(res);
	else
		rows = (int)strtol(PQcmdTuples(res), NULL, 10);
	if (value != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    rows > 0)
		*value = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return rows;
}

/* The lock key of an account as text: its id's low 32 bits as an int4. */
static void
store_lock_key(long long account_id, char *key, size_t size)
{
	uint32_t	 low = (uint32_t)account_id;

	snprintf(key, size, "%lld", low > INT32_MAX ?
	    (long long)low - 4294967296LL : (long long)low);
}

/*
 * Hold the account's lock: keep it if this session has it, else take it
 * if it is free. Returns 1 held, 0 held by another session, -1 error.
 */
static int
store_lock(struct db *db, long long account_id, char **cause)
{
	char		 key[32], *held = NULL;
	const char	*params[1] = { key };
	int		 rc;

	store_lock_key(account_id, key, sizeof(key));
	if (store_exec(db, "store_lock", 1, params, &held, cause) != 1) {
		if (*cause == NULL)
			*cause = xstrdup("store_lock returned no row");
		free(held);
		return -1;
	}
	rc = strcmp(held, "t") == 0;
	free(held);
	return rc;
}

/*
 * Let go of the account's lock if this session holds it. Best effort: a
 * lost connection took the lock with it, and anything else leaves it
 * only until the session ends.
 */
static void
store_unlock(struct db *db, long long account_id)
{
	char		 key[32], *cause = NULL;
	const char	*params[1] = { key };

	store_lock_key(account_id, key, sizeof(key));
	store_exec(db, "store_unlock", 1, params, NULL, &cause);
	free(cause);
}

int
store_claim(struct db *db, long long account_id, const char *owner,
    int lease, char **cause)
{
	char		 id[32], seconds[32];
	const char	*params[3] = { id, owner, seconds };
	int		 rc;

	/*
	 * After a reconnect (db.c does it without telling) the new session
	 * has lost the lock: it takes it again unless another fetcher has it.
	 */
	if ((rc = store_lock(db, account_id, cause)) != 1)
		return rc;
	/* The lock decides: a stale lease of a dead fetcher is overwritten. */
	snprintf(id, sizeof(id), "%lld", account_id);
	snprintf(seconds, sizeof(seconds), "%d", lease);
	switch (store_exec(db, "store_claim", 3, params, NULL, cause)) {
	case -1:
		return -1;
	case 0:
		xasprintf(cause, "account %lld no longer exists", account_id);
		return -1;
	default:
		return 1;
	}
}

void
store_release(struct db *db, long long account_id, const char *owner)
{
	char		 id[32], *cause = NULL;
	const char	*params[2] = { id, owner };

	snprintf(id, sizeof(id), "%lld", account_id);
	store_exec(db, "store_release", 2, params, NULL, &cause);
	free(cause);
	store_unlock(db, account_id);
}

int
store_poll_begin(struct db *db, long long account_id, const char *owner,
    long long *poll_id, char **cause)
{
	char		 id[32], *value = NULL;
	const char	*params[2] = { id, owner };

	snprintf(id, sizeof(id), "%lld", account_id);
	if (store_exec(db, "store_poll_begin", 2, params, &value,
	    cause) != 1) {
		if (value == NULL && *cause == NULL)
			*cause = xstrdup("poll row not inserted");
		free(value);
		return -1;
	}
	*poll_id = strtoll(value, NULL, 10);
	free(value);
	return 0;
}

int
store_poll_end(struct db *db, long long poll_id, size_t messages,
    unsigned long long bytes, const char *error, char **cause)
{
	char		 id[32], count[32], size[32];
	const char	*params[4] = { id, count, size, error };

	snprintf(id, sizeof(id), "%lld", poll_id);
	snprintf(count, sizeof(count), "%zu", messages);
	snprintf(size, sizeof(size), "%llu", bytes);
	return store_exec(db, "store_poll_end", 4, params, NULL, cause) ==
	    -1 ? -1 : 0;
}

int
store_account_done(struct db *db, long long account_id, const char *owner,
    long long poll_id, size_t messages, const char *error, char **cause)
{
	char		 id[32], poll[32], count[32];
	const char	*params[5] = { id, owner, poll, count, error };
	int		 rows;

	snprintf(id, sizeof(id), "%lld", account_id);
	snprintf(poll, sizeof(poll), "%lld", poll_id);
	snprintf(count, sizeof(count), "%zu", messages);
	rows = store_exec(db, "store_account_done", 5, params, NULL, cause);
	/* Let go of the lock whatever happened: this poll is over. */
	store_unlock(db, account_id);
	switch (rows) {
	case -1:
		return -1;
	case 0:
		xasprintf(cause, "the claim was lost to another fetcher");
		return -1;
	default:
		return 0;
	}
}

int
store_tls_seen(struct db *db, long long account_id, char **cause)
{
	char		 id[32];
	const char	*params[1] = { id };

	snprintf(id, sizeof(id), "%lld", account_id);
	return store_exec(db, "store_tls_seen", 1, params, NULL, cause) ==
	    -1 ? -1 : 0;
}

int
store_check_done(struct db *db, long long account_id, const char *error,
    char **cause)
{
	char		 id[32];
	const char	*params[2];

	snprintf(id, sizeof(id), "%lld", account_id);
	params[0] = id;
	params[1] = error;
	return store_exec(db, "store_check_done", 2, params, NULL, cause) ==
	    -1 ? -1 : 0;
}
