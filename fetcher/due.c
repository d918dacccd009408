/*
 * The accounts due for the scheduler (due.h). Free means: no session
 * holds the account's advisory lock (a fetcher polling it; a fetcher that
 * died holds nothing) and no other fetcher's lease is running (a worker
 * that was just started and has not locked it yet).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "due.h"
#include "store.h"
#include "xmalloc.h"

/* Whether a session holds the claim (advisory lock) of account a. */
#define DUE_LOCKED \
	" EXISTS (SELECT 1 FROM pg_catalog.pg_locks l"			\
	"  WHERE l.locktype = 'advisory' AND l.classid = 1885757795"	\
	"  AND l.objsubid = 2 AND l.granted"				\
	"  AND l.objid::bigint = (a.id & 4294967295))"
#define DUE_EXPIRED	" (a.lease_until IS NOT NULL AND a.lease_until < now())"
/* Whether a session of the lease's owner is connected (store.h); the
 * server cuts application_name to 63 bytes. */
#define DUE_OWNER_ALIVE \
	" EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity s"		\
	"  WHERE s.application_name ="					\
	"  left('" STORE_APPLICATION "' || a.lease_owner, 63))"
/* Free: not held (or held by a fetcher whose lease ran out: stuck), and
 * no other fetcher's lease running (a fetcher that died leaves a lease
 * without a session: it holds nothing). */
#define DUE_FREE \
	" (NOT" DUE_LOCKED " OR" DUE_EXPIRED ")"			\
	" AND (a.lease_owner IS NULL OR a.lease_owner = $1"		\
	"  OR a.lease_until IS NULL OR a.lease_until < now()"		\
	"  OR NOT" DUE_OWNER_ALIVE ")"

const struct db_statement due_statements[] = {
	{ "due_load",
	  "SELECT a.id, a.name, lower(coalesce(a.host, '')), a.schedule,"
	  " a.poll_requested, a.check_requested,"
	  " (a.next_poll IS NULL OR a.next_poll <= now()),"
	  " (" DUE_LOCKED " AND" DUE_EXPIRED "), coalesce(a.lease_owner, '')"
	  " FROM postfetch.account a"
	  " WHERE a.active AND (a.poll_requested OR a.check_requested"
	  "  OR a.next_poll IS NULL OR a.next_poll <= now()) AND" DUE_FREE
	  " ORDER BY a.poll_requested DESC, a.check_requested DESC,"
	  "  a.next_poll NULLS FIRST, a.id", 1 },
	{ "due_take",
	  "UPDATE postfetch.account a SET"
	  " poll_requested = a.poll_requested AND $4,"
	  " check_requested = false, lease_owner = $1,"
	  " lease_until = now() + make_interval(secs => $3)"
	  " WHERE a.id = $2 AND a.active AND" DUE_FREE " RETURNING a.id", 4 },
	{ "due_renew",
	  "UPDATE postfetch.account"
	  " SET lease_until = now() + make_interval(secs => $3)"
	  " WHERE lease_owner = $1 AND id = ANY ($2::bigint[])", 3 },
	{ "due_wake",
	  "SELECT ceil(extract(epoch FROM min(next_poll) - now()))::int"
	  " FROM postfetch.account WHERE active", 0 },
	/* End the database sessions that hold the claim of account $1:
	 * a fetcher stuck past its lease; what it has not committed it
	 * will not delete. */
	{ "due_evict",
	  "SELECT count(pg_catalog.pg_terminate_backend(l.pid, 5000))"
	  " FROM pg_catalog.pg_locks l"
	  " WHERE l.locktype = 'advisory' AND l.classid = 1885757795"
	  " AND l.objsubid = 2 AND l.granted"
	  " AND l.objid::bigint = ($1::bigint & 4294967295)"
	  " AND l.pid <> pg_catalog.pg_backend_pid()", 1 },
	/* Outside its schedule: due again when the schedule allows. */
	{ "due_defer",
	  "UPDATE postfetch.account SET next_poll = to_timestamp($2)"
	  " WHERE id = $1", 2 },
	{ "due_host",
	  "SELECT lower(coalesce(host, '')), id FROM postfetch.account"
	  " WHERE name = $1", 1 },
	/* The poll a worker left open when it died. */
	{ "due_orphan",
	  "SELECT id FROM postfetch.poll WHERE account_id = $1 AND poller = $2"
	  " AND ended IS NULL ORDER BY id DESC LIMIT 1", 2 },
	{ NULL, NULL, 0 }
};

