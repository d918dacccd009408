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
	  "SELECT uid, size FROM postfetch.seen"
	  " WHERE account_id = $1 AND folder = $2 AND uidvalidity = $3", 3 },
	{ "skipped_load",
	  "SELECT uid, size FROM postfetch.skipped"
	  " WHERE account_id = $1 AND folder = $2 AND uidvalidity = $3", 3 },
	/*
	 * One statement, so one transaction. FOR SHARE: a change of the
	 * mailbox (which bumps mailbox_generation and empties the index)
	 * waits for this to commit, or, committed first, makes the CTE
	 * empty and this insert nothing.
	 */
	{ "seen_commit",
	  "WITH mailbox AS (SELECT id FROM postfetch.account"
	  "  WHERE id = $1 AND mailbox_generation = $4 FOR SHARE),"
	  " fetched AS (DELETE FROM postfetch.skipped"
	  "  WHERE account_id = $1 AND folder = $2 AND uidvalidity = $3"
	  "  AND uid = ANY ($5::text[]))"
	  " INSERT INTO postfetch.seen"
	  " (account_id, folder, uidvalidity, uid, size, message_id)"
	  " SELECT mailbox.id, $2, $3, m.uid, m.size, nullif(m.id, '')"
	  "  FROM mailbox, unnest($5::text[], $6::bigint[], $7::text[])"
	  "  AS m (uid, size, id)"
	  " ON CONFLICT (account_id, folder, uidvalidity, uid)"
	  " DO UPDATE SET size = EXCLUDED.size,"
	  "  message_id = EXCLUDED.message_id, fetched_at = now()", 7 },
	/* What the folder's index holds under another UIDVALIDITY. */
	{ "seen_previous",
	  "SELECT uidvalidity, message_id, size FROM postfetch.seen"
	  " WHERE account_id = $1 AND folder = $2 AND uidvalidity <> $3"
	  " ORDER BY uidvalidity DESC", 3 },
	{ "seen_drop_previous",
	  "WITH skipped AS (DELETE FROM postfetch.skipped"
	  "  WHERE account_id = $1 AND folder = $2 AND uidvalidity <> $3)"
	  " DELETE FROM postfetch.seen"
	  " WHERE account_id = $1 AND folder = $2 AND uidvalidity <> $3"
	  "  AND EXISTS (SELECT 1 FROM postfetch.account"
	  "  WHERE id = $1 AND mailbox_generation = $4)", 4 },
	{ "seen_skip",
	  "INSERT INTO postfetch.skipped"
	  " (account_id, folder, uidvalidity, uid, size, reason)"
	  " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING", 6 },
	/* These three change nothing once the mailbox changed ($5). */
	{ "seen_prune",
	  "DELETE FROM postfetch.seen"
	  " WHERE account_id = $1 AND folder = $2 AND uidvalidity = $3"
	  " AND NOT (uid = ANY ($4::text[]))"
	  "  AND EXISTS (SELECT 1 FROM postfetch.account"
	  "  WHERE id = $1 AND mailbox_generation = $5)", 5 },
	{ "skipped_prune",
	  "DELETE FROM postfetch.skipped"
	  " WHERE account_id = $1 AND folder = $2 AND uidvalidity = $3"
	  " AND NOT (uid = ANY ($4::text[]))"
	  "  AND EXISTS (SELECT 1 FROM postfetch.account"
	  "  WHERE id = $1 AND mailbox_generation = $5)", 5 },
	{ "seen_forget",
	  "DELETE FROM postfetch.seen"
	  " WHERE account_id = $1 AND folder = $2 AND uidvalidity = $3"
	  " AND uid = ANY ($4::text[])"
	  "  AND EXISTS (SELECT 1 FROM postfetch.account"
	  "  WHERE id = $1 AND mailbox_generation = $5)", 5 },
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
entry_compare(const void *a, const void *b)
{
	const struct uidset_entry	*ea = a, *eb = b;

	return strcmp(ea->uid, eb->uid);
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
	set->entries = xreallocarray(NULL, rows + 1, sizeof(*set->entries));
	set->size = rows + 1;
	set->count = 0;
	for (i = 0; i < rows; i++) {
		set->entries[i].uid = xstrdup(PQgetvalue(res, i, 0));
		set->entries[i].size = PQgetisnull(res, i, 1) ? -1 :
		    strtoll(PQgetvalue(res, i, 1), NULL, 10);
		set->count++;
	}
	PQclear(res);
	qsort(set->entries, set->count, sizeof(*set->entries),
	    entry_compare);
	return 0;
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

int
seen_commit(struct db *db, const struct seen_key *key,
    const char *const *uids, const unsigned long long *sizes,
    const char *const *message_ids, size_t count, char **cause)
{
	struct key_params	 p = { .id = "" };
	const char		*params[7];
	char			 gen[32], **numbers, *uid_array, *size_array;
	char			*id_array;
	PGresult		*res;
	size_t			 i;
	int			 rows;

	key_format(key, &p, params);
	snprintf(gen, sizeof(gen), "%lld", key->generation);
	numbers = xreallocarray(NULL, count + 1, sizeof(*numbers));
	for (i = 0; i < count; i++)
		numbers[i] = xprintf("%llu", sizes[i]);
	uid_array = array_literal(uids, count);
	size_array = array_literal((const char *const *)numbers, count);
	params[3] = gen;
	params[4] = uid_array;
	params[5] = size_array;
	params[6] = id_array = array_literal(message_ids, count);
	res = db_exec(db, "seen_commit", 7, params, cause);
	free(id_array);
	for (i = 0; i < count; i++)
		free(numbers[i]);
	free(numbers);
	free(uid_array);
	free(size_array);
	if (res == NULL)
		return -1;
	rows = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return rows > 0 || count == 0;
}

/* Run a statement over the key and a list of UIDs. */
static int
exec_uids(struct db *db, const char *name, const struct seen_key *key,
    const char *const *uids, size_t count, char **cause)
{
	struct key_params	 p = { .id = "" };
	const char		*params[5];
	char			*array, gen[32];
	int			 rc;

	key_format(key, &p, params);
	array = array_literal(uids, count);
	snprintf(gen, sizeof(gen), "%lld", key->generation);
	params[3] = array;
	params[4] = gen;
	rc = exec_command(db, name, 5, params, cause);
	free(array);
	return rc;
}

int
seen_prune(struct db *db, const struct seen_key *key, int skipped,
    const char *const *present, size_t count, char **cause)
{
	return exec_uids(db, skipped ? "skipped_prune" : "seen_prune", key,
	    present, count, cause);
}

int
seen_forget(struct db *db, const struct seen_key *key,
    const char *const *uids, size_t count, char **cause)
{
	return exec_uids(db, "seen_forget", key, uids, count, cause);
}

int
seen_previous(struct db *db, const struct seen_key *key,
    struct seen_previous *prev, char **cause)
{
	struct key_params	 p = { .id = "" };
	const char		*params[3];
	PGresult		*res;
	int			 i, rows;

	memset(prev, 0, sizeof(*prev));
	key_format(key, &p, params);
	if ((res = db_exec(db, "seen_previous", 3, params, cause)) == NULL)
		return -1;
	rows = PQntuples(res);
	prev->ids = xreallocarray(NULL, rows + 1, sizeof(*prev->ids));
	prev->sizes = xreallocarray(NULL, rows + 1, sizeof(*prev->sizes));
	for (i = 0; i < rows; i++) {
		if (i == 0)
			prev->uidvalidity = strtoll(PQgetvalue(res, 0, 0),
			    NULL, 10);
		if (PQgetisnull(res, i, 1) || PQgetisnull(res, i, 2))
			continue;
		prev->ids[prev->count] = xstrdup(PQgetvalue(res, i, 1));
		prev->sizes[prev->count++] = strtoll(PQgetvalue(res, i, 2),
		    NULL, 10);
	}
	prev->rows = rows;
	PQclear(res);
	return 0;
}

int
seen_previous_has(const struct seen_previous *prev, const char *message_id,
    unsigned long long size)
{
	size_t	 i;

	for (i = 0; i < prev->count; i++) {
		if ((unsigned long long)prev->sizes[i] == size &&
		    strcmp(prev->ids[i], message_id) == 0)
			return 1;
	}
	return 0;
}

void
seen_previous_free(struct seen_previous *prev)
{
	size_t	 i;

	for (i = 0; i < prev->count; i++)
		free(prev->ids[i]);
	free(prev->ids);
	free(prev->sizes);
	memset(prev, 0, sizeof(*prev));
}

int
seen_drop_previous(struct db *db, const struct seen_key *key, char **cause)
{
	struct key_params	 p = { .id = "" };
	const char		*params[4];
	char			 gen[32];

	key_format(key, &p, params);
	snprintf(gen, sizeof(gen), "%lld", key->generation);
	params[3] = gen;
	return exec_command(db, "seen_drop_previous", 4, params, cause);
}

const struct uidset_entry *
uidset_find(const struct uidset *set, const char *uid)
{
	struct uidset_entry	 key = { (char *)uid, 0 };

	if (set->count == 0)
		return NULL;
	return bsearch(&key, set->entries, set->count, sizeof(*set->entries),
	    entry_compare);
}

int
uidset_has(const struct uidset *set, const char *uid)
{
	return uidset_find(set, uid) != NULL;
}

void
uidset_add(struct uidset *set, const char *uid, long long size)
{
	size_t	 low = 0, high = set->count, middle;
	int	 c;

	while (low < high) {
		middle = low + (high - low) / 2;
		if ((c = strcmp(set->entries[middle].uid, uid)) == 0) {
			set->entries[middle].size = size;
			return;
		}
		if (c < 0)
			low = middle + 1;
		else
			high = middle;
	}
	if (set->count == set->size) {
		set->size = set->size == 0 ? 16 : set->size * 2;
		set->entries = xreallocarray(set->entries, set->size,
		    sizeof(*set->entries));
	}
	memmove(set->entries + low + 1, set->entries + low,
	    (set->count - low) * sizeof(*set->entries));
	set->entries[low].uid = xstrdup(uid);
	set->entries[low].size = size;
	set->count++;
}

void
uidset_free(struct uidset *set)
{
	size_t	 i;

	for (i = 0; i < set->count; i++)
		free(set->entries[i].uid);
	free(set->entries);
	memset(set, 0, sizeof(*set));
}
