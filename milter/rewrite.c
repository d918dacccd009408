/*
 * Recipient rewriting: aliases (exact, then @domain catch-all), the
 * single-drop address and local recipients kept, then the account's
 * fallback or the postmaster, with duplicates collapsed and nothing sent
 * back to the remote domain.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "rewrite.h"

/* Lower-case s where it is. */
static void
lower_in_place(char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* qsort/bsearch order of strings. */
static int
compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* qsort order of aliases: by remote, keeping the locals of one remote together. */
static int
compare_aliases(const void *a, const void *b)
{
	const struct alias	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->remote, y->remote)) != 0)
		return c;
	return strcmp(x->local, y->local);
}

/* qsort order of accounts: by name. */
static int
compare_accounts(const void *a, const void *b)
{
	const struct account	*x = a, *y = b;

	return strcmp(x->name, y->name);
}

struct directory *
directory_new(struct account *accounts, size_t naccounts, char **locals,
    size_t nlocals)
{
	struct directory	*directory;
	struct account		*account;
	size_t			 i, j;

	for (i = 0; i < naccounts; i++) {
		account = &accounts[i];
		lower_in_place(account->domain);
		for (j = 0; j < account->naliases; j++)
			lower_in_place(account->aliases[j].remote);
		if (account->naliases > 0)
			qsort(account->aliases, account->naliases,
			    sizeof *account->aliases, compare_aliases);
	}
	if (naccounts > 0)
		qsort(accounts, naccounts, sizeof *accounts, compare_accounts);
	for (i = 0; i < nlocals; i++)
		lower_in_place(locals[i]);
	if (nlocals > 0)
		qsort(locals, nlocals, sizeof *locals, compare_strings);

	directory = calloc(1, sizeof *directory);
	if (directory == NULL) {
		struct directory	 owned = { accounts, naccounts, locals,
					    nlocals };

		directory_clear(&owned);
		return NULL;
	}
	directory->accounts = accounts;
	directory->naccounts = naccounts;
	directory->locals = locals;
	directory->nlocals = nlocals;
	return directory;
}

void
directory_free(struct directory *directory)
{
	if (directory == NULL)
		return;
	directory_clear(directory);
	free(directory);
}

void
directory_clear(struct directory *directory)
{
	struct account	*account;
	size_t		 i, j;

	for (i = 0; i < directory->naccounts; i++) {
		account = &directory->accounts[i];
		for (j = 0; j < account->naliases; j++) {
			free(account->aliases[j].remote);
			free(account->aliases[j].local);
		}
		free(account->aliases);
		free(account->name);
		free(account->domain);
		free(account->deliver_to);
		free(account->fallback);
	}
	free(directory->accounts);
	for (i = 0; i < directory->nlocals; i++)
		free(directory->locals[i]);
	free(directory->locals);
	memset(directory, 0, sizeof *directory);
}

const struct account *
directory_account(const struct directory *directory, const char *name)
{
	struct account	 key;

	if (directory->naccounts == 0)
		return NULL;
	memset(&key, 0, sizeof key);
	key.name = (char *)name;
	return bsearch(&key, directory->accounts, directory->naccounts,
	    sizeof key, compare_accounts);
}

const struct account *
directory_account_bydomain(const struct directory *directory,
    const char *address)
{
	const struct account	*account;
	const char		*domain;
	size_t			 i;

	if ((domain = address_domain(address)) == NULL || *domain == '\0')
		return NULL;
	/* A handful of ETRN accounts at most: a scan is fine. */
	for (i = 0; i < directory->naccounts; i++) {
		account = &directory->accounts[i];
		if (account->etrn && account->domain != NULL &&
		    strcasecmp(account->domain, domain) == 0)
			return account;
	}
	return NULL;
}

/* Whether the lower-case address is a local recipient. */
static int
is_local_lower(const struct directory *directory, const char *lower)
{
	if (directory->nlocals == 0)
		return 0;
	return bsearch(&lower, directory->locals, directory->nlocals,
	    sizeof lower, compare_strings) != NULL;
}

/* bsearch order of an address in any case against a lower-case entry. */
static int
compare_lowered(const void *key, const void *entry)
{
	const unsigned char	*a = key, *b = *(const unsigned char *const *)entry;
	int			 c;

	for (; (c = tolower(*a)) == *b && c != '\0'; a++, b++)
		;
	return c - *b;
}

