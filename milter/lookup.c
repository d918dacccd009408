/*
 * The milter's SQL: three prepared statements read the whole alias
 * configuration in one read-only transaction; the cache keeps the result
 * until a NOTIFY says it changed.
 */
#include <stdlib.h>
#include <string.h>

#include "lookup.h"
#include "xmalloc.h"

const struct db_statement lookup_statements[] = {
	{ "milter_accounts", "SELECT id, name, protocol = 'etrn', domain, "
	    "fallback, deliver_to FROM postfetch.account", 0 },
	{ "milter_aliases", "SELECT account_id, remote, local "
	    "FROM postfetch.alias", 0 },
	{ "milter_locals", "SELECT address FROM postfetch.local_recipient", 0 },
	{ NULL, NULL, 0 }
};

/* A copy of a text column, or NULL for SQL NULL. */
static char *
column(const PGresult *result, int row, int field)
{
	if (PQgetisnull(result, row, field))
		return NULL;
	return xstrdup(PQgetvalue(result, row, field));
}

/* A copy of an address column, or NULL for SQL NULL or an empty string. */
static char *
address_column(const PGresult *result, int row, int field)
{
	if (PQgetisnull(result, row, field) ||
	    *PQgetvalue(result, row, field) == '\0')
		return NULL;
	return xstrdup(PQgetvalue(result, row, field));
}

/* bsearch/qsort order of accounts by id. */
static int
compare_ids(const void *a, const void *b)
{
	const struct account	*x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* Read the accounts, sorted by id. */
static struct account *
read_accounts(const PGresult *result, size_t *count)
{
	struct account	*accounts;
	int		 row, rows = PQntuples(result);

	accounts = xcalloc((size_t)rows + 1, sizeof *accounts);
	for (row = 0; row < rows; row++) {
		accounts[row].id = strtoll(PQgetvalue(result, row, 0), NULL, 10);
		accounts[row].name = column(result, row, 1);
		accounts[row].etrn = strcmp(PQgetvalue(result, row, 2), "t") == 0;
		accounts[row].domain = column(result, row, 3);
		accounts[row].fallback = address_column(result, row, 4);
		accounts[row].deliver_to = address_column(result, row, 5);
	}
	*count = (size_t)rows;
	qsort(accounts, *count, sizeof *accounts, compare_ids);
	return accounts;
}

/* Attach each alias row to its account (accounts sorted by id). */
static void
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
		account->aliases = xreallocarray(account->aliases,
		    account->naliases + 1, sizeof *account->aliases);
		alias = &account->aliases[account->naliases++];
		alias->remote = column(result, row, 1);
		alias->local = column(result, row, 2);
	}
}

/* Read the local recipients. */
static char **
read_locals(const PGresult *result, size_t *count)
{
	char	**locals;
	int	  row, rows = PQntuples(result);

	locals = xcalloc((size_t)rows + 1, sizeof *locals);
	*count = 0;
	for (row = 0; row < rows; row++)
		if (!PQgetisnull(result, row, 0))
			locals[(*count)++] = column(result, row, 0);
	return locals;
}

struct directory *
lookup_directory(struct db *db, char **cause)
{
	PGresult		*results[3] = { NULL, NULL, NULL };
	struct directory	*directory = NULL;
	struct account		*accounts;
	char			**locals;
	size_t			 naccounts, nlocals;
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

	accounts = read_accounts(results[0], &naccounts);
	read_aliases(results[1], accounts, naccounts);
	locals = read_locals(results[2], &nlocals);
	directory = directory_new(accounts, naccounts, locals, nlocals);
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
