/* Unit tests for common/conf.c: defaults, syntax, every key, every error. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"
#include "xmalloc.h"

static const char defaults[] =
	"database = dbname=postfetch\n"
	"sendmail_path = /usr/sbin/sendmail\n"
	"message_size_limit =\n"
	"postmaster = postmaster\n"
	"secret_file = /etc/postfetch/secret\n"
	"milter_socket = unix:/run/postfetch/milter.sock\n"
	"milter_state_file = /var/lib/postfetch/milter.state\n"
	"max_parallel = 10\n"
	"max_per_host = 2\n"
	"default_schedule =\n"
	"timeout = 60s\n"
	"max_sendmail = 0\n"
	"sendmail_mode = session\n"
	"size_mismatch = refuse\n"
	"spool_directory = /var/tmp\n"
	"user = postfetch\n"
	"token_command =\n"
	"syslog_facility = mail\n"
	"syslog_name = postfetch\n";

/* Files that parse, and what conf_print must print for them. */
static const struct {
	const char	*name;
	const char	*text;
	const char	*want;		/* printed configuration */
} good[] = {
	{ "every key set",
	  "database = host=db.example port=5433 dbname=mail user=pf\n"
	  "sendmail_path = /usr/lib/sendmail -C /etc/postfix-in\n"
	  "message_size_limit = 10240000\n"
	  "postmaster = root@example.com\n"
	  "secret_file = /etc/pf/key\n"
	  "milter_socket = inet:10025@127.0.0.1\n"
	  "milter_state_file = /var/lib/pf/state\n"
	  "max_parallel = 1000\n"
	  "max_per_host = 100\n"
	  "default_schedule = Mon-Fri 07:00-19:00,sat 08:00-12:00\n"
	  "timeout = 1h\n"
	  "max_sendmail = 64\n"
	  "sendmail_mode = message\n"
	  "size_mismatch = deliver\n"
	  "spool_directory = /var/spool/postfetch\n"
	  "user = mailfetch\n"
	  "token_command = /usr/local/bin/oauth2 --refresh\n"
	  "syslog_facility = local3\n"
	  "syslog_name = postfetch/in\n",
	  "database = host=db.example port=5433 dbname=mail user=pf\n"
	  "sendmail_path = /usr/lib/sendmail -C /etc/postfix-in\n"
	  "message_size_limit = 10240000\n"
	  "postmaster = root@example.com\n"
	  "secret_file = /etc/pf/key\n"
	  "milter_socket = inet:10025@127.0.0.1\n"
	  "milter_state_file = /var/lib/pf/state\n"
	  "max_parallel = 1000\n"
	  "max_per_host = 100\n"
	  "default_schedule = Mon-Fri 07:00-19:00,sat 08:00-12:00\n"
	  "timeout = 3600s\n"
	  "max_sendmail = 64\n"
	  "sendmail_mode = message\n"
	  "size_mismatch = deliver\n"
	  "spool_directory = /var/spool/postfetch\n"
	  "user = mailfetch\n"
	  "token_command = /usr/local/bin/oauth2 --refresh\n"
	  "syslog_facility = local3\n"
	  "syslog_name = postfetch/in\n" },
	{ "comments, blank lines, no spaces around =, continuation",
	  "# a comment\n"
	  "\n"
	  "   # an indented comment\n"
	  "max_parallel=5\n"
	  "database = host=a\n"
	  "    dbname=b\n"
	  "\tuser=c   \n"
	  "secret_file = /x#y # not a comment\n",
	  NULL },
	{ "CRLF line ends are trimmed like white space",
	  "max_parallel = 7\r\ndatabase = x\r\n   y\r\n", NULL },
	{ "last line without newline", "max_per_host = 3", NULL },
	{ "empty values where allowed", "database =\ntoken_command =\n", NULL },
	{ "time units", "timeout = 5m\n", NULL },
	{ "time without unit is seconds", "timeout = 90\n", NULL },
	{ "minimum time", "timeout = 1s\n", NULL },
	{ "unix socket", "milter_socket = unix:/var/spool/postfix/pf.sock\n",
	  NULL },
	{ "local socket", "milter_socket = local:/tmp/x\n", NULL },
	{ "inet6 socket", "milter_socket = inet6:8894@[::1]\n", NULL },
	{ "inet socket without host", "milter_socket = inet:8894\n", NULL },
	{ "facility is case-insensitive", "syslog_facility = LOCAL7\n", NULL },
	{ "no message size limit", "message_size_limit = 0\n", NULL },
	{ "message size limit left to Postfix", "message_size_limit =\n",
	  NULL },
	{ "largest message size limit",
	  "message_size_limit = 9223372036854775807\n", NULL },
	{ "always", "default_schedule = always\n", NULL },
	{ "schedule continued on the next line",
	  "default_schedule = mon-fri 07:00-19:00,\n    sat 08:00-12:00\n",
	  NULL },
	{ "empty file", "", NULL },
	{ "only comments", "# nothing\n#\n\n", NULL },
};

