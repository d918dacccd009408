/*
 * The milter's per-message logic out of memory (milter/message.c, the
 * X-Postfetch-Recipients parser, milter/rewrite.c): the allocations of one
 * message (a forged tag, a good one, the recipients it is bound to, an
 * envelope to rewrite) fail one at a time, and each time the failure is
 * told (nomem, MESSAGE_NOMEM, -1), never taken for an answer (no tag, no
 * account, a recipient kept as it was); the next message works. Under ASan,
 * LeakSanitizer shows that the failure paths free what they took. The
 * allocator calls are wrapped by the linker (-Wl,--wrap, see Makefile).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../milter/message.h"
#include "../../milter/rewrite.h"
#include "tap.h"

void	*__real_malloc(size_t);
void	*__real_calloc(size_t, size_t);
void	*__real_realloc(void *, size_t);
void	*__real_reallocarray(void *, size_t, size_t);
char	*__real_strdup(const char *);
char	*__real_strndup(const char *, size_t);
int	 __real_vasprintf(char **, const char *, va_list);
void	*__wrap_malloc(size_t);
void	*__wrap_calloc(size_t, size_t);
void	*__wrap_realloc(void *, size_t);
void	*__wrap_reallocarray(void *, size_t, size_t);
char	*__wrap_strdup(const char *);
char	*__wrap_strndup(const char *, size_t);
int	 __wrap_vasprintf(char **, const char *, va_list);
int	 __wrap_asprintf(char **, const char *, ...);

static long	calls;		/* allocations since the count was reset */
static long	fail_at = -1;	/* the one that fails, or -1 */

/* Whether this allocation is the one that fails. */
static int
failing(void)
{
	return calls++ == fail_at;
}

void *
__wrap_malloc(size_t size)
{
	return failing() ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t count, size_t size)
{
	return failing() ? NULL : __real_calloc(count, size);
}

void *
__wrap_realloc(void *p, size_t size)
{
	return failing() ? NULL : __real_realloc(p, size);
}

void *
__wrap_reallocarray(void *p, size_t count, size_t size)
{
	return failing() ? NULL : __real_reallocarray(p, count, size);
}

char *
__wrap_strdup(const char *s)
{
	return failing() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return failing() ? NULL : __real_strndup(s, n);
}

int
__wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
	if (failing()) {
		*out = NULL;
		return -1;
	}
	return __real_vasprintf(out, fmt, ap);
}

int
__wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = __wrap_vasprintf(out, fmt, ap);
	va_end(ap);
	return n;
}

static const unsigned char key[TAG_KEY_LEN] = {
	9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6,
	7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
};

#define ID	"nomem@remote.example"
static char *const wanted[] = { "p.maly@provider.example",
    "who@provider.example", "local@example.com" };

/* A tag is reported as bad: with memory, the forged one alone. */
static void
report(void *arg, const char *value, const char *cause)
{
	(void)value;
	(void)cause;
	(*(int *)arg)++;
}

/* The directory: account shop with an alias and a fallback; one local. */
static struct directory *
directory(void)
{
	struct account	*accounts;
	char		**locals;

	accounts = calloc(2, sizeof *accounts);
	locals = calloc(2, sizeof *locals);
	accounts[0].name = strdup("shop");
	accounts[0].fallback = strdup("fallback@example.com");
	accounts[0].aliases = calloc(1, sizeof *accounts[0].aliases);
	accounts[0].aliases[0].remote = strdup("p.maly@provider.example");
	accounts[0].aliases[0].local = strdup("pavel.maly@example.com");
	accounts[0].naliases = 1;
	accounts[1].name = strdup("etrn");
	accounts[1].etrn = 1;
	accounts[1].domain = strdup("etrn.example");
	locals[0] = strdup("local@example.com");
	return directory_new(accounts, 2, locals, 1);
}

/*
 * One tagged message through the logic, as glue_eom takes it. Returns 0
 * with the right answer, -1 when out of memory was told, 1 for a wrong
 * answer.
 */
static int
one_message(const struct directory *dir, const char *tag)
{
	struct message		*message;
	struct rewrite_result	 result;
	char			 account[TAG_VALUE_MAX], folder[TAG_VALUE_MAX];
	char			*etrn[] = { "<sales@etrn.example>" };
	int			 bad = 0, rc, involved;

	if ((message = message_new()) == NULL)
		return -1;
	message_recipient(message, "<postmaster>");
	message_header(message, "Subject", "hello");
	message_header(message, TAG_HEADER, "shop; t=1; mac=00");
	message_header(message, TAG_HEADER, tag);
	message_header(message, RECIPIENTS_HEADER, " <p.maly@provider.example>,"
	    "\r\n\t<who@provider.example>, <local@example.com>");
	message_header(message, "Message-ID", "<" ID ">");
	message_header(message, MESSAGE_ORIGINAL, "rfc822;x@y");
	if (message->nomem) {
		message_free(message);
		return -1;
	}
	rc = message_account(message, key, time(NULL), account,
	    sizeof account, folder, sizeof folder, report, &bad);
	if (rc == MESSAGE_NOMEM) {
		message_free(message);
		return -1;
	}
	if (rc != 0 || bad != 1 || strcmp(account, "shop") != 0 ||
	    message->wanted.count != 3) {
		message_free(message);
		return 1;
	}
	if (rewrite_recipients(dir, directory_account(dir, account),
	    "postmaster", message->wanted.list, message->wanted.count,
	    &result) != 0) {
		message_free(message);
		return -1;
	}
	rc = result.nadd == 2 && result.nchanges == 2 &&
	    strcmp(result.add[0], "pavel.maly@example.com") == 0 &&
	    strcmp(result.add[1], "fallback@example.com") == 0 &&
	    result.remove[0] && result.remove[1] && !result.remove[2] ? 0 : 1;
	rewrite_result_free(&result);
	message_free(message);
	if (rc != 0)
		return rc;
	/* SMTP mail for an ETRN domain: out of memory counts as a yes. */
	involved = rewrite_involves(dir, etrn, 1);
	return involved == 1 ? 0 : involved == -1 ? -1 : 1;
}

int
main(void)
{
	struct directory	*dir;
	char			 binding[TAG_BINDING_HEX + 1];
	char			 tag[TAG_VALUE_MAX + 1];
	long			 n, total, told = 0, wrong = 0;
	int			 rc;

	if ((dir = directory()) == NULL ||
	    tag_binding(ID, wanted, 3, binding) != 0 ||
	    tag_sign(key, "shop", NULL, binding, time(NULL), tag,
	    sizeof tag) != 0) {
		ok(0, "set-up");
		return 1;
	}
	calls = 0;
	is_int(one_message(dir, tag), 0, "with memory: the right answer");
	total = calls;
	ok(total > 10, "a message takes %ld allocations", total);
	for (n = 0; n < total; n++) {
		calls = 0;
		fail_at = n;
		rc = one_message(dir, tag);
		fail_at = -1;
		if (rc == -1)
			told++;
		else if (rc == 1) {
			wrong++;
			diag("allocation %ld failing: a wrong answer", n);
		}
		/* The next message, with memory, works. */
		if (one_message(dir, tag) != 0) {
			wrong++;
			diag("after allocation %ld failed: the next one fails", n);
		}
	}
	is_int(wrong, 0, "no allocation failure gives a wrong answer");
	is_int(told, total, "every failure told as out of memory");
	directory_free(dir);
	return done_testing();
}