int
directory_is_local(const struct directory *directory, const char *address)
{
	if (directory->nlocals == 0)
		return 0;
	return bsearch(address, directory->locals, directory->nlocals,
	    sizeof *directory->locals, compare_lowered) != NULL;
}

/* The first alias of remote (lower case) and how many there are. */
static const struct alias *
find_aliases(const struct account *account, const char *remote, size_t *count)
{
	size_t	 low = 0, high = account->naliases, middle;

	/* Lower bound: the first alias whose remote is not below remote. */
	while (low < high) {
		middle = low + (high - low) / 2;
		if (strcmp(account->aliases[middle].remote, remote) < 0)
			low = middle + 1;
		else
			high = middle;
	}
	for (high = low; high < account->naliases &&
	    strcmp(account->aliases[high].remote, remote) == 0; high++)
		;
	*count = high - low;
	return *count == 0 ? NULL : &account->aliases[low];
}

/*
 * Whether target would send the mail back where it came from: it is in the
 * recipient's or the account's domain and not a known local recipient.
 */
static int
routes_back(const struct directory *directory, const struct account *account,
    const char *lower, const char *target)
{
	const char	*domain = address_domain(target);

	if (domain == NULL)
		return 0;
	if (strcasecmp(domain, address_domain(lower)) != 0 &&
	    (account->domain == NULL || strcasecmp(domain, account->domain) != 0))
		return 0;
	return !directory_is_local(directory, target);
}

/*
 * Whether a recipient (lower case) stays as it is when it has no alias: a
 * local recipient, or the address a tagged single-drop account's mail was
 * fetched for (the administrator chose it; it needs no local_recipient row).
 */
static int
stays(const struct directory *directory, const struct account *tagged,
    const char *lower)
{
	if (tagged != NULL && tagged->deliver_to != NULL &&
	    strcasecmp(tagged->deliver_to, lower) == 0)
		return 1;
	return is_local_lower(directory, lower);
}

/*
 * Append item to the array *list of *count pointers; returns 0, or -1 out
 * of memory (the array unchanged).
 */
static int
append(const void ***list, size_t *count, const void *item)
{
	const void	**grown;

	if ((grown = reallocarray(*list, *count + 1, sizeof *grown)) == NULL)
		return -1;
	grown[(*count)++] = item;
	*list = grown;
	return 0;
}

/*
 * Record that recipient i goes to target, and add target unless present.
 * Returns 0, or -1 out of memory.
 */
static int
add_change(struct rewrite_result *result, size_t i,
    const struct account *account, const char *target,
    enum rewrite_reason reason, const char ***final, size_t *nfinal)
{
	struct rewrite_change	*change;

	change = reallocarray(result->changes, result->nchanges + 1,
	    sizeof *result->changes);
	if (change == NULL)
		return -1;
	result->changes = change;
	change = &result->changes[result->nchanges++];
	change->recipient = i;
	change->account = account;
	change->to = target;
	change->reason = reason;

	if (address_listed(*final, *nfinal, target))
		return 0;
	if (append((const void ***)final, nfinal, target) != 0 ||
	    append((const void ***)&result->add, &result->nadd, target) != 0)
		return -1;
	return 0;
}

/* The aliases of a recipient (lower case): exact ones, else the catch-all. */
static const struct alias *
aliases_of(const struct account *account, const char *lower, size_t *count)
{
	const struct alias	*aliases;
	char			 catchall[ADDRESS_MAX + 2];
	int			 n;

	if ((aliases = find_aliases(account, lower, count)) != NULL)
		return aliases;
	n = snprintf(catchall, sizeof catchall, "@%s", address_domain(lower));
	if (n < 0 || (size_t)n >= sizeof catchall)
		return NULL;	/* longer than any address: no alias has it */
	return find_aliases(account, catchall, count);
}

/*
 * Where one recipient (lower case) of account goes; records the changes.
 * Returns 0, or -1 out of memory.
 */
static int
resolve(const struct directory *directory, const struct account *account,
    const char *postmaster, size_t i, const char *lower,
    struct rewrite_result *result, const char ***final, size_t *nfinal)
{
	const struct alias	*aliases;
	size_t			 count, j, used = 0;

