/*
 * One poll of one POP3 account. The order is what keeps mail safe: a
 * message is deleted on the server only after sendmail exited 0 for it and
 * its UID is committed in postfetch.seen; any failure leaves it there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "clock.h"
#include "conf.h"
#include "log.h"
#include "message.h"
#include "poll.h"
#include "pop3.h"
#include "seen.h"
#include "store.h"
#include "xmalloc.h"

/* The sink state of one message on its way to sendmail. */
struct poll_message {
	size_t			 index;		/* in the server's list */
	struct message		*message;	/* NULL when not started */
	char			*cause;		/* why it failed */
	int			 abandoned;	/* stopped on purpose: abort */
};

/* Everything one poll of one account works with. */
struct poll {
	const struct poll_context *context;
	struct account		 account;
	struct seen_key		 key;
	long long		 poll_id;
	struct pop3		*pop3;
	struct pop3_info	 info;
	struct pop3_message	*list;		/* what the server has */
	size_t			 count;
	struct uidset		 seen;		/* committed before this poll */
	struct uidset		 skipped;
	unsigned char		*delivered;	/* per list entry, this poll */
	struct poll_message	*current;	/* message in flight */
	size_t			 messages;	/* delivered this poll */
	unsigned long long	 bytes;
	size_t			 failed;	/* messages left after a failure */
	char			*failed_cause;	/* the first such failure */
	int			 stop;		/* deliver no more (db down) */
	char			*error;		/* why the poll failed */
	long long		 started;	/* clock_ms() */
	time_t			 renewed;
};

volatile sig_atomic_t	 poll_interrupted;

/* Remember why the poll failed; the first cause wins. Takes cause. */
static void
poll_fail(struct poll *poll, char *cause)
{
	if (poll->error == NULL)
		poll->error = cause;
	else
		free(cause);
}

/* The remote host as logged ("-" if the row has none). */
static const char *
poll_host(const struct poll *poll)
{
	return poll->account.host != NULL ? poll->account.host : "-";
}

/*
 * Keep the claim alive during a long poll, also in the middle of a long
 * message. A claim taken by another fetcher stops the poll after the
 * message in flight; a database error only warns (the next renewal tries
 * again).
 */
static void
poll_renew(struct poll *poll)
{
	char	*cause = NULL;
	time_t	 now = time(NULL);

	if (now - poll->renewed < POLL_RENEW)
		return;
	poll->renewed = now;
	switch (store_claim(poll->context->db, poll->account.id,
	    poll->context->owner, POLL_LEASE, &cause)) {
	case 1:
		break;
	case 0:
		poll->stop = 1;
		poll_fail(poll, xstrdup("the claim was lost to another "
		    "fetcher"));
		break;
	default:
		log_warnx("account=%s host=%s: claim not renewed: %s",
		    poll->account.name, poll_host(poll), cause);
		free(cause);
		break;
	}
}

/* A message could not be delivered: log it, it stays on the server. */
static void
poll_message_failed(struct poll *poll, struct poll_message *pm,
    const char *cause)
{
	const struct pop3_message	*m = &poll->list[pm->index];

	log_warnx("account=%s host=%s uid=%s size=%llu: not delivered, left "
	    "on the server: %s", poll->account.name, poll_host(poll), m->uid,
	    m->size, cause);
	poll->failed++;
	if (poll->failed_cause == NULL)
		poll->failed_cause = xstrdup(cause);
}

/* sendmail accepted the message: commit its UID, then it may be deleted. */
static void
poll_message_delivered(struct poll *poll, struct poll_message *pm,
    const struct message_result *result)
{
	const struct pop3_message	*m = &poll->list[pm->index];
	char				*cause = NULL;

	if (seen_add(poll->context->db, &poll->key, m->uid, &cause) != 0) {
		log_warnx("account=%s host=%s uid=%s message-id=<%s>: "
		    "delivered but not recorded, left on the server (it may "
		    "be delivered again): %s", poll->account.name,
		    poll_host(poll), m->uid, result->message_id, cause);
		poll_fail(poll, xprintf("database: %s", cause));
		free(cause);
		poll->stop = 1;
		return;
	}
	poll->delivered[pm->index] = 1;
	poll->messages++;
	poll->bytes += m->size;
	log_info("account=%s host=%s uid=%s message-id=<%s> from=<%s> "
	    "size=%llu nrcpt=%zu: delivered", poll->account.name,
	    poll_host(poll), m->uid, result->message_id, result->sender,
	    m->size, result->recipients);
}

