/*
 * The server side of the protocol fuzz targets (fuzz_pop3,
 * fuzz_imap_reader): the input in a pipe, then end of file.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "server.h"

int
fuzz_server(const uint8_t *data, size_t size)
{
	int	 pipefd[2];

	if (size > FUZZ_SERVER_MAX)
		return -1;
	if (pipe(pipefd) == -1)
		abort();
	if (size > 65536)
		fcntl(pipefd[1], F_SETPIPE_SZ, FUZZ_SERVER_MAX);
	if (write(pipefd[1], data, size) != (ssize_t)size) {
		/* The pipe is smaller here (no privilege): skip the input. */
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	close(pipefd[1]);
	return pipefd[0];
}
