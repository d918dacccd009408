/*
 * Unit tests for fetcher/message.c, fetcher/spool.c and fetcher/inject.c,
 * against a fake sendmail: a shell script that records its argv and
 * standard input in files and exits with the status the test asks for.
 * Each message is spooled whole, then given to sendmail, as a poll does.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../fetcher/inject.h"
#include "../../fetcher/message.h"
#include "../../fetcher/spool.h"
#include "tap.h"
#include "recipients.h"
#include "tag.h"
#include "xmalloc.h"

static char		 dir[] = "/tmp/pf-message.XXXXXX";
static char		 script[64];
static char		*sendmail_argv[] = { script, NULL };
static unsigned char	 key[TAG_KEY_LEN];
static char		**sendmail_now = sendmail_argv; /* what finish runs */
static int		 sendmail_timeout;	/* seconds, 0 = default */
static int		 sendmail_status;	/* of the last finish */
static struct spool	*spool;			/* of the message begun */
static struct message_result kept;		/* the last result, freed
						 * at the next finish */

/*
 * The fake sendmail. Files in its directory steer it: "status" (exit
 * status), "complaint" (printed to stderr), "discard" (stdin to
 * /dev/null), "noread" (exit without reading stdin), "stall" (sleep
 * before reading, in a child whose pid goes into "stall.pid").
 */
static const char fake_sendmail[] =
    "#!/bin/sh\n"
    "d=$(dirname \"$0\")\n"
    "printf '%s\\n' \"$0\" \"$@\" > \"$d/argv\"\n"
    "[ -f \"$d/complaint\" ] && cat \"$d/complaint\" >&2\n"
    "if [ -f \"$d/noread\" ]; then exit \"$(cat \"$d/status\")\"; fi\n"
    "if [ -f \"$d/stall\" ]; then\n"
    "    sh -c 'echo $$ > \"$1/stall.pid\"; exec sleep 30' sh \"$d\"\n"
    "fi\n"
    "if [ -f \"$d/discard\" ]; then cat > /dev/null\n"
    "else cat > \"$d/stdin\"; fi\n"
    "echo done > \"$d/done\"\n"
    "exit \"$(cat \"$d/status\" 2>/dev/null || echo 0)\"\n";

/* Write a file in the test directory (NULL text: remove it). */
static void
put(const char *name, const char *text)
{
	char	 path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (text == NULL)
		unlink(path);
	else
		test_write(path, text, 0644);
}

