/*
 * The scheduler: one process with one database connection that LISTENs
 * for account changes and poll_now requests, looks at what is due, and
 * starts a worker per account (worker.c) within max_parallel and
 * max_per_host, reaping them as they end. It renews the leases of the
 * accounts being polled on a timer of its own, so a long delivery never
 * looks like a dead fetcher. postfetch poll of several accounts runs the
 * same loop over a fixed list, once.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "conf.h"
#include "due.h"
#include "schedule.h"
#include "engine.h"
#include "log.h"
#include "store.h"
#include "transport.h"
#include "worker.h"
#include "xmalloc.h"

#define SCHEDULER_TAKE		60	/* s of lease until the worker claims */
#define SCHEDULER_RENEW_MS	60000	/* between lease renewals */
#define SCHEDULER_IDLE_MS	30000	/* at most between looks */
#define SCHEDULER_RETRY_MS	2000	/* after a look the database failed */
#define SCHEDULER_NOTICE_MS	200	/* a notification: look this soon */
#define SCHEDULER_KILL_MS	120000	/* after SIGTERM, then SIGKILL */
#define SCHEDULER_CHANNEL	"postfetch_poll"

/* A worker that runs. */
struct running {
	pid_t		 pid;
	long long	 id;		/* 0: not known (poll by name) */
	char		*name;
	char		*host;
	int		 check;
};

struct scheduler {
	struct engine_context	*context;
	struct running		*running;
	size_t			 nrunning;
	int			 failed;	/* a worker failed */
	unsigned long		 listening;	/* db_generation LISTENed on */
	long long		 next_look;	/* clock_ms() */
	long long		 next_renew;
	long long		 stopping;	/* clock_ms() of SIGTERM, or 0 */
	int			 db_down;	/* the last look failed */
};

static volatile sig_atomic_t	 scheduler_stop, scheduler_hup;
static int			 scheduler_pipe[2] = { -1, -1 };

/* Signals only note what happened and wake the loop. */
static void
scheduler_signal(int sig)
{
	int	 saved = errno;

	if (sig == SIGTERM || sig == SIGINT)
		scheduler_stop++;
	else if (sig == SIGHUP)
		scheduler_hup = 1;
	if (write(scheduler_pipe[1], "", 1) == -1) {
		/* the pipe is full: the loop is awake anyway */
	}
	errno = saved;
}

static void
scheduler_signals(void)
{
	struct sigaction	 sa;
	int			 i;

	if (pipe(scheduler_pipe) == -1)
		fatal("pipe");
	for (i = 0; i < 2; i++) {
		if (fcntl(scheduler_pipe[i], F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(scheduler_pipe[i], F_SETFD, FD_CLOEXEC) == -1)
			fatal("fcntl");
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = scheduler_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGCHLD, &sa, NULL) == -1)
		fatal("sigaction");
}

/* Workers of host now (hosts compare without case). */
static size_t
scheduler_on_host(const struct scheduler *s, const char *host)
{
	size_t	 i, n = 0;

	for (i = 0; i < s->nrunning; i++)
		n += strcasecmp(s->running[i].host, host) == 0;
	return n;
}

/* Whether the limits allow one more worker on host. */
static int
scheduler_room(const struct scheduler *s, const char *host)
{
	const struct conf	*conf = s->context->conf;

	return s->nrunning < (size_t)conf->max_parallel &&
	    scheduler_on_host(s, host) < (size_t)conf->max_per_host;
}

static int
scheduler_is_running(const struct scheduler *s, long long id)
{
	size_t	 i;

	for (i = 0; i < s->nrunning; i++) {
		if (s->running[i].id == id)
			return 1;
	}
	return 0;
}

/* Start a worker and remember it. */
static int
scheduler_start(struct scheduler *s, long long id, const char *name,
    const char *host, int check)
{
	struct running	*r;
	pid_t		 pid;

	if ((pid = worker_start(s->context, name, check)) == -1)
		return -1;
	s->running = xreallocarray(s->running, s->nrunning + 1,
	    sizeof(*s->running));
	r = &s->running[s->nrunning++];
	r->pid = pid;
	r->id = id;
	r->name = xstrdup(name);
	r->host = xstrdup(host);
	r->check = check;
	log_debug("account=%s host=%s: %s in worker %ld", name, host,
	    check ? "checked" : "polled", (long)pid);
	return 0;
}

