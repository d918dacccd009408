/*
 * IMAP fetching: the messages, with UID FETCH (UID RFC822.SIZE
 * INTERNALDATE BODY.PEEK[]) pipelined in batches, each BODY[] literal
 * streamed into the engine's sink; and their Message-IDs alone, for the
 * UIDVALIDITY rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "driver.h"
#include "header.h"
#include "imap_session.h"
#include "xmalloc.h"

#define IMAP_FETCH_BATCH	16	/* messages in one UID FETCH */
#define IMAP_FETCH_BYTES	(8 * 1024 * 1024) /* octets in one, roughly */
#define IMAP_FETCH_WINDOW	2	/* UID FETCH commands in flight */
#define IMAP_SIZE_SLACK		65536	/* a literal over its listed size */

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

int
imap_fetch(void *session, const struct driver_message *list,
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

int
imap_identify(void *session, const struct driver_message *list,
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
