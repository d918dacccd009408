/*
 * PostgreSQL connection helper: one connection, prepared statements that
 * are prepared again after each reconnect, reconnect with back-off, and
 * errors that name the server.
 *
 * A struct db is not thread-safe: use it from one thread at a time (a
 * milter keeps one per worker or a pool guarded by a mutex).
 */
#ifndef DB_H
#define DB_H

#include <libpq-fe.h>

struct db;

/*
 * The postfetch schema version this build knows: schema_latest in
 * schema/postfetch.sql, raised with every migration.
 */
#define DB_SCHEMA_VERSION	7

/* A statement to prepare on every (re)connect. */
struct db_statement {
	const char	*name;
	const char	*sql;
	int		 nparams;
};

/*
 * A handle for conninfo (a libpq conninfo string or URI; its own
 * connect_timeout and application_name win over ours: 10 s and log_name());
 * statements (terminated by a NULL name) are prepared on connect. The
 * table is copied, the strings it points to are not: they must outlive the
 * handle (string literals). Does not connect yet.
 */
struct db	*db_new(const char *conninfo, const struct db_statement *);
void		 db_free(struct db *);
/* Connect as application_name name instead of log_name() (the conninfo's
 * own still wins); for the next connect. */
void		 db_set_application(struct db *, const char *name);
/*
 * Have every connect check that postfetch.schema_version is at version
 * (DB_SCHEMA_VERSION) and fail otherwise, with a cause that says which
 * version the database has and what to do (a handle without it checks
 * nothing).
 */
void		 db_require_schema(struct db *, int version);
/*
 * Connect (if not connected) and prepare the statements. When the last
 * attempt failed less than the back-off ago (1 s doubling to 60 s),
 * fails at once without trying. Returns 0 or -1 with *cause naming the
 * server ("host:port/dbname: message").
 */
int		 db_connect(struct db *, char **cause);
/*
 * Run a prepared statement with text parameters (NULL = SQL NULL).
 * On a connection-class failure (SQLSTATE 08xxx or a lost connection) it
 * reconnects and retries once -- but not inside a transaction (after
 * BEGIN): then it fails with "connection lost inside a transaction" and the
 * caller must run the whole transaction again. Returns a result with status
 * PGRES_COMMAND_OK or PGRES_TUPLES_OK that the caller PQclear()s, or NULL
 * with *cause set ("host:port/dbname: NAME: message (SQLSTATE xxxxx)").
 */
PGresult	*db_exec(struct db *, const char *name, int nparams,
		    const char *const *params, char **cause);
/* Run a plain command without parameters (BEGIN, COMMIT, LISTEN x). */
int		 db_command(struct db *, const char *sql, char **cause);
/* The underlying connection (for LISTEN/NOTIFY polling), or NULL. */
PGconn		*db_conn(struct db *);
/* "host:port/dbname" for messages. */
const char	*db_server(struct db *);
/*
 * How many times the handle has connected: a change means session state
 * (LISTEN, SET) was lost and must be set up again.
 */
unsigned long	 db_generation(struct db *);

#endif
