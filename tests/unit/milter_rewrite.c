/* Unit tests of milter/rewrite.c: recipient rewriting against a fixed directory. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../milter/rewrite.h"
#include "tap.h"
#include "xmalloc.h"

#define POSTMASTER	"postmaster@example.com"

/* One account of the fixture, aliases as "remote=local" pairs. */
struct fixture_account {
	const char	*name;
	int		 etrn;
	const char	*domain;
	const char	*fallback;
	const char	*deliver_to;	/* single-drop */
	const char	*aliases[12];
};

static const struct fixture_account fixture_accounts[] = {
	{ "shop", 0, NULL, "office@example.com", NULL, {
	    "p.maly@provider.example=pavel.maly@example.com",
	    "info@provider.example=anna@example.com",
	    "INFO@provider.example=bob@example.com",
	    "@catch.example=catchall@example.com",
	    "back@provider.example=someone@provider.example",
	    "Big@Provider.Example=Big@Example.com",
	    "twice@provider.example=local@example.com",
	    "a@provider.example=b@provider.example",
	    "b@provider.example=c@example.com",
	    NULL } },
	{ "plain", 0, NULL, NULL, NULL, { NULL } },
	{ "bounce", 0, "provider.example", "x@provider.example", NULL, { NULL } },
	{ "etrn1", 1, "Etrn.Example", NULL, NULL, {
	    "sales@etrn.example=sales@example.com", NULL } },
	{ "etrn2", 1, "other.example", "desk@example.com", NULL, { NULL } },
	{ "solo", 0, NULL, "office@example.com", "Anna.Solo@Solo.Example", {
	    "info@provider.example=anna.solo@solo.example", NULL } },
	{ "team", 0, NULL, NULL, "team@team.example", {
	    "team@team.example=anna@example.com",
	    "team@team.example=bob@example.com", NULL } },
	{ "solo-local", 0, NULL, NULL, "local@example.com", { NULL } },
	{ "solo-catch", 0, NULL, NULL, "drop@catch.example", {
	    "@catch.example=catchall@example.com", NULL } },
	{ "etrn-drop", 1, "drop.example", "desk@example.com", "box@drop.example",
	    { NULL } },
};

static const char *const fixture_locals[] = {
	"pavel.maly@example.com", "Local@Example.com", "keep@provider.example",
	"b@provider.example", "someone@etrn.example",
};

/* Build the fixture directory, as the cache would from SQL rows. */
static struct directory *
fixture(void)
{
	size_t		 n = sizeof fixture_accounts / sizeof *fixture_accounts;
	size_t		 nlocals = sizeof fixture_locals / sizeof *fixture_locals;
	struct account	*accounts;
	char		**locals, *pair, *equal;
	size_t		 i, j;

	accounts = xcalloc(n, sizeof *accounts);
	for (i = 0; i < n; i++) {
		const struct fixture_account *f = &fixture_accounts[i];

		accounts[i].id = (long long)i + 1;
		accounts[i].name = xstrdup(f->name);
		accounts[i].etrn = f->etrn;
		accounts[i].domain = f->domain ? xstrdup(f->domain) : NULL;
		accounts[i].fallback = f->fallback ? xstrdup(f->fallback) : NULL;
		accounts[i].deliver_to = f->deliver_to ?
		    xstrdup(f->deliver_to) : NULL;
		for (j = 0; f->aliases[j] != NULL; j++)
			;
		accounts[i].aliases = xcalloc(j + 1, sizeof *accounts[i].aliases);
		accounts[i].naliases = j;
		for (j = 0; f->aliases[j] != NULL; j++) {
			pair = xstrdup(f->aliases[j]);
			equal = strchr(pair, '=');
			*equal = '\0';
			accounts[i].aliases[j].remote = xstrdup(pair);
			accounts[i].aliases[j].local = xstrdup(equal + 1);
			free(pair);
		}
	}
	locals = xcalloc(nlocals, sizeof *locals);
	for (i = 0; i < nlocals; i++)
		locals[i] = xstrdup(fixture_locals[i]);
	/* Reverse the order, to show that directory_new sorts. */
	for (i = 0; i < nlocals / 2; i++) {
		char *t = locals[i];
		locals[i] = locals[nlocals - 1 - i];
		locals[nlocals - 1 - i] = t;
	}
	return directory_new(accounts, n, locals, nlocals);
}

