/*
 * Unit tests for common/schedule.c: which texts parse (the table in
 * tests/unit/schedule_cases.txt, which the schema's test reads too) and
 * with what cause; which times a schedule allows and the next time it
 * does, in UTC and in Europe/Warsaw across both clock changes of 2026;
 * and, for every valid text of the table, that schedule_next finds the
 * first allowed minute, checked minute by minute.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "printable.h"
#include "schedule.h"
#include "tap.h"
#include "xmalloc.h"

#define CASES_FILE	"tests/unit/schedule_cases.txt"
#define WARSAW_FILE	"/usr/share/zoneinfo/Europe/Warsaw"

/* Times are written "YYYY-MM-DD HH:MM:SS +HHMM": exact in any zone. */
static const struct {
	const char	*zone;
	const char	*schedule;
	const char	*at;
	int		 allows;
	const char	*next;		/* "never": -1 */
} times[] = {
	/* 2026-06-01 is a Monday. */
	{ "UTC", "mon-fri 07:00-19:00", "2026-06-01 07:00:00 +0000", 1,
	  "2026-06-01 07:00:00 +0000" },
	{ "UTC", "mon-fri 07:00-19:00", "2026-06-01 06:59:30 +0000", 0,
	  "2026-06-01 07:00:00 +0000" },
	{ "UTC", "mon-fri 07:00-19:00", "2026-06-01 18:59:59 +0000", 1,
	  "2026-06-01 18:59:59 +0000" },
	{ "UTC", "mon-fri 07:00-19:00", "2026-06-01 19:00:00 +0000", 0,
	  "2026-06-02 07:00:00 +0000" },
	{ "UTC", "mon-fri 07:00-19:00", "2026-06-05 19:00:00 +0000", 0,
	  "2026-06-08 07:00:00 +0000" },
	{ "UTC", "mon-fri 07:00-19:00", "2026-06-06 12:34:56 +0000", 0,
	  "2026-06-08 07:00:00 +0000" },
	{ "UTC", "mon-fri 07:00-19:00, sat 08:00-12:00",
	  "2026-06-05 23:00:00 +0000", 0, "2026-06-06 08:00:00 +0000" },
	{ "UTC", "mon-fri 07:00-19:00, sat 08:00-12:00",
	  "2026-06-06 11:59:59 +0000", 1, "2026-06-06 11:59:59 +0000" },
	{ "UTC", "mon-fri 07:00-19:00, sat 08:00-12:00",
	  "2026-06-06 12:00:00 +0000", 0, "2026-06-08 07:00:00 +0000" },
	/* A window past midnight ends on the next day. */
	{ "UTC", "fri 22:00-06:00", "2026-06-05 21:59:59 +0000", 0,
	  "2026-06-05 22:00:00 +0000" },
	{ "UTC", "fri 22:00-06:00", "2026-06-05 23:59:59 +0000", 1,
	  "2026-06-05 23:59:59 +0000" },
	{ "UTC", "fri 22:00-06:00", "2026-06-06 05:59:00 +0000", 1,
	  "2026-06-06 05:59:00 +0000" },
	{ "UTC", "fri 22:00-06:00", "2026-06-06 06:00:00 +0000", 0,
	  "2026-06-12 22:00:00 +0000" },
	{ "UTC", "fri 22:00-06:00", "2026-06-04 23:00:00 +0000", 0,
	  "2026-06-05 22:00:00 +0000" },
	{ "UTC", "thu 22:00-00:00", "2026-06-04 23:59:00 +0000", 1,
	  "2026-06-04 23:59:00 +0000" },
	{ "UTC", "thu 22:00-00:00", "2026-06-05 00:00:00 +0000", 0,
	  "2026-06-11 22:00:00 +0000" },
	/* ... and from Saturday into Sunday, across the week's end. */
	{ "UTC", "sat 22:00-06:00", "2026-06-07 03:00:00 +0000", 1,
	  "2026-06-07 03:00:00 +0000" },
	{ "UTC", "sat 22:00-06:00", "2026-06-08 03:00:00 +0000", 0,
	  "2026-06-13 22:00:00 +0000" },
	/* A range of days across the weekend. */
	{ "UTC", "fri-mon 00:00-24:00", "2026-06-04 23:59:59 +0000", 0,
	  "2026-06-05 00:00:00 +0000" },
	{ "UTC", "fri-mon 00:00-24:00", "2026-06-07 12:00:00 +0000", 1,
	  "2026-06-07 12:00:00 +0000" },
	{ "UTC", "fri-mon 00:00-24:00", "2026-06-08 23:59:59 +0000", 1,
	  "2026-06-08 23:59:59 +0000" },
	{ "UTC", "fri-mon 00:00-24:00", "2026-06-09 10:00:00 +0000", 0,
	  "2026-06-12 00:00:00 +0000" },
	{ "UTC", "FRI-Mon 00:00-24:00", "2026-06-09 10:00:00 +0000", 0,
	  "2026-06-12 00:00:00 +0000" },
	{ "UTC", "sun-sat 12:00-13:00", "2026-06-03 13:00:00 +0000", 0,
	  "2026-06-04 12:00:00 +0000" },
	{ "UTC", "mon-mon 08:00-09:00", "2026-06-01 09:00:00 +0000", 0,
	  "2026-06-08 08:00:00 +0000" },
	/* Almost a whole week ahead. */
	{ "UTC", "mon 07:00-07:01", "2026-06-01 07:01:00 +0000", 0,
	  "2026-06-08 07:00:00 +0000" },
	{ "UTC", "sat 23:59-24:00", "2026-06-06 23:59:30 +0000", 1,
	  "2026-06-06 23:59:30 +0000" },
	{ "UTC", "sat 23:59-24:00", "2026-06-07 00:00:00 +0000", 0,
	  "2026-06-13 23:59:00 +0000" },
	{ "UTC", "mon 07:00-08:00, mon 09:00-10:00",
	  "2026-06-01 08:30:00 +0000", 0, "2026-06-01 09:00:00 +0000" },
	{ "UTC", "tue 08:00-10:00 12:00-14:00", "2026-06-02 10:00:00 +0000",
	  0, "2026-06-02 12:00:00 +0000" },
	/* Empty windows: never. */
	{ "UTC", "wed 08:00-08:00", "2026-06-03 08:00:00 +0000", 0,
	  "never" },
	{ "UTC", "wed 08:00-08:00, thu 00:00-00:00",
	  "2026-06-03 08:00:00 +0000", 0, "never" },
	{ "UTC", "always", "2026-06-03 08:00:07 +0000", 1,
	  "2026-06-03 08:00:07 +0000" },
	{ "UTC", "", "2026-06-03 08:00:07 +0000", 1,
	  "2026-06-03 08:00:07 +0000" },
	{ "UTC", NULL, "2026-06-03 08:00:07 +0000", 1,
	  "2026-06-03 08:00:07 +0000" },

	/* Local time: the windows follow the wall clock. */
	{ "Europe/Warsaw", "mon-fri 07:00-19:00", "2026-06-01 07:00:00 +0200",
	  1, "2026-06-01 07:00:00 +0200" },
	{ "Europe/Warsaw", "mon-fri 07:00-19:00", "2026-06-01 06:00:00 +0000",
	  1, "2026-06-01 08:00:00 +0200" },
	{ "Europe/Warsaw", "mon-fri 07:00-19:00", "2026-06-01 04:00:00 +0000",
	  0, "2026-06-01 07:00:00 +0200" },
	{ "Europe/Warsaw", "mon-fri 07:00-19:00", "2026-01-09 19:00:00 +0100",
	  0, "2026-01-12 07:00:00 +0100" },
	/*
	 * Spring, Sunday 2026-03-29: 02:00 CET becomes 03:00 CEST. The
	 * hour between is not there: a window in it is closed that day, and
	 * one that starts in it opens at 03:00.
	 */
	{ "Europe/Warsaw", "sun 02:00-02:30", "2026-03-28 12:00:00 +0100", 0,
	  "2026-04-05 02:00:00 +0200" },
	{ "Europe/Warsaw", "sun 02:00-03:00", "2026-03-29 03:00:00 +0200", 0,
	  "2026-04-05 02:00:00 +0200" },
	{ "Europe/Warsaw", "sun 02:00-04:00", "2026-03-29 00:00:00 +0100", 0,
	  "2026-03-29 03:00:00 +0200" },
	{ "Europe/Warsaw", "sun 03:00-04:00", "2026-03-29 01:30:00 +0100", 0,
	  "2026-03-29 03:00:00 +0200" },
	{ "Europe/Warsaw", "sun 04:00-05:00", "2026-03-29 01:30:00 +0100", 0,
	  "2026-03-29 04:00:00 +0200" },
	{ "Europe/Warsaw", "sat 23:00-01:30", "2026-03-29 01:29:59 +0100", 1,
	  "2026-03-29 01:29:59 +0100" },
	{ "Europe/Warsaw", "mon-fri 07:00-19:00", "2026-03-27 19:00:00 +0100",
	  0, "2026-03-30 07:00:00 +0200" },
	/*
	 * Autumn, Sunday 2026-10-25: 03:00 CEST becomes 02:00 CET. The hour
	 * between comes twice, and a window in it is open both times.
	 */
	{ "Europe/Warsaw", "sun 02:00-03:00", "2026-10-25 02:30:00 +0200", 1,
	  "2026-10-25 02:30:00 +0200" },
	{ "Europe/Warsaw", "sun 02:00-03:00", "2026-10-25 02:30:00 +0100", 1,
	  "2026-10-25 02:30:00 +0100" },
	{ "Europe/Warsaw", "sun 02:00-02:30", "2026-10-25 02:30:00 +0200", 0,
	  "2026-10-25 02:00:00 +0100" },
	{ "Europe/Warsaw", "sun 03:00-04:00", "2026-10-25 01:00:00 +0200", 0,
	  "2026-10-25 03:00:00 +0100" },
	{ "Europe/Warsaw", "mon-fri 07:00-19:00", "2026-10-23 19:00:00 +0200",
	  0, "2026-10-26 07:00:00 +0100" },
};

