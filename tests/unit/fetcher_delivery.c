/*
 * Unit tests for fetcher/delivery.c: the size check, and the sink driven
 * as a driver drives it, against a fake sendmail that copies its input to
 * a file named by the message and records how many ran at once.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../fetcher/delivery.h"
#include "tap.h"
#include "tag.h"
#include "xmalloc.h"

static char		 dir[] = "/tmp/pf-delivery.XXXXXX";
static char		 script[64];
static char		*sendmail_argv[] = { script, NULL };
static char		*missing[] = { "/nonexistent/sendmail", NULL };
static unsigned char	 key[TAG_KEY_LEN];

/*
 * The fake sendmail: the message is meant for the first address of its
 * X-Postfetch-Recipients field (the envelope has the account's fallback),
 * "fail@..." makes it exit 75. It appends to "running" how many sendmails
 * it saw running when it started (mkdir is the atomic step).
 */
static const char fake_sendmail[] =
    "#!/bin/sh\n"
    "d=$(dirname \"$0\")\n"
    "mkdir \"$d/run.$$\"\n"
    "n=$(ls -d \"$d\"/run.* | wc -l)\n"
    "echo \"$n\" >> \"$d/running\"\n"
    "cat > \"$d/in.$$\"\n"
    "r=$(sed -n 's/^X-Postfetch-Recipients: <\\([^>]*\\)>.*/\\1/p' "
    "\"$d/in.$$\" | head -n 1)\n"
    "mv \"$d/in.$$\" \"$d/out.$r\"\n"
    "sleep 0.2\n"
    "rmdir \"$d/run.$$\"\n"
    "case $r in fail@*) exit 75;; esac\n"
    "exit 0\n";

/* What the callbacks saw. */
struct seen {
	int	 delivered[8];
	int	 failed[8];
	char	*cause[8];
	int	 stop;		/* what tick answers */
};

static void
on_delivered(void *arg, size_t index, const struct message_result *r)
{
	struct seen	*s = arg;

	(void)r;
	s->delivered[index]++;
}

static void
on_failed(void *arg, size_t index, const char *cause)
{
	struct seen	*s = arg;

	s->failed[index]++;
	free(s->cause[index]);
	s->cause[index] = cause != NULL ? xstrdup(cause) : NULL;
}

static int
on_tick(void *arg)
{
	struct seen	*s = arg;

	return s->stop;
}

/* Feed message index through the sink as lines; complete or not. */
static void
drive(struct delivery *d, size_t index, const char *text, int complete)
{
	const char	*nl;

	if (delivery_sink.begin(d, index) == 0) {
		for (; (nl = strchr(text, '\n')) != NULL; text = nl + 1)
			delivery_sink.data(d, text, (size_t)(nl - text), 1);
	}
	delivery_sink.end(d, index, complete, NULL);
}

/* Whether dir/out.NAME exists and holds text after our two fields. */
static int
delivered_as(const char *name, const char *text)
{
	char	 path[128], buf[4096];
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof(path), "%s/out.%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	n = strlen(buf) - strlen(text);
	return strlen(buf) >= strlen(text) && strcmp(buf + n, text) == 0;
}

static void
test_size(void)
{
	ok(delivery_size_agrees(12, 8, 2), "CRLF size");
	ok(delivery_size_agrees(10, 8, 2), "LF size");
	ok(delivery_size_agrees(9, 8, 2), "LF size, last line without end");
	ok(delivery_size_agrees(10, 8, 2), "CRLF size, last line without end");
	ok(!delivery_size_agrees(8, 8, 2), "too small");
	ok(!delivery_size_agrees(13, 8, 2), "too large");
	ok(delivery_size_agrees(0, 0, 0), "empty");
	ok(!delivery_size_agrees(1000, 500, 10), "cut short");
	/* 100 lines of "xx" counted with LF (300), 80 of them arrived */
	ok(!delivery_size_agrees(300, 160, 80), "cut short by lines, LF");
	ok(!delivery_size_agrees(400, 200, 90), "cut short by lines, CRLF");
	ok(delivery_size_agrees(400, 200, 100), "whole, CRLF");
}

