/*
 * IMAP folders and messages, and the driver table: LIST for the folders
 * ("*" = every selectable one), SELECT (EXAMINE with keep) for
 * UIDVALIDITY, UID FETCH for the listing and, pipelined in batches, for
 * the messages (BODY.PEEK[] streamed into the engine's sink), UID STORE
 * \Deleted, and UID EXPUNGE with UIDPLUS; without it a plain EXPUNGE
 * only when no one else's \Deleted message would go with ours.
 *
 * Folder names are shown (configured, logged, indexed) in UTF-8 with "/"
 * between levels; on the wire they are modified UTF-7 with the server's
 * hierarchy delimiter. A message already marked \Deleted by someone else
 * is left alone: not fetched, not expunged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "account.h"
#include "driver.h"
#include "header.h"
#include "imap_session.h"
#include "imap_utf7.h"
#include "log.h"
#include "xmalloc.h"

#define IMAP_FETCH_BATCH	16	/* messages in one UID FETCH */
#define IMAP_FETCH_BYTES	(8 * 1024 * 1024) /* octets in one, roughly */
#define IMAP_FETCH_WINDOW	2	/* UID FETCH commands in flight */
#define IMAP_SET_UIDS		256	/* UIDs in one UID STORE / EXPUNGE */
#define IMAP_SIZE_SLACK		65536	/* a literal over its listed size */

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
static int
imap_bounded(const struct imap_item *item, long long min, long long max,
    long long *value)
{
	return imap_number(item, value) == 0 && *value >= min &&
	    *value <= max ? 0 : -1;
}

static int
imap_by_uid(const void *a, const void *b)
{
	const unsigned long long	*ua = a, *ub = b;

	return *ua < *ub ? -1 : *ua > *ub;
}

/*
 * A UID set "1:3,7" of uids[0..n) (sorted), into a new string. The
 * caller keeps n small enough for a command line.
 */
static char *
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

/* --- folders --------------------------------------------------------- */

/* The shown name of a wire name: UTF-8, "/" between levels. */
static char *
imap_shown_name(const struct imap *i, const char *wire)
{
	char	*shown, *c;

	if ((shown = imap_utf7_decode(wire)) == NULL)
		shown = xstrdup(wire);	/* not canonical: shown as sent */
	if (i->delimiter != '\0' && i->delimiter != '/' &&
	    strchr(shown, '/') == NULL) {
		for (c = shown; *c != '\0'; c++) {
			if (*c == i->delimiter)
				*c = '/';
		}
	}
	return shown;
}

/* The wire name of a shown name (LIST's own, if it listed it). */
static char *
imap_wire_name(const struct imap *i, const char *shown, char **cause)
{
	char	*wire, *c;
	size_t	 n;

	if (strcasecmp(shown, "INBOX") == 0)
		return xstrdup("INBOX");
	for (n = 0; i->listed != NULL && i->listed[n] != NULL; n += 2) {
		if (strcmp(i->listed[n], shown) == 0)
			return xstrdup(i->listed[n + 1]);
	}
	if ((wire = imap_utf7_encode(shown)) == NULL) {
		xasprintf(cause, "folder name is not valid UTF-8");
		return NULL;
	}
	if (i->delimiter != '\0' && i->delimiter != '/') {
		for (c = wire; *c != '\0'; c++) {
			if (*c == '/')
				*c = i->delimiter;
		}
	}
	return wire;
}

/* Add name to a NULL-terminated list unless it is there. */
static void
imap_add_name(char ***names, size_t *count, const char *name)
{
	size_t	 n;

	for (n = 0; n < *count; n++) {
		if (strcmp((*names)[n], name) == 0 ||
		    (strcasecmp(name, "INBOX") == 0 &&
		    strcasecmp((*names)[n], "INBOX") == 0))
			return;
	}
	*names = xreallocarray(*names, *count + 2, sizeof(**names));
	(*names)[(*count)++] = xstrdup(name);
	(*names)[*count] = NULL;
}

