/* Unit tests for common/recipients.c: the X-Postfetch-Recipients header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipients.h"
#include "tap.h"
#include "xmalloc.h"

/* Values that parse, and what they hold (one address a line). */
static const struct {
	const char	*value;
	const char	*want;		/* NULL: refused with cause */
	const char	*cause;
} values[] = {
	{ " <a@x.example>", "a@x.example\n", NULL },
	{ "<a@x.example>,<b@y.example>", "a@x.example\nb@y.example\n", NULL },
	{ " <a@x.example> ,\r\n\t<b@y.example> \r\n", "a@x.example\n"
	  "b@y.example\n", NULL },
	{ "<postmaster>", "postmaster\n", NULL },
	{ "", NULL, "no recipient" },
	{ " \r\n ", NULL, "no recipient" },
	{ "a@x.example", NULL, "not a list of <address>" },
	{ "<a@x.example", NULL, "not a list of <address>" },
	{ "<a@x.example>,", NULL, "a comma at the end" },
	{ "<a@x.example> <b@y.example>", NULL, "text after an address" },
	{ "<a b@x.example>", NULL, "not a usable address" },
	{ "<-o@x.example>", NULL, "not a usable address" },
	{ "<>", NULL, "not a usable address" },
	{ "<a<b@x.example>", NULL, "not a usable address" },
};

/* The list of r, one a line. */
static char *
joined(const struct recipients *r)
{
	char	*text = xstrdup(""), *more;
	size_t	 i;

	for (i = 0; i < r->count; i++) {
		more = xprintf("%s%s\n", text, r->list[i]);
		free(text);
		text = more;
	}
	return text;
}

static void
test_parse(void)
{
	struct recipients	 r;
	char			*cause, *got;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		memset(&r, 0, sizeof(r));
		cause = NULL;
		rc = recipients_parse(&r, values[i].value, &cause);
		if (values[i].want != NULL) {
			is_int(rc, 0, "parse %zu", i);
			got = joined(&r);
			is_str(got, values[i].want, "parse %zu: list", i);
			free(got);
		} else {
			is_int(rc, -1, "parse %zu refused", i);
			is_str(cause, values[i].cause, "parse %zu: cause", i);
			is_int(r.count, 0, "parse %zu: nothing kept", i);
		}
		free(cause);
		recipients_free(&r);
	}
}

/* Format n addresses, check the lines and fields, read them back. */
static void
round_trip(size_t n, size_t width)
{
	struct recipients	 r = { NULL, 0 };
	char			**list, *text, *line, *next, *value, *more;
	char			 *cause = NULL;
	size_t			  i, fields = 0, longest = 0, len;
	int			  bad = 0;

	list = xcalloc(n, sizeof(*list));
	for (i = 0; i < n; i++) {
		list[i] = xprintf("%0*zu@x.example", (int)width, i);
	}
	text = recipients_format(list, n);
	ok(text != NULL, "%zu addresses of %zu: formatted", n, width + 10);
	value = NULL;
	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		len = strlen(line);
		longest = len > longest ? len : longest;
		if (line[0] == '\t') {
			more = xprintf("%s\n%s", value, line);
			free(value);
			value = more;
			continue;
		}
		if (value != NULL) {
			bad |= strlen(value) > RECIPIENTS_FIELD_MAX;
			bad |= recipients_parse(&r, value, &cause) != 0;
			free(value);
		}
		bad |= strncmp(line, RECIPIENTS_HEADER ": ",
		    sizeof(RECIPIENTS_HEADER) + 1) != 0;
		value = xstrdup(line + sizeof(RECIPIENTS_HEADER));
		fields++;
	}
	if (value != NULL) {
		bad |= strlen(value) > RECIPIENTS_FIELD_MAX;
		bad |= recipients_parse(&r, value, &cause) != 0;
		free(value);
	}
	ok(!bad, "%zu addresses: well-formed fields within the limit", n);
	ok(longest <= (width + 10 + 4 > RECIPIENTS_LINE ?
	    sizeof(RECIPIENTS_HEADER) + width + 14 : RECIPIENTS_LINE),
	    "%zu addresses: lines folded (longest %zu)", n, longest);
	diag("%zu addresses: %zu fields", n, fields);
	is_int(r.count, n, "%zu addresses read back", n);
	for (i = 0; i < r.count && i < n; i++)
		bad |= strcmp(r.list[i], list[i]) != 0;
	ok(!bad, "%zu addresses: the same, in order", n);
	recipients_free(&r);
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	free(text);
}

static void
test_format(void)
{
	char	*one[] = { "a@x.example" }, *bad[] = { "a,b@x.example" };
	char	*text;

	text = recipients_format(one, 1);
	is_str(text, RECIPIENTS_HEADER ": <a@x.example>\n", "one address");
	free(text);
	ok(recipients_format(one, 0) == NULL, "no address: refused");
	ok(recipients_format(bad, 1) == NULL, "a ',' cannot be carried");
	ok(recipients_format(one, RECIPIENTS_MAX + 1) == NULL,
	    "more than RECIPIENTS_MAX: refused");
	round_trip(1, 1);
	round_trip(40, 2);
	round_trip(RECIPIENTS_MAX, 4);
	round_trip(RECIPIENTS_MAX, 240);
}

int
main(void)
{
	test_parse();
	test_format();
	return done_testing();
}
