/*
 * PostgreSQL connection helper: one libpq connection, the caller's
 * statements prepared again on every connect, one reconnect-and-retry when
 * the connection is lost outside a transaction, back-off between failed
 * connection attempts, the schema version checked on connect if asked,
 * and causes that name the server but never the password. A struct db is
 * used by one thread at a time.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "xmalloc.h"

#define DB_BACKOFF_FIRST	1	/* seconds after the first failure */
#define DB_BACKOFF_MAX		60
#define DB_CONNECT_TIMEOUT	"10"	/* unless the conninfo says otherwise */

struct db {
	char			*conninfo;
	struct db_statement	*statements;	/* copy of the table */
	PGconn			*conn;
	char			*server;	/* "host:port/dbname" */
	char			*application;	/* or NULL: log_name() */
	unsigned long		 generation;	/* connects so far */
	int			 backoff;	/* seconds; 0 = none */
	time_t			 failed;	/* monotonic time of last failure */
	char			*failure;	/* cause of the last failure */
	int			 schema;	/* version required; 0 = any */
};

/* Seconds on the monotonic clock. */
static time_t
db_now(void)
{
	return (time_t)(clock_ms() / 1000);
}

/* The first line of a libpq message, without trailing white space. */
static char *
db_first_line(const char *message)
{
	size_t	 len;

	if (message == NULL || *message == '\0')
		return xstrdup("unknown error");
	len = strcspn(message, "\r\n");
	while (len > 0 && (message[len - 1] == ' ' || message[len - 1] == '\t'))
		len--;
	return xstrndup(message, len);
}

/* Remember "host:port/dbname" of the connection (or the attempt). */
static void
db_set_server(struct db *db)
{
	const char	*host, *port, *name;

	host = PQhost(db->conn);
	port = PQport(db->conn);
	name = PQdb(db->conn);
	free(db->server);
	if ((host == NULL || *host == '\0') && (port == NULL || *port == '\0')) {
		db->server = xstrdup("database");	/* conninfo unparsable */
		return;
	}
	xasprintf(&db->server, "%s:%s/%s",
	    host != NULL && *host != '\0' ? host : "localhost",
	    port != NULL && *port != '\0' ? port : "5432",
	    name != NULL ? name : "");
}

/* Server notices (NOTICE, WARNING) go to the log, not to stderr. */
static void
db_notice(void *arg, const char *message)
{
	struct db	*db = arg;
	char		*line;

	line = db_first_line(message);
	log_debug("%s: %s", db_server(db), line);
	free(line);
}

struct db *
db_new(const char *conninfo, const struct db_statement *statements)
{
	struct db	*db;
	size_t		 n = 0;

	db = xcalloc(1, sizeof(*db));
	db->conninfo = xstrdup(conninfo);
	if (statements != NULL) {
		while (statements[n].name != NULL)
			n++;
	}
	db->statements = xcalloc(n + 1, sizeof(*db->statements));
	if (n > 0)
		memcpy(db->statements, statements, n * sizeof(*statements));
	return db;
}

/* Close the connection, if any. */
static void
db_disconnect(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_disconnect(db);
	if (db->conninfo != NULL)
		explicit_bzero(db->conninfo, strlen(db->conninfo));
	free(db->conninfo);
	free(db->statements);
	free(db->server);
	free(db->failure);
	free(db->application);
	free(db);
}

void
db_set_application(struct db *db, const char *name)
{
	free(db->application);
	db->application = xstrdup(name);
}

void
db_require_schema(struct db *db, int version)
{
	db->schema = version;
}

/*
 * Check the schema version on the fresh connection, before the statements
 * are prepared (on another version they may fail one by one, obscurely).
 * The grant that lets the programs read it came with version 4: before,
 * the table is there but not readable.
 */
