/*
 * The directory cache. A listener thread holds its own connection, LISTENs
 * on CACHE_CHANNEL and bumps a generation counter on every notification
 * (and whenever it had to reconnect, since it may have missed some). A
 * message that finds the snapshot older than the counter reads it again
 * through the loader connection, which only one thread uses at a time.
 * Taking and dropping a snapshot takes no lock: the current one is an
 * atomic pointer and each snapshot counts its references. The outage and
 * the recovery are logged once each. Each directory read leaves its ETRN
 * domains in the state file; at start that file stands in for the
 * database until it answers (never fresh: only SMTP mail of no ETRN
 * domain passes on it).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cache.h"
#include "db.h"
#include "log.h"
#include "lookup.h"
#include "state.h"
#include "xmalloc.h"

#define LISTEN_RETRY	1000	/* ms between listener connection attempts */
#define LISTEN_PING	30000	/* ms of silence before checking the link */

static pthread_mutex_t	 cache_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t	 loader_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_t	 listener;
static int		 listener_running;
static int		 stop_pipe[2] = { -1, -1 };
static char		*cache_conninfo;

/* Read without a lock; only reload (under loader_mutex) and cache_stop
 * change current. */
static _Atomic(struct snapshot *) current;
static atomic_ulong	 generation = 1;
static atomic_int	 listening;	/* notifications are being received */
/* Threads between reading current and counting their reference to it. */
static atomic_uint	 readers;

/* Under cache_mutex. */
static int		 renew_loader;	/* the server came back: reset back-off */
static int		 down;		/* the outage was logged */

/* Under loader_mutex. */
static struct db	*loader;
static char		*state_path;
static char		*state_saved;	/* the file's text, as last written */
static int		 state_failed;	/* the last write failed (logged) */

/* Free a snapshot. */
static void
snapshot_free(struct snapshot *snapshot)
{
	directory_free(snapshot->directory);
	free(snapshot);
}

/* Note a change (or a possible one): every snapshot is stale now. */
static void
bump(int now_listening, int reconnected)
{
	pthread_mutex_lock(&cache_mutex);
	generation++;
	listening = now_listening;
	if (reconnected)
		renew_loader = 1;
	pthread_mutex_unlock(&cache_mutex);
}

/* Drop a reference; the last one frees the snapshot. */
static void
snapshot_release(struct snapshot *snapshot)
{
	if (snapshot != NULL && atomic_fetch_sub(&snapshot->refs, 1) == 1)
		snapshot_free(snapshot);
}

/*
 * Make snapshot (with the cache's reference, or NULL) the current one and
 * drop the cache's reference to the one it replaces once no thread can
 * still be about to count a reference to that one. Under loader_mutex.
 */
static void
replace_current(struct snapshot *snapshot)
{
	struct snapshot	*old;

	old = atomic_exchange(&current, snapshot);
	while (atomic_load(&readers) != 0)
		sched_yield();
	snapshot_release(old);
}

/* Wait up to ms for fd (or -1) to be readable; returns 1 to stop. */
static int
wait_readable(int fd, int ms, int *readable)
{
	struct pollfd	 fds[2];
	int		 n = 1;

	fds[0].fd = stop_pipe[0];
	fds[0].events = POLLIN;
	if (fd != -1) {
		fds[1].fd = fd;
		fds[1].events = POLLIN;
		n = 2;
	}
	*readable = 0;
	if (poll(fds, (nfds_t)n, ms) == -1)
		return errno != EINTR;
	if (fds[0].revents != 0)
		return 1;
	*readable = n == 2 && fds[1].revents != 0;
	return 0;
}

