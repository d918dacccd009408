/*
 * Unit tests for fetcher/submit.c: the SMTP dialogue with a "sendmail -bs"
 * stand-in (a Python script) that answers from a script of replies and
 * records every line it got, so the transcript is checked exactly: the
 * envelope one command at a time, the data with CR LF and stuffed dots,
 * RSET after a refusal, the next message unspoiled, a session that dies.
 */
#include <sys/stat.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../fetcher/inject.h"
#include "../../fetcher/spool.h"
#include "../../fetcher/submit.h"
#include "tap.h"
#include "xmalloc.h"

static char		 dir[] = "/tmp/pf-submit.XXXXXX";
static char		 script[64];
static char		*argv_bs[] = { script, NULL };

/*
 * The stand-in: the greeting and every reply come, in order, from the
 * file "replies" (one per line; "EXIT" ends it there; a "~" line comes
 * unasked a moment after the one before it, and ends it); each line it
 * gets goes to "got" as it came, CR LF and all.
 */
static const char fake_bs[] =
    "#!/usr/bin/env python3\n"
    "import os, sys, time\n"
    "d = os.path.dirname(sys.argv[0])\n"
    "assert sys.argv[-1] == '-bs'\n"
    "replies = open(d + '/replies', 'rb').read().split(b'\\n')\n"
    "got = open(d + '/got', 'ab')\n"
    "out, inp = sys.stdout.buffer, sys.stdin.buffer\n"
    "def say():\n"
    "    r = replies.pop(0)\n"
    "    if r == b'EXIT': sys.exit(75)\n"
    "    out.write(r.replace(b'|', b'\\r\\n') + b'\\r\\n'); out.flush()\n"
    "    if replies[0].startswith(b'~'):\n"
    "        time.sleep(0.2); replies[0] = replies[0][1:]; say(); sys.exit(0)\n"
    "say()\n"
    "data = False\n"
    "for line in inp:\n"
    "    got.write(line); got.flush()\n"
    "    if data:\n"
    "        if line == b'.\\r\\n': data = False; say()\n"
    "        continue\n"
    "    if line.upper().startswith(b'DATA') and replies[0].startswith(b'354'):\n"
    "        data = True\n"
    "    say()\n";

/* Write a file in the test directory. */
static void
put(const char *name, const char *text)
{
	char	 path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	test_write(path, text, 0644);
}

