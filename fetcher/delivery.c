/*
 * The delivery sink. Retrieval and injection overlap: while the driver
 * reads the next message into its spool file, up to max_sendmail earlier
 * ones are in sendmail. A message reaches sendmail only whole and with
 * the size the server announced, so no failure or kill of ours can queue
 * a truncated copy.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delivery.h"
#include "inject.h"
#include "log.h"
#include "message.h"
#include "spool.h"
#include "submit.h"
#include "xmalloc.h"

#define DELIVERY_WAIT	1000	/* ms between ticks while waiting */
#define DELIVERY_TICK	(1024 * 1024) /* octets between ticks while
				       * a message is retrieved */

/* A complete message in sendmail: a session of its slot, or its own. */
struct delivery_job {
	size_t			 index;
	struct submit		*session;	/* -bs: awaiting its reply */
	struct spool		*spool;		/* -i: what it reads */
	struct inject		*inject;
	struct message_result	 result;
};

struct delivery {
	struct delivery_params	 params;
	/* the message being retrieved */
	int			 active;	/* begin() started it */
	size_t			 index;
	struct spool		*spool;
	struct message		*message;
	char			*cause;		/* why it cannot be delivered */
	unsigned long long	 octets;	/* retrieved, line ends apart */
	unsigned long long	 lines;
	unsigned long long	 untick;	/* octets since the last tick */
	/* the messages in sendmail */
	struct delivery_job	*jobs;
	size_t			 njobs;
	struct submit		**sessions;	/* max_sendmail, NULL = none */
	int			 halted;	/* sendmail cannot be started */
};

int
delivery_size_agrees(unsigned long long announced, unsigned long long octets,
    unsigned long long lines)
{
	unsigned long long	 lf = octets + lines, crlf = octets + 2 * lines;

	/*
	 * Counted with LF or with CRLF line ends, the last line perhaps
	 * without its end; not anything in between, which a message cut
	 * short by some lines could match.
	 */
	return (announced <= lf && announced + 1 >= lf) ||
	    (announced <= crlf && announced + 2 >= crlf);
}

struct delivery *
delivery_new(const struct delivery_params *params)
{
	struct delivery	*d;

	d = xcalloc(1, sizeof(*d));
	d->params = *params;
	if (d->params.max_sendmail == 0)
		d->params.max_sendmail = 1;
	d->jobs = xreallocarray(NULL, d->params.max_sendmail,
	    sizeof(*d->jobs));
	d->sessions = xcalloc(d->params.max_sendmail, sizeof(*d->sessions));
	return d;
}

/* A job ended: report it and free it. */
static void
delivery_job_done(struct delivery *d, size_t i, int outcome,
    const char *cause)
{
	struct delivery_job	*job = &d->jobs[i];

	if (outcome == INJECT_DELIVERED)
		d->params.delivered(d->params.arg, job->index, &job->result);
	else
		d->params.failed(d->params.arg, job->index, cause);
	if (job->inject != NULL)
		inject_free(job->inject);
	spool_free(job->spool);
	message_result_free(&job->result);
	d->jobs[i] = d->jobs[--d->njobs];
}

/* Whether sendmail is done with job: INJECT_RUNNING or its outcome. */
static int
delivery_job_poll(struct delivery_job *job, char **cause)
{
	if (job->session != NULL)
		return submit_poll(job->session, cause);
	return inject_poll(job->inject, cause);
}

/* Report every job that ended; returns how many did. */
static size_t
delivery_reap(struct delivery *d)
{
	char	*cause;
	size_t	 i = 0, ended = 0;
	int	 outcome;

	while (i < d->njobs) {
		cause = NULL;
		outcome = delivery_job_poll(&d->jobs[i], &cause);
		if (outcome == INJECT_RUNNING) {
			i++;
			continue;
		}
		delivery_job_done(d, i, outcome, cause);
		free(cause);
		ended++;
	}
	return ended;
}

