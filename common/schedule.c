/*
 * Schedules (schedule.h): the text of postfetch.account.schedule or the
 * default_schedule key parsed into one bit per minute of the week, and the
 * questions the fetcher asks of it: may this account be polled now, and
 * if not, when next. Local time comes from localtime_r, so a clock change
 * moves the windows with the wall clock: a window in the hour that spring
 * skips is not there that day, one in the hour that autumn repeats is
 * open twice.
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "printable.h"
#include "schedule.h"
#include "xmalloc.h"

#define SCHEDULE_DAY_MINUTES	(24 * 60)
#define SCHEDULE_QUOTE_MAX	40	/* bytes of a bad part in a cause */
#define SCHEDULE_HORIZON	(8 * 86400)	/* seconds schedule_next looks */
#define SCHEDULE_STEPS		64	/* clock changes it may cross */

/* Day names in struct tm order (tm_wday 0 is Sunday). */
static const char *const schedule_days[7] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

/* White space between the parts: what the schema's pattern calls [ \t]. */
static int
schedule_space(int c)
{
	return c == ' ' || c == '\t';
}

/* The length of the part at p: up to white space, a comma or the end. */
static size_t
schedule_part(const char *p)
{
	size_t	 len = 0;

	while (p[len] != '\0' && p[len] != ',' && !schedule_space(p[len]))
		len++;
	return len;
}

/* Set *cause to "\"PART\": why" with a printable, bounded copy of part. */
static int
schedule_fail(char **cause, const char *part, size_t len, const char *why)
{
	char	 quoted[SCHEDULE_QUOTE_MAX + 4];

	printable_copy(quoted, sizeof(quoted), part, len, SCHEDULE_QUOTE_MAX);
	xasprintf(cause, "\"%s\": %s", quoted, why);
	return -1;
}

/* A day name (three letters, any case): its tm_wday, or -1. */
static int
schedule_day(const char *p)
{
	int	 day;

	for (day = 0; day < 7; day++) {
		if (strncasecmp(p, schedule_days[day], 3) == 0)
			return day;
	}
	return -1;
}

/* A day or a range of days of len bytes into *first and *last. */
static int
schedule_parse_days(const char *p, size_t len, int *first, int *last)
{
	if (len == 3) {
		*first = *last = schedule_day(p);
		return *first == -1 ? -1 : 0;
	}
	if (len == 7 && p[3] == '-') {
		*first = schedule_day(p);
		*last = schedule_day(p + 4);
		return *first == -1 || *last == -1 ? -1 : 0;
	}
	return -1;
}

