/* Unit tests for common/address.c: address lists, validity, normal form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "tap.h"
#include "xmalloc.h"

/* An address-list value and the valid addr-specs it must yield, joined
 * by single spaces. */
static const struct {
	const char	*value;
	const char	*want;
} list_cases[] = {
	{ "a@example.com", "a@example.com" },
	{ "  a@example.com  ", "a@example.com" },
	{ "a@example.com, b@example.org", "a@example.com b@example.org" },
	{ "a@example.com,b@example.org,,", "a@example.com b@example.org" },
	{ "John Doe <jd@example.com>", "jd@example.com" },
	{ "\"Doe, John\" <jd@example.com>, x@y.z", "jd@example.com x@y.z" },
	{ "\"a \\\"quoted\\\" name\" <q@example.com>", "q@example.com" },
	{ "\"\\\\\" <bs@example.com>", "bs@example.com" },
	{ "jd@example.com (John Doe)", "jd@example.com" },
	{ "(c) jd(x)@(y)example.com(z)", "jd@example.com" },
	{ "((nested (deep)) comment) a@b.c", "a@b.c" },
	{ "(unterminated ( comment a@b.c", "" },
	{ "(escaped \\) paren) a@b.c", "a@b.c" },
	{ "<a@b.c>", "a@b.c" },
	{ "<@route.example:a@b.c>", "a@b.c" },
	{ "<@r1.example,@r2.example:a@b.c>", "a@b.c" },
	{ "Friends: a@b.c, Bob <d@e.f>;, g@h.i", "a@b.c d@e.f g@h.i" },
	{ "undisclosed-recipients:;", "" },
	{ "Group:;, a@b.c", "a@b.c" },
	{ "a@b.c,\r\n\tb@c.d", "a@b.c b@c.d" },
	{ "a@b.c,\n b@c.d", "a@b.c b@c.d" },
	{ "john . doe @ example . com", "john.doe@example.com" },
	{ "\"john.doe\"@example.com", "john.doe@example.com" },
	{ "\"john,doe\"@example.com", "\"john,doe\"@example.com" },
	{ "\"john doe\"@example.com", "" },
	{ "A@Example.COM", "A@Example.COM" },
	{ "<a@b.c> trailing junk, d@e.f", "a@b.c d@e.f" },
	{ "<a@b.c, d@e.f>", "a@b.c d@e.f" },
	{ "<a@b.c", "a@b.c" },
	{ "a@b.c>", "a@b.c" },
	{ "<>", "" },
	{ "", "" },
	{ "   ", "" },
	{ ",,,;;;:::", "" },
	{ "Just A Name", "" },
	{ "John Doe jd@example.com", "" },
	{ "-oQ/tmp@evil.example", "" },
	{ "<-f@evil.example>", "" },
	{ "a@b.c;d@e.f", "a@b.c d@e.f" },
	{ "a@[192.0.2.1]", "" },
	{ "a@b..c", "" },
	{ "a@-b.c", "" },
	{ "a@b-.c", "" },
	{ "a@b.c.", "" },
	{ "@b.c", "" },
	{ "a@", "" },
	{ "a", "" },
	{ "a@b@c.d", "" },
	{ "\"unterminated@b.c", "" },
	{ "[unterminated literal a@b.c", "" },
	{ "a\\@b.c", "" },
	{ "a@b\x01.c", "" },
	{ "a@b.c\x7f", "" },
	{ "<<<a@b.c>>>", "" },
	{ ")a@b.c", "" },
	{ "a@b.c )", "" },
	{ "user+tag@sub.example.co.uk", "user+tag@sub.example.co.uk" },
	{ "o'brien@example.ie", "o'brien@example.ie" },
	{ "a.b..c@example.com", "a.b..c@example.com" },
	{ "root@localhost", "root@localhost" },
	{ "=?utf-8?q?J=C3=B6rg?= <j@example.de>", "j@example.de" },
	{ "\xc3\xa9l\xc3\xa8ve@example.fr", "\xc3\xa9l\xc3\xa8ve@example.fr" },
};

