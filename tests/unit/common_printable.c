/*
 * Unit tests for common/printable.c: what a copy of peer bytes looks
 * like in a log line.
 */
#include <string.h>

#include "printable.h"
#include "tap.h"

static const struct {
	const char	*name;
	const char	*data;
	size_t		 len;
	size_t		 size;
	size_t		 max;
	const char	*want;
} cases[] = {
	{ "plain text", "+OK ready", 9, 64, 50, "+OK ready" },
	{ "controls, DEL, NUL and 8-bit", "a\033[2J\177\0\303\251z", 10, 64, 50,
	  "a?[2J????z" },
	{ "cut at max", "0123456789", 10, 64, 4, "0123..." },
	{ "cut to fit the buffer", "0123456789", 10, 8, 50, "0123..." },
	{ "exactly max", "0123", 4, 64, 4, "0123" },
	{ "empty", "", 0, 8, 50, "" },
};

int
main(void)
{
	char	 buf[64];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		printable_copy(buf, cases[i].size, cases[i].data, cases[i].len,
		    cases[i].max);
		is_str(buf, cases[i].want, "%s", cases[i].name);
	}
	return done_testing();
}
