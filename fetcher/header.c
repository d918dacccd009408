/*
 * The header section of a fetched message: splitting it into fields, and
 * reading the recipients, the envelope sender and the Message-ID from it.
 * Everything works on (buffer, length): NUL bytes and bare CRs are data,
 * and nothing reads outside the buffer whatever it holds.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "header.h"
#include "tag.h"
#include "xmalloc.h"

/*
 * Envelope information (the recipients and the sender) is read only from
 * the fields the final delivering server wrote, never from what the
 * message's author wrote: anyone can put "X-Original-To: root@..." into
 * the header of a message, and a provider that writes only Delivered-To
 * (Gmail, Dovecot LMTP) leaves it there. A delivering server prepends,
 * so its fields are the top of the header section, above anything the
 * author wrote, down to the Received field its SMTP server added (Postfix
 * local/virtual, Dovecot LDA/LMTP, Exim and qmail put Return-Path,
 * X-Original-To, Delivered-To and Envelope-To there). That top block is
 * trusted: the fields above the first Received field, and that Received
 * field's "for" clause. Lower fields of these names were written by
 * earlier hops or by the author and are ignored; so is Gmail's
 * Return-Path, which comes below its first Received field.
 *
 * A header without any Received field was not received by SMTP (the
 * provider put it in the mailbox itself, or strips the trace fields), and
 * has no such boundary. The delivering server's fields are still above
 * the author's, so the block then ends with the topmost field that has
 * one of the names in the list below: that one field counts, and a
 * Return-Path above it. If the provider wrote none, that field is the
 * author's, which is no worse than falling back to To/Cc, also the
 * author's.
 *
 * Within the block, the first name in this list that gives a valid address
 * wins, and only its topmost field counts. Using them all together would
 * be wrong: with a catch-all mailbox, Postfix writes X-Original-To: <the
 * real recipient> and Delivered-To: <the catch-all mailbox>, and the
 * mailbox address would then get a copy of every message.
 */
static const char *const header_envelope[] = {
	"X-Original-To",	/* Postfix: the recipient before aliasing */
	"Envelope-To",		/* Exim */
	"X-Envelope-To",	/* various (qmail, sendmail setups) */
	"Delivered-To",		/* Postfix/qmail/Dovecot: the final mailbox */
};
#define ENVELOPE_COUNT \
	(sizeof(header_envelope) / sizeof(header_envelope[0]))

/*
 * The visible recipient headers, used (all together) only without a
 * trusted envelope recipient: less reliable (Bcc and lists are not
 * there), and written by the message's author: multidrop without
 * envelope headers inherently lets the sender choose the recipients.
 */
static const char *const header_visible[] = {
	"To", "Cc", "Resent-To", "Resent-Cc",
};
#define VISIBLE_COUNT \
	(sizeof(header_visible) / sizeof(header_visible[0]))

enum header_line
header_line_kind(const char *line, size_t len)
{
	size_t	 i;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return HEADER_LINE_EMPTY;
	if (line[0] == ' ' || line[0] == '\t')
		return HEADER_LINE_CONTINUATION;
	/* field-name: printable ASCII but ':', then optional blanks, ':' */
	for (i = 0; i < len && line[i] > ' ' && line[i] <= '~' &&
	    line[i] != ':'; i++)
		;
	if (i == 0)
		return HEADER_LINE_OTHER;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < len && line[i] == ':' ? HEADER_LINE_FIELD : HEADER_LINE_OTHER;
}

/* Record a new field starting at a line known to be a field line. */
static void
header_add_field(struct header *h, size_t *size, size_t start, size_t eol)
{
	struct header_field	*f;
	size_t			 i;

	if (h->count == *size) {
		*size = *size == 0 ? 32 : 2 * *size;
		h->fields = xreallocarray(h->fields, *size, sizeof(*h->fields));
	}
	f = &h->fields[h->count++];
	f->start = start;
	for (i = start; i < eol && h->buf[i] != ':' && h->buf[i] != ' ' &&
	    h->buf[i] != '\t'; i++)
		;
	f->name_len = i - start;
	while (h->buf[i] != ':')	/* header_line_kind found one */
		i++;
	f->value = i + 1;
}

