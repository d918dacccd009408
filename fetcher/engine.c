/*
 * One poll of one account, whatever its protocol: the engine drives a
 * driver (driver.h) through its folders and hands what it retrieves to
 * the delivery sink. The order is what keeps mail safe: a message is
 * deleted on the server only after sendmail exited 0 for it and its UID
 * is committed in postfetch.seen; any failure leaves it there.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "clock.h"
#include "conf.h"
#include "delivery.h"
#include "driver.h"
#include "engine.h"
#include "etrn.h"
#include "log.h"
#include "seen.h"
#include "store.h"
#include "xmalloc.h"

/* Everything one poll of one account works with. */
struct engine {
	const struct engine_context *context;
	struct account		 account;
	const struct driver	*driver;
	void			*session;
	struct driver_info	 info;
	long long		 poll_id;

	/* the folder being polled */
	struct seen_key		 key;
	struct driver_message	*list;		/* what the server has */
	size_t			 count;
	struct uidset		 seen;		/* committed before */
	struct uidset		 skipped;
	unsigned char		*committed;	/* per list entry, this poll */
	size_t			*pending;	/* delivered, not committed */
	char		       **pending_ids;	/* their Message-IDs */
	size_t			 npending;
	long long		 pending_since;	/* clock_ms() */

	size_t			 messages;	/* delivered this poll */
	unsigned long long	 bytes;
	size_t			 failed;	/* messages left after a failure */
	char			*failed_cause;	/* the first such failure */
	size_t			 undeleted;	/* DELE refused */
	char			*undeleted_reply; /* the first such reply */
	int			 stop;		/* deliver no more (db down) */
	char			*error;		/* why the poll failed */
	long long		 started;	/* clock_ms() */
	time_t			 renewed;
	unsigned long		 connection;	/* db_generation() claimed on */
};

volatile sig_atomic_t	 engine_interrupted;

/*
 * SIGINT, SIGTERM, SIGHUP: the first one ends the poll cleanly (the
 * message in flight is abandoned, what was delivered is deleted and
 * recorded); a second one kills at once.
 */
static void
engine_interrupt(int sig)
{
	if (engine_interrupted) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	engine_interrupted = 1;
}

void
engine_catch_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = engine_interrupt;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		fatal("sigaction");
}

size_t
engine_default_sendmail(void)
{
	long	 cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (cores < 2)
		return 2;
	return cores > 8 ? 8 : (size_t)cores;
}

/* Remember why the poll failed; the first cause wins. Takes cause. */
static void
engine_fail(struct engine *e, char *cause)
{
	if (e->error == NULL)
		e->error = cause;
	else
		free(cause);
}

/* The remote host as logged ("-" if the row has none). */
static const char *
engine_host(const struct engine *e)
{
	return e->account.host != NULL ? e->account.host : "-";
}

/* The folder for log lines: "" (POP3) is not shown. */
static const char *
engine_folder_shown(const struct engine *e, const char *prefix)
{
	return e->key.folder[0] != '\0' ? prefix : "";
}

/*
 * Keep the claim alive during a long poll, and look at it again at once
 * when the database connection was made anew (the lock went with the old
 * one). A claim taken by another fetcher stops the poll after the
 * messages in flight, before anything is deleted; a database error only
 * warns (the next renewal tries again).
 */
static void
engine_renew(struct engine *e)
{
	char	*cause = NULL;
	time_t	 now = time(NULL);

	if (now - e->renewed < ENGINE_RENEW &&
	    db_generation(e->context->db) == e->connection)
		return;
	e->renewed = now;
	e->connection = db_generation(e->context->db);
	switch (store_claim(e->context->db, e->account.id, e->context->owner,
	    ENGINE_LEASE, &cause)) {
	case 1:
		break;
	case 0:
		e->stop = 1;
		engine_fail(e, xstrdup("the claim was lost to another "
		    "fetcher"));
		break;
	default:
		log_warnx("account=%s host=%s: claim not renewed: %s",
		    e->account.name, engine_host(e), cause);
		free(cause);
		break;
	}
}

/*
 * Commit the UIDs; when the connection to the database is lost, reconnect
 * and try again for up to timeout seconds, with the claim taken again
 * first. Delivered mail is recorded even if another fetcher took the
 * claim meanwhile (engine_renew then stops the poll). Returns as
 * seen_commit().
 */
