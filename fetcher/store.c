/*
 * Poll bookkeeping in PostgreSQL: claiming an account (a lease in its
 * row, so several hosts can share one database), the postfetch.poll row
 * of each poll and the account's status columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seen.h"
#include "store.h"
#include "xmalloc.h"

const struct db_statement store_statements[] = {
	{ "store_claim",
	  "UPDATE postfetch.account"
	  " SET lease_owner = $2, lease_until = now() + make_interval(secs => $3)"
	  " WHERE id = $1 AND (lease_until IS NULL OR lease_until < now()"
	  " OR lease_owner = $2) RETURNING id", 3 },
	{ "store_poll_begin",
	  "INSERT INTO postfetch.poll (account_id, poller, started)"
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
	  " next_poll = now() + poll_interval,"
	  " lease_owner = NULL, lease_until = NULL"
	  " WHERE id = $1 AND lease_owner = $2", 5 },
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
store_db_new(const char *conninfo)
{
	static struct db_statement	*all;
	size_t				 n = 0;

	if (all == NULL) {
		statements_append(&all, &n, account_statements);
		statements_append(&all, &n, store_statements);
		statements_append(&all, &n, seen_statements);
		statements_append(&all, &n, status_statements);
	}
	return db_new(conninfo, all);
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

int
store_claim(struct db *db, long long account_id, const char *owner,
    int lease, char **cause)
{
	char		 id[32], seconds[32];
	const char	*params[3] = { id, owner, seconds };
	int		 rows;

	snprintf(id, sizeof(id), "%lld", account_id);
	snprintf(seconds, sizeof(seconds), "%d", lease);
	if ((rows = store_exec(db, "store_claim", 3, params, NULL,
	    cause)) == -1)
		return -1;
	return rows > 0;
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

	snprintf(id, sizeof(id), "%lld", account_id);
	snprintf(poll, sizeof(poll), "%lld", poll_id);
	snprintf(count, sizeof(count), "%zu", messages);
	switch (store_exec(db, "store_account_done", 5, params, NULL, cause)) {
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