/* What the non-default good cases print (good[i].want NULL). */
static const struct {
	const char	*name;
	const char	*line;		/* one line that must be in the output */
} good_lines[] = {
	{ "comments, blank lines, no spaces around =, continuation",
	  "database = host=a dbname=b user=c\n" },
	{ "comments, blank lines, no spaces around =, continuation",
	  "max_parallel = 5\n" },
	{ "comments, blank lines, no spaces around =, continuation",
	  "secret_file = /x#y # not a comment\n" },
	{ "CRLF line ends are trimmed like white space", "max_parallel = 7\n" },
	{ "CRLF line ends are trimmed like white space", "database = x y\n" },
	{ "last line without newline", "max_per_host = 3\n" },
	{ "empty values where allowed", "database =\n" },
	{ "time units", "timeout = 300s\n" },
	{ "time without unit is seconds", "timeout = 90s\n" },
	{ "minimum time", "timeout = 1s\n" },
	{ "unix socket",
	  "milter_socket = unix:/var/spool/postfix/pf.sock\n" },
	{ "local socket", "milter_socket = local:/tmp/x\n" },
	{ "inet6 socket", "milter_socket = inet6:8894@[::1]\n" },
	{ "inet socket without host", "milter_socket = inet:8894\n" },
	{ "facility is case-insensitive", "syslog_facility = LOCAL7\n" },
	{ "no message size limit", "message_size_limit = 0\n" },
	{ "message size limit left to Postfix", "message_size_limit =\n" },
	{ "largest message size limit",
	  "message_size_limit = 9223372036854775807\n" },
	{ "always", "default_schedule = always\n" },
	{ "schedule continued on the next line",
	  "default_schedule = mon-fri 07:00-19:00, sat 08:00-12:00\n" },
	{ "empty file", "max_parallel = 10\n" },
};