/* Append a formatted item to the growing string *out. */
static void __attribute__((format(printf, 2, 3)))
append(char **out, const char *fmt, ...)
{
	char	*item, *joined;
	va_list	 ap;

	va_start(ap, fmt);
	if (vasprintf(&item, fmt, ap) == -1)
		abort();
	va_end(ap);
	xasprintf(&joined, "%s%s", *out, item);
	free(item);
	free(*out);
	*out = joined;
}

/*
 * The result as one string: "del <r>... | add <a>... | <from> -> <to> (why)..."
 * so that a table row can state the whole outcome.
 */
static char *
describe(char *const *recipients, const struct rewrite_result *result)
{
	const struct rewrite_change	*c;
	char				*out = xstrdup("del");
	size_t				 i;

	for (i = 0; i < result->nrecipients; i++)
		if (result->remove[i])
			append(&out, " %s", recipients[i]);
	append(&out, " | add");
	for (i = 0; i < result->nadd; i++)
		append(&out, " %s", result->add[i]);
	append(&out, " |");
	for (i = 0; i < result->nchanges; i++) {
		c = &result->changes[i];
		append(&out, " %s=%s->%s(%s)", c->account->name,
		    recipients[c->recipient], c->to,
		    rewrite_reason_name(c->reason));
	}
	return out;
}

/* One table row: account (NULL = by ETRN domain), recipients, outcome. */
struct test {
	const char	*what;
	const char	*account;
	const char	*recipients[6];
	const char	*want;
};

