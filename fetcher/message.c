/*
 * One fetched message on its way into the spool. Lines are buffered
 * until the header section ends (an empty line, a line that is not a
 * header, or MESSAGE_HEADER_MAX bytes); then the recipients and sender
 * are chosen, and the spool file gets our Received line, the signed
 * X-Postfetch-Account tag, the X-Postfetch-Recipients the tag is bound
 * to (and a Message-ID if the message had none), the original header
 * section rewritten (old tags and recipient lists removed, Delivered-To
 * renamed) and then the body, as it comes. A leading mbox "From " line is
 * dropped, as Postfix's sendmail does. Memory stays bounded whatever the
 * size of the message.
 *
 * Fail closed: sendmail gets only a local envelope recipient, the
 * single-drop deliver_to or for multidrop the placeholder (the account's
 * fallback, else the postmaster). The remote recipients travel in the
 * header, where the tag's MAC covers them; postfetch-milter replaces the
 * placeholder with them. Without the milter the message lands, intact,
 * with the placeholder person, who sees whom it was for.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "header.h"
#include "imap_utf7.h"
#include "log.h"
#include "message.h"
#include "recipients.h"
#include "spool.h"
#include "tag.h"
#include "xmalloc.h"

/*
 * The remote server's Delivered-To lines get this name: Postfix local(8)
 * bounces a message that already has a Delivered-To equal to the local
 * recipient as a mail forwarding loop, and with provider addresses equal
 * to local ones that is the common case.
 */
#define MESSAGE_DELIVERED_TO	"X-Original-Delivered-To"

enum message_state {
	MESSAGE_HEADER,		/* buffering the header section */
	MESSAGE_BODY,		/* streaming to sendmail */
	MESSAGE_FAILED		/* sendmail failed or could not start */
};

struct message {
	char			*account;
	char			*host;
	char			*protocol;
	char			*folder;	/* modified UTF-7, or NULL */
	time_t			 received;	/* 0: now */
	char			*uid;
	char			*deliver_to;
	char			*fallback;
	char			*postmaster;
	unsigned char		 key[TAG_KEY_LEN];
	struct spool		*spool;		/* not ours */

	enum message_state	 state;
	char			*header;	/* the section so far */
	size_t			 header_len;
	size_t			 header_size;
	size_t			 line_start;	/* of the line being fed */
	int			 have_field;	/* a continuation may follow */
	int			 open_line;	/* body line without its end */
	int			 first_line;	/* the first is not done yet */
	struct message_result	 result;
	char			*error;		/* why it failed */
};

static const char *const message_days[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const message_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

/* xstrdup that passes NULL through. */
static char *
message_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct message *
message_begin(const struct message_params *params, struct spool *spool)
{
	struct message	*m;

	m = xcalloc(1, sizeof(*m));
	m->account = xstrdup(params->account != NULL ? params->account : "");
	m->host = xstrdup(params->host != NULL ? params->host : "-");
	m->protocol = xstrdup(params->protocol != NULL ? params->protocol :
	    "-");
	m->uid = xstrdup(params->uid != NULL ? params->uid : "-");
	if (params->folder != NULL && *params->folder != '\0' &&
	    (m->folder = imap_utf7_encode(params->folder)) == NULL)
		m->folder = xstrdup("?");
	m->received = params->received;
	m->deliver_to = message_strdup(params->deliver_to);
	m->fallback = message_strdup(params->fallback);
	m->postmaster = xstrdup(params->postmaster != NULL ?
	    params->postmaster : "postmaster");
	memcpy(m->key, params->key, TAG_KEY_LEN);
	m->spool = spool;
	m->first_line = 1;
	return m;
}

/* Free everything (the result's recipients went to the caller or not). */
static void
message_free(struct message *m)
{
	free(m->account);
	free(m->host);
	free(m->protocol);
	free(m->folder);
	free(m->uid);
	free(m->deliver_to);
	free(m->fallback);
	free(m->postmaster);
	explicit_bzero(m->key, sizeof(m->key));
	message_result_free(&m->result);
	free(m->header);
	free(m->error);
	free(m);
}

/* Enter the failed state; takes cause. Returns -1 with a copy in *cause. */
static int
message_fail(struct message *m, char *cause, char **out)
{
	m->state = MESSAGE_FAILED;
	free(m->error);
	m->error = cause;
	if (out != NULL)
		*out = xstrdup(cause);
	return -1;
}

/* Bytes to the spool file. */
static int
message_out(struct message *m, const void *data, size_t len, char **cause)
{
	char	*why = NULL;

	if (m->state == MESSAGE_FAILED) {
		*cause = xstrdup(m->error);
		return -1;
	}
	if (spool_write(m->spool, data, len, &why) != 0)
		return message_fail(m, why, cause);
	return 0;
}

/* A copy of s safe inside a Received field: no blanks, controls or the
 * characters that structure the field; cut to fit. */
static void
message_clean(const char *s, char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i + 1 < len; i++) {
		if (s[i] > ' ' && s[i] <= '~' && strchr(";()<>\"\\[],", s[i])
		    == NULL)
			buf[i] = s[i];
		else
			buf[i] = '_';
	}
	buf[i] = '\0';
}