void
header_parse(struct header *h, const char *buf, size_t len)
{
	const char	*nl;
	size_t		 start = 0, eol, next, size = 0;
	enum header_line kind;

	memset(h, 0, sizeof(*h));
	h->buf = buf;
	h->len = len;
	while (start < len) {
		nl = memchr(buf + start, '\n', len - start);
		eol = nl != NULL ? (size_t)(nl - buf) : len;
		next = nl != NULL ? eol + 1 : len;
		kind = header_line_kind(buf + start, eol - start);
		if (kind == HEADER_LINE_EMPTY) {
			h->body = next;
			return;
		}
		if (kind == HEADER_LINE_OTHER ||
		    (kind == HEADER_LINE_CONTINUATION && h->count == 0))
			break;
		if (kind == HEADER_LINE_FIELD)
			header_add_field(h, &size, start, eol);
		h->fields[h->count - 1].end = next;
		h->end = next;
		start = next;
	}
	h->body = h->end;
}

void
header_free(struct header *h)
{
	free(h->fields);
	h->fields = NULL;
	h->count = 0;
}

int
header_is(const struct header *h, size_t i, const char *name)
{
	const struct header_field	*f = &h->fields[i];

	return strlen(name) == f->name_len &&
	    strncasecmp(h->buf + f->start, name, f->name_len) == 0;
}

long
header_find(const struct header *h, const char *name, size_t from)
{
	size_t	 i;

	for (i = from; i < h->count; i++) {
		if (header_is(h, i, name))
			return (long)i;
	}
	return -1;
}

char *
header_value(const struct header *h, size_t i)
{
	const struct header_field	*f = &h->fields[i];
	const char			*p = h->buf + f->value;
	size_t				 len = f->end - f->value, j, n = 0;
	char				*value;

	value = xmalloc(len + 1);
	for (j = 0; j < len; j++) {
		/* unfolding: drop the line breaks, keep the blanks */
		if (p[j] == '\n' || (p[j] == '\r' && j + 1 < len &&
		    p[j + 1] == '\n') || (p[j] == '\r' && j + 1 == len))
			continue;
		value[n++] = p[j] == '\0' ? '?' : p[j];
	}
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	value[n] = '\0';
	j = strspn(value, " \t");
	memmove(value, value + j, n - j + 1);
	return value;
}

/*
 * The address in the "for" clause of a Received value, or NULL. Comments
 * and quoted strings are skipped; the date after ';' is not looked at.
 */
static char *
header_received_for(const char *v)
{
	const char	*p, *start;

	for (p = address_skip_cfws(v); *p != '\0' && *p != ';';
	    p = address_skip_cfws(p + 1)) {
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
			}
			if (*p == '\0')
				return NULL;
			continue;
		}
		if (strncasecmp(p, "for", 3) != 0 ||
		    (p > v && !isspace((unsigned char)p[-1]) && p[-1] != ')') ||
		    (p[3] != ' ' && p[3] != '\t' && p[3] != '<'))
			continue;
		p += 3;
		while (*p == ' ' || *p == '\t')
			p++;
		start = p;
		if (*p == '<') {
			while (*p != '\0' && *p != '>')
				p++;
			if (*p == '>')
				p++;
		} else {
			while (*p != '\0' && *p != ';' && *p != '(' &&
			    !isspace((unsigned char)*p))
				p++;
		}
		return xstrndup(start, p - start);
	}
	return NULL;
}

/* Append the addresses in field i's value (all entries, valid or not). */
static void
header_field_addresses(const struct header *h, size_t i, char ***list,
    size_t *count)
{
	char	*value, *clause;

	value = header_value(h, i);
	if (header_is(h, i, "Received")) {
		if ((clause = header_received_for(value)) != NULL) {
			address_list_split(clause, list, count);
			free(clause);
		}
	} else
		address_list_split(value, list, count);
	free(value);
}

/* Sort found entries into r: new valid ones kept, others dropped. */
static void
header_keep(struct header_recipients *r, char **found, size_t count)
{
	size_t	 i;

	for (i = 0; i < count; i++) {
		if (address_valid(found[i]) &&
		    address_listed((const char *const *)r->list, r->count,
		    found[i])) {
			free(found[i]);
			continue;
		}
		if (address_valid(found[i]) &&
		    r->count < HEADER_RECIPIENTS_MAX) {
			/* at most HEADER_RECIPIENTS_MAX: allocate once */
			if (r->list == NULL)
				r->list = xreallocarray(NULL,
				    HEADER_RECIPIENTS_MAX, sizeof(*r->list));
			r->list[r->count++] = found[i];
			continue;
		}
		r->dropped_total++;
		if (r->dropped_count == HEADER_DROPPED_MAX) {
			free(found[i]);
			continue;
		}
		if (r->dropped == NULL)
			r->dropped = xreallocarray(NULL, HEADER_DROPPED_MAX,
			    sizeof(*r->dropped));
		r->dropped[r->dropped_count++] = found[i];
	}
}