/* Finish the message in flight; complete = all of it was retrieved. */
static void
poll_message_finish(struct poll *poll, int complete)
{
	struct poll_message	*pm = poll->current;
	struct message_result	 result;
	const char		*reply;
	char			*cause = NULL;

	if (pm == NULL)
		return;
	poll->current = NULL;
	if (pm->message == NULL) {
		/* Not started: the poll stopped delivering. */
	} else if (!complete || pm->abandoned) {
		message_abort(pm->message);
		reply = pop3_last_reply(poll->pop3);
		if (pm->cause == NULL && strncmp(reply, "-ERR", 4) == 0)
			pm->cause = xprintf("RETR refused: %s", reply);
		poll_message_failed(poll, pm, pm->cause != NULL ? pm->cause :
		    "retrieval incomplete");
	} else {
		memset(&result, 0, sizeof(result));
		if (message_end(pm->message, &result, &cause) == 0 &&
		    pm->cause == NULL)
			poll_message_delivered(poll, pm, &result);
		else
			poll_message_failed(poll, pm, cause != NULL ? cause :
			    pm->cause != NULL ? pm->cause : "sendmail failed");
		free(cause);
	}
	free(pm->cause);
	free(pm);
}

/* Sink: a message starts; start its sendmail. */
static int
poll_sink_begin(void *arg, size_t index)
{
	struct poll		*poll = arg;
	struct account		*account = &poll->account;
	const struct conf	*conf = poll->context->conf;
	struct message_params	 params;

	poll_message_finish(poll, 0);
	poll->current = xcalloc(1, sizeof(*poll->current));
	poll->current->index = index;
	if (poll->stop || poll_interrupted)
		return -1;
	memset(&params, 0, sizeof(params));
	params.account = account->name;
	params.host = poll_host(poll);
	params.protocol = "POP3";
	params.uid = poll->list[index].uid;
	params.deliver_to = account->deliver_to;
	params.fallback = account->fallback != NULL ? account->fallback :
	    conf->postmaster;
	params.key = poll->context->key;
	params.sendmail_argv = conf->sendmail_argv;
	/*
	 * The one timeout: the server waits while sendmail stalls, and a
	 * message given up is only fetched again, never lost.
	 */
	params.timeout = conf->timeout;
	if ((poll->current->message = message_begin(&params)) == NULL) {
		poll->current->cause = xstrdup("message could not be started");
		return -1;
	}
	return 0;
}

/* Sink: a piece of the message, passed on to sendmail. */
static int
poll_sink_data(void *arg, const char *data, size_t len, int eol)
{
	struct poll		*poll = arg;
	struct poll_message	*pm = poll->current;

	if (pm == NULL || pm->message == NULL || pm->cause != NULL)
		return -1;
	if (poll_interrupted) {
		pm->cause = xstrdup("interrupted");
		pm->abandoned = 1;
		return -1;
	}
	poll_renew(poll);
	if (message_write(pm->message, data, len, eol, &pm->cause) != 0) {
		if (pm->cause == NULL)
			pm->cause = xstrdup("sendmail failed");
		return -1;
	}
	return 0;
}

/*
 * Sink: the message ended; deliver it and record it, or leave it. Non-zero
 * when the poll must deliver no more (database down, a signal): no further
 * RETR is sent, rather than downloading messages only to drop them.
 */
static int
poll_sink_end(void *arg, size_t index, int complete)
{
	struct poll	*poll = arg;

	(void)index;
	poll_message_finish(poll, complete);
	if (poll->stop || poll_interrupted)
		return 1;
	poll_renew(poll);
	return 0;
}

static const struct pop3_sink poll_sink = {
	poll_sink_begin, poll_sink_data, poll_sink_end
};

/*
 * Decide what to fetch: not seen, and not over max_size or Postfix's
 * message_size_limit, whichever is smaller (those are recorded in skipped
 * and logged the first time only). Returns the list indexes in *wanted.
 */
static size_t
poll_select(struct poll *poll, size_t *wanted)
{
	const struct pop3_message	*m;
	unsigned long long		 max = poll->account.max_size;
	unsigned long long		 limit = poll->context->size_limit;
	const char			*reason = "max_size";
	size_t				 i, n = 0;
	char				*cause = NULL;

	if (limit != 0 && (max == 0 || limit < max)) {
		max = limit;
		reason = "message_size_limit";
	}
	for (i = 0; i < poll->count; i++) {
		m = &poll->list[i];
		if (uidset_has(&poll->seen, m->uid))
			continue;
		if (max == 0 || m->size <= max) {
			wanted[n++] = i;
			continue;
		}
		if (uidset_has(&poll->skipped, m->uid))
			continue;
		if (seen_skip(poll->context->db, &poll->key, m->uid, m->size,
		    reason, &cause) != 0) {
			log_warnx("account=%s host=%s uid=%s: skip not "
			    "recorded: %s", poll->account.name,
			    poll_host(poll), m->uid, cause);
			free(cause);
			cause = NULL;
		}
		log_info("account=%s host=%s uid=%s size=%llu: left on the "
		    "server: larger than %s %llu", poll->account.name,
		    poll_host(poll), m->uid, m->size, reason, max);
	}
	return n;
}

