/*
 * The IMAP response reader: one response at a time from the transport,
 * parsed into a tree of items. A response is a first line (tag, then a
 * status with its text, or data items), and after each literal count
 * "{n}" at a line's end, n raw octets and another line. Every size is
 * bounded (lines, items, nesting, kept literals); a message literal can
 * be streamed to the caller line by line and is then never held whole.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_reader.h"
#include "printable.h"
#include "transport.h"
#include "xmalloc.h"

struct imap_reader {
	struct transport	*transport;
	size_t			 literal_max;
	char			*line;		/* the line being parsed */
	size_t			 len;
	size_t			 allocated;
};

/* One response being read. */
struct imap_parse {
	struct imap_reader		*reader;
	const struct imap_stream	*stream;
	struct imap_response		*r;
	const char			*at;	/* next octet of the line */
	const char			*end;
	/* open[0] is r->items; open[depth] gets the next item */
	struct imap_item		*open[IMAP_DEPTH_MAX + 1];
	size_t				 depth;
	size_t				 floor;	/* ')' may not close below */
	int				 in_code; /* no literals in [...] */
	int				 feeding; /* the stream wants more */
	size_t				 items;
	size_t				 text;	/* octets of lines so far */
	size_t				 kept;	/* octets of kept literals */
};

static const char *const imap_status_names[] = {
	[IMAP_OK] = "OK",
	[IMAP_NO] = "NO",
	[IMAP_BAD] = "BAD",
	[IMAP_BYE] = "BYE",
	[IMAP_PREAUTH] = "PREAUTH",
};

struct imap_reader *
imap_reader_new(struct transport *transport, size_t literal_max)
{
	struct imap_reader	*rd;

	rd = xcalloc(1, sizeof(*rd));
	rd->transport = transport;
	rd->literal_max = literal_max;
	return rd;
}

void
imap_reader_free(struct imap_reader *rd)
{
	if (rd == NULL)
		return;
	free(rd->line);
	free(rd);
}

/* Free what an item holds (lists nest at most IMAP_DEPTH_MAX deep). */
static void
imap_item_clear(struct imap_item *item)
{
	size_t	 i;

	for (i = 0; i < item->count; i++)
		imap_item_clear(&item->children[i]);
	free(item->children);
	free(item->string);
	memset(item, 0, sizeof(*item));
}

/* Fail with why and a printable piece of the line at fault. */
static int
imap_fail(struct imap_parse *p, const char *why, char **cause)
{
	char	 shown[IMAP_SHOWN + 4];

	printable_copy(shown, sizeof(shown), p->reader->line, p->reader->len,
	    IMAP_SHOWN);
	xasprintf(cause, "%s: \"%s\"", why, shown);
	return -1;
}

/* Add len octets to the line buffer (the caller checked the bound). */
static void
imap_append(struct imap_reader *rd, const char *data, size_t len)
{
	if (rd->len + len + 1 > rd->allocated) {
		rd->allocated = (rd->len + len + 1) * 2;
		rd->line = xreallocarray(rd->line, rd->allocated, 1);
	}
	memcpy(rd->line + rd->len, data, len);
	rd->len += len;
	rd->line[rd->len] = '\0';
}

/* Read the next line whole, its pieces joined, within IMAP_LINE_MAX. */
static int
imap_line(struct imap_parse *p, char **cause)
{
	struct imap_reader	*rd = p->reader;
	const char		*piece;
	char			 why[64];
	size_t			 len;
	int			 partial;

	rd->len = 0;
	imap_append(rd, "", 0);
	do {
		if (transport_getline(rd->transport, &piece, &len, &partial,
		    cause) != 0)
			return -1;
		if (len > IMAP_LINE_MAX - p->text) {
			snprintf(why, sizeof(why), "response longer than %d "
			    "octets", IMAP_LINE_MAX);
			return imap_fail(p, why, cause);
		}
		p->text += len;
		imap_append(rd, piece, len);
	} while (partial);
	p->at = rd->line;
	p->end = rd->line + rd->len;
	return 0;
}

