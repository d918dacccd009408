/*
 * What the fetcher asks of the local Postfix: its message_size_limit, so
 * that a message Postfix would refuse is left on the server and logged
 * once instead of being fetched and refused at every poll. Read once at
 * start with "postconf -h message_size_limit" -- the postconf beside the
 * configured sendmail, for the same configuration directory -- unless the
 * configuration sets message_size_limit itself.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "postfix.h"
#include "program.h"
#include "xmalloc.h"

/*
 * The options of Postfix's sendmail that take an argument (the getopt
 * list of sendmail.c, "A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx").
 */
#define POSTFIX_SENDMAIL_ARGS	"ABCFLNORVXbefhopqr"
#define POSTFIX_MAIN_CF		"main.cf"

/*
 * The configuration directory sendmail's -C names, or NULL: the last -C,
 * parsed as sendmail's getopt does (options bundled or apart, up to the
 * first non-option or "--"). -q and -V alone take no argument there.
 */
static const char *
postfix_sendmail_config(char *const argv[])
{
	const char	*config = NULL, *arg, *value;
	size_t		 i, j;

	for (i = 1; argv[i] != NULL; i++) {
		arg = argv[i];
		if (arg[0] != '-' || arg[1] == '\0' || strcmp(arg, "--") == 0)
			break;
		if (strcmp(arg, "-q") == 0 || strcmp(arg, "-V") == 0)
			continue;
		for (j = 1; arg[j] != '\0'; j++) {
			if (strchr(POSTFIX_SENDMAIL_ARGS, arg[j]) == NULL)
				continue;
			if (arg[j + 1] != '\0')
				value = arg + j + 1;
			else if ((value = argv[i + 1]) != NULL)
				i++;
			if (arg[j] == 'C' && value != NULL)
				config = value;
			break;
		}
	}
	return config;
}

char **
postfix_postconf_argv(char *const sendmail_argv[], const char *parameter)
{
	const char	*config, *slash;
	char		**argv;
	size_t		  n = 0, len;

	argv = xreallocarray(NULL, 6, sizeof(*argv));
	slash = strrchr(sendmail_argv[0], '/');
	if (slash == NULL)
		argv[n++] = xstrdup("postconf");
	else
		xasprintf(&argv[n++], "%.*s/postconf",
		    (int)(slash - sendmail_argv[0]), sendmail_argv[0]);
	if ((config = postfix_sendmail_config(sendmail_argv)) != NULL) {
		/* sendmail -C: main.cf or its directory; postconf: the latter */
		len = strlen(config);
		if ((slash = strrchr(config, '/')) != NULL &&
		    strcmp(slash + 1, POSTFIX_MAIN_CF) == 0)
			len = slash > config ? (size_t)(slash - config) : 1;
		else if (strcmp(config, POSTFIX_MAIN_CF) == 0) {
			config = ".";
			len = 1;
		}
		argv[n++] = xstrdup("-c");
		argv[n++] = xstrndup(config, len);
	}
	argv[n++] = xstrdup("-h");
	argv[n++] = xstrdup(parameter);
	argv[n] = NULL;
	return argv;
}

/* Whether len bytes of s can go into a log line as they are. */
static int
postfix_printable(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (!isprint((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

int
postfix_parse_size(const char *output, unsigned long long *size,
    char **cause)
{
	const char	*line, *errstr;
	char		 digits[32];
	size_t		 len;
	long long	 value;

	len = strlen(output);
	while (len > 0 && output[len - 1] == '\n')
		len--;
	for (line = output + len; line > output && line[-1] != '\n'; line--)
		;
	len = output + len - line;
	if (len == 0) {
		*cause = xstrdup("postconf printed nothing");
		return -1;
	}
	if (len >= sizeof(digits) || strspn(line, "0123456789") < len) {
		if (len <= 100 && postfix_printable(line, len))
			xasprintf(cause, "postconf printed \"%.*s\", not a "
			    "number of bytes", (int)len, line);
		else
			*cause = xstrdup("postconf printed no number of "
			    "bytes");
		return -1;
	}
	memcpy(digits, line, len);
	digits[len] = '\0';
	value = strtonum(digits, 0, LLONG_MAX, &errstr);
	if (errstr != NULL) {
		xasprintf(cause, "postconf printed %s: %s", digits, errstr);
		return -1;
	}
	*size = (unsigned long long)value;
	return 0;
}

int
postfix_size_limit(const struct conf *conf, unsigned long long *limit,
    char **cause)
{
	char	**argv, *output, *failure;
	size_t	  len, first;
	int	  status;

	if (conf->message_size_limit >= 0) {
		*limit = (unsigned long long)conf->message_size_limit;
		return 0;
	}
	argv = postfix_postconf_argv(conf->sendmail_argv,
	    "message_size_limit");
	/* Its stderr too: a failure says why in its own words. */
	if (program_read("postconf", (const char *const *)argv,
	    conf->timeout, POSTFIX_OUTPUT_MAX, PROGRAM_STDERR, &output, &len,
	    &status, cause) != 0) {
		xfreev(argv);
		return -1;
	}
	xfreev(argv);
	if ((failure = program_failure("postconf", status)) != NULL) {
		first = strcspn(output, "\n");
		if (first > 0 && first <= 200 &&
		    postfix_printable(output, first))
			xasprintf(cause, "%s: %.*s", failure, (int)first,
			    output);
		else
			*cause = xstrdup(failure);
		free(failure);
		free(output);
		return -1;
	}
	status = postfix_parse_size(output, limit, cause);
	free(output);
	return status;
}