/* What LIST gathers: the shown names, and shown/wire pairs. */
struct imap_listing {
	char	**names;
	size_t	  count;
	char	**pairs;
	size_t	  npairs;
};

/* One "* LIST (flags) delimiter name" response. */
static int
imap_list_response(struct imap *i, const struct imap_response *r, void *arg,
    char **cause)
{
	struct imap_listing	*l = arg;
	const struct imap_item	*flags, *delimiter, *name, *flag;
	const char		*wire, *d;
	char			*shown;
	size_t			 n;

	(void)cause;
	if (!imap_is_atom(imap_child(&r->items, 0), "LIST"))
		return 0;
	flags = imap_child(&r->items, 1);
	delimiter = imap_child(&r->items, 2);
	name = imap_child(&r->items, 3);
	if (imap_type(flags) != IMAP_LIST || (wire = imap_string(name)) ==
	    NULL || memchr(wire, '\0', name->len) != NULL) {
		log_warnx("account=%s host=%s: LIST response ignored: %s",
		    i->account, i->host, r->shown);
		return 0;
	}
	if ((d = imap_string(delimiter)) != NULL && strlen(d) == 1)
		i->delimiter = *d;
	if (l == NULL || *wire == '\0')
		return 0;	/* LIST "" "": the delimiter only */
	for (n = 0; n < imap_count(flags); n++) {
		flag = imap_child(flags, n);
		if (imap_is_atom(flag, "\\Noselect") ||
		    imap_is_atom(flag, "\\NonExistent"))
			return 0;
	}
	shown = imap_shown_name(i, wire);
	if (strcasecmp(shown, "INBOX") != 0) {
		l->pairs = xreallocarray(l->pairs, l->npairs + 3,
		    sizeof(*l->pairs));
		l->pairs[l->npairs++] = xstrdup(shown);
		l->pairs[l->npairs++] = xstrdup(wire);
		l->pairs[l->npairs] = NULL;
	}
	imap_add_name(&l->names, &l->count, shown);
	free(shown);
	return 0;
}

/* LIST "" pattern. */
static int
imap_list(struct imap *i, const char *pattern, struct imap_listing *l,
    char **cause)
{
	char	 tag[IMAP_TAG_MAX + 1];
	int	 rc;

	if (imap_command(i, tag, cause, NULL, "LIST \"\" \"%s\"",
	    pattern) != 0 ||
	    (rc = imap_wait(i, tag, imap_list_response, l, cause)) == -1)
		return -1;
	if (rc != IMAP_OK) {
		xasprintf(cause, "LIST: %s", i->reply);
		return -1;
	}
	return 0;
}