/* Wait until at most left jobs are in sendmail. */
static void
delivery_wait(struct delivery *d, size_t left)
{
	struct pollfd	*fds;
	size_t		 i;

	fds = xreallocarray(NULL, 2 * d->params.max_sendmail, sizeof(*fds));
	delivery_reap(d);
	while (d->njobs > left) {
		for (i = 0; i < d->njobs; i++) {
			if (d->jobs[i].session != NULL)
				submit_pollfds(d->jobs[i].session, fds + 2 * i);
			else
				inject_pollfds(d->jobs[i].inject, fds + 2 * i);
		}
		poll(fds, 2 * d->njobs, DELIVERY_WAIT);
		delivery_reap(d);
		d->params.tick(d->params.arg);
	}
	free(fds);
}

/*
 * An idle session, started or started again as needed. NULL when none
 * can be started: then this delivery goes on with one sendmail -i per
 * message (a sendmail_path that does not speak SMTP on -bs), said once.
 */
static struct submit *
delivery_session(struct delivery *d)
{
	char		 *cause = NULL;
	struct submit	**slot = NULL;
	size_t		  i;

	for (i = 0; i < d->params.max_sendmail; i++) {
		if (d->sessions[i] == NULL || !submit_busy(d->sessions[i])) {
			slot = &d->sessions[i];
			break;
		}
	}
	if (slot == NULL)
		fatalx("no idle sendmail session");
	if (*slot != NULL && !submit_usable(*slot)) {
		submit_free(*slot);
		*slot = NULL;
	}
	if (*slot == NULL && (*slot = submit_start(d->params.sendmail_argv,
	    d->params.timeout, &cause)) == NULL) {
		log_warnx("account=%s: %s -bs: %s; one %s -i per message "
		    "instead", d->params.message.account,
		    d->params.sendmail_argv[0], cause,
		    d->params.sendmail_argv[0]);
		free(cause);
		d->params.sessions = 0;
	}
	return *slot;
}

/* Start sendmail -i on the job's spool file; -1 with *cause. */
static int
delivery_start_message(struct delivery *d, struct delivery_job *job,
    char **cause)
{
	struct message_result	*r = &job->result;

	if (inject_check(d->params.sendmail_argv, r->sender, r->recipients,
	    r->count, cause) != 0)
		return -1;
	job->inject = inject_start(d->params.sendmail_argv, r->sender,
	    r->recipients, r->count, spool_fd(job->spool), d->params.timeout,
	    cause);
	if (job->inject == NULL)
		d->halted = 1;	/* it will not start for the next one either */
	return job->inject != NULL ? 0 : -1;
}

/* Start the job of a message in sendmail; -1 with *cause. */
static int
delivery_start(struct delivery *d, struct delivery_job *job, char **cause)
{
	struct message_result	*r = &job->result;

	if (d->params.sessions)
		job->session = delivery_session(d);
	if (job->session == NULL)
		return delivery_start_message(d, job, cause);
	if (submit_send(job->session, r->sender, r->recipients, r->count,
	    spool_fd(job->spool), cause) != 0)
		return -1;
	/* the session has it all: the file is not needed any more */
	spool_free(job->spool);
	job->spool = NULL;
	return 0;
}

/* Hand a complete, checked message to sendmail (waiting for a slot). */
static void
delivery_submit(struct delivery *d, struct spool *spool,
    struct message_result *result)
{
	struct delivery_job	*job;
	char			*cause = NULL;

	delivery_wait(d, d->params.max_sendmail - 1);
	job = &d->jobs[d->njobs];
	memset(job, 0, sizeof(*job));
	job->index = d->index;
	job->spool = spool;
	job->result = *result;
	if (d->params.tick(d->params.arg) != 0)
		cause = xstrdup("not handed to sendmail: the poll is "
		    "stopping");
	else if (delivery_start(d, job, &cause) == 0) {
		d->njobs++;
		return;
	}
	d->params.failed(d->params.arg, d->index, cause);
	free(cause);
	spool_free(job->spool);
	message_result_free(&job->result);
}

