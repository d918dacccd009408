/*
 * libFuzzer target for common/schedule.c: arbitrary bytes parsed as a
 * schedule. A refused text gets a cause of one printable line; for an
 * accepted one, the next allowed time after an instant taken from the
 * input (in a zone with clock changes) is -1 or an allowed time at or
 * after it, and within the 8 days schedule_next promises to search.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schedule.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether cause is one line of printable ASCII. */
static int
one_line(const char *cause)
{
	for (; *cause != '\0'; cause++) {
		if (*cause < ' ' || *cause > '~')
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 zone_set;
	struct schedule	 schedule;
	char		*text, *cause = NULL;
	uint32_t	 seconds = 1774740000;	/* 2026-03-28 23:20 UTC */
	time_t		 t, next;

	if (!zone_set) {
		setenv("TZ", "Europe/Warsaw", 1);
		tzset();
		zone_set = 1;
	}
	/* The first 4 bytes, if the input starts with '@', are the time. */
	if (size >= 5 && data[0] == '@') {
		memcpy(&seconds, data + 1, sizeof(seconds));
		data += 5;
		size -= 5;
	}
	/* an exact-size copy, so ASan sees any read past the NUL */
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (schedule_parse(text, &schedule, &cause) != 0) {
		if (cause == NULL || cause[0] == '\0' || !one_line(cause))
			abort();
		free(cause);
		free(text);
		return 0;
	}
	if (cause != NULL)
		abort();
	t = (time_t)seconds;
	next = schedule_next(&schedule, t);
	if (next != -1 && (next < t || next > t + 8 * 86400 ||
	    !schedule_allows(&schedule, next)))
		abort();
	if (schedule_allows(&schedule, t) && next != t)
		abort();
	free(text);
	return 0;
}
