/*
 * A safe copy of bytes a remote peer sent (a server reply, a response
 * line) for a log line or an error cause: bounded, and every byte that
 * is not printable ASCII shown as '?', so nothing a server says can
 * forge log lines or send terminal escapes.
 */
#ifndef PRINTABLE_H
#define PRINTABLE_H

#include <stddef.h>

/*
 * Copy at most max bytes of data into buf (size > 4), '?' for what is
 * not printable, and "..." when data was cut.
 */
void	printable_copy(char *buf, size_t size, const char *data, size_t len,
	    size_t max);

#endif