/* A new item at the end of the innermost open list, or NULL. */
static struct imap_item *
imap_add(struct imap_parse *p, enum imap_type type, char **cause)
{
	struct imap_item	*list = p->open[p->depth], *item;
	char			 why[64];

	if (p->items == IMAP_ITEMS_MAX) {
		snprintf(why, sizeof(why), "response with more than %d items",
		    IMAP_ITEMS_MAX);
		imap_fail(p, why, cause);
		return NULL;
	}
	if (list->count == list->allocated) {
		list->allocated = list->allocated == 0 ? 8 :
		    list->allocated * 2;
		list->children = xreallocarray(list->children,
		    list->allocated, sizeof(*list->children));
	}
	item = &list->children[list->count++];
	memset(item, 0, sizeof(*item));
	item->type = type;
	p->items++;
	return item;
}

/* Give item a copy of len octets (NULs kept) as its string. */
static void
imap_set_string(struct imap_item *item, const char *data, size_t len)
{
	item->string = xmalloc(len + 1);
	memcpy(item->string, data, len);
	item->string[len] = '\0';
	item->len = len;
}

/* An octet that may stand in an atom (or a tag): lenient, as servers are. */
static int
imap_atom_char(char c)
{
	return (unsigned char)c > ' ' && c != 0x7f && c != '(' && c != ')' &&
	    c != '{' && c != '"';
}

/*
 * An atom, a number or NIL. A '[' takes everything up to its ']' on the
 * line (spaces too), so "BODY[HEADER.FIELDS (FROM)]" is one atom.
 */
static int
imap_atom(struct imap_parse *p, char **cause)
{
	struct imap_item	*item;
	const char		*start = p->at, *close, *errstr;
	size_t			 len, i;

	while (p->at < p->end && imap_atom_char(*p->at)) {
		if (*p->at == '[' && (close = memchr(p->at, ']',
		    p->end - p->at)) != NULL)
			p->at = close;
		p->at++;
	}
	if ((len = p->at - start) == 0)
		return imap_fail(p, "unexpected character in response", cause);
	if ((item = imap_add(p, IMAP_ATOM, cause)) == NULL)
		return -1;
	imap_set_string(item, start, len);
	if (len == 3 && strncasecmp(start, "NIL", 3) == 0) {
		item->type = IMAP_NIL;
		return 0;
	}
	for (i = 0; i < len && start[i] >= '0' && start[i] <= '9'; i++)
		;
	if (i < len)
		return 0;
	item->type = IMAP_NUMBER;
	item->number = strtonum(item->string, 0, LLONG_MAX, &errstr);
	if (errstr != NULL)
		return imap_fail(p, "number out of range in response", cause);
	return 0;
}

/* A quoted string: only \" and \\ are escapes; no NUL. */
static int
imap_quoted(struct imap_parse *p, char **cause)
{
	struct imap_item	*item;
	const char		*s;
	char			*out;
	size_t			 n = 0;

	out = xmalloc(p->end - p->at);
	for (s = p->at + 1; s < p->end && *s != '"'; s++) {
		if (*s == '\\') {
			if (s + 1 == p->end || (s[1] != '"' && s[1] != '\\'))
				break;
			s++;
		} else if (*s == '\0')
			break;
		out[n++] = *s;
	}
	if (s == p->end || *s != '"') {
		free(out);
		return imap_fail(p, s == p->end ?
		    "unterminated quoted string in response" :
		    "bad character in quoted string in response", cause);
	}
	out[n] = '\0';
	p->at = s + 1;
	if ((item = imap_add(p, IMAP_STRING, cause)) == NULL) {
		free(out);
		return -1;
	}
	item->string = out;
	item->len = n;
	return 0;
}