static int
engine_seen_commit(struct engine *e, const char **uids,
    const unsigned long long *sizes, char **cause)
{
	struct db		*db = e->context->db;
	const struct timespec	 nap = { 0, ENGINE_RETRY_MS * 1000000L };
	long long		 deadline;
	int			 rc;

	rc = seen_commit(db, &e->key, uids, sizes,
	    (const char *const *)e->pending_ids, e->npending, cause);
	if (rc != -1 || db_conn(db) != NULL)
		return rc;
	log_warnx("account=%s host=%s: database lost with %zu delivered "
	    "messages to record, retrying for up to %ds: %s", e->account.name,
	    engine_host(e), e->npending, e->context->conf->timeout, *cause);
	deadline = clock_ms() + e->context->conf->timeout * 1000LL;
	while (rc == -1 && db_conn(db) == NULL && clock_ms() < deadline) {
		nanosleep(&nap, NULL);
		free(*cause);
		*cause = NULL;
		if (db_connect(db, cause) != 0)
			continue;
		engine_renew(e);
		rc = seen_commit(db, &e->key, uids, sizes,
		    (const char *const *)e->pending_ids, e->npending, cause);
	}
	if (rc == 1)
		log_info("account=%s host=%s: %zu delivered messages recorded "
		    "after a reconnect", e->account.name, engine_host(e),
		    e->npending);
	return rc;
}

/*
 * Commit the delivered UIDs waiting for it, in one transaction. If that
 * fails (for a lost database, after engine_seen_commit's retries), they
 * stay on the server (and may be delivered again); the poll delivers no
 * more.
 */
static void
engine_commit(struct engine *e)
{
	const char		**uids;
	unsigned long long	 *sizes;
	size_t			  i;
	char			 *cause = NULL;
	int			  rc;

	if (e->npending == 0)
		return;
	uids = xreallocarray(NULL, e->npending, sizeof(*uids));
	sizes = xreallocarray(NULL, e->npending, sizeof(*sizes));
	for (i = 0; i < e->npending; i++) {
		uids[i] = e->list[e->pending[i]].uid;
		sizes[i] = e->list[e->pending[i]].size;
	}
	rc = engine_seen_commit(e, uids, sizes, &cause);
	if (rc == 1) {
		for (i = 0; i < e->npending; i++)
			e->committed[e->pending[i]] = 1;
	} else {
		for (i = 0; i < e->npending; i++)
			log_warnx("account=%s host=%s%s%s uid=%s: delivered but "
			    "not recorded, left on the server (it may be "
			    "delivered again): %s", e->account.name,
			    engine_host(e), engine_folder_shown(e, " folder="),
			    e->key.folder, uids[i], rc == 0 ? "the account's "
			    "mailbox changed during the poll" : cause);
		engine_fail(e, rc == 0 ? xstrdup("the account's mailbox "
		    "(host, port, username or protocol) changed during the "
		    "poll") : xprintf("database: %s", cause));
		e->stop = 1;
	}
	free(cause);
	free(uids);
	free(sizes);
	for (i = 0; i < e->npending; i++) {
		free(e->pending_ids[i]);
		e->pending_ids[i] = NULL;
	}
	e->npending = 0;
}

/* Delivery: sendmail accepted list[index]; its UID waits for a commit. */
static void
engine_delivered(void *arg, size_t index, const struct message_result *r)
{
	struct engine			*e = arg;
	const struct driver_message	*m = &e->list[index];

	e->messages++;
	e->bytes += m->size;
	log_info("account=%s host=%s%s%s uid=%s message-id=<%s> from=<%s> "
	    "size=%llu nrcpt=%zu: delivered", e->account.name,
	    engine_host(e), engine_folder_shown(e, " folder="), e->key.folder,
	    m->uid, r->message_id, r->sender, m->size, r->intended);
	if (e->npending == 0)
		e->pending_since = clock_ms();
	e->pending_ids[e->npending] = xstrdup(r->message_id);
	e->pending[e->npending++] = index;
	if (e->npending >= ENGINE_BATCH)
		engine_commit(e);
}

