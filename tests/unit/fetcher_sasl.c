/* Unit tests for fetcher/sasl.c and fetcher/token.c: RFC test vectors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/sasl.h"
#include "../../fetcher/token.h"
#include "tap.h"

/* RFC 4648 section 10. */
static const struct {
	const char	*plain;
	const char	*encoded;
} base64_cases[] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static const char *const base64_bad[] = { "Zm9", "Zm9v!", "Zg=", "====" };

/* Encode and decode the RFC 4648 vectors; refuse malformed text. */
static void
test_base64(void)
{
	char	*s;
	size_t	 i, len;

	for (i = 0; i < sizeof(base64_cases) / sizeof(base64_cases[0]); i++) {
		s = sasl_base64_encode(base64_cases[i].plain,
		    strlen(base64_cases[i].plain));
		is_str(s, base64_cases[i].encoded, "base64 \"%s\"",
		    base64_cases[i].plain);
		free(s);
		s = NULL;
		ok(sasl_base64_decode(base64_cases[i].encoded, &s, &len) == 0 &&
		    len == strlen(base64_cases[i].plain) &&
		    strcmp(s, base64_cases[i].plain) == 0,
		    "decode \"%s\"", base64_cases[i].encoded);
		free(s);
	}
	for (i = 0; i < sizeof(base64_bad) / sizeof(base64_bad[0]); i++) {
		s = NULL;
		ok(sasl_base64_decode(base64_bad[i], &s, &len) == -1 &&
		    s == NULL, "refuse \"%s\"", base64_bad[i]);
	}
	ok(sasl_base64_decode("AGEAYg==", &s, &len) == 0 && len == 4 &&
	    memcmp(s, "\0a\0b", 4) == 0, "decode keeps NUL bytes");
	free(s);
}

/* The mechanisms against their RFC examples. */
static void
test_mechanisms(void)
{
	char	*s;

	/* RFC 2195 section 2. */
	s = sasl_cram_md5("tim", "tanstaaftanstaaf",
	    "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
	is_str(s, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
	    "CRAM-MD5: RFC 2195 example");
	sasl_free(s);
	ok(sasl_cram_md5("tim", "x", "not base64!") == NULL,
	    "CRAM-MD5: bad challenge refused");
	/* RFC 1939 section 7. */
	s = sasl_apop("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf");
	is_str(s, "c4c9334bac560ecc979e58001b3e22fb", "APOP: RFC 1939 example");
	sasl_free(s);
	/* RFC 4616 section 4 (without authzid). */
	s = sasl_plain("tim", "tanstaaftanstaaf");
	is_str(s, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", "PLAIN: RFC 4616 example");
	sasl_free(s);
	/* Google's XOAUTH2 documentation example. */
	s = sasl_xoauth2("someuser@example.com",
	    "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
	is_str(s, "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5Ln"
	    "ZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==",
	    "XOAUTH2: documented example");
	sasl_free(s);
}

/* token_command: argv + account, one line, exit status, timeout. */
static void
test_token(void)
{
	const char	*printf_argv[] = { "printf", "%s-token\\r\\nmore", NULL };
	const char	*false_argv[] = { "false", NULL };
	const char	*sleep_argv[] = { "sh", "-c", "sleep 5", "sh", NULL };
	const char	*linger_argv[] = { "sh", "-c", "echo tok; sleep 5",
			    "sh", NULL };
	const char	*space_argv[] = { "echo", NULL };
	const char	*missing_argv[] = { "/nonexistent/token", NULL };
	char		*token = NULL, *cause = NULL;

	ok(token_get(printf_argv, "acct", 5, &token, &cause) == 0,
	    "token: command succeeds");
	is_str(token, "acct-token", "token: account appended, first line");
	sasl_free(token);
	ok(token_get(false_argv, "acct", 5, &token, &cause) == -1 &&
	    token == NULL, "token: non-zero exit refused");
	is_str(cause, "token_command exited with status 1", "token: cause");
	free(cause);
	cause = NULL;
	ok(token_get(sleep_argv, "acct", 1, &token, &cause) == -1,
	    "token: a command that hangs times out");
	is_str(cause, "token_command timed out", "token: timeout cause");
	free(cause);
	cause = NULL;
	ok(token_get(linger_argv, "acct", 1, &token, &cause) == -1,
	    "token: a command that does not exit is killed");
	diag("%s", cause);
	free(cause);
	cause = NULL;
	ok(token_get(space_argv, "a b", 5, &token, &cause) == -1,
	    "token: a token with spaces refused");
	free(cause);
	cause = NULL;
	ok(token_get(missing_argv, "acct", 5, &token, &cause) == -1,
	    "token: a missing command fails");
	diag("%s", cause);
	free(cause);
}

int
main(void)
{
	test_base64();
	test_mechanisms();
	test_token();
	return done_testing();
}
