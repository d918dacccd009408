/*
 * Accounts: reading postfetch.account rows into struct account, and
 * freeing them (the password is wiped); which accounts their schedules
 * let a poll of all take now.
 */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "log.h"
#include "schedule.h"
#include "store.h"
#include "xmalloc.h"

#define ACCOUNT_COLUMNS \
	"id, name, active, protocol, host, port, tls, tls_verify, tls_seen," \
	" username, password, auth, keep, folders, deliver_to, fallback," \
	" domain, max_size, tls_fingerprint, mailbox_generation, schedule"

/* Column numbers in ACCOUNT_COLUMNS order. */
enum {
	COL_ID, COL_NAME, COL_ACTIVE, COL_PROTOCOL, COL_HOST, COL_PORT,
	COL_TLS, COL_TLS_VERIFY, COL_TLS_SEEN, COL_USERNAME, COL_PASSWORD,
	COL_AUTH, COL_KEEP, COL_FOLDERS, COL_DELIVER_TO, COL_FALLBACK,
	COL_DOMAIN, COL_MAX_SIZE, COL_TLS_FINGERPRINT, COL_MAILBOX_GENERATION,
	COL_SCHEDULE
};

const struct db_statement account_statements[] = {
	{ "account_get",
	  "SELECT " ACCOUNT_COLUMNS " FROM postfetch.account WHERE name = $1",
	  1 },
	{ "account_names",
	  "SELECT name FROM postfetch.account WHERE active ORDER BY name", 0 },
	{ "account_schedules",
	  "SELECT name, schedule FROM postfetch.account WHERE active"
	  " ORDER BY name", 0 },
	{ NULL, NULL, 0 }
};

/* A text column, or NULL when SQL NULL. */
static char *
column_string(const PGresult *res, int column)
{
	if (PQgetisnull(res, 0, column))
		return NULL;
	return xstrdup(PQgetvalue(res, 0, column));
}

static int
column_bool(const PGresult *res, int column)
{
	return !PQgetisnull(res, 0, column) &&
	    strcmp(PQgetvalue(res, 0, column), "t") == 0;
}

/* An integer column, 0 when NULL. */
static long long
column_number(const PGresult *res, int column)
{
	if (PQgetisnull(res, 0, column))
		return 0;
	return strtoll(PQgetvalue(res, 0, column), NULL, 10);
}

/*
 * Split a PostgreSQL text[] literal ({INBOX,"a b","x\"y"}) into a
 * NULL-terminated vector. Elements may be quoted with \ escapes.
 */
static char **
array_parse(const char *s)
{
	char	**list = NULL, *item;
	size_t	  count = 0, len;
	int	  quoted;

	if (*s == '{')
		s++;
	item = xmalloc(strlen(s) + 1);
	while (*s != '\0' && *s != '}') {
		len = 0;
		quoted = (*s == '"');
		if (quoted)
			s++;
		while (*s != '\0') {
			if (quoted && *s == '"') {
				s++;
				break;
			}
			if (!quoted && (*s == ',' || *s == '}'))
				break;
			if (quoted && *s == '\\' && s[1] != '\0')
				s++;
			item[len++] = *s++;
		}
		item[len] = '\0';
		list = xreallocarray(list, count + 2, sizeof(*list));
		list[count++] = xstrdup(item);
		if (*s == ',')
			s++;
	}
	free(item);
	list = xreallocarray(list, count + 1, sizeof(*list));
	list[count] = NULL;
	return list;
}