/* Delivery: list[index] was not delivered; it stays on the server. */
static void
engine_failed(void *arg, size_t index, const char *cause)
{
	struct engine			*e = arg;
	const struct driver_message	*m = &e->list[index];

	log_warnx("account=%s host=%s%s%s uid=%s size=%llu: not delivered, "
	    "left on the server: %s", e->account.name, engine_host(e),
	    engine_folder_shown(e, " folder="), e->key.folder, m->uid,
	    m->size, cause);
	e->failed++;
	if (e->failed_cause == NULL)
		e->failed_cause = xstrdup(cause);
}

/* Delivery: time passes; non-zero = start no more messages. */
static int
engine_tick(void *arg)
{
	struct engine	*e = arg;

	engine_renew(e);
	if (e->npending > 0 &&
	    clock_ms() - e->pending_since >= ENGINE_BATCH_MS)
		engine_commit(e);
	return e->stop || engine_interrupted;
}

/* Record a message left on the server on purpose, and log it once;
 * reason names the limit. */
static void
engine_skip(struct engine *e, const struct driver_message *m,
    unsigned long long max, const char *reason)
{
	char	*cause = NULL;

	if (uidset_has(&e->skipped, m->uid))
		return;
	if (seen_skip(e->context->db, &e->key, m->uid, m->size, reason,
	    &cause) != 0) {
		log_warnx("account=%s host=%s: uid=%s: skip not recorded: %s",
		    e->account.name, engine_host(e), m->uid, cause);
		free(cause);
	}
	log_info("account=%s host=%s%s%s uid=%s size=%llu: left on the "
	    "server: %s %s %llu", e->account.name, engine_host(e),
	    engine_folder_shown(e, " folder="), e->key.folder, m->uid,
	    m->size, strcmp(reason, "max_size") == 0 ? "larger than" :
	    "too large for", reason, max);
}

/*
 * Whether list[i] was delivered before: its UID is in seen with the same
 * size (a server that reuses a UID gives a new message with it, most
 * likely of another size). Rows from before sizes were kept match.
 */
static int
engine_seen_before(const struct engine *e, size_t i)
{
	const struct uidset_entry	*seen;

	seen = uidset_find(&e->seen, e->list[i].uid);
	return seen != NULL && (seen->size == -1 ||
	    (unsigned long long)seen->size == e->list[i].size);
}

/*
 * Decide what to fetch: not seen, and not over max_size or Postfix's
 * message_size_limit, whichever is smaller (those are recorded in skipped
 * and logged the first time only). Returns the list indexes in *wanted.
 */
static size_t
engine_select(struct engine *e, size_t *wanted)
{
	const struct uidset_entry	*seen;
	unsigned long long		 max = e->account.max_size, room;
	unsigned long long		 limit = e->context->size_limit;
	const char			*reason = "max_size";
	size_t				 i, n = 0;

	room = max;
	if (limit != 0 && (max == 0 || limit <= max + ENGINE_SIZE_ROOM)) {
		max = limit;
		reason = "message_size_limit";
		/* Postfix counts our header fields and its own too */
		room = limit > ENGINE_SIZE_ROOM ? limit - ENGINE_SIZE_ROOM : 1;
	}
	for (i = 0; i < e->count; i++) {
		if (engine_seen_before(e, i))
			continue;
		if ((seen = uidset_find(&e->seen, e->list[i].uid)) != NULL)
			log_info("account=%s host=%s%s%s uid=%s: listed with "
			    "size %llu, recorded with size %lld: fetched as a "
			    "new message", e->account.name, engine_host(e),
			    engine_folder_shown(e, " folder="), e->key.folder,
			    e->list[i].uid, e->list[i].size, seen->size);
		if (max == 0 || e->list[i].size <= room)
			wanted[n++] = i;
		else
			engine_skip(e, &e->list[i], max, reason);
	}
	return n;
}

/* Forget the UIDs of one index (seen or skipped) not in present. */
static void
engine_prune_index(struct engine *e, int skipped, const char **present)
{
	char	*cause = NULL;

	if (seen_prune(e->context->db, &e->key, skipped, present, e->count,
	    &cause) == 0)
		return;
	log_warnx("account=%s host=%s: %s index not pruned: %s",
	    e->account.name, engine_host(e), skipped ? "skipped" : "seen",
	    cause);
	free(cause);
}

/*
 * Forget UIDs that are gone from the server: the skipped ones always (so
 * that status counts what is there), the seen ones without keep.
 */