/* Two decimal digits at p: their value, or -1. */
static int
schedule_digits(const char *p)
{
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* HH:MM at p (digits only, any values) into *hour and *minute. */
static int
schedule_clock(const char *p, int *hour, int *minute)
{
	if (p[2] != ':')
		return -1;
	*hour = schedule_digits(p);
	*minute = schedule_digits(p + 3);
	return *hour == -1 || *minute == -1 ? -1 : 0;
}

/*
 * A window HH:MM-HH:MM of len bytes into *start and *end (minutes of the
 * day, end up to 24:00). Returns NULL, or why not.
 */
static const char *
schedule_parse_window(const char *p, size_t len, int *start, int *end)
{
	int	 start_hour, start_minute, end_hour, end_minute;

	if (len != 11 || p[5] != '-' ||
	    schedule_clock(p, &start_hour, &start_minute) != 0 ||
	    schedule_clock(p + 6, &end_hour, &end_minute) != 0)
		return "not a time window (HH:MM-HH:MM)";
	if (start_hour > 23 || start_minute > 59 ||
	    ((end_hour > 23 || end_minute > 59) &&
	    (end_hour != 24 || end_minute != 0)))
		return "no such time of day (00:00 to 23:59, and 24:00 as an "
		    "end)";
	*start = start_hour * 60 + start_minute;
	*end = end_hour * 60 + end_minute;
	return NULL;
}

/* Allow the minutes [from, to) of the week. */
static void
schedule_set(struct schedule *schedule, int from, int to)
{
	int	 minute;

	for (minute = from; minute < to; minute++)
		schedule->minutes[minute / 8] |= 1U << (minute % 8);
}

/* Allow a window from start to end (minutes of the day) on day. */
static void
schedule_window(struct schedule *schedule, int day, int start, int end)
{
	int	 base = day * SCHEDULE_DAY_MINUTES, next;

	if (start < end) {
		schedule_set(schedule, base + start, base + end);
	} else if (start > end) {
		/* Past midnight: the rest of the day, then into the next. */
		schedule_set(schedule, base + start,
		    base + SCHEDULE_DAY_MINUTES);
		next = (day + 1) % 7 * SCHEDULE_DAY_MINUTES;
		schedule_set(schedule, next, next + end);
	}
}

int
schedule_parse(const char *text, struct schedule *schedule, char **cause)
{
	const char	*p = text, *days, *why, *end = NULL;
	size_t		 len, days_len;
	int		 first, last, day, start, stop, windows;

	memset(schedule, 0, sizeof(*schedule));
	if (text != NULL) {
		while (schedule_space(*p))
			p++;
		end = p + strlen(p);
		while (end > p && schedule_space(end[-1]))
			end--;
	}
	if (text == NULL || p == end ||
	    (end - p == 6 && strncasecmp(p, "always", 6) == 0)) {
		schedule->always = 1;
		return 0;
	}
	for (;;) {
		/* One entry: days, then windows. */
		while (schedule_space(*p))
			p++;
		if (*p == ',' || *p == '\0') {
			*cause = xstrdup("empty entry (a \",\" with nothing "
			    "before or after it)");
			return -1;
		}
		days = p;
		days_len = schedule_part(p);
		if (days_len == 6 && strncasecmp(p, "always", 6) == 0)
			return schedule_fail(cause, p, days_len,
			    "must stand alone");
		if (schedule_parse_days(p, days_len, &first, &last) != 0)
			return schedule_fail(cause, p, days_len, "not a day or "
			    "a range of days (mon..sun, e.g. mon-fri)");
		p += days_len;
		for (windows = 0;; windows++) {
			while (schedule_space(*p))
				p++;
			if (*p == ',' || *p == '\0')
				break;
			len = schedule_part(p);
			if (windows > 0 && isalpha((unsigned char)*p))
				return schedule_fail(cause, p, len,
				    "a \",\" is missing before it");
			if ((why = schedule_parse_window(p, len, &start,
			    &stop)) != NULL)
				return schedule_fail(cause, p, len, why);
			for (day = first;; day = (day + 1) % 7) {
				schedule_window(schedule, day, start, stop);
				if (day == last)
					break;
			}
			p += len;
		}
		if (windows == 0)
			return schedule_fail(cause, days, days_len, "no time "
			    "window after the days (e.g. mon-fri 07:00-19:00)");
		if (*p == '\0')
			return 0;
		p++;		/* the comma */
	}
}

int
schedule_allows(const struct schedule *schedule, time_t t)
{
	struct tm	 tm;
	int		 minute;

	if (schedule->always)
		return 1;
	if (localtime_r(&t, &tm) == NULL)
		return 0;
	minute = tm.tm_wday * SCHEDULE_DAY_MINUTES + tm.tm_hour * 60 +
	    tm.tm_min;
	return (schedule->minutes[minute / 8] >> (minute % 8)) & 1;
}

/*
 * The number of minutes (1..SCHEDULE_WEEK_MINUTES) from minute of the
 * week to the next allowed one, or 0 if none is.
 */
static int
schedule_distance(const struct schedule *schedule, int minute)
{
	int	 step, next;

	for (step = 1; step <= SCHEDULE_WEEK_MINUTES; step++) {
		next = (minute + step) % SCHEDULE_WEEK_MINUTES;
		if ((schedule->minutes[next / 8] >> (next % 8)) & 1)
			return step;
	}
	return 0;
}

/* The offset from UTC at t, or LONG_MIN if localtime_r fails. */
static long
schedule_offset(time_t t)
{
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL)
		return LONG_MIN;
	return tm.tm_gmtoff;
}

time_t
schedule_next(const struct schedule *schedule, time_t t)
{
	struct tm	 tm;
	time_t		 limit, candidate, low, high, middle;
	int		 minute, distance, step;

	if (schedule->always)
		return t < 0 ? -1 : t;
	if (t < 0 || t > INTMAX_MAX - SCHEDULE_HORIZON ||
	    schedule_distance(schedule, 0) == 0)
		return -1;
	limit = t + SCHEDULE_HORIZON;
	/*
	 * Jump to the next allowed minute as the wall clock counts. If the
	 * offset from UTC is the same there, no clock change came between
	 * and the jump was right; if it is not, continue from the change.
	 */
	for (step = 0; step < SCHEDULE_STEPS && t <= limit; step++) {
		if (schedule_allows(schedule, t))
			return t;
		if (localtime_r(&t, &tm) == NULL)
			return -1;
		minute = tm.tm_wday * SCHEDULE_DAY_MINUTES + tm.tm_hour * 60 +
		    tm.tm_min;
		distance = schedule_distance(schedule, minute);
		candidate = t - tm.tm_sec + (time_t)distance * 60;
		if (schedule_offset(candidate) == tm.tm_gmtoff) {
			t = candidate;
			continue;
		}
		/* The first second of the new offset, in (t, candidate]. */
		low = t;
		high = candidate;
		while (high - low > 1) {
			middle = low + (high - low) / 2;
			if (schedule_offset(middle) == tm.tm_gmtoff)
				low = middle;
			else
				high = middle;
		}
		t = high;
	}
	return -1;
}
