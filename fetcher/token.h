/*
 * OAuth2 access tokens from the configured token_command, run without a
 * shell as "token_command ... ACCOUNT".
 */
#ifndef TOKEN_H
#define TOKEN_H

/* Longest token accepted (Microsoft's run to a few KiB). */
#define TOKEN_MAX	16384

/*
 * Run argv (NULL-terminated) with account as the last argument, read the
 * first line it prints, within timeout seconds. Returns 0 with *token
 * (free it with sasl_free), or -1 with *cause.
 */
int	token_get(const char *const argv[], const char *account, int timeout,
	    char **token, char **cause);

#endif
