/*
 * The milter's SQL: three prepared statements read the whole alias
 * configuration in one read-only transaction; the cache keeps the result
 * until a NOTIFY says it changed.
 */
#include <stdlib.h>
#include <string.h>

#include "lookup.h"

const struct db_statement lookup_statements[] = {
	{ "milter_accounts", "SELECT id, name, protocol = 'etrn', domain, "
	    "fallback, deliver_to FROM postfetch.account", 0 },
	{ "milter_aliases", "SELECT account_id, remote, local "
	    "FROM postfetch.alias", 0 },
	{ "milter_locals", "SELECT address FROM postfetch.local_recipient", 0 },
	{ NULL, NULL, 0 }
};

/*
 * A copy of a text column into *value: NULL for SQL NULL (and, if empty
 * is set, for an empty string). Returns 0, or -1 out of memory.
 */
static int
column(const PGresult *result, int row, int field, int empty,
    char **value)
{
	const char	*text = PQgetvalue(result, row, field);

	*value = NULL;
	if (PQgetisnull(result, row, field) || (empty && *text == '\0'))
		return 0;
	return (*value = strdup(text)) == NULL ? -1 : 0;
}

/* bsearch/qsort order of accounts by id. */
static int
compare_ids(const void *a, const void *b)
{
	const struct account	*x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Read the accounts, sorted by id, into *accounts (*count of them, rows
 * read so far if out of memory). Returns 0, or -1 out of memory.
 */
static int
read_accounts(const PGresult *result, struct account **accounts,
    size_t *count)
{
	struct account	*account;
	int		 row, rows = PQntuples(result);

	*count = 0;
	if ((*accounts = calloc((size_t)rows + 1, sizeof **accounts)) == NULL)
		return -1;
	for (row = 0; row < rows; row++) {
		account = &(*accounts)[(*count)++];
		account->id = strtoll(PQgetvalue(result, row, 0), NULL, 10);
		account->etrn = strcmp(PQgetvalue(result, row, 2), "t") == 0;
		if (column(result, row, 1, 0, &account->name) != 0 ||
		    column(result, row, 3, 0, &account->domain) != 0 ||
		    column(result, row, 4, 1, &account->fallback) != 0 ||
		    column(result, row, 5, 1, &account->deliver_to) != 0)
			return -1;
	}
	qsort(*accounts, *count, sizeof **accounts, compare_ids);
	return 0;
}

/*
 * Attach each alias row to its account (accounts sorted by id). Returns 0,
 * or -1 out of memory.
 */
static int
read_aliases(const PGresult *result, struct account *accounts, size_t count)
{
	struct account	 key, *account;
	struct alias	*alias;
	int		 row, rows = PQntuples(result);

	memset(&key, 0, sizeof key);
	for (row = 0; row < rows; row++) {
		if (PQgetisnull(result, row, 1) || PQgetisnull(result, row, 2))
			continue;
		key.id = strtoll(PQgetvalue(result, row, 0), NULL, 10);
		account = bsearch(&key, accounts, count, sizeof key,
		    compare_ids);
		if (account == NULL)
			continue;
		alias = reallocarray(account->aliases, account->naliases + 1,
		    sizeof *account->aliases);
		if (alias == NULL)
			return -1;
		account->aliases = alias;
		alias = &account->aliases[account->naliases++];
		alias->local = NULL;
		if (column(result, row, 1, 0, &alias->remote) != 0 ||
		    column(result, row, 2, 0, &alias->local) != 0)
			return -1;
	}
	return 0;
}

/*
 * Read the local recipients into *locals (*count of them). Returns 0, or
 * -1 out of memory.
 */
static int
read_locals(const PGresult *result, char ***locals, size_t *count)
{
	int	 row, rows = PQntuples(result);

	*count = 0;
	if ((*locals = calloc((size_t)rows + 1, sizeof **locals)) == NULL)
		return -1;
	for (row = 0; row < rows; row++) {
		if (PQgetisnull(result, row, 0))
			continue;
		if (column(result, row, 0, 0, &(*locals)[*count]) != 0)
			return -1;
		(*count)++;
	}
	return 0;
}

/*
 * The directory of the three results; NULL with *cause if out of memory
 * (everything read is freed).
 */
static struct directory *
read_directory(PGresult *results[3], char **cause)
{
	struct directory	 rows;
	struct directory	*directory = NULL;

	memset(&rows, 0, sizeof rows);
	if (read_accounts(results[0], &rows.accounts, &rows.naccounts) == 0 &&
	    read_aliases(results[1], rows.accounts, rows.naccounts) == 0 &&
	    read_locals(results[2], &rows.locals, &rows.nlocals) == 0)
		directory = directory_new(rows.accounts, rows.naccounts,
		    rows.locals, rows.nlocals);
	else
		directory_clear(&rows);
	if (directory == NULL)
		*cause = strdup("out of memory reading the directory");
	return directory;
}

struct directory *
lookup_directory(struct db *db, char **cause)
{
	PGresult		*results[3] = { NULL, NULL, NULL };
	struct directory	*directory = NULL;
	int			 i;

	if (db_connect(db, cause) != 0)
		return NULL;
	if (db_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    cause) != 0)
		return NULL;
	for (i = 0; i < 3; i++) {
		results[i] = db_exec(db, lookup_statements[i].name, 0, NULL,
		    cause);
		if (results[i] == NULL)
			goto out;
	}
	if (db_command(db, "COMMIT", cause) != 0)
		goto out;

	directory = read_directory(results, cause);
out:
	if (directory == NULL) {
		char *ignored = NULL;

		if (db_command(db, "ROLLBACK", &ignored) != 0)
			free(ignored);
	}
	for (i = 0; i < 3; i++)
		PQclear(results[i]);
	return directory;
}
