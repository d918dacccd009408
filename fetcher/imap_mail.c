/*
 * IMAP as a driver of the engine: the driver table, SELECT (EXAMINE with
 * keep) for UIDVALIDITY, UID FETCH for the listing, UID STORE \Deleted,
 * and UID EXPUNGE with UIDPLUS; without it a plain EXPUNGE only when no
 * one else's \Deleted message would go with ours. A message already
 * marked \Deleted by someone else is left alone: not listed, not
 * expunged. Folders are in imap_folder.c, fetching in imap_fetch.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "account.h"
#include "driver.h"
#include "imap_session.h"
#include "log.h"
#include "xmalloc.h"


void
imap_unselect(struct imap *i)
{
	free(i->folder);
	free(i->seqs);
	free(i->marked);
	i->folder = NULL;
	i->seqs = NULL;
	i->marked = NULL;
	i->nseqs = i->nmarked = 0;
	i->exists = 0;
	i->uidvalidity = 0;
}

/* A number item within [min, max]. */
int
imap_bounded(const struct imap_item *item, long long min, long long max,
    long long *value)
{
	return imap_number(item, value) == 0 && *value >= min &&
	    *value <= max ? 0 : -1;
}

int
imap_by_uid(const void *a, const void *b)
{
	const unsigned long long	*ua = a, *ub = b;

	return *ua < *ub ? -1 : *ua > *ub;
}

/*
 * A UID set "1:3,7" of uids[0..n) (sorted), into a new string. The
 * caller keeps n small enough for a command line.
 */
char *
imap_uidset(const unsigned long long *uids, size_t n)
{
	char	*set, *next;
	size_t	 k, run;

	set = xstrdup("");
	for (k = 0; k < n; k += run) {
		for (run = 1; k + run < n && uids[k + run] ==
		    uids[k + run - 1] + 1; run++)
			;
		if (run > 1)
			next = xprintf("%s%s%llu:%llu", set, k > 0 ? "," : "",
			    uids[k], uids[k + run - 1]);
		else
			next = xprintf("%s%s%llu", set, k > 0 ? "," : "",
			    uids[k]);
		free(set);
		set = next;
	}
	return set;
}

/* --- select and list ------------------------------------------------- */

/* The untagged responses of SELECT: UIDVALIDITY (EXISTS is noted). */
static int
imap_select_response(struct imap *i, const struct imap_response *r,
    void *arg, char **cause)
{
	long long	 value;

	(void)arg;
	(void)cause;
	if (r->status == IMAP_OK && imap_is_atom(imap_child(r->code, 0),
	    "UIDVALIDITY") && imap_bounded(imap_child(r->code, 1), 1,
	    0xffffffffLL, &value) == 0)
		i->uidvalidity = value;
	return 0;
}

static int
imap_driver_select(void *session, const char *folder,
    long long *uidvalidity, char **cause)
{
	struct imap	*i = session;
	const char	*args[1];
	char		 tag[IMAP_TAG_MAX + 1], *wire;
	int		 rc;

	imap_unselect(i);
	if ((wire = imap_wire_name(i, folder, cause)) == NULL)
		return -1;
	args[0] = wire;
	i->folder = xstrdup(folder);
	rc = imap_command_strings(i, tag, i->keep ? "EXAMINE" : "SELECT",
	    args, 1, 0, cause);
	free(wire);
	if (rc != 0 || (rc = imap_wait(i, tag, imap_select_response, NULL,
	    cause)) == -1)
		return -1;
	if (rc != IMAP_OK) {
		xasprintf(cause, "%s %s: %s", i->keep ? "EXAMINE" : "SELECT",
		    folder, i->reply);
		return -1;
	}
	if (i->uidvalidity == 0) {
		xasprintf(cause, "SELECT %s: the server gave no UIDVALIDITY",
		    folder);
		return -1;
	}
	*uidvalidity = i->uidvalidity;
	return 0;
}

/* The value after name in a FETCH response's list, or NULL. */
const struct imap_item *
imap_fetch_item(const struct imap_item *list, const char *name)
{
	size_t	 n;

	for (n = 0; n + 1 < imap_count(list); n += 2) {
		if (imap_is_atom(imap_child(list, n), name))
			return imap_child(list, n + 1);
	}
	return NULL;
}