/* An RFC 5322 date for when (0: now), in local time; not
 * locale-dependent. */
static void
message_date(char *buf, size_t len, time_t when)
{
	struct tm	 tm;
	long		 off;

	if (when == 0)
		when = time(NULL);
	localtime_r(&when, &tm);
	off = tm.tm_gmtoff / 60;
	snprintf(buf, len, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld",
	    message_days[tm.tm_wday % 7], tm.tm_mday,
	    message_months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60,
	    labs(off) % 60);
}

/* A Message-ID for a message that has none (Postfix would add one too),
 * so that the tag can be bound to one. */
static void
message_new_id(struct message *m, const char *local)
{
	static unsigned long	 counter;

	snprintf(m->result.message_id, sizeof(m->result.message_id),
	    "postfetch.%lld.%ld.%lu.%08x@%.64s", (long long)time(NULL),
	    (long)getpid(), ++counter, arc4random(), local);
}

/*
 * Write our Received field, the signed account tag bound to the
 * Message-ID and the recipients, and the recipients (the intended ones,
 * count of them).
 */
static int
message_trace(struct message *m, char *const *recipients, size_t count,
    char **cause)
{
	char	 host[256], local[256], account[128], uid[128], date[64];
	char	 protocol[32], rcpt[ADDRESS_MAX + 16], tag[TAG_VALUE_MAX];
	char	 folder[256 + 16], binding[TAG_BINDING_HEX + 1];
	char	 id[TAG_ID_MAX], added[TAG_ID_MAX + 16];
	char	*text, *list;
	int	 rc;

	message_clean(m->host, host, sizeof(host));
	if (gethostname(local, sizeof(local)) == -1)
		strlcpy(local, "localhost", sizeof(local));
	local[sizeof(local) - 1] = '\0';
	message_clean(local, local, sizeof(local));
	message_clean(m->account, account, sizeof(account));
	message_clean(m->uid, uid, sizeof(uid));
	message_clean(m->protocol, protocol, sizeof(protocol));
	message_date(date, sizeof(date), m->received);
	folder[0] = '\0';
	if (m->folder != NULL) {
		strlcpy(folder, ", folder ", sizeof(folder));
		message_clean(m->folder, folder + strlen(folder),
		    sizeof(folder) - strlen(folder));
	}
	rcpt[0] = '\0';
	if (count == 1)
		snprintf(rcpt, sizeof(rcpt), "\n\tfor <%s>", recipients[0]);
	added[0] = '\0';
	if (m->result.message_id[0] == '\0') {
		message_new_id(m, local);
		snprintf(added, sizeof(added), "Message-ID: <%s>\n",
		    m->result.message_id);
	}
	tag_message_id(m->result.message_id, id, sizeof(id));
	if ((list = recipients_format(recipients, count)) == NULL)
		return message_fail(m, xprintf("cannot write the %zu "
		    "recipients into the header", count), cause);
	if (tag_binding(id, recipients, count, binding) != 0 ||
	    tag_sign(m->key, m->account, m->folder, binding, time(NULL), tag,
	    sizeof(tag)) != 0) {
		free(list);
		return message_fail(m, xprintf("cannot sign account name '%s'",
		    account), cause);
	}
	text = xprintf("Received: from %s\n\tby %s (postfetch, account %s%s)"
	    " with %s id %s%s;\n\t%s\n%s: %s\n%s%s", host, local, account,
	    folder, protocol, uid, rcpt, date, TAG_HEADER, tag, list, added);
	rc = message_out(m, text, strlen(text), cause);
	free(text);
	free(list);
	return rc;
}

/* The original fields: tags and recipient lists dropped, Delivered-To
 * renamed. */
static int
message_fields(struct message *m, const struct header *h, char **cause)
{
	const struct header_field	*f;
	size_t				 i;

	for (i = 0; i < h->count; i++) {
		f = &h->fields[i];
		if (header_is(h, i, TAG_HEADER) ||
		    header_is(h, i, RECIPIENTS_HEADER))
			continue;
		if (header_is(h, i, "Delivered-To")) {
			if (message_out(m, MESSAGE_DELIVERED_TO,
			    strlen(MESSAGE_DELIVERED_TO), cause) != 0 ||
			    message_out(m, h->buf + f->start + f->name_len,
			    f->end - f->start - f->name_len, cause) != 0)
				return -1;
		} else if (message_out(m, h->buf + f->start,
		    f->end - f->start, cause) != 0)
			return -1;
	}
	/* the caller checked every line; this is only a safety net */
	if (h->end < h->len)
		return message_out(m, h->buf + h->end, h->len - h->end, cause);
	return 0;
}