static void
engine_prune(struct engine *e)
{
	const char	**present;
	size_t		  i;

	present = xreallocarray(NULL, e->count + 1, sizeof(*present));
	for (i = 0; i < e->count; i++)
		present[i] = e->list[i].uid;
	engine_prune_index(e, 1, present);
	if (!e->account.keep)
		engine_prune_index(e, 0, present);
	free(present);
}

/* Retrieve the wanted messages through the delivery sink. */
static int
engine_fetch(struct engine *e, const size_t *wanted, size_t n, char **cause)
{
	const struct engine_context	*context = e->context;
	const struct conf		*conf = context->conf;
	struct delivery_params		 params;
	struct delivery			*delivery;
	int				 rc;

	memset(&params, 0, sizeof(params));
	params.message.account = e->account.name;
	params.message.host = engine_host(e);
	params.message.protocol = e->driver->name;
	params.message.folder = e->key.folder;
	params.message.deliver_to = e->account.deliver_to;
	params.message.fallback = e->account.fallback != NULL ?
	    e->account.fallback : conf->postmaster;
	params.message.postmaster = conf->postmaster;
	params.message.key = context->key;
	params.sendmail_argv = conf->sendmail_argv;
	params.spool_directory = conf->spool_directory;
	params.timeout = conf->timeout;
	params.max_sendmail = context->max_sendmail;
	params.sessions = strcmp(conf->sendmail_mode, "session") == 0;
	params.size_mismatch_ok = strcmp(conf->size_mismatch, "deliver") == 0;
	params.list = e->list;
	params.delivered = engine_delivered;
	params.failed = engine_failed;
	params.tick = engine_tick;
	params.arg = e;
	delivery = delivery_new(&params);
	rc = e->driver->fetch(e->session, e->list, wanted, n, &delivery_sink,
	    delivery, cause);
	delivery_free(delivery);
	engine_commit(e);
	return rc;
}

/*
 * Mark deleted every message whose UID is committed with its size: this
 * poll's, and earlier polls' that were not deleted (a crash, a failed
 * QUIT). A refused one is logged and the rest go on. The UIDs marked go
 * into *deleted (count *ndeleted) for engine_forget.
 */
static int
engine_delete(struct engine *e, const char ***deleted, size_t *ndeleted,
    char **cause)
{
	char		**refused;
	size_t		 *indexes, i, n = 0;
	int		 rc = 0;

	*ndeleted = 0;
	indexes = xreallocarray(NULL, e->count + 1, sizeof(*indexes));
	refused = xcalloc(e->count + 1, sizeof(*refused));
	*deleted = xreallocarray(NULL, e->count + 1, sizeof(**deleted));
	for (i = 0; i < e->count; i++) {
		if (e->committed[i] || engine_seen_before(e, i))
			indexes[n++] = i;
	}
	if (n > 0)
		rc = e->driver->delete(e->session, e->list, indexes, n, refused,
		    cause);
	for (i = 0; rc == 0 && i < n; i++) {
		if (refused[i] == NULL) {
			(*deleted)[(*ndeleted)++] = e->list[indexes[i]].uid;
			continue;
		}
		log_warnx("account=%s host=%s%s%s uid=%s: delivered, but the "
		    "server refused to delete it: %s", e->account.name,
		    engine_host(e), engine_folder_shown(e, " folder="),
		    e->key.folder, e->list[indexes[i]].uid, refused[i]);
		if (e->undeleted++ == 0)
			e->undeleted_reply = xstrdup(refused[i]);
	}
	for (i = 0; i < n; i++)
		free(refused[i]);
	free(indexes);
	free(refused);
	return rc;
}

/*
 * The server has expunged the deleted messages, so their UIDs leave the
 * seen index (a later message may reuse one). Failing here loses
 * nothing: the rows are pruned at the next poll.
 */
static void
engine_forget(struct engine *e, const char **deleted, size_t ndeleted)
{
	char	*cause = NULL;

	if (ndeleted == 0)
		return;
	if (seen_forget(e->context->db, &e->key, deleted, ndeleted,
	    &cause) != 0) {
		log_warnx("account=%s host=%s: seen index not trimmed: %s",
		    e->account.name, engine_host(e), cause);
		free(cause);
	}
}

/*
 * Record list[i] as seen without delivering it: it was delivered before
 * under another UIDVALIDITY. Takes message_id.
 */