static int
db_check_schema(struct db *db, char **cause)
{
	static const char	*upgrade = "upgrade the database with "
				    "postfetch.sql (postfetch-sql(7))";
	PGresult		*res;
	const char		*state;
	char			*line;
	int			 version;

	res = PQexecParams(db->conn,
	    "SELECT coalesce(max(version), 0) FROM postfetch.schema_version",
	    0, NULL, NULL, NULL, NULL, 0);
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1) {
		version = (int)strtonum(PQgetvalue(res, 0, 0), 0, INT_MAX,
		    NULL);
		PQclear(res);
		if (version == db->schema)
			return 0;
		if (version < db->schema)
			xasprintf(cause, "%s: the postfetch schema is at version "
			    "%d, this postfetch needs version %d: %s",
			    db->server, version, db->schema, upgrade);
		else
			xasprintf(cause, "%s: the postfetch schema is at version "
			    "%d, newer than this postfetch knows (version %d): "
			    "install the newer postfetch", db->server, version,
			    db->schema);
		return -1;
	}
	state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state != NULL && (strcmp(state, "3F000") == 0 ||
	    strcmp(state, "42P01") == 0))
		xasprintf(cause, "%s: no postfetch schema in this database: "
		    "create it with postfetch.sql (postfetch-sql(7))",
		    db->server);
	else if (state != NULL && strcmp(state, "42501") == 0)
		xasprintf(cause, "%s: postfetch.schema_version is not readable: "
		    "a schema older than version 4, this postfetch needs "
		    "version %d: %s", db->server, db->schema, upgrade);
	else {
		line = db_first_line(res != NULL ?
		    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
		    PQerrorMessage(db->conn));
		xasprintf(cause, "%s: schema version: %s", db->server, line);
		free(line);
	}
	PQclear(res);
	return -1;
}

/* Record a failed attempt: the cause and the next back-off. */
static void
db_failed(struct db *db, const char *cause)
{
	db_disconnect(db);
	free(db->failure);
	db->failure = xstrdup(cause);
	db->failed = db_now();
	if (db->backoff == 0)
		db->backoff = DB_BACKOFF_FIRST;
	else if (db->backoff < DB_BACKOFF_MAX)
		db->backoff = db->backoff * 2 > DB_BACKOFF_MAX ?
		    DB_BACKOFF_MAX : db->backoff * 2;
}

/* Prepare every statement on the fresh connection. */
static int
db_prepare(struct db *db, char **cause)
{
	const struct db_statement	*s;
	PGresult			*res;
	char				*line;

	for (s = db->statements; s->name != NULL; s++) {
		res = PQprepare(db->conn, s->name, s->sql, s->nparams, NULL);
		if (res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK) {
			PQclear(res);
			continue;
		}
		line = db_first_line(res != NULL ?
		    PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL);
		if (res == NULL || strcmp(line, "unknown error") == 0) {
			free(line);
			line = db_first_line(PQerrorMessage(db->conn));
		}
		xasprintf(cause, "%s: prepare %s: %s", db->server, s->name,
		    line);
		free(line);
		PQclear(res);
		return -1;
	}
	return 0;
}

int
db_connect(struct db *db, char **cause)
{
	/* Ours first: what the conninfo says overrides them. */
	const char	*keys[] = { "application_name", "connect_timeout",
			    "dbname", NULL };
	const char	*values[] = { db->application != NULL ?
			    db->application : log_name(), DB_CONNECT_TIMEOUT,
			    db->conninfo, NULL };
	char		*line;
	time_t		 wait;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	db_disconnect(db);
	if (db->backoff > 0 &&
	    (wait = db->failed + db->backoff - db_now()) > 0) {
		xasprintf(cause, "%s (next attempt in %llds)", db->failure,
		    (long long)wait);
		return -1;
	}

	db->conn = PQconnectdbParams(keys, values, 1);
	if (db->conn == NULL) {
		xasprintf(cause, "%s: out of memory", db_server(db));
		db_failed(db, *cause);
		return -1;
	}
	db_set_server(db);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		line = db_first_line(PQerrorMessage(db->conn));
		xasprintf(cause, "%s: %s", db->server, line);
		free(line);
		db_failed(db, *cause);
		return -1;
	}
	PQsetNoticeProcessor(db->conn, db_notice, db);
	if ((db->schema != 0 && db_check_schema(db, cause) != 0) ||
	    db_prepare(db, cause) != 0) {
		db_failed(db, *cause);
		return -1;
	}
	db->backoff = 0;
	db->generation++;
	log_debug("%s: connected", db->server);
	return 0;
}

