/*
 * OAuth2 access tokens from the configured token_command: run it (see
 * program.c) with the account name as last argument, take the first line
 * it prints, and require a zero exit status.
 */
#include <stdlib.h>
#include <string.h>

#include "program.h"
#include "token.h"
#include "xmalloc.h"

/* A token is printable ASCII without spaces (RFC 6750 b64token). */
static int
token_valid(const char *token)
{
	const char	*p;

	for (p = token; *p != '\0'; p++) {
		if (*p <= ' ' || *p > '~')
			return 0;
	}
	return p != token;
}

int
token_get(const char *const argv[], const char *account, int timeout,
    char **token, char **cause)
{
	const char	**args;
	char		 *buf, *why;
	size_t		  n, len;
	int		  rc, status;

	*token = NULL;
	for (n = 0; argv != NULL && argv[n] != NULL; n++)
		;
	args = xreallocarray(NULL, n + 2, sizeof(*args));
	if (n > 0)
		memcpy(args, argv, n * sizeof(*args));
	args[n] = n > 0 ? account : NULL;
	args[n + 1] = NULL;
	rc = program_read("token_command", args, timeout, TOKEN_MAX,
	    PROGRAM_LINE, &buf, &len, &status, cause);
	free(args);
	if (rc != 0)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	if ((why = program_failure("token_command", status)) != NULL)
		*cause = why;
	else if (!token_valid(buf))
		*cause = xstrdup("token_command printed no token "
		    "(want one line of printable characters)");
	else {
		*token = buf;
		return 0;
	}
	explicit_bzero(buf, len);
	free(buf);
	return -1;
}