/* Files that must be refused, with the cause after "FILE:". */
static const struct {
	const char	*name;
	const char	*text;
	const char	*cause;
} bad[] = {
	{ "unknown key", "max_parallel = 3\nfoo = bar\n",
	  "2: foo: unknown parameter" },
	{ "bad parameter name", "max-parallel = 3\n", "1: bad parameter name" },
	{ "missing name", " \n= 3\n", "2: missing name before '='" },
	{ "no '='", "# c\nmax_parallel 3\n",
	  "2: missing '=' (expected name = value)" },
	{ "continuation first", "  max_parallel = 3\n",
	  "1: line starts with white space but there is no line before it "
	  "to continue" },
	{ "continuation after comments only", "# c\n\n\tx = 1\n",
	  "3: line starts with white space but there is no line before it "
	  "to continue" },
	{ "duplicate key", "timeout = 5\nuser = x\ntimeout = 6\n",
	  "3: timeout: duplicate (already set at line 1)" },
	{ "bad number", "max_parallel = ten\n",
	  "1: max_parallel: \"ten\" is not a number" },
	{ "signed number", "max_parallel = +5\n",
	  "1: max_parallel: \"+5\" is not a number" },
	{ "empty number", "max_parallel =\n",
	  "1: max_parallel: \"\" is not a number" },
	{ "number too small", "max_parallel = 0\n",
	  "1: max_parallel: \"0\" is out of range (1..1000)" },
	{ "number too large", "max_parallel = 1001\n",
	  "1: max_parallel: \"1001\" is out of range (1..1000)" },
	{ "huge number", "max_per_host = 99999999999999999999999\n",
	  "1: max_per_host: \"99999999999999999999999\" is out of range "
	  "(1..100)" },
	{ "max_per_host too large", "max_per_host = 101\n",
	  "1: max_per_host: \"101\" is out of range (1..100)" },
	{ "max_sendmail too large", "max_sendmail = 65\n",
	  "1: max_sendmail: \"65\" is out of range (0..64)" },
	{ "bad sendmail_mode", "sendmail_mode = smtp\n",
	  "1: sendmail_mode: must be session or message" },
	{ "bad size_mismatch", "size_mismatch = ignore\n",
	  "1: size_mismatch: must be refuse or deliver" },
	{ "relative spool_directory", "spool_directory = spool\n",
	  "1: spool_directory: must be an absolute path" },
	{ "message size limit with a unit", "message_size_limit = 10M\n",
	  "1: message_size_limit: \"10M\" is not a number of bytes" },
	{ "negative message size limit", "message_size_limit = -1\n",
	  "1: message_size_limit: \"-1\" is not a number of bytes" },
	{ "message size limit too large",
	  "message_size_limit = 9223372036854775808\n",
	  "1: message_size_limit: \"9223372036854775808\" is out of range "
	  "(0..9223372036854775807)" },
	{ "bad time unit", "timeout = 5x\n",
	  "1: timeout: \"5x\": bad time unit (use s, m, h, d or w)" },
	{ "time without number", "timeout = s\n",
	  "1: timeout: \"s\": not a time (a number and a unit: 300s, 5m, 1h)" },
	{ "time with space", "timeout = 5 m\n",
	  "1: timeout: \"5 m\": not a time (a number and a unit: 300s, 5m, "
	  "1h)" },
	{ "time too long", "timeout = 1d\n",
	  "1: timeout: \"1d\" is out of range (1s..3600s)" },
	{ "time zero", "timeout = 0s\n",
	  "1: timeout: \"0s\" is out of range (1s..3600s)" },
	{ "time overflow", "timeout = 99999999999999999w\n",
	  "1: timeout: \"99999999999999999w\": time too large" },
	{ "relative sendmail", "sendmail_path = sendmail -i\n",
	  "1: sendmail_path: the program must be an absolute path" },
	{ "empty sendmail", "sendmail_path =\n",
	  "1: sendmail_path: must not be empty" },
	{ "relative token_command", "token_command = ./token\n",
	  "1: token_command: the program must be an absolute path" },
	{ "relative secret_file", "secret_file = secret\n",
	  "1: secret_file: must be an absolute path" },
	{ "milter socket without type", "milter_socket = /run/x.sock\n",
	  "1: milter_socket: must be unix:/path, local:/path, inet:port@host "
	  "or inet6:port@host" },
	{ "relative milter_state_file", "milter_state_file = state\n",
	  "1: milter_state_file: must be an absolute path" },
	{ "milter socket relative", "milter_socket = unix:x.sock\n",
	  "1: milter_socket: the socket must be an absolute path" },
	{ "milter socket bad port", "milter_socket = inet:smtp@localhost\n",
	  "1: milter_socket: the port must be a number 1..65535" },
	{ "milter socket port 0", "milter_socket = inet:0@localhost\n",
	  "1: milter_socket: the port must be a number 1..65535" },
	{ "milter socket port too big", "milter_socket = inet:65536@h\n",
	  "1: milter_socket: the port must be a number 1..65535" },
	{ "milter socket empty host", "milter_socket = inet6:25@\n",
	  "1: milter_socket: empty host after '@'" },
	{ "milter socket long path",
	  "milter_socket = unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  "1: milter_socket: the socket path is longer than 107 bytes" },
	{ "bad facility", "syslog_facility = kern\n",
	  "1: syslog_facility: \"kern\" is not a syslog facility (mail, daemon, "
	  "user, local0..local7)" },
	{ "empty postmaster", "postmaster =\n",
	  "1: postmaster: must not be empty" },
	{ "postmaster that is an option", "postmaster = -oQ/tmp\n",
	  "1: postmaster: not an address or a local name (nor may it start "
	  "with '-')" },
	{ "postmaster in brackets", "postmaster = <root@example.com>\n",
	  "1: postmaster: not an address or a local name (nor may it start "
	  "with '-')" },
	{ "user with space", "user = post fetch\n",
	  "1: user: must not contain white space" },
	{ "syslog_name too long", "syslog_name = "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  "1: syslog_name: longer than 63 characters" },
	{ "bad schedule", "default_schedule = mon-fri 7-19\n",
	  "1: default_schedule: \"7-19\": not a time window (HH:MM-HH:MM)" },
	{ "schedule with a day list", "default_schedule = mon,wed 08:00-09:00\n",
	  "1: default_schedule: \"mon\": no time window after the days "
	  "(e.g. mon-fri 07:00-19:00)" },
	{ "error in a continued line names its first line",
	  "user = a\nmax_parallel = 1\n  0\n",
	  "2: max_parallel: \"1 0\" is not a number" },
};

/* Write len bytes to a new temp file; returns its name (to free). */
static char *
temp_file(const char *text, size_t len)
{
	char	*path;
	int	 fd;

	path = xstrdup("/tmp/common_conf.XXXXXX");
	if ((fd = mkstemp(path)) == -1) {
		perror("mkstemp");
		exit(1);
	}
	if (write(fd, text, len) != (ssize_t)len) {
		perror("write");
		exit(1);
	}
	close(fd);
	return path;
}

/* Load text through a temp file; returns conf_load's result. */
static int
load_text(const char *text, size_t len, struct conf *conf, char **path,
    char **cause)
{
	int	 rc;

	*path = temp_file(text, len);
	*cause = NULL;
	rc = conf_load(conf, *path, 0, cause);
	unlink(*path);
	return rc;
}

/* What conf_print prints, as a string to free. */
static char *
printed(const struct conf *conf)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL) {
		perror("open_memstream");
		exit(1);
	}
	conf_print(conf, fp);
	fclose(fp);
	return buf;
}

