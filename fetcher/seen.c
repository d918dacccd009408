/*
 * The seen/skipped index in PostgreSQL: which UIDs of an account folder
 * were already delivered, and which were left on the server on purpose.
 * Lookups happen in memory on a sorted array loaded with one query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seen.h"
#include "xmalloc.h"

const struct db_statement seen_statements[] = {
	{ "seen_load",
	  "SELECT uid FROM postfetch.seen"
	  " WHERE account_id = $1 AND folder = $2 AND uidvalidity = $3", 3 },
	{ "skipped_load",
	  "SELECT uid FROM postfetch.skipped"
	  " WHERE account_id = $1 AND folder = $2 AND uidvalidity = $3", 3 },
	{ "seen_add",
	  "INSERT INTO postfetch.seen (account_id, folder, uidvalidity, uid)"
	  " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", 4 },
	{ "seen_skip",
	  "INSERT INTO postfetch.skipped"
	  " (account_id, folder, uidvalidity, uid, size, reason)"
	  " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING", 6 },
	{ "seen_prune",
	  "DELETE FROM postfetch.seen"
	  " WHERE account_id = $1 AND folder = $2 AND uidvalidity = $3"
	  " AND NOT (uid = ANY ($4::text[]))", 4 },
	{ "seen_forget",
	  "DELETE FROM postfetch.seen"
	  " WHERE account_id = $1 AND folder = $2 AND uidvalidity = $3"
	  " AND uid = ANY ($4::text[])", 4 },
	{ NULL, NULL, 0 }
};

/* The text of the numbers that name an account folder. */
struct key_params {
	char	 id[32];
	char	 uidvalidity[32];
};

/*
 * The first three parameters of every statement, $1 account, $2 folder,
 * $3 uidvalidity, into params (p holds the text of the numbers).
 */
static void
key_format(const struct seen_key *key, struct key_params *p,
    const char **params)
{
	snprintf(p->id, sizeof(p->id), "%lld", key->account_id);
	snprintf(p->uidvalidity, sizeof(p->uidvalidity), "%lld",
	    key->uidvalidity);
	params[0] = p->id;
	params[1] = key->folder;
	params[2] = p->uidvalidity;
}

/* Run a statement that returns no rows we need. */
static int
exec_command(struct db *db, const char *name, int nparams,
    const char *const *params, char **cause)
{
	PGresult	*res;

	if ((res = db_exec(db, name, nparams, params, cause)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static int
uid_compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
seen_load(struct db *db, const struct seen_key *key, int skipped,
    struct uidset *set, char **cause)
{
	struct key_params	 p = { .id = "" };
	const char		*params[3];
	PGresult		*res;
	int			 i, rows;

	key_format(key, &p, params);
	res = db_exec(db, skipped ? "skipped_load" : "seen_load", 3, params,
	    cause);
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	set->uids = xreallocarray(NULL, rows + 1, sizeof(*set->uids));
	set->size = rows + 1;
	set->count = 0;
	for (i = 0; i < rows; i++)
		set->uids[set->count++] = xstrdup(PQgetvalue(res, i, 0));
	PQclear(res);
	qsort(set->uids, set->count, sizeof(*set->uids), uid_compare);
	return 0;
}

int
seen_add(struct db *db, const struct seen_key *key, const char *uid,
    char **cause)
{
	struct key_params	 p = { .id = "" };
	const char		*params[4];

	key_format(key, &p, params);
	params[3] = uid;
	return exec_command(db, "seen_add", 4, params, cause);
}

int
seen_skip(struct db *db, const struct seen_key *key, const char *uid,
    unsigned long long size, const char *reason, char **cause)
{
	struct key_params	 p = { .id = "" };
	const char		*params[6];
	char			 sizebuf[32];

	key_format(key, &p, params);
	snprintf(sizebuf, sizeof(sizebuf), "%llu", size);
	params[3] = uid;
	params[4] = sizebuf;
	params[5] = reason;
	return exec_command(db, "seen_skip", 6, params, cause);
}

/* A PostgreSQL array literal of the strings: {"a","b\"c"}. */
static char *
array_literal(const char *const *strings, size_t count)
{
	const char	*s;
	char		*out, *o;
	size_t		 i, len = 3;

	for (i = 0; i < count; i++)
		len += 2 * strlen(strings[i]) + 3;
	o = out = xmalloc(len);
	*o++ = '{';
	for (i = 0; i < count; i++) {
		if (i > 0)
			*o++ = ',';
		*o++ = '"';
		for (s = strings[i]; *s != '\0'; s++) {
			if (*s == '"' || *s == '\\')
				*o++ = '\\';
			*o++ = *s;
		}
		*o++ = '"';
	}
	*o++ = '}';
	*o = '\0';
	return out;
}

/* Run a statement over the key and a list of UIDs. */
static int
exec_uids(struct db *db, const char *name, const struct seen_key *key,
    const char *const *uids, size_t count, char **cause)
{
	struct key_params	 p = { .id = "" };
	const char		*params[4];
	char			*array;
	int			 rc;

	key_format(key, &p, params);
	array = array_literal(uids, count);
	params[3] = array;
	rc = exec_command(db, name, 4, params, cause);
	free(array);
	return rc;
}

int
seen_prune(struct db *db, const struct seen_key *key,
    const char *const *present, size_t count, char **cause)
{
	return exec_uids(db, "seen_prune", key, present, count, cause);
}

int
seen_forget(struct db *db, const struct seen_key *key,
    const char *const *uids, size_t count, char **cause)
{
	return exec_uids(db, "seen_forget", key, uids, count, cause);
}

int
uidset_has(const struct uidset *set, const char *uid)
{
	if (set->count == 0)
		return 0;
	return bsearch(&uid, set->uids, set->count, sizeof(*set->uids),
	    uid_compare) != NULL;
}

void
uidset_add(struct uidset *set, const char *uid)
{
	size_t	 low = 0, high = set->count, middle;
	int	 c;

	while (low < high) {
		middle = low + (high - low) / 2;
		if ((c = strcmp(set->uids[middle], uid)) == 0)
			return;
		if (c < 0)
			low = middle + 1;
		else
			high = middle;
	}
	if (set->count == set->size) {
		set->size = set->size == 0 ? 16 : set->size * 2;
		set->uids = xreallocarray(set->uids, set->size,
		    sizeof(*set->uids));
	}
	memmove(set->uids + low + 1, set->uids + low,
	    (set->count - low) * sizeof(*set->uids));
	set->uids[low] = xstrdup(uid);
	set->count++;
}

void
uidset_free(struct uidset *set)
{
	size_t	 i;

	for (i = 0; i < set->count; i++)
		free(set->uids[i]);
	free(set->uids);
	memset(set, 0, sizeof(*set));
}