static void
engine_seen_already(struct engine *e, size_t i, char *message_id)
{
	if (e->npending == 0)
		e->pending_since = clock_ms();
	uidset_add(&e->seen, e->list[i].uid, e->list[i].size);
	e->pending_ids[e->npending] = message_id;
	e->pending[e->npending++] = i;
	if (e->npending >= ENGINE_BATCH)
		engine_commit(e);
}

/*
 * The folder's UIDVALIDITY changed: its index holds rows under another
 * one only, and the UIDs of those mean nothing now. Instead of fetching
 * the whole folder again, a message whose Message-ID and size match one
 * delivered from it before is recorded as seen and not delivered again.
 * The old rows go then, so this is logged once.
 */
static int
engine_revalidate(struct engine *e, char **cause)
{
	struct seen_previous	 prev;
	char			**ids, *why = NULL;
	size_t			*indexes, i, matched = 0;
	int			 rc = 0;

	if (e->driver->identify == NULL || e->key.uidvalidity == 0 ||
	    e->seen.count > 0 || e->skipped.count > 0)
		return 0;
	if (seen_previous(e->context->db, &e->key, &prev, &why) != 0) {
		*cause = xprintf("database: %s", why);
		free(why);
		return -1;
	}
	if (prev.rows == 0) {
		seen_previous_free(&prev);
		return 0;
	}
	indexes = xreallocarray(NULL, e->count + 1, sizeof(*indexes));
	ids = xcalloc(e->count + 1, sizeof(*ids));
	for (i = 0; i < e->count; i++)
		indexes[i] = i;
	if (prev.count > 0 && e->count > 0 && (rc = e->driver->identify(
	    e->session, e->list, indexes, e->count, ids, cause)) == 0) {
		for (i = 0; i < e->count; i++) {
			if (ids[i] == NULL || !seen_previous_has(&prev, ids[i],
			    e->list[i].size))
				continue;
			engine_seen_already(e, i, ids[i]);
			ids[i] = NULL;
			matched++;
		}
		engine_commit(e);
	}
	if (rc == 0)
		log_info("account=%s host=%s folder=%s: UIDVALIDITY changed "
		    "from %lld to %lld: %zu of %zu messages delivered before "
		    "(same Message-ID and size), not fetched again",
		    e->account.name, engine_host(e), e->key.folder,
		    prev.uidvalidity, e->key.uidvalidity, matched, e->count);
	if (rc == 0 && !e->stop && seen_drop_previous(e->context->db,
	    &e->key, &why) != 0) {
		log_warnx("account=%s host=%s: index of the old UIDVALIDITY "
		    "not dropped: %s", e->account.name, engine_host(e), why);
		free(why);
	}
	for (i = 0; i < e->count; i++)
		free(ids[i]);
	free(ids);
	free(indexes);
	seen_previous_free(&prev);
	return rc;
}

/* Load what the index knows of the folder. */
static int
engine_load(struct engine *e, char **cause)
{
	char	*why = NULL;

	if (seen_load(e->context->db, &e->key, 0, &e->seen, &why) != 0 ||
	    seen_load(e->context->db, &e->key, 1, &e->skipped, &why) != 0) {
		*cause = xprintf("database: %s", why);
		free(why);
		return -1;
	}
	return 0;
}

/* Free what the folder's poll holds. */
static void
engine_folder_free(struct engine *e)
{
	free(e->list);
	uidset_free(&e->seen);
	uidset_free(&e->skipped);
	free(e->committed);
	free(e->pending);
	free(e->pending_ids);
	e->list = NULL;
	e->committed = NULL;
	e->pending = NULL;
	e->pending_ids = NULL;
	e->count = e->npending = 0;
}

/*
 * Poll one folder: list, fetch what is new, delete what is committed.
 * Without an expunge operation the deleted UIDs go to *deleted, to be
 * forgotten after quit. Returns -1 when the session is unusable.
 */