/* Forget the message being retrieved. */
static void
delivery_reset(struct delivery *d)
{
	if (d->message != NULL)
		message_abort(d->message);
	spool_free(d->spool);
	free(d->cause);
	d->message = NULL;
	d->spool = NULL;
	d->cause = NULL;
	d->active = 0;
}

static int
delivery_begin(void *arg, size_t index)
{
	struct delivery		*d = arg;
	struct message_params	 params = d->params.message;

	delivery_reset(d);
	d->index = index;
	d->octets = d->lines = d->untick = 0;
	delivery_reap(d);
	if (d->params.tick(d->params.arg) != 0 || d->halted)
		return -1;
	d->active = 1;
	if ((d->spool = spool_open(d->params.spool_directory,
	    &d->cause)) == NULL)
		return -1;
	params.uid = d->params.list[index].uid;
	params.received = d->params.list[index].received;
	d->message = message_begin(&params, d->spool);
	return 0;
}

static int
delivery_data(void *arg, const char *data, size_t len, int eol)
{
	struct delivery	*d = arg;

	if (d->message == NULL || d->cause != NULL)
		return -1;
	d->octets += len;
	d->lines += eol != 0;
	/* a long message: time passes for claims and commits too */
	if ((d->untick += len) >= DELIVERY_TICK) {
		d->untick = 0;
		delivery_reap(d);
		d->params.tick(d->params.arg);
	}
	if (message_write(d->message, data, len, eol, &d->cause) != 0)
		return -1;
	return 0;
}

/* The message was read whole: check it and hand it on, or report why
 * not. */
static void
delivery_complete(struct delivery *d)
{
	const struct driver_message	*m = &d->params.list[d->index];
	struct message_result		 result;
	struct message			*message = d->message;
	struct spool			*spool = d->spool;

	if (d->cause == NULL && !delivery_size_agrees(m->size, d->octets,
	    d->lines)) {
		d->cause = xprintf("size mismatch: the server announced %llu "
		    "octets, %llu arrived (with CRLF line ends)", m->size,
		    d->octets + 2 * d->lines);
		if (d->params.size_mismatch_ok) {
			/* a server whose sizes are known to be wrong */
			log_warnx("account=%s host=%s uid=%s: %s; delivered "
			    "(size_mismatch = deliver)",
			    d->params.message.account, d->params.message.host,
			    m->uid, d->cause);
			free(d->cause);
			d->cause = NULL;
		}
	}
	if (d->cause != NULL) {
		d->params.failed(d->params.arg, d->index, d->cause);
		return;
	}
	d->message = NULL;
	if (message_end(message, &result, &d->cause) != 0) {
		d->params.failed(d->params.arg, d->index, d->cause);
		return;
	}
	d->spool = NULL;
	delivery_submit(d, spool, &result);
}

static int
delivery_end(void *arg, size_t index, int complete, const char *refusal)
{
	struct delivery	*d = arg;
	char		*why;

	(void)index;
	if (d->active && !complete) {
		if (refusal != NULL)
			why = xprintf("refused by the server: %s", refusal);
		else
			why = xstrdup(d->cause != NULL ? d->cause :
			    "retrieval incomplete");
		d->params.failed(d->params.arg, d->index, why);
		free(why);
	} else if (d->active)
		delivery_complete(d);
	delivery_reset(d);
	delivery_reap(d);
	return d->params.tick(d->params.arg) || d->halted;
}

const struct driver_sink delivery_sink = {
	delivery_begin, delivery_data, delivery_end
};

void
delivery_drain(struct delivery *d)
{
	delivery_wait(d, 0);
}

void
delivery_free(struct delivery *d)
{
	size_t	 i;

	if (d == NULL)
		return;
	delivery_reset(d);
	delivery_drain(d);
	for (i = 0; i < d->params.max_sendmail; i++)
		submit_free(d->sessions[i]);
	free(d->sessions);
	free(d->jobs);
	free(d);
}
