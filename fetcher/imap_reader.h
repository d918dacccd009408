/*
 * The IMAP response reader (RFC 3501/9051): reads one server response
 * at a time from a transport and parses it into a small tree (tag, then
 * atoms, numbers, strings, NIL and nested lists), with every size
 * bounded. A message literal can be streamed line by line into a sink
 * instead of being kept in memory. It sends nothing and knows no command:
 * untagged responses come back in turn, and the driver decides.
 */
#ifndef IMAP_READER_H
#define IMAP_READER_H

#include <stddef.h>

struct transport;

#define IMAP_LINE_MAX	(1024 * 1024)	/* a response's lines together */
#define IMAP_ITEMS_MAX	100000		/* items in one response */
#define IMAP_DEPTH_MAX	16		/* lists inside lists */
#define IMAP_TAG_MAX	32
#define IMAP_SHOWN	200		/* octets of a line in a log or cause */

enum imap_type {
	IMAP_NONE,		/* no such item (accessors on NULL) */
	IMAP_ATOM,		/* string: the atom, e.g. "FETCH", "BODY[]" */
	IMAP_NUMBER,		/* number; string: its digits */
	IMAP_STRING,		/* quoted or literal; string, len (NULs kept) */
	IMAP_NIL,		/* string: "NIL" */
	IMAP_LIST,		/* ( ... ): children */
	IMAP_CODE,		/* [ ... ] of a status response: children, or
				 * none if they do not parse; string: raw */
	IMAP_TEXT,		/* the text of a status or "+" response */
	IMAP_STREAMED		/* a literal fed to the stream; number: size */
};

struct imap_item {
	enum imap_type		 type;
	char			*string;	/* NUL-terminated */
	size_t			 len;		/* of string */
	long long		 number;
	struct imap_item	*children;	/* list, code */
	size_t			 count;
	size_t			 allocated;
};

enum imap_status {
	IMAP_STATUS_NONE,	/* a data response: "* 3 EXISTS" */
	IMAP_OK,
	IMAP_NO,
	IMAP_BAD,
	IMAP_BYE,
	IMAP_PREAUTH
};

/*
 * One response. items holds what follows the tag as a list; a status
 * response is [status atom] [code, if any] [text], a "+" response is
 * [text]. code and text point into items (or are NULL).
 */
struct imap_response {
	char			 tag[IMAP_TAG_MAX + 1];	/* "*", "+", or a tag */
	enum imap_status	 status;
	struct imap_item	 items;
	const struct imap_item	*code;
	const struct imap_item	*text;
	char			 shown[IMAP_SHOWN + 4];	/* first line, printable */
};

/*
 * Streaming a literal. start is asked when a literal begins: r is the
 * response so far, list the innermost open list (its last child is what
 * stands before the literal, e.g. the atom "BODY[]"), size the announced
 * octets. It returns 1 to stream the literal, 0 to keep it in memory
 * (bounded by the reader's literal_max, so a literal too big to keep
 * fails the read). A streamed literal becomes an IMAP_STREAMED item;
 * its octets go to data as driver_sink.data wants them: pieces of lines with CRLF or LF
 * stripped, eol set where a line ends; a last line without its end comes
 * with eol 0. Once data returns non-zero it is not called again for this
 * literal, which is still read to its end.
 */
struct imap_stream {
	int	(*start)(void *arg, const struct imap_response *r,
		    const struct imap_item *list, long long size);
	int	(*data)(void *arg, const char *data, size_t len, int eol);
	void	*arg;
};

/* Read from transport (not owned); literal_max bounds kept literals. */
struct imap_reader	*imap_reader_new(struct transport *,
			    size_t literal_max);
void			 imap_reader_free(struct imap_reader *);
/*
 * Read the next response into *r (free with imap_response_free). stream
 * (or NULL: keep every literal) is consulted for each literal. Returns
 * 0, or -1 with *cause (one line, with a printable piece of the response
 * where it is at fault); after -1 the session is out of step: close it.
 */
int			 imap_read(struct imap_reader *,
			    const struct imap_stream *,
			    struct imap_response **r, char **cause);
void			 imap_response_free(struct imap_response *);

/* Accessors; each takes NULL (a missing item) and answers "none". */
enum imap_type		 imap_type(const struct imap_item *);
/* Children of a list or code: how many, and the nth (NULL past the end). */
size_t			 imap_count(const struct imap_item *);
const struct imap_item	*imap_child(const struct imap_item *, size_t n);
/* The text of an atom, number, string or text item, else NULL (NIL too). */
const char		*imap_string(const struct imap_item *);
/* A number item's value: 0, or -1 if the item is no number. */
int			 imap_number(const struct imap_item *, long long *);
/* Whether the item is the atom name, ignoring case. */
int			 imap_is_atom(const struct imap_item *,
			    const char *name);

#endif