int
due_load(struct db *db, const char *owner, struct due **list,
    size_t *count, char **cause)
{
	const char	*params[1] = { owner };
	PGresult	*res;
	struct due	*d;
	int		 i, rows;

	*list = NULL;
	*count = 0;
	if ((res = db_exec(db, "due_load", 1, params, cause)) == NULL)
		return -1;
	rows = PQntuples(res);
	*list = xcalloc(rows + 1, sizeof(**list));
	for (i = 0; i < rows; i++) {
		d = &(*list)[i];
		d->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		d->name = xstrdup(PQgetvalue(res, i, 1));
		d->host = xstrdup(PQgetvalue(res, i, 2));
		if (!PQgetisnull(res, i, 3))
			d->schedule = xstrdup(PQgetvalue(res, i, 3));
		d->poll_requested = strcmp(PQgetvalue(res, i, 4), "t") == 0;
		d->check_requested = strcmp(PQgetvalue(res, i, 5), "t") == 0;
		d->poll_due = strcmp(PQgetvalue(res, i, 6), "t") == 0;
		d->stuck = strcmp(PQgetvalue(res, i, 7), "t") == 0;
		d->holder = xstrdup(PQgetvalue(res, i, 8));
	}
	*count = rows;
	PQclear(res);
	return 0;
}

void
due_free(struct due *list, size_t count)
{
	size_t	 i;

	for (i = 0; i < count; i++) {
		free(list[i].name);
		free(list[i].host);
		free(list[i].schedule);
		free(list[i].holder);
	}
	free(list);
}

int
due_take(struct db *db, long long id, const char *owner, int lease,
    int check, char **cause)
{
	const char	*params[4];
	char		 idbuf[32], leasebuf[32];
	PGresult	*res;
	int		 rows;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	snprintf(leasebuf, sizeof(leasebuf), "%d", lease);
	params[0] = owner;
	params[1] = idbuf;
	params[2] = leasebuf;
	params[3] = check ? "true" : "false";
	if ((res = db_exec(db, "due_take", 4, params, cause)) == NULL)
		return -1;
	rows = PQntuples(res);
	PQclear(res);
	return rows > 0;
}

int
due_renew(struct db *db, const char *owner, const long long *ids,
    size_t count, int lease, char **cause)
{
	const char	*params[3];
	char		*array, *next, leasebuf[32];
	PGresult	*res;
	size_t		 i;

	if (count == 0)
		return 0;
	array = xstrdup("{");
	for (i = 0; i < count; i++) {
		next = xprintf("%s%s%lld", array, i > 0 ? "," : "", ids[i]);
		free(array);
		array = next;
	}
	next = xprintf("%s}", array);
	free(array);
	array = next;
	snprintf(leasebuf, sizeof(leasebuf), "%d", lease);
	params[0] = owner;
	params[1] = array;
	params[2] = leasebuf;
	res = db_exec(db, "due_renew", 3, params, cause);
	free(array);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
due_wake(struct db *db, int cap, int *seconds, char **cause)
{
	PGresult	*res;
	long		 n;

	if ((res = db_exec(db, "due_wake", 0, NULL, cause)) == NULL)
		return -1;
	*seconds = cap;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
		*seconds = n < 0 ? 0 : n > cap ? cap : (int)n;
	}
	PQclear(res);
	return 0;
}

int
due_host(struct db *db, const char *name, char **host, long long *id,
    char **cause)
{
	const char	*params[1] = { name };
	PGresult	*res;

	if ((res = db_exec(db, "due_host", 1, params, cause)) == NULL)
		return -1;
	*host = xstrdup(PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "");
	*id = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 1), NULL, 10) :
	    0;
	PQclear(res);
	return 0;
}

int
due_evict(struct db *db, long long id, char **cause)
{
	const char	*params[1];
	char		 idbuf[32];
	PGresult	*res;
	int		 n;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[0] = idbuf;
	if ((res = db_exec(db, "due_evict", 1, params, cause)) == NULL)
		return -1;
	n = PQntuples(res) == 1 ? atoi(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	return n;
}

int
due_defer(struct db *db, long long id, time_t when, char **cause)
{
	const char	*params[2];
	char		 idbuf[32], whenbuf[32];
	PGresult	*res;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	snprintf(whenbuf, sizeof(whenbuf), "%lld", (long long)when);
	params[0] = idbuf;
	params[1] = whenbuf;
	if ((res = db_exec(db, "due_defer", 2, params, cause)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
due_orphan(struct db *db, long long id, const char *owner,
    long long *poll_id, char **cause)
{
	const char	*params[2];
	char		 idbuf[32];
	PGresult	*res;
	int		 found;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[0] = idbuf;
	params[1] = owner;
	if ((res = db_exec(db, "due_orphan", 2, params, cause)) == NULL)
		return -1;
	if ((found = PQntuples(res) == 1))
		*poll_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return found;
}
