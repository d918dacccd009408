/* The status command: one line per account from its status columns. */
#include <stdio.h>
#include <string.h>

#include "store.h"

#define STATUS_TIME(column) \
	"coalesce(to_char(" column ", 'YYYY-MM-DD HH24:MI:SS'), '-')"

/* Column numbers of the status query. */
enum {
	COL_NAME, COL_STATE, COL_PROTOCOL, COL_HOST, COL_LAST, COL_RESULT,
	COL_ERROR, COL_MESSAGES, COL_SKIPPED, COL_FAILURES, COL_NEXT, COL_COUNT
};

const struct db_statement status_statements[] = {
	{ "status",
	  "SELECT name, CASE WHEN active THEN 'active' ELSE 'inactive' END,"
	  " protocol, coalesce(host, '-'), " STATUS_TIME("last_poll_start") ","
	  " coalesce(last_result, '-'), last_error,"
	  " coalesce(messages_total, 0),"
	  " (SELECT count(*) FROM postfetch.skipped s"
	  "  WHERE s.account_id = account.id),"
	  " coalesce(consecutive_failures, 0),"
	  " CASE WHEN active THEN " STATUS_TIME("next_poll") " ELSE '-' END"
	  " FROM postfetch.account ORDER BY name", 0 },
	{ NULL, NULL, 0 }
};

static const char *const status_titles[COL_COUNT] = {
	"ACCOUNT", "STATE", "PROTOCOL", "HOST", "LAST POLL", "RESULT", NULL,
	"MESSAGES", "SKIPPED", "FAILURES", "NEXT POLL"
};

/* Print one row (res NULL: the titles) in columns of the given widths. */
static void
status_line(FILE *out, const PGresult *res, int row, const int *width)
{
	const char	*value;
	int		 column;

	for (column = 0; column < COL_COUNT; column++) {
		if (column == COL_ERROR)
			continue;
		value = res == NULL ? status_titles[column] :
		    PQgetvalue(res, row, column);
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
status_print(struct db *db, FILE *out, char **cause)
{
	PGresult	*res;
	int		 width[COL_COUNT], row, column, len;

	if ((res = db_exec(db, "status", 0, NULL, cause)) == NULL)
		return -1;
	for (column = 0; column < COL_COUNT; column++) {
		width[column] = 0;
		if (status_titles[column] != NULL)
			width[column] = (int)strlen(status_titles[column]);
		for (row = 0; row < PQntuples(res); row++) {
			len = PQgetlength(res, row, column);
			if (len > width[column])
				width[column] = len;
		}
	}
	status_line(out, NULL, 0, width);
	for (row = 0; row < PQntuples(res); row++)
		status_line(out, res, row, width);
	PQclear(res);
	return 0;
}