/* Report recipients the headers named but we do not use. */
static void
message_log_dropped(const struct message *m, const struct header_recipients *r)
{
	char	 shown[128];
	size_t	 i;

	for (i = 0; i < r->dropped_count; i++) {
		message_clean(r->dropped[i], shown, sizeof(shown));
		log_warnx("account=%s uid=%s: recipient <%s> from the headers "
		    "dropped: not a usable address", m->account, m->uid,
		    shown);
	}
	if (r->dropped_total > r->dropped_count)
		log_warnx("account=%s uid=%s: %zu more recipients dropped",
		    m->account, m->uid, r->dropped_total - r->dropped_count);
}

/* Drop the recipients that the header cannot carry (a '<', '>' or ','
 * in a quoted local part), with a log line each. */
static void
message_carried(const struct message *m, struct header_recipients *r)
{
	char	 shown[128];
	size_t	 i, kept = 0;

	for (i = 0; i < r->count; i++) {
		if (recipients_carried(r->list[i])) {
			r->list[kept++] = r->list[i];
			continue;
		}
		message_clean(r->list[i], shown, sizeof(shown));
		log_warnx("account=%s uid=%s: recipient <%s> from the headers "
		    "dropped: cannot be carried in %s", m->account, m->uid,
		    shown, RECIPIENTS_HEADER);
		free(r->list[i]);
	}
	r->count = kept;
}

/*
 * Choose the recipients the message is for: single-drop, the one
 * address; multidrop, the ones the headers name, and without any the
 * fallback (the account's, or the postmaster), so that such a message is
 * never lost nor retried forever. Fills *r (list owned by it).
 */
static int
message_recipients(struct message *m, const struct header *h,
    struct header_recipients *r, char **cause)
{
	const char	*only;

	if (m->deliver_to == NULL) {
		header_recipients(h, r);
		message_log_dropped(m, r);
		message_carried(m, r);
		if (r->count > 0) {
			log_debug("account=%s uid=%s: %zu recipients from %s",
			    m->account, m->uid, r->count, r->source);
			return 0;
		}
		header_recipients_free(r);
	} else
		memset(r, 0, sizeof(*r));
	only = m->deliver_to != NULL ? m->deliver_to : m->fallback;
	if (!recipients_carried(only))
		return message_fail(m, xprintf("%s <%s> is not a usable "
		    "address", m->deliver_to != NULL ? "deliver_to" :
		    "fallback", only != NULL ? only : ""), cause);
	if (m->deliver_to == NULL)
		log_info("account=%s uid=%s: no recipient in the headers, "
		    "delivered to <%s>", m->account, m->uid, only);
	r->list = xreallocarray(NULL, 1, sizeof(*r->list));
	r->list[0] = xstrdup(only);
	r->count = 1;
	return 0;
}

/*
 * The sender: the Return-Path of the delivering server, "" for "<>", and
 * without a usable one the postmaster, so that a bounce of this copy
 * reaches a person (Postfix discards double bounces of null-sender mail).
 */
static void
message_sender(struct message *m, const struct header *h)
{
	char	*sender;

	if ((sender = header_sender(h)) == NULL) {
		m->result.sender = xstrdup(m->postmaster);
		log_debug("account=%s uid=%s: no Return-Path, sender <%s>",
		    m->account, m->uid, m->postmaster);
	} else
		m->result.sender = sender;
}

/*
 * The header section (section bytes of the buffer) is complete: choose
 * recipients and sender, write the new header section.
 */
static int
message_deliver(struct message *m, size_t section, char **cause)
{
	struct header			 h;
	struct header_recipients	 r;
	const char			*placeholder;
	int				 rc = -1;

	header_parse(&h, m->header, section);
	header_message_id(&h, m->result.message_id,
	    sizeof(m->result.message_id));
	message_sender(m, &h);
	if (message_recipients(m, &h, &r, cause) != 0)
		goto out;
	/* sendmail's only recipient: local whether the milter runs or not */
	placeholder = m->deliver_to != NULL ? m->deliver_to : m->fallback;
	if (!address_usable(placeholder)) {
		message_fail(m, xprintf("fallback <%s> is not a usable "
		    "address", placeholder != NULL ? placeholder : ""), cause);
		goto out;
	}
	m->state = MESSAGE_BODY;
	if (message_trace(m, r.list, r.count, cause) != 0 ||
	    message_fields(m, &h, cause) != 0)
		goto out;
	m->result.recipients = xreallocarray(NULL, 1,
	    sizeof(*m->result.recipients));
	m->result.recipients[0] = xstrdup(placeholder);
	m->result.count = 1;
	m->result.intended = r.count;
	rc = 0;
out:
	header_recipients_free(&r);
	header_free(&h);
	return rc;
}

