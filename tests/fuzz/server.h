/*
 * For the protocol fuzz targets: a fuzz input as the server's side of a
 * connection, a pipe whose write end is closed once the input is in it.
 */
#ifndef FUZZ_SERVER_H
#define FUZZ_SERVER_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_SERVER_MAX	(1024 * 1024)	/* what one pipe holds */

/* The read end holding all of data, or -1 when it does not fit. */
int	fuzz_server(const uint8_t *data, size_t size);

#endif
