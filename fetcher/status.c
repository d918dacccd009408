/*
 * The status command: one line per account from its status columns, the
 * fetcher holding it now (its running lease), the next poll moved to the
 * first time its schedule allows. Times are shown
 * in the local time zone, the one schedules are written in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "schedule.h"
#include "store.h"
#include "xmalloc.h"

#define STATUS_EPOCH(column) \
	"floor(extract(epoch FROM " column "))::bigint"

/* Column numbers of the status query. */
enum {
	COL_NAME, COL_STATE, COL_PROTOCOL, COL_HOST, COL_LAST, COL_RESULT,
	COL_ERROR, COL_MESSAGES, COL_SKIPPED, COL_FAILURES, COL_HOLDER,
	COL_NEXT, COL_COUNT,
	COL_SCHEDULE = COL_COUNT	/* read, not shown */
};

const struct db_statement status_statements[] = {
	{ "status",
	  "SELECT name, CASE WHEN active THEN 'active' ELSE 'inactive' END,"
	  " protocol, coalesce(host, '-'), " STATUS_EPOCH("last_poll_start") ","
	  " coalesce(last_result, '-'), last_error,"
	  " coalesce(messages_total, 0),"
	  " (SELECT count(*) FROM postfetch.skipped s"
	  "  WHERE s.account_id = account.id),"
	  " coalesce(consecutive_failures, 0),"
	  " CASE WHEN lease_until > now() THEN lease_owner ELSE '-' END,"
	  " CASE WHEN active THEN " STATUS_EPOCH("next_poll") " END,"
	  " schedule"
	  " FROM postfetch.account ORDER BY name", 0 },
	{ NULL, NULL, 0 }
};

static const char *const status_titles[COL_COUNT] = {
	"ACCOUNT", "STATE", "PROTOCOL", "HOST", "LAST POLL", "RESULT", NULL,
	"MESSAGES", "SKIPPED", "FAILURES", "HOLDER", "NEXT POLL"
};

/* The text of the two time columns of one row. */
struct status_times {
	char	 last[32];
	char	 next[32];
};

const char *
status_time(time_t t, char *buf, size_t size)
{
	struct tm	 tm;

	if (t == -1 || localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "never");
	return buf;
}

/* An epoch column as local time, "-" when NULL. */
static void
status_epoch(const PGresult *res, int row, int column, char *buf,
    size_t size)
{
	if (PQgetisnull(res, row, column))
		snprintf(buf, size, "-");
	else
		status_time((time_t)strtoll(PQgetvalue(res, row, column), NULL,
		    10), buf, size);
}

/*
 * The next poll of one row: next_poll (or now, if it is NULL or past)
 * moved to the first time the schedule allows. An account whose schedule
 * is always keeps the column as it is.
 */
static void
status_next(const PGresult *res, int row, const char *default_schedule,
    time_t now, char *buf, size_t size)
{
	struct schedule	 schedule;
	const char	*own;
	char		*cause = NULL;
	time_t		 next = now;

	status_epoch(res, row, COL_NEXT, buf, size);
	if (strcmp(PQgetvalue(res, row, COL_STATE), "active") != 0)
		return;
	own = PQgetisnull(res, row, COL_SCHEDULE) ? NULL :
	    PQgetvalue(res, row, COL_SCHEDULE);
	if (account_schedule(own, default_schedule, &schedule,
	    &cause) != 0) {
		log_warnx("account=%s: %s", PQgetvalue(res, row, COL_NAME),
		    cause);
		free(cause);
	}
	if (schedule.always)
		return;
	if (!PQgetisnull(res, row, COL_NEXT))
		next = (time_t)strtoll(PQgetvalue(res, row, COL_NEXT), NULL,
		    10);
	status_time(schedule_next(&schedule, next > now ? next : now), buf,
	    size);
}

/* The value shown in column of row (times from times). */
static const char *
status_value(const PGresult *res, int row, int column,
    const struct status_times *times)
{
	if (column == COL_LAST)
		return times->last;
	if (column == COL_NEXT)
		return times->next;
	return PQgetvalue(res, row, column);
}

/* Print one row (res NULL: the titles) in columns of the given widths. */
static void
status_line(FILE *out, const PGresult *res, int row,
    const struct status_times *times, const int *width)
{
	const char	*value;
	int		 column;

	for (column = 0; column < COL_COUNT; column++) {
		if (column == COL_ERROR)
			continue;
		value = res == NULL ? status_titles[column] :
		    status_value(res, row, column, times);
		if (column == COL_MESSAGES || column == COL_SKIPPED ||
		    column == COL_FAILURES)
			fprintf(out, "%*s  ", width[column], value);
		else if (column == COL_NEXT)
			fprintf(out, "%s", value);
		else
			fprintf(out, "%-*s  ", width[column], value);
	}
	if (res != NULL && !PQgetisnull(res, row, COL_ERROR))
		fprintf(out, "  (%s)", PQgetvalue(res, row, COL_ERROR));
	fputc('\n', out);
}

int
status_print(struct db *db, const char *default_schedule, FILE *out,
    char **cause)
{
	struct status_times	*times;
	PGresult		*res;
	time_t			 now = time(NULL);
	int			 width[COL_COUNT], row, rows, column, len;

	if ((res = db_exec(db, "status", 0, NULL, cause)) == NULL)
		return -1;
	rows = PQntuples(res);
	times = xcalloc(rows + 1, sizeof(*times));
	for (row = 0; row < rows; row++) {
		status_epoch(res, row, COL_LAST, times[row].last,
		    sizeof(times[row].last));
		status_next(res, row, default_schedule, now, times[row].next,
		    sizeof(times[row].next));
	}
	for (column = 0; column < COL_COUNT; column++) {
		width[column] = 0;
		if (status_titles[column] != NULL)
			width[column] = (int)strlen(status_titles[column]);
		for (row = 0; row < rows; row++) {
			len = (int)strlen(status_value(res, row, column,
			    &times[row]));
			if (len > width[column])
				width[column] = len;
		}
	}
	status_line(out, NULL, 0, NULL, width);
	for (row = 0; row < rows; row++)
		status_line(out, res, row, &times[row], width);
	free(times);
	PQclear(res);
	return 0;
}
