/*
 * The server side of the protocol fuzz targets (fuzz_pop3, fuzz_imap,
 * fuzz_imap_reader): the input in a pipe, then end of file.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../fetcher/account.h"
#include "../../fetcher/transport.h"
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

struct transport *
fuzz_client(const uint8_t *data, size_t size, uint8_t *mode)
{
	int	 in, out;

	if (size < 1)
		return NULL;
	*mode = data[0];
	if ((in = fuzz_server(data + 1, size - 1)) == -1)
		return NULL;
	if ((out = open("/dev/null", O_WRONLY)) == -1)
		abort();
	return transport_fds(in, out, 1);
}

void
fuzz_account(struct account *account)
{
	memset(account, 0, sizeof(*account));
	account->name = (char *)"fuzz";
	account->host = (char *)"localhost";
	account->username = (char *)"user";
	account->password = (char *)"secret";
}
