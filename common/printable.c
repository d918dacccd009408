/*
 * Bounded, printable copies of peer data for log lines and causes (one
 * helper for the POP3 client, the IMAP reader and whoever else shows
 * what a server said).
 */
#include <string.h>

#include "printable.h"

void
printable_copy(char *buf, size_t size, const char *data, size_t len,
    size_t max)
{
	size_t	 i, n = len < max ? len : max;

	if (n > size - 4)
		n = size - 4;
	for (i = 0; i < n; i++)
		buf[i] = data[i] >= ' ' && data[i] <= '~' ? data[i] : '?';
	buf[i] = '\0';
	if (n < len)
		strlcat(buf, "...", size);
}