/* Switch the process to zone. */
static void
zone_set(const char *zone)
{
	if (setenv("TZ", zone, 1) != 0) {
		diag("setenv TZ failed");
		exit(1);
	}
	tzset();
}

/* "YYYY-MM-DD HH:MM:SS +HHMM" as a time_t, or -1. */
static time_t
time_parse(const char *text)
{
	struct tm	 tm;
	char		 sign;
	int		 offset;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(text, "%d-%d-%d %d:%d:%d %c%d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &sign,
	    &offset) != 8)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	offset = (offset / 100 * 60 + offset % 100) * 60;
	return timegm(&tm) - (sign == '-' ? -offset : offset);
}

/* t as local "YYYY-MM-DD HH:MM:SS +HHMM" (or "never") in buf. */
static const char *
time_format(time_t t, char *buf, size_t size)
{
	struct tm	 tm;

	if (t == -1)
		snprintf(buf, size, "never");
	else if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S %z", &tm) == 0)
		snprintf(buf, size, "(%lld)", (long long)t);
	return buf;
}

/* Undo the \t and \n escapes of the cases file in place. */
static void
unescape(char *s)
{
	char	*out = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && (s[1] == 't' || s[1] == 'n')) {
			*out++ = s[1] == 't' ? '\t' : '\n';
			s++;
		} else
			*out++ = *s;
	}
	*out = '\0';
}