/* "{n}" or "{n+}", which must end the line: the size that follows. */
static int
imap_literal_count(struct imap_parse *p, long long *size, char **cause)
{
	const char	*start = p->at + 1, *close, *errstr;
	char		 digits[24];
	size_t		 n, i;

	if (p->in_code)
		return imap_fail(p, "literal in a response code", cause);
	close = memchr(start, '}', p->end - start);
	if (close == NULL || close + 1 != p->end)
		return imap_fail(p, "literal count not at the end of the line",
		    cause);
	n = close - start;
	if (n > 0 && start[n - 1] == '+')
		n--;
	for (i = 0; i < n && start[i] >= '0' && start[i] <= '9'; i++)
		;
	if (n == 0 || i < n || n >= sizeof(digits))
		return imap_fail(p, "bad literal count in response", cause);
	memcpy(digits, start, n);
	digits[n] = '\0';
	*size = strtonum(digits, 0, LLONG_MAX, &errstr);
	if (errstr != NULL)
		return imap_fail(p, "bad literal count in response", cause);
	p->at = p->end;
	return 0;
}

/* Hand a piece of a line to the stream until it says stop. */
static void
imap_feed(struct imap_parse *p, const char *data, size_t len, int eol)
{
	if (p->feeding && p->stream->data(p->stream->arg, data, len, eol) != 0)
		p->feeding = 0;
}

/*
 * Read size octets into the stream, split at line ends (CRLF or LF,
 * stripped). A CR that ends a chunk waits for the next one: its LF may
 * start it.
 */
static int
imap_literal_stream(struct imap_parse *p, long long size, char **cause)
{
	const char	*data, *nl;
	size_t		 len, n;
	long long	 left = size;
	int		 cr = 0;

	p->feeding = 1;
	while (left > 0) {
		if (transport_getbytes(p->reader->transport,
		    left > TRANSPORT_BUFFER ? TRANSPORT_BUFFER : (size_t)left,
		    &data, &len, cause) != 0)
			return -1;
		left -= len;
		if (cr) {
			cr = 0;
			if (*data == '\n') {
				imap_feed(p, "", 0, 1);
				data++;
				len--;
			} else
				imap_feed(p, "\r", 1, 0);
		}
		while ((nl = memchr(data, '\n', len)) != NULL) {
			n = nl - data;
			imap_feed(p, data, n > 0 && data[n - 1] == '\r' ?
			    n - 1 : n, 1);
			data = nl + 1;
			len -= n + 1;
		}
		if (len > 0 && left > 0 && data[len - 1] == '\r') {
			cr = 1;
			len--;
		}
		if (len > 0)
			imap_feed(p, data, len, 0);
	}
	return 0;
}

/* Read size octets into a new string item, within literal_max. */
static int
imap_literal_keep(struct imap_parse *p, long long size, char **cause)
{
	struct imap_reader	*rd = p->reader;
	struct imap_item	*item;
	const char		*data;
	char			 why[128];
	size_t			 got = 0, len;

	if ((unsigned long long)size > rd->literal_max - p->kept) {
		if ((unsigned long long)size > rd->literal_max)
			snprintf(why, sizeof(why), "literal of %lld octets over "
			    "the limit of %zu", size, rd->literal_max);
		else
			snprintf(why, sizeof(why), "literals of one response "
			    "over the limit of %zu octets", rd->literal_max);
		return imap_fail(p, why, cause);
	}
	if ((item = imap_add(p, IMAP_STRING, cause)) == NULL)
		return -1;
	p->kept += size;
	item->string = xmalloc(size + 1);
	item->len = size;
	while (got < item->len) {
		if (transport_getbytes(rd->transport, item->len - got, &data,
		    &len, cause) != 0)
			return -1;
		memcpy(item->string + got, data, len);
		got += len;
	}
	item->string[got] = '\0';
	return 0;
}

/* A literal of size octets: streamed if the stream wants it, else kept. */
static int
imap_literal(struct imap_parse *p, long long size, char **cause)
{
	struct imap_item	*item;

	if (p->stream == NULL || p->stream->start(p->stream->arg, p->r,
	    p->open[p->depth], size) != 1)
		return imap_literal_keep(p, size, cause);
	if ((item = imap_add(p, IMAP_STREAMED, cause)) == NULL)
		return -1;
	item->number = size;
	return imap_literal_stream(p, size, cause);
}