/*
 * A worker was killed in the middle of a poll: record the poll it left
 * open as failed, as the worker would have (the account backs off; what
 * it had delivered and not committed stays on the server).
 */
static void
scheduler_orphan(struct scheduler *s, const struct running *r, int sig)
{
	struct db	*db = s->context->db;
	long long	 poll_id;
	char		*error, *cause = NULL;

	error = xprintf("the worker polling it was killed by signal %d", sig);
	if (due_orphan(db, r->id, s->context->owner, &poll_id, &cause) == 1 &&
	    (store_poll_end(db, poll_id, 0, 0, error, &cause) != 0 ||
	    store_account_done(db, r->id, s->context->owner, poll_id, 0,
	    error, &cause) != 0))
		log_warnx("account=%s host=%s: poll not recorded: %s",
		    r->name, r->host, cause);
	free(cause);
	free(error);
}

/* A worker ended: note how, give up its lease, forget it. */
static void
scheduler_ended(struct scheduler *s, size_t i, int status)
{
	struct running	*r = &s->running[i];

	if (WIFSIGNALED(status)) {
		log_warnx("account=%s host=%s: worker %ld killed by signal %d",
		    r->name, r->host, (long)r->pid, WTERMSIG(status));
		s->failed = 1;
		if (r->id != 0 && !r->check)
			scheduler_orphan(s, r, WTERMSIG(status));
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != WORKER_OK)
		s->failed = 1;
	/* a check holds no claim, a killed poll left its lease */
	if (r->id != 0)
		store_release(s->context->db, r->id, s->context->owner);
	free(r->name);
	free(r->host);
	s->running[i] = s->running[--s->nrunning];
}

/* Reap the workers that ended. */
static void
scheduler_reap(struct scheduler *s)
{
	pid_t	 pid;
	size_t	 i;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < s->nrunning; i++) {
			if (s->running[i].pid == pid) {
				scheduler_ended(s, i, status);
				break;
			}
		}
		s->next_look = clock_ms();
	}
}

/* Pass a stop on to every worker (a second one kills them). */
static void
scheduler_forward(struct scheduler *s, int sig)
{
	size_t	 i;

	for (i = 0; i < s->nrunning; i++)
		kill(s->running[i].pid, sig);
}

/* Wait for a signal, a notification or the timeout. */
static void
scheduler_wait(struct scheduler *s, long long until)
{
	struct pollfd	 fds[2];
	PGconn		*conn = db_conn(s->context->db);
	char		 buf[64];
	long long	 left = until - clock_ms();
	nfds_t		 n = 1;

	fds[0].fd = scheduler_pipe[0];
	fds[0].events = POLLIN;
	if (s->listening != 0 && conn != NULL && PQsocket(conn) != -1) {
		fds[1].fd = PQsocket(conn);
		fds[1].events = POLLIN;
		n = 2;
	}
	if (left < 0)
		left = 0;
	if (poll(fds, n, left > SCHEDULER_IDLE_MS ? SCHEDULER_IDLE_MS :
	    (int)left) == -1 && errno != EINTR)
		fatal("poll");
	while (read(scheduler_pipe[0], buf, sizeof(buf)) > 0)
		;
}

/*
 * The database failed the scheduler: said once per outage; look again
 * soon (db.c paces the connection attempts). Frees cause.
 */
static void
scheduler_db_failed(struct scheduler *s, char *cause)
{
	if (!s->db_down)
		log_warnx("database: %s", cause);
	free(cause);
	s->db_down = 1;
	s->next_look = clock_ms() + SCHEDULER_RETRY_MS;
}