/* The statement called name, or NULL. */
static const struct db_statement *
db_find(struct db *db, const char *name)
{
	const struct db_statement	*s;

	for (s = db->statements; s->name != NULL; s++) {
		if (strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

/*
 * Nonzero if the failure means the connection is gone: libpq says so, or
 * the server's SQLSTATE is class 08 (connection exception) or 57P01..3
 * (administrator shutdown, crash shutdown, cannot connect now).
 */
static int
db_connection_lost(struct db *db, PGresult *res)
{
	const char	*state;

	if (res == NULL || PQstatus(db->conn) == CONNECTION_BAD)
		return 1;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state == NULL)
		return 0;
	return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
	    strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0;
}

/* One attempt: the prepared statement name, or the plain command sql. */
static PGresult *
db_send(struct db *db, const char *name, const char *sql, int nparams,
    const char *const *params)
{
	if (name != NULL)
		return PQexecPrepared(db->conn, name, nparams, params, NULL,
		    NULL, 0);
	return PQexec(db->conn, sql);
}

/* The cause for a failed result (what, e.g. a statement name, first). */
static void
db_result_cause(struct db *db, const char *what, PGresult *res, char **cause)
{
	const char	*state = NULL, *message = NULL;
	char		*line;

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (message == NULL)
		message = PQerrorMessage(db->conn);
	line = db_first_line(message);
	if (state != NULL)
		xasprintf(cause, "%s: %s: %s (SQLSTATE %s)", db->server, what,
		    line, state);
	else
		xasprintf(cause, "%s: %s: %s", db->server, what, line);
	free(line);
}

/*
 * Run a prepared statement (name) or a plain command (sql). A lost
 * connection is reconnected and the statement retried once, unless a
 * transaction was open: its earlier statements are gone with the
 * connection, so the caller must start it again.
 */
static PGresult *
db_run(struct db *db, const char *name, const char *sql, int nparams,
    const char *const *params, char **cause)
{
	PGresult	*res;
	ExecStatusType	 status;
	int		 attempt, in_transaction;

	for (attempt = 0; attempt < 2; attempt++) {
		if (db_connect(db, cause) != 0)
			return NULL;
		in_transaction =
		    PQtransactionStatus(db->conn) != PQTRANS_IDLE;
		res = db_send(db, name, sql, nparams, params);
		status = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
			return res;
		db_result_cause(db, name != NULL ? name : sql, res, cause);
		if (!db_connection_lost(db, res)) {
			PQclear(res);
			return NULL;
		}
		PQclear(res);
		db_disconnect(db);
		if (in_transaction) {
			free(*cause);
			xasprintf(cause, "%s: %s: connection lost inside a "
			    "transaction", db->server, name != NULL ? name :
			    sql);
			return NULL;
		}
		if (attempt == 0) {
			log_info("%s; reconnecting", *cause);
			free(*cause);
			*cause = NULL;
		}
	}
	return NULL;
}

PGresult *
db_exec(struct db *db, const char *name, int nparams,
    const char *const *params, char **cause)
{
	const struct db_statement	*s;

	if ((s = db_find(db, name)) == NULL) {
		xasprintf(cause, "%s: no statement %s", db_server(db), name);
		return NULL;
	}
	if (s->nparams != nparams) {
		xasprintf(cause, "%s: %s: %d parameters given, %d wanted",
		    db_server(db), name, nparams, s->nparams);
		return NULL;
	}
	return db_run(db, name, NULL, nparams, params, cause);
}

int
db_command(struct db *db, const char *sql, char **cause)
{
	PGresult	*res;

	if ((res = db_run(db, NULL, sql, 0, NULL, cause)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

PGconn *
db_conn(struct db *db)
{
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return NULL;
	return db->conn;
}

const char *
db_server(struct db *db)
{
	return db->server != NULL ? db->server : "database";
}

unsigned long
db_generation(struct db *db)
{
	return db->generation;
}