static void
test_sink(void)
{
	static const char *const texts[] = {
		"To: a@x.example\n\nbody a\n",
		"To: b@x.example\n\nbody b\n",
		"To: c@x.example\n\nbody c\n",
		"To: fail@x.example\n\nbody d\n",
		"To: e@x.example\n\nbody e\n",
		"To: f@x.example\n\nbody f\n",
	};
	struct driver_message	 list[6];
	struct delivery_params	 params;
	struct delivery		*d;
	struct seen		 s;
	char			 path[128];
	size_t			 i;
	FILE			*f;
	int			 n, peak = 0;

	memset(&s, 0, sizeof(s));
	memset(list, 0, sizeof(list));
	for (i = 0; i < 6; i++) {
		snprintf(list[i].uid, sizeof(list[i].uid), "u%zu", i);
		list[i].size = strlen(texts[i]) + 3;	/* CRLF */
	}
	list[4].size = 1000;	/* the server says more than it sends */
	memset(&params, 0, sizeof(params));
	params.message.account = "acct";
	params.message.host = "pop.example";
	params.message.protocol = "POP3";
	params.message.postmaster = "postmaster@here.example";
	params.message.fallback = "fallback@here.example";
	params.message.key = key;
	params.sendmail_argv = sendmail_argv;
	params.spool_directory = dir;
	params.timeout = 10;
	params.max_sendmail = 2;
	params.list = list;
	params.delivered = on_delivered;
	params.failed = on_failed;
	params.tick = on_tick;
	params.arg = &s;
	d = delivery_new(&params);
	drive(d, 0, texts[0], 1);
	drive(d, 1, texts[1], 1);
	drive(d, 2, texts[2], 0);
	drive(d, 3, texts[3], 1);
	drive(d, 4, texts[4], 1);
	delivery_drain(d);
	s.stop = 1;
	drive(d, 5, texts[5], 1);
	delivery_free(d);

	ok(s.delivered[0] == 1 && s.delivered[1] == 1, "two delivered");
	ok(delivered_as("a@x.example", "To: a@x.example\n\nbody a\n") &&
	    delivered_as("b@x.example", "To: b@x.example\n\nbody b\n"),
	    "sendmail read them whole");
	ok(s.failed[2] == 1 && s.cause[2] != NULL &&
	    strcmp(s.cause[2], "retrieval incomplete") == 0,
	    "an incomplete one fails");
	ok(!delivered_as("c@x.example", ""), "and never reaches sendmail");
	ok(s.failed[3] == 1 && s.cause[3] != NULL &&
	    strstr(s.cause[3], "status 75") != NULL, "a sendmail failure: %s",
	    s.cause[3] != NULL ? s.cause[3] : "");
	ok(s.failed[4] == 1 && s.cause[4] != NULL &&
	    strstr(s.cause[4], "announced 1000") != NULL &&
	    strstr(s.cause[4], "27 arrived") != NULL,
	    "a size mismatch names both sizes: %s",
	    s.cause[4] != NULL ? s.cause[4] : "");
	ok(!delivered_as("e@x.example", ""), "and never reaches sendmail");
	ok(s.delivered[5] == 0 && s.failed[5] == 0 &&
	    !delivered_as("f@x.example", ""), "a stopped poll starts nothing");
	snprintf(path, sizeof(path), "%s/running", dir);
	if ((f = fopen(path, "r")) != NULL) {
		while (fscanf(f, "%d", &n) == 1)
			peak = n > peak ? n : peak;
		fclose(f);
	}
	is_int(peak, 2, "two sendmails ran at once, never more");
	for (i = 0; i < 8; i++)
		free(s.cause[i]);

	/* sessions, and a sendmail that cannot be started: the poll stops */
	memset(&s, 0, sizeof(s));
	params.sessions = 1;
	params.sendmail_argv = missing;
	list[0].size = 17;	/* "To: a@x.example" CR LF */
	d = delivery_new(&params);
	ok(delivery_sink.begin(d, 0) == 0, "the first message is started");
	delivery_sink.data(d, "To: a@x.example", 15, 1);
	ok(delivery_sink.end(d, 0, 1, NULL) != 0, "no sendmail: the retrieval "
	    "stops");
	ok(s.failed[0] == 1 && s.cause[0] != NULL &&
	    strstr(s.cause[0], "cannot execute") != NULL,
	    "the message fails with the cause: %s",
	    s.cause[0] != NULL ? s.cause[0] : "");
	ok(delivery_sink.begin(d, 1) != 0, "and no other is started");
	delivery_sink.end(d, 1, 0, "-ERR not now");
	ok(s.failed[1] == 0 && s.delivered[1] == 0, "nor reported");
	delivery_free(d);
	free(s.cause[0]);

	/* sessions asked of a sendmail that knows only -i: it still works */
	memset(&s, 0, sizeof(s));
	params.sendmail_argv = sendmail_argv;
	params.timeout = 1;
	d = delivery_new(&params);
	drive(d, 0, "To: g@x.example\n", 1);
	delivery_free(d);
	ok(s.delivered[0] == 1 && delivered_as("g@x.example",
	    "To: g@x.example\n"), "no SMTP greeting: one sendmail -i per "
	    "message instead");
	free(s.cause[0]);
}

int
main(void)
{
	test_dir(dir);
	snprintf(script, sizeof(script), "%s/sendmail", dir);
	test_write(script, fake_sendmail, 0755);
	test_size();
	test_sink();
	test_dir_remove(dir);
	return done_testing();
}
