/*
 * The header section of a fetched message: split into fields, looked up
 * by name, and read for the multidrop recipients, the envelope sender and
 * the Message-ID. Pure functions over a buffer; NUL bytes are data.
 */
#ifndef HEADER_H
#define HEADER_H

#include <stddef.h>

#define HEADER_RECIPIENTS_MAX	1000	/* more are dropped (and reported) */
#define HEADER_DROPPED_MAX	10	/* dropped ones kept for the log */

/* One field, as offsets into the buffer. */
struct header_field {
	size_t	 start;		/* first byte of the name */
	size_t	 name_len;	/* the name, without white space before ':' */
	size_t	 value;		/* first byte after the ':' */
	size_t	 end;		/* after the line end of its last line */
};

struct header {
	const char		*buf;
	size_t			 len;
	struct header_field	*fields;
	size_t			 count;
	size_t			 end;	/* bytes of fields (the section) */
	size_t			 body;	/* where the body starts: after the
					 * empty line, or == end if none */
};

/* What one line (without its LF) is in a header section. */
enum header_line {
	HEADER_LINE_FIELD,		/* "Name:" ... */
	HEADER_LINE_CONTINUATION,	/* starts with space or tab */
	HEADER_LINE_EMPTY,		/* empty, or a lone CR */
	HEADER_LINE_OTHER		/* anything else: the body starts */
};

/* Recipients chosen for a multidrop message. */
struct header_recipients {
	char		**list;		/* valid, deduplicated */
	size_t		  count;
	char		**dropped;	/* invalid or over the limit, as found:
					 * the first HEADER_DROPPED_MAX */
	size_t		  dropped_count;
	size_t		  dropped_total; /* all dropped ones */
	const char	 *source;	/* header name they came from, or NULL */
};

enum header_line header_line_kind(const char *line, size_t len);
/*
 * Split buf into fields: the section ends at the first empty line, at a
 * line that is neither a field nor a continuation, or at the end of buf.
 * LF or CRLF line ends; a last line without LF counts as a line.
 */
void		 header_parse(struct header *, const char *buf, size_t len);
void		 header_free(struct header *);
/* Whether field i is called name (case-insensitive). */
int		 header_is(const struct header *, size_t i, const char *name);
/* The index of the first field called name at or after from, or -1. */
long		 header_find(const struct header *, const char *name,
		    size_t from);
/* Field i's value unfolded and trimmed, NUL bytes as '?'; caller frees. */
char		*header_value(const struct header *, size_t i);
/*
 * Multidrop recipients: from the envelope headers the final delivering
 * server wrote at the top (above the first Received field, or its "for"
 * clause), never from lower ones; else from To/Cc/Resent-To/Resent-Cc.
 * See header.c for the rules and the order.
 */
void		 header_recipients(const struct header *,
		    struct header_recipients *);
void		 header_recipients_free(struct header_recipients *);
/* The envelope sender from a Return-Path in that same top block; "" is
 * the null sender "<>", NULL means none usable. Freed by the caller. */
char		*header_sender(const struct header *);
/* The Message-ID without <>, printable, cut to fit (tag_message_id's
 * rule); "" if none. */
void		 header_message_id(const struct header *, char *buf,
		    size_t len);

#endif
