/*
 * Workers: one poll or check of one account in a forked process
 * (worker.c), and the scheduler that starts them within the limits
 * (scheduler.c): the daemon, and postfetch poll of several accounts.
 */
#ifndef WORKER_H
#define WORKER_H

#include <sys/types.h>

struct engine_context;

#define WORKER_OK	0	/* exit status: the poll or check succeeded */
#define WORKER_FAILED	1

/*
 * Fork a worker that polls (or, with check, checks and records) the
 * account called name over a database connection of its own. Returns
 * its pid, or -1 (logged).
 */
pid_t	worker_start(const struct engine_context *, const char *name,
	    int check);

/* Called on SIGHUP to read the configuration again; 0 or -1 (logged,
 * the old one stays). It may replace context->conf and context->db. */
typedef int (*scheduler_reload)(struct engine_context *, void *arg);

/*
 * The daemon: poll every active account when it is due (next_poll, its
 * schedule), at once when asked (postfetch.poll_now, LISTEN), check new
 * and changed ones, within max_parallel and max_per_host, until SIGTERM
 * or SIGINT; SIGHUP calls reload. Returns an exit status.
 */
int	scheduler_run(struct engine_context *, scheduler_reload, void *arg);
/*
 * postfetch poll: poll the named accounts (NULL-terminated) once, in
 * parallel within the same limits. Returns 0 if every poll succeeded,
 * else 1.
 */
int	scheduler_poll(struct engine_context *, char **names);

#endif