static void
test_good(void)
{
	struct conf	 conf;
	char		*path, *cause, *out;
	size_t		 i, j;
	int		 rc;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		rc = load_text(good[i].text, strlen(good[i].text), &conf,
		    &path, &cause);
		if (!is_int(rc, 0, "%s: accepted", good[i].name))
			diag("cause: %s", cause);
		free(cause);
		free(path);
		if (rc != 0)
			continue;
		out = printed(&conf);
		if (good[i].want != NULL)
			is_str(out, good[i].want, "%s: printed", good[i].name);
		for (j = 0; j < sizeof(good_lines) / sizeof(good_lines[0]);
		    j++) {
			if (strcmp(good_lines[j].name, good[i].name) != 0)
				continue;
			if (!ok(strstr(out, good_lines[j].line) != NULL,
			    "%s: %.*s", good[i].name,
			    (int)strlen(good_lines[j].line) - 1,
			    good_lines[j].line))
				diag("printed:\n%s", out);
		}
		free(out);
		conf_free(&conf);
	}
}

static void
test_bad(void)
{
	struct conf	 conf;
	char		*path, *cause, *want;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = load_text(bad[i].text, strlen(bad[i].text), &conf, &path,
		    &cause);
		is_int(rc, -1, "%s: refused", bad[i].name);
		xasprintf(&want, "%s:%s", path, bad[i].cause);
		is_str(cause, want, "%s: cause", bad[i].name);
		ok(conf.database == NULL && conf.path == NULL,
		    "%s: nothing left to free", bad[i].name);
		conf_free(&conf);
		free(want);
		free(cause);
		free(path);
	}
}

/* The defaults, and the parsed fields of struct conf. */
static void
test_fields(void)
{
	struct conf	 conf;
	const char	*text;
	char		*path, *cause, *out;

	if (load_text("", 0, &conf, &path, &cause) != 0)
		diag("cause: %s", cause);
	out = printed(&conf);
	is_str(out, defaults, "empty file: every default printed");
	free(out);
	is_str(conf.path, path, "path remembered");
	is_str(conf.sendmail_argv[0], "/usr/sbin/sendmail",
	    "default sendmail_argv[0]");
	ok(conf.sendmail_argv[1] == NULL, "default sendmail_argv ends");
	ok(conf.token_argv == NULL, "no token_command: token_argv NULL");
	is_int(conf.syslog_facility, LOG_MAIL, "default facility LOG_MAIL");
	is_int(conf.timeout, 60, "default timeout");
	is_int(conf.message_size_limit, -1,
	    "default message_size_limit: ask Postfix");
	conf_free(&conf);
	conf_free(&conf);
	free(path);

	text = "sendmail_path =  /usr/sbin/sendmail\t-C /etc/x  \n"
	    "token_command = /bin/tok a  b\n"
	    "syslog_facility = local5\n"
	    "message_size_limit = 20480000\n"
	    "timeout = 2m\n";
	if (load_text(text, strlen(text), &conf, &path, &cause) != 0)
		diag("cause: %s", cause);
	is_str(conf.sendmail_path, "/usr/sbin/sendmail\t-C /etc/x",
	    "sendmail_path as written, trimmed");
	is_str(conf.sendmail_argv[0], "/usr/sbin/sendmail", "sendmail argv 0");
	is_str(conf.sendmail_argv[1], "-C", "sendmail argv 1");
	is_str(conf.sendmail_argv[2], "/etc/x", "sendmail argv 2");
	ok(conf.sendmail_argv[3] == NULL, "sendmail argv ends");
	is_str(conf.token_argv[0], "/bin/tok", "token argv 0");
	is_str(conf.token_argv[2], "b", "token argv 2");
	ok(conf.token_argv[3] == NULL, "token argv ends");
	is_int(conf.syslog_facility, LOG_LOCAL5, "facility local5");
	is_int(conf.timeout, 120, "2m is 120 seconds");
	is_int(conf.message_size_limit, 20480000, "message_size_limit bytes");
	conf_free(&conf);
	free(path);
}

