/* Mail addresses: RFC 5322 address lists, validity, normal form. */
#ifndef ADDRESS_H
#define ADDRESS_H

#include <stddef.h>

#define ADDRESS_MAX	254	/* longest addr-spec accepted */

/*
 * Append the addr-specs of an address-list header value ("A <a@b>, c@d,
 * group: e@f;") to *list (grown with xreallocarray; entries xstrdup'd).
 * Comments and display names are skipped; entries that are not valid
 * addresses are skipped. Returns the number appended.
 */
size_t		 address_list_parse(const char *value, char ***list,
		    size_t *count);
/*
 * Like address_list_parse, but entries that are not valid addresses are
 * appended too (as found, for the caller to report); only empty ones
 * ("<>", a group's end) are left out.
 */
size_t		 address_list_split(const char *value, char ***list,
		    size_t *count);
/*
 * Whether s is acceptable as an envelope address: local@domain, at most
 * ADDRESS_MAX bytes, no white space or control characters, not starting
 * with '-', a domain of dot-separated labels.
 */
int		 address_valid(const char *s);
/*
 * Whether an address an administrator set (deliver_to, fallback,
 * postmaster) can go to sendmail: a valid address, or a bare local name
 * such as "postmaster" that the MTA completes; never one that starts
 * with '-'.
 */
int		 address_usable(const char *s);
/*
 * Skip white space and comments at p; comments nest (a depth counter,
 * not recursion) and may contain quoted pairs. An unterminated comment
 * runs to the end (the NUL is returned).
 */
const char	*address_skip_cfws(const char *p);
/* The domain part after the last '@', or NULL. */
const char	*address_domain(const char *s);
/* Whether address is one of the count in list (ASCII case-insensitive). */
int		 address_listed(const char *const *list, size_t count,
		    const char *address);
/* A lower-cased copy, for case-insensitive comparison and lookups. */
char		*address_lower(const char *s);

#endif
