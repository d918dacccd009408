/*
 * libFuzzer target: arbitrary server bytes fed to the POP3 client. The
 * input goes into a pipe the client reads (the server side); what the
 * client sends goes to /dev/null. The first byte picks the tls mode and
 * auth method, so every login path sees hostile replies; after a login
 * the client lists, retrieves, deletes and quits.
 *
 * Build (see the report of the POP3 work for run.sh):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE
 *     -Icommon $(pkg-config --cflags libbsd-overlay openssl)
 *     tests/fuzz/fuzz_pop3.c tests/fuzz/server.c fetcher/pop3.c
 *     fetcher/pop3_auth.c
 *     fetcher/transport.c
 *     fetcher/sasl.c fetcher/token.c common/log.c common/xmalloc.c
 *     $(pkg-config --libs libbsd-overlay openssl) -o fuzz_pop3
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/account.h"
#include "../../fetcher/pop3.h"
#include "../../fetcher/transport.h"
#include "server.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* No CA store: loading the system one for every input is slow. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("SSL_CERT_FILE", "/dev/null", 1);
	setenv("SSL_CERT_DIR", "/nonexistent", 1);
	return 0;
}

static int
sink_begin(void *arg, size_t index)
{
	(void)arg;
	return index % 3 == 2;		/* now and then refuse a message */
}

static int
sink_data(void *arg, const char *data, size_t len, int eol)
{
	size_t	*bytes = arg;

	/* Touch every byte so ASan sees bad pointers. */
	while (len > 0)
		*bytes += (unsigned char)data[--len];
	*bytes += eol;
	return 0;
}

static int
sink_end(void *arg, size_t index, int complete, const char *refusal)
{
	(void)refusal;
	(void)arg;
	(void)index;
	(void)complete;
	return 0;
}

static const struct driver_sink sink = { sink_begin, sink_data, sink_end };

/* After a login: everything else the client can do. */
static void
fuzz_session(struct pop3 *p)
{
	struct driver_message	*list = NULL;
	char			**refused;
	unsigned		 count;
	unsigned long long	 size;
	size_t			 n = 0, i, *indexes, bytes = 0;
	char			*cause = NULL;

	if (pop3_stat(p, &count, &size, &cause) != 0)
		goto out;
	if (pop3_list(p, &list, &n, &cause) != 0)
		goto out;
	indexes = calloc(n + 1, sizeof(*indexes));
	refused = calloc(n + 1, sizeof(*refused));
	for (i = 0; i < n; i++)
		indexes[i] = i;
	if (pop3_retrieve(p, list, indexes, n, &sink, &bytes, &cause) == 0) {
		free(cause);
		cause = NULL;
		if (pop3_delete(p, list, indexes, n, refused, &cause) == 0)
			pop3_quit(p, &cause);
	}
	(void)pop3_last_reply(p);
	free(indexes);
	for (i = 0; i < n; i++)
		free(refused[i]);
	free(refused);
	free(list);
out:
	free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tls[] = { "disable", "detect", "starttls",
	    "direct" };
	static const char *const auth[] = { "password", "apop", "cram-md5",
	    "plain", "login", "xoauth2", "any", "any" };
	struct account		 account;
	struct driver_info	 info;
	struct pop3		*p;
	struct transport	*transport;
	char			*cause = NULL;
	uint8_t			 mode;

	if ((transport = fuzz_client(data, size, &mode)) == NULL)
		return 0;
	fuzz_account(&account);
	account.tls = (char *)tls[mode & 3];
	account.tls_seen = (mode >> 2) & 1;
	account.tls_verify = 1;
	account.auth = (char *)auth[(mode >> 3) & 7];
	memset(&info, 0, sizeof(info));
	p = pop3_open_transport(transport, &account, 1, NULL, &info, &cause);
	free(cause);
	if (p != NULL) {
		fuzz_session(p);
		pop3_close(p);
	}
	return 0;
}
