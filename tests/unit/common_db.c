/*
 * Tests for common/db.c against a real PostgreSQL whose conninfo is in
 * PF_DB: tests/run-tests gives it a throwaway one (tests/lib/with-pg.sh),
 * as does tests/integration/db_reconnect.t; run alone without PF_DB, it
 * skips every test and says why. "common_db wait" is the helper mode of that script:
 * it connects, prints "ready", waits for a line on stdin (the script
 * restarts the server meanwhile) and runs a statement again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "tap.h"
#include "xmalloc.h"

static const struct db_statement statements[] = {
	{ "add_one", "SELECT $1::int + 1", 1 },
	{ "divide", "SELECT 1 / $1::int", 1 },
	{ "pid", "SELECT pg_backend_pid()", 0 },
	{ "application", "SELECT current_setting('application_name')", 0 },
	{ "is_null", "SELECT $1::text IS NULL", 1 },
	{ NULL, NULL, 0 }
};

static const struct db_statement killer_statements[] = {
	/* Waits (up to 10 s) until the backend is gone: PostgreSQL 14+. */
	{ "terminate", "SELECT pg_terminate_backend($1::int, 10000)", 1 },
	{ NULL, NULL, 0 }
};

/* The first value a statement returns, as a string to free, or NULL. */
static char *
value(struct db *db, const char *name, int nparams, const char *param,
    char **cause)
{
	const char	*params[1] = { param };
	PGresult	*res;
	char		*v = NULL;

	*cause = NULL;
	if ((res = db_exec(db, name, nparams, params, cause)) == NULL)
		return NULL;
	if (PQntuples(res) > 0)
		v = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

/* Ask a second connection to end db's backend. */
static void
terminate(const char *conninfo, const char *pid)
{
	const char	*params[1] = { pid };
	struct db	*killer;
	PGresult	*res;
	char		*cause = NULL;

	killer = db_new(conninfo, killer_statements);
	if ((res = db_exec(killer, "terminate", 1, params, &cause)) == NULL) {
		diag("terminate: %s", cause);
		free(cause);
	} else
		PQclear(res);
	db_free(killer);
}

/* Connect, run statements, errors that are not about the connection. */
static void
test_basic(const char *conninfo)
{
	struct db	*db;
	char		*cause = NULL, *v;

	db = db_new(conninfo, statements);
	is_str(db_server(db), "database", "server before connecting");
	ok(db_conn(db) == NULL, "no connection before connecting");
	if (!is_int(db_connect(db, &cause), 0, "connects"))
		diag("cause: %s", cause);
	free(cause);
	cause = NULL;
	ok(strncmp(db_server(db), "127.0.0.1:", 10) == 0 &&
	    strstr(db_server(db), "/postfetch") != NULL,
	    "server names host:port/dbname: %s", db_server(db));
	ok(db_conn(db) != NULL, "db_conn gives the connection");
	is_int(db_generation(db), 1, "first connection");
	is_int(db_connect(db, &cause), 0, "connecting again is a no-op");
	is_int(db_generation(db), 1, "still the first connection");

	v = value(db, "add_one", 1, "41", &cause);
	is_str(v, "42", "prepared statement with a parameter");
	free(v);
	v = value(db, "is_null", 1, NULL, &cause);
	is_str(v, "t", "NULL parameter is SQL NULL");
	free(v);
	v = value(db, "application", 0, NULL, &cause);
	is_str(v, "common_db", "application_name is the log name");
	free(v);

	v = value(db, "divide", 1, "0", &cause);
	ok(v == NULL, "SQL error fails");
	ok(cause != NULL && strstr(cause, ": divide: division by zero "
	    "(SQLSTATE 22012)") != NULL &&
	    strncmp(cause, db_server(db), strlen(db_server(db))) == 0,
	    "SQL error cause: %s", cause);
	free(cause);
	is_int(db_generation(db), 1, "an SQL error does not reconnect");

	v = value(db, "nosuch", 0, NULL, &cause);
	ok(v == NULL && cause != NULL && strstr(cause, "no statement nosuch"),
	    "unknown statement: %s", cause);
	free(cause);
	v = value(db, "add_one", 0, NULL, &cause);
	ok(v == NULL && cause != NULL &&
	    strstr(cause, "add_one: 0 parameters given, 1 wanted"),
	    "wrong parameter count: %s", cause);
	free(cause);

	cause = NULL;
	is_int(db_command(db, "BEGIN", &cause), 0, "BEGIN");
	is_int(db_command(db, "CREATE TEMP TABLE t (x int)", &cause), 0,
	    "command in a transaction");
	is_int(db_command(db, "ROLLBACK", &cause), 0, "ROLLBACK");
	is_int(db_command(db, "LISTEN postfetch_test", &cause), 0, "LISTEN");
	is_int(db_command(db, "SELEC 1", &cause), -1, "bad command fails");
	ok(cause != NULL && strstr(cause, "SELEC 1: syntax error"),
	    "bad command cause: %s", cause);
	free(cause);
	db_free(db);
	db_free(NULL);
	ok(1, "db_free(NULL) is harmless");
}

/* Lost connections: retried once outside a transaction, not inside. */
static void
test_reconnect(const char *conninfo)
{
	struct db	*db;
	char		*cause = NULL, *pid, *pid2, *v;

	db = db_new(conninfo, statements);
	pid = value(db, "pid", 0, NULL, &cause);
	ok(pid != NULL, "backend pid %s", pid != NULL ? pid : cause);
	terminate(conninfo, pid);
	pid2 = value(db, "pid", 0, NULL, &cause);
	if (!ok(pid2 != NULL, "statement after the backend was terminated "
	    "succeeds"))
		diag("cause: %s", cause);
	ok(pid2 != NULL && strcmp(pid, pid2) != 0,
	    "on a new backend (%s)", pid2 != NULL ? pid2 : "none");
	is_int(db_generation(db), 2, "reconnected once");
	v = value(db, "add_one", 1, "1", &cause);
	is_str(v, "2", "statements prepared again after the reconnect");
	free(v);
	free(pid);
	free(pid2);

	pid = value(db, "pid", 0, NULL, &cause);
	cause = NULL;
	is_int(db_command(db, "BEGIN", &cause), 0, "BEGIN");
	terminate(conninfo, pid);
	v = value(db, "add_one", 1, "1", &cause);
	ok(v == NULL, "lost connection inside a transaction fails");
	ok(cause != NULL && strstr(cause, "add_one: connection lost inside a "
	    "transaction") != NULL, "cause: %s", cause);
	free(cause);
	free(v);
	free(pid);
	v = value(db, "add_one", 1, "2", &cause);
	is_str(v, "3", "next statement reconnects");
	is_int(db_generation(db), 3, "third connection");
	free(v);

	/* A terminated connection breaks a plain command the same way. */
	pid = value(db, "pid", 0, NULL, &cause);
	terminate(conninfo, pid);
	cause = NULL;
	is_int(db_command(db, "LISTEN again", &cause), 0,
	    "db_command reconnects too");
	is_int(db_generation(db), 4, "fourth connection");
	free(pid);
	free(cause);
	db_free(db);
}

/* Failures to connect: clear causes, back-off, no password. */
static void
test_failures(const char *conninfo)
{
	static const struct db_statement bad[] = {
		{ "broken", "SELECT nosuchcolumn", 0 },
		{ NULL, NULL, 0 }
	};
	struct db	*db;
	char		*cause = NULL, *info;

	db = db_new("host=127.0.0.1 port=1 dbname=nowhere "
	    "password=sekrit connect_timeout=3", statements);
	is_int(db_connect(db, &cause), -1, "unreachable server: fails");
	ok(cause != NULL && strncmp(cause, "127.0.0.1:1/nowhere: ", 21) == 0 &&
	    strstr(cause, "Connection refused") != NULL && !strchr(cause, '\n'),
	    "unreachable server: cause names it: %s", cause);
	ok(cause != NULL && strstr(cause, "sekrit") == NULL,
	    "unreachable server: no password in the cause");
	free(cause);
	cause = NULL;
	is_int(db_connect(db, &cause), -1, "again at once: fails");
	ok(cause != NULL && strstr(cause, "(next attempt in 1s)") != NULL,
	    "again at once: backing off: %s", cause);
	free(cause);
	cause = NULL;
	ok(value(db, "pid", 0, NULL, &cause) == NULL && cause != NULL &&
	    strstr(cause, "next attempt in") != NULL,
	    "db_exec backs off too");
	free(cause);
	sleep(1);
	cause = NULL;
	is_int(db_connect(db, &cause), -1, "after a second: tries and fails");
	ok(cause != NULL && strstr(cause, "next attempt") == NULL,
	    "after a second: a real attempt: %s", cause);
	free(cause);
	cause = NULL;
	db_connect(db, &cause);
	ok(cause != NULL && strstr(cause, "(next attempt in 2s)") != NULL,
	    "back-off doubled: %s", cause);
	free(cause);
	db_free(db);

	xasprintf(&info, "%s dbname=nosuchdb password=sekrit", conninfo);
	db = db_new(info, statements);
	cause = NULL;
	is_int(db_connect(db, &cause), -1, "wrong database: fails");
	ok(cause != NULL && strstr(cause, "/nosuchdb: ") != NULL &&
	    strstr(cause, "database \"nosuchdb\" does not exist") != NULL,
	    "wrong database: cause: %s", cause);
	ok(cause != NULL && strstr(cause, "sekrit") == NULL,
	    "wrong database: no password in the cause");
	free(cause);
	db_free(db);
	free(info);

	db = db_new(conninfo, bad);
	cause = NULL;
	is_int(db_connect(db, &cause), -1, "statement that does not prepare");
	ok(cause != NULL && strstr(cause, ": prepare broken: column "
	    "\"nosuchcolumn\" does not exist") != NULL, "prepare cause: %s",
	    cause);
	ok(db_conn(db) == NULL, "no connection after a failed prepare");
	free(cause);
	db_free(db);

	db = db_new("host=127.0.0.1 password=sekrit junk", statements);
	cause = NULL;
	is_int(db_connect(db, &cause), -1, "malformed conninfo fails");
	ok(cause != NULL && strchr(cause, '\n') == NULL &&
	    strstr(cause, "missing \"=\" after \"junk\"") != NULL &&
	    strstr(cause, "sekrit") == NULL,
	    "malformed conninfo: one line, no password: %s", cause);
	free(cause);
	db_free(db);
}

/* A URI works as well as a conninfo string. */
/* A handle named by db_set_application connects under that name. */
static void
test_application(const char *conninfo)
{
	struct db	*db;
	char		*cause = NULL, *v;

	db = db_new(conninfo, statements);
	db_set_application(db, "postfetch host:42");
	v = value(db, "application", 0, NULL, &cause);
	is_str(v, "postfetch host:42", "db_set_application names the session");
	free(v);
	free(cause);
	db_free(db);
}

static void
test_uri(void)
{
	struct db	*db;
	char		*uri, *cause = NULL, *v;
	const char	*port = getenv("PGPORT");

	if (port == NULL) {
		ok(1, "# SKIP no PGPORT for the URI test");
		return;
	}
	xasprintf(&uri, "postgresql://postgres@127.0.0.1:%s/postfetch"
	    "?application_name=mine", port);
	db = db_new(uri, statements);
	v = value(db, "application", 0, NULL, &cause);
	is_str(v, "mine", "URI: connects; its application_name wins");
	if (v == NULL)
		diag("cause: %s", cause);
	free(v);
	free(cause);
	db_free(db);
	free(uri);
}

/* Helper mode for db_reconnect.t: a statement before and after a restart. */
static int
wait_mode(const char *conninfo)
{
	struct db	*db;
	char		 line[64], *cause = NULL, *v;
	int		 rc = 1;

	db = db_new(conninfo, statements);
	if ((v = value(db, "add_one", 1, "1", &cause)) == NULL)
		goto out;
	free(v);
	printf("ready\n");
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		goto out;
	if ((v = value(db, "add_one", 1, "2", &cause)) == NULL)
		goto out;
	printf("%s generation %lu\n", v, db_generation(db));
	free(v);
	rc = 0;
out:
	if (cause != NULL)
		printf("error: %s\n", cause);
	free(cause);
	db_free(db);
	return rc;
}

int
main(int argc, char **argv)
{
	const char	*conninfo;

	log_init("common_db", LOG_MAIL, 1, 0);
	if ((conninfo = getenv("PF_DB")) == NULL) {
		printf("1..0 # SKIP no PF_DB: needs a PostgreSQL (tests/run-tests "
		    "starts one; or run it under tests/lib/with-pg.sh)\n");
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "wait") == 0)
		return wait_mode(conninfo);
	test_basic(conninfo);
	test_reconnect(conninfo);
	test_failures(conninfo);
	test_application(conninfo);
	test_uri();
	return done_testing();
}