static int
imap_driver_folders(void *session, const struct account *account,
    char ***folders, char **cause)
{
	struct imap		*i = session;
	struct imap_listing	 l;
	char		       **names = NULL;
	size_t			 count = 0, n;
	int			 rc = -1;

	memset(&l, 0, sizeof(l));
	if (imap_list(i, "", NULL, cause) != 0)
		return -1;
	for (n = 0; account->folders != NULL && account->folders[n] != NULL;
	    n++) {
		if (strcmp(account->folders[n], "*") != 0) {
			imap_add_name(&names, &count, account->folders[n]);
			continue;
		}
		if (l.names == NULL && imap_list(i, "*", &l, cause) != 0)
			goto out;
		for (size_t k = 0; k < l.count; k++)
			imap_add_name(&names, &count, l.names[k]);
	}
	if (count == 0)
		imap_add_name(&names, &count, "INBOX");
	xfreev(i->listed);
	i->listed = l.pairs;
	l.pairs = NULL;
	*folders = names;
	names = NULL;
	rc = 0;
out:
	xfreev(names);
	xfreev(l.names);
	xfreev(l.pairs);
	return rc;
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
static const struct imap_item *
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
static int
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

/* --- fetch ----------------------------------------------------------- */

/* A UID FETCH in flight: indexes[start..end) of the fetch. */
struct imap_batch {
	char	 tag[IMAP_TAG_MAX + 1];
	size_t	 start;
	size_t	 end;
};

/* One fetch operation. */
struct imap_fetch {
	struct imap			*i;
	const struct driver_message	*list;
	const size_t			*indexes;
	size_t				 count;
	const struct driver_sink	*sink;
	void				*arg;
	unsigned char			*done;	/* per position in indexes */
	struct imap_batch		 batches[IMAP_FETCH_WINDOW];
	size_t				 nbatches;
	size_t				 sent;	/* positions requested */
	int				 stop;	/* the sink said stop */
	/* the message being streamed */
	int				 active;
	int				 feeding;
	int				 oversize;	/* kept, not fed */
	size_t				 position;
};

/* The position in the fetch of uid, or count if not asked for. */
static size_t
imap_fetch_position(const struct imap_fetch *f, unsigned long long uid)
{
	size_t	 p;

	for (p = 0; p < f->sent; p++) {
		if (f->list[f->indexes[p]].handle == uid)
			return p;
	}
	return f->count;
}

/* The UID of sequence number seq as the listing had it, or 0. */
static unsigned long long
imap_seq_uid(const struct imap *i, unsigned long seq)
{
	size_t	 n;

	for (n = 0; n < i->nseqs; n++) {
		if (i->seqs[n].seq == seq)
			return i->seqs[n].uid;
	}
	return 0;
}

/* A literal begins: stream BODY[] into the sink, keep anything else. */
static int
imap_fetch_start(void *arg, const struct imap_response *r,
    const struct imap_item *list, long long size)
{
	struct imap_fetch	*f = arg;
	long long		 uid;
	unsigned long		 seq;
	const struct imap_item	*top;
	size_t			 p;

	if (imap_fetch_parts(r, &seq, &top) != 0 || list != top ||
	    !imap_is_atom(imap_child(list, imap_count(list) - 1), "BODY[]"))
		return 0;
	f->feeding = 0;
	if (f->active)
		return 1;	/* a second BODY[] in one response: dropped */
	f->oversize = 0;
	if (imap_bounded(imap_fetch_item(list, "UID"), 1, 0xffffffffLL,
	    &uid) != 0)
		uid = imap_seq_uid(f->i, seq);
	p = imap_fetch_position(f, uid);
	if (p < f->count && !f->done[p] && !f->stop) {
		f->active = 1;
		f->position = p;
		f->feeding = f->sink->begin(f->arg, f->indexes[p]) == 0;
	}
	/* Far more than listed (LF counted for CRLF at worst doubles it):
	 * kept, so the reader refuses it over IMAP_LITERAL_MAX. */
	f->oversize = p < f->count && (unsigned long long)size >
	    2 * f->list[f->indexes[p]].size + IMAP_SIZE_SLACK;
	return !f->oversize;
}

static int
imap_fetch_data(void *arg, const char *data, size_t len, int eol)
{
	struct imap_fetch	*f = arg;

	if (f->feeding && f->sink->data(f->arg, data, len, eol) != 0)
		f->feeding = 0;
	return !f->feeding;
}

/* The message at position p is over: complete, or why not. */
static void
imap_fetch_end(struct imap_fetch *f, size_t p, int complete,
    const char *refusal)
{
	f->done[p] = 1;
	if (f->sink->end(f->arg, f->indexes[p], complete, refusal) != 0)
		f->stop = 1;
}

/* A FETCH response was read whole: its message is complete. */
static void
imap_fetch_response(struct imap_fetch *f, const struct imap_response *r)
{
	const struct imap_item	*list;
	unsigned long		 seq;
	long long		 uid;

	if (!f->active)
		return;
	f->active = 0;
	if (f->oversize) {
		imap_fetch_end(f, f->position, 0, "the server sent far more "
		    "octets than it listed");
		return;
	}
	/* a UID after the literal must be the one it was taken for */
	if (imap_fetch_parts(r, &seq, &list) == 0 && imap_bounded(
	    imap_fetch_item(list, "UID"), 1, 0xffffffffLL, &uid) == 0 &&
	    (unsigned long long)uid != f->list[f->indexes[f->position]].handle) {
		imap_fetch_end(f, f->position, 0, "FETCH response with a "
		    "UID other than its sequence number's");
		return;
	}
	imap_fetch_end(f, f->position, 1, NULL);
}

/* Send the next UID FETCH: up to a batch's messages or octets. */
static int
imap_fetch_send(struct imap_fetch *f, char **cause)
{
	struct imap_batch	*b = &f->batches[f->nbatches];
	unsigned long long	 uids[IMAP_FETCH_BATCH] = { 0 }, bytes = 0;
	size_t			 n = 0;
	char			*set;
	int			 rc;

	b->start = f->sent;
	while (f->sent < f->count && n < IMAP_FETCH_BATCH &&
	    (n == 0 || bytes < IMAP_FETCH_BYTES)) {
		bytes += f->list[f->indexes[f->sent]].size;
		uids[n++] = f->list[f->indexes[f->sent++]].handle;
	}
	b->end = f->sent;
	qsort(uids, n, sizeof(uids[0]), imap_by_uid);
	set = imap_uidset(uids, n);
	rc = imap_command(f->i, b->tag, cause, NULL, "UID FETCH %s (UID "
	    "RFC822.SIZE INTERNALDATE BODY.PEEK[])", set);
	free(set);
	if (rc != 0)
		return imap_break(f->i, "write failed", cause);
	f->nbatches++;
	return 0;
}

/* A batch's tagged response: what it did not return is reported. */
static void
imap_fetch_batch_done(struct imap_fetch *f, size_t k, int status)
{
	struct imap_batch	 b = f->batches[k];
	char			*why;
	size_t			 p;

	memmove(&f->batches[k], &f->batches[k + 1],
	    (f->nbatches - k - 1) * sizeof(f->batches[0]));
	f->nbatches--;
	why = status == IMAP_OK ? xstrdup("not returned by the server "
	    "(expunged meanwhile?)") : xprintf("UID FETCH: %s", f->i->reply);
	for (p = b.start; p < b.end; p++) {
		if (f->done[p] || f->stop)
			continue;
		f->feeding = f->sink->begin(f->arg, f->indexes[p]) == 0;
		imap_fetch_end(f, p, 0, why);
	}
	free(why);
}

/* Read one response of the fetch and act on it. */
static int
imap_fetch_read(struct imap_fetch *f, const struct imap_stream *stream,
    char **cause)
{
	struct imap_response	*r;
	size_t			 k;

	if (imap_next(f->i, stream, &r, cause) != 0) {
		if (f->active)
			f->sink->end(f->arg, f->indexes[f->position], 0,
			    NULL);
		f->active = 0;
		return -1;
	}
	if (strcmp(r->tag, "*") == 0)
		imap_fetch_response(f, r);
	else {
		for (k = 0; k < f->nbatches; k++) {
			if (strcmp(r->tag, f->batches[k].tag) == 0)
				break;
		}
		if (k == f->nbatches) {
			xasprintf(cause, "unexpected response: %s", r->shown);
			imap_response_free(r);
			return imap_break(f->i, "unexpected response", NULL);
		}
		imap_fetch_batch_done(f, k, r->status);
	}
	imap_response_free(r);
	return 0;
}

static int
imap_driver_fetch(void *session, const struct driver_message *list,
    const size_t *indexes, size_t count, const struct driver_sink *sink,
    void *arg, char **cause)
{
	struct imap_fetch	 f;
	struct imap_stream	 stream;
	int			 rc = 0;

	memset(&f, 0, sizeof(f));
	f.i = session;
	f.list = list;
	f.indexes = indexes;
	f.count = count;
	f.sink = sink;
	f.arg = arg;
	f.done = xcalloc(count + 1, 1);
	stream.start = imap_fetch_start;
	stream.data = imap_fetch_data;
	stream.arg = &f;
	while (rc == 0 && (f.nbatches > 0 || (!f.stop && f.sent < count))) {
		while (!f.stop && f.sent < count &&
		    f.nbatches < IMAP_FETCH_WINDOW && rc == 0)
			rc = imap_fetch_send(&f, cause);
		if (rc == 0 && (rc = imap_flush(f.i, cause)) == 0)
			rc = imap_fetch_read(&f, &stream, cause);
	}
	free(f.done);
	return rc;
}

/* --- identify ---------------------------------------------------------- */

/* What an identify chunk gathers: ids[k] for list[indexes[k]]. */
struct imap_identify {
	const struct driver_message	*list;
	const size_t			*indexes;
	size_t				 count;
	char				**ids;
};

/* One "* N FETCH (UID u BODY[HEADER.FIELDS (MESSAGE-ID)] {n} ...)". */
static int
imap_identify_response(struct imap *i, const struct imap_response *r,
    void *arg, char **cause)
{
	struct imap_identify	*id = arg;
	const struct imap_item	*list, *key, *value = NULL;
	struct header		 h;
	unsigned long		 seq;
	long long		 uid;
	char			 buf[256];
	size_t			 n, k;

	(void)i;
	(void)cause;
	if (imap_fetch_parts(r, &seq, &list) != 0 ||
	    imap_bounded(imap_fetch_item(list, "UID"), 1, 0xffffffffLL,
	    &uid) != 0)
		return 0;
	for (n = 0; n + 1 < imap_count(list); n += 2) {
		key = imap_child(list, n);
		if (imap_type(key) == IMAP_ATOM &&
		    strncasecmp(imap_string(key), "BODY[HEADER", 11) == 0)
			value = imap_child(list, n + 1);
	}
	if (imap_type(value) != IMAP_STRING)
		return 0;
	for (k = 0; k < id->count; k++) {
		if (id->list[id->indexes[k]].handle != (unsigned long long)uid)
			continue;
		header_parse(&h, value->string, value->len);
		header_message_id(&h, buf, sizeof(buf));
		header_free(&h);
		free(id->ids[k]);
		id->ids[k] = buf[0] != '\0' ? xstrdup(buf) : NULL;
	}
	return 0;
}

static int
imap_driver_identify(void *session, const struct driver_message *list,
    const size_t *indexes, size_t count, char **ids, char **cause)
{
	struct imap		*i = session;
	struct imap_identify	 id;
	unsigned long long	 uids[IMAP_SET_UIDS] = { 0 };
	char			 tag[IMAP_TAG_MAX + 1], *set;
	size_t			 start, n, k;
	int			 rc;

	for (start = 0; start < count; start += n) {
		n = count - start > IMAP_SET_UIDS ? IMAP_SET_UIDS :
		    count - start;
		for (k = 0; k < n; k++)
			uids[k] = list[indexes[start + k]].handle;
		qsort(uids, n, sizeof(uids[0]), imap_by_uid);
		set = imap_uidset(uids, n);
		rc = imap_command(i, tag, cause, NULL, "UID FETCH %s (UID "
		    "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])", set);
		free(set);
		id.list = list;
		id.indexes = indexes + start;
		id.count = n;
		id.ids = ids + start;
		if (rc != 0 || (rc = imap_wait(i, tag, imap_identify_response,
		    &id, cause)) == -1)
			return imap_break(i, "write failed", cause);
		if (rc != IMAP_OK) {
			xasprintf(cause, "UID FETCH (Message-IDs): %s",
			    i->reply);
			return -1;
		}
	}
	return 0;
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
	.folders = imap_driver_folders,
	.select = imap_driver_select,
	.list = imap_driver_list,
	.fetch = imap_driver_fetch,
	.delete = imap_driver_delete,
	.identify = imap_driver_identify,
	.expunge = imap_driver_expunge,
	.quit = imap_driver_quit,
	.close = imap_driver_close,
};