static const struct test tests[] = {
	{ "exact alias", "shop", { "<p.maly@provider.example>", NULL },
	    "del <p.maly@provider.example> | add pavel.maly@example.com |"
	    " shop=<p.maly@provider.example>->pavel.maly@example.com(alias)" },
	{ "case-insensitive remote", "shop", { "<P.Maly@PROVIDER.example>", NULL },
	    "del <P.Maly@PROVIDER.example> | add pavel.maly@example.com |"
	    " shop=<P.Maly@PROVIDER.example>->pavel.maly@example.com(alias)" },
	{ "alias stored in mixed case", "shop", { "<big@provider.example>", NULL },
	    "del <big@provider.example> | add Big@Example.com |"
	    " shop=<big@provider.example>->Big@Example.com(alias)" },
	{ "one remote to several locals", "shop", { "<info@provider.example>", NULL },
	    "del <info@provider.example> | add anna@example.com bob@example.com |"
	    " shop=<info@provider.example>->anna@example.com(alias)"
	    " shop=<info@provider.example>->bob@example.com(alias)" },
	{ "catch-all", "shop", { "<anyone@Catch.Example>", NULL },
	    "del <anyone@Catch.Example> | add catchall@example.com |"
	    " shop=<anyone@Catch.Example>->catchall@example.com(alias)" },
	{ "local recipient kept", "shop", { "<local@example.com>", NULL },
	    "del | add |" },
	{ "local in the remote domain kept", "shop",
	    { "<keep@provider.example>", NULL }, "del | add |" },
	{ "unknown to the fallback", "shop", { "<nobody@provider.example>", NULL },
	    "del <nobody@provider.example> | add office@example.com |"
	    " shop=<nobody@provider.example>->office@example.com(fallback)" },
	{ "unknown to the postmaster", "plain", { "<x@provider.example>", NULL },
	    "del <x@provider.example> | add " POSTMASTER " |"
	    " plain=<x@provider.example>->" POSTMASTER "(postmaster)" },
	{ "alias back to the remote domain refused", "shop",
	    { "<back@provider.example>", NULL },
	    "del <back@provider.example> | add office@example.com |"
	    " shop=<back@provider.example>->office@example.com(fallback)" },
	{ "fallback in the remote domain refused", "bounce",
	    { "<y@provider.example>", NULL },
	    "del <y@provider.example> | add " POSTMASTER " |"
	    " bounce=<y@provider.example>->" POSTMASTER "(postmaster)" },
	{ "alias to a listed local in the remote domain", "shop",
	    { "<a@provider.example>", NULL },
	    "del <a@provider.example> | add b@provider.example |"
	    " shop=<a@provider.example>->b@provider.example(alias)" },
	{ "alias target that is itself aliased is not rewritten again", "shop",
	    { "<a@provider.example>", "<b@provider.example>", NULL },
	    "del <a@provider.example> <b@provider.example> |"
	    " add b@provider.example c@example.com |"
	    " shop=<a@provider.example>->b@provider.example(alias)"
	    " shop=<b@provider.example>->c@example.com(alias)" },
	{ "duplicates collapsed", "shop",
	    { "<p.maly@provider.example>", "<pavel.maly@example.com>",
	      "<nobody@provider.example>", "<nobody2@provider.example>",
	      "<PAVEL.MALY@example.com>", NULL },
	    "del <p.maly@provider.example> <nobody@provider.example>"
	    " <nobody2@provider.example> <PAVEL.MALY@example.com> |"
	    " add office@example.com |"
	    " shop=<p.maly@provider.example>->pavel.maly@example.com(alias)"
	    " shop=<nobody@provider.example>->office@example.com(fallback)"
	    " shop=<nobody2@provider.example>->office@example.com(fallback)" },
	{ "alias to a recipient already there", "shop",
	    { "<twice@provider.example>", "<Local@example.com>", NULL },
	    "del <twice@provider.example> | add |"
	    " shop=<twice@provider.example>->local@example.com(alias)" },
	{ "no brackets as given", "shop", { "p.maly@provider.example", NULL },
	    "del p.maly@provider.example | add pavel.maly@example.com |"
	    " shop=p.maly@provider.example->pavel.maly@example.com(alias)" },
	{ "ETRN domain: alias", NULL, { "<SALES@etrn.example>", NULL },
	    "del <SALES@etrn.example> | add sales@example.com |"
	    " etrn1=<SALES@etrn.example>->sales@example.com(alias)" },
	{ "ETRN domain: local kept, unknown to postmaster, others untouched",
	    NULL, { "<someone@etrn.example>", "<who@etrn.example>",
	    "<friend@elsewhere.example>", "<x@other.example>", NULL },
	    "del <who@etrn.example> <x@other.example> |"
	    " add " POSTMASTER " desk@example.com |"
	    " etrn1=<who@etrn.example>->" POSTMASTER "(postmaster)"
	    " etrn2=<x@other.example>->desk@example.com(fallback)" },
	{ "single-drop: deliver_to kept, though neither aliased nor local",
	    "solo", { "<Anna.Solo@Solo.Example>", NULL }, "del | add |" },
	{ "single-drop: deliver_to matched in any case", "solo",
	    { "<ANNA.SOLO@solo.EXAMPLE>", NULL }, "del | add |" },
	{ "single-drop: other recipients still to the fallback", "solo",
	    { "<anna.solo@solo.example>", "<other@solo.example>", NULL },
	    "del <other@solo.example> | add office@example.com |"
	    " solo=<other@solo.example>->office@example.com(fallback)" },
	{ "single-drop: an alias of deliver_to comes first", "team",
	    { "<Team@team.example>", NULL },
	    "del <Team@team.example> | add anna@example.com bob@example.com |"
	    " team=<Team@team.example>->anna@example.com(alias)"
	    " team=<Team@team.example>->bob@example.com(alias)" },
	{ "single-drop: a catch-all of deliver_to's domain comes first",
	    "solo-catch", { "<drop@catch.example>", NULL },
	    "del <drop@catch.example> | add catchall@example.com |"
	    " solo-catch=<drop@catch.example>->catchall@example.com(alias)" },
	{ "single-drop: deliver_to that is also local kept once", "solo-local",
	    { "<local@example.com>", "<LOCAL@example.com>", NULL },
	    "del <LOCAL@example.com> | add |" },
	{ "single-drop: another account's deliver_to is not kept", "shop",
	    { "<anna.solo@solo.example>", NULL },
	    "del <anna.solo@solo.example> | add office@example.com |"
	    " shop=<anna.solo@solo.example>->office@example.com(fallback)" },
	{ "single-drop: an alias leading to deliver_to does not add it twice",
	    "solo", { "<info@provider.example>", "<anna.solo@solo.example>",
	    NULL },
	    "del <info@provider.example> | add |"
	    " solo=<info@provider.example>->anna.solo@solo.example(alias)" },
	{ "single-drop: only for a tagged message, not by ETRN domain", NULL,
	    { "<box@drop.example>", NULL },
	    "del <box@drop.example> | add desk@example.com |"
	    " etrn-drop=<box@drop.example>->desk@example.com(fallback)" },
	{ "no account: untouched", NULL,
	    { "<p.maly@provider.example>", "<a@example.com>", NULL },
	    "del | add |" },
	{ "null and bare recipients ignored", "shop", { "<>", "postmaster", NULL },
	    "del | add |" },
};

