/*
 * The X-Postfetch-Recipients header: the recipients a fetched message is
 * for, carried in the message (bound to the signed tag) while its
 * envelope names only a local placeholder. The fetcher writes it, the
 * milter reads it back.
 */
#ifndef RECIPIENTS_H
#define RECIPIENTS_H

#include <stddef.h>

#define RECIPIENTS_HEADER	"X-Postfetch-Recipients"
#define RECIPIENTS_MAX		1000	/* recipients of one message */
#define RECIPIENTS_FIELD_MAX	8000	/* bytes of one field's value; more
					 * recipients go into another field */
#define RECIPIENTS_LINE		78	/* folded lines stay this short, an
					 * address that is longer alone */

/* A list read from one or more fields. */
struct recipients {
	char	**list;
	size_t	  count;
};

/* Whether address can be carried: a valid or bare local address with no
 * '<', '>' or ','. */
int	recipients_carried(const char *address);
/*
 * The header fields for list, "X-Postfetch-Recipients: <a>, <b>,\n\t<c>\n"
 * (several fields when long), folded, lines ending in LF. NULL if count is
 * 0 or above RECIPIENTS_MAX or an address cannot be carried.
 */
char   *recipients_format(char *const *list, size_t count);
#define RECIPIENTS_NOMEM	(-2)	/* recipients_parse: out of memory */

/*
 * Append the addresses of one field value ("<a>, <b>", folding white space
 * anywhere between them) to r. Returns 0, -1 with *cause, or
 * RECIPIENTS_NOMEM without (r keeps what came before this value).
 */
int	recipients_parse(struct recipients *r, const char *value,
	    char **cause);
void	recipients_free(struct recipients *r);

#endif