/* Make room for len more header bytes (the caller checked the cap). */
static void
message_header_grow(struct message *m, size_t len)
{
	size_t	 need = m->header_len + len;

	if (need <= m->header_size)
		return;
	m->header_size = m->header_size == 0 ? 8192 : m->header_size;
	while (m->header_size < need)
		m->header_size *= 2;
	m->header = xreallocarray(m->header, m->header_size, 1);
}

/*
 * A line of the header section is complete: keep buffering, or end the
 * section. A line that is not a header starts the body, after an empty
 * line we add so that the MTA sees the same boundary we did.
 */
static int
message_header_line(struct message *m, char **cause)
{
	const char	*line = m->header + m->line_start;
	size_t		 len = m->header_len - m->line_start, section;
	enum header_line kind;

	if (m->first_line) {
		m->first_line = 0;
		if (len >= 5 && memcmp(line, "From ", 5) == 0) {
			/* mbox separator: not part of the message */
			m->header_len = m->line_start;
			return 0;
		}
	}
	kind = header_line_kind(line, len);
	if (kind == HEADER_LINE_FIELD ||
	    (kind == HEADER_LINE_CONTINUATION && m->have_field)) {
		m->header[m->header_len++] = '\n';	/* room was made */
		m->line_start = m->header_len;
		m->have_field = 1;
		return 0;
	}
	section = m->line_start;
	if (message_deliver(m, section, cause) != 0)
		return -1;
	if (kind != HEADER_LINE_EMPTY && message_out(m, "\n", 1, cause) != 0)
		return -1;
	if (message_out(m, m->header + section, len, cause) != 0 ||
	    message_out(m, "\n", 1, cause) != 0)
		return -1;
	return 0;
}

/* The header section grew past MESSAGE_HEADER_MAX: the rest is body. */
static int
message_header_overflow(struct message *m, const char *data, size_t len,
    int eol, char **cause)
{
	size_t	 section = m->line_start;

	log_warnx("account=%s uid=%s: header section longer than %d bytes, "
	    "the rest passed on unparsed", m->account, m->uid,
	    MESSAGE_HEADER_MAX);
	if (message_deliver(m, section, cause) != 0 ||
	    message_out(m, m->header + section, m->header_len - section,
	    cause) != 0 || message_out(m, data, len, cause) != 0)
		return -1;
	m->open_line = !eol;
	if (eol)
		return message_out(m, "\n", 1, cause);
	return 0;
}

int
message_write(struct message *m, const char *data, size_t len, int eol,
    char **cause)
{
	switch (m->state) {
	case MESSAGE_FAILED:
		*cause = xstrdup(m->error);
		return -1;
	case MESSAGE_BODY:
		if (message_out(m, data, len, cause) != 0)
			return -1;
		m->open_line = !eol && (len > 0 || m->open_line);
		return eol ? message_out(m, "\n", 1, cause) : 0;
	case MESSAGE_HEADER:
		break;
	}
	/* + 1: room for the LF of this line */
	if (len + 1 > MESSAGE_HEADER_MAX - m->header_len)
		return message_header_overflow(m, data, len, eol, cause);
	message_header_grow(m, len + 1);
	memcpy(m->header + m->header_len, data, len);
	m->header_len += len;
	return eol ? message_header_line(m, cause) : 0;
}

int
message_end(struct message *m, struct message_result *result, char **cause)
{
	char	*why = NULL;
	int	 rc = -1;

	/* a last line without its end counts as a line */
	if (m->state == MESSAGE_HEADER && m->header_len > m->line_start)
		message_write(m, "", 0, 1, &why);
	free(why);
	why = NULL;
	if (m->state == MESSAGE_HEADER)
		message_deliver(m, m->header_len, &why);
	free(why);
	why = NULL;
	/* the last line ends with a LF like every other */
	if (m->state == MESSAGE_BODY && m->open_line)
		message_out(m, "\n", 1, &why);
	free(why);
	if (m->state == MESSAGE_BODY)
		rc = spool_finish(m->spool, cause);
	else
		*cause = xstrdup(m->error != NULL ? m->error :
		    "message not delivered");
	if (rc == 0) {
		m->result.size = spool_size(m->spool);
		*result = m->result;
		memset(&m->result, 0, sizeof(m->result));
	}
	message_free(m);
	return rc;
}

void
message_abort(struct message *m)
{
	message_free(m);
}

void
message_result_free(struct message_result *result)
{
	size_t	 i;

	free(result->sender);
	for (i = 0; i < result->count; i++)
		free(result->recipients[i]);
	free(result->recipients);
	memset(result, 0, sizeof(*result));
}