/* LISTEN on every new connection; take the notifications in. */
static void
scheduler_listen(struct scheduler *s)
{
	struct db	*db = s->context->db;
	PGnotify	*notify;
	PGconn		*conn;
	char		*cause = NULL;
	int		 heard = 0;

	if (s->listening != db_generation(db)) {
		if (db_command(db, "LISTEN " SCHEDULER_CHANNEL, &cause) != 0) {
			scheduler_db_failed(s, cause);
			s->listening = 0;
			return;
		}
		s->listening = db_generation(db);
		heard = 1;
	}
	if ((conn = db_conn(db)) == NULL)
		return;
	if (PQconsumeInput(conn) == 0) {
		s->listening = 0;	/* the connection is gone: again */
		return;
	}
	while ((notify = PQnotifies(conn)) != NULL) {
		PQfreemem(notify);
		heard = 1;
	}
	if (heard && s->next_look > clock_ms() + SCHEDULER_NOTICE_MS)
		s->next_look = clock_ms() + SCHEDULER_NOTICE_MS;
}

/* Take over an account from a fetcher stuck past its lease: end its
 * database session, so that its claim goes. */
static void
scheduler_evict(struct scheduler *s, const struct due *d)
{
	char	*cause = NULL;

	if (due_evict(s->context->db, d->id, &cause) < 0) {
		log_warnx("account=%s host=%s: the session of %s, stuck past "
		    "its lease, not ended: database: %s", d->name, d->host,
		    d->holder, cause);
		free(cause);
		return;
	}
	log_warnx("account=%s host=%s: %s let its lease expire while holding "
	    "the account: its database session was ended, taken over",
	    d->name, d->host, d->holder);
}

/*
 * Whether the account's schedule (or the default) allows a poll now. If
 * not, its next_poll moves to the schedule's next window, so that it is
 * not due before and status shows when it is.
 */
static int
scheduler_allowed(struct scheduler *s, const struct due *d)
{
	struct schedule	 schedule;
	time_t		 now = time(NULL), next;
	char		*cause = NULL;

	if (account_schedule(d->schedule, s->context->conf->default_schedule,
	    &schedule, &cause) != 0) {
		log_warnx("account=%s host=%s: %s", d->name, d->host, cause);
		free(cause);
		return 0;
	}
	if (schedule_allows(&schedule, now))
		return 1;
	if ((next = schedule_next(&schedule, now)) == -1)
		next = now + 7 * 24 * 3600;	/* never: look once a week */
	log_debug("account=%s host=%s: outside its schedule until %lld",
	    d->name, d->host, (long long)next);
	if (due_defer(s->context->db, d->id, next, &cause) != 0) {
		log_warnx("database: %s", cause);
		free(cause);
	}
	return 0;
}

/*
 * What to do with a due account: 0 poll, 1 check, -1 nothing now. A
 * check comes first: it also tests the outgoing server, which a poll
 * does not; the poll follows at the next look.
 */
static int
scheduler_kind(struct scheduler *s, const struct due *d)
{
	if (d->check_requested)
		return 1;
	if (d->poll_requested || (d->poll_due && scheduler_allowed(s, d)))
		return 0;
	return -1;
}

/* Look at what is due and start what the limits allow. */
static void
scheduler_look(struct scheduler *s)
{
	struct engine_context	*context = s->context;
	struct due		*list;
	size_t			 i, count;
	char			*cause = NULL;
	int			 kind, wake, waiting = 0;

	s->next_look = clock_ms() + SCHEDULER_IDLE_MS;
	if (due_load(context->db, context->owner, &list, &count,
	    &cause) != 0) {
		scheduler_db_failed(s, cause);
		return;
	}
	if (s->db_down)
		log_info("database: reachable again");
	s->db_down = 0;
	for (i = 0; i < count; i++) {
		if (scheduler_is_running(s, list[i].id) ||
		    (kind = scheduler_kind(s, &list[i])) == -1)
			continue;
		if (!scheduler_room(s, list[i].host)) {
			waiting = 1;
			continue;
		}
		switch (due_take(context->db, list[i].id, context->owner,
		    SCHEDULER_TAKE, kind, &cause)) {
		case 1:
			if (list[i].stuck)
				scheduler_evict(s, &list[i]);
			if (scheduler_start(s, list[i].id, list[i].name,
			    list[i].host, kind) != 0)
				store_release(context->db, list[i].id,
				    context->owner);
			break;
		case 0:
			break;	/* another fetcher was quicker */
		default:
			scheduler_db_failed(s, cause);
			cause = NULL;
			break;
		}
	}
	due_free(list, count);
	/* accounts waiting for a worker to end are looked at when one does */
	if (waiting || s->db_down)
		return;
	if (due_wake(context->db, SCHEDULER_IDLE_MS / 1000, &wake,
	    &cause) == 0)
		s->next_look = clock_ms() + (wake > 0 ? wake * 1000LL : 1000);
	else
		scheduler_db_failed(s, cause);
}