/* Forget seen UIDs that are gone from the server (POP3 without keep). */
static void
poll_prune(struct poll *poll)
{
	const char	**present;
	size_t		  i;
	char		 *cause = NULL;

	present = xreallocarray(NULL, poll->count + 1, sizeof(*present));
	for (i = 0; i < poll->count; i++)
		present[i] = poll->list[i].uid;
	if (seen_prune(poll->context->db, &poll->key, present, poll->count,
	    &cause) != 0) {
		log_warnx("account=%s host=%s: seen index not pruned: %s",
		    poll->account.name, poll_host(poll), cause);
		free(cause);
	}
	free(present);
}

/*
 * DELE every message whose UID is committed in seen: this poll's, and
 * earlier polls' that were not deleted (a crash, a failed QUIT). The
 * UIDs go into *deleted (count *ndeleted) for poll_forget.
 */
static int
poll_delete(struct poll *poll, const char ***deleted, size_t *ndeleted,
    char **cause)
{
	unsigned	*numbers;
	size_t		 i, n = 0;
	int		 rc;

	numbers = xreallocarray(NULL, poll->count + 1, sizeof(*numbers));
	*deleted = xreallocarray(NULL, poll->count + 1, sizeof(**deleted));
	for (i = 0; i < poll->count; i++) {
		if (poll->delivered[i] ||
		    uidset_has(&poll->seen, poll->list[i].uid)) {
			numbers[n] = poll->list[i].number;
			(*deleted)[n++] = poll->list[i].uid;
		}
	}
	*ndeleted = n;
	rc = n == 0 ? 0 : pop3_delete(poll->pop3, numbers, n, cause);
	free(numbers);
	return rc;
}

/*
 * QUIT answered +OK: the server has expunged the deleted messages, so
 * their UIDs leave the seen index (a later message may reuse one).
 * Failing here loses nothing: the rows are pruned at the next poll.
 */
static void
poll_forget(struct poll *poll, const char **deleted, size_t ndeleted)
{
	char	*cause = NULL;

	if (ndeleted == 0)
		return;
	if (seen_forget(poll->context->db, &poll->key, deleted, ndeleted,
	    &cause) != 0) {
		log_warnx("account=%s host=%s: seen index not trimmed: %s",
		    poll->account.name, poll_host(poll), cause);
		free(cause);
	}
}

/* The session: connect, list, fetch, delete, quit. Errors in poll->error. */
static void
poll_session(struct poll *poll)
{
	const struct poll_context	*context = poll->context;
	struct account			*account = &poll->account;
	size_t				*wanted, n, ndeleted = 0;
	const char			**deleted = NULL;
	char				*cause = NULL;
	int				 rc;

	poll->pop3 = pop3_open(account, context->conf->timeout,
	    (const char **)context->conf->token_argv, &poll->info, &cause);
	if (poll->pop3 == NULL) {
		poll_fail(poll, cause);
		return;
	}
	log_debug("account=%s host=%s: connected to %s, %s%s%s%s, auth %s",
	    account->name, poll_host(poll), poll->info.address,
	    poll->info.tls ? poll->info.tls_version : "no TLS",
	    poll->info.tls ? " " : "", poll->info.tls_cipher,
	    poll->info.tls && !poll->info.tls_verified ? " (unverified)" : "",
	    poll->info.auth_method);
	if (poll->info.tls && strcmp(account->tls, "detect") == 0 &&
	    !account->tls_seen) {
		if (store_tls_seen(context->db, account->id, &cause) != 0) {
			log_warnx("account=%s host=%s: TLS seen, not recorded:"
			    " %s", account->name, poll_host(poll), cause);
			free(cause);
			cause = NULL;
		} else
			log_info("account=%s host=%s: TLS negotiated, now "
			    "required for this account", account->name,
			    poll_host(poll));
	}
	if (pop3_list(poll->pop3, &poll->list, &poll->count, &cause) != 0) {
		poll_fail(poll, cause);
		return;
	}
	if (seen_load(context->db, &poll->key, 0, &poll->seen, &cause) != 0 ||
	    seen_load(context->db, &poll->key, 1, &poll->skipped,
	    &cause) != 0) {
		poll_fail(poll, xprintf("database: %s", cause));
		free(cause);
		return;
	}
	if (!account->keep)
		poll_prune(poll);
	poll->delivered = xcalloc(poll->count + 1, 1);
	wanted = xreallocarray(NULL, poll->count + 1, sizeof(*wanted));
	n = poll_select(poll, wanted);
	rc = 0;
	if (n > 0)
		rc = pop3_retrieve(poll->pop3, poll->list, wanted, n,
		    &poll_sink, poll, &cause);
	poll_message_finish(poll, 0);
	free(wanted);
	if (rc != 0) {
		poll_fail(poll, cause);
		return;
	}
	if (poll_interrupted)
		poll_fail(poll, xstrdup("interrupted by a signal"));
	if (!account->keep &&
	    poll_delete(poll, &deleted, &ndeleted, &cause) != 0) {
		poll_fail(poll, cause);
		free(deleted);
		return;
	}
	if (pop3_quit(poll->pop3, &cause) != 0)
		poll_fail(poll, cause);
	else
		poll_forget(poll, deleted, ndeleted);
	free(deleted);
}

