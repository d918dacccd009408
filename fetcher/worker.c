/*
 * A worker: one poll or check of one account in a process of its own,
 * forked from the scheduler, with a database connection of its own. A
 * crash or a hang in one account's code stays in its worker; a worker
 * whose scheduler dies is told with SIGTERM and ends its poll cleanly.
 */
#include <sys/prctl.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "engine.h"
#include "log.h"
#include "store.h"
#include "worker.h"

/* In the child: the work, then _exit (nothing of the parent's is freed:
 * its database connection must not say goodbye from here). */
static void __attribute__((noreturn))
worker_main(const struct engine_context *parent, const char *name,
    int check, pid_t scheduler)
{
	struct engine_context	 context = *parent;
	char			*cause = NULL;
	int			 rc;

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != scheduler)
		_exit(WORKER_FAILED);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	engine_interrupted = 0;
	engine_catch_signals();
	context.db = store_db_new(parent->conf->database, parent->owner);
	if (db_connect(context.db, &cause) != 0) {
		log_warnx("account=%s: not %s: database: %s", name,
		    check ? "checked" : "polled", cause);
		_exit(WORKER_FAILED);
	}
	if (check)
		rc = check_account_record(&context, name);
	else
		rc = engine_poll_account(&context, name);
	db_free(context.db);
	fflush(stdout);
	_exit(rc == 0 ? WORKER_OK : WORKER_FAILED);
}

pid_t
worker_start(const struct engine_context *context, const char *name,
    int check)
{
	pid_t	 scheduler = getpid(), pid;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		log_warn("account=%s: fork", name);
		return -1;
	}
	if (pid == 0)
		worker_main(context, name, check, scheduler);
	return pid;
}
