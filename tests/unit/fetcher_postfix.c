/*
 * Unit tests for fetcher/postfix.c: which postconf runs for a sendmail
 * command line, how its output is read, and postfix_size_limit with the
 * configuration key set or with stand-in postconf scripts beside a
 * stand-in sendmail (a success with warnings, a failure, silence, too
 * much output, none at all).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../fetcher/postfix.h"
#include "conf.h"
#include "tap.h"
#include "xmalloc.h"

/* sendmail_path's argv -> the postconf command for message_size_limit. */
static const struct {
	const char	*name;
	const char	*sendmail[6];
	const char	*postconf;	/* joined with spaces */
} commands[] = {
	{ "Debian's default", { "/usr/sbin/sendmail", NULL },
	  "/usr/sbin/postconf -h message_size_limit" },
	{ "-C DIR", { "/usr/sbin/sendmail", "-C", "/etc/postfix-in", NULL },
	  "/usr/sbin/postconf -c /etc/postfix-in -h message_size_limit" },
	{ "-CDIR", { "/usr/sbin/sendmail", "-C/etc/postfix-in", NULL },
	  "/usr/sbin/postconf -c /etc/postfix-in -h message_size_limit" },
	{ "-C DIR/main.cf", { "/usr/sbin/sendmail", "-C",
	  "/etc/postfix-in/main.cf", NULL },
	  "/usr/sbin/postconf -c /etc/postfix-in -h message_size_limit" },
	{ "-C /main.cf", { "/usr/sbin/sendmail", "-C/main.cf", NULL },
	  "/usr/sbin/postconf -c / -h message_size_limit" },
	{ "-C main.cf", { "/usr/sbin/sendmail", "-C", "main.cf", NULL },
	  "/usr/sbin/postconf -c . -h message_size_limit" },
	{ "-C bundled after other options",
	  { "/usr/sbin/sendmail", "-oi", "-tC", "/etc/pf", NULL },
	  "/usr/sbin/postconf -c /etc/pf -h message_size_limit" },
	{ "the last -C wins",
	  { "/usr/sbin/sendmail", "-C", "/a", "-C/b", NULL },
	  "/usr/sbin/postconf -c /b -h message_size_limit" },
	{ "-C as the argument of -f is a sender",
	  { "/usr/sbin/sendmail", "-f", "-C/a", NULL },
	  "/usr/sbin/postconf -h message_size_limit" },
	{ "-NC: C is the argument of -N",
	  { "/usr/sbin/sendmail", "-NC", "-C", "/b", NULL },
	  "/usr/sbin/postconf -c /b -h message_size_limit" },
	{ "-q alone takes no argument",
	  { "/usr/sbin/sendmail", "-q", "-C", "/q", NULL },
	  "/usr/sbin/postconf -c /q -h message_size_limit" },
	{ "options end at --", { "/usr/sbin/sendmail", "--", "-C", "/x",
	  NULL }, "/usr/sbin/postconf -h message_size_limit" },
	{ "options end at a non-option",
	  { "/usr/sbin/sendmail", "rcpt", "-C", "/x", NULL },
	  "/usr/sbin/postconf -h message_size_limit" },
	{ "-C without its argument", { "/usr/sbin/sendmail", "-C", NULL },
	  "/usr/sbin/postconf -h message_size_limit" },
	{ "elsewhere", { "/opt/postfix/bin/sendmail", NULL },
	  "/opt/postfix/bin/postconf -h message_size_limit" },
	{ "in the root directory", { "/sendmail", NULL },
	  "/postconf -h message_size_limit" },
	{ "found in PATH", { "sendmail", "-C", "/etc/x", NULL },
	  "postconf -c /etc/x -h message_size_limit" },
};

/* postconf's output -> the size, or the cause. */
static const struct {
	const char		*output;
	int			 rc;
	unsigned long long	 size;
	const char		*cause;
} outputs[] = {
	{ "10240000\n", 0, 10240000, NULL },
	{ "0\n", 0, 0, NULL },
	{ "51200000", 0, 51200000, NULL },
	{ "postconf: warning: /etc/postfix/main.cf: unused parameter: x\n"
	  "20000\n", 0, 20000, NULL },
	{ "9223372036854775807\n", 0, 9223372036854775807ULL, NULL },
	{ "", -1, 0, "postconf printed nothing" },
	{ "\n\n", -1, 0, "postconf printed nothing" },
	{ "${limit}\n", -1, 0,
	  "postconf printed \"${limit}\", not a number of bytes" },
	{ "-1\n", -1, 0, "postconf printed \"-1\", not a number of bytes" },
	{ " 100\n", -1, 0, "postconf printed \" 100\", not a number of bytes" },
	{ "10M\n", -1, 0, "postconf printed \"10M\", not a number of bytes" },
	{ "9223372036854775808\n", -1, 0,
	  "postconf printed 9223372036854775808: too large" },
	{ "1\033[2J\n", -1, 0, "postconf printed no number of bytes" },
};

