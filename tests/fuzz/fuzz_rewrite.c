/*
 * libFuzzer target for the recipient rewriting: the input's lines are the
 * envelope recipients (and, first, the account name or "-" for none); the
 * result must be consistent: no duplicate additions, nothing added that
 * stays anyway, a change for every deleted recipient of an account.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../milter/rewrite.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A small fixed directory: one POP3 account, one ETRN account. */
static struct directory *
fixture(void)
{
	struct account	*accounts = xcalloc(2, sizeof *accounts);
	char		**locals = xcalloc(2, sizeof *locals);

	accounts[0].name = xstrdup("shop");
	accounts[0].fallback = xstrdup("office@example.com");
	accounts[0].aliases = xcalloc(3, sizeof *accounts[0].aliases);
	accounts[0].naliases = 3;
	accounts[0].aliases[0].remote = xstrdup("a@p.example");
	accounts[0].aliases[0].local = xstrdup("x@example.com");
	accounts[0].aliases[1].remote = xstrdup("a@p.example");
	accounts[0].aliases[1].local = xstrdup("y@example.com");
	accounts[0].aliases[2].remote = xstrdup("@c.example");
	accounts[0].aliases[2].local = xstrdup("b@p.example");
	accounts[1].name = xstrdup("etrn");
	accounts[1].etrn = 1;
	accounts[1].domain = xstrdup("E.example");
	locals[0] = xstrdup("b@p.example");
	locals[1] = xstrdup("x@example.com");
	return directory_new(accounts, 2, locals, 2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct directory	*directory;
	const struct account	*account = NULL;
	struct rewrite_result	 result;
	char			*input, *line, *next, **recipients = NULL;
	size_t			 n = 0, i, j;

	if (directory == NULL)
		directory = fixture();
	input = xstrndup((const char *)data, size);
	for (line = input; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		recipients = xreallocarray(recipients, n + 1, sizeof *recipients);
		recipients[n++] = line;
	}
	if (n > 0 && strcmp(recipients[0], "-") != 0)
		account = directory_account(directory, recipients[0]);
	rewrite_recipients(directory, account, "postmaster",
	    recipients + 1, n - 1, &result);

	for (i = 0; i < result.nadd; i++) {
		for (j = 0; j < i; j++)
			if (strcasecmp(result.add[i], result.add[j]) == 0)
				abort();
		for (j = 0; j < result.nrecipients; j++) {
			char *bare = rewrite_bare(recipients[1 + j]);

			if (!result.remove[j] && bare != NULL &&
			    strchr(bare, '@') != NULL &&
			    strcasecmp(bare, result.add[i]) == 0)
				abort();
			free(bare);
		}
	}
	for (i = 0; i < result.nchanges; i++)
		if (result.changes[i].recipient >= result.nrecipients ||
		    result.changes[i].to == NULL)
			abort();
	for (i = 0; i < result.nrecipients; i++)
		if (result.remove[i] && result.account[i] != NULL) {
			for (j = 0; j < result.nchanges; j++)
				if (result.changes[j].recipient == i)
					break;
			if (j == result.nchanges)
				abort();
		}
	rewrite_result_free(&result);
	free(recipients);
	free(input);
	return 0;
}
