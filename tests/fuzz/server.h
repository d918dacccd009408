/*
 * For the protocol fuzz targets: a fuzz input as the server's side of a
 * connection, a pipe whose write end is closed once the input is in it,
 * and the client's transport and account on it.
 */
#ifndef FUZZ_SERVER_H
#define FUZZ_SERVER_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_SERVER_MAX	(1024 * 1024)	/* what one pipe holds */

struct account;
struct transport;

/* The read end holding all of data, or -1 when it does not fit. */
int	fuzz_server(const uint8_t *data, size_t size);
/*
 * A client's transport over the input: its first byte is the target's
 * mode (*mode), the rest is what the server says; what the client writes
 * goes to /dev/null. NULL when there is no input or it does not fit.
 */
struct transport *fuzz_client(const uint8_t *data, size_t size,
	    uint8_t *mode);
/* The account of the fuzz server: fuzz at localhost, user / secret. */
void	fuzz_account(struct account *);

#endif