/*
 * The valid texts of the cases file, collected for the exhaustive test
 * (NULL-terminated); every line is tested on the way.
 */
static char **
test_cases_file(void)
{
	char		 path[4096], line[1024], shown[1024], *text, *cause;
	char		*want, **valid;
	struct schedule	 schedule;
	const char	*top;
	FILE		*fp;
	size_t		 n = 0, lineno = 0, tested = 0;
	int		 rc, good;

	top = getenv("PF_TOP") != NULL ? getenv("PF_TOP") : ".";
	snprintf(path, sizeof(path), "%s/%s", top, CASES_FILE);
	if ((fp = fopen(path, "r")) == NULL) {
		ok(0, "open %s", path);
		return xcalloc(1, sizeof(char *));
	}
	valid = xcalloc(1, sizeof(char *));
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		good = strncmp(line, "ok|", 3) == 0;
		if (!good && strncmp(line, "bad|", 4) != 0) {
			ok(0, "%s:%zu: neither ok| nor bad|", path, lineno);
			continue;
		}
		text = line + (good ? 3 : 4);
		want = NULL;
		if (!good) {
			if ((want = strchr(text, '|')) == NULL) {
				ok(0, "%s:%zu: no cause", path, lineno);
				continue;
			}
			*want++ = '\0';
		}
		unescape(text);
		printable_copy(shown, sizeof(shown), text, strlen(text),
		    sizeof(shown) - 4);
		cause = NULL;
		rc = schedule_parse(text, &schedule, &cause);
		tested++;
		if (good) {
			if (!ok(rc == 0, "line %zu: \"%s\" is valid", lineno,
			    shown))
				diag("  cause: %s", cause);
			valid = xreallocarray(valid, n + 2, sizeof(*valid));
			valid[n++] = xstrdup(text);
			valid[n] = NULL;
		} else {
			ok(rc == -1, "line %zu: \"%s\" is refused", lineno,
			    shown);
			is_str(cause, want, "line %zu: the cause", lineno);
		}
		free(cause);
	}
	fclose(fp);
	ok(tested >= 60, "the cases file has at least 60 cases (%zu)",
	    tested);
	return valid;
}