/* The elements of a NULL-terminated argv joined with spaces, to free. */
static char *
joined(char **argv)
{
	char	*s = xstrdup(""), *t;
	size_t	 i;

	for (i = 0; argv[i] != NULL; i++) {
		xasprintf(&t, "%s%s%s", s, i > 0 ? " " : "", argv[i]);
		free(s);
		s = t;
	}
	return s;
}

static void
test_commands(void)
{
	char	**argv, *s;
	size_t	  i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		argv = postfix_postconf_argv((char *const *)commands[i].sendmail,
		    "message_size_limit");
		s = joined(argv);
		is_str(s, commands[i].postconf, "postconf for %s",
		    commands[i].name);
		free(s);
		xfreev(argv);
	}
}

static void
test_outputs(void)
{
	unsigned long long	 size;
	char			*cause;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++) {
		size = 12345;
		cause = NULL;
		rc = postfix_parse_size(outputs[i].output, &size, &cause);
		is_int(rc, outputs[i].rc, "output %zu: result", i);
		if (rc == 0)
			is_int((long long)size, (long long)outputs[i].size,
			    "output %zu: %llu", i, outputs[i].size);
		else
			is_str(cause, outputs[i].cause, "output %zu: cause",
			    i);
		free(cause);
	}
}

/* Write the bash script path of body, executable. */
static void
script(const char *path, const char *body)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(fp, "#!/bin/bash\n%s\n", body);
	fclose(fp);
	chmod(path, 0755);
}

/* postfix_size_limit for the configuration text; *limit, *cause. */
static int
size_limit(const char *text, unsigned long long *limit, char **cause)
{
	struct conf	 conf;
	int		 rc;

	*cause = NULL;
	*limit = 12345;
	if (conf_parse(&conf, "test.conf", text, strlen(text), cause) != 0) {
		diag("%s", *cause);
		return -2;
	}
	rc = postfix_size_limit(&conf, limit, cause);
	conf_free(&conf);
	return rc;
}

static void
test_size_limit(void)
{
	char			 dir[] = "/tmp/fetcher_postfix.XXXXXX";
	char			*text, *path, *args, *cause, *want;
	unsigned long long	 limit;
	FILE			*fp;
	char			 line[256] = "";
	int			 rc;

	/* Set in the configuration: postconf is not even looked for. */
	is_int(size_limit("sendmail_path = /nonexistent/sendmail\n"
	    "message_size_limit = 5000\n", &limit, &cause), 0,
	    "configured: no postconf needed");
	is_int((long long)limit, 5000, "configured: its value");
	free(cause);
	is_int(size_limit("sendmail_path = /nonexistent/sendmail\n"
	    "message_size_limit = 0\n", &limit, &cause), 0,
	    "configured 0: no postconf needed");
	is_int((long long)limit, 0, "configured 0: no limit");
	free(cause);

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	xasprintf(&text, "sendmail_path = %s/sendmail -C %s/etc\n"
	    "timeout = 1\n", dir, dir);
	xasprintf(&path, "%s/postconf", dir);
	xasprintf(&args, "%s/args", dir);

	/* No postconf beside sendmail. */
	rc = size_limit(text, &limit, &cause);
	is_int(rc, -1, "no postconf: fails");
	xasprintf(&want, "postconf %s: No such file or directory", path);
	/* (under valgrind posix_spawn reports it as exit status 127) */
	ok(cause != NULL && (strcmp(cause, want) == 0 ||
	    strcmp(cause, "postconf exited with status 127") == 0),
	    "no postconf: cause %s", cause != NULL ? cause : "NULL");
	free(want);
	free(cause);

	/* Warnings on stderr, the value on stdout; its arguments. */
	xasprintf(&want, "echo \"$@\" >%s\n"
	    "echo 'postconf: warning: unused parameter: x' >&2\n"
	    "echo 20000", args);
	script(path, want);
	free(want);
	is_int(size_limit(text, &limit, &cause), 0, "postconf: succeeds");
	is_int((long long)limit, 20000, "postconf: its value");
	free(cause);
	if ((fp = fopen(args, "r")) != NULL) {
		if (fgets(line, sizeof(line), fp) == NULL)
			line[0] = '\0';
		fclose(fp);
	}
	line[strcspn(line, "\n")] = '\0';
	xasprintf(&want, "-c %s/etc -h message_size_limit", dir);
	is_str(line, want, "postconf: -c from sendmail's -C, -h parameter");
	free(want);

	/* A failure says why in postconf's own words. */
	script(path, "echo 'postconf: fatal: open /x/main.cf: No such file "
	    "or directory' >&2\nexit 1");
	is_int(size_limit(text, &limit, &cause), -1, "postconf fails");
	is_str(cause, "postconf exited with status 1: postconf: fatal: open "
	    "/x/main.cf: No such file or directory", "postconf fails: cause");
	free(cause);

	script(path, "exec sleep 10");
	is_int(size_limit(text, &limit, &cause), -1, "postconf hangs");
	is_str(cause, "postconf timed out", "postconf hangs: the timeout");
	free(cause);

	script(path, "head -c 100000 /dev/zero | tr '\\0' 'x'");
	is_int(size_limit(text, &limit, &cause), -1, "postconf chatters");
	xasprintf(&want, "postconf printed more than %d bytes",
	    POSTFIX_OUTPUT_MAX);
	is_str(cause, want, "postconf chatters: bounded");
	free(want);
	free(cause);

	script(path, "echo '$big'");
	is_int(size_limit(text, &limit, &cause), -1, "postconf unexpanded");
	is_str(cause, "postconf printed \"$big\", not a number of bytes",
	    "postconf unexpanded: cause");
	free(cause);

	unlink(path);
	unlink(args);
	rmdir(dir);
	free(text);
	free(path);
	free(args);
}