/* Missing files, NUL bytes, over-long lines, the buffer entry point. */
static void
test_special(void)
{
	struct conf	 conf;
	char		*path, *cause, *want, *text;
	size_t		 len;
	int		 rc;

	cause = NULL;
	rc = conf_load(&conf, "/nonexistent/postfetch.conf", 0, &cause);
	is_int(rc, -1, "missing file refused");
	is_str(cause, "/nonexistent/postfetch.conf: No such file or directory",
	    "missing file: cause without a line");
	free(cause);
	cause = NULL;
	rc = conf_load(&conf, "/nonexistent/postfetch.conf", 1, &cause);
	is_int(rc, 0, "missing file with missing_ok: defaults");
	is_int(conf.max_parallel, 10, "missing_ok: default max_parallel");
	conf_free(&conf);
	cause = NULL;
	rc = conf_load(&conf, "/tmp", 1, &cause);
	is_int(rc, -1, "a directory is refused");
	is_str(cause, "/tmp: not a regular file", "directory: cause");
	free(cause);

	rc = load_text("user = a\nuser\0 = b\n", 19, &conf, &path, &cause);
	is_int(rc, -1, "NUL byte refused");
	xasprintf(&want, "%s:2: NUL byte in line", path);
	is_str(cause, want, "NUL byte: cause");
	free(want);
	free(cause);
	free(path);

	text = xmalloc(2 * CONF_LINE_MAX);
	len = CONF_LINE_MAX + 100;
	memcpy(text, "# x\ndatabase = ", 15);
	memset(text + 15, 'a', len - 15);
	text[len - 1] = '\n';
	text[len] = '\0';
	rc = load_text(text, len, &conf, &path, &cause);
	is_int(rc, -1, "over-long line refused");
	xasprintf(&want, "%s:2: line longer than %d bytes", path,
	    CONF_LINE_MAX);
	is_str(cause, want, "over-long line: cause");
	free(want);
	free(cause);
	free(path);

	/* The same, built from continuation lines. */
	memcpy(text, "database = a\n", 13);
	for (len = 13; len + 10 < 2 * CONF_LINE_MAX; len += 10)
		memcpy(text + len, "  aaaaaaa\n", 10);
	rc = load_text(text, len, &conf, &path, &cause);
	is_int(rc, -1, "over-long continued line refused");
	xasprintf(&want, "%s:1: line longer than %d bytes", path,
	    CONF_LINE_MAX);
	is_str(cause, want, "over-long continued line: cause");
	free(want);
	free(cause);
	free(path);

	/* Exactly the limit is fine. */
	len = CONF_LINE_MAX;
	memcpy(text, "database=", 9);
	memset(text + 9, 'b', len - 9);
	rc = conf_parse(&conf, "buf", text, len, &cause);
	is_int(rc, 0, "a line of exactly CONF_LINE_MAX bytes is accepted");
	if (rc == 0)
		is_int(strlen(conf.database), CONF_LINE_MAX - 9,
		    "long value kept whole");
	conf_free(&conf);
	free(text);

	rc = conf_parse(&conf, "memory", "x = 1", 5, &cause);
	is_int(rc, -1, "conf_parse refuses");
	is_str(cause, "memory:1: x: unknown parameter",
	    "conf_parse names the buffer");
	free(cause);
}

/*
 * contrib/postfetch.conf (found from PF_TOP or the current directory)
 * parses, and with every "#name = value" line uncommented still gives the
 * defaults: the sample cannot drift from the code.
 */