/* Run one table row. */
static void
run(const struct directory *directory, const struct test *t)
{
	const struct account	*account = NULL;
	struct rewrite_result	 result;
	char			*recipients[6], *got;
	size_t			 n;

	if (t->account != NULL &&
	    (account = directory_account(directory, t->account)) == NULL) {
		ok(0, "%s: account %s in the fixture", t->what, t->account);
		return;
	}
	for (n = 0; t->recipients[n] != NULL; n++)
		recipients[n] = (char *)t->recipients[n];
	rewrite_recipients(directory, account, POSTMASTER, recipients, n,
	    &result);
	got = describe(recipients, &result);
	is_str(got, t->want, "%s", t->what);
	free(got);
	rewrite_result_free(&result);
}

/* 100 recipients: 50 aliased to one address, 25 local, 25 unknown. */
static void
hundred(const struct directory *directory)
{
	struct rewrite_result	 result;
	char			*recipients[100];
	size_t			 i, removed = 0;

	for (i = 0; i < 100; i++) {
		if (i < 50)
			xasprintf(&recipients[i], "<u%zu@catch.example>", i);
		else if (i < 75)
			xasprintf(&recipients[i], "<%s>", i % 2 ?
			    "pavel.maly@example.com" : "local@example.com");
		else
			xasprintf(&recipients[i], "<n%zu@provider.example>", i);
	}
	rewrite_recipients(directory, directory_account(directory, "shop"),
	    POSTMASTER, recipients, 100, &result);
	for (i = 0; i < 100; i++)
		removed += result.remove[i];
	is_int(result.nchanges, 75, "100 recipients: 75 changes logged");
	is_int(removed, 98, "100 recipients: all but two distinct locals deleted");
	is_int(result.nadd, 2, "100 recipients: catch-all and fallback added once");
	is_str(result.add[0], "catchall@example.com", "100 recipients: catch-all");
	is_str(result.add[1], "office@example.com", "100 recipients: fallback");
	rewrite_result_free(&result);
	for (i = 0; i < 100; i++)
		free(recipients[i]);
}

int
main(void)
{
	struct directory	*directory = fixture();
	char			*bare;
	size_t			 i;

	for (i = 0; i < sizeof tests / sizeof *tests; i++)
		run(directory, &tests[i]);
	hundred(directory);

	ok(directory_account(directory, "nosuch") == NULL, "unknown account");
	ok(directory_account_bydomain(directory, "a@ETRN.example") ==
	    directory_account(directory, "etrn1"), "ETRN account by domain");
	ok(directory_account_bydomain(directory, "a@provider.example") == NULL,
	    "a POP3 account's domain does not match by domain");
	ok(directory_is_local(directory, "LOCAL@example.COM"), "local, any case");
	ok(!directory_is_local(directory, "other@example.com"), "not local");
	{
		char *mixed[] = { "<a@example.com>", "<b@ETRN.example>" };

		ok(rewrite_involves(directory, mixed, 2),
		    "a recipient in an ETRN domain involves its account");
		ok(!rewrite_involves(directory, mixed, 1),
		    "other recipients involve no account");
	}
	bare = rewrite_bare("<a@b>");
	is_str(bare, "a@b", "brackets stripped");
	free(bare);
	ok(rewrite_bare("<>") == NULL, "null recipient has no bare address");
	directory_free(directory);
	return done_testing();
}