/* What the stand-in got so far, then forget it. */
static char *
got(void)
{
	char	 path[128], *data;
	FILE	*f;
	long	 n;

	snprintf(path, sizeof(path), "%s/got", dir);
	if ((f = fopen(path, "r")) == NULL)
		return xstrdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = xmalloc((size_t)n + 1);
	if (fread(data, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	data[n] = '\0';
	fclose(f);
	if (truncate(path, 0) == -1)
		exit(1);
	return data;
}

/* Send text as a message and wait for its outcome. */
static int
deliver(struct submit *s, const char *sender, char **rcpt, size_t n,
    const char *text, char **cause)
{
	struct spool	*spool;
	int		 outcome;

	*cause = NULL;
	if ((spool = spool_open(dir, cause)) == NULL ||
	    spool_write(spool, text, strlen(text), cause) != 0 ||
	    spool_finish(spool, cause) != 0)
		exit(1);
	if (submit_send(s, sender, rcpt, n, spool_fd(spool), cause) != 0) {
		spool_free(spool);
		return INJECT_FAILED;
	}
	spool_free(spool);	/* it has it all */
	while ((outcome = submit_poll(s, cause)) == INJECT_RUNNING)
		poll(NULL, 0, 5);
	return outcome;
}

static void
test_session(void)
{
	char		*rcpt[] = { "a@x.example", "b@x.example" };
	char		*cause = NULL, *text;
	struct submit	*s;

	put("replies", "220 fake ESMTP|250-fake\n250 SMTPUTF8\n"
	    "250 ok\n250 ok\n250 ok\n354 go\n250 queued\n"
	    "250 ok\n550 5.1.1 no such user\n250 reset\n"
	    "250 ok\n250 ok\n354 go\n451 4.3.0 try later\n"
	    "250 ok\n250 ok\n354 go\n250 queued\n221 bye\n");
	s = submit_start(argv_bs, 5, &cause);
	ok(s != NULL, "session started: %s", cause != NULL ? cause : "");
	if (s == NULL)
		return;
	free(got());
	is_int(deliver(s, "s@x.example", rcpt, 2, "Subject: x\n\n.\n..x\n"
	    "last", &cause), INJECT_DELIVERED, "delivered");
	text = got();
	is_str(text, "MAIL FROM:<s@x.example> BODY=8BITMIME\r\n"
	    "RCPT TO:<a@x.example>\r\nRCPT TO:<b@x.example>\r\nDATA\r\n"
	    "Subject: x\r\n\r\n..\r\n...x\r\nlast\r\n.\r\n",
	    "envelope, data with CR LF and stuffed dots, a last line ended");
	free(text);

	is_int(deliver(s, "", rcpt, 1, "m\n", &cause), INJECT_FAILED,
	    "a refused recipient fails the message");
	is_str(cause, "sendmail -bs refused the message: 550 5.1.1 no such "
	    "user", "with the reply");
	free(cause);
	text = got();
	is_str(text, "MAIL FROM:<> BODY=8BITMIME\r\nRCPT TO:<a@x.example>\r\n"
	    "RSET\r\n", "no DATA after it, RSET");
	free(text);
	ok(submit_usable(s), "the session goes on");

	is_int(deliver(s, "s@x.example", rcpt, 1, "m2\n", &cause),
	    INJECT_FAILED, "a refusal at the end of the data fails");
	is_str(cause, "sendmail -bs refused the message: 451 4.3.0 try later",
	    "with the reply");
	free(cause);
	free(got());
	is_int(deliver(s, "s@x.example", rcpt, 1, "m3\n", &cause),
	    INJECT_DELIVERED, "the next message is not spoiled");
	free(got());
	submit_free(s);
	text = got();
	is_str(text, "QUIT\r\n", "QUIT at the end");
	free(text);
}

static void
test_broken(void)
{
	char		*rcpt[] = { "a@x.example" }, *cause = NULL, *text;
	struct submit	*s;

	put("replies", "554 go away\n");
	s = submit_start(argv_bs, 5, &cause);
	ok(s == NULL && cause != NULL && strstr(cause, "554 go away") !=
	    NULL, "a refused greeting: %s", cause != NULL ? cause : "");
	free(cause);
	free(got());

	put("replies", "220 fake\n250 fake\n250 ok\n250 ok\n354 go\nEXIT\n");
	s = submit_start(argv_bs, 5, &cause);
	is_int(deliver(s, "s@x.example", rcpt, 1, "m\n", &cause),
	    INJECT_FAILED, "a session that dies after the data fails it");
	ok(cause != NULL && strstr(cause, "status 75") != NULL,
	    "with its exit status: %s", cause != NULL ? cause : "");
	free(cause);
	ok(!submit_usable(s), "and cannot go on");
	is_int(deliver(s, "s@x.example", rcpt, 1, "m\n", &cause),
	    INJECT_FAILED, "a broken session takes no message");
	free(cause);
	submit_free(s);
	free(got());

	put("replies", "220 fake\n250 fake\n~421 4.4.2 fake idle timeout\n");
	s = submit_start(argv_bs, 5, &cause);
	ok(s != NULL && submit_usable(s), "a fresh session is usable");
	poll(NULL, 0, 600);
	ok(!submit_usable(s), "an idle session the server closed is not");
	is_int(deliver(s, "s@x.example", rcpt, 1, "m\n", &cause),
	    INJECT_FAILED, "and takes no message");
	ok(cause != NULL && strstr(cause, "421 4.4.2") != NULL,
	    "the cause is the server's goodbye: %s", cause != NULL ? cause :
	    "");
	free(cause);
	submit_free(s);
	free(got());

	put("replies", "220 fake\n250 fake\n");
	s = submit_start(argv_bs, 5, &cause);
	free(got());
	is_int(deliver(s, "-oQ@x.example", rcpt, 1, "m\n", &cause),
	    INJECT_FAILED, "a sender starting with '-' is refused");
	free(cause);
	text = got();
	is_str(text, "", "before anything is sent");
	free(text);
	submit_free(s);
	free(got());
}

int
main(void)
{
	test_dir(dir);
	snprintf(script, sizeof(script), "%s/sendmail", dir);
	test_write(script, fake_bs, 0755);
	test_session();
	test_broken();
	test_dir_remove(dir);
	return done_testing();
}