/* non_smtpd_milters as postconf prints it, against milter_socket. */
static const struct {
	const char	*socket;	/* milter_socket */
	const char	*milters;	/* what postconf -xh prints */
	int		 listed;
} milters[] = {
	{ "inet:10029@127.0.0.1", "inet:127.0.0.1:10029", 1 },
	{ "inet:10029@127.0.0.1", "inet:localhost:10029", 1 },
	{ "inet:10029@localhost", "inet:[127.0.0.1]:10029", 1 },
	{ "inet:10029", "inet:mx.example:10029", 1 },
	{ "inet:10029@127.0.0.1", "inet:127.0.0.1:10030", 0 },
	{ "inet:10029@127.0.0.1", "inet:192.0.2.1:10029", 0 },
	{ "inet:10029@127.0.0.1", "unix:/run/x.sock inet:127.0.0.1:10029", 1 },
	{ "inet:10029@127.0.0.1",
	  "{ inet:127.0.0.1:10029, default_action = accept }", 1 },
	{ "unix:/run/postfetch/milter.sock", "unix:/run/postfetch/milter.sock",
	  1 },
	{ "local:/run/postfetch/milter.sock", "unix:/run/postfetch/milter.sock",
	  1 },
	{ "unix:/var/spool/postfix/postfetch/milter.sock",
	  "unix:/postfetch/milter.sock", 1 },
	{ "unix:/run/postfetch/milter.sock", "unix:/run/other.sock", 0 },
	{ "unix:/run/postfetch/milter.sock", "inet:127.0.0.1:10029", 0 },
	{ "inet:10029@127.0.0.1", "", 0 },
};

static void
test_milter_listed(void)
{
	char		 dir[] = "/tmp/fetcher_postfix.XXXXXX";
	char		*text, *path, *body, *cause;
	struct conf	 conf;
	size_t		 i;
	int		 rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	xasprintf(&path, "%s/postconf", dir);
	for (i = 0; i < sizeof(milters) / sizeof(milters[0]); i++) {
		xasprintf(&text, "sendmail_path = %s/sendmail\ntimeout = 1\n"
		    "milter_socket = %s\n", dir, milters[i].socket);
		xasprintf(&body, "[ \"$*\" = \"-xh non_smtpd_milters\" ] || "
		    "exit 3\necho '%s'", milters[i].milters);
		script(path, body);
		cause = NULL;
		if (conf_parse(&conf, "test.conf", text, strlen(text),
		    &cause) != 0) {
			ok(0, "milter %zu: configuration: %s", i, cause);
			free(cause);
			continue;
		}
		rc = postfix_milter_listed(&conf, &cause);
		is_int(rc, milters[i].listed ? 0 : -1, "%s in \"%s\": %s",
		    milters[i].socket, milters[i].milters,
		    milters[i].listed ? "listed" : "not listed");
		if (!milters[i].listed)
			ok(cause != NULL && strstr(cause, "non_smtpd_milters "
			    "does not name milter_socket") != NULL,
			    "... says so: %s", cause != NULL ? cause : "NULL");
		free(cause);
		conf_free(&conf);
		free(text);
		free(body);
	}
	unlink(path);
	rmdir(dir);
	free(path);
}

int
main(void)
{
	test_commands();
	test_outputs();
	test_size_limit();
	test_milter_listed();
	return done_testing();
}