/* "* SEQ FETCH (...)": the sequence number and the list, or -1. */
int
imap_fetch_parts(const struct imap_response *r, unsigned long *seq,
    const struct imap_item **list)
{
	long long	 n;

	if (strcmp(r->tag, "*") != 0 || r->status != IMAP_STATUS_NONE ||
	    !imap_is_atom(imap_child(&r->items, 1), "FETCH") ||
	    imap_bounded(imap_child(&r->items, 0), 1, 0xffffffffLL, &n) != 0 ||
	    imap_type(imap_child(&r->items, 2)) != IMAP_LIST)
		return -1;
	*seq = n;
	*list = imap_child(&r->items, 2);
	return 0;
}

/* INTERNALDATE "17-Jul-1996 02:44:25 -0700" as a time, or -1. */
static time_t
imap_internaldate(const char *s)
{
	static const char	 months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm		 tm;
	const char		*m;
	char			 month[4], sign;
	int			 day, year, hour, min, sec, zone, n = 0;
	time_t			 t;

	if (s == NULL)
		return -1;
	while (*s == ' ')
		s++;
	if (sscanf(s, "%2d-%3c-%4d %2d:%2d:%2d %c%4d%n", &day, month, &year,
	    &hour, &min, &sec, &sign, &zone, &n) != 8 || s[n] != '\0' ||
	    (sign != '+' && sign != '-'))
		return -1;
	month[3] = '\0';
	if ((m = strstr(months, month)) == NULL || (m - months) % 3 != 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = day;
	tm.tm_mon = (m - months) / 3;
	tm.tm_year = year - 1900;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	if (day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 ||
	    zone % 100 > 59 || (t = timegm(&tm)) == -1)
		return -1;
	zone = (zone / 100) * 3600 + (zone % 100) * 60;
	return sign == '+' ? t - zone : t + zone;
}

/* What the listing gathers. */
struct imap_listed {
	struct driver_message	*list;
	size_t			 count;
	size_t			 allocated;
	const char		*error;
	char			 shown[IMAP_SHOWN + 4];
};

/* One FETCH response of the listing. */
static int
imap_listing_response(struct imap *i, const struct imap_response *r,
    void *arg, char **cause)
{
	struct imap_listed	*l = arg;
	const struct imap_item	*list, *flags;
	struct driver_message	*m;
	unsigned long		 seq;
	long long		 uid, size;
	size_t			 n;
	time_t			 received;

	(void)cause;
	if (imap_fetch_parts(r, &seq, &list) != 0)
		return 0;
	if (imap_bounded(imap_fetch_item(list, "UID"), 1, 0xffffffffLL,
	    &uid) != 0 || imap_bounded(imap_fetch_item(list, "RFC822.SIZE"),
	    0, 0x7fffffffffffffffLL, &size) != 0 ||
	    imap_type(flags = imap_fetch_item(list, "FLAGS")) != IMAP_LIST) {
		if (l->error == NULL) {
			l->error = "malformed FETCH response";
			strlcpy(l->shown, r->shown, sizeof(l->shown));
		}
		return 0;
	}
	if (i->nseqs == IMAP_MAX_MESSAGES) {
		l->error = "too many messages in the folder";
		return 0;
	}
	i->seqs = xreallocarray(i->seqs, i->nseqs + 1, sizeof(*i->seqs));
	i->seqs[i->nseqs].seq = seq;
	i->seqs[i->nseqs++].uid = uid;
	for (n = 0; n < imap_count(flags); n++) {
		if (imap_is_atom(imap_child(flags, n), "\\Deleted"))
			return 0;	/* someone else's to expunge */
	}
	received = imap_internaldate(imap_string(imap_fetch_item(list,
	    "INTERNALDATE")));
	if (l->count == l->allocated) {
		l->allocated = l->allocated == 0 ? 64 : l->allocated * 2;
		l->list = xreallocarray(l->list, l->allocated,
		    sizeof(*l->list));
	}
	m = &l->list[l->count++];
	memset(m, 0, sizeof(*m));
	snprintf(m->uid, sizeof(m->uid), "%lld", uid);
	m->handle = uid;
	m->size = size;
	m->received = received == -1 ? 0 : received;
	return 0;
}

static int
imap_by_handle(const void *a, const void *b)
{
	const struct driver_message	*ma = a, *mb = b;

	return ma->handle < mb->handle ? -1 : ma->handle > mb->handle;
}

static int
imap_driver_list(void *session, struct driver_message **list,
    size_t *count, char **cause)
{
	struct imap		*i = session;
	struct imap_listed	 l;
	char			 tag[IMAP_TAG_MAX + 1];
	size_t			 n;
	int			 rc;

	*list = NULL;
	*count = 0;
	memset(&l, 0, sizeof(l));
	free(i->seqs);
	i->seqs = NULL;
	i->nseqs = 0;
	if (i->exists == 0)
		return 0;
	if (imap_command(i, tag, cause, NULL,
	    "UID FETCH 1:* (UID RFC822.SIZE INTERNALDATE FLAGS)") != 0 ||
	    (rc = imap_wait(i, tag, imap_listing_response, &l, cause)) == -1)
		goto fail;
	if (rc != IMAP_OK) {
		xasprintf(cause, "UID FETCH (listing): %s", i->reply);
		goto fail;
	}
	if (l.error != NULL) {
		xasprintf(cause, "%s: %s", l.error, l.shown);
		goto fail;
	}
	if (l.count > 1)	/* l.list is NULL when nothing was listed */
		qsort(l.list, l.count, sizeof(*l.list), imap_by_handle);
	for (n = 1; n < l.count; n++) {
		if (l.list[n].handle == l.list[n - 1].handle) {
			xasprintf(cause, "the server listed UID %llu twice",
			    l.list[n].handle);
			goto fail;
		}
	}
	*list = l.list;
	*count = l.count;
	return 0;
fail:
	free(l.list);
	return -1;
}

/* --- delete, expunge, quit ------------------------------------------- */

/* UID STORE +FLAGS.SILENT (\Deleted) for positions [start, end). */
static int
imap_store_deleted(struct imap *i, const struct driver_message *list,
    const size_t *indexes, size_t start, size_t end, char **refused,
    char **cause)
{
	unsigned long long	 uids[IMAP_SET_UIDS] = { 0 };
	char			 tag[IMAP_TAG_MAX + 1], *set;
	size_t			 p;
	int			 rc;

	for (p = start; p < end; p++)
		uids[p - start] = list[indexes[p]].handle;
	qsort(uids, end - start, sizeof(uids[0]), imap_by_uid);
	set = imap_uidset(uids, end - start);
	rc = imap_command(i, tag, cause, NULL, "UID STORE %s +FLAGS.SILENT "
	    "(\\Deleted)", set);
	free(set);
	if (rc != 0 || (rc = imap_wait(i, tag, NULL, NULL, cause)) == -1)
		return imap_break(i, "write failed", cause);
	for (p = start; p < end; p++) {
		if (rc != IMAP_OK) {
			refused[p] = xstrdup(i->reply);
			continue;
		}
		i->marked = xreallocarray(i->marked, i->nmarked + 1,
		    sizeof(*i->marked));
		i->marked[i->nmarked++] = list[indexes[p]].handle;
	}
	return 0;
}

static int
imap_driver_delete(void *session, const struct driver_message *list,
    const size_t *indexes, size_t count, char **refused, char **cause)
{
	size_t	 start, end;

	for (start = 0; start < count; start = end) {
		end = count - start > IMAP_SET_UIDS ? start + IMAP_SET_UIDS :
		    count;
		if (imap_store_deleted(session, list, indexes, start, end,
		    refused, cause) != 0)
			return -1;
	}
	return 0;
}

/* What UID SEARCH DELETED found: how many are not ours. */
struct imap_others {
	size_t	 count;
};

static int
imap_search_response(struct imap *i, const struct imap_response *r,
    void *arg, char **cause)
{
	struct imap_others	*o = arg;
	unsigned long long	 key;
	long long		 uid;
	size_t			 n;

	(void)cause;
	if (!imap_is_atom(imap_child(&r->items, 0), "SEARCH"))
		return 0;
	for (n = 1; n < imap_count(&r->items); n++) {
		if (imap_bounded(imap_child(&r->items, n), 1, 0xffffffffLL,
		    &uid) != 0) {
			o->count++;	/* not understood: not ours */
			continue;
		}
		key = uid;
		if (bsearch(&key, i->marked, i->nmarked, sizeof(key),
		    imap_by_uid) == NULL)
			o->count++;
	}
	return 0;
}

/* Without UIDPLUS: EXPUNGE only if every \Deleted message is ours. */
static int
imap_expunge_plain(struct imap *i, char **cause)
{
	struct imap_others	 others;
	char			 tag[IMAP_TAG_MAX + 1];
	int			 rc;

	memset(&others, 0, sizeof(others));
	if (imap_command(i, tag, cause, NULL, "UID SEARCH DELETED") != 0 ||
	    (rc = imap_wait(i, tag, imap_search_response, &others,
	    cause)) == -1)
		return -1;
	if (rc != IMAP_OK) {
		xasprintf(cause, "UID SEARCH DELETED: %s", i->reply);
		return -1;
	}
	if (others.count > 0) {
		log_info("account=%s host=%s folder=%s: not expunged: %zu "
		    "other message%s marked \\Deleted would go too, and the "
		    "server has no UIDPLUS; %zu of ours stay marked",
		    i->account, i->host, i->folder, others.count,
		    others.count == 1 ? " is" : "s are", i->nmarked);
		return 0;
	}
	if (imap_command(i, tag, cause, NULL, "EXPUNGE") != 0 ||
	    (rc = imap_wait(i, tag, NULL, NULL, cause)) == -1)
		return -1;
	if (rc != IMAP_OK) {
		xasprintf(cause, "EXPUNGE: %s", i->reply);
		return -1;
	}
	return 0;
}

static int
imap_driver_expunge(void *session, char **cause)
{
	struct imap	*i = session;
	char		 tag[IMAP_TAG_MAX + 1], *set;
	size_t		 start, n;
	int		 rc;

	if (i->nmarked == 0)
		return 0;
	qsort(i->marked, i->nmarked, sizeof(*i->marked), imap_by_uid);
	if (!(i->caps & IMAP_CAP_UIDPLUS))
		rc = imap_expunge_plain(i, cause);
	else {
		for (rc = 0, start = 0; rc == 0 && start < i->nmarked;
		    start += n) {
			n = i->nmarked - start > IMAP_SET_UIDS ? IMAP_SET_UIDS :
			    i->nmarked - start;
			set = imap_uidset(i->marked + start, n);
			rc = imap_command(i, tag, cause, NULL,
			    "UID EXPUNGE %s", set);
			free(set);
			if (rc != 0 || (rc = imap_wait(i, tag, NULL, NULL,
			    cause)) == -1)
				return -1;
			if (rc != IMAP_OK) {
				xasprintf(cause, "UID EXPUNGE: %s", i->reply);
				return -1;
			}
			rc = 0;
		}
	}
	i->nmarked = 0;
	return rc;
}

static int
imap_driver_quit(void *session, char **cause)
{
	struct imap	*i = session;
	char		 tag[IMAP_TAG_MAX + 1];
	int		 rc;

	if (imap_command(i, tag, cause, NULL, "LOGOUT") != 0 ||
	    (rc = imap_wait(i, tag, NULL, NULL, cause)) == -1)
		return -1;
	i->broken = "session ended with LOGOUT";
	if (rc != IMAP_OK) {
		xasprintf(cause, "LOGOUT: %s", i->reply);
		return -1;
	}
	return 0;
}

static void *
imap_driver_open(const struct account *account,
    const struct driver_options *options, struct driver_info *info,
    char **cause)
{
	return imap_open(account, options, info, cause);
}

static void
imap_driver_close(void *session)
{
	imap_close(session);
}

const struct driver imap_driver = {
	.name = "IMAP",
	.open = imap_driver_open,
	.folders = imap_folders,
	.select = imap_driver_select,
	.list = imap_driver_list,
	.fetch = imap_fetch,
	.delete = imap_driver_delete,
	.identify = imap_identify,
	.expunge = imap_driver_expunge,
	.quit = imap_driver_quit,
	.close = imap_driver_close,
};