/* Strings and whether address_valid accepts them. */
static const struct {
	const char	*address;
	int		 valid;
} valid_cases[] = {
	{ "a@b", 1 },
	{ "a@b.c", 1 },
	{ "first.last@example.com", 1 },
	{ "x-y_z+w@mail-1.example.com", 1 },
	{ "\"a,b\"@example.com", 1 },
	{ "\"a b\"@example.com", 0 },
	{ "\"a\\\"b\"@example.com", 0 },
	{ "\"\"@example.com", 0 },
	{ "\"a@example.com", 0 },
	{ "", 0 },
	{ "@", 0 },
	{ "a@", 0 },
	{ "@b", 0 },
	{ "-a@b.c", 0 },
	{ "a-@b.c", 1 },
	{ "a b@c.d", 0 },
	{ "a\t@c.d", 0 },
	{ "a@c.d\n", 0 },
	{ "a@c.d ", 0 },
	{ "a@c_d.e", 0 },
	{ "a@.c", 0 },
	{ "a@c.", 0 },
	{ "a@c..d", 0 },
	{ "a@-c.d", 0 },
	{ "a@c-.d", 0 },
	{ "a@c-d.e", 1 },
	{ "a@[127.0.0.1]", 0 },
	{ "<a@b.c>", 0 },
	{ "a(b)@c.d", 0 },
	{ "a@b@c.d", 0 },
	{ "\"a@b\"@c.d", 1 },
};

/* Run address_list_parse and join the results with spaces. */
static char *
parse_joined(const char *value, size_t *returned)
{
	char	**list = NULL, *joined;
	size_t	 count = 0, i, len = 1;

	*returned = address_list_parse(value, &list, &count);
	for (i = 0; i < count; i++)
		len += strlen(list[i]) + 1;
	joined = xcalloc(1, len);
	for (i = 0; i < count; i++) {
		if (i > 0)
			strlcat(joined, " ", len);
		strlcat(joined, list[i], len);
		free(list[i]);
	}
	free(list);
	if (*returned != count)
		*returned = (size_t)-1;
	return joined;
}

static void
test_lists(void)
{
	size_t	 i, n;
	char	*got;

	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		got = parse_joined(list_cases[i].value, &n);
		is_str(got, list_cases[i].want, "list %zu: '%s'", i,
		    list_cases[i].value);
		free(got);
	}
}

static void
test_valid(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
		is_int(address_valid(valid_cases[i].address),
		    valid_cases[i].valid, "valid '%s'",
		    valid_cases[i].address);
}

/* What an administrator may set as deliver_to, fallback, postmaster. */
static const struct {
	const char	*address;
	int		 usable;
} usable_cases[] = {
	{ "postmaster", 1 },
	{ "pavel.maly", 1 },
	{ "root@example.com", 1 },
	{ "-oQ/tmp", 0 },
	{ "-postmaster", 0 },
	{ "", 0 },
	{ "<root@example.com>", 0 },
	{ "root example", 0 },
	{ "root@", 0 },
};

static void
test_usable(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(usable_cases) / sizeof(usable_cases[0]); i++)
		is_int(address_usable(usable_cases[i].address),
		    usable_cases[i].usable, "usable '%s'",
		    usable_cases[i].address);
	is_int(address_usable(NULL), 0, "usable NULL");
}

/* Appending to an existing list keeps what was there. */
static void
test_append(void)
{
	char	**list = NULL;
	size_t	 count = 0, i;

	is_int(address_list_parse("a@b.c", &list, &count), 1, "first append");
	is_int(address_list_parse("x, d@e.f, <g@h.i>", &list, &count), 2,
	    "second append counts only valid ones");
	is_int(count, 3, "three in all");
	is_str(list[0], "a@b.c", "kept first");
	is_str(list[2], "g@h.i", "appended last");
	for (i = 0; i < count; i++)
		free(list[i]);
	free(list);

	list = NULL;
	count = 0;
	is_int(address_list_split("ok@b.c, -bad@b.c, John Doe, <>", &list,
	    &count), 3, "split keeps invalid entries");
	is_str(list[1], "-bad@b.c", "split: invalid kept as found");
	is_str(list[2], "John Doe", "split: display name alone kept");
	for (i = 0; i < count; i++)
		free(list[i]);
	free(list);
}