/* Renew the leases of the accounts being polled. */
static void
scheduler_renew(struct scheduler *s)
{
	long long	*ids;
	size_t		 i, n = 0;
	char		*cause = NULL;

	s->next_renew = clock_ms() + SCHEDULER_RENEW_MS;
	ids = xreallocarray(NULL, s->nrunning + 1, sizeof(*ids));
	for (i = 0; i < s->nrunning; i++) {
		if (s->running[i].id != 0)
			ids[n++] = s->running[i].id;
	}
	if (due_renew(s->context->db, s->context->owner, ids, n,
	    ENGINE_LEASE, &cause) != 0) {
		log_warnx("leases not renewed: database: %s", cause);
		free(cause);
	}
	free(ids);
}

/* After a stop: wait for the workers, killing them if they take long. */
static void
scheduler_drain(struct scheduler *s)
{
	int	 forwarded = 0;

	while (s->nrunning > 0) {
		if (forwarded < scheduler_stop) {
			scheduler_forward(s, SIGTERM);
			forwarded = scheduler_stop;
			if (s->stopping == 0)
				s->stopping = clock_ms();
		}
		if (s->stopping != 0 &&
		    clock_ms() - s->stopping > SCHEDULER_KILL_MS)
			scheduler_forward(s, SIGKILL);
		scheduler_wait(s, clock_ms() + 1000);
		scheduler_reap(s);
	}
}

int
scheduler_run(struct engine_context *context, scheduler_reload reload,
    void *arg)
{
	struct scheduler	 s;

	memset(&s, 0, sizeof(s));
	s.context = context;
	scheduler_signals();
	transport_tls_init();
	log_info("started: at most %d accounts at once, %d per host",
	    context->conf->max_parallel, context->conf->max_per_host);
	while (!scheduler_stop) {
		if (scheduler_hup) {
			scheduler_hup = 0;
			if (reload(context, arg) == 0) {
				log_info("configuration read again");
				s.listening = 0;
				s.next_look = clock_ms();
			}
		}
		scheduler_listen(&s);
		scheduler_reap(&s);
		if (clock_ms() >= s.next_renew)
			scheduler_renew(&s);
		if (clock_ms() >= s.next_look)
			scheduler_look(&s);
		scheduler_wait(&s, s.next_look < s.next_renew ? s.next_look :
		    s.next_renew);
	}
	log_info("stopping: %zu account%s being polled", s.nrunning,
	    s.nrunning == 1 ? "" : "s");
	scheduler_drain(&s);
	free(s.running);
	log_info("stopped");
	return 0;
}

int
scheduler_poll(struct engine_context *context, char **names)
{
	struct scheduler	 s;
	char			*host, *cause = NULL;
	size_t			 next = 0;
	long long		 id;

	memset(&s, 0, sizeof(s));
	s.context = context;
	scheduler_signals();
	transport_tls_init();
	while (names[next] != NULL && !scheduler_stop) {
		if (due_host(context->db, names[next], &host, &id,
		    &cause) != 0) {
			log_warnx("database: %s", cause);
			free(cause);
			s.failed = 1;
			break;
		}
		if (!scheduler_room(&s, host)) {
			free(host);
			scheduler_wait(&s, clock_ms() + 1000);
			scheduler_reap(&s);
			continue;
		}
		if (scheduler_start(&s, id, names[next], host, 0) != 0)
			s.failed = 1;
		free(host);
		next++;
	}
	if (names[next] != NULL) {
		log_warnx("interrupted: %s and the rest not polled",
		    names[next]);
		s.failed = 1;
	}
	scheduler_drain(&s);
	free(s.running);
	return s.failed ? WORKER_FAILED : WORKER_OK;
}