/*
 * Items up to the end of the line (or of the response code being
 * parsed). Returns 0 at the end, 1 when a literal of *size octets
 * follows the line, -1 on error.
 */
static int
imap_items(struct imap_parse *p, long long *size, char **cause)
{
	struct imap_item	*list;
	int			 rc;

	for (;;) {
		while (p->at < p->end && *p->at == ' ')
			p->at++;
		if (p->at == p->end) {
			if (p->depth > p->floor)
				return imap_fail(p, "unclosed ( in response",
				    cause);
			return 0;
		}
		switch (*p->at) {
		case '(':
			if (p->depth == IMAP_DEPTH_MAX)
				return imap_fail(p, "lists nested too deep in "
				    "response", cause);
			if ((list = imap_add(p, IMAP_LIST, cause)) == NULL)
				return -1;
			p->open[++p->depth] = list;
			p->at++;
			rc = 0;
			break;
		case ')':
			if (p->depth == p->floor)
				return imap_fail(p, "unexpected ) in response",
				    cause);
			p->depth--;
			p->at++;
			rc = 0;
			break;
		case '"':
			rc = imap_quoted(p, cause);
			break;
		case '{':
			if (imap_literal_count(p, size, cause) != 0)
				return -1;
			return 1;
		default:
			rc = imap_atom(p, cause);
			break;
		}
		if (rc != 0)
			return -1;
	}
}

/*
 * The inside of a response code "[...]" (close points at its ']') as
 * children of code; if it does not parse (a code's argument may be any
 * text), code keeps only its raw string.
 */
static void
imap_code(struct imap_parse *p, struct imap_item *code, const char *close)
{
	const char		*end = p->end;
	char			*why = NULL;
	long long		 size;
	size_t			 i;

	imap_set_string(code, p->at + 1, close - p->at - 1);
	p->at++;
	p->end = close;
	p->open[++p->depth] = code;
	p->floor = p->depth;
	p->in_code = 1;
	if (imap_items(p, &size, &why) != 0) {
		for (i = 0; i < code->count; i++)
			imap_item_clear(&code->children[i]);
		code->count = 0;
		free(why);
	}
	p->depth = p->floor = 0;
	p->in_code = 0;
	p->end = end;
	p->at = close + 1;
}

/* A status or "+" response's rest: an optional "[code]", then text. */
static int
imap_text(struct imap_parse *p, char **cause)
{
	struct imap_response	*r = p->r;
	struct imap_item	*item;
	const char		*close;
	int			 code = 0;

	if (p->at < p->end && *p->at == ' ')
		p->at++;
	if (p->at < p->end && *p->at == '[') {
		close = memchr(p->at, ']', p->end - p->at);
		if (close == NULL)
			return imap_fail(p, "response code without ]", cause);
		if ((item = imap_add(p, IMAP_CODE, cause)) == NULL)
			return -1;
		imap_code(p, item, close);
		code = 1;
		if (p->at < p->end && *p->at == ' ')
			p->at++;
	}
	if ((item = imap_add(p, IMAP_TEXT, cause)) == NULL)
		return -1;
	imap_set_string(item, p->at, p->end - p->at);
	p->at = p->end;
	/* Only now: adding may move the items. */
	r->text = &r->items.children[r->items.count - 1];
	if (code)
		r->code = &r->items.children[r->items.count - 2];
	return 0;
}

/* The status word at p->at ("OK", "no"...), or IMAP_STATUS_NONE. */
static enum imap_status
imap_status_word(const struct imap_parse *p)
{
	const char	*space;
	size_t		 len, i;

	space = memchr(p->at, ' ', p->end - p->at);
	len = (space != NULL ? space : p->end) - p->at;
	for (i = IMAP_OK; i <= IMAP_PREAUTH; i++) {
		if (strlen(imap_status_names[i]) == len &&
		    strncasecmp(p->at, imap_status_names[i], len) == 0)
			return i;
	}
	return IMAP_STATUS_NONE;
}