/* Length limit, domain, list membership, lower-casing. */
static void
test_misc(void)
{
	static const char *const listed[] = { "a@x.example", "b@x.example" };
	char	 buf[400], *lower;

	memset(buf, 'a', sizeof(buf));
	memcpy(buf + ADDRESS_MAX - 4, "@b.c", 5);
	is_int((int)strlen(buf), ADDRESS_MAX, "254-byte address built");
	is_int(address_valid(buf), 1, "254 bytes is valid");
	memset(buf, 'a', sizeof(buf));
	memcpy(buf + ADDRESS_MAX - 3, "@b.c", 5);
	is_int(address_valid(buf), 0, "255 bytes is not");
	memset(buf, 'a', 64);
	memcpy(buf + 64, "@", 1);
	memset(buf + 65, 'b', 64);
	memcpy(buf + 129, ".c", 3);
	is_int(address_valid(buf), 0, "64-byte label refused");

	is_str(address_domain("a@b.c"), "b.c", "domain");
	is_str(address_domain("\"x@y\"@b.c"), "b.c", "domain after last @");
	ok(address_domain("nodomain") == NULL, "no domain");
	ok(address_listed(listed, 2, "B@x.Example"), "listed, any case");
	ok(!address_listed(listed, 2, "c@x.example"), "not listed");
	ok(!address_listed(listed, 0, "a@x.example"), "empty list");
	lower = address_lower("MiXeD@Example.COM");
	is_str(lower, "mixed@example.com", "lower");
	free(lower);
}

/* Skipping white space and comments: where each input resumes. */
static void
test_skip(void)
{
	static const struct {
		const char	*in;
		const char	*rest;
	} skips[] = {
		{ "", "" },
		{ "x y", "x y" },
		{ " \t\r\n x", "x" },
		{ "(a (b) c) \t(d)x", "x" },
		{ "(a \\) b) y", "y" },
		{ "(a (b) c", "" },
		{ "(a\\", "" },
		{ ") x", ") x" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(skips) / sizeof(skips[0]); i++)
		is_str(address_skip_cfws(skips[i].in), skips[i].rest,
		    "skip, row %zu", i);
}

/* Hostile input: long, deep, many; must finish quickly and not crash. */
static void
test_hostile(void)
{
	char	*big, **list = NULL;
	size_t	 n = 4 * 1024 * 1024, count = 0, i;

	big = xmalloc(n + 1);
	memset(big, '(', n);
	big[n] = '\0';
	is_int(address_list_parse(big, &list, &count), 0, "4 MB of '('");
	memset(big, '<', n);
	is_int(address_list_parse(big, &list, &count), 0, "4 MB of '<'");
	memset(big, '"', n);
	is_int(address_list_parse(big, &list, &count), 0, "4 MB of '\"'");
	memset(big, '\\', n);
	is_int(address_list_parse(big, &list, &count), 0, "4 MB of '\\'");
	memset(big, 'a', n);
	is_int(address_list_parse(big, &list, &count), 0, "4 MB atom");
	for (i = 0; i + 6 <= n; i += 6)
		memcpy(big + i, "a@b.c,", 6);
	big[i] = '\0';
	is_int(address_list_parse(big, &list, &count), i / 6,
	    "700k addresses");
	for (i = 0; i < count; i++)
		free(list[i]);
	free(list);
	free(big);
}

int
main(void)
{
	test_lists();
	test_valid();
	test_usable();
	test_append();
	test_misc();
	test_skip();
	test_hostile();
	return done_testing();
}