	aliases = aliases_of(account, lower, &count);
	for (j = 0; j < count; j++) {
		if (routes_back(directory, account, lower, aliases[j].local))
			continue;
		if (add_change(result, i, account, aliases[j].local,
		    REWRITE_ALIAS, final, nfinal) != 0)
			return -1;
		used++;
	}
	if (used > 0)
		return 0;
	if (account->fallback != NULL &&
	    !routes_back(directory, account, lower, account->fallback))
		return add_change(result, i, account, account->fallback,
		    REWRITE_FALLBACK, final, nfinal);
	return add_change(result, i, account, postmaster, REWRITE_POSTMASTER,
	    final, nfinal);
}

/*
 * The bare address of a recipient into *bare (NULL for the null one).
 * Returns 0, or -1 out of memory.
 */
static int
bare_copy(const char *recipient, char **bare)
{
	size_t	 length = strlen(recipient);

	*bare = NULL;
	if (length >= 2 && recipient[0] == '<' && recipient[length - 1] == '>') {
		recipient++;
		length -= 2;
	}
	if (length == 0)
		return 0;
	return (*bare = strndup(recipient, length)) == NULL ? -1 : 0;
}

char *
rewrite_bare(const char *recipient)
{
	char	*bare;

	return bare_copy(recipient, &bare) == 0 ? bare : NULL;
}

int
rewrite_recipients(const struct directory *directory,
    const struct account *account, const char *postmaster,
    char *const *recipients, size_t nrecipients, struct rewrite_result *result)
{
	const struct account	 *owner;
	const char		**final = NULL;
	char			**lower;
	size_t			  nfinal = 0, count, i;
	int			  rc = -1;

	memset(result, 0, sizeof *result);
	result->nrecipients = nrecipients;
	result->remove = calloc(nrecipients + 1, sizeof *result->remove);
	result->account = calloc(nrecipients + 1, sizeof *result->account);
	lower = calloc(nrecipients + 1, sizeof *lower);
	if (result->remove == NULL || result->account == NULL || lower == NULL)
		goto out;

	/*
	 * First the recipients that stay as they are (of no account, or
	 * without an alias and local or the single-drop address), so that an
	 * alias leading to one of them does not add it twice.
	 */
	for (i = 0; i < nrecipients; i++) {
		if (bare_copy(recipients[i], &lower[i]) != 0)
			goto out;
		if (lower[i] == NULL || address_domain(lower[i]) == NULL)
			continue;
		lower_in_place(lower[i]);
		owner = account;
		if (owner == NULL)
			owner = directory_account_bydomain(directory, lower[i]);
		if (owner != NULL) {
			if (aliases_of(owner, lower[i], &count) != NULL ||
			    !stays(directory, account, lower[i])) {
				result->account[i] = owner;
				continue;
			}
			if (address_listed(final, nfinal, lower[i])) {
				result->remove[i] = 1;
				continue;
			}
		}
		if (append((const void ***)&final, &nfinal, lower[i]) != 0)
			goto out;
	}

	/* Then the ones that go elsewhere, in the order they came. */
	for (i = 0; i < nrecipients; i++) {
		if ((owner = result->account[i]) == NULL)
			continue;
		result->remove[i] = 1;
		if (resolve(directory, owner, postmaster, i, lower[i], result,
		    &final, &nfinal) != 0)
			goto out;
	}
	rc = 0;
out:
	free(final);
	for (i = 0; lower != NULL && i < nrecipients; i++)
		free(lower[i]);
	free(lower);
	if (rc != 0)
		rewrite_result_free(result);
	return rc;
}

void
rewrite_result_free(struct rewrite_result *result)
{
	free(result->remove);
	free(result->account);
	free(result->changes);
	free(result->add);
	memset(result, 0, sizeof *result);
}

int
rewrite_involves(const struct directory *directory, char *const *recipients,
    size_t nrecipients)
{
	char	*bare;
	size_t	 i;
	int	 found = 0;

	for (i = 0; i < nrecipients && !found; i++) {
		if (bare_copy(recipients[i], &bare) != 0)
			return -1;
		if (bare == NULL)
			continue;
		found = directory_account_bydomain(directory, bare) != NULL;
		free(bare);
	}
	return found;
}

const char *
rewrite_reason_name(enum rewrite_reason reason)
{
	switch (reason) {
	case REWRITE_KEPT:
		return "kept";
	case REWRITE_ALIAS:
		return "alias";
	case REWRITE_FALLBACK:
		return "fallback";
	case REWRITE_POSTMASTER:
		return "postmaster";
	}
	return "?";
}