static int
engine_folder(struct engine *e, const char *folder, const char ***deleted,
    size_t *ndeleted, char **cause)
{
	const struct driver	*driver = e->driver;
	size_t			*wanted, n;
	int			 rc = -1;

	e->key.folder = folder;
	e->key.uidvalidity = 0;
	if (driver->select != NULL && driver->select(e->session, folder,
	    &e->key.uidvalidity, cause) != 0)
		return -1;
	if (driver->list(e->session, &e->list, &e->count, cause) != 0)
		return -1;
	if (engine_load(e, cause) != 0)
		return -1;
	engine_prune(e);
	e->committed = xcalloc(e->count + 1, 1);
	e->pending = xreallocarray(NULL, e->count + 1, sizeof(*e->pending));
	e->pending_ids = xcalloc(e->count + 1, sizeof(*e->pending_ids));
	if (engine_revalidate(e, cause) != 0)
		return -1;
	wanted = xreallocarray(NULL, e->count + 1, sizeof(*wanted));
	n = engine_select(e, wanted);
	if (n > 0 && engine_fetch(e, wanted, n, cause) != 0)
		goto out;
	if (engine_interrupted)
		engine_fail(e, xstrdup("interrupted by a signal"));
	engine_renew(e);	/* a reconnect: the claim is checked first */
	if (!e->account.keep && !e->stop &&
	    engine_delete(e, deleted, ndeleted, cause) != 0)
		goto out;
	if (driver->expunge != NULL) {
		if (driver->expunge(e->session, cause) != 0)
			goto out;
		engine_forget(e, *deleted, *ndeleted);
		*ndeleted = 0;
	}
	rc = 0;
out:
	free(wanted);
	return rc;
}

/*
 * Log the session and record a first TLS of a detect account in tls_seen,
 * for the record only: detect requires TLS whatever it says.
 */
static void
engine_connected(struct engine *e)
{
	struct account	*account = &e->account;
	char		*cause = NULL;

	log_debug("account=%s host=%s: connected to %s, %s%s%s%s, auth %s",
	    account->name, engine_host(e), e->info.address,
	    e->info.tls ? e->info.tls_version : "no TLS",
	    e->info.tls ? " " : "", e->info.tls_cipher,
	    e->info.tls && !e->info.tls_verified ? " (unverified)" : "",
	    e->info.auth_method);
	if (!e->info.tls || strcmp(account->tls, "detect") != 0 ||
	    account->tls_seen)
		return;
	if (store_tls_seen(e->context->db, account->id, &cause) != 0) {
		log_warnx("account=%s host=%s: TLS seen, not recorded: %s",
		    account->name, engine_host(e), cause);
		free(cause);
	} else
		log_info("account=%s host=%s: TLS negotiated, recorded in "
		    "tls_seen", account->name, engine_host(e));
}

/* The session: connect, each folder, quit. Errors in e->error. */
static void
engine_session(struct engine *e)
{
	char		**folders = NULL, *cause = NULL;
	const char	**deleted = NULL;
	size_t		  i, ndeleted = 0;

	e->session = driver_open(e->driver, &e->account, e->context->conf,
	    &e->info, &cause);
	if (e->session == NULL) {
		engine_fail(e, cause);
		return;
	}
	engine_connected(e);
	if (driver_folders(e->driver, e->session, &e->account, &folders,
	    &cause) != 0) {
		engine_fail(e, cause);
		return;
	}
	for (i = 0; folders[i] != NULL && !e->stop && !engine_interrupted;
	    i++) {
		free(deleted);
		deleted = NULL;
		ndeleted = 0;
		if (engine_folder(e, folders[i], &deleted, &ndeleted,
		    &cause) != 0) {
			engine_fail(e, cause);
			engine_folder_free(e);
			goto out;
		}
		/* without expunge (one folder): forgotten after quit */
		if (ndeleted == 0)
			engine_folder_free(e);
	}
	if (e->driver->quit(e->session, &cause) != 0)
		engine_fail(e, cause);
	else
		engine_forget(e, deleted, ndeleted);
	engine_folder_free(e);
out:
	free(deleted);
	xfreev(folders);
	e->key.folder = "";
}

/*
 * The poll of an ETRN account (etrn.c): no driver and no messages. The
 * provider's reply is logged, or on failure recorded as the poll's
 * error; the mail comes later by SMTP, to the milter.
 */
static void
engine_etrn(struct engine *e)
{
	char	*reply = NULL, *cause = NULL;
	int	 rc;

	rc = etrn_flush(&e->account, e->context->conf->timeout, &e->info,
	    &reply, &cause);
	if (e->info.address[0] != '\0')
		engine_connected(e);
	if (rc != 0) {
		engine_fail(e, cause);
		return;
	}
	log_info("account=%s host=%s: ETRN %s: %s", e->account.name,
	    engine_host(e), e->account.domain, reply);
	free(reply);
}

