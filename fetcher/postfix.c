/*
 * What the fetcher asks of the local Postfix: its message_size_limit, so
 * that a message Postfix would refuse is left on the server and logged
 * once instead of being fetched and refused at every poll. Read once at
 * start with "postconf -h message_size_limit" -- the postconf beside the
 * configured sendmail, for the same configuration directory -- unless the
 * configuration sets message_size_limit itself. And whether its
 * non_smtpd_milters names our milter (check and status warn if not).
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/*
 * Run postconf for parameter (expanded with -x when expand) and return
 * its output, or NULL with *cause.
 */
static char *
postfix_postconf(const struct conf *conf, const char *parameter, int expand,
    char **cause)
{
	char	**argv, *output, *failure;
	size_t	  len, first, i;
	int	  status;

	argv = postfix_postconf_argv(conf->sendmail_argv, parameter);
	for (i = 0; expand && argv[i] != NULL; i++)
		if (strcmp(argv[i], "-h") == 0) {
			free(argv[i]);
			argv[i] = xstrdup("-xh");
		}
	if (program_read("postconf", (const char *const *)argv,
	    conf->timeout, POSTFIX_OUTPUT_MAX, PROGRAM_STDERR, &output, &len,
	    &status, cause) != 0) {
		xfreev(argv);
		return NULL;
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
		return NULL;
	}
	return output;
}

/* Whether host names the loopback interface. */
static int
postfix_loopback(const char *host)
{
	return strcasecmp(host, "localhost") == 0 ||
	    strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

/*
 * A milter address in one normal form, "unix:PATH" or "inet:HOST:PORT"
 * (HOST lower case, without brackets; "" for any), from libmilter's
 * spelling (unix:, local:, inet:PORT@HOST, inet6:PORT@HOST) when milter
 * is set, else from Postfix's (unix:PATH, inet:HOST:PORT, a bare PATH).
 */
static char *
postfix_milter_normal(const char *address, int milter)
{
	const char	*rest, *at, *colon;
	char		*host, *normal, *p;
	size_t		 len;

	if (strncmp(address, "unix:", 5) == 0)
		return xprintf("unix:%s", address + 5);
	if (strncmp(address, "local:", 6) == 0)
		return xprintf("unix:%s", address + 6);
	if (strncmp(address, "inet:", 5) == 0)
		rest = address + 5;
	else if (strncmp(address, "inet6:", 6) == 0)
		rest = address + 6;
	else
		return xprintf("unix:%s", address);
	if (milter) {
		if ((at = strchr(rest, '@')) == NULL)
			return xprintf("inet::%s", rest);
		host = xstrdup(at + 1);
		len = at - rest;
	} else {
		if ((colon = strrchr(rest, ':')) == NULL)
			return xprintf("inet::%s", rest);
		host = xstrndup(rest, colon - rest);
		len = strlen(colon + 1);
		rest = colon + 1;
	}
	if (host[0] == '[' && (p = strchr(host, ']')) != NULL) {
		*p = '\0';
		memmove(host, host + 1, strlen(host));
	}
	for (p = host; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (postfix_loopback(host) || strcmp(host, "0.0.0.0") == 0 ||
	    strcmp(host, "::") == 0) {
		p = xstrdup(postfix_loopback(host) ? "127.0.0.1" : "");
		free(host);
		host = p;
	}
	normal = xprintf("inet:%s:%.*s", host, (int)len, rest);
	free(host);
	return normal;
}

/* Whether Postfix's milter entry (normal form) reaches ours. */
static int
postfix_milter_same(const char *ours, const char *theirs)
{
	const char	*port_ours, *port_theirs;
	size_t		 len;

	if (strncmp(ours, "unix:", 5) == 0) {
		if (strncmp(theirs, "unix:", 5) != 0)
			return 0;
		/* a chrooted Postfix names the path under its queue directory */
		len = strlen(theirs + 5);
		return strcmp(ours, theirs) == 0 || (theirs[5] == '/' &&
		    strlen(ours + 5) > len && strcmp(ours + 5 +
		    strlen(ours + 5) - len, theirs + 5) == 0);
	}
	if (strncmp(theirs, "inet:", 5) != 0)
		return 0;
	port_ours = strrchr(ours, ':');
	port_theirs = strrchr(theirs, ':');
	if (strcmp(port_ours, port_theirs) != 0)
		return 0;
	/* ours on any address (""): any host Postfix names may reach it */
	return ours[5] == ':' || (port_ours - ours == port_theirs - theirs &&
	    strncmp(ours, theirs, port_ours - ours) == 0);
}

int
postfix_milter_listed(const struct conf *conf, char **cause)
{
	char		*output, *ours, *theirs, *word, *state = NULL;
	int		 found = 0;

	if ((output = postfix_postconf(conf, "non_smtpd_milters", 1,
	    cause)) == NULL)
		return -1;
	ours = postfix_milter_normal(conf->milter_socket, 1);
	for (word = strtok_r(output, " \t\r\n,", &state); word != NULL &&
	    !found; word = strtok_r(NULL, " \t\r\n,", &state)) {
		word += strspn(word, "{");
		word[strcspn(word, "}")] = '\0';
		/* "name = value" settings inside braces, and their parts */
		if (*word == '\0' || strchr(word, '=') != NULL ||
		    (strchr(word, ':') == NULL && word[0] != '/'))
			continue;
		theirs = postfix_milter_normal(word, 0);
		found = postfix_milter_same(ours, theirs);
		free(theirs);
	}
	free(ours);
	free(output);
	if (!found) {
		xasprintf(cause, "Postfix's non_smtpd_milters does not name "
		    "milter_socket %s: fetched mail would not reach "
		    "postfetch-milter and stays with the fallback or the "
		    "postmaster (see contrib/main.cf.milter)",
		    conf->milter_socket);
		return -1;
	}
	return 0;
}

int
postfix_size_limit(const struct conf *conf, unsigned long long *limit,
    char **cause)
{
	char	*output;
	int	 status;

	if (conf->message_size_limit >= 0) {
		*limit = (unsigned long long)conf->message_size_limit;
		return 0;
	}
	/* Its stderr too: a failure says why in its own words. */
	if ((output = postfix_postconf(conf, "message_size_limit", 0,
	    cause)) == NULL)
		return -1;
	status = postfix_parse_size(output, limit, cause);
	free(output);
	return status;
}