int
account_get(struct db *db, const char *name, struct account *account,
    int *active, char **cause)
{
	PGresult	*res;
	const char	*params[1] = { name };

	if ((res = db_exec(db, "account_get", 1, params, cause)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	memset(account, 0, sizeof(*account));
	account->id = column_number(res, COL_ID);
	account->name = column_string(res, COL_NAME);
	*active = column_bool(res, COL_ACTIVE);
	account->protocol = column_string(res, COL_PROTOCOL);
	account->host = column_string(res, COL_HOST);
	account->port = (int)column_number(res, COL_PORT);
	account->tls = column_string(res, COL_TLS);
	account->tls_verify = column_bool(res, COL_TLS_VERIFY);
	account->tls_seen = column_bool(res, COL_TLS_SEEN);
	account->username = column_string(res, COL_USERNAME);
	account->password = column_string(res, COL_PASSWORD);
	account->auth = column_string(res, COL_AUTH);
	account->keep = column_bool(res, COL_KEEP);
	account->folders = array_parse(PQgetisnull(res, 0, COL_FOLDERS) ?
	    "{}" : PQgetvalue(res, 0, COL_FOLDERS));
	account->deliver_to = column_string(res, COL_DELIVER_TO);
	account->fallback = column_string(res, COL_FALLBACK);
	account->domain = column_string(res, COL_DOMAIN);
	account->max_size = column_number(res, COL_MAX_SIZE);
	account->tls_fingerprint = column_string(res, COL_TLS_FINGERPRINT);
	account->mailbox_generation = column_number(res,
	    COL_MAILBOX_GENERATION);
	account->schedule = column_string(res, COL_SCHEDULE);
	/* libpq keeps its own copy of the row: wipe the password there. */
	if (!PQgetisnull(res, 0, COL_PASSWORD))
		explicit_bzero(PQgetvalue(res, 0, COL_PASSWORD),
		    PQgetlength(res, 0, COL_PASSWORD));
	PQclear(res);
	return 1;
}

int
account_find(struct db *db, const char *name, const char *verb,
    struct account *account, int *active)
{
	char	*cause = NULL;
	int	 rc;

	if ((rc = account_get(db, name, account, active, &cause)) == 1)
		return 0;
	if (rc == 0)
		log_warnx("account=%s: no such account", name);
	else
		log_warnx("account=%s: %s failed: database: %s", name, verb,
		    cause);
	free(cause);
	return -1;
}

int
account_names(struct db *db, char ***names, char **cause)
{
	PGresult	*res;
	int		 i, rows;

	if ((res = db_exec(db, "account_names", 0, NULL, cause)) == NULL)
		return -1;
	rows = PQntuples(res);
	*names = xreallocarray(NULL, rows + 1, sizeof(**names));
	for (i = 0; i < rows; i++)
		(*names)[i] = xstrdup(PQgetvalue(res, i, 0));
	(*names)[rows] = NULL;
	PQclear(res);
	return 0;
}

int
account_schedule(const char *own, const char *default_schedule,
    struct schedule *schedule, char **cause)
{
	const char	*text = own != NULL ? own : default_schedule;
	char		*why = NULL;

	if (schedule_parse(text, schedule, &why) == 0)
		return 0;
	xasprintf(cause, "%s \"%s\": %s", own != NULL ? "schedule" :
	    "default_schedule", text, why);
	free(why);
	/* Unusable: allow every minute, as if there were none. */
	schedule_parse(NULL, schedule, NULL);
	return -1;
}

int
account_names_allowed(struct db *db, const char *default_schedule,
    time_t now, char ***names, char **cause)
{
	struct schedule	 schedule;
	PGresult	*res;
	const char	*name, *own;
	char		*why, shown[32];
	int		 i, rows, n = 0;

	if (default_schedule == NULL)
		default_schedule = "";

	if ((res = db_exec(db, "account_schedules", 0, NULL, cause)) == NULL)
		return -1;
	rows = PQntuples(res);
	*names = xreallocarray(NULL, rows + 1, sizeof(**names));
	for (i = 0; i < rows; i++) {
		name = PQgetvalue(res, i, 0);
		own = PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1);
		why = NULL;
		if (account_schedule(own, default_schedule, &schedule,
		    &why) != 0) {
			/* The schema checks it: polled rather than lost. */
			log_warnx("account=%s: polled at any time: %s", name,
			    why);
			free(why);
		}
		if (!schedule_allows(&schedule, now)) {
			status_time(schedule_next(&schedule, now), shown,
			    sizeof(shown));
			if (own != NULL)
				log_debug("account=%s: not polled: outside its "
				    "schedule \"%s\"; next at %s", name, own,
				    shown);
			else
				log_debug("account=%s: not polled: outside its "
				    "default_schedule \"%s\"; next at %s", name,
				    default_schedule, shown);
			continue;
		}
		(*names)[n++] = xstrdup(name);
	}
	(*names)[n] = NULL;
	PQclear(res);
	return 0;
}

void
account_names_free(char **names)
{
	xfreev(names);
}

void
account_free(struct account *account)
{
	if (account == NULL)
		return;
	free(account->name);
	free(account->protocol);
	free(account->host);
	free(account->tls);
	free(account->tls_fingerprint);
	free(account->username);
	if (account->password != NULL) {
		explicit_bzero(account->password, strlen(account->password));
		free(account->password);
	}
	free(account->auth);
	xfreev(account->folders);
	free(account->deliver_to);
	free(account->fallback);
	free(account->domain);
	free(account->schedule);
	memset(account, 0, sizeof(*account));
}