/* Seconds since the poll started. */
static double
engine_elapsed(const struct engine *e)
{
	return (clock_ms() - e->started) / 1000.0;
}

/* Record the poll and the account status; log the summary. */
static void
engine_finish(struct engine *e)
{
	struct db	*db = e->context->db;
	char		*cause = NULL;

	if (e->error == NULL && e->failed > 0)
		e->error = xprintf("%zu message%s not delivered: %s",
		    e->failed, e->failed == 1 ? "" : "s", e->failed_cause);
	/* delivered, but the mailbox does not empty: say so in status */
	if (e->error == NULL && e->undeleted > 0)
		e->error = xprintf("%zu delivered message%s not deleted, the "
		    "server refused: %s", e->undeleted, e->undeleted == 1 ?
		    "" : "s", e->undeleted_reply);
	/* Always "messages": log parsers match the contract's shape. */
	if (e->error == NULL || e->messages > 0)
		log_info("account=%s host=%s: %zu messages, %llu bytes in "
		    "%.1fs", e->account.name, engine_host(e), e->messages,
		    e->bytes, engine_elapsed(e));
	if (e->error != NULL)
		log_warnx("account=%s host=%s: poll failed: %s",
		    e->account.name, engine_host(e), e->error);
	if (store_poll_end(db, e->poll_id, e->messages, e->bytes, e->error,
	    &cause) != 0 ||
	    store_account_done(db, e->account.id, e->context->owner,
	    e->poll_id, e->messages, e->error, &cause) != 0) {
		log_warnx("account=%s host=%s: poll not recorded: %s",
		    e->account.name, engine_host(e), cause);
		free(cause);
		store_release(db, e->account.id, e->context->owner);
	}
}

/* Free what the poll holds; closes the session if still open. */
static void
engine_free(struct engine *e)
{
	if (e->session != NULL)
		e->driver->close(e->session);
	engine_folder_free(e);
	free(e->failed_cause);
	free(e->undeleted_reply);
	free(e->error);
	account_free(&e->account);
}

/* Claim the account and open its poll row. 1 = go, 0 = busy, -1 = error. */
static int
engine_start(struct engine *e)
{
	const struct engine_context	*context = e->context;
	char				*cause = NULL;
	int				 rc;

	rc = store_claim(context->db, e->account.id, context->owner,
	    ENGINE_LEASE, &cause);
	if (rc == 0) {
		log_info("account=%s host=%s: being polled by another fetcher,"
		    " skipped", e->account.name, engine_host(e));
		return 0;
	}
	e->connection = db_generation(context->db);
	if (rc == 1 && store_poll_begin(context->db, e->account.id,
	    context->owner, &e->poll_id, &cause) == 0)
		return 1;
	log_warnx("account=%s host=%s: poll failed: database: %s",
	    e->account.name, engine_host(e), cause);
	free(cause);
	store_release(context->db, e->account.id, context->owner);
	return -1;
}

int
engine_poll_account(const struct engine_context *context, const char *name)
{
	struct engine	 e;
	const char	*plain;
	int		 active, rc;

	memset(&e, 0, sizeof(e));
	e.context = context;
	e.started = clock_ms();
	e.renewed = time(NULL);
	if (account_find(context->db, name, "poll", &e.account,
	    &active) != 0)
		return -1;
	if (!active) {
		log_warnx("account=%s: inactive, not polled", name);
		account_free(&e.account);
		return -1;
	}
	e.key.account_id = e.account.id;
	e.key.folder = "";
	e.key.generation = e.account.mailbox_generation;
	if ((rc = engine_start(&e)) != 1) {
		account_free(&e.account);
		return rc;
	}
	if (!e.account.tls_verify)
		log_warnx("account=%s host=%s: TLS certificate verification "
		    "disabled", e.account.name, engine_host(&e));
	if ((plain = driver_plain_warning(&e.account)) != NULL)
		log_warnx("account=%s host=%s: %s", e.account.name,
		    engine_host(&e), plain);
	if (strcmp(e.account.protocol, "etrn") == 0)
		engine_etrn(&e);
	else if ((e.driver = driver_find(e.account.protocol)) == NULL)
		e.error = xprintf("protocol %s is not supported yet",
		    e.account.protocol);
	else
		engine_session(&e);
	engine_finish(&e);
	rc = e.error == NULL ? 0 : -1;
	engine_free(&e);
	return rc;
}