/* Read a file of the test directory; NULL if missing. */
static char *
get(const char *name, size_t *len)
{
	char	 path[128], *data;
	FILE	*f;
	long	 n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = xmalloc((size_t)n + 1);
	if (fread(data, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	data[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return data;
}

/* Clear what the last run left. */
static void
reset(void)
{
	put("argv", NULL);
	put("stdin", NULL);
	put("done", NULL);
	put("status", NULL);
	put("complaint", NULL);
	put("discard", NULL);
	put("noread", NULL);
	put("stall", NULL);
	put("stall.pid", NULL);
}

/*
 * Whether the stalled sendmail's sleep (its pid in "stall.pid") still
 * runs, waiting up to 5 s for it to go: only that process is looked at,
 * never others of the machine. A zombie, or a pid now of another
 * program, is gone.
 */
static int
sleeper_alive(void)
{
	char	*text, path[64], line[512], *end;
	FILE	*f;
	size_t	 n;
	long	 pid;
	int	 i, alive = 0;

	if ((text = get("stall.pid", NULL)) == NULL)
		return 0;
	pid = strtol(text, NULL, 10);
	free(text);
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	for (i = 0; i < 50; i++) {
		if ((f = fopen(path, "r")) == NULL)
			return 0;
		n = fread(line, 1, sizeof(line) - 1, f);
		fclose(f);
		line[n] = '\0';
		/* "pid (comm) state ..." */
		end = strrchr(line, ')');
		alive = strstr(line, " (sleep) ") != NULL && end != NULL &&
		    end[1] == ' ' && end[2] != 'Z';
		if (!alive)
			return 0;
		usleep(100000);
	}
	diag("pid %ld (sleep) still runs", pid);
	return alive;
}

static struct message_params
params(const char *deliver_to)
{
	struct message_params	 p;

	memset(&p, 0, sizeof(p));
	p.account = "acct";
	p.host = "pop.example";
	p.protocol = "POP3";
	p.uid = "UID;1";
	p.deliver_to = deliver_to;
	p.fallback = "postmaster";
	p.postmaster = "postmaster@here.example";
	p.key = key;
	return p;
}

/* Begin a message into a new spool file. */
static struct message *
start(const struct message_params *p)
{
	char	*cause = NULL;

	if ((spool = spool_open(dir, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		exit(1);
	}
	return message_begin(p, spool);
}

/*
 * End the message and, if it was spooled, run sendmail on it and wait:
 * what a poll does. Returns 0 when sendmail exited 0; its status is in
 * sendmail_status.
 */
static int
finish(struct message *m, struct message_result *r, char **cause)
{
	struct inject	*ij;
	int		 outcome = INJECT_FAILED;

	sendmail_status = -1;
	message_result_free(&kept);
	memset(r, 0, sizeof(*r));
	if (message_end(m, r, cause) != 0)
		goto out;
	kept = *r;
	ij = inject_start(sendmail_now, r->sender, r->recipients, r->count,
	    spool_fd(spool), sendmail_timeout, cause);
	if (ij == NULL)
		goto out;
	while ((outcome = inject_poll(ij, cause)) == INJECT_RUNNING)
		poll(NULL, 0, 5);
	inject_free(ij);
	if (outcome != INJECT_FAILED)
		sendmail_status = 0;
	else if (*cause != NULL && strstr(*cause, "status ") != NULL)
		sendmail_status = atoi(strstr(*cause, "status ") + 7);
out:
	spool_free(spool);
	spool = NULL;
	return outcome == INJECT_DELIVERED ? 0 : -1;
}

/* Feed text line by line (split at LF, the LF itself not passed). */
static int
feed(struct message *m, const char *text, size_t len, char **cause)
{
	const char	*nl;
	size_t		 n;

	while (len > 0) {
		nl = memchr(text, '\n', len);
		n = nl != NULL ? (size_t)(nl - text) : len;
		if (message_write(m, text, n, nl != NULL, cause) != 0)
			return -1;
		if (nl == NULL)
			break;
		text += n + 1;
		len -= n + 1;
	}
	return 0;
}

/* Run one whole message; returns message_end's result. */
static int
run(const struct message_params *p, const char *text, size_t len,
    struct message_result *result, char **cause)
{
	struct message	*m;

	*cause = NULL;
	m = start(p);
	if (feed(m, text, len, cause) != 0) {
		free(*cause);
		*cause = NULL;
	}
	return finish(m, result, cause);
}

/* Compare got with the script path followed by tail; frees got. */
static void
is_argv(char *got, const char *tail, const char *what)
{
	char	*want;

	want = xprintf("%s\n%s", script, tail);
	is_str(got, want, "%s", what);
	free(want);
	free(got);
}

/* Skip our Received field (it spans lines) and return what follows it. */
static const char *
after_received(const char *s)
{
	if (strncmp(s, "Received: ", 10) != 0)
		return s;
	for (s = strchr(s, '\n'); s != NULL && (s[1] == '\t' || s[1] == ' ');
	    s = strchr(s + 1, '\n'))
		;
	return s != NULL ? s + 1 : "";
}

/* The recipients of the last check_tag, one a line. */
static char	carried[64 * 1024];

/* The value of the field at s (name: its name) and what follows it. */
static char *
field_value(const char *s, const char *name, const char **next)
{
	const char	*end;
	size_t		 prefix = strlen(name);

	if (strncasecmp(s, name, prefix) != 0 || s[prefix] != ':')
		return NULL;
	for (end = strchr(s, '\n'); end != NULL && (end[1] == '\t' ||
	    end[1] == ' '); end = strchr(end + 1, '\n'))
		;
	if (end == NULL)
		return NULL;
	*next = end + 1;
	return xstrndup(s + prefix + 1, end - s - prefix - 1);
}

/*
 * Check the X-Postfetch-Account line at s and the X-Postfetch-Recipients
 * (and our Message-ID, if one was added) after it: the tag verifies and
 * is bound to them and to the first Message-ID. Returns what follows.
 */
static const char *
check_tag(const char *s)
{
	struct recipients	 r = { NULL, 0 };
	char			 account[64], binding[TAG_BINDING_HEX + 1];
	char			 want[TAG_BINDING_HEX + 1], id[TAG_ID_MAX];
	char			*tag, *value, *cause = NULL;
	const char		*next, *line;
	size_t			 i, len = 0;

	if ((tag = field_value(s, TAG_HEADER, &next)) == NULL) {
		ok(0, "tag field second");
		return s;
	}
	s = next;
	while ((value = field_value(s, RECIPIENTS_HEADER, &next)) != NULL) {
		if (recipients_parse(&r, value, &cause) != 0) {
			diag("%s", cause);
			free(cause);
			cause = NULL;
		}
		free(value);
		s = next;
	}
	carried[0] = '\0';
	for (i = 0; i < r.count; i++)
		len += snprintf(carried + len, sizeof(carried) - len, "%s\n",
		    r.list[i]);
	/* the first Message-ID of the header section, as the milter sees */
	id[0] = '\0';
	for (line = s; *line != '\0' && *line != '\n';
	    line = strchr(line, '\n') != NULL ? strchr(line, '\n') + 1 : "") {
		if ((value = field_value(line, "Message-ID", &next)) == NULL)
			continue;
		tag_message_id(value, id, sizeof(id));
		free(value);
		if (strncmp(id, "postfetch.", 10) == 0)
			s = next;	/* ours, added after the list */
		break;
	}
	is_int(tag_verify(key, tag, time(NULL), TAG_MAX_AGE, account,
	    sizeof(account), NULL, 0, binding, &cause), 0, "tag verifies");
	if (cause != NULL)
		diag("%s", cause);
	free(cause);
	is_str(account, "acct", "tag names the account");
	tag_binding(id, r.list, r.count, want);
	is_str(binding, want, "tag bound to the Message-ID and recipients");
	recipients_free(&r);
	free(tag);
	return s;
}


/* The recipients carried in the header of the message sendmail read. */
static void
check_carried(const char *want, const char *what)
{
	char	*in = get("stdin", NULL);

	check_tag(after_received(in != NULL ? in : ""));
	is_str(carried, want, "%s", what);
	free(in);
}

static void
test_single_drop(void)
{
	static const char text[] =
	    "Return-Path: <sender@remote.example>\n"
	    "Delivered-To: user@remote.example\n"
	    "X-Postfetch-Account: forged; t=1; mac=00\n"
	    "  continued forged\n"
	    "Subject: hello\n"
	    "x-postfetch-account: another\n"
	    "Delivered-To: second@remote.example\n"
	    "Message-ID: <id1@remote.example>\n"
	    "\n"
	    "body line 1\n"
	    "Delivered-To: in the body stays\n";
	struct message_params	 p = params("local@here.example");
	struct message_result	 r;
	char			*cause, *argv, *in;
	const char		*rest;

	reset();
	is_int(run(&p, text, sizeof(text) - 1, &r, &cause), 0,
	    "single-drop delivered");
	argv = get("argv", NULL);
	in = get("stdin", NULL);
	is_argv(argv, "-i\n-f\nsender@remote.example\n--\n"
	    "local@here.example\n", "argv exactly");
	ok(in != NULL && strncmp(in, "Received: from pop.example\n\tby ",
	    31) == 0, "Received first");
	ok(in != NULL && strstr(in, "(postfetch, account acct) with POP3 id "
	    "UID_1\n\tfor <local@here.example>;\n\t") != NULL,
	    "Received names account, protocol, cleaned uid, recipient");
	rest = check_tag(after_received(in != NULL ? in : ""));
	is_str(rest,
	    "Return-Path: <sender@remote.example>\n"
	    "X-Original-Delivered-To: user@remote.example\n"
	    "Subject: hello\n"
	    "X-Original-Delivered-To: second@remote.example\n"
	    "Message-ID: <id1@remote.example>\n"
	    "\n"
	    "body line 1\n"
	    "Delivered-To: in the body stays\n",
	    "old tags gone, Delivered-To renamed, body intact");
	is_str(r.message_id, "id1@remote.example", "result message-id");
	is_str(r.sender, "sender@remote.example", "result sender");
	is_int(r.count, 1, "result recipients");
	is_int(sendmail_status, 0, "sendmail status");
	is_int(r.size, in != NULL ? strlen(in) : 0, "result size");
	free(in);
}

static void
test_multidrop(void)
{
	static const char text[] =
	    "X-Original-To: a@remote.example\n"	/* Postfix's order */
	    "Delivered-To: catchall@remote.example\n"
	    "Received: from mx.remote.example by remote.example\n"
	    "To: a@remote.example, b@remote.example\n"
	    "\n"
	    "body\n";
	static const char visible[] =
	    "Return-Path: <>\n"
	    "To: A <a@remote.example>, -oX@remote.example\n"
	    "Cc: B@remote.example, a@REMOTE.example\n"
	    "\n";
	static const char none[] = "Subject: nobody\n\nbody\n";
	struct message_params	 p = params(NULL);
	struct message_result	 r;
	char			*cause;

	reset();
	is_int(run(&p, text, sizeof(text) - 1, &r, &cause), 0,
	    "multidrop delivered");
	is_argv(get("argv", NULL), "-i\n-f\npostmaster@here.example\n--\n"
	    "postmaster\n", "no Return-Path: the postmaster is the sender; "
	    "sendmail gets only the placeholder");
	check_carried("a@remote.example\n", "X-Original-To wins, carried in "
	    "the header");

	reset();
	is_int(run(&p, visible, sizeof(visible) - 1, &r, &cause), 0,
	    "To/Cc delivered");
	is_argv(get("argv", NULL), "-i\n-f\n<>\n--\npostmaster\n",
	    "Return-Path <> as <>, the placeholder only");
	check_carried("a@remote.example\nB@remote.example\n", "To/Cc, "
	    "deduplicated, '-' dropped, carried in the header");
	is_int(r.count, 1, "one envelope recipient");
	is_int(r.intended, 2, "two recipients carried");
	is_str(r.sender, "", "null sender in the result");

	reset();
	is_int(run(&p, none, sizeof(none) - 1, &r, &cause), 0,
	    "no recipient: delivered");
	is_argv(get("argv", NULL), "-i\n-f\npostmaster@here.example\n--\n"
	    "postmaster\n", "to the fallback");
}

/* Messages with odd shapes: no header, empty, odd bytes. */
static void
test_shapes(void)
{
	static const char nohead[] = "just a body\nline 2\n";
	static const char odd[] =
	    "Subject: a\0nul and a bare\rcr\n"
	    "\n"
	    "body \0 with NUL\rand CR\r\n"
	    "no final newline";
	static const char other[] = "Subject: x\nnot a header\nTo: a@b.c\n";
	struct message_params	 p = params("local@here.example");
	struct message_result	 r;
	char			*cause, *in;
	size_t			 len;

	reset();
	is_int(run(&p, nohead, sizeof(nohead) - 1, &r, &cause), 0,
	    "no header section: delivered");
	in = get("stdin", NULL);
	is_str(check_tag(after_received(in)), "\njust a body\nline 2\n",
	    "an empty line before the body");
	free(in);

	reset();
	is_int(run(&p, "", 0, &r, &cause), 0, "empty message delivered");
	in = get("stdin", NULL);
	is_str(check_tag(after_received(in)), "", "only our fields");
	free(in);

	reset();
	is_int(run(&p, other, sizeof(other) - 1, &r, &cause), 0,
	    "non-header line: delivered");
	in = get("stdin", NULL);
	is_str(check_tag(after_received(in)),
	    "Subject: x\n\nnot a header\nTo: a@b.c\n",
	    "an empty line where the header section ended");
	free(in);

	reset();
	is_int(run(&p, odd, sizeof(odd) - 1, &r, &cause), 0,
	    "NUL and CR: delivered");
	in = get("stdin", &len);
	{
		const char	*rest = check_tag(after_received(in));
		size_t		 left = len - (size_t)(rest - in);

		ok(left == sizeof(odd) && memcmp(rest, odd, sizeof(odd) - 1)
		    == 0 && rest[left - 1] == '\n', "NUL and CR byte-exact, "
		    "LF added at the end");
	}
	free(in);
}

/* Feed n bytes of c in pieces, as the POP3 reader does with long lines. */
static int
feed_run(struct message *m, char c, size_t n, int eol, char **cause)
{
	char	 piece[65536];
	size_t	 k;

	memset(piece, c, sizeof(piece));
	while (n > 0) {
		k = n < sizeof(piece) ? n : sizeof(piece);
		n -= k;
		if (message_write(m, piece, k, n == 0 && eol, cause) != 0)
			return -1;
	}
	return 0;
}

/* Check that stdin ends with n bytes of c and a LF, after prefix. */
static void
check_run(const char *prefix, char c, size_t n, const char *what)
{
	char		*in;
	const char	*rest;
	size_t		 len, i, plen = strlen(prefix);

	in = get("stdin", &len);
	rest = check_tag(after_received(in));
	len -= (size_t)(rest - in);
	ok(len == plen + n + 1 && memcmp(rest, prefix, plen) == 0 &&
	    rest[len - 1] == '\n', "%s: length and prefix", what);
	for (i = 0; len == plen + n + 1 && i < n && rest[plen + i] == c; i++)
		;
	ok(i == n, "%s: content", what);
	free(in);
}

static void
test_long_lines(void)
{
	struct message_params	 p = params("local@here.example");
	struct message_result	 r;
	struct message		*m;
	char			*cause = NULL;
	size_t			 big = 10 * 1024 * 1024;

	reset();
	m = start(&p);
	feed(m, "Subject: x\n\n", 12, &cause);
	is_int(feed_run(m, 'x', big, 1, &cause), 0, "10 MB body line fed");
	is_int(finish(m, &r, &cause), 0, "10 MB body line delivered");
	check_run("Subject: x\n\n", 'x', big, "10 MB body line");

	reset();
	m = start(&p);
	feed(m, "Delivered-To: a@b.c\nSubject: ", 29, &cause);
	is_int(feed_run(m, 'y', big, 1, &cause), 0, "10 MB header line fed");
	is_int(finish(m, &r, &cause), 0, "10 MB header line delivered");
	check_run("X-Original-Delivered-To: a@b.c\nSubject: ", 'y', big,
	    "10 MB header line passes as body");
}

/* A header section over the cap: cut there, nothing lost. */
static void
test_header_cap(void)
{
	struct message_params	 p = params(NULL);
	struct message_result	 r;
	char			*text, *in, *cause, *argv;
	const char		*rest;
	size_t			 len = 0, n, i;

	n = MESSAGE_HEADER_MAX / 38 + 500;
	text = xmalloc(n * 48 + 64);
	len += (size_t)sprintf(text, "X-Original-To: first@x.example\n");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "X-Filler-%06zu: "
		    "0123456789012345678\n", i);
	len += (size_t)sprintf(text + len, "Delivered-To: late@x.example\n"
	    "\nbody\n");
	reset();
	is_int(run(&p, text, len, &r, &cause), 0, "huge header delivered");
	argv = get("argv", NULL);
	ok(argv != NULL && strstr(argv, "--\npostmaster\n") != NULL,
	    "the placeholder to sendmail");
	in = get("stdin", NULL);
	rest = check_tag(after_received(in));
	is_str(carried, "first@x.example\n", "recipient from the parsed part");
	is_int(strlen(rest), len, "every byte passed");
	ok(strlen(rest) == len && strcmp(rest, text) == 0,
	    "unchanged, Delivered-To past the cap too");
	free(argv);
	free(in);
	free(text);
}

static void
test_failures(void)
{
	static const char text[] = "Subject: x\n\nbody\n";
	struct message_params	 p = params("local@here.example");
	struct message_result	 r;
	struct message		*m;
	char			*cause, *missing[] = { "/nonexistent/sendmail",
				    NULL };
	char			*rcpt[] = { "-oQ/tmp@x.example" }, *none = NULL;
	char			*argv, *pidfile;
	struct inject		*ij;
	time_t			 start_time;

	reset();
	put("status", "75\n");
	put("complaint", "sendmail: fatal: queue file write error\nmore\n");
	is_int(run(&p, text, sizeof(text) - 1, &r, &cause), -1,
	    "exit 75 fails");
	is_int(sendmail_status, 75, "status 75");
	argv = xprintf("%s exited with status 75 (EX_TEMPFAIL): sendmail: "
	    "fatal: queue file write error", script);
	is_str(cause, argv, "cause has the status and the first line");
	free(argv);
	free(cause);

	reset();
	put("status", "75\n");
	put("noread", "");
	is_int(run(&p, text, sizeof(text) - 1, &r, &cause), -1,
	    "a sendmail that quits without reading fails");
	ok(cause != NULL && strstr(cause, "status 75") != NULL,
	    "with its status: %s", cause != NULL ? cause : "");
	free(cause);

	reset();
	p = params("-oQ/tmp@x.example");
	is_int(run(&p, text, sizeof(text) - 1, &r, &cause), -1,
	    "deliver_to starting with '-' refused");
	ok(get("argv", NULL) == NULL, "sendmail not run");
	free(cause);

	ij = inject_start(sendmail_argv, "", rcpt, 1, -1, 0, &cause);
	ok(ij == NULL && strstr(cause, "starts with '-'") != NULL,
	    "inject refuses a '-' recipient");
	free(cause);
	ij = inject_start(sendmail_argv, "", &none, 0, -1, 0, &cause);
	ok(ij == NULL && strcmp(cause, "no recipients") == 0,
	    "inject refuses no recipients");
	free(cause);
	ij = inject_start(sendmail_argv, "-x@y.example", rcpt, 0, -1, 0,
	    &cause);
	ok(ij == NULL && strstr(cause, "starts with '-'") != NULL,
	    "inject refuses a '-' sender");
	free(cause);
	ok(get("argv", NULL) == NULL, "sendmail still not run");

	p = params("local@here.example");
	sendmail_now = missing;
	is_int(run(&p, text, sizeof(text) - 1, &r, &cause), -1,
	    "missing sendmail fails");
	is_str(cause, "cannot execute /nonexistent/sendmail: No such file or "
	    "directory", "exec failure reported");
	free(cause);
	sendmail_now = sendmail_argv;

	/* a sendmail that stalls is killed, with its process group */
	reset();
	put("stall", "");
	sendmail_timeout = 1;
	start_time = time(NULL);
	is_int(run(&p, text, sizeof(text) - 1, &r, &cause), -1,
	    "a stalled sendmail times out");
	ok(cause != NULL && strstr(cause, "timed out") != NULL, "cause: %s",
	    cause != NULL ? cause : "");
	ok(time(NULL) - start_time < 10, "in about the timeout");
	free(cause);
	sendmail_timeout = 0;
	pidfile = get("stall.pid", NULL);
	ok(pidfile != NULL, "its child had started");
	free(pidfile);
	ok(!sleeper_alive(), "its child was killed too");

	/* given up before the end: sendmail never sees any of it */
	reset();
	m = start(&p);
	cause = NULL;
	feed(m, text, sizeof(text) - 1, &cause);
	feed_run(m, 'a', 200000, 1, &cause);
	message_abort(m);
	spool_free(spool);
	spool = NULL;
	ok(get("argv", NULL) == NULL, "an incomplete message never starts "
	    "sendmail");
}

/* A leading mbox "From " line is dropped, and only that one. */
static void
test_from_line(void)
{
	static const char text[] =
	    "From sender@remote.example Mon Nov 30 09:00:00 2026\n"
	    "Return-Path: <sender@remote.example>\n"
	    "Subject: mbox\n"
	    "\n"
	    "From here on, body\n";
	struct message_params	 p = params("local@here.example");
	struct message_result	 r;
	char			*cause, *in;

	reset();
	is_int(run(&p, text, sizeof(text) - 1, &r, &cause), 0,
	    "message with a From line delivered");
	in = get("stdin", NULL);
	is_str(check_tag(after_received(in != NULL ? in : "")),
	    "Return-Path: <sender@remote.example>\nSubject: mbox\n\n"
	    "From here on, body\n", "From line gone, header section kept");
	is_str(r.sender, "sender@remote.example", "the header was parsed");
	free(in);
}

/* A 50 MB body goes through without growing our memory. */
static void
test_memory(void)
{
	struct message_params	 p = params("local@here.example");
	struct message_result	 r;
	struct message		*m;
	struct rusage		 before, after;
	char			*cause = NULL;
	size_t			 i;
	int			 failed = 0;

	reset();
	put("discard", "");
	getrusage(RUSAGE_SELF, &before);
	m = start(&p);
	feed(m, "Subject: big\n\n", 14, &cause);
	for (i = 0; i < 50 * 1024 && !failed; i++)
		failed = feed_run(m, 'm', 1023, 1, &cause) != 0;
	is_int(finish(m, &r, &cause), 0, "50 MB message delivered");
	getrusage(RUSAGE_SELF, &after);
	ok(r.size > 50ULL * 1024 * 1024, "size counted: %llu", r.size);
	ok(after.ru_maxrss - before.ru_maxrss < 8 * 1024,
	    "max RSS grew by %ld KB", after.ru_maxrss - before.ru_maxrss);
}

int
main(void)
{
	size_t	 i;

	signal(SIGPIPE, SIG_DFL);	/* inject must cope without SIG_IGN */
	test_dir(dir);
	snprintf(script, sizeof(script), "%s/sendmail", dir);
	test_write(script, fake_sendmail, 0755);
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;

	test_memory();
	test_single_drop();
	test_multidrop();
	test_shapes();
	test_long_lines();
	test_header_cap();
	test_failures();
	test_from_line();

	message_result_free(&kept);
	test_dir_remove(dir);
	return done_testing();
}