/* Log libpq's message of conn on one line, at debug level. */
static void
listen_debug(const char *what, PGconn *conn)
{
	char	*message, *p;

	message = xstrdup(PQerrorMessage(conn));
	for (p = message; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	log_debug("listener: %s%s", what, message);
	free(message);
}

/* Server notices on the listener connection ("terminating connection"). */
static void
listen_notice(void *arg, const char *message)
{
	(void)arg;
	log_debug("listener: notice: %.*s", (int)strcspn(message, "\n"),
	    message);
}

/* Connect and LISTEN; returns the connection or NULL. */
static PGconn *
listen_connect(void)
{
	PGconn		*conn;
	PGresult	*result;
	int		 good;

	conn = PQconnectdb(cache_conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		listen_debug("", conn);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, listen_notice, NULL);
	result = PQexec(conn, "LISTEN " CACHE_CHANNEL);
	good = PQresultStatus(result) == PGRES_COMMAND_OK;
	if (!good)
		listen_debug("LISTEN: ", conn);
	PQclear(result);
	if (!good) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* Whether the quiet connection still works. */
static int
listen_alive(PGconn *conn)
{
	PGresult	*result;
	int		 good;

	result = PQexec(conn, "SELECT 1");
	good = PQresultStatus(result) == PGRES_TUPLES_OK;
	PQclear(result);
	return good;
}

/* The listener thread: turn notifications into generation bumps. */
static void *
listen_main(void *arg)
{
	PGconn		*conn = NULL;
	PGnotify	*notify;
	int		 readable, alive;

	(void)arg;
	for (;;) {
		if (conn == NULL) {
			if ((conn = listen_connect()) == NULL) {
				if (wait_readable(-1, LISTEN_RETRY, &readable))
					break;
				continue;
			}
			log_debug("listener: listening on %s", CACHE_CHANNEL);
			bump(1, 1);
		}
		if (wait_readable(PQsocket(conn), LISTEN_PING, &readable))
			break;
		alive = readable ? PQconsumeInput(conn) : listen_alive(conn);
		if (!alive || PQstatus(conn) != CONNECTION_OK) {
			log_debug("listener: connection lost");
			PQfinish(conn);
			conn = NULL;
			bump(0, 0);
			continue;
		}
		while ((notify = PQnotifies(conn)) != NULL) {
			log_debug("listener: %s changed", notify->extra);
			PQfreemem(notify);
			bump(1, 0);
		}
	}
	PQfinish(conn);
	return NULL;
}

/*
 * At start: the ETRN domains of the state file, as a snapshot that is
 * never fresh, until the database answers.
 */
static void
state_load(void)
{
	struct snapshot		*snapshot;
	struct directory	*directory;
	char			*cause = NULL;

	if (state_read(state_path, &directory, &cause) != 0) {
		log_warnx("state file ignored: %s; SMTP mail waits until the "
		    "database is read", cause);
		free(cause);
		return;
	}
	if (directory == NULL) {
		log_info("no state file %s yet: SMTP mail waits until the "
		    "database is read", state_path);
		return;
	}
	state_saved = state_format(directory);
	snapshot = xcalloc(1, sizeof *snapshot);
	snapshot->directory = directory;
	snapshot->generation = 0;	/* older than any: never fresh */
	atomic_init(&snapshot->refs, 1);
	atomic_store(&current, snapshot);
	log_debug("state file %s: %zu ETRN domains", state_path,
	    directory->naccounts);
}

/* After a read: keep the ETRN domains in the state file if they changed. */
static void
state_save(const struct directory *directory)
{
	char	*text, *cause = NULL;

	if ((text = state_format(directory)) == NULL)
		return;		/* out of memory: the next read tries again */
	if (state_saved != NULL && strcmp(text, state_saved) == 0) {
		free(text);
		return;
	}
	if (state_write(state_path, text, &cause) != 0) {
		if (!state_failed)
			log_warnx("state file not written: %s",
			    cause != NULL ? cause : "out of memory");
		state_failed = 1;
		free(cause);
		free(text);
		return;
	}
	if (state_failed)
		log_info("state file %s written again", state_path);
	state_failed = 0;
	free(state_saved);
	state_saved = text;
}

void
cache_start(const char *conninfo, const char *path)
{
	int	 error;

	cache_conninfo = xstrdup(conninfo);
	state_path = xstrdup(path);
	state_load();
	loader = db_new(conninfo, lookup_statements);
	if (pipe(stop_pipe) == -1)
		fatal("pipe");
	if ((error = pthread_create(&listener, NULL, listen_main, NULL)) != 0) {
		errno = error;
		fatal("pthread_create");
	}
	listener_running = 1;
}

void
cache_stop(void)
{
	if (listener_running) {
		if (write(stop_pipe[1], "x", 1) == -1)
			log_warn("cache_stop: write");
		pthread_join(listener, NULL);
		listener_running = 0;
	}
	if (stop_pipe[0] != -1) {
		close(stop_pipe[0]);
		close(stop_pipe[1]);
		stop_pipe[0] = stop_pipe[1] = -1;
	}
	replace_current(NULL);
	db_free(loader);
	loader = NULL;
	free(cache_conninfo);
	cache_conninfo = NULL;
	free(state_path);
	state_path = NULL;
	free(state_saved);
	state_saved = NULL;
}

/* The current snapshot with a reference, if it is fresh (or stale is ok). */
static struct snapshot *
take_current(int allow_stale, int *fresh)
{
	struct snapshot	*snapshot;

	atomic_fetch_add(&readers, 1);
	if ((snapshot = atomic_load(&current)) != NULL) {
		*fresh = listening && snapshot->generation == generation;
		if (*fresh || allow_stale)
			atomic_fetch_add(&snapshot->refs, 1);
		else
			snapshot = NULL;
	}
	atomic_fetch_sub(&readers, 1);
	return snapshot;
}

/* Read the directory again; returns 0, or -1 with *cause set. */
static int
reload(char **cause)
{
	struct snapshot		*snapshot;
	struct directory	*directory;
	unsigned long		 seen;
	int			 renew;

	pthread_mutex_lock(&cache_mutex);
	seen = generation;
	renew = renew_loader;
	renew_loader = 0;
	pthread_mutex_unlock(&cache_mutex);

	if (renew) {
		/* Forget the connection's back-off: the server is back. */
		db_free(loader);
		loader = db_new(cache_conninfo, lookup_statements);
	}
	if ((directory = lookup_directory(loader, cause)) == NULL) {
		pthread_mutex_lock(&cache_mutex);
		if (!down)
			log_warnx("database unavailable, mail waits: %s",
			    *cause != NULL ? *cause : "out of memory");
		down = 1;
		pthread_mutex_unlock(&cache_mutex);
		return -1;
	}

	state_save(directory);
	if ((snapshot = calloc(1, sizeof *snapshot)) == NULL) {
		directory_free(directory);
		*cause = strdup("out of memory");
		return -1;
	}
	snapshot->directory = directory;
	snapshot->generation = seen;
	atomic_init(&snapshot->refs, 1);
	pthread_mutex_lock(&cache_mutex);
	if (down)
		log_info("database available again");
	down = 0;
	pthread_mutex_unlock(&cache_mutex);
	replace_current(snapshot);
	log_debug("directory read: %zu accounts, %zu local recipients",
	    directory->naccounts, directory->nlocals);
	return 0;
}

struct snapshot *
cache_acquire(int allow_stale, int *fresh, char **cause)
{
	struct snapshot	*snapshot;

	if ((snapshot = take_current(0, fresh)) != NULL)
		return snapshot;
	pthread_mutex_lock(&loader_mutex);
	/* Another thread may have read it while this one waited. */
	if ((snapshot = take_current(0, fresh)) == NULL && reload(cause) == 0) {
		/* Just read: fresh even while the listener is away. */
		snapshot = take_current(1, fresh);
		*fresh = 1;
	}
	pthread_mutex_unlock(&loader_mutex);
	if (snapshot == NULL && allow_stale &&
	    (snapshot = take_current(1, fresh)) != NULL) {
		*fresh = 0;
		free(*cause);
		*cause = NULL;
	}
	return snapshot;
}

void
cache_release(struct snapshot *snapshot)
{
	snapshot_release(snapshot);
}