static void
test_sample(void)
{
	struct conf	 conf;
	const char	*top;
	char		*path, *cause = NULL, *out, *text, *line, *p;
	size_t		 len;
	FILE		*fp;

	top = getenv("PF_TOP") != NULL ? getenv("PF_TOP") : ".";
	xasprintf(&path, "%s/contrib/postfetch.conf", top);
	if (access(path, R_OK) != 0) {
		ok(1, "# SKIP %s not found", path);
		free(path);
		return;
	}
	if (!is_int(conf_load(&conf, path, 0, &cause), 0, "sample parses"))
		diag("cause: %s", cause);
	free(cause);
	out = printed(&conf);
	is_str(out, defaults, "sample as shipped: the defaults");
	free(out);
	conf_free(&conf);

	/* Uncomment "#name = value" lines. */
	text = xmalloc(CONF_FILE_MAX);
	len = 0;
	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		exit(1);
	}
	while ((p = fgets(text + len, CONF_FILE_MAX - len, fp)) != NULL) {
		if (p[0] == '#' && p[1] >= 'a' && p[1] <= 'z' &&
		    strstr(p, " =") != NULL)
			memmove(p, p + 1, strlen(p));
		len += strlen(p);
	}
	fclose(fp);
	cause = NULL;
	if (!is_int(conf_parse(&conf, path, text, len, &cause), 0,
	    "sample uncommented parses"))
		diag("cause: %s", cause);
	free(cause);
	out = printed(&conf);
	is_str(out, defaults, "sample uncommented: every default, right");
	/* Every default line of conf_print is in the sample, as is. */
	for (p = strtok(out, "\n"); p != NULL; p = strtok(NULL, "\n")) {
		xasprintf(&line, "\n%s\n", p);
		ok(strstr(text, line) != NULL, "sample has \"%s\"", p);
		free(line);
	}
	free(out);
	conf_free(&conf);
	free(text);
	free(path);
}

/*
 * A database password in a file that group or others can read is refused;
 * the same file mode 0600 (or without a password) is fine.
 */
static void
test_password(void)
{
	static const struct {
		const char	*database;
		int		 password;
	} cases[] = {
		{ "dbname=postfetch user=postfetch", 0 },
		{ "dbname=postfetch password=secret", 1 },
		{ "password = 'a secret' dbname=postfetch", 1 },
		{ "dbname=postfetch password='it\\'s'", 1 },
		{ "dbname=postfetch password=''", 0 },
		/* as libpq reads it: the password is "user=x" */
		{ "dbname=postfetch password= user=x", 1 },
		{ "dbname=postfetch passfile=/etc/postfetch/pgpass", 0 },
		{ "dbname='password=x'", 0 },
		{ "postgresql://postfetch@db.example.com/postfetch", 0 },
		{ "postgresql://postfetch:secret@db.example.com/postfetch", 1 },
		{ "postgres://u:s@[::1]:5432/postfetch", 1 },
		{ "postgresql://[::1]:5432/postfetch", 0 },
		{ "postgresql://db/postfetch?user=u&password=s", 1 },
		{ "postgresql://db/postfetch?password=&user=u", 0 },
		{ "postgresql://db/postfetch?passfile=/x", 0 },
	};
	static const mode_t	 modes[] = { 0600, 0640, 0604, 0400, 0644 };
	struct conf		 conf;
	char			*path, *cause, *text, *want;
	size_t			 i, m;
	int			 refused, rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			xasprintf(&text, "database = %s\n", cases[i].database);
			path = temp_file(text, strlen(text));
			if (chmod(path, modes[m]) == -1) {
				perror("chmod");
				exit(1);
			}
			cause = NULL;
			rc = conf_load(&conf, path, 0, &cause);
			refused = cases[i].password && (modes[m] & 044) != 0;
			is_int(rc, refused ? -1 : 0, "%s, mode %04o: %s",
			    cases[i].database, (unsigned int)modes[m],
			    refused ? "refused" : "loaded");
			if (refused) {
				xasprintf(&want, "%s: database holds a "
				    "password, and group or others can read "
				    "the file (mode %04o): make it mode 0600, "
				    "or put the password into ~/.pgpass of "
				    "the user", path, (unsigned int)modes[m]);
				is_str(cause, want, "%s, mode %04o: cause",
				    cases[i].database, (unsigned int)modes[m]);
				free(want);
			} else if (rc == 0)
				conf_free(&conf);
			free(cause);
			unlink(path);
			free(path);
			free(text);
		}
	}
}

int
main(void)
{
	test_fields();
	test_password();
	test_good();
	test_bad();
	test_special();
	test_sample();
	return done_testing();
}