/*
 * The first line's tag, and a status response whole. Returns 1 when
 * data items follow, 0 when the response is complete, -1 on error.
 */
static int
imap_start(struct imap_parse *p, char **cause)
{
	struct imap_response	*r = p->r;
	struct imap_item	*item;
	const char		*start = p->at;
	size_t			 len;
	int			 tagged;

	while (p->at < p->end && imap_atom_char(*p->at))
		p->at++;
	len = p->at - start;
	if (len == 0 || len > IMAP_TAG_MAX ||
	    (p->at < p->end && *p->at != ' '))
		return imap_fail(p, "malformed response tag", cause);
	memcpy(r->tag, start, len);
	r->tag[len] = '\0';
	if (strcmp(r->tag, "+") == 0)
		return imap_text(p, cause);
	if (p->at == p->end || ++p->at == p->end)
		return imap_fail(p, "response without content", cause);
	tagged = strcmp(r->tag, "*") != 0;
	r->status = imap_status_word(p);
	if (r->status == IMAP_STATUS_NONE) {
		if (tagged)
			return imap_fail(p, "tagged response without OK, NO "
			    "or BAD", cause);
		return 1;
	}
	if (tagged && r->status != IMAP_OK && r->status != IMAP_NO &&
	    r->status != IMAP_BAD)
		return imap_fail(p, "tagged response without OK, NO or BAD",
		    cause);
	if ((item = imap_add(p, IMAP_ATOM, cause)) == NULL)
		return -1;
	len = strlen(imap_status_names[r->status]);
	imap_set_string(item, p->at, len);
	p->at += len;
	return imap_text(p, cause);
}

int
imap_read(struct imap_reader *rd, const struct imap_stream *stream,
    struct imap_response **rp, char **cause)
{
	struct imap_parse	 p;
	struct imap_response	*r;
	long long		 size;
	int			 rc;

	*rp = NULL;
	r = xcalloc(1, sizeof(*r));
	r->items.type = IMAP_LIST;
	memset(&p, 0, sizeof(p));
	p.reader = rd;
	p.stream = stream;
	p.r = r;
	p.open[0] = &r->items;
	if (imap_line(&p, cause) != 0)
		goto fail;
	printable_copy(r->shown, sizeof(r->shown), rd->line, rd->len,
	    IMAP_SHOWN);
	if ((rc = imap_start(&p, cause)) == 1) {
		while ((rc = imap_items(&p, &size, cause)) == 1) {
			if (imap_literal(&p, size, cause) != 0 ||
			    imap_line(&p, cause) != 0)
				goto fail;
		}
	}
	if (rc != 0)
		goto fail;
	*rp = r;
	return 0;
fail:
	imap_response_free(r);
	return -1;
}

void
imap_response_free(struct imap_response *r)
{
	if (r == NULL)
		return;
	imap_item_clear(&r->items);
	free(r);
}

enum imap_type
imap_type(const struct imap_item *item)
{
	return item != NULL ? item->type : IMAP_NONE;
}

size_t
imap_count(const struct imap_item *item)
{
	if (item == NULL || (item->type != IMAP_LIST &&
	    item->type != IMAP_CODE))
		return 0;
	return item->count;
}

const struct imap_item *
imap_child(const struct imap_item *item, size_t n)
{
	if (n >= imap_count(item))
		return NULL;
	return &item->children[n];
}

const char *
imap_string(const struct imap_item *item)
{
	switch (imap_type(item)) {
	case IMAP_ATOM:
	case IMAP_NUMBER:
	case IMAP_STRING:
	case IMAP_TEXT:
		return item->string;
	default:
		return NULL;
	}
}

int
imap_number(const struct imap_item *item, long long *number)
{
	if (imap_type(item) != IMAP_NUMBER)
		return -1;
	*number = item->number;
	return 0;
}

int
imap_is_atom(const struct imap_item *item, const char *name)
{
	return imap_type(item) == IMAP_ATOM && item->len == strlen(name) &&
	    strncasecmp(item->string, name, item->len) == 0;
}