/*
 * How many fields at the top of the section the final delivering server
 * wrote (see the comment on header_envelope): those above the first
 * Received field, or without one, down to the first envelope recipient
 * field.
 */
static size_t
header_top(const struct header *h)
{
	size_t	 i, k;
	long	 at;

	if ((at = header_find(h, "Received", 0)) != -1)
		return (size_t)at;
	for (i = 0; i < h->count; i++) {
		for (k = 0; k < ENVELOPE_COUNT; k++) {
			if (header_is(h, i, header_envelope[k]))
				return i + 1;
		}
	}
	return h->count;
}

/* The topmost field called name among the first top fields, or -1. */
static long
header_find_top(const struct header *h, const char *name, size_t top)
{
	size_t	 i;

	for (i = 0; i < top && i < h->count; i++) {
		if (header_is(h, i, name))
			return (long)i;
	}
	return -1;
}

/* Take field i's addresses into r; whether any was valid and new. */
static int
header_take(const struct header *h, size_t i, struct header_recipients *r)
{
	char	**found = NULL;
	size_t	  count = 0, before = r->count;

	header_field_addresses(h, i, &found, &count);
	header_keep(r, found, count);
	free(found);
	return r->count > before;
}

void
header_recipients(const struct header *h, struct header_recipients *r)
{
	size_t	 top, i, k;
	long	 at;

	memset(r, 0, sizeof(*r));
	top = header_top(h);
	for (k = 0; k < ENVELOPE_COUNT; k++) {
		if ((at = header_find_top(h, header_envelope[k], top)) != -1 &&
		    header_take(h, (size_t)at, r)) {
			r->source = header_envelope[k];
			return;
		}
	}
	/* the "for" clause of the delivering server's own Received field */
	if (top < h->count && header_is(h, top, "Received") &&
	    header_take(h, top, r)) {
		r->source = "Received";
		return;
	}
	for (i = 0; i < h->count; i++) {
		for (k = 0; k < VISIBLE_COUNT; k++) {
			if (header_is(h, i, header_visible[k]) &&
			    header_take(h, i, r) && r->source == NULL)
				r->source = "To/Cc";
		}
	}
}

void
header_recipients_free(struct header_recipients *r)
{
	size_t	 i;

	for (i = 0; i < r->count; i++)
		free(r->list[i]);
	for (i = 0; i < r->dropped_count; i++)
		free(r->dropped[i]);
	free(r->list);
	free(r->dropped);
	memset(r, 0, sizeof(*r));
}

/* Whether field i's value is the null path "<>" (blanks around it). */
static int
header_null_path(const struct header *h, size_t i)
{
	char	*value, *p;
	int	 null;

	value = header_value(h, i);
	p = value + strspn(value, " \t\n");
	null = strncmp(p, "<>", 2) == 0 && p[2 + strspn(p + 2, " \t\n")] ==
	    '\0';
	free(value);
	return null;
}

/*
 * The envelope sender: the address of the topmost Return-Path in the
 * delivering server's top block (see header_envelope) when valid, ""
 * when it is "<>". Otherwise (missing, lower down, or garbage) NULL: the
 * caller uses its postmaster, never From or a lower Return-Path: those
 * are whatever the message's author wrote, and bounces of local delivery
 * failures would go to possibly forged addresses (backscatter).
 */
char *
header_sender(const struct header *h)
{
	char	**found = NULL, *sender = NULL;
	size_t	  count = 0, i;
	long	  at;

	if ((at = header_find_top(h, "Return-Path", header_top(h))) == -1)
		return NULL;
	if (header_null_path(h, (size_t)at))
		return xstrdup("");
	header_field_addresses(h, (size_t)at, &found, &count);
	if (count > 0 && address_valid(found[0]))
		sender = xstrdup(found[0]);
	for (i = 0; i < count; i++)
		free(found[i]);
	free(found);
	return sender;
}

void
header_message_id(const struct header *h, char *buf, size_t len)
{
	char	*value;
	long	 at;

	if (len == 0)
		return;
	buf[0] = '\0';
	if ((at = header_find(h, "Message-ID", 0)) == -1)
		return;
	value = header_value(h, (size_t)at);
	/* the rule the milter applies to bind the tag to this id */
	tag_message_id(value, buf, len);
	free(value);
}