/* The table of times, in its zones. */
static void
test_times(int warsaw)
{
	struct schedule	 schedule;
	char		 got[64], *cause;
	time_t		 at;
	size_t		 i;

	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		if (strcmp(times[i].zone, "UTC") != 0 && !warsaw)
			continue;
		zone_set(times[i].zone);
		cause = NULL;
		if (schedule_parse(times[i].schedule, &schedule, &cause) != 0) {
			ok(0, "%s parses: %s", times[i].schedule, cause);
			free(cause);
			continue;
		}
		at = time_parse(times[i].at);
		is_int(schedule_allows(&schedule, at), times[i].allows,
		    "%s: \"%s\" %s %s", times[i].zone,
		    times[i].schedule == NULL ? "(null)" : times[i].schedule,
		    times[i].allows ? "allows" : "excludes", times[i].at);
		is_str(time_format(schedule_next(&schedule, at), got,
		    sizeof(got)), times[i].next, "%s: \"%s\" after %s",
		    times[i].zone, times[i].schedule == NULL ? "(null)" :
		    times[i].schedule, times[i].at);
	}
}

/*
 * For every valid text and a spread of times across both clock changes:
 * schedule_next is allowed (or -1 when nothing ever is) and no minute
 * before it from the start is allowed.
 */
static void
test_exhaustive(char **valid, const char *zone)
{
	struct schedule	 schedule;
	time_t		 start, next, minute;
	char		*cause, got[64];
	size_t		 i, bad = 0, checked = 0;
	int		 k;
	static const char *const starts[] = {
		"2026-03-28 23:17:42 +0100", "2026-03-29 01:59:59 +0100",
		"2026-06-03 12:00:00 +0200", "2026-10-25 02:45:10 +0200",
		"2026-10-25 02:45:10 +0100",
	};

	zone_set(zone);
	for (i = 0; valid[i] != NULL; i++) {
		cause = NULL;
		if (schedule_parse(valid[i], &schedule, &cause) != 0) {
			free(cause);
			continue;
		}
		for (k = 0; k < (int)(sizeof(starts) / sizeof(starts[0]));
		    k++) {
			start = time_parse(starts[k]);
			next = schedule_next(&schedule, start);
			checked++;
			if (next == -1) {
				/* Never: no minute of the next 8 days. */
				for (minute = start; minute < start +
				    8 * 86400 && !schedule_allows(&schedule,
				    minute); minute += 60)
					;
				if (minute < start + 8 * 86400) {
					bad++;
					diag("\"%s\" from %s: never, but %s is "
					    "allowed", valid[i], starts[k],
					    time_format(minute, got,
					    sizeof(got)));
				}
				continue;
			}
			if (next < start || !schedule_allows(&schedule,
			    next)) {
				bad++;
				diag("\"%s\" from %s: %s is not allowed",
				    valid[i], starts[k], time_format(next, got,
				    sizeof(got)));
				continue;
			}
			/* Minutes start at whole minutes of UTC here. */
			for (minute = start - start % 60 + 60; minute < next;
			    minute += 60) {
				if (schedule_allows(&schedule, minute)) {
					bad++;
					diag("\"%s\" from %s: %s is allowed, "
					    "before %s", valid[i], starts[k],
					    time_format(minute, got,
					    sizeof(got)), time_format(next,
					    got + 32, 32));
					break;
				}
			}
		}
	}
	is_int(bad, 0, "%s: %zu searches find the first allowed minute", zone,
	    checked);
}

int
main(void)
{
	struct schedule	 schedule;
	char		**valid;
	int		 warsaw;

	valid = test_cases_file();

	/* What the cases file cannot say. */
	ok(schedule_parse(NULL, &schedule, NULL) == 0 && schedule.always,
	    "NULL is always");
	ok(schedule_parse("mon 07:00-08:00", &schedule, NULL) == 0 &&
	    !schedule.always, "a window is not always");

	warsaw = access(WARSAW_FILE, R_OK) == 0;
	test_times(warsaw);
	zone_set("UTC");
	is_int(schedule_next(&schedule, -1), -1, "no next before 1970");
	test_exhaustive(valid, "UTC");
	if (warsaw)
		test_exhaustive(valid, "Europe/Warsaw");
	else
		ok(1, "# SKIP %s is not installed", WARSAW_FILE);
	xfreev(valid);
	return done_testing();
}
