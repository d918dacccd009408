/*
 * Schedules: the days of the week and the times of day at which an
 * account may be polled, in the local time zone of the process:
 *
 *	mon-fri 07:00-19:00, sat 08:00-12:00
 *
 * Entries are separated by commas; each is a day (mon..sun, any case) or
 * a range of days (mon-fri, or fri-mon across the weekend), white space,
 * and one or more windows HH:MM-HH:MM separated by white space. A window
 * ends at most at 24:00; one whose end is before its start runs past
 * midnight into the next day (fri 22:00-06:00 ends on Saturday at 06:00);
 * one whose end is its start is empty. "always", an empty text and NULL
 * allow every minute. postfetch.schedule_valid() in the schema accepts
 * exactly the same texts (tests/unit/schedule_cases.txt, read by both
 * tests).
 */
#ifndef SCHEDULE_H
#define SCHEDULE_H

#include <time.h>

#define SCHEDULE_WEEK_MINUTES	(7 * 24 * 60)

struct schedule {
	int		 always;	/* every minute, whatever the bits say */
	/* Bit m: minute m of the week, counted from Sunday 00:00 local. */
	unsigned char	 minutes[SCHEDULE_WEEK_MINUTES / 8];
};

/*
 * Parse text (NULL or empty: always) into *schedule. Returns 0, or -1
 * with *cause set to one line naming the bad part (*schedule is then
 * unusable).
 */
int	schedule_parse(const char *text, struct schedule *, char **cause);
/* Whether the schedule allows time t (local time of the process). */
int	schedule_allows(const struct schedule *, time_t t);
/*
 * The earliest time at or after t (t >= 0) that the schedule allows: t
 * itself when allowed, else the first second of an allowed minute, found
 * within 8 days. -1 if there is none (only empty windows, or only local
 * minutes that a clock change skips).
 */
time_t	schedule_next(const struct schedule *, time_t t);

#endif