/* Seconds since the poll started. */
static double
poll_elapsed(const struct poll *poll)
{
	return (clock_ms() - poll->started) / 1000.0;
}

/* Record the poll and the account status; log the summary. */
static void
poll_finish(struct poll *poll)
{
	struct db	*db = poll->context->db;
	char		*cause = NULL;

	if (poll->error == NULL && poll->failed > 0)
		poll->error = xprintf("%zu message%s not delivered: %s",
		    poll->failed, poll->failed == 1 ? "" : "s",
		    poll->failed_cause);
	/* Always "messages": log parsers match the contract's shape. */
	if (poll->error == NULL || poll->messages > 0)
		log_info("account=%s host=%s: %zu messages, %llu bytes in "
		    "%.1fs", poll->account.name, poll_host(poll),
		    poll->messages, poll->bytes, poll_elapsed(poll));
	if (poll->error != NULL)
		log_warnx("account=%s host=%s: poll failed: %s",
		    poll->account.name, poll_host(poll), poll->error);
	if (store_poll_end(db, poll->poll_id, poll->messages, poll->bytes,
	    poll->error, &cause) != 0 ||
	    store_account_done(db, poll->account.id, poll->context->owner,
	    poll->poll_id, poll->messages, poll->error, &cause) != 0) {
		log_warnx("account=%s host=%s: poll not recorded: %s",
		    poll->account.name, poll_host(poll), cause);
		free(cause);
		store_release(db, poll->account.id, poll->context->owner);
	}
}

/* Free what the poll holds; closes the session if still open. */
static void
poll_free(struct poll *poll)
{
	if (poll->pop3 != NULL)
		pop3_close(poll->pop3);
	free(poll->list);
	uidset_free(&poll->seen);
	uidset_free(&poll->skipped);
	free(poll->delivered);
	free(poll->failed_cause);
	free(poll->error);
	account_free(&poll->account);
}

/* Claim the account and open its poll row. 1 = go, 0 = busy, -1 = error. */
static int
poll_start(struct poll *poll)
{
	const struct poll_context	*context = poll->context;
	char				*cause = NULL;
	int				 rc;

	rc = store_claim(context->db, poll->account.id, context->owner,
	    POLL_LEASE, &cause);
	if (rc == 0) {
		log_info("account=%s host=%s: being polled by another fetcher,"
		    " skipped", poll->account.name, poll_host(poll));
		return 0;
	}
	if (rc == 1 && store_poll_begin(context->db, poll->account.id,
	    context->owner, &poll->poll_id, &cause) == 0)
		return 1;
	log_warnx("account=%s host=%s: poll failed: database: %s",
	    poll->account.name, poll_host(poll), cause);
	free(cause);
	store_release(context->db, poll->account.id, context->owner);
	return -1;
}

int
poll_account(const struct poll_context *context, const char *name)
{
	struct poll	 poll;
	int		 active, rc;

	memset(&poll, 0, sizeof(poll));
	poll.context = context;
	poll.started = clock_ms();
	poll.renewed = time(NULL);
	if (account_find(context->db, name, "poll", &poll.account,
	    &active) != 0)
		return -1;
	if (!active) {
		log_warnx("account=%s: inactive, not polled", name);
		account_free(&poll.account);
		return -1;
	}
	poll.key.account_id = poll.account.id;
	poll.key.folder = "";
	poll.key.uidvalidity = 0;
	if ((rc = poll_start(&poll)) != 1) {
		account_free(&poll.account);
		return rc;
	}
	if (strcmp(poll.account.protocol, "pop3") != 0)
		poll.error = xprintf("protocol %s is not supported yet",
		    poll.account.protocol);
	else {
		if (!poll.account.tls_verify)
			log_warnx("account=%s host=%s: TLS certificate "
			    "verification disabled", poll.account.name,
			    poll_host(&poll));
		poll_session(&poll);
	}
	poll_finish(&poll);
	rc = poll.error == NULL ? 0 : -1;
	poll_free(&poll);
	return rc;
}
